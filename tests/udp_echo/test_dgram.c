/*
 * test_dgram.c - unit tests for the Wirelab UDP header codec and the per-sender books
 * (udp_echo/dgram.h), on crafted byte arrays and crafted sequences of arrivals.
 *
 * Run: ctest --test-dir build -R udp_dgram   (or build/tests/udp_dgram_test directly)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dgram.h"

/* ---- the header codec ---------------------------------------------------------------------- */

static void test_encode_layout(void **state)
{
    (void)state;
    struct dgram_header h = {0x01020304u, 0x1112131415161718ull, 0x21222324u, 0x31323334u};
    uint8_t buf[DGRAM_HEADER_LEN];
    const uint8_t want[DGRAM_HEADER_LEN] = {'W',  'L',  'U',  '1',  0x01, 0x02, 0x03, 0x04,
                                            0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18,
                                            0x21, 0x22, 0x23, 0x24, 0x31, 0x32, 0x33, 0x34};

    assert_int_equal(dgram_encode(&h, buf, sizeof buf), DGRAM_HEADER_LEN);
    assert_memory_equal(buf, want, sizeof want);
    assert_int_equal(dgram_encode(&h, buf, DGRAM_HEADER_LEN - 1), 0);
}

static void test_roundtrip(void **state)
{
    (void)state;
    uint8_t buf[100];
    struct dgram_header h;

    assert_int_equal(dgram_fill(buf, sizeof buf, 100, 42, 123456789ull, 1000), 100);
    assert_int_equal(dgram_decode(buf, 100, 100, &h), DGRAM_OK);
    assert_int_equal(h.seq, 42);
    assert_int_equal(h.send_ns, 123456789ull);
    assert_int_equal(h.total, 1000);
    assert_int_equal(h.payload_len, 100 - DGRAM_HEADER_LEN);
    assert_int_equal(dgram_payload_check(buf + DGRAM_HEADER_LEN, 100 - DGRAM_HEADER_LEN, 42), -1);
    /* The payload is readable text that shifts with the sequence number. */
    assert_memory_equal(buf + DGRAM_HEADER_LEN, "qrstuvwxyzabc", 13); /* 42 % 26 = 16: 'q' */
}

static void test_every_short_length_is_truncated(void **state)
{
    (void)state;
    uint8_t buf[DGRAM_HEADER_LEN];
    struct dgram_header h;

    dgram_fill(buf, sizeof buf, sizeof buf, 7, 1, 1);
    for (size_t len = 0; len < DGRAM_HEADER_LEN; len++)
        assert_int_equal(dgram_decode(buf, len, len, &h), DGRAM_TRUNCATED);
}

static void test_small_fill_writes_header_prefix(void **state)
{
    (void)state;
    uint8_t buf[4] = {0, 0, 0, 0};
    struct dgram_header h;

    assert_int_equal(dgram_fill(buf, sizeof buf, 1, 0, 0, 0), 1);
    assert_int_equal(buf[0], 'W');
    assert_int_equal(buf[1], 0); /* nothing written past len */
    assert_int_equal(dgram_decode(buf, 1, 1, &h), DGRAM_TRUNCATED);
    assert_int_equal(dgram_fill(buf, sizeof buf, 5, 0, 0, 0), 0); /* len > cap */
}

static void test_foreign(void **state)
{
    (void)state;
    struct dgram_header h;
    const uint8_t dns[] = {0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0,
                           0,    0,    0,    0,    0,    0,    0, 0, 0, 0, 0, 0};
    const uint8_t almost[] = "WLU2 this has the wrong version";

    assert_int_equal(dgram_decode(dns, sizeof dns, sizeof dns, &h), DGRAM_FOREIGN);
    assert_int_equal(dgram_decode(almost, sizeof almost, sizeof almost, &h), DGRAM_FOREIGN);
    assert_int_equal(dgram_decode((const uint8_t *)"X", 1, 1, &h), DGRAM_FOREIGN);
    assert_int_equal(dgram_decode((const uint8_t *)"WLX", 3, 3, &h), DGRAM_FOREIGN);
}

static void test_bad_length(void **state)
{
    (void)state;
    uint8_t buf[64];
    struct dgram_header h = {1, 2, 3, 40}, out;

    dgram_encode(&h, buf, sizeof buf); /* claims 40 payload bytes: 64 in all */
    assert_int_equal(dgram_decode(buf, 64, 64, &out), DGRAM_OK);
    assert_int_equal(dgram_decode(buf, 63, 63, &out), DGRAM_BAD_LENGTH);
    assert_int_equal(out.payload_len, 40);
    h.payload_len = 0xffffffffu; /* a length no datagram can have */
    dgram_encode(&h, buf, sizeof buf);
    assert_int_equal(dgram_decode(buf, 64, 64, &out), DGRAM_BAD_LENGTH);
}

/* A sniffer captured only 30 of 1000 bytes: the header is still readable and consistent. */
static void test_snapped_capture(void **state)
{
    (void)state;
    uint8_t big[1000];
    struct dgram_header out;

    dgram_fill(big, sizeof big, sizeof big, 9, 5, 0);
    assert_int_equal(dgram_decode(big, 30, 1000, &out), DGRAM_OK);
    assert_int_equal(out.payload_len, 1000 - DGRAM_HEADER_LEN);
    /* caplen larger than wirelen is clamped: the header's length is checked against wirelen. */
    assert_int_equal(dgram_decode(big, 1000, 999, &out), DGRAM_BAD_LENGTH);
}

static void test_payload_check_finds_wrong_byte(void **state)
{
    (void)state;
    uint8_t buf[200];

    dgram_fill(buf, sizeof buf, sizeof buf, 3, 0, 0);
    buf[DGRAM_HEADER_LEN + 57] ^= 0x20;
    assert_int_equal(dgram_payload_check(buf + DGRAM_HEADER_LEN, 200 - DGRAM_HEADER_LEN, 3), 57);
    /* The pattern for another sequence number does not match at offset 0. */
    assert_int_equal(dgram_payload_check(buf + DGRAM_HEADER_LEN, 10, 4), 0);
}

/* ---- the books ----------------------------------------------------------------------------- */

static struct seqstat *new_books(void)
{
    struct seqstat *st = malloc(sizeof *st);
    assert_non_null(st);
    seqstat_init(st);
    return st;
}

/* Feed one numbered arrival of 64 bytes with an announced total. */
static enum seqstat_verdict arrive(struct seqstat *st, uint32_t seq, uint32_t total)
{
    struct dgram_header h = {seq, 0, total, 64 - DGRAM_HEADER_LEN};
    return seqstat_add(st, &h, 64);
}

static void test_in_order(void **state)
{
    (void)state;
    struct seqstat *st = new_books();
    for (uint32_t s = 0; s < 10; s++)
        assert_int_equal(arrive(st, s, 0), SEQ_IN_ORDER);
    assert_int_equal(st->received, 10);
    assert_int_equal(seqstat_lost(st), 0);
    assert_int_equal(st->duplicated, 0);
    assert_int_equal(st->reordered, 0);
    free(st);
}

static void test_gap_counts_lost(void **state)
{
    (void)state;
    struct seqstat *st = new_books();
    arrive(st, 0, 0);
    arrive(st, 1, 0);
    assert_int_equal(arrive(st, 5, 0), SEQ_GAP);
    assert_int_equal(st->last_gap, 3);
    assert_int_equal(seqstat_lost(st), 3);
    free(st);
}

static void test_late_arrival_unloses(void **state)
{
    (void)state;
    struct seqstat *st = new_books();
    arrive(st, 0, 0);
    arrive(st, 2, 0);
    assert_int_equal(seqstat_lost(st), 1);
    assert_int_equal(arrive(st, 1, 0), SEQ_REORDERED);
    assert_int_equal(seqstat_lost(st), 0);
    assert_int_equal(st->reordered, 1);
    /* The same one again is now a duplicate, not a second reordering. */
    assert_int_equal(arrive(st, 1, 0), SEQ_DUPLICATE);
    assert_int_equal(st->reordered, 1);
    assert_int_equal(st->duplicated, 1);
    assert_int_equal(seqstat_lost(st), 0);
    free(st);
}

static void test_duplicates(void **state)
{
    (void)state;
    struct seqstat *st = new_books();
    arrive(st, 0, 0);
    assert_int_equal(arrive(st, 0, 0), SEQ_DUPLICATE);
    arrive(st, 1, 0);
    assert_int_equal(arrive(st, 1, 0), SEQ_DUPLICATE);
    assert_int_equal(arrive(st, 0, 0), SEQ_DUPLICATE);
    assert_int_equal(st->received, 5);
    assert_int_equal(st->duplicated, 3);
    assert_int_equal(st->distinct, 2);
    assert_int_equal(seqstat_lost(st), 0);
    free(st);
}

static void test_first_heard_late_counts_earlier_as_lost(void **state)
{
    (void)state;
    struct seqstat *st = new_books();
    assert_int_equal(arrive(st, 5, 0), SEQ_GAP);
    assert_int_equal(seqstat_lost(st), 5);
    for (uint32_t s = 0; s < 5; s++)
        assert_int_equal(arrive(st, s, 0), SEQ_REORDERED);
    assert_int_equal(seqstat_lost(st), 0);
    assert_int_equal(st->reordered, 5);
    free(st);
}

static void test_announced_total_reveals_tail_loss(void **state)
{
    (void)state;
    struct seqstat *st = new_books();
    for (uint32_t s = 0; s < 8; s++)
        arrive(st, s, 10);
    assert_int_equal(seqstat_lost(st), 2); /* 8 and 9 never came; no later one shows a gap */
    free(st);
}

/* What udp_sender --count 1000 --drop-every 10 does: skip 9, 19, ..., 999. */
static void test_drop_every_ten(void **state)
{
    (void)state;
    struct seqstat *st = new_books();
    for (uint32_t s = 0; s < 1000; s++)
        if (s % 10 != 9)
            arrive(st, s, 1000);
    assert_int_equal(st->received, 900);
    assert_int_equal(seqstat_lost(st), 100);
    free(st);
}

/* Swap neighbours: 1 0 3 2 5 4 ... every second one is late, nothing is lost in the end. */
static void test_pairwise_swaps(void **state)
{
    (void)state;
    struct seqstat *st = new_books();
    for (uint32_t s = 0; s < 100; s += 2) {
        arrive(st, s + 1, 0);
        arrive(st, s, 0);
    }
    assert_int_equal(st->reordered, 50);
    assert_int_equal(seqstat_lost(st), 0);
    assert_int_equal(st->duplicated, 0);
    free(st);
}

/* The bitmap remembers SEQSTAT_WINDOW numbers; its slots are reused as the top moves up. */
static void test_window(void **state)
{
    (void)state;
    struct seqstat *st = new_books();
    arrive(st, 0, 0);
    arrive(st, SEQSTAT_WINDOW, 0); /* same slot as 0 */
    assert_int_equal(arrive(st, 0, 0), SEQ_TOO_OLD);
    assert_int_equal(st->too_old, 1);
    assert_int_equal(arrive(st, 1, 0), SEQ_REORDERED); /* exactly WINDOW - 1 behind: known */
    assert_int_equal(arrive(st, 1, 0), SEQ_DUPLICATE);
    assert_int_equal(seqstat_lost(st), SEQSTAT_WINDOW - 2);
    /* A jump by more than the window forgets everything below it. */
    arrive(st, 5 * SEQSTAT_WINDOW, 0);
    assert_int_equal(arrive(st, 5 * SEQSTAT_WINDOW - 1, 0), SEQ_REORDERED);
    free(st);
}

/* A slot the window passes over must be cleared, or an old bit would fake a duplicate. */
static void test_window_slots_are_cleared(void **state)
{
    (void)state;
    struct seqstat *st = new_books();
    for (uint32_t s = 0; s < 10; s++)
        arrive(st, s, 0);
    arrive(st, SEQSTAT_WINDOW - 1, 0); /* a step smaller than the window: slot 5 still holds 5 */
    assert_int_equal(arrive(st, 5, 0), SEQ_DUPLICATE);
    arrive(st, SEQSTAT_WINDOW + 6, 0); /* slots 0..6 now stand for WINDOW .. WINDOW + 6 */
    /* WINDOW + 5 shares slot 5 with seq 5, which was seen: it must count as new. */
    assert_int_equal(arrive(st, SEQSTAT_WINDOW + 5, 0), SEQ_REORDERED);
    assert_int_equal(arrive(st, 5, 0), SEQ_TOO_OLD);
    free(st);
}

static void test_sizes_and_unnumbered(void **state)
{
    (void)state;
    struct seqstat *st = new_books();
    struct dgram_header h = {0, 0, 0, 0};

    seqstat_add_other(st, 1);
    seqstat_add_other(st, 1);
    h.payload_len = 1000 - DGRAM_HEADER_LEN;
    seqstat_add(st, &h, 1000);
    for (uint32_t s = 0; s < SEQSTAT_SIZES + 3; s++)
        seqstat_add_other(st, 2000 + s);
    assert_int_equal(st->received, 3 + SEQSTAT_SIZES + 3);
    assert_int_equal(st->numbered, 1);
    assert_int_equal(st->size_min, 1);
    assert_int_equal(st->size_max, 2000 + SEQSTAT_SIZES + 2);
    assert_int_equal(st->sizes[0].size, 1);
    assert_int_equal(st->sizes[0].count, 2);
    assert_int_equal(st->sizes[1].size, 1000);
    assert_int_equal(st->other_sizes, 5); /* 8 slots: 1, 1000 and six of the 2000s */
    assert_int_equal(seqstat_lost(st), 0);
    free(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode_layout),
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_every_short_length_is_truncated),
        cmocka_unit_test(test_small_fill_writes_header_prefix),
        cmocka_unit_test(test_foreign),
        cmocka_unit_test(test_bad_length),
        cmocka_unit_test(test_snapped_capture),
        cmocka_unit_test(test_payload_check_finds_wrong_byte),
        cmocka_unit_test(test_in_order),
        cmocka_unit_test(test_gap_counts_lost),
        cmocka_unit_test(test_late_arrival_unloses),
        cmocka_unit_test(test_duplicates),
        cmocka_unit_test(test_first_heard_late_counts_earlier_as_lost),
        cmocka_unit_test(test_announced_total_reveals_tail_loss),
        cmocka_unit_test(test_drop_every_ten),
        cmocka_unit_test(test_pairwise_swaps),
        cmocka_unit_test(test_window),
        cmocka_unit_test(test_window_slots_are_cleared),
        cmocka_unit_test(test_sizes_and_unnumbered),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
