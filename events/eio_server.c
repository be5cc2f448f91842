/*
 * eio_server.c - the Engine.IO server's front door (see eio_server.h): the loop's callbacks,
 * each HTTP request routed to a mount point, a static file or 404, CORS, HTTP answers with
 * Engine.IO's error codes, and the trace.
 *
 * Two kinds of TCP connection reach us, told apart by their first request:
 *   an HTTP connection carries polling requests (keep-alive: one after another), and may hold
 *     one session's long-poll GET open until that session has packets to deliver
 *     (eio_polling.c);
 *   a WebSocket connection began as an HTTP upgrade and then carries one session's packets,
 *     one per frame, through ws_handshake's frame decoder (eio_websocket.c).
 * A session (eio_session.c) never owns a TCP connection: it points at the connection holding
 * its GET, or at its WebSocket (and, during an upgrade, at the probing WebSocket). When a
 * connection goes, its pointers are cleared; when a session closes, it is unlinked at once and
 * freed on the next heartbeat tick, so no callback below ever touches freed memory.
 */
#include "eio_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ws_handshake.h"

static const char *const eio_err_msg[] = {
    "Transport unknown", "Session ID unknown", "Bad handshake method",
    "Bad request",       "Forbidden",          "Unsupported protocol version"};

/* ---------------------------------------------------------------------------------------- */
/* the teaching trace                                                                        */

void eio_trace(const eio_server *srv, const char *fmt, ...)
{
    if (!srv->cfg.verbose)
        return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "events: ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* Engine.IO's own words for a payload: its packet type (the layer above may say more). */
static int describe_eio(int binary, const uint8_t *data, size_t len, char *out, size_t outlen)
{
    eio_packet p;
    if (binary)
        return snprintf(out, outlen, "engine.io MESSAGE binary %zu bytes", len);
    if (eio_decode_text(data, len, &p) < 0) /* a polling body of several records, or junk */
        return snprintf(out, outlen, "engine.io %zu bytes", len);
    return snprintf(out, outlen, "engine.io %s %.*s", eio_type_name((int)p.type),
                    (int)(p.len < 200 ? p.len : 200), (const char *)p.data);
}

/* One Engine.IO payload as the sniffer would show it, with its direction. */
void eio_trace_packet(const eio_session *s, const char *dir, int binary, const uint8_t *data,
                      size_t len)
{
    char line[320];
    if (!s->srv->cfg.verbose)
        return;
    if (s->srv->describe(binary, data, len, line, sizeof line) < 0)
        describe_eio(binary, data, len, line, sizeof line);
    eio_trace(s->srv, "%s %s %s (%s)", s->sid, dir, line, s->websocket ? "websocket" : "polling");
}

/* ---------------------------------------------------------------------------------------- */
/* HTTP answers                                                                              */

/* A failure of the HTTP layer itself, or of the server (413, 431, 503): answer, close. */
void eio_http_failure(eio_conn *ec, int status, const char *reason)
{
    char out[WS_RESPONSE_MAX];
    size_t n = ws_http_error_response(status, reason, out, sizeof out);
    if (status == 413) /* ws_http_status_text has no phrase for it; say it ourselves */
        n = (size_t)snprintf(out, sizeof out,
                             "HTTP/1.1 413 Payload Too Large\r\nContent-Type: text/plain\r\n"
                             "Content-Length: %zu\r\nConnection: close\r\n\r\n%s\n",
                             strlen(reason) + 1, reason);
    eio_trace(ec->srv, "%s -> HTTP %d %s", conn_peer(ec->c), status, reason);
    conn_send(ec->c, out, n);
    conn_close(ec->c);
}

/* An HTTP answer: status, Content-Type (none when type is NULL), CORS, extra header lines. */
void eio_http_send(eio_conn *ec, int status, const char *type, const void *body, size_t len,
                   const char *extra)
{
    char head[768];
    const char *cors = ec->srv->cfg.cors_origin;
    int n = snprintf(
        head, sizeof head,
        "HTTP/1.1 %d %s\r\n%s%s%sContent-Length: %zu\r\n"
        "%s%s%s%s%s\r\n",
        status, ws_http_status_text(status), type ? "Content-Type: " : "", type ? type : "",
        type ? "\r\n" : "", len, cors ? "Access-Control-Allow-Origin: " : "", cors ? cors : "",
        cors ? "\r\n" : "", extra ? extra : "", ec->close_after ? "Connection: close\r\n" : "");
    if (n < 0 || (size_t)n >= sizeof head) {
        eio_http_failure(ec, 503, "response head too long");
        return;
    }
    /* two conn_sends, one TCP write: the loop sends a connection's output once per round */
    if (conn_send(ec->c, head, (size_t)n) < 0 || (len && conn_send(ec->c, body, len) < 0)) {
        conn_abort(ec->c, "out of memory queueing an HTTP answer");
        return;
    }
    if (ec->close_after) /* HTTP/1.1: the client asked for one answer on this connection */
        conn_close(ec->c);
}

/* 400 with Engine.IO's error body: {"code":1,"message":"Session ID unknown"}. */
void eio_http_error(eio_conn *ec, int code)
{
    char body[96];
    int n =
        snprintf(body, sizeof body, "{\"code\":%d,\"message\":\"%s\"}", code, eio_err_msg[code]);
    eio_trace(ec->srv, "%s -> HTTP 400 %s", conn_peer(ec->c), eio_err_msg[code]);
    eio_http_send(ec, 400, "application/json", body, (size_t)n, NULL);
}

/* ---------------------------------------------------------------------------------------- */
/* HTTP requests: routing, static files, CORS                                               */

int eio_query_is(const eio_req *r, const char *key, const char *want)
{
    const char *v;
    size_t vl;
    return eio_query_get(r, key, &v, &vl) && vl == strlen(want) && memcmp(v, want, vl) == 0;
}

int eio_method_is(const eio_req *r, const char *m)
{
    return ws_http_span_ieq(&r->head, r->head.method, m) && r->head.method.len == strlen(m);
}

/* A CORS preflight (the browser asks before a cross-origin POST): say yes to everything. */
static void send_preflight(eio_conn *ec)
{
    const char *h;
    size_t hl;
    char extra[384];
    if (!eio_req_header(ec->req, "Access-Control-Request-Headers", &h, &hl))
        h = "", hl = 0;
    snprintf(extra, sizeof extra,
             "Access-Control-Allow-Methods: GET,HEAD,PUT,PATCH,POST,DELETE\r\n"
             "Access-Control-Allow-Headers: %.*s\r\nVary: Access-Control-Request-Headers\r\n",
             (int)(hl < 200 ? hl : 200), h);
    eio_http_send(ec, 204, "text/plain", NULL, 0, extra);
}

static int serve_static(eio_conn *ec)
{
    eio_server *srv = ec->srv;
    for (size_t i = 0; i < srv->nfiles; i++) {
        if (!eio_req_path_is(ec->req, srv->files[i].path))
            continue;
        if (!eio_method_is(ec->req, "GET") && !eio_method_is(ec->req, "HEAD")) {
            eio_http_send(ec, 405, "text/plain", "GET only\n", 9, "Allow: GET\r\n");
            return 1;
        }
        eio_http_send(ec, 200, srv->files[i].type, srv->files[i].data,
                      eio_method_is(ec->req, "HEAD") ? 0 : srv->files[i].len, NULL);
        return 1;
    }
    return 0;
}

/* Does the request carry "Connection: close" (a token list, any case)? */
static int wants_close(const eio_req *r)
{
    const char *v;
    size_t n;
    if (!eio_req_header(r, "Connection", &v, &n))
        return 0;
    for (size_t i = 0; i + 5 <= n; i++)
        if (strncasecmp(v + i, "close", 5) == 0 && (i == 0 || v[i - 1] == ' ' || v[i - 1] == ','))
            return 1;
    return 0;
}

/* Does the request ask for a protocol upgrade (an "Upgrade: websocket" header)? */
static int is_upgrade(const eio_req *r)
{
    const char *v;
    size_t n;
    return eio_req_header(r, "Upgrade", &v, &n) && n == 9 && strncasecmp(v, "websocket", 9) == 0;
}

static void handle_request(eio_conn *ec)
{
    eio_req *r = ec->req;
    const eio_mount *m = NULL;
    for (size_t i = 0; i < ec->srv->nmounts; i++)
        if (eio_req_path_is(r, ec->srv->mounts[i].path))
            m = &ec->srv->mounts[i];
    if (m == NULL) {
        if (!serve_static(ec))
            eio_http_send(ec, 404, "text/plain", "not found\n", 10, NULL);
        return;
    }
    if (eio_method_is(r, "OPTIONS")) {
        send_preflight(ec);
        return;
    }
    /* engine.io's order: the transport, then the sid (unknown: 1), then for a handshake the
     * method (2) and the protocol version (5); a WebSocket request must be an upgrade (3) */
    int ws = eio_query_is(r, "transport", "websocket");
    if (!ws && !eio_query_is(r, "transport", "polling"))
        eio_http_error(ec, EIO_ERR_TRANSPORT);
    else if (ws && !is_upgrade(r))
        eio_http_error(ec, EIO_ERR_REQUEST);
    else if (ws)
        eio_websocket_request(ec, m);
    else
        eio_polling_request(ec, m);
}

static size_t http_data(eio_conn *ec, const uint8_t *data, size_t len)
{
    size_t used = 0;
    while (used < len && !ec->is_ws && !ec->holding_get && !conn_is_closing(ec->c)) {
        if (ec->req == NULL) {
            ec->req = malloc(sizeof *ec->req);
            if (ec->req == NULL) {
                conn_abort(ec->c, "out of memory for an HTTP request");
                return len;
            }
            eio_req_init(ec->req, ec->srv->cfg.max_payload);
        }
        used += eio_req_feed(ec->req, data + used, len - used);
        if (ec->req->state == EIO_REQ_MORE)
            break;
        if (ec->req->state == EIO_REQ_FAIL)
            eio_http_failure(ec, ec->req->status, ec->req->reason);
        else {
            ec->close_after = wants_close(ec->req);
            handle_request(ec);
        }
        eio_req_free(ec->req);
        free(ec->req); /* a WebSocket or an idle keep-alive connection keeps no 8 KiB head */
        ec->req = NULL;
    }
    if (ec->is_ws && used < len && !conn_is_closing(ec->c))
        used += eio_ws_data(ec, data + used, len - used);
    return used;
}

/* ---------------------------------------------------------------------------------------- */
/* the loop's callbacks                                                                      */

static void on_open(conn *c)
{
    eio_conn *ec = calloc(1, sizeof *ec);
    if (ec == NULL) {
        conn_abort(c, "out of memory");
        return;
    }
    ec->srv = loop_user(conn_loop(c));
    ec->c = c;
    conn_set_data(c, ec); /* (the loop already set TCP_NODELAY: events leave at once) */
}

static size_t on_data(conn *c, const uint8_t *data, size_t len)
{
    eio_conn *ec = conn_data(c);
    if (ec == NULL)
        return len;
    if (ec->is_ws)
        return eio_ws_data(ec, data, len);
    return http_data(ec, data, len);
}

static void on_close(conn *c, const char *why)
{
    eio_conn *ec = conn_data(c);
    (void)why;
    if (ec == NULL)
        return;
    eio_session *s = ec->sess;
    if (s && s->poll_get == ec) { /* the held GET's connection went away: engine.io gives up */
        s->poll_get = NULL;
        eio_session_close(s, "transport error", 0);
    } else if (s && s->ws == ec) {
        s->ws = NULL;
        eio_session_close(s, "transport close", 0);
    } else if (s && s->probe == ec) {
        s->probe = NULL;
    }
    if (ec->is_ws)
        ws_decoder_free(&ec->dec);
    if (ec->req) {
        eio_req_free(ec->req);
        free(ec->req);
    }
    free(ec);
    conn_set_data(c, NULL);
}

static const loop_handlers eio_handlers_for_loop = {on_open, on_data, on_close};

const loop_handlers *eio_loop_handlers(void)
{
    return &eio_handlers_for_loop;
}

/* ---------------------------------------------------------------------------------------- */
/* the public API                                                                            */

eio_server *eio_server_new(const eio_config *cfg, char *err, size_t errlen)
{
    eio_server *srv = calloc(1, sizeof *srv);
    if (srv == NULL) {
        snprintf(err, errlen, "out of memory creating the Engine.IO server");
        return NULL;
    }
    srv->cfg = *cfg;
    if (!srv->cfg.ping_interval_ms)
        srv->cfg.ping_interval_ms = 25000;
    if (!srv->cfg.ping_timeout_ms)
        srv->cfg.ping_timeout_ms = 20000;
    if (!srv->cfg.max_payload)
        srv->cfg.max_payload = 1000000;
    srv->describe = describe_eio;
    return srv;
}

void eio_server_free(eio_server *srv)
{
    if (srv == NULL)
        return;
    eio_server_close_all(srv);
    while (srv->dead) {
        eio_session *s = srv->dead;
        srv->dead = s->next;
        eio_session_free(s);
    }
    free(srv);
}

int eio_server_attach(eio_server *srv, loop *l)
{
    unsigned t = srv->cfg.ping_timeout_ms < srv->cfg.ping_interval_ms ? srv->cfg.ping_timeout_ms
                                                                      : srv->cfg.ping_interval_ms;
    t /= 8; /* checks several times per timeout, so "late" is late by at most an eighth */
    if (t < 10)
        t = 10;
    if (t > 100) /* and at least every 100 ms: the noops of an upgrade wait for this tick */
        t = 100;
    srv->l = l;
    return loop_add_timer(l, t, eio_heartbeat, srv);
}

int eio_server_mount(eio_server *srv, const char *path, const eio_handlers *h, void *user)
{
    if (srv->nmounts == EIO_MAX_MOUNTS || strlen(path) >= sizeof srv->mounts[0].path)
        return -1;
    eio_mount *m = &srv->mounts[srv->nmounts++];
    snprintf(m->path, sizeof m->path, "%s", path);
    m->h = *h;
    m->user = user;
    return 0;
}

int eio_server_add_static(eio_server *srv, const char *path, const char *content_type,
                          const void *data, size_t len)
{
    if (srv->nfiles == EIO_MAX_STATIC || strlen(path) >= sizeof srv->files[0].path)
        return -1;
    eio_static *f = &srv->files[srv->nfiles++];
    snprintf(f->path, sizeof f->path, "%s", path);
    f->type = content_type;
    f->data = data;
    f->len = len;
    return 0;
}

void eio_server_on_tick(eio_server *srv, void (*fn)(uint64_t now_ms, void *user), void *user)
{
    srv->tick_fn = fn;
    srv->tick_user = user;
}

void eio_server_set_describe(eio_server *srv, eio_describe_fn fn)
{
    srv->describe = fn ? fn : describe_eio;
}

void eio_server_close_all(eio_server *srv)
{
    while (srv->sessions)
        eio_session_close(srv->sessions, "server shutting down", 0);
}
