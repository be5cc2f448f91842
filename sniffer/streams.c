/*
 * streams.c - the table of reassembled conversations (see streams.h).
 *
 * A segment's sequence number says where its bytes go. The SYN consumes one number (RFC 9293
 * 3.4), so the first data byte is ISN + 1; a capture that began mid-connection starts each
 * direction at the first segment it saw. A segment cut by the snapshot length has a tail that
 * was on the wire but not in the capture: that tail is a gap. An RST, or a FIN in both
 * directions, ends the conversation: what is still missing then never comes.
 */
#include "streams.h"

#include "reasm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROBE 8 /* slots tried per lookup before the least recently seen of them is ended */

typedef struct sentry sentry;

typedef struct side { /* what a reassembler's sink needs to know */
    streams *s;
    sentry *e;
    int dir;
} side;

struct sentry {
    uint64_t conv, last_seen;
    reasm r[2];
    side sides[2];
    sconv c;
    bool fin[2], ended;
};

struct streams {
    streams_msg_fn fn;
    void *user;
    uint64_t follow;
    streams_raw_fn raw;
    void *raw_user;
    uint64_t npackets;
    reasm_budget budget;
    streams_counts n;
    bool said_stream, said_budget, said_evict;
    sentry *slot[STREAMS_MAX];
};

streams *streams_new(streams_msg_fn fn, void *user)
{
    streams *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    s->fn = fn;
    s->user = user;
    s->budget.cap = STREAMS_BUDGET;
    return s;
}

void streams_follow(streams *s, uint64_t conv, streams_raw_fn fn, void *user)
{
    s->follow = conv;
    s->raw = fn;
    s->raw_user = user;
}

static void on_msg(void *user, const smsg *m)
{
    sentry *e = user;
    streams *s = e->sides[0].s;
    s->n.messages++;
    if (s->fn)
        s->fn(s->user, e->conv, m);
}

static void on_data(void *user, const uint8_t *p, uint32_t n, uint64_t frame)
{
    side *sd = user;
    if (sd->s->raw && sd->e->conv == sd->s->follow)
        sd->s->raw(sd->s->raw_user, sd->dir, p, n, 0, frame);
    sconv_data(&sd->e->c, sd->dir, p, n, frame);
}

static void on_gap(void *user, uint32_t missing, uint64_t frame)
{
    side *sd = user;
    if (sd->s->raw && sd->e->conv == sd->s->follow)
        sd->s->raw(sd->s->raw_user, sd->dir, NULL, 0, missing, frame);
    sconv_gap(&sd->e->c, sd->dir, missing, frame);
}

static reasm_sink sink_of(sentry *e, int dir)
{
    return (reasm_sink){on_data, on_gap, &e->sides[dir]};
}

/* Say once, on stderr, that a limit bit (the counts keep the totals). */
static void say_limits(streams *s, const sentry *e)
{
    if (!s->said_stream && (e->r[0].over_stream || e->r[1].over_stream)) {
        s->said_stream = true;
        fprintf(stderr,
                "sniffer: conversation %llu held more than %u bytes out of order in one "
                "direction; its first hole is shown as a gap (limit: STREAMS_HOLD)\n",
                (unsigned long long)e->conv, STREAMS_HOLD);
    }
    if (!s->said_budget && s->budget.over) {
        s->said_budget = true;
        fprintf(stderr,
                "sniffer: all conversations together held %zu MiB out of order; holes are "
                "shown as gaps from here on (limit: STREAMS_BUDGET)\n",
                STREAMS_BUDGET >> 20);
    }
}

/* The conversation is over: what is still missing is a gap, half-read messages are cut. */
static void end_entry(streams *s, sentry *e, uint64_t frame)
{
    if (e->ended)
        return;
    for (int d = 0; d < 2; d++) {
        reasm_sink k = sink_of(e, d);
        reasm_flush(&e->r[d], frame, &k);
    }
    sconv_end(&e->c, frame);
    say_limits(s, e);
    e->ended = true;
}

/* End it and add its counts to the totals; its memory is the caller's. */
static void retire_entry(streams *s, sentry *e, uint64_t frame)
{
    end_entry(s, e, frame);
    for (int d = 0; d < 2; d++) {
        s->n.gaps += e->r[d].gaps;
        s->n.gap_bytes += e->r[d].gap_bytes;
        s->n.retrans_bytes += e->r[d].retrans;
        s->n.conflicts += e->r[d].conflicts;
        s->n.over_stream += e->r[d].over_stream;
        reasm_free(&e->r[d]);
    }
}

static void free_entry(streams *s, sentry *e, uint64_t frame)
{
    retire_entry(s, e, frame);
    free(e);
}

/* Each part is set by its own init, with no memset of the whole entry first: sconv_init
 * already zeroes its 24 KB, and zeroing them twice cost --layers a tenth of its instructions. */
static void init_entry(streams *s, sentry *e, uint64_t conv)
{
    e->conv = conv;
    e->last_seen = 0;
    e->fin[0] = e->fin[1] = e->ended = false;
    for (int d = 0; d < 2; d++) {
        reasm_init(&e->r[d], &s->budget, STREAMS_HOLD);
        e->sides[d] = (side){s, e, d};
    }
    sconv_init(&e->c, on_msg, e);
    s->n.conversations++;
}

static sentry *lookup(streams *s, uint64_t conv, uint64_t frame)
{
    size_t victim = STREAMS_MAX;
    for (size_t i = 0; i < PROBE; i++) {
        size_t k = (size_t)((conv + i) % STREAMS_MAX);
        sentry *e = s->slot[k];
        if (e && e->conv == conv)
            return e;
        if (victim == STREAMS_MAX || e == NULL ||
            (s->slot[victim] && e->last_seen < s->slot[victim]->last_seen))
            victim = k;
    }
    if (s->slot[victim]) {
        s->n.evicted++;
        if (!s->said_evict) {
            s->said_evict = true;
            fprintf(stderr,
                    "sniffer: more than %d conversations at once: the least recently seen are "
                    "ended early, their half-read messages shown cut (limit: STREAMS_MAX)\n",
                    STREAMS_MAX);
        }
        free_entry(s, s->slot[victim], frame);
        s->slot[victim] = NULL;
    }
    sentry *e = malloc(sizeof *e);
    if (e == NULL)
        return NULL;
    init_entry(s, e, conv);
    s->slot[victim] = e;
    return e;
}

/* The segment's TCP layer (not one quoted inside an ICMP error). */
static const dec_layer *tcp_layer(const dec_packet *pkt)
{
    for (int i = 0; i < pkt->nlayers; i++) {
        const dec_layer *l = &pkt->layers[i];
        if (l->proto == DEC_ICMP || l->proto == DEC_ICMPV6)
            return NULL;
        if (l->proto == DEC_TCP)
            return l->truncated ? NULL : l;
    }
    return NULL;
}

void streams_packet(streams *s, const dec_packet *pkt, const flow_info *fi, uint64_t frame)
{
    s->npackets++;
    const dec_layer *l = tcp_layer(pkt);
    if (fi->f == NULL || l == NULL)
        return;
    const dec_tcp *t = &l->u.tcp;
    int dir = fi->dir;
    bool syn = t->flags & DEC_TH_SYN;
    sentry *e = lookup(s, fi->f->conv, frame);
    if (e == NULL)
        return;
    e->last_seen = s->npackets;
    if (syn && dir == 0 && !(t->flags & DEC_TH_ACK) && (e->r[0].delivered || e->r[1].delivered)) {
        retire_entry(s, e, frame); /* a new connection on the same ports */
        init_entry(s, e, fi->f->conv);
    }
    if (e->ended)
        return; /* after RST or both FINs: only retransmissions could follow */
    uint32_t seq = t->seq + (syn ? 1u : 0u); /* the SYN takes one sequence number */
    if (syn && !e->r[dir].started)           /* (a retransmitted SYN must not restart the stream) */
        reasm_start(&e->r[dir], seq);
    uint32_t captured = l->cap > t->hdr_len ? l->cap - t->hdr_len : 0;
    if (captured > t->payload_len)
        captured = t->payload_len; /* Ethernet padding after a short segment is not payload */
    reasm_sink k = sink_of(e, dir);
    if (captured > 0 &&
        reasm_add(&e->r[dir], seq, pkt->bytes + l->off + t->hdr_len, captured, frame, &k) < 0)
        fprintf(stderr, "sniffer: out of memory in reassembly; frame %llu is shown as a gap\n",
                (unsigned long long)frame);
    if (t->payload_len > captured)
        reasm_gap(&e->r[dir], seq + captured, t->payload_len - captured, frame, &k);
    if (t->flags & DEC_TH_FIN)
        e->fin[dir] = true;
    if ((t->flags & DEC_TH_RST) || (e->fin[0] && e->fin[1]))
        end_entry(s, e, frame);
    say_limits(s, e);
}

void streams_finish(streams *s, uint64_t frame)
{
    for (size_t i = 0; i < STREAMS_MAX; i++)
        if (s->slot[i])
            end_entry(s, s->slot[i], frame);
}

void streams_get_counts(const streams *s, streams_counts *out)
{
    *out = s->n;
    for (size_t i = 0; i < STREAMS_MAX; i++) {
        const sentry *e = s->slot[i];
        for (int d = 0; e && d < 2; d++) {
            out->gaps += e->r[d].gaps;
            out->gap_bytes += e->r[d].gap_bytes;
            out->retrans_bytes += e->r[d].retrans;
            out->conflicts += e->r[d].conflicts;
            out->over_stream += e->r[d].over_stream;
        }
    }
    out->over_budget = s->budget.over;
}

void streams_free(streams *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < STREAMS_MAX; i++)
        if (s->slot[i])
            free_entry(s, s->slot[i], 0);
    free(s);
}
