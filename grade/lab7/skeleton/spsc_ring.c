/*
 * spsc_ring.c - lab 7's task, part 1: the single-producer single-consumer ring of
 * spsc_ring.h. Grade it with ./wirelab grade 7: one-thread checks of full, empty and order
 * across many laps, then a producer thread and a consumer thread under ThreadSanitizer.
 *
 * Each side owns one counter. Think about what the OTHER thread must be able to see when it
 * reads your counter: the producer must not let the consumer see head move before the slot
 * holds the item (memory_order_release on the store, memory_order_acquire on the load).
 */
#include "spsc_ring.h"

void spsc_init(spsc_ring *r)
{
    atomic_init(&r->head, 0);
    atomic_init(&r->tail, 0);
}

int spsc_push(spsc_ring *r, uint64_t v)
{
    /* TODO: refuse when full; write the slot; then publish the new head. */
    (void)r;
    (void)v;
    return 0;
}

int spsc_pop(spsc_ring *r, uint64_t *v)
{
    /* TODO: refuse when empty; read the slot; then publish the new tail. */
    (void)r;
    (void)v;
    return 0;
}

int spsc_full(spsc_ring *r)
{
    /* TODO */
    (void)r;
    return 0;
}

int spsc_empty(spsc_ring *r)
{
    /* TODO */
    (void)r;
    return 1;
}
