/*
 * test_mpmc_stress.c - 4 producer threads and 4 consumer threads through one blocking
 * ring_mpmc; every item must be consumed exactly once, and each consumer must see any one
 * producer's items in the order that producer pushed them (a FIFO under one lock).
 *
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

static void *producer(void *arg)
{
    uint32_t id = (uint32_t)(uintptr_t)arg;
    for (uint64_t s = 0; s < per_producer; s++) {
        struct item it = {.producer = id, .seq = s};
        /* A few extra bytes on some items, so record sizes vary. */
        uint8_t msg[sizeof it + 7] = {0};
        memcpy(msg, &it, sizeof it);
        size_t len = sizeof it + (size_t)(s % 8);
        int rc = ring_mpmc_push(queue, msg, len, RING_WAIT_FOREVER, NULL);
        if (rc != RING_OK) {
            fprintf(stderr, "FAILED: producer %u: push returned %s\n", id, ring_status_str(rc));
            atomic_store(&failed, 1);
            return NULL;
        }
    }
    return NULL;
}

static void *consumer(void *arg)
{
    (void)arg;
    uint64_t next_min[PRODUCERS] = {0}; /* per producer: the lowest seq we may see next */
    uint8_t msg[64];
    for (;;) {
        size_t len;
        int rc = ring_mpmc_pop(queue, msg, sizeof msg, &len, NULL, RING_WAIT_FOREVER);
        if (rc == RING_CLOSED)
            return NULL;
        struct item it;
        if (rc != RING_OK || len < sizeof it) {
            fprintf(stderr, "FAILED: pop returned %s, length %zu\n", ring_status_str(rc), len);
            atomic_store(&failed, 1);
            return NULL;
        }
        memcpy(&it, msg, sizeof it);
        if (it.producer >= PRODUCERS || it.seq >= per_producer ||
            len != sizeof it + (size_t)(it.seq % 8)) {
            fprintf(stderr, "FAILED: a torn or invented item (producer %u, seq %llu)\n",
                    it.producer, (unsigned long long)it.seq);
            atomic_store(&failed, 1);
            return NULL;
        }
        if (it.seq < next_min[it.producer]) {
            fprintf(stderr, "FAILED: producer %u's item %llu arrived after a later one\n",
                    it.producer, (unsigned long long)it.seq);
            atomic_store(&failed, 1);
        }
        next_min[it.producer] = it.seq + 1;
        atomic_fetch_add_explicit(&seen[it.producer][it.seq], 1, memory_order_relaxed);
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
