/*
 * web_store.h - the bounded packet store behind `sniffer --web`: the last packets, in a fixed
 * amount of memory.
 *
 * What it teaches: a capture can be endless (live) or huge (a million-packet file), but a
 * server must run in bounded memory. The store keeps whole records - the packet's bytes and
 * what the list shows of it - in one ring of bytes of a fixed size (--max-store); when a new
 * record does not fit, the oldest ones are forgotten, as a ring buffer forgets. Frames keep
 * their numbers (1, 2, 3, ... in capture order), so "frame 812345" is found in constant time:
 * the index is a second ring, of record offsets, indexed by frame number.
 *
 *   data ring:  [ rec 7 | rec 8 | rec 9 | pad ][ rec 10 | ...      free      ]
 *                 ^ index[7 & mask]                       ^ head (free-running)
 *
 * Both rings use free-running counters (STYLE.md, "rings"): a record's place is its offset
 * modulo the size; a record never wraps (the tail of the ring is skipped instead), so a reader
 * gets one contiguous piece of memory.
 *
 * Pure: no I/O, no locking (the caller locks: web.c shares one store between the capture
 * thread and the server's loop).
 *
 * Interface: web_store_new(bytes), web_store_add(s, rec, parts), web_store_get(s, n),
 * web_store_first/next (the frames kept: [first, next)), web_store_free.
 */
#ifndef WIRELAB_WEB_STORE_H
#define WIRELAB_WEB_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WEB_STORE_MIN     (1u << 20)  /* smallest --max-store: a 256 KiB packet must fit */
#define WEB_STORE_DEFAULT (64u << 20) /* default --max-store, bytes */

/* What the store remembers of one frame: fixed fields, then the variable parts in this order,
 * each of the given length (not NUL-terminated): source, destination, the one-line summary,
 * the JSON of the messages completed at this frame (may be empty), the captured bytes. */
typedef struct web_rec {
    uint64_t n;           /* frame number (1-based) */
    int64_t sec;          /* capture time (view_frame) */
    uint32_t frac;        /* its fraction, as captured */
    uint32_t caplen, len; /* bytes captured, bytes on the wire */
    uint32_t protos;      /* bit (1 << dec_proto) for each layer present */
    uint64_t conv;        /* conversation number (flows.h), 0 when not TCP/UDP */
    uint16_t sport, dport;
    uint8_t dir;  /* 0 client to server, 1 back */
    uint8_t nano; /* frac counts nanoseconds */
    uint8_t retrans;
    uint8_t src_len, dst_len;
    uint8_t hints[40]; /* the decoder's hints for this frame (dec_hints, copied as bytes) */
    uint16_t info_len;
    uint32_t msgs_len;
} web_rec;

/* A record as stored: the header, then pointers into the store's memory to its parts. Valid
 * until the next web_store_add. */
typedef struct web_view {
    const web_rec *rec;
    const char *src, *dst, *info, *msgs;
    const uint8_t *bytes;
} web_view;

typedef struct web_store web_store;

/* A store of `bytes` bytes (at least WEB_STORE_MIN). NULL when out of memory. */
web_store *web_store_new(size_t bytes);
void web_store_free(web_store *s);

/*
 * Add the next frame: the store numbers it (web_store_next; rec->n is ignored). The parts'
 * lengths are in rec, their bytes in src, dst, info, msgs and bytes. The oldest records are
 * forgotten to make room; returns how many were. -1 when the record alone is larger than the
 * store: then the store is emptied, so the frames kept stay the contiguous [first, next).
 */
long web_store_add(web_store *s, const web_rec *rec, const char *src, const char *dst,
                   const char *info, const char *msgs, const uint8_t *bytes);

/* Frame n, or false when it is not (or no longer) kept. */
bool web_store_get(const web_store *s, uint64_t n, web_view *out);

uint64_t web_store_first(const web_store *s);   /* the oldest frame kept (next when empty) */
uint64_t web_store_next(const web_store *s);    /* the number the next frame gets */
uint64_t web_store_evicted(const web_store *s); /* frames forgotten so far */
size_t web_store_size(const web_store *s);      /* the store's size in bytes */

#endif
