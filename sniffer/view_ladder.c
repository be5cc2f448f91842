/*
 * view_ladder.c - --ladder: a sequence diagram per conversation, drawn as packets arrive.
 *
 *   conversation 1 (TCP): client 127.0.0.1:40000  <->  server 127.0.0.1:7007
 *   frame  time       conv  client                                    server
 *     handshake (c1)
 *   1      0.000000   c1    |---------------- SYN seq 0 ---------------->|
 *   2      0.000021   c1    |<----------- SYN,ACK seq 0 ack 1 -----------|
 *     data (c1)
 *   4      0.000102   c1    |-------- PSH,ACK seq 1 ack 1 len 5 -------->|
 *                               |..... socket.io EVENT / ["message","hi"] ...>|
 *
 * The client is the side that sent the SYN (for UDP, the first datagram). Lines of several
 * conversations interleave in time order; "c1" says which one each belongs to, and a phase
 * name (handshake, data, teardown) is printed when a conversation enters a new phase. UDP
 * datagrams are lone arrows: no handshake, no acknowledgments, no teardown. A dotted arrow
 * under a segment is a Socket.IO / Engine.IO packet it carries (cut to the arrow's width); a
 * ':' arrow is a message TCP reassembly put together from several segments (view_msgs.c).
 */
#include "addr.h"
#include "names.h"
#include "view.h"

#include <inttypes.h>
#include <string.h>

#define WIDTH 58 /* characters between the two lifelines */

static const char *phase_name[] = {"", "handshake", "data", "teardown"};

static void endpoint(char *buf, size_t cap, const flow_key *k, int side)
{
    char a[ADDR_STRLEN];
    addr_ip(a, side == 0 ? k->a : k->b, k->ipver == 4 ? 4 : 16);
    snprintf(buf, cap, k->ipver == 4 ? "%s:%u" : "[%s]:%u", a, side == 0 ? k->pa : k->pb);
}

static void header(FILE *out, const flow *f)
{
    char c[64], s[64];
    endpoint(c, sizeof c, &f->key, 0);
    endpoint(s, sizeof s, &f->key, 1);
    fprintf(out, "\nconversation %" PRIu64 " (%s): client %s  <->  server %s\n", f->conv,
            f->key.proto == 6 ? "TCP" : "UDP", c, s);
    fprintf(out, "frame  time       conv  client%*sserver\n", WIDTH - 4, "");
}

/* The arrow: |---- label ---->| or |<--- label ----|, label centred; fill '.' draws the
 * layer-7 arrows (Socket.IO packets) under the segment that carries them. */
static void arrow(FILE *out, const char *label, int dir, char fill)
{
    char line[WIDTH + 1];
    int n = (int)strlen(label);
    if (n > WIDTH - 6)
        n = WIDTH - 6;
    memset(line, fill, WIDTH);
    line[WIDTH] = '\0';
    int at = (WIDTH - n - 2) / 2;
    line[at] = ' ';
    memcpy(line + at + 1, label, (size_t)n);
    line[at + 1 + n] = ' ';
    if (dir == 0)
        line[WIDTH - 1] = '>';
    else
        line[0] = '<';
    fprintf(out, "|%s|\n", line);
}

/* Seconds since the first packet of the capture: the gaps between arrows are round trips. */
/* The first frame with a valid time is the origin; a frame whose time is invalid shows
 * "invalid" and moves nothing. A frame earlier than the origin (files are not always in time
 * order) shows a negative offset. */
static const char *since_start(const view_frame *fr)
{
    static bool have0;
    static int64_t sec0, usec0;
    static char buf[48];
    uint32_t usec;
    if (!view_ts_usec(fr, &usec))
        return "invalid";
    if (!have0)
        sec0 = fr->sec, usec0 = usec, have0 = true;
    /* seconds and microseconds apart (sec * 10^6 could overflow for a pcapng's 64-bit times),
     * both carrying the sign of the whole difference */
    int64_t ds = fr->sec - sec0, du = (int64_t)usec - usec0;
    if (ds > 0 && du < 0)
        ds--, du += 1000000;
    else if (ds < 0 && du > 0)
        ds++, du -= 1000000;
    bool neg = ds < 0 || du < 0;
    snprintf(buf, sizeof buf, "%s%" PRIu64 ".%06" PRIu64, neg ? "-" : "",
             (uint64_t)(ds < 0 ? -ds : ds), (uint64_t)(du < 0 ? -du : du));
    return buf;
}

static void tcp_label(char *buf, size_t cap, const view_opts *o, const dec_tcp *t,
                      const flow_info *fi)
{
    char fl[64] = "";
    for (const name_entry *e = names_tcp_flag; e->name; e++)
        if (t->flags & e->value)
            strcat(fl, fl[0] ? "," : ""), strcat(fl, e->name);
    bool rel = !o->absolute;
    int n = snprintf(buf, cap, "%s seq %" PRIu32, fl, rel ? fi->rel_seq : t->seq);
    if (t->flags & DEC_TH_ACK)
        n += snprintf(buf + n, cap - (size_t)n, " ack %" PRIu32,
                      rel && fi->rel_ack_known ? fi->rel_ack : t->ack);
    if (t->payload_len)
        n += snprintf(buf + n, cap - (size_t)n, " len %" PRIu32, t->payload_len);
    if (fi->retransmission)
        snprintf(buf + n, cap - (size_t)n, " RETRANS");
}

void view_ladder(FILE *out, const view_opts *o, const view_frame *fr, const dec_packet *pkt,
                 const flow_info *fi, const view_msgs *msgs)
{
    const flow *f = fi->f;
    if (f == NULL) { /* ARP, ICMP, ...: not part of a TCP/UDP conversation */
        fprintf(out, "%-6" PRIu64 " %-10s (no conversation) ", fr->n, since_start(fr));
        view_line(out, o, fr, pkt, fi);
        return;
    }
    if (fi->first)
        header(out, f);
    if (fi->phase_changed && f->key.proto == 6)
        fprintf(out, "  %s (c%" PRIu64 ")\n", phase_name[f->phase], f->conv);
    char label[96];
    const dec_layer *tcp = dec_find(pkt, DEC_TCP), *udp = dec_find(pkt, DEC_UDP);
    if (tcp)
        tcp_label(label, sizeof label, o, &tcp->u.tcp, fi);
    else
        snprintf(label, sizeof label, "UDP len %" PRIu32, udp ? udp->u.udp.payload_len : 0);
    fprintf(out, "%-6" PRIu64 " %-10s c%-4" PRIu64 " ", fr->n, since_start(fr), f->conv);
    arrow(out, label, fi->dir, '-');
    for (int i = 0; i < pkt->nlayers; i++) /* what the application emitted, under it */
        if (pkt->layers[i].proto == DEC_SIO) {
            fprintf(out, "%-6s %-10s %-5s ", "", "", "");
            arrow(out, dec_str(pkt, pkt->layers[i].u.sio.text), fi->dir, '.');
        }
    /* A message reassembled from several segments, under the one that completed it: the
     * arrow is ':' and says which frames it came from (view_msgs.c). */
    for (unsigned i = 0; msgs && i < msgs->n; i++) {
        const smsg *m = &msgs->m[i];
        if (m->frames_total < 2 && m->kind != SMSG_CUT)
            continue;
        char words[SMSG_SUMMARY + 64];
        snprintf(words, sizeof words, "%s%s (%" PRIu64 " B, frames %" PRIu64 "-%" PRIu64 ")",
                 m->kind == SMSG_CUT ? "CUT " : "", m->summary, m->bytes, m->first, m->last);
        fprintf(out, "%-6s %-10s %-5s ", "", "", "");
        arrow(out, words, m->dir, ':');
        if (m->text[0]) {
            fprintf(out, "%-6s %-10s %-5s ", "", "", "");
            arrow(out, m->text, m->dir, '.');
        }
    }
}
