/*
 * ring.h - ring buffers for messages: a replay log, a lock-free SPSC ring, a blocking MPMC queue.
 *
 * What it teaches: how a fixed block of memory becomes a queue. All three types store
 * variable-length messages (bytes with a length) in a byte array whose size is a power of two,
 * addressed by two counters that only ever grow - the idea of xv6's kernel/pipe.c:
 *
 *      tail (oldest byte held)                head (where the next byte goes)
 *        |                                      |
 *   .....[len|payload....][len|payload.........].....      (positions are counters & (cap-1))
 *
 *   empty  <=>  head == tail
 *   full   <=>  head - tail == cap
 *   slot   =    counter & (cap - 1)
 *
 * Why free-running counters? If we stored the masked indices instead (0..cap-1), "empty" and
 * "full" would both look like head == tail: cap+1 fill levels (0..cap) cannot fit in cap index
 * values. Counters that never wrap into each other keep the fill level head - tail exact. They
 * are 64-bit, so they would take 58 years at 10 GB/s to wrap; even then, unsigned subtraction
 * modulo 2^64 still gives the right fill level because cap divides 2^64.
 *
 * A message is a record: a 4-byte length (host byte order: this memory never leaves the process)
 * followed by the payload. A record may straddle the end of the array; it is then copied in two
 * pieces (see ring_bytes.h), so no space is wasted on padding and a message can be as large as
 * the whole ring minus its header.
 *
 * Every message gets a 64-bit offset: 1 for the first message, then 2, 3, ... (ring_*_new_at
 * starts elsewhere, for tests). "After offset 0" therefore means "everything still held" (with
 * a count of what was lost, if the oldest were already overwritten).
 *
 * The three types (one interface style: new/free, push/pop, RING_OK or a negative RING_*):
 *
 *   ring_log   single-threaded. Overflow policy chosen at creation: RING_REJECT (push returns
 *              RING_FULL; the caller must apply backpressure) or RING_OVERWRITE (the oldest
 *              messages are dropped, and counted). ring_log_after() + ring_log_iter_next() read
 *              "everything after offset X", reporting how many were lost in between. This is
 *              the missed-event replay log (broker topics, the events layer).
 *   ring_spsc  one producer thread and one consumer thread, lock-free with C11 atomics. Reject
 *              only (overwriting would need the producer to move the consumer's counter).
 *              The sniffer's capture thread -> printing thread hand-off. (An optional
 *              inline fast path of push and pop, for hot loops: ring_spsc_inline.h.)
 *   ring_mpmc  any number of threads, a mutex and two condition variables around a ring_log;
 *              push and pop wait with a timeout; batches move under one lock.
 *              The shape of a worker pool.
 *
 * Library code: nothing here prints, exits, or touches a file or socket.
 */
#ifndef WIRELAB_RING_H
#define WIRELAB_RING_H

#include <stddef.h>
#include <stdint.h>

/*
 * Status codes every ring call returns: RING_OK (0) or a negative RING_* that says what happened
 * and what to do next (the project's one error convention, docs/reading-order.md "Errors: one
 * convention"). ring_strerror gives the sentence for each. The first three are not failures but
 * "not now" (like EAGAIN): the caller retries later or applies backpressure.
 */
enum ring_status {
    RING_OK = 0,
    RING_EMPTY = -1,    /* nothing to pop (or: the iterator reached the newest message) */
    RING_FULL = -2,     /* reject policy and no room: back off, or drop the message yourself */
    RING_TIMEOUT = -3,  /* ring_mpmc: nothing happened within the timeout */
    RING_TOOBIG = -4,   /* the message is larger than the ring could ever hold */
    RING_TOOSMALL = -5, /* the caller's buffer is too small; *len says how large it must be */
    RING_CLOSED = -6,   /* ring_mpmc: closed (and, for pop, drained) */
    RING_FUTURE = -7,   /* ring_log_after: that offset was never handed out (the log is newer) */
    RING_GAP = -8,      /* ring_log_iter_next: the log was pushed past the iterator; start again */
    RING_BADSIZE = -9,  /* creation: capacity not a power of two >= 16, or a first offset of 0 */
    RING_NOMEM = -10    /* creation: malloc (or pthread's initialisation) refused */
};

/* What a full ring does with a new message. */
enum ring_policy {
    RING_REJECT,   /* refuse the new message: RING_FULL */
    RING_OVERWRITE /* drop the oldest messages until the new one fits, and count them */
};

/* A short sentence for a status ("the ring is full", ...), for messages to a person. */
const char *ring_strerror(int status);

/*
 * The constructors (ring_*_new) return a pointer, so NULL carries no reason; this says which it
 * was: RING_BADSIZE if capacity_bytes / first_offset are invalid (use 1 for first_offset unless
 * you called a _new_at), else RING_OK, and a NULL with valid sizes means RING_NOMEM.
 * The constructors call it too, so the rule lives in one place.
 */
int ring_size_check(size_t capacity_bytes, uint64_t first_offset);

/* The bytes a message of len bytes takes in a ring (its 4-byte header + payload). */
#define RING_RECORD_SIZE(len) ((size_t)(len) + 4u)

/* ---------------------------------------------------------------------------------------- */
/* ring_log: the single-threaded message log with offsets and replay                        */

typedef struct ring_log ring_log;

/*
 * Create a log of capacity_bytes (a power of two, >= 16) holding at most max_msgs messages
 * (0 = as many as fit in the bytes). Returns NULL if the sizes are invalid or malloc fails
 * (ring_size_check tells which).
 */
ring_log *ring_log_new(size_t capacity_bytes, size_t max_msgs, enum ring_policy policy);

/* The same, with the first message at offset first_offset (>= 1) instead of 1, and the byte
 * counters at first_offset - 1 instead of 0 (for tests of counters past 2^32). */
ring_log *ring_log_new_at(size_t capacity_bytes, size_t max_msgs, enum ring_policy policy,
                          uint64_t first_offset);

void ring_log_free(ring_log *l);

/*
 * Append a copy of data[0..len). On RING_OK, *offset (if not NULL) is the message's offset.
 * RING_FULL only with RING_REJECT; RING_TOOBIG if len > capacity - 4.
 */
int ring_log_push(ring_log *l, const void *data, size_t len, uint64_t *offset);

/*
 * Remove the oldest message into buf (cap bytes). RING_OK: *len (required) and *offset (may be
 * NULL) are set. RING_EMPTY when there is none. RING_TOOSMALL: nothing is removed and *len is
 * the size needed.
 */
int ring_log_pop(ring_log *l, void *buf, size_t cap, size_t *len, uint64_t *offset);

/* Copy the oldest message like ring_log_pop, but leave it in the log. */
int ring_log_peek(const ring_log *l, void *buf, size_t cap, size_t *len, uint64_t *offset);

size_t ring_log_count(const ring_log *l);         /* messages held now */
uint64_t ring_log_first(const ring_log *l);       /* offset of the oldest held (== next if none) */
uint64_t ring_log_next(const ring_log *l);        /* the offset the next push will get */
uint64_t ring_log_overwritten(const ring_log *l); /* messages dropped by RING_OVERWRITE */
size_t ring_log_capacity(const ring_log *l);      /* capacity in bytes */
size_t ring_log_used(const ring_log *l);          /* bytes held now (records with their headers) */
size_t ring_log_max_msgs(const ring_log *l);      /* the message limit given at creation, or 0 */
size_t ring_log_max_msg(const ring_log *l);       /* the largest message a push accepts */

/*
 * A read position in a log: "the message with offset `offset`, which starts at byte `pos`".
 * Valid until the log changes; if a push overwrote the message it points at, iter_next returns
 * RING_GAP and the caller calls ring_log_after again with the last offset it got.
 */
typedef struct ring_log_iter {
    const ring_log *log;
    uint64_t offset; /* the next message this iterator returns */
    uint64_t pos;    /* its byte counter (where its length header starts) */
} ring_log_iter;

/*
 * Position `it` at the first message after offset `after` ("I have seen everything up to and
 * including `after`"). *missed (required) is set to how many messages after `after` are no
 * longer held (overwritten or popped): 0 means the replay is complete, N > 0 means "gap: N
 * messages were lost before you came back", and the iterator then starts at the oldest held.
 * Returns RING_OK, or RING_FUTURE if after >= ring_log_next(): an offset this log never handed
 * out (the server restarted, or the client is confused); nothing can be replayed for it.
 */
int ring_log_after(const ring_log *l, uint64_t after, ring_log_iter *it, uint64_t *missed);

/*
 * Copy the iterator's message into buf and advance. RING_OK: *len and *offset (may be NULL)
 * set. RING_EMPTY: no more messages (the iterator stays valid: more may be pushed later).
 * RING_TOOSMALL: *len is the size needed, the iterator does not move. RING_GAP: see above.
 */
int ring_log_iter_next(ring_log_iter *it, void *buf, size_t cap, size_t *len, uint64_t *offset);

/* ---------------------------------------------------------------------------------------- */
/* ring_spsc: one producer thread, one consumer thread, no locks                            */

typedef struct ring_spsc ring_spsc;

/* Create a ring of capacity_bytes (a power of two, >= 16). NULL if invalid or out of memory
 * (ring_size_check tells which). */
ring_spsc *ring_spsc_new(size_t capacity_bytes);

/* The same, with the first message at offset `start` (>= 1) and the byte counters at start-1
 * instead of 0 (for tests: start past 2^32 puts both past a 32-bit counter's wrap). */
ring_spsc *ring_spsc_new_at(size_t capacity_bytes, uint64_t start);

/* Free the ring. Neither thread may be using it any more. */
void ring_spsc_free(ring_spsc *r);

/* One piece of a message that ring_spsc_pushv gathers (e.g. a header struct and the packet). */
typedef struct ring_part {
    const void *data;
    size_t len;
} ring_part;

/*
 * Producer thread only. Append one message; RING_OK, RING_FULL (retry later: the consumer is
 * behind) or RING_TOOBIG. *offset (may be NULL) is its offset.
 */
int ring_spsc_push(ring_spsc *r, const void *data, size_t len, uint64_t *offset);

/* Producer thread only. One message made of nparts pieces, copied back to back (no temp copy). */
int ring_spsc_pushv(ring_spsc *r, const ring_part *parts, size_t nparts, uint64_t *offset);

/*
 * Consumer thread only. Remove the oldest message into buf (cap bytes). RING_OK with *len and
 * *offset (may be NULL), RING_EMPTY (try later), or RING_TOOSMALL (*len = size needed; the
 * message stays).
 */
int ring_spsc_pop(ring_spsc *r, void *buf, size_t cap, size_t *len, uint64_t *offset);

/*
 * Consumer thread only. Up to max messages in one go, copied back to back into buf (cap bytes),
 * message i being lens[i] bytes; *n says how many. RING_OK (*n >= 1), RING_EMPTY, or
 * RING_TOOSMALL when even the first does not fit (lens[0] = its size). Cheaper per message than
 * ring_spsc_pop under load: the shared counters are touched once per batch.
 */
int ring_spsc_pop_many(ring_spsc *r, void *buf, size_t cap, size_t *lens, size_t max, size_t *n);

/* Where ring_spsc_popv scatters a message: fill data[0..cap), then the next part. */
typedef struct ring_outpart {
    void *data;
    size_t cap;
} ring_outpart;

/*
 * Consumer thread only. Like ring_spsc_pop, but the message is scattered over the parts in
 * order (e.g. a header struct, then the packet buffer): the mirror of ring_spsc_pushv.
 * RING_TOOSMALL (*len = size needed, message stays) when the parts hold less than the message.
 */
int ring_spsc_popv(ring_spsc *r, const ring_outpart *parts, size_t nparts, size_t *len,
                   uint64_t *offset);

/* Consumer thread only: the length of the next message, or RING_EMPTY. */
int ring_spsc_peek_len(ring_spsc *r, size_t *len);

size_t ring_spsc_capacity(const ring_spsc *r);
size_t ring_spsc_max_msg(const ring_spsc *r);

/* ---------------------------------------------------------------------------------------- */
/* ring_mpmc: many producers, many consumers, blocking with timeouts                        */

typedef struct ring_mpmc ring_mpmc;

/* timeout_ms for push and pop: -1 waits for ever, 0 never waits, N > 0 waits up to N ms. */
#define RING_WAIT_FOREVER (-1)

ring_mpmc *ring_mpmc_new(size_t capacity_bytes, size_t max_msgs, enum ring_policy policy);
void ring_mpmc_free(ring_mpmc *q);

/*
 * Append a message. RING_REJECT: waits for room up to timeout_ms, then RING_TIMEOUT (or
 * RING_FULL if timeout_ms is 0). RING_OVERWRITE never waits. RING_CLOSED after ring_mpmc_close.
 */
int ring_mpmc_push(ring_mpmc *q, const void *data, size_t len, int timeout_ms, uint64_t *offset);

/*
 * Push up to n messages in one lock: they lie back to back in data, message i being lens[i]
 * bytes. Waits (as ring_mpmc_push) only for the first; the others go in while they fit.
 * *pushed says how many went in; the return value is the first one's status.
 */
int ring_mpmc_push_many(ring_mpmc *q, const void *data, const size_t *lens, size_t n,
                        int timeout_ms, size_t *pushed);

/*
 * Remove the oldest message, waiting up to timeout_ms for one. RING_OK, RING_EMPTY (timeout 0),
 * RING_TIMEOUT, RING_TOOSMALL (*len = size needed), or RING_CLOSED once closed and drained.
 */
int ring_mpmc_pop(ring_mpmc *q, void *buf, size_t cap, size_t *len, uint64_t *offset,
                  int timeout_ms);

/*
 * Like ring_mpmc_pop, but takes up to max messages in one lock: they are copied back to back
 * into buf (cap bytes), message i being lens[i] bytes; *n is how many (>= 1 on RING_OK). Stops
 * at the first message that does not fit; RING_TOOSMALL (lens[0] = size needed) only when the
 * first does not.
 */
int ring_mpmc_pop_many(ring_mpmc *q, void *buf, size_t cap, size_t *lens, size_t max, size_t *n,
                       int timeout_ms);

/* Wake every waiter; later pushes get RING_CLOSED, pops drain what is left then RING_CLOSED. */
void ring_mpmc_close(ring_mpmc *q);

size_t ring_mpmc_count(ring_mpmc *q);
uint64_t ring_mpmc_overwritten(ring_mpmc *q);

#endif
