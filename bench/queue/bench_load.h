/*
 * bench_load.h - what the work-queue load generators share (bench/queue/bench_broker.c for
 * queue_broker, bench/queue_durable/bench_streams.c for Redis Streams): the shape of the load
 * (4 producer and 4 consumer connections, each producer pipelining 64 messages per write), the
 * clock, and the check that every message was consumed exactly once.
 *
 * A program defines producer() and consumer() (thread functions; a producer gets its index)
 * and calls load_run(); `seen[seq]` is incremented by a consumer for each message it gets.
 */
#ifndef WIRELAB_BENCH_LOAD_H
#define WIRELAB_BENCH_LOAD_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define PRODUCERS 4
#define CONSUMERS 4
#define PIPELINE  64

static const char *load_name; /* the program's name, for die() */
static int port;
static uint64_t total;
static _Atomic unsigned char *seen;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
    fprintf(stderr, "%s: %s\n", load_name, what);
    exit(1);
}

/* PORT [MESSAGES] from the command line into port and total (a multiple of 16). */
static void load_args(int argc, char **argv, const char *name)
{
    load_name = name;
    if (argc < 2) {
        fprintf(stderr, "usage: %s PORT [MESSAGES]\n", name);
        exit(2);
    }
    port = atoi(argv[1]);
    total = argc > 2 ? strtoull(argv[2], NULL, 10) : 200000;
    total -= total % (PRODUCERS * CONSUMERS);
    seen = calloc(total, 1);
    if (seen == NULL || total == 0)
        die("MESSAGES must be at least 16 (and memory must allow one byte each)");
}

/* Run the producers and consumers to the end; every message must have been seen once.
 * Returns the seconds it took. */
static double load_run(void *(*producer)(void *), void *(*consumer)(void *))
{
    pthread_t p[PRODUCERS], c[CONSUMERS];
    double t0 = now_s();
    for (uintptr_t i = 0; i < CONSUMERS; i++)
        pthread_create(&c[i], NULL, consumer, (void *)i);
    for (uintptr_t i = 0; i < PRODUCERS; i++)
        pthread_create(&p[i], NULL, producer, (void *)i);
    for (int i = 0; i < PRODUCERS; i++)
        pthread_join(p[i], NULL);
    for (int i = 0; i < CONSUMERS; i++)
        pthread_join(c[i], NULL);
    double dt = now_s() - t0;
    for (uint64_t i = 0; i < total; i++)
        if (seen[i] != 1)
            die("a message was never delivered");
    return dt;
}

#endif
