/*
 * sio_adapter.h - the one seam between the Socket.IO server and other servers: socket.io's
 * "adapter". An adapter decides who hears a broadcast. The in-process one is sio_rooms.c: the
 * rooms of this process and nothing else, and it is what a server without sio_set_adapter
 * runs, exactly as before. A cluster adapter (adapter_redis.c, events_server --adapter) adds
 * the other servers: every broadcast a local emit makes is also handed to it, to publish, and
 * what it receives from the others it delivers with SIO_LOCAL, so it is not published again.
 *
 *   socket.io (Node)                              C
 *   new Server({adapter: createAdapter(...)})    sio_set_adapter(srv, &a)
 *   adapter.broadcast(packet, opts)               a.broadcast(a.self, n, t, event, args, ...)
 *   io.local.emit(...)  (flags.local)             sio_emit_target with t.flags |= SIO_LOCAL
 *   adapter.apply(opts, fn)                       sio_select(n, t, &count)
 */
#ifndef WIRELAB_SIO_ADAPTER_H
#define WIRELAB_SIO_ADAPTER_H

#include "sio_server.h"

typedef struct sio_pending sio_pending; /* a CONNECT waiting for the adapter's restore */

typedef struct sio_adapter {
    /* A local emit to t was just delivered to this server's own sockets; hand it on to the
     * other servers. Called for every sio_emit_target (and so sio_emit_to and sio_broadcast)
     * without SIO_LOCAL; never for an emit to one socket, which no other server could reach. */
    void (*broadcast)(void *self, sio_nsp *n, const sio_target *t, const char *event,
                      const char *args, const sio_bin *bins, size_t nbins);
    void *self;
    /*
     * Optional (NULL: broadcast above, after local delivery). An adapter whose log gives every
     * event its offset (a Redis stream's entry id, adapter_streams.c) must publish FIRST and
     * deliver once the offset is known, as socket.io's ClusterAdapter awaits its XADD. Called
     * instead of the local delivery for every emit to rooms without SIO_LOCAL, and, when
     * recovery is on, for every emit to one socket (t: the room of its id), since socket.io
     * then sends socket.emit through adapter.broadcast too. The adapter copies what it needs
     * and later delivers with sio_emit_target(n, t with SIO_LOCAL and .offset = its id).
     */
    void (*publish_first)(void *self, sio_nsp *n, const sio_target *t, const char *event,
                          const char *args, const sio_bin *bins, size_t nbins);
    /* Optional: connection state recovery kept by the adapter (in Redis) instead of this
     * process. persist: s dropped by accident (socket.io's persistSession). restore: a CONNECT
     * with pid and offset (socket.io's restoreSession), answered later with sio_restore_done;
     * return -1 to have the socket connect as new at once. */
    void (*persist)(void *self, const sio_socket *s);
    int (*restore)(void *self, sio_pending *p, const char *pid, const char *offset);
} sio_adapter;

/* What restore found: the socket's old id, pid and rooms, and the events it missed, each an
 * EVENT's data ["event", ...args, offset] as JSON text (binaries as placeholders + bins). */
typedef struct sio_missed {
    const char *json;
    const sio_bin *bins;
    size_t nbins;
} sio_missed;
typedef struct sio_restored {
    const char *sid, *pid;
    const char *const *rooms;
    size_t nrooms;
    const sio_missed *missed;
    size_t nmissed;
} sio_restored;

/* The CONNECT p waits for: connect it, recovered with r (its id, pid and rooms back, then every
 * missed event, then the connection handler) or as new (r NULL). Frees p. Nothing happens
 * when the client went away meanwhile. */
void sio_restore_done(sio_pending *p, const sio_restored *r);
/* The namespace p connects to (valid while p is). */
sio_nsp *sio_pending_nsp(const sio_pending *p);

/* The private id s sends back to recover (socket.io's socket.pid), and whether recovery is on. */
const char *sio_socket_pid(const sio_socket *s);
int sio_recovery_on(const sio_nsp *n);
/* How long a dropped socket may come back (recovery_window_ms, socket.io's
 * maxDisconnectionDuration). */
unsigned sio_recovery_window(const sio_nsp *n);

/* Install a (at most one) adapter; NULL goes back to rooms of this process only. *a must live
 * as long as srv. */
void sio_set_adapter(sio_server *srv, const sio_adapter *a);

/* The sockets of n that t selects (its rooms, or every socket; minus the except rooms), each
 * once, in a malloc'd array (free it) of *count; NULL with *count 0 when there are none or no
 * memory. The array is a snapshot: disconnecting one of them leaves the others valid. */
sio_socket **sio_select(sio_nsp *n, const sio_target *t, size_t *count);

/* A socket of n by its id, or NULL. */
sio_socket *sio_find_socket(sio_nsp *n, const char *id);

/* The namespace srv serves under name, or NULL when it has none (never creates one). */
sio_nsp *sio_nsp_find(sio_server *srv, const char *name);

/* The i-th namespace of srv (in creation order), NULL past the last. */
sio_nsp *sio_nsp_at(sio_server *srv, size_t i);

/* The names of n's rooms (socket ids included): up to cap into out (valid until a room is
 * created or deleted); returns how many there are in all. */
size_t sio_nsp_rooms(const sio_nsp *n, const char **out, size_t cap);

/* The address of s's client ("127.0.0.1:51234"), "" when it is gone. */
const char *sio_socket_peer(const sio_socket *s);

/* The self of n's server's adapter (sio_set_adapter), or NULL: for an adapter's callbacks
 * that are given only a socket (an ack it asked for on another server's behalf). */
void *sio_adapter_self(const sio_nsp *n);

/* Disconnect s, and with close also its client's whole Engine.IO session (socket.io's
 * socket.disconnect(true)). */
void sio_disconnect_close(sio_socket *s, int close);

#endif
