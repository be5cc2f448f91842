/*
 * timers.c - the loop's timers as a binary min-heap (see timers.h).
 *
 * The heap is an array where the children of entry i are 2i+1 and 2i+2, and no child is due
 * before its parent: the earliest timer is always heap[0]. Adding puts the new timer at the
 * end and lets it rise (sift up) past later parents; removing entry i moves the last entry
 * into its place and lets that one rise or sink (sift down). Each costs at most the heap's
 * height, log2(n). Every slot remembers its position in the heap (`pos`), so cancelling by id
 * needs no search.
 *
 * Run it: tests/tcp_echo/test_loop.c drives it through the loop (order, cancel, restart from
 * a callback, many timers, the exact deadline).
 */
#include "timers.h"

#include <stdlib.h>

#define NOT_QUEUED UINT32_MAX

struct timer_slot {
    uint64_t deadline, period, seq;
    timer_fn fn;
    void *arg;
    uint32_t gen;  /* generation, part of the id */
    uint32_t pos;  /* index in the heap, or NOT_QUEUED (free) */
    uint32_t next; /* next free slot + 1, while free */
};

void timers_init(timers *t, size_t max)
{
    *t = (timers){.max = max < UINT32_MAX - 1 ? max : UINT32_MAX - 1};
}

void timers_free(timers *t)
{
    free(t->slot);
    free(t->heap);
    *t = (timers){.max = t->max};
}

size_t timers_count(const timers *t)
{
    return t->n;
}

/* Is slot a due before slot b? Ties go to the one started first. */
static int before(const timers *t, uint32_t a, uint32_t b)
{
    const timer_slot *x = &t->slot[a], *y = &t->slot[b];
    return x->deadline < y->deadline || (x->deadline == y->deadline && x->seq < y->seq);
}

static void place(timers *t, size_t i, uint32_t s)
{
    t->heap[i] = s;
    t->slot[s].pos = (uint32_t)i;
}

static void sift_up(timers *t, size_t i)
{
    uint32_t s = t->heap[i];
    while (i > 0 && before(t, s, t->heap[(i - 1) / 2])) {
        place(t, i, t->heap[(i - 1) / 2]);
        i = (i - 1) / 2;
    }
    place(t, i, s);
}

static void sift_down(timers *t, size_t i)
{
    uint32_t s = t->heap[i];
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= t->n)
            break;
        if (child + 1 < t->n && before(t, t->heap[child + 1], t->heap[child]))
            child++;
        if (!before(t, t->heap[child], s))
            break;
        place(t, i, t->heap[child]);
        i = child;
    }
    place(t, i, s);
}

/* Make room for one more slot: double the table (up to max). Returns 0 or -1. */
static int grow(timers *t)
{
    if (t->cap >= t->max)
        return -1;
    size_t cap = t->cap ? t->cap * 2 : 16;
    if (cap > t->max)
        cap = t->max;
    timer_slot *slot = realloc(t->slot, cap * sizeof *slot);
    if (!slot)
        return -1;
    t->slot = slot;
    uint32_t *heap = realloc(t->heap, cap * sizeof *heap);
    if (!heap)
        return -1;
    t->heap = heap;
    for (size_t i = cap; i-- > t->cap;) { /* the new slots join the free list, lowest first */
        slot[i] = (timer_slot){.gen = 1, .pos = NOT_QUEUED, .next = t->free};
        t->free = (uint32_t)i + 1;
    }
    t->cap = cap;
    return 0;
}

/* Put slot s (already filled in) into the heap. */
static void enqueue(timers *t, uint32_t s)
{
    t->slot[s].seq = t->seq++;
    t->heap[t->n] = s;
    sift_up(t, t->n++);
}

/* Take the entry at heap position i out of the heap (the slot stays as it is). */
static void dequeue(timers *t, size_t i)
{
    uint32_t s = t->heap[i];
    uint32_t last = t->heap[--t->n];
    t->slot[s].pos = NOT_QUEUED;
    if (i == t->n)
        return;
    place(t, i, last);
    sift_up(t, i);
    sift_down(t, t->slot[last].pos);
}

/* A slot goes back to the free list; its next user gets a new generation (a new id). */
static void release(timers *t, uint32_t s)
{
    timer_slot *ts = &t->slot[s];
    ts->gen = ts->gen == UINT32_MAX ? 1 : ts->gen + 1;
    ts->next = t->free;
    t->free = s + 1;
}

static uint64_t id_of(const timers *t, uint32_t s)
{
    return (uint64_t)t->slot[s].gen << 32 | (uint64_t)(s + 1);
}

uint64_t timers_add(timers *t, uint64_t deadline, uint64_t period, timer_fn fn, void *arg)
{
    if (!t->free && grow(t) < 0)
        return 0;
    uint32_t s = t->free - 1;
    timer_slot *ts = &t->slot[s];
    t->free = ts->next;
    ts->deadline = deadline;
    ts->period = period;
    ts->fn = fn;
    ts->arg = arg;
    enqueue(t, s);
    return id_of(t, s);
}

/* The slot an id names, if it names a pending timer; else -1. */
static int64_t slot_of(const timers *t, uint64_t id)
{
    uint64_t s = (id & UINT32_MAX) - 1;
    if ((id & UINT32_MAX) == 0 || s >= t->cap)
        return -1;
    const timer_slot *ts = &t->slot[s];
    if (ts->gen != (uint32_t)(id >> 32) || ts->pos == NOT_QUEUED)
        return -1;
    return (int64_t)s;
}

int timers_cancel(timers *t, uint64_t id)
{
    int64_t s = slot_of(t, id);
    if (s < 0)
        return -1;
    dequeue(t, t->slot[s].pos);
    release(t, (uint32_t)s);
    return 0;
}

int timers_next(const timers *t, uint64_t *deadline)
{
    if (t->n == 0)
        return 0;
    *deadline = t->slot[t->heap[0]].deadline;
    return 1;
}

int timers_pop_due(timers *t, uint64_t now, timer_due *due)
{
    if (t->n == 0 || t->slot[t->heap[0]].deadline > now)
        return 0;
    uint32_t s = t->heap[0];
    timer_slot *ts = &t->slot[s];
    *due = (timer_due){id_of(t, s), ts->fn, ts->arg};
    dequeue(t, 0);
    if (ts->period) { /* periodic: due again one period from now, same id */
        ts->deadline = now + ts->period;
        enqueue(t, s);
    } else {
        release(t, s);
    }
    return 1;
}
