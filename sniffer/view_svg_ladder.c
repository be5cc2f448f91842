/*
 * view_svg_ladder.c - `--svg ladder`: the sequence diagram of each conversation, as a picture.
 *
 *   build/bin/sniffer -r lab1.pcap --svg ladder > ladder.svg     (open it in a browser)
 *
 * The same diagram as --ladder (view_ladder.c), drawn: the client's lifeline on the left, the
 * server's on the right, time going down, one arrow per packet labelled with the words the
 * terminal ladder writes (view_ladder_label: flags, seq, ack, len, RETRANS). A TCP
 * conversation's rows are shaded by phase (handshake blue, data green, teardown red); a
 * retransmission is a dashed red arrow, with the frame it repeats; the segment it repeats gets a
 * red cross where it should have arrived and "sent again in frame N" (it was lost, or its ACK
 * was: the capture alone cannot tell which); the application message a segment carries or completes
 * (a Socket.IO packet, a message TCP reassembly put together) is a dotted green arrow under it.
 * Rows are evenly spaced, not proportional to time: the time is written at the left of each.
 *
 * For scripts and tests, each packet's arrow is <g class="arrow" data-frame="N" data-conv="C"
 * data-dir="D"> (class "arrow retrans" for a retransmission), each message <g class="msg">, each
 * segment sent again <g class="lost" data-frame="N" data-again="M">.
 * Pure: text into an svg_buf.
 */
#include "flows.h"
#include "view_svg.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define W        1000.0 /* the page's width */
#define LEFT     230.0  /* the client's lifeline */
#define RIGHT    830.0  /* the server's lifeline */
#define ROW      34.0   /* one arrow */
#define MSG_ROW  20.0   /* a message under it */
#define HEAD     70.0   /* a conversation's title and host names */
#define MAX_ROWS 5000   /* arrows drawn; the rest are counted under the picture */
#define LOOKBACK 2048   /* records searched back for the segment a retransmission repeats */

static const char *const phase_class[] = {"", "phase handshake", "phase data", "phase teardown"};
static const char *const phase_word[] = {"", "handshake", "data", "teardown"};

static double row_height(const svg_pkt *p)
{
    return ROW + (p->msg[0] ? MSG_ROW : 0);
}

/* For each record, the frame that sent its bytes again (again[i]) and the frame a
 * retransmission repeats (repeats[i]); 0 when none. The segment repeated is the latest earlier
 * one of the same direction whose bytes hold the retransmission's first byte. */
static void pair_retransmissions(const svg_cap *c, uint64_t *again, uint64_t *repeats)
{
    for (size_t i = 0; i < c->n; i++) {
        const svg_pkt *p = &c->pkts[i];
        if (!p->retrans || p->len == 0)
            continue;
        for (size_t j = i, k = 0; j-- > 0 && k < LOOKBACK; k++) {
            const svg_pkt *q = &c->pkts[j];
            /* p->seq - q->seq < q->len: q's bytes hold p's first, modulo 2^32 */
            if (q->conv == p->conv && q->dir == p->dir && q->len && p->seq - q->seq < q->len) {
                repeats[i] = q->frame;
                again[j] = again[j] ? again[j] : p->frame;
                break;
            }
        }
    }
}

/* Under a retransmission, the frame it repeats; on the segment repeated, a red cross where it
 * should have arrived. */
static void resent(svg_buf *b, const svg_pkt *p, double y, uint64_t again, uint64_t repeats)
{
    char num[48];
    double from = p->dir == 0 ? LEFT : RIGHT, to = p->dir == 0 ? RIGHT : LEFT;
    double side = p->dir == 0 ? -1 : 1; /* from the arrowhead back towards the sender */
    if (repeats) {                      /* under the arrowhead */
        snprintf(num, sizeof num, "repeats frame %" PRIu64, repeats);
        svg_label(b, to + side * 14, y + 13, p->dir == 0 ? "end" : "start", "note", num);
    }
    if (again) {
        svg_fmt(b, "<g class=\"lost\" data-frame=\"%" PRIu64 "\" data-again=\"%" PRIu64 "\">\n",
                p->frame, again);
        double x = to + side * 30;
        svg_line(b, x - 6, y - 6, x + 6, y + 6, "");
        svg_line(b, x - 6, y + 6, x + 6, y - 6, "");
        snprintf(num, sizeof num, "sent again in frame %" PRIu64, again);
        /* under the sender's end, clear of a "repeats" note under the arrowhead */
        svg_label(b, from - side * 10, y + 13, p->dir == 0 ? "start" : "end", "", num);
        svg_fmt(b, "</g>\n");
    }
}

/* msg cut to what fits between the lifelines (MSG_CHARS), ending in "..." when cut; the cut
 * backs off to the start of a UTF-8 character, so it never leaves half of one. */
#define MSG_CHARS 96
static const char *fit(char out[MSG_CHARS + 4], const char *msg)
{
    size_t n = strlen(msg);
    if (n <= MSG_CHARS)
        return msg;
    n = MSG_CHARS - 3;
    while (n > 0 && ((unsigned char)msg[n] & 0xc0) == 0x80) /* a continuation byte */
        n--;
    memcpy(out, msg, n);
    memcpy(out + n, "...", 4);
    return out;
}

static void arrow(svg_buf *b, const svg_pkt *p, double y, uint64_t again, uint64_t repeats)
{
    char num[48], text[MSG_CHARS + 4];
    double from = p->dir == 0 ? LEFT : RIGHT, to = p->dir == 0 ? RIGHT : LEFT;
    svg_fmt(b,
            "<g class=\"arrow%s\" data-frame=\"%" PRIu64 "\" data-conv=\"%" PRIu64
            "\" data-dir=\"%d\">\n",
            p->retrans ? " retrans" : "", p->frame, p->conv, p->dir);
    svg_line(b, from, y, to, y, "");
    svg_label(b, (LEFT + RIGHT) / 2, y - 5, "middle", "label", p->label);
    svg_fmt(b, "</g>\n");
    resent(b, p, y, again, repeats);
    snprintf(num, sizeof num, "%" PRIu64, p->frame);
    svg_label(b, 10, y + 4, "start", "small", num);
    snprintf(num, sizeof num, "%.6f", p->t);
    svg_label(b, 60, y + 4, "start", "small", num);
    if (!p->msg[0])
        return;
    /* the message, a little inset so it reads as riding on the segment above */
    double my = y + MSG_ROW - 2;
    svg_fmt(b, "<g class=\"msg\" data-frame=\"%" PRIu64 "\">\n", p->frame);
    svg_line(b, from + (p->dir == 0 ? 20 : -20), my, to + (p->dir == 0 ? -20 : 20), my, "");
    svg_label(b, (LEFT + RIGHT) / 2, my - 4, "middle", "small", fit(text, p->msg));
    svg_fmt(b, "</g>\n");
}

/* The shaded bands behind a TCP conversation's rows, one per run of the same phase. */
static void phases(svg_buf *b, const svg_cap *c, const svg_conv *v, double y, unsigned *rows)
{
    double start = y;
    int cur = -1;
    unsigned n = *rows;
    for (size_t i = 0; i < c->n && n < MAX_ROWS; i++) {
        const svg_pkt *p = &c->pkts[i];
        if (p->conv != v->conv)
            continue;
        if (p->phase != cur) {
            if (cur > 0)
                svg_rect(b, LEFT - 60, start - ROW + 8, RIGHT - LEFT + 120, y - start,
                         phase_class[cur]);
            if (p->phase > 0 && p->phase < 4)
                svg_label(b, RIGHT + 65, y - 8, "start", "small", phase_word[p->phase]);
            cur = p->phase < 4 ? p->phase : 0, start = y;
        }
        y += row_height(p), n++;
    }
    if (cur > 0)
        svg_rect(b, LEFT - 60, start - ROW + 8, RIGHT - LEFT + 120, y - start, phase_class[cur]);
}

/* One conversation: title, lifelines, phase bands, arrows. Returns the y below it. */
static double conversation(svg_buf *b, const svg_cap *c, const svg_conv *v, double y,
                           unsigned *rows, const uint64_t *again, const uint64_t *repeats)
{
    char title[200];
    snprintf(title, sizeof title, "conversation %" PRIu64 " (%s)", v->conv,
             v->proto == 6 ? "TCP" : "UDP");
    svg_label(b, 10, y + 20, "start", "title", title);
    svg_label(b, 10, y + 60, "start", "small", "frame");
    svg_label(b, 60, y + 60, "start", "small", "time (s)");
    svg_label(b, LEFT, y + 45, "middle", "", "client");
    svg_label(b, LEFT, y + 60, "middle", "small", v->client);
    svg_label(b, RIGHT, y + 45, "middle", "", "server");
    svg_label(b, RIGHT, y + 60, "middle", "small", v->server);
    y += HEAD + ROW;
    double top = y - ROW + 4, end = y;
    unsigned n = *rows;
    for (size_t i = 0; i < c->n && n < MAX_ROWS; i++)
        if (c->pkts[i].conv == v->conv)
            end += row_height(&c->pkts[i]), n++;
    if (v->proto == 6)
        phases(b, c, v, y, rows);
    svg_line(b, LEFT, top, LEFT, end - ROW + 10, "life");
    svg_line(b, RIGHT, top, RIGHT, end - ROW + 10, "life");
    for (size_t i = 0; i < c->n && *rows < MAX_ROWS; i++) {
        const svg_pkt *p = &c->pkts[i];
        if (p->conv != v->conv)
            continue;
        arrow(b, p, y, again ? again[i] : 0, repeats ? repeats[i] : 0);
        y += row_height(p), (*rows)++;
    }
    return y;
}

/* Everything drawn from y on; returns the page's height. With a buffer that takes nothing
 * (max 0) it only measures. */
static double draw(svg_buf *b, const svg_cap *c)
{
    double y = 0;
    unsigned rows = 0;
    uint64_t other = 0;
    /* out of memory: the arrows are still drawn, without what repeats what */
    uint64_t *again = calloc(c->n ? c->n : 1, sizeof *again);
    uint64_t *repeats = calloc(c->n ? c->n : 1, sizeof *repeats);
    if (again && repeats)
        pair_retransmissions(c, again, repeats);
    else
        free(again), free(repeats), again = repeats = NULL;
    for (unsigned i = 0; i < c->nconvs; i++)
        y = conversation(b, c, &c->convs[i], y, &rows, again, repeats) + 10;
    free(again), free(repeats);
    for (size_t i = 0; i < c->n; i++)
        other += c->pkts[i].conv == 0;
    /* in a conversation but not drawn: past MAX_ROWS, or in one past SVG_MAX_CONVS */
    uint64_t undrawn = c->more + (c->n - other - rows);
    char note[160];
    if (other) {
        snprintf(note, sizeof note,
                 "%" PRIu64 " packets in no TCP or UDP conversation (ARP, ICMP, ...) not drawn",
                 other);
        svg_label(b, 10, y += 20, "start", "small", note);
    }
    if (undrawn) {
        snprintf(note, sizeof note,
                 "%" PRIu64 " more packets not drawn (a picture draws %d arrows and %d "
                 "conversations): narrow it with -f or -c",
                 undrawn, MAX_ROWS, SVG_MAX_CONVS);
        svg_label(b, 10, y += 20, "start", "small", note);
    }
    if (c->nconvs == 0)
        svg_label(b, 10, y += 20, "start", "small", "no TCP or UDP conversation in the capture");
    return y + 20;
}

void svg_ladder(svg_buf *b, const svg_cap *c)
{
    svg_measured_page(b, c, W, "sniffer --svg ladder", draw);
}
