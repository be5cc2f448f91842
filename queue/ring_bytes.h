/*
 * ring_bytes.h - (internal) copying bytes into and out of a power-of-two byte array at a
 * free-running position, in at most two pieces when they straddle the end.
 *
 *   pos & mask = 13, n = 6, cap = 16:   [45...........0123]   first piece 3 bytes at 13..15,
 *                                                           second piece 3 bytes at 0..2
 *
 * Shared by ring_log.c, ring_spsc.c and ring_mpmc.c (through ring_log). Not a public interface.
 */
#ifndef WIRELAB_RING_BYTES_H
#define WIRELAB_RING_BYTES_H

#include <stdint.h>
#include <string.h>

/* The record header: the payload's length, 4 bytes in host order. */
#define RING_HDR 4u

/* Is n a power of two (and not 0)? Then counter & (n-1) is counter mod n. */
static inline int ring_is_pow2(size_t n)
{
    return n != 0 && (n & (n - 1)) == 0;
}

/*
 * memcpy for the short messages rings mostly carry. A call into libc's memcpy costs more than
 * copying 8 bytes; fixed-size memcpy calls compile to plain loads and stores, so for n <= 16 two
 * overlapping fixed-size copies cover any length (e.g. n = 12: bytes 0..7 and 4..11).
 */
static inline void ring_memcpy(void *dst, const void *src, size_t n)
{
    uint8_t *d = dst;
    const uint8_t *s = src;
    if (n > 16) {
        memcpy(d, s, n);
    } else if (n >= 8) {
        uint64_t a, b;
        memcpy(&a, s, 8);
        memcpy(&b, s + n - 8, 8);
        memcpy(d, &a, 8);
        memcpy(d + n - 8, &b, 8);
    } else if (n >= 4) {
        uint32_t a, b;
        memcpy(&a, s, 4);
        memcpy(&b, s + n - 4, 4);
        memcpy(d, &a, 4);
        memcpy(d + n - 4, &b, 4);
    } else {
        for (size_t i = 0; i < n; i++)
            d[i] = s[i];
    }
}

/* Copy n bytes from src into buf (cap = mask + 1 bytes) starting at counter pos. n <= cap. */
static inline void ring_copy_in(uint8_t *buf, uint64_t mask, uint64_t pos, const void *src,
                                size_t n)
{
    size_t at = (size_t)(pos & mask);
    size_t first = (size_t)(mask + 1) - at; /* bytes before the end of the array */
    if (n <= first) {
        ring_memcpy(buf + at, src, n);
    } else {
        memcpy(buf + at, src, first);
        memcpy(buf, (const uint8_t *)src + first, n - first); /* the rest wraps to the start */
    }
}

/* Copy n bytes out of buf starting at counter pos into dst. n <= cap. */
static inline void ring_copy_out(const uint8_t *buf, uint64_t mask, uint64_t pos, void *dst,
                                 size_t n)
{
    size_t at = (size_t)(pos & mask);
    size_t first = (size_t)(mask + 1) - at;
    if (n <= first) {
        ring_memcpy(dst, buf + at, n);
    } else {
        memcpy(dst, buf + at, first);
        memcpy((uint8_t *)dst + first, buf, n - first);
    }
}

/* Read the length header of the record at counter pos (it may straddle the end too). */
static inline uint32_t ring_read_len(const uint8_t *buf, uint64_t mask, uint64_t pos)
{
    uint32_t len;
    ring_copy_out(buf, mask, pos, &len, RING_HDR);
    return len;
}

#endif
