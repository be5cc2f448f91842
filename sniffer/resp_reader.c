/*
 * resp_reader.c - RESP read incrementally: a value split over any number of TCP segments, or
 * several pipelined in one, with fixed memory (see resp.h, resp_reader).
 *
 * What it teaches: a Redis command is a RESP array ("*3\r\n$7\r\nPUBLISH\r\n$4\r\nchan\r\n
 * $5\r\nhello\r\n"), and nothing on the wire says where it ends except the value itself: each
 * header line gives a length (a bulk string's bytes) or a count (an aggregate's elements), so
 * a reader only needs a stack of "elements still to come" and the bytes left of the bulk
 * string it is in. A 1 MB PUBLISH is skipped, not stored: only the first RESP_QUOTE_MAX bytes
 * of a string are kept, to quote it in the summary.
 *
 * The checks are resp.c's (resp_value), made where each byte is read; the unit test feeds the
 * same inputs to both and compares. resp_describe() runs this reader over a whole buffer, so
 * there is one describer. Tests: tests/sniffer/test_resp.c (ctest -R sniffer_resp).
 */
#include "resp.h"

#include <stdbool.h>
#include <string.h>

#define RESP_LINE_MAX  (64 * 1024) /* a header line longer than this is not RESP (as resp.c) */
#define RESP_DESCRIBED 8           /* elements of a top aggregate described; the rest are "..." */

void resp_reader_init(resp_reader *r)
{
    memset(r, 0, sizeof *r);
}

/* ---- the summary (printf-free, cut at RESP_TEXT - 1) ---- */

static void put(resp_reader *r, const char *s, uint32_t n)
{
    for (uint32_t i = 0; i < n && r->text_len + 1 < RESP_TEXT; i++)
        r->text[r->text_len++] = s[i];
    r->text[r->text_len] = '\0';
}

static void put_num(resp_reader *r, int64_t v)
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
    put(r, b + i, (uint32_t)((int)sizeof b - i));
}

static bool printable(const uint8_t *p, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (p[i] < 0x20 || p[i] > 0x7e || p[i] == '"' || p[i] == '\\')
            return false;
    return true;
}

/* A string element: quoted when short, printable and whole, else its type and size. */
static void put_string(resp_reader *r, char t, const uint8_t *s, uint64_t len, bool whole)
{
    if (whole && len <= RESP_QUOTE_MAX && printable(s, (uint32_t)len)) {
        if (t == '-' || t == '!')
            put(r, "error ", 6);
        put(r, "\"", 1);
        put(r, (const char *)s, (uint32_t)len);
        put(r, "\"", 1);
    } else if (t == '+' || t == '-') {
        put(r, &t, 1);
        put(r, "<", 1);
        put_num(r, (int64_t)len);
        put(r, " bytes>", 7);
    } else {
        put(r, "<bulk ", 6);
        put_num(r, (int64_t)len);
        put(r, " bytes>", 7);
    }
}

/* Is the value whose header was just read described, and where: the top value itself, or a
 * direct element of a top aggregate (up to RESP_DESCRIBED of them)? */
static bool described(resp_reader *r, int level)
{
    if (level == 0)
        return true;
    if (level != 1 || !r->top_aggregate || r->described >= RESP_DESCRIBED)
        return false;
    r->described++;
    put(r, " ", 1);
    return true;
}

/* ---- the header line: type byte, text, CRLF ---- */

/* An element (or the whole value) ended: count it in the aggregates above. Returns true when
 * that ended the top value. */
static bool element_done(resp_reader *r)
{
    while (r->depth > 0) {
        if (--r->left[r->depth - 1] > 0)
            return false;
        r->depth--; /* that aggregate is whole: it was an element of the one above */
    }
    if (r->top_aggregate && r->top_items > RESP_DESCRIBED)
        put(r, " ...", 4);
    return true;
}

/* The header line is whole in r->line (r->line_total bytes, the first RESP_LINE_KEEP kept).
 * Returns RESP_OK when it ended the top value, RESP_MORE when more is to come, RESP_BAD. */
static resp_status header_done(resp_reader *r)
{
    const uint8_t *h = r->line;
    uint32_t len = r->line_total;
    char t = r->type;
    int level = r->depth;
    int64_t v = 0;
    bool kept = len <= RESP_LINE_KEEP; /* numbers must be kept whole to be checked */
    switch (t) {
    case '+':
    case '-':
        if (described(r, level))
            put_string(r, t, h, len, kept);
        return element_done(r) ? RESP_OK : RESP_MORE;
    case ',':
    case '(':
    case ':':
    case '#':
    case '_':
        if ((t == ':' && (!kept || !resp_int(h, len, &v))) || (t == '_' && len != 0) ||
            (t == '#' && (len != 1 || (h[0] != 't' && h[0] != 'f'))))
            return RESP_BAD;
        if (described(r, level)) {
            if (t == '_')
                put(r, "null", 4);
            else /* a long big number is cut to what was kept */
                put(r, (const char *)h, kept ? len : RESP_LINE_KEEP);
        }
        return element_done(r) ? RESP_OK : RESP_MORE;
    case '$':
    case '!':
    case '=':
        if (!kept || !resp_int(h, len, &v) || v < -1 || (v == -1 && t != '$'))
            return RESP_BAD;
        if (v == -1) {
            if (described(r, level))
                put(r, "nil", 3);
            return element_done(r) ? RESP_OK : RESP_MORE;
        }
        r->bulk_len = (uint64_t)v;
        r->bulk_left = (uint64_t)v + 2; /* the bytes, then CRLF */
        r->bulk_kept = 0;
        r->bulk_hole = false;
        r->in_bulk = true;
        return RESP_MORE;
    default: /* '*', '%', '~', '>', '|': aggregates */
        if (!kept || !resp_int(h, len, &v) || v < -1 || (v == -1 && t != '*'))
            return RESP_BAD;
        /* a map's count is of pairs; an attribute's pairs come before the value it describes */
        int64_t items = t == '%' ? 2 * v : t == '|' ? 2 * v + 1 : v < 0 ? 0 : v;
        if (items > 0 && level >= RESP_MAX_DEPTH)
            return RESP_BAD; /* its elements would be deeper than the limit */
        if (level == 0) {
            r->top_aggregate = strchr("*%~>", t) != NULL;
            r->top_items = t == '%' ? 2 * v : v;
        }
        if (described(r, level)) {
            put(r, &t, 1);
            put(r, (const char *)h, len);
        }
        if (items == 0)
            return element_done(r) ? RESP_OK : RESP_MORE;
        r->left[r->depth++] = items;
        return RESP_MORE;
    }
}

/* One byte of a header line. */
static resp_status line_byte(resp_reader *r, uint8_t b)
{
    if (!r->in_line) { /* the type byte */
        if (b == '\0' || !strchr("+-:$*_#,(!=%~>|", (char)b))
            return RESP_BAD;
        r->type = (char)b;
        r->in_line = true;
        r->line_total = 0;
        r->cr = false;
        return RESP_MORE;
    }
    if (r->cr) { /* CR must be followed by LF: the line is whole */
        if (b != '\n')
            return RESP_BAD;
        r->in_line = false;
        return header_done(r);
    }
    if (b == '\r') {
        r->cr = true;
        return RESP_MORE;
    }
    if (b == '\n' || r->line_total >= RESP_LINE_MAX)
        return RESP_BAD;
    if (r->line_total < RESP_LINE_KEEP)
        r->line[r->line_total] = b;
    r->line_total++;
    return RESP_MORE;
}

/* Bytes of a bulk string (then its CRLF): returns bytes taken, or sets *st. */
static uint32_t bulk_bytes(resp_reader *r, const uint8_t *p, uint32_t n, resp_status *st)
{
    *st = RESP_MORE;
    uint64_t data_left = r->bulk_left > 2 ? r->bulk_left - 2 : 0;
    if (data_left > 0) {
        uint32_t k = data_left < n ? (uint32_t)data_left : n;
        for (uint32_t i = 0; i < k && r->bulk_kept < RESP_QUOTE_MAX; i++)
            r->bulk[r->bulk_kept++] = p[i];
        r->bulk_left -= k;
        r->payload += k;
        return k;
    }
    /* the CRLF after the bytes: anything else means the length was wrong */
    if (p[0] != (r->bulk_left == 2 ? '\r' : '\n')) {
        *st = RESP_BAD;
        return 0;
    }
    if (--r->bulk_left > 0)
        return 1;
    r->in_bulk = false;
    if (described(r, r->depth))
        put_string(r, r->type, r->bulk, r->bulk_len, !r->bulk_hole && r->bulk_kept == r->bulk_len);
    *st = element_done(r) ? RESP_OK : RESP_MORE;
    return 1;
}

resp_status resp_read(resp_reader *r, const uint8_t *p, uint32_t n, uint32_t *used)
{
    uint32_t i = 0;
    resp_status st = RESP_MORE;
    while (i < n && st == RESP_MORE) {
        if (r->size == 0) { /* a new value: a new summary */
            r->text_len = 0;
            r->text[0] = '\0';
            r->described = 0;
            r->top_aggregate = false;
            r->top_items = 0;
            r->payload = 0;
        }
        uint32_t k = 1;
        if (r->in_bulk)
            k = bulk_bytes(r, p + i, n - i, &st);
        else
            st = line_byte(r, p[i]);
        if (st == RESP_BAD)
            break;
        i += k;
        r->size += k;
    }
    *used = i;
    if (st == RESP_OK) {
        r->value_size = r->size;
        r->size = 0; /* the next byte starts the next value */
    }
    return st;
}

bool resp_reader_busy(const resp_reader *r)
{
    return r->size > 0;
}

bool resp_reader_skip(resp_reader *r, uint64_t n)
{
    if (!r->in_bulk || r->bulk_left < 2 || n > r->bulk_left - 2)
        return false; /* outside a bulk string's bytes the framing would be lost */
    r->bulk_left -= n;
    r->payload += n;
    r->size += n;
    r->bulk_hole = true;
    return true;
}

void resp_describe(const uint8_t *p, uint32_t n, char *out, uint32_t cap)
{
    resp_reader r;
    uint32_t used;
    if (cap == 0)
        return;
    out[0] = '\0';
    resp_reader_init(&r);
    if (resp_read(&r, p, n, &used) != RESP_OK)
        return;
    uint32_t k = r.text_len < cap - 1 ? r.text_len : cap - 1;
    memcpy(out, r.text, k);
    out[k] = '\0';
}
