/*
 * test_web_store.c - the bounded store of `sniffer --web` (sniffer/web_store.c): frames found
 * by number, the oldest forgotten when the ring of bytes or the index is full, records that
 * never wrap, and a record larger than the store.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "web_store.h"

/* Add frame with `caplen` bytes, each byte = (n + i) & 0xff, and a summary "frame N". */
static long add(web_store *s, uint32_t caplen)
{
    static uint8_t bytes[1 << 20];
    char info[32];
    uint64_t n = web_store_next(s);
    for (uint32_t i = 0; i < caplen && i < sizeof bytes; i++)
        bytes[i] = (uint8_t)(n + i);
    int len = snprintf(info, sizeof info, "frame %llu", (unsigned long long)n);
    web_rec r = {.caplen = caplen,
                 .len = caplen,
                 .conv = n % 3,
                 .src_len = 3,
                 .dst_len = 4,
                 .info_len = (uint16_t)len,
                 .msgs_len = 2};
    return web_store_add(s, &r, "src", "dest", info, "[]", bytes);
}

/* Frame n is kept, and every part of it reads back as it was written. */
static void check_frame(const web_store *s, uint64_t n, uint32_t caplen)
{
    web_view v;
    char want[32];
    assert_true(web_store_get(s, n, &v));
    assert_int_equal(v.rec->n, n);
    assert_int_equal(v.rec->caplen, caplen);
    assert_memory_equal(v.src, "src", 3);
    assert_memory_equal(v.dst, "dest", 4);
    int len = snprintf(want, sizeof want, "frame %llu", (unsigned long long)n);
    assert_int_equal(v.rec->info_len, len);
    assert_memory_equal(v.info, want, (size_t)len);
    assert_memory_equal(v.msgs, "[]", 2);
    for (uint32_t i = 0; i < caplen; i++)
        assert_int_equal(v.bytes[i], (uint8_t)(n + i));
}

static void keeps_what_fits(void **state)
{
    (void)state;
    web_store *s = web_store_new(WEB_STORE_MIN);
    assert_non_null(s);
    assert_int_equal(web_store_first(s), 1);
    assert_int_equal(web_store_next(s), 1);
    web_view v;
    assert_false(web_store_get(s, 1, &v));
    for (int i = 0; i < 100; i++)
        assert_int_equal(add(s, 60), 0);
    assert_int_equal(web_store_first(s), 1);
    assert_int_equal(web_store_next(s), 101);
    for (uint64_t n = 1; n <= 100; n++)
        check_frame(s, n, 60);
    assert_false(web_store_get(s, 0, &v));
    assert_false(web_store_get(s, 101, &v));
    web_store_free(s);
}

/* 1 MiB of 1000-byte packets: the oldest go, the newest stay whole, and the count of the
 * forgotten is exact. Many laps around the ring exercise the skipped tails. */
static void forgets_the_oldest(void **state)
{
    (void)state;
    web_store *s = web_store_new(WEB_STORE_MIN);
    long gone = 0;
    for (int i = 0; i < 20000; i++) {
        long g = add(s, 1000 + (uint32_t)(i % 7));
        assert_true(g >= 0);
        gone += g;
    }
    uint64_t first = web_store_first(s), next = web_store_next(s);
    assert_int_equal(next, 20001);
    assert_true(first > 1);
    assert_int_equal(web_store_evicted(s), (uint64_t)gone);
    assert_int_equal(first - 1, (uint64_t)gone);
    /* about 1 MiB / ~1100 bytes per record are kept */
    assert_true(next - first > 800 && next - first < 1000);
    for (uint64_t n = first; n < next; n++)
        check_frame(s, n, 1000 + (uint32_t)((n - 1) % 7));
    web_view v;
    assert_false(web_store_get(s, first - 1, &v));
    web_store_free(s);
}

/* Tiny records: the index (slots for size / sizeof(web_rec) frames) is what fills first. */
static void index_bounds_the_count(void **state)
{
    (void)state;
    web_store *s = web_store_new(WEB_STORE_MIN);
    for (int i = 0; i < 200000; i++)
        assert_true(add(s, 0) >= 0);
    uint64_t first = web_store_first(s), next = web_store_next(s);
    assert_true(next - first <= WEB_STORE_MIN / sizeof(web_rec) + 1);
    for (uint64_t n = first; n < next; n += 97)
        check_frame(s, n, 0);
    check_frame(s, next - 1, 0);
    web_store_free(s);
}

/* A record larger than the whole store: not kept, the store emptied, numbering goes on. */
static void too_large(void **state)
{
    (void)state;
    web_store *s = web_store_new(WEB_STORE_MIN);
    add(s, 100);
    add(s, 100);
    assert_int_equal(add(s, WEB_STORE_MIN), -1);
    web_view v;
    assert_false(web_store_get(s, 3, &v));
    assert_false(web_store_get(s, 1, &v));
    assert_int_equal(web_store_first(s), 4);
    assert_int_equal(add(s, 100), 0);
    check_frame(s, 4, 100);
    web_store_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(keeps_what_fits),
        cmocka_unit_test(forgets_the_oldest),
        cmocka_unit_test(index_bounds_the_count),
        cmocka_unit_test(too_large),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
