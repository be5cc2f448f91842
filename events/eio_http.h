/*
 * eio_http.h - read one HTTP/1.1 request (head and body) from a byte stream, no sockets.
 *
 * What it teaches: "does Socket.IO use HTTP?" Yes: its first transport, long-polling, is plain
 * HTTP. The client keeps one GET open that the server answers when it has packets (that is the
 * "long" poll), and sends its own packets as POST bodies:
 *
 *   GET  /socket.io/?EIO=4&transport=polling            -> 0{"sid":"Xy..",...}   (handshake)
 *   POST /socket.io/?EIO=4&transport=polling&sid=Xy..   body 40              -> ok
 *   GET  /socket.io/?EIO=4&transport=polling&sid=Xy..   (held open)          -> 40{"sid":"..."}
 *
 * The head is read by ws_handshake's incremental parser (ws_http), the body by its
 * Content-Length. Bytes may arrive in any chunking; the reader says MORE until it has both.
 *
 * Interface: eio_req_init / eio_req_feed / eio_req_free, eio_query_get (a query parameter),
 * eio_req_path_is, eio_req_header (any header by name).
 */
#ifndef WIRELAB_EIO_HTTP_H
#define WIRELAB_EIO_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "ws_http.h"

typedef enum eio_req_state { EIO_REQ_MORE = 0, EIO_REQ_DONE = 1, EIO_REQ_FAIL = -1 } eio_req_state;

typedef struct eio_req {
    ws_http head;        /* the request line and headers (ws_handshake's parser) */
    eio_req_state state; /* MORE, DONE, or FAIL (then status and reason say why) */
    int status;          /* on FAIL: 400, 411, 413 or 431 */
    const char *reason;
    size_t max_body;    /* a larger Content-Length fails with 413 */
    size_t content_len; /* what the Content-Length header says */
    uint8_t *body;      /* malloc'd, content_len bytes once DONE */
    size_t body_got;
} eio_req;

/* Prepare to read one request whose body may be at most max_body bytes. */
void eio_req_init(eio_req *r, size_t max_body);

/* Forget the request (frees the body). eio_req_init must be called again to reuse r. */
void eio_req_free(eio_req *r);

/*
 * Feed len bytes. Returns how many were used: the reader stops at the end of this request, so
 * the next request on a keep-alive connection stays with the caller. Check r->state after.
 */
size_t eio_req_feed(eio_req *r, const uint8_t *data, size_t len);

/* 1 if the request's path (the target up to "?") equals path. */
int eio_req_path_is(const eio_req *r, const char *path);

/*
 * Find query parameter `key` in the request target. Returns 1 with the raw value (not
 * %-decoded; Engine.IO values never need it) in (*val, *vlen), or 0 when absent.
 */
int eio_query_get(const eio_req *r, const char *key, const char **val, size_t *vlen);

/* Find any header by name (case ignored). Returns 1 with the trimmed value, or 0. */
int eio_req_header(const eio_req *r, const char *name, const char **val, size_t *vlen);

#endif
