/*
 * frame_header.c - lab 5, your turn: decode a WebSocket frame header (RFC 6455 5.2) from bytes
 * that arrive in any chunking, and refuse the headers the RFC forbids.
 *
 *   make && ./try 82 7e 01 00      decode the bytes you give it
 *   ./wirelab grade 5              the grader: RFC 6455's examples and one bad frame per rule,
 *                                  whole, in every 2- and 3-piece split, and byte by byte
 *
 * The contract of fh_feed is in frame_header.h. A plan that works: append each byte to
 * d->buf; once you have 2 bytes you know how long the whole header is (2, +2 or +8 for the
 * length, +4 for the mask); check each rule as soon as its bytes are in; when d->have reaches
 * the header length, fill *h and say how many bytes of this call you took.
 */
#include "frame_header.h"

#include <string.h>

void fh_init(fh_decoder *d)
{
    memset(d, 0, sizeof *d);
}

int fh_feed(fh_decoder *d, const uint8_t *data, size_t len, size_t *used, fh_header *h)
{
    /* TODO 1: copy bytes from data into d->buf one at a time, never past the header's end. */
    /* TODO 2: byte 0: FIN, RSV1-3, opcode. Refuse RSV bits and reserved opcodes. */
    /* TODO 3: byte 1: MASK and the 7-bit length (126: 16-bit length follows, 127: 64-bit).
     *         A control frame (opcode 0x8 and up) needs FIN and at most 125 bytes. */
    /* TODO 4: the extended length, big-endian; minimal encoding; the 64-bit high bit. */
    /* TODO 5: the masking key (4 bytes, when MASK is set), then FH_DONE with *used. */
    (void)d;
    (void)data;
    (void)h;
    *used = len;
    return FH_NEED_MORE;
}
