/*
 * bench_ring.c - items per second through Wirelab's rings and their peers, one producer thread
 * and one consumer thread, in the same run:
 *
 *   spsc   ring_spsc (8-byte messages)        vs  Concurrency Kit ck_ring_*_spsc (pointers)
 *   mpmc   ring_mpmc (blocking, one op/lock)   vs  ck_ring_*_mpmc (lock-free, spinning)
 *          ring_mpmc push_many/pop_many (batches)  and a naive mutex-per-operation queue
 *                                                  (malloc'd list nodes, signal every op)
 *
 * Every run checks that the consumer saw 0, 1, 2, ... in order, so a fast wrong ring cannot
 * win. With two or more CPUs the producer runs on CPU 0 and the consumer on CPU 1: a ring
 * between threads is a channel between two cores, and what it costs is the cache lines that
 * cross between them. Left to the scheduler on a busy machine, both threads often share one
 * CPU in turns, no line crosses, and every ring looks several times faster than it is.
 * Build and run through bench/queue/run; by hand:
 *   cc -O2 -Iqueue bench/queue/bench_ring.c build/queue/libwirelab_queue.a -lpthread -o br
 *   ./br 20000000
 */
#define _GNU_SOURCE /* pthread_attr_setaffinity_np: pin each thread to a CPU of its own */
#include <ck_ring.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ring.h"
#include "ring_spsc_inline.h"

/* The one place the benchmark chooses the SPSC ring's inline fast path (ring_spsc_inline.h)
 * over the out-of-line ring_spsc_push / ring_spsc_pop; both give the same results. */
#define SPSC_PUSH ring_spsc_push_inline
#define SPSC_POP  ring_spsc_pop_inline

static uint64_t items;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void check(uint64_t got, uint64_t want, const char *who)
{
    if (got != want) {
        fprintf(stderr, "bench_ring: %s delivered %llu where %llu was due: broken ring\n", who,
                (unsigned long long)got, (unsigned long long)want);
        exit(1);
    }
}

/* Thread attributes that put a thread on `cpu` (when the machine has two CPUs or more). */
static void on_cpu(pthread_attr_t *a, int cpu)
{
    pthread_attr_init(a);
    if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
        return;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    pthread_attr_setaffinity_np(a, sizeof set, &set);
}

/* Run producer (CPU 0) and consumer (CPU 1) on two threads; return items per second. */
static double run_pair(void *(*prod)(void *), void *(*cons)(void *), void *arg)
{
    pthread_t p, c;
    pthread_attr_t pa, ca;
    on_cpu(&pa, 0);
    on_cpu(&ca, 1);
    double t0 = now_s();
    if (pthread_create(&c, &ca, cons, arg) != 0 || pthread_create(&p, &pa, prod, arg) != 0) {
        fprintf(stderr, "bench_ring: cannot start the two threads\n");
        exit(1);
    }
    pthread_join(p, NULL);
    pthread_join(c, NULL);
    return (double)items / (now_s() - t0);
}

/* ---- ring_spsc ---------------------------------------------------------------------------- */

static void *spsc_prod(void *arg)
{
    ring_spsc *r = arg;
    for (uint64_t i = 0; i < items; i++)
        while (SPSC_PUSH(r, &i, sizeof i, NULL) != RING_OK)
            sched_yield();
    return NULL;
}

static void *spsc_cons(void *arg)
{
    ring_spsc *r = arg;
    for (uint64_t i = 0; i < items; i++) {
        uint64_t v;
        size_t len;
        while (SPSC_POP(r, &v, sizeof v, &len, NULL) != RING_OK)
            sched_yield();
        check(v, i, "ring_spsc");
    }
    return NULL;
}

static void *spsc_cons_many(void *arg)
{
    ring_spsc *r = arg;
    uint64_t v[64];
    size_t lens[64], n;
    for (uint64_t i = 0; i < items;) {
        while (ring_spsc_pop_many(r, v, sizeof v, lens, 64, &n) != RING_OK)
            sched_yield();
        for (size_t k = 0; k < n; k++, i++)
            check(v[k], i, "ring_spsc pop_many");
    }
    return NULL;
}

/* 4-byte messages: a record is then 8 bytes (header + payload), the bytes per item ck_ring
 * moves. Not the comparison (the payload is half), a measurement of what the header costs. */
static void *spsc_prod4(void *arg)
{
    ring_spsc *r = arg;
    for (uint64_t i = 0; i < items; i++) {
        uint32_t v = (uint32_t)i;
        while (SPSC_PUSH(r, &v, sizeof v, NULL) != RING_OK)
            sched_yield();
    }
    return NULL;
}

static void *spsc_cons4(void *arg)
{
    ring_spsc *r = arg;
    for (uint64_t i = 0; i < items; i++) {
        uint32_t v;
        size_t len;
        while (SPSC_POP(r, &v, sizeof v, &len, NULL) != RING_OK)
            sched_yield();
        check(v, (uint32_t)i, "ring_spsc 4-byte");
    }
    return NULL;
}

/* ---- ck_ring spsc and mpmc ----------------------------------------------------------------- */

#define CK_SLOTS 8192 /* 8192 pointers = 64 KiB, the same bytes as the ring_spsc below */

struct ck {
    ck_ring_t ring;
    ck_ring_buffer_t *buf;
};

static void *ck_spsc_prod(void *arg)
{
    struct ck *k = arg;
    for (uint64_t i = 0; i < items; i++)
        while (!ck_ring_enqueue_spsc(&k->ring, k->buf, (void *)(uintptr_t)(i + 1)))
            sched_yield();
    return NULL;
}

static void *ck_spsc_cons(void *arg)
{
    struct ck *k = arg;
    for (uint64_t i = 0; i < items; i++) {
        void *v;
        while (!ck_ring_dequeue_spsc(&k->ring, k->buf, &v))
            sched_yield();
        check((uint64_t)(uintptr_t)v, i + 1, "ck_ring spsc");
    }
    return NULL;
}

/* ck_ring carries pointers: to pass a message whose bytes the sender reuses (a libpcap packet),
 * each item must be a heap copy that the consumer frees. */
static void *ck_copy_prod(void *arg)
{
    struct ck *k = arg;
    for (uint64_t i = 0; i < items; i++) {
        uint64_t *copy = malloc(sizeof *copy);
        memcpy(copy, &i, sizeof i);
        while (!ck_ring_enqueue_spsc(&k->ring, k->buf, copy))
            sched_yield();
    }
    return NULL;
}

static void *ck_copy_cons(void *arg)
{
    struct ck *k = arg;
    for (uint64_t i = 0; i < items; i++) {
        uint64_t *copy;
        while (!ck_ring_dequeue_spsc(&k->ring, k->buf, &copy))
            sched_yield();
        check(*copy, i, "ck_ring spsc + malloc");
        free(copy);
    }
    return NULL;
}

static void *ck_mpmc_prod(void *arg)
{
    struct ck *k = arg;
    for (uint64_t i = 0; i < items; i++)
        while (!ck_ring_enqueue_mpmc(&k->ring, k->buf, (void *)(uintptr_t)(i + 1)))
            sched_yield();
    return NULL;
}

static void *ck_mpmc_cons(void *arg)
{
    struct ck *k = arg;
    for (uint64_t i = 0; i < items; i++) {
        void *v;
        while (!ck_ring_dequeue_mpmc(&k->ring, k->buf, &v))
            sched_yield();
        check((uint64_t)(uintptr_t)v, i + 1, "ck_ring mpmc");
    }
    return NULL;
}

/* kind: 0 spsc, 1 mpmc, 2 spsc carrying malloc'd copies. */
static double bench_ck(int kind)
{
    struct ck k;
    k.buf = calloc(CK_SLOTS, sizeof *k.buf);
    ck_ring_init(&k.ring, CK_SLOTS);
    double r = kind == 1   ? run_pair(ck_mpmc_prod, ck_mpmc_cons, &k)
               : kind == 2 ? run_pair(ck_copy_prod, ck_copy_cons, &k)
                           : run_pair(ck_spsc_prod, ck_spsc_cons, &k);
    free(k.buf);
    return r;
}

/* ---- ring_mpmc ----------------------------------------------------------------------------- */

static void *mpmc_prod(void *arg)
{
    ring_mpmc *q = arg;
    for (uint64_t i = 0; i < items; i++)
        ring_mpmc_push(q, &i, sizeof i, RING_WAIT_FOREVER, NULL);
    return NULL;
}

static void *mpmc_cons(void *arg)
{
    ring_mpmc *q = arg;
    for (uint64_t i = 0; i < items; i++) {
        uint64_t v;
        size_t len;
        ring_mpmc_pop(q, &v, sizeof v, &len, NULL, RING_WAIT_FOREVER);
        check(v, i, "ring_mpmc");
    }
    return NULL;
}

#define BATCH 64

static void *mpmc_prod_many(void *arg)
{
    ring_mpmc *q = arg;
    uint64_t v[BATCH];
    size_t lens[BATCH], pushed;
    for (size_t k = 0; k < BATCH; k++)
        lens[k] = sizeof v[0];
    for (uint64_t i = 0; i < items; i += pushed) {
        size_t n = items - i < BATCH ? (size_t)(items - i) : BATCH;
        for (size_t k = 0; k < n; k++)
            v[k] = i + k;
        ring_mpmc_push_many(q, v, lens, n, RING_WAIT_FOREVER, &pushed);
    }
    return NULL;
}

static void *mpmc_cons_many(void *arg)
{
    ring_mpmc *q = arg;
    uint64_t v[BATCH];
    size_t lens[BATCH], n;
    for (uint64_t i = 0; i < items;) {
        ring_mpmc_pop_many(q, v, sizeof v, lens, BATCH, &n, RING_WAIT_FOREVER);
        for (size_t k = 0; k < n; k++, i++)
            check(v[k], i, "ring_mpmc pop_many");
    }
    return NULL;
}

/* ---- the naive queue: one malloc, one lock and one signal per operation ------------------ */

struct node {
    struct node *next;
    uint64_t v;
};

struct naive {
    pthread_mutex_t lock;
    pthread_cond_t not_empty, not_full;
    struct node *head, *tail;
    size_t count, limit;
};

static void *naive_prod(void *arg)
{
    struct naive *q = arg;
    for (uint64_t i = 0; i < items; i++) {
        struct node *n = malloc(sizeof *n);
        n->next = NULL;
        n->v = i;
        pthread_mutex_lock(&q->lock);
        while (q->count == q->limit)
            pthread_cond_wait(&q->not_full, &q->lock);
        if (q->tail)
            q->tail->next = n;
        else
            q->head = n;
        q->tail = n;
        q->count++;
        pthread_cond_signal(&q->not_empty);
        pthread_mutex_unlock(&q->lock);
    }
    return NULL;
}

static void *naive_cons(void *arg)
{
    struct naive *q = arg;
    for (uint64_t i = 0; i < items; i++) {
        pthread_mutex_lock(&q->lock);
        while (q->head == NULL)
            pthread_cond_wait(&q->not_empty, &q->lock);
        struct node *n = q->head;
        q->head = n->next;
        if (q->head == NULL)
            q->tail = NULL;
        q->count--;
        pthread_cond_signal(&q->not_full);
        pthread_mutex_unlock(&q->lock);
        check(n->v, i, "naive queue");
        free(n);
    }
    return NULL;
}

static double bench_naive(void)
{
    struct naive q = {.limit = 4096};
    pthread_mutex_init(&q.lock, NULL);
    pthread_cond_init(&q.not_empty, NULL);
    pthread_cond_init(&q.not_full, NULL);
    return run_pair(naive_prod, naive_cons, &q);
}

static double bench_mpmc(int many)
{
    /* 4096 messages of 8 bytes (12 with the header): 64 KiB, like the others. */
    ring_mpmc *q = ring_mpmc_new(65536, 4096, RING_REJECT);
    double r =
        many ? run_pair(mpmc_prod_many, mpmc_cons_many, q) : run_pair(mpmc_prod, mpmc_cons, q);
    ring_mpmc_free(q);
    return r;
}

/* kind: 0 push/pop, 1 push/pop_many, 2 push/pop of 4-byte messages. */
static double bench_spsc(int kind)
{
    ring_spsc *r = ring_spsc_new(65536);
    double v = kind == 1   ? run_pair(spsc_prod, spsc_cons_many, r)
               : kind == 2 ? run_pair(spsc_prod4, spsc_cons4, r)
                           : run_pair(spsc_prod, spsc_cons, r);
    ring_spsc_free(r);
    return v;
}

/* Which contenders to run: "all", "spsc" or "mpmc" (argv[2]). */
static int want(const char *which, const char *group)
{
    return strcmp(which, "all") == 0 || strcmp(which, group) == 0;
}

/* One measurement, as a line of bench/stats.py's results file: round, figure, contender, value. */
static void emit(int round, const char *figure, const char *contender, double items_per_s)
{
    printf("%d\t%s\t%s\t%.0f\n", round, figure, contender, items_per_s);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    items = argc > 1 ? strtoull(argv[1], NULL, 10) : 20000000;
    const char *which = argc > 2 ? argv[2] : "all";
    int rounds = argc > 3 ? atoi(argv[3]) : 5;
    if (items == 0 || rounds < 1 || (!want(which, "spsc") && !want(which, "mpmc"))) {
        fprintf(stderr, "usage: bench_ring [ITEMS [all|spsc|mpmc [ROUNDS]]]\n");
        return 2;
    }
    /* The machine is shared and noisy: every contender runs once per round, interleaved, so a
     * burst of someone else's load hits all of them alike; bench/stats.py turns the lines into
     * medians, ranges and per-round ratios. */
    const char *spsc = "SPSC items/s, 1 producer + 1 consumer thread";
    const char *mpmc = "MPMC items/s, 1 producer + 1 consumer thread";
    for (int round = 1; round <= rounds; round++) {
        if (want(which, "spsc")) {
            emit(round, spsc, "ring_spsc", bench_spsc(0));
            emit(round, spsc, "ck_ring spsc", bench_ck(0));
            emit(round, spsc, "ring_spsc pop_many of 64", bench_spsc(1));
            emit(round, spsc, "ck_ring spsc + malloc copy", bench_ck(2));
            emit(round, spsc, "ring_spsc 4-byte messages", bench_spsc(2));
        }
        if (want(which, "mpmc")) {
            emit(round, mpmc, "ring_mpmc", bench_mpmc(0));
            emit(round, mpmc, "naive mutex queue", bench_naive());
            emit(round, mpmc, "ring_mpmc batches of 64", bench_mpmc(1));
            emit(round, mpmc, "ck_ring mpmc", bench_ck(1));
        }
    }
    return 0;
}
