/*
 * ring_spsc.c - a lock-free ring for exactly one producer thread and one consumer thread.
 *
 * What it teaches: how two threads share a queue with no lock at all. The producer is the only
 * writer of `head`, the consumer the only writer of `tail`; each publishes its counter with a
 * release store and reads the other's with an acquire load, and that pair is what makes the
 * bytes written before a release visible to the thread that acquires it. Records are the same
 * length-prefixed ones as ring_log (ring.h), straddling the end when they must.
 *
 * Two details make it fast, and both are about cache lines (64 bytes, the unit the CPUs pass
 * between their caches):
 *   - head and tail live on different cache lines. If they shared one, every push would steal
 *     the line from the consumer's core and every pop steal it back ("false sharing").
 *   - each side keeps a private copy of the other's counter (tail_cache, head_cache) and only
 *     re-reads the shared one when the copy says "full" or "empty". Most operations then touch
 *     no line the other core is writing.
 *
 * Use (the sniffer's shape): the capture thread calls ring_spsc_push/pushv and counts RING_FULL
 * as a drop; the printing thread calls ring_spsc_pop and sleeps briefly on RING_EMPTY.
 * Run the tests: ctest -R 'queue_ring_test|queue_spsc_stress'.
 */
#include "ring.h"
#include "ring_bytes.h"

#include <stdalign.h>
#include <stdatomic.h>
#include <stdlib.h>

#define CACHE_LINE 64

struct ring_spsc {
    /* Set at creation, read-only afterwards: safe to share without atomics. */
    alignas(CACHE_LINE) uint8_t *buf;
    uint64_t mask;

    /* The producer's cache line: written by the producer, `head` read by the consumer. */
    alignas(CACHE_LINE) _Atomic uint64_t head;
    uint64_t tail_cache; /* producer's last view of tail: space it already knows is free */
    uint64_t p_offset;   /* offset of the next message pushed */

    /* The consumer's cache line: written by the consumer, `tail` read by the producer. */
    alignas(CACHE_LINE) _Atomic uint64_t tail;
    uint64_t head_cache; /* consumer's last view of head: bytes it already knows are there */
    uint64_t c_offset;   /* offset of the next message popped */
};

ring_spsc *ring_spsc_new_at(size_t capacity_bytes, uint64_t start)
{
    if (!ring_is_pow2(capacity_bytes) || capacity_bytes < 16 || start == 0)
        return NULL;
    /* aligned_alloc wants the size to be a multiple of the alignment. */
    size_t size = (sizeof(ring_spsc) + CACHE_LINE - 1) / CACHE_LINE * CACHE_LINE;
    ring_spsc *r = aligned_alloc(CACHE_LINE, size);
    if (r == NULL)
        return NULL;
    r->buf = malloc(capacity_bytes);
    if (r->buf == NULL) {
        free(r);
        return NULL;
    }
    r->mask = capacity_bytes - 1;
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
    size_t m = ring_spsc_capacity(r) - RING_HDR;
    return m > UINT32_MAX ? UINT32_MAX : m;
}

/* Producer: is there room for `need` bytes at head? Re-reads tail only when it looks full. */
static int spsc_room(ring_spsc *r, uint64_t head, uint64_t need)
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
    if (!spsc_room(r, head, need))
        return RING_FULL;
    uint32_t len32 = (uint32_t)len;
    ring_copy_in(r->buf, r->mask, head, &len32, RING_HDR);
    uint64_t at = head + RING_HDR;
    for (size_t i = 0; i < nparts; i++) {
        ring_copy_in(r->buf, r->mask, at, parts[i].data, parts[i].len);
        at += parts[i].len;
    }
    /* Release publishes the record: the header and payload written above become visible to a
     * consumer that acquires this head value, never a head that points past unwritten bytes. */
    atomic_store_explicit(&r->head, head + need, memory_order_release);
    if (offset != NULL)
        *offset = r->p_offset;
    r->p_offset++;
    return RING_OK;
}

/* The common case, one piece, written with straight copies when it does not straddle. */
int ring_spsc_push(ring_spsc *r, const void *data, size_t len, uint64_t *offset)
{
    if (len > ring_spsc_max_msg(r))
        return RING_TOOBIG;
    uint64_t need = RING_HDR + (uint64_t)len;
    uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
    if (!spsc_room(r, head, need))
        return RING_FULL;
    uint32_t len32 = (uint32_t)len;
    size_t at = (size_t)(head & r->mask);
    if (at + need <= r->mask + 1) {
        memcpy(r->buf + at, &len32, RING_HDR);
        ring_memcpy(r->buf + at + RING_HDR, data, len);
    } else {
        ring_copy_in(r->buf, r->mask, head, &len32, RING_HDR);
        ring_copy_in(r->buf, r->mask, head + RING_HDR, data, len);
    }
    /* Release publishes the record (see ring_spsc_pushv). */
    atomic_store_explicit(&r->head, head + need, memory_order_release);
    if (offset != NULL)
        *offset = r->p_offset;
    r->p_offset++;
    return RING_OK;
}

/* Consumer: is there a record at tail? Refresh the view of head only when it looks empty. */
static int spsc_available(ring_spsc *r, uint64_t tail)
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

int ring_spsc_peek_len(ring_spsc *r, size_t *len)
{
    /* Relaxed: only this thread writes tail. */
    uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
    if (!spsc_available(r, tail))
        return RING_EMPTY;
    *len = ring_read_len(r->buf, r->mask, tail);
    return RING_OK;
}

int ring_spsc_pop(ring_spsc *r, void *buf, size_t cap, size_t *len, uint64_t *offset)
{
    uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
    if (!spsc_available(r, tail))
        return RING_EMPTY;
    uint32_t n;
    size_t at = (size_t)(tail & r->mask);
    if (at + RING_HDR <= r->mask + 1)
        memcpy(&n, r->buf + at, RING_HDR);
    else
        n = ring_read_len(r->buf, r->mask, tail);
    *len = n;
    if (n > cap)
        return RING_TOOSMALL;
    if (at + RING_HDR + n <= r->mask + 1)
        ring_memcpy(buf, r->buf + at + RING_HDR, n);
    else
        ring_copy_out(r->buf, r->mask, tail + RING_HDR, buf, n);
    /* Release hands the bytes back: our reads above complete before the producer, acquiring
     * this tail, may write new records over them. */
    atomic_store_explicit(&r->tail, tail + RING_HDR + n, memory_order_release);
    if (offset != NULL)
        *offset = r->c_offset;
    r->c_offset++;
    return RING_OK;
}

int ring_spsc_pop_many(ring_spsc *r, void *buf, size_t cap, size_t *lens, size_t max, size_t *n)
{
    *n = 0;
    uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
    if (!spsc_available(r, tail))
        return RING_EMPTY;
    /* One acquire (in spsc_available) covers every record below head_cache, and one release
     * below hands all their bytes back: the two atomic operations are paid once per batch. */
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
    atomic_store_explicit(&r->tail, tail, memory_order_release);
    r->c_offset += *n;
    return RING_OK;
}

int ring_spsc_popv(ring_spsc *r, const ring_outpart *parts, size_t nparts, size_t *len,
                   uint64_t *offset)
{
    uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
    if (!spsc_available(r, tail))
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
    /* Release hands the bytes back, as in ring_spsc_pop. */
    atomic_store_explicit(&r->tail, tail + RING_HDR + n, memory_order_release);
    if (offset != NULL)
        *offset = r->c_offset;
    r->c_offset++;
    return RING_OK;
}
