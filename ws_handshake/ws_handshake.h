/*
 * ws_handshake.h - the opening handshake of RFC 6455 section 4, both sides, no I/O.
 *
 * What it teaches: how an HTTP request becomes a WebSocket. The client sends a random 16-byte
 * nonce in base64 (Sec-WebSocket-Key); the server appends the fixed GUID
 * 258EAFA5-E914-47DA-95CA-C5AB0DC85B11, hashes with SHA-1, and answers the base64 of the
 * hash in Sec-WebSocket-Accept. RFC 6455 1.3's example:
 *     key    dGhlIHNhbXBsZSBub25jZQ==   ("the sample nonce")
 *     accept s3pPLMBiTxaQ9kYGzzhZRbK+xOo=
 * Only a server that really read the request can produce that value, so neither side can be
 * fooled by a plain HTTP server or a cache that replays an old answer.
 *
 * Server side:  ws_handshake_check (judge a parsed request) -> ws_handshake_response (write
 *               the 101 or the rejection); ws_http_error_response for other errors (431, 408).
 * Client side:  ws_handshake_request (write the GET) -> ws_handshake_check_response.
 */
#ifndef WIRELAB_WS_HANDSHAKE_H
#define WIRELAB_WS_HANDSHAKE_H

#include <stddef.h>
#include <stdint.h>

#include "ws_http.h"

#define WS_GUID         "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define WS_KEY_LEN      24  /* base64 of 16 bytes */
#define WS_ACCEPT_LEN   28  /* base64 of a 20-byte SHA-1 */
#define WS_RESPONSE_MAX 512 /* enough for any response these functions write */

/* Sec-WebSocket-Accept for a key: base64(SHA-1(key + GUID)), NUL-terminated. */
void ws_accept_value(const char *key, size_t key_len, char out[WS_ACCEPT_LEN + 1]);

/* The server's decision about one request. */
typedef struct ws_verdict {
    int status;           /* 101, or 400 / 404 / 405 / 426 */
    const char *reason;   /* one line saying why (the body of a rejection) */
    const char *protocol; /* the subprotocol chosen from the server's list, or NULL */
} ws_verdict;

/*
 * Judge a complete request (p->result == WS_HTTP_DONE) against RFC 6455 4.2.1: GET, HTTP/1.1,
 * the path `resource`, one Host, Upgrade: websocket, Connection listing Upgrade, a key that
 * decodes to 16 bytes, version 13. `protocols` is the server's NULL-terminated list of
 * subprotocols in no particular order (NULL: none); the first one the CLIENT lists that the
 * server supports is chosen. Returns v->status.
 */
int ws_handshake_check(const ws_http *p, const char *resource, const char *const *protocols,
                       ws_verdict *v);

/*
 * Write the answer to a judged request into out: the 101 with Sec-WebSocket-Accept (and the
 * chosen protocol), or the rejection of ws_http_error_response. Returns its length, 0 if it does
 * not fit (WS_RESPONSE_MAX always does).
 */
size_t ws_handshake_response(const ws_http *p, const ws_verdict *v, char *out, size_t cap);

/*
 * A complete error response with "Connection: close" and a one-line text/plain body. Adds
 * "Allow: GET" to a 405 and "Sec-WebSocket-Version: 13" to a 426 (RFC 6455 4.4).
 * Returns the length, 0 if it does not fit.
 */
size_t ws_http_error_response(int status, const char *reason, char *out, size_t cap);

/* The standard reason phrase of a status code ("Not Found"). */
const char *ws_http_status_text(int status);

/*
 * Client: write the upgrade request for ws://host/path. `host` is the Host header value
 * ("127.0.0.1:8080"), `nonce` 16 random bytes (injected so tests are repeatable), `protocols`
 * a comma-separated list to offer or NULL. The key is written to key_out. Returns the length,
 * 0 if it does not fit.
 */
size_t ws_handshake_request(const char *host, const char *path, const uint8_t nonce[16],
                            const char *protocols, char *out, size_t cap,
                            char key_out[WS_KEY_LEN + 1]);

/*
 * Client: check a complete response against the key we sent (RFC 6455 4.1, "the client MUST
 * fail the connection if..."). Returns 0 when it is a valid 101, or -1 with the reason in
 * err (errlen bytes; WS_ERR_LEN is enough).
 */
#define WS_ERR_LEN 160
int ws_handshake_check_response(const ws_http *p, const char *key, const char *protocols, char *err,
                                size_t errlen);

#endif
