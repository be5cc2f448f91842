/*
 * frame_header.c - lab 5, broken on purpose: a control frame of 126 bytes passes the length
 * check (an off-by-one: > 126 instead of > 125), which RFC 6455 5.5 forbids. Otherwise the
 * reference solution.
 */
#include "frame_header.h"

#include <string.h>

void fh_init(fh_decoder *d)
{
    memset(d, 0, sizeof *d);
}

/* The header length the first two bytes announce: 2, +2 or +8 for the length, +4 for a mask. */
static size_t header_size(const uint8_t *b)
{
    size_t n = 2;
    unsigned len7 = b[1] & 0x7fu;
    if (len7 == 126)
        n += 2;
    else if (len7 == 127)
        n += 8;
    return n + ((b[1] & 0x80u) ? 4 : 0);
}

/* The rules the first byte decides (5.2): reserved bits, reserved opcodes. */
static int check_byte0(uint8_t b0)
{
    unsigned op = b0 & 0x0fu;
    if (b0 & 0x70u)
        return FH_E_RSV;
    if ((op >= 0x3 && op <= 0x7) || op >= 0xb)
        return FH_E_OPCODE;
    return FH_DONE;
}

/* The rules of a control frame (5.5): FIN set, payload at most 125 (the 7-bit field says). */
static int check_control(uint8_t b0, uint8_t b1)
{
    if (!(b0 & 0x08u))
        return FH_DONE;
    if (!(b0 & 0x80u))
        return FH_E_CONTROL_FRAGMENTED;
    if ((b1 & 0x7fu) > 126) /* the bug: 126 is already too long */
        return FH_E_CONTROL_TOO_LONG;
    return FH_DONE;
}

/* Read the extended length (big-endian, 5.2) and check that it is minimal. */
static int read_length(const uint8_t *b, fh_header *h)
{
    unsigned len7 = b[1] & 0x7fu;
    if (len7 < 126) {
        h->payload_len = len7;
        return FH_DONE;
    }
    size_t n = len7 == 126 ? 2 : 8;
    if (n == 8 && (b[2] & 0x80u)) /* the most significant bit of the 64-bit length */
        return FH_E_LENGTH_HIGH_BIT;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = (v << 8) | b[2 + i];
    if ((n == 2 && v < 126) || (n == 8 && v <= 0xffff))
        return FH_E_LENGTH_NOT_MINIMAL;
    h->payload_len = v;
    return FH_DONE;
}

static int decode(const fh_decoder *d, fh_header *h)
{
    const uint8_t *b = d->buf;
    memset(h, 0, sizeof *h);
    h->fin = b[0] >> 7;
    h->rsv = (b[0] >> 4) & 7u;
    h->opcode = b[0] & 0x0fu;
    h->masked = b[1] >> 7;
    h->header_len = d->have;
    int rc = read_length(b, h);
    if (rc != FH_DONE)
        return rc;
    if (h->masked)
        memcpy(h->mask, b + d->have - 4, 4);
    return FH_DONE;
}

int fh_feed(fh_decoder *d, const uint8_t *data, size_t len, size_t *used, fh_header *h)
{
    size_t i = 0;
    while (i < len) {
        d->buf[d->have++] = data[i++];
        if (d->have == 1) {
            int rc = check_byte0(d->buf[0]);
            if (rc != FH_DONE)
                return rc;
        }
        if (d->have == 2) {
            int rc = check_control(d->buf[0], d->buf[1]);
            if (rc != FH_DONE)
                return rc;
        }
        if (d->have >= 2 && d->have == header_size(d->buf)) {
            *used = i;
            return decode(d, h);
        }
    }
    *used = len;
    return FH_NEED_MORE;
}
