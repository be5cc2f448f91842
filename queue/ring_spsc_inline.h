/*
 * ring_spsc_inline.h - (included by ring.h) the ring_spsc struct and the fast half of
 * ring_spsc_push and ring_spsc_pop, as static inline functions.
 *
 * Why in a header: a push of an 8-byte message is a dozen instructions of real work (check the
 * room, store the length, store the bytes, publish head). As a call into the library it cost
 * about 60 instructions more: saving and restoring registers, and a general copy loop that
 * cannot know the length is 8. Inlined, the compiler sees the caller's constant length and the
 * copy becomes two plain stores (callgrind: 125 -> ~30 instructions per push + pop). Concurrency
 * Kit's ck_ring is header-only for the same reason.
 *
 * The fast path covers the common case only: a record that does not straddle the end of the
 * array, a message no larger than ring_spsc_max_msg, a caller buffer that is large enough.
 * Everything else - a straddling record, RING_TOOBIG, RING_TOOSMALL - goes to the out-of-line
 * ring_spsc_push_slow / ring_spsc_pop_slow in ring_spsc.c, which handle every case (they are
 * the complete push and pop; the fast path is only a shortcut in front of them).
 *
 * The fields are public only so the compiler can inline; callers use the functions.
 */
#ifndef WIRELAB_RING_SPSC_INLINE_H
#define WIRELAB_RING_SPSC_INLINE_H

#include <stdalign.h>
#include <stdatomic.h>
#include <stdint.h>

#include "ring_bytes.h"

#define RING_CACHE_LINE 64

struct ring_spsc {
    /* Set at creation, read-only afterwards: safe to share without atomics. */
    alignas(RING_CACHE_LINE) uint8_t *buf;
    uint64_t mask;
    size_t max_msg; /* ring_spsc_max_msg(), kept here so the fast path need not compute it */

    /* The producer's cache line: written by the producer, `head` read by the consumer. */
    alignas(RING_CACHE_LINE) _Atomic uint64_t head;
    uint64_t tail_cache; /* producer's last view of tail: space it already knows is free */
    uint64_t p_offset;   /* offset of the next message pushed */

    /* The consumer's cache line: written by the consumer, `tail` read by the producer. */
    alignas(RING_CACHE_LINE) _Atomic uint64_t tail;
    uint64_t head_cache; /* consumer's last view of head: bytes it already knows are there */
    uint64_t c_offset;   /* offset of the next message popped */
};

/* The complete push and pop (every case), in ring_spsc.c. Call ring_spsc_push/pop instead. */
int ring_spsc_push_slow(ring_spsc *r, const void *data, size_t len, uint64_t *offset);
int ring_spsc_pop_slow(ring_spsc *r, void *buf, size_t cap, size_t *len, uint64_t *offset);

/* Producer: is there room for `need` bytes at head? Re-reads tail only when it looks full. */
static inline int ring_spsc_room(ring_spsc *r, uint64_t head, uint64_t need)
{
    uint64_t cap = r->mask + 1;
    if (need <= cap - (head - r->tail_cache))
        return 1;
    /* Acquire pairs with the consumer's release store of tail: the consumer's reads of the
     * bytes below tail happen before our writes over them (no overwriting a record the
     * consumer is still copying out). */
    r->tail_cache = atomic_load_explicit(&r->tail, memory_order_acquire);
    return need <= cap - (head - r->tail_cache);
}

/* Consumer: is there a record at tail? Refreshes the view of head only when it looks empty. */
static inline int ring_spsc_available(ring_spsc *r, uint64_t tail)
{
    if (r->head_cache == tail) {
        /* Acquire pairs with the producer's release store of head: every byte of the records
         * below the head we read here is visible to us before we copy it out. */
        r->head_cache = atomic_load_explicit(&r->head, memory_order_acquire);
        if (r->head_cache == tail)
            return 0;
    }
    return 1;
}

static inline int ring_spsc_push(ring_spsc *r, const void *data, size_t len, uint64_t *offset)
{
    /* Relaxed: only this thread ever writes head, so it always sees its own latest value. */
    uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
    size_t at = (size_t)(head & r->mask);
    /* len <= max_msg first, so that len + RING_HDR below cannot overflow. */
    if (len > r->max_msg || at + RING_HDR + len > r->mask + 1)
        return ring_spsc_push_slow(r, data, len, offset); /* too big, or it would straddle */
    if (!ring_spsc_room(r, head, RING_HDR + (uint64_t)len))
        return RING_FULL;
    uint32_t len32 = (uint32_t)len;
    memcpy(r->buf + at, &len32, RING_HDR);
    ring_memcpy(r->buf + at + RING_HDR, data, len);
    /* Release publishes the record: the header and payload written above become visible to a
     * consumer that acquires this head value, never a head that points past unwritten bytes.
     * One release store per push, on the producer's own cache line. */
    atomic_store_explicit(&r->head, head + RING_HDR + len, memory_order_release);
    if (offset != NULL)
        *offset = r->p_offset;
    r->p_offset++;
    return RING_OK;
}

static inline int ring_spsc_pop(ring_spsc *r, void *buf, size_t cap, size_t *len, uint64_t *offset)
{
    /* Relaxed: only this thread writes tail. */
    uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
    size_t at = (size_t)(tail & r->mask);
    if (at + RING_HDR > r->mask + 1)
        return ring_spsc_pop_slow(r, buf, cap, len, offset); /* the header straddles */
    if (!ring_spsc_available(r, tail))
        return RING_EMPTY;
    uint32_t n;
    memcpy(&n, r->buf + at, RING_HDR);
    if (n > cap || at + RING_HDR + n > r->mask + 1)
        return ring_spsc_pop_slow(r, buf, cap, len, offset); /* too small, or it straddles */
    ring_memcpy(buf, r->buf + at + RING_HDR, n);
    *len = n;
    /* Release hands the bytes back: our reads above complete before the producer, acquiring
     * this tail, may write new records over them. */
    atomic_store_explicit(&r->tail, tail + RING_HDR + n, memory_order_release);
    if (offset != NULL)
        *offset = r->c_offset;
    r->c_offset++;
    return RING_OK;
}

#endif
