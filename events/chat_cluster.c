/*
 * chat_cluster.c - the chat demo's cluster events (see chat_cluster.h). Each is what a line of
 * socket.io does in Node.js, on every server of the cluster, acked when done:
 *
 *   client event                 socket.io                                  ack
 *   cluster-join(in, room)       io.in(in).socketsJoin(room)                {"ok":true}
 *   cluster-leave(in, room)      io.in(in).socketsLeave(room)               {"ok":true}
 *   cluster-disconnect(in, cl)   io.in(in).disconnectSockets(cl)            {"ok":true}
 *   cluster-fetch(in)            await io.in(in).fetchSockets()             {"ok","sockets"}
 *   cluster-rooms()              await io.of(nsp).adapter.allRooms()        {"ok","rooms"}
 *   cluster-emit(x)              io.serverSideEmit("echo", x, cb)           {"ok","responses"}
 *
 * in is a room name, or null for every socket of the namespace. "ok" is false when some server
 * did not answer in time. And every server answers another's serverSideEmit("echo", x, cb)
 * with cb(x): the argument unchanged (tests/events/cluster_node.mjs does the same in Node).
 *
 * The same with either adapter: redis:// (pub/sub, adapter_redis.c) or redis-streams:// (a
 * stream, adapter_streams.c; its allRooms is this server's rooms only, as socket.io's).
 *
 * Run: redis-server --port 6390 --save '' --appendonly no &
 *      events_server --adapter redis://127.0.0.1:6390 --port 3001
 *      events_server --adapter redis-streams://127.0.0.1:6390 --port 3002
 */
#include "chat_cluster.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapter_msg.h"
#include "adapter_redis.h"
#include "adapter_streams.h"
#include "sio_adapter.h"

#define ROOM_MAX 256

/* One of the two adapters: pub/sub (redis://) or a stream (redis-streams://). */
struct chat_cluster {
    adapter_redis *a;
    adapter_streams *st;
};
typedef struct chat_cluster cluster_ctx;

/* A later ack: the socket is found again by id, as it may have gone meanwhile. */
typedef struct later {
    sio_nsp *n;
    char sid[64];
    int64_t ack_id;
    const char *key; /* "sockets", "rooms", "responses" */
} later;

static void ack_json(sio_socket *s, int64_t id, const char *json)
{
    if (id >= 0)
        sio_ack(s, id, json, NULL, 0);
}

static void ack_later(const char *json, int complete, void *user)
{
    later *w = user;
    sio_socket *s = sio_find_socket(w->n, w->sid);
    adapter_text t = {0};
    adapter_text_str(&t, complete ? "[{\"ok\":true,\"" : "[{\"ok\":false,\"");
    adapter_text_str(&t, w->key);
    adapter_text_str(&t, "\":");
    adapter_text_str(&t, json);
    adapter_text_str(&t, "}]");
    if (s && !t.failed)
        ack_json(s, w->ack_id, t.s);
    free(t.s);
    free(w);
}

static later *later_new(sio_socket *s, const sio_msg *m, const char *key)
{
    later *w = calloc(1, sizeof *w);
    if (w == NULL || m->ack_id < 0 || strlen(sio_socket_id(s)) >= sizeof w->sid) {
        free(w);
        return NULL;
    }
    w->n = sio_socket_nsp(s);
    strcpy(w->sid, sio_socket_id(s));
    w->ack_id = m->ack_id;
    w->key = key;
    return w;
}

/* Argument 0, "in": a room (a one-room target), or null / absent (the whole namespace). */
static sio_target in_target(const sio_msg *m, char *room, const char **rooms)
{
    sio_target t = {0};
    if (sio_arg_string(m, 0, room, ROOM_MAX) >= 0) {
        rooms[0] = room;
        t.rooms = rooms;
        t.nrooms = 1;
    }
    return t;
}

static void on_join_leave(sio_socket *s, const sio_msg *m, int join, cluster_ctx *c)
{
    char in[ROOM_MAX], room[ROOM_MAX];
    const char *rooms[1], *target = room;
    sio_target t = in_target(m, in, rooms);
    if (sio_arg_string(m, 1, room, sizeof room) < 0) {
        ack_json(s, m->ack_id, "[{\"ok\":false}]");
        return;
    }
    if (c->st)
        adapter_streams_join(c->st, sio_socket_nsp(s), &t, &target, 1, join);
    else
        adapter_redis_join(c->a, sio_socket_nsp(s), &t, &target, 1, join);
    ack_json(s, m->ack_id, "[{\"ok\":true}]");
}

static void cluster_join(sio_socket *s, const sio_msg *m, void *user)
{
    on_join_leave(s, m, 1, user);
}

static void cluster_leave(sio_socket *s, const sio_msg *m, void *user)
{
    on_join_leave(s, m, 0, user);
}

static void cluster_disconnect(sio_socket *s, const sio_msg *m, void *user)
{
    char in[ROOM_MAX];
    const char *rooms[1], *close;
    size_t n;
    sio_target t = in_target(m, in, rooms);
    int cl = sio_arg(m, 1, &close, &n) && n == 4 && memcmp(close, "true", 4) == 0;
    ack_json(s, m->ack_id, "[{\"ok\":true}]"); /* first: the sender may be among them */
    cluster_ctx *c = user;
    if (c->st)
        adapter_streams_disconnect(c->st, sio_socket_nsp(s), &t, cl);
    else
        adapter_redis_disconnect(c->a, sio_socket_nsp(s), &t, cl);
}

static void cluster_fetch(sio_socket *s, const sio_msg *m, void *user)
{
    char in[ROOM_MAX];
    const char *rooms[1];
    sio_target t = in_target(m, in, rooms);
    later *w = later_new(s, m, "sockets");
    cluster_ctx *c = user;
    if (w && (c->st ? adapter_streams_fetch(c->st, w->n, &t, ack_later, w)
                    : adapter_redis_fetch(c->a, w->n, &t, ack_later, w)) < 0)
        ack_later("[]", 0, w);
}

/* This server's rooms (the streams adapter's allRooms is socket.io-adapter's in-memory one). */
static void local_rooms(later *w)
{
    size_t total = sio_nsp_rooms(w->n, NULL, 0);
    const char **names = malloc((total + 1) * sizeof *names);
    adapter_text t = {0};
    adapter_text_str(&t, "[");
    if (names)
        sio_nsp_rooms(w->n, names, total);
    for (size_t i = 0; names && i < total; i++) {
        if (i)
            adapter_text_str(&t, ",");
        adapter_text_quoted(&t, names[i], strlen(names[i]));
    }
    adapter_text_str(&t, "]");
    ack_later(t.failed || names == NULL ? "[]" : t.s, names != NULL && !t.failed, w);
    free(t.s);
    free(names);
}

static void cluster_rooms(sio_socket *s, const sio_msg *m, void *user)
{
    later *w = later_new(s, m, "rooms");
    cluster_ctx *c = user;
    if (w && c->st) /* the streams adapter has no allRooms: this server's rooms, as there */
        local_rooms(w);
    else if (w && adapter_redis_rooms(c->a, w->n, ack_later, w) < 0)
        ack_later("[]", 0, w);
}

static void cluster_emit(sio_socket *s, const sio_msg *m, void *user)
{
    later *w = later_new(s, m, "responses");
    cluster_ctx *c = user;
    if (w && (c->st ? adapter_streams_emit(c->st, w->n, "echo", m->args, ack_later, w)
                    : adapter_redis_emit(c->a, w->n, "echo", m->args, ack_later, w)) < 0)
        ack_later("[]", 0, w);
}

/* Another server's serverSideEmit("echo", x, cb): cb(x), x exactly as it came. */
static char *server_echo(sio_nsp *n, const char *event, const char *args, void *user)
{
    const char *x;
    size_t len;
    sio_msg m = {.args = args, .args_len = strlen(args)};
    (void)n;
    (void)user;
    if (strcmp(event, "echo") != 0)
        return NULL;
    if (!sio_arg(&m, 0, &x, &len)) {
        x = "null";
        len = 4;
    }
    char *out = malloc(len + 1);
    if (out) {
        memcpy(out, x, len);
        out[len] = '\0';
    }
    return out;
}

chat_cluster *chat_cluster_start(loop *l, sio_server *srv, const char *url, char *err,
                                 size_t errlen)
{
    static cluster_ctx ctx; /* one cluster per process */
    if (strncmp(url, "redis-streams://", 16) == 0) {
        if ((ctx.st = adapter_streams_new(l, srv, url, err, errlen)) == NULL)
            return NULL;
        adapter_streams_on(ctx.st, server_echo, NULL);
    } else {
        if ((ctx.a = adapter_redis_new(l, srv, url, err, errlen)) == NULL)
            return NULL;
        adapter_redis_on(ctx.a, server_echo, NULL);
    }
    for (size_t i = 0; sio_nsp_at(srv, i); i++) {
        sio_nsp *n = sio_nsp_at(srv, i);
        sio_on(n, "cluster-join", cluster_join, &ctx);
        sio_on(n, "cluster-leave", cluster_leave, &ctx);
        sio_on(n, "cluster-disconnect", cluster_disconnect, &ctx);
        sio_on(n, "cluster-fetch", cluster_fetch, &ctx);
        sio_on(n, "cluster-rooms", cluster_rooms, &ctx);
        sio_on(n, "cluster-emit", cluster_emit, &ctx);
    }
    return &ctx;
}

int chat_cluster_busy(const chat_cluster *c)
{
    return c && (c->st ? adapter_streams_busy(c->st) : adapter_redis_busy(c->a));
}

void chat_cluster_stop(chat_cluster *c)
{
    if (c == NULL)
        return;
    adapter_redis_free(c->a);
    adapter_streams_free(c->st);
    *c = (chat_cluster){0};
}
