/*
 * adapter_redis.c - the Redis adapter (see adapter_redis.h): two hiredis connections on our
 * loop, one to publish and one subscribed (a subscribed Redis connection can do nothing else),
 * and the channels of @socket.io/redis-adapter 8.x per namespace:
 *
 *   PSUBSCRIBE socket.io#<nsp>#*                 broadcasts (to all, or to one room)
 *   SUBSCRIBE  socket.io-request#<nsp>#          requests from any server (ours included)
 *              socket.io-response#<nsp>#         answers to requests
 *              socket.io-response#<nsp>#<uid>#   answers meant for this server only
 *   PUBSUB NUMSUB socket.io-request#<nsp>#       how many servers there are (each subscribes
 *                                                to the request channel once), so a request
 *                                                knows how many answers to wait for
 *
 * Run: redis-server --port 6390 --save '' & events_server --adapter redis://127.0.0.1:6390
 * (and a Node.js socket.io server with @socket.io/redis-adapter on the same Redis).
 */
#include "adapter_redis.h"

#include <cjson/cJSON.h>
#include <hiredis/hiredis.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapter_msg.h"
#include "redis_loop.h"
#include "sio_adapter.h"
#include "sio_json.h"
#include "token.h"

#define CHANNEL_MAX (SIO_MAX_NSP + 64)

/* One cluster question of ours, waiting for the other servers' answers. */
typedef struct request {
    adapter_redis *a;
    char id[TOKEN_LEN + 1];
    int type;
    char channel[CHANNEL_MAX]; /* the request channel of its namespace */
    char *payload;             /* the request's JSON, published once NUMSUB answered */
    long expected, got;        /* answers from other servers: wanted, received */
    adapter_text items;        /* the answers' items so far, comma-separated */
    int nitems;
    loop_timer timer;   /* ADAPTER_REQUESTS_TIMEOUT */
    int numsub_pending; /* PUBSUB NUMSUB sent, not answered: hiredis still holds a pointer */
    int finished;       /* fn was called */
    adapter_result_fn fn;
    void *user;
    struct request *next;
} request;

/* Another server's broadcast with acks, delivered here: its clients' acks are published as
 * they come, until the sender's timeout (then late acks are ignored). A socket's ack callback
 * gets the serial, not a pointer: the entry may be gone by the time a client answers. */
typedef struct bcast_ack {
    struct adapter_redis *a;
    uint64_t serial;
    char request_id[ADAPTER_MAX_ID + 1];
    char channel[CHANNEL_MAX]; /* the response channel */
    loop_timer timer;
    struct bcast_ack *next;
} bcast_ack;

struct adapter_redis {
    loop *l;
    sio_server *srv;
    sio_adapter iface;
    char host[256];
    int port;
    char uid[TOKEN_LEN + 1];
    redisAsyncContext *pub, *sub; /* NULL while down */
    int pub_ready, sub_ready;     /* connected */
    int was_up;                   /* both were connected at least once */
    unsigned backoff_ms;
    loop_timer retry;
    uint64_t attempts; /* reconnection attempts in this outage */
    uint64_t dropped;  /* publishes lost in this outage (or over ADAPTER_MAX_UNACKED) */
    size_t unacked;    /* PUBLISHes Redis has not answered yet */
    int closing;
    request *requests;
    size_t nrequests;
    adapter_server_event_fn on_event;
    void *on_event_user;
    bcast_ack *bcast_acks; /* at most ADAPTER_MAX_REQUESTS */
    size_t nbcast_acks;
    uint64_t next_serial;
};

static void schedule_retry(adapter_redis *a);

/* ---- publishing ------------------------------------------------------------------------- */

static void on_published(redisAsyncContext *ac, void *reply, void *priv)
{
    adapter_redis *a = priv;
    (void)ac;
    (void)reply; /* NULL when the connection went away: the message may be lost */
    a->unacked--;
}

/* PUBLISH channel data. While Redis is away (or too far behind) the message is dropped:
 * pub/sub keeps nothing for later, and other servers would get it late and out of order. */
static void publish(adapter_redis *a, const char *channel, const void *data, size_t len)
{
    if (!a->pub_ready || a->unacked >= ADAPTER_MAX_UNACKED) {
        if (a->dropped++ == 0)
            loop_log(a->l,
                     "Redis adapter: %s, so what this server broadcasts does not reach "
                     "the other servers (its own clients still get it)",
                     a->pub_ready ? "Redis is more than 10000 publishes behind" : "Redis is down");
        return;
    }
    if (redisAsyncCommand(a->pub, on_published, a, "PUBLISH %s %b", channel, data, len) == REDIS_OK)
        a->unacked++;
}

/* The iface's broadcast: a local emit to rooms, published for the other servers. */
static void publish_broadcast(void *self, sio_nsp *n, const sio_target *t, const char *event,
                              const char *args, const sio_bin *bins, size_t nbins)
{
    adapter_redis *a = self;
    char channel[CHANNEL_MAX];
    uint8_t *msg;
    size_t len;
    const char *room = t->nrooms == 1 ? t->rooms[0] : NULL; /* one room: its own channel */
    const char *sender = t->except_socket ? sio_socket_id(t->except_socket) : NULL;
    if (adapter_channel(channel, sizeof channel, "", sio_nsp_name(n), room) == 0 ||
        adapter_encode_bcast(a->uid, sio_nsp_name(n), event, args, bins, nbins, t, sender, &msg,
                             &len) < 0) {
        loop_log(a->l,
                 "Redis adapter: cannot encode the broadcast of \"%s\" (room name too long, "
                 "or out of memory); only this server's clients got it",
                 event);
        return;
    }
    publish(a, channel, msg, len);
    free(msg);
}

static void publish_req(adapter_redis *a, sio_nsp *n, const char *kind, const adapter_req *r)
{
    char channel[CHANNEL_MAX];
    char *json = adapter_encode_req(r);
    if (json && adapter_channel(channel, sizeof channel, kind, sio_nsp_name(n), NULL))
        publish(a, channel, json, strlen(json));
    free(json);
}

/* ---- what this server answers ------------------------------------------------------------ */

static sio_target target_of(const adapter_rooms *rooms, const adapter_rooms *except)
{
    return (sio_target){.rooms = (const char *const *)rooms->names,
                        .nrooms = rooms->n,
                        .except = (const char *const *)except->names,
                        .nexcept = except->n};
}

/* {"id","handshake","rooms","data"} of a local socket, as socket.io's fetchSockets answers
 * (the handshake has the fields a RemoteSocket reads; we keep no HTTP headers). */
void adapter_socket_json(adapter_text *t, const sio_socket *s)
{
    adapter_text_str(t, "{\"id\":");
    adapter_text_quoted(t, sio_socket_id(s), strlen(sio_socket_id(s)));
    adapter_text_str(t, ",\"handshake\":{\"headers\":{},\"address\":");
    adapter_text_quoted(t, sio_socket_peer(s), strlen(sio_socket_peer(s)));
    adapter_text_str(t, ",\"xdomain\":false,\"secure\":false,\"url\":\"/socket.io/\","
                        "\"query\":{},\"auth\":");
    adapter_text_str(t, sio_socket_auth(s));
    adapter_text_str(t, "},\"rooms\":[");
    for (size_t i = 0; i < sio_socket_nrooms(s); i++) {
        const char *r = sio_socket_room(s, i);
        if (i)
            adapter_text_str(t, ",");
        adapter_text_quoted(t, r, strlen(r));
    }
    adapter_text_str(t, "],\"data\":{}}");
}

/* The local sockets t selects, as items of a JSON array (ids only, or whole sockets). */
static void local_sockets(adapter_text *t, sio_nsp *n, const sio_target *tg, int whole)
{
    size_t count;
    sio_socket **s = sio_select(n, tg, &count);
    for (size_t i = 0; i < count; i++) {
        if (i)
            adapter_text_str(t, ",");
        if (whole)
            adapter_socket_json(t, s[i]);
        else
            adapter_text_quoted(t, sio_socket_id(s[i]), strlen(sio_socket_id(s[i])));
    }
    free(s);
}

static void local_rooms(adapter_text *t, const sio_nsp *n)
{
    size_t total = sio_nsp_rooms(n, NULL, 0);
    const char **names = malloc((total + 1) * sizeof *names);
    if (names == NULL) {
        t->failed = 1;
        return;
    }
    sio_nsp_rooms(n, names, total);
    for (size_t i = 0; i < total; i++) {
        if (i)
            adapter_text_str(t, ",");
        adapter_text_quoted(t, names[i], strlen(names[i]));
    }
    free(names);
}

/* Answer a SOCKETS, ALL_ROOMS or REMOTE_FETCH request: {"requestId", "sockets"|"rooms"}. */
static void answer_listing(adapter_redis *a, sio_nsp *n, const adapter_req *r)
{
    adapter_text t = {0};
    sio_target tg = r->type == ADAPTER_SOCKETS ? target_of(&r->targets, &r->except)
                                               : target_of(&r->rooms, &r->except);
    adapter_text_str(&t, "[");
    if (r->type == ADAPTER_ALL_ROOMS)
        local_rooms(&t, n);
    else
        local_sockets(&t, n, &tg, r->type == ADAPTER_REMOTE_FETCH);
    adapter_text_str(&t, "]");
    adapter_req resp = {.type = -1, .client_count = -1, .request_id = r->request_id};
    if (r->type == ADAPTER_ALL_ROOMS)
        resp.room_list = t.s;
    else
        resp.sockets = t.s;
    if (!t.failed)
        publish_req(a, n, "-response", &resp);
    free(t.s);
}

/* REMOTE_JOIN / REMOTE_LEAVE / REMOTE_DISCONNECT with opts: every selected local socket. */
static void apply_remote(const adapter_req *r, sio_nsp *n)
{
    sio_target tg = target_of(&r->rooms, &r->except);
    size_t count;
    sio_socket **s = sio_select(n, &tg, &count);
    for (size_t i = 0; i < count; i++)
        for (size_t j = 0; j < r->targets.n || (r->type == ADAPTER_REMOTE_DISCONNECT && j == 0);
             j++) {
            if (r->type == ADAPTER_REMOTE_JOIN)
                sio_join(s[i], r->targets.names[j]);
            else if (r->type == ADAPTER_REMOTE_LEAVE)
                sio_leave(s[i], r->targets.names[j]);
            else {
                sio_disconnect_close(s[i], r->close);
                break;
            }
        }
    free(s);
}

/* The older form (one socket by id): applied when the socket is here, then answered. */
static void apply_remote_sid(adapter_redis *a, sio_nsp *n, const adapter_req *r)
{
    sio_socket *s = sio_find_socket(n, r->sid);
    if (s == NULL || (r->type != ADAPTER_REMOTE_DISCONNECT && r->room == NULL))
        return; /* the server that has it answers */
    if (r->type == ADAPTER_REMOTE_JOIN)
        sio_join(s, r->room);
    else if (r->type == ADAPTER_REMOTE_LEAVE)
        sio_leave(s, r->room);
    else
        sio_disconnect_close(s, r->close);
    adapter_req resp = {.type = -1, .client_count = -1, .request_id = r->request_id};
    if (r->request_id)
        publish_req(a, n, "-response", &resp);
}

/* Another server's serverSideEmit: our handler, and its answer when an ack was asked for. */
static void answer_server_emit(adapter_redis *a, sio_nsp *n, const adapter_req *r)
{
    char event[256];
    char *args = NULL;
    if (r->data == NULL || a->on_event == NULL ||
        adapter_split_event(r->data, event, sizeof event, &args) < 0)
        return;
    char *ack = a->on_event(n, event, args, a->on_event_user);
    free(args);
    if (ack && r->request_id) {
        adapter_req resp = {.type = ADAPTER_SERVER_SIDE_EMIT,
                            .client_count = -1,
                            .request_id = r->request_id,
                            .data = ack};
        publish_req(a, n, "-response", &resp);
    }
    free(ack);
}

static void bcast_ack_remove(adapter_redis *a, bcast_ack *b)
{
    for (bcast_ack **p = &a->bcast_acks; *p; p = &(*p)->next)
        if (*p == b) {
            *p = b->next;
            a->nbcast_acks--;
            loop_timer_stop(a->l, b->timer);
            free(b);
            return;
        }
}

static void bcast_ack_expire(loop *l, void *arg)
{
    bcast_ack *b = arg;
    (void)l;
    b->timer = 0;
    bcast_ack_remove(b->a, b);
}

/* A client answered a broadcast with acks: publish {type 9, requestId, packet} for the sender. */
static void on_client_ack(sio_socket *s, const sio_msg *m, void *user)
{
    adapter_redis *a = sio_adapter_self(sio_socket_nsp(s));
    uint64_t serial = (uint64_t)(uintptr_t)user;
    bcast_ack *b = a ? a->bcast_acks : NULL;
    while (b && b->serial != serial)
        b = b->next;
    uint8_t *msg;
    size_t len;
    if (b && adapter_encode_bcast_ack(b->request_id, m->args, m->bins, m->nbins, &msg, &len) == 0) {
        publish(a, b->channel, msg, len);
        free(msg);
    }
}

/* Another server's emitWithAck to rooms: deliver to our sockets with an ack request each, tell
 * the sender how many acks to expect from here (type 8), then relay each ack (on_client_ack). */
static void answer_broadcast_ack(adapter_redis *a, sio_nsp *n, const adapter_req *r)
{
    char event[256];
    char *args = NULL;
    bcast_ack *b = calloc(1, sizeof *b);
    if (b == NULL || r->request_id == NULL || a->nbcast_acks >= ADAPTER_MAX_REQUESTS ||
        strcmp(r->packet.nsp, sio_nsp_name(n)) != 0 ||
        adapter_split_event(r->packet.json, event, sizeof event, &args) < 0 ||
        !adapter_channel(b->channel, sizeof b->channel, "-response", sio_nsp_name(n), NULL)) {
        free(b);
        free(args);
        return;
    }
    b->a = a;
    b->serial = ++a->next_serial;
    snprintf(b->request_id, sizeof b->request_id, "%s", r->request_id);
    b->timer =
        loop_timer_start(a->l, r->timeout >= 0 ? (uint64_t)r->timeout : ADAPTER_REQUESTS_TIMEOUT,
                         bcast_ack_expire, b);
    b->next = a->bcast_acks;
    a->bcast_acks = b;
    a->nbcast_acks++;
    sio_target t = target_of(&r->rooms, &r->except);
    size_t count, sent = 0;
    sio_socket **s = sio_select(n, &t, &count);
    for (size_t i = 0; i < count; i++)
        sent += sio_emit_ack_bin(s[i], event, args, r->packet.bins, r->packet.nbins, on_client_ack,
                                 (void *)(uintptr_t)b->serial) == 0;
    free(s);
    free(args);
    adapter_req resp = {.type = ADAPTER_BROADCAST_CLIENT_COUNT,
                        .request_id = r->request_id,
                        .client_count = (long)sent};
    publish_req(a, n, "-response", &resp);
}

static void on_request(adapter_redis *a, sio_nsp *n, const uint8_t *data, size_t len)
{
    adapter_req r;
    if (adapter_decode_req(data, len, &r) < 0) {
        loop_log(a->l, "Redis adapter: ignored a malformed request on namespace %s",
                 sio_nsp_name(n));
        return;
    }
    int own = r.uid && strcmp(r.uid, a->uid) == 0;
    switch (r.type) {
    case ADAPTER_SOCKETS:
    case ADAPTER_ALL_ROOMS:
    case ADAPTER_REMOTE_FETCH:
        if (!own && r.request_id)
            answer_listing(a, n, &r);
        break;
    case ADAPTER_REMOTE_JOIN: /* our own too: socket.io applies these as they come back */
    case ADAPTER_REMOTE_LEAVE:
    case ADAPTER_REMOTE_DISCONNECT:
        if (r.has_opts)
            apply_remote(&r, n);
        else if (r.sid && !own)
            apply_remote_sid(a, n, &r);
        break;
    case ADAPTER_SERVER_SIDE_EMIT:
        if (!own)
            answer_server_emit(a, n, &r);
        break;
    case ADAPTER_BROADCAST:
        if (!own)
            answer_broadcast_ack(a, n, &r);
        break;
    default: /* anything newer: ignored */
        break;
    }
    adapter_req_free(&r);
}

/* ---- broadcasts from other servers ------------------------------------------------------- */

static void on_broadcast(adapter_redis *a, sio_nsp *n, const uint8_t *data, size_t len)
{
    adapter_bcast b;
    char event[256];
    char *args = NULL;
    if (adapter_decode_bcast(data, len, &b) < 0) {
        loop_log(a->l, "Redis adapter: ignored a malformed broadcast on namespace %s",
                 sio_nsp_name(n));
        return;
    }
    if (strcmp(b.uid, a->uid) != 0 && strcmp(b.packet.nsp, sio_nsp_name(n)) == 0 &&
        adapter_split_event(b.packet.json, event, sizeof event, &args) == 0) {
        sio_target t = target_of(&b.rooms, &b.except);
        t.flags = SIO_LOCAL | ((b.flags & ADAPTER_VOLATILE) ? SIO_VOLATILE : 0u);
        sio_emit_target(n, &t, event, args, b.packet.bins, b.packet.nbins);
    }
    free(args);
    adapter_bcast_free(&b);
}

/* ---- our requests, and their answers ------------------------------------------------------ */

static void request_free(request *q)
{
    free(q->payload);
    free(q->items.s);
    free(q);
}

static void unlink_request(request *q)
{
    adapter_redis *a = q->a;
    for (request **p = &a->requests; *p; p = &(*p)->next)
        if (*p == q) {
            *p = q->next;
            a->nrequests--;
            return;
        }
}

/* Every answer is in (complete) or time is up: hand the array to fn. allRooms answers are
 * sets: a room on two servers is listed once. */
static void finish(request *q, int complete)
{
    adapter_text t = {0};
    adapter_text_str(&t, "[");
    if (q->items.s)
        adapter_text_str(&t, q->items.s);
    adapter_text_str(&t, "]");
    if (q->type == ADAPTER_ALL_ROOMS && !t.failed) {
        cJSON *arr = cJSON_Parse(t.s), *set = cJSON_CreateArray();
        for (const cJSON *e = arr ? arr->child : NULL; e && set; e = e->next) {
            int seen = 0;
            for (const cJSON *f = set->child; f && !seen; f = f->next)
                seen = cJSON_Compare(e, f, 1);
            if (!seen)
                cJSON_AddItemToArray(set, cJSON_Duplicate(e, 1));
        }
        char *s = set ? cJSON_PrintUnformatted(set) : NULL;
        cJSON_Delete(arr);
        cJSON_Delete(set);
        if (s) {
            free(t.s);
            t.s = s;
        }
    }
    q->finished = 1;
    loop_timer_stop(q->a->l, q->timer);
    unlink_request(q);
    q->fn(t.failed ? "[]" : t.s, complete, q->user);
    free(t.s);
    if (!q->numsub_pending)
        request_free(q);
}

static void on_timeout(loop *l, void *arg)
{
    request *q = arg;
    (void)l;
    q->timer = 0;
    loop_log(q->a->l,
             "Redis adapter: a cluster request timed out after %d ms with %ld of %ld "
             "answers (a server is down or does not answer this request type)",
             ADAPTER_REQUESTS_TIMEOUT, q->got, q->expected);
    finish(q, 0);
}

static void add_item(request *q, const char *json, int inner)
{
    const char *p = json;
    size_t n = strlen(json);
    if (inner) { /* the elements of an array: without its brackets, and nothing if empty */
        const char *open = strchr(json, '['), *close = strrchr(json, ']');
        if (open == NULL || close == NULL || close < open)
            return;
        p = open + 1;
        n = (size_t)(close - p);
        if (sio_json_ws(p, n, 0) == n)
            return;
    }
    if (q->nitems++)
        adapter_text_str(&q->items, ",");
    adapter_text_add(&q->items, p, n);
}

static void on_response(adapter_redis *a, const uint8_t *data, size_t len)
{
    adapter_req r;
    if (adapter_decode_req(data, len, &r) < 0)
        return;
    request *q = a->requests;
    while (q && (r.request_id == NULL || strcmp(q->id, r.request_id) != 0))
        q = q->next;
    if (q) {
        if (q->type == ADAPTER_SERVER_SIDE_EMIT)
            add_item(q, r.data ? r.data : "null", 0);
        else if (q->type == ADAPTER_ALL_ROOMS && r.room_list)
            add_item(q, r.room_list, 1);
        else if (q->type == ADAPTER_REMOTE_FETCH && r.sockets)
            add_item(q, r.sockets, 1);
        if (++q->got >= q->expected)
            finish(q, 1);
    }
    adapter_req_free(&r);
}

/* PUBSUB NUMSUB's answer: [channel, count]. Every server is subscribed to the request channel
 * once, so count - 1 other servers will answer. */
static void on_numsub(redisAsyncContext *ac, void *reply, void *priv)
{
    request *q = priv;
    redisReply *rp = reply;
    (void)ac;
    q->numsub_pending = 0;
    if (q->finished) {
        request_free(q);
        return;
    }
    if (rp == NULL || rp->type != REDIS_REPLY_ARRAY || rp->elements != 2 ||
        rp->element[1]->type != REDIS_REPLY_INTEGER)
        return; /* Redis went away: the timeout answers */
    q->expected = (long)rp->element[1]->integer - 1;
    if (q->expected <= q->got)
        finish(q, 1);
    else
        publish(q->a, q->channel, q->payload, strlen(q->payload));
}

/* The adapter's ids, this server's uid and each request's requestId, as its uid2(6): 6
 * characters of base64url's alphabet, each from one random byte's low 6 bits. The first 6
 * characters of a random token are exactly that. -1 (err says why) without randomness. */
static int uid2(char out[TOKEN_LEN + 1], char *err, size_t errlen)
{
    if (token_random(out, err, errlen) < 0)
        return -1;
    out[ADAPTER_UID_LEN] = '\0';
    return 0;
}

/* Start a cluster request: local answers first, then NUMSUB, then the request itself. */
static int start_request(adapter_redis *a, sio_nsp *n, adapter_req *r, adapter_text *local,
                         adapter_result_fn fn, void *user)
{
    request *q = calloc(1, sizeof *q);
    char err[128];
    if (q == NULL || a->nrequests >= ADAPTER_MAX_REQUESTS || uid2(q->id, err, sizeof err) < 0 ||
        !adapter_channel(q->channel, sizeof q->channel, "-request", sio_nsp_name(n), NULL)) {
        if (q && a->nrequests >= ADAPTER_MAX_REQUESTS)
            loop_log(a->l,
                     "Redis adapter: %d cluster requests are already waiting for answers; "
                     "this one is refused",
                     ADAPTER_MAX_REQUESTS);
        free(q);
        return -1;
    }
    q->a = a;
    q->type = r->type;
    q->fn = fn;
    q->user = user;
    q->expected = 1; /* until NUMSUB says */
    r->uid = a->uid;
    r->request_id = q->id;
    q->payload = adapter_encode_req(r);
    if (local && local->s && local->len > 0) {
        adapter_text_str(&q->items, local->s);
        q->nitems = 1;
    }
    q->timer = loop_timer_start(a->l, ADAPTER_REQUESTS_TIMEOUT, on_timeout, q);
    if (q->payload == NULL || q->timer == 0) {
        loop_timer_stop(a->l, q->timer);
        request_free(q);
        return -1;
    }
    q->next = a->requests;
    a->requests = q;
    a->nrequests++;
    if (a->pub_ready &&
        redisAsyncCommand(a->pub, on_numsub, q, "PUBSUB NUMSUB %s", q->channel) == REDIS_OK)
        q->numsub_pending = 1;
    return 0;
}

int adapter_redis_fetch(adapter_redis *a, sio_nsp *n, const sio_target *t, adapter_result_fn fn,
                        void *user)
{
    adapter_text local = {0};
    local_sockets(&local, n, t, 1);
    adapter_req r = {.type = ADAPTER_REMOTE_FETCH,
                     .has_opts = 1,
                     .client_count = -1,
                     .rooms = {(char **)t->rooms, t->nrooms},
                     .except = {(char **)t->except, t->nexcept}};
    int rc = start_request(a, n, &r, &local, fn, user);
    free(local.s);
    return rc;
}

int adapter_redis_rooms(adapter_redis *a, sio_nsp *n, adapter_result_fn fn, void *user)
{
    adapter_text local = {0};
    local_rooms(&local, n);
    adapter_req r = {.type = ADAPTER_ALL_ROOMS, .client_count = -1};
    int rc = start_request(a, n, &r, &local, fn, user);
    free(local.s);
    return rc;
}

int adapter_redis_emit(adapter_redis *a, sio_nsp *n, const char *event, const char *args,
                       adapter_result_fn fn, void *user)
{
    /* data: [event, ...args], the arguments' text as it is */
    const char *in = args ? args : "[]", *open = strchr(in, '['), *close = strrchr(in, ']');
    if (open == NULL || close == NULL || close < open)
        return -1;
    size_t inner = (size_t)(close - open - 1);
    adapter_text data = {0};
    adapter_text_str(&data, "[");
    adapter_text_quoted(&data, event, strlen(event));
    if (sio_json_ws(open + 1, inner, 0) < inner) {
        adapter_text_str(&data, ",");
        adapter_text_add(&data, open + 1, inner);
    }
    adapter_text_str(&data, "]");
    adapter_req r = {.type = ADAPTER_SERVER_SIDE_EMIT, .client_count = -1, .data = data.s};
    int rc = data.failed ? -1 : start_request(a, n, &r, NULL, fn, user);
    free(data.s);
    return rc;
}

int adapter_redis_join(adapter_redis *a, sio_nsp *n, const sio_target *t, const char *const *rooms,
                       size_t nrooms, int join)
{
    adapter_req r = {.type = join ? ADAPTER_REMOTE_JOIN : ADAPTER_REMOTE_LEAVE,
                     .uid = a->uid,
                     .has_opts = 1,
                     .client_count = -1,
                     .rooms = {(char **)t->rooms, t->nrooms},
                     .except = {(char **)t->except, t->nexcept},
                     .targets = {(char **)rooms, nrooms}};
    publish_req(a, n, "-request", &r); /* applied here too when it comes back, as socket.io */
    return 0;
}

int adapter_redis_disconnect(adapter_redis *a, sio_nsp *n, const sio_target *t, int close)
{
    adapter_req r = {.type = ADAPTER_REMOTE_DISCONNECT,
                     .uid = a->uid,
                     .has_opts = 1,
                     .client_count = -1,
                     .close = close,
                     .rooms = {(char **)t->rooms, t->nrooms},
                     .except = {(char **)t->except, t->nexcept}};
    publish_req(a, n, "-request", &r);
    return 0;
}

void adapter_redis_on(adapter_redis *a, adapter_server_event_fn fn, void *user)
{
    a->on_event = fn;
    a->on_event_user = user;
}

/* ---- the subscriber ---------------------------------------------------------------------- */

/* Every pmessage / message: route by channel to its namespace. */
static void on_message(redisAsyncContext *ac, void *reply, void *priv)
{
    adapter_redis *a = priv;
    redisReply *rp = reply;
    (void)ac;
    if (rp == NULL || rp->type != REDIS_REPLY_ARRAY || rp->elements < 3 ||
        rp->element[0]->type != REDIS_REPLY_STRING)
        return;
    int pmessage = strcmp(rp->element[0]->str, "pmessage") == 0;
    if (!pmessage && strcmp(rp->element[0]->str, "message") != 0)
        return;                       /* a subscribe confirmation */
    if (pmessage && rp->elements < 4) /* [pmessage, pattern, channel, message] */
        return;
    const redisReply *ch = rp->element[pmessage ? 2 : 1], *msg = rp->element[pmessage ? 3 : 2];
    if (ch->type != REDIS_REPLY_STRING || msg->type != REDIS_REPLY_STRING)
        return;
    if (msg->len > ADAPTER_MAX_MESSAGE) {
        loop_log(a->l, "Redis adapter: dropped a %zu-byte message on %s (over %u bytes)", msg->len,
                 ch->str, ADAPTER_MAX_MESSAGE);
        return;
    }
    const uint8_t *data = (const uint8_t *)msg->str;
    char prefix[CHANNEL_MAX];
    for (size_t i = 0; sio_nsp_at(a->srv, i); i++) {
        sio_nsp *n = sio_nsp_at(a->srv, i);
        if (pmessage && adapter_channel(prefix, sizeof prefix, "", sio_nsp_name(n), NULL) &&
            strncmp(ch->str, prefix, strlen(prefix)) == 0)
            on_broadcast(a, n, data, msg->len);
        else if (!pmessage &&
                 adapter_channel(prefix, sizeof prefix, "-request", sio_nsp_name(n), NULL) &&
                 strcmp(ch->str, prefix) == 0)
            on_request(a, n, data, msg->len);
        else if (!pmessage &&
                 adapter_channel(prefix, sizeof prefix, "-response", sio_nsp_name(n), NULL) &&
                 strncmp(ch->str, prefix, strlen(prefix)) == 0)
            on_response(a, data, msg->len);
        else
            continue;
        return;
    }
}

static void subscribe_all(adapter_redis *a)
{
    char b[CHANNEL_MAX], req[CHANNEL_MAX], resp[CHANNEL_MAX], mine[CHANNEL_MAX + TOKEN_LEN + 1];
    for (size_t i = 0; sio_nsp_at(a->srv, i); i++) {
        const char *nsp = sio_nsp_name(sio_nsp_at(a->srv, i));
        adapter_channel(b, sizeof b - 1, "", nsp, NULL);
        strcat(b, "*");
        adapter_channel(req, sizeof req, "-request", nsp, NULL);
        adapter_channel(resp, sizeof resp, "-response", nsp, NULL);
        snprintf(mine, sizeof mine, "%s%s#", resp, a->uid);
        redisAsyncCommand(a->sub, on_message, a, "PSUBSCRIBE %s", b);
        redisAsyncCommand(a->sub, on_message, a, "SUBSCRIBE %s %s %s", req, resp, mine);
    }
}

/* ---- connecting, losing Redis, reconnecting ------------------------------------------------ */

static void on_connect(const redisAsyncContext *ac, int status)
{
    adapter_redis *a = ac->data;
    int is_pub = ac == a->pub;
    if (status != REDIS_OK) { /* hiredis frees ac after this */
        if (is_pub)
            a->pub = NULL;
        else
            a->sub = NULL;
        schedule_retry(a);
        return;
    }
    if (is_pub)
        a->pub_ready = 1;
    else {
        a->sub_ready = 1;
        subscribe_all(a);
    }
    if (a->pub_ready && a->sub_ready) {
        if (a->was_up)
            loop_log(a->l,
                     "Redis adapter: reconnected to Redis at %s:%d after %llu attempts "
                     "(%llu publishes were lost meanwhile); the cluster is whole again",
                     a->host, a->port, (unsigned long long)a->attempts,
                     (unsigned long long)a->dropped);
        a->was_up = 1;
        a->attempts = 0;
        a->dropped = 0;
        a->backoff_ms = ADAPTER_RETRY_MIN_MS;
    }
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
    adapter_redis *a = ac->data;
    if (ac == a->pub) {
        a->pub = NULL;
        a->pub_ready = 0;
    } else {
        a->sub = NULL;
        a->sub_ready = 0;
    }
    if (a->closing || a->retry)
        return; /* (the other connection's loss was logged, and a retry is on its way) */
    loop_log(a->l,
             "Redis adapter: lost the connection to Redis at %s:%d (%s); this server's "
             "clients are still served, other servers' broadcasts do not arrive until it "
             "is back; reconnecting with backoff",
             a->host, a->port, status == REDIS_OK ? "closed" : ac->errstr);
    schedule_retry(a);
}

static redisAsyncContext *open_ctx(adapter_redis *a)
{
    return redis_loop_connect(a->l, a->host, a->port, a, on_connect, on_disconnect);
}

static void retry_now(loop *l, void *arg)
{
    adapter_redis *a = arg;
    (void)l;
    a->retry = 0;
    a->attempts++;
    if (a->pub == NULL)
        a->pub = open_ctx(a);
    if (a->sub == NULL)
        a->sub = open_ctx(a);
    if (a->pub == NULL || a->sub == NULL)
        schedule_retry(a);
}

/* The next attempt in backoff_ms, doubling each time up to ADAPTER_RETRY_MAX_MS. */
static void schedule_retry(adapter_redis *a)
{
    if (a->retry || a->closing)
        return;
    a->retry =
        loop_timer_start(a->l, redis_backoff(&a->backoff_ms, ADAPTER_RETRY_MAX_MS), retry_now, a);
}

adapter_redis *adapter_redis_new(loop *l, sio_server *srv, const char *url, char *err,
                                 size_t errlen)
{
    adapter_redis *a = calloc(1, sizeof *a);
    if (a == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    a->l = l;
    a->srv = srv;
    a->backoff_ms = ADAPTER_RETRY_MIN_MS;
    if (redis_url_parse(url, "redis://", a->host, sizeof a->host, &a->port, err, errlen) < 0 ||
        redis_check(a->host, a->port, err, errlen) < 0 || uid2(a->uid, err, errlen) < 0) {
        adapter_redis_free(a);
        return NULL;
    }
    if ((a->pub = open_ctx(a)) == NULL || (a->sub = open_ctx(a)) == NULL) {
        snprintf(err, errlen, "cannot connect to Redis at %s:%d", a->host, a->port);
        adapter_redis_free(a);
        return NULL;
    }
    a->iface = (sio_adapter){.broadcast = publish_broadcast, .self = a};
    sio_set_adapter(srv, &a->iface);
    return a;
}

/* hiredis keeps a callback for every command sent and not yet answered: an empty list means
 * Redis has answered all we sent. */
int adapter_redis_busy(const adapter_redis *a)
{
    return a && a->pub && a->pub->replies.head != NULL;
}

void adapter_redis_free(adapter_redis *a)
{
    if (a == NULL)
        return;
    a->closing = 1;
    if (a->iface.self)
        sio_set_adapter(a->srv, NULL);
    loop_timer_stop(a->l, a->retry);
    while (a->requests) /* their callbacks hear "incomplete" */
        finish(a->requests, 0);
    while (a->bcast_acks)
        bcast_ack_remove(a, a->bcast_acks);
    if (a->pub)
        redisAsyncFree(a->pub); /* the pending callbacks run with a NULL reply */
    if (a->sub)
        redisAsyncFree(a->sub);
    free(a);
}
