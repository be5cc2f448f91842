/*
 * eio_polling.c - HTTP long-polling, Engine.IO's first transport (see eio_server.h).
 *
 * Only clients ask in HTTP, so the server "pushes" by not answering: the client keeps one GET
 * open, and the server answers it when it has packets, all of them in one body joined by the
 * byte 0x1e (binary ones as "b" + base64). Each POST carries a batch of the client's packets
 * and is answered "ok" at once.
 *
 *   GET  ?EIO=4&transport=polling            -> 0{"sid":"S",...}      (the handshake)
 *   POST ?EIO=4&transport=polling&sid=S      40                       -> ok
 *   GET  ?EIO=4&transport=polling&sid=S      (held...)                -> 40{"sid":..} 0x1e 42[..]
 */
#include "eio_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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
        eio_out *p = s->queue[i];
        if (i)
            body[n++] = EIO_RECORD_SEP;
        if (p->binary)
            n += eio_encode_b64(body + n, cap - n, p->data, p->len);
        else
            n += eio_encode_text(body + n, cap - n, p->type, p->data, p->len);
        free(p);
    }
    s->nqueue = 0;
    s->queued = 0;
    *len = n;
    return body;
}

/* Answer the held GET with a body (or with the queue when body is NULL). Returns 0, or -1
 * when out of memory (the GET is then still held, and the caller closes the session). */
int eio_answer_get(eio_session *s, const char *body, size_t len)
{
    eio_conn *ec = s->poll_get;
    char *built = NULL;
    if (ec == NULL)
        return 0;
    if (body == NULL)
        body = built = build_body(s, &len);
    if (body == NULL)
        return -1;
    eio_trace_packet(s, "->", 0, (const uint8_t *)body, len);
    ec->holding_get = 0; /* this answer goes first, then those pipelined behind it */
    ec->sess = NULL;
    s->poll_get = NULL;
    ec->close_after = ec->hold_close;
    eio_http_send(ec, 200, "text/plain; charset=UTF-8", body, len, EIO_NO_STORE);
    free(built);
    eio_http_flush_later(ec);
    if (!conn_is_closing(ec->c))
        eio_head_wait(ec); /* the connection waits for its next request */
    return 0;
}

/* POST: "ok" at once, then every packet of the body in order. A record that does not decode
 * ends the session there ("parse error"), after the packets before it, as engine.io does: the
 * POST itself was received fine, so it is still answered 200. */
static void polling_post(eio_conn *ec, eio_session *s)
{
    eio_req *r = ec->req;
    uint8_t *scratch = malloc(r->content_len + 1);
    eio_packet p;
    size_t pos = 0;
    int rc;
    if (scratch == NULL) {
        eio_http_failure(ec, 503, "out of memory decoding a polling body");
        eio_session_close(s, "out of memory", 0);
        return;
    }
    eio_trace_packet(s, "<-", 0, r->body, r->content_len);
    eio_http_send(ec, 200, "text/html", "ok", 2, EIO_NO_STORE);
    do {
        rc = eio_payload_next(r->body, r->content_len, &pos, scratch, r->content_len + 1, &p);
        if (rc == 1 && !p.binary && !ws_utf8_valid(p.data, p.len)) {
            /* a WebSocket text frame must be UTF-8 (RFC 6455 8.1): bytes that are not would
             * fail the connection of every WebSocket member they were relayed to */
            eio_log(ec->srv, "%s (%s): a polling text packet is not valid UTF-8; session closed",
                    s->sid, s->peer);
            eio_session_close(s, "parse error: text that is not valid UTF-8", 0);
            break;
        }
        if (rc == 1)
            eio_session_packet(s, NULL, &p);
    } while (rc == 1 && !s->closed && !s->doomed);
    if (!s->closed && (rc < 0 || r->content_len == 0)) {
        const char *why = r->content_len ? eio_strerror(rc) : "an empty polling body";
        eio_trace(ec->srv, "%s: malformed polling body: %s", s->sid, why);
        eio_session_close(s, "parse error", 0);
    }
    free(scratch);
}

/* GET: answer at once if packets wait, else hold the request open (the long poll). */
static void polling_get(eio_conn *ec, eio_session *s)
{
    if (s->closed && s->nqueue == 0) { /* closed by the server while no GET was held
                                        * (eio_session.c, session_end): as engine.io, a noop with
                                        * the close packet appended; then it is gone. (Packets
                                        * queued before the close go first, on this GET.) */
        static const char noop_close[] = {'6', EIO_RECORD_SEP, '1'};
        eio_trace_packet(s, "->", 0, (const uint8_t *)noop_close, sizeof noop_close);
        eio_http_send(ec, 200, "text/plain; charset=UTF-8", noop_close, sizeof noop_close,
                      EIO_NO_STORE);
        eio_session_forget(s);
        return;
    }
    if (ec->holding_get && s->poll_get != ec) {
        /* pipelined behind another session's held GET: one connection holds one GET, so
         * this one ends at once with noop (its packets wait for the client's next GET) */
        eio_http_send(ec, 200, "text/plain; charset=UTF-8", "6", 1, EIO_NO_STORE);
        return;
    }
    if (s->poll_get) { /* two GETs at once: a broken client; end the session (as engine.io:
                        * a bare 400, no body; the held GET gets "1") */
        eio_http_send(ec, 400, NULL, NULL, 0, NULL);
        eio_session_close(s, "transport error", 0);
        return;
    }
    s->poll_get = ec;
    ec->holding_get = 1;
    ec->hold_close = ec->close_after;
    ec->sess = s;
    eio_head_done(ec); /* a held GET waits for packets, not for the client */
    snprintf(s->peer, sizeof s->peer, "%s", conn_peer(ec->c));
    if (s->nqueue && eio_answer_get(s, NULL, 0) < 0)
        eio_session_close(s, "out of memory", 0);
    /* while upgrading, an empty GET is ended with noop by the next heartbeat tick (at most
     * 100 ms later, as engine.io does), not at once: at once, the client would poll again at
     * once, in a tight loop, until it has read the 3probe */
}

/* The handshake: a new session, its open packet as the answer's body. */
static void polling_handshake(eio_conn *ec, const eio_mount *m)
{
    char err[128];
    eio_session *s = eio_session_new(ec->srv, m, ec, err, sizeof err);
    if (s == NULL) {
        eio_http_failure(ec, 503, err);
        return;
    }
    char *json = eio_open_json(s, 1);
    size_t n = json ? strlen(json) : 0;
    char *body = json ? malloc(n + 2) : NULL;
    if (body == NULL) {
        eio_http_failure(ec, 503, "out of memory opening a session");
        eio_session_close(s, "out of memory", 0);
        free(json);
        return;
    }
    n = eio_encode_text(body, n + 2, EIO_OPEN, json, n);
    eio_trace(ec->srv, "%s opened by %s (polling)", s->sid, conn_peer(ec->c));
    eio_trace_packet(s, "->", 0, (const uint8_t *)body, n);
    eio_http_send(ec, 200, "text/plain; charset=UTF-8", body, n, EIO_NO_STORE);
    free(body);
    free(json);
    if (m->h.on_open)
        m->h.on_open(s, m->user);
}

/*
 * A polling request that passed verify() (eio_server.c), for session s (NULL: a handshake).
 * As engine.io's polling transport: GET polls, POST sends, any other method gets a bare 500
 * (the session goes on); a POST of application/octet-stream, which only EIO 3 sent, gets a
 * bare 400 and ends the session ("invalid content").
 */
void eio_polling_request(eio_conn *ec, const eio_mount *m, eio_session *s)
{
    eio_req *r = ec->req;
    const char *type;
    size_t tl;
    if (s == NULL) {
        if (!eio_query_is(r, "EIO", "4")) /* checked at the handshake only, as engine.io */
            eio_http_error(ec, EIO_ERR_VERSION);
        else
            polling_handshake(ec, m);
    } else if (eio_method_is(r, "GET")) {
        polling_get(ec, s);
    } else if (s->closed && eio_method_is(r, "POST")) { /* waiting for its last GET: engine.io
                                                         * answers "ok" and drops the packets */
        eio_http_send(ec, 200, "text/html", "ok", 2, EIO_NO_STORE);
    } else if (!eio_method_is(r, "POST")) {
        eio_http_send(ec, 500, NULL, NULL, 0, NULL);
    } else if (eio_req_header(r, "Content-Type", &type, &tl) && tl == 24 &&
               strncasecmp(type, "application/octet-stream", 24) == 0) {
        eio_trace(ec->srv, "%s: invalid content: a POST of application/octet-stream", s->sid);
        eio_http_send(ec, 400, NULL, NULL, 0, NULL);
        eio_session_close(s, "transport error", 0);
    } else {
        polling_post(ec, s);
    }
}
