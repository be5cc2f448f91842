/*
 * test_mpmc_stress.c - 4 producer threads and 4 consumer threads through one blocking
 * ring_mpmc; every item must be consumed exactly once, and each consumer must see any one
 * producer's items in the order that producer pushed them (a FIFO under one lock).
 *
 * Two producers push one item per call and two push batches (ring_mpmc_push_many); two
 * consumers pop one item per call and two take batches (ring_mpmc_pop_many).
 * The queue is small (4 KiB, reject policy) so producers really block on "full" and consumers
 * on "empty": the condition-variable paths run, not just the fast path.
 *
 * Run: build/tests/queue_mpmc_stress [TOTAL_ITEMS]   (default 4000000; CTest passes fewer
 *      through WIRELAB_QUEUE_STRESS_ITEMS in the sanitizer trees)
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ring.h"

#define PRODUCERS 4
#define CONSUMERS 4

struct item {
    uint32_t producer;
    uint32_t pad;
    uint64_t seq;
};

static ring_mpmc *queue;
static uint64_t per_producer;
static _Atomic unsigned char *seen[PRODUCERS]; /* seen[p][seq]: times delivered */
static _Atomic int failed;

static int push_failed(uint32_t id, int rc)
{
    fprintf(stderr, "FAILED: producer %u: push returned %s\n", id, ring_strerror(rc));
    atomic_store(&failed, 1);
    return 1;
}

/* Item s of producer id, with (s % 8) extra bytes so record sizes vary. Returns its length. */
static size_t make_item(uint32_t id, uint64_t s, uint8_t *msg)
{
    struct item it = {.producer = id, .seq = s};
    memset(msg, 0, sizeof it + 7);
    memcpy(msg, &it, sizeof it);
    return sizeof it + (size_t)(s % 8);
}

/* Even producers push one item per call, odd ones batches of up to 16 (push_many). */
static void *producer(void *arg)
{
    uint32_t id = (uint32_t)(uintptr_t)arg;
    uint8_t batch[16 * 32];
    size_t lens[16];
    for (uint64_t s = 0; s < per_producer;) {
        size_t n = 0, at = 0;
        for (; n < (id % 2 ? 16u : 1u) && s + n < per_producer; n++) {
            lens[n] = make_item(id, s + n, batch + at);
            at += lens[n];
        }
        size_t pushed = 0;
        int rc = id % 2 ? ring_mpmc_push_many(queue, batch, lens, n, RING_WAIT_FOREVER, &pushed)
                        : ring_mpmc_push(queue, batch, lens[0], RING_WAIT_FOREVER, NULL);
        if (rc != RING_OK && push_failed(id, rc))
            return NULL;
        s += id % 2 ? pushed : 1; /* a partial batch: the rest goes in the next call */
    }
    return NULL;
}

/* Check one item a consumer got; returns -1 on a torn or invented one. */
static int account(const uint8_t *msg, size_t len, uint64_t *next_min)
{
    struct item it;
    if (len < sizeof it) {
        fprintf(stderr, "FAILED: an item of %zu bytes, shorter than any pushed\n", len);
        return -1;
    }
    memcpy(&it, msg, sizeof it);
    if (it.producer >= PRODUCERS || it.seq >= per_producer ||
        len != sizeof it + (size_t)(it.seq % 8)) {
        fprintf(stderr, "FAILED: a torn or invented item (producer %u, seq %llu)\n", it.producer,
                (unsigned long long)it.seq);
        return -1;
    }
    if (it.seq < next_min[it.producer]) {
        fprintf(stderr, "FAILED: producer %u's item %llu arrived after a later one\n", it.producer,
                (unsigned long long)it.seq);
        atomic_store(&failed, 1);
    }
    next_min[it.producer] = it.seq + 1;
    atomic_fetch_add_explicit(&seen[it.producer][it.seq], 1, memory_order_relaxed);
    return 0;
}

/* Even consumers take one item per call (ring_mpmc_pop), odd ones batches (pop_many). */
static void *consumer(void *arg)
{
    int batch = (int)(uintptr_t)arg % 2;
    uint64_t next_min[PRODUCERS] = {0}; /* per producer: the lowest seq we may see next */
    uint8_t msg[16 * 64];
    size_t lens[16], n = 1;
    for (;;) {
        int rc = batch ? ring_mpmc_pop_many(queue, msg, sizeof msg, lens, 16, &n, RING_WAIT_FOREVER)
                       : ring_mpmc_pop(queue, msg, sizeof msg, &lens[0], NULL, RING_WAIT_FOREVER);
        if (rc == RING_CLOSED)
            return NULL;
        if (rc != RING_OK) {
            fprintf(stderr, "FAILED: pop returned %s\n", ring_strerror(rc));
            atomic_store(&failed, 1);
            return NULL;
        }
        size_t at = 0;
        for (size_t i = 0; i < n; i++) {
            if (account(msg + at, lens[i], next_min) < 0) {
                atomic_store(&failed, 1);
                return NULL;
            }
            at += lens[i];
        }
    }
}

static uint64_t item_count(int argc, char **argv)
{
    const char *text = argc > 1 ? argv[1] : getenv("WIRELAB_QUEUE_STRESS_ITEMS");
    if (text == NULL)
        return 1000000; /* 4 million items in all */
    char *end;
    unsigned long long n = strtoull(text, &end, 10);
    if (*text == '\0' || *end != '\0' || n == 0) {
        fprintf(stderr, "usage: %s [TOTAL_ITEMS]   (shared among the 4 producers)\n", argv[0]);
        exit(2);
    }
    return n / PRODUCERS > 0 ? n / PRODUCERS : 1;
}

/* Every item exactly once: report the first missing or duplicated one. */
static int check_all_seen(void)
{
    for (uint32_t p = 0; p < PRODUCERS; p++)
        for (uint64_t s = 0; s < per_producer; s++) {
            unsigned n = atomic_load(&seen[p][s]);
            if (n != 1) {
                fprintf(stderr, "FAILED: producer %u's item %llu was delivered %u times\n", p,
                        (unsigned long long)s, n);
                return 1;
            }
        }
    return 0;
}

int main(int argc, char **argv)
{
    per_producer = item_count(argc, argv);
    queue = ring_mpmc_new(4096, 0, RING_REJECT);
    for (int p = 0; p < PRODUCERS; p++)
        seen[p] = calloc(per_producer, sizeof *seen[p]);
    pthread_t prod[PRODUCERS], cons[CONSUMERS];
    for (uintptr_t i = 0; i < CONSUMERS; i++)
        pthread_create(&cons[i], NULL, consumer, (void *)i);
    for (uintptr_t i = 0; i < PRODUCERS; i++)
        pthread_create(&prod[i], NULL, producer, (void *)i);
    for (int i = 0; i < PRODUCERS; i++)
        pthread_join(prod[i], NULL);
    ring_mpmc_close(queue); /* consumers drain what is left, then see RING_CLOSED */
    for (int i = 0; i < CONSUMERS; i++)
        pthread_join(cons[i], NULL);
    int rc = atomic_load(&failed) || check_all_seen();
    if (rc == 0)
        printf("ok: %d producers x %llu items through 4 consumers, each exactly once\n", PRODUCERS,
               (unsigned long long)per_producer);
    for (int p = 0; p < PRODUCERS; p++)
        free((void *)seen[p]);
    ring_mpmc_free(queue);
    return rc;
}
