/*
 * check_ring.c - lab 7's grader core for the student's ring (spsc_ring.h), in two modes:
 *   check_ring single   one thread: empty, full, FIFO order, wrap-around of the slots and of
 *                       the counters themselves (started just below SIZE_MAX)
 *   check_ring stress   one producer thread pushes 1, 2, 3 ... and one consumer thread pops;
 *                       every item must come out once, in order. grade/lab7/grade builds this
 *                       with -fsanitize=thread, so a missing acquire/release shows as a data
 *                       race even when the numbers happen to come out right.
 * Prints one JSON check line per group, like every grader (see grade/labkit.py).
 */
#define _POSIX_C_SOURCE 200809L
#include "spsc_ring.h"

#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char explain[2048];

static int fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(explain, sizeof explain, fmt, ap);
    va_end(ap);
    return 0;
}

static void print_check(const char *name, int ok)
{
    printf("{\"check\": \"%s\", \"ok\": %s, \"explain\": \"", name, ok ? "true" : "false");
    for (const char *c = explain; *c; c++) {
        if (*c == '"' || *c == '\\')
            printf("\\%c", *c);
        else if (*c == '\n')
            printf("\\n");
        else
            putchar(*c);
    }
    printf("\"}\n");
    fflush(stdout);
}

/* A ring whose counters both start at `start` (spsc_init, then moved, as if start items had
 * already gone through it). */
static void ring_at(spsc_ring *r, size_t start)
{
    memset(r, 0xa5, sizeof *r);
    spsc_init(r);
    atomic_store(&r->head, start);
    atomic_store(&r->tail, start);
}

static const char *where(size_t start)
{
    return start == 0 ? "counters starting at 0" : "counters starting 5 below SIZE_MAX";
}

/* Empty after init; fill to SPSC_CAP; one more is refused; all come back in order. */
static int fill_and_drain(size_t start)
{
    spsc_ring r;
    uint64_t v = 0;
    ring_at(&r, start);
    if (spsc_empty(&r) != 1 || spsc_full(&r) != 0 || spsc_pop(&r, &v) != 0)
        return fail("a new ring (%s) must be empty: expected spsc_empty 1, spsc_full 0, "
                    "spsc_pop 0; got %d, %d and a pop that returned something. Look at how "
                    "empty compares head and tail",
                    where(start), spsc_empty(&r), spsc_full(&r));
    for (uint64_t i = 1; i <= SPSC_CAP; i++)
        if (spsc_push(&r, i) != 1)
            return fail("pushing item %llu into a ring of %d slots holding %llu (%s): expected "
                        "1 (pushed), got 0 (full). Look at the full test: full means head - "
                        "tail equals SPSC_CAP",
                        (unsigned long long)i, SPSC_CAP, (unsigned long long)(i - 1), where(start));
    if (spsc_full(&r) != 1 || spsc_empty(&r) != 0)
        return fail("after %d pushes (%s) the ring is full: expected spsc_full 1 and spsc_empty "
                    "0, got %d and %d",
                    SPSC_CAP, where(start), spsc_full(&r), spsc_empty(&r));
    if (spsc_push(&r, 999) != 0) {
        uint64_t first = 0;
        spsc_pop(&r, &first);
        return fail("push number %d into a full ring of %d slots (%s): expected 0 (full), got 1 "
                    "(pushed); then the first pop gave %llu instead of 1: item 1 was overwritten "
                    "and lost. Look at how push decides the ring is full",
                    SPSC_CAP + 1, SPSC_CAP, where(start), (unsigned long long)first);
    }
    for (uint64_t i = 1; i <= SPSC_CAP; i++) {
        if (spsc_pop(&r, &v) != 1)
            return fail("pop number %llu of %d from a full ring (%s): expected 1, got 0 (empty)",
                        (unsigned long long)i, SPSC_CAP, where(start));
        if (v != i)
            return fail("pop number %llu from a ring filled with 1..%d (%s): expected item %llu "
                        "(first in, first out), got %llu. Look at which slot pop reads: "
                        "tail & (SPSC_CAP - 1)",
                        (unsigned long long)i, SPSC_CAP, where(start), (unsigned long long)i,
                        (unsigned long long)v);
    }
    if (spsc_pop(&r, &v) != 0 || spsc_empty(&r) != 1)
        return fail("after popping all %d items (%s) the ring must be empty again: spsc_pop 0 "
                    "and spsc_empty 1",
                    SPSC_CAP, where(start));
    return 1;
}

/* Push and pop in uneven steps for many laps of the slots: FIFO order at every fill level. */
static int laps(size_t start)
{
    spsc_ring r;
    uint64_t next_in = 1, next_out = 1, v;
    size_t held = 0;
    ring_at(&r, start);
    for (unsigned round = 0; round < 40 * SPSC_CAP; round++) {
        unsigned pushes = 1 + (round * 7) % SPSC_CAP, pops = 1 + (round * 5) % SPSC_CAP;
        for (unsigned i = 0; i < pushes; i++) {
            int want = held < SPSC_CAP;
            int got = spsc_push(&r, next_in);
            if (got != want)
                return fail("lap test (%s), item %llu with %zu of %d slots in use: expected "
                            "push to return %d, got %d. Look at the full test and at the "
                            "counters after they pass a multiple of SPSC_CAP",
                            where(start), (unsigned long long)next_in, held, SPSC_CAP, want, got);
            if (got)
                next_in++, held++;
        }
        for (unsigned i = 0; i < pops; i++) {
            int want = held > 0;
            int got = spsc_pop(&r, &v);
            if (got != want)
                return fail("lap test (%s) with %zu items held: expected pop to return %d, got "
                            "%d. Look at the empty test",
                            where(start), held, want, got);
            if (got && v != next_out)
                return fail("lap test (%s): expected item %llu next (first in, first out), got "
                            "%llu, after the counters went round the %d slots %llu times. "
                            "Look at how push and pop turn a counter into a slot index",
                            where(start), (unsigned long long)next_out, (unsigned long long)v,
                            SPSC_CAP, (unsigned long long)(next_out / SPSC_CAP));
            if (got)
                next_out++, held--;
        }
    }
    return 1;
}

static int single(void)
{
    const size_t starts[] = {0, SIZE_MAX - 5};
    int ok = 1;
    for (size_t i = 0; i < 2 && ok; i++)
        ok = fill_and_drain(starts[i]);
    if (ok)
        snprintf(explain, sizeof explain,
                 "empty, full at %d items, a push into a full ring refused, first in first out",
                 SPSC_CAP);
    print_check("ring_full_empty", ok);
    int ok2 = 1;
    for (size_t i = 0; i < 2 && ok2; i++)
        ok2 = laps(starts[i]);
    if (ok2)
        snprintf(explain, sizeof explain,
                 "%d rounds of uneven pushes and pops, many laps of the slots, with counters "
                 "from 0 and across SIZE_MAX: every item out once, in order",
                 40 * SPSC_CAP);
    print_check("ring_wraparound", ok2);
    return ok && ok2 ? 0 : 1;
}

/* ---- two threads ---- */

static spsc_ring shared;
static uint64_t total;
static uint64_t bad_at, bad_got; /* first item out of order (consumer) */
static atomic_int consumer_done; /* the consumer stopped early: the producer must not wait */

static void *producer(void *arg)
{
    (void)arg;
    for (uint64_t i = 1; i <= total; i++)
        while (!spsc_push(&shared, i)) {
            if (atomic_load(&consumer_done))
                return NULL;
            sched_yield(); /* full: let the consumer run */
        }
    return NULL;
}

static void *consumer(void *arg)
{
    (void)arg;
    for (uint64_t want = 1; want <= total;) {
        uint64_t v;
        if (!spsc_pop(&shared, &v)) {
            sched_yield();
            continue;
        }
        if (v != want && bad_at == 0)
            bad_at = want, bad_got = v;
        want = v + 1 > want ? v + 1 : want + 1; /* resynchronise, and never loop for ever */
    }
    atomic_store(&consumer_done, 1);
    return NULL;
}

static int stress(uint64_t n)
{
    pthread_t p, c;
    total = n;
    spsc_init(&shared);
    if (pthread_create(&c, NULL, consumer, NULL) != 0 ||
        pthread_create(&p, NULL, producer, NULL) != 0) {
        fprintf(stderr, "check_ring: could not start the threads\n");
        return 2;
    }
    pthread_join(p, NULL);
    pthread_join(c, NULL);
    int ok = bad_at == 0;
    if (ok)
        snprintf(explain, sizeof explain,
                 "%llu items from a producer thread to a consumer thread, each once, in order",
                 (unsigned long long)n);
    else
        fail("with one producer and one consumer thread, item %llu was expected next, the "
             "consumer popped %llu: items were lost, repeated or torn. Look at the order of "
             "the slot write and the head store in push (and of the slot read and the tail "
             "store in pop)",
             (unsigned long long)bad_at, (unsigned long long)bad_got);
    print_check("ring_threads", ok);
    return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "single") == 0)
        return single();
    if (argc >= 2 && strcmp(argv[1], "stress") == 0)
        return stress(argc >= 3 ? strtoull(argv[2], NULL, 10) : 200000);
    fprintf(stderr, "usage: check_ring single | stress [ITEMS]\n");
    return 2;
}
