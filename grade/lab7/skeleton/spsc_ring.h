/*
 * spsc_ring.h - lab 7's task, part 1: a ring buffer for ONE producer thread and ONE consumer
 * thread, with no lock: two free-running counters and C11 atomics (as queue/ring.h explains).
 * Do not change this file: the grader compiles your spsc_ring.c against its own copy.
 *
 *   empty  <=>  head == tail           full  <=>  head - tail == SPSC_CAP
 *   slot   =    counter & (SPSC_CAP - 1)
 *
 * The counters only grow (and wrap at SIZE_MAX + 1, which is harmless: SPSC_CAP divides it, so
 * head - tail stays right). The grader starts them at 0 and also just below SIZE_MAX.
 * Grade:  ./wirelab grade 7
 */
#ifndef LAB7_SPSC_RING_H
#define LAB7_SPSC_RING_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define SPSC_CAP 16 /* slots; a power of two, small so the tests wrap around often */

typedef struct spsc_ring {
    _Atomic size_t head;     /* items pushed so far: written only by the producer */
    _Atomic size_t tail;     /* items popped so far: written only by the consumer */
    uint64_t slot[SPSC_CAP]; /* the items, at counter & (SPSC_CAP - 1) */
} spsc_ring;

/* An empty ring: both counters 0. */
void spsc_init(spsc_ring *r);

/* Producer only. 1: v was added; 0: the ring is full and nothing changed. */
int spsc_push(spsc_ring *r, uint64_t v);

/* Consumer only. 1: the oldest item was removed into *v; 0: the ring is empty. */
int spsc_pop(spsc_ring *r, uint64_t *v);

/* 1 when the ring holds SPSC_CAP items (exact while the consumer is not popping). */
int spsc_full(spsc_ring *r);

/* 1 when the ring holds no item (exact while the producer is not pushing). */
int spsc_empty(spsc_ring *r);

#endif
