/*
 * resp.c - reads one RESP (Redis serialization protocol) value from a byte buffer; see resp.h.
 * (resp_describe, built on the incremental reader, is in resp_reader.c.)
 * Pure: no sockets, no allocation. Tests: tests/sniffer/test_resp.c (ctest -R sniffer_resp).
 */
#include "resp.h"

#include <stdbool.h>
#include <string.h>

/* The header line after the type byte at p[at]: its length up to CRLF, or -1 when the buffer
 * ends first. */
static int64_t line_len(const uint8_t *p, uint32_t n, uint32_t at)
{
    for (uint32_t i = at; i + 1 < n; i++)
        if (p[i] == '\r' && p[i + 1] == '\n')
            return (int64_t)(i - at);
    return -1;
}

/* A signed decimal header ("3", "-1"), at most 18 digits so it cannot overflow. */
bool resp_int(const uint8_t *p, uint32_t len, int64_t *out)
{
    uint32_t i = 0;
    bool neg = false;
    if (len > 0 && (p[0] == '-' || p[0] == '+'))
        neg = p[i++] == '-';
    if (i == len || len - i > 18)
        return false;
    int64_t v = 0;
    for (; i < len; i++) {
        if (p[i] < '0' || p[i] > '9')
            return false;
        v = v * 10 + (p[i] - '0');
    }
    *out = neg ? -v : v;
    return true;
}

static resp_status one(const uint8_t *p, uint32_t n, uint32_t at, int depth, uint32_t *end,
                       resp_top *top)
{
    if (depth > RESP_MAX_DEPTH)
        return RESP_BAD;
    if (at >= n)
        return RESP_MORE;
    char t = (char)p[at];
    if (!strchr("+-:$*_#,(!=%~>|", t) || t == '\0')
        return RESP_BAD;
    int64_t ll = line_len(p, n, at + 1);
    if (ll < 0)
        return n - at > 64 * 1024 ? RESP_BAD : RESP_MORE; /* no header line is that long */
    uint32_t hoff = at + 1, hlen = (uint32_t)ll, next = hoff + hlen + 2;
    for (uint32_t i = hoff; i < hoff + hlen; i++)
        if (p[i] == '\r' || p[i] == '\n')
            return RESP_BAD;
    int64_t v = 0;
    if (top) {
        top->type = t;
        top->head_off = hoff;
        top->head_len = hlen;
        top->count = 0;
        top->first_off = top->first_len = 0;
    }
    switch (t) {
    case '+':
    case '-':
    case ',':
    case '(':
        break;
    case '_':
        if (hlen != 0)
            return RESP_BAD;
        if (top)
            top->count = -1;
        break;
    case '#':
        if (hlen != 1 || (p[hoff] != 't' && p[hoff] != 'f'))
            return RESP_BAD;
        break;
    case ':':
        if (!resp_int(p + hoff, hlen, &v))
            return RESP_BAD;
        break;
    case '$':
    case '!':
    case '=':
        if (!resp_int(p + hoff, hlen, &v) || v < -1 || (v == -1 && t != '$'))
            return RESP_BAD;
        if (top)
            top->count = v;
        if (v >= 0) {
            if ((uint64_t)n - next < (uint64_t)v + 2)
                return RESP_MORE;
            next += (uint32_t)v;
            if (p[next] != '\r' || p[next + 1] != '\n')
                return RESP_BAD;
            next += 2;
        }
        break;
    default: { /* '*', '%', '~', '>', '|': aggregates */
        if (!resp_int(p + hoff, hlen, &v) || v < -1 || (v == -1 && t != '*'))
            return RESP_BAD;
        if (top)
            top->count = v;
        int64_t items = (t == '%' || t == '|') ? 2 * v : v;
        for (int64_t k = 0; k < items; k++) {
            if (k == 0 && top && next < n && (p[next] == '$' || p[next] == '+')) {
                resp_top first;
                uint32_t e;
                resp_status st = one(p, n, next, depth + 1, &e, &first);
                if (st != RESP_OK)
                    return st;
                top->first_off =
                    first.type == '$' ? first.head_off + first.head_len + 2 : first.head_off;
                top->first_len = first.type == '$' ? (uint32_t)(first.count < 0 ? 0 : first.count)
                                                   : first.head_len;
                next = e;
                continue;
            }
            resp_status st = one(p, n, next, depth + 1, &next, NULL);
            if (st != RESP_OK)
                return st;
        }
        if (t == '|') /* an attribute precedes the value it describes */
            return one(p, n, next, depth + 1, end, NULL);
    }
    }
    *end = next;
    return RESP_OK;
}

resp_status resp_value(const uint8_t *p, uint32_t n, resp_top *top)
{
    uint32_t end = 0;
    resp_status st = one(p, n, 0, 0, &end, top);
    if (st == RESP_OK)
        top->size = end;
    return st;
}
