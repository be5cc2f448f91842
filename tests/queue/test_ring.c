/*
 * test_ring.c - unit tests of queue/ring.h: full and empty, wraparound past 2^32, both
 * overflow policies, replay after a gap, records straddling the end, timeouts.
 *
 * Run: ctest --test-dir build -R queue_ring_test --output-on-failure
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ring.h"
#include "ring_spsc_inline.h"

/* Push the text "m<offset-ish number>" and check the offset we got. */
static void push_text(ring_log *l, const char *text, uint64_t want_offset)
{
    uint64_t off = 0;
    assert_int_equal(ring_log_push(l, text, strlen(text), &off), RING_OK);
    assert_int_equal(off, want_offset);
}

static void pop_text(ring_log *l, const char *want, uint64_t want_offset)
{
    char buf[256];
    size_t len = 0;
    uint64_t off = 0;
    assert_int_equal(ring_log_pop(l, buf, sizeof buf, &len, &off), RING_OK);
    assert_int_equal(len, strlen(want));
    assert_memory_equal(buf, want, len);
    assert_int_equal(off, want_offset);
}

static void test_log_empty_and_full(void **state)
{
    (void)state;
    /* 32 bytes hold exactly four 4-byte messages (4 + 4 each). */
    ring_log *l = ring_log_new(32, 0, RING_REJECT);
    assert_non_null(l);
    char buf[8];
    size_t len;
    assert_int_equal(ring_log_pop(l, buf, sizeof buf, &len, NULL), RING_EMPTY);
    assert_int_equal(ring_log_count(l), 0);
    assert_int_equal(ring_log_first(l), 1);
    assert_int_equal(ring_log_next(l), 1);
    push_text(l, "aaaa", 1);
    push_text(l, "bbbb", 2);
    push_text(l, "cccc", 3);
    push_text(l, "dddd", 4);
    assert_int_equal(ring_log_count(l), 4);
    /* Full: head - tail == capacity, yet head & mask == tail & mask. Only the counters tell. */
    assert_int_equal(ring_log_push(l, "e", 1, NULL), RING_FULL);
    assert_int_equal(ring_log_push(l, "", 0, NULL), RING_FULL);
    pop_text(l, "aaaa", 1);
    push_text(l, "eeee", 5);
    pop_text(l, "bbbb", 2);
    pop_text(l, "cccc", 3);
    pop_text(l, "dddd", 4);
    pop_text(l, "eeee", 5);
    assert_int_equal(ring_log_pop(l, buf, sizeof buf, &len, NULL), RING_EMPTY);
    assert_int_equal(ring_log_overwritten(l), 0);
    ring_log_free(l);
}

static void test_log_rejects_bad_sizes(void **state)
{
    (void)state;
    assert_null(ring_log_new(24, 0, RING_REJECT)); /* not a power of two */
    assert_null(ring_log_new(8, 0, RING_REJECT));  /* too small */
    assert_null(ring_log_new(0, 0, RING_REJECT));
    assert_null(ring_log_new_at(16, 0, RING_REJECT, 0)); /* offsets start at 1 or later */
    ring_log *l = ring_log_new(16, 0, RING_OVERWRITE);
    char big[13] = {0};
    /* 12 payload bytes + 4 header = the whole ring: fits; 13 never can, whatever the policy. */
    assert_int_equal(ring_log_push(l, big, 13, NULL), RING_TOOBIG);
    assert_int_equal(ring_log_push(l, big, 12, NULL), RING_OK);
    assert_int_equal(ring_log_max_msg(l), 12);
    ring_log_free(l);
}

static void test_log_too_small_buffer_keeps_message(void **state)
{
    (void)state;
    ring_log *l = ring_log_new(64, 0, RING_REJECT);
    push_text(l, "hello world", 1);
    char small[4];
    size_t len = 0;
    assert_int_equal(ring_log_pop(l, small, sizeof small, &len, NULL), RING_TOOSMALL);
    assert_int_equal(len, 11);
    pop_text(l, "hello world", 1);
    ring_log_free(l);
}

static void test_log_max_msgs_limit(void **state)
{
    (void)state;
    ring_log *l = ring_log_new(1024, 3, RING_REJECT);
    push_text(l, "a", 1);
    push_text(l, "b", 2);
    push_text(l, "c", 3);
    assert_int_equal(ring_log_push(l, "d", 1, NULL), RING_FULL);
    ring_log_free(l);

    l = ring_log_new(1024, 3, RING_OVERWRITE);
    push_text(l, "a", 1);
    push_text(l, "b", 2);
    push_text(l, "c", 3);
    push_text(l, "d", 4);
    assert_int_equal(ring_log_count(l), 3);
    assert_int_equal(ring_log_overwritten(l), 1);
    pop_text(l, "b", 2);
    ring_log_free(l);
}

static void test_log_overwrite_counts_losses(void **state)
{
    (void)state;
    ring_log *l = ring_log_new(32, 0, RING_OVERWRITE);
    push_text(l, "1111", 1);
    push_text(l, "2222", 2);
    push_text(l, "3333", 3);
    push_text(l, "4444", 4);
    push_text(l, "5555", 5); /* drops 1 */
    assert_int_equal(ring_log_overwritten(l), 1);
    assert_int_equal(ring_log_first(l), 2);
    /* A 12-byte message needs 16 bytes: two 8-byte records must go. */
    push_text(l, "666666666666", 6);
    assert_int_equal(ring_log_overwritten(l), 3);
    assert_int_equal(ring_log_first(l), 4);
    pop_text(l, "4444", 4);
    pop_text(l, "5555", 5);
    pop_text(l, "666666666666", 6);
    ring_log_free(l);
}

/*
 * Offsets and byte counters past 2^32: a 32-bit counter would wrap here. Start just below it
 * and run many records of varying length through a small ring, so the records also straddle
 * the end of the array at every possible split.
 */
static void test_log_wraparound_past_2_32(void **state)
{
    (void)state;
    uint64_t start = (UINT64_C(1) << 32) - 7;
    ring_log *l = ring_log_new_at(64, 0, RING_REJECT, start);
    assert_non_null(l);
    char in[32], out[32];
    for (uint64_t i = 0; i < 1000; i++) {
        size_t n = (size_t)(i % 23);
        memset(in, (int)('a' + i % 26), n);
        uint64_t off = 0;
        assert_int_equal(ring_log_push(l, in, n, &off), RING_OK);
        assert_int_equal(off, start + i);
        size_t len = 99;
        uint64_t got = 0;
        assert_int_equal(ring_log_pop(l, out, sizeof out, &len, &got), RING_OK);
        assert_int_equal(len, n);
        assert_int_equal(got, start + i);
        assert_memory_equal(in, out, n);
    }
    assert_true(ring_log_first(l) > (UINT64_C(1) << 32));
    ring_log_free(l);
}

/* A record whose header and payload both straddle the end of the array. */
static void test_log_record_straddles_end(void **state)
{
    (void)state;
    ring_log *l = ring_log_new(16, 0, RING_REJECT);
    /* Move the counters to 14: the next header starts 2 bytes before the end. */
    push_text(l, "0123456789", 1); /* 14 bytes: 0..13 */
    pop_text(l, "0123456789", 1);
    push_text(l, "ABCDEFGH", 2); /* header at 14,15,0,1 - payload at 2..9 */
    pop_text(l, "ABCDEFGH", 2);
    /* Counter at 26 (array index 10): payload 6 bytes from 14 straddles 15 -> 0. */
    push_text(l, "xyzuvw", 3);
    pop_text(l, "xyzuvw", 3);
    ring_log_free(l);
}

static void replay_expect(ring_log *l, uint64_t after, uint64_t want_missed, uint64_t from,
                          uint64_t to)
{
    ring_log_iter it;
    uint64_t missed = 99;
    assert_int_equal(ring_log_after(l, after, &it, &missed), RING_OK);
    assert_int_equal(missed, want_missed);
    char buf[64], want[64];
    size_t len;
    uint64_t off;
    for (uint64_t o = from; o <= to; o++) {
        assert_int_equal(ring_log_iter_next(&it, buf, sizeof buf, &len, &off), RING_OK);
        assert_int_equal(off, o);
        snprintf(want, sizeof want, "event %llu", (unsigned long long)o);
        assert_int_equal(len, strlen(want));
        assert_memory_equal(buf, want, len);
    }
    assert_int_equal(ring_log_iter_next(&it, buf, sizeof buf, &len, &off), RING_EMPTY);
}

static void push_events(ring_log *l, uint64_t from, uint64_t to)
{
    char text[64];
    for (uint64_t o = from; o <= to; o++) {
        snprintf(text, sizeof text, "event %llu", (unsigned long long)o);
        push_text(l, text, o);
    }
}

static void test_log_replay_without_gap(void **state)
{
    (void)state;
    ring_log *l = ring_log_new(1024, 8, RING_OVERWRITE);
    push_events(l, 1, 6);
    replay_expect(l, 0, 0, 1, 6); /* after 0: everything held */
    replay_expect(l, 3, 0, 4, 6);
    replay_expect(l, 6, 0, 7, 6); /* up to date: nothing to replay */
    ring_log_iter it;
    uint64_t missed;
    assert_int_equal(ring_log_after(l, 7, &it, &missed), RING_FUTURE);
    ring_log_free(l);
}

static void test_log_replay_after_gap(void **state)
{
    (void)state;
    ring_log *l = ring_log_new(1024, 8, RING_OVERWRITE);
    push_events(l, 1, 20); /* holds 13..20; 1..12 overwritten */
    assert_int_equal(ring_log_overwritten(l), 12);
    assert_int_equal(ring_log_first(l), 13);
    replay_expect(l, 5, 7, 13, 20);  /* missed 6..12 = 7, then the 8 held */
    replay_expect(l, 12, 0, 13, 20); /* exactly at the edge: no gap */
    replay_expect(l, 11, 1, 13, 20);
    replay_expect(l, 0, 12, 13, 20);
    ring_log_free(l);
}

static void test_log_iterator_sees_later_pushes_and_gaps(void **state)
{
    (void)state;
    ring_log *l = ring_log_new(1024, 4, RING_OVERWRITE);
    push_events(l, 1, 2);
    ring_log_iter it;
    uint64_t missed;
    char buf[64];
    size_t len;
    uint64_t off;
    assert_int_equal(ring_log_after(l, 0, &it, &missed), RING_OK);
    assert_int_equal(ring_log_iter_next(&it, buf, sizeof buf, &len, &off), RING_OK);
    assert_int_equal(ring_log_iter_next(&it, buf, sizeof buf, &len, &off), RING_OK);
    assert_int_equal(ring_log_iter_next(&it, buf, sizeof buf, &len, &off), RING_EMPTY);
    push_events(l, 3, 3);
    assert_int_equal(ring_log_iter_next(&it, buf, sizeof buf, &len, &off), RING_OK);
    assert_int_equal(off, 3);
    push_events(l, 4, 9); /* the iterator's next (4) is overwritten */
    assert_int_equal(ring_log_iter_next(&it, buf, sizeof buf, &len, &off), RING_GAP);
    ring_log_free(l);
}

static void test_log_replay_past_2_32_with_straddling(void **state)
{
    (void)state;
    uint64_t start = (UINT64_C(1) << 32) + 1000;
    ring_log *l = ring_log_new_at(128, 0, RING_OVERWRITE, start);
    push_events(l, start, start + 99); /* 128 bytes hold ~6 of these: most are overwritten */
    uint64_t held = ring_log_count(l);
    assert_true(held >= 4);
    assert_int_equal(ring_log_overwritten(l), 100 - held);
    replay_expect(l, start + 9, 100 - held - 10, start + 100 - held, start + 99);
    ring_log_free(l);
}

/* The error convention: 0 is ok, every other status negative, each with its own sentence. */
static void test_status_sentences(void **state)
{
    (void)state;
    assert_string_equal(ring_strerror(RING_OK), "ok");
    assert_string_equal(ring_strerror(RING_FULL), "the ring is full");
    assert_string_equal(ring_strerror(RING_EMPTY), "the ring is empty");
    const char *seen[16] = {0};
    for (int st = RING_EMPTY; st >= RING_NOMEM; st--) {
        const char *text = ring_strerror(st);
        assert_string_not_equal(text, "unknown ring status");
        for (int k = 1; k < -st; k++)
            assert_string_not_equal(text, seen[k]); /* no two statuses read the same */
        seen[-st] = text;
    }
    assert_string_equal(ring_strerror(RING_NOMEM - 1), "unknown ring status");
    assert_string_equal(ring_strerror(1), "unknown ring status");
    assert_string_equal(ring_strerror(1000), "unknown ring status");
}

/* A constructor's NULL says nothing; ring_size_check says whether the size was the reason. */
static void test_size_check_explains_null(void **state)
{
    (void)state;
    assert_int_equal(ring_size_check(24, 1), RING_BADSIZE);
    assert_int_equal(ring_size_check(8, 1), RING_BADSIZE);
    assert_int_equal(ring_size_check(0, 1), RING_BADSIZE);
    assert_int_equal(ring_size_check(16, 0), RING_BADSIZE);
    assert_int_equal(ring_size_check(16, 1), RING_OK);
    assert_null(ring_spsc_new(24));
    assert_null(ring_mpmc_new(24, 0, RING_REJECT));
    assert_null(ring_spsc_new_at(16, 0));
}

/* --- SPSC, single-threaded behaviour (the threaded test is test_spsc_stress.c) ------------ */

static void test_spsc_full_empty_and_offsets(void **state)
{
    (void)state;
    uint64_t start = (UINT64_C(1) << 32) - 3;
    ring_spsc *r = ring_spsc_new_at(32, start);
    assert_non_null(r);
    char buf[32];
    size_t len;
    uint64_t off;
    assert_int_equal(ring_spsc_pop(r, buf, sizeof buf, &len, &off), RING_EMPTY);
    assert_int_equal(ring_spsc_peek_len(r, &len), RING_EMPTY);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(ring_spsc_push(r, "abcd", 4, &off), RING_OK);
        assert_int_equal(off, start + (uint64_t)i);
    }
    assert_int_equal(ring_spsc_push(r, "", 0, NULL), RING_FULL);
    assert_int_equal(ring_spsc_peek_len(r, &len), RING_OK);
    assert_int_equal(len, 4);
    assert_int_equal(ring_spsc_pop(r, buf, 2, &len, &off), RING_TOOSMALL);
    assert_int_equal(len, 4);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(ring_spsc_pop(r, buf, sizeof buf, &len, &off), RING_OK);
        assert_int_equal(off, start + (uint64_t)i);
        assert_memory_equal(buf, "abcd", 4);
    }
    assert_int_equal(ring_spsc_pop(r, buf, sizeof buf, &len, &off), RING_EMPTY);
    assert_int_equal(ring_spsc_push(r, buf, 29, NULL), RING_TOOBIG);
    ring_spsc_free(r);
}

static void test_spsc_straddling_and_pushv(void **state)
{
    (void)state;
    ring_spsc *r = ring_spsc_new(64);
    char in[64], out[64];
    for (int i = 0; i < 500; i++) {
        size_t a = (size_t)(i % 11), b = (size_t)(i % 17);
        for (size_t k = 0; k < a + b; k++)
            in[k] = (char)(i + (int)k);
        ring_part parts[2] = {{in, a}, {in + a, b}};
        assert_int_equal(ring_spsc_pushv(r, parts, 2, NULL), RING_OK);
        size_t len = 0;
        assert_int_equal(ring_spsc_pop(r, out, sizeof out, &len, NULL), RING_OK);
        assert_int_equal(len, a + b);
        assert_memory_equal(in, out, len);
    }
    ring_spsc_free(r);
}

/* A push and a pop: the complete out-of-line pair (ring.h) or the optional inline fast path. */
typedef struct spsc_path {
    int (*push)(ring_spsc *r, const void *data, size_t len, uint64_t *offset);
    int (*pop)(ring_spsc *r, void *buf, size_t cap, size_t *len, uint64_t *offset);
} spsc_path;

static const spsc_path out_of_line = {ring_spsc_push, ring_spsc_pop};
static const spsc_path inlined = {ring_spsc_push_inline, ring_spsc_pop_inline};

/*
 * Lengths 0..40 through a 64-byte ring, two messages in flight, put the header and the payload
 * on every side of the end of the array: the bytes, the lengths and the offsets must come out
 * right, along either path (the inline one takes its fast branch or falls back at each split).
 */
static void push_pop_every_length_and_position(const spsc_path *path)
{
    ring_spsc *r = ring_spsc_new_at(64, 7);
    uint8_t in[2][64], out[64];
    uint64_t want_off = 7, off = 0;
    for (int i = 0; i < 2000; i++) {
        size_t n0 = (size_t)(i * 7 % 41), n1 = (size_t)(i * 3 % 23);
        for (size_t k = 0; k < 64; k++) {
            in[0][k] = (uint8_t)(i + (int)k);
            in[1][k] = (uint8_t)(i * 5 + (int)k);
        }
        assert_int_equal(path->push(r, in[0], n0, &off), RING_OK);
        assert_int_equal(off, want_off);
        int second = path->push(r, in[1], n1, NULL); /* RING_FULL when both do not fit */
        assert_true(second == RING_OK || second == RING_FULL);
        size_t len = 0;
        if (n0 > 0) {
            assert_int_equal(path->pop(r, out, n0 - 1, &len, NULL), RING_TOOSMALL);
            assert_int_equal(len, n0); /* and the message stays */
        }
        assert_int_equal(path->pop(r, out, sizeof out, &len, &off), RING_OK);
        assert_int_equal(len, n0);
        assert_int_equal(off, want_off++);
        assert_memory_equal(out, in[0], n0);
        if (second == RING_OK) {
            assert_int_equal(path->pop(r, out, sizeof out, &len, &off), RING_OK);
            assert_int_equal(len, n1);
            assert_int_equal(off, want_off++);
            assert_memory_equal(out, in[1], n1);
        }
        assert_int_equal(path->pop(r, out, sizeof out, &len, NULL), RING_EMPTY);
    }
    assert_int_equal(path->push(r, in[0], 61, NULL), RING_TOOBIG);
    volatile size_t huge = SIZE_MAX; /* volatile: a run-time length, as a caller's would be */
    assert_int_equal(path->push(r, in[0], huge, NULL), RING_TOOBIG); /* len + 4 overflows */
    ring_spsc_free(r);
}

static void test_spsc_push_pop_every_length_and_position(void **state)
{
    (void)state;
    push_pop_every_length_and_position(&out_of_line);
    push_pop_every_length_and_position(&inlined);
}

/* What one push or pop returned, everything a caller can observe. */
typedef struct spsc_result {
    int status;
    size_t len;
    uint64_t offset;
    uint8_t bytes[64];
} spsc_result;

/* Step `step` of a pseudo-random run: a push (lengths 0..62, 61 and 62 too big) or a pop
 * (buffers of 0..63 bytes, so RING_TOOSMALL too), through `path`. */
static spsc_result spsc_step(ring_spsc *r, const spsc_path *path, uint32_t step)
{
    spsc_result res;
    memset(&res, 0, sizeof res); /* padding too: results are compared as bytes */
    uint8_t in[64];
    uint32_t x = step * 2654435761u; /* Knuth's multiplicative hash: a fixed, varied sequence */
    size_t n = (x >> 8) % 63;
    for (size_t k = 0; k < sizeof in; k++)
        in[k] = (uint8_t)(step + k);
    if ((x >> 4) % 5 < 3)
        res.status = path->push(r, in, n, &res.offset);
    else
        res.status = path->pop(r, res.bytes, n + 1 > 63 ? 63 : n + 1, &res.len, &res.offset);
    return res;
}

/*
 * The inline fast path must behave exactly like the out-of-line push and pop. Three rings get
 * the same 20000 pushes and pops (every status: OK, FULL, EMPTY, TOOBIG, TOOSMALL, at every
 * position, counters crossing 2^32): one through ring.h's functions, one through the inline
 * ones, one switching path at every step (both paths must also agree on the ring's state).
 * Each step's status, length, offset and bytes must be identical, and so must the rings' bytes.
 */
static void test_spsc_inline_matches_out_of_line(void **state)
{
    (void)state;
    uint64_t start = (UINT64_C(1) << 32) - 100;
    ring_spsc *a = ring_spsc_new_at(64, start), *b = ring_spsc_new_at(64, start),
              *c = ring_spsc_new_at(64, start);
    int seen[-RING_NOMEM + 1] = {0}; /* indexed by -status */
    for (uint32_t step = 0; step < 20000; step++) {
        spsc_result ra = spsc_step(a, &out_of_line, step);
        spsc_result rb = spsc_step(b, &inlined, step);
        spsc_result rc = spsc_step(c, step % 2 ? &inlined : &out_of_line, step);
        assert_memory_equal(&ra, &rb, sizeof ra);
        assert_memory_equal(&ra, &rc, sizeof ra);
        seen[-ra.status]++;
    }
    assert_memory_equal(a->buf, b->buf, 64);
    assert_memory_equal(a->buf, c->buf, 64);
    int statuses[] = {RING_OK, RING_EMPTY, RING_FULL, RING_TOOBIG, RING_TOOSMALL};
    for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++)
        assert_true(seen[-statuses[i]] > 0); /* the run reached every case */
    ring_spsc_free(a);
    ring_spsc_free(b);
    ring_spsc_free(c);
}

/* The sniffer's shape: a header struct and the packet bytes in, the same two parts out. */
static void test_spsc_pushv_popv_header_and_packet(void **state)
{
    (void)state;
    struct hdr {
        int64_t sec;
        uint32_t caplen, len;
    } in = {1700000000, 5, 60}, out = {0, 0, 0};
    ring_spsc *r = ring_spsc_new(64);
    uint8_t packet[5] = {1, 2, 3, 4, 5}, got[8] = {0};
    size_t len;
    uint64_t off;
    for (int i = 0; i < 40; i++) { /* 40 x 20-byte records through 64 bytes: every split */
        ring_part parts[2] = {{&in, sizeof in}, {packet, sizeof packet}};
        assert_int_equal(ring_spsc_pushv(r, parts, 2, NULL), RING_OK);
        ring_outpart small[2] = {{&out, sizeof out}, {got, 4}};
        assert_int_equal(ring_spsc_popv(r, small, 2, &len, NULL), RING_TOOSMALL);
        assert_int_equal(len, sizeof in + sizeof packet);
        ring_outpart outs[2] = {{&out, sizeof out}, {got, sizeof got}};
        assert_int_equal(ring_spsc_popv(r, outs, 2, &len, &off), RING_OK);
        assert_int_equal(off, (uint64_t)i + 1);
        assert_int_equal(len - sizeof out, out.caplen);
        assert_memory_equal(&in, &out, sizeof in);
        assert_memory_equal(packet, got, sizeof packet);
    }
    assert_int_equal(ring_spsc_popv(r, NULL, 0, &len, NULL), RING_EMPTY);
    ring_spsc_free(r);
}

/* --- MPMC, single-threaded behaviour and timeouts (threads: test_mpmc_stress.c) ----------- */

static void test_mpmc_timeouts_and_close(void **state)
{
    (void)state;
    ring_mpmc *q = ring_mpmc_new(32, 0, RING_REJECT);
    assert_non_null(q);
    char buf[16];
    size_t len;
    uint64_t off;
    assert_int_equal(ring_mpmc_pop(q, buf, sizeof buf, &len, &off, 0), RING_EMPTY);
    assert_int_equal(ring_mpmc_pop(q, buf, sizeof buf, &len, &off, 30), RING_TIMEOUT);
    for (int i = 0; i < 4; i++)
        assert_int_equal(ring_mpmc_push(q, "abcd", 4, 0, &off), RING_OK);
    assert_int_equal(off, 4);
    assert_int_equal(ring_mpmc_push(q, "abcd", 4, 0, NULL), RING_FULL);
    assert_int_equal(ring_mpmc_push(q, "abcd", 4, 30, NULL), RING_TIMEOUT);
    assert_int_equal(ring_mpmc_count(q), 4);
    ring_mpmc_close(q);
    assert_int_equal(ring_mpmc_push(q, "x", 1, 0, NULL), RING_CLOSED);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(ring_mpmc_pop(q, buf, sizeof buf, &len, &off, RING_WAIT_FOREVER), RING_OK);
        assert_int_equal(off, (uint64_t)i + 1);
    }
    assert_int_equal(ring_mpmc_pop(q, buf, sizeof buf, &len, &off, RING_WAIT_FOREVER), RING_CLOSED);
    ring_mpmc_free(q);
}

static void test_mpmc_overwrite_never_blocks(void **state)
{
    (void)state;
    ring_mpmc *q = ring_mpmc_new(32, 0, RING_OVERWRITE);
    for (int i = 0; i < 10; i++)
        assert_int_equal(ring_mpmc_push(q, "abcd", 4, RING_WAIT_FOREVER, NULL), RING_OK);
    assert_int_equal(ring_mpmc_overwritten(q), 6);
    char buf[8];
    size_t len;
    uint64_t off;
    assert_int_equal(ring_mpmc_pop(q, buf, sizeof buf, &len, &off, 0), RING_OK);
    assert_int_equal(off, 7);
    ring_mpmc_free(q);
}

static void test_mpmc_pop_many(void **state)
{
    (void)state;
    ring_mpmc *q = ring_mpmc_new(256, 0, RING_REJECT);
    const char *msgs[] = {"one", "two", "three", "four", "five"};
    for (int i = 0; i < 5; i++)
        assert_int_equal(ring_mpmc_push(q, msgs[i], strlen(msgs[i]), 0, NULL), RING_OK);
    char buf[64];
    size_t lens[8], n = 99;
    /* 11 bytes: "one" "two" "three" fit (3 + 3 + 5), "four" does not. */
    assert_int_equal(ring_mpmc_pop_many(q, buf, 11, lens, 8, &n, 0), RING_OK);
    assert_int_equal(n, 3);
    assert_int_equal(lens[2], 5);
    assert_memory_equal(buf, "onetwothree", 11);
    assert_int_equal(ring_mpmc_pop_many(q, buf, 2, lens, 8, &n, 0), RING_TOOSMALL);
    assert_int_equal(n, 0);
    assert_int_equal(lens[0], 4);
    assert_int_equal(ring_mpmc_pop_many(q, buf, sizeof buf, lens, 1, &n, 0), RING_OK);
    assert_int_equal(n, 1); /* max 1 */
    assert_int_equal(ring_mpmc_pop_many(q, buf, sizeof buf, lens, 8, &n, 0), RING_OK);
    assert_int_equal(n, 1);
    assert_memory_equal(buf, "five", 4);
    assert_int_equal(ring_mpmc_pop_many(q, buf, sizeof buf, lens, 8, &n, 10), RING_TIMEOUT);
    ring_mpmc_close(q);
    assert_int_equal(ring_mpmc_pop_many(q, buf, sizeof buf, lens, 8, &n, 10), RING_CLOSED);
    ring_mpmc_free(q);
}

static void test_mpmc_push_many(void **state)
{
    (void)state;
    ring_mpmc *q = ring_mpmc_new(32, 0, RING_REJECT); /* room for four 4-byte messages */
    size_t lens[6] = {4, 4, 4, 4, 4, 4}, pushed = 99;
    assert_int_equal(ring_mpmc_push_many(q, "aaaabbbbccccddddeeeeffff", lens, 6, 0, &pushed),
                     RING_OK);
    assert_int_equal(pushed, 4); /* the rest did not fit */
    assert_int_equal(ring_mpmc_push_many(q, "eeee", lens, 1, 0, &pushed), RING_FULL);
    assert_int_equal(pushed, 0);
    char buf[32];
    size_t out[8], n;
    uint64_t off;
    assert_int_equal(ring_mpmc_pop_many(q, buf, sizeof buf, out, 8, &n, 0), RING_OK);
    assert_int_equal(n, 4);
    assert_memory_equal(buf, "aaaabbbbccccdddd", 16);
    assert_int_equal(ring_mpmc_push_many(q, "eeeeffff", lens, 2, 0, &pushed), RING_OK);
    assert_int_equal(pushed, 2);
    size_t len;
    assert_int_equal(ring_mpmc_pop(q, buf, sizeof buf, &len, &off, 0), RING_OK);
    assert_int_equal(off, 5); /* offsets continue across batches */
    assert_int_equal(ring_mpmc_push_many(q, "", lens, 0, 0, &pushed), RING_OK);
    assert_int_equal(pushed, 0);
    ring_mpmc_free(q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_log_empty_and_full),
        cmocka_unit_test(test_log_rejects_bad_sizes),
        cmocka_unit_test(test_log_too_small_buffer_keeps_message),
        cmocka_unit_test(test_log_max_msgs_limit),
        cmocka_unit_test(test_log_overwrite_counts_losses),
        cmocka_unit_test(test_log_wraparound_past_2_32),
        cmocka_unit_test(test_log_record_straddles_end),
        cmocka_unit_test(test_log_replay_without_gap),
        cmocka_unit_test(test_log_replay_after_gap),
        cmocka_unit_test(test_log_iterator_sees_later_pushes_and_gaps),
        cmocka_unit_test(test_log_replay_past_2_32_with_straddling),
        cmocka_unit_test(test_status_sentences),
        cmocka_unit_test(test_size_check_explains_null),
        cmocka_unit_test(test_spsc_full_empty_and_offsets),
        cmocka_unit_test(test_spsc_straddling_and_pushv),
        cmocka_unit_test(test_spsc_push_pop_every_length_and_position),
        cmocka_unit_test(test_spsc_inline_matches_out_of_line),
        cmocka_unit_test(test_spsc_pushv_popv_header_and_packet),
        cmocka_unit_test(test_mpmc_timeouts_and_close),
        cmocka_unit_test(test_mpmc_overwrite_never_blocks),
        cmocka_unit_test(test_mpmc_pop_many),
        cmocka_unit_test(test_mpmc_push_many),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
