/*
 * sring.h - the ring between the capture thread and the printing thread.
 *
 * What it teaches: the kernel hands captured packets to libpcap through a buffer of fixed
 * size; if we stop reading it (because the terminal is slow to scroll), the kernel drops
 * packets. So one thread does nothing but take packets from libpcap and put a copy into this
 * ring, and another thread decodes and prints at its own pace. A single-producer,
 * single-consumer ring needs no lock: each side owns one counter (see queue/ring.h).
 *
 * This is the sniffer's own small interface; behind it is the project's shared lock-free ring,
 * queue/'s ring_spsc (sring.c adapts one to the other).
 *
 * Interface:
 *   sring_new(capacity_bytes)     capacity rounded up to a power of two; NULL without memory
 *   sring_push(r, hdr, data)      producer: 0, or ring.h's RING_FULL (no room: the printer is
 *                                 behind) or RING_TOOBIG (larger than the ring could ever hold);
 *                                 the caller counts the packet as dropped
 *   sring_pop(r, hdr, buf, cap)   consumer: 0 with the packet copied to buf, or RING_EMPTY, or
 *                                 RING_TOOSMALL (buf cannot hold it: it stays in the ring; buf
 *                                 must hold the largest packet pushed)
 *   sring_free(r)
 * The codes are the ring's own, so ring_strerror says each in a sentence (the project's error
 * convention, docs/reading-order.md).
 */
#ifndef WIRELAB_SRING_H
#define WIRELAB_SRING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ring.h" /* the RING_* codes push and pop return */

typedef struct sring_hdr {
    int64_t sec;   /* seconds since 1970 (a pcap file's field is unsigned 32-bit: to 2106) */
    uint32_t frac; /* the fraction of a second as captured, in micro- or nanoseconds; a file
                      may hold any 32-bit value here, so the views check it is in range */
    uint32_t caplen, len;
    bool nano; /* frac counts nanoseconds (a nanosecond pcap file) */
} sring_hdr;

typedef struct sring sring;

sring *sring_new(size_t capacity_bytes);
int sring_push(sring *r, const sring_hdr *h, const uint8_t *data);
int sring_pop(sring *r, sring_hdr *h, uint8_t *buf, size_t cap);
void sring_free(sring *r);

#endif
