/*
 * sring.c - a lock-free single-producer single-consumer byte ring (see sring.h).
 *
 * Two counters that only grow (xv6 pipe.c style): head counts bytes ever written, tail bytes
 * ever read. Empty when head == tail, full when head - tail == size; the byte for counter c
 * lives at buf[c & (size - 1)]. A record is [sring_hdr][caplen bytes], padded to 8 bytes, and
 * may wrap around the end of the array (copied in two pieces).
 *
 * Orderings: the producer writes the record, then publishes head with release; the consumer
 * loads head with acquire, so it sees the record's bytes. Symmetrically for tail: the
 * consumer's release on tail tells the producer those bytes may be overwritten.
 */
#include "sring.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

struct sring {
    size_t size; /* a power of two */
    uint8_t *buf;
    _Alignas(64) _Atomic uint64_t head; /* written by the producer only */
    _Alignas(64) _Atomic uint64_t tail; /* written by the consumer only */
};

sring *sring_new(size_t capacity_bytes)
{
    size_t size = 4096;
    while (size < capacity_bytes && size < ((size_t)1 << 40))
        size <<= 1;
    sring *r = calloc(1, sizeof *r);
    if (r == NULL)
        return NULL;
    r->buf = malloc(size);
    if (r->buf == NULL) {
        free(r);
        return NULL;
    }
    r->size = size;
    atomic_init(&r->head, 0);
    atomic_init(&r->tail, 0);
    return r;
}

void sring_free(sring *r)
{
    if (r) {
        free(r->buf);
        free(r);
    }
}

static size_t rec_len(uint32_t caplen)
{
    return (sizeof(sring_hdr) + caplen + 7) & ~(size_t)7;
}

/* Copy n bytes into the ring at counter c, in two pieces when they wrap. */
static void put(sring *r, uint64_t c, const void *src, size_t n)
{
    size_t at = (size_t)(c & (r->size - 1)), first = r->size - at < n ? r->size - at : n;
    memcpy(r->buf + at, src, first);
    memcpy(r->buf, (const uint8_t *)src + first, n - first);
}

static void get(const sring *r, uint64_t c, void *dst, size_t n)
{
    size_t at = (size_t)(c & (r->size - 1)), first = r->size - at < n ? r->size - at : n;
    memcpy(dst, r->buf + at, first);
    memcpy((uint8_t *)dst + first, r->buf, n - first);
}

bool sring_push(sring *r, const sring_hdr *h, const uint8_t *data)
{
    uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed); /* ours */
    uint64_t tail = atomic_load_explicit(&r->tail, memory_order_acquire); /* freed bytes */
    size_t need = rec_len(h->caplen);
    if (need > r->size - (size_t)(head - tail))
        return false;
    put(r, head, h, sizeof *h);
    put(r, head + sizeof *h, data, h->caplen);
    atomic_store_explicit(&r->head, head + need, memory_order_release); /* publish the record */
    return true;
}

bool sring_pop(sring *r, sring_hdr *h, uint8_t *buf, size_t cap)
{
    uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed); /* ours */
    uint64_t head = atomic_load_explicit(&r->head, memory_order_acquire); /* see the record */
    if (head == tail)
        return false;
    get(r, tail, h, sizeof *h);
    size_t n = h->caplen < cap ? h->caplen : cap, adv = rec_len(h->caplen);
    get(r, tail + sizeof *h, buf, n);
    h->caplen = (uint32_t)n;
    atomic_store_explicit(&r->tail, tail + adv, memory_order_release); /* free the bytes */
    return true;
}
