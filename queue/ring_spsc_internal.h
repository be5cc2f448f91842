/*
 * ring_spsc_internal.h - (internal) the ring_spsc struct and the three places where its two
 * threads synchronise. Not a public interface: callers use ring.h.
 *
 * What it teaches: a lock-free single-producer single-consumer ring needs exactly three
 * synchronisation points, and every one of them is here:
 *
 *   ring_spsc_room        producer: acquire tail   "which bytes has the consumer finished with?"
 *   ring_spsc_available   consumer: acquire head   "which records has the producer finished?"
 *   ring_spsc_hand_over   either:   release its own counter, "I am done with these bytes"
 *
 * Everything else in ring_spsc.c (and the optional fast path, ring_spsc_inline.h) is plain
 * copying of bytes between two of these calls. Shared by those two files only.
 */
#ifndef WIRELAB_RING_SPSC_INTERNAL_H
#define WIRELAB_RING_SPSC_INTERNAL_H

#include <stdalign.h>
#include <stdatomic.h>
#include <stdint.h>

#include "ring.h"
#include "ring_bytes.h"

/* A cache line: the unit (64 bytes on x86-64 and most ARM cores) the CPUs pass between them. */
#define RING_CACHE_LINE 64

/*
 * head and tail live on different cache lines. If they shared one, every push would steal the
 * line from the consumer's core and every pop steal it back ("false sharing"). Each side also
 * keeps a private copy of the other's counter (tail_cache, head_cache) and re-reads the shared
 * one only when the copy says "full" or "empty", so most operations touch no line the other
 * core is writing. (The record bytes have their own allocation, away from the counters.)
 */
struct ring_spsc {
    /* Set at creation, read-only afterwards: safe to share without atomics. */
    alignas(RING_CACHE_LINE) uint8_t *buf;
    uint64_t mask;
    size_t max_msg; /* ring_spsc_max_msg() */

    /* The producer's cache line: written by the producer, `head` read by the consumer. */
    alignas(RING_CACHE_LINE) _Atomic uint64_t head;
    uint64_t tail_cache; /* producer's last view of tail: space it already knows is free */
    uint64_t p_offset;   /* offset of the next message pushed */

    /* The consumer's cache line: written by the consumer, `tail` read by the producer. */
    alignas(RING_CACHE_LINE) _Atomic uint64_t tail;
    uint64_t head_cache; /* consumer's last view of head: bytes it already knows are there */
    uint64_t c_offset;   /* offset of the next message popped */
};

/* Producer: is there room for `need` bytes at head? Re-reads tail only when it looks full. */
static inline int ring_spsc_room(ring_spsc *r, uint64_t head, uint64_t need)
{
    uint64_t cap = r->mask + 1;
    if (need <= cap - (head - r->tail_cache))
        return 1;
    /* Acquire pairs with the consumer's release of tail (ring_spsc_hand_over): the consumer's
     * reads of the bytes below tail happen before our writes over them (no overwriting a
     * record the consumer is still copying out). */
    r->tail_cache = atomic_load_explicit(&r->tail, memory_order_acquire);
    return need <= cap - (head - r->tail_cache);
}

/* Consumer: is there a record at tail? Refreshes the view of head only when it looks empty. */
static inline int ring_spsc_available(ring_spsc *r, uint64_t tail)
{
    if (r->head_cache == tail) {
        /* Acquire pairs with the producer's release of head (ring_spsc_hand_over): every byte
         * of the records below the head we read here is visible to us before we copy it out. */
        r->head_cache = atomic_load_explicit(&r->head, memory_order_acquire);
        if (r->head_cache == tail)
            return 0;
    }
    return 1;
}

/*
 * The ending of every push and pop: hand the bytes over to the other thread, then count the
 * messages that moved.
 *
 * counter is this thread's own shared counter (&r->head for the producer, &r->tail for the
 * consumer), value its new position. The store is a release, and that one word is the whole
 * protocol: every write or read of the ring's bytes this thread made before it happens before
 * anything the other thread does after acquiring the value (ring_spsc_room, _available).
 *   producer (head): the header and payload written above become visible together; the
 *                    consumer never sees a head that points past unwritten bytes.
 *   consumer (tail): our copy-out is finished before the producer may write new records
 *                    over those bytes.
 * Relaxed would let the CPU or compiler move the counter's store before the copying, and the
 * other thread could read a half-written record or have one overwritten under it.
 *
 * seq is this side's message counter (p_offset or c_offset), advanced by nmsgs; *offset (may be
 * NULL) gets the offset of the first message moved. Returns RING_OK.
 */
static inline int ring_spsc_hand_over(_Atomic uint64_t *counter, uint64_t value, uint64_t *seq,
                                      uint64_t nmsgs, uint64_t *offset)
{
    atomic_store_explicit(counter, value, memory_order_release);
    if (offset != NULL)
        *offset = *seq;
    *seq += nmsgs;
    return RING_OK;
}

#endif
