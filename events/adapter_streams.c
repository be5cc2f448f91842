/*
 * adapter_streams.c - the Redis streams adapter (see adapter_streams.h): three hiredis
 * connections on our loop, as @socket.io/redis-streams-adapter 0.3.1 opens three clients:
 *
 *   cmd   XADD socket.io MAXLEN ~ 10000 * uid U nsp N type T data D   what must last: broadcasts,
 *                                                   socketsJoin, socketsLeave, disconnectSockets
 *         PUBLISH socket.io#<nsp># M                what only matters now: fetchSockets,
 *                                                   serverSideEmit, a broadcast with acks
 *                                                   (M: MessagePack)
 *         PUBLISH socket.io#<nsp>#<uid># M          an answer, to the server uid that asked
 *         PUBSUB NUMSUB socket.io#<nsp>#            how many servers there are (each subscribes
 *                                                   once): how many answers to wait for
 *         SET sio:session:<pid> S PX <ms>           a dropped socket, for any server
 *         MULTI GET DEL EXEC, XRANGE                a returning one: its session and the
 *                                                   entries after its offset
 *   sub   SUBSCRIBE socket.io#<nsp># socket.io#<nsp>#<uid>#
 *   read  XREVRANGE socket.io + - COUNT 1          the stream's last entry, once connected
 *         XREAD COUNT 100 BLOCK 5000 STREAMS socket.io <the last id read>, again and again
 *
 * Where it differs from the Node.js adapter, on purpose (events/README.md lists it): a server
 * that stops saves its sockets' sessions (sio_server.c), and a broadcast of ours reaches our own
 * clients when the read connection reads its entry back from the stream, not when XADD
 * answers. Then every event reaches this server's clients in the stream's order, and "the last
 * id read" splits a recovery exactly: the entries up to it are replayed, the ones after it
 * arrive live, so each missed event comes once (socket.io, which delivers on XADD's answer and
 * replays whatever XRANGE returns, can lose or repeat one when a broadcast races a recovery).
 *
 * Run: redis-server --port 6390 --save '' --appendonly no &
 *      events_server --adapter redis-streams://127.0.0.1:6390
 */
#include "adapter_streams.h"

#include <hiredis/hiredis.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "adapter_msg.h"
#include "redis_loop.h"
#include "sio_adapter.h"
#include "sio_json.h"
#include "stream_msg.h"
#include "token.h"

#define CHANNEL_MAX (SIO_MAX_NSP + 64)
#define UID_LEN     16 /* socket.io-adapter's randomId(): 8 random bytes in hex */

enum { CMD, SUB, READ, NCONN };
static const char *const conn_name[NCONN] = {"command", "subscriber", "stream reader"};

/* One of our emits between its XADD and reading it back from the stream (then it reaches our
 * own clients, with its entry's id as offset), kept in order. */
typedef struct emit_rec {
    uint64_t serial;
    sio_nsp *n;
    adapter_rooms rooms, except; /* except: the sender's id too */
    unsigned flags;              /* SIO_VOLATILE */
    char *event, *args;
    sio_bin *bins;
    size_t nbins;
    int failed;             /* XADD was refused: delivered without an offset at its turn */
    char id[STREAM_ID_MAX]; /* its entry's id once XADD answered ("" before) */
    struct emit_rec *next;
} emit_rec;

/* One event a recovery replays. */
typedef struct missed_rec {
    char *json;
    sio_bin *bins;
    size_t nbins;
} missed_rec;

/* A returning client's CONNECT, while its session and missed entries are read from Redis. */
typedef struct restore {
    struct adapter_streams *a;
    uint64_t serial;
    sio_pending *p;
    char offset[STREAM_ID_MAX], from[STREAM_ID_MAX];
    stream_session ss;
    int got_session, offset_found, replies, ranges;
    uint64_t deadline;
    loop_timer timer;
    missed_rec *missed;
    size_t nmissed;
    struct restore *next;
} restore;

/* One cluster question of ours (fetchSockets, serverSideEmit with ack). */
typedef struct request {
    struct adapter_streams *a;
    uint64_t serial;
    int type; /* STREAM_FETCH_SOCKETS or STREAM_SERVER_SIDE_EMIT */
    char id[UID_LEN + 1];
    sio_nsp *n;
    uint8_t *msg; /* the MessagePack to publish once NUMSUB answered */
    size_t len;
    long expected, got;
    adapter_text items;
    int nitems;
    loop_timer timer;
    adapter_result_fn fn;
    void *user;
    struct request *next;
} request;

/* Another server's broadcast with acks, delivered to our sockets: each client's ack goes back
 * to that server until its timeout. A socket's ack callback gets the serial, not a pointer:
 * the entry may be gone by the time a client answers. */
typedef struct bcast_ack {
    struct adapter_streams *a;
    uint64_t serial;
    sio_nsp *n;
    char request_id[UID_LEN + 8], to_uid[ADAPTER_MAX_ID + 1];
    loop_timer timer;
    struct bcast_ack *next;
} bcast_ack;

struct adapter_streams {
    loop *l;
    sio_server *srv;
    sio_adapter iface;
    char host[256];
    int port;
    char uid[UID_LEN + 1];
    redisAsyncContext *ctx[NCONN]; /* NULL while down */
    int ready[NCONN];
    int tailed;         /* the stream's last id at (re)connection is known */
    int up;             /* all three connected and tailed */
    int was_up;         /* up at least once */
    int loss_logged;    /* this outage was logged */
    int unsaved_logged; /* a session that could not be saved was logged in this outage */
    int reading;        /* an XREAD is waiting for its answer */
    int closing;
    char last_id[STREAM_ID_MAX];   /* the last entry read from the stream: XREAD goes on here */
    char own_floor[STREAM_ID_MAX]; /* our entries up to here were delivered before an outage */
    unsigned backoff_ms;
    loop_timer retry;
    uint64_t attempts, dropped, serial;
    emit_rec *head, *tail; /* our emits waiting to be read back, oldest first */
    size_t npending;
    int pending_full; /* the STREAMS_MAX_PENDING line was logged in this episode */
    restore *restores;
    size_t nrestores;
    request *requests;
    size_t nrequests;
    bcast_ack *bcast_acks; /* at most ADAPTER_MAX_REQUESTS */
    size_t nbcast_acks;
    adapter_server_event_fn on_event;
    void *on_event_user;
};

static void read_next(adapter_streams *a);
static void retry_now(loop *l, void *arg);
static void continue_range(adapter_streams *a, restore *r);

static adapter_streams *of(const redisAsyncContext *ac)
{
    adapter_streams *a = ac->data;
    return a && !a->closing ? a : NULL;
}

static int random_hex(char *out, size_t nbytes)
{
    uint8_t b[16];
    if (nbytes > sizeof b || getrandom(b, nbytes, 0) != (ssize_t)nbytes)
        return -1;
    for (size_t i = 0; i < nbytes; i++)
        snprintf(out + 2 * i, 3, "%02x", b[i]);
    return 0;
}

/* A copy of names (and extra, when not NULL): 0, or -1 when out of memory (nothing kept: a
 * partial list of rooms would send an event to the wrong sockets). */
static int names_copy(adapter_rooms *r, const char *const *names, size_t n, const char *extra)
{
    r->names = calloc(n + 2, sizeof *r->names);
    r->n = 0;
    for (size_t i = 0; r->names && i <= n; i++) {
        const char *name = i < n ? names[i] : extra;
        if (name && (r->names[r->n++] = strdup(name)) == NULL)
            break;
    }
    if (r->names && (r->n == 0 || r->names[r->n - 1] != NULL))
        return 0;
    for (size_t i = 0; r->names && i < r->n; i++)
        free(r->names[i]);
    free(r->names);
    *r = (adapter_rooms){0};
    return -1;
}

static void names_release(adapter_rooms *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->names[i]);
    free(r->names);
}

static sio_target target_of(const adapter_rooms *rooms, const adapter_rooms *except)
{
    return (sio_target){.rooms = (const char *const *)rooms->names,
                        .nrooms = rooms->n,
                        .except = (const char *const *)except->names,
                        .nexcept = except->n};
}

/* ---- our emits: XADD first, our clients when the entry is read back ---------------------- */

static void emit_free(emit_rec *e)
{
    names_release(&e->rooms);
    names_release(&e->except);
    free(e->event);
    free(e->args);
    adapter_bins_free(e->bins, e->nbins);
    free(e);
}

/* Deliver one emit to this server's clients, with the entry's id as offset (or none). */
static void deliver(adapter_streams *a, sio_nsp *n, const adapter_rooms *rooms,
                    const adapter_rooms *except, unsigned flags, const char *event,
                    const char *args, const sio_bin *bins, size_t nbins, const char *id)
{
    sio_target t = target_of(rooms, except);
    t.flags = flags | SIO_LOCAL;
    t.offset = id && sio_recovery_on(n) ? id : NULL; /* addOffsetIfNecessary: not volatile */
    (void)a;
    sio_emit_target(n, &t, event, args, bins, nbins);
}

static void pop_head(adapter_streams *a, const char *id)
{
    emit_rec *e = a->head;
    a->head = e->next;
    if (a->head == NULL)
        a->tail = NULL;
    if (--a->npending == 0)
        a->pending_full = 0;
    deliver(a, e->n, &e->rooms, &e->except, e->flags, e->event, e->args, e->bins, e->nbins, id);
    emit_free(e);
}

static void pop_failed(adapter_streams *a)
{
    while (a->head && a->head->failed)
        pop_head(a, NULL);
}

/* Redis is gone: what we sent and never read back reaches our clients now, in order. */
static void flush_pending(adapter_streams *a)
{
    while (a->head)
        pop_head(a, NULL);
    a->pending_full = 0;
}

static void on_xadd(redisAsyncContext *ac, void *reply, void *priv)
{
    adapter_streams *a = of(ac);
    redisReply *rp = reply;
    uint64_t serial = (uint64_t)(uintptr_t)priv;
    for (emit_rec *e = a ? a->head : NULL; e; e = e->next)
        if (e->serial == serial && rp && rp->type == REDIS_REPLY_STRING) {
            snprintf(e->id, sizeof e->id, "%s", rp->str); /* read back later: then delivered */
            return;
        } else if (e->serial == serial) {
            if (rp) /* NULL: the connection is going, flush_pending delivers it */
                loop_log(a->l,
                         "Redis streams adapter: XADD refused (%s); \"%s\" reached only "
                         "this server's clients",
                         rp->type == REDIS_REPLY_ERROR ? rp->str : "unexpected reply", e->event);
            e->failed = 1;
        }
    if (a)
        pop_failed(a);
}

/* The iface's publish_first: every emit to rooms (and to one socket, with recovery on). */
static void publish_first(void *self, sio_nsp *n, const sio_target *t, const char *event,
                          const char *args, const sio_bin *bins, size_t nbins)
{
    adapter_streams *a = self;
    const char *sender = t->except_socket ? sio_socket_id(t->except_socket) : NULL;
    adapter_rooms rooms, except;
    unsigned flags = t->flags & SIO_VOLATILE;
    if (!a->up || a->npending >= STREAMS_MAX_PENDING) { /* our own clients only, at once */
        if (a->up && !a->pending_full) {
            a->pending_full = 1;
            loop_log(a->l,
                     "Redis streams adapter: %d broadcasts are waiting to be read back from "
                     "the stream; further ones reach only this server's clients, without an "
                     "offset, until it catches up",
                     STREAMS_MAX_PENDING);
        }
        a->dropped++;
        if (names_copy(&rooms, t->rooms, t->nrooms, NULL) == 0 &&
            names_copy(&except, t->except, t->nexcept, sender) == 0) {
            deliver(a, n, &rooms, &except, flags, event, args, bins, nbins, NULL);
            names_release(&except);
        }
        names_release(&rooms);
        return;
    }
    emit_rec *e = calloc(1, sizeof *e);
    char *data = stream_broadcast_data(event, args, t, sender), *field = NULL;
    sio_bin *copies = nbins ? calloc(nbins, sizeof *copies) : NULL;
    for (size_t i = 0; copies && i < nbins; i++) {
        uint8_t *c = malloc(bins[i].len ? bins[i].len : 1);
        if (c && bins[i].len)
            memcpy(c, bins[i].data, bins[i].len);
        copies[i] = (sio_bin){c, c ? bins[i].len : 0};
    }
    if (e)
        *e = (emit_rec){.bins = copies, .nbins = copies ? nbins : 0};
    if (e == NULL || data == NULL || (nbins && copies == NULL) ||
        stream_encode_field(data, bins, nbins, &field) < 0 ||
        names_copy(&e->rooms, t->rooms, t->nrooms, NULL) < 0 ||
        names_copy(&e->except, t->except, t->nexcept, sender) < 0 ||
        (e->event = strdup(event)) == NULL || (e->args = strdup(args ? args : "[]")) == NULL) {
        loop_log(a->l, "Redis streams adapter: out of memory for \"%s\"; nobody gets it", event);
        if (e)
            emit_free(e);
        else
            adapter_bins_free(copies, copies ? nbins : 0);
        free(data);
        free(field);
        return;
    }
    e->serial = ++a->serial;
    e->n = n;
    e->flags = flags;
    if (a->tail)
        a->tail->next = e;
    else
        a->head = e;
    a->tail = e;
    a->npending++;
    char maxlen[16];
    snprintf(maxlen, sizeof maxlen, "%d", STREAMS_MAXLEN);
    const char *argv[] = {"XADD", STREAMS_NAME, "MAXLEN",        "~",    maxlen, "*",    "uid",
                          a->uid, "nsp",        sio_nsp_name(n), "type", "3",    "data", field};
    redisAsyncCommandArgv(a->ctx[CMD], on_xadd, (void *)(uintptr_t)e->serial, 14, argv, NULL);
    free(data);
    free(field);
}

/* XADD of a message whose local part was done already (socketsJoin and the like). */
static void xadd_data(adapter_streams *a, sio_nsp *n, int type, const char *data)
{
    char maxlen[16], t[8];
    if (!a->up || data == NULL) {
        a->dropped++;
        return;
    }
    snprintf(maxlen, sizeof maxlen, "%d", STREAMS_MAXLEN);
    snprintf(t, sizeof t, "%d", type);
    const char *argv[] = {"XADD", STREAMS_NAME, "MAXLEN",        "~",    maxlen, "*",    "uid",
                          a->uid, "nsp",        sio_nsp_name(n), "type", t,      "data", data};
    redisAsyncCommandArgv(a->ctx[CMD], NULL, NULL, 14, argv, NULL);
}

/* PUBLISH a MessagePack message {type, data, uid, nsp} on channel (or the namespace's). */
static void publish(adapter_streams *a, sio_nsp *n, const char *to_uid, int type, const char *data,
                    const sio_bin *bins, size_t nbins)
{
    char channel[CHANNEL_MAX];
    uint8_t *msg;
    size_t len;
    if (!a->up || data == NULL ||
        !adapter_channel(channel, sizeof channel, "", sio_nsp_name(n), to_uid) ||
        stream_encode_pubsub(type, data, bins, nbins, a->uid, sio_nsp_name(n), &msg, &len) < 0)
        return;
    redisAsyncCommand(a->ctx[CMD], NULL, NULL, "PUBLISH %s %b", channel, msg, len);
    free(msg);
}

/* ---- what the stream says ---------------------------------------------------------------- */

/* socketsJoin, socketsLeave, disconnectSockets: every local socket the opts select. */
static void apply_sockets(sio_nsp *n, const stream_msg *m)
{
    stream_opts o;
    adapter_rooms rooms = {0};
    if (stream_read_opts(m->data, &o) < 0)
        return;
    if (m->type != STREAM_DISCONNECT_SOCKETS && stream_read_names(m->data, "rooms", &rooms) < 0) {
        stream_opts_free(&o);
        return;
    }
    const char *c;
    size_t cl;
    int close = sio_json_member(m->data, strlen(m->data), "close", &c, &cl) && cl == 4;
    sio_target t = target_of(&o.rooms, &o.except);
    size_t count;
    sio_socket **s = sio_select(n, &t, &count);
    for (size_t i = 0; i < count; i++) {
        for (size_t j = 0; m->type != STREAM_DISCONNECT_SOCKETS && j < rooms.n; j++)
            if (m->type == STREAM_SOCKETS_JOIN)
                sio_join(s[i], rooms.names[j]);
            else
                sio_leave(s[i], rooms.names[j]);
        if (m->type == STREAM_DISCONNECT_SOCKETS)
            sio_disconnect_close(s[i], close);
    }
    free(s);
    names_release(&rooms);
    stream_opts_free(&o);
}

/* Another server's broadcast, id its entry: to our sockets, with the id as offset. */
static void apply_broadcast(adapter_streams *a, sio_nsp *n, const stream_msg *m, const char *id)
{
    stream_opts o;
    char event[256];
    char *args = NULL;
    int64_t ack_id;
    if (stream_read_opts(m->data, &o) < 0)
        return;
    if (stream_read_packet(m->data, event, sizeof event, &args, &ack_id) == 0)
        deliver(a, n, &o.rooms, &o.except, (o.flags & ADAPTER_VOLATILE) ? SIO_VOLATILE : 0u, event,
                args, m->bins, m->nbins, ack_id < 0 ? id : NULL);
    free(args);
    stream_opts_free(&o);
}

/* Is this reply an entry [id, [field, value, ...]] with a valid id? */
static int entry_ok(const redisReply *e)
{
    return e->type == REDIS_REPLY_ARRAY && e->elements == 2 &&
           e->element[0]->type == REDIS_REPLY_STRING && e->element[1]->type == REDIS_REPLY_ARRAY &&
           stream_id_valid(e->element[0]->str);
}

/* Decode an entry_ok entry's fields (at most 16, each at most ADAPTER_MAX_MESSAGE bytes:
 * anyone who can write to our Redis can write to the stream). 0, or < 0 and logged. */
static int decode_entry(adapter_streams *a, const redisReply *entry, stream_msg *m)
{
    const redisReply *f = entry->element[1];
    const char *kv[16];
    size_t kvlen[16];
    for (size_t i = 0; i < f->elements && i < 16; i++) {
        int str = f->element[i]->type == REDIS_REPLY_STRING;
        kv[i] = str ? f->element[i]->str : "";
        kvlen[i] = str ? f->element[i]->len : 0;
        if (kvlen[i] > ADAPTER_MAX_MESSAGE) {
            loop_log(a->l,
                     "Redis streams adapter: ignored entry %s (a field of %zu bytes, over %u)",
                     entry->element[0]->str, kvlen[i], ADAPTER_MAX_MESSAGE);
            return ADAPTER_E_LIMIT;
        }
    }
    int rc = f->elements > 16 ? ADAPTER_E_LIMIT : stream_decode_entry(kv, kvlen, f->elements, m);
    if (rc < 0)
        loop_log(a->l, "Redis streams adapter: ignored the malformed entry %s",
                 entry->element[0]->str);
    return rc;
}

/* One entry [id, [field, value, ...]] read by XREAD. */
static void on_entry(adapter_streams *a, const redisReply *entry)
{
    if (!entry_ok(entry))
        return;
    const char *id = entry->element[0]->str;
    stream_msg m;
    if (decode_entry(a, entry, &m) < 0) {
        snprintf(a->last_id, sizeof a->last_id, "%s", id);
        return;
    }
    sio_nsp *n = sio_nsp_find(a->srv, m.nsp);
    if (strcmp(m.uid, a->uid) == 0) { /* ours, read back: now it reaches our clients */
        if (stream_id_cmp(id, a->own_floor) > 0 && m.type == STREAM_BROADCAST) {
            pop_failed(a);
            while (a->head && a->head->id[0] && stream_id_cmp(a->head->id, id) < 0)
                pop_head(a, a->head->id); /* trimmed before we read it: delivered now */
            if (a->head)
                pop_head(a, id);
        }
    } else if (n && m.data && m.type == STREAM_BROADCAST)
        apply_broadcast(a, n, &m, id);
    else if (n && m.data &&
             (m.type == STREAM_SOCKETS_JOIN || m.type == STREAM_SOCKETS_LEAVE ||
              m.type == STREAM_DISCONNECT_SOCKETS))
        apply_sockets(n, &m);
    snprintf(a->last_id, sizeof a->last_id, "%s", id);
    stream_msg_free(&m);
}

/* XREAD's answer: [[stream, [entry, ...]]], or nil when BLOCK ran out. */
static void on_xread(redisAsyncContext *ac, void *reply, void *priv)
{
    adapter_streams *a = of(ac);
    redisReply *rp = reply;
    (void)priv;
    if (a == NULL)
        return;
    a->reading = 0;
    if (rp == NULL)
        return; /* the connection is going: the disconnect callback takes over */
    if (rp->type == REDIS_REPLY_ARRAY && rp->elements == 1 &&
        rp->element[0]->type == REDIS_REPLY_ARRAY && rp->element[0]->elements == 2) {
        const redisReply *entries = rp->element[0]->element[1];
        for (size_t i = 0; entries->type == REDIS_REPLY_ARRAY && i < entries->elements; i++)
            on_entry(a, entries->element[i]);
    }
    pop_failed(a);
    read_next(a);
}

static void read_next(adapter_streams *a)
{
    char count[16], block[16];
    if (!a->up || a->reading)
        return;
    snprintf(count, sizeof count, "%d", STREAMS_READ_COUNT);
    snprintf(block, sizeof block, "%d", STREAMS_BLOCK_MS);
    const char *argv[] = {"XREAD", "COUNT",   count,        "BLOCK",
                          block,   "STREAMS", STREAMS_NAME, a->last_id};
    if (redisAsyncCommandArgv(a->ctx[READ], on_xread, NULL, 8, argv, NULL) == REDIS_OK)
        a->reading = 1;
}

/* ---- connection state recovery ------------------------------------------------------------ */

/* persistSession: SET sio:session:<pid> base64(MessagePack {sid,pid,rooms,data}) PX window. */
static void persist(void *self, const sio_socket *s)
{
    adapter_streams *a = self;
    size_t n = sio_socket_nrooms(s);
    const char **rooms = calloc(n + 1, sizeof *rooms);
    for (size_t i = 0; rooms && i < n; i++)
        rooms[i] = sio_socket_room(s, i);
    char *value =
        rooms ? stream_encode_session(sio_socket_id(s), sio_socket_pid(s), rooms, n) : NULL;
    char key[sizeof STREAMS_SESSION + TOKEN_LEN + 8], px[16];
    snprintf(key, sizeof key, "%s%s", STREAMS_SESSION, sio_socket_pid(s));
    snprintf(px, sizeof px, "%u", sio_recovery_window(sio_socket_nsp(s)));
    if (value && a->up)
        redisAsyncCommand(a->ctx[CMD], NULL, NULL, "SET %s %s PX %s", key, value, px);
    else if (!a->unsaved_logged) { /* once per outage: many clients drop together */
        a->unsaved_logged = 1;
        loop_log(a->l,
                 "Redis streams adapter: socket %s dropped while Redis is %s; it (and "
                 "any other that drops before Redis is back) cannot be recovered",
                 sio_socket_id(s), a->up ? "reachable but we are out of memory" : "down");
    }
    free(value);
    free(rooms);
}

static restore *find_restore(adapter_streams *a, uint64_t serial)
{
    restore *r = a->restores;
    while (r && r->serial != serial)
        r = r->next;
    return r;
}

/* The CONNECT goes on: recovered (ok) or as new. */
static void finish_restore(adapter_streams *a, restore *r, int ok)
{
    for (restore **pp = &a->restores; *pp; pp = &(*pp)->next)
        if (*pp == r) {
            *pp = r->next;
            a->nrestores--;
            break;
        }
    loop_timer_stop(a->l, r->timer);
    sio_missed *missed = calloc(r->nmissed + 1, sizeof *missed);
    for (size_t i = 0; missed && i < r->nmissed; i++)
        missed[i] = (sio_missed){r->missed[i].json, r->missed[i].bins, r->missed[i].nbins};
    sio_restored res = {.sid = r->ss.sid,
                        .pid = r->ss.pid,
                        .rooms = (const char *const *)r->ss.rooms.names,
                        .nrooms = r->ss.rooms.n,
                        .missed = missed,
                        .nmissed = r->nmissed};
    sio_restore_done(r->p, ok && missed ? &res : NULL);
    for (size_t i = 0; i < r->nmissed; i++) {
        free(r->missed[i].json);
        adapter_bins_free(r->missed[i].bins, r->missed[i].nbins);
    }
    free(r->missed);
    free(missed);
    stream_session_free(&r->ss);
    free(r);
}

static void give_up(adapter_streams *a, restore *r, const char *why)
{
    loop_log(a->l, "Redis streams adapter: session %s not recovered (%s); it connects as new",
             r->ss.pid ? r->ss.pid : "?", why);
    finish_restore(a, r, 0);
}

/* Keep entry [id, fields] for the returning socket when it was sent to its rooms (the
 * adapter's restoreSession: type "3", this namespace, shouldIncludePacket). */
static int keep_missed(adapter_streams *a, restore *r, const redisReply *entry)
{
    stream_msg m;
    stream_opts o;
    char event[256];
    char *args = NULL;
    int64_t ack;
    if (decode_entry(a, entry, &m) < 0)
        return 0;
    int keep = m.type == STREAM_BROADCAST && m.data &&
               strcmp(m.nsp, sio_nsp_name(sio_pending_nsp(r->p))) == 0 &&
               stream_read_opts(m.data, &o) == 0;
    if (keep) {
        keep = stream_should_include(&r->ss.rooms, &o.rooms, &o.except) &&
               stream_read_packet(m.data, event, sizeof event, &args, &ack) == 0;
        stream_opts_free(&o);
    }
    missed_rec *grown = keep && r->nmissed < STREAMS_MAX_MISSED
                            ? realloc(r->missed, (r->nmissed + 1) * sizeof *grown)
                            : NULL;
    if (keep && grown == NULL) { /* never a partial replay */
        free(args);
        stream_msg_free(&m);
        return -1;
    }
    if (grown) { /* packet.data.push(entry.id): the offset goes last */
        r->missed = grown;
        adapter_text t = {0};
        adapter_text_str(&t, "[");
        adapter_text_quoted(&t, event, strlen(event));
        size_t alen = strlen(args) - 1; /* args is "[...]": its items, if any, go between */
        if (sio_json_ws(args, alen, 1) < alen) {
            adapter_text_str(&t, ",");
            adapter_text_add(&t, args + 1, alen - 1);
        }
        adapter_text_str(&t, ",\"");
        adapter_text_str(&t, entry->element[0]->str);
        adapter_text_str(&t, "\"]");
        if (t.failed) {
            free(t.s);
            free(args);
            stream_msg_free(&m);
            return -1;
        }
        r->missed[r->nmissed++] = (missed_rec){t.s, m.bins, m.nbins};
        m.bins = NULL;
        m.nbins = 0;
    }
    free(args);
    stream_msg_free(&m);
    return 0;
}

/* XRANGE's answer: the entries after r->from. Those up to our last read id are replayed; the
 * first one after it ends the replay (the reader delivers it, and the rest, live). */
static void on_range(redisAsyncContext *ac, void *reply, void *priv)
{
    adapter_streams *a = of(ac);
    redisReply *rp = reply;
    restore *r = a ? find_restore(a, (uint64_t)(uintptr_t)priv) : NULL;
    if (r == NULL)
        return;
    if (rp == NULL || rp->type != REDIS_REPLY_ARRAY) {
        give_up(a, r, "Redis went away while reading the stream");
        return;
    }
    for (size_t i = 0; i < rp->elements; i++) {
        const redisReply *e = rp->element[i];
        if (!entry_ok(e))
            continue;
        if (stream_id_cmp(e->element[0]->str, a->last_id) > 0) {
            finish_restore(a, r, 1);
            return;
        }
        if (keep_missed(a, r, e) < 0) {
            give_up(a, r, "more than " STREAMS_MAX_MISSED_TEXT " missed events, or out of memory");
            return;
        }
        stream_id_next(e->element[0]->str, r->from, sizeof r->from);
    }
    if (rp->elements == 0)
        finish_restore(a, r, 1);
    else
        continue_range(a, r);
}

static void range_later(loop *l, void *arg)
{
    restore *r = arg;
    (void)l;
    r->timer = 0;
    continue_range(r->a, r);
}

/* The next XRANGE, once our reader has read as far as the client's offset (the client may
 * come from a server that wrote an entry our reader has not read yet). */
static void continue_range(adapter_streams *a, restore *r)
{
    char count[16];
    if (!a->up) {
        give_up(a, r, "Redis is down");
        return;
    }
    if (stream_id_cmp(r->offset, a->last_id) > 0) {
        if (loop_now_ms() > r->deadline)
            give_up(a, r, "the stream reader did not reach its offset in time");
        else
            r->timer = loop_timer_start(a->l, 20, range_later, r);
        return;
    }
    if (r->ranges++ == STREAMS_MAX_RANGES) {
        give_up(a, r, "too many entries to read");
        return;
    }
    snprintf(count, sizeof count, "%d", STREAMS_RANGE_COUNT);
    redisAsyncCommand(a->ctx[CMD], on_range, (void *)(uintptr_t)r->serial,
                      "XRANGE %s %s + COUNT %s", STREAMS_NAME, r->from, count);
}

/* MULTI GET DEL EXEC's answer (the session, taken: it is used once) and XRANGE offset
 * offset's (does the client's offset still exist, or was it trimmed?). */
static void on_session(redisAsyncContext *ac, void *reply, void *priv)
{
    adapter_streams *a = of(ac);
    redisReply *rp = reply;
    restore *r = a ? find_restore(a, (uint64_t)(uintptr_t)priv) : NULL;
    if (r == NULL)
        return;
    if (rp && rp->type == REDIS_REPLY_ARRAY && rp->elements >= 1 && r->replies == 0 &&
        rp->element[0]->type == REDIS_REPLY_STRING) {
        r->got_session =
            stream_decode_session(rp->element[0]->str, rp->element[0]->len, &r->ss) == 0;
        if (!r->got_session) /* over STREAM_MAX_ROOMS rooms, or not the adapter's encoding */
            loop_log(a->l,
                     "Redis streams adapter: a saved session could not be read (more than "
                     "%d rooms, or malformed); its client connects as new",
                     STREAM_MAX_ROOMS);
    } else if (rp && rp->type == REDIS_REPLY_ARRAY && r->replies == 1)
        r->offset_found = rp->elements > 0;
    if (++r->replies < 2)
        return;
    if (!r->got_session || !r->offset_found) {
        finish_restore(a, r, 0); /* expired, unknown, or trimmed away: as socket.io, new */
        return;
    }
    stream_id_next(r->offset, r->from, sizeof r->from);
    r->deadline = loop_now_ms() + STREAMS_CATCHUP_MS;
    continue_range(a, r);
}

/* The iface's restore: socket.io's restoreSession(pid, offset). */
static int restore_session(void *self, sio_pending *p, const char *pid, const char *offset)
{
    adapter_streams *a = self;
    if (!a->up || !stream_id_valid(offset) || strlen(offset) >= STREAM_ID_MAX)
        return -1;
    if (a->nrestores >= STREAMS_MAX_RESTORES) {
        loop_log(a->l,
                 "Redis streams adapter: %d recoveries are being looked up already; "
                 "this client connects as new",
                 STREAMS_MAX_RESTORES);
        return -1;
    }
    restore *r = calloc(1, sizeof *r);
    if (r == NULL)
        return -1;
    r->a = a;
    r->serial = ++a->serial;
    r->p = p;
    snprintf(r->offset, sizeof r->offset, "%s", offset);
    r->next = a->restores;
    a->restores = r;
    a->nrestores++;
    void *serial = (void *)(uintptr_t)r->serial;
    redisAsyncCommand(a->ctx[CMD], NULL, NULL, "MULTI");
    redisAsyncCommand(a->ctx[CMD], NULL, NULL, "GET %s%s", STREAMS_SESSION, pid);
    redisAsyncCommand(a->ctx[CMD], NULL, NULL, "DEL %s%s", STREAMS_SESSION, pid);
    redisAsyncCommand(a->ctx[CMD], on_session, serial, "EXEC");
    redisAsyncCommand(a->ctx[CMD], on_session, serial, "XRANGE %s %s %s", STREAMS_NAME, offset,
                      offset);
    return 0;
}

/* ---- pub/sub: requests from other servers, answers to ours ------------------------------ */

static request *find_request(adapter_streams *a, const char *id)
{
    request *q = a->requests;
    while (q && strcmp(q->id, id) != 0)
        q = q->next;
    return q;
}

static void finish_request(adapter_streams *a, request *q, int complete)
{
    for (request **pp = &a->requests; *pp; pp = &(*pp)->next)
        if (*pp == q) {
            *pp = q->next;
            a->nrequests--;
            break;
        }
    loop_timer_stop(a->l, q->timer);
    adapter_text t = {0};
    adapter_text_str(&t, "[");
    if (q->items.s)
        adapter_text_str(&t, q->items.s);
    adapter_text_str(&t, "]");
    q->fn(t.failed ? "[]" : t.s, complete, q->user);
    free(t.s);
    free(q->items.s);
    free(q->msg);
    free(q);
}

/* An answer's value: an item (serverSideEmit) or the items of an array (fetchSockets). */
static void add_answer(request *q, const char *json, int inner)
{
    size_t n = strlen(json), from = 0, to = n;
    if (inner) {
        from = sio_json_ws(json, n, 0) + 1;
        to = n;
        while (to > from && json[to - 1] != ']')
            to--;
        if (to <= from || sio_json_ws(json, to - 1, from) >= to - 1)
            return; /* an empty array */
        to--;
    }
    if (q->nitems++)
        adapter_text_str(&q->items, ",");
    adapter_text_add(&q->items, json + from, to - from);
}

static void on_response(adapter_streams *a, const stream_msg *m)
{
    char id[UID_LEN + 8];
    if (m->data == NULL || !stream_read_string(m->data, "requestId", id, sizeof id))
        return;
    request *q = find_request(a, id);
    if (q == NULL)
        return;
    char *value =
        stream_read_raw(m->data, m->type == STREAM_FETCH_SOCKETS_RESPONSE ? "sockets" : "packet");
    if (m->type == STREAM_FETCH_SOCKETS_RESPONSE && value && value[0] == '[')
        add_answer(q, value, 1);
    else if (m->type == STREAM_SERVER_SIDE_EMIT_RESPONSE)
        add_answer(q, value ? value : "null", 0);
    free(value);
    if (++q->got >= q->expected)
        finish_request(a, q, 1);
}

/* Another server's fetchSockets: our sockets its opts select, to its own channel. */
static void answer_fetch(adapter_streams *a, sio_nsp *n, const stream_msg *m)
{
    stream_opts o;
    char id[UID_LEN + 8];
    if (!stream_read_string(m->data, "requestId", id, sizeof id) ||
        stream_read_opts(m->data, &o) < 0)
        return;
    sio_target t = target_of(&o.rooms, &o.except);
    size_t count;
    sio_socket **s = sio_select(n, &t, &count);
    adapter_text x = {0};
    adapter_text_str(&x, "[");
    for (size_t i = 0; i < count; i++) {
        if (i)
            adapter_text_str(&x, ",");
        adapter_socket_json(&x, s[i]);
    }
    adapter_text_str(&x, "]");
    char *data = x.failed ? NULL : stream_response_data(id, "sockets", x.s);
    publish(a, n, m->uid, STREAM_FETCH_SOCKETS_RESPONSE, data, NULL, 0);
    free(data);
    free(x.s);
    free(s);
    stream_opts_free(&o);
}

/* Another server's serverSideEmit: our handler; its ack back when one was asked for. */
static void answer_emit(adapter_streams *a, sio_nsp *n, const stream_msg *m)
{
    char event[256], id[UID_LEN + 8];
    char *packet = stream_read_raw(m->data, "packet"), *args = NULL;
    if (packet && a->on_event && adapter_split_event(packet, event, sizeof event, &args) == 0) {
        char *ack = a->on_event(n, event, args, a->on_event_user);
        if (ack && stream_read_string(m->data, "requestId", id, sizeof id)) {
            char *data = stream_response_data(id, "packet", ack);
            publish(a, n, m->uid, STREAM_SERVER_SIDE_EMIT_RESPONSE, data, NULL, 0);
            free(data);
        }
        free(ack);
    }
    free(args);
    free(packet);
}

static void bcast_ack_free(bcast_ack *b)
{
    adapter_streams *a = b->a;
    for (bcast_ack **pp = &a->bcast_acks; *pp; pp = &(*pp)->next)
        if (*pp == b) {
            *pp = b->next;
            a->nbcast_acks--;
            break;
        }
    loop_timer_stop(a->l, b->timer);
    free(b);
}

static void bcast_ack_expire(loop *l, void *arg)
{
    bcast_ack *b = arg;
    (void)l;
    b->timer = 0;
    bcast_ack_free(b);
}

/* A client answered: BROADCAST_ACK {requestId, packet: its first argument} to the sender. */
static void on_client_ack(sio_socket *s, const sio_msg *m, void *user)
{
    adapter_streams *a = sio_adapter_self(sio_socket_nsp(s));
    bcast_ack *b = a ? a->bcast_acks : NULL;
    while (b && b->serial != (uint64_t)(uintptr_t)user)
        b = b->next;
    const char *first;
    size_t flen;
    if (b == NULL)
        return; /* too late: the sender gave up */
    char *arg = sio_arg(m, 0, &first, &flen) ? strndup(first, flen) : strdup("null");
    char *data = arg ? stream_response_data(b->request_id, "packet", arg) : NULL;
    publish(a, b->n, b->to_uid, STREAM_BROADCAST_ACK, data, m->bins, m->nbins);
    free(data);
    free(arg);
}

/* Another server's emitWithAck (BROADCAST with a requestId, over pub/sub): each selected
 * socket gets the event with an ack request; the sender hears how many (BROADCAST_CLIENT_COUNT)
 * and then each ack (on_client_ack), as socket.io-adapter's broadcastWithAck. */
static void answer_broadcast_ack(adapter_streams *a, sio_nsp *n, const stream_msg *m)
{
    stream_opts o;
    char event[256], count[32];
    char *args = NULL;
    int64_t ack;
    bcast_ack *b = calloc(1, sizeof *b);
    if (b == NULL || a->nbcast_acks >= ADAPTER_MAX_REQUESTS ||
        !stream_read_string(m->data, "requestId", b->request_id, sizeof b->request_id) ||
        strlen(m->uid) > ADAPTER_MAX_ID || stream_read_opts(m->data, &o) < 0) {
        if (b && a->nbcast_acks >= ADAPTER_MAX_REQUESTS)
            loop_log(a->l,
                     "Redis streams adapter: %d broadcasts with acks are open already; "
                     "this one is ignored",
                     ADAPTER_MAX_REQUESTS);
        free(b);
        return;
    }
    if (stream_read_packet(m->data, event, sizeof event, &args, &ack) == 0) {
        b->a = a;
        b->serial = ++a->serial;
        b->n = n;
        snprintf(b->to_uid, sizeof b->to_uid, "%s", m->uid);
        b->timer =
            loop_timer_start(a->l, o.timeout >= 0 ? (uint64_t)o.timeout : ADAPTER_REQUESTS_TIMEOUT,
                             bcast_ack_expire, b);
        b->next = a->bcast_acks;
        a->bcast_acks = b;
        a->nbcast_acks++;
        sio_target t = target_of(&o.rooms, &o.except);
        size_t nsel, sent = 0;
        sio_socket **s = sio_select(n, &t, &nsel);
        for (size_t i = 0; i < nsel; i++)
            sent += sio_emit_ack_bin(s[i], event, args, m->bins, m->nbins, on_client_ack,
                                     (void *)(uintptr_t)b->serial) == 0;
        free(s);
        snprintf(count, sizeof count, "%zu", sent);
        char *data = stream_response_data(b->request_id, "clientCount", count);
        publish(a, n, m->uid, STREAM_BROADCAST_CLIENT_COUNT, data, NULL, 0);
        free(data);
    } else
        free(b);
    free(args);
    stream_opts_free(&o);
}

/* Every message on socket.io#<nsp># and socket.io#<nsp>#<uid>#: [message, channel, payload]. */
static void on_pubsub(redisAsyncContext *ac, void *reply, void *priv)
{
    adapter_streams *a = of(ac);
    redisReply *rp = reply;
    stream_msg m;
    (void)priv;
    if (a == NULL || rp == NULL || rp->type != REDIS_REPLY_ARRAY || rp->elements != 3 ||
        rp->element[0]->type != REDIS_REPLY_STRING || strcmp(rp->element[0]->str, "message") ||
        rp->element[2]->type != REDIS_REPLY_STRING)
        return; /* a subscribe confirmation */
    if (rp->element[2]->len > ADAPTER_MAX_MESSAGE) {
        loop_log(a->l, "Redis streams adapter: dropped a %zu-byte message (over %u bytes)",
                 rp->element[2]->len, ADAPTER_MAX_MESSAGE);
        return;
    }
    if (stream_decode_pubsub((const uint8_t *)rp->element[2]->str, rp->element[2]->len, &m) < 0) {
        loop_log(a->l, "Redis streams adapter: ignored a malformed message on %s",
                 rp->element[1]->type == REDIS_REPLY_STRING ? rp->element[1]->str : "?");
        return;
    }
    sio_nsp *n = sio_nsp_find(a->srv, m.nsp);
    if (n && m.data && strcmp(m.uid, a->uid) != 0) { /* onMessage ignores its own */
        if (m.type == STREAM_FETCH_SOCKETS)
            answer_fetch(a, n, &m);
        else if (m.type == STREAM_SERVER_SIDE_EMIT)
            answer_emit(a, n, &m);
        else if (m.type == STREAM_BROADCAST) /* over pub/sub: a broadcast with acks */
            answer_broadcast_ack(a, n, &m);
        else if (m.type == STREAM_FETCH_SOCKETS_RESPONSE ||
                 m.type == STREAM_SERVER_SIDE_EMIT_RESPONSE)
            on_response(a, &m);
    }
    stream_msg_free(&m);
}

/* ---- our requests -------------------------------------------------------------------------- */

static void on_request_timeout(loop *l, void *arg)
{
    request *q = arg;
    adapter_streams *a = q->a;
    (void)l;
    q->timer = 0;
    loop_log(a->l,
             "Redis streams adapter: a cluster request timed out after %d ms with %ld of %ld "
             "answers",
             ADAPTER_REQUESTS_TIMEOUT, q->got, q->expected);
    finish_request(a, q, 0);
}

/* serverCount(): PUBSUB NUMSUB socket.io#<nsp># - 1 other servers answer. */
static void on_numsub(redisAsyncContext *ac, void *reply, void *priv)
{
    adapter_streams *a = of(ac);
    redisReply *rp = reply;
    request *q = a ? a->requests : NULL;
    while (q && q->serial != (uint64_t)(uintptr_t)priv)
        q = q->next;
    if (q == NULL || rp == NULL || rp->type != REDIS_REPLY_ARRAY || rp->elements != 2 ||
        rp->element[1]->type != REDIS_REPLY_INTEGER)
        return; /* gone, or Redis went away: the timeout answers */
    q->expected = (long)rp->element[1]->integer - 1;
    if (q->expected <= q->got) {
        finish_request(a, q, 1);
        return;
    }
    char channel[CHANNEL_MAX];
    adapter_channel(channel, sizeof channel, "", sio_nsp_name(q->n), NULL);
    redisAsyncCommand(a->ctx[CMD], NULL, NULL, "PUBLISH %s %b", channel, q->msg, q->len);
}

/* Start q (its id set): local answers first, then NUMSUB, then the request (data, malloc'd,
 * taken). 0, or -1 (q freed) when Redis is down or too many requests wait. */
static int start_request(adapter_streams *a, sio_nsp *n, int type, char *data,
                         const adapter_text *local, adapter_result_fn fn, void *user, request *q)
{
    char channel[CHANNEL_MAX];
    q->a = a;
    q->serial = ++a->serial;
    q->type = type;
    q->n = n;
    q->fn = fn;
    q->user = user;
    q->expected = 1;
    if (local && local->s && sio_json_ws(local->s, local->len, 0) < local->len) {
        adapter_text_str(&q->items, local->s);
        q->nitems = 1;
    }
    int rc =
        data ? stream_encode_pubsub(type, data, NULL, 0, a->uid, sio_nsp_name(n), &q->msg, &q->len)
             : ADAPTER_E_NOMEM;
    free(data);
    if (rc < 0 || !a->up || a->nrequests >= ADAPTER_MAX_REQUESTS ||
        !adapter_channel(channel, sizeof channel, "", sio_nsp_name(n), NULL) ||
        (q->timer = loop_timer_start(a->l, ADAPTER_REQUESTS_TIMEOUT, on_request_timeout, q)) == 0) {
        if (a->nrequests >= ADAPTER_MAX_REQUESTS)
            loop_log(a->l,
                     "Redis streams adapter: %d cluster requests are waiting already; "
                     "this one is refused",
                     ADAPTER_MAX_REQUESTS);
        free(q->items.s);
        free(q->msg);
        free(q);
        return -1;
    }
    q->next = a->requests;
    a->requests = q;
    a->nrequests++;
    redisAsyncCommand(a->ctx[CMD], on_numsub, (void *)(uintptr_t)q->serial, "PUBSUB NUMSUB %s",
                      channel);
    return 0;
}

int adapter_streams_fetch(adapter_streams *a, sio_nsp *n, const sio_target *t, adapter_result_fn fn,
                          void *user)
{
    request *q = calloc(1, sizeof *q);
    if (q == NULL || random_hex(q->id, UID_LEN / 2) < 0) {
        free(q);
        return -1;
    }
    adapter_text local = {0};
    size_t count;
    sio_socket **s = sio_select(n, t, &count);
    for (size_t i = 0; i < count; i++) {
        if (i)
            adapter_text_str(&local, ",");
        adapter_socket_json(&local, s[i]);
    }
    free(s);
    int rc =
        start_request(a, n, STREAM_FETCH_SOCKETS, stream_fetch_data(t, q->id), &local, fn, user, q);
    free(local.s);
    return rc;
}

int adapter_streams_emit(adapter_streams *a, sio_nsp *n, const char *event, const char *args,
                         adapter_result_fn fn, void *user)
{
    request *q = calloc(1, sizeof *q);
    if (q == NULL || random_hex(q->id, UID_LEN / 2) < 0) {
        free(q);
        return -1;
    }
    return start_request(a, n, STREAM_SERVER_SIDE_EMIT, stream_emit_data(q->id, event, args), NULL,
                         fn, user, q);
}

/* socketsJoin / socketsLeave: published first, then applied here (the adapter's addSockets). */
int adapter_streams_join(adapter_streams *a, sio_nsp *n, const sio_target *t,
                         const char *const *rooms, size_t nrooms, int join)
{
    int type = join ? STREAM_SOCKETS_JOIN : STREAM_SOCKETS_LEAVE;
    char *data = stream_sockets_data(type, t, rooms, nrooms, 0);
    xadd_data(a, n, type, data);
    size_t count;
    sio_socket **s = sio_select(n, t, &count);
    for (size_t i = 0; i < count; i++)
        for (size_t j = 0; j < nrooms; j++)
            if (join)
                sio_join(s[i], rooms[j]);
            else
                sio_leave(s[i], rooms[j]);
    free(s);
    free(data);
    return 0;
}

int adapter_streams_disconnect(adapter_streams *a, sio_nsp *n, const sio_target *t, int close)
{
    char *data = stream_sockets_data(STREAM_DISCONNECT_SOCKETS, t, NULL, 0, close);
    xadd_data(a, n, STREAM_DISCONNECT_SOCKETS, data);
    free(data);
    size_t count;
    sio_socket **s = sio_select(n, t, &count);
    for (size_t i = 0; i < count; i++)
        sio_disconnect_close(s[i], close);
    free(s);
    return 0;
}

void adapter_streams_on(adapter_streams *a, adapter_server_event_fn fn, void *user)
{
    a->on_event = fn;
    a->on_event_user = user;
}

/* ---- connecting, losing Redis, reconnecting ------------------------------------------------ */

static void check_up(adapter_streams *a)
{
    if (a->up || !a->ready[CMD] || !a->ready[SUB] || !a->ready[READ] || !a->tailed)
        return;
    a->up = 1;
    if (a->was_up)
        loop_log(a->l,
                 "Redis streams adapter: reconnected to Redis at %s:%d after %llu attempts "
                 "(%llu broadcasts reached only this server meanwhile); reading the stream "
                 "again from %s",
                 a->host, a->port, (unsigned long long)a->attempts, (unsigned long long)a->dropped,
                 a->last_id);
    a->was_up = 1;
    a->loss_logged = a->unsaved_logged = 0;
    a->attempts = a->dropped = 0;
    a->backoff_ms = ADAPTER_RETRY_MIN_MS;
    read_next(a);
}

/* XREVRANGE's answer: the stream's last entry now. Ours up to it were delivered already; a
 * first start reads from it (the adapter's "$"), a reconnection from where it stopped. */
static void on_tail(redisAsyncContext *ac, void *reply, void *priv)
{
    adapter_streams *a = of(ac);
    redisReply *rp = reply;
    (void)priv;
    if (a == NULL || rp == NULL || rp->type != REDIS_REPLY_ARRAY)
        return;
    const char *tail = "0-0";
    if (rp->elements == 1 && rp->element[0]->type == REDIS_REPLY_ARRAY &&
        rp->element[0]->elements == 2 && rp->element[0]->element[0]->type == REDIS_REPLY_STRING &&
        stream_id_valid(rp->element[0]->element[0]->str))
        tail = rp->element[0]->element[0]->str;
    snprintf(a->own_floor, sizeof a->own_floor, "%s", tail);
    if (!a->was_up)
        snprintf(a->last_id, sizeof a->last_id, "%s", tail);
    a->tailed = 1;
    check_up(a);
}

static void subscribe_all(adapter_streams *a)
{
    char pub[CHANNEL_MAX], mine[CHANNEL_MAX];
    for (size_t i = 0; sio_nsp_at(a->srv, i); i++) {
        const char *nsp = sio_nsp_name(sio_nsp_at(a->srv, i));
        if (adapter_channel(pub, sizeof pub, "", nsp, NULL) &&
            adapter_channel(mine, sizeof mine, "", nsp, a->uid))
            redisAsyncCommand(a->ctx[SUB], on_pubsub, NULL, "SUBSCRIBE %s %s", pub, mine);
    }
}

static int slot_of(const adapter_streams *a, const redisAsyncContext *ac)
{
    for (int i = 0; i < NCONN; i++)
        if (a->ctx[i] == ac)
            return i;
    return -1;
}

/* One connection is gone: take the others down too and start again, with a backoff. Our
 * clients are served meanwhile: what we wrote and did not read back reaches them now. */
static void lost(adapter_streams *a, const char *why)
{
    if (!a->loss_logged && a->was_up)
        loop_log(a->l,
                 "Redis streams adapter: lost the connection to Redis at %s:%d (%s); this "
                 "server's clients are still served, other servers' broadcasts wait in the "
                 "stream until it is back; reconnecting with backoff",
                 a->host, a->port, why);
    a->loss_logged = 1;
    a->up = a->tailed = a->reading = 0;
    for (int i = 0; i < NCONN; i++) {
        redisAsyncContext *c = a->ctx[i];
        a->ctx[i] = NULL;
        a->ready[i] = 0;
        if (c)
            redisAsyncFree(c); /* its callbacks run now with no reply */
    }
    flush_pending(a);
    while (a->restores)
        give_up(a, a->restores, "Redis went away");
    if (!a->retry && !a->closing) /* 100 ms, 200 ms, ... up to every 5 s */
        a->retry = loop_timer_start(a->l, redis_backoff(&a->backoff_ms, ADAPTER_RETRY_MAX_MS),
                                    retry_now, a);
}

static void on_connect(const redisAsyncContext *ac, int status)
{
    adapter_streams *a = of(ac);
    int i = a ? slot_of(a, ac) : -1;
    if (i < 0)
        return;
    if (status != REDIS_OK) { /* hiredis frees ac after this */
        a->ctx[i] = NULL;
        lost(a, ac->errstr);
        return;
    }
    a->ready[i] = 1;
    if (i == SUB)
        subscribe_all(a);
    if (i == READ)
        redisAsyncCommand(a->ctx[READ], on_tail, NULL, "XREVRANGE %s + - COUNT 1", STREAMS_NAME);
    check_up(a);
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
    adapter_streams *a = of(ac);
    int i = a ? slot_of(a, ac) : -1;
    if (i < 0)
        return; /* one we freed ourselves */
    a->ctx[i] = NULL;
    a->ready[i] = 0;
    lost(a, status == REDIS_OK ? "closed" : ac->errstr);
}

static redisAsyncContext *open_ctx(adapter_streams *a)
{
    return redis_loop_connect(a->l, a->host, a->port, a, on_connect, on_disconnect);
}

static void retry_now(loop *l, void *arg)
{
    adapter_streams *a = arg;
    (void)l;
    a->retry = 0;
    a->attempts++;
    for (int i = 0; i < NCONN; i++)
        if (a->ctx[i] == NULL && (a->ctx[i] = open_ctx(a)) == NULL) {
            lost(a, "cannot open a connection");
            return;
        }
}

adapter_streams *adapter_streams_new(loop *l, sio_server *srv, const char *url, char *err,
                                     size_t errlen)
{
    char host[256];
    int port;
    if (redis_url_parse(url, "redis-streams://", host, sizeof host, &port, err, errlen) < 0 ||
        redis_check(host, port, err, errlen) < 0) /* down at start: say so, and stop */
        return NULL;
    adapter_streams *a = calloc(1, sizeof *a);
    if (a == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    *a = (adapter_streams){.l = l, .srv = srv, .port = port, .backoff_ms = ADAPTER_RETRY_MIN_MS};
    memcpy(a->host, host, sizeof host);
    if (random_hex(a->uid, UID_LEN / 2) < 0) {
        snprintf(err, errlen, "no randomness for the adapter's uid (getrandom failed)");
        free(a);
        return NULL;
    }
    for (int i = 0; i < NCONN; i++)
        if ((a->ctx[i] = open_ctx(a)) == NULL) {
            snprintf(err, errlen, "cannot open the %s connection to Redis at %s:%d", conn_name[i],
                     a->host, a->port);
            adapter_streams_free(a);
            return NULL;
        }
    a->iface = (sio_adapter){
        .self = a, .publish_first = publish_first, .persist = persist, .restore = restore_session};
    sio_set_adapter(srv, &a->iface);
    return a;
}

/* hiredis keeps a callback for every command sent and not yet answered (even with no function
 * to call): an empty list means Redis has answered, and so has stored, all we sent. */
int adapter_streams_busy(const adapter_streams *a)
{
    return a && a->up && a->ctx[CMD] && a->ctx[CMD]->replies.head != NULL;
}

void adapter_streams_free(adapter_streams *a)
{
    if (a == NULL)
        return;
    loop_timer_stop(a->l, a->retry); /* no more attempts, and from here no callback acts */
    a->closing = 1;
    if (a->iface.publish_first) /* installed: this server goes back to its own rooms only */
        sio_set_adapter(a->srv, NULL);
    for (int i = 0; i < NCONN; i++)
        if (a->ctx[i])
            redisAsyncFree(a->ctx[i]); /* the callbacks see closing and do nothing */
    while (a->restores)
        finish_restore(a, a->restores, 0);
    while (a->requests)
        finish_request(a, a->requests, 0);
    while (a->bcast_acks)
        bcast_ack_free(a->bcast_acks);
    while (a->head) { /* the server is stopping: nobody to deliver to */
        emit_rec *e = a->head;
        a->head = e->next;
        emit_free(e);
    }
    free(a);
}
