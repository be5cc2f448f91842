/*
 * ws_http.c - the HTTP/1.1 head parser (RFC 9112 sections 2-5), one byte at a time.
 *
 * What it teaches: HTTP/1.1 is lines of text. The parser stores each byte, and each time a
 * line ends (LF, normally after CR) it looks at the whole line: the first one is the request
 * line (or a response's status line), the others are "Name: value" headers, and an empty line
 * ends the head. Nothing is decided before a line is complete, so the way TCP cuts the bytes
 * into reads can never change the outcome: the tests feed every split down to single bytes.
 */
#include "ws_http.h"

#include <string.h>

void ws_http_init(ws_http *p, ws_http_kind kind)
{
    memset(p, 0, sizeof *p);
    p->kind = kind;
    p->result = WS_HTTP_MORE;
}

const char *ws_http_span(const ws_http *p, ws_span s)
{
    return (const char *)p->head + s.off;
}

static int lower(int ch)
{
    return ch >= 'A' && ch <= 'Z' ? ch + ('a' - 'A') : ch;
}

static int ieq_n(const char *a, size_t n, const char *text)
{
    if (strlen(text) != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (lower((unsigned char)a[i]) != lower((unsigned char)text[i]))
            return 0;
    return 1;
}

int ws_http_span_ieq(const ws_http *p, ws_span s, const char *text)
{
    return ieq_n(ws_http_span(p, s), s.len, text);
}

int ws_http_wants_page(const ws_http *p)
{
    int page = ws_http_span_ieq(p, p->target, "/") || ws_http_span_ieq(p, p->target, "/index.html");
    return page && !p->upgrade_websocket && ws_http_span_ieq(p, p->method, "GET");
}

static int is_ows(int ch)
{
    return ch == ' ' || ch == '\t';
}

int ws_http_token_in_list(const char *s, size_t n, const char *token)
{
    size_t i = 0;
    while (i < n) {
        size_t start = i;
        while (i < n && s[i] != ',')
            i++;
        size_t end = i;
        while (start < end && is_ows(s[start]))
            start++;
        while (end > start && is_ows(s[end - 1]))
            end--;
        if (ieq_n(s + start, end - start, token))
            return 1;
        i++; /* skip the comma */
    }
    return 0;
}

/* tchar of RFC 9110 5.6.2: the characters allowed in a method or a header name. */
static int is_tchar(int ch)
{
    if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9'))
        return 1;
    return ch != '\0' && strchr("!#$%&'*+-.^_`|~", ch) != NULL;
}

static void fail(ws_http *p, int status, const char *reason)
{
    p->result = WS_HTTP_FAIL;
    p->status = status;
    p->reason = reason;
}

static ws_span span(size_t off, size_t len)
{
    ws_span s = {(uint16_t)off, (uint16_t)len}; /* both < WS_HTTP_MAX_HEAD: they fit */
    return s;
}

/* Split off the next space-separated word of line [*at, end); 0 when there is none. */
static int next_word(const ws_http *p, size_t *at, size_t end, ws_span *out)
{
    size_t i = *at;
    while (i < end && p->head[i] != ' ')
        i++;
    if (i == *at)
        return 0;
    *out = span(*at, i - *at);
    *at = i < end ? i + 1 : i;
    return 1;
}

static int is_http_version(const ws_http *p, ws_span v)
{
    const uint8_t *s = p->head + v.off;
    return v.len == 8 && memcmp(s, "HTTP/", 5) == 0 && s[5] >= '0' && s[5] <= '9' && s[6] == '.' &&
           s[7] >= '0' && s[7] <= '9';
}

/* "GET /ws HTTP/1.1": exactly three words separated by single spaces. */
static void request_line(ws_http *p, size_t at, size_t end)
{
    int ok = next_word(p, &at, end, &p->method) && next_word(p, &at, end, &p->target) &&
             next_word(p, &at, end, &p->version) && at == end && is_http_version(p, p->version);
    for (size_t i = 0; ok && i < p->method.len; i++)
        ok = is_tchar(p->head[p->method.off + i]);
    if (!ok)
        fail(p, 400, "malformed request line (expected: GET /path HTTP/1.1)");
}

/* "HTTP/1.1 101 Switching Protocols": version, three digits, and any reason phrase. */
static void status_line(ws_http *p, size_t at, size_t end)
{
    ws_span code;
    if (!next_word(p, &at, end, &p->version) || !is_http_version(p, p->version) ||
        !next_word(p, &at, end, &code) || code.len != 3) {
        fail(p, 400, "malformed status line (expected: HTTP/1.1 101 Switching Protocols)");
        return;
    }
    p->status = 0;
    for (size_t i = 0; i < 3; i++) {
        uint8_t ch = p->head[code.off + i];
        if (ch < '0' || ch > '9') {
            fail(p, 400, "malformed status code in the status line");
            return;
        }
        p->status = p->status * 10 + (ch - '0');
    }
    p->target = code;
}

/* Remember a header the handshake cares about. */
static void header_field(ws_http *p, ws_span name, ws_span value)
{
    const char *v = ws_http_span(p, value);
    if (ws_http_span_ieq(p, name, "Host")) {
        p->host = value, p->n_host++;
    } else if (ws_http_span_ieq(p, name, "Upgrade")) {
        p->upgrade = value, p->n_upgrade++;
        p->upgrade_websocket |= ws_http_token_in_list(v, value.len, "websocket");
    } else if (ws_http_span_ieq(p, name, "Connection")) {
        p->connection = value, p->n_connection++;
        p->connection_upgrade |= ws_http_token_in_list(v, value.len, "upgrade");
    } else if (ws_http_span_ieq(p, name, "Sec-WebSocket-Key")) {
        p->key = value, p->n_key++;
    } else if (ws_http_span_ieq(p, name, "Sec-WebSocket-Version")) {
        p->ws_version = value, p->n_ws_version++;
    } else if (ws_http_span_ieq(p, name, "Sec-WebSocket-Accept")) {
        p->accept = value, p->n_accept++;
    } else if (ws_http_span_ieq(p, name, "Sec-WebSocket-Extensions")) {
        p->extensions = value;
    } else if (ws_http_span_ieq(p, name, "Origin")) {
        p->origin = value;
    } else if (ws_http_span_ieq(p, name, "Sec-WebSocket-Protocol")) {
        if (p->n_protocols == WS_HTTP_MAX_PROTOCOLS)
            fail(p, 400, "too many Sec-WebSocket-Protocol header lines");
        else
            p->protocols[p->n_protocols++] = value;
    }
}

/* "Name: value": no space before the colon, optional whitespace around the value. */
static void header_line(ws_http *p, size_t at, size_t end)
{
    if (is_ows(p->head[at])) {
        fail(p, 400, "folded header line (obsolete line folding is not accepted)");
        return;
    }
    size_t colon = at;
    while (colon < end && is_tchar(p->head[colon]))
        colon++;
    if (colon == at || colon == end || p->head[colon] != ':') {
        fail(p, 400, "malformed header line (expected: Name: value)");
        return;
    }
    size_t v = colon + 1, ve = end;
    while (v < ve && is_ows(p->head[v]))
        v++;
    while (ve > v && is_ows(p->head[ve - 1]))
        ve--;
    header_field(p, span(at, colon - at), span(v, ve - v));
}

/* Control characters (other than tab) have no place in a head: a CR alone, a NUL... */
static int line_has_ctl(const ws_http *p, size_t at, size_t end)
{
    for (size_t i = at; i < end; i++)
        if ((p->head[i] < 0x20 && p->head[i] != '\t') || p->head[i] == 0x7f)
            return 1;
    return 0;
}

/* A LF has just been stored: the line [line_start, used - 1) is complete. */
static void end_of_line(ws_http *p)
{
    size_t at = p->line_start, end = p->used - 1;
    if (end > at && p->head[end - 1] == '\r')
        end--; /* CRLF is the standard; a bare LF is accepted too (RFC 9112 2.2) */
    p->line_start = p->used;
    if (line_has_ctl(p, at, end)) {
        fail(p, 400, "control character inside the request head");
        return;
    }
    if (!p->seen_first_line) {
        if (end == at)
            return; /* RFC 9112 2.2: ignore empty lines before the request line */
        p->seen_first_line = 1;
        if (p->kind == WS_HTTP_REQUEST)
            request_line(p, at, end);
        else
            status_line(p, at, end);
    } else if (end == at) {
        p->result = WS_HTTP_DONE;
    } else {
        header_line(p, at, end);
    }
}

size_t ws_http_feed(ws_http *p, const uint8_t *data, size_t len)
{
    size_t i = 0;
    while (i < len && p->result == WS_HTTP_MORE) {
        if (p->used == WS_HTTP_MAX_HEAD) {
            fail(p, 431, "request head larger than 8192 bytes");
            break;
        }
        uint8_t b = data[i++];
        p->head[p->used++] = b;
        if (b == '\n')
            end_of_line(p);
    }
    return i;
}
