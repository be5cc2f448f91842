/*
 * frame_header.h - lab 5's task: decode a WebSocket frame header (RFC 6455 section 5.2) from
 * bytes that arrive in any chunking. Do not change this file: the grader compiles your
 * frame_header.c against its own copy of it.
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-------+-+-------------+-------------------------------+
 *   |F|R|R|R| opcode|M| Payload len |    Extended payload length    |
 *   |I|S|S|S|  (4)  |A|     (7)     |             (16/64)           |
 *   |N|V|V|V|       |S|             |   (if payload len==126/127)   |
 *   | |1|2|3|       |K|             |                               |
 *   +-+-+-+-+-------+-+-------------+ - - - - - - - - - - - - - - - +
 *   |     Extended payload length continued, if payload len == 127  |
 *   + - - - - - - - - - - - - - - - +-------------------------------+
 *   |                               |Masking-key, if MASK set to 1  |
 *   +-------------------------------+-------------------------------+
 *
 * Build and try:  make && ./try 81 85 37 fa 21 3d      Grade:  ./wirelab grade 5
 */
#ifndef LAB5_FRAME_HEADER_H
#define LAB5_FRAME_HEADER_H

#include <stddef.h>
#include <stdint.h>

#define FH_MAX_HEADER 14 /* 2 + 8 (64-bit length) + 4 (masking key) */

/* What fh_feed returns: need more, done, or the RFC rule the header breaks. */
enum fh_result {
    FH_NEED_MORE = 0,             /* every byte given was header; feed more */
    FH_DONE = 1,                  /* the header is complete: *h is filled */
    FH_E_RSV = -1,                /* RSV1-3 set (no extension is negotiated here) (5.2) */
    FH_E_OPCODE = -2,             /* reserved opcode 0x3-0x7 or 0xB-0xF (5.2) */
    FH_E_CONTROL_TOO_LONG = -3,   /* close/ping/pong with a payload over 125 bytes (5.5) */
    FH_E_CONTROL_FRAGMENTED = -4, /* close/ping/pong without FIN (5.5) */
    FH_E_LENGTH_NOT_MINIMAL = -5, /* 16/64-bit form for a length the shorter form holds (5.2) */
    FH_E_LENGTH_HIGH_BIT = -6,    /* 64-bit length with its most significant bit set (5.2) */
};

/* One decoded header. */
typedef struct fh_header {
    unsigned fin;    /* 1: the last frame of a message */
    unsigned rsv;    /* RSV1..RSV3 as 3 bits (RSV1 is 4) */
    unsigned opcode; /* 0x0 continuation, 0x1 text, 0x2 binary, 0x8 close, 0x9 ping, 0xA pong */
    unsigned masked; /* 1: a 4-byte masking key follows the length */
    uint64_t payload_len; /* the payload length the header says */
    uint8_t mask[4];      /* the masking key, in wire order (zeros when not masked) */
    size_t header_len;    /* 2..14: the bytes this header took on the wire */
} fh_header;

/* The decoder's memory between calls: the header bytes collected so far. */
typedef struct fh_decoder {
    uint8_t buf[FH_MAX_HEADER];
    size_t have;
} fh_decoder;

/* Start a new header (before the first one, and again after each FH_DONE). */
void fh_init(fh_decoder *d);

/*
 * Feed the next len bytes of the stream (any chunking: a whole frame, one byte, len 0).
 * Takes bytes only up to the end of the header; the rest is payload and is not yours.
 *   FH_NEED_MORE  all len bytes were header bytes: *used = len
 *   FH_DONE       the header is complete: *h is filled and *used = how many of these len
 *                 bytes belonged to the header (data[*used] is the first payload byte)
 *   FH_E_*        the header breaks that rule; report it no later than when the whole header
 *                 has arrived (as soon as the bytes that break it are in is best)
 */
int fh_feed(fh_decoder *d, const uint8_t *data, size_t len, size_t *used, fh_header *h);

#endif
