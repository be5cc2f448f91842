/*
 * ws_http.h - an incremental parser for the head of an HTTP/1.1 request or response.
 *
 * What it teaches: "does it use HTTP?" Yes, for exactly one exchange. A WebSocket client opens
 * TCP and sends an ordinary HTTP/1.1 GET with a few special headers; the server answers
 * "101 Switching Protocols" and from then on the same connection carries frames. This parser
 * reads that first request (or, on the client, the response) a byte at a time if need be:
 *
 *   GET /ws HTTP/1.1\r\n                         <- request line: method, target, version
 *   Host: 127.0.0.1:8080\r\n                     <- header lines: name ":" value
 *   Upgrade: websocket\r\n
 *   Connection: Upgrade\r\n
 *   Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n
 *   Sec-WebSocket-Version: 13\r\n
 *   \r\n                                         <- an empty line ends the head
 *
 * It keeps the head in its own 8 KiB array (WS_HTTP_MAX_HEAD, the documented limit: larger
 * heads get 431) and remembers where each interesting field is as (offset, length) spans.
 * No I/O and no RFC 6455 rules here: ws_handshake.h judges what was parsed.
 *
 * Interface: ws_http_init, ws_http_feed, ws_http_span (read a field), ws_http_token_in_list.
 */
#ifndef WIRELAB_WS_HTTP_H
#define WIRELAB_WS_HTTP_H

#include <stddef.h>
#include <stdint.h>

#define WS_HTTP_MAX_HEAD      8192 /* request line + headers + the empty line */
#define WS_HTTP_MAX_PROTOCOLS 8    /* Sec-WebSocket-Protocol header lines remembered */

/* Where a field is inside the parser's head[] array. len 0 = absent or empty. */
typedef struct ws_span {
    uint16_t off, len;
} ws_span;

typedef enum ws_http_kind { WS_HTTP_REQUEST, WS_HTTP_RESPONSE } ws_http_kind;

typedef enum ws_http_result {
    WS_HTTP_MORE = 0, /* the head is not complete: feed more bytes */
    WS_HTTP_DONE = 1, /* the empty line arrived: the fields below are final */
    WS_HTTP_FAIL = -1 /* malformed or too long: status and reason say why */
} ws_http_result;

typedef struct ws_http {
    ws_http_kind kind;
    ws_http_result result;
    int status;         /* on FAIL: 400 or 431; on a DONE response: its status code */
    const char *reason; /* on FAIL: one line for the person reading the response body */
    size_t used;        /* bytes of head[] filled */
    size_t line_start;  /* where the current line begins in head[] */
    int seen_first_line;
    /* Request line ("GET /ws HTTP/1.1") or status line ("HTTP/1.1 101 Switching ..."). */
    ws_span method, target, version;
    /* Headers the WebSocket handshake looks at; counts catch repeated headers. */
    ws_span host, upgrade, connection, key, ws_version, accept, extensions, origin;
    int n_host, n_key, n_ws_version, n_accept, n_upgrade, n_connection;
    int upgrade_websocket;                    /* an Upgrade header listed the token "websocket" */
    int connection_upgrade;                   /* a Connection header listed the token "upgrade" */
    ws_span protocols[WS_HTTP_MAX_PROTOCOLS]; /* each Sec-WebSocket-Protocol line */
    size_t n_protocols;
    uint8_t head[WS_HTTP_MAX_HEAD];
} ws_http;

void ws_http_init(ws_http *p, ws_http_kind kind);

/*
 * Feed up to len bytes. Returns how many were used: the parser stops right after the empty
 * line, so what follows (frames already sent by an eager peer) stays with the caller.
 * Check p->result afterwards (MORE, DONE or FAIL).
 */
size_t ws_http_feed(ws_http *p, const uint8_t *data, size_t len);

/* The text of a span (not NUL-terminated: use the span's len). */
const char *ws_http_span(const ws_http *p, ws_span s);

/* 1 if the span equals text, ignoring ASCII case. */
int ws_http_span_ieq(const ws_http *p, ws_span s, const char *text);

/* 1 if a whole request asks for the page itself: GET / or GET /index.html, with no Upgrade
 * (the servers that ship a page serve it then, and treat anything else as an upgrade). */
int ws_http_wants_page(const ws_http *p);

/*
 * 1 if the comma-separated token list s[0..n) contains token (ASCII case ignored, optional
 * whitespace around each element, as in "keep-alive, Upgrade").
 */
int ws_http_token_in_list(const char *s, size_t n, const char *token);

#endif
