/*
 * test_spsc_stress.c - one producer thread and one consumer thread pass COUNT sequence-numbered
 * messages through a ring_spsc; the consumer checks that none is lost, duplicated or reordered
 * and that every byte arrived intact.
 *
 * Messages vary in length (8..23 bytes: the sequence number, then a pattern derived from it), so
 * records straddle the end of the 4 KiB ring at every split, and the counters start just below
 * 2^32 so they cross it early. The sequence number and the ring's own offset must agree.
 * Both sides switch between the complete push/pop (ring.h) and the inline fast path
 * (ring_spsc_inline.h) as the message number changes, so each path meets the other under real
 * concurrency (and, in the TSan tree, under ThreadSanitizer).
 *
 * Run: build/tests/queue_spsc_stress [COUNT]     (default 100000000; CTest passes fewer items
 *      through WIRELAB_QUEUE_STRESS_ITEMS in the sanitizer trees, where it runs ~10x slower)
 */
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ring.h"
#include "ring_spsc_inline.h"

#define START ((UINT64_C(1) << 32) - 1000)

struct run {
    ring_spsc *ring;
    uint64_t count;
    uint64_t full_spins; /* how often the producer found the ring full (for the curious) */
    const char *error;   /* first failure the consumer saw, NULL if none */
    uint64_t error_at;
};

/* Message i: 8 bytes of i, then (i % 16) bytes of pattern (i + k) & 0xff. */
static size_t make_msg(uint64_t i, uint8_t *buf)
{
    size_t extra = (size_t)(i % 16);
    memcpy(buf, &i, sizeof i);
    for (size_t k = 0; k < extra; k++)
        buf[8 + k] = (uint8_t)(i + k);
    return 8 + extra;
}

static void *producer(void *arg)
{
    struct run *run = arg;
    uint8_t msg[32];
    for (uint64_t i = 0; i < run->count; i++) {
        size_t n = make_msg(i, msg);
        /* Runs of 64 messages through each path (a different pattern from the consumer's). */
        int (*push)(ring_spsc *, const void *, size_t, uint64_t *) =
            (i / 64) % 2 ? ring_spsc_push_inline : ring_spsc_push;
        while (push(run->ring, msg, n, NULL) == RING_FULL) {
            run->full_spins++;
            sched_yield(); /* 2 cores shared with other work: let the consumer run */
        }
    }
    return NULL;
}

static void *consumer(void *arg)
{
    struct run *run = arg;
    uint8_t got[32], want[32];
    for (uint64_t i = 0; i < run->count; i++) {
        size_t len = 0;
        uint64_t off = 0;
        int rc;
        int (*pop)(ring_spsc *, void *, size_t, size_t *, uint64_t *) =
            (i / 100) % 2 ? ring_spsc_pop_inline : ring_spsc_pop;
        while ((rc = pop(run->ring, got, sizeof got, &len, &off)) == RING_EMPTY)
            sched_yield();
        size_t n = make_msg(i, want);
        if (rc != RING_OK)
            run->error = "pop failed with a status other than empty";
        else if (off != START + i)
            run->error = "the ring's offset does not match the message number";
        else if (len != n)
            run->error = "length differs: a message was lost, duplicated or reordered";
        else if (memcmp(got, want, n) != 0)
            run->error = "content differs: a message was lost, duplicated, reordered or torn";
        if (run->error != NULL) {
            run->error_at = i;
            return NULL; /* the producer may now block on FULL: main reports and exits */
        }
    }
    return NULL;
}

static uint64_t item_count(int argc, char **argv)
{
    const char *text = argc > 1 ? argv[1] : getenv("WIRELAB_QUEUE_STRESS_ITEMS");
    if (text == NULL)
        return 100000000;
    char *end;
    unsigned long long n = strtoull(text, &end, 10);
    if (*text == '\0' || *end != '\0' || n == 0) {
        fprintf(stderr, "usage: %s [COUNT]   (COUNT: how many messages, a positive number)\n",
                argv[0]);
        exit(2);
    }
    return n;
}

int main(int argc, char **argv)
{
    struct run run = {.count = item_count(argc, argv)};
    run.ring = ring_spsc_new_at(4096, START);
    if (run.ring == NULL) {
        fprintf(stderr, "could not allocate the ring\n");
        return 1;
    }
    pthread_t p, c;
    pthread_create(&c, NULL, consumer, &run);
    pthread_create(&p, NULL, producer, &run);
    pthread_join(c, NULL);
    if (run.error != NULL) {
        fprintf(stderr,
                "FAILED: 1 producer -> ring_spsc -> 1 consumer, %llu messages\n"
                "  expected message %llu (offset %llu) next\n  but: %s\n",
                (unsigned long long)run.count, (unsigned long long)run.error_at,
                (unsigned long long)(START + run.error_at), run.error);
        return 1; /* the producer thread may be stuck on a full ring; exit ends it */
    }
    pthread_join(p, NULL);
    size_t len;
    if (ring_spsc_peek_len(run.ring, &len) != RING_EMPTY) {
        fprintf(stderr, "FAILED: messages left in the ring after all %llu were consumed\n",
                (unsigned long long)run.count);
        return 1;
    }
    printf("ok: %llu messages in order, none lost or duplicated (producer found it full %llu "
           "times)\n",
           (unsigned long long)run.count, (unsigned long long)run.full_spins);
    ring_spsc_free(run.ring);
    return 0;
}
