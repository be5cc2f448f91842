/*
 * sio_packet.c - the Socket.IO v5 packet codec (the wire format is drawn in sio_packet.h).
 *
 * sio_decode walks the text once, left to right, the way socket.io-parser's decodeString does:
 * type digit, "<n>-" for binary packets, "/namespace," when the next character is "/", ack-id
 * digits, and whatever is left is JSON. Every index is compared with n before it is read.
 */
#include "sio_packet.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eio_packet.h"
#include "sio_json.h"

static const char *const sio_names[] = {"CONNECT",       "DISCONNECT",   "EVENT",     "ACK",
                                        "CONNECT_ERROR", "BINARY_EVENT", "BINARY_ACK"};

const char *sio_type_name(int type)
{
    if (type < SIO_CONNECT || type > SIO_BINARY_ACK)
        return "UNKNOWN";
    return sio_names[type];
}

const char *sio_strerror(int err)
{
    switch (err) {
    case SIO_E_EMPTY:
        return "empty Socket.IO packet";
    case SIO_E_TYPE:
        return "unknown Socket.IO packet type (the first character must be a digit 0-6)";
    case SIO_E_ATTACHMENTS:
        return "binary packet without a valid attachment count (\"<n>-\")";
    case SIO_E_NSP:
        return "namespace name too long";
    case SIO_E_ACKID:
        return "ack id too long";
    case SIO_E_JSON:
        return "packet data is not valid JSON";
    case SIO_E_PAYLOAD:
        return "packet data is not what this packet type allows";
    case SIO_E_PLACEHOLDER:
        return "binary placeholder points at an attachment that does not exist";
    case SIO_E_NOMEM:
        return "out of memory";
    default:
        return "no error";
    }
}

int sio_reserved_event(const char *name)
{
    static const char *const reserved[] = {"connect",       "connect_error", "disconnect",
                                           "disconnecting", "newListener",   "removeListener"};
    for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
        if (strcmp(name, reserved[i]) == 0)
            return 1;
    return 0;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* "<n>-" after the type digit of a binary packet. *i is at the first digit. As socket.io-parser
 * 4.2.7: n from 1 ("Illegal attachments" below) to its maxAttachments ("too many"). */
static int decode_attachments(const char *s, size_t n, size_t *i, sio_packet *p)
{
    size_t start = *i, count = 0;
    while (*i < n && is_digit(s[*i]) && *i - start < 4)
        count = count * 10 + (size_t)(s[(*i)++] - '0');
    if (*i == start || *i >= n || s[*i] != '-' || count < 1 || count > SIO_MAX_ATTACHMENTS)
        return SIO_E_ATTACHMENTS;
    (*i)++;
    p->attachments = count;
    return 0;
}

/* "/name," - the comma may be missing when nothing follows ("40/custom"). */
static int decode_nsp(const char *s, size_t n, size_t *i, sio_packet *p)
{
    p->nsp = "/";
    p->nsp_len = 1;
    if (*i >= n || s[*i] != '/')
        return 0;
    size_t start = *i;
    while (*i < n && s[*i] != ',')
        (*i)++;
    if (*i - start > SIO_MAX_NSP)
        return SIO_E_NSP;
    p->nsp = s + start;
    p->nsp_len = *i - start;
    if (*i < n)
        (*i)++; /* the comma */
    return 0;
}

/* Digits right before the data are the ack id ("12[...]"), up to SIO_MAX_ACK_ID (2^53 - 1):
 * socket.io reads it as a JavaScript number, exact up to there (a client's ids count from 0). */
static int decode_id(const char *s, size_t n, size_t *i, sio_packet *p)
{
    size_t start = *i;
    int64_t id = 0;
    p->id = -1;
    while (*i < n && is_digit(s[*i])) {
        id = id * 10 + (s[(*i)++] - '0');
        if (id > SIO_MAX_ACK_ID) /* (checked at each digit: id never overflows) */
            return SIO_E_ACKID;
    }
    if (*i > start)
        p->id = id;
    return 0;
}

int sio_decode(const char *s, size_t n, sio_packet *p)
{
    memset(p, 0, sizeof *p);
    if (n == 0)
        return SIO_E_EMPTY;
    if (s[0] < '0' || s[0] > '6')
        return SIO_E_TYPE;
    p->type = (sio_type)(s[0] - '0');
    size_t i = 1;
    int rc = 0;
    if (p->type == SIO_BINARY_EVENT || p->type == SIO_BINARY_ACK)
        rc = decode_attachments(s, n, &i, p);
    if (rc == 0)
        rc = decode_nsp(s, n, &i, p);
    if (rc == 0)
        rc = decode_id(s, n, &i, p);
    if (rc < 0)
        return rc;
    p->data = s + i;
    p->data_len = n - i;
    return 0;
}

int sio_placeholder_num(const char *json, size_t len)
{
    const char *ph, *num;
    size_t phl, numl;
    if (!sio_json_member(json, len, "_placeholder", &ph, &phl) || phl != 4 ||
        memcmp(ph, "true", 4) != 0 || !sio_json_member(json, len, "num", &num, &numl))
        return -1;
    int v = 0;
    for (size_t i = 0; i < numl; i++) { /* a small non-negative integer, digits only */
        if (!is_digit(num[i]) || v > SIO_MAX_ATTACHMENTS)
            return -1;
        v = v * 10 + (num[i] - '0');
    }
    return numl > 0 && v <= SIO_MAX_ATTACHMENTS ? v : -1;
}

/* The first byte of the checked value data[0..n): '{', '[', '"', a digit, '-', t, f, n. */
static char kind_of(const char *data, size_t n)
{
    size_t i = sio_json_ws(data, n, 0);
    return i < n ? data[i] : '\0';
}

/* An event's first element: a number, or a string that is not a reserved event name. */
static int event_name_valid(const char *data, size_t n)
{
    const char *first;
    size_t len;
    char name[32];
    if (kind_of(data, n) != '[' || !sio_json_item(data, n, 0, &first, &len))
        return 0;
    if (first[0] == '-' || is_digit(first[0]))
        return 1;
    if (first[0] != '"')
        return 0;
    long nl = sio_json_string(first, len, name, sizeof name);
    return nl < 0 || (size_t)nl != strlen(name) || !sio_reserved_event(name);
}

/* What each packet type may carry (socket.io-parser's isPayloadValid). */
static int payload_valid(sio_type type, const char *data, size_t n)
{
    char k = n ? kind_of(data, n) : '\0';
    switch (type) {
    case SIO_CONNECT:
        return n == 0 || k == '{';
    case SIO_DISCONNECT:
        return n == 0;
    case SIO_CONNECT_ERROR:
        return k == '{' || k == '"';
    case SIO_EVENT:
    case SIO_BINARY_EVENT:
        return n > 0 && event_name_valid(data, n);
    case SIO_ACK:
    case SIO_BINARY_ACK:
        return n == 0 || k == '[';
    }
    return 0;
}

int sio_check_data(const sio_packet *p)
{
    if (p->data_len > 0) {
        int rc = sio_json_check(p->data, p->data_len, (size_t)-1, NULL);
        if (rc == SIO_JSON_NOMEM)
            return SIO_E_NOMEM;
        if (rc != SIO_JSON_OK)
            return SIO_E_JSON;
    }
    return payload_valid(p->type, p->data, p->data_len) ? 0 : SIO_E_PAYLOAD;
}

int sio_check_placeholders(const sio_packet *p)
{
    if (p->attachments == 0 || p->data_len == 0) /* socket.io-parser reconstructs nothing */
        return 0;
    int rc = sio_json_check(p->data, p->data_len, p->attachments, NULL);
    if (rc == SIO_JSON_NOMEM)
        return SIO_E_NOMEM;
    return rc == SIO_JSON_OK ? 0 : SIO_E_PLACEHOLDER;
}

char *sio_encode(sio_type type, const char *nsp, int64_t id, size_t attachments, const char *json,
                 size_t *len)
{
    char head[SIO_MAX_NSP + 64];
    int h = snprintf(head, sizeof head, "%d", (int)type);
    if (type == SIO_BINARY_EVENT || type == SIO_BINARY_ACK)
        h += snprintf(head + h, sizeof head - (size_t)h, "%zu-", attachments);
    if (nsp && strcmp(nsp, "/") != 0)
        h += snprintf(head + h, sizeof head - (size_t)h, "%.*s,", SIO_MAX_NSP, nsp);
    if (id >= 0)
        h += snprintf(head + h, sizeof head - (size_t)h, "%lld", (long long)id);
    size_t jl = json ? strlen(json) : 0;
    char *out = malloc((size_t)h + jl + 1);
    if (out == NULL)
        return NULL;
    memcpy(out, head, (size_t)h);
    if (jl)
        memcpy(out + h, json, jl);
    out[(size_t)h + jl] = '\0';
    *len = (size_t)h + jl;
    return out;
}

/* ---- sio_describe: the sniffer's layer-7 line ---- */

#define DESCRIBE_DATA_MAX 160 /* JSON shown per packet before "..." */

typedef struct appender {
    char *out;
    size_t cap, used;
} appender;

static void put(appender *a, const char *fmt, ...)
{
    if (a->used + 1 >= a->cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(a->out + a->used, a->cap - a->used, fmt, ap);
    va_end(ap);
    if (n > 0)
        a->used += (size_t)n < a->cap - a->used ? (size_t)n : a->cap - a->used - 1;
}

/* Bytes from the wire, printable ASCII as is, anything else as '.', cut at max. */
static void put_text(appender *a, const uint8_t *s, size_t n, size_t max)
{
    for (size_t i = 0; i < n && i < max && a->used + 1 < a->cap; i++)
        a->out[a->used++] = (s[i] >= 0x20 && s[i] < 0x7f) ? (char)s[i] : '.';
    a->out[a->used < a->cap ? a->used : a->cap - 1] = '\0';
    if (n > max)
        put(a, "...");
}

static void describe_sio(appender *a, const uint8_t *s, size_t n)
{
    sio_packet p;
    sio_decode((const char *)s, n, &p);
    put(a, "socket.io %s %.*s", sio_type_name((int)p.type), (int)p.nsp_len, p.nsp);
    if (p.data_len) {
        put(a, " ");
        put_text(a, (const uint8_t *)p.data, p.data_len, DESCRIBE_DATA_MAX);
    }
    if (p.id >= 0)
        put(a, " ack=%lld", (long long)p.id);
    if (p.type == SIO_BINARY_EVENT || p.type == SIO_BINARY_ACK)
        put(a, " attachments=%zu", p.attachments);
}

static void describe_record(appender *a, const uint8_t *s, size_t n)
{
    sio_packet sp;
    if (n > 0 && s[0] == 'b') {
        put(a, "engine.io MESSAGE binary (base64, %zu chars)", n - 1);
        return;
    }
    eio_packet p;
    if (eio_decode_text(s, n, &p) < 0) {
        put(a, "engine.io malformed packet: ");
        put_text(a, s, n, 40);
        return;
    }
    if (p.type == EIO_MESSAGE && sio_decode((const char *)p.data, p.len, &sp) == 0) {
        describe_sio(a, p.data, p.len);
        return;
    }
    const char *name = eio_type_name((int)p.type);
    put(a, "engine.io ");
    for (const char *c = name; *c; c++)
        put(a, "%c", *c >= 'a' && *c <= 'z' ? *c - 32 : *c);
    if (p.len) {
        put(a, " ");
        put_text(a, p.data, p.len, DESCRIBE_DATA_MAX);
    }
}

int sio_describe(const uint8_t *payload, size_t len, char *out, size_t outlen)
{
    appender a = {out, outlen, 0};
    if (outlen == 0)
        return -1;
    out[0] = '\0';
    if (len == 0 || !(payload[0] == 'b' || (payload[0] >= '0' && payload[0] <= '6')))
        return -1;
    int records = 0;
    size_t pos = 0;
    while (pos < len) {
        const uint8_t *s = payload + pos;
        const uint8_t *sep = memchr(s, EIO_RECORD_SEP, len - pos);
        size_t n = sep ? (size_t)(sep - s) : len - pos;
        if (records++)
            put(&a, "; ");
        describe_record(&a, s, n);
        pos += n + (sep ? 1 : 0);
    }
    return records;
}

int sio_describe_binary(size_t len, char *out, size_t outlen)
{
    if (outlen == 0)
        return -1;
    snprintf(out, outlen, "engine.io MESSAGE binary %zu bytes (a Socket.IO attachment)", len);
    return 1;
}

/* ---- sio_describe_http: Engine.IO inside an HTTP long-polling request or response ---- */

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + 32 : c; /* letters only: '\r' | 0x20 would be '-' */
}

/* Search for needle in h[0..n), ASCII letters in any case. */
static const uint8_t *find_ci(const uint8_t *h, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = 0; k <= n && i <= n - k; i++) {
        size_t j = 0;
        while (j < k && lower(h[i + j]) == lower((unsigned char)needle[j]))
            j++;
        if (j == k)
            return h + i;
    }
    return NULL;
}

/* The Content-Length header's value within the head, or -1. */
static long content_length(const uint8_t *head, size_t n)
{
    const uint8_t *v = find_ci(head, n, "\r\ncontent-length:");
    if (v == NULL)
        return -1;
    size_t i = (size_t)(v - head) + 17;
    while (i < n && head[i] == ' ')
        i++;
    long len = 0;
    int digits = 0;
    for (; i < n && head[i] >= '0' && head[i] <= '9' && digits < 10; i++, digits++)
        len = len * 10 + (head[i] - '0');
    return digits ? len : -1;
}

int sio_describe_http(const uint8_t *msg, size_t len, char *out, size_t outlen)
{
    if (outlen == 0)
        return -1;
    out[0] = '\0';
    const uint8_t *end = find_ci(msg, len, "\r\n\r\n");
    if (end == NULL)
        return -1;
    size_t head_len = (size_t)(end - msg) + 4;
    const uint8_t *eol = memchr(msg, '\r', head_len); /* never NULL: the head ends in \r\n */
    if (eol == NULL)
        return -1;
    size_t line_len = (size_t)(eol - msg);
    int response = line_len >= 5 && memcmp(msg, "HTTP/", 5) == 0;
    if (response ? find_ci(msg, head_len, "\r\ncontent-type: text/plain") == NULL
                 : find_ci(msg, line_len, "EIO=") == NULL)
        return -1;
    long cl = content_length(msg, head_len);
    size_t body = len - head_len;
    if (cl <= 0 || body == 0)
        return -1;
    size_t n = body < (size_t)cl ? body : (size_t)cl;
    int rc = sio_describe(msg + head_len, n, out, outlen);
    if (rc > 0 && n < (size_t)cl) {
        appender a = {out, outlen, strlen(out)};
        put(&a, " [truncated]");
    }
    return rc;
}
