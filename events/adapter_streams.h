/*
 * adapter_streams.h - events_server as one member of a socket.io cluster on a Redis STREAM:
 * the format of npm @socket.io/redis-streams-adapter 0.3.x (stream_msg.h), so a C server and
 * Node.js socket.io servers share rooms, broadcasts and connection state recovery.
 *
 * What it teaches: the course's "mitigate missed events with a queue", at cluster scale. The
 * stream is the queue: every broadcast is an entry with an id that only grows, every server
 * reads the stream from the last id it saw (XREAD BLOCK), and every event a client gets carries
 * its entry's id. A client that drops from server A comes back to server B with its pid and
 * that id; B finds the session A saved in Redis and replays the stream after the id: same
 * socket id, same rooms, every missed event in order, once. When Redis comes back after an
 * outage, each server goes on reading where it stopped.
 *
 *   socket.io (Node)                              C
 *   createAdapter(redisClient)                    adapter_streams_new(l, srv, url)
 *   io.in("a").socketsJoin("b")                   adapter_streams_join(a, n, &t, rooms, 1, 1)
 *   io.in("a").disconnectSockets(true)            adapter_streams_disconnect(a, n, &t, 1)
 *   await io.in("a").fetchSockets()               adapter_streams_fetch(a, n, &t, fn, user)
 *   io.serverSideEmit("echo", x, (err, r) => ..)  adapter_streams_emit(a, n, "echo", args, ...)
 *
 * Run:  redis-server --port 6390 --save '' --appendonly no &
 *       events_server --port 3001 --adapter redis-streams://127.0.0.1:6390 &
 *       events_server --port 3002 --adapter redis-streams://127.0.0.1:6390
 *
 * Redis down at start: adapter_streams_new fails with a sentence (events_server exits 1).
 * Lost while running: this server's clients are served as before (events without an offset),
 * the loss is logged once, the three connections are retried with a backoff, and when Redis is
 * back XREAD resumes from the last id this server read.
 */
#ifndef WIRELAB_ADAPTER_STREAMS_H
#define WIRELAB_ADAPTER_STREAMS_H

#include <stddef.h>

#include "adapter_redis.h" /* adapter_result_fn, adapter_server_event_fn, the retry times */
#include "loop.h"
#include "sio_server.h"

#define STREAMS_NAME            "socket.io"    /* the adapter's streamName */
#define STREAMS_MAXLEN          10000          /* XADD ... MAXLEN ~ 10000: the adapter's maxLen */
#define STREAMS_READ_COUNT      100            /* XREAD COUNT: readCount */
#define STREAMS_BLOCK_MS        5000           /* XREAD BLOCK: blockTimeInMs */
#define STREAMS_SESSION         "sio:session:" /* sessionKeyPrefix */
#define STREAMS_MAX_PENDING     10000          /* our XADDs not yet read back from the stream */
#define STREAMS_MAX_RESTORES    256            /* recoveries being looked up in Redis at once */
#define STREAMS_MAX_MISSED      10000          /* events one recovery may replay */
#define STREAMS_MAX_MISSED_TEXT "10000"
#define STREAMS_MAX_RANGES      100  /* XRANGE calls of one recovery (the adapter's too) */
#define STREAMS_RANGE_COUNT     1000 /* entries one XRANGE returns */
#define STREAMS_CATCHUP_MS                                                                         \
    3000 /* a recovery waits this long for XREAD to reach                                          \
            the client's offset, else connects it as new */

typedef struct adapter_streams adapter_streams;

/* Connect to url ("redis-streams://HOST:PORT") and join the cluster with every namespace srv
 * has now. NULL and a sentence in err when the URL is wrong or Redis does not answer. */
adapter_streams *adapter_streams_new(loop *l, sio_server *srv, const char *url, char *err,
                                     size_t errlen);
void adapter_streams_free(adapter_streams *a);
/* Commands of ours Redis has not answered yet (1) or none (0): a stopping server runs its loop
 * until this is 0, so the sessions its closing sockets hand over (SET ... PX) reach Redis. */
int adapter_streams_busy(const adapter_streams *a);

int adapter_streams_join(adapter_streams *a, sio_nsp *n, const sio_target *t,
                         const char *const *rooms, size_t nrooms, int join);
int adapter_streams_disconnect(adapter_streams *a, sio_nsp *n, const sio_target *t, int close);
/* fetchSockets: [{"id","handshake","rooms","data"}, ...], this server's first. */
int adapter_streams_fetch(adapter_streams *a, sio_nsp *n, const sio_target *t, adapter_result_fn fn,
                          void *user);
/* serverSideEmit with an ack: every other server's ack argument. args: JSON array text. */
int adapter_streams_emit(adapter_streams *a, sio_nsp *n, const char *event, const char *args,
                         adapter_result_fn fn, void *user);
void adapter_streams_on(adapter_streams *a, adapter_server_event_fn fn, void *user);

#endif
