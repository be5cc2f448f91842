/*
 * sio_server.c - Socket.IO namespaces and sockets, the public API (see sio_server.h).
 *
 * One sio_client per Engine.IO session; it holds one sio_socket per namespace the client has
 * CONNECTed to. This file turns Engine.IO's session events into clients (on_engine_open,
 * on_engine_message, on_engine_close), connects and disconnects sockets, and holds the
 * namespaces' handlers. Receiving, emitting, rooms and recovery each have a file of their own
 * (sio_internal.h lists them).
 */
#include "sio_adapter.h"
#include "sio_internal.h"
#include "sio_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *sio_dupstr(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

sio_nsp *sio_find_nsp(sio_server *srv, const char *name, size_t len)
{
    for (size_t i = 0; i < srv->nnsps; i++)
        if (strlen(srv->nsps[i]->name) == len && memcmp(srv->nsps[i]->name, name, len) == 0)
            return srv->nsps[i];
    return NULL;
}

sio_socket *sio_client_socket(sio_client *c, const sio_nsp *n)
{
    for (sio_socket *s = c->sockets; s; s = s->next_in_client)
        if (s->nsp == n)
            return s;
    return NULL;
}

static void connect_reply(sio_socket *s)
{
    char json[2 * TOKEN_LEN + 32]; /* ids are base64url: nothing in them needs escaping */
    if (s->nsp->log)               /* the private id the client sends back to recover this socket */
        snprintf(json, sizeof json, "{\"sid\":\"%s\",\"pid\":\"%s\"}", s->id, s->pid);
    else
        snprintf(json, sizeof json, "{\"sid\":\"%s\"}", s->id);
    sio_send_packet(s->client, SIO_CONNECT, s->nsp, -1, json, NULL, 0);
}

/* The socket's id and pid: the saved ones of a recovered socket, else fresh random tokens. */
static int socket_ids(sio_socket *s, const sio_saved *ss, char *err, size_t errlen)
{
    if (ss) {
        memcpy(s->id, ss->id, sizeof s->id);
        memcpy(s->pid, ss->pid, sizeof s->pid);
        return 0;
    }
    if (token_random(s->id, err, errlen) < 0 || token_random(s->pid, err, errlen) < 0)
        return -1;
    return 0;
}

/* Refuse a CONNECT the server cannot serve: CONNECT_ERROR {"message":why} (the client's
 * connect_error event), instead of leaving the client waiting for an answer. */
static void refuse_connect(sio_client *c, const sio_nsp *n, const char *why)
{
    char msg[512], json[600];
    if (sio_json_quote(why, strlen(why), msg, sizeof msg) == 0)
        snprintf(msg, sizeof msg, "\"server error\"");
    snprintf(json, sizeof json, "{\"message\":%s}", msg);
    if (sio_send_packet(c, SIO_CONNECT_ERROR, n, -1, json, NULL, 0) < 0)
        eio_close_reason(c->eio, why);
}

static void link_socket(sio_client *c, sio_nsp *n, sio_socket *s)
{
    s->nsp = n;
    s->client = c;
    s->next_in_client = c->sockets;
    c->sockets = s;
    s->next_in_nsp = n->sockets;
    if (n->sockets)
        n->sockets->prev_in_nsp = s;
    n->sockets = s;
    n->nsockets++;
    c->connect_deadline = 0;
}

/* A new socket of c in n with the CONNECT payload auth, and the ids of ss (or fresh ones);
 * NULL after refusing the CONNECT (out of memory, no randomness). */
static sio_socket *new_socket(sio_client *c, sio_nsp *n, const char *auth, size_t len,
                              const sio_saved *ss)
{
    char err[128] = "out of memory";
    sio_socket *s = calloc(1, sizeof *s);
    if (s && (s->auth = malloc(len ? len + 1 : 3)) != NULL) /* as socket.io: the whole auth */
        snprintf(s->auth, len ? len + 1 : 3, "%.*s", len ? (int)len : 2, len ? auth : "{}");
    if (s == NULL || s->auth == NULL || socket_ids(s, ss, err, sizeof err) < 0) {
        if (s)
            free(s->auth);
        free(s);
        refuse_connect(c, n, err);
        return NULL;
    }
    link_socket(c, n, s);
    sio_join(s, s->id);
    for (size_t i = 0; ss && i < ss->nrooms; i++)
        sio_join(s, ss->rooms[i]);
    connect_reply(s);
    return s;
}

/* Does the adapter keep the sessions (sio_adapter.h: restore)? Then hand it the CONNECT: 1
 * when it will answer later with sio_restore_done. */
static int adapter_restore(sio_client *c, sio_nsp *n, const char *auth, size_t len)
{
    const sio_adapter *a = n->srv->adapter;
    char pid[TOKEN_LEN + 8], offset[64];
    if (a == NULL || a->restore == NULL || !n->srv->cfg.recovery ||
        !sio_auth_string(auth, len, "pid", pid, sizeof pid) ||
        !sio_auth_string(auth, len, "offset", offset, sizeof offset))
        return 0;
    sio_pending *p = calloc(1, sizeof *p);
    if (p == NULL || (p->auth = malloc(len + 1)) == NULL) {
        free(p);
        return 0;
    }
    memcpy(p->auth, auth, len);
    p->auth[len] = '\0';
    p->len = len;
    p->c = c;
    p->n = n;
    p->next = c->pending;
    c->pending = p;
    if (a->restore(a->self, p, pid, offset) == 0)
        return 1;
    c->pending = p->next;
    free(p->auth);
    free(p);
    return 0;
}

void sio_connect_socket(sio_client *c, sio_nsp *n, const char *auth, size_t len)
{
    uint64_t offset = 0;
    if (adapter_restore(c, n, auth, len))
        return;
    const sio_adapter *a = n->srv->adapter;
    sio_saved *ss = a && a->restore ? NULL : sio_try_recover(n, auth, len, &offset);
    if (ss && !sio_replay_possible(n, offset)) { /* never a partial replay: connect as new */
        sio_saved_free(ss);
        ss = NULL;
    }
    sio_socket *s = new_socket(c, n, auth, len, ss);
    if (s && ss) {
        sio_replay(s, ss, offset);
        s->recovered = 1;
    }
    if (ss)
        sio_saved_free(ss);
    if (s && n->on_conn)
        n->on_conn(s, n->conn_user);
}

void sio_restore_done(sio_pending *p, const sio_restored *r)
{
    sio_client *c = p->c;
    for (sio_pending **pp = c ? &c->pending : NULL; pp && *pp; pp = &(*pp)->next)
        if (*pp == p) {
            *pp = p->next;
            break;
        }
    sio_saved ss = {.nrooms = r ? r->nrooms : 0, .rooms = r ? (char **)r->rooms : NULL};
    if (r && (strlen(r->sid) > TOKEN_LEN || strlen(r->pid) > TOKEN_LEN))
        r = NULL; /* not ids we could have handed out: connect as new */
    if (r) {
        snprintf(ss.id, sizeof ss.id, "%s", r->sid);
        snprintf(ss.pid, sizeof ss.pid, "%s", r->pid);
    }
    sio_socket *s = c && sio_client_socket(c, p->n) == NULL
                        ? new_socket(c, p->n, p->auth, p->len, r ? &ss : NULL)
                        : NULL;
    for (size_t i = 0; s && r && i < r->nmissed; i++)
        sio_send_packet(c, r->missed[i].nbins ? SIO_BINARY_EVENT : SIO_EVENT, p->n, -1,
                        r->missed[i].json, r->missed[i].bins, r->missed[i].nbins);
    if (s) {
        s->recovered = r != NULL;
        if (p->n->on_conn)
            p->n->on_conn(s, p->n->conn_user);
    }
    free(p->auth);
    free(p);
}

sio_nsp *sio_pending_nsp(const sio_pending *p)
{
    return p->n;
}

static void unlink_socket(sio_socket *s)
{
    sio_nsp *n = s->nsp;
    sio_client *c = s->client;
    for (sio_socket **pp = &c->sockets; *pp; pp = &(*pp)->next_in_client)
        if (*pp == s) {
            *pp = s->next_in_client;
            break;
        }
    if (s->prev_in_nsp)
        s->prev_in_nsp->next_in_nsp = s->next_in_nsp;
    else
        n->sockets = s->next_in_nsp;
    if (s->next_in_nsp)
        s->next_in_nsp->prev_in_nsp = s->prev_in_nsp;
    n->nsockets--;
    s->client = NULL; /* from here on, emits to s return SIO_E_CLOSED */
}

/*
 * Take s out of everything, in socket.io's order: "disconnecting" (s still in its rooms),
 * remember it if it may come back, leave every room, unlink it, "disconnect" (rooms left).
 */
void sio_disconnect_socket(sio_socket *s, const char *reason)
{
    sio_nsp *n = s->nsp;
    if (n->on_discing)
        n->on_discing(s, reason, n->discing_user);
    const sio_adapter *ad = n->srv->adapter;
    /* "server shutting down" is recoverable too: with sessions in Redis, a server that stops
     * hands its sockets to the others, whose clients reconnect there and recover. */
    if (n->srv->cfg.recovery && sio_recoverable(reason)) {
        if (ad && ad->persist) /* the adapter keeps it (in Redis), for any server */
            ad->persist(ad->self, s);
        else if (n->log)
            sio_save_session(s);
    }
    sio_leave_all(s);
    unlink_socket(s);
    if (n->on_disc)
        n->on_disc(s, reason, n->disc_user);
    while (s->acks) {
        pending_ack *a = s->acks;
        s->acks = a->next;
        free(a);
    }
    free(s->auth);
    free(s);
}

void sio_disconnect(sio_socket *s)
{
    sio_client *c = s->client;
    sio_send_packet(c, SIO_DISCONNECT, s->nsp, -1, NULL, NULL, 0);
    sio_disconnect_socket(s, "server namespace disconnect");
}

void sio_server_drop(sio_socket *s)
{
    if (s->client)
        eio_drop(s->client->eio);
}

static void on_engine_open(eio_session *e, void *user)
{
    sio_server *srv = user;
    sio_client *c = calloc(1, sizeof *c);
    if (c == NULL) {
        eio_close_reason(e, "out of memory for a Socket.IO client");
        return;
    }
    c->srv = srv;
    c->eio = e;
    c->connect_deadline = loop_now_ms() + srv->cfg.connect_timeout_ms;
    c->next = srv->clients;
    if (c->next)
        c->next->prev = c;
    srv->clients = c;
    eio_set_user(e, c);
}

static void on_engine_message(eio_session *e, int binary, const uint8_t *data, size_t len,
                              void *user)
{
    sio_client *c = eio_user(e);
    (void)user;
    if (c == NULL)
        return;
    if (binary)
        sio_on_attachment(c, data, len);
    else
        sio_on_text(c, data, len);
}

static void on_engine_close(eio_session *e, const char *reason, void *user)
{
    sio_server *srv = user;
    sio_client *c = eio_user(e);
    if (c == NULL)
        return;
    while (c->sockets)
        sio_disconnect_socket(c->sockets, reason);
    for (sio_pending *p = c->pending; p; p = p->next)
        p->c = NULL; /* the adapter still holds it: sio_restore_done frees it */
    sio_binary_reset(c);
    if (c->prev)
        c->prev->next = c->next;
    else
        srv->clients = c->next;
    if (c->next)
        c->next->prev = c->prev;
    eio_set_user(e, NULL);
    free(c);
}

/* Every heartbeat tick: connect timeouts, and forgetting dropped sockets past the window. */
static void on_tick(uint64_t now, void *user)
{
    sio_server *srv = user;
    for (sio_client *c = srv->clients, *next; c; c = next) {
        next = c->next;
        if (c->connect_deadline && now >= c->connect_deadline)
            eio_close_reason(c->eio, "forced server close: no CONNECT within the connect timeout");
    }
    for (sio_saved **pp = &srv->saved; *pp;) {
        sio_saved *ss = *pp;
        if (now - ss->at > srv->cfg.recovery_window_ms) {
            *pp = ss->next;
            srv->nsaved--;
            sio_saved_free(ss);
        } else {
            pp = &ss->next;
        }
    }
}

/* The trace's words for an Engine.IO payload, injected into the Engine.IO layer (which
 * knows nothing of Socket.IO): the sniffer's own description of the packet. */
static int describe(int binary, const uint8_t *data, size_t len, char *out, size_t outlen)
{
    if (binary)
        return sio_describe_binary(len, out, outlen);
    return sio_describe(data, len, out, outlen);
}

sio_server *sio_server_new(eio_server *eio, const char *path, const sio_config *cfg, char *err,
                           size_t errlen)
{
    sio_server *srv = calloc(1, sizeof *srv);
    if (srv == NULL) {
        snprintf(err, errlen, "out of memory creating the Socket.IO server");
        return NULL;
    }
    srv->eio = eio;
    srv->cfg = *cfg;
    if (!srv->cfg.connect_timeout_ms)
        srv->cfg.connect_timeout_ms = 45000;
    if (!srv->cfg.recovery_window_ms)
        srv->cfg.recovery_window_ms = 120000;
    if (!srv->cfg.recovery_capacity)
        srv->cfg.recovery_capacity = 1024;
    if (!srv->cfg.volatile_limit)
        srv->cfg.volatile_limit = 65536; /* over one coalesced batch of the loop (16 KiB) */
    if (!srv->cfg.max_rooms)
        srv->cfg.max_rooms = SIO_DEFAULT_MAX_ROOMS;
    if (!srv->cfg.max_binary)
        srv->cfg.max_binary = SIO_DEFAULT_MAX_BINARY;
    if (!srv->cfg.binary_timeout_ms)
        srv->cfg.binary_timeout_ms = SIO_DEFAULT_BINARY_TIMEOUT;
    eio_handlers h = {on_engine_open, on_engine_message, on_engine_close};
    if (eio_server_mount(eio, path, &h, srv, err, errlen) < 0) {
        free(srv);
        return NULL;
    }
    eio_server_on_tick(eio, on_tick, srv);
    eio_server_set_describe(eio, describe); /* the trace speaks Socket.IO from now on */
    return srv;
}

void sio_server_free(sio_server *srv)
{
    if (srv == NULL)
        return;
    eio_server_detach(srv->eio); /* after loop_free: its timers are gone */
    while (srv->clients)
        eio_close(srv->clients->eio);
    while (srv->saved) {
        sio_saved *ss = srv->saved;
        srv->saved = ss->next;
        srv->nsaved--;
        sio_saved_free(ss);
    }
    for (size_t i = 0; i < srv->nnsps; i++) {
        sio_nsp *n = srv->nsps[i];
        for (size_t h = 0; h < n->nhandlers; h++)
            free(n->handlers[h].name);
        ring_log_free(n->log);
        free(n->buckets); /* every room went with its last member */
        free(n->mtable);
        free(n);
    }
    free(srv);
}

sio_nsp *sio_of(sio_server *srv, const char *name)
{
    sio_nsp *n = sio_find_nsp(srv, name, strlen(name));
    if (n || srv->nnsps == SIO_MAX_NSPS || strlen(name) > SIO_MAX_NSP || name[0] != '/')
        return n;
    n = calloc(1, sizeof *n);
    if (n == NULL)
        return NULL;
    snprintf(n->name, sizeof n->name, "%s", name);
    n->srv = srv;
    if (srv->cfg.recovery) {
        n->log = ring_log_new(LOG_BYTES, srv->cfg.recovery_capacity, RING_OVERWRITE);
        if (n->log == NULL) {
            free(n);
            return NULL;
        }
    }
    srv->nsps[srv->nnsps++] = n;
    return n;
}

const char *sio_nsp_name(const sio_nsp *n)
{
    return n->name;
}

size_t sio_nsp_count(const sio_nsp *n)
{
    return n->nsockets;
}

void sio_on_connection(sio_nsp *n, sio_connection_fn fn, void *user)
{
    n->on_conn = fn;
    n->conn_user = user;
}

void sio_on_disconnect(sio_nsp *n, sio_disconnect_fn fn, void *user)
{
    n->on_disc = fn;
    n->disc_user = user;
}

void sio_on_disconnecting(sio_nsp *n, sio_disconnect_fn fn, void *user)
{
    n->on_discing = fn;
    n->discing_user = user;
}

void sio_on_adapter(sio_nsp *n, sio_adapter_fn fn, void *user)
{
    n->on_adapter = fn;
    n->adapter_user = user;
}

int sio_on(sio_nsp *n, const char *name, sio_event_fn fn, void *user)
{
    if (sio_reserved_event(name))
        return SIO_E_RESERVED;
    if (n->nhandlers == SIO_MAX_HANDLERS)
        return SIO_E_FULL;
    handler *h = &n->handlers[n->nhandlers];
    if ((h->name = sio_dupstr(name)) == NULL)
        return SIO_E_NOMEM;
    h->fn = fn;
    h->user = user;
    n->nhandlers++;
    return 0;
}

const char *sio_socket_id(const sio_socket *s)
{
    return s->id;
}

sio_nsp *sio_socket_nsp(const sio_socket *s)
{
    return s->nsp;
}

const char *sio_socket_auth(const sio_socket *s)
{
    return s->auth;
}

int sio_socket_recovered(const sio_socket *s)
{
    return s->recovered;
}

const char *sio_socket_transport(const sio_socket *s)
{
    return s->client ? eio_transport(s->client->eio) : "closed";
}

void sio_socket_set_user(sio_socket *s, void *user)
{
    s->user = user;
}

void *sio_socket_user(const sio_socket *s)
{
    return s->user;
}

const char *sio_socket_pid(const sio_socket *s)
{
    return s->pid;
}

int sio_recovery_on(const sio_nsp *n)
{
    return n->srv->cfg.recovery;
}

unsigned sio_recovery_window(const sio_nsp *n)
{
    return n->srv->cfg.recovery_window_ms;
}
