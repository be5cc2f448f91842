/*
 * reasm.c - TCP reassembly for one direction of a connection (see reasm.h for the rules).
 *
 * The held segments are a sorted list of non-overlapping pieces. A new segment is first cut
 * to what the stream has not delivered yet (the rest is a retransmission), then to what no held
 * piece covers (the first copy received wins), and the remaining pieces are inserted. Then
 * everything that now starts at the next expected byte is delivered, in order.
 *
 * Tested by tests/sniffer/test_reasm.c (every order of a set of segments, duplicates,
 * overlaps, gaps, the caps) and fuzzed by tests/sniffer/fuzz_decode.c through the views.
 */
#include "reasm.h"

#include <stdlib.h>
#include <string.h>

struct reasm_seg {
    reasm_seg *next;
    uint32_t seq, len;
    uint64_t frame;
    uint8_t data[];
};

/* Signed distance a - b in sequence space (RFC 9293 3.4: comparisons are modulo 2^32). */
static int32_t seq_diff(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b);
}

void reasm_init(reasm *r, reasm_budget *budget, size_t cap)
{
    memset(r, 0, sizeof *r);
    r->budget = budget;
    r->cap = cap;
}

void reasm_start(reasm *r, uint32_t seq)
{
    r->started = true;
    r->next = seq;
}

static void emit(reasm *r, const uint8_t *p, uint32_t n, uint64_t frame, const reasm_sink *sink)
{
    r->next += n;
    r->delivered += n;
    if (sink && sink->data)
        sink->data(sink->user, p, n, frame);
}

static void emit_gap(reasm *r, uint32_t n, uint64_t frame, const reasm_sink *sink)
{
    r->next += n;
    r->gaps++;
    r->gap_bytes += n;
    if (sink && sink->gap)
        sink->gap(sink->user, n, frame);
}

static void release(reasm *r, reasm_seg *s)
{
    r->held -= s->len;
    if (r->budget)
        r->budget->used -= s->len;
    free(s);
}

/* Deliver the held pieces that start at the next expected byte. */
static void drain(reasm *r, const reasm_sink *sink)
{
    while (r->ooo && r->ooo->seq == r->next) {
        reasm_seg *s = r->ooo;
        r->ooo = s->next;
        emit(r, s->data, s->len, s->frame, sink);
        release(r, s);
    }
}

static bool fits(reasm *r, uint32_t n)
{
    if (r->held + n > r->cap) {
        r->over_stream++;
        return false;
    }
    if (r->budget && r->budget->used + n > r->budget->cap) {
        r->budget->over++;
        return false;
    }
    return true;
}

/* Insert [seq, seq + n) before *link (the caller found the place). */
static int insert_piece(reasm *r, reasm_seg **link, uint32_t seq, const uint8_t *p, uint32_t n,
                        uint64_t frame)
{
    reasm_seg *s = malloc(sizeof *s + n);
    if (s == NULL)
        return -1;
    s->seq = seq, s->len = n, s->frame = frame;
    memcpy(s->data, p, n);
    s->next = *link;
    *link = s;
    r->held += n;
    if (r->budget)
        r->budget->used += n;
    return 0;
}

/* Hold the parts of [seq, seq + n) that no held piece covers; count the covered parts. */
static int hold(reasm *r, uint32_t seq, const uint8_t *p, uint32_t n, uint64_t frame)
{
    reasm_seg **link = &r->ooo;
    uint32_t cur = seq, end = seq + n;
    while (*link && seq_diff(cur, end) < 0) {
        reasm_seg *h = *link;
        uint32_t hend = h->seq + h->len;
        if (seq_diff(hend, cur) <= 0) { /* wholly before what is left of ours */
            link = &h->next;
            continue;
        }
        if (seq_diff(h->seq, end) >= 0) /* wholly after ours */
            break;
        if (seq_diff(h->seq, cur) > 0) { /* a part of ours comes first: insert it */
            uint32_t part = h->seq - cur;
            if (insert_piece(r, link, cur, p + (cur - seq), part, frame) < 0)
                return -1;
            link = &(*link)->next;
            cur = h->seq;
        }
        /* the overlap [cur, min(end, hend)) is held already: the first copy wins */
        uint32_t oend = seq_diff(end, hend) < 0 ? end : hend;
        uint32_t olen = oend - cur;
        if (memcmp(h->data + (cur - h->seq), p + (cur - seq), olen) != 0)
            r->conflicts++;
        r->retrans += olen;
        cur = oend;
        link = &h->next;
    }
    if (seq_diff(cur, end) < 0 && insert_piece(r, link, cur, p + (cur - seq), end - cur, frame) < 0)
        return -1;
    return 0;
}

/* Give up on the first hole: the bytes up to `upto` (or the first held piece, if sooner) will
 * not come; deliver the gap and what follows it. */
static void give_up_hole(reasm *r, uint32_t upto, uint64_t frame, const reasm_sink *sink)
{
    if (r->ooo && seq_diff(r->ooo->seq, upto) < 0)
        upto = r->ooo->seq;
    if (seq_diff(upto, r->next) > 0)
        emit_gap(r, upto - r->next, frame, sink);
    drain(r, sink);
}

int reasm_add(reasm *r, uint32_t seq, const uint8_t *data, uint32_t n, uint64_t frame,
              const reasm_sink *sink)
{
    if (n == 0)
        return 0;
    if (!r->started)
        reasm_start(r, seq);
    int32_t d = seq_diff(seq, r->next);
    if (d < 0) { /* some or all of it was delivered already */
        uint32_t old = (uint32_t) - (int64_t)d;
        if (old >= n) {
            r->retrans += n;
            return 0;
        }
        r->retrans += old;
        seq += old, data += old, n -= old;
        d = 0;
    }
    if (d == 0 && (r->ooo == NULL || seq_diff(seq + n, r->ooo->seq) <= 0)) {
        emit(r, data, n, frame, sink); /* the common case: in order, nothing held after it */
        drain(r, sink);
        return 0;
    }
    /* Out of order (or in order but overlapping held pieces): hold it, then deliver what can
     * go. In-order bytes are delivered at once, so only out-of-order bytes count against the
     * caps. */
    while (d > 0 && !fits(r, n)) {
        give_up_hole(r, seq, frame, sink);
        d = seq_diff(seq, r->next);
    }
    if (d < 0) /* a gap moved the stream past part of this segment */
        return reasm_add(r, seq, data, n, frame, sink);
    int rc = hold(r, seq, data, n, frame);
    drain(r, sink);
    if (rc < 0) /* out of memory: what could not be held is missing, like an uncaptured segment */
        give_up_hole(r, seq + n, frame, sink);
    return rc;
}

void reasm_gap(reasm *r, uint32_t seq, uint32_t n, uint64_t frame, const reasm_sink *sink)
{
    if (!r->started || n == 0 || seq != r->next)
        return; /* not the next byte yet: it stays a hole that a retransmission may fill */
    uint32_t upto = seq + n;
    while (seq_diff(upto, r->next) > 0) {
        uint32_t stop = upto; /* a held piece may cover part of the hole: stop the gap there */
        if (r->ooo && seq_diff(r->ooo->seq, stop) < 0)
            stop = r->ooo->seq;
        if (seq_diff(stop, r->next) > 0)
            emit_gap(r, stop - r->next, frame, sink);
        drain(r, sink);
    }
}

void reasm_flush(reasm *r, uint64_t frame, const reasm_sink *sink)
{
    while (r->ooo)
        give_up_hole(r, r->ooo->seq, frame, sink);
}

void reasm_free(reasm *r)
{
    while (r->ooo) {
        reasm_seg *s = r->ooo;
        r->ooo = s->next;
        release(r, s);
    }
}
