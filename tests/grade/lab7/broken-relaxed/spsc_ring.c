/*
 * spsc_ring.c - lab 7, broken on purpose: every atomic is memory_order_relaxed, so nothing
 * orders the slot write before the head store that publishes it (ThreadSanitizer must report
 * the data race, run after run). Otherwise the reference:
 * it reads its own relaxed, and the other side's with acquire; it publishes its own with
 * release, after touching the slot, so the other side sees the slot's contents (push) or
 * knows the slot is free again (pop).
 */
#include "spsc_ring.h"

void spsc_init(spsc_ring *r)
{
    atomic_init(&r->head, 0);
    atomic_init(&r->tail, 0);
}

int spsc_push(spsc_ring *r, uint64_t v)
{
    size_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
    size_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
    if (head - tail == SPSC_CAP)
        return 0;
    r->slot[head & (SPSC_CAP - 1)] = v;
    atomic_store_explicit(&r->head, head + 1, memory_order_relaxed);
    return 1;
}

int spsc_pop(spsc_ring *r, uint64_t *v)
{
    size_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
    size_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
    if (head == tail)
        return 0;
    *v = r->slot[tail & (SPSC_CAP - 1)];
    atomic_store_explicit(&r->tail, tail + 1, memory_order_relaxed);
    return 1;
}

int spsc_full(spsc_ring *r)
{
    return atomic_load_explicit(&r->head, memory_order_relaxed) -
               atomic_load_explicit(&r->tail, memory_order_relaxed) ==
           SPSC_CAP;
}

int spsc_empty(spsc_ring *r)
{
    return atomic_load_explicit(&r->head, memory_order_relaxed) ==
           atomic_load_explicit(&r->tail, memory_order_relaxed);
}
