/*
 * adapter_msg.c - the Redis adapter's messages, decoded and encoded (see adapter_msg.h): the
 * MessagePack broadcasts [uid, packet, opts] and the JSON (or MessagePack) requests and
 * responses of npm @socket.io/redis-adapter 8.x. Pure: buffers in, structs out.
 *
 * MessagePack (msgpack-c) is read into a tree of msgpack_object and walked; JSON with cJSON.
 * Neither is the lesson; the shapes are. Test: build/tests/test_adapter_msg.
 */
#include "adapter_msg.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sio_json.h"

/* ---- a growing text buffer ------------------------------------------------------------- */

void adapter_text_add(adapter_text *t, const char *p, size_t n)
{
    if (t->failed)
        return;
    if (t->len + n + 1 > t->cap) {
        size_t ncap = (t->len + n + 1) * 2;
        char *ns = realloc(t->s, ncap);
        if (ns == NULL) {
            t->failed = 1;
            return;
        }
        t->s = ns;
        t->cap = ncap;
    }
    memcpy(t->s + t->len, p, n);
    t->len += n;
    t->s[t->len] = '\0';
}

void adapter_text_str(adapter_text *t, const char *p)
{
    adapter_text_add(t, p, strlen(p));
}

void adapter_text_quoted(adapter_text *t, const char *p, size_t n)
{
    size_t cap = 6 * n + 3;
    char *q = malloc(cap);
    if (q == NULL) {
        t->failed = 1;
        return;
    }
    adapter_text_add(t, q, sio_json_quote(p, n, q, cap));
    free(q);
}

/* A double as JavaScript's JSON.stringify would write it: the shortest text that reads back
 * as the same double; NaN and the infinities have no JSON form and become null, as there. */
static void tx_double(adapter_text *t, double d)
{
    char num[40];
    if (!isfinite(d)) {
        adapter_text_str(t, "null");
        return;
    }
    if (d == 0) { /* -0 too: JSON.stringify(-0) is "0" */
        adapter_text_str(t, "0");
        return;
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(num, sizeof num, "%.*g", prec, d);
        if (strtod(num, NULL) == d)
            break;
    }
    adapter_text_str(t, num);
}

/* ---- MessagePack to JSON ----------------------------------------------------------------- */

typedef struct binlist {
    sio_bin *v;
    size_t n;
} binlist;

void adapter_bins_free(sio_bin *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free((void *)b[i].data);
    free(b);
}

static int add_bin(binlist *b, const char *p, uint32_t n)
{
    if (b->n == SIO_MAX_ATTACHMENTS)
        return ADAPTER_E_LIMIT;
    sio_bin *nv = realloc(b->v, (b->n + 1) * sizeof *nv);
    uint8_t *copy = malloc(n ? n : 1);
    if (nv == NULL || copy == NULL) {
        free(copy);
        if (nv)
            b->v = nv;
        return ADAPTER_E_NOMEM;
    }
    if (n)
        memcpy(copy, p, n);
    b->v = nv;
    b->v[b->n++] = (sio_bin){copy, n};
    return 0;
}

/* One value as JSON text; a binary becomes a placeholder and goes to b. */
static int mp_json(const msgpack_object *o, adapter_text *t, binlist *b, int depth)
{
    char num[32];
    if (depth > ADAPTER_MAX_DEPTH)
        return ADAPTER_E_LIMIT;
    switch (o->type) {
    case MSGPACK_OBJECT_NIL:
    case MSGPACK_OBJECT_EXT: /* notepack's undefined (and Dates): JSON has neither */
        adapter_text_str(t, "null");
        return 0;
    case MSGPACK_OBJECT_BOOLEAN:
        adapter_text_str(t, o->via.boolean ? "true" : "false");
        return 0;
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        snprintf(num, sizeof num, "%llu", (unsigned long long)o->via.u64);
        adapter_text_str(t, num);
        return 0;
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        snprintf(num, sizeof num, "%lld", (long long)o->via.i64);
        adapter_text_str(t, num);
        return 0;
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64:
        tx_double(t, o->via.f64);
        return 0;
    case MSGPACK_OBJECT_STR:
        adapter_text_quoted(t, o->via.str.ptr, o->via.str.size);
        return 0;
    case MSGPACK_OBJECT_BIN:
        snprintf(num, sizeof num, "%zu}", b->n);
        adapter_text_str(t, "{\"_placeholder\":true,\"num\":");
        adapter_text_str(t, num);
        return add_bin(b, o->via.bin.ptr, o->via.bin.size);
    case MSGPACK_OBJECT_ARRAY:
        adapter_text_str(t, "[");
        for (uint32_t i = 0; i < o->via.array.size; i++) {
            if (i)
                adapter_text_str(t, ",");
            int rc = mp_json(&o->via.array.ptr[i], t, b, depth + 1);
            if (rc < 0)
                return rc;
        }
        adapter_text_str(t, "]");
        return 0;
    case MSGPACK_OBJECT_MAP:
        adapter_text_str(t, "{");
        for (uint32_t i = 0; i < o->via.map.size; i++) {
            const msgpack_object_kv *kv = &o->via.map.ptr[i];
            if (kv->key.type != MSGPACK_OBJECT_STR) /* JavaScript keys are strings */
                return ADAPTER_E_MALFORMED;
            if (i)
                adapter_text_str(t, ",");
            adapter_text_quoted(t, kv->key.via.str.ptr, kv->key.via.str.size);
            adapter_text_str(t, ":");
            int rc = mp_json(&kv->val, t, b, depth + 1);
            if (rc < 0)
                return rc;
        }
        adapter_text_str(t, "}");
        return 0;
    }
    return ADAPTER_E_MALFORMED;
}

/*
 * Check, before msgpack-c sees them, that buf holds exactly one MessagePack value whose every
 * length fits in the bytes that are there. msgpack-c allocates room for an array's or a map's
 * declared count before reading the items, so a 6-byte "array of 2^32 items" would make it
 * ask for 100 GB. Each value takes at least one byte, so a container may declare at most as
 * many items as bytes remain (checked as count <= len - off, which cannot overflow since
 * off <= len); ADAPTER_MAX_VALUES and ADAPTER_MAX_DEPTH bound the rest.
 *
 *   first byte        what follows                      first byte   what follows
 *   00-7f, e0-ff      nothing (a small integer)         80-8f        fixmap: 2*(b&15) values
 *   c0 c2 c3          nothing (nil, false, true)        90-9f        fixarray: b&15 values
 *   a0-bf             b&31 bytes of string              cc-d3        1, 2, 4, 8 bytes of int
 *   c4-c6 / d9-db     1/2/4-byte length, then bytes     ca cb        4 or 8 bytes of float
 *   c7-c9             1/2/4-byte length, type, bytes    d4-d8        type, 1/2/4/8/16 bytes
 *   dc dd / de df     2/4-byte count of values / pairs  c1           never used: an error
 */
static int mp_check(const uint8_t *buf, size_t len)
{
    size_t pending[ADAPTER_MAX_DEPTH + 2], off = 0, values = 0;
    int depth = 0;
    pending[0] = 1;
    while (depth >= 0) {
        if (pending[depth] == 0) {
            depth--;
            continue;
        }
        if (off >= len || ++values > ADAPTER_MAX_VALUES)
            return off >= len ? ADAPTER_E_MALFORMED : ADAPTER_E_LIMIT;
        pending[depth]--;
        uint8_t b = buf[off++];
        size_t skip = 0, count = 0, lenbytes = 0;
        if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3)
            skip = 0;
        else if (b >= 0x80 && b <= 0x9f)
            count = (size_t)(b & 0x0f) * (b <= 0x8f ? 2 : 1);
        else if (b >= 0xa0 && b <= 0xbf)
            skip = b & 0x1f;
        else if (b >= 0xcc && b <= 0xd3)
            skip = (size_t)1 << ((b - 0xcc) & 3);
        else if (b == 0xca || b == 0xcb)
            skip = b == 0xca ? 4 : 8;
        else if (b >= 0xd4 && b <= 0xd8)
            skip = 1 + ((size_t)1 << (b - 0xd4));
        else if ((b >= 0xc4 && b <= 0xc9) || (b >= 0xd9 && b <= 0xdb) || (b >= 0xdc && b <= 0xdf))
            lenbytes = b >= 0xdc   ? (b & 1 ? 4 : 2)
                       : b >= 0xd9 ? (size_t)1 << (b - 0xd9)
                       : b >= 0xc7 ? (size_t)1 << (b - 0xc7)
                                   : (size_t)1 << (b - 0xc4);
        else
            return ADAPTER_E_MALFORMED; /* 0xc1 */
        if (lenbytes) {                 /* a big-endian length (or count) of lenbytes bytes */
            if (lenbytes > len - off)
                return ADAPTER_E_MALFORMED;
            size_t n = 0;
            for (size_t i = 0; i < lenbytes; i++)
                n = n << 8 | buf[off++];
            if (b >= 0xdc)
                count = b >= 0xde ? 2 * n : n;
            else
                skip = n + (b >= 0xc7 && b <= 0xc9); /* ext: the type byte too */
        }
        if (skip > len - off || count > len - off)
            return ADAPTER_E_MALFORMED;
        off += skip;
        if (count) {
            if (depth == ADAPTER_MAX_DEPTH)
                return ADAPTER_E_LIMIT;
            pending[++depth] = count;
        }
    }
    return off == len ? 0 : ADAPTER_E_MALFORMED;
}

/* Unpack exactly one MessagePack value filling all of buf into u (checked by mp_check). */
static int unpack_one(const uint8_t *buf, size_t len, msgpack_unpacked *u)
{
    size_t off = 0;
    int rc = mp_check(buf, len);
    if (rc < 0)
        return rc;
    msgpack_unpacked_init(u);
    if (msgpack_unpack_next(u, (const char *)buf, len, &off) != MSGPACK_UNPACK_SUCCESS ||
        off != len) {
        msgpack_unpacked_destroy(u);
        return ADAPTER_E_MALFORMED;
    }
    return 0;
}

static int to_json(const msgpack_object *o, char **json, binlist *b)
{
    adapter_text t = {0};
    int rc = mp_json(o, &t, b, 0);
    if (rc == 0 && t.failed)
        rc = ADAPTER_E_NOMEM;
    if (rc < 0) {
        free(t.s);
        return rc;
    }
    *json = t.s;
    return 0;
}

int adapter_msgpack_to_json(const uint8_t *buf, size_t len, char **json, sio_bin **out,
                            size_t *nbins)
{
    msgpack_unpacked u;
    binlist b = {0};
    int rc = unpack_one(buf, len, &u);
    if (rc < 0)
        return rc;
    rc = to_json(&u.data, json, &b);
    msgpack_unpacked_destroy(&u);
    if (rc < 0) {
        adapter_bins_free(b.v, b.n);
        return rc;
    }
    *out = b.v;
    *nbins = b.n;
    return 0;
}

/* ---- the broadcast [uid, packet, opts] ------------------------------------------------- */

static char *mp_strdup(const msgpack_object *o)
{
    if (o->type != MSGPACK_OBJECT_STR)
        return NULL;
    char *s = malloc(o->via.str.size + 1u);
    if (s) {
        memcpy(s, o->via.str.ptr, o->via.str.size);
        s[o->via.str.size] = '\0';
    }
    return s;
}

static const msgpack_object *mp_member(const msgpack_object *map, const char *key)
{
    if (map->type != MSGPACK_OBJECT_MAP)
        return NULL;
    size_t klen = strlen(key);
    for (uint32_t i = 0; i < map->via.map.size; i++) {
        const msgpack_object *k = &map->via.map.ptr[i].key;
        if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == klen &&
            memcmp(k->via.str.ptr, key, klen) == 0)
            return &map->via.map.ptr[i].val;
    }
    return NULL;
}

static void rooms_free(adapter_rooms *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->names[i]);
    free(r->names);
    *r = (adapter_rooms){0};
}

/* A list of room names. Absent or nil: none. Room names that are numbers (socket.io allows
 * any JavaScript value) are written as JavaScript would print them. */
static int mp_rooms(const msgpack_object *o, adapter_rooms *r)
{
    if (o == NULL || o->type == MSGPACK_OBJECT_NIL)
        return 0;
    if (o->type != MSGPACK_OBJECT_ARRAY)
        return ADAPTER_E_MALFORMED;
    if (o->via.array.size > ADAPTER_MAX_ROOMS)
        return ADAPTER_E_LIMIT;
    r->names = calloc(o->via.array.size + 1u, sizeof *r->names);
    if (r->names == NULL)
        return ADAPTER_E_NOMEM;
    for (uint32_t i = 0; i < o->via.array.size; i++) {
        const msgpack_object *e = &o->via.array.ptr[i];
        binlist none = {0};
        char *name = NULL;
        if (e->type == MSGPACK_OBJECT_STR)
            name = mp_strdup(e);
        else if (e->type == MSGPACK_OBJECT_POSITIVE_INTEGER ||
                 e->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
            to_json(e, &name, &none);
        else
            return ADAPTER_E_MALFORMED;
        if (name == NULL)
            return ADAPTER_E_NOMEM;
        r->names[r->n++] = name;
    }
    return 0;
}

static unsigned mp_flags(const msgpack_object *flags, long *timeout)
{
    const msgpack_object *v = flags ? mp_member(flags, "volatile") : NULL;
    const msgpack_object *l = flags ? mp_member(flags, "local") : NULL;
    const msgpack_object *to = flags ? mp_member(flags, "timeout") : NULL;
    unsigned f = 0;
    if (v && v->type == MSGPACK_OBJECT_BOOLEAN && v->via.boolean)
        f |= ADAPTER_VOLATILE;
    if (l && l->type == MSGPACK_OBJECT_BOOLEAN && l->via.boolean)
        f |= ADAPTER_LOCAL;
    if (timeout)
        *timeout = to && to->type == MSGPACK_OBJECT_POSITIVE_INTEGER && to->via.u64 < 86400000u
                       ? (long)to->via.u64
                       : -1;
    return f;
}

static void packet_free(adapter_packet *p)
{
    free(p->nsp);
    free(p->json);
    adapter_bins_free(p->bins, p->nbins);
    *p = (adapter_packet){.id = -1};
}

/* {"type":2,"data":[...],"nsp":"/"[,"id":N]}: an EVENT (or BINARY_EVENT) whose data is an
 * array starting with the event name. */
static int mp_packet(const msgpack_object *o, adapter_packet *p)
{
    const msgpack_object *type = mp_member(o, "type"), *data = mp_member(o, "data");
    const msgpack_object *nsp = mp_member(o, "nsp"), *id = mp_member(o, "id");
    binlist b = {0};
    *p = (adapter_packet){.id = -1};
    if (type == NULL || type->type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
        (type->via.u64 != SIO_EVENT && type->via.u64 != SIO_BINARY_EVENT) || data == NULL ||
        data->type != MSGPACK_OBJECT_ARRAY || data->via.array.size == 0 ||
        data->via.array.ptr[0].type != MSGPACK_OBJECT_STR ||
        (nsp && nsp->type != MSGPACK_OBJECT_STR))
        return ADAPTER_E_MALFORMED;
    p->type = (int)type->via.u64;
    if (id && id->type == MSGPACK_OBJECT_POSITIVE_INTEGER && id->via.u64 <= INT64_MAX)
        p->id = (int64_t)id->via.u64;
    p->nsp = nsp ? mp_strdup(nsp) : strdup("/");
    int rc = p->nsp ? to_json(data, &p->json, &b) : ADAPTER_E_NOMEM;
    p->bins = b.v;
    p->nbins = b.n;
    if (rc < 0)
        packet_free(p);
    return rc;
}

static int mp_bcast(const msgpack_object *o, adapter_bcast *b)
{
    if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size < 3)
        return ADAPTER_E_MALFORMED;
    const msgpack_object *uid = &o->via.array.ptr[0], *opts = &o->via.array.ptr[2];
    if (uid->type != MSGPACK_OBJECT_STR || uid->via.str.size > ADAPTER_MAX_ID ||
        opts->type != MSGPACK_OBJECT_MAP)
        return ADAPTER_E_MALFORMED;
    int rc = mp_packet(&o->via.array.ptr[1], &b->packet);
    if (rc < 0)
        return rc;
    if ((b->uid = mp_strdup(uid)) == NULL)
        return ADAPTER_E_NOMEM;
    if ((rc = mp_rooms(mp_member(opts, "rooms"), &b->rooms)) < 0 ||
        (rc = mp_rooms(mp_member(opts, "except"), &b->except)) < 0)
        return rc;
    b->flags = mp_flags(mp_member(opts, "flags"), NULL);
    return 0;
}

int adapter_decode_bcast(const uint8_t *buf, size_t len, adapter_bcast *b)
{
    msgpack_unpacked u;
    *b = (adapter_bcast){.packet.id = -1};
    int rc = unpack_one(buf, len, &u);
    if (rc < 0)
        return rc;
    rc = mp_bcast(&u.data, b);
    msgpack_unpacked_destroy(&u);
    if (rc < 0)
        adapter_bcast_free(b);
    return rc;
}

void adapter_bcast_free(adapter_bcast *b)
{
    free(b->uid);
    packet_free(&b->packet);
    rooms_free(&b->rooms);
    rooms_free(&b->except);
    *b = (adapter_bcast){.packet.id = -1};
}

/* ---- JSON to MessagePack, for our broadcasts ------------------------------------------- */

static void pk_str(msgpack_packer *pk, const char *s, size_t n)
{
    msgpack_pack_str(pk, n);
    msgpack_pack_str_body(pk, s, n);
}

/* How many items (or members) the checked array (or object) starting at s[0] has. */
static size_t js_count(const char *s, size_t n)
{
    size_t i = sio_json_ws(s, n, 1), count = 0;
    if (s[i] == ']' || s[i] == '}')
        return 0;
    for (;;) {
        i = sio_json_ws(s, n, sio_json_skip(s, n, i)); /* an item, or a member's key */
        if (s[0] == '{' && i < n && s[i] == ':')
            i = sio_json_ws(s, n, sio_json_skip(s, n, i + 1)); /* and its value */
        count++;
        if (i >= n || s[i] != ',')
            return count;
        i++;
    }
}

/* {"_placeholder":true,"num":N} with N a binary we have: its index in *num. */
static int js_placeholder(const char *v, size_t n, size_t nbins, size_t *num)
{
    const char *ph, *nm;
    size_t phl, nml;
    if (!sio_json_member(v, n, "_placeholder", &ph, &phl) || phl != 4 ||
        memcmp(ph, "true", 4) != 0 || !sio_json_member(v, n, "num", &nm, &nml) || nm[0] < '0' ||
        nm[0] > '9')
        return 0;
    double d = strtod(nm, NULL);
    if (d != floor(d) || d >= (double)nbins)
        return 0;
    *num = (size_t)d;
    return 1;
}

/* A JSON number as notepack.io writes a JavaScript number: a whole number that a double holds
 * exactly as an integer, anything else as float 64 (the text passes through a double, as in
 * JavaScript: 12345678901234567890 loses its last digits there too). */
static int js_number(msgpack_packer *pk, const char *v, size_t n)
{
    char *tok = malloc(n + 1);
    if (tok == NULL)
        return ADAPTER_E_NOMEM;
    memcpy(tok, v, n);
    tok[n] = '\0';
    double d = strtod(tok, NULL);
    free(tok);
    if (d == floor(d) && fabs(d) <= 9007199254740991.0 && !(d == 0 && signbit(d)))
        return msgpack_pack_int64(pk, (int64_t)d);
    return msgpack_pack_double(pk, d);
}

static int js_pack(msgpack_packer *pk, const char *s, size_t n, size_t i, const sio_bin *bins,
                   size_t nbins, int depth);

/* The items (or members) of the array (or object) v[0..vn). */
static int js_pack_items(msgpack_packer *pk, const char *v, size_t vn, const sio_bin *bins,
                         size_t nbins, int depth)
{
    size_t count = js_count(v, vn), j = 1;
    int object = v[0] == '{';
    if (object)
        msgpack_pack_map(pk, count);
    else
        msgpack_pack_array(pk, count);
    for (size_t k = 0; k < count; k++) {
        j = sio_json_ws(v, vn, j);
        if (object) { /* the key: a string token */
            int rc = js_pack(pk, v, vn, j, bins, nbins, depth + 1);
            if (rc < 0)
                return rc;
            j = sio_json_ws(v, vn, sio_json_skip(v, vn, j)) + 1; /* past ':' */
        }
        int rc = js_pack(pk, v, vn, j, bins, nbins, depth + 1);
        if (rc < 0)
            return rc;
        j = sio_json_ws(v, vn, sio_json_skip(v, vn, j)) + 1; /* past ',' */
    }
    return 0;
}

/* The value at s[i] of CHECKED JSON text as MessagePack; a placeholder becomes its binary.
 * Strings are decoded by sio_json_string, so "\u0000" and every other escape survive. */
static int js_pack(msgpack_packer *pk, const char *s, size_t n, size_t i, const sio_bin *bins,
                   size_t nbins, int depth)
{
    size_t num;
    if (depth > ADAPTER_MAX_DEPTH)
        return ADAPTER_E_LIMIT;
    i = sio_json_ws(s, n, i);
    const char *v = s + i;
    size_t vn = sio_json_skip(s, n, i) - i;
    switch (v[0]) {
    case 'n':
        return msgpack_pack_nil(pk);
    case 't':
        return msgpack_pack_true(pk);
    case 'f':
        return msgpack_pack_false(pk);
    case '"': {
        char *str = malloc(vn + 1);
        long len = str ? sio_json_string(v, vn, str, vn + 1) : -1;
        if (len >= 0)
            pk_str(pk, str, (size_t)len);
        free(str);
        return len >= 0 ? 0 : ADAPTER_E_NOMEM;
    }
    case '{':
        if (js_placeholder(v, vn, nbins, &num)) {
            msgpack_pack_bin(pk, bins[num].len);
            return msgpack_pack_bin_body(pk, bins[num].data, bins[num].len);
        }
        return js_pack_items(pk, v, vn, bins, nbins, depth);
    case '[':
        return js_pack_items(pk, v, vn, bins, nbins, depth);
    default:
        return js_number(pk, v, vn);
    }
}

int adapter_json_to_msgpack(const char *json, const sio_bin *bins, size_t nbins, uint8_t **out,
                            size_t *len)
{
    size_t n = strlen(json);
    if (sio_json_check(json, n, (size_t)-1, NULL) != SIO_JSON_OK)
        return ADAPTER_E_MALFORMED;
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    int rc = js_pack(&pk, json, n, 0, bins, nbins, 0);
    if (rc < 0) {
        msgpack_sbuffer_destroy(&sb);
        return rc;
    }
    *len = sb.size;
    *out = (uint8_t *)msgpack_sbuffer_release(&sb);
    return *out ? 0 : ADAPTER_E_NOMEM;
}

static void pk_rooms(msgpack_packer *pk, const char *const *names, size_t n, const char *extra)
{
    msgpack_pack_array(pk, n + (extra != NULL));
    for (size_t i = 0; i < n; i++)
        pk_str(pk, names[i], strlen(names[i]));
    if (extra)
        pk_str(pk, extra, strlen(extra));
}

/* The arguments as a JSON array (NULL: none), its leading whitespace skipped: -1 if it is not
 * a well-formed array. */
static int args_array(const char *args, const char **a, size_t *an)
{
    *a = args ? args : "[]";
    *an = strlen(*a);
    size_t at = sio_json_ws(*a, *an, 0);
    if (sio_json_check(*a, *an, (size_t)-1, NULL) != SIO_JSON_OK || (*a)[at] != '[')
        return -1;
    *a += at;
    *an -= at;
    return 0;
}

int adapter_encode_bcast(const char *uid, const char *nsp, const char *event, const char *args,
                         const sio_bin *bins, size_t nbins, const sio_target *t, const char *sender,
                         uint8_t **out, size_t *len)
{
    const char *a;
    size_t an;
    if (args_array(args, &a, &an) < 0)
        return ADAPTER_E_MALFORMED;
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, 3);
    pk_str(&pk, uid, strlen(uid));
    /* the packet, with socket.io's keys in socket.io's order */
    msgpack_pack_map(&pk, 3);
    pk_str(&pk, "type", 4);
    msgpack_pack_int(&pk, SIO_EVENT);
    pk_str(&pk, "data", 4);
    size_t count = js_count(a, an), j = 1;
    msgpack_pack_array(&pk, count + 1);
    pk_str(&pk, event, strlen(event));
    int rc = 0;
    for (size_t k = 0; k < count && rc == 0; k++) { /* each argument, in order */
        rc = js_pack(&pk, a, an, j, bins, nbins, 1);
        j = sio_json_ws(a, an, sio_json_skip(a, an, j)) + 1;
    }
    pk_str(&pk, "nsp", 3);
    pk_str(&pk, nsp, strlen(nsp));
    /* opts: the sender itself is left out as an except room named by its id */
    msgpack_pack_map(&pk, 3);
    pk_str(&pk, "rooms", 5);
    pk_rooms(&pk, t->rooms, t->nrooms, NULL);
    pk_str(&pk, "except", 6);
    pk_rooms(&pk, t->except, t->nexcept, sender);
    pk_str(&pk, "flags", 5);
    msgpack_pack_map(&pk, (t->flags & SIO_VOLATILE) ? 1 : 0);
    if (t->flags & SIO_VOLATILE) {
        pk_str(&pk, "volatile", 8);
        msgpack_pack_true(&pk);
    }
    if (rc < 0) {
        msgpack_sbuffer_destroy(&sb);
        return rc;
    }
    *len = sb.size;
    *out = (uint8_t *)msgpack_sbuffer_release(&sb);
    return *out ? 0 : ADAPTER_E_NOMEM;
}

/* ---- requests and responses -------------------------------------------------------------- */

static char *js_strdup(const cJSON *v)
{
    if (cJSON_IsString(v))
        return strdup(v->valuestring);
    if (cJSON_IsNumber(v)) { /* socket.io ids are strings, but tolerate a number */
        char num[32];
        snprintf(num, sizeof num, "%.17g", v->valuedouble);
        return strdup(num);
    }
    return NULL;
}

static int js_rooms(const cJSON *v, adapter_rooms *r)
{
    if (v == NULL || cJSON_IsNull(v))
        return 0;
    if (!cJSON_IsArray(v))
        return ADAPTER_E_MALFORMED;
    int n = cJSON_GetArraySize(v);
    if (n > ADAPTER_MAX_ROOMS)
        return ADAPTER_E_LIMIT;
    r->names = calloc((size_t)n + 1, sizeof *r->names);
    if (r->names == NULL)
        return ADAPTER_E_NOMEM;
    for (const cJSON *e = v->child; e; e = e->next) {
        char *name = js_strdup(e);
        if (name == NULL)
            return cJSON_IsString(e) ? ADAPTER_E_NOMEM : ADAPTER_E_MALFORMED;
        r->names[r->n++] = name;
    }
    return 0;
}

/* Member key of the checked object text o[0..n), as its own text (malloc'd; NULL when absent).
 * Taken from the text, never re-printed from cJSON's values: a "\u0000" in a string stays. */
static char *js_raw(const char *o, size_t n, const char *key)
{
    const char *v;
    size_t vn;
    if (!sio_json_member(o, n, key, &v, &vn))
        return NULL;
    char *out = malloc(vn + 1);
    if (out) {
        memcpy(out, v, vn);
        out[vn] = '\0';
    }
    return out;
}

static int js_depth_ok(const cJSON *v, int depth)
{
    if (depth > ADAPTER_MAX_DEPTH)
        return 0;
    for (const cJSON *e = v->child; e; e = e->next)
        if (!js_depth_ok(e, depth + 1))
            return 0;
    return 1;
}

static int js_opts(const cJSON *o, adapter_req *r)
{
    if (o == NULL)
        return 0;
    if (!cJSON_IsObject(o))
        return ADAPTER_E_MALFORMED;
    r->has_opts = 1;
    int rc = js_rooms(cJSON_GetObjectItemCaseSensitive(o, "rooms"), &r->rooms);
    if (rc == 0)
        rc = js_rooms(cJSON_GetObjectItemCaseSensitive(o, "except"), &r->except);
    const cJSON *flags = cJSON_GetObjectItemCaseSensitive(o, "flags");
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(flags, "volatile")))
        r->flags |= ADAPTER_VOLATILE;
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(flags, "local")))
        r->flags |= ADAPTER_LOCAL;
    const cJSON *to = cJSON_GetObjectItemCaseSensitive(flags, "timeout");
    if (cJSON_IsNumber(to) && to->valuedouble >= 0 && to->valuedouble < 86400000)
        r->timeout = (long)to->valuedouble;
    return rc;
}

/* The request's packet (BROADCAST): the data array's text, with the binaries already taken
 * out as placeholders by adapter_msgpack_to_json. */
static int js_packet(const cJSON *p, const char *ptext, adapter_packet *out)
{
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(p, "type");
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(p, "data");
    const cJSON *nsp = cJSON_GetObjectItemCaseSensitive(p, "nsp");
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(p, "id");
    if (!cJSON_IsNumber(type) || !cJSON_IsArray(data) || !cJSON_IsString(data->child))
        return ADAPTER_E_MALFORMED;
    out->type = (int)type->valuedouble;
    out->id = cJSON_IsNumber(id) && id->valuedouble >= 0 ? (int64_t)id->valuedouble : -1;
    out->nsp = strdup(cJSON_IsString(nsp) ? nsp->valuestring : "/");
    out->json = js_raw(ptext, strlen(ptext), "data");
    return out->nsp && out->json ? 0 : ADAPTER_E_NOMEM;
}

static int js_req(const cJSON *o, const char *text, size_t n, adapter_req *r)
{
    if (!cJSON_IsObject(o) || !js_depth_ok(o, 0))
        return cJSON_IsObject(o) ? ADAPTER_E_LIMIT : ADAPTER_E_MALFORMED;
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(o, "type");
    const cJSON *uid = cJSON_GetObjectItemCaseSensitive(o, "uid");
    const cJSON *rid = cJSON_GetObjectItemCaseSensitive(o, "requestId");
    const cJSON *cc = cJSON_GetObjectItemCaseSensitive(o, "clientCount");
    const cJSON *packet = cJSON_GetObjectItemCaseSensitive(o, "packet");
    if (type && (!cJSON_IsNumber(type) || type->valuedouble < 0 || type->valuedouble > 100))
        return ADAPTER_E_MALFORMED;
    r->type = type ? (int)type->valuedouble : -1;
    if ((uid && !cJSON_IsString(uid)) || (rid && !cJSON_IsString(rid)) ||
        (uid && strlen(uid->valuestring) > ADAPTER_MAX_ID) ||
        (rid && strlen(rid->valuestring) > ADAPTER_MAX_ID))
        return ADAPTER_E_MALFORMED;
    r->uid = uid ? strdup(uid->valuestring) : NULL;
    r->request_id = rid ? strdup(rid->valuestring) : NULL;
    r->close = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "close"));
    r->client_count = cJSON_IsNumber(cc) && cc->valuedouble >= 0 ? (long)cc->valuedouble : -1;
    r->data = js_raw(text, n, "data");
    r->sockets = js_raw(text, n, "sockets");
    r->room_list = js_raw(text, n, "rooms");
    int rc = js_opts(cJSON_GetObjectItemCaseSensitive(o, "opts"), r);
    const cJSON *sid = cJSON_GetObjectItemCaseSensitive(o, "sid");
    const cJSON *room = cJSON_GetObjectItemCaseSensitive(o, "room");
    if (cJSON_IsString(sid))
        r->sid = strdup(sid->valuestring);
    if (cJSON_IsString(room))
        r->room = strdup(room->valuestring);
    if (rc == 0 && (r->type == ADAPTER_REMOTE_JOIN || r->type == ADAPTER_REMOTE_LEAVE ||
                    r->type == ADAPTER_SOCKETS))
        rc = js_rooms(cJSON_GetObjectItemCaseSensitive(o, "rooms"), &r->targets);
    if (rc == 0 && r->type == ADAPTER_BROADCAST) {
        char *ptext = js_raw(text, n, "packet");
        rc = ptext ? js_packet(packet, ptext, &r->packet) : ADAPTER_E_MALFORMED;
        free(ptext);
    } else if (rc == 0 && r->type == ADAPTER_BROADCAST_ACK)
        r->packet.json = js_raw(text, n, "packet"); /* one client's ack argument */
    return rc;
}

int adapter_decode_req(const uint8_t *buf, size_t len, adapter_req *r)
{
    char *json = NULL;
    sio_bin *bins = NULL;
    size_t nbins = 0;
    *r = (adapter_req){.type = -1, .client_count = -1, .timeout = -1, .packet.id = -1};
    if (len > 0 && buf[0] != '{') { /* MessagePack: the same shape, binaries as placeholders */
        int rc = adapter_msgpack_to_json(buf, len, &json, &bins, &nbins);
        if (rc < 0)
            return rc;
    }
    const char *text = json ? json : (const char *)buf;
    size_t n = json ? strlen(json) : len;
    /* checked first: the raw members are read from the text itself (js_raw) */
    cJSON *o = sio_json_check(text, n, (size_t)-1, NULL) == SIO_JSON_OK
                   ? cJSON_ParseWithLength(text, n)
                   : NULL;
    int rc = o ? js_req(o, text, n, r) : ADAPTER_E_MALFORMED;
    cJSON_Delete(o);
    free(json);
    r->packet.bins = bins;
    r->packet.nbins = nbins;
    if (rc < 0)
        adapter_req_free(r);
    return rc;
}

void adapter_req_free(adapter_req *r)
{
    free(r->uid);
    free(r->request_id);
    rooms_free(&r->rooms);
    rooms_free(&r->except);
    rooms_free(&r->targets);
    free(r->sid);
    free(r->room);
    free(r->data);
    free(r->sockets);
    free(r->room_list);
    packet_free(&r->packet);
    *r = (adapter_req){.type = -1, .client_count = -1, .timeout = -1, .packet.id = -1};
}

size_t adapter_channel(char *out, size_t cap, const char *kind, const char *nsp, const char *room)
{
    int n = snprintf(out, cap, "socket.io%s#%s#%s%s", kind, nsp, room ? room : "", room ? "#" : "");
    return n < 0 || (size_t)n >= cap ? 0 : (size_t)n;
}

int adapter_split_event(const char *json, char *event, size_t cap, char **args)
{
    size_t n = strlen(json), ilen;
    const char *item;
    if (sio_json_check(json, n, (size_t)-1, NULL) != SIO_JSON_OK ||
        !sio_json_item(json, n, 0, &item, &ilen) || item[0] != '"' ||
        sio_json_string(item, ilen, event, cap) < 0 || strlen(event) == 0)
        return ADAPTER_E_MALFORMED;
    size_t at = sio_json_ws(json, n, (size_t)(item - json) + ilen);
    const char *rest = json[at] == ',' ? json + at + 1 : "]"; /* the other items, and ']' */
    size_t rlen = strlen(rest);
    if ((*args = malloc(rlen + 2)) == NULL)
        return ADAPTER_E_NOMEM;
    (*args)[0] = '[';
    memcpy(*args + 1, rest, rlen + 1);
    return 0;
}

/* ---- requests and responses, encoded (JSON, as the adapter's JSON.stringify) ------------- */

static void tx_key(adapter_text *t, const char *key) /* ,"key": (the comma after the first) */
{
    adapter_text_str(t, t->len > 0 && t->s[t->len - 1] != '{' ? ",\"" : "\"");
    adapter_text_str(t, key);
    adapter_text_str(t, "\":");
}

static void tx_rooms(adapter_text *t, const char *key, const adapter_rooms *r)
{
    tx_key(t, key);
    adapter_text_str(t, "[");
    for (size_t i = 0; i < r->n; i++) {
        if (i)
            adapter_text_str(t, ",");
        adapter_text_quoted(t, r->names[i], strlen(r->names[i]));
    }
    adapter_text_str(t, "]");
}

static void tx_member(adapter_text *t, const char *key, const char *value, int quoted)
{
    if (value == NULL)
        return;
    tx_key(t, key);
    if (quoted)
        adapter_text_quoted(t, value, strlen(value));
    else
        adapter_text_str(t, value); /* JSON text, passed on as it is */
}

char *adapter_encode_req(const adapter_req *r)
{
    adapter_text t = {0};
    char num[32];
    adapter_text_str(&t, "{");
    tx_member(&t, "uid", r->uid, 1);
    tx_member(&t, "requestId", r->request_id, 1);
    snprintf(num, sizeof num, "%d", r->type);
    tx_member(&t, "type", r->type >= 0 ? num : NULL, 0);
    if (r->has_opts) {
        tx_key(&t, "opts");
        adapter_text_str(&t, "{");
        tx_rooms(&t, "rooms", &r->rooms);
        tx_rooms(&t, "except", &r->except);
        adapter_text_str(&t, "}");
    }
    if (r->type == ADAPTER_REMOTE_JOIN || r->type == ADAPTER_REMOTE_LEAVE)
        tx_rooms(&t, "rooms", &r->targets);
    if (r->type == ADAPTER_REMOTE_DISCONNECT)
        tx_member(&t, "close", r->close ? "true" : "false", 0);
    tx_member(&t, "data", r->data, 0);
    tx_member(&t, "sockets", r->sockets, 0);
    tx_member(&t, "rooms", r->room_list, 0);
    snprintf(num, sizeof num, "%ld", r->client_count);
    tx_member(&t, "clientCount", r->client_count >= 0 ? num : NULL, 0);
    adapter_text_str(&t, "}");
    if (t.failed) {
        free(t.s);
        return NULL;
    }
    return t.s;
}

int adapter_encode_bcast_ack(const char *request_id, const char *args, const sio_bin *bins,
                             size_t nbins, uint8_t **out, size_t *len)
{
    const char *a;
    size_t an;
    if (args_array(args, &a, &an) < 0)
        return ADAPTER_E_MALFORMED;
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 3); /* {type: 9, requestId, packet: the first argument} */
    pk_str(&pk, "type", 4);
    msgpack_pack_int(&pk, ADAPTER_BROADCAST_ACK);
    pk_str(&pk, "requestId", 9);
    pk_str(&pk, request_id, strlen(request_id));
    pk_str(&pk, "packet", 6);
    int rc = js_count(a, an) ? js_pack(&pk, a, an, 1, bins, nbins, 1) : msgpack_pack_nil(&pk);
    if (rc < 0) {
        msgpack_sbuffer_destroy(&sb);
        return rc;
    }
    *len = sb.size;
    *out = (uint8_t *)msgpack_sbuffer_release(&sb);
    return *out ? 0 : ADAPTER_E_NOMEM;
}
