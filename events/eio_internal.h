/*
 * eio_internal.h - what the files of the Engine.IO server share (not a public header).
 *
 * The server is four files, one concern each, read in this order:
 *   eio_server.c     the program's side: the loop's callbacks, HTTP requests routed to a mount,
 *                    a static file or 404, CORS, HTTP answers and Engine.IO's error codes
 *   eio_session.c    a session's life: its sid, its queue, the packets it receives on either
 *                    transport, the upgrade, the heartbeat, closing and freeing
 *   eio_polling.c    the HTTP long-polling transport: the held GET, the POSTed batches
 *   eio_websocket.c  the WebSocket transport: frames out, the decoder's callbacks in, the
 *                    upgrade request, broadcasts prepared once
 */
#ifndef WIRELAB_EIO_INTERNAL_H
#define WIRELAB_EIO_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "eio_http.h"
#include "eio_packet.h"
#include "eio_server.h"
#include "net.h"
#include "token.h"
#include "ws_frame.h"

#define EIO_MAX_MOUNTS 4
#define EIO_MAX_STATIC 8
/* engine.io's polling closeTimeout: how long a session closed by the server with no GET held
 * waits for the GET that gets its close packet (eio_session.c, session_end) */
#define EIO_CLOSE_TIMEOUT_MS 30000

/* Engine.IO's error codes, sent as {"code":N,"message":"..."} with HTTP 400 (or 403). */
enum {
    EIO_ERR_TRANSPORT = 0, /* Transport unknown */
    EIO_ERR_SID = 1,       /* Session ID unknown */
    EIO_ERR_METHOD = 2,    /* Bad handshake method */
    EIO_ERR_REQUEST = 3,   /* Bad request */
    EIO_ERR_VERSION = 5,   /* Unsupported protocol version */
};

typedef struct eio_mount {
    char path[64];
    eio_handlers h;
    void *user;
} eio_mount;

typedef struct eio_static {
    char path[64];
    const char *type;
    const void *data;
    size_t len;
} eio_static;

/* A packet waiting in a polling session's queue for the next GET. */
typedef struct eio_out {
    eio_type type;
    int binary;
    size_t len;
    uint8_t data[];
} eio_out;

typedef struct eio_conn eio_conn;

struct eio_session {
    char sid[TOKEN_LEN + 1];
    eio_server *srv;
    const eio_mount *m;
    int websocket;      /* 0: polling, 1: the session now lives on a WebSocket */
    int closed;         /* on_close has run; freed on the next tick */
    int upgrading;      /* a probe succeeded: held GETs are ended with noop */
    eio_conn *poll_get; /* the connection holding our long-poll GET, or NULL */
    eio_conn *ws;       /* our WebSocket once websocket == 1 */
    eio_conn *probe;    /* a WebSocket being probed for the upgrade */
    eio_out **queue;    /* packets waiting for a GET (polling only) */
    size_t nqueue, capqueue;
    size_t queued;        /* bytes in queue: over cfg.max_queue, the session is closed */
    const char *doomed;   /* a limit bit inside a broadcast: closed at the next safe point */
    loop_timer heartbeat; /* the next ping, or (awaiting_pong) the ping timeout: exact */
    int awaiting_pong;    /* a ping went out: its pong is due before the timer fires */
    loop_timer linger;    /* closed by the server with no GET held: the next GET gets "1" */
    char peer[NET_ADDR_LEN];
    void *user;
    eio_session *next, *prev; /* every open session (the heartbeat walks them) */
    eio_session *hnext;       /* the next session in the same bucket of the sid table */
    eio_session *next_doomed;
};

/* A polling answer must not be cached (engine.io sends this on each 200 of the transport). */
#define EIO_NO_STORE "Cache-Control: no-store\r\n"

/* One TCP connection: an HTTP one (polling requests, maybe a held GET) or a WebSocket. */
struct eio_conn {
    eio_server *srv;
    conn *c;
    int is_ws;
    eio_req *req;        /* the HTTP request being read (HTTP connections only) */
    ws_decoder dec;      /* WebSocket connections only */
    eio_session *sess;   /* WebSocket: its session; HTTP: the session whose GET we hold */
    int holding_get;     /* HTTP: a long-poll GET is waiting for packets */
    int close_after;     /* HTTP: the client sent "Connection: close": close after the answer */
    int head_only;       /* HTTP: the request being answered is a HEAD: the head, no body */
    unsigned handshakes; /* HTTP: sessions opened by requests on this connection */
    loop_timer head;     /* HTTP: fires when no whole request is in within head_timeout */
    uint8_t *later;      /* HTTP: answers to requests pipelined behind the held GET */
    size_t later_len;
    int later_close; /* one of those answers ends the connection */
    int hold_close;  /* the held GET itself asked for "Connection: close" */
    const char *cut; /* why we cut this connection (a limit), for the session's reason */
};

struct eio_server {
    eio_config cfg;
    loop *l;
    eio_mount mounts[EIO_MAX_MOUNTS];
    size_t nmounts;
    eio_static files[EIO_MAX_STATIC];
    size_t nfiles;
    eio_session *sessions; /* open sessions */
    size_t nsessions;
    eio_session **table; /* the sid table: chained, nbuckets a power of two */
    size_t nbuckets;
    eio_session *dead;     /* closed, freed on the next tick */
    eio_session *doomed;   /* to close at the next safe point (eio_close_doomed) */
    loop_timer doom_timer; /* 0 ms: the next round closes the doomed */
    size_t nconns;
    int stopping; /* shutting down: new requests get 503 */
    void (*tick_fn)(uint64_t now_ms, void *user);
    void *tick_user;
    eio_describe_fn describe; /* the trace's words for a packet (the layer above may say more) */
};

/* eio_server.c: the trace, HTTP answers, request helpers */
void eio_trace(const eio_server *srv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void eio_trace_packet(const eio_session *s, const char *dir, int binary, const uint8_t *data,
                      size_t len);
void eio_http_send(eio_conn *ec, int status, const char *type, const void *body, size_t len,
                   const char *extra);
void eio_http_error(eio_conn *ec, int code);
void eio_upgrade_error(eio_conn *ec, int code);
void eio_http_flush_later(eio_conn *ec);
void eio_http_failure(eio_conn *ec, int status, const char *reason);
int eio_method_is(const eio_req *r, const char *m);
int eio_query_is(const eio_req *r, const char *key, const char *want);

/* eio_server.c: limits */
void eio_head_wait(eio_conn *ec);
void eio_head_done(eio_conn *ec);

/* eio_session.c */
void eio_session_doom(eio_session *s, const char *reason);
void eio_close_doomed(eio_server *srv);
int eio_session_over_limit(eio_session *s, size_t len);
eio_session *eio_session_new(eio_server *srv, const eio_mount *m, eio_conn *ec, char *err,
                             size_t errlen);
eio_session *eio_session_find(eio_server *srv, const char *sid, size_t len);
char *eio_open_json(const eio_session *s, int offer_upgrade);
int eio_session_push(eio_session *s, eio_type type, int binary, const void *d, size_t len);
void eio_session_packet(eio_session *s, eio_conn *from, const eio_packet *p);
void eio_session_close(eio_session *s, const char *reason, int client_asked);
void eio_session_forget(eio_session *s);
void eio_session_free(eio_session *s);
void eio_heartbeat(loop *l, void *arg);
int eio_heartbeat_start(eio_session *s, uint64_t ms);

/* eio_polling.c */
void eio_polling_request(eio_conn *ec, const eio_mount *m, eio_session *s);
int eio_answer_get(eio_session *s, const char *body, size_t len);

/* eio_websocket.c */
void eio_websocket_request(eio_conn *ec, const eio_mount *m, eio_session *s);
size_t eio_ws_data(eio_conn *ec, const uint8_t *data, size_t len);
void eio_ws_send(eio_conn *ec, unsigned opcode, const void *data, size_t len);
void eio_ws_send_text(eio_session *s, eio_conn *ec, eio_type type, const void *d, size_t len);
void eio_ws_close_conn(eio_conn *ec, unsigned code, const char *reason);

#endif
