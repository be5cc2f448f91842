/*
 * adapter_redis.h - events_server as one member of a socket.io cluster: the Redis adapter,
 * speaking the format of npm @socket.io/redis-adapter 8.x (adapter_msg.h), so a C server and
 * Node.js socket.io servers share rooms and broadcasts through one Redis server.
 *
 * What it teaches: what changes when a chat outgrows one process. A broadcast reaches this
 * server's clients at once (sio_rooms.c) and is published on Redis for every other server;
 * what other servers publish is delivered here. Questions about the whole cluster (which
 * sockets are in room r? every room?) are requests published to all servers, answered by
 * each, collected here until every server answered or requests_timeout passed.
 *
 *   socket.io (Node)                               C
 *   createAdapter(pub, sub)                        adapter_redis_new(l, srv, "redis://h:p")
 *   io.in("a").socketsJoin("b")                    adapter_redis_join(a, n, &t, rooms, 1, 1)
 *   io.in("a").socketsLeave("b")                   adapter_redis_join(a, n, &t, rooms, 1, 0)
 *   io.in("a").disconnectSockets(true)             adapter_redis_disconnect(a, n, &t, 1)
 *   await io.in("a").fetchSockets()                adapter_redis_fetch(a, n, &t, fn, user)
 *   await io.of("/").adapter.allRooms()            adapter_redis_rooms(a, n, fn, user)
 *   io.serverSideEmit("echo", x, (err, r) => ..)   adapter_redis_emit(a, n, "echo", args, fn, u)
 *   io.on("echo", (x, cb) => cb(x))                adapter_redis_on(a, fn, user)
 *
 * Redis itself: down at start, adapter_redis_new fails with a sentence (events_server exits);
 * lost while running, local clients are served as before, the loss is logged, broadcasts to
 * other servers are dropped (and counted), and both connections are retried with a backoff
 * (ADAPTER_RETRY_MIN_MS doubling up to ADAPTER_RETRY_MAX_MS) until Redis is back, when the
 * subscriptions are made again. Pub/sub keeps nothing: a server whose subscriber is away
 * misses what is published meanwhile, whatever the language. (node-redis, under a Node.js
 * server, queues its commands while offline and publishes them on reconnection instead, late;
 * events_server drops them, and says how many.)
 */
#ifndef WIRELAB_ADAPTER_REDIS_H
#define WIRELAB_ADAPTER_REDIS_H

#include <stddef.h>

#include "loop.h"
#include "sio_server.h"

#define ADAPTER_RETRY_MIN_MS     100
#define ADAPTER_RETRY_MAX_MS     5000
#define ADAPTER_REQUESTS_TIMEOUT 5000       /* socket.io's requestsTimeout default */
#define ADAPTER_MAX_REQUESTS     256        /* cluster requests of ours waiting for answers */
#define ADAPTER_MAX_UNACKED      10000      /* publishes Redis has not confirmed yet */
#define ADAPTER_MAX_MESSAGE      (4u << 20) /* a received message longer is dropped */
#define ADAPTER_UID_LEN          6          /* the uid and requestIds: uid2(6), as the adapter */

typedef struct adapter_redis adapter_redis;

/* Connect to url ("redis://HOST:PORT"; PORT defaults to 6379) and join the cluster with every
 * namespace srv has now. Returns NULL and a sentence in err when the URL is wrong or Redis
 * does not answer PING. */
adapter_redis *adapter_redis_new(loop *l, sio_server *srv, const char *url, char *err,
                                 size_t errlen);
void adapter_redis_free(adapter_redis *a);
/* PUBLISHes Redis has not answered yet (1) or none (0): a stopping server runs its loop until
 * this is 0, so what its clients said last reaches the other servers. */
int adapter_redis_busy(const adapter_redis *a);

/* Remote join or leave (join 1 or 0) of rooms for the sockets t selects on every server. */
int adapter_redis_join(adapter_redis *a, sio_nsp *n, const sio_target *t, const char *const *rooms,
                       size_t nrooms, int join);
/* Disconnect the sockets t selects on every server (close: their whole connection too). */
int adapter_redis_disconnect(adapter_redis *a, sio_nsp *n, const sio_target *t, int close);

/*
 * A cluster question's answer: json is the text of a JSON array (every server's sockets,
 * rooms or ack arguments, this server's first), complete is 0 when some server did not
 * answer within ADAPTER_REQUESTS_TIMEOUT (json then holds the answers that came).
 */
typedef void (*adapter_result_fn)(const char *json, int complete, void *user);
/* fetchSockets: [{"id","handshake","rooms","data"}, ...]. Returns 0 or -1 (too many). */
int adapter_redis_fetch(adapter_redis *a, sio_nsp *n, const sio_target *t, adapter_result_fn fn,
                        void *user);
/* allRooms: ["room", ...], each once. */
int adapter_redis_rooms(adapter_redis *a, sio_nsp *n, adapter_result_fn fn, void *user);
/* serverSideEmit with an ack: every other server's ack argument. args: JSON array text. */
int adapter_redis_emit(adapter_redis *a, sio_nsp *n, const char *event, const char *args,
                       adapter_result_fn fn, void *user);

/* Another server's serverSideEmit: event and args (a JSON array's text). Return the ack's
 * argument as malloc'd JSON text to answer (when the sender asked for an ack), or NULL. */
typedef char *(*adapter_server_event_fn)(sio_nsp *n, const char *event, const char *args,
                                         void *user);
void adapter_redis_on(adapter_redis *a, adapter_server_event_fn fn, void *user);

/* {"id","handshake","rooms","data"} of a local socket, as socket.io's fetchSockets answers it
 * (both adapters; adapter_text from adapter_msg.h). */
struct adapter_text;
void adapter_socket_json(struct adapter_text *t, const sio_socket *s);

#endif
