/*
 * dec_http.c - HTTP/1.x request and status lines and headers (RFC 9112), layer 7.
 *
 *   GET /chat HTTP/1.1\r\n              request line: method SP target SP version
 *   Host: 127.0.0.1:8080\r\n            header fields: name ":" value
 *   Upgrade: websocket\r\n              (this is how a WebSocket connection starts)
 *   \r\n                                an empty line ends the header section
 *   body ...
 *
 *   HTTP/1.1 101 Switching Protocols\r\n   status line: version SP code SP reason
 *
 * Spans point into the capture; nothing is copied or %-decoded. When the captured bytes end
 * before the empty line, the layer is truncated (the rest of the header is in the next segment
 * or was cut by the snapshot length).
 */
#include "dec_impl.h"

#include <strings.h>

static const char *const methods[] = {"GET ",     "POST ",  "PUT ",   "DELETE ", "HEAD ",
                                      "OPTIONS ", "PATCH ", "TRACE ", "CONNECT "};

static bool starts_with(const rd *r, const char *lit)
{
    uint32_t n = (uint32_t)strlen(lit);
    return rd_has(r, 0, n) && memcmp(r->p, lit, n) == 0;
}

/* The end of the line starting at off (the index of its '\n'), or -1 when not captured. */
static int64_t line_end(const rd *r, uint32_t off)
{
    for (uint32_t i = off; i < r->len; i++)
        if (r->p[i] == '\n')
            return i;
    return -1;
}

/* The span [off, end) without a trailing '\r'. */
static dec_span span_of(const rd *r, uint32_t base, uint32_t off, uint32_t end)
{
    if (end > off && r->p[end - 1] == '\r')
        end--;
    return (dec_span){base + off, end - off};
}

/* Split "a SP b SP c" (the start line) into three spans. */
static void start_line(dec_http *h, const rd *r, uint32_t base, dec_span line)
{
    const uint8_t *p = r->p + (line.off - base);
    uint32_t sp1 = 0, sp2 = 0;
    while (sp1 < line.len && p[sp1] != ' ')
        sp1++;
    sp2 = sp1 + 1;
    while (sp2 < line.len && p[sp2] != ' ')
        sp2++;
    if (sp2 > line.len)
        sp2 = line.len;
    dec_span a = {line.off, sp1}, b = {line.off + sp1 + 1, sp2 > sp1 ? sp2 - sp1 - 1 : 0};
    dec_span c = {line.off + sp2 + 1, sp2 < line.len ? line.len - sp2 - 1 : 0};
    if (h->request) {
        h->method = a, h->uri = b, h->version = c;
    } else {
        h->version = a, h->reason = c;
        for (uint32_t i = 0; i < b.len && i < 3; i++)
            if (p[sp1 + 1 + i] >= '0' && p[sp1 + 1 + i] <= '9')
                h->status = (uint16_t)(h->status * 10 + (p[sp1 + 1 + i] - '0'));
    }
}

static bool span_ieq(const dec_packet *pkt, dec_span s, const char *lit)
{
    return s.len == strlen(lit) && strncasecmp((const char *)pkt->bytes + s.off, lit, s.len) == 0;
}

/* One header line [off, end): name ":" optional whitespace value. */
static void header_line(dec_state *s, dec_http *h, const rd *r, uint32_t base, dec_span line)
{
    const uint8_t *p = r->p + (line.off - base);
    uint32_t colon = 0;
    while (colon < line.len && p[colon] != ':')
        colon++;
    uint32_t v = colon + 1;
    while (v < line.len && (p[v] == ' ' || p[v] == '\t'))
        v++;
    dec_span name = {line.off, colon}, value = {line.off + v, v < line.len ? line.len - v : 0};
    if (span_ieq(s->pkt, name, "Upgrade") && value.len >= 9 &&
        strncasecmp((const char *)s->pkt->bytes + value.off, "websocket", 9) == 0)
        h->ws_upgrade = true;
    if (h->nhdrs < DEC_MAX_HDRS) {
        h->hname[h->nhdrs] = name;
        h->hvalue[h->nhdrs++] = value;
    }
}

bool dec_http_start(const rd *r, bool *request)
{
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
        if (starts_with(r, methods[i]))
            return *request = true;
    *request = false;
    return starts_with(r, "HTTP/1.");
}

bool dis_http(dec_state *s, rd r, uint32_t wire)
{
    bool request;
    if (!dec_http_start(&r, &request))
        return false;
    dec_layer *l = dec_push(s, DEC_HTTP, 7, &r, wire);
    if (l == NULL)
        return true;
    dec_http *h = &l->u.http;
    h->request = request;
    uint32_t base = l->off, off = 0;
    for (uint32_t n = 0; off < r.len; n++) {
        int64_t end = line_end(&r, off);
        if (end < 0) { /* the line goes on past the capture or the segment */
            if (n == 0)
                start_line(h, &r, base, span_of(&r, base, 0, r.len));
            break;
        }
        dec_span line = span_of(&r, base, off, (uint32_t)end);
        off = (uint32_t)end + 1;
        if (n == 0) {
            start_line(h, &r, base, line);
        } else if (line.len == 0) {
            h->complete = true;
            break;
        } else {
            header_line(s, h, &r, base, line);
        }
    }
    l->hdr = h->complete ? off : r.len;
    l->truncated = !h->complete;
    h->body_len = h->complete ? wire - off : 0;
    if (h->complete && h->body_len > 0) /* a long-polling body: Engine.IO packets (dec_sio.c) */
        dis_sio_http(s, h->request, r, off, h->body_len);
    return true;
}
