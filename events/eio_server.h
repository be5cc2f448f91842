/*
 * eio_server.h - an Engine.IO v4 server: sessions over HTTP long-polling and WebSocket, on the
 * shared TCP loop (tcp_echo/loop.h). The echo loop with a protocol on top.
 *
 * What it teaches: how a "connection" can outlive any one TCP connection. An Engine.IO session
 * has an id (sid) and lives across many HTTP requests (polling: one held GET to receive, one
 * POST per batch to send), or on one WebSocket, and it can move from the first to the second
 * mid-flight (the upgrade):
 *
 *   GET  ?EIO=4&transport=polling            -> 0{"sid":"S","upgrades":["websocket"],...}
 *   GET  ?EIO=4&transport=websocket&sid=S    -> 101, then over the WebSocket:
 *        client 2probe  -> server 3probe      (the new path works; the held GET gets 6, noop)
 *        client 5                             (upgrade: from now on only the WebSocket is used)
 *
 * The server pings every pingInterval ms ("2"); a client that has not answered ("3") within
 * pingTimeout ms is gone ("ping timeout"). Requests with a bad EIO, transport, sid or method
 * get HTTP 400 with Engine.IO's JSON error body; bodies over maxPayload get 413.
 *
 * Interface:
 *   eio_server_new / eio_server_free / eio_server_attach (to a loop) / eio_loop_handlers
 *   eio_server_mount      serve Engine.IO sessions at a path ("/socket.io/") with handlers
 *   eio_server_add_static serve a fixed file at a path (the chat page, the client library)
 *   eio_server_on_tick    a callback on every heartbeat tick (the Socket.IO layer's timers)
 *   eio_server_set_describe  how the --verbose trace shows a packet (the layer above injects
 *                         its own words; Engine.IO itself knows nothing of Socket.IO)
 *   eio_send / eio_close / eio_sid / eio_transport / eio_set_user / eio_user
 *   eio_prepare / eio_send_prepared   a broadcast: frames encoded once, sent to many sessions
 *   eio_pending           bytes a session's client has not taken yet (volatile emits look)
 * Library code: nothing prints except the --verbose trace (stderr); nothing exits.
 * The implementation is four files (eio_internal.h says which holds what).
 */
#ifndef WIRELAB_EIO_SERVER_H
#define WIRELAB_EIO_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "loop.h"

typedef struct eio_server eio_server;
typedef struct eio_session eio_session;

typedef struct eio_config {
    unsigned ping_interval_ms; /* 0 = 25000 */
    unsigned ping_timeout_ms;  /* 0 = 20000 */
    size_t max_payload;        /* largest POST body / WebSocket message; 0 = 1000000 */
    const char *cors_origin;   /* value of Access-Control-Allow-Origin, or NULL for none */
    int verbose;               /* trace every Engine.IO packet to stderr */
    /* Limits: one client can only hurt itself. Each is logged (eio_log) when it bites. */
    size_t max_queue;         /* bytes waiting for one client (its polling queue, or its
                               * WebSocket's send buffer); over it, it is cut; 0 = 4 MiB */
    size_t max_sessions;      /* open sessions; a handshake beyond gets 503; 0 = 10000 */
    size_t max_conns;         /* TCP connections; one beyond gets 503 and is closed; 0 = 1000 */
    unsigned max_handshakes;  /* handshakes on one keep-alive connection; then 503; 0 = 16 */
    unsigned head_timeout_ms; /* an HTTP connection must deliver a whole request this long after
                               * it opened or got its last answer; else 408/closed; 0 = 10000 */
} eio_config;

/* The limits' defaults (eio_config's 0) */
#define EIO_DEFAULT_MAX_QUEUE      (4u << 20)
#define EIO_DEFAULT_MAX_SESSIONS   10000
#define EIO_DEFAULT_MAX_CONNS      1000 /* for loop_config.max_conns (eio_refuse answers) */
#define EIO_DEFAULT_MAX_HANDSHAKES 16
#define EIO_DEFAULT_HEAD_TIMEOUT   10000

/* What the layer above hears about each session of one mount point. */
typedef struct eio_handlers {
    void (*on_open)(eio_session *s, void *user);
    void (*on_message)(eio_session *s, int binary, const uint8_t *data, size_t len, void *user);
    /* reason: "transport close" (the client closed or went away), "ping timeout",
     * "transport error", "parse error", "forced close" (eio_close), "server shutting down",
     * "out of memory", "transport error: outgoing queue over --max-queue" (a client that does
     * not read), or the layer above's own words (eio_close_reason) */
    void (*on_close)(eio_session *s, const char *reason, void *user);
} eio_handlers;

eio_server *eio_server_new(const eio_config *cfg, char *err, size_t errlen);
void eio_server_free(eio_server *srv); /* after loop_free */

/* The loop_handlers to give loop_new (with loop_config.user = the eio_server). */
const loop_handlers *eio_loop_handlers(void);

/* Start the heartbeat timer on the loop. Returns 0 or -1. */
int eio_server_attach(eio_server *srv, loop *l);

/* Serve sessions at path (e.g. "/socket.io/"). Up to 4 mounts, paths under 64 bytes. Returns 0,
 * or -1 with the reason in err (errlen bytes; NET_ERR_LEN is enough). */
int eio_server_mount(eio_server *srv, const char *path, const eio_handlers *h, void *user,
                     char *err, size_t errlen);

/* Serve data[0..len) (not copied: must outlive the server) at path with a Content-Type. */
int eio_server_add_static(eio_server *srv, const char *path, const char *content_type,
                          const void *data, size_t len);

/* Call fn(now_ms, user) on every heartbeat tick. */
void eio_server_on_tick(eio_server *srv, void (*fn)(uint64_t now_ms, void *user), void *user);

/*
 * The --verbose trace's words for one Engine.IO payload: a text packet or polling body
 * (binary 0), or a binary message (binary 1). Writes a line into out (outlen bytes with the
 * NUL) and returns >= 0, or -1 when it has nothing to say (the trace then shows the bytes).
 * The default names Engine.IO packet types only; the Socket.IO layer sets sio_describe's.
 */
typedef int (*eio_describe_fn)(int binary, const uint8_t *data, size_t len, char *out,
                               size_t outlen);
void eio_server_set_describe(eio_server *srv, eio_describe_fn fn);

/* Close every session (on_close with "server shutting down"): WebSockets get a close frame
 * 1001 (going away), held GETs are answered with a close packet, and new requests get 503. */
void eio_server_close_all(eio_server *srv);

/* Open TCP connections the server still has (for a graceful stop: wait until 0). */
size_t eio_server_conns(const eio_server *srv);

/* For loop_on_refuse: a connection over loop_config.max_conns is answered HTTP 503. */
void eio_refuse(conn *c);

/* The loop the server is attached to (NULL before eio_server_attach and after detach). */
loop *eio_server_loop(const eio_server *srv);

/* The loop is gone (after loop_free): closing sessions from now on touches no timer of it.
 * eio_server_free and sio_server_free call it first, so both must come after loop_free. */
void eio_server_detach(eio_server *srv);

/* One line to the log (stderr), always, not only with --verbose: a limit that bit, what the
 * client saw, and what to change. */
void eio_log(const eio_server *srv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Send one message packet. Over WebSocket it becomes one frame (text, or binary when binary);
 * over polling it waits in the session's queue for the held GET. Returns 0, or -1 once the
 * session is closed.
 */
int eio_send(eio_session *s, int binary, const uint8_t *data, size_t len);

/*
 * A broadcast encodes its packets ONCE. eio_prepare turns the message packets of one
 * delivery (a text packet and its binary attachments, in order) into the WebSocket frames
 * every receiver gets, back to back in one buffer; eio_send_prepared then hands those same
 * bytes to a WebSocket session in one conn_send (no encoding and no allocation per receiver:
 * the loop only copies the bytes into its output buffer), and queues the parts one by one
 * for a polling session.
 */
typedef struct eio_part {
    int binary; /* 0: a text message packet (4...), 1: a binary one */
    const uint8_t *data;
    size_t len;
} eio_part;

typedef struct eio_prepared {
    const eio_part *parts; /* not copied: they must outlive the eio_prepared */
    size_t nparts;
    uint8_t *wire; /* the frames, header + "4" + text, header + bytes, ... */
    size_t wire_len;
} eio_prepared;

/* Returns 0, or -1 when out of memory. Free with eio_prepared_free. */
int eio_prepare(eio_prepared *p, const eio_part *parts, size_t nparts);
void eio_prepared_free(eio_prepared *p);
/* Send the prepared packets to s. Returns 0, or -1 once the session is closed. */
int eio_send_prepared(eio_session *s, const eio_prepared *p);

/* Bytes queued for s that its client has not taken yet: what waits in our queue for its
 * WebSocket (the kernel's send buffer was full), or for its next polling GET. */
size_t eio_pending(const eio_session *s);

/* Close the session from the server side ("forced close"). on_close runs before it returns. */
void eio_close(eio_session *s);

/* The same with the reason the trace and on_close report ("parse error: ..."; not copied). */
void eio_close_reason(eio_session *s, const char *reason);

/* Close it as a failing network would ("transport error": the layer above may recover it). */
void eio_drop(eio_session *s);

/* eio_close_reason at the next safe point (the next round of the loop), for a caller that
 * cannot close now because it still uses the socket (a send that failed in the middle of an
 * emit, an ack, a CONNECT reply). Nothing more is sent to s meanwhile. reason is not copied. */
void eio_close_later(eio_session *s, const char *reason);

const char *eio_sid(const eio_session *s);
const char *eio_transport(const eio_session *s); /* "polling" or "websocket" */
const char *eio_peer(const eio_session *s);      /* the address of its latest TCP connection */
int eio_is_open(const eio_session *s);
void eio_set_user(eio_session *s, void *user);
void *eio_user(const eio_session *s);

#endif
