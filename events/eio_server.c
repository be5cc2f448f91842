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

void eio_log(const eio_server *srv, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (srv->l)
        loop_log(srv->l, "%s", line); /* never blocks: a full stderr pipe drops and counts */
    else
        fprintf(stderr, "events: %s\n", line);
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

#define LATER_MAX 65536 /* answers to requests pipelined behind a held GET, at most */

/*
 * Queue an answer (head, then body) for ec, in request order. HTTP/1.1 answers pipelined
 * requests in the order they came, so while this connection holds a long-poll GET, the answers
 * to requests after it wait (in ec->later) until the GET is answered; they are still handled
 * at once, as Node's http server does. close: the connection ends after this answer.
 */
static void http_out(eio_conn *ec, const void *head, size_t hlen, const void *body, size_t len,
                     int close)
{
    if (ec->holding_get) {
        uint8_t *more = ec->later_len + hlen + len <= LATER_MAX
                            ? realloc(ec->later, ec->later_len + hlen + len + 1)
                            : NULL;
        if (more == NULL) {
            eio_log(ec->srv,
                    "%s: more than %d bytes of answers pipelined behind a held GET; connection "
                    "closed (wait for an answer before sending more requests)",
                    conn_peer(ec->c), LATER_MAX);
            conn_abort(ec->c, "too many requests pipelined behind a held GET");
            return;
        }
        ec->later = more;
        memcpy(ec->later + ec->later_len, head, hlen);
        if (len)
            memcpy(ec->later + ec->later_len + hlen, body, len);
        ec->later_len += hlen + len;
        ec->later_close |= close;
        return;
    }
    /* Head and body as two pieces of one conn_sendv: queued with the round's other output
     * when small, written at once in one sendmsg() when large; never joined by a copy here. */
    struct iovec answer[2] = {{(void *)head, hlen}, {(void *)body, len}};
    if (conn_sendv(ec->c, answer, len ? 2 : 1) < 0)
        return; /* closing already, or out of memory: the loop aborted it with that reason */
    if (close)  /* HTTP/1.1: the client asked for one answer on this connection */
        conn_close(ec->c);
}

/* The held GET was answered: now the answers pipelined behind it, in order. */
void eio_http_flush_later(eio_conn *ec)
{
    uint8_t *later = ec->later;
    size_t n = ec->later_len;
    int close = ec->later_close;
    ec->later = NULL;
    ec->later_len = 0;
    ec->later_close = 0;
    if (n && !conn_is_closing(ec->c)) /* (the GET asked for "Connection: close": no more) */
        http_out(ec, later, n, NULL, 0, close);
    free(later);
}

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
    if (status == 413 || status == 431) /* a size limit bit: say so even without --verbose */
        eio_log(ec->srv, "%s: HTTP %d %s; connection closed", conn_peer(ec->c), status, reason);
    http_out(ec, out, n, NULL, 0, 1);
}

/* An HTTP answer: status, Content-Type (none when type is NULL), CORS, extra header lines. */
void eio_http_send(eio_conn *ec, int status, const char *type, const void *body, size_t len,
                   const char *extra)
{
    char head[768];
    const char *cors = ec->srv->cfg.cors_origin;
    if (ec->srv->stopping) /* shutting down: this is the connection's last answer */
        ec->close_after = 1;
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
    /* a HEAD gets the head a GET would get, Content-Length included, and no body (RFC 9110
     * 9.3.2) */
    http_out(ec, head, (size_t)n, body, ec->head_only ? 0 : len, ec->close_after);
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

/* An upgrade request refused before the 101 (engine.io's abortUpgrade): a bare 400 whose body
 * is the error's message as text/html, then the connection closes. */
void eio_upgrade_error(eio_conn *ec, int code)
{
    char out[256];
    const char *msg = eio_err_msg[code];
    int n = snprintf(out, sizeof out,
                     "HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-type: text/html\r\n"
                     "Content-Length: %zu\r\n\r\n%s",
                     strlen(msg), msg);
    eio_trace(ec->srv, "%s -> HTTP 400 %s (upgrade refused)", conn_peer(ec->c), msg);
    http_out(ec, out, (size_t)n, NULL, 0, 1);
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
    /* as the cors package that engine.io uses: the headers asked for are allowed (and only
     * then is there an Allow-Headers line), and a 204 has no Content-Type */
    int asked = eio_req_header(ec->req, "Access-Control-Request-Headers", &h, &hl);
    snprintf(extra, sizeof extra,
             "Access-Control-Allow-Methods: GET,HEAD,PUT,PATCH,POST,DELETE\r\n"
             "%s%.*s%sVary: Access-Control-Request-Headers\r\n",
             asked ? "Access-Control-Allow-Headers: " : "", asked ? (int)(hl < 200 ? hl : 200) : 0,
             asked ? h : "", asked ? "\r\n" : "");
    eio_http_send(ec, 204, NULL, NULL, 0, extra);
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
        eio_http_send(ec, 200, srv->files[i].type, srv->files[i].data, srv->files[i].len, NULL);
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

/*
 * engine.io's verify(), in its order: the transport (0: unknown), then with a sid: the session
 * (1: unknown), a transport other than the session's without an upgrade (3), an EIO version
 * other than the session's (3); without a sid (a handshake): the method (2: GET only), and a
 * WebSocket handshake must be an upgrade (3). Returns the error code, or -1 with *s the
 * session (NULL for a handshake). The handshake's own version check (5) comes later.
 */
static int verify(eio_conn *ec, int upgrade, eio_session **s)
{
    const eio_req *r = ec->req;
    const char *sid;
    size_t sl;
    int ws = eio_query_is(r, "transport", "websocket");
    if (!ws && !eio_query_is(r, "transport", "polling"))
        return EIO_ERR_TRANSPORT;
    if (eio_query_get(r, "sid", &sid, &sl) && sl > 0) { /* engine.io: an empty sid is none */
        *s = eio_session_find(ec->srv, sid, sl);
        if (*s == NULL || ((*s)->closed && upgrade)) /* (closed: waits for its last GET) */
            return EIO_ERR_SID;
        if (!upgrade && ws != (*s)->websocket) /* e.g. polling for an upgraded session */
            return EIO_ERR_REQUEST;
        if (!eio_query_is(r, "EIO", "4")) /* every session here speaks version 4 */
            return EIO_ERR_REQUEST;
        return -1;
    }
    if (!eio_method_is(r, "GET"))
        return EIO_ERR_METHOD;
    if (ws && !upgrade)
        return EIO_ERR_REQUEST;
    return -1;
}

static void handle_request(eio_conn *ec)
{
    eio_req *r = ec->req;
    const eio_mount *m = NULL;
    for (size_t i = 0; i < ec->srv->nmounts; i++)
        if (eio_req_path_is(r, ec->srv->mounts[i].path))
            m = &ec->srv->mounts[i];
    if (ec->srv->stopping) {
        eio_http_failure(ec, 503, "the server is shutting down");
        return;
    }
    if (m == NULL) {
        if (!serve_static(ec))
            eio_http_send(ec, 404, "text/plain", "not found\n", 10, NULL);
        return;
    }
    if (eio_method_is(r, "OPTIONS")) {
        send_preflight(ec);
        return;
    }
    int upgrade = is_upgrade(r) && !ec->holding_get; /* no upgrade behind a held GET */
    eio_session *s = NULL;
    int code = verify(ec, upgrade, &s);
    if (code >= 0 && upgrade)
        eio_upgrade_error(ec, code);
    else if (code >= 0)
        eio_http_error(ec, code);
    else if (upgrade)
        eio_websocket_request(ec, m, s);
    else
        eio_polling_request(ec, m, s);
}

/* A body over maxPayload (the head says so). For a polling session's POST, as engine.io's
 * polling transport: a bare 413 and the connection cut, and the session ends ("payload too
 * large" is a transport error); anything else gets eio_http_failure's 413. */
static void payload_too_large(eio_conn *ec)
{
    const char *sid;
    size_t sl;
    eio_session *s = NULL;
    if (eio_query_get(ec->req, "sid", &sid, &sl))
        s = eio_session_find(ec->srv, sid, sl);
    if (s == NULL || s->websocket) {
        eio_http_failure(ec, 413, ec->req->reason);
        return;
    }
    eio_log(ec->srv, "%s (%s): HTTP 413 a POST body over maxPayload (%zu bytes); session closed",
            s->sid, conn_peer(ec->c), ec->srv->cfg.max_payload);
    ec->close_after = 1;
    eio_http_send(ec, 413, NULL, NULL, 0, NULL);
    eio_session_close(s, "transport error", 0);
}

/*
 * Requests, one after another (keep-alive), also behind a held GET (pipelining: their answers
 * wait for the GET's, see http_out). Stops at a WebSocket (the rest is frames), at a close,
 * and after "Connection: close".
 */
static size_t http_data(eio_conn *ec, const uint8_t *data, size_t len)
{
    size_t used = 0;
    while (used < len && !ec->is_ws && !ec->later_close && !conn_is_closing(ec->c)) {
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
        eio_head_done(ec);
        if (ec->req->state == EIO_REQ_FAIL && ec->req->status == 413)
            payload_too_large(ec);
        else if (ec->req->state == EIO_REQ_FAIL)
            eio_http_failure(ec, ec->req->status, ec->req->reason);
        else {
            ec->close_after = wants_close(ec->req);
            ec->head_only = eio_method_is(ec->req, "HEAD");
            handle_request(ec);
            ec->head_only = 0; /* later answers (the held GET's) are to GETs */
        }
        eio_req_free(ec->req);
        free(ec->req); /* a WebSocket or an idle keep-alive connection keeps no 8 KiB head */
        ec->req = NULL;
        if (!ec->is_ws && !ec->holding_get)
            eio_head_wait(ec); /* the next request's clock starts now */
    }
    if (ec->is_ws && used < len && !conn_is_closing(ec->c))
        used += eio_ws_data(ec, data + used, len - used);
    if (!ec->is_ws && used < len) /* after a close: the rest is ignored */
        used = len;
    return used;
}

/* ---------------------------------------------------------------------------------------- */
/* limits on connections: how many, and how long a request may take                         */

/* The loop's refusal over max_conns (loop_on_refuse): the loop logs it, sends this, sends its
 * FIN and closes; the protocol's callbacks never see the connection. */
void eio_refuse(conn *c)
{
    static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\n"
                               "Content-Length: 38\r\nConnection: close\r\nRetry-After: 1\r\n\r\n"
                               "server busy: too many connections open\n";
    conn_send(c, busy, sizeof busy - 1);
}

/* The head timeout fired: 408 if a request had begun, else just close. */
static void head_expired(loop *l, void *arg)
{
    eio_conn *ec = arg;
    (void)l;
    ec->head = 0;
    int begun = ec->req && ec->req->head.used > 0;
    eio_log(ec->srv, "%s closed: %s within %u ms (--head-timeout)%s", conn_peer(ec->c),
            begun ? "the request was not complete" : "no request", ec->srv->cfg.head_timeout_ms,
            begun ? "; answered 408" : "");
    if (begun)
        eio_http_failure(ec, 408, "the request was not complete in time");
    else
        conn_close(ec->c);
}

/* ec is waiting for a request: it must be whole within head_timeout_ms (a timer of the loop,
 * exact; with no timer to be had, the connection is not kept waiting for nothing: closed). */
void eio_head_wait(eio_conn *ec)
{
    eio_head_done(ec);
    ec->head = loop_timer_start(conn_loop(ec->c), ec->srv->cfg.head_timeout_ms, head_expired, ec);
    if (ec->head == 0)
        conn_close(ec->c);
}

void eio_head_done(eio_conn *ec)
{
    if (ec->head)
        loop_timer_stop(conn_loop(ec->c), ec->head);
    ec->head = 0;
}

/* ---------------------------------------------------------------------------------------- */
/* the loop's callbacks                                                                      */

static void on_open(conn *c)
{
    eio_server *srv = loop_user(conn_loop(c));
    eio_conn *ec = calloc(1, sizeof *ec);
    if (ec == NULL) {
        conn_abort(c, "out of memory");
        return;
    }
    ec->srv = srv;
    ec->c = c;
    srv->nconns++;
    conn_set_data(c, ec); /* (the loop already set TCP_NODELAY: events leave at once) */
    eio_head_wait(ec);
}

static size_t on_data(conn *c, const uint8_t *data, size_t len)
{
    eio_conn *ec = conn_data(c);
    if (ec == NULL)
        return len;
    size_t used = ec->is_ws ? eio_ws_data(ec, data, len) : http_data(ec, data, len);
    eio_close_doomed(ec->srv); /* a limit that bit inside a broadcast: close now, safely */
    return used;
}

static void on_close(conn *c, const char *why)
{
    eio_conn *ec = conn_data(c);
    if (ec == NULL)
        return;
    eio_server *srv = ec->srv;
    eio_session *s = ec->sess;
    const char *reason = ec->cut ? ec->cut : NULL;
    (void)why;
    if (s && s->poll_get == ec) { /* the held GET's connection went away: engine.io gives up */
        s->poll_get = NULL;
        eio_session_close(s, reason ? reason : "transport error", 0);
    } else if (s && s->ws == ec) {
        s->ws = NULL;
        eio_session_close(s, reason ? reason : "transport close", 0);
    } else if (s && s->probe == ec) {
        s->probe = NULL;
    }
    eio_head_done(ec);
    srv->nconns--;
    if (ec->is_ws)
        ws_decoder_free(&ec->dec);
    if (ec->req) {
        eio_req_free(ec->req);
        free(ec->req);
    }
    free(ec->later);
    free(ec);
    conn_set_data(c, NULL);
    eio_close_doomed(srv);
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
    if (!srv->cfg.max_queue)
        srv->cfg.max_queue = EIO_DEFAULT_MAX_QUEUE;
    if (!srv->cfg.max_sessions)
        srv->cfg.max_sessions = EIO_DEFAULT_MAX_SESSIONS;
    if (!srv->cfg.max_handshakes)
        srv->cfg.max_handshakes = EIO_DEFAULT_MAX_HANDSHAKES;
    if (!srv->cfg.head_timeout_ms)
        srv->cfg.head_timeout_ms = EIO_DEFAULT_HEAD_TIMEOUT;
    srv->describe = describe_eio;
    return srv;
}

void eio_server_free(eio_server *srv)
{
    if (srv == NULL)
        return;
    eio_server_detach(srv); /* after loop_free: its timers are gone */
    eio_server_close_all(srv);
    srv->doomed = NULL; /* all closed now */
    while (srv->dead) {
        eio_session *s = srv->dead;
        srv->dead = s->next;
        eio_session_free(s);
    }
    free(srv->table);
    free(srv);
}

/* The heartbeat itself runs on each session's own exact timer (eio_session.c); this tick
 * every 100 ms ends upgrading GETs with noop (as engine.io does, 100 ms later), runs the layer
 * above's timers (connect timeout, recovery window) and frees closed sessions. */
int eio_server_attach(eio_server *srv, loop *l)
{
    srv->l = l;
    return loop_add_timer(l, 100, eio_heartbeat, srv);
}

int eio_server_mount(eio_server *srv, const char *path, const eio_handlers *h, void *user,
                     char *err, size_t errlen)
{
    if (srv->nmounts == EIO_MAX_MOUNTS) {
        snprintf(err, errlen, "cannot serve %s: the server has its %d paths already", path,
                 EIO_MAX_MOUNTS);
        return -1;
    }
    if (strlen(path) >= sizeof srv->mounts[0].path) {
        snprintf(err, errlen, "cannot serve %.40s...: a path must be under %zu bytes", path,
                 sizeof srv->mounts[0].path);
        return -1;
    }
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

static void close_idle(conn *c, void *arg)
{
    eio_conn *ec = conn_data(c);
    (void)arg;
    if (ec && !ec->is_ws && !ec->holding_get && ec->req == NULL)
        conn_close(c);
}

void eio_server_close_all(eio_server *srv)
{
    srv->stopping = 1;
    while (srv->sessions)
        eio_session_close(srv->sessions, "server shutting down", 0);
    if (srv->l) /* idle keep-alive connections: nothing to answer, just close */
        loop_foreach_conn(srv->l, close_idle, NULL);
}

size_t eio_server_conns(const eio_server *srv)
{
    return srv->nconns;
}

loop *eio_server_loop(const eio_server *srv)
{
    return srv->l;
}

void eio_server_detach(eio_server *srv)
{
    srv->l = NULL;
    srv->doom_timer = 0;
}
