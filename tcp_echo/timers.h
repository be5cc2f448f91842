/*
 * timers.h - one-shot timers with exact deadlines: a binary min-heap ordered by deadline.
 *
 * What it teaches: an event loop sleeps in epoll_wait() until a socket is ready OR the
 * earliest timer is due, so it must always know the earliest deadline (the top of the heap,
 * O(1)), add a timer and cancel one in O(log n). Redis's ae.c and libuv keep their timers the
 * same way. There is no clock in here: deadlines are plain numbers (the loop uses nanoseconds
 * on CLOCK_MONOTONIC), so the tests can run the heap without waiting.
 *
 * A timer is named by a 64-bit id: its slot in a table (low 32 bits, + 1 so that 0 is never an
 * id) and the slot's generation (high 32 bits), bumped each time the slot is reused. An id
 * kept after its timer fired or was cancelled therefore names nothing, and cancelling it is a
 * harmless no-op - even if the slot now holds somebody else's timer.
 *
 * The table has a fixed maximum (timers_init's max): adding beyond it fails, and the caller
 * says so. Memory grows with use, up to that maximum.
 */
#ifndef WIRELAB_TIMERS_H
#define WIRELAB_TIMERS_H

#include <stddef.h>
#include <stdint.h>

typedef struct timer_slot timer_slot;
struct loop;
typedef void (*timer_fn)(struct loop *l, void *arg); /* = loop_timer_fn in loop.h */

typedef struct timers {
    timer_slot *slot; /* the table; a free slot links to the next free one */
    uint32_t *heap;   /* slot numbers, heap-ordered by (deadline, seq) */
    size_t n;         /* timers in the heap */
    size_t cap;       /* slots allocated */
    size_t max;       /* slots allowed */
    uint32_t free;    /* first free slot + 1 (0: none) */
    uint64_t seq;     /* start order: equal deadlines fire first-started-first */
} timers;

/* What fired: the callback and argument the timer was started with. */
typedef struct timer_due {
    uint64_t id;
    timer_fn fn;
    void *arg;
} timer_due;

void timers_init(timers *t, size_t max);
void timers_free(timers *t);

/* Start a timer due at `deadline`; every `period` after, if period > 0. Returns its id, or 0
 * if the table is full (max timers) or memory ran out. */
uint64_t timers_add(timers *t, uint64_t deadline, uint64_t period, timer_fn fn, void *arg);

/* Cancel a timer. Returns 0, or -1 if the id names no pending timer (fired, cancelled). */
int timers_cancel(timers *t, uint64_t id);

/* The earliest deadline, in *deadline. Returns 0 if there is no timer at all. */
int timers_next(const timers *t, uint64_t *deadline);

/*
 * Take the earliest timer if it is due (deadline <= now) into *due and return 1, else 0.
 * A one-shot timer is gone afterwards (its id names nothing); a periodic one is already
 * due again at now + period.
 */
int timers_pop_due(timers *t, uint64_t now, timer_due *due);

size_t timers_count(const timers *t);

#endif
