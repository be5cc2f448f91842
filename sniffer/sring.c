/*
 * sring.c - the capture ring (sring.h) on top of the project's lock-free SPSC ring,
 * queue/ring.h's ring_spsc.
 *
 * Each packet is one message of two parts, gathered on push and scattered on pop, so it is
 * copied once each way and never through a temporary buffer:
 *
 *   [ sring_hdr: time, caplen, len ][ caplen bytes of the packet ]
 *
 * ring_spsc keeps two free-running counters over a power-of-two byte array: the capture thread
 * only moves the head, the printing thread only moves the tail, and C11 acquire/release on
 * those counters is all the synchronisation there is (see queue/ring_spsc.c). When the printer
 * falls behind, push returns RING_FULL and the capture thread counts the packet as dropped
 * rather than wait: waiting would make the kernel drop packets instead, without telling us
 * which.
 */
#include "sring.h"

#include "ring.h"

#include <stdlib.h>

struct sring {
    ring_spsc *r;
};

sring *sring_new(size_t capacity_bytes)
{
    size_t size = 4096;
    while (size < capacity_bytes && size < ((size_t)1 << 40))
        size <<= 1; /* ring_spsc wants a power of two */
    sring *s = malloc(sizeof *s);
    if (s == NULL)
        return NULL;
    s->r = ring_spsc_new(size);
    if (s->r == NULL) {
        free(s);
        return NULL;
    }
    return s;
}

void sring_free(sring *s)
{
    if (s) {
        ring_spsc_free(s->r);
        free(s);
    }
}

int sring_push(sring *s, const sring_hdr *h, const uint8_t *data)
{
    ring_part parts[2] = {{h, sizeof *h}, {data, h->caplen}};
    return ring_spsc_pushv(s->r, parts, 2, NULL);
}

/* buf must hold the largest packet pushed (the capture sizes it by the snapshot length);
 * a larger one stays in the ring: RING_TOOSMALL. */
int sring_pop(sring *s, sring_hdr *h, uint8_t *buf, size_t cap)
{
    ring_outpart parts[2] = {{h, sizeof *h}, {buf, cap}};
    size_t len;
    return ring_spsc_popv(s->r, parts, 2, &len, NULL);
}
