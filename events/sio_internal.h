/*
 * sio_internal.h - what the files of the Socket.IO server share (not a public header).
 *
 * The server is five files, one concern each, read in this order:
 *   sio_server.c    the public API: namespaces, handlers, sockets connecting and disconnecting,
 *                   and the Engine.IO handlers that turn sessions into clients
 *   sio_receive.c   packets from a client: decoding, binary attachments, dispatch to handlers
 *   sio_emit.c      packets to clients: emit, acks, broadcasts encoded once
 *   sio_rooms.c     rooms: a hash table of member lists per namespace (the adapter)
 *   sio_recovery.c  connection state recovery: the replay log, saved sockets, the replay
 */
#ifndef WIRELAB_SIO_INTERNAL_H
#define WIRELAB_SIO_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "ring.h"
#include "sio_packet.h"
#include "sio_server.h"
#include "token.h"

#define SIO_MAX_NSPS     8
#define SIO_MAX_HANDLERS 32
#define SIO_MAX_SAVED    4096       /* dropped sockets kept for recovery, all clients */
#define SIO_MAX_ACKS     1024       /* ack requests one socket may leave unanswered */
#define LOG_BYTES        (1u << 20) /* each namespace's replay log: 1 MiB of records */

typedef struct handler {
    char *name;
    sio_event_fn fn;
    void *user;
} handler;

/* A socket's place in a room. Each membership is on two lists, so joining, leaving and
 * disconnecting cost the same however many rooms a socket is in or members a room has:
 *   the room's members, in join order (broadcasts go out in that order),
 *   the socket's rooms, in join order (socket.rooms; leaving all of them on disconnect),
 * and in the namespace's table keyed by (room, socket), which answers "is s in r?". */
typedef struct membership {
    struct room *r;
    sio_socket *s;
    struct membership *rprev, *rnext; /* in r */
    struct membership *sprev, *snext; /* in s */
    struct membership *hnext;         /* the next in the same bucket of the table */
} membership;

/* A room. Rooms live in a hash table per namespace: every socket has a room of its own, so a
 * namespace with 1,000 sockets has over 1,000 rooms, and a list would be walked on every join
 * and every emit. */
typedef struct room {
    char *name;
    uint32_t hash;
    membership *first, *last;
    size_t n;
    struct room *next; /* the next room in the same bucket */
} room;

typedef struct pending_ack {
    int64_t id;
    sio_event_fn fn;
    void *user;
    struct pending_ack *next;
} pending_ack;

/* A socket that dropped, kept for recovery_window_ms. */
typedef struct sio_saved {
    char id[TOKEN_LEN + 1];
    char pid[TOKEN_LEN + 1];
    sio_nsp *nsp;
    char **rooms;
    size_t nrooms;
    uint64_t at;
    struct sio_saved *next;
} sio_saved;

struct sio_nsp {
    char name[SIO_MAX_NSP + 1];
    sio_server *srv;
    sio_connection_fn on_conn;
    void *conn_user;
    sio_disconnect_fn on_disc;
    void *disc_user;
    sio_disconnect_fn on_discing;
    void *discing_user;
    sio_adapter_fn on_adapter;
    void *adapter_user;
    handler handlers[SIO_MAX_HANDLERS];
    size_t nhandlers;
    sio_socket *sockets;
    size_t nsockets;
    room **buckets; /* the rooms: a chained hash table, nbuckets a power of two */
    size_t nbuckets, nrooms;
    membership **mtable; /* every membership, by (room, socket): nmbuckets a power of two */
    size_t nmbuckets, nmembers;
    uint64_t emit_seq; /* counts emits: a socket marked with the current one has its copy */
    int64_t
        next_ack;  /* the id of the next ack request, shared by the namespace (socket.io's _ids) */
    ring_log *log; /* recovery: every logged event, with its offset */
};

typedef struct sio_client sio_client;

typedef struct sio_pending sio_pending;

/* A CONNECT whose recovery the adapter is looking up (sio_adapter.h: restore). The adapter
 * holds it until sio_restore_done; if the client goes away first, c becomes NULL. */
struct sio_pending {
    sio_client *c;
    sio_nsp *n;
    char *auth; /* the CONNECT payload, as the client sent it */
    size_t len;
    struct sio_pending *next; /* in c's list */
};

struct sio_socket {
    char id[TOKEN_LEN + 1];
    char pid[TOKEN_LEN + 1];
    sio_nsp *nsp;
    sio_client *client;
    membership *first, *last; /* its rooms, in join order */
    size_t nrooms;
    membership *cursor; /* sio_socket_room's place: reading rooms in order costs O(1) each */
    size_t cursor_i;
    int rooms_logged; /* the max_rooms line was logged for it */
    char *auth;       /* the CONNECT payload as the client sent it ("{}" if none) */
    int recovered;
    pending_ack *acks; /* our ack requests it has not answered, newest first */
    size_t nacks;      /* how many: at most SIO_MAX_ACKS */
    int acks_logged;   /* the SIO_MAX_ACKS line was logged for it */
    void *user;
    uint64_t mark; /* the emit_seq of the last emit that reached (or skipped) this socket */
    sio_socket *next_in_client;
    sio_socket *next_in_nsp, *prev_in_nsp;
};

/* One Engine.IO session seen from Socket.IO: the sockets it has connected, one per namespace. */
struct sio_client {
    sio_server *srv;
    eio_session *eio;
    sio_socket *sockets;
    sio_pending *pending;      /* CONNECTs waiting for the adapter's restore */
    uint64_t connect_deadline; /* 0 once a namespace is connected */
    /* a binary packet waiting for its attachments */
    char *bin_text;
    size_t bin_text_len;
    sio_packet bin_pkt;
    sio_bin *bins;
    size_t nbins;
    size_t bin_bytes;     /* the attachments' bytes so far (at most cfg.max_binary) */
    loop_timer bin_timer; /* fires when they are not all in within binary_timeout_ms */
    sio_client *next, *prev;
};

struct sio_server {
    eio_server *eio;
    sio_config cfg;
    sio_nsp *nsps[SIO_MAX_NSPS];
    size_t nnsps;
    sio_client *clients;
    sio_saved *saved; /* dropped sockets kept for recovery, newest first */
    size_t nsaved;    /* how many: at most SIO_MAX_SAVED */
    int saved_full;   /* the SIO_MAX_SAVED line was logged (cleared when there is room again) */
    const struct sio_adapter *adapter; /* other servers (sio_adapter.h); NULL: this process only */
};

/* sio_server.c */
char *sio_dupstr(const char *s);
sio_nsp *sio_find_nsp(sio_server *srv, const char *name, size_t len);
sio_socket *sio_client_socket(sio_client *c, const sio_nsp *n);
void sio_connect_socket(sio_client *c, sio_nsp *n, const char *auth, size_t len);
void sio_disconnect_socket(sio_socket *s, const char *reason);

/* sio_receive.c */
void sio_on_text(sio_client *c, const uint8_t *text, size_t len);
void sio_on_attachment(sio_client *c, const uint8_t *data, size_t len);
void sio_binary_reset(sio_client *c);
void sio_binary_limit(sio_client *c, const char *what);

/* sio_emit.c */
/* One packet to c: 0, SIO_E_CLOSED, or SIO_E_NOMEM (then c's session closes in the next round
 * with that reason, rather than leave the client waiting for a packet that never comes). */
int sio_send_packet(sio_client *c, sio_type type, const sio_nsp *n, int64_t id, const char *json,
                    const sio_bin *bins, size_t nbins);
char *sio_event_json(const char *event, const char *args, const char *offset);

/* sio_rooms.c */
room *sio_find_room(const sio_nsp *n, const char *name);
void sio_leave_all(sio_socket *s);

/* sio_recovery.c */
char *sio_log_emit(sio_nsp *n, const sio_target *t, const char *event, const char *args,
                   const sio_bin *bins, size_t nbins);
int sio_recoverable(const char *reason);
void sio_save_session(sio_socket *s);
sio_saved *sio_try_recover(sio_nsp *n, const char *auth, size_t len, uint64_t *offset);
int sio_replay_possible(const sio_nsp *n, uint64_t offset);
int sio_replay(sio_socket *s, const sio_saved *ss, uint64_t offset);
void sio_saved_free(sio_saved *ss);
int sio_auth_string(const char *auth, size_t len, const char *key, char *out, size_t cap);

#endif
