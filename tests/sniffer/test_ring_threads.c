/*
 * test_ring_threads.c - the capture ring (sniffer/sring.c) between two real threads, as the
 * sniffer uses it: one producer pushes 500,000 numbered records of varying length (spinning
 * when the ring is full), one consumer pops them and checks that none is lost, duplicated,
 * reordered or corrupted. Labelled tsan: ./wirelab test --sanitize runs it under
 * ThreadSanitizer, which reports any missing acquire/release.
 */
#include "sring.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#define N 500000u

static sring *ring;

static uint32_t len_of(uint32_t i)
{
    return 4 + i % 61; /* records of 4..64 bytes, so they straddle the array's end */
}

static void *producer(void *arg)
{
    uint8_t buf[64];
    (void)arg;
    for (uint32_t i = 0; i < N; i++) {
        sring_hdr h = {(int64_t)i, 0, len_of(i), len_of(i), false};
        memcpy(buf, &i, 4);
        memset(buf + 4, (int)(i & 0xff), h.caplen - 4);
        while (sring_push(ring, &h, buf) == RING_FULL)
            ; /* full: the consumer will make room */
    }
    return NULL;
}

static void test_spsc_two_threads(void **state)
{
    (void)state;
    ring = sring_new(1 << 14);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, producer, NULL), 0);
    uint8_t buf[64];
    sring_hdr h;
    for (uint32_t want = 0; want < N;) {
        if (sring_pop(ring, &h, buf, sizeof buf) == RING_EMPTY)
            continue;
        uint32_t got;
        memcpy(&got, buf, 4);
        if (got != want || h.sec != (int64_t)want || h.caplen != len_of(want))
            fail_msg("record %u: got number %u, length %u", want, got, h.caplen);
        for (uint32_t k = 4; k < h.caplen; k++)
            if (buf[k] != (uint8_t)(want & 0xff))
                fail_msg("record %u: byte %u corrupted", want, k);
        want++;
    }
    pthread_join(th, NULL);
    assert_int_equal(sring_pop(ring, &h, buf, sizeof buf), RING_EMPTY);
    sring_free(ring);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_spsc_two_threads)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
