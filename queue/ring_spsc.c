/*
 * ring_spsc.c - a lock-free ring for exactly one producer thread and one consumer thread.
 *
 * What it teaches: how two threads share a queue with no lock at all. The producer is the only
 * writer of `head`, the consumer the only writer of `tail`; each publishes its counter with a
 * release store and reads the other's with an acquire load, and that pair is what makes the
 * bytes written before a release visible to the thread that acquires it. Records are the same
 * length-prefixed ones as ring_log (ring.h), straddling the end when they must.
 *
 * Read ring_spsc_internal.h first: the struct (why head and tail sit on different cache lines,
 * why each side caches the other's counter) and the three synchronisation points every function
 * below is built from - ring_spsc_room, ring_spsc_available and ring_spsc_hand_over. This file
 * is one push (ring_spsc_pushv; ring_spsc_push is its one-part case), one pop (ring_spsc_popv;
 * ring_spsc_pop likewise) and a batched pop. They handle every case: records that straddle the
 * end, RING_TOOBIG, RING_TOOSMALL.
 *
 * Optional, after this file: ring_spsc_inline.h, an inline fast path of push and pop for small
 * messages that do not straddle the end (a benchmark's hot loop), which falls back to these.
 *
 * Use (the sniffer's shape): the capture thread calls ring_spsc_push/pushv and counts RING_FULL
 * as a drop; the printing thread calls ring_spsc_pop and sleeps briefly on RING_EMPTY.
 * Run the tests: ctest -R 'queue_ring_test|queue_spsc_stress'.
 */
#include "ring.h"
#include "ring_bytes.h"
#include "ring_spsc_internal.h"

#include <stdatomic.h>
#include <stdlib.h>

ring_spsc *ring_spsc_new_at(size_t capacity_bytes, uint64_t start)
{
    if (ring_size_check(capacity_bytes, start) != RING_OK)
        return NULL;
    /* aligned_alloc wants the size to be a multiple of the alignment. */
    size_t size = (sizeof(ring_spsc) + RING_CACHE_LINE - 1) / RING_CACHE_LINE * RING_CACHE_LINE;
    ring_spsc *r = aligned_alloc(RING_CACHE_LINE, size);
    if (r == NULL)
        return NULL;
    r->buf = malloc(capacity_bytes);
    if (r->buf == NULL) {
        free(r);
        return NULL;
    }
    r->mask = capacity_bytes - 1;
    size_t max = capacity_bytes - RING_HDR;
    r->max_msg = max > UINT32_MAX ? UINT32_MAX : max; /* the header holds 32 bits */
    /* Before any other thread sees r, so plain (relaxed) initialisation is enough: the thread
     * creation that hands r over is itself a synchronisation point. */
    atomic_init(&r->head, start - 1);
    atomic_init(&r->tail, start - 1);
    r->tail_cache = r->head_cache = start - 1;
    r->p_offset = r->c_offset = start;
    return r;
}

ring_spsc *ring_spsc_new(size_t capacity_bytes)
{
    return ring_spsc_new_at(capacity_bytes, 1);
}

void ring_spsc_free(ring_spsc *r)
{
    if (r == NULL)
        return;
    free(r->buf);
    free(r);
}

size_t ring_spsc_capacity(const ring_spsc *r)
{
    return (size_t)r->mask + 1;
}

size_t ring_spsc_max_msg(const ring_spsc *r)
{
    return r->max_msg;
}

/*
 * The push: check the room, copy the length header and the parts in (in two pieces where they
 * straddle the end), then hand the record over. Nothing the consumer can see changes until the
 * last line, so a RING_FULL or RING_TOOBIG leaves the ring as it was.
 */
int ring_spsc_pushv(ring_spsc *r, const ring_part *parts, size_t nparts, uint64_t *offset)
{
    size_t len = 0;
    for (size_t i = 0; i < nparts; i++) {
        if (parts[i].len > ring_spsc_max_msg(r) - len)
            return RING_TOOBIG; /* written as a subtraction so the sum cannot overflow */
        len += parts[i].len;
    }
    uint64_t need = RING_HDR + (uint64_t)len;
    /* Relaxed: only this thread ever writes head, so it always sees its own latest value. */
    uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
    if (!ring_spsc_room(r, head, need))
        return RING_FULL;
    uint32_t len32 = (uint32_t)len;
    ring_copy_in(r->buf, r->mask, head, &len32, RING_HDR);
    uint64_t at = head + RING_HDR;
    for (size_t i = 0; i < nparts; i++) {
        ring_copy_in(r->buf, r->mask, at, parts[i].data, parts[i].len);
        at += parts[i].len;
    }
    return ring_spsc_hand_over(&r->head, head + need, &r->p_offset, 1, offset);
}

int ring_spsc_push(ring_spsc *r, const void *data, size_t len, uint64_t *offset)
{
    ring_part whole = {data, len};
    return ring_spsc_pushv(r, &whole, 1, offset);
}

int ring_spsc_peek_len(ring_spsc *r, size_t *len)
{
    /* Relaxed: only this thread writes tail. */
    uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
    if (!ring_spsc_available(r, tail))
        return RING_EMPTY;
    *len = ring_read_len(r->buf, r->mask, tail);
    return RING_OK;
}

/*
 * The pop: is there a record? Read its length, check the caller's parts can hold it, copy it
 * out part by part, then hand the bytes back to the producer. On RING_TOOSMALL the record
 * stays where it is.
 */
int ring_spsc_popv(ring_spsc *r, const ring_outpart *parts, size_t nparts, size_t *len,
                   uint64_t *offset)
{
    uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
    if (!ring_spsc_available(r, tail))
        return RING_EMPTY;
    uint32_t n = ring_read_len(r->buf, r->mask, tail);
    *len = n;
    size_t room = 0;
    for (size_t i = 0; i < nparts && room < n; i++)
        room += parts[i].cap < n - room ? parts[i].cap : n - room; /* capped: cannot overflow */
    if (room < n)
        return RING_TOOSMALL;
    uint64_t at = tail + RING_HDR;
    size_t left = n;
    for (size_t i = 0; i < nparts && left > 0; i++) {
        size_t k = parts[i].cap < left ? parts[i].cap : left;
        ring_copy_out(r->buf, r->mask, at, parts[i].data, k);
        at += k;
        left -= k;
    }
    return ring_spsc_hand_over(&r->tail, tail + RING_HDR + n, &r->c_offset, 1, offset);
}

int ring_spsc_pop(ring_spsc *r, void *buf, size_t cap, size_t *len, uint64_t *offset)
{
    ring_outpart whole = {buf, cap};
    return ring_spsc_popv(r, &whole, 1, len, offset);
}

int ring_spsc_pop_many(ring_spsc *r, void *buf, size_t cap, size_t *lens, size_t max, size_t *n)
{
    *n = 0;
    uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
    if (!ring_spsc_available(r, tail))
        return RING_EMPTY;
    /* One acquire (in ring_spsc_available) covers every record below head_cache, and one
     * release hands all their bytes back: the two atomic operations are paid once per batch. */
    uint8_t *out = buf;
    size_t used = 0;
    while (*n < max && tail != r->head_cache) {
        uint32_t len = ring_read_len(r->buf, r->mask, tail);
        if (len > cap - used) {
            if (*n == 0) {
                lens[0] = len;
                return RING_TOOSMALL;
            }
            break;
        }
        ring_copy_out(r->buf, r->mask, tail + RING_HDR, out + used, len);
        used += len;
        lens[(*n)++] = len;
        tail += RING_HDR + len;
    }
    return ring_spsc_hand_over(&r->tail, tail, &r->c_offset, *n, NULL);
}
