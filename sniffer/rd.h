/*
 * rd.h - the bounds-checked reader every dissector reads packet bytes through.
 *
 * What it teaches: a capture is untrusted input. A packet may have been cut by the snapshot
 * length (caplen < len), and any length field inside it may lie. So no dissector ever casts
 * packet bytes to a struct or indexes the buffer directly: it reads each field through these
 * helpers, which check the captured length first, in the style of tcpdump's GET_U_1/ND_TCHECK.
 *
 * A reader is a window onto the captured bytes of one layer:
 *
 *     p                                  p + len
 *     |<------------- captured ------------->|
 *     [ header ........ | payload ...........]
 *
 * Interface:
 *   rd_make(p, len)            a window over len captured bytes
 *   rd_has(r, off, n)          are bytes [off, off + n) inside the window?
 *   rd_sub(r, off, n)          the window [off, off + n), clamped to what was captured
 *   RD_U8/RD_U16/RD_U32(r, off, var)   read a big-endian field or `goto trunc`
 *   RD_BYTES(r, off, n, dst)   copy n bytes or `goto trunc`
 *   RD_NEED(r, off, n)         check a span once, or `goto trunc`
 *
 * Every dissector that uses the RD_ macros has one `trunc:` label, where it marks its layer
 * truncated: the captured bytes ended inside its header.
 */
#ifndef WIRELAB_RD_H
#define WIRELAB_RD_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

typedef struct rd {
    const uint8_t *p; /* first captured byte of this window */
    uint32_t len;     /* how many bytes of it were captured */
} rd;

static inline rd rd_make(const uint8_t *p, uint32_t len)
{
    rd r = {p, len};
    return r;
}

/* True when [off, off + n) lies inside the window. Both tests are needed: off + n could wrap
 * around 2^32 if we added first, so we compare n with the room left after off instead. */
static inline bool rd_has(const rd *r, uint32_t off, uint32_t n)
{
    return off <= r->len && n <= r->len - off;
}

/* The window [off, off + n) clamped to the captured bytes: a layer hands its payload to the
 * next one this way, so the inner layer never sees bytes beyond what this layer claims. */
static inline rd rd_sub(const rd *r, uint32_t off, uint32_t n)
{
    if (off > r->len)
        off = r->len;
    if (n > r->len - off)
        n = r->len - off;
    return rd_make(r->p + off, n);
}

/* Bytes left in the window after off (0 when off is past the end). */
static inline uint32_t rd_left(const rd *r, uint32_t off)
{
    return off < r->len ? r->len - off : 0;
}

/* Unchecked big-endian loads: only reached through the checked macros below. */
static inline uint16_t rd_be16_(const uint8_t *q)
{
    return (uint16_t)((unsigned)q[0] << 8 | q[1]);
}

static inline uint32_t rd_be32_(const uint8_t *q)
{
    return (uint32_t)q[0] << 24 | (uint32_t)q[1] << 16 | (uint32_t)q[2] << 8 | q[3];
}

#define RD_NEED(r, off, n)                                                                         \
    do {                                                                                           \
        if (!rd_has((r), (off), (n)))                                                              \
            goto trunc;                                                                            \
    } while (0)

#define RD_U8(r, off, var)                                                                         \
    do {                                                                                           \
        RD_NEED(r, off, 1);                                                                        \
        (var) = (r)->p[(off)];                                                                     \
    } while (0)

#define RD_U16(r, off, var)                                                                        \
    do {                                                                                           \
        RD_NEED(r, off, 2);                                                                        \
        (var) = rd_be16_((r)->p + (off));                                                          \
    } while (0)

#define RD_U32(r, off, var)                                                                        \
    do {                                                                                           \
        RD_NEED(r, off, 4);                                                                        \
        (var) = rd_be32_((r)->p + (off));                                                          \
    } while (0)

#define RD_BYTES(r, off, n, dst)                                                                   \
    do {                                                                                           \
        RD_NEED(r, off, n);                                                                        \
        memcpy((dst), (r)->p + (off), (n));                                                        \
    } while (0)

#endif
