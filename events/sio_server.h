/*
 * sio_server.h - a Socket.IO v5 server in C: namespaces, events with acks, rooms, broadcasts
 * and connection state recovery, on top of eio_server (Engine.IO sessions).
 *
 * What it teaches: the JavaScript API, and what each call is on the wire.
 *
 *   JavaScript (socket.io)                    C (this file)
 *   io.of("/chat")                            sio_of(srv, "/chat")
 *   nsp.on("connection", fn)                  sio_on_connection(nsp, fn, user)
 *   socket.on("say", (a, b, ack) => ...)      sio_on(nsp, "say", fn, user)   (fn gets sio_msg)
 *   ack("ok")                                 sio_ack(socket, msg->ack_id, args, NULL, 0)
 *   socket.emit("hi", 1)                      sio_emit(socket, "hi", args)
 *   socket.emit("hi", 1, (r) => ...)          sio_emit_ack(socket, "hi", args, fn, user)
 *   io.of("/chat").to("r1").emit(...)         sio_emit_to(nsp, "r1", NULL, "hi", args, NULL, 0)
 *   socket.broadcast.emit(...)                sio_broadcast(socket, "hi", args)
 *   io.to(["a","b"]).except("c").emit(...)    sio_target t = {.rooms = ab, .nrooms = 2,
 *                                                             .except = c, .nexcept = 1};
 *                                             sio_emit_target(nsp, &t, "hi", args, NULL, 0)
 *   socket.to("a").emit(...)                  t = {.rooms = a, .nrooms = 1, .except_socket = s}
 *   io.to("a").volatile.emit(...)             t = {.rooms = a, .nrooms = 1, .flags = SIO_VOLATILE}
 *   socket.volatile.emit("hi", 1)             sio_emit_volatile(socket, "hi", args)
 *   socket.join("r1") / socket.leave("r1")    sio_join(socket, "r1") / sio_leave(...)
 *   nsp.adapter.on("join-room", fn)           sio_on_adapter(nsp, fn, user)
 *   socket.on("disconnecting", fn)            sio_on_disconnecting(nsp, fn, user)
 *   socket.on("disconnect", fn)               sio_on_disconnect(nsp, fn, user)
 *   socket.disconnect()                       sio_disconnect(socket)
 *   socket.recovered                          sio_socket_recovered(socket)
 *
 * Arguments are JSON text: the text of an array (the arguments after the event name), which
 * the server checks and passes on as it is, never parsing it into values and printing it again
 * (sio_json.h says why). Binary arguments are placeholders {"_placeholder":true,"num":N} in
 * that array (SIO_PLACEHOLDER(N)) plus the bytes in a sio_bin array: the packet goes out as
 * BINARY_EVENT with N attachments.
 *
 * Rooms are a server-only idea: a client never sees a room list, it only receives what was
 * sent to rooms it is in. Every socket is in the room named by its own id. An emit to several
 * rooms reaches each socket ONCE, however many of those rooms it is in; except() rooms win
 * over to() rooms. A broadcast is encoded once and the same frame bytes go to every receiver.
 *
 * Volatile emits (socket.io's `volatile` flag) are for events that are stale as soon as a
 * newer one exists (a "typing..." hint, a position): a client with more than volatile_limit
 * bytes still queued (it is not keeping up) does not get it at all, instead of having it
 * queued, and a volatile event is never logged, so recovery never replays it.
 *
 * Connection state recovery (sio_config.recovery): each event sent to a room, a namespace or a
 * socket is appended to the namespace's replay log (queue/ring.h) and its offset travels as the
 * event's last argument; the client remembers the last offset it saw. A client that DROPS (not
 * one that disconnects on purpose) and reconnects within recovery_window_ms sends its pid and
 * offset in the CONNECT auth; it gets its old id and rooms back and every event it missed, in
 * order, and sio_socket_recovered() is 1. If the log no longer holds everything after its offset
 * (more than recovery_capacity events went by) or the window has passed, it connects as new:
 * never a silent partial replay. Binary events are logged with their attachments; events sent
 * with an ack request (sio_emit_ack) are not logged, as in socket.io.
 */
#ifndef WIRELAB_SIO_SERVER_H
#define WIRELAB_SIO_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "eio_server.h"

typedef struct sio_server sio_server;
typedef struct sio_nsp sio_nsp;
typedef struct sio_socket sio_socket;

enum {
    SIO_E_RESERVED = -20, /* connect, disconnect, ... cannot be emitted by an application */
    SIO_E_CLOSED = -21,   /* the socket is disconnected */
    SIO_E_FULL = -22,     /* no room for another handler, or for another room (max_rooms) */
    SIO_E_ARGS = -23,     /* args is not a JSON array */
};

typedef struct sio_bin {
    const uint8_t *data;
    size_t len;
} sio_bin;

/*
 * One event (or ack) received from a client. Everything is valid during the handler only.
 * The arguments are the JSON text the client sent, untouched: the server never turns them
 * into values and back, so a handler that passes them on (sio_emit(s, "x", m->args)) passes
 * every number to its last digit and every string with every code unit. Read one with
 * sio_arg (its text) or sio_arg_string (a string argument decoded to UTF-8).
 */
typedef struct sio_msg {
    const char *event; /* the event name, decoded (NUL-terminated); NULL for an ack */
    size_t event_len;  /* its length in bytes (a name may contain "\u0000") */
    const char *args;  /* the arguments after the name: a JSON array's text, "[]" if none */
    size_t args_len;
    const sio_bin *bins; /* the attachments the placeholders point at */
    size_t nbins;
    int64_t ack_id; /* the client wants sio_ack(socket, ack_id, ...); -1 when it does not */
} sio_msg;

/* Argument i's JSON text (*text, *len point into m->args): 1, or 0 when there is no such one. */
int sio_arg(const sio_msg *m, size_t i, const char **text, size_t *len);
/* Argument i when it is a string, decoded into out (cap bytes, NUL-terminated): its length in
 * bytes, or -1 when it is not a string or does not fit. */
long sio_arg_string(const sio_msg *m, size_t i, char *out, size_t cap);
size_t sio_arg_count(const sio_msg *m);

typedef void (*sio_connection_fn)(sio_socket *s, void *user);
typedef void (*sio_disconnect_fn)(sio_socket *s, const char *reason, void *user);
typedef void (*sio_event_fn)(sio_socket *s, const sio_msg *m, void *user);
/* what: "create-room", "delete-room", "join-room", "leave-room"; sid NULL for create/delete */
typedef void (*sio_adapter_fn)(sio_nsp *n, const char *what, const char *room, const char *sid,
                               void *user);

typedef struct sio_config {
    unsigned connect_timeout_ms; /* close an engine that sends no CONNECT in time; 0 = 45000 */
    int recovery;                /* connection state recovery on/off */
    unsigned recovery_window_ms; /* how long a dropped socket can come back; 0 = 120000 */
    size_t recovery_capacity;    /* events each namespace's replay log holds; 0 = 1024 */
    size_t volatile_limit;       /* a volatile emit skips a client with more queued; 0 = 64 KiB */
    /* limits (logged when they bite) */
    size_t max_rooms;           /* rooms one socket may be in (its own too); 0 = 1000 */
    size_t max_binary;          /* bytes of one binary packet's attachments; 0 = 4 MiB */
    unsigned binary_timeout_ms; /* its attachments must all arrive within; 0 = 10000 */
} sio_config;

#define SIO_DEFAULT_MAX_ROOMS      1000
#define SIO_DEFAULT_MAX_BINARY     (4u << 20)
#define SIO_DEFAULT_BINARY_TIMEOUT 10000

/* The receivers of an emit to rooms (sio_emit_target): io.to(rooms).except(rooms). */
enum { SIO_VOLATILE = 1, SIO_LOCAL = 2 };
typedef struct sio_target {
    const char *const *rooms;  /* the members of these rooms, each socket once; */
    size_t nrooms;             /* nrooms 0: every socket of the namespace */
    const char *const *except; /* but nobody in these rooms */
    size_t nexcept;
    const sio_socket *except_socket; /* nor this socket (the sender): except(its id); or NULL */
    unsigned flags;     /* SIO_VOLATILE: may be dropped, never logged; SIO_LOCAL: this server's
                           sockets only, not handed to the adapter (sio_adapter.h) */
    const char *offset; /* the event's offset from the adapter's log (a stream entry id), sent
                           as its last argument instead of this process's log's; or NULL */
} sio_target;

/* Serve Socket.IO at path (usually "/socket.io/") of an Engine.IO server. NULL, with the reason
 * in err (errlen bytes; NET_ERR_LEN is enough), when out of memory or path cannot be served. */
sio_server *sio_server_new(eio_server *eio, const char *path, const sio_config *cfg, char *err,
                           size_t errlen);
void sio_server_free(sio_server *srv);

/* The namespace called name ("/" is the main one), created on first use. NULL if full. */
sio_nsp *sio_of(sio_server *srv, const char *name);
const char *sio_nsp_name(const sio_nsp *n);
size_t sio_nsp_count(const sio_nsp *n); /* connected sockets */

void sio_on_connection(sio_nsp *n, sio_connection_fn fn, void *user);
/* socket.on("disconnecting"): s is still in its rooms. Then socket.on("disconnect"): s has
 * left them all and can no longer be emitted to. reason is socket.io's ("transport close",
 * "client namespace disconnect", ...); after "forced close" and "forced server close" (the
 * client broke the protocol) comes ": " and what it did wrong. */
void sio_on_disconnecting(sio_nsp *n, sio_disconnect_fn fn, void *user);
void sio_on_disconnect(sio_nsp *n, sio_disconnect_fn fn, void *user);
void sio_on_adapter(sio_nsp *n, sio_adapter_fn fn, void *user);
/* Handle event `name` in n ("*" catches events with no handler of their own). Returns 0,
 * SIO_E_RESERVED for a reserved name, SIO_E_FULL. */
int sio_on(sio_nsp *n, const char *name, sio_event_fn fn, void *user);

/* A binary attachment's place in args: SIO_PLACEHOLDER(0) is attachment 0. */
#define SIO_PLACEHOLDER(n) "{\"_placeholder\":true,\"num\":" #n "}"

/* Emit to one socket. args: the text of a JSON array ("[1,\"two\"]"), or NULL for none; it is
 * checked (SIO_E_ARGS if it is not an array) and sent as it is. Returns 0 or SIO_E_*. */
int sio_emit(sio_socket *s, const char *event, const char *args);
int sio_emit_bin(sio_socket *s, const char *event, const char *args, const sio_bin *bins,
                 size_t nbins);
/* Emit to one socket and have fn(s, msg, user) called with the client's ack (msg->event NULL).
 * SIO_E_FULL when the socket has SIO_MAX_ACKS (1024) ack requests unanswered (logged once). */
int sio_emit_ack(sio_socket *s, const char *event, const char *args, sio_event_fn fn, void *user);
int sio_emit_ack_bin(sio_socket *s, const char *event, const char *args, const sio_bin *bins,
                     size_t nbins, sio_event_fn fn, void *user);
/* Emit to one socket unless its client is behind (more than volatile_limit bytes queued);
 * never logged for recovery; no binary attachments. Returns 1 (sent), 0 (dropped), SIO_E_*. */
int sio_emit_volatile(sio_socket *s, const char *event, const char *args);
/* Emit to the target's sockets (see sio_target). Returns how many sockets it was sent to (a
 * volatile emit does not count the ones it skipped), or SIO_E_*; 0 with an adapter that
 * publishes first (sio_adapter.h), which delivers it once its log gave it an offset. */
int sio_emit_target(sio_nsp *n, const sio_target *t, const char *event, const char *args,
                    const sio_bin *bins, size_t nbins);
/* Emit to everyone in room (NULL: the whole namespace) except `except` (may be NULL).
 * The same as sio_emit_target with one room; returns the same. */
int sio_emit_to(sio_nsp *n, const char *room, const sio_socket *except, const char *event,
                const char *args, const sio_bin *bins, size_t nbins);
/* Everyone in s's namespace except s. */
int sio_broadcast(sio_socket *s, const char *event, const char *args);
/* Answer the client's ack request id with args. */
int sio_ack(sio_socket *s, int64_t id, const char *args, const sio_bin *bins, size_t nbins);

/* Join a room: 0 (also when already in it), SIO_E_FULL when s is in max_rooms rooms already
 * (logged once per socket), or SIO_E_NOMEM. Joining, leaving and sio_in_room cost O(1). */
int sio_join(sio_socket *s, const char *room);
int sio_leave(sio_socket *s, const char *room);
int sio_in_room(const sio_socket *s, const char *room);
/* socket.rooms: how many rooms s is in, and the i-th (its own id among them). */
size_t sio_socket_nrooms(const sio_socket *s);
const char *sio_socket_room(const sio_socket *s, size_t i);

/* Disconnect s from its namespace (the client gets DISCONNECT; no recovery for it). */
void sio_disconnect(sio_socket *s);

/* Close s's whole Engine.IO session as a network failure would (recovery applies to it). */
void sio_server_drop(sio_socket *s);

const char *sio_socket_id(const sio_socket *s);
sio_nsp *sio_socket_nsp(const sio_socket *s);
const char *sio_socket_auth(const sio_socket *s); /* the CONNECT payload's text ("{}" if none) */
int sio_socket_recovered(const sio_socket *s);
const char *sio_socket_transport(const sio_socket *s);
void sio_socket_set_user(sio_socket *s, void *user);
void *sio_socket_user(const sio_socket *s);

#endif
