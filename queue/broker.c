/*
 * broker.c - the queue broker's state machine (see broker.h), with no sockets in it.
 *
 * What it teaches: where each message lives at each moment, so none is ever lost.
 *
 *   work queue "jobs":                                 topic "news":
 *     ring       fresh messages, oldest first            ring   the last `capacity` messages,
 *     redo       given back (its consumer left, or              each with its offset; every
 *                its ACK deadline passed), delivered            subscriber got each one live,
 *                before the ring, marked "redelivered"          and a returning one replays
 *     in flight  on its consumer's list until ACK,              from the ring
 *                in the id hash and the deadline heap
 *     dead       delivered max_deliveries times and
 *                never ACKed: kept for an operator
 *
 * A work-queue record in the ring is the message's 8-byte id followed by its text.
 *
 * Limits, and why they bound memory: the ring holds at most `capacity` messages. A consumer
 * holds at most `prefetch` in flight, and its PULLs beyond that wait (for its own ACK, or its
 * deadline) while other consumers are served. The dead list holds at most `capacity` (the
 * oldest is dropped and counted). Messages leave the ring only while redo is empty, and every
 * other move (ACK, give back, dead-letter, REQUEUE) keeps or shrinks the sum, so redo + in
 * flight + dead never exceeds (consumers x prefetch) + capacity. Plus max_names queues + topics,
 * 16 waiting PULLs and 16 subscriptions per client.
 *
 * Costs: ACK and TOUCH find the id in a hash table (about one comparison, however many are in
 * flight); a deadline is a min-heap entry (O(log n) to add, move or remove); a consumer's
 * in-flight list is doubly linked (O(1) to unlink).
 *
 * Where the state changes (what a durable log would record, one place each): cmd_push (a
 * message enters its ring), deliver (it goes out), cmd_ack (it is deleted), give_back (it comes
 * back: disconnect or deadline), dead_letter, cmd_requeue, and cmd_pub for topics.
 *
 * Re-entrancy: the send callback might make the loop report a dead connection while we are in
 * the middle of a fan-out. broker_client_gone during a call only marks the client; it is
 * cleaned up when the outermost call returns (the "graveyard"), so no list changes under a
 * loop that is walking it.
 * Run the tests: ctest -R queue_broker_test.
 */
#include "broker.h"
#include "proto.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_WAITING_PER_CLIENT 16
#define MAX_SUBS_PER_CLIENT    16
#define MAX_RING_BYTES         ((size_t)1 << 30)
#define MAX_DLQ_LISTED         1000 /* DEAD lines one DLQ command sends at most */

/*
 * A work-queue message outside the ring. In flight: on its owner's list (prev/next), in the id
 * hash (hnext) and in the deadline heap (heap_at). Given back or dead: on the queue's redo or
 * dead list (next only), owner NULL.
 */
struct held {
    struct held *prev, *next;
    struct held *hnext;
    struct wq *q;
    broker_client *owner;
    uint64_t id;
    uint64_t deadline_ms;
    size_t heap_at;
    unsigned timeout_s;  /* the deadline this delivery was given (TOUCH without seconds) */
    unsigned deliveries; /* since it was pushed or re-queued from the dead list */
    int seen;            /* delivered at least once: the next delivery says "redelivered" */
    uint8_t reason;      /* why it went back the last time: AOF_DEADLINE, _DISCONNECT, _RESTART */
    size_t len;
    char msg[];
};

/* A singly linked FIFO of held messages (a queue's redo and dead lists). */
struct fifo {
    struct held *head, *tail;
    size_t n;
};

/* A PULL that waits for a message, with the ACK deadline it asked for. */
struct waiter {
    broker_client *c;
    unsigned timeout_s;
};

struct wq {
    char name[PROTO_NAME_MAX + 1];
    size_t capacity;
    enum ring_policy policy;
    ring_log *ring;
    struct fifo redo, dead;
    size_t inflight;
    struct waiter *waiting; /* first come first served (a consumer at its prefetch is skipped) */
    size_t nwaiting, cap_waiting;
};

struct topic {
    char name[PROTO_NAME_MAX + 1];
    ring_log *ring;
    broker_client **subs;
    size_t nsubs, cap_subs;
};

struct spec {
    char name[PROTO_NAME_MAX + 1];
    size_t capacity;
    enum ring_policy policy;
};

struct broker {
    broker_config cfg;
    struct wq **queues;
    size_t nqueues;
    struct topic **topics;
    size_t ntopics;
    struct spec *specs;
    size_t nspecs, cap_specs;
    uint64_t next_id;
    broker_stats stats;
    struct held **table; /* in-flight messages by id: table[id & (nbuckets - 1)], chained */
    size_t nbuckets, ninflight;
    struct held **heap; /* in-flight messages, the earliest deadline at heap[0] */
    size_t heap_cap;
    char *out; /* scratch for one outgoing line */
    size_t out_cap;
    uint8_t *rec; /* scratch for one work-queue record */
    unsigned busy;
    broker_client *graveyard;
    int restoring; /* broker_restore_*: nothing is journalled */
};

struct broker_client {
    broker *b;
    void *handle;
    struct held *first, *last; /* in flight, oldest delivery first */
    size_t ninflight;
    unsigned waiting, nsubs;
    int gone;
    broker_client *next_dead;
};

/* ---- sizes ------------------------------------------------------------------------------- */

/* The ring bytes that hold `capacity` records of up to `msg_max` bytes, or 0 if too many. */
static size_t ring_bytes_for(size_t capacity, size_t msg_max)
{
    size_t rec = RING_RECORD_SIZE(msg_max);
    if (capacity == 0 || capacity > MAX_RING_BYTES / rec)
        return 0; /* capacity * rec would exceed the limit: checked by division, no overflow */
    size_t need = capacity * rec, bytes = 16;
    while (bytes < need)
        bytes <<= 1;
    return bytes;
}

static int check_sizes(const broker_config *cfg, size_t capacity, char *err, size_t errlen)
{
    if (ring_bytes_for(capacity, 8 + cfg->max_line) == 0) {
        snprintf(err, errlen,
                 "capacity %zu with lines up to %zu bytes needs more than 1 GiB per queue: "
                 "lower --capacity or --max-line",
                 capacity, cfg->max_line);
        return -1;
    }
    return 0;
}

/* ---- creation ---------------------------------------------------------------------------- */

broker *broker_new(const broker_config *cfg, char *err, size_t errlen)
{
    if (cfg->capacity == 0 || cfg->max_line < 16 || cfg->max_names == 0 || cfg->send == NULL ||
        cfg->prefetch == 0 || cfg->now_ms == NULL || cfg->ack_timeout_s == 0 ||
        cfg->ack_timeout_s > BROKER_MAX_ACK_TIMEOUT_S) {
        snprintf(err, errlen,
                 "capacity, max_names, prefetch, send and now_ms must be set, max_line >= 16, "
                 "ack_timeout_s from 1 to %u",
                 BROKER_MAX_ACK_TIMEOUT_S);
        return NULL;
    }
    if (check_sizes(cfg, cfg->capacity, err, errlen) < 0)
        return NULL;
    broker *b = calloc(1, sizeof *b);
    if (b == NULL)
        goto nomem;
    b->cfg = *cfg;
    b->out_cap = cfg->max_line + 2 * PROTO_NAME_MAX + 64;
    b->out = malloc(b->out_cap);
    b->rec = malloc(8 + cfg->max_line);
    b->queues = calloc(cfg->max_names, sizeof *b->queues);
    b->topics = calloc(cfg->max_names, sizeof *b->topics);
    b->nbuckets = 64;
    b->table = calloc(b->nbuckets, sizeof *b->table);
    if (b->out == NULL || b->rec == NULL || b->queues == NULL || b->topics == NULL ||
        b->table == NULL) {
        broker_free(b);
        goto nomem;
    }
    return b;
nomem:
    snprintf(err, errlen, "out of memory");
    return NULL;
}

static void free_held_list(struct held *h, int chain)
{
    while (h != NULL) {
        struct held *next = chain ? h->hnext : h->next;
        free(h);
        h = next;
    }
}

void broker_free(broker *b)
{
    if (b == NULL)
        return;
    for (size_t i = 0; b->table != NULL && i < b->nbuckets; i++)
        free_held_list(b->table[i], 1); /* still in flight at clients not yet gone */
    for (size_t i = 0; i < b->nqueues; i++) {
        ring_log_free(b->queues[i]->ring);
        free_held_list(b->queues[i]->redo.head, 0);
        free_held_list(b->queues[i]->dead.head, 0);
        free(b->queues[i]->waiting);
        free(b->queues[i]);
    }
    for (size_t i = 0; i < b->ntopics; i++) {
        ring_log_free(b->topics[i]->ring);
        free(b->topics[i]->subs);
        free(b->topics[i]);
    }
    free(b->queues);
    free(b->topics);
    free(b->specs);
    free(b->table);
    free(b->heap);
    free(b->out);
    free(b->rec);
    free(b);
}

int broker_define(broker *b, const char *name, size_t capacity, enum ring_policy policy, char *err,
                  size_t errlen)
{
    if (!proto_valid_name(name, strlen(name))) {
        snprintf(err, errlen, "bad queue name '%s': use 1-%d of A-Z a-z 0-9 . _ -", name,
                 PROTO_NAME_MAX);
        return -1;
    }
    if (check_sizes(&b->cfg, capacity, err, errlen) < 0)
        return -1;
    if (b->nspecs == b->cap_specs) {
        size_t n = b->cap_specs ? 2 * b->cap_specs : 8;
        struct spec *s = realloc(b->specs, n * sizeof *s);
        if (s == NULL) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        b->specs = s;
        b->cap_specs = n;
    }
    struct spec *s = &b->specs[b->nspecs++];
    snprintf(s->name, sizeof s->name, "%s", name);
    s->capacity = capacity;
    s->policy = policy;
    return 0;
}

/* The capacity and policy for a new queue or topic called name[0..len). */
static void spec_for(const broker *b, const char *name, size_t len, size_t *capacity,
                     enum ring_policy *policy)
{
    *capacity = b->cfg.capacity;
    *policy = b->cfg.policy;
    for (size_t i = 0; i < b->nspecs; i++) {
        if (strlen(b->specs[i].name) == len && memcmp(b->specs[i].name, name, len) == 0) {
            *capacity = b->specs[i].capacity;
            *policy = b->specs[i].policy;
        }
    }
}

broker_client *broker_client_new(broker *b, void *handle)
{
    broker_client *c = calloc(1, sizeof *c);
    if (c == NULL)
        return NULL;
    c->b = b;
    c->handle = handle;
    return c;
}

/* ---- sending ----------------------------------------------------------------------------- */

/* Send "<head><body>\n" to c: head is printf-formatted, body raw bytes (a message). */
static void emitf(broker_client *c, const char *body, size_t body_len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void emitf(broker_client *c, const char *body, size_t body_len, const char *fmt, ...)
{
    broker *b = c->b;
    if (c->gone)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->out, b->out_cap, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    size_t head = (size_t)n < b->out_cap ? (size_t)n : b->out_cap - 1;
    if (body_len > b->out_cap - 1 - head)
        body_len = b->out_cap - 1 - head; /* cannot happen: out_cap covers max_line + names */
    memcpy(b->out + head, body, body_len);
    b->out[head + body_len] = '\n';
    b->cfg.send(c->handle, b->out, head + body_len + 1);
}

/* A change of state for the durable log (--data), if there is one: see aof.h for the records.
 * Called before the reply that reports the change; not while a log is being restored. */
static void journal_msg(const broker *b, uint8_t type, const char *name, uint64_t id,
                        const char *msg, size_t len)
{
    if (b->cfg.journal == NULL || b->restoring)
        return;
    aof_record r = {.type = type,
                    .id = id,
                    .name = name,
                    .name_len = name != NULL ? strlen(name) : 0,
                    .msg = (const uint8_t *)msg,
                    .msg_len = len};
    b->cfg.journal(b->cfg.journal_user, &r);
}

static void journal(const broker *b, uint8_t type, uint64_t id, uint8_t reason)
{
    if (b->cfg.journal == NULL || b->restoring)
        return;
    aof_record r = {.type = type, .id = id, .reason = reason};
    b->cfg.journal(b->cfg.journal_user, &r);
}

/* ---- lookup ------------------------------------------------------------------------------ */

static int name_is(const char *name, const char *s, size_t len)
{
    return strlen(name) == len && memcmp(name, s, len) == 0;
}

/* A limit bites: tell the client ("ERR <what>") and the operator (cfg.on_limit). */
static void limit_hit(broker_client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void limit_hit(broker_client *c, const char *fmt, ...)
{
    char what[PROTO_ERR_LEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    emitf(c, "", 0, "ERR %s", what);
    if (c->b->cfg.on_limit != NULL)
        c->b->cfg.on_limit(c->handle, what);
}

static int names_full(broker_client *c)
{
    broker *b = c->b;
    if (b->nqueues + b->ntopics < b->cfg.max_names)
        return 0;
    limit_hit(
        c, "too many queues and topics (the broker allows %zu, --max-names): use one that exists",
        b->cfg.max_names);
    return 1;
}

/* Find the queue, creating it on first use. NULL (and ERR sent) if that is impossible. */
static struct wq *find_queue(const broker *b, const char *name, size_t len)
{
    for (size_t i = 0; i < b->nqueues; i++)
        if (name_is(b->queues[i]->name, name, len))
            return b->queues[i];
    return NULL;
}

/* A new queue (there is room for a name). NULL if out of memory. */
static struct wq *make_queue(broker *b, const char *name, size_t len)
{
    struct wq *q = calloc(1, sizeof *q);
    if (q != NULL) {
        memcpy(q->name, name, len);
        spec_for(b, name, len, &q->capacity, &q->policy);
        q->ring =
            ring_log_new(ring_bytes_for(q->capacity, 8 + b->cfg.max_line), q->capacity, q->policy);
    }
    if (q == NULL || q->ring == NULL) {
        free(q);
        return NULL;
    }
    b->queues[b->nqueues++] = q;
    return q;
}

static struct wq *get_queue(broker_client *c, const char *name, size_t len)
{
    broker *b = c->b;
    struct wq *q = find_queue(b, name, len);
    if (q != NULL || names_full(c))
        return q;
    if ((q = make_queue(b, name, len)) == NULL)
        emitf(c, "", 0, "ERR out of memory creating a queue");
    return q;
}

static struct topic *find_topic(const broker *b, const char *name, size_t len)
{
    for (size_t i = 0; i < b->ntopics; i++)
        if (name_is(b->topics[i]->name, name, len))
            return b->topics[i];
    return NULL;
}

/* A new topic whose first message gets offset `first` (1, or more when restored from a log).
 * NULL if out of memory. */
static struct topic *make_topic(broker *b, const char *name, size_t len, uint64_t first)
{
    struct topic *t = calloc(1, sizeof *t);
    size_t capacity;
    enum ring_policy unused;
    if (t != NULL) {
        memcpy(t->name, name, len);
        spec_for(b, name, len, &capacity, &unused);
        /* Topics always overwrite: nobody pops a topic, so "reject" would refuse every PUB
         * once it had held `capacity` messages. The oldest are what a late subscriber misses. */
        t->ring = ring_log_new_at(ring_bytes_for(capacity, b->cfg.max_line), capacity,
                                  RING_OVERWRITE, first);
    }
    if (t == NULL || t->ring == NULL) {
        free(t);
        return NULL;
    }
    b->topics[b->ntopics++] = t;
    return t;
}

static struct topic *get_topic(broker_client *c, const char *name, size_t len)
{
    broker *b = c->b;
    struct topic *t = find_topic(b, name, len);
    if (t != NULL || names_full(c))
        return t;
    if ((t = make_topic(b, name, len, 1)) == NULL)
        emitf(c, "", 0, "ERR out of memory creating a topic");
    return t;
}

/* Append p to a growable array of client pointers. -1 if out of memory. */
static int add_client(broker_client ***arr, size_t *n, size_t *cap, broker_client *p)
{
    if (*n == *cap) {
        size_t ncap = *cap ? 2 * *cap : 4;
        broker_client **a = realloc(*arr, ncap * sizeof *a);
        if (a == NULL)
            return -1;
        *arr = a;
        *cap = ncap;
    }
    (*arr)[(*n)++] = p;
    return 0;
}

/* Remove every occurrence of p, keeping the order of the rest. */
static void remove_client(broker_client **arr, size_t *n, broker_client *p)
{
    size_t j = 0;
    for (size_t i = 0; i < *n; i++)
        if (arr[i] != p)
            arr[j++] = arr[i];
    *n = j;
}

static void enter(broker *b);
static void leave(broker *b);

/* ---- in flight: the id hash, the deadline heap, the consumer's list ---------------------- */

static void fifo_put(struct fifo *f, struct held *h)
{
    h->next = NULL;
    if (f->tail != NULL)
        f->tail->next = h;
    else
        f->head = h;
    f->tail = h;
    f->n++;
}

static struct held *fifo_take(struct fifo *f)
{
    struct held *h = f->head;
    if (h != NULL) {
        f->head = h->next;
        if (f->head == NULL)
            f->tail = NULL;
        f->n--;
    }
    return h;
}

/* Double the hash table when it holds more entries than buckets (amortized O(1) per entry).
 * If realloc fails the table stays as it is: slower chains, still correct. */
static void table_grow(broker *b)
{
    size_t n = 2 * b->nbuckets;
    struct held **t = calloc(n, sizeof *t);
    if (t == NULL)
        return;
    for (size_t i = 0; i < b->nbuckets; i++) {
        for (struct held *h = b->table[i], *next; h != NULL; h = next) {
            next = h->hnext;
            h->hnext = t[h->id & (n - 1)];
            t[h->id & (n - 1)] = h;
        }
    }
    free(b->table);
    b->table = t;
    b->nbuckets = n;
}

/* The in-flight message with this id, or NULL. Ids are consecutive, so id & mask spreads them
 * evenly over the buckets: a chain is about one entry long. */
static struct held *inflight_find(broker *b, uint64_t id)
{
    for (struct held *h = b->table[id & (b->nbuckets - 1)]; h != NULL; h = h->hnext) {
        b->stats.ack_steps++;
        if (h->id == id)
            return h;
    }
    return NULL;
}

/* ---- the deadline heap: heap[i]'s children are heap[2i+1] and heap[2i+2], each due no
 * earlier than its parent, so heap[0] is the next deadline. */

static void heap_set(broker *b, size_t i, struct held *h)
{
    b->heap[i] = h;
    h->heap_at = i;
}

static void heap_up(broker *b, size_t i)
{
    struct held *h = b->heap[i];
    while (i > 0 && b->heap[(i - 1) / 2]->deadline_ms > h->deadline_ms) {
        heap_set(b, i, b->heap[(i - 1) / 2]);
        i = (i - 1) / 2;
    }
    heap_set(b, i, h);
}

static void heap_down(broker *b, size_t i)
{
    struct held *h = b->heap[i];
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= b->ninflight)
            break;
        if (child + 1 < b->ninflight &&
            b->heap[child + 1]->deadline_ms < b->heap[child]->deadline_ms)
            child++;
        if (b->heap[child]->deadline_ms >= h->deadline_ms)
            break;
        heap_set(b, i, b->heap[child]);
        i = child;
    }
    heap_set(b, i, h);
}

/* h's deadline changed (TOUCH): move it up or down to where it belongs. */
static void heap_fix(broker *b, struct held *h)
{
    heap_up(b, h->heap_at);
    heap_down(b, h->heap_at);
}

/* Room for one more in-flight message in the heap. -1 if out of memory. */
static int inflight_reserve(broker *b)
{
    if (b->ninflight < b->heap_cap)
        return 0;
    size_t n = b->heap_cap ? 2 * b->heap_cap : 64;
    struct held **a = realloc(b->heap, n * sizeof *a);
    if (a == NULL)
        return -1;
    b->heap = a;
    b->heap_cap = n;
    return 0;
}

/* h goes out to c (inflight_reserve succeeded): on c's list, in the hash and the heap. */
static void inflight_add(broker *b, broker_client *c, struct held *h, unsigned timeout_s)
{
    h->owner = c;
    h->next = NULL;
    h->prev = c->last;
    if (c->last != NULL)
        c->last->next = h;
    else
        c->first = h;
    c->last = h;
    c->ninflight++;
    h->q->inflight++;
    if (b->ninflight >= b->nbuckets)
        table_grow(b);
    struct held **bucket = &b->table[h->id & (b->nbuckets - 1)];
    h->hnext = *bucket;
    *bucket = h;
    h->timeout_s = timeout_s;
    h->deadline_ms = b->cfg.now_ms() + 1000 * (uint64_t)timeout_s;
    b->ninflight++;
    heap_set(b, b->ninflight - 1, h);
    heap_up(b, b->ninflight - 1);
}

/* The reverse of inflight_add: h is in flight no more (ACKed, or on its way back). */
static void inflight_remove(broker *b, struct held *h)
{
    broker_client *c = h->owner;
    if (h->prev != NULL)
        h->prev->next = h->next;
    else
        c->first = h->next;
    if (h->next != NULL)
        h->next->prev = h->prev;
    else
        c->last = h->prev;
    c->ninflight--;
    h->q->inflight--;
    h->owner = NULL;
    h->prev = h->next = NULL;
    struct held **pp = &b->table[h->id & (b->nbuckets - 1)];
    while (*pp != h)
        pp = &(*pp)->hnext;
    *pp = h->hnext;
    /* Fill h's place in the heap with the last entry, and let that one find its level. */
    struct held *last = b->heap[--b->ninflight];
    if (last != h) {
        heap_set(b, h->heap_at, last);
        heap_fix(b, last);
    }
}

/* ---- work queues ------------------------------------------------------------------------- */

/* A message delivered max_deliveries times and never ACKed is a poison message (it may crash
 * every consumer that takes it): keep it aside with its reason instead of redelivering it for
 * ever. The list holds at most `capacity`; past that, the oldest dead letter is dropped and
 * counted. */
static void dead_letter(broker *b, struct held *h)
{
    struct wq *q = h->q;
    fifo_put(&q->dead, h);
    b->stats.dead++;
    journal(b, AOF_DEAD, h->id, h->reason);
    if (q->dead.n > q->capacity) {
        struct held *oldest = fifo_take(&q->dead);
        journal(b, AOF_DROP, oldest->id, AOF_NONE);
        free(oldest);
        b->stats.dead_dropped++;
        if (b->cfg.on_limit != NULL)
            b->cfg.on_limit(NULL, "a dead-letter list is full (its queue's capacity): the oldest "
                                  "dead letter was dropped");
    }
}

/* h is in flight no more but was not ACKed (reason: "deadline" or "disconnect"): back to the
 * front of its queue, after what is already waiting there - or to the dead list. */
static void give_back(broker *b, struct held *h, uint8_t reason)
{
    if (h->owner != NULL) /* (NULL: restored from a log, in flight when the broker stopped) */
        inflight_remove(b, h);
    h->reason = reason;
    if (b->cfg.max_deliveries != 0 && h->deliveries >= b->cfg.max_deliveries) {
        dead_letter(b, h);
    } else {
        fifo_put(&h->q->redo, h);
        journal(b, AOF_BACK, h->id, reason);
    }
}

/* The next message for a consumer: a returned one first, else the oldest fresh one. */
static struct held *take_next(broker *b, struct wq *q)
{
    if (q->redo.n > 0)
        return fifo_take(&q->redo);
    /* Peek, allocate, then pop: if malloc fails the message stays in the ring, not lost. */
    size_t len;
    if (ring_log_peek(q->ring, b->rec, 8 + b->cfg.max_line, &len, NULL) != RING_OK)
        return NULL;
    struct held *h = calloc(1, sizeof *h + (len - 8));
    if (h == NULL)
        return NULL; /* the PULL keeps waiting; a later PUSH or ACK retries */
    ring_log_pop(q->ring, b->rec, 8 + b->cfg.max_line, &len, NULL);
    memcpy(&h->id, b->rec, 8);
    h->q = q;
    h->len = len - 8;
    memcpy(h->msg, b->rec + 8, h->len);
    return h;
}

static void deliver(broker *b, struct waiter w, struct held *h)
{
    broker_client *c = w.c;
    inflight_add(b, c, h, w.timeout_s);
    h->deliveries++;
    journal(b, AOF_DELIVER, h->id, AOF_NONE);
    b->stats.delivered++;
    if (h->seen)
        b->stats.redelivered++;
    emitf(c, h->msg, h->len, "MSG %s %" PRIu64 " %s ", h->q->name, h->id,
          h->seen ? "redelivered" : "new");
    h->seen = 1;
}

static void remove_waiter(struct wq *q, size_t i)
{
    memmove(q->waiting + i, q->waiting + i + 1, (q->nwaiting - i - 1) * sizeof *q->waiting);
    q->nwaiting--;
}

/*
 * Hand messages to waiting PULLs while there are both. The oldest PULL first - but a consumer
 * already holding `prefetch` unacked messages is skipped (its PULL keeps its place), so one
 * consumer that never ACKs cannot stop the others.
 */
static void dispatch(broker *b, struct wq *q)
{
    size_t i = 0;
    while (i < q->nwaiting) {
        struct waiter w = q->waiting[i];
        if (w.c->gone) { /* it left during this call; the graveyard removes it properly */
            remove_waiter(q, i);
            continue;
        }
        if (w.c->ninflight >= b->cfg.prefetch) {
            i++;
            continue;
        }
        if (inflight_reserve(b) < 0)
            return; /* out of memory: the PULL keeps waiting; a later PUSH or ACK retries */
        struct held *h = take_next(b, q);
        if (h == NULL)
            return;
        remove_waiter(q, i);
        w.c->waiting--;
        deliver(b, w, h);
    }
}

/* A PUSH into a full queue with the overwrite policy drops its oldest fresh message: the log
 * must say which (ring_log_push drops it without telling). The ring's bytes are sized for
 * `capacity` records of the longest line, so the message count is what fills it. */
static void journal_overwrite(broker *b, struct wq *q)
{
    size_t len;
    uint64_t oldest;
    if (b->cfg.journal == NULL || b->restoring ||
        ring_log_peek(q->ring, b->rec, 8 + b->cfg.max_line, &len, NULL) != RING_OK)
        return;
    memcpy(&oldest, b->rec, 8);
    journal(b, AOF_DROP, oldest, AOF_NONE);
}

static void cmd_push(broker_client *c, const proto_cmd *cmd)
{
    broker *b = c->b;
    struct wq *q = get_queue(c, cmd->name, cmd->name_len);
    if (q == NULL)
        return;
    uint64_t id = b->next_id + 1;
    if (q->policy == RING_OVERWRITE && ring_log_count(q->ring) >= q->capacity)
        journal_overwrite(b, q);
    memcpy(b->rec, &id, 8);
    memcpy(b->rec + 8, cmd->msg, cmd->msg_len);
    if (ring_log_push(q->ring, b->rec, 8 + cmd->msg_len, NULL) != RING_OK) {
        b->stats.rejected++;
        emitf(c, "", 0, "ERR queue %s is full (%zu messages, policy reject): retry later", q->name,
              q->capacity);
        return;
    }
    b->next_id = id;
    b->stats.in++;
    journal_msg(b, AOF_PUSH, q->name, id, cmd->msg, cmd->msg_len);
    emitf(c, "", 0, "OK %" PRIu64, id);
    dispatch(b, q);
}

static void cmd_pull(broker_client *c, const proto_cmd *cmd)
{
    broker *b = c->b;
    if (c->waiting >= MAX_WAITING_PER_CLIENT) {
        limit_hit(c, "too many PULLs waiting on this connection (max %d)", MAX_WAITING_PER_CLIENT);
        return;
    }
    struct wq *q = get_queue(c, cmd->name, cmd->name_len);
    if (q == NULL)
        return;
    if (q->nwaiting == q->cap_waiting) {
        size_t n = q->cap_waiting ? 2 * q->cap_waiting : 4;
        struct waiter *a = realloc(q->waiting, n * sizeof *a);
        if (a == NULL) {
            emitf(c, "", 0, "ERR out of memory");
            return;
        }
        q->waiting = a;
        q->cap_waiting = n;
    }
    if (c->ninflight >= b->cfg.prefetch && b->cfg.on_limit != NULL) {
        /* Not an error: the PULL waits (for this consumer's ACK or a deadline). But a consumer
         * that keeps hitting its prefetch is worth a line in the operator's log. */
        char what[PROTO_ERR_LEN];
        snprintf(what, sizeof what,
                 "holds %zu unacked messages, its prefetch: its PULL waits for an ACK",
                 c->ninflight);
        b->cfg.on_limit(c->handle, what);
    }
    unsigned timeout = cmd->has_seconds ? (unsigned)cmd->seconds : b->cfg.ack_timeout_s;
    q->waiting[q->nwaiting++] = (struct waiter){c, timeout};
    c->waiting++;
    dispatch(b, q); /* now, if a message is there; otherwise when one is pushed */
}

/* The message id that c may ACK or TOUCH, or NULL (and ERR sent). */
static struct held *owned(broker_client *c, uint64_t id)
{
    struct held *h = inflight_find(c->b, id);
    if (h != NULL && h->owner == c)
        return h;
    emitf(c, "", 0,
          "ERR no message %" PRIu64
          " is waiting for an ACK from this connection (not delivered here, already ACKed, "
          "or its ACK deadline passed and it went back to the queue)",
          id);
    return NULL;
}

static void cmd_ack(broker_client *c, uint64_t id)
{
    broker *b = c->b;
    struct held *h = owned(c, id);
    if (h == NULL)
        return;
    struct wq *q = h->q;
    inflight_remove(b, h); /* settled: the message is gone for good */
    journal(b, AOF_ACK, h->id, AOF_NONE);
    free(h);
    b->stats.acked++;
    emitf(c, "", 0, "OK");
    dispatch(b, q); /* below its prefetch again: this consumer's waiting PULL may proceed */
}

/* TOUCH: "still working on it" - the deadline moves to now + seconds (a heartbeat for long
 * work; without seconds, the deadline this delivery was given). */
static void cmd_touch(broker_client *c, const proto_cmd *cmd)
{
    broker *b = c->b;
    struct held *h = owned(c, cmd->number);
    if (h == NULL)
        return;
    if (cmd->has_seconds)
        h->timeout_s = (unsigned)cmd->seconds;
    h->deadline_ms = b->cfg.now_ms() + 1000 * (uint64_t)h->timeout_s;
    heap_fix(b, h);
    emitf(c, "", 0, "OK %u", h->timeout_s);
}

void broker_expire(broker *b)
{
    enter(b);
    uint64_t now = b->cfg.now_ms();
    while (b->ninflight > 0 && b->heap[0]->deadline_ms <= now) {
        struct held *h = b->heap[0];
        struct wq *q = h->q;
        b->stats.expired++;
        give_back(b, h, AOF_DEADLINE);
        dispatch(b, q); /* deliveries from here are due in >= 1 s: the loop ends */
    }
    leave(b);
}

uint64_t broker_next_deadline(const broker *b)
{
    return b->ninflight > 0 ? b->heap[0]->deadline_ms : UINT64_MAX;
}

/* DLQ <queue>: list the dead letters, oldest first. */
static void cmd_dlq(broker_client *c, const proto_cmd *cmd)
{
    struct wq *q = get_queue(c, cmd->name, cmd->name_len);
    if (q == NULL)
        return;
    size_t shown = 0;
    for (struct held *h = q->dead.head; h != NULL && shown < MAX_DLQ_LISTED; h = h->next) {
        shown++;
        emitf(c, h->msg, h->len, "DEAD %s %" PRIu64 " %u %s ", q->name, h->id, h->deliveries,
              aof_reason_name(h->reason));
    }
    emitf(c, "", 0, "OK %zu of %zu", shown, q->dead.n);
}

/* REQUEUE <queue> <id>|ALL: dead letters go back to the queue (after what waits there) with
 * their delivery count reset; they are still marked redelivered. */
static void cmd_requeue(broker_client *c, const proto_cmd *cmd)
{
    broker *b = c->b;
    struct wq *q = get_queue(c, cmd->name, cmd->name_len);
    if (q == NULL)
        return;
    size_t moved = 0;
    struct fifo keep = {0};
    struct held *h;
    while ((h = fifo_take(&q->dead)) != NULL) {
        if (cmd->all || h->id == cmd->number) {
            h->deliveries = 0;
            fifo_put(&q->redo, h);
            journal(b, AOF_REQUEUE, h->id, AOF_NONE);
            moved++;
        } else {
            fifo_put(&keep, h);
        }
    }
    q->dead = keep;
    b->stats.requeued += moved;
    if (moved == 0 && !cmd->all)
        emitf(c, "", 0, "ERR no dead letter %" PRIu64 " in %s (DLQ %s lists them)", cmd->number,
              q->name, q->name);
    else
        emitf(c, "", 0, "OK %zu", moved);
    dispatch(b, q);
}

/* ---- topics ------------------------------------------------------------------------------ */

static void cmd_pub(broker_client *c, const proto_cmd *cmd)
{
    broker *b = c->b;
    struct topic *t = get_topic(c, cmd->name, cmd->name_len);
    if (t == NULL)
        return;
    uint64_t off;
    ring_log_push(t->ring, cmd->msg, cmd->msg_len, &off); /* overwrite policy: cannot fail */
    b->stats.in++;
    journal_msg(b, AOF_PUB, t->name, off, cmd->msg, cmd->msg_len);
    for (size_t i = 0; i < t->nsubs; i++) {
        if (t->subs[i]->gone)
            continue;
        b->stats.delivered++;
        emitf(t->subs[i], cmd->msg, cmd->msg_len, "EVENT %s %" PRIu64 " ", t->name, off);
    }
    emitf(c, "", 0, "OK %" PRIu64, off);
}

/* Send c everything in t after offset `from`, announcing a gap first if there is one. */
static int replay(broker_client *c, struct topic *t, uint64_t from)
{
    broker *b = c->b;
    ring_log_iter it;
    uint64_t missed, off;
    if (ring_log_after(t->ring, from, &it, &missed) == RING_FUTURE) {
        emitf(c, "", 0,
              "ERR offset %" PRIu64 " is newer than the newest on topic %s (%" PRIu64
              "): not subscribed",
              from, t->name, ring_log_next(t->ring) - 1);
        return -1;
    }
    if (missed > 0)
        emitf(c, "", 0, "GAP %s %" PRIu64, t->name, missed);
    size_t len;
    while (ring_log_iter_next(&it, b->rec, 8 + b->cfg.max_line, &len, &off) == RING_OK) {
        b->stats.delivered++;
        /* b->rec is not touched by emitf, so it can carry the message into it. */
        emitf(c, (const char *)b->rec, len, "EVENT %s %" PRIu64 " ", t->name, off);
    }
    return 0;
}

static void cmd_sub(broker_client *c, const proto_cmd *cmd)
{
    struct topic *t = get_topic(c, cmd->name, cmd->name_len);
    if (t == NULL)
        return;
    for (size_t i = 0; i < t->nsubs; i++) {
        if (t->subs[i] == c) {
            emitf(c, "", 0, "ERR already subscribed to %s", t->name);
            return;
        }
    }
    if (c->nsubs >= MAX_SUBS_PER_CLIENT) {
        limit_hit(c, "too many subscriptions on this connection (max %d)", MAX_SUBS_PER_CLIENT);
        return;
    }
    if (cmd->has_from && replay(c, t, cmd->number) < 0)
        return;
    if (add_client(&t->subs, &t->nsubs, &t->cap_subs, c) < 0) {
        emitf(c, "", 0, "ERR out of memory");
        return;
    }
    c->nsubs++;
    /* The newest offset so far: reconnect later with SUB <topic> FROM <it> to miss nothing. */
    emitf(c, "", 0, "OK %" PRIu64, ring_log_next(t->ring) - 1);
}

/* ---- clients coming and going ------------------------------------------------------------ */

static void forget_client(broker *b, broker_client *c)
{
    while (c->first != NULL) /* its unacked messages go back, oldest delivery first */
        give_back(b, c->first, AOF_DISCONNECT);
    for (size_t i = 0; i < b->nqueues; i++) {
        struct wq *q = b->queues[i];
        for (size_t j = q->nwaiting; j-- > 0;)
            if (q->waiting[j].c == c)
                remove_waiter(q, j);
    }
    for (size_t i = 0; i < b->ntopics; i++)
        remove_client(b->topics[i]->subs, &b->topics[i]->nsubs, c);
    free(c);
    for (size_t i = 0; i < b->nqueues; i++)
        dispatch(b, b->queues[i]); /* the returned messages go to whoever waits */
}

static void enter(broker *b)
{
    b->busy++;
}

/* Leaving the outermost call: clean up clients that went away in the middle of it. */
static void leave(broker *b)
{
    if (b->busy > 1) {
        b->busy--;
        return;
    }
    while (b->graveyard != NULL) { /* forget_client may send, and so bury more: loop */
        broker_client *c = b->graveyard;
        b->graveyard = c->next_dead;
        forget_client(b, c);
    }
    b->busy = 0;
}

void broker_client_gone(broker_client *c)
{
    broker *b = c->b;
    c->gone = 1;
    c->next_dead = b->graveyard;
    b->graveyard = c;
    enter(b);
    leave(b);
}

void broker_client_too_long(broker_client *c)
{
    enter(c->b);
    emitf(c, "", 0, "ERR line too long (the broker accepts up to %zu bytes)", c->b->cfg.max_line);
    leave(c->b);
}

static int run_command(broker_client *c, const proto_cmd *cmd)
{
    switch (cmd->verb) {
    case PROTO_PUSH:
        cmd_push(c, cmd);
        break;
    case PROTO_PULL:
        cmd_pull(c, cmd);
        break;
    case PROTO_ACK:
        cmd_ack(c, cmd->number);
        break;
    case PROTO_TOUCH:
        cmd_touch(c, cmd);
        break;
    case PROTO_DLQ:
        cmd_dlq(c, cmd);
        break;
    case PROTO_REQUEUE:
        cmd_requeue(c, cmd);
        break;
    case PROTO_PUB:
        cmd_pub(c, cmd);
        break;
    case PROTO_SUB:
        cmd_sub(c, cmd);
        break;
    case PROTO_QUIT:
        emitf(c, "", 0, "OK bye");
        return 1;
    }
    return 0;
}

int broker_client_line(broker_client *c, const char *line, size_t len)
{
    broker *b = c->b;
    proto_cmd cmd;
    char err[PROTO_ERR_LEN];
    int quit = 0;
    enter(b);
    if (proto_parse(line, len, &cmd, err, sizeof err) < 0)
        emitf(c, "", 0, "ERR %s", err);
    else if ((cmd.verb == PROTO_PUSH || cmd.verb == PROTO_PUB) && cmd.msg_len > b->cfg.max_line)
        emitf(c, "", 0, "ERR message too long"); /* cannot happen: the framer caps lines */
    else
        quit = run_command(c, &cmd);
    leave(b);
    return quit;
}

broker_stats broker_get_stats(const broker *b)
{
    broker_stats s = b->stats;
    s.overwritten = 0;
    for (size_t i = 0; i < b->nqueues; i++)
        s.overwritten += ring_log_overwritten(b->queues[i]->ring);
    for (size_t i = 0; i < b->ntopics; i++)
        s.overwritten += ring_log_overwritten(b->topics[i]->ring);
    return s;
}

broker_holding broker_get_holding(const broker *b)
{
    broker_holding h = {.inflight = b->ninflight};
    for (size_t i = 0; i < b->nqueues; i++) {
        h.queued += ring_log_count(b->queues[i]->ring) + b->queues[i]->redo.n;
        h.dead += b->queues[i]->dead.n;
    }
    for (size_t i = 0; i < b->ntopics; i++)
        h.published += ring_log_count(b->topics[i]->ring);
    return h;
}

int broker_client_waits(const broker_client *c)
{
    return c->waiting > 0 || c->nsubs > 0 || c->ninflight > 0;
}

size_t broker_max_line(const broker *b)
{
    return b->cfg.max_line;
}

/* ---- durability: restore from a replayed log, snapshot for compaction -------------------- */

/* A name for a restored queue or topic: it must fit max_names. */
static int restore_name_ok(const broker *b, const char *name, char *err, size_t errlen)
{
    if (b->nqueues + b->ntopics < b->cfg.max_names)
        return 0;
    snprintf(err, errlen,
             "the log names more queues and topics than the broker allows (%zu, --max-names): %s",
             b->cfg.max_names, name);
    return -1;
}

int broker_restore_msg(broker *b, const aof_msg *m, char *err, size_t errlen)
{
    size_t name_len = strlen(m->queue);
    struct wq *q = find_queue(b, m->queue, name_len);
    if (q == NULL && restore_name_ok(b, m->queue, err, errlen) < 0)
        return -1;
    if (q == NULL && (q = make_queue(b, m->queue, name_len)) == NULL)
        goto nomem;
    if (m->len > b->cfg.max_line) {
        snprintf(err, errlen, "message %" PRIu64 " in queue %s is %zu bytes, over --max-line %zu",
                 m->id, q->name, m->len, b->cfg.max_line);
        return -1;
    }
    if (m->id > b->next_id)
        b->next_id = m->id;
    if (m->where == AOF_FRESH) {
        memcpy(b->rec, &m->id, 8);
        memcpy(b->rec + 8, m->msg, m->len);
        if (ring_log_count(q->ring) >= q->capacity ||
            ring_log_push(q->ring, b->rec, 8 + m->len, NULL) != RING_OK) {
            snprintf(err, errlen,
                     "queue %s holds more messages in the log than its capacity (%zu): start "
                     "with a larger --capacity or --queue %s=N",
                     q->name, q->capacity, q->name);
            return -1;
        }
        return 0;
    }
    struct held *h = calloc(1, sizeof *h + m->len);
    if (h == NULL)
        goto nomem;
    h->q = q;
    h->id = m->id;
    h->deliveries = m->deliveries;
    h->seen = m->seen;
    h->reason = m->reason;
    h->len = m->len;
    memcpy(h->msg, m->msg, m->len);
    broker_stats before = b->stats; /* a restore is not a new dead letter or redelivery */
    b->restoring = 1;
    if (m->where == AOF_REDO)
        fifo_put(&q->redo, h);
    else if (m->where == AOF_FLIGHT)
        give_back(b, h, AOF_RESTART); /* its consumer is gone: as if it had disconnected */
    else
        dead_letter(b, h);
    b->restoring = 0;
    b->stats = before;
    return 0;
nomem:
    snprintf(err, errlen, "out of memory restoring the log");
    return -1;
}

int broker_restore_pub(broker *b, const aof_pub *p, char *err, size_t errlen)
{
    size_t name_len = strlen(p->topic);
    struct topic *t = find_topic(b, p->topic, name_len);
    if (t == NULL && restore_name_ok(b, p->topic, err, errlen) < 0)
        return -1;
    if (t == NULL && (t = make_topic(b, p->topic, name_len, p->offset)) == NULL) {
        snprintf(err, errlen, "out of memory restoring the log");
        return -1;
    }
    if (p->len > b->cfg.max_line || p->offset != ring_log_next(t->ring)) {
        snprintf(err, errlen,
                 "topic %s: offset %" PRIu64 " (%zu bytes) does not follow %" PRIu64
                 " or is over --max-line",
                 t->name, p->offset, p->len, ring_log_next(t->ring) - 1);
        return -1;
    }
    ring_log_push(t->ring, p->msg, p->len, NULL);
    return 0;
}

void broker_restore_last_id(broker *b, uint64_t last_id)
{
    if (last_id > b->next_id)
        b->next_id = last_id;
}

static void snapshot_held(const struct held *h, uint8_t where,
                          void (*fn)(void *user, const aof_record *r), void *user)
{
    aof_record r = {.type = AOF_KEEP,
                    .id = h->id,
                    .where = where,
                    .reason = h->reason,
                    .seen = (uint8_t)(h->seen != 0),
                    .deliveries = h->deliveries,
                    .name = h->q->name,
                    .name_len = strlen(h->q->name),
                    .msg = (const uint8_t *)h->msg,
                    .msg_len = h->len};
    fn(user, &r);
}

/* One queue's messages in the order replay sorts them back into: redo, in flight (by
 * deadline), fresh (by id), dead. */
static void snapshot_queue(const broker *b, struct wq *q,
                           void (*fn)(void *user, const aof_record *r), void *user)
{
    for (const struct held *h = q->redo.head; h != NULL; h = h->next)
        snapshot_held(h, AOF_REDO, fn, user);
    for (size_t i = 0; i < b->ninflight; i++)
        if (b->heap[i]->q == q)
            snapshot_held(b->heap[i], AOF_FLIGHT, fn, user);
    ring_log_iter it;
    uint64_t missed;
    size_t len;
    ring_log_after(q->ring, ring_log_first(q->ring) - 1, &it, &missed);
    while (ring_log_iter_next(&it, b->rec, 8 + b->cfg.max_line, &len, NULL) == RING_OK) {
        aof_record r = {.type = AOF_KEEP,
                        .where = AOF_FRESH,
                        .name = q->name,
                        .name_len = strlen(q->name),
                        .msg = b->rec + 8,
                        .msg_len = len - 8};
        memcpy(&r.id, b->rec, 8);
        fn(user, &r);
    }
    for (const struct held *h = q->dead.head; h != NULL; h = h->next)
        snapshot_held(h, AOF_DEADLIST, fn, user);
}

void broker_snapshot(const broker *b, void (*fn)(void *user, const aof_record *r), void *user)
{
    aof_record next = {.type = AOF_NEXT, .id = b->next_id};
    fn(user, &next);
    for (size_t i = 0; i < b->nqueues; i++)
        snapshot_queue(b, b->queues[i], fn, user);
    for (size_t i = 0; i < b->ntopics; i++) {
        struct topic *t = b->topics[i];
        ring_log_iter it;
        uint64_t missed, off;
        size_t len;
        ring_log_after(t->ring, ring_log_first(t->ring) - 1, &it, &missed);
        while (ring_log_iter_next(&it, b->rec, 8 + b->cfg.max_line, &len, &off) == RING_OK) {
            aof_record r = {.type = AOF_PUB,
                            .id = off,
                            .name = t->name,
                            .name_len = strlen(t->name),
                            .msg = b->rec,
                            .msg_len = len};
            fn(user, &r);
        }
    }
}
