/*
 * resp.c - reads one RESP (Redis serialization protocol) value from a byte buffer; see resp.h.
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
static bool parse_int(const uint8_t *p, uint32_t len, int64_t *out)
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
        if (!parse_int(p + hoff, hlen, &v))
            return RESP_BAD;
        break;
    case '$':
    case '!':
    case '=':
        if (!parse_int(p + hoff, hlen, &v) || v < -1 || (v == -1 && t != '$'))
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
        if (!parse_int(p + hoff, hlen, &v) || v < -1 || (v == -1 && t != '*'))
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

/* Appends printf-free text to out; stops at cap - 1. */
static void put(char *out, uint32_t cap, uint32_t *at, const char *s, uint32_t n)
{
    for (uint32_t i = 0; i < n && *at + 1 < cap; i++)
        out[(*at)++] = s[i];
    out[*at] = '\0';
}

static void put_num(char *out, uint32_t cap, uint32_t *at, int64_t v)
{
    char b[24];
    int i = (int)sizeof b;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        b[--i] = (char)('0' + u % 10);
        u /= 10;
    } while (u > 0);
    if (v < 0)
        b[--i] = '-';
    put(out, cap, at, b + i, (uint32_t)((int)sizeof b - i));
}

static bool printable(const uint8_t *p, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (p[i] < 0x20 || p[i] > 0x7e || p[i] == '"' || p[i] == '\\')
            return false;
    return true;
}

/* One element: quoted when short and printable, else its type and size. */
static void put_elem(char *out, uint32_t cap, uint32_t *at, const uint8_t *p, const resp_top *e)
{
    const uint8_t *body = p + e->head_off;
    uint32_t len = e->head_len;
    char t[2] = {e->type, '\0'};
    switch (e->type) {
    case '$':
    case '=':
    case '!':
        if (e->count < 0) {
            put(out, cap, at, "nil", 3);
            return;
        }
        body = p + e->head_off + e->head_len + 2;
        len = (uint32_t)e->count;
        if (len <= 32 && printable(body, len))
            break;
        put(out, cap, at, "<bulk ", 6);
        put_num(out, cap, at, e->count);
        put(out, cap, at, " bytes>", 7);
        return;
    case '+':
    case '-':
        if (len <= 32 && printable(body, len))
            break;
        put(out, cap, at, t, 1);
        put(out, cap, at, "<", 1);
        put_num(out, cap, at, len);
        put(out, cap, at, " bytes>", 7);
        return;
    case ':':
    case ',':
    case '(':
    case '#':
        put(out, cap, at, (const char *)body, len);
        return;
    case '_':
        put(out, cap, at, "null", 4);
        return;
    default: /* a nested aggregate */
        put(out, cap, at, t, 1);
        put(out, cap, at, (const char *)body, len);
        return;
    }
    if (e->type == '-' || e->type == '!')
        put(out, cap, at, "error ", 6);
    put(out, cap, at, "\"", 1);
    put(out, cap, at, (const char *)body, len);
    put(out, cap, at, "\"", 1);
}

void resp_describe(const uint8_t *p, uint32_t n, char *out, uint32_t cap)
{
    uint32_t at = 0;
    if (cap == 0)
        return;
    out[0] = '\0';
    resp_top top;
    if (resp_value(p, n, &top) != RESP_OK)
        return;
    if (!strchr("*%~>", top.type)) {
        put_elem(out, cap, &at, p, &top);
        return;
    }
    char t[2] = {top.type, '\0'};
    put(out, cap, &at, t, 1);
    put_num(out, cap, &at, top.count);
    uint32_t next = top.head_off + top.head_len + 2;
    int64_t items = top.type == '%' ? 2 * top.count : top.count;
    for (int64_t k = 0; k < items && k < 8; k++) {
        resp_top e;
        if (resp_value(p + next, n - next, &e) != RESP_OK)
            return;
        put(out, cap, &at, " ", 1);
        put_elem(out, cap, &at, p + next, &e);
        next += e.size;
    }
    if (items > 8)
        put(out, cap, &at, " ...", 4);
}
