/*
 * broker.c - the queue broker's state machine (see broker.h), with no sockets in it.
 *
 * What it teaches: where each message lives at each moment, so none is ever lost.
 *
 *   work queue "jobs":                                 topic "news":
 *     ring       fresh messages, oldest first            ring   the last `capacity` messages,
 *     redo       given back by a consumer that left,            each with its offset; every
 *                delivered before the ring, marked              subscriber got each one live,
 *                "redelivered"                                  and a returning one replays
 *     in flight  on each consumer's list until ACK              from the ring
 *
 * A work-queue record in the ring is the message's 8-byte id followed by its text. Limits:
 * ring + redo + in flight <= capacity per queue (so an ACK-less consumer cannot make the broker
 * hold unbounded memory), max_names queues + topics, 16 waiting PULLs and 16 subscriptions per
 * client.
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

/* A work-queue message outside the ring: in flight on a consumer, or waiting for redelivery. */
struct held {
    struct held *next;
    struct wq *q;
    uint64_t id;
    int redelivered;
    size_t len;
    char msg[];
};

struct wq {
    char name[PROTO_NAME_MAX + 1];
    size_t capacity;
    ring_log *ring;
    struct held *redo, *redo_tail;
    size_t nredo, inflight;
    broker_client **waiting; /* PULLs waiting for a message, first come first served */
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
    char *out; /* scratch for one outgoing line */
    size_t out_cap;
    uint8_t *rec; /* scratch for one work-queue record */
    unsigned busy;
    broker_client *graveyard;
};

struct broker_client {
    broker *b;
    void *handle;
    struct held *inflight; /* newest first */
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
    if (cfg->capacity == 0 || cfg->max_line < 16 || cfg->max_names == 0 || cfg->send == NULL) {
        snprintf(err, errlen, "capacity, max_names and send must be set, max_line >= 16");
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
    if (b->out == NULL || b->rec == NULL || b->queues == NULL || b->topics == NULL) {
        broker_free(b);
        goto nomem;
    }
    return b;
nomem:
    snprintf(err, errlen, "out of memory");
    return NULL;
}

static void free_held_list(struct held *h)
{
    while (h != NULL) {
        struct held *next = h->next;
        free(h);
        h = next;
    }
}

void broker_free(broker *b)
{
    if (b == NULL)
        return;
    for (size_t i = 0; i < b->nqueues; i++) {
        ring_log_free(b->queues[i]->ring);
        free_held_list(b->queues[i]->redo);
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

/* ---- lookup ------------------------------------------------------------------------------ */

static int name_is(const char *name, const char *s, size_t len)
{
    return strlen(name) == len && memcmp(name, s, len) == 0;
}

static int names_full(broker_client *c)
{
    broker *b = c->b;
    if (b->nqueues + b->ntopics < b->cfg.max_names)
        return 0;
    emitf(c, "", 0, "ERR too many queues and topics (the broker allows %zu)", b->cfg.max_names);
    return 1;
}

/* Find the queue, creating it on first use. NULL (and ERR sent) if that is impossible. */
static struct wq *get_queue(broker_client *c, const char *name, size_t len)
{
    broker *b = c->b;
    for (size_t i = 0; i < b->nqueues; i++)
        if (name_is(b->queues[i]->name, name, len))
            return b->queues[i];
    if (names_full(c))
        return NULL;
    struct wq *q = calloc(1, sizeof *q);
    enum ring_policy policy;
    if (q != NULL) {
        memcpy(q->name, name, len);
        spec_for(b, name, len, &q->capacity, &policy);
        q->ring =
            ring_log_new(ring_bytes_for(q->capacity, 8 + b->cfg.max_line), q->capacity, policy);
    }
    if (q == NULL || q->ring == NULL) {
        free(q);
        emitf(c, "", 0, "ERR out of memory creating a queue");
        return NULL;
    }
    b->queues[b->nqueues++] = q;
    return q;
}

static struct topic *get_topic(broker_client *c, const char *name, size_t len)
{
    broker *b = c->b;
    for (size_t i = 0; i < b->ntopics; i++)
        if (name_is(b->topics[i]->name, name, len))
            return b->topics[i];
    if (names_full(c))
        return NULL;
    struct topic *t = calloc(1, sizeof *t);
    size_t capacity;
    enum ring_policy unused;
    if (t != NULL) {
        memcpy(t->name, name, len);
        spec_for(b, name, len, &capacity, &unused);
        /* Topics always overwrite: nobody pops a topic, so "reject" would refuse every PUB
         * once it had held `capacity` messages. The oldest are what a late subscriber misses. */
        t->ring = ring_log_new(ring_bytes_for(capacity, b->cfg.max_line), capacity, RING_OVERWRITE);
    }
    if (t == NULL || t->ring == NULL) {
        free(t);
        emitf(c, "", 0, "ERR out of memory creating a topic");
        return NULL;
    }
    b->topics[b->ntopics++] = t;
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

/* ---- work queues ------------------------------------------------------------------------- */

/* The next message for a consumer: a returned one first, else the oldest fresh one. */
static struct held *take_next(broker *b, struct wq *q)
{
    struct held *h = q->redo;
    if (h != NULL) {
        q->redo = h->next;
        if (q->redo == NULL)
            q->redo_tail = NULL;
        q->nredo--;
        return h;
    }
    if (q->nredo + q->inflight >= q->capacity)
        return NULL; /* too many unacked: wait for an ACK or a disconnect */
    /* Peek, allocate, then pop: if malloc fails the message stays in the ring, not lost. */
    size_t len;
    if (ring_log_peek(q->ring, b->rec, 8 + b->cfg.max_line, &len, NULL) != RING_OK)
        return NULL;
    h = malloc(sizeof *h + (len - 8));
    if (h == NULL)
        return NULL; /* the PULL keeps waiting; a later PUSH or ACK retries */
    ring_log_pop(q->ring, b->rec, 8 + b->cfg.max_line, &len, NULL);
    memcpy(&h->id, b->rec, 8);
    h->q = q;
    h->redelivered = 0;
    h->len = len - 8;
    memcpy(h->msg, b->rec + 8, h->len);
    return h;
}

/* Hand messages to waiting PULLs while there are both. */
static void dispatch(broker *b, struct wq *q)
{
    while (q->nwaiting > 0) {
        broker_client *c = q->waiting[0];
        if (c->gone) { /* it left during this call; the graveyard removes it properly */
            remove_client(q->waiting, &q->nwaiting, c);
            continue;
        }
        struct held *h = take_next(b, q);
        if (h == NULL)
            return;
        memmove(q->waiting, q->waiting + 1, (q->nwaiting - 1) * sizeof *q->waiting);
        q->nwaiting--;
        c->waiting--;
        h->next = c->inflight;
        c->inflight = h;
        q->inflight++;
        b->stats.delivered++;
        if (h->redelivered)
            b->stats.redelivered++;
        emitf(c, h->msg, h->len, "MSG %s %" PRIu64 " %s ", q->name, h->id,
              h->redelivered ? "redelivered" : "new");
    }
}

static void cmd_push(broker_client *c, const proto_cmd *cmd)
{
    broker *b = c->b;
    struct wq *q = get_queue(c, cmd->name, cmd->name_len);
    if (q == NULL)
        return;
    uint64_t id = b->next_id + 1;
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
    emitf(c, "", 0, "OK %" PRIu64, id);
    dispatch(b, q);
}

static void cmd_pull(broker_client *c, const proto_cmd *cmd)
{
    broker *b = c->b;
    if (c->waiting >= MAX_WAITING_PER_CLIENT) {
        emitf(c, "", 0, "ERR too many PULLs waiting on this connection (max %d)",
              MAX_WAITING_PER_CLIENT);
        return;
    }
    struct wq *q = get_queue(c, cmd->name, cmd->name_len);
    if (q == NULL)
        return;
    if (add_client(&q->waiting, &q->nwaiting, &q->cap_waiting, c) < 0) {
        emitf(c, "", 0, "ERR out of memory");
        return;
    }
    c->waiting++;
    dispatch(b, q); /* now, if a message is there; otherwise when one is pushed */
}

static void cmd_ack(broker_client *c, uint64_t id)
{
    broker *b = c->b;
    for (struct held **pp = &c->inflight; *pp != NULL; pp = &(*pp)->next) {
        struct held *h = *pp;
        if (h->id != id)
            continue;
        *pp = h->next;
        struct wq *q = h->q;
        q->inflight--;
        free(h);
        b->stats.acked++;
        emitf(c, "", 0, "OK");
        dispatch(b, q); /* below the in-flight limit again: a waiting PULL may proceed */
        return;
    }
    emitf(c, "", 0, "ERR no message %" PRIu64 " is waiting for an ACK from this connection", id);
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
        emitf(c, "", 0, "ERR too many subscriptions on this connection (max %d)",
              MAX_SUBS_PER_CLIENT);
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

/* Give c's unacked messages back to their queues, oldest first, marked redelivered. */
static void return_inflight(broker_client *c)
{
    struct held *rev = NULL; /* c->inflight is newest first: reverse it */
    while (c->inflight != NULL) {
        struct held *h = c->inflight;
        c->inflight = h->next;
        h->next = rev;
        rev = h;
    }
    while (rev != NULL) {
        struct held *h = rev;
        rev = h->next;
        struct wq *q = h->q;
        h->next = NULL;
        h->redelivered = 1;
        if (q->redo_tail != NULL)
            q->redo_tail->next = h;
        else
            q->redo = h;
        q->redo_tail = h;
        q->nredo++;
        q->inflight--;
    }
}

static void forget_client(broker *b, broker_client *c)
{
    return_inflight(c);
    for (size_t i = 0; i < b->nqueues; i++)
        remove_client(b->queues[i]->waiting, &b->queues[i]->nwaiting, c);
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

size_t broker_max_line(const broker *b)
{
    return b->cfg.max_line;
}
