/*
 * sio_server.c - Socket.IO namespaces, sockets, rooms, acks and recovery (see sio_server.h).
 *
 * One sio_client per Engine.IO session; it holds one sio_socket per namespace the client has
 * CONNECTed to. Packets arrive as Engine.IO messages: text ones are decoded by sio_packet.c,
 * binary ones are attachments of the BINARY_EVENT/BINARY_ACK just before them. Anything
 * malformed closes the whole Engine.IO session, as socket.io does.
 */
#include "sio_server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "base64.h"
#include "ring.h"
#include "sio_packet.h"

#define SIO_MAX_NSPS     8
#define SIO_MAX_HANDLERS 32
#define SIO_ID_LEN       20
#define LOG_BYTES        (1u << 20) /* each namespace's replay log: 1 MiB of records */

typedef struct handler {
    char *name;
    sio_event_fn fn;
    void *user;
} handler;

/* A room: its members in join order (broadcasts go out in that order). Rooms live in a
 * hash table per namespace: every socket has a room of its own, so a namespace with 1,000
 * sockets has over 1,000 rooms, and a list would be walked on every join and every emit. */
typedef struct room {
    char *name;
    uint32_t hash;
    sio_socket **members;
    size_t n, cap;
    struct room *next; /* the next room in the same bucket */
} room;

typedef struct pending_ack {
    int64_t id;
    sio_event_fn fn;
    void *user;
    struct pending_ack *next;
} pending_ack;

/* A socket that dropped, kept for recovery_window_ms. */
typedef struct saved_session {
    char id[SIO_ID_LEN + 1];
    char pid[SIO_ID_LEN + 1];
    sio_nsp *nsp;
    char **rooms;
    size_t nrooms;
    uint64_t at;
    struct saved_session *next;
} saved_session;

struct sio_nsp {
    char name[SIO_MAX_NSP + 1];
    sio_server *srv;
    sio_connection_fn on_conn;
    void *conn_user;
    sio_disconnect_fn on_disc;
    void *disc_user;
    sio_adapter_fn on_adapter;
    void *adapter_user;
    handler handlers[SIO_MAX_HANDLERS];
    size_t nhandlers;
    sio_socket *sockets;
    size_t nsockets;
    room **buckets; /* the rooms: a chained hash table, nbuckets a power of two */
    size_t nbuckets, nrooms;
    uint64_t emit_seq; /* counts emits: a socket marked with the current one has its copy */
    ring_log *log;     /* recovery: every logged event, with its offset */
};

typedef struct sio_client sio_client;

struct sio_socket {
    char id[SIO_ID_LEN + 1];
    char pid[SIO_ID_LEN + 1];
    sio_nsp *nsp;
    sio_client *client;
    char **rooms;
    size_t nrooms, caprooms;
    cJSON *auth;
    int recovered;
    int64_t next_ack;
    pending_ack *acks;
    void *user;
    uint64_t mark; /* the emit_seq of the last emit that reached (or skipped) this socket */
    sio_socket *next_in_client;
    sio_socket *next_in_nsp, *prev_in_nsp;
};

struct sio_client {
    sio_server *srv;
    eio_session *eio;
    sio_socket *sockets;
    uint64_t connect_deadline; /* 0 once a namespace is connected */
    /* a binary packet waiting for its attachments */
    char *bin_text;
    size_t bin_text_len;
    sio_packet bin_pkt;
    cJSON *bin_data;
    sio_bin *bins;
    size_t nbins;
    sio_client *next, *prev;
};

struct sio_server {
    eio_server *eio;
    sio_config cfg;
    sio_nsp *nsps[SIO_MAX_NSPS];
    size_t nnsps;
    sio_client *clients;
    saved_session *saved;
};

/* ---------------------------------------------------------------------------------------- */
/* small helpers                                                                             */

static void random_id(char out[SIO_ID_LEN + 1])
{
    uint8_t raw[15];
    char b64[SIO_ID_LEN + 1];
    if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw) {
        static uint64_t counter;
        counter++;
        memset(raw, 0, sizeof raw);
        memcpy(raw, &counter, sizeof counter);
    }
    base64_encode(raw, sizeof raw, b64, sizeof b64);
    for (char *c = b64; *c; c++)
        *c = *c == '+' ? '-' : (*c == '/' ? '_' : *c);
    memcpy(out, b64, SIO_ID_LEN + 1);
}

static char *dupstr(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

static sio_nsp *find_nsp(sio_server *srv, const char *name, size_t len)
{
    for (size_t i = 0; i < srv->nnsps; i++)
        if (strlen(srv->nsps[i]->name) == len && memcmp(srv->nsps[i]->name, name, len) == 0)
            return srv->nsps[i];
    return NULL;
}

static sio_socket *client_socket(sio_client *c, const sio_nsp *n)
{
    for (sio_socket *s = c->sockets; s; s = s->next_in_client)
        if (s->nsp == n)
            return s;
    return NULL;
}

/* ---------------------------------------------------------------------------------------- */
/* sending packets                                                                           */

/* One Socket.IO packet (and its attachments) as Engine.IO messages on the client's session. */
static int send_packet(sio_client *c, sio_type type, const sio_nsp *n, int64_t id, const char *json,
                       const sio_bin *bins, size_t nbins)
{
    size_t len;
    char *text = sio_encode(type, n ? n->name : "/", id, nbins, json, &len);
    if (text == NULL)
        return SIO_E_NOMEM;
    int rc = eio_send(c->eio, 0, (const uint8_t *)text, len);
    free(text);
    for (size_t i = 0; rc == 0 && i < nbins; i++)
        rc = eio_send(c->eio, 1, bins[i].data, bins[i].len);
    return rc < 0 ? SIO_E_CLOSED : 0;
}

/* [event, ...args, offset?] as JSON text (malloc'd). */
static char *event_json(const char *event, const cJSON *args, const char *offset)
{
    cJSON *arr = args ? cJSON_Duplicate(args, 1) : cJSON_CreateArray();
    if (arr == NULL)
        return NULL;
    cJSON *name = cJSON_CreateString(event);
    if (arr->child)
        cJSON_InsertItemInArray(arr, 0, name);
    else
        cJSON_AddItemToArray(arr, name);
    if (offset)
        cJSON_AddItemToArray(arr, cJSON_CreateString(offset));
    char *text = cJSON_PrintUnformatted(arr);
    cJSON_Delete(arr);
    return text;
}

static int check_emit(const char *event, const cJSON *args)
{
    if (sio_reserved_event(event))
        return SIO_E_RESERVED;
    if (args && !cJSON_IsArray(args))
        return SIO_E_ARGS;
    return 0;
}

/* A JSON array of names, plus one more name when extra is not NULL (malloc'd text). */
static char *names_json(const char *const *names, size_t n, const char *extra)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; arr && i < n; i++)
        cJSON_AddItemToArray(arr, cJSON_CreateString(names[i]));
    if (arr && extra)
        cJSON_AddItemToArray(arr, cJSON_CreateString(extra));
    char *text = arr ? cJSON_PrintUnformatted(arr) : NULL;
    cJSON_Delete(arr);
    return text;
}

/*
 * Recovery: append the event to the namespace's log. A record is the rooms it was sent to (a
 * JSON array; [] = the whole namespace), a newline, the rooms it left out (a JSON array: the
 * except() rooms, and the id of the socket it excluded, since every socket is in the room
 * named by its id), a newline, the packet data with its offset last, a NUL (JSON text never
 * contains one), and then each binary attachment as a 4-byte big-endian length and its bytes:
 *
 *   ["lobby","news"] \n ["muted"] \n ["said",{...},"17"] \0 [len][bytes] [len][bytes] ...
 *
 * Returns the offset, or 0 when not logged (then *json is the data without an offset).
 */
static uint64_t log_event(sio_nsp *n, const sio_target *t, const char *event, const cJSON *args,
                          const sio_bin *bins, size_t nbins, char **json)
{
    char offset[24];
    uint64_t off = ring_log_next(n->log), got = 0;
    snprintf(offset, sizeof offset, "%llu", (unsigned long long)off);
    *json = event_json(event, args, offset);
    if (*json == NULL)
        return 0;
    char *rtext = names_json(t->rooms, t->nrooms, NULL);
    char *xtext = names_json(t->except, t->nexcept, t->except_socket ? t->except_socket->id : NULL);
    size_t len = rtext && xtext ? strlen(rtext) + strlen(xtext) + strlen(*json) + 3 : 0;
    for (size_t i = 0; i < nbins; i++)
        len += 4 + bins[i].len;
    uint8_t *rec = len ? malloc(len) : NULL;
    if (rec) {
        size_t at = (size_t)sprintf((char *)rec, "%s\n%s\n%s", rtext, xtext, *json) + 1;
        for (size_t i = 0; i < nbins; i++) {
            uint32_t bl = (uint32_t)bins[i].len;
            uint8_t be[4] = {(uint8_t)(bl >> 24), (uint8_t)(bl >> 16), (uint8_t)(bl >> 8),
                             (uint8_t)bl};
            memcpy(rec + at, be, 4);
            memcpy(rec + at + 4, bins[i].data, bins[i].len);
            at += 4 + bins[i].len;
        }
        if (ring_log_push(n->log, rec, len, &got) != RING_OK)
            got = 0;
    }
    free(rec);
    free(rtext);
    free(xtext);
    if (got == 0) { /* too big for the log: send it without an offset */
        free(*json);
        *json = event_json(event, args, NULL);
    }
    return got;
}

/* Events with attachments over 4 GiB cannot be logged; everything else can. */
static int logging(const sio_nsp *n, const sio_bin *bins, size_t nbins)
{
    for (size_t i = 0; i < nbins; i++)
        if (bins[i].len > UINT32_MAX)
            return 0;
    return n->log != NULL;
}

/* The event's JSON, logged (with its offset) unless volatile or not loggable. */
static char *emit_json(sio_nsp *n, const sio_target *t, const char *event, const cJSON *args,
                       const sio_bin *bins, size_t nbins)
{
    char *json = NULL;
    if (!(t->flags & SIO_VOLATILE) && logging(n, bins, nbins))
        log_event(n, t, event, args, bins, nbins, &json);
    else
        json = event_json(event, args, NULL);
    return json;
}

/* Is s's client too far behind for a volatile event? (socket.io: "not writable") */
static int volatile_skip(const sio_socket *s)
{
    return eio_pending(s->client->eio) > s->nsp->srv->cfg.volatile_limit;
}

int sio_emit_bin(sio_socket *s, const char *event, const cJSON *args, const sio_bin *bins,
                 size_t nbins)
{
    int rc = check_emit(event, args);
    if (rc < 0)
        return rc;
    if (s->client == NULL)
        return SIO_E_CLOSED;
    const char *own[1] = {s->id}; /* as socket.io: a socket.emit is a send to room s->id */
    sio_target t = {.rooms = own, .nrooms = 1};
    char *json = emit_json(s->nsp, &t, event, args, bins, nbins);
    if (json == NULL)
        return SIO_E_NOMEM;
    rc =
        send_packet(s->client, nbins ? SIO_BINARY_EVENT : SIO_EVENT, s->nsp, -1, json, bins, nbins);
    free(json);
    return rc;
}

int sio_emit(sio_socket *s, const char *event, const cJSON *args)
{
    return sio_emit_bin(s, event, args, NULL, 0);
}

int sio_emit_volatile(sio_socket *s, const char *event, const cJSON *args)
{
    int rc = check_emit(event, args);
    if (rc < 0)
        return rc;
    if (s->client == NULL)
        return SIO_E_CLOSED;
    if (volatile_skip(s))
        return 0;
    char *json = event_json(event, args, NULL); /* never logged: nothing to replay */
    if (json == NULL)
        return SIO_E_NOMEM;
    rc = send_packet(s->client, SIO_EVENT, s->nsp, -1, json, NULL, 0);
    free(json);
    return rc < 0 ? rc : 1;
}

int sio_emit_ack(sio_socket *s, const char *event, const cJSON *args, sio_event_fn fn, void *user)
{
    int rc = check_emit(event, args);
    if (rc < 0)
        return rc;
    if (s->client == NULL)
        return SIO_E_CLOSED;
    pending_ack *a = malloc(sizeof *a);
    char *json = event_json(event, args, NULL); /* events with acks are never logged */
    if (a == NULL || json == NULL) {
        free(a);
        free(json);
        return SIO_E_NOMEM;
    }
    a->id = s->next_ack++;
    a->fn = fn;
    a->user = user;
    a->next = s->acks;
    s->acks = a;
    rc = send_packet(s->client, SIO_EVENT, s->nsp, a->id, json, NULL, 0);
    free(json);
    return rc;
}

/* ---------------------------------------------------------------------------------------- */
/* the rooms' hash table                                                                     */

static uint32_t room_hash(const char *name) /* FNV-1a: short, and good enough for ids */
{
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        h = (h ^ *p) * 16777619u;
    return h;
}

static room *find_room(const sio_nsp *n, const char *name)
{
    if (n->nbuckets == 0)
        return NULL;
    uint32_t h = room_hash(name);
    for (room *r = n->buckets[h & (n->nbuckets - 1)]; r; r = r->next)
        if (r->hash == h && strcmp(r->name, name) == 0)
            return r;
    return NULL;
}

/* Add r to the table, doubling it when it holds as many rooms as buckets. */
static int insert_room(sio_nsp *n, room *r)
{
    if (n->nrooms + 1 > n->nbuckets) {
        size_t nb = n->nbuckets ? n->nbuckets * 2 : 64;
        room **b = calloc(nb, sizeof *b);
        if (b == NULL)
            return -1;
        for (size_t i = 0; i < n->nbuckets; i++)
            for (room *it = n->buckets[i], *next; it; it = next) {
                next = it->next;
                it->next = b[it->hash & (nb - 1)];
                b[it->hash & (nb - 1)] = it;
            }
        free(n->buckets);
        n->buckets = b;
        n->nbuckets = nb;
    }
    room **head = &n->buckets[r->hash & (n->nbuckets - 1)];
    r->next = *head;
    *head = r;
    n->nrooms++;
    return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* emitting to rooms                                                                         */

/* One delivery of a room emit: each socket at most once (its mark says it had its turn). */
static size_t deliver(sio_socket *s, uint64_t stamp, int vol, const eio_prepared *prep)
{
    if (s->mark == stamp || s->client == NULL)
        return 0;
    s->mark = stamp;
    if (vol && volatile_skip(s))
        return 0;
    return eio_send_prepared(s->client->eio, prep) == 0;
}

/* Send the prepared packet to the target: mark the left-out sockets first, then walk the
 * rooms (or the namespace). No allocation and no copy per receiver. */
static size_t deliver_all(sio_nsp *n, const sio_target *t, const eio_prepared *prep)
{
    uint64_t stamp = ++n->emit_seq;
    int vol = (t->flags & SIO_VOLATILE) != 0;
    size_t count = 0;
    for (size_t i = 0; i <= t->nexcept; i++) { /* the socket left out: the room of its id */
        const char *name =
            i < t->nexcept ? t->except[i] : (t->except_socket ? t->except_socket->id : NULL);
        room *r = name ? find_room(n, name) : NULL;
        for (size_t k = 0; r && k < r->n; k++)
            r->members[k]->mark = stamp;
    }
    if (t->nrooms == 0)
        for (sio_socket *s = n->sockets; s; s = s->next_in_nsp)
            count += deliver(s, stamp, vol, prep);
    for (size_t i = 0; i < t->nrooms; i++) {
        room *r = find_room(n, t->rooms[i]);
        for (size_t k = 0; r && k < r->n; k++)
            count += deliver(r->members[k], stamp, vol, prep);
    }
    return count;
}

int sio_emit_target(sio_nsp *n, const sio_target *t, const char *event, const cJSON *args,
                    const sio_bin *bins, size_t nbins)
{
    int rc = check_emit(event, args);
    if (rc < 0)
        return rc;
    if (nbins > SIO_MAX_ATTACHMENTS)
        return SIO_E_ARGS;
    char *json = emit_json(n, t, event, args, bins, nbins);
    if (json == NULL)
        return SIO_E_NOMEM;
    /* encode once: the Socket.IO packet, then its WebSocket frames, the same for everyone */
    size_t len;
    char *text = sio_encode(nbins ? SIO_BINARY_EVENT : SIO_EVENT, n->name, -1, nbins, json, &len);
    free(json);
    eio_part parts[SIO_MAX_ATTACHMENTS + 1];
    eio_prepared prep;
    if (text == NULL)
        return SIO_E_NOMEM;
    parts[0] = (eio_part){0, (const uint8_t *)text, len};
    for (size_t i = 0; i < nbins; i++)
        parts[i + 1] = (eio_part){1, bins[i].data, bins[i].len};
    if (eio_prepare(&prep, parts, nbins + 1) < 0) {
        free(text);
        return SIO_E_NOMEM;
    }
    size_t count = deliver_all(n, t, &prep);
    eio_prepared_free(&prep);
    free(text);
    return count > INT32_MAX ? INT32_MAX : (int)count;
}

int sio_emit_to(sio_nsp *n, const char *room_name, const sio_socket *except, const char *event,
                const cJSON *args, const sio_bin *bins, size_t nbins)
{
    sio_target t = {.rooms = &room_name, .nrooms = room_name ? 1 : 0, .except_socket = except};
    return sio_emit_target(n, &t, event, args, bins, nbins);
}

int sio_broadcast(sio_socket *s, const char *event, const cJSON *args)
{
    return sio_emit_to(s->nsp, NULL, s, event, args, NULL, 0);
}

int sio_ack(sio_socket *s, int64_t id, const cJSON *args, const sio_bin *bins, size_t nbins)
{
    if (s->client == NULL)
        return SIO_E_CLOSED;
    if (args && !cJSON_IsArray(args))
        return SIO_E_ARGS;
    char *json = args ? cJSON_PrintUnformatted(args) : dupstr("[]");
    if (json == NULL)
        return SIO_E_NOMEM;
    int rc =
        send_packet(s->client, nbins ? SIO_BINARY_ACK : SIO_ACK, s->nsp, id, json, bins, nbins);
    free(json);
    return rc;
}

cJSON *sio_placeholder(int num)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddTrueToObject(o, "_placeholder");
    cJSON_AddNumberToObject(o, "num", num);
    return o;
}

/* ---------------------------------------------------------------------------------------- */
/* rooms (the adapter)                                                                       */

static void adapter_event(sio_nsp *n, const char *what, const char *room_name, const char *sid)
{
    if (n->on_adapter)
        n->on_adapter(n, what, room_name, sid, n->adapter_user);
}

int sio_in_room(const sio_socket *s, const char *room_name)
{
    for (size_t i = 0; i < s->nrooms; i++)
        if (strcmp(s->rooms[i], room_name) == 0)
            return 1;
    return 0;
}

static room *create_room(sio_nsp *n, const char *room_name)
{
    room *r = calloc(1, sizeof *r);
    if (r == NULL || (r->name = dupstr(room_name)) == NULL) {
        free(r);
        return NULL;
    }
    r->hash = room_hash(room_name);
    if (insert_room(n, r) < 0) {
        free(r->name);
        free(r);
        return NULL;
    }
    adapter_event(n, "create-room", room_name, NULL);
    return r;
}

int sio_join(sio_socket *s, const char *room_name)
{
    sio_nsp *n = s->nsp;
    if (sio_in_room(s, room_name))
        return 0;
    room *r = find_room(n, room_name);
    if (r == NULL && (r = create_room(n, room_name)) == NULL)
        return SIO_E_NOMEM;
    if (r->n == r->cap) {
        size_t ncap = r->cap ? r->cap * 2 : 4;
        sio_socket **m = realloc(r->members, ncap * sizeof *m);
        if (m == NULL)
            return SIO_E_NOMEM;
        r->members = m;
        r->cap = ncap;
    }
    if (s->nrooms == s->caprooms) {
        size_t ncap = s->caprooms ? s->caprooms * 2 : 4;
        char **rs = realloc(s->rooms, ncap * sizeof *rs);
        if (rs == NULL)
            return SIO_E_NOMEM;
        s->rooms = rs;
        s->caprooms = ncap;
    }
    r->members[r->n++] = s;
    s->rooms[s->nrooms++] = r->name;
    adapter_event(n, "join-room", room_name, s->id);
    return 0;
}

static void delete_room(sio_nsp *n, room *r)
{
    room **pp = &n->buckets[r->hash & (n->nbuckets - 1)];
    while (*pp != r)
        pp = &(*pp)->next;
    *pp = r->next;
    n->nrooms--;
    adapter_event(n, "delete-room", r->name, NULL);
    free(r->members);
    free(r->name);
    free(r);
}

int sio_leave(sio_socket *s, const char *room_name)
{
    sio_nsp *n = s->nsp;
    room *r = find_room(n, room_name);
    size_t i;
    for (i = 0; i < s->nrooms && strcmp(s->rooms[i], room_name) != 0; i++)
        ;
    if (r == NULL || i == s->nrooms)
        return 0;
    s->rooms[i] = s->rooms[--s->nrooms];
    for (i = 0; i < r->n && r->members[i] != s; i++)
        ;
    if (i < r->n) { /* keep the members in join order: broadcasts go out in that order */
        memmove(&r->members[i], &r->members[i + 1], (r->n - i - 1) * sizeof *r->members);
        r->n--;
    }
    adapter_event(n, "leave-room", room_name, s->id);
    if (r->n == 0)
        delete_room(n, r);
    return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* connection state recovery                                                                 */

/* Was this disconnection an accident (worth remembering) or a deliberate goodbye? */
static int recoverable(const char *reason)
{
    return strcmp(reason, "transport close") == 0 || strcmp(reason, "ping timeout") == 0 ||
           strcmp(reason, "transport error") == 0;
}

static void saved_free(saved_session *ss)
{
    for (size_t i = 0; i < ss->nrooms; i++)
        free(ss->rooms[i]);
    free(ss->rooms);
    free(ss);
}

static void save_session(sio_socket *s)
{
    saved_session *ss = calloc(1, sizeof *ss);
    if (ss == NULL)
        return;
    memcpy(ss->id, s->id, sizeof ss->id);
    memcpy(ss->pid, s->pid, sizeof ss->pid);
    ss->nsp = s->nsp;
    ss->at = loop_now_ms();
    ss->rooms = calloc(s->nrooms ? s->nrooms : 1, sizeof *ss->rooms);
    for (size_t i = 0; ss->rooms && i < s->nrooms; i++)
        if ((ss->rooms[ss->nrooms] = dupstr(s->rooms[i])) != NULL)
            ss->nrooms++;
    ss->next = s->nsp->srv->saved;
    s->nsp->srv->saved = ss;
}

/* Take the saved session for (nsp, pid) out of the list, if it is there and not expired. */
static saved_session *take_session(sio_server *srv, const sio_nsp *n, const char *pid)
{
    uint64_t now = loop_now_ms();
    for (saved_session **pp = &srv->saved; *pp; pp = &(*pp)->next) {
        saved_session *ss = *pp;
        if (ss->nsp != n || strcmp(ss->pid, pid) != 0)
            continue;
        *pp = ss->next;
        if (now - ss->at > srv->cfg.recovery_window_ms) {
            saved_free(ss);
            return NULL;
        }
        return ss;
    }
    return NULL;
}

static int saved_has_room(const saved_session *ss, const char *name, size_t len)
{
    for (size_t i = 0; i < ss->nrooms; i++)
        if (strlen(ss->rooms[i]) == len && memcmp(ss->rooms[i], name, len) == 0)
            return 1;
    return 0;
}

/* Is any of the names in a JSON array (text[0..len)) a room the saved socket was in? */
static int saved_in_any(const saved_session *ss, const char *text, size_t len)
{
    cJSON *names = cJSON_ParseWithLength(text, len);
    const cJSON *r;
    int hit = 0;
    cJSON_ArrayForEach(r, names) if (cJSON_IsString(r) &&
                                     saved_has_room(ss, r->valuestring, strlen(r->valuestring)))
        hit = 1;
    cJSON_Delete(names);
    return hit;
}

/* Was this log record (see log_event) addressed to the saved socket: sent to one of its
 * rooms (or to the whole namespace: []) and to none of the rooms it left out? If so, *data
 * and *dlen are its JSON, and everything after the JSON's NUL is left for read_attachments. */
static int record_for(const saved_session *ss, const char *rec, size_t len, const char **data,
                      size_t *dlen)
{
    const char *nl1 = memchr(rec, '\n', len);
    const char *nl2 = nl1 ? memchr(nl1 + 1, '\n', len - (size_t)(nl1 + 1 - rec)) : NULL;
    if (nl2 == NULL)
        return 0;
    *data = nl2 + 1;
    const char *nul = memchr(*data, '\0', len - (size_t)(*data - rec));
    *dlen = nul ? (size_t)(nul - *data) : len - (size_t)(*data - rec);
    size_t rlen = (size_t)(nl1 - rec), xlen = (size_t)(nl2 - nl1 - 1);
    if (saved_in_any(ss, nl1 + 1, xlen))
        return 0;
    return (rlen == 2 && memcmp(rec, "[]", 2) == 0) || saved_in_any(ss, rec, rlen);
}

/* The attachments of a record: [4-byte length][bytes]... from p to end, at most max. */
static size_t read_attachments(const uint8_t *p, const uint8_t *end, sio_bin *bins, size_t max)
{
    size_t n = 0;
    while (n < max && end - p >= 4) {
        size_t bl = (size_t)p[0] << 24 | (size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3];
        if (bl > (size_t)(end - p) - 4) /* written so it cannot overflow */
            break;
        bins[n].data = p + 4;
        bins[n++].len = bl;
        p += 4 + bl;
    }
    return n;
}

/*
 * Can the log give ALL the events after `offset`? Not when the offset was overwritten (more
 * events than the log's capacity went by) or is one this log never handed out (RING_FUTURE).
 */
static int replay_possible(const sio_nsp *n, uint64_t offset)
{
    ring_log_iter it;
    uint64_t missed;
    return ring_log_after(n->log, offset, &it, &missed) == RING_OK && missed == 0;
}

/* Send everything the log holds after `offset` for this socket, as EVENT packets, in order. */
static int replay(sio_socket *s, const saved_session *ss, uint64_t offset)
{
    ring_log_iter it;
    uint64_t missed;
    if (ring_log_after(s->nsp->log, offset, &it, &missed) != RING_OK || missed > 0)
        return -1;
    size_t cap = 4096, len;
    char *buf = malloc(cap);
    int rc;
    while (buf && (rc = ring_log_iter_next(&it, buf, cap, &len, NULL)) != RING_EMPTY) {
        if (rc == RING_TOOSMALL) {
            char *nb = realloc(buf, len);
            if (nb == NULL)
                break;
            buf = nb;
            cap = len;
            continue;
        }
        if (rc != RING_OK)
            break;
        const char *data;
        size_t dlen;
        if (!record_for(ss, buf, len, &data, &dlen))
            continue;
        char *json = malloc(dlen + 1);
        if (json == NULL)
            break;
        memcpy(json, data, dlen);
        json[dlen] = '\0';
        sio_bin bins[SIO_MAX_ATTACHMENTS];
        size_t jend = (size_t)(data - buf) + dlen, nbins = 0; /* where the JSON's NUL is */
        if (jend + 1 < len)
            nbins = read_attachments((const uint8_t *)buf + jend + 1, (const uint8_t *)buf + len,
                                     bins, SIO_MAX_ATTACHMENTS);
        send_packet(s->client, nbins ? SIO_BINARY_EVENT : SIO_EVENT, s->nsp, -1, json, bins, nbins);
        free(json);
    }
    free(buf);
    return 0;
}

/* The CONNECT auth of a returning client: {"pid":"...","offset":"..."} plus the app's own. */
static saved_session *try_recover(sio_nsp *n, const cJSON *auth, uint64_t *offset)
{
    const cJSON *pid = cJSON_GetObjectItemCaseSensitive(auth, "pid");
    const cJSON *off = cJSON_GetObjectItemCaseSensitive(auth, "offset");
    if (n->log == NULL || !cJSON_IsString(pid) || !cJSON_IsString(off))
        return NULL;
    char *end;
    unsigned long long v = strtoull(off->valuestring, &end, 10);
    if (*end != '\0' || end == off->valuestring)
        return NULL;
    *offset = v;
    return take_session(n->srv, n, pid->valuestring);
}

/* ---------------------------------------------------------------------------------------- */
/* connecting and disconnecting sockets                                                      */

static void connect_reply(sio_socket *s)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "sid", s->id);
    if (s->nsp->log) /* the private id the client sends back to recover this socket */
        cJSON_AddStringToObject(o, "pid", s->pid);
    char *json = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    send_packet(s->client, SIO_CONNECT, s->nsp, -1, json, NULL, 0);
    free(json);
}

static void connect_socket(sio_client *c, sio_nsp *n, cJSON *auth)
{
    if (client_socket(c, n)) /* already connected to this namespace: nothing to do */
        return;
    sio_socket *s = calloc(1, sizeof *s);
    if (s == NULL)
        return;
    uint64_t offset = 0;
    saved_session *ss = try_recover(n, auth, &offset);
    if (ss && !replay_possible(n, offset)) { /* never a partial replay: connect as new */
        saved_free(ss);
        ss = NULL;
    }
    s->nsp = n;
    s->client = c;
    s->auth = auth ? cJSON_Duplicate(auth, 1) : cJSON_CreateObject();
    /* the recovery fields are the client library's business, not the application's */
    cJSON_DeleteItemFromObjectCaseSensitive(s->auth, "pid");
    cJSON_DeleteItemFromObjectCaseSensitive(s->auth, "offset");
    s->next_in_client = c->sockets;
    c->sockets = s;
    s->next_in_nsp = n->sockets;
    if (n->sockets)
        n->sockets->prev_in_nsp = s;
    n->sockets = s;
    n->nsockets++;
    c->connect_deadline = 0;
    if (ss) {
        memcpy(s->id, ss->id, sizeof s->id);
        memcpy(s->pid, ss->pid, sizeof s->pid);
    } else {
        random_id(s->id);
        random_id(s->pid);
    }
    sio_join(s, s->id);
    for (size_t i = 0; ss && i < ss->nrooms; i++)
        sio_join(s, ss->rooms[i]);
    connect_reply(s);
    if (ss) {
        replay(s, ss, offset);
        s->recovered = 1;
        saved_free(ss);
    }
    if (n->on_conn)
        n->on_conn(s, n->conn_user);
}

/* Take s out of everything, tell the application, remember it if it may come back. */
static void disconnect_socket(sio_socket *s, const char *reason)
{
    sio_nsp *n = s->nsp;
    sio_client *c = s->client;
    if (n->on_disc) /* still in its rooms here, like socket.io's "disconnecting" */
        n->on_disc(s, reason, n->disc_user);
    if (n->log && recoverable(reason))
        save_session(s);
    while (s->nrooms > 0)
        sio_leave(s, s->rooms[s->nrooms - 1]);
    free(s->rooms);
    for (sio_socket **pp = &c->sockets; *pp; pp = &(*pp)->next_in_client)
        if (*pp == s) {
            *pp = s->next_in_client;
            break;
        }
    if (s->prev_in_nsp)
        s->prev_in_nsp->next_in_nsp = s->next_in_nsp;
    else
        n->sockets = s->next_in_nsp;
    if (s->next_in_nsp)
        s->next_in_nsp->prev_in_nsp = s->prev_in_nsp;
    n->nsockets--;
    while (s->acks) {
        pending_ack *a = s->acks;
        s->acks = a->next;
        free(a);
    }
    cJSON_Delete(s->auth);
    free(s);
}

void sio_disconnect(sio_socket *s)
{
    sio_client *c = s->client;
    send_packet(c, SIO_DISCONNECT, s->nsp, -1, NULL, NULL, 0);
    disconnect_socket(s, "server namespace disconnect");
}

void sio_server_drop(sio_socket *s)
{
    if (s->client)
        eio_drop(s->client->eio);
}

/* ---------------------------------------------------------------------------------------- */
/* packets from the client                                                                   */

static void protocol_error(sio_client *c, const char *why)
{
    (void)why;
    eio_close(c->eio); /* on_engine_close disconnects every socket of the client */
}

static void dispatch_event(sio_socket *s, const sio_packet *p, cJSON *data, const sio_bin *bins,
                           size_t nbins)
{
    cJSON *first = cJSON_DetachItemFromArray(data, 0);
    char num[32];
    const char *name = first->valuestring;
    if (cJSON_IsNumber(first)) { /* socket.io allows numeric event names */
        snprintf(num, sizeof num, "%g", first->valuedouble);
        name = num;
    }
    sio_msg m = {name, data, bins, nbins, p->id};
    const handler *h = NULL;
    for (size_t i = 0; i < s->nsp->nhandlers; i++) {
        if (strcmp(s->nsp->handlers[i].name, name) == 0)
            h = &s->nsp->handlers[i];
        else if (h == NULL && strcmp(s->nsp->handlers[i].name, "*") == 0)
            h = &s->nsp->handlers[i];
    }
    if (h)
        h->fn(s, &m, h->user);
    cJSON_Delete(first);
}

static void dispatch_ack(sio_socket *s, const sio_packet *p, cJSON *data, const sio_bin *bins,
                         size_t nbins)
{
    for (pending_ack **pp = &s->acks; *pp; pp = &(*pp)->next) {
        pending_ack *a = *pp;
        if (a->id != p->id)
            continue;
        *pp = a->next;
        sio_msg m = {NULL, data, bins, nbins, -1};
        a->fn(s, &m, a->user);
        free(a);
        return;
    }
}

/* A whole packet (attachments included) is here: act on it. */
static void dispatch(sio_client *c, const sio_packet *p, cJSON *data, const sio_bin *bins,
                     size_t nbins)
{
    sio_nsp *n = find_nsp(c->srv, p->nsp, p->nsp_len);
    sio_socket *s = n ? client_socket(c, n) : NULL;
    switch (p->type) {
    case SIO_CONNECT:
        if (n == NULL) {
            sio_nsp fake; /* only its name is used, to address the error */
            snprintf(fake.name, sizeof fake.name, "%.*s", (int)p->nsp_len, p->nsp);
            send_packet(c, SIO_CONNECT_ERROR, &fake, -1, "{\"message\":\"Invalid namespace\"}",
                        NULL, 0);
        } else {
            connect_socket(c, n, data);
        }
        break;
    case SIO_DISCONNECT:
        if (s)
            disconnect_socket(s, "client namespace disconnect");
        if (c->sockets == NULL) /* no namespace left: the connection has no use */
            eio_close(c->eio);
        break;
    case SIO_EVENT:
    case SIO_BINARY_EVENT:
        if (s) /* events for a namespace the client is not in are ignored (as socket.io) */
            dispatch_event(s, p, data, bins, nbins);
        break;
    case SIO_ACK:
    case SIO_BINARY_ACK:
        if (s && p->id >= 0)
            dispatch_ack(s, p, data, bins, nbins);
        break;
    case SIO_CONNECT_ERROR: /* only servers send it */
        protocol_error(c, "CONNECT_ERROR from a client");
        break;
    }
}

static void binary_reset(sio_client *c)
{
    for (size_t i = 0; i < c->nbins; i++)
        free((void *)c->bins[i].data);
    free(c->bins);
    free(c->bin_text);
    cJSON_Delete(c->bin_data);
    c->bins = NULL;
    c->nbins = 0;
    c->bin_text = NULL;
    c->bin_data = NULL;
}

/* A binary Engine.IO message: the next attachment of the pending binary packet. */
static void on_attachment(sio_client *c, const uint8_t *data, size_t len)
{
    if (c->bin_text == NULL) {
        protocol_error(c, "binary message without a binary packet before it");
        return;
    }
    uint8_t *copy = malloc(len ? len : 1);
    if (copy == NULL)
        return;
    memcpy(copy, data, len);
    c->bins[c->nbins].data = copy;
    c->bins[c->nbins].len = len;
    if (++c->nbins < c->bin_pkt.attachments)
        return;
    /* take the packet out of c first: a handler may close the engine, which frees c */
    sio_packet p = c->bin_pkt;
    char *text = c->bin_text;
    cJSON *pdata = c->bin_data;
    sio_bin *bins = c->bins;
    size_t nbins = c->nbins;
    c->bin_text = NULL;
    c->bin_data = NULL;
    c->bins = NULL;
    c->nbins = 0;
    dispatch(c, &p, pdata, bins, nbins);
    for (size_t i = 0; i < nbins; i++)
        free((void *)bins[i].data);
    free(bins);
    free(text);
    cJSON_Delete(pdata);
}

/* A binary packet header: keep it until its attachments have arrived. */
static int start_binary(sio_client *c, const sio_packet *p, cJSON *data, const uint8_t *text,
                        size_t len)
{
    c->bin_text = malloc(len);
    c->bins = calloc(p->attachments, sizeof *c->bins);
    if (c->bin_text == NULL || c->bins == NULL) {
        cJSON_Delete(data);
        binary_reset(c);
        return -1;
    }
    memcpy(c->bin_text, text, len);
    c->bin_text_len = len;
    sio_decode(c->bin_text, len, &c->bin_pkt); /* its parts now point into our copy */
    c->bin_data = data;
    return 0;
}

static void on_text(sio_client *c, const uint8_t *text, size_t len)
{
    sio_packet p;
    cJSON *data = NULL;
    if (c->bin_text) {
        protocol_error(c, "text packet while binary attachments were expected");
        return;
    }
    int rc = sio_decode((const char *)text, len, &p);
    if (rc == 0)
        rc = sio_parse_data(&p, &data);
    if (rc < 0) {
        protocol_error(c, sio_error_text(rc));
        return;
    }
    if ((p.type == SIO_BINARY_EVENT || p.type == SIO_BINARY_ACK) && p.attachments > 0) {
        if (start_binary(c, &p, data, text, len) < 0)
            protocol_error(c, "out of memory");
        return;
    }
    if (p.type != SIO_CONNECT && c->connect_deadline) { /* the first packet must be CONNECT */
        cJSON_Delete(data);
        protocol_error(c, "packet before CONNECT");
        return;
    }
    dispatch(c, &p, data, NULL, 0);
    cJSON_Delete(data);
}

/* ---------------------------------------------------------------------------------------- */
/* the Engine.IO handlers                                                                    */

static void on_engine_open(eio_session *e, void *user)
{
    sio_server *srv = user;
    sio_client *c = calloc(1, sizeof *c);
    if (c == NULL) {
        eio_close(e);
        return;
    }
    c->srv = srv;
    c->eio = e;
    c->connect_deadline = loop_now_ms() + srv->cfg.connect_timeout_ms;
    c->next = srv->clients;
    if (c->next)
        c->next->prev = c;
    srv->clients = c;
    eio_set_user(e, c);
}

static void on_engine_message(eio_session *e, int binary, const uint8_t *data, size_t len,
                              void *user)
{
    sio_client *c = eio_user(e);
    (void)user;
    if (c == NULL)
        return;
    if (binary)
        on_attachment(c, data, len);
    else
        on_text(c, data, len);
}

static void on_engine_close(eio_session *e, const char *reason, void *user)
{
    sio_server *srv = user;
    sio_client *c = eio_user(e);
    if (c == NULL)
        return;
    while (c->sockets)
        disconnect_socket(c->sockets, reason);
    binary_reset(c);
    if (c->prev)
        c->prev->next = c->next;
    else
        srv->clients = c->next;
    if (c->next)
        c->next->prev = c->prev;
    eio_set_user(e, NULL);
    free(c);
}

/* Every heartbeat tick: connect timeouts, and forgetting dropped sockets past the window. */
static void on_tick(uint64_t now, void *user)
{
    sio_server *srv = user;
    for (sio_client *c = srv->clients, *next; c; c = next) {
        next = c->next;
        if (c->connect_deadline && now >= c->connect_deadline)
            eio_close(c->eio);
    }
    for (saved_session **pp = &srv->saved; *pp;) {
        saved_session *ss = *pp;
        if (now - ss->at > srv->cfg.recovery_window_ms) {
            *pp = ss->next;
            saved_free(ss);
        } else {
            pp = &ss->next;
        }
    }
}

/* ---------------------------------------------------------------------------------------- */
/* the public API                                                                            */

sio_server *sio_server_new(eio_server *eio, const char *path, const sio_config *cfg)
{
    sio_server *srv = calloc(1, sizeof *srv);
    if (srv == NULL)
        return NULL;
    srv->eio = eio;
    srv->cfg = *cfg;
    if (!srv->cfg.connect_timeout_ms)
        srv->cfg.connect_timeout_ms = 45000;
    if (!srv->cfg.recovery_window_ms)
        srv->cfg.recovery_window_ms = 120000;
    if (!srv->cfg.recovery_capacity)
        srv->cfg.recovery_capacity = 1024;
    if (!srv->cfg.volatile_limit)
        srv->cfg.volatile_limit = 65536; /* over one coalesced batch of the loop (16 KiB) */
    eio_handlers h = {on_engine_open, on_engine_message, on_engine_close};
    if (eio_server_mount(eio, path, &h, srv) < 0) {
        free(srv);
        return NULL;
    }
    eio_server_on_tick(eio, on_tick, srv);
    return srv;
}

void sio_server_free(sio_server *srv)
{
    if (srv == NULL)
        return;
    while (srv->clients)
        eio_close(srv->clients->eio);
    while (srv->saved) {
        saved_session *ss = srv->saved;
        srv->saved = ss->next;
        saved_free(ss);
    }
    for (size_t i = 0; i < srv->nnsps; i++) {
        sio_nsp *n = srv->nsps[i];
        for (size_t h = 0; h < n->nhandlers; h++)
            free(n->handlers[h].name);
        ring_log_free(n->log);
        free(n->buckets); /* every room went with its last member */
        free(n);
    }
    free(srv);
}

sio_nsp *sio_of(sio_server *srv, const char *name)
{
    sio_nsp *n = find_nsp(srv, name, strlen(name));
    if (n || srv->nnsps == SIO_MAX_NSPS || strlen(name) > SIO_MAX_NSP || name[0] != '/')
        return n;
    n = calloc(1, sizeof *n);
    if (n == NULL)
        return NULL;
    snprintf(n->name, sizeof n->name, "%s", name);
    n->srv = srv;
    if (srv->cfg.recovery) {
        n->log = ring_log_new(LOG_BYTES, srv->cfg.recovery_capacity, RING_OVERWRITE);
        if (n->log == NULL) {
            free(n);
            return NULL;
        }
    }
    srv->nsps[srv->nnsps++] = n;
    return n;
}

const char *sio_nsp_name(const sio_nsp *n)
{
    return n->name;
}

size_t sio_nsp_count(const sio_nsp *n)
{
    return n->nsockets;
}

void sio_on_connection(sio_nsp *n, sio_connection_fn fn, void *user)
{
    n->on_conn = fn;
    n->conn_user = user;
}

void sio_on_disconnect(sio_nsp *n, sio_disconnect_fn fn, void *user)
{
    n->on_disc = fn;
    n->disc_user = user;
}

void sio_on_adapter(sio_nsp *n, sio_adapter_fn fn, void *user)
{
    n->on_adapter = fn;
    n->adapter_user = user;
}

int sio_on(sio_nsp *n, const char *name, sio_event_fn fn, void *user)
{
    if (sio_reserved_event(name))
        return SIO_E_RESERVED;
    if (n->nhandlers == SIO_MAX_HANDLERS)
        return SIO_E_FULL;
    handler *h = &n->handlers[n->nhandlers];
    if ((h->name = dupstr(name)) == NULL)
        return SIO_E_NOMEM;
    h->fn = fn;
    h->user = user;
    n->nhandlers++;
    return 0;
}

const char *sio_socket_id(const sio_socket *s)
{
    return s->id;
}

sio_nsp *sio_socket_nsp(const sio_socket *s)
{
    return s->nsp;
}

const cJSON *sio_socket_auth(const sio_socket *s)
{
    return s->auth;
}

int sio_socket_recovered(const sio_socket *s)
{
    return s->recovered;
}

const char *sio_socket_transport(const sio_socket *s)
{
    return s->client ? eio_transport(s->client->eio) : "closed";
}

void sio_socket_set_user(sio_socket *s, void *user)
{
    s->user = user;
}

void *sio_socket_user(const sio_socket *s)
{
    return s->user;
}
