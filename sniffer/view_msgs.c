/*
 * view_msgs.c - the messages that TCP reassembly completed at a frame, as lines of text.
 *
 *   4   IP 127.0.0.1.40000 > 127.0.0.1.8080: Flags [P.], seq 2897:4345, ack 1, length 1448
 *       reassembled HTTP/1.1 200 OK: 4345 bytes from frames 2,3,4
 *         engine.io OPEN {"sid":"..."}
 *
 * A message is shown at the frame that completed it, with every frame its bytes came from, as
 * tshark's "[3 Reassembled TCP Segments]". A message that a gap cut, or a direction that could
 * not be decoded further, is said so in the same place.
 */
#include "view.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static const char *kind_word[] = {"reassembled", "reassembled", "reassembled",
                                  "reassembled", "cut",         "stopped"};

void view_msg_words(char *buf, size_t cap, const smsg *m)
{
    int n = snprintf(buf, cap, "%s", m->summary);
    if (m->kind == SMSG_STOP || n < 0 || (size_t)n >= cap)
        return;
    n += snprintf(buf + n, cap - (size_t)n, ": %" PRIu64 " bytes", m->bytes);
    if (m->missing && (size_t)n < cap)
        n += snprintf(buf + n, cap - (size_t)n, " (%" PRIu64 " not captured)", m->missing);
    for (uint32_t i = 0; i < m->nframes && (size_t)n < cap; i++)
        n += snprintf(buf + n, cap - (size_t)n, "%s%" PRIu64,
                      i                      ? ","
                      : m->frames_total == 1 ? " in frame "
                                             : " from frames ",
                      m->frames[i]);
    if (m->frames_total > m->nframes && (size_t)n < cap)
        snprintf(buf + n, cap - (size_t)n, " and %u more", m->frames_total - m->nframes);
}

void view_msgs_text(FILE *out, const view_msgs *v, bool all)
{
    char words[SMSG_SUMMARY + 256];
    for (unsigned i = 0; i < v->n; i++) {
        const smsg *m = &v->m[i];
        if (!all && m->frames_total < 2 && m->kind != SMSG_CUT && m->kind != SMSG_STOP)
            continue;
        view_msg_words(words, sizeof words, m);
        fprintf(out, "    %s %s\n", kind_word[m->kind], words);
        if (m->text[0])
            fprintf(out, "      %s\n", m->text);
    }
    if (v->more)
        fprintf(out, "    ... and %u more messages completed at this frame\n", v->more);
}
