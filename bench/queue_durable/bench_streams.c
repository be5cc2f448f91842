/*
 * bench_streams.c - the same work-queue load as bench/queue/bench_broker.c, on Redis Streams:
 * 4 producer connections XADD (64 pipelined per write), 4 consumer connections in one consumer
 * group read with XREADGROUP ... COUNT 8 BLOCK and XACK each entry (the XACKs and the next
 * XREADGROUP in one write). Every message must be acknowledged exactly once (the consumers
 * check the sequence number each entry carries).
 *
 * queue_broker     Redis Streams
 *   PUSH jobs m      XADD jobs * m <m>
 *   PULL jobs        XREADGROUP GROUP bench <consumer> COUNT 8 BLOCK 1000 STREAMS jobs >
 *   ACK <id>         XACK jobs bench <id>
 *
 * Usage: bench_streams PORT [MESSAGES]   (bench/queue_durable/run starts redis-server first)
 */
#include <hiredis/hiredis.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../queue/bench_load.h"

#define COUNT 8 /* entries per XREADGROUP: bench_broker's 8 PULLs outstanding */

static redisContext *dial(void)
{
    redisContext *c = redisConnect("127.0.0.1", port);
    if (c == NULL || c->err)
        die("cannot connect to redis-server on 127.0.0.1 (is it running?)");
    return c;
}

static redisReply *reply(redisContext *c)
{
    void *r = NULL;
    if (redisGetReply(c, &r) != REDIS_OK || r == NULL)
        die("redis-server closed the connection");
    redisReply *rr = r;
    if (rr->type == REDIS_REPLY_ERROR) {
        fprintf(stderr, "bench_streams: redis-server said: %s\n", rr->str);
        exit(1);
    }
    return rr;
}

static void *producer(void *arg)
{
    uint64_t n = total / PRODUCERS, first = (uint64_t)(uintptr_t)arg * n;
    redisContext *c = dial();
    for (uint64_t done = 0; done < n;) {
        size_t k = 0;
        for (; k < PIPELINE && done + k < n; k++)
            redisAppendCommand(c, "XADD jobs * m %llu", (unsigned long long)(first + done + k));
        for (size_t i = 0; i < k; i++)
            freeReplyObject(reply(c));
        done += k;
    }
    redisFree(c);
    return NULL;
}

/* One XREADGROUP's entries: check each, and pipeline one XACK per entry. Returns how many. */
static uint64_t take(redisContext *c, redisReply *r)
{
    if (r->type != REDIS_REPLY_ARRAY || r->elements == 0)
        return 0; /* BLOCK timed out: nothing yet */
    redisReply *entries = r->element[0]->element[1];
    for (size_t i = 0; i < entries->elements; i++) {
        redisReply *e = entries->element[i];
        unsigned long long seq = strtoull(e->element[1]->element[1]->str, NULL, 10);
        if (seq >= total || atomic_fetch_add(&seen[seq], 1) != 0)
            die("an entry was delivered twice or out of range");
        redisAppendCommand(c, "XACK jobs bench %s", e->element[0]->str);
    }
    return entries->elements;
}

static void *consumer(void *arg)
{
    uint64_t quota = total / CONSUMERS, got = 0, acks = 0;
    redisContext *c = dial();
    char name[32];
    snprintf(name, sizeof name, "c%u", (unsigned)(uintptr_t)arg);
    while (got < quota) {
        redisAppendCommand(c, "XREADGROUP GROUP bench %s COUNT %d BLOCK 1000 STREAMS jobs >", name,
                           quota - got < COUNT ? (int)(quota - got) : COUNT);
        for (; acks > 0; acks--) /* the XACKs sent with this read */
            freeReplyObject(reply(c));
        redisReply *r = reply(c);
        acks = take(c, r);
        got += acks;
        freeReplyObject(r);
    }
    for (; acks > 0; acks--) /* the last read's XACKs */
        freeReplyObject(reply(c));
    redisFree(c);
    return NULL;
}

int main(int argc, char **argv)
{
    load_args(argc, argv, "bench_streams");
    redisContext *c = dial();
    freeReplyObject(redisCommand(c, "DEL jobs"));
    freeReplyObject(redisCommand(c, "XGROUP CREATE jobs bench $ MKSTREAM"));
    double dt = load_run(producer, consumer);
    redisReply *pending = redisCommand(c, "XPENDING jobs bench");
    if (pending == NULL || pending->type != REDIS_REPLY_ARRAY || pending->element[0]->integer != 0)
        die("entries are still pending (not XACKed) at the end");
    freeReplyObject(pending);
    redisFree(c);
    printf("Redis Streams XADD/XREADGROUP/XACK, 4 producers + 4 consumers: %llu messages in "
           "%.2f s = %.0f messages/s\n",
           (unsigned long long)total, dt, (double)total / dt);
    return 0;
}
