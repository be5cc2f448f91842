/*
 * stream_msg.c - the streams adapter's messages, decoded and encoded (see stream_msg.h). Pure:
 * buffers in, structs out. The shapes are read from @socket.io/redis-streams-adapter 0.3.1
 * (dist/adapter.js: encode, decode, persistSession, restoreSession, shouldIncludePacket) and
 * socket.io-adapter 2.5 (dist/cluster-adapter.js: MessageType, encodeOptions, the data of
 * each message). Data is handled as JSON text, read with sio_json.c and never printed again,
 * so a client's values cross the cluster as the very text it sent; MessagePack (a binary in
 * the data, the pub/sub messages, sessions) goes through adapter_msg.c's converters.
 * Test: build/tests/test_stream_msg; fuzz: fuzz_stream_msg.
 */
#include "stream_msg.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "sio_json.h"

/* ---- small pieces ------------------------------------------------------------------------ */

static char *dup_n(const char *p, size_t n)
{
    char *s = malloc(n + 1);
    if (s) {
        memcpy(s, p, n);
        s[n] = '\0';
    }
    return s;
}

static void names_free(adapter_rooms *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->names[i]);
    free(r->names);
    *r = (adapter_rooms){0};
}

/* A JSON string token decoded (malloc'd, NUL-terminated; it may hold a NUL of "\u0000", which
 * then ends the name as C sees it), or NULL. */
static char *json_str(const char *tok, size_t n)
{
    char *s = tok[0] == '"' ? malloc(n + 1) : NULL;
    if (s && sio_json_string(tok, n, s, n + 1) < 0) {
        free(s);
        return NULL;
    }
    return s;
}

/* A checked JSON array of strings (or numbers, as JavaScript prints them) as names. */
static int json_names(const char *v, size_t n, adapter_rooms *r)
{
    const char *item;
    size_t ilen, count = 0;
    *r = (adapter_rooms){0};
    if (v[0] != '[')
        return ADAPTER_E_MALFORMED;
    while (sio_json_item(v, n, count, &item, &ilen))
        if (++count > STREAM_MAX_ROOMS)
            return ADAPTER_E_LIMIT;
    if ((r->names = calloc(count + 1, sizeof *r->names)) == NULL)
        return ADAPTER_E_NOMEM;
    for (size_t i = 0; i < count; i++) {
        sio_json_item(v, n, i, &item, &ilen);
        char *name = item[0] == '"'                                           ? json_str(item, ilen)
                     : (item[0] == '-' || (item[0] >= '0' && item[0] <= '9')) ? dup_n(item, ilen)
                                                                              : NULL;
        if (name == NULL) {
            names_free(r);
            return ADAPTER_E_MALFORMED;
        }
        r->names[r->n++] = name;
    }
    return 0;
}

static void tx_names(adapter_text *t, const char *const *names, size_t n, const char *extra)
{
    int first = 1;
    adapter_text_str(t, "[");
    for (size_t i = 0; i <= n; i++) {
        const char *name = i < n ? names[i] : extra;
        if (name == NULL)
            continue;
        if (!first)
            adapter_text_str(t, ",");
        first = 0;
        adapter_text_quoted(t, name, strlen(name));
    }
    adapter_text_str(t, "]");
}

/* "opts":{"rooms":[...],"except":[...],"flags":{...}}, as socket.io-adapter's encodeOptions. */
static void tx_opts(adapter_text *t, const sio_target *tg, const char *sender)
{
    adapter_text_str(t, "\"opts\":{\"rooms\":");
    tx_names(t, tg->rooms, tg->nrooms, NULL);
    adapter_text_str(t, ",\"except\":");
    tx_names(t, tg->except, tg->nexcept, sender);
    adapter_text_str(t, (tg->flags & SIO_VOLATILE) ? ",\"flags\":{\"volatile\":true}}"
                                                   : ",\"flags\":{}}");
}

static char *tx_done(adapter_text *t)
{
    if (t->failed) {
        free(t->s);
        return NULL;
    }
    return t->s;
}

/* [event, ...args]: the name quoted, the arguments' text as it is. */
static void tx_event(adapter_text *t, const char *event, const char *args)
{
    const char *a = args ? args : "[]";
    size_t n = strlen(a), open = sio_json_ws(a, n, 0) + 1, close = n;
    while (close > open && a[close - 1] != ']')
        close--;
    adapter_text_str(t, "[");
    adapter_text_quoted(t, event, strlen(event));
    if (close > open && sio_json_ws(a, close - 1, open) < close - 1) {
        adapter_text_str(t, ",");
        adapter_text_add(t, a + open, close - 1 - open);
    }
    adapter_text_str(t, "]");
}

/* ---- decoding ---------------------------------------------------------------------------- */

void stream_msg_free(stream_msg *m)
{
    free(m->uid);
    free(m->nsp);
    free(m->data);
    adapter_bins_free(m->bins, m->nbins);
    *m = (stream_msg){0};
}

/* data as the stream stores it: JSON text when it starts with '{' (the adapter's own test),
 * else base64 of MessagePack, turned into JSON with placeholders. */
static int field_data(const char *v, size_t n, stream_msg *m)
{
    if (n > 0 && v[0] == '{') {
        if (sio_json_check(v, n, (size_t)-1, NULL) != SIO_JSON_OK)
            return ADAPTER_E_MALFORMED;
        return (m->data = dup_n(v, n)) ? 0 : ADAPTER_E_NOMEM;
    }
    uint8_t *raw = malloc(n / 4 * 3 + 3);
    long rn = raw ? base64_decode(v, n, raw, n / 4 * 3 + 3) : -1;
    int rc = rn > 0 ? adapter_msgpack_to_json(raw, (size_t)rn, &m->data, &m->bins, &m->nbins)
                    : (raw ? ADAPTER_E_MALFORMED : ADAPTER_E_NOMEM);
    free(raw);
    return rc;
}

/* Decimal text within int range ("3"), as parseInt would read the adapter's own. */
static int type_of(const char *v, size_t n)
{
    int t = 0;
    if (n == 0 || n > 4)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9')
            return -1;
        t = t * 10 + (v[i] - '0');
    }
    return t;
}

int stream_decode_entry(const char *const *kv, const size_t *kvlen, size_t n, stream_msg *m)
{
    int rc = 0;
    *m = (stream_msg){.type = -1};
    for (size_t i = 0; i + 1 < n && rc == 0; i += 2) {
        const char *k = kv[i], *v = kv[i + 1];
        size_t kl = kvlen[i], vl = kvlen[i + 1];
        if (kl == 3 && memcmp(k, "uid", 3) == 0 && m->uid == NULL)
            rc = (m->uid = dup_n(v, vl)) ? 0 : ADAPTER_E_NOMEM;
        else if (kl == 3 && memcmp(k, "nsp", 3) == 0 && m->nsp == NULL)
            rc = (m->nsp = dup_n(v, vl)) ? 0 : ADAPTER_E_NOMEM;
        else if (kl == 4 && memcmp(k, "type", 4) == 0)
            rc = (m->type = type_of(v, vl)) < 0 ? ADAPTER_E_MALFORMED : 0;
        else if (kl == 4 && memcmp(k, "data", 4) == 0 && m->data == NULL)
            rc = field_data(v, vl, m);
    }
    if (rc == 0 && (m->nsp == NULL || m->type < 0)) /* the adapter skips entries without nsp */
        rc = ADAPTER_E_MALFORMED;
    if (rc == 0 && m->uid == NULL)
        rc = (m->uid = dup_n("", 0)) ? 0 : ADAPTER_E_NOMEM;
    if (rc < 0)
        stream_msg_free(m);
    return rc;
}

int stream_decode_pubsub(const uint8_t *buf, size_t len, stream_msg *m)
{
    char *json = NULL;
    const char *v;
    size_t vl;
    *m = (stream_msg){.type = -1};
    int rc = adapter_msgpack_to_json(buf, len, &json, &m->bins, &m->nbins);
    if (rc < 0)
        return rc;
    size_t n = strlen(json);
    if (json[0] != '{' || !sio_json_member(json, n, "type", &v, &vl) ||
        (m->type = type_of(v, vl)) < 0 || !sio_json_member(json, n, "nsp", &v, &vl) ||
        (m->nsp = json_str(v, vl)) == NULL)
        rc = ADAPTER_E_MALFORMED;
    if (rc == 0)
        m->uid = sio_json_member(json, n, "uid", &v, &vl) ? json_str(v, vl) : dup_n("", 0);
    if (rc == 0 && m->uid == NULL)
        rc = ADAPTER_E_MALFORMED;
    if (rc == 0 && sio_json_member(json, n, "data", &v, &vl) && (m->data = dup_n(v, vl)) == NULL)
        rc = ADAPTER_E_NOMEM;
    free(json);
    if (rc < 0)
        stream_msg_free(m);
    return rc;
}

/* ---- encoding ---------------------------------------------------------------------------- */

static int base64_of(const uint8_t *raw, size_t n, char **out)
{
    size_t cap = BASE64_ENCODED_LEN(n) + 1;
    *out = malloc(cap);
    if (*out == NULL)
        return ADAPTER_E_NOMEM;
    base64_encode(raw, n, *out, cap);
    return 0;
}

int stream_encode_field(const char *data, const sio_bin *bins, size_t nbins, char **out)
{
    if (nbins == 0) /* JSON.stringify(data): the text as it is */
        return (*out = dup_n(data, strlen(data))) ? 0 : ADAPTER_E_NOMEM;
    uint8_t *raw;
    size_t n;
    int rc = adapter_json_to_msgpack(data, bins, nbins, &raw, &n);
    if (rc == 0) {
        rc = base64_of(raw, n, out);
        free(raw);
    }
    return rc;
}

int stream_encode_pubsub(int type, const char *data, const sio_bin *bins, size_t nbins,
                         const char *uid, const char *nsp, uint8_t **out, size_t *len)
{
    adapter_text t = {0};
    char num[16];
    snprintf(num, sizeof num, "%d", type);
    adapter_text_str(&t, "{\"type\":"); /* publish() makes {type, data}; then uid, nsp are set */
    adapter_text_str(&t, num);
    if (data) {
        adapter_text_str(&t, ",\"data\":");
        adapter_text_str(&t, data);
    }
    adapter_text_str(&t, ",\"uid\":");
    adapter_text_quoted(&t, uid, strlen(uid));
    adapter_text_str(&t, ",\"nsp\":");
    adapter_text_quoted(&t, nsp, strlen(nsp));
    adapter_text_str(&t, "}");
    if (tx_done(&t) == NULL)
        return ADAPTER_E_NOMEM;
    int rc = adapter_json_to_msgpack(t.s, bins, nbins, out, len);
    free(t.s);
    return rc;
}

char *stream_broadcast_data(const char *event, const char *args, const sio_target *t,
                            const char *sender)
{
    adapter_text x = {0};
    adapter_text_str(&x, "{\"packet\":{\"type\":2,\"data\":");
    tx_event(&x, event, args);
    adapter_text_str(&x, "},");
    tx_opts(&x, t, sender);
    adapter_text_str(&x, "}");
    return tx_done(&x);
}

char *stream_sockets_data(int type, const sio_target *t, const char *const *rooms, size_t nrooms,
                          int close)
{
    adapter_text x = {0};
    adapter_text_str(&x, "{");
    tx_opts(&x, t, NULL);
    if (type == STREAM_DISCONNECT_SOCKETS)
        adapter_text_str(&x, close ? ",\"close\":true" : ",\"close\":false");
    else {
        adapter_text_str(&x, ",\"rooms\":");
        tx_names(&x, rooms, nrooms, NULL);
    }
    adapter_text_str(&x, "}");
    return tx_done(&x);
}

char *stream_fetch_data(const sio_target *t, const char *request_id)
{
    adapter_text x = {0};
    adapter_text_str(&x, "{");
    tx_opts(&x, t, NULL);
    adapter_text_str(&x, ",\"requestId\":");
    adapter_text_quoted(&x, request_id, strlen(request_id));
    adapter_text_str(&x, "}");
    return tx_done(&x);
}

char *stream_emit_data(const char *request_id, const char *event, const char *args)
{
    adapter_text x = {0};
    adapter_text_str(&x, "{");
    if (request_id) {
        adapter_text_str(&x, "\"requestId\":");
        adapter_text_quoted(&x, request_id, strlen(request_id));
        adapter_text_str(&x, ",");
    }
    adapter_text_str(&x, "\"packet\":");
    tx_event(&x, event, args);
    adapter_text_str(&x, "}");
    return tx_done(&x);
}

char *stream_response_data(const char *request_id, const char *key, const char *value)
{
    adapter_text x = {0};
    adapter_text_str(&x, "{\"requestId\":");
    adapter_text_quoted(&x, request_id, strlen(request_id));
    adapter_text_str(&x, ",\"");
    adapter_text_str(&x, key);
    adapter_text_str(&x, "\":");
    adapter_text_str(&x, value);
    adapter_text_str(&x, "}");
    return tx_done(&x);
}

/* ---- reading data ------------------------------------------------------------------------ */

int stream_read_names(const char *data, const char *key, adapter_rooms *r)
{
    const char *v;
    size_t vl;
    *r = (adapter_rooms){0};
    if (!sio_json_member(data, strlen(data), key, &v, &vl))
        return 0;
    if (vl == 4 && memcmp(v, "null", 4) == 0)
        return 0;
    return json_names(v, vl, r);
}

int stream_read_string(const char *data, const char *key, char *out, size_t cap)
{
    const char *v;
    size_t vl;
    if (!sio_json_member(data, strlen(data), key, &v, &vl) || v[0] != '"')
        return 0;
    long n = sio_json_string(v, vl, out, cap);
    return n >= 0 && (size_t)n == strlen(out);
}

char *stream_read_raw(const char *data, const char *key)
{
    const char *v;
    size_t vl;
    return sio_json_member(data, strlen(data), key, &v, &vl) ? dup_n(v, vl) : NULL;
}

static int member_true(const char *o, size_t n, const char *key)
{
    const char *v;
    size_t vl;
    return sio_json_member(o, n, key, &v, &vl) && vl == 4 && memcmp(v, "true", 4) == 0;
}

int stream_read_opts(const char *data, stream_opts *o)
{
    const char *v, *f, *to;
    size_t vl, fl, tol;
    *o = (stream_opts){.timeout = -1};
    if (!sio_json_member(data, strlen(data), "opts", &v, &vl))
        return 0;
    if (v[0] != '{')
        return ADAPTER_E_MALFORMED;
    char *opts = dup_n(v, vl);
    if (opts == NULL)
        return ADAPTER_E_NOMEM;
    int rc = stream_read_names(opts, "rooms", &o->rooms);
    if (rc == 0)
        rc = stream_read_names(opts, "except", &o->except);
    if (rc == 0 && sio_json_member(opts, vl, "flags", &f, &fl) && f[0] == '{') {
        o->flags |= member_true(f, fl, "volatile") ? ADAPTER_VOLATILE : 0;
        o->flags |= member_true(f, fl, "local") ? ADAPTER_LOCAL : 0;
        if (sio_json_member(f, fl, "timeout", &to, &tol) && to[0] >= '0' && to[0] <= '9') {
            errno = 0;
            long ms = strtol(to, NULL, 10);
            o->timeout = errno == 0 && ms < 86400000 ? ms : -1;
        }
    }
    free(opts);
    if (rc < 0)
        stream_opts_free(o);
    return rc;
}

void stream_opts_free(stream_opts *o)
{
    names_free(&o->rooms);
    names_free(&o->except);
    *o = (stream_opts){.timeout = -1};
}

int stream_read_packet(const char *data, char *event, size_t cap, char **args, int64_t *ack_id)
{
    const char *p, *v;
    size_t pl, vl;
    *ack_id = -1;
    if (!sio_json_member(data, strlen(data), "packet", &p, &pl) || p[0] != '{' ||
        !sio_json_member(p, pl, "data", &v, &vl) || v[0] != '[')
        return ADAPTER_E_MALFORMED;
    const char *id;
    size_t il;
    if (sio_json_member(p, pl, "id", &id, &il) && id[0] >= '0' && id[0] <= '9')
        *ack_id = strtoll(id, NULL, 10);
    char *d = dup_n(v, vl);
    if (d == NULL)
        return ADAPTER_E_NOMEM;
    int rc = adapter_split_event(d, event, cap, args);
    free(d);
    return rc;
}

/* ---- sessions ---------------------------------------------------------------------------- */

char *stream_encode_session(const char *sid, const char *pid, const char *const *rooms,
                            size_t nrooms)
{
    adapter_text t = {0}; /* {sid, pid, rooms, data}: socket.io's persistSession object */
    adapter_text_str(&t, "{\"sid\":");
    adapter_text_quoted(&t, sid, strlen(sid));
    adapter_text_str(&t, ",\"pid\":");
    adapter_text_quoted(&t, pid, strlen(pid));
    adapter_text_str(&t, ",\"rooms\":");
    tx_names(&t, rooms, nrooms, NULL);
    adapter_text_str(&t, ",\"data\":{}}");
    if (tx_done(&t) == NULL)
        return NULL;
    uint8_t *raw;
    size_t n;
    char *out = NULL;
    if (adapter_json_to_msgpack(t.s, NULL, 0, &raw, &n) == 0) {
        base64_of(raw, n, &out);
        free(raw);
    }
    free(t.s);
    return out;
}

int stream_decode_session(const char *b64, size_t len, stream_session *s)
{
    stream_msg m = {0};
    *s = (stream_session){0};
    int rc = field_data(b64, len, &m); /* never JSON: a session is always MessagePack */
    if (rc == 0 && (m.data == NULL || m.data[0] != '{'))
        rc = ADAPTER_E_MALFORMED;
    const char *v;
    size_t vl, n = rc == 0 ? strlen(m.data) : 0;
    if (rc == 0) {
        s->sid = sio_json_member(m.data, n, "sid", &v, &vl) ? json_str(v, vl) : NULL;
        s->pid = sio_json_member(m.data, n, "pid", &v, &vl) ? json_str(v, vl) : NULL;
        rc = s->sid && s->pid ? stream_read_names(m.data, "rooms", &s->rooms) : ADAPTER_E_MALFORMED;
    }
    stream_msg_free(&m);
    if (rc < 0)
        stream_session_free(s);
    return rc;
}

void stream_session_free(stream_session *s)
{
    free(s->sid);
    free(s->pid);
    names_free(&s->rooms);
    *s = (stream_session){0};
}

/* ---- ids --------------------------------------------------------------------------------- */

/* One decimal part of an id, within 64 bits; its end in *end. */
static int id_part(const char *s, uint64_t *v, const char **end)
{
    const char *p = s;
    *v = 0;
    for (; *p >= '0' && *p <= '9'; p++) {
        uint64_t d = (uint64_t)(*p - '0');
        if (*v > (UINT64_MAX - d) / 10) /* written so it cannot overflow */
            return 0;
        *v = *v * 10 + d;
    }
    *end = p;
    return p > s;
}

static int id_parse(const char *id, uint64_t *ms, uint64_t *seq)
{
    const char *e;
    return id_part(id, ms, &e) && *e == '-' && id_part(e + 1, seq, &e) && *e == '\0';
}

int stream_id_valid(const char *id)
{
    uint64_t ms, seq;
    return id_parse(id, &ms, &seq);
}

int stream_id_cmp(const char *a, const char *b)
{
    uint64_t am = 0, as = 0, bm = 0, bs = 0;
    id_parse(a, &am, &as);
    id_parse(b, &bm, &bs);
    if (am != bm)
        return am < bm ? -1 : 1;
    return as < bs ? -1 : as > bs;
}

int stream_id_next(const char *id, char *out, size_t cap)
{
    uint64_t ms, seq;
    if (!id_parse(id, &ms, &seq) || seq == UINT64_MAX)
        return -1;
    int n = snprintf(out, cap, "%llu-%llu", (unsigned long long)ms, (unsigned long long)seq + 1);
    return n > 0 && (size_t)n < cap ? 0 : -1;
}

static int has_name(const adapter_rooms *r, const char *name)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->names[i], name) == 0)
            return 1;
    return 0;
}

int stream_should_include(const adapter_rooms *session, const adapter_rooms *rooms,
                          const adapter_rooms *except)
{
    int included = rooms->n == 0;
    for (size_t i = 0; i < session->n; i++) {
        included |= has_name(rooms, session->names[i]);
        if (has_name(except, session->names[i]))
            return 0;
    }
    return included;
}
