/*
 * sio_emit.c - packets to clients (see sio_server.h): emit to one socket, emit with an ack
 * request, answer an ack, and emit to rooms, where the packet is encoded once and the same
 * bytes go to every receiver.
 *
 * An emit is one Socket.IO packet, `2["event",arg1,...]` (EVENT) or, with binary arguments,
 * `5<n>-["event",{"_placeholder":true,"num":0},...]` (BINARY_EVENT) followed by n binary
 * Engine.IO messages, the attachments, in order. Events sent to a room, a namespace or a
 * socket are logged for recovery first (sio_recovery.c), which adds their offset as the last
 * argument.
 */
#include "sio_adapter.h"
#include "sio_internal.h"
#include "sio_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One Socket.IO packet (and its attachments) as Engine.IO messages on the client's session. */
int sio_send_packet(sio_client *c, sio_type type, const sio_nsp *n, int64_t id, const char *json,
                    const sio_bin *bins, size_t nbins)
{
    size_t len;
    char *text = sio_encode(type, n ? n->name : "/", id, nbins, json, &len);
    if (text == NULL) { /* the client would wait for it forever (an ack, a CONNECT reply): */
        eio_close_later(c->eio, "out of memory encoding a Socket.IO packet"); /* it reconnects */
        return SIO_E_NOMEM;
    }
    int rc = eio_send(c->eio, 0, (const uint8_t *)text, len);
    free(text);
    for (size_t i = 0; rc == 0 && i < nbins; i++)
        rc = eio_send(c->eio, 1, bins[i].data, bins[i].len);
    return rc < 0 ? SIO_E_CLOSED : 0;
}

/* The text between args' brackets ("1,2" of "[1,2]"), or NULL when args is NULL or "[]". */
static const char *args_inner(const char *args, size_t *len)
{
    if (args == NULL)
        return NULL;
    size_t n = strlen(args), i = sio_json_ws(args, n, 0) + 1, end = n;
    while (end > i && args[end - 1] != ']')
        end--;
    end--; /* at the closing bracket */
    size_t j = sio_json_ws(args, end, i);
    *len = end - j;
    return j < end ? args + j : NULL;
}

/*
 * [event, ...args, offset?] as JSON text (malloc'd): the event name quoted, then the
 * arguments' text exactly as given (never parsed and printed again: every value intact), then
 * the recovery offset as a string.
 */
char *sio_event_json(const char *event, const char *args, const char *offset)
{
    size_t elen = strlen(event), alen = 0, olen = offset ? strlen(offset) : 0;
    const char *inner = args_inner(args, &alen);
    size_t cap = 6 * elen + 3 + alen + olen + 8;
    char *out = malloc(cap);
    if (out == NULL)
        return NULL;
    size_t o = 1;
    out[0] = '[';
    o += sio_json_quote(event, elen, out + o, cap - o);
    if (inner) {
        out[o++] = ',';
        memcpy(out + o, inner, alen);
        o += alen;
    }
    if (offset) {
        memcpy(out + o, ",\"", 2);
        memcpy(out + o + 2, offset, olen);
        o += 2 + olen;
        out[o++] = '"';
    }
    out[o++] = ']';
    out[o] = '\0';
    return out;
}

/* args must be NULL or the text of a JSON array (checked like a client's data). */
static int check_args(const char *args)
{
    size_t n = args ? strlen(args) : 0;
    if (args && (sio_json_check(args, n, (size_t)-1, NULL) != SIO_JSON_OK ||
                 args[sio_json_ws(args, n, 0)] != '['))
        return SIO_E_ARGS;
    return 0;
}

static int check_emit(const char *event, const char *args)
{
    if (sio_reserved_event(event))
        return SIO_E_RESERVED;
    return check_args(args);
}

/* Is s's client too far behind for a volatile event? (socket.io: "not writable") */
static int volatile_skip(const sio_socket *s)
{
    return eio_pending(s->client->eio) > s->nsp->srv->cfg.volatile_limit;
}

int sio_emit_bin(sio_socket *s, const char *event, const char *args, const sio_bin *bins,
                 size_t nbins)
{
    int rc = check_emit(event, args);
    if (rc < 0)
        return rc;
    if (s->client == NULL)
        return SIO_E_CLOSED;
    const char *own[1] = {s->id}; /* as socket.io: a socket.emit is a send to room s->id */
    sio_target t = {.rooms = own, .nrooms = 1};
    const sio_adapter *a = s->nsp->srv->adapter;
    if (a && a->publish_first && s->nsp->srv->cfg.recovery) { /* its offset comes from there */
        a->publish_first(a->self, s->nsp, &t, event, args, bins, nbins);
        return 0;
    }
    char *json = sio_log_emit(s->nsp, &t, event, args, bins, nbins);
    if (json == NULL)
        return SIO_E_NOMEM;
    rc = sio_send_packet(s->client, nbins ? SIO_BINARY_EVENT : SIO_EVENT, s->nsp, -1, json, bins,
                         nbins);
    free(json);
    return rc;
}

int sio_emit(sio_socket *s, const char *event, const char *args)
{
    return sio_emit_bin(s, event, args, NULL, 0);
}

int sio_emit_volatile(sio_socket *s, const char *event, const char *args)
{
    int rc = check_emit(event, args);
    if (rc < 0)
        return rc;
    if (s->client == NULL)
        return SIO_E_CLOSED;
    if (volatile_skip(s))
        return 0;
    char *json = sio_event_json(event, args, NULL); /* never logged: nothing to replay */
    if (json == NULL)
        return SIO_E_NOMEM;
    rc = sio_send_packet(s->client, SIO_EVENT, s->nsp, -1, json, NULL, 0);
    free(json);
    return rc < 0 ? rc : 1;
}

int sio_emit_ack(sio_socket *s, const char *event, const char *args, sio_event_fn fn, void *user)
{
    return sio_emit_ack_bin(s, event, args, NULL, 0, fn, user);
}

/* A client that never answers our ack requests must not make us keep them without end: at
 * SIO_MAX_ACKS unanswered, refuse the next (logged once per socket). It also bounds the walk
 * that matches an answer to its request (dispatch_ack). */
static int too_many_acks(sio_socket *s)
{
    if (s->nacks < SIO_MAX_ACKS)
        return 0;
    if (!s->acks_logged) {
        s->acks_logged = 1;
        eio_log(s->nsp->srv->eio,
                "socket %s (%s) left %d ack requests unanswered: no more are sent to it until it "
                "answers some",
                s->id, s->client ? eio_peer(s->client->eio) : "?", SIO_MAX_ACKS);
    }
    return 1;
}

int sio_emit_ack_bin(sio_socket *s, const char *event, const char *args, const sio_bin *bins,
                     size_t nbins, sio_event_fn fn, void *user)
{
    int rc = check_emit(event, args);
    if (rc < 0)
        return rc;
    if (s->client == NULL)
        return SIO_E_CLOSED;
    if (too_many_acks(s))
        return SIO_E_FULL;
    pending_ack *a = malloc(sizeof *a);
    char *json = sio_event_json(event, args, NULL); /* events with acks are never logged */
    if (a == NULL || json == NULL) {
        free(a);
        free(json);
        return SIO_E_NOMEM;
    }
    a->id = s->nsp->next_ack++;
    a->fn = fn;
    a->user = user;
    a->next = s->acks;
    s->acks = a;
    s->nacks++;
    rc = sio_send_packet(s->client, nbins ? SIO_BINARY_EVENT : SIO_EVENT, s->nsp, a->id, json, bins,
                         nbins);
    free(json);
    return rc;
}

/* One delivery of a room emit: each socket at most once (its mark says it had its turn). */
static size_t deliver(sio_socket *s, uint64_t stamp, int vol, const eio_prepared *prep)
{
    if (s->mark == stamp || s->client == NULL)
        return 0;
    s->mark = stamp;
    if (vol && volatile_skip(s))
        return 0;
    return eio_send_prepared(s->client->eio, prep) == 0;
}

/* Send the prepared packet to the target: mark the left-out sockets first, then walk the
 * rooms (or the namespace). No allocation and no copy per receiver. */
static size_t deliver_all(sio_nsp *n, const sio_target *t, const eio_prepared *prep)
{
    uint64_t stamp = ++n->emit_seq;
    int vol = (t->flags & SIO_VOLATILE) != 0;
    size_t count = 0;
    for (size_t i = 0; i <= t->nexcept; i++) { /* the socket left out: the room of its id */
        const char *name =
            i < t->nexcept ? t->except[i] : (t->except_socket ? t->except_socket->id : NULL);
        room *r = name ? sio_find_room(n, name) : NULL;
        for (membership *m = r ? r->first : NULL; m; m = m->rnext)
            m->s->mark = stamp;
    }
    if (t->nrooms == 0)
        for (sio_socket *s = n->sockets; s; s = s->next_in_nsp)
            count += deliver(s, stamp, vol, prep);
    for (size_t i = 0; i < t->nrooms; i++) {
        room *r = sio_find_room(n, t->rooms[i]);
        /* (a receiver over its limit is closed after the walk, never during it) */
        for (membership *m = r ? r->first : NULL; m; m = m->rnext)
            count += deliver(m->s, stamp, vol, prep);
    }
    return count;
}

int sio_emit_target(sio_nsp *n, const sio_target *t, const char *event, const char *args,
                    const sio_bin *bins, size_t nbins)
{
    int rc = check_emit(event, args);
    if (rc < 0)
        return rc;
    if (nbins > SIO_MAX_ATTACHMENTS)
        return SIO_E_ARGS;
    const sio_adapter *a = n->srv->adapter; /* the other servers' sockets */
    if (a && a->publish_first && !(t->flags & SIO_LOCAL)) {
        a->publish_first(a->self, n, t, event, args, bins, nbins); /* delivered with its offset */
        return 0;
    }
    /* an adapter with a log of its own gives the offset (t->offset), or there is none */
    char *json = a && a->publish_first
                     ? sio_event_json(event, args, (t->flags & SIO_VOLATILE) ? NULL : t->offset)
                     : sio_log_emit(n, t, event, args, bins, nbins);
    if (json == NULL)
        return SIO_E_NOMEM;
    /* encode once: the Socket.IO packet, then its WebSocket frames, the same for everyone */
    size_t len;
    char *text = sio_encode(nbins ? SIO_BINARY_EVENT : SIO_EVENT, n->name, -1, nbins, json, &len);
    free(json);
    eio_part parts[SIO_MAX_ATTACHMENTS + 1];
    eio_prepared prep;
    if (text == NULL)
        return SIO_E_NOMEM;
    parts[0] = (eio_part){0, (const uint8_t *)text, len};
    for (size_t i = 0; i < nbins; i++)
        parts[i + 1] = (eio_part){1, bins[i].data, bins[i].len};
    if (eio_prepare(&prep, parts, nbins + 1) < 0) {
        free(text);
        return SIO_E_NOMEM;
    }
    size_t count = deliver_all(n, t, &prep);
    eio_prepared_free(&prep);
    free(text);
    if (a && a->broadcast && !(t->flags & SIO_LOCAL))
        a->broadcast(a->self, n, t, event, args, bins, nbins);
    return count > INT32_MAX ? INT32_MAX : (int)count;
}

int sio_emit_to(sio_nsp *n, const char *room_name, const sio_socket *except, const char *event,
                const char *args, const sio_bin *bins, size_t nbins)
{
    sio_target t = {.rooms = &room_name, .nrooms = room_name ? 1 : 0, .except_socket = except};
    return sio_emit_target(n, &t, event, args, bins, nbins);
}

int sio_broadcast(sio_socket *s, const char *event, const char *args)
{
    return sio_emit_to(s->nsp, NULL, s, event, args, NULL, 0);
}

int sio_ack(sio_socket *s, int64_t id, const char *args, const sio_bin *bins, size_t nbins)
{
    if (s->client == NULL)
        return SIO_E_CLOSED;
    if (check_args(args) < 0)
        return SIO_E_ARGS;
    return sio_send_packet(s->client, nbins ? SIO_BINARY_ACK : SIO_ACK, s->nsp, id,
                           args ? args : "[]", bins, nbins);
}
