/*
 * eio_session.c - an Engine.IO session's life (see eio_server.h): its random sid, the queue of
 * packets waiting for a polling GET, the packets it receives on either transport, the upgrade
 * from polling to WebSocket, the heartbeat, and closing.
 *
 * A session outlives TCP connections: it points at the connection holding its GET, or at its
 * WebSocket, never owns one. Closing it tells the layer above (on_close, with the reason),
 * unlinks it at once and frees it on the next heartbeat tick, after every callback that might
 * still hold a pointer to it has returned.
 */
#include "eio_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

static void heartbeat_fired(loop *l, void *arg);

/* ---------------------------------------------------------------------------------------- */
/* finding, opening, closing                                                                 */

/* The sid table: sids are random, so a few bits of FNV-1a spread them evenly. Finding a
 * session costs the same with 10 sessions or 10,000 (a list would be walked per request). */
static uint32_t sid_hash(const char *sid, size_t len)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (uint8_t)sid[i]) * 16777619u;
    return h;
}

eio_session *eio_session_find(eio_server *srv, const char *sid, size_t len)
{
    if (len != TOKEN_LEN || srv->nbuckets == 0)
        return NULL;
    for (eio_session *s = srv->table[sid_hash(sid, len) & (srv->nbuckets - 1)]; s; s = s->hnext)
        if (memcmp(s->sid, sid, len) == 0)
            return s;
    return NULL;
}

/* Put s in the sid table, doubling the table when it holds as many sessions as buckets. */
static int table_insert(eio_server *srv, eio_session *s)
{
    if (srv->nsessions + 1 > srv->nbuckets) {
        size_t nb = srv->nbuckets ? srv->nbuckets * 2 : 64;
        eio_session **t = calloc(nb, sizeof *t);
        if (t == NULL)
            return -1;
        for (size_t i = 0; i < srv->nbuckets; i++)
            for (eio_session *it = srv->table[i], *next; it; it = next) {
                next = it->hnext;
                size_t b = sid_hash(it->sid, TOKEN_LEN) & (nb - 1);
                it->hnext = t[b];
                t[b] = it;
            }
        free(srv->table);
        srv->table = t;
        srv->nbuckets = nb;
    }
    eio_session **head = &srv->table[sid_hash(s->sid, TOKEN_LEN) & (srv->nbuckets - 1)];
    s->hnext = *head;
    *head = s;
    srv->nsessions++;
    return 0;
}

static void table_remove(eio_server *srv, eio_session *s)
{
    eio_session **pp = &srv->table[sid_hash(s->sid, TOKEN_LEN) & (srv->nbuckets - 1)];
    while (*pp != s)
        pp = &(*pp)->hnext;
    *pp = s->hnext;
    srv->nsessions--;
}

/* May ec's request open one more session? 0, or -1 with the reason (logged) in err. */
static int session_allowed(eio_server *srv, eio_conn *ec, char *err, size_t errlen)
{
    if (srv->nsessions >= srv->cfg.max_sessions)
        snprintf(err, errlen, "server busy: %zu sessions are open (--max-sessions)",
                 srv->nsessions);
    else if (ec->handshakes >= srv->cfg.max_handshakes)
        snprintf(err, errlen,
                 "%u handshakes on one connection (--max-handshakes); open a new connection",
                 ec->handshakes);
    else
        return 0;
    eio_log(srv, "%s refused a session with HTTP 503: %s", conn_peer(ec->c), err);
    return -1;
}

/* A new session for a request from ec's peer. NULL when it cannot be: err says why. */
eio_session *eio_session_new(eio_server *srv, const eio_mount *m, eio_conn *ec, char *err,
                             size_t errlen)
{
    if (session_allowed(srv, ec, err, errlen) < 0)
        return NULL;
    eio_session *s = calloc(1, sizeof *s);
    if (s == NULL) {
        snprintf(err, errlen, "out of memory for a new session");
        return NULL;
    }
    if (token_random(s->sid, err, errlen) < 0) { /* never a guessable sid */
        free(s);
        return NULL;
    }
    s->srv = srv;
    s->m = m;
    s->heartbeat = srv->l ? loop_timer_start(srv->l, srv->cfg.ping_interval_ms, heartbeat_fired, s)
                          : 0; /* the first ping */
    if (s->heartbeat == 0) {
        snprintf(err, errlen, "server busy: no timer left for another session's heartbeat");
        free(s);
        return NULL;
    }
    if (table_insert(srv, s) < 0) {
        snprintf(err, errlen, "out of memory for a new session");
        loop_timer_stop(srv->l, s->heartbeat);
        free(s);
        return NULL;
    }
    ec->handshakes++;
    snprintf(s->peer, sizeof s->peer, "%s", conn_peer(ec->c));
    s->next = srv->sessions;
    if (s->next)
        s->next->prev = s;
    srv->sessions = s;
    return s;
}

/* The open packet: 0{"sid":..,"upgrades":[..],"pingInterval":..,"pingTimeout":..,"maxPayload":..}
 */
char *eio_open_json(const eio_session *s, int offer_upgrade)
{
    const eio_config *c = &s->srv->cfg;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "sid", s->sid);
    cJSON *up = cJSON_AddArrayToObject(o, "upgrades");
    if (offer_upgrade)
        cJSON_AddItemToArray(up, cJSON_CreateString("websocket"));
    cJSON_AddNumberToObject(o, "pingInterval", c->ping_interval_ms);
    cJSON_AddNumberToObject(o, "pingTimeout", c->ping_timeout_ms);
    cJSON_AddNumberToObject(o, "maxPayload", (double)c->max_payload);
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return text;
}

/*
 * Close a session. client_asked: the client sent "1" (a held GET is ended with noop, as
 * engine.io does); otherwise a held GET gets "1" so the client learns the session is over.
 */
void eio_session_close(eio_session *s, const char *reason, int client_asked)
{
    if (s->closed) {
        if (s->linger) /* closed again while it waits for its GET: the server shutting down */
            eio_session_forget(s);
        return;
    }
    s->closed = 1;
    if (s->heartbeat && s->srv->l) /* (one that fired already is a harmless no-op) */
        loop_timer_stop(s->srv->l, s->heartbeat);
    s->heartbeat = 0;
    eio_trace(s->srv, "%s closed: %s", s->sid, reason);
    if (s->poll_get)
        eio_answer_get(s, client_asked ? "6" : "1", 1);
    /* RFC 6455 7.4.1: 1001 when the server is going down; otherwise, as engine.io (ws's
     * close() without arguments), a close frame with no status code: the client sees 1005 */
    int going_away = s->srv->stopping;
    eio_conn *conns[2] = {s->ws, s->probe};
    for (int i = 0; i < 2; i++) {
        if (conns[i] == NULL)
            continue;
        conns[i]->sess = NULL;
        eio_ws_close_conn(conns[i], going_away ? WS_CLOSE_GOING_AWAY : WS_CLOSE_NO_STATUS, "");
    }
    s->ws = s->probe = NULL;
    if (!s->linger) /* (before on_close: closing s again from there forgets it only once) */
        eio_session_forget(s);
    if (s->m->h.on_close)
        s->m->h.on_close(s, reason, s->m->user);
}

/* Take a closed session out of the sid table and the list of sessions (a GET for its sid now
 * gets 400 "Session ID unknown"); it is freed on the next tick. */
void eio_session_forget(eio_session *s)
{
    eio_server *srv = s->srv;
    if (s->linger && srv->l)
        loop_timer_stop(srv->l, s->linger);
    s->linger = 0;
    table_remove(srv, s);
    if (s->prev)
        s->prev->next = s->next;
    else
        srv->sessions = s->next;
    if (s->next)
        s->next->prev = s->prev;
    s->next = srv->dead;
    s->prev = NULL;
    srv->dead = s;
}

static void linger_fired(loop *l, void *arg)
{
    eio_session *s = arg;
    (void)l;
    s->linger = 0; /* (fired: nothing to stop) */
    eio_trace(s->srv, "%s: no GET came for the close packet within %d ms; forgotten", s->sid,
              EIO_CLOSE_TIMEOUT_MS);
    eio_session_forget(s);
}

/*
 * The server ends a session (the layer above asked: engine.io's socket.close()). On polling
 * with no GET held, engine.io's polling transport (doClose) cannot send the close packet yet:
 * it keeps the session, and the next GET for its sid gets the close packet (after a noop:
 * "6\x1e1"); if none comes within closeTimeout (30 s), it forgets it. So do we: the session
 * stays in the sid table (and counts against --max-sessions) on a one-shot timer. Closes of
 * the Engine.IO layer itself (ping timeout, a transport or parse error) forget at once, as
 * engine.io's onClose() does.
 */
static void session_end(eio_session *s, const char *reason)
{
    eio_server *srv = s->srv;
    if (!s->closed && !s->websocket && !s->probe && !s->poll_get && !srv->stopping && srv->l)
        s->linger = loop_timer_start(srv->l, EIO_CLOSE_TIMEOUT_MS, linger_fired, s);
    eio_session_close(s, reason, 0); /* (no timer left: forgotten at once) */
}

void eio_session_free(eio_session *s)
{
    for (size_t i = 0; i < s->nqueue; i++)
        free(s->queue[i]);
    free(s->queue);
    free(s);
}

/* ---------------------------------------------------------------------------------------- */
/* packets to the client                                                                     */

/* Append a packet to the polling queue. Returns 0 or -1 (out of memory). */
static int enqueue(eio_session *s, eio_type type, int binary, const void *d, size_t len)
{
    if (s->nqueue == s->capqueue) {
        size_t ncap = s->capqueue ? s->capqueue * 2 : 8;
        eio_out **q = realloc(s->queue, ncap * sizeof *q);
        if (q == NULL)
            return -1;
        s->queue = q;
        s->capqueue = ncap;
    }
    eio_out *p = malloc(sizeof *p + len + 1);
    if (p == NULL)
        return -1;
    p->type = type;
    p->binary = binary;
    p->len = len;
    if (len)
        memcpy(p->data, d, len);
    s->queue[s->nqueue++] = p;
    s->queued += len;
    return 0;
}

static void doomed_fired(loop *l, void *arg)
{
    eio_server *srv = arg;
    (void)l;
    srv->doom_timer = 0;
    eio_close_doomed(srv);
}

/*
 * Close s as soon as it is safe: a limit can bite in the middle of a broadcast (a room being
 * walked), where closing at once would take its sockets out of that very room. Until then
 * nothing more is sent to it; the next callback's end (or heartbeat tick) closes it.
 */
void eio_session_doom(eio_session *s, const char *reason)
{
    if (s->doomed || s->closed)
        return;
    s->doomed = reason;
    s->next_doomed = s->srv->doomed;
    s->srv->doomed = s;
    if (s->srv->doom_timer == 0 && s->srv->l) /* the next round, whoever called us */
        s->srv->doom_timer = loop_timer_start(s->srv->l, 0, doomed_fired, s->srv);
}

void eio_close_doomed(eio_server *srv)
{
    while (srv->doomed) {
        eio_session *s = srv->doomed;
        srv->doomed = s->next_doomed;
        eio_session_close(s, s->doomed, 0);
    }
    if (srv->doom_timer && srv->l) { /* nothing left for it to do */
        loop_timer_stop(srv->l, srv->doom_timer);
        srv->doom_timer = 0;
    }
}

/* Would len more bytes put s over max_queue (its client is not taking what we send)? Then
 * cut it, with a line in the log, and say so (1). 1 also when s is closed or doomed. */
int eio_session_over_limit(eio_session *s, size_t len)
{
    eio_server *srv = s->srv;
    if (s->closed || s->doomed)
        return 1;
    size_t pending = eio_pending(s);
    if (pending + len <= srv->cfg.max_queue)
        return 0;
    eio_log(srv,
            "%s (%s) cut: %zu bytes wait for it and %zu more would pass --max-queue %zu; its "
            "client is not reading (a polling client must keep a GET open)",
            s->sid, s->peer, pending, len, srv->cfg.max_queue);
    if (s->websocket && s->ws) { /* drop what is queued: it would never be read */
        s->ws->cut = "transport error: send buffer over --max-queue";
        conn_abort(s->ws->c, s->ws->cut);
    }
    eio_session_doom(s, "transport error: outgoing queue over --max-queue");
    return 1;
}

/* Queue a packet for the next GET, or write it on the WebSocket. Returns 0, or -1 when the
 * session is (now) closed: a packet that cannot be queued closes it ("out of memory") rather
 * than leave the client waiting for something that will never come. */
int eio_session_push(eio_session *s, eio_type type, int binary, const void *d, size_t len)
{
    if (eio_session_over_limit(s, len))
        return -1;
    if (s->websocket && s->ws) { /* (a WebSocket that fails closes through the loop's on_close) */
        if (binary) {
            eio_trace_packet(s, "->", 1, d, len);
            eio_ws_send(s->ws, WS_OP_BINARY, d, len);
        } else {
            eio_ws_send_text(s, s->ws, type, d, len);
        }
        return 0;
    }
    int rc = enqueue(s, type, binary, d, len);
    if (rc == 0 && s->poll_get)
        rc = eio_answer_get(s, NULL, 0);
    if (rc < 0)
        eio_session_doom(s, "out of memory");
    return rc;
}

/* ---------------------------------------------------------------------------------------- */
/* packets from the client, on either transport                                             */

static void complete_upgrade(eio_session *s)
{
    s->websocket = 1;
    s->ws = s->probe;
    s->probe = NULL;
    eio_trace(s->srv, "%s upgraded to websocket", s->sid);
    if (s->poll_get)
        eio_answer_get(s, "6", 1);
    /* whatever waited for a GET now goes over the WebSocket, in order */
    size_t n = s->nqueue;
    eio_out **q = s->queue;
    s->queue = NULL;
    s->nqueue = s->capqueue = 0;
    s->queued = 0;
    for (size_t i = 0; i < n; i++) {
        eio_session_push(s, q[i]->type, q[i]->binary, q[i]->data, q[i]->len);
        free(q[i]);
    }
    free(q);
}

/* A packet on the WebSocket being probed: only the upgrade's "2probe" and "5" mean anything. */
static void probe_packet(eio_session *s, eio_conn *from, const eio_packet *p)
{
    if (p->type == EIO_PING && p->len == 5 && memcmp(p->data, "probe", 5) == 0) {
        eio_ws_send_text(s, from, EIO_PONG, "probe", 5);
        s->upgrading = 1;
        if (s->poll_get && s->nqueue == 0)
            eio_answer_get(s, "6", 1); /* noop: end the held GET so the client can switch */
    } else if (p->type == EIO_UPGRADE) {
        complete_upgrade(s);
    }
}

void eio_session_packet(eio_session *s, eio_conn *from, const eio_packet *p)
{
    if (s->closed)
        return;
    if (from && from == s->probe) {
        probe_packet(s, from, p);
        return;
    }
    switch (p->type) {
    case EIO_PING: /* in Engine.IO v4 only the server pings (a probe's "2probe" aside) */
        eio_session_close(s, "transport error", 0); /* engine.io: "invalid heartbeat direction" */
        break;
    case EIO_PONG: /* alive: the next ping pingInterval from now */
        if (s->heartbeat)
            loop_timer_stop(s->srv->l, s->heartbeat);
        s->awaiting_pong = 0;
        eio_heartbeat_start(s, s->srv->cfg.ping_interval_ms);
        break;
    case EIO_MESSAGE:
        if (s->m->h.on_message)
            s->m->h.on_message(s, p->binary, p->data, p->len, s->m->user);
        break;
    case EIO_CLOSE:
        eio_session_close(s, "transport close", 1);
        break;
    case EIO_OPEN:    /* only servers send it; engine.io ignores it, and so do we */
    case EIO_UPGRADE: /* an upgrade on a transport that is not a probe: ignore */
    case EIO_NOOP:
        break;
    }
}

/* ---------------------------------------------------------------------------------------- */
/* the heartbeat                                                                             */

/*
 * The heartbeat of one session, on a timer of its own with an exact deadline (the loop's
 * min-heap): pingInterval after the handshake (or the last pong) the server pings; if no pong
 * has come pingTimeout later, the session is over ("ping timeout"), at that moment, not at the
 * next tick of some periodic check.
 */
static void heartbeat_fired(loop *l, void *arg)
{
    eio_session *s = arg;
    (void)l;
    s->heartbeat = 0;
    if (s->awaiting_pong) {
        eio_session_close(s, "ping timeout", 0);
    } else {
        s->awaiting_pong = 1;
        if (eio_heartbeat_start(s, s->srv->cfg.ping_timeout_ms) == 0)
            eio_session_push(s, EIO_PING, 0, NULL, 0);
    }
    eio_close_doomed(s->srv);
}

/* (Re)arm s's heartbeat timer ms from now: 0, or -1 when the loop has no timer left (then the
 * session is closed: a session nobody watches could hold its resources forever). */
int eio_heartbeat_start(eio_session *s, uint64_t ms)
{
    s->heartbeat = s->srv->l ? loop_timer_start(s->srv->l, ms, heartbeat_fired, s) : 0;
    if (s->heartbeat)
        return 0;
    eio_session_doom(s, "server busy: no timer left for the heartbeat");
    return -1;
}

/* Every 100 ms: end upgrading GETs with noop, the layer above's tick, free the dead. */
void eio_heartbeat(loop *l, void *arg)
{
    eio_server *srv = arg;
    uint64_t now = loop_now_ms();
    (void)l;
    eio_close_doomed(srv);
    for (eio_session *s = srv->sessions, *next; s; s = next) {
        next = s->next;
        if (s->upgrading && s->poll_get && s->nqueue == 0)
            eio_answer_get(s, "6", 1);
    }
    if (srv->tick_fn)
        srv->tick_fn(now, srv->tick_user);
    eio_close_doomed(srv); /* before the dead are freed: none may stay on the doomed list */
    while (srv->dead) {
        eio_session *s = srv->dead;
        srv->dead = s->next;
        eio_session_free(s);
    }
}

/* ---------------------------------------------------------------------------------------- */
/* the public API of a session                                                               */

int eio_send(eio_session *s, int binary, const uint8_t *data, size_t len)
{
    return eio_session_push(s, EIO_MESSAGE, binary, data, len);
}

size_t eio_pending(const eio_session *s)
{
    if (s->websocket)
        return s->ws ? conn_pending(s->ws->c) : 0;
    return s->queued;
}

void eio_close(eio_session *s)
{
    session_end(s, "forced close");
}

void eio_close_reason(eio_session *s, const char *reason)
{
    session_end(s, reason);
}

void eio_drop(eio_session *s)
{
    eio_session_close(s, "transport error", 0);
}

void eio_close_later(eio_session *s, const char *reason)
{
    eio_session_doom(s, reason);
}

const char *eio_sid(const eio_session *s)
{
    return s->sid;
}

const char *eio_transport(const eio_session *s)
{
    return s->websocket ? "websocket" : "polling";
}

const char *eio_peer(const eio_session *s)
{
    return s->peer;
}

int eio_is_open(const eio_session *s)
{
    return !s->closed;
}

void eio_set_user(eio_session *s, void *user)
{
    s->user = user;
}

void *eio_user(const eio_session *s)
{
    return s->user;
}
