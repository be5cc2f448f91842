/*
 * ring_log.c - the single-threaded message log: a byte ring of length-prefixed records, with
 * 64-bit offsets, an overflow policy, and "read everything after offset X" for replay.
 *
 * What it teaches: a ring as two free-running counters (see ring.h), and how a reader that
 * went away can come back with the last offset it saw and learn exactly what it missed.
 *
 * State, all of it:
 *   tail, head   byte counters: the oldest record starts at tail, the next goes at head
 *   first, next  message offsets: the record at tail has offset `first`, the next push gets
 *                `next`; so next - first messages are held, and record k (from the tail) has
 *                offset first + k
 *
 * Interface: ring_log_new/_new_at/free, push, pop, peek, count/first/next/overwritten, after +
 * iter_next (see ring.h for the contracts). Run the tests: ctest -R queue_ring_test.
 */
#include "ring.h"
#include "ring_bytes.h"

#include <stdlib.h>

struct ring_log {
    uint8_t *buf;
    uint64_t mask; /* capacity - 1 */
    size_t max_msgs;
    enum ring_policy policy;
    uint64_t tail, head;  /* byte counters */
    uint64_t first, next; /* message offsets */
    uint64_t overwritten;
};

const char *ring_strerror(int status)
{
    static const char *const text[] = {
        [-RING_OK] = "ok",
        [-RING_EMPTY] = "the ring is empty",
        [-RING_FULL] = "the ring is full",
        [-RING_TIMEOUT] = "timed out",
        [-RING_TOOBIG] = "the message is larger than the ring can hold",
        [-RING_TOOSMALL] = "the buffer is too small for the message",
        [-RING_CLOSED] = "the queue is closed",
        [-RING_FUTURE] = "that offset was never handed out (the log is newer than it)",
        [-RING_GAP] = "the log was overwritten while reading: start again from the last offset",
        [-RING_BADSIZE] = "invalid ring size (a power of two, at least 16 bytes)",
        [-RING_NOMEM] = "out of memory",
    };
    if (status > 0 || (size_t)-status >= sizeof text / sizeof text[0])
        return "unknown ring status";
    return text[-status];
}

int ring_size_check(size_t capacity_bytes, uint64_t first_offset)
{
    if (!ring_is_pow2(capacity_bytes) || capacity_bytes < 16 || first_offset == 0)
        return RING_BADSIZE;
    return RING_OK;
}

ring_log *ring_log_new_at(size_t capacity_bytes, size_t max_msgs, enum ring_policy policy,
                          uint64_t first_offset)
{
    if (ring_size_check(capacity_bytes, first_offset) != RING_OK)
        return NULL;
    ring_log *l = calloc(1, sizeof *l);
    if (l == NULL)
        return NULL;
    l->buf = malloc(capacity_bytes);
    if (l->buf == NULL) {
        free(l);
        return NULL;
    }
    l->mask = capacity_bytes - 1;
    l->max_msgs = max_msgs;
    l->policy = policy;
    /* The byte counters start at first_offset - 1 (0 normally), so tests that start past 2^32
     * also put the byte counters past 2^32 and off the start of the array: any start works,
     * because only counter & mask ever indexes the array. */
    l->tail = l->head = first_offset - 1;
    l->first = l->next = first_offset;
    return l;
}

ring_log *ring_log_new(size_t capacity_bytes, size_t max_msgs, enum ring_policy policy)
{
    return ring_log_new_at(capacity_bytes, max_msgs, policy, 1);
}

void ring_log_free(ring_log *l)
{
    if (l == NULL)
        return;
    free(l->buf);
    free(l);
}

size_t ring_log_capacity(const ring_log *l)
{
    return (size_t)l->mask + 1;
}

size_t ring_log_used(const ring_log *l)
{
    return (size_t)(l->head - l->tail);
}

size_t ring_log_max_msgs(const ring_log *l)
{
    return l->max_msgs;
}

size_t ring_log_max_msg(const ring_log *l)
{
    size_t m = ring_log_capacity(l) - RING_HDR;
    return m > UINT32_MAX ? UINT32_MAX : m;
}

size_t ring_log_count(const ring_log *l)
{
    return (size_t)(l->next - l->first);
}

uint64_t ring_log_first(const ring_log *l)
{
    return l->first;
}

uint64_t ring_log_next(const ring_log *l)
{
    return l->next;
}

uint64_t ring_log_overwritten(const ring_log *l)
{
    return l->overwritten;
}

/* Would a record of `need` bytes fit now, within both the byte and the message limits? */
static int has_room(const ring_log *l, uint64_t need)
{
    uint64_t used = l->head - l->tail; /* 0..cap: exact, because the counters never wrap */
    if (need > ring_log_capacity(l) - used)
        return 0;
    return l->max_msgs == 0 || ring_log_count(l) < l->max_msgs;
}

/* Forget the oldest record (it must exist). */
static void drop_oldest(ring_log *l)
{
    uint32_t len = ring_read_len(l->buf, l->mask, l->tail);
    l->tail += RING_HDR + (uint64_t)len;
    l->first++;
}

int ring_log_push(ring_log *l, const void *data, size_t len, uint64_t *offset)
{
    if (len > ring_log_max_msg(l))
        return RING_TOOBIG;
    uint64_t need = RING_HDR + (uint64_t)len;
    if (!has_room(l, need)) {
        if (l->policy == RING_REJECT)
            return RING_FULL;
        /* Bounded: each round drops one record, and once all are dropped the ring is empty
         * and any record of at most max_msg bytes fits. */
        while (!has_room(l, need)) {
            drop_oldest(l);
            l->overwritten++;
        }
    }
    uint32_t len32 = (uint32_t)len;
    ring_copy_in(l->buf, l->mask, l->head, &len32, RING_HDR);
    ring_copy_in(l->buf, l->mask, l->head + RING_HDR, data, len);
    l->head += need;
    if (offset != NULL)
        *offset = l->next;
    l->next++;
    return RING_OK;
}

/* Copy the payload of the record whose header starts at byte counter pos into buf (cap
 * bytes). RING_OK or RING_TOOSMALL; *len is the payload's length either way. */
static int read_record(const ring_log *l, uint64_t pos, void *buf, size_t cap, size_t *len)
{
    uint32_t n = ring_read_len(l->buf, l->mask, pos);
    *len = n;
    if (n > cap)
        return RING_TOOSMALL;
    ring_copy_out(l->buf, l->mask, pos + RING_HDR, buf, n);
    return RING_OK;
}

int ring_log_peek(const ring_log *l, void *buf, size_t cap, size_t *len, uint64_t *offset)
{
    if (l->head == l->tail)
        return RING_EMPTY;
    int rc = read_record(l, l->tail, buf, cap, len);
    if (rc == RING_OK && offset != NULL)
        *offset = l->first;
    return rc;
}

int ring_log_pop(ring_log *l, void *buf, size_t cap, size_t *len, uint64_t *offset)
{
    int rc = ring_log_peek(l, buf, cap, len, offset);
    if (rc == RING_OK)
        drop_oldest(l);
    return rc;
}

int ring_log_after(const ring_log *l, uint64_t after, ring_log_iter *it, uint64_t *missed)
{
    if (after >= l->next)
        return RING_FUTURE;
    it->log = l;
    it->offset = l->first;
    it->pos = l->tail;
    *missed = 0;
    if (after + 1 < l->first) {
        /* The reader wants after+1 .. but the oldest we hold is `first`: the ones between
         * were overwritten (or popped) while it was away. Replay starts at the oldest. */
        *missed = l->first - (after + 1);
        return RING_OK;
    }
    /* Walk the length headers from the oldest record to the one after `after`. This is
     * O(messages skipped); a replay happens once per reconnect, not per message. */
    while (it->offset <= after) {
        it->pos += RING_HDR + (uint64_t)ring_read_len(l->buf, l->mask, it->pos);
        it->offset++;
    }
    return RING_OK;
}

int ring_log_iter_next(ring_log_iter *it, void *buf, size_t cap, size_t *len, uint64_t *offset)
{
    const ring_log *l = it->log;
    if (it->offset < l->first)
        return RING_GAP; /* a push overwrote the record we were about to read */
    if (it->offset >= l->next)
        return RING_EMPTY;
    int rc = read_record(l, it->pos, buf, cap, len);
    if (rc != RING_OK)
        return rc;
    if (offset != NULL)
        *offset = it->offset;
    it->pos += RING_HDR + (uint64_t)*len;
    it->offset++;
    return RING_OK;
}
