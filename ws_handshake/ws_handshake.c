/*
 * ws_handshake.c - RFC 6455 section 4: judging the upgrade request, writing the answer, and
 * the client's half of the same exchange.
 *
 * What it teaches: every rule of the opening handshake sits in one place, in the order a
 * server meets them, and each rejection is a real HTTP response a person can read with curl:
 *   curl -i http://127.0.0.1:8080/ws      -> 400 ... "missing Upgrade: websocket header"
 */
#include "ws_handshake.h"

#include <stdio.h>
#include <string.h>

#include "base64.h"
#include "sha1.h"

void ws_accept_value(const char *key, size_t key_len, char out[WS_ACCEPT_LEN + 1])
{
    uint8_t digest[SHA1_DIGEST_LEN];
    sha1_ctx ctx;
    sha1_init(&ctx);
    sha1_update(&ctx, key, key_len);
    sha1_update(&ctx, WS_GUID, strlen(WS_GUID));
    sha1_final(&ctx, digest);
    base64_encode(digest, sizeof digest, out, WS_ACCEPT_LEN + 1);
}

const char *ws_http_status_text(int status)
{
    switch (status) {
    case 101:
        return "Switching Protocols";
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 426:
        return "Upgrade Required";
    case 431:
        return "Request Header Fields Too Large";
    case 503:
        return "Service Unavailable";
    default:
        return "Error";
    }
}

/* The path part of the request target: "/ws?x=1" -> "/ws". */
static int path_is(const ws_http *p, const char *resource)
{
    const char *t = ws_http_span(p, p->target);
    size_t n = 0;
    while (n < p->target.len && t[n] != '?')
        n++;
    return strlen(resource) == n && memcmp(t, resource, n) == 0;
}

static int key_is_valid(const ws_http *p)
{
    uint8_t nonce[18];
    if (p->key.len != WS_KEY_LEN)
        return 0;
    return base64_decode(ws_http_span(p, p->key), p->key.len, nonce, sizeof nonce) == 16;
}

/* Is the token s[0..n) in the server's NULL-terminated list? Returns the list's string. */
static const char *supported(const char *const *protocols, const char *s, size_t n)
{
    for (size_t i = 0; protocols && protocols[i]; i++)
        if (strlen(protocols[i]) == n && memcmp(protocols[i], s, n) == 0)
            return protocols[i];
    return NULL;
}

/* The client's offers in its order of preference, across all Sec-WebSocket-Protocol lines. */
static const char *choose_protocol(const ws_http *p, const char *const *protocols)
{
    for (size_t k = 0; k < p->n_protocols; k++) {
        const char *s = ws_http_span(p, p->protocols[k]);
        size_t n = p->protocols[k].len, i = 0;
        while (i < n) {
            while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == ','))
                i++;
            size_t start = i;
            while (i < n && s[i] != ',' && s[i] != ' ' && s[i] != '\t')
                i++;
            const char *match = i > start ? supported(protocols, s + start, i - start) : NULL;
            if (match)
                return match;
        }
    }
    return NULL;
}

static int verdict(ws_verdict *v, int status, const char *reason)
{
    v->status = status;
    v->reason = reason;
    return status;
}

int ws_handshake_check(const ws_http *p, const char *resource, const char *const *protocols,
                       ws_verdict *v)
{
    v->protocol = NULL;
    if (p->result != WS_HTTP_DONE)
        return verdict(v, p->result == WS_HTTP_FAIL ? p->status : 400,
                       p->reason ? p->reason : "incomplete request");
    if (!ws_http_span_ieq(p, p->method, "GET") || memcmp(ws_http_span(p, p->method), "GET", 3))
        return verdict(v, 405, "a WebSocket handshake must be a GET request");
    if (!ws_http_span_ieq(p, p->version, "HTTP/1.1"))
        return verdict(v, 400, "a WebSocket handshake needs HTTP/1.1");
    if (!path_is(p, resource))
        return verdict(v, 404, "no WebSocket endpoint at this path");
    if (p->n_host != 1)
        return verdict(v, 400, p->n_host ? "more than one Host header" : "missing Host header");
    if (!p->upgrade_websocket)
        return verdict(v, 400, "missing Upgrade: websocket header");
    if (!p->connection_upgrade)
        return verdict(v, 400, "the Connection header must list Upgrade");
    if (p->n_key != 1 || !key_is_valid(p))
        return verdict(v, 400, "Sec-WebSocket-Key must be one base64 value of 16 bytes");
    if (p->n_ws_version == 0)
        return verdict(v, 400, "missing Sec-WebSocket-Version header");
    if (p->n_ws_version != 1 || !ws_http_span_ieq(p, p->ws_version, "13"))
        return verdict(v, 426, "only WebSocket version 13 is supported");
    v->protocol = choose_protocol(p, protocols);
    return verdict(v, 101, "switching to the WebSocket protocol");
}

/* snprintf that reports "did not fit" as 0, the convention of this module. */
static size_t fits(int n, size_t cap)
{
    return n < 0 || (size_t)n >= cap ? 0 : (size_t)n;
}

size_t ws_http_error_response(int status, const char *reason, char *out, size_t cap)
{
    const char *extra = status == 405   ? "Allow: GET\r\n"
                        : status == 426 ? "Sec-WebSocket-Version: 13\r\n"
                                        : "";
    int n = snprintf(out, cap,
                     "HTTP/1.1 %d %s\r\n%sContent-Type: text/plain; charset=utf-8\r\n"
                     "Content-Length: %zu\r\nConnection: close\r\n\r\n%s\n",
                     status, ws_http_status_text(status), extra, strlen(reason) + 1, reason);
    return fits(n, cap);
}

size_t ws_handshake_response(const ws_http *p, const ws_verdict *v, char *out, size_t cap)
{
    if (v->status != 101)
        return ws_http_error_response(v->status, v->reason, out, cap);
    char accept[WS_ACCEPT_LEN + 1];
    ws_accept_value(ws_http_span(p, p->key), p->key.len, accept);
    int n = snprintf(out, cap,
                     "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n%s%s%s\r\n",
                     accept, v->protocol ? "Sec-WebSocket-Protocol: " : "",
                     v->protocol ? v->protocol : "", v->protocol ? "\r\n" : "");
    return fits(n, cap);
}

size_t ws_handshake_request(const char *host, const char *path, const uint8_t nonce[16],
                            const char *protocols, char *out, size_t cap,
                            char key_out[WS_KEY_LEN + 1])
{
    base64_encode(nonce, 16, key_out, WS_KEY_LEN + 1);
    int n = snprintf(out, cap,
                     "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n%s%s%s\r\n",
                     path, host, key_out, protocols ? "Sec-WebSocket-Protocol: " : "",
                     protocols ? protocols : "", protocols ? "\r\n" : "");
    return fits(n, cap);
}

/* The server may pick one subprotocol, and only one the client offered (RFC 6455 4.1). */
static int offered(const ws_http *p, const char *protocols)
{
    char chosen[128];
    if (protocols == NULL || p->n_protocols != 1 || p->protocols[0].len >= sizeof chosen)
        return 0;
    memcpy(chosen, ws_http_span(p, p->protocols[0]), p->protocols[0].len);
    chosen[p->protocols[0].len] = '\0';
    return chosen[0] != '\0' && ws_http_token_in_list(protocols, strlen(protocols), chosen);
}

int ws_handshake_check_response(const ws_http *p, const char *key, const char *protocols, char *err,
                                size_t errlen)
{
    char accept[WS_ACCEPT_LEN + 1];
    ws_accept_value(key, strlen(key), accept);
    const char *why = NULL;
    if (p->result != WS_HTTP_DONE)
        why = p->reason ? p->reason : "the response ended before its headers did";
    else if (p->status != 101)
        why = "the server did not answer 101 Switching Protocols";
    else if (!p->upgrade_websocket)
        why = "the 101 response lacks Upgrade: websocket";
    else if (!p->connection_upgrade)
        why = "the 101 response lacks Connection: Upgrade";
    else if (p->n_accept != 1 || !ws_http_span_ieq(p, p->accept, accept) ||
             memcmp(ws_http_span(p, p->accept), accept, WS_ACCEPT_LEN) != 0)
        why = "Sec-WebSocket-Accept does not match our key (not a WebSocket server?)";
    else if (p->extensions.len > 0)
        why = "the server chose an extension we did not offer";
    else if (p->n_protocols > 0 && !offered(p, protocols))
        why = "the server chose a subprotocol we did not offer";
    if (why == NULL)
        return 0;
    snprintf(err, errlen, "%s", why);
    return -1;
}
