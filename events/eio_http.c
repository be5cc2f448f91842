/*
 * eio_http.c - one HTTP/1.1 request, head then body (see eio_http.h).
 *
 * The head goes through ws_http_feed, which keeps it in its own array. Headers that parser does
 * not record (Content-Length, Transfer-Encoding, Origin is recorded) are found by scanning that
 * array line by line: every scan stays inside head.used bytes.
 */
#include "eio_http.h"

#include <stdlib.h>
#include <string.h>

void eio_req_init(eio_req *r, size_t max_body)
{
    memset(r, 0, sizeof *r);
    ws_http_init(&r->head, WS_HTTP_REQUEST);
    r->max_body = max_body;
}

void eio_req_free(eio_req *r)
{
    free(r->body);
    r->body = NULL;
}

static int ascii_lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

int eio_req_header(const eio_req *r, const char *name, const char **val, size_t *vlen)
{
    const char *h = (const char *)r->head.head;
    size_t n = r->head.used, nl = strlen(name);
    size_t i = 0;
    while (i < n && h[i] != '\n') /* skip the request line */
        i++;
    for (i++; i < n;) {
        size_t start = i;
        while (i < n && h[i] != '\n')
            i++;
        size_t end = i++; /* line is h[start..end), maybe with a trailing \r */
        if (end - start <= nl || h[start + nl] != ':')
            continue;
        size_t k = 0;
        while (k < nl && ascii_lower(h[start + k]) == ascii_lower(name[k]))
            k++;
        if (k < nl)
            continue;
        size_t v = start + nl + 1;
        while (v < end && (h[v] == ' ' || h[v] == '\t'))
            v++;
        while (end > v && (h[end - 1] == '\r' || h[end - 1] == ' ' || h[end - 1] == '\t'))
            end--;
        *val = h + v;
        *vlen = end - v;
        return 1;
    }
    return 0;
}

static void fail(eio_req *r, int status, const char *reason)
{
    r->state = EIO_REQ_FAIL;
    r->status = status;
    r->reason = reason;
}

/* The head is complete: decide how long the body is (RFC 9112 6.3, the cases we accept). */
static void start_body(eio_req *r)
{
    const char *v;
    size_t vl;
    if (eio_req_header(r, "Transfer-Encoding", &v, &vl)) {
        fail(r, 411, "chunked request bodies are not supported: send a Content-Length");
        return;
    }
    size_t len = 0;
    if (eio_req_header(r, "Content-Length", &v, &vl)) {
        if (vl == 0 || vl > 12) {
            fail(r, 400, "invalid Content-Length");
            return;
        }
        for (size_t i = 0; i < vl; i++) {
            if (v[i] < '0' || v[i] > '9') {
                fail(r, 400, "invalid Content-Length");
                return;
            }
            len = len * 10 + (size_t)(v[i] - '0');
        }
    }
    if (len > r->max_body) {
        fail(r, 413, "request body larger than maxPayload");
        return;
    }
    r->content_len = len;
    r->body = malloc(len + 1);
    if (r->body == NULL) {
        fail(r, 500, "out of memory");
        return;
    }
    if (len == 0)
        r->state = EIO_REQ_DONE;
}

size_t eio_req_feed(eio_req *r, const uint8_t *data, size_t len)
{
    size_t used = 0;
    if (r->state != EIO_REQ_MORE)
        return 0;
    if (r->head.result == WS_HTTP_MORE) {
        used = ws_http_feed(&r->head, data, len);
        if (r->head.result == WS_HTTP_FAIL) {
            fail(r, r->head.status, r->head.reason);
            return used;
        }
        if (r->head.result == WS_HTTP_MORE)
            return used;
        start_body(r);
        if (r->state != EIO_REQ_MORE)
            return used;
    }
    size_t want = r->content_len - r->body_got;
    size_t take = len - used < want ? len - used : want;
    memcpy(r->body + r->body_got, data + used, take);
    r->body_got += take;
    if (r->body_got == r->content_len)
        r->state = EIO_REQ_DONE;
    return used + take;
}

static void target_split(const eio_req *r, const char **path, size_t *plen, const char **query,
                         size_t *qlen)
{
    const char *t = ws_http_span(&r->head, r->head.target);
    size_t n = r->head.target.len;
    const char *q = memchr(t, '?', n);
    *path = t;
    *plen = q ? (size_t)(q - t) : n;
    *query = q ? q + 1 : t + n;
    *qlen = q ? n - *plen - 1 : 0;
}

int eio_req_path_is(const eio_req *r, const char *path)
{
    const char *p, *q;
    size_t pl, ql;
    target_split(r, &p, &pl, &q, &ql);
    return pl == strlen(path) && memcmp(p, path, pl) == 0;
}

int eio_query_get(const eio_req *r, const char *key, const char **val, size_t *vlen)
{
    const char *p, *q;
    size_t pl, ql, kl = strlen(key);
    target_split(r, &p, &pl, &q, &ql);
    size_t i = 0;
    while (i < ql) {
        size_t start = i;
        while (i < ql && q[i] != '&')
            i++;
        size_t end = i++; /* the pair is q[start..end) */
        if (end - start >= kl && memcmp(q + start, key, kl) == 0 &&
            (end - start == kl || q[start + kl] == '=')) {
            size_t v = start + kl + (end - start > kl ? 1 : 0);
            *val = q + v;
            *vlen = end - v;
            return 1;
        }
    }
    return 0;
}
