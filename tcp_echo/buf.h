/*
 * buf.h - a growable byte buffer: what a connection has received but not used yet, or has
 * queued but the kernel has not taken yet.
 *
 * What it teaches: TCP is a byte stream. One recv() may hold half a message or three; one
 * send() may take only part of what you offer. A server therefore keeps two of these per
 * connection: an input buffer (bytes waiting to become a whole message) and an output buffer
 * (bytes waiting for room in the kernel's send buffer).
 *
 * Layout: data[start .. start+len) holds the bytes; consuming from the front only moves
 * `start`, and the bytes are slid back to the beginning when the front gap grows large, so
 * both append and consume are cheap. An empty buffer owns no memory (idle connections cost
 * nothing here).
 */
#ifndef WIRELAB_BUF_H
#define WIRELAB_BUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct buf {
    uint8_t *data;
    size_t start; /* offset of the first unconsumed byte */
    size_t len;   /* bytes held */
    size_t cap;   /* bytes allocated */
} buf;

#define BUF_INIT                                                                                   \
    {                                                                                              \
        NULL, 0, 0, 0                                                                              \
    }

/* Append n bytes. Returns 0, or -1 if memory ran out (the buffer is unchanged then). */
int buf_append(buf *b, const void *bytes, size_t n);

/* Drop the first n bytes (n larger than the length empties the buffer). */
void buf_consume(buf *b, size_t n);

/* The bytes held, and how many. The pointer is valid until the next append. */
const uint8_t *buf_bytes(const buf *b);
size_t buf_len(const buf *b);

/* Release the memory; the buffer is empty and reusable afterwards. */
void buf_free(buf *b);

#endif
