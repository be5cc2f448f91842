/*
 * broker.h - the queue broker's state: work queues (PUSH/PULL/ACK with redelivery) and topics
 * (PUB/SUB with replay by offset). No sockets: each client is an opaque handle, and every line
 * the broker wants to send goes through one callback. queue_broker.c puts this on the TCP loop;
 * the unit tests drive it with fake handles and read what it "sent".
 *
 * What it teaches: the two ways a message queue hands messages out.
 *   - Work queue (competing consumers): each message goes to one consumer at a time, is held
 *     "in flight" until that consumer ACKs it, and goes back to the queue - marked redelivered
 *     - if the consumer disconnects first or its ACK deadline passes. At-least-once: a consumer
 *     may see a message twice (it worked but its ACK came too late or never), never zero times.
 *     A message delivered max_deliveries times without an ACK is a "poison message": it moves
 *     to the queue's dead-letter list, where an operator can look at it and re-queue it.
 *   - Topic (publish/subscribe): each message goes to every subscriber, and stays in the topic's
 *     ring (a ring_log) so a subscriber that was away can come back with the last offset it saw
 *     and get what it missed - or be told exactly how much was overwritten.
 *
 * Interface:
 *   broker_new/free, broker_define (a --queue spec), broker_client_new, broker_client_line (one
 *   command), broker_client_too_long, broker_client_gone (disconnect), broker_client_waits,
 *   broker_expire + broker_next_deadline (ACK deadlines), broker_get_stats, broker_get_holding.
 */
#ifndef WIRELAB_BROKER_H
#define WIRELAB_BROKER_H

#include <stddef.h>
#include <stdint.h>

#include "aof.h"
#include "ring.h"

typedef struct broker broker;
typedef struct broker_client broker_client;

/* Send one complete line (with its "\n") to the client behind handle. */
typedef void (*broker_send_fn)(void *handle, const char *data, size_t len);

/* A limit bit (the client behind handle was refused something, or handle is NULL and a dead
 * letter was dropped): `what` is a sentence for the operator's log. */
typedef void (*broker_limit_fn)(void *handle, const char *what);

typedef struct broker_config {
    size_t capacity;         /* messages per queue/topic unless broker_define says otherwise */
    enum ring_policy policy; /* work queues: reject or overwrite when full (topics overwrite) */
    size_t max_line;         /* the longest command line; messages are at most this long */
    size_t max_names;        /* queues + topics that may exist (clients create them by use) */
    size_t prefetch;         /* un-ACKed messages one consumer may hold (RabbitMQ's basic.qos) */
    unsigned ack_timeout_s;  /* ACK deadline of a delivery when the PULL names none */
    unsigned max_deliveries; /* deliveries without an ACK before dead-lettering; 0 = never */
    broker_send_fn send;
    broker_limit_fn on_limit; /* optional */
    uint64_t (*now_ms)(void); /* a monotonic clock in milliseconds (tests pass a fake one) */
    /* Optional (--data): called with every change of state, before the reply that reports it
     * is sent (so a shell that holds replies until the record is written can keep an OK's
     * promise). The record's strings point into the broker's memory, valid during the call. */
    void (*journal)(void *user, const aof_record *r);
    void *journal_user;
} broker_config;

/* The longest ACK deadline a PULL or TOUCH may ask for (12 hours, as SQS allows). */
#define BROKER_MAX_ACK_TIMEOUT_S 43200u

typedef struct broker_stats {
    uint64_t in;           /* messages accepted by PUSH and PUB */
    uint64_t delivered;    /* MSG and EVENT lines sent (replays and redeliveries included) */
    uint64_t redelivered;  /* MSG lines marked redelivered */
    uint64_t overwritten;  /* messages dropped by the overwrite policy, queues and topics */
    uint64_t acked;        /* work-queue messages ACKed (and so deleted) */
    uint64_t rejected;     /* PUSHes refused because a reject-policy queue was full */
    uint64_t expired;      /* deliveries whose ACK deadline passed (the message went back) */
    uint64_t dead;         /* messages moved to a dead-letter list (max_deliveries reached) */
    uint64_t dead_dropped; /* dead letters dropped because a dead-letter list was full */
    uint64_t requeued;     /* dead letters an operator put back with REQUEUE */
    uint64_t ack_steps;    /* in-flight entries compared to find ACKed/TOUCHed ids: the work an
                              ACK costs (a hash: about one per ACK, however many are in flight) */
} broker_stats;

/* What the broker holds right now: what a stop (or a crash) of a memory-only broker loses. */
typedef struct broker_holding {
    uint64_t queued;    /* work messages waiting (fresh and given back) */
    uint64_t inflight;  /* delivered, not ACKed yet */
    uint64_t dead;      /* in dead-letter lists */
    uint64_t published; /* topic messages kept for replay */
} broker_holding;

/* NULL if the configuration is impossible (sentence in err) or memory runs out. */
broker *broker_new(const broker_config *cfg, char *err, size_t errlen);
void broker_free(broker *b);

/*
 * Give the queue and the topic called name their own capacity and policy (--queue
 * NAME=CAP:POLICY). Before any client uses that name. 0, or -1 with a sentence in err.
 */
int broker_define(broker *b, const char *name, size_t capacity, enum ring_policy policy, char *err,
                  size_t errlen);

/* A new connection. handle is passed back to cfg->send. NULL if out of memory. */
broker_client *broker_client_new(broker *b, void *handle);

/*
 * One command line from c (without "\n"). Replies and deliveries go out through send, to c and
 * possibly to other clients. Returns 1 if the client asked to QUIT (close it after the reply),
 * else 0. Never fails: a bad line gets "ERR <reason>" and the client carries on.
 */
int broker_client_line(broker_client *c, const char *line, size_t len);

/* c sent a line longer than max_line: tell it (the framer skips the line). */
void broker_client_too_long(broker_client *c);

/* c disconnected: its unacked messages go back to their queues (marked redelivered for the
 * next consumer), its subscriptions and waiting PULLs end, and c is freed. */
void broker_client_gone(broker_client *c);

/* Is c waiting for the broker (a PULL not yet answered, a subscription) or working (it holds
 * unacked messages, each with its ACK deadline)? Such a client is silent on purpose, and an
 * idle timeout must not close it. */
int broker_client_waits(const broker_client *c);

/* Give back every delivery whose ACK deadline is <= now (cfg.now_ms): to its queue, or to the
 * dead-letter list. Call it when broker_next_deadline comes due. */
void broker_expire(broker *b);

/* The earliest ACK deadline of any message in flight (cfg.now_ms time), or UINT64_MAX. */
uint64_t broker_next_deadline(const broker *b);

broker_stats broker_get_stats(const broker *b);
broker_holding broker_get_holding(const broker *b);

/* The longest line the broker accepts (cfg.max_line): what a framer should be given. */
size_t broker_max_line(const broker *b);

/* ---- durability (queue_broker --data): restore from a replayed log, snapshot for compaction */

/*
 * Put back one live work-queue message from a replayed log (aof_state_messages order), before
 * any client connects. A message that was in flight comes back like one whose consumer
 * disconnected (reason "restart"; dead-lettered if it reached max_deliveries). Returns 0, or
 * -1 with a sentence in err (a fresh message that does not fit its queue's capacity: the
 * operator must start with a larger --capacity/--queue, or lose it knowingly).
 * Nothing is journalled.
 */
int broker_restore_msg(broker *b, const aof_msg *m, char *err, size_t errlen);

/* Put back one published message (aof_state_published order). 0, or -1 with err. */
int broker_restore_pub(broker *b, const aof_pub *p, char *err, size_t errlen);

/* Ids continue after last_id (aof_state_last_id). */
void broker_restore_last_id(broker *b, uint64_t last_id);

/* The whole live state as records (AOF_NEXT, then AOF_KEEP per work message and AOF_PUB per
 * kept topic message), for a compacted log; applied to an empty aof_state, they rebuild it. */
void broker_snapshot(const broker *b, void (*fn)(void *user, const aof_record *r), void *user);

#endif
