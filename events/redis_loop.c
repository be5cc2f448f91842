/*
 * redis_loop.c - hiredis on our loop (see redis_loop.h).
 *
 * hiredis calls addWrite first (a non-blocking connect() completes when the socket becomes
 * writable), then addRead once connected; it calls delWrite when its output buffer is empty
 * and cleanup when the context is freed, just before it closes the socket.
 */
#include "redis_loop.h"

#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct redis_events {
    redisAsyncContext *ac;
    loop_fd *w;
    int reading, writing;
} redis_events;

/* The loop says the socket is ready. Reading may end the context (Redis closed it, or a
 * callback disconnected): then cleanup has run, w is inactive and e is gone, so the write
 * handler must not be called; w itself stays valid until the end of the round. */
static void ready(loop_fd *w, int readable, int writable, void *arg)
{
    redis_events *e = arg;
    if (readable)
        redisAsyncHandleRead(e->ac);
    if (writable && loop_fd_active(w))
        redisAsyncHandleWrite(e->ac);
}

static void update(redis_events *e)
{
    loop_fd_want(e->w, e->reading, e->writing);
}

static void add_read(void *p)
{
    redis_events *e = p;
    e->reading = 1;
    update(e);
}

static void del_read(void *p)
{
    redis_events *e = p;
    e->reading = 0;
    update(e);
}

static void add_write(void *p)
{
    redis_events *e = p;
    e->writing = 1;
    update(e);
}

static void del_write(void *p)
{
    redis_events *e = p;
    e->writing = 0;
    update(e);
}

static void cleanup(void *p)
{
    redis_events *e = p;
    loop_fd_unwatch(e->w);
    free(e);
}

int redis_loop_attach(loop *l, redisAsyncContext *ac)
{
    if (ac->ev.data != NULL)
        return -1;
    redis_events *e = calloc(1, sizeof *e);
    if (e == NULL)
        return -1;
    e->ac = ac;
    e->w = loop_fd_watch(l, ac->c.fd, ready, e);
    if (e->w == NULL) {
        free(e);
        return -1;
    }
    ac->ev.addRead = add_read;
    ac->ev.delRead = del_read;
    ac->ev.addWrite = add_write;
    ac->ev.delWrite = del_write;
    ac->ev.cleanup = cleanup;
    ac->ev.data = e;
    return 0;
}

redisAsyncContext *redis_loop_connect(loop *l, const char *host, int port, void *data,
                                      redisConnectCallback *on_connect,
                                      redisDisconnectCallback *on_disconnect)
{
    redisAsyncContext *ac = redisAsyncConnect(host, port);
    if (ac == NULL)
        return NULL;
    if (ac->err || redis_loop_attach(l, ac) < 0) {
        redisAsyncFree(ac);
        return NULL;
    }
    ac->data = data;
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    return ac;
}

unsigned redis_backoff(unsigned *ms, unsigned max_ms)
{
    unsigned now = *ms;
    *ms = *ms > max_ms / 2 ? max_ms : *ms * 2;
    return now;
}

int redis_url_parse(const char *url, const char *scheme, char *host, size_t cap, int *port,
                    char *err, size_t errlen)
{
    size_t sl = strlen(scheme);
    const char *p = strncmp(url, scheme, sl) == 0 ? url + sl : NULL;
    const char *colon = p ? strrchr(p, ':') : NULL;
    size_t hlen = p ? (colon ? (size_t)(colon - p) : strlen(p)) : 0;
    char *end = NULL;
    long v = colon ? strtol(colon + 1, &end, 10) : 6379;
    if (p == NULL || hlen == 0 || hlen >= cap || v < 1 || v > 65535 || (end && *end)) {
        snprintf(err, errlen, "--adapter %s: expected %sHOST:PORT", url, scheme);
        return -1;
    }
    memcpy(host, p, hlen);
    host[hlen] = '\0';
    *port = (int)v;
    return 0;
}

int redis_check(const char *host, int port, char *err, size_t errlen)
{
    struct timeval tv = {2, 0};
    redisContext *c = redisConnectWithTimeout(host, port, tv);
    redisReply *r = c && !c->err ? redisCommand(c, "PING") : NULL;
    int ok = r && r->type == REDIS_REPLY_STATUS;
    if (!ok)
        snprintf(err, errlen,
                 "cannot reach Redis at %s:%d (%s); start redis-server there or fix --adapter",
                 host, port,
                 c == NULL ? "out of memory"
                 : c->err  ? c->errstr
                 : r       ? r->str
                           : "no answer to PING");
    freeReplyObject(r);
    redisFree(c);
    return ok ? 0 : -1;
}
