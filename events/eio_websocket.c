/*
 * eio_websocket.c - the WebSocket transport of Engine.IO (see eio_server.h): the upgrade
 * request, frames out, ws_handshake's decoder in, and broadcasts whose frames are built once.
 *
 * Each Engine.IO packet is one WebSocket message: a text frame "4hello" for a text packet (the
 * type digit, then the data), a binary frame of raw bytes for a binary message (no type digit:
 * a binary frame is always a message). A WebSocket reaches a session in one of two ways:
 *   GET ?EIO=4&transport=websocket           a new session that starts on the WebSocket
 *   GET ?EIO=4&transport=websocket&sid=S     the upgrade of polling session S: this WebSocket
 *        is a "probe" until the client has sent 2probe (we answer 3probe) and then 5.
 */
#include "eio_internal.h"

#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "ws_handshake.h"

/* ---------------------------------------------------------------------------------------- */
/* frames out                                                                                */

/* Write one unmasked frame (servers never mask) at out; returns its size.
 * out must hold ws_encoded_size(len, 0) bytes. */
static size_t frame_at(uint8_t *out, unsigned opcode, const void *data, size_t len)
{
    size_t h = ws_encode_header(out, 1, opcode, len, NULL);
    if (len)
        memcpy(out + h, data, len);
    return h + len;
}

/* One frame: its header and its payload as two pieces of one conn_sendv, never joined by a
 * copy here. The loop queues a small frame with the rest of the round's output and writes a
 * large one at once, both pieces in one sendmsg(). */
void eio_ws_send(eio_conn *ec, unsigned opcode, const void *data, size_t len)
{
    uint8_t head[WS_MAX_HEADER];
    size_t h = ws_encode_header(head, 1, opcode, len, NULL);
    struct iovec frame[2] = {{head, h}, {(void *)data, len}};
    conn_sendv(ec->c, frame, len ? 2 : 1);
}

/* A text packet as one WebSocket text frame: header, type digit, data. */
void eio_ws_send_text(eio_session *s, eio_conn *ec, eio_type type, const void *d, size_t len)
{
    uint8_t head[WS_MAX_HEADER + 1];
    size_t h = ws_encode_header(head, 1, WS_OP_TEXT, len + 1, NULL);
    head[h] = (uint8_t)('0' + (int)type);
    if (s->srv->cfg.verbose) { /* the trace shows the packet as the client will read it */
        uint8_t *whole = malloc(len + 1);
        if (whole) {
            whole[0] = head[h];
            if (len)
                memcpy(whole + 1, d, len);
            eio_trace_packet(s, "->", 0, whole, len + 1);
            free(whole);
        }
    }
    struct iovec frame[2] = {{head, h + 1}, {(void *)d, len}}; /* as eio_ws_send */
    conn_sendv(ec->c, frame, len ? 2 : 1);
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

void eio_ws_close_conn(eio_conn *ec, unsigned code, const char *reason)
{
    uint8_t payload[WS_MAX_CONTROL];
    /* 1005 never goes on the wire (RFC 6455 7.4.1): it is a close frame with no payload */
    size_t n = code == WS_CLOSE_NO_STATUS ? 0 : ws_close_payload(payload, code, reason);
    eio_ws_send(ec, WS_OP_CLOSE, payload, n);
    /* Our close frame, then our FIN, then wait for the client's close frame and FIN: closing
     * outright would answer its close frame with a reset (RFC 6455 7.1.1, lingering close). */
    conn_shutdown_write(ec->c);
}

/* ---------------------------------------------------------------------------------------- */
/* frames in: ws_handshake's decoder calls these                                             */

static void ws_on_message(void *user, unsigned opcode, const uint8_t *data, size_t len)
{
    eio_conn *ec = user;
    eio_session *s = ec->sess;
    eio_packet p;
    if (s == NULL)
        return;
    eio_trace_packet(s, "<-", opcode == WS_OP_BINARY, data, len);
    if (opcode == WS_OP_BINARY) {
        eio_decode_binary(data, len, &p);
    } else {
        int rc = eio_decode_text(data, len, &p);
        if (rc < 0) {
            if (s->ws == ec)
                eio_session_close(s, eio_strerror(rc), 0);
            return;
        }
    }
    eio_session_packet(s, ec, &p);
}

static void ws_on_control(void *user, unsigned opcode, const uint8_t *data, size_t len)
{
    eio_conn *ec = user;
    if (opcode == WS_OP_PING)
        eio_ws_send(ec, WS_OP_PONG, data, len);
}

static void ws_on_close(void *user, unsigned code, const uint8_t *reason, size_t len)
{
    eio_conn *ec = user;
    (void)reason;
    (void)len;
    uint8_t payload[WS_MAX_CONTROL];
    /* the client's code echoed (RFC 6455 5.5.1), or, like ws, none when it sent none */
    size_t n = code == WS_CLOSE_NO_STATUS ? 0 : ws_close_payload(payload, code, "");
    eio_ws_send(ec, WS_OP_CLOSE, payload, n);
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

size_t eio_ws_data(eio_conn *ec, const uint8_t *data, size_t len)
{
    ws_error e = ws_decoder_feed(&ec->dec, data, len);
    if (e != WS_OK) {
        eio_trace(ec->srv, "%s: WebSocket rule broken: %s", conn_peer(ec->c), ws_strerror(e));
        if (ws_error_close_code(e) == WS_CLOSE_TOO_BIG) /* the maxPayload limit bit */
            eio_log(ec->srv, "%s: close 1009 %s (maxPayload %zu bytes)", conn_peer(ec->c),
                    ws_strerror(e), ec->srv->cfg.max_payload);
        eio_session *s = ec->sess;
        ec->sess = NULL;
        if (s && s->probe == ec)
            s->probe = NULL;
        if (s && s->ws == ec) {
            s->ws = NULL;
            eio_session_close(s, "transport error", 0);
        }
        eio_ws_close_conn(ec, (unsigned)ws_error_close_code(e), ws_strerror(e));
    }
    return len;
}

/* ---------------------------------------------------------------------------------------- */
/* the upgrade request                                                                       */

/* A new session that starts on this WebSocket: 101, then the open packet as the first frame. */
static void websocket_session(eio_conn *ec, const eio_mount *m, const char *answer, size_t n)
{
    char err[128];
    eio_session *s = eio_session_new(ec->srv, m, ec, err, sizeof err);
    char *json = s ? eio_open_json(s, 0) : NULL;
    if (json == NULL) { /* still plain HTTP: say why instead of 101 */
        if (s)
            eio_session_close(s, "out of memory", 0);
        eio_http_failure(ec, 503, s ? "out of memory opening a session" : err);
        return;
    }
    conn_send(ec->c, answer, n);
    ws_start(ec, s);
    s->websocket = 1;
    s->ws = ec;
    eio_trace(ec->srv, "%s opened by %s (websocket)", s->sid, conn_peer(ec->c));
    eio_ws_send_text(s, ec, EIO_OPEN, json, strlen(json));
    free(json);
    if (m->h.on_open)
        m->h.on_open(s, m->user);
}

/* The 101 with the CORS header the polling answers carry (socket.io's cors middleware runs on
 * upgrade requests too), inserted before the blank line that ends the head. */
static size_t with_cors(eio_conn *ec, const ws_verdict *v, char *out, size_t n, size_t cap)
{
    static const char name[] = "Access-Control-Allow-Origin: ";
    const char *cors = ec->srv->cfg.cors_origin;
    if (v->status != 101 || cors == NULL || n < 4 || memcmp(out + n - 4, "\r\n\r\n", 4) != 0)
        return n;
    size_t line = sizeof name - 1 + strlen(cors) + 2;
    if (line > cap - n) /* (n <= cap) does not fit: the 101 goes without it */
        return n;
    snprintf(out + n - 2, cap - (n - 2), "%s%s\r\n\r\n", name, cors);
    return n + line;
}

/* Complete the WebSocket handshake (answer) and close the WebSocket at once, with a close frame
 * without a status code: what engine.io does with an upgrade it will not use. */
static void accept_and_close(eio_conn *ec, const char *answer, size_t n, const char *why)
{
    conn_send(ec->c, answer, n);
    ws_start(ec, NULL);
    eio_trace(ec->srv, "%s: %s: its WebSocket is closed", conn_peer(ec->c), why);
    eio_ws_send(ec, WS_OP_CLOSE, NULL, 0);
    conn_shutdown_write(ec->c);
}

/*
 * An upgrade request that passed verify() (eio_server.c), for session s (NULL: none named):
 * a new session, or the probe of a polling session. As engine.io: the WebSocket handshake's
 * own checks first (ws's 400 or 426); then an upgrade to polling, which cannot use one, or a
 * second WebSocket for a session that has (or is probing) one gets 101 and is closed at once;
 * a new session must speak EIO 4 (engine.io's handshake check, code 5).
 */
void eio_websocket_request(eio_conn *ec, const eio_mount *m, eio_session *s)
{
    eio_req *r = ec->req;
    ws_verdict v;
    char out[WS_RESPONSE_MAX];
    ws_handshake_check(&r->head, m->path, NULL, &v);
    size_t n = ws_handshake_response(&r->head, &v, out, sizeof out);
    n = with_cors(ec, &v, out, n, sizeof out);
    if (v.status != 101) {
        conn_send(ec->c, out, n);
        conn_close(ec->c);
    } else if (!eio_query_is(r, "transport", "websocket")) {
        accept_and_close(ec, out, n, "an upgrade with transport=polling");
    } else if (s && (s->websocket || s->probe)) {
        accept_and_close(ec, out, n,
                         s->websocket ? "a second WebSocket for an upgraded session"
                                      : "a second WebSocket for a session being upgraded");
    } else if (s == NULL && !eio_query_is(r, "EIO", "4")) {
        eio_upgrade_error(ec, EIO_ERR_VERSION);
    } else if (s == NULL) {
        websocket_session(ec, m, out, n);
    } else {
        conn_send(ec->c, out, n);
        ws_start(ec, s); /* the upgrade path: this WebSocket must now be probed */
        s->probe = ec;
        eio_trace(ec->srv, "%s probing a WebSocket from %s", s->sid, conn_peer(ec->c));
    }
}

/* ---------------------------------------------------------------------------------------- */
/* broadcasts: the frames built once                                                         */

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
        eio_trace_packet(s, "->", p->parts[i].binary, p->wire + off + hlen, plen);
        off += hlen + plen;
    }
}

int eio_send_prepared(eio_session *s, const eio_prepared *p)
{
    if (s->closed)
        return -1;
    if (s->websocket && s->ws) { /* the same bytes for every receiver */
        if (eio_session_over_limit(s, p->wire_len))
            return -1;
        trace_prepared(s, p);
        return conn_send(s->ws->c, p->wire, p->wire_len) < 0 ? -1 : 0;
    }
    for (size_t i = 0; i < p->nparts; i++) /* polling: each packet waits for the next GET */
        if (eio_session_push(s, EIO_MESSAGE, p->parts[i].binary, p->parts[i].data,
                             p->parts[i].len) < 0)
            return -1;
    return 0;
}
