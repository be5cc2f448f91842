/*
 * test_reasm.c - TCP reassembly (sniffer/reasm.c): segments in every order, duplicated,
 * overlapping, missing, near the 2^32 wrap, and the memory caps.
 *
 * Each test cuts a known stream into segments, feeds them, and compares what comes out (gaps
 * written as '#' bytes) with what must come out.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "reasm.h"

#define STREAM 4096

typedef struct out {
    uint8_t buf[4 * STREAM];
    size_t n;
    unsigned gaps;
    uint64_t frames[64]; /* the frame each data call came from, in order */
    unsigned nframes;
} out;

static void on_data(void *user, const uint8_t *p, uint32_t n, uint64_t frame)
{
    out *o = user;
    assert_true(o->n + n <= sizeof o->buf);
    memcpy(o->buf + o->n, p, n);
    o->n += n;
    if (o->nframes < 64)
        o->frames[o->nframes++] = frame;
}

static void on_gap(void *user, uint32_t missing, uint64_t frame)
{
    out *o = user;
    (void)frame;
    assert_true(o->n + missing <= sizeof o->buf);
    memset(o->buf + o->n, '#', missing);
    o->n += missing;
    o->gaps++;
}

static uint8_t stream[STREAM];

static void fill_stream(unsigned seed)
{
    srand(seed);
    for (size_t i = 0; i < STREAM; i++)
        stream[i] = (uint8_t)('a' + rand() % 26);
}

typedef struct seg {
    uint32_t off, len;
} seg;

static void feed(reasm *r, uint32_t isn, const seg *s, const int *order, int n, const reasm_sink *k)
{
    for (int i = 0; i < n; i++) {
        const seg *g = &s[order[i]];
        assert_int_equal(reasm_add(r, isn + g->off, stream + g->off, g->len, (uint64_t)i + 1, k),
                         0);
    }
}

static void in_order(void **state)
{
    (void)state;
    fill_stream(1);
    static out o;
    memset(&o, 0, sizeof o);
    reasm_budget b = {0, 1 << 20, 0};
    reasm r;
    reasm_init(&r, &b, 1 << 16);
    reasm_start(&r, 1001);
    reasm_sink k = {on_data, on_gap, &o};
    seg s[] = {{0, 100}, {100, 1000}, {1100, 2996}};
    int order[] = {0, 1, 2};
    feed(&r, 1001, s, order, 3, &k);
    assert_int_equal(o.n, STREAM);
    assert_memory_equal(o.buf, stream, STREAM);
    assert_int_equal(o.nframes, 3);
    assert_int_equal(r.held, 0);
    assert_int_equal(b.used, 0);
    reasm_free(&r);
}

/* Heap's algorithm: every permutation of idx[0..n). */
static void permute(int *idx, int n, void (*fn)(const int *, int, void *), void *arg, int k)
{
    if (k == 1) {
        fn(idx, n, arg);
        return;
    }
    for (int i = 0; i < k; i++) {
        permute(idx, n, fn, arg, k - 1);
        int j = (k % 2) ? 0 : i;
        int t = idx[j];
        idx[j] = idx[k - 1];
        idx[k - 1] = t;
    }
}

typedef struct perm_case {
    const seg *s;
    uint32_t isn;
    size_t expect_len;
    unsigned runs;
} perm_case;

static void run_order(const int *order, int n, void *arg)
{
    perm_case *c = arg;
    static out o;
    memset(&o, 0, sizeof o);
    reasm_budget b = {0, 1 << 20, 0};
    reasm r;
    reasm_init(&r, &b, 1 << 16);
    reasm_start(&r, c->isn);
    reasm_sink k = {on_data, on_gap, &o};
    feed(&r, c->isn, c->s, order, n, &k);
    reasm_flush(&r, 99, &k);
    assert_int_equal(o.gaps, 0);
    assert_int_equal(o.n, c->expect_len);
    assert_memory_equal(o.buf, stream, c->expect_len);
    assert_int_equal(r.conflicts, 0);
    assert_int_equal(b.used, 0);
    reasm_free(&r);
    c->runs++;
}

/* Six segments, two of them duplicates and two overlapping others, in all 720 orders; and the
 * same across the 2^32 wrap of the sequence space. */
static void every_order(void **state)
{
    (void)state;
    fill_stream(2);
    static const seg s[] = {{0, 500}, {500, 700}, {1200, 300}, {500, 700}, {300, 600}, {1400, 600}};
    int idx[6] = {0, 1, 2, 3, 4, 5};
    perm_case c = {s, 7, 2000, 0};
    permute(idx, 6, run_order, &c, 6);
    assert_int_equal(c.runs, 720);
    c.isn = 0xffffffffu - 900; /* the stream wraps inside the second segment */
    c.runs = 0;
    permute(idx, 6, run_order, &c, 6);
    assert_int_equal(c.runs, 720);
}

/* Random segmentations with random overlaps and duplicates, shuffled. */
static void random_overlaps(void **state)
{
    (void)state;
    for (unsigned seed = 1; seed <= 300; seed++) {
        fill_stream(seed);
        seg s[200];
        int n = 0;
        for (uint32_t off = 0; off < STREAM && n < 150;) {
            uint32_t len = 1 + (uint32_t)(rand() % 300);
            if (off + len > STREAM)
                len = STREAM - off;
            s[n++] = (seg){off, len};
            uint32_t back = (uint32_t)(rand() % 3) == 0 ? (uint32_t)(rand() % 100) : 0;
            off = off + len > back ? off + len - back : off + len;
            if (rand() % 5 == 0 && n < 199) { /* a duplicate of an earlier one */
                seg dup = s[rand() % n];
                s[n++] = dup;
            }
        }
        if (s[n - 1].off + s[n - 1].len < STREAM) /* the loop stopped early: finish the stream */
            s[n++] = (seg){0, STREAM};
        int order[200];
        for (int i = 0; i < n; i++)
            order[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int j = rand() % (i + 1), t = order[i];
            order[i] = order[j], order[j] = t;
        }
        static out o;
        memset(&o, 0, sizeof o);
        reasm_budget b = {0, 1 << 20, 0};
        reasm r;
        reasm_init(&r, &b, 1 << 16);
        uint32_t isn = (uint32_t)rand() * 2654435761u;
        reasm_start(&r, isn);
        reasm_sink k = {on_data, on_gap, &o};
        feed(&r, isn, s, order, n, &k);
        reasm_flush(&r, 0, &k);
        assert_int_equal(o.gaps, 0);
        assert_int_equal(o.n, STREAM);
        assert_memory_equal(o.buf, stream, STREAM);
        assert_int_equal(b.used, 0);
        reasm_free(&r);
    }
}

/* Two copies of the same bytes that differ: the first one received is kept. */
static void first_copy_wins(void **state)
{
    (void)state;
    fill_stream(3);
    static out o;
    memset(&o, 0, sizeof o);
    reasm_budget b = {0, 1 << 20, 0};
    reasm r;
    reasm_init(&r, &b, 1 << 16);
    reasm_start(&r, 0);
    reasm_sink k = {on_data, on_gap, &o};
    uint8_t other[100];
    memset(other, 'X', sizeof other);
    assert_int_equal(reasm_add(&r, 100, stream + 100, 100, 1, &k), 0); /* held */
    assert_int_equal(reasm_add(&r, 100, other, 100, 2, &k), 0);        /* differs: dropped */
    assert_int_equal(reasm_add(&r, 0, stream, 100, 3, &k), 0);
    assert_int_equal(o.n, 200);
    assert_memory_equal(o.buf, stream, 200);
    assert_int_equal(r.conflicts, 1);
    assert_int_equal(r.retrans, 100);
    /* and bytes already delivered are never delivered again */
    assert_int_equal(reasm_add(&r, 150, other, 100, 4, &k), 0);
    assert_int_equal(o.n, 250);
    assert_memory_equal(o.buf + 200, other + 50, 50);
    reasm_free(&r);
}

/* A segment never captured: the flush delivers a gap of its exact size, then the rest. */
static void gap_at_flush(void **state)
{
    (void)state;
    fill_stream(4);
    static out o;
    memset(&o, 0, sizeof o);
    reasm_budget b = {0, 1 << 20, 0};
    reasm r;
    reasm_init(&r, &b, 1 << 16);
    reasm_start(&r, 500);
    reasm_sink k = {on_data, on_gap, &o};
    assert_int_equal(reasm_add(&r, 500, stream, 100, 1, &k), 0);
    assert_int_equal(reasm_add(&r, 700, stream + 200, 100, 2, &k), 0); /* 100..200 missing */
    assert_int_equal(reasm_add(&r, 900, stream + 400, 100, 3, &k), 0); /* 300..400 missing */
    assert_int_equal(o.n, 100);
    reasm_flush(&r, 4, &k);
    assert_int_equal(o.gaps, 2);
    assert_int_equal(o.n, 500);
    uint8_t want[500];
    memcpy(want, stream, 500);
    memset(want + 100, '#', 100);
    memset(want + 300, '#', 100);
    assert_memory_equal(o.buf, want, 500);
    assert_int_equal(r.gap_bytes, 200);
    assert_int_equal(b.used, 0);
    reasm_free(&r);
}

/* The per-stream cap: holding more gives up on the first hole, and the count says so. */
static void stream_cap(void **state)
{
    (void)state;
    fill_stream(5);
    static out o;
    memset(&o, 0, sizeof o);
    reasm_budget b = {0, 1 << 20, 0};
    reasm r;
    reasm_init(&r, &b, 250);
    reasm_start(&r, 0);
    reasm_sink k = {on_data, on_gap, &o};
    /* 0..100 is never sent; 100..400 arrives in three pieces: the third does not fit */
    assert_int_equal(reasm_add(&r, 100, stream + 100, 100, 1, &k), 0);
    assert_int_equal(reasm_add(&r, 200, stream + 200, 100, 2, &k), 0);
    assert_true(r.held <= 250);
    assert_int_equal(o.n, 0);
    assert_int_equal(reasm_add(&r, 300, stream + 300, 100, 3, &k), 0);
    assert_int_equal(r.over_stream, 1);
    assert_int_equal(o.gaps, 1);
    assert_int_equal(o.n, 400);
    uint8_t want[400];
    memcpy(want, stream, 400);
    memset(want, '#', 100);
    assert_memory_equal(o.buf, want, 400);
    assert_true(r.held <= r.cap);
    reasm_free(&r);
}

/* The budget shared by all streams: one stream's holes cannot take all of it. */
static void shared_budget(void **state)
{
    (void)state;
    fill_stream(6);
    static out o1, o2;
    memset(&o1, 0, sizeof o1);
    memset(&o2, 0, sizeof o2);
    reasm_budget b = {0, 300, 0};
    reasm r1, r2;
    reasm_init(&r1, &b, 1 << 16);
    reasm_init(&r2, &b, 1 << 16);
    reasm_start(&r1, 0);
    reasm_start(&r2, 0);
    reasm_sink k1 = {on_data, on_gap, &o1}, k2 = {on_data, on_gap, &o2};
    assert_int_equal(reasm_add(&r1, 100, stream + 100, 200, 1, &k1), 0); /* held: 200 */
    assert_int_equal(reasm_add(&r2, 100, stream + 100, 100, 2, &k2), 0); /* held: 300 */
    assert_int_equal(b.used, 300);
    assert_int_equal(reasm_add(&r2, 200, stream + 200, 100, 3, &k2), 0); /* over: r2 gives up */
    assert_int_equal(b.over, 1);
    assert_int_equal(o2.gaps, 1);
    assert_int_equal(o2.n, 300);
    assert_true(b.used <= b.cap);
    reasm_free(&r1);
    reasm_free(&r2);
    assert_int_equal(b.used, 0);
}

/* A segment cut by the snapshot length: its missing tail is a gap at once, and the stream goes
 * on with the next segment. */
static void snapshot_cut(void **state)
{
    (void)state;
    fill_stream(7);
    static out o;
    memset(&o, 0, sizeof o);
    reasm_budget b = {0, 1 << 20, 0};
    reasm r;
    reasm_init(&r, &b, 1 << 16);
    reasm_sink k = {on_data, on_gap, &o};
    /* not started: the stream begins at the first segment seen (a capture begun mid-stream) */
    assert_int_equal(reasm_add(&r, 4000, stream, 60, 1, &k), 0);
    reasm_gap(&r, 4060, 40, 1, &k); /* the segment was 100 bytes; 60 were captured */
    assert_int_equal(reasm_add(&r, 4100, stream + 100, 100, 2, &k), 0);
    assert_int_equal(o.gaps, 1);
    assert_int_equal(o.n, 200);
    uint8_t want[200];
    memcpy(want, stream, 200);
    memset(want + 60, '#', 40);
    assert_memory_equal(o.buf, want, 200);
    /* a gap report for bytes that are not next is only a hole (a retransmission may fill it) */
    reasm_gap(&r, 4300, 10, 3, &k);
    assert_int_equal(o.gaps, 1);
    reasm_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(in_order),        cmocka_unit_test(every_order),
        cmocka_unit_test(random_overlaps), cmocka_unit_test(first_copy_wins),
        cmocka_unit_test(gap_at_flush),    cmocka_unit_test(stream_cap),
        cmocka_unit_test(shared_budget),   cmocka_unit_test(snapshot_cut),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
