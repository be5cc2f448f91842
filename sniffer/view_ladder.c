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
 * Under a retransmission (RETRANS) a note says which frame it repeats, how much later, and
 * whether duplicate ACKs (fast retransmit) or a timer (timeout, back-off) sent it again.
 */
#include "addr.h"
#include "names.h"
#include "view.h"

#include <inttypes.h>
#include <string.h>

#define WIDTH 58 /* characters between the two lifelines */

static const char *phase_name[] = {"", "handshake", "data", "teardown"};

void view_endpoint(char *buf, size_t cap, const flow_key *k, int side)
{
    char a[ADDR_STRLEN];
    addr_ip(a, side == 0 ? k->a : k->b, k->ipver == 4 ? 4 : 16);
    snprintf(buf, cap, k->ipver == 4 ? "%s:%u" : "[%s]:%u", a, side == 0 ? k->pa : k->pb);
}

static void header(FILE *out, const flow *f)
{
    char c[64], s[64];
    view_endpoint(c, sizeof c, &f->key, 0);
    view_endpoint(s, sizeof s, &f->key, 1);
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

/* The words on a segment's arrow: "PSH,ACK seq 1 ack 1 len 5", " RETRANS" after a segment that
 * carries nothing new; a UDP datagram is "UDP len N". Shared with the SVG ladder
 * (view_svg_ladder.c), so the picture and the terminal say the same thing. */
void view_ladder_label(char *buf, size_t cap, const view_opts *o, const dec_packet *pkt,
                       const flow_info *fi)
{
    const dec_layer *tcp = dec_find(pkt, DEC_TCP), *udp = dec_find(pkt, DEC_UDP);
    if (tcp == NULL) {
        snprintf(buf, cap, "UDP len %" PRIu32, udp ? udp->u.udp.payload_len : 0);
        return;
    }
    const dec_tcp *t = &tcp->u.tcp;
    char fl[64] = "";
    for (const name_entry *e = names_tcp_flag; e->name; e++)
        if (t->flags & e->value)
            strcat(fl, fl[0] ? "," : ""), strcat(fl, e->name);
    bool rel = !o->absolute;
    int n = snprintf(buf, cap, "%s seq %" PRIu32, fl, rel ? fi->rel_seq : t->seq);
    if (n < 0 || (size_t)n >= cap)
        return;
    if (t->flags & DEC_TH_ACK)
        n += snprintf(buf + n, cap - (size_t)n, " ack %" PRIu32,
                      rel && fi->rel_ack_known ? fi->rel_ack : t->ack);
    if (t->payload_len && (size_t)n < cap)
        n += snprintf(buf + n, cap - (size_t)n, " len %" PRIu32, t->payload_len);
    if (fi->retransmission && (size_t)n < cap)
        snprintf(buf + n, cap - (size_t)n, " RETRANS");
}

/* What the ladder remembers of recent data segments, to say what each retransmission
 * answered: when the same first byte went out before, and how many duplicate ACKs the peer had
 * sent by then. A fixed table indexed by a hash of (conversation, direction, seq); when the
 * slots it may use are all taken the oldest is forgotten, and a retransmission of that segment
 * is then only marked RETRANS. */
#define SENT_SLOTS 256 /* a power of two */
#define SENT_PROBE 8   /* slots tried per lookup; a miss takes the oldest of them */
typedef struct sent_seg {
    bool used;
    uint64_t conv, frame;
    int dir;
    uint32_t seq;
    int64_t usec;     /* when it was sent, microseconds since 1970 */
    uint64_t dupacks; /* the peer's duplicate ACKs so far (flow.dupacks) */
    uint64_t sackdups;
    int64_t wait; /* > 0: this copy was sent by a timer, that long after the one before */
} sent_seg;

/* The slot of (conv, dir, seq): its own if it is remembered, else the oldest candidate. */
static sent_seg *sent_slot(uint64_t conv, int dir, uint32_t seq)
{
    static sent_seg table[SENT_SLOTS];
    uint32_t h = (uint32_t)(conv * 2654435761u) ^ (seq * 40503u) ^ (uint32_t)dir;
    h ^= h >> 16;
    sent_seg *victim = NULL;
    for (uint32_t i = 0; i < SENT_PROBE; i++) {
        sent_seg *e = &table[(h + i) & (SENT_SLOTS - 1)];
        if (e->used && e->conv == conv && e->dir == dir && e->seq == seq)
            return e;
        if (victim == NULL || !e->used || (victim->used && e->frame < victim->frame))
            victim = e;
    }
    victim->used = false;
    return victim;
}

/* Under a retransmission: which earlier frame it repeats, how long after, and why. Duplicate
 * ACKs in between (an ACK for the same byte again, often with SACK blocks naming what did
 * arrive) mean the sender inferred the loss: a fast retransmit (RFC 5681 3.2 waits for three;
 * with SACK, RACK (RFC 8985) may go after one). None in between means a timer fired: the
 * retransmission timeout, which doubles on each expiry for the same data (RFC 6298 5.5), or
 * a tail-loss probe (RFC 8985 7), which comes within a few round trips. */
static void retrans_note(FILE *out, const sent_seg *prev, int64_t now, const dec_tcp *t,
                         const flow *f, int dir, sent_seg *cur)
{
    int64_t gap = now - prev->usec;
    uint64_t dups = f->dupacks[1 - dir] - prev->dupacks;
    uint64_t sacks = f->sackdups[1 - dir] - prev->sackdups;
    uint32_t end = t->seq + t->payload_len;
    bool acked = f->have_ack[1 - dir] && (int32_t)(f->last_ack[1 - dir] - end) >= 0;
    fprintf(out, "%-24s^ repeats frame %" PRIu64 ", %" PRId64 ".%03" PRId64 " ms later", "",
            prev->frame, gap / 1000, gap % 1000);
    if (dups > 0) {
        fprintf(out, ", after %" PRIu64 " duplicate ACK%s%s: fast retransmit\n", dups,
                dups == 1 ? "" : "s", sacks ? " (SACK)" : "");
        return;
    }
    cur->wait = gap;
    if (acked)
        fprintf(out, ": its ACK is in the capture, so the ACK was lost on the way; a timer\n");
    else if (prev->wait > 0) /* doubled: the back-off; about the same: a probe before, or
                              * Linux's first SYN retries (1 s each, tcp_syn_linear_timeouts) */
        fprintf(out, ", no duplicate ACK: timer again, %.1fx the wait before%s\n",
                (double)gap / (double)prev->wait,
                (double)gap >= 1.5 * (double)prev->wait ? " (back-off)" : "");
    else
        fprintf(out, ", no duplicate ACK: a timer (timeout, or an early probe)\n");
}

/* Remember a data segment or a SYN; under a retransmission, say what it repeats. (A SYN sent
 * again is not marked RETRANS, the data counters leave it out, but it gets the note: its
 * first timeout is 1 s, RFC 6298 2.1.) */
static void sent_track(FILE *out, const view_frame *fr, const dec_tcp *t, const flow_info *fi)
{
    uint32_t usec;
    bool syn = t->flags & DEC_TH_SYN; /* a SYN sent again has the same seq (its ISN) */
    if ((t->payload_len == 0 && !syn) || !view_ts_usec(fr, &usec) || fr->sec < 0 ||
        fr->sec > 1000000000000)
        return;
    int64_t now = fr->sec * 1000000 + usec;
    sent_seg *slot = sent_slot(fi->f->conv, fi->dir, t->seq);
    sent_seg cur = {true,
                    fi->f->conv,
                    fr->n,
                    fi->dir,
                    t->seq,
                    now,
                    fi->f->dupacks[1 - fi->dir],
                    fi->f->sackdups[1 - fi->dir],
                    0};
    if ((fi->retransmission || syn) && slot->used && now >= slot->usec)
        retrans_note(out, slot, now, t, fi->f, fi->dir, &cur);
    *slot = cur;
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
    const dec_layer *tcp = dec_find(pkt, DEC_TCP);
    view_ladder_label(label, sizeof label, o, pkt, fi);
    fprintf(out, "%-6" PRIu64 " %-10s c%-4" PRIu64 " ", fr->n, since_start(fr), f->conv);
    arrow(out, label, fi->dir, '-');
    if (tcp)
        sent_track(out, fr, &tcp->u.tcp, fi);
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
