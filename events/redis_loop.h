/*
 * redis_loop.h - hiredis's asynchronous client on Wirelab's own loop (tcp_echo/loop.h), the
 * way hiredis's adapters/ae.h puts it on Redis's ae loop.
 *
 * What it teaches: a client library that does its own reading and writing needs only
 * readiness from a loop. hiredis asks through five hooks (addRead, delRead, addWrite,
 * delWrite, cleanup); each becomes a loop_fd_want or loop_fd_unwatch on the context's socket,
 * and the loop's report comes back as redisAsyncHandleRead / redisAsyncHandleWrite.
 */
#ifndef WIRELAB_REDIS_LOOP_H
#define WIRELAB_REDIS_LOOP_H

#include <hiredis/async.h>

#include "loop.h"

/* Attach ac (just created by redisAsyncConnect) to l. Returns 0, or -1 (out of memory,
 * already attached, or epoll refused). */
int redis_loop_attach(loop *l, redisAsyncContext *ac);

/* A new asynchronous connection to host:port on l, with data in ac->data and the two
 * callbacks set; NULL when hiredis could not even start it (then nothing is left to free). */
redisAsyncContext *redis_loop_connect(loop *l, const char *host, int port, void *data,
                                      redisConnectCallback *on_connect,
                                      redisDisconnectCallback *on_disconnect);

/* The wait before the next reconnection attempt: *ms now, and *ms doubled for the one after,
 * up to max_ms. */
unsigned redis_backoff(unsigned *ms, unsigned max_ms);

/* "SCHEME//HOST:PORT" (scheme "redis://" or "redis-streams://"; PORT defaults to 6379) into
 * host (cap bytes) and *port. 0, or -1 and a sentence in err. */
int redis_url_parse(const char *url, const char *scheme, char *host, size_t cap, int *port,
                    char *err, size_t errlen);
/* Redis down at start is an error the operator must see: one blocking PING, 2 s at most.
 * 0, or -1 and a sentence in err that says what to do. */
int redis_check(const char *host, int port, char *err, size_t errlen);

#endif
