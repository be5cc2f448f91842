/*
 * buf.c - the growable byte buffer behind every connection (see buf.h for the why).
 *
 * Run its tests: ./wirelab test (tests/tcp_echo/test_buf.c feeds it appends and consumes of
 * every size and checks the bytes come out in order).
 */
#include "buf.h"

#include <stdlib.h>
#include <string.h>

/* Make room for `extra` more bytes after the held ones, sliding or growing as needed. */
static int buf_reserve(buf *b, size_t extra)
{
    if (extra > SIZE_MAX - b->len) /* the sum below must not wrap around */
        return -1;
    size_t need = b->len + extra;
    if (b->start + need <= b->cap)
        return 0;
    if (need <= b->cap) { /* enough room in total: slide the bytes to the front */
        memmove(b->data, b->data + b->start, b->len);
        b->start = 0;
        return 0;
    }
    size_t cap = b->cap ? b->cap : 1024;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    uint8_t *data = malloc(cap);
    if (!data)
        return -1;
    if (b->len)
        memcpy(data, b->data + b->start, b->len);
    free(b->data);
    b->data = data;
    b->start = 0;
    b->cap = cap;
    return 0;
}

int buf_append(buf *b, const void *bytes, size_t n)
{
    if (n == 0)
        return 0;
    if (buf_reserve(b, n) < 0)
        return -1;
    memcpy(b->data + b->start + b->len, bytes, n);
    b->len += n;
    return 0;
}

void buf_consume(buf *b, size_t n)
{
    if (n >= b->len) {
        /* Empty: give the memory back, so thousands of idle connections hold none. */
        buf_free(b);
        return;
    }
    b->start += n;
    b->len -= n;
}

const uint8_t *buf_bytes(const buf *b)
{
    return b->data ? b->data + b->start : NULL;
}

size_t buf_len(const buf *b)
{
    return b->len;
}

void buf_free(buf *b)
{
    free(b->data);
    b->data = NULL;
    b->start = b->len = b->cap = 0;
}
