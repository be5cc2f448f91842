/*
 * web_store.c - the bounded packet store of `sniffer --web` (web_store.h): a ring of bytes
 * holding whole records, and a ring of offsets indexed by frame number.
 *
 * Run: it has no program of its own; tests/sniffer/test_web_store.c fills small stores, and
 * `sniffer --web -r big.pcap --max-store 4194304` shows it forgetting (one line on stderr).
 */
#include "web_store.h"

#include <stdlib.h>
#include <string.h>

struct web_store {
    uint8_t *data;
    size_t size;      /* bytes of data[], a multiple of 8 */
    uint64_t head;    /* free-running: where the next record goes (offset modulo size) */
    uint64_t *index;  /* index[n & mask]: the free-running offset of frame n's record */
    uint64_t mask;    /* index slots - 1 (a power of two minus one) */
    uint64_t first;   /* the oldest frame kept */
    uint64_t next;    /* the next frame number */
    uint64_t evicted; /* frames forgotten */
};

/* The whole record: header and parts, rounded up to 8 so every header is aligned. */
static size_t rec_bytes(const web_rec *r)
{
    size_t n = sizeof *r + r->src_len + r->dst_len + r->info_len + (size_t)r->msgs_len + r->caplen;
    return (n + 7) & ~(size_t)7;
}

web_store *web_store_new(size_t bytes)
{
    if (bytes < WEB_STORE_MIN)
        bytes = WEB_STORE_MIN;
    web_store *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    s->size = bytes & ~(size_t)7;
    /* At most size / sizeof(web_rec) records fit: that many index slots, rounded up to a
     * power of two, so a frame's slot is n & mask. */
    uint64_t slots = 1;
    while (slots < s->size / sizeof(web_rec) + 1)
        slots <<= 1;
    s->mask = slots - 1;
    s->data = malloc(s->size);
    s->index = malloc(slots * sizeof *s->index);
    s->first = s->next = 1;
    if (s->data == NULL || s->index == NULL) {
        web_store_free(s);
        return NULL;
    }
    return s;
}

void web_store_free(web_store *s)
{
    if (s == NULL)
        return;
    free(s->data);
    free(s->index);
    free(s);
}

/* Forget the oldest record (its bytes stay until overwritten; nothing points at them). */
static void evict_one(web_store *s)
{
    s->first++;
    s->evicted++;
}

long web_store_add(web_store *s, const web_rec *rec, const char *src, const char *dst,
                   const char *info, const char *msgs, const uint8_t *bytes)
{
    uint64_t n = s->next++;
    size_t need = rec_bytes(rec);
    long gone = 0;
    if (need > s->size) { /* cannot be kept: forget everything, so [first, next) stays whole */
        while (s->first < s->next)
            evict_one(s), gone++;
        return -1;
    }
    uint64_t start = s->head;
    size_t at = (size_t)(start % s->size);
    if (at + need > s->size) /* a record never wraps: skip the ring's tail */
        start += s->size - at;
    uint64_t end = start + need;
    /* Make room: the oldest record kept must begin at or after end - size (written as
     * "+ size <" so nothing can wrap below zero), and frames [first, n] must fit the index. */
    while (s->first < n && (s->index[s->first & s->mask] + s->size < end || n - s->first > s->mask))
        evict_one(s), gone++;
    uint8_t *p = s->data + (size_t)(start % s->size);
    web_rec copy = *rec;
    copy.n = n;
    memcpy(p, &copy, sizeof copy);
    p += sizeof copy;
    memcpy(p, src, rec->src_len), p += rec->src_len;
    memcpy(p, dst, rec->dst_len), p += rec->dst_len;
    memcpy(p, info, rec->info_len), p += rec->info_len;
    if (rec->msgs_len)
        memcpy(p, msgs, rec->msgs_len), p += rec->msgs_len;
    if (rec->caplen)
        memcpy(p, bytes, rec->caplen);
    s->index[n & s->mask] = start;
    s->head = end;
    return gone;
}

bool web_store_get(const web_store *s, uint64_t n, web_view *out)
{
    if (n < s->first || n >= s->next)
        return false;
    const uint8_t *p = s->data + (size_t)(s->index[n & s->mask] % s->size);
    const web_rec *r = (const web_rec *)(const void *)p; /* aligned: see rec_bytes */
    out->rec = r;
    p += sizeof *r;
    out->src = (const char *)p, p += r->src_len;
    out->dst = (const char *)p, p += r->dst_len;
    out->info = (const char *)p, p += r->info_len;
    out->msgs = (const char *)p, p += r->msgs_len;
    out->bytes = p;
    return true;
}

uint64_t web_store_first(const web_store *s)
{
    return s->first;
}

uint64_t web_store_next(const web_store *s)
{
    return s->next;
}

uint64_t web_store_evicted(const web_store *s)
{
    return s->evicted;
}

size_t web_store_size(const web_store *s)
{
    return s->size;
}
