/*
 * ring_spsc_inline.h - OPTIONAL FAST PATH, read after ring_spsc.c: ring_spsc_push_inline and
 * ring_spsc_pop_inline, the common case of ring_spsc_push and ring_spsc_pop as static inline
 * functions for a caller's hot loop.
 *
 * Nothing needs this header: ring.h's ring_spsc_push and ring_spsc_pop (ring_spsc.c) are the
 * complete, readable versions and handle every case. A caller opts in by including this file
 * and calling the _inline names; today that is bench/queue/bench_ring.c, whose 8-byte items
 * are where a library call shows. The choice is made there, once: two defines at the top.
 *
 * Why inline: a push of an 8-byte message is a dozen instructions of real work (check the
 * room, store the length, store the bytes, publish head). As a call into the library it costs
 * about 60 instructions more: saving and restoring registers, and a general copy loop that
 * cannot know the length is 8. Inlined, the compiler sees the caller's constant length and the
 * copy becomes two plain stores (callgrind: 125 -> ~30 instructions per push + pop). Concurrency
 * Kit's ck_ring is header-only for the same reason.
 *
 * The fast path covers the common case only: a record that does not straddle the end of the
 * array, a message no larger than ring_spsc_max_msg, a caller buffer that is large enough.
 * Everything else goes to ring_spsc_push / ring_spsc_pop, so the results (status, length,
 * offset, bytes, and the ring's state after) are the same either way, which
 * tests/queue/test_ring.c checks for every length and position, and test_spsc_stress.c under
 * two threads (and ThreadSanitizer) with both paths mixed. The synchronisation is the same
 * three calls as ring_spsc.c's (ring_spsc_internal.h).
 */
#ifndef WIRELAB_RING_SPSC_INLINE_H
#define WIRELAB_RING_SPSC_INLINE_H

#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include "ring.h"
#include "ring_bytes.h"
#include "ring_spsc_internal.h"

/* ring_spsc_push, faster for a small record that does not straddle the end. */
static inline int ring_spsc_push_inline(ring_spsc *r, const void *data, size_t len,
                                        uint64_t *offset)
{
    /* Relaxed: only this thread ever writes head, so it always sees its own latest value. */
    uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
    size_t at = (size_t)(head & r->mask);
    /* len <= max_msg first, so that len + RING_HDR below cannot overflow. */
    if (len > r->max_msg || at + RING_HDR + len > r->mask + 1)
        return ring_spsc_push(r, data, len, offset); /* too big, or it would straddle */
    if (!ring_spsc_room(r, head, RING_HDR + (uint64_t)len))
        return RING_FULL;
    uint32_t len32 = (uint32_t)len;
    memcpy(r->buf + at, &len32, RING_HDR);
    ring_memcpy(r->buf + at + RING_HDR, data, len);
    return ring_spsc_hand_over(&r->head, head + RING_HDR + len, &r->p_offset, 1, offset);
}

/* ring_spsc_pop, faster for a record that does not straddle the end and fits in buf. */
static inline int ring_spsc_pop_inline(ring_spsc *r, void *buf, size_t cap, size_t *len,
                                       uint64_t *offset)
{
    /* Relaxed: only this thread writes tail. */
    uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
    size_t at = (size_t)(tail & r->mask);
    if (at + RING_HDR > r->mask + 1)
        return ring_spsc_pop(r, buf, cap, len, offset); /* the header straddles */
    if (!ring_spsc_available(r, tail))
        return RING_EMPTY;
    uint32_t n;
    memcpy(&n, r->buf + at, RING_HDR);
    if (n > cap || at + RING_HDR + n > r->mask + 1)
        return ring_spsc_pop(r, buf, cap, len, offset); /* too small, or it straddles */
    ring_memcpy(buf, r->buf + at + RING_HDR, n);
    *len = n;
    return ring_spsc_hand_over(&r->tail, tail + RING_HDR + n, &r->c_offset, 1, offset);
}

#endif
