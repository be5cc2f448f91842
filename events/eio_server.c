/*
 * eio_server.c - Engine.IO v4 sessions and transports on the shared loop (see eio_server.h).
 *
 * Two kinds of TCP connection reach us, told apart by their first request:
 *   an HTTP connection carries polling requests (keep-alive: one after another), and may hold
 *     one session's long-poll GET open until that session has packets to deliver;
 *   a WebSocket connection began as an HTTP upgrade and then carries one session's packets,
 *     one per frame, through ws_handshake's frame decoder.
 * A session never owns a TCP connection: it points at the connection holding its GET, or at its
 * WebSocket (and, during an upgrade, at the probing WebSocket). When a connection goes, its
 * pointers are cleared; when a session closes, it is unlinked at once and freed on the next
 * heartbeat tick, so no callback below ever touches freed memory.
 */
#include "eio_server.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include <cjson/cJSON.h>

#include "base64.h"
#include "eio_http.h"
#include "eio_packet.h"
#include "net.h"
#include "sio_packet.h"
#include "ws_frame.h"
#include "ws_handshake.h"

#define EIO_SID_LEN    20 /* base64url of 15 random bytes */
#define EIO_MAX_MOUNTS 4
#define EIO_MAX_STATIC 8

/* Engine.IO's error codes, sent as {"code":N,"message":"..."} with HTTP 400 (or 403). */
enum {
    EIO_ERR_TRANSPORT = 0, /* Transport unknown */
    EIO_ERR_SID = 1,       /* Session ID unknown */
    EIO_ERR_METHOD = 2,    /* Bad handshake method */
    EIO_ERR_REQUEST = 3,   /* Bad request */
    EIO_ERR_VERSION = 5,   /* Unsupported protocol version */
};
static const char *const eio_err_msg[] = {
    "Transport unknown", "Session ID unknown", "Bad handshake method",
    "Bad request",       "Forbidden",          "Unsupported protocol version"};

typedef struct mount {
    char path[64];
    eio_handlers h;
    void *user;
} mount;

typedef struct static_file {
    char path[64];
    const char *type;
    const void *data;
    size_t len;
} static_file;

typedef struct out_packet {
    eio_type type;
    int binary;
    size_t len;
    uint8_t data[];
} out_packet;

typedef struct eio_conn eio_conn;

struct eio_session {
    char sid[EIO_SID_LEN + 1];
    eio_server *srv;
    const mount *m;
    int websocket;      /* 0: polling, 1: the session now lives on a WebSocket */
    int closed;         /* on_close has run; freed on the next tick */
    int upgrading;      /* a probe succeeded: held GETs are ended with noop */
    eio_conn *poll_get; /* the connection holding our long-poll GET, or NULL */
    eio_conn *ws;       /* our WebSocket once websocket == 1 */
    eio_conn *probe;    /* a WebSocket being probed for the upgrade */
    out_packet **queue; /* packets waiting for a GET (polling only) */
    size_t nqueue, capqueue;
    uint64_t next_ping;     /* when the next ping is due */
    uint64_t pong_deadline; /* 0, or when a missing pong means "ping timeout" */
    char peer[NET_ADDR_LEN];
    void *user;
    eio_session *next, *prev;
};

struct eio_conn {
    eio_server *srv;
    conn *c;
    int is_ws;
    eio_req *req;      /* the HTTP request being read (HTTP connections only) */
    ws_decoder dec;    /* WebSocket connections only */
    eio_session *sess; /* WebSocket: its session; HTTP: the session whose GET we hold */
    int holding_get;   /* HTTP: a long-poll GET is waiting for packets */
    int close_after;   /* HTTP: the client sent "Connection: close": close after the answer */
};

struct eio_server {
    eio_config cfg;
    loop *l;
    mount mounts[EIO_MAX_MOUNTS];
    size_t nmounts;
    static_file files[EIO_MAX_STATIC];
    size_t nfiles;
    eio_session *sessions; /* open sessions */
    eio_session *dead;     /* closed, freed on the next tick */
    void (*tick_fn)(uint64_t now_ms, void *user);
    void *tick_user;
};

/* ---------------------------------------------------------------------------------------- */
/* the teaching trace                                                                        */

static void trace(const eio_server *srv, const char *fmt, ...)
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

/* One Engine.IO packet as the sniffer would show it, with its direction. */
static void trace_packet(const eio_session *s, const char *dir, const out_packet *p,
                         const uint8_t *text, size_t len)
{
    char line[320];
    if (!s->srv->cfg.verbose)
        return;
    if (p && p->binary)
        sio_describe_binary(p->len, line, sizeof line);
    else
        sio_describe(text, len, line, sizeof line);
    trace(s->srv, "%s %s %s (%s)", s->sid, dir, line, s->websocket ? "websocket" : "polling");
}

/* ---------------------------------------------------------------------------------------- */
/* HTTP responses                                                                            */

static void send_http(eio_conn *ec, int status, const char *type, const void *body, size_t len,
                      const char *extra)
{
    char head[768];
    const char *cors = ec->srv->cfg.cors_origin;
    int n =
        snprintf(head, sizeof head,
                 "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                 "%s%s%s%s%s\r\n",
                 status, ws_http_status_text(status), type, len,
                 cors ? "Access-Control-Allow-Origin: " : "", cors ? cors : "", cors ? "\r\n" : "",
                 extra ? extra : "", ec->close_after ? "Connection: close\r\n" : "");
    if (n < 0 || (size_t)n >= sizeof head)
        return;
    char *out = malloc((size_t)n + len); /* head and body in one write (see ws_send) */
    if (out == NULL)
        return;
    memcpy(out, head, (size_t)n);
    if (len)
        memcpy(out + n, body, len);
    conn_send(ec->c, out, (size_t)n + len);
    free(out);
    if (ec->close_after) /* HTTP/1.1: the client asked for one answer on this connection */
        conn_close(ec->c);
}

/* 400 with Engine.IO's error body: {"code":1,"message":"Session ID unknown"}. */
static void send_eio_error(eio_conn *ec, int code)
{
    char body[96];
    int n =
        snprintf(body, sizeof body, "{\"code\":%d,\"message\":\"%s\"}", code, eio_err_msg[code]);
    trace(ec->srv, "%s -> HTTP 400 %s", conn_peer(ec->c), eio_err_msg[code]);
    send_http(ec, 400, "application/json", body, (size_t)n, NULL);
}

/* A failure of the HTTP layer itself (413, 431, ...): answer and close the connection. */
static void send_http_failure(eio_conn *ec, int status, const char *reason)
{
    char out[WS_RESPONSE_MAX];
    size_t n = ws_http_error_response(status, reason, out, sizeof out);
    if (status == 413) /* ws_http_status_text has no phrase for it; say it ourselves */
        n = (size_t)snprintf(out, sizeof out,
                             "HTTP/1.1 413 Payload Too Large\r\nContent-Type: text/plain\r\n"
                             "Content-Length: %zu\r\nConnection: close\r\n\r\n%s\n",
                             strlen(reason) + 1, reason);
    trace(ec->srv, "%s -> HTTP %d %s", conn_peer(ec->c), status, reason);
    conn_send(ec->c, out, n);
    conn_close(ec->c);
}

/* ---------------------------------------------------------------------------------------- */
/* sessions                                                                                  */

static void make_sid(char out[EIO_SID_LEN + 1])
{
    uint8_t raw[15];
    char b64[EIO_SID_LEN + 1];
    if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw) {
        static uint64_t counter; /* no entropy (should not happen): still unique per process */
        counter++;
        memset(raw, 0, sizeof raw);
        memcpy(raw, &counter, sizeof counter);
    }
    base64_encode(raw, sizeof raw, b64, sizeof b64);
    for (char *c = b64; *c; c++) /* base64url: sids go into URLs */
        *c = *c == '+' ? '-' : (*c == '/' ? '_' : *c);
    memcpy(out, b64, EIO_SID_LEN + 1);
}

static eio_session *find_session(eio_server *srv, const char *sid, size_t len)
{
    for (eio_session *s = srv->sessions; s; s = s->next)
        if (len == EIO_SID_LEN && memcmp(s->sid, sid, len) == 0)
            return s;
    return NULL;
}

/* Write one unmasked frame (servers never mask) at out; returns its size.
 * out must hold ws_encoded_size(len, 0) bytes. */
static size_t frame_at(uint8_t *out, unsigned opcode, const void *data, size_t len)
{
    size_t h = ws_encode_header(out, 1, opcode, len, NULL);
    if (len)
        memcpy(out + h, data, len);
    return h + len;
}

/* One frame, header and payload in ONE buffer and one conn_send (small ones on the stack). */
static void ws_send(eio_conn *ec, unsigned opcode, const void *data, size_t len)
{
    uint8_t small[WS_MAX_HEADER + 256];
    uint8_t *out = len <= 256 ? small : malloc(WS_MAX_HEADER + len);
    if (out == NULL)
        return;
    conn_send(ec->c, out, frame_at(out, opcode, data, len));
    if (out != small)
        free(out);
}

/* Write a text packet (digit + data) as one WebSocket text frame at out; returns its size.
 * out must hold ws_encoded_size(len + 1, 0) bytes. */
static size_t text_frame(uint8_t *out, eio_type type, const void *d, size_t len)
{
    size_t h = ws_encode_header(out, 1, WS_OP_TEXT, len + 1, NULL);
    out[h] = (uint8_t)('0' + (int)type);
    if (len)
        memcpy(out + h + 1, d, len);
    return h + 1 + len;
}

/* A text packet as one WebSocket text frame, built in place (small ones on the stack). */
static void ws_send_text(eio_session *s, eio_conn *ec, eio_type type, const void *d, size_t len)
{
    uint8_t small[WS_MAX_HEADER + 256];
    uint8_t *out = len < 256 ? small : malloc(WS_MAX_HEADER + 1 + len);
    if (out == NULL)
        return;
    size_t n = text_frame(out, type, d, len);
    trace_packet(s, "->", NULL, out + (n - len - 1), len + 1);
    conn_send(ec->c, out, n);
    if (out != small)
        free(out);
}

static void ws_close_conn(eio_conn *ec, unsigned code, const char *reason)
{
    uint8_t payload[WS_MAX_CONTROL];
    size_t n = ws_close_payload(payload, code, reason);
    ws_send(ec, WS_OP_CLOSE, payload, n);
    /* Our close frame, then our FIN, then wait for the client's close frame and FIN: closing
     * outright would answer its close frame with a reset (RFC 6455 7.1.1, lingering close). */
    conn_shutdown_write(ec->c);
}

/* The body of one polling response: every queued packet, joined by 0x1e. */
static char *build_body(eio_session *s, size_t *len)
{
    size_t cap = 1;
    for (size_t i = 0; i < s->nqueue; i++)
        cap += EIO_B64_LEN(s->queue[i]->len) + 2;
    char *body = malloc(cap);
    if (body == NULL)
        return NULL;
    size_t n = 0;
    for (size_t i = 0; i < s->nqueue; i++) {
        out_packet *p = s->queue[i];
        if (i)
            body[n++] = EIO_RECORD_SEP;
        if (p->binary)
            n += eio_encode_b64(body + n, cap - n, p->data, p->len);
        else
            n += eio_encode_text(body + n, cap - n, p->type, p->data, p->len);
        free(p);
    }
    s->nqueue = 0;
    *len = n;
    return body;
}

/* Answer the held GET with a body (or with the queue when body is NULL). */
static void answer_get(eio_session *s, const char *body, size_t len)
{
    eio_conn *ec = s->poll_get;
    char *built = NULL;
    if (ec == NULL)
        return;
    if (body == NULL)
        body = built = build_body(s, &len);
    if (body == NULL)
        return;
    trace_packet(s, "->", NULL, (const uint8_t *)body, len);
    send_http(ec, 200, "text/plain; charset=UTF-8", body, len, NULL);
    free(built);
    ec->holding_get = 0;
    ec->sess = NULL;
    s->poll_get = NULL;
}

/* Queue a packet for the next GET, or write it on the WebSocket. */
static int session_push(eio_session *s, eio_type type, int binary, const void *d, size_t len)
{
    if (s->closed)
        return -1;
    if (s->websocket && s->ws) {
        if (binary) {
            out_packet tmp = {type, 1, len};
            trace_packet(s, "->", &tmp, NULL, 0);
            ws_send(s->ws, WS_OP_BINARY, d, len);
        } else {
            ws_send_text(s, s->ws, type, d, len);
        }
        return 0;
    }
    if (s->nqueue == s->capqueue) {
        size_t ncap = s->capqueue ? s->capqueue * 2 : 8;
        out_packet **q = realloc(s->queue, ncap * sizeof *q);
        if (q == NULL)
            return -1;
        s->queue = q;
        s->capqueue = ncap;
    }
    out_packet *p = malloc(sizeof *p + len + 1);
    if (p == NULL)
        return -1;
    p->type = type;
    p->binary = binary;
    p->len = len;
    if (len)
        memcpy(p->data, d, len);
    s->queue[s->nqueue++] = p;
    if (s->poll_get)
        answer_get(s, NULL, 0);
    return 0;
}

/*
 * Close a session. client_asked: the client sent "1" (a held GET is ended with noop, as
 * engine.io does); otherwise a held GET gets "1" so the client learns the session is over.
 */
static void session_close(eio_session *s, const char *reason, int client_asked)
{
    if (s->closed)
        return;
    s->closed = 1;
    trace(s->srv, "%s closed: %s", s->sid, reason);
    if (s->poll_get)
        answer_get(s, client_asked ? "6" : "1", 1);
    eio_conn *conns[2] = {s->ws, s->probe};
    for (int i = 0; i < 2; i++) {
        if (conns[i] == NULL)
            continue;
        conns[i]->sess = NULL;
        ws_close_conn(conns[i], WS_CLOSE_NORMAL, "");
    }
    s->ws = s->probe = NULL;
    eio_server *srv = s->srv;
    if (s->prev)
        s->prev->next = s->next;
    else
        srv->sessions = s->next;
    if (s->next)
        s->next->prev = s->prev;
    s->next = srv->dead;
    s->prev = NULL;
    srv->dead = s;
    if (s->m->h.on_close)
        s->m->h.on_close(s, reason, s->m->user);
}

static void session_free(eio_session *s)
{
    for (size_t i = 0; i < s->nqueue; i++)
        free(s->queue[i]);
    free(s->queue);
    free(s);
}

/* The open packet: 0{"sid":..,"upgrades":[..],"pingInterval":..,"pingTimeout":..,"maxPayload":..}
 */
static char *open_json(const eio_session *s, int offer_upgrade)
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

static eio_session *session_new(eio_server *srv, const mount *m, eio_conn *ec)
{
    eio_session *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    make_sid(s->sid);
    s->srv = srv;
    s->m = m;
    s->next_ping = loop_now_ms() + srv->cfg.ping_interval_ms;
    snprintf(s->peer, sizeof s->peer, "%s", conn_peer(ec->c));
    s->next = srv->sessions;
    if (s->next)
        s->next->prev = s;
    srv->sessions = s;
    return s;
}

/* ---------------------------------------------------------------------------------------- */
/* packets from the client, on either transport                                             */

static void complete_upgrade(eio_session *s)
{
    s->websocket = 1;
    s->ws = s->probe;
    s->probe = NULL;
    trace(s->srv, "%s upgraded to websocket", s->sid);
    if (s->poll_get)
        answer_get(s, "6", 1);
    /* whatever waited for a GET now goes over the WebSocket, in order */
    size_t n = s->nqueue;
    out_packet **q = s->queue;
    s->queue = NULL;
    s->nqueue = s->capqueue = 0;
    for (size_t i = 0; i < n; i++) {
        session_push(s, q[i]->type, q[i]->binary, q[i]->data, q[i]->len);
        free(q[i]);
    }
    free(q);
}

static void session_packet(eio_session *s, eio_conn *from, const eio_packet *p)
{
    if (s->closed)
        return;
    if (from && from == s->probe) { /* the probing WebSocket only speaks the upgrade */
        if (p->type == EIO_PING && p->len == 5 && memcmp(p->data, "probe", 5) == 0) {
            ws_send_text(s, from, EIO_PONG, "probe", 5);
            s->upgrading = 1;
            if (s->poll_get && s->nqueue == 0)
                answer_get(s, "6", 1); /* noop: end the held GET so the client can switch */
        } else if (p->type == EIO_UPGRADE) {
            complete_upgrade(s);
        }
        return;
    }
    switch (p->type) {
    case EIO_PING: /* not sent by v4 clients except probes; answer anyway */
        session_push(s, EIO_PONG, 0, p->data, p->len);
        break;
    case EIO_PONG:
        s->pong_deadline = 0;
        s->next_ping = loop_now_ms() + s->srv->cfg.ping_interval_ms;
        break;
    case EIO_MESSAGE:
        if (s->m->h.on_message)
            s->m->h.on_message(s, p->binary, p->data, p->len, s->m->user);
        break;
    case EIO_CLOSE:
        session_close(s, "transport close", 1);
        break;
    case EIO_OPEN:
        session_close(s, "parse error", 0); /* only a server sends open */
        break;
    case EIO_UPGRADE: /* an upgrade on a transport that is not a probe: ignore */
    case EIO_NOOP:
        break;
    }
}

/* ---------------------------------------------------------------------------------------- */
/* WebSocket connections                                                                     */

static void ws_on_message(void *user, unsigned opcode, const uint8_t *data, size_t len)
{
    eio_conn *ec = user;
    eio_session *s = ec->sess;
    eio_packet p;
    if (s == NULL)
        return;
    if (opcode == WS_OP_BINARY) {
        eio_decode_binary(data, len, &p);
        out_packet tmp = {EIO_MESSAGE, 1, len};
        trace_packet(s, "<-", &tmp, NULL, 0);
    } else {
        trace_packet(s, "<-", NULL, data, len);
        if (eio_decode_text(data, len, &p) < 0) {
            if (s->ws == ec)
                session_close(s, "parse error", 0);
            return;
        }
    }
    session_packet(s, ec, &p);
}

static void ws_on_control(void *user, unsigned opcode, const uint8_t *data, size_t len)
{
    eio_conn *ec = user;
    if (opcode == WS_OP_PING)
        ws_send(ec, WS_OP_PONG, data, len);
}

static void ws_on_close(void *user, unsigned code, const uint8_t *reason, size_t len)
{
    eio_conn *ec = user;
    (void)reason;
    (void)len;
    uint8_t payload[WS_MAX_CONTROL];
    size_t n = ws_close_payload(payload, code == WS_CLOSE_NO_STATUS ? WS_CLOSE_NORMAL : code, "");
    ws_send(ec, WS_OP_CLOSE, payload, n);
    conn_close(ec->c);
}

static void ws_start(eio_conn *ec, eio_session *s)
{
    ws_decoder_config dc = {WS_ROLE_SERVER, ec->srv->cfg.max_payload, ec};
    ws_decoder_callbacks cb = {NULL, ws_on_message, ws_on_control, ws_on_close};
    ws_decoder_init(&ec->dec, &dc, &cb);
    ec->is_ws = 1;
    ec->sess = s;
}

static size_t ws_data(eio_conn *ec, const uint8_t *data, size_t len)
{
    ws_error e = ws_decoder_feed(&ec->dec, data, len);
    if (e != WS_OK) {
        trace(ec->srv, "%s: WebSocket rule broken: %s", conn_peer(ec->c), ws_error_text(e));
        eio_session *s = ec->sess;
        ec->sess = NULL;
        if (s && s->probe == ec)
            s->probe = NULL;
        if (s && s->ws == ec) {
            s->ws = NULL;
            session_close(s, "transport error", 0);
        }
        ws_close_conn(ec, (unsigned)ws_error_close_code(e), ws_error_text(e));
    }
    return len;
}

/* ---------------------------------------------------------------------------------------- */
/* HTTP requests: polling, the WebSocket upgrade, static files                               */

static int query_is(const eio_req *r, const char *key, const char *want)
{
    const char *v;
    size_t vl;
    return eio_query_get(r, key, &v, &vl) && vl == strlen(want) && memcmp(v, want, vl) == 0;
}

static int method_is(const eio_req *r, const char *m)
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
    send_http(ec, 204, "text/plain", NULL, 0, extra);
}

/* POST: every packet of the body, after checking the whole body decodes (else 400). */
static void polling_post(eio_conn *ec, eio_session *s)
{
    eio_req *r = ec->req;
    uint8_t *scratch = malloc(r->content_len + 1);
    eio_packet p;
    size_t pos = 0;
    int rc;
    if (scratch == NULL)
        return;
    while ((rc = eio_payload_next(r->body, r->content_len, &pos, scratch, r->content_len + 1,
                                  &p)) == 1)
        ;
    if (rc < 0 || r->content_len == 0) {
        trace(ec->srv, "%s: malformed polling body: %s", s->sid, eio_error_text(rc));
        send_eio_error(ec, EIO_ERR_REQUEST);
        session_close(s, "parse error", 0);
        free(scratch);
        return;
    }
    trace_packet(s, "<-", NULL, r->body, r->content_len);
    send_http(ec, 200, "text/html", "ok", 2, NULL);
    pos = 0;
    while (!s->closed &&
           eio_payload_next(r->body, r->content_len, &pos, scratch, r->content_len + 1, &p) == 1)
        session_packet(s, NULL, &p);
    free(scratch);
}

/* GET: answer at once if packets wait, else hold the request open (the long poll). */
static void polling_get(eio_conn *ec, eio_session *s)
{
    if (s->poll_get) { /* two GETs at once: a broken client; end the session (as engine.io) */
        send_eio_error(ec, EIO_ERR_REQUEST);
        session_close(s, "transport error", 0);
        return;
    }
    s->poll_get = ec;
    ec->holding_get = 1;
    ec->sess = s;
    snprintf(s->peer, sizeof s->peer, "%s", conn_peer(ec->c));
    if (s->nqueue)
        answer_get(s, NULL, 0);
    /* while upgrading, an empty GET is ended with noop by the next heartbeat tick (at most
     * 100 ms later, as engine.io does), not at once: at once, the client would poll again at
     * once, in a tight loop, until it has read the 3probe */
}

static void polling_request(eio_conn *ec, const mount *m)
{
    eio_req *r = ec->req;
    const char *sid;
    size_t sl;
    if (!eio_query_get(r, "sid", &sid, &sl)) { /* the handshake */
        if (!method_is(r, "GET")) {
            send_eio_error(ec, EIO_ERR_METHOD);
            return;
        }
        eio_session *s = session_new(ec->srv, m, ec);
        char *json = s ? open_json(s, 1) : NULL;
        if (json == NULL)
            return;
        size_t n = strlen(json);
        char *body = malloc(n + 2);
        n = body ? eio_encode_text(body, n + 2, EIO_OPEN, json, n) : 0;
        trace(ec->srv, "%s opened by %s (polling)", s->sid, conn_peer(ec->c));
        trace_packet(s, "->", NULL, (const uint8_t *)body, n);
        send_http(ec, 200, "text/plain; charset=UTF-8", body, n, NULL);
        free(body);
        free(json);
        if (m->h.on_open)
            m->h.on_open(s, m->user);
        return;
    }
    eio_session *s = find_session(ec->srv, sid, sl);
    if (s == NULL) {
        send_eio_error(ec, EIO_ERR_SID);
    } else if (s->websocket) { /* upgraded: polling requests for it are refused */
        send_eio_error(ec, EIO_ERR_REQUEST);
    } else if (method_is(r, "GET")) {
        polling_get(ec, s);
    } else if (method_is(r, "POST")) {
        polling_post(ec, s);
    } else {
        send_eio_error(ec, EIO_ERR_REQUEST);
    }
}

/* The WebSocket upgrade: a new session, or the probe of an existing polling session. */
static void websocket_request(eio_conn *ec, const mount *m)
{
    eio_req *r = ec->req;
    const char *sid;
    size_t sl;
    eio_session *s = NULL;
    if (eio_query_get(r, "sid", &sid, &sl)) {
        s = find_session(ec->srv, sid, sl);
        if (s == NULL || s->websocket || s->probe) {
            send_eio_error(ec, s == NULL ? EIO_ERR_SID : EIO_ERR_REQUEST);
            return;
        }
    }
    ws_verdict v;
    char out[WS_RESPONSE_MAX];
    ws_handshake_check(&r->head, m->path, NULL, &v);
    size_t n = ws_handshake_response(&r->head, &v, out, sizeof out);
    conn_send(ec->c, out, n);
    if (v.status != 101) {
        conn_close(ec->c);
        return;
    }
    if (s) { /* the upgrade path: this WebSocket must now be probed */
        ws_start(ec, s);
        s->probe = ec;
        trace(ec->srv, "%s probing a WebSocket from %s", s->sid, conn_peer(ec->c));
        return;
    }
    s = session_new(ec->srv, m, ec);
    if (s == NULL)
        return;
    ws_start(ec, s);
    s->websocket = 1;
    s->ws = ec;
    trace(ec->srv, "%s opened by %s (websocket)", s->sid, conn_peer(ec->c));
    char *json = open_json(s, 0);
    if (json)
        ws_send_text(s, ec, EIO_OPEN, json, strlen(json));
    free(json);
    if (m->h.on_open)
        m->h.on_open(s, m->user);
}

static int serve_static(eio_conn *ec)
{
    eio_server *srv = ec->srv;
    for (size_t i = 0; i < srv->nfiles; i++) {
        if (!eio_req_path_is(ec->req, srv->files[i].path))
            continue;
        if (!method_is(ec->req, "GET") && !method_is(ec->req, "HEAD")) {
            send_http(ec, 405, "text/plain", "GET only\n", 9, "Allow: GET\r\n");
            return 1;
        }
        send_http(ec, 200, srv->files[i].type, srv->files[i].data,
                  method_is(ec->req, "HEAD") ? 0 : srv->files[i].len, NULL);
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

static void handle_request(eio_conn *ec)
{
    eio_req *r = ec->req;
    const mount *m = NULL;
    for (size_t i = 0; i < ec->srv->nmounts; i++)
        if (eio_req_path_is(r, ec->srv->mounts[i].path))
            m = &ec->srv->mounts[i];
    if (m == NULL) {
        if (!serve_static(ec))
            send_http(ec, 404, "text/plain", "not found\n", 10, NULL);
        return;
    }
    if (method_is(r, "OPTIONS")) {
        send_preflight(ec);
        return;
    }
    /* engine.io's order: the transport first, then the protocol version */
    int ws = query_is(r, "transport", "websocket");
    if (!ws && !query_is(r, "transport", "polling")) {
        send_eio_error(ec, EIO_ERR_TRANSPORT);
        return;
    }
    if (!query_is(r, "EIO", "4")) {
        send_eio_error(ec, EIO_ERR_VERSION);
        return;
    }
    if (ws)
        websocket_request(ec, m);
    else
        polling_request(ec, m);
}

static size_t http_data(eio_conn *ec, const uint8_t *data, size_t len)
{
    size_t used = 0;
    while (used < len && !ec->is_ws && !ec->holding_get && !conn_is_closing(ec->c)) {
        if (ec->req == NULL) {
            ec->req = malloc(sizeof *ec->req);
            if (ec->req == NULL)
                return len;
            eio_req_init(ec->req, ec->srv->cfg.max_payload);
        }
        used += eio_req_feed(ec->req, data + used, len - used);
        if (ec->req->state == EIO_REQ_MORE)
            break;
        if (ec->req->state == EIO_REQ_FAIL)
            send_http_failure(ec, ec->req->status, ec->req->reason);
        else {
            ec->close_after = wants_close(ec->req);
            handle_request(ec);
        }
        eio_req_free(ec->req);
        free(ec->req); /* a WebSocket or an idle keep-alive connection keeps no 8 KiB head */
        ec->req = NULL;
    }
    if (ec->is_ws && used < len && !conn_is_closing(ec->c))
        used += ws_data(ec, data + used, len - used);
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
        return ws_data(ec, data, len);
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
        session_close(s, "transport error", 0);
    } else if (s && s->ws == ec) {
        s->ws = NULL;
        session_close(s, "transport close", 0);
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

/* The heartbeat: ping who is due, close who did not answer, free what closed. */
static void heartbeat(loop *l, void *arg)
{
    eio_server *srv = arg;
    uint64_t now = loop_now_ms();
    (void)l;
    for (eio_session *s = srv->sessions, *next; s; s = next) {
        next = s->next;
        if (s->pong_deadline && now >= s->pong_deadline) {
            session_close(s, "ping timeout", 0);
        } else if (!s->pong_deadline && now >= s->next_ping) {
            s->pong_deadline = now + srv->cfg.ping_timeout_ms;
            session_push(s, EIO_PING, 0, NULL, 0);
        } else if (s->upgrading && s->poll_get && s->nqueue == 0) {
            answer_get(s, "6", 1);
        }
    }
    if (srv->tick_fn)
        srv->tick_fn(now, srv->tick_user);
    while (srv->dead) {
        eio_session *s = srv->dead;
        srv->dead = s->next;
        session_free(s);
    }
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
        session_free(s);
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
    return loop_add_timer(l, t, heartbeat, srv);
}

int eio_server_mount(eio_server *srv, const char *path, const eio_handlers *h, void *user)
{
    if (srv->nmounts == EIO_MAX_MOUNTS || strlen(path) >= sizeof srv->mounts[0].path)
        return -1;
    mount *m = &srv->mounts[srv->nmounts++];
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
    static_file *f = &srv->files[srv->nfiles++];
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

void eio_server_close_all(eio_server *srv)
{
    while (srv->sessions)
        session_close(srv->sessions, "server shutting down", 0);
}

int eio_send(eio_session *s, int binary, const uint8_t *data, size_t len)
{
    return session_push(s, EIO_MESSAGE, binary, data, len);
}

int eio_prepare(eio_prepared *p, const eio_part *parts, size_t nparts)
{
    size_t total = 0;
    for (size_t i = 0; i < nparts; i++)
        total += ws_encoded_size(parts[i].len + (parts[i].binary ? 0 : 1), 0);
    p->parts = parts;
    p->nparts = nparts;
    p->wire_len = 0;
    p->wire = malloc(total ? total : 1);
    if (p->wire == NULL)
        return -1;
    for (size_t i = 0; i < nparts; i++) {
        uint8_t *out = p->wire + p->wire_len;
        p->wire_len += parts[i].binary ? frame_at(out, WS_OP_BINARY, parts[i].data, parts[i].len)
                                       : text_frame(out, EIO_MESSAGE, parts[i].data, parts[i].len);
    }
    return 0;
}

void eio_prepared_free(eio_prepared *p)
{
    free(p->wire);
    p->wire = NULL;
}

/* The --verbose trace of prepared packets: each one as it is inside its frame. */
static void trace_prepared(const eio_session *s, const eio_prepared *p)
{
    size_t off = 0;
    for (size_t i = 0; i < p->nparts && s->srv->cfg.verbose; i++) {
        size_t plen = p->parts[i].len + (p->parts[i].binary ? 0 : 1); /* "4" + text */
        size_t hlen = ws_encoded_size(plen, 0) - plen;
        out_packet tmp = {EIO_MESSAGE, 1, plen};
        if (p->parts[i].binary)
            trace_packet(s, "->", &tmp, NULL, 0);
        else
            trace_packet(s, "->", NULL, p->wire + off + hlen, plen);
        off += hlen + plen;
    }
}

int eio_send_prepared(eio_session *s, const eio_prepared *p)
{
    if (s->closed)
        return -1;
    if (s->websocket && s->ws) { /* the same bytes for every receiver */
        trace_prepared(s, p);
        return conn_send(s->ws->c, p->wire, p->wire_len) < 0 ? -1 : 0;
    }
    for (size_t i = 0; i < p->nparts; i++) /* polling: each packet waits for the next GET */
        if (session_push(s, EIO_MESSAGE, p->parts[i].binary, p->parts[i].data, p->parts[i].len) < 0)
            return -1;
    return 0;
}

size_t eio_pending(const eio_session *s)
{
    if (s->websocket)
        return s->ws ? conn_pending(s->ws->c) : 0;
    size_t n = 0;
    for (size_t i = 0; i < s->nqueue; i++)
        n += s->queue[i]->len;
    return n;
}

void eio_close(eio_session *s)
{
    session_close(s, "forced close", 0);
}

void eio_drop(eio_session *s)
{
    session_close(s, "transport error", 0);
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
