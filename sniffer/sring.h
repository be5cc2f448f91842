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
 *   sring_push(r, hdr, data)      producer: false when there is no room (the caller counts it)
 *   sring_pop(r, hdr, buf, cap)   consumer: false when empty; the packet is copied to buf,
 *                                 which must hold the largest packet pushed
 *   sring_free(r)
 */
#ifndef WIRELAB_SRING_H
#define WIRELAB_SRING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sring_hdr {
    int64_t sec;   /* seconds since 1970 (a pcap file's field is unsigned 32-bit: to 2106) */
    uint32_t frac; /* the fraction of a second as captured, in micro- or nanoseconds; a file
                      may hold any 32-bit value here, so the views check it is in range */
    uint32_t caplen, len;
    bool nano; /* frac counts nanoseconds (a nanosecond pcap file) */
} sring_hdr;

typedef struct sring sring;

sring *sring_new(size_t capacity_bytes);
bool sring_push(sring *r, const sring_hdr *h, const uint8_t *data);
bool sring_pop(sring *r, sring_hdr *h, uint8_t *buf, size_t cap);
void sring_free(sring *r);

#endif
