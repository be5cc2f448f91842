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

typedef struct text {
    char *s;
    size_t len, cap;
    int failed;
} text;

static void tx_add(text *t, const char *p, size_t n)
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

static void tx_str(text *t, const char *p)
{
    tx_add(t, p, strlen(p));
}

static void tx_quoted(text *t, const char *p, size_t n)
{
    size_t cap = 6 * n + 3;
    char *q = malloc(cap);
    if (q == NULL) {
        t->failed = 1;
        return;
    }
    tx_add(t, q, sio_json_quote(p, n, q, cap));
    free(q);
}

/* A double as JavaScript's JSON.stringify would write it: the shortest text that reads back
 * as the same double; NaN and the infinities have no JSON form and become null, as there. */
static void tx_double(text *t, double d)
{
    char num[40];
    if (!isfinite(d)) {
        tx_str(t, "null");
        return;
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(num, sizeof num, "%.*g", prec, d);
        if (strtod(num, NULL) == d)
            break;
    }
    tx_str(t, num);
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
static int mp_json(const msgpack_object *o, text *t, binlist *b, int depth)
{
    char num[32];
    if (depth > ADAPTER_MAX_DEPTH)
        return ADAPTER_E_LIMIT;
    switch (o->type) {
    case MSGPACK_OBJECT_NIL:
    case MSGPACK_OBJECT_EXT: /* notepack's undefined (and Dates): JSON has neither */
        tx_str(t, "null");
        return 0;
    case MSGPACK_OBJECT_BOOLEAN:
        tx_str(t, o->via.boolean ? "true" : "false");
        return 0;
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        snprintf(num, sizeof num, "%llu", (unsigned long long)o->via.u64);
        tx_str(t, num);
        return 0;
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        snprintf(num, sizeof num, "%lld", (long long)o->via.i64);
        tx_str(t, num);
        return 0;
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64:
        tx_double(t, o->via.f64);
        return 0;
    case MSGPACK_OBJECT_STR:
        tx_quoted(t, o->via.str.ptr, o->via.str.size);
        return 0;
    case MSGPACK_OBJECT_BIN:
        snprintf(num, sizeof num, "%zu}", b->n);
        tx_str(t, "{\"_placeholder\":true,\"num\":");
        tx_str(t, num);
        return add_bin(b, o->via.bin.ptr, o->via.bin.size);
    case MSGPACK_OBJECT_ARRAY:
        tx_str(t, "[");
        for (uint32_t i = 0; i < o->via.array.size; i++) {
            if (i)
                tx_str(t, ",");
            int rc = mp_json(&o->via.array.ptr[i], t, b, depth + 1);
            if (rc < 0)
                return rc;
        }
        tx_str(t, "]");
        return 0;
    case MSGPACK_OBJECT_MAP:
        tx_str(t, "{");
        for (uint32_t i = 0; i < o->via.map.size; i++) {
            const msgpack_object_kv *kv = &o->via.map.ptr[i];
            if (kv->key.type != MSGPACK_OBJECT_STR) /* JavaScript keys are strings */
                return ADAPTER_E_MALFORMED;
            if (i)
                tx_str(t, ",");
            tx_quoted(t, kv->key.via.str.ptr, kv->key.via.str.size);
            tx_str(t, ":");
            int rc = mp_json(&kv->val, t, b, depth + 1);
            if (rc < 0)
                return rc;
        }
        tx_str(t, "}");
        return 0;
    }
    return ADAPTER_E_MALFORMED;
}

/* Unpack exactly one MessagePack value filling all of buf into u. */
static int unpack_one(const uint8_t *buf, size_t len, msgpack_unpacked *u)
{
    size_t off = 0;
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
    text t = {0};
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

static int is_placeholder(const cJSON *v, size_t nbins, size_t *num)
{
    const cJSON *ph = cJSON_GetObjectItemCaseSensitive(v, "_placeholder");
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(v, "num");
    if (!cJSON_IsObject(v) || !cJSON_IsTrue(ph) || !cJSON_IsNumber(n) || n->valuedouble < 0 ||
        n->valuedouble >= (double)nbins)
        return 0;
    *num = (size_t)n->valuedouble;
    return 1;
}

static void pk_str(msgpack_packer *pk, const char *s, size_t n)
{
    msgpack_pack_str(pk, n);
    msgpack_pack_str_body(pk, s, n);
}

/* A JSON value as MessagePack, as notepack.io writes JavaScript values: a whole number that a
 * double holds exactly as an integer, any other number as float 64, a placeholder as the
 * binary it stands for. (JSON numbers pass through a double, as in JavaScript.) */
static int js_pack(msgpack_packer *pk, const cJSON *v, const sio_bin *bins, size_t nbins, int depth)
{
    size_t num;
    if (depth > ADAPTER_MAX_DEPTH)
        return ADAPTER_E_LIMIT;
    if (cJSON_IsNull(v))
        return msgpack_pack_nil(pk);
    if (cJSON_IsTrue(v))
        return msgpack_pack_true(pk);
    if (cJSON_IsFalse(v))
        return msgpack_pack_false(pk);
    if (cJSON_IsString(v))
        pk_str(pk, v->valuestring, strlen(v->valuestring));
    else if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        if (d == floor(d) && fabs(d) <= 9007199254740991.0 && !(d == 0 && signbit(d)))
            msgpack_pack_int64(pk, (int64_t)d);
        else
            msgpack_pack_double(pk, d);
    } else if (is_placeholder(v, nbins, &num)) {
        msgpack_pack_bin(pk, bins[num].len);
        msgpack_pack_bin_body(pk, bins[num].data, bins[num].len);
    } else if (cJSON_IsArray(v) || cJSON_IsObject(v)) {
        int n = cJSON_GetArraySize(v);
        if (cJSON_IsArray(v))
            msgpack_pack_array(pk, (size_t)n);
        else
            msgpack_pack_map(pk, (size_t)n);
        for (const cJSON *e = v->child; e; e = e->next) {
            if (cJSON_IsObject(v))
                pk_str(pk, e->string, strlen(e->string));
            int rc = js_pack(pk, e, bins, nbins, depth + 1);
            if (rc < 0)
                return rc;
        }
    } else
        return ADAPTER_E_MALFORMED;
    return 0;
}

static void pk_rooms(msgpack_packer *pk, const char *const *names, size_t n, const char *extra)
{
    msgpack_pack_array(pk, n + (extra != NULL));
    for (size_t i = 0; i < n; i++)
        pk_str(pk, names[i], strlen(names[i]));
    if (extra)
        pk_str(pk, extra, strlen(extra));
}

int adapter_encode_bcast(const char *uid, const char *nsp, const char *event, const char *args,
                         const sio_bin *bins, size_t nbins, const sio_target *t, const char *sender,
                         uint8_t **out, size_t *len)
{
    cJSON *a = cJSON_Parse(args ? args : "[]");
    if (!cJSON_IsArray(a)) {
        cJSON_Delete(a);
        return ADAPTER_E_MALFORMED;
    }
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
    msgpack_pack_array(&pk, (size_t)cJSON_GetArraySize(a) + 1);
    pk_str(&pk, event, strlen(event));
    int rc = 0;
    for (const cJSON *e = a->child; e && rc == 0; e = e->next)
        rc = js_pack(&pk, e, bins, nbins, 1);
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
    cJSON_Delete(a);
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

static char *js_text(const cJSON *v) /* a member's JSON text, or NULL when absent */
{
    return v ? cJSON_PrintUnformatted(v) : NULL;
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
static int js_packet(const cJSON *p, adapter_packet *out)
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
    out->json = cJSON_PrintUnformatted(data);
    return out->nsp && out->json ? 0 : ADAPTER_E_NOMEM;
}

static int js_req(const cJSON *o, adapter_req *r)
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
    r->data = js_text(cJSON_GetObjectItemCaseSensitive(o, "data"));
    r->sockets = js_text(cJSON_GetObjectItemCaseSensitive(o, "sockets"));
    r->room_list = js_text(cJSON_GetObjectItemCaseSensitive(o, "rooms"));
    int rc = js_opts(cJSON_GetObjectItemCaseSensitive(o, "opts"), r);
    if (rc == 0 && (r->type == ADAPTER_REMOTE_JOIN || r->type == ADAPTER_REMOTE_LEAVE))
        rc = js_rooms(cJSON_GetObjectItemCaseSensitive(o, "rooms"), &r->targets);
    if (rc == 0 && r->type == ADAPTER_BROADCAST)
        rc = js_packet(packet, &r->packet);
    else if (rc == 0 && r->type == ADAPTER_BROADCAST_ACK)
        r->packet.json = js_text(packet); /* one client's ack argument */
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
    cJSON *o = json ? cJSON_Parse(json) : cJSON_ParseWithLength((const char *)buf, len);
    free(json);
    int rc = o ? js_req(o, r) : ADAPTER_E_MALFORMED;
    cJSON_Delete(o);
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
