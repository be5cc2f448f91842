/*
 * sio_rooms.c - rooms, socket.io's "adapter" (see sio_server.h): which sockets are in which
 * named group of a namespace.
 *
 * A room is not on the wire: a client never learns which rooms exist or which it is in. Each
 * namespace keeps its rooms in a chained hash table (FNV-1a of the name, a power-of-two number
 * of buckets, doubled when it holds as many rooms as buckets), each room a list of its members
 * in join order. Each membership (a socket in a room) is one node on two doubly linked lists, the
 * room's and the socket's, and in a second hash table keyed by the pair, so joining, leaving,
 * "is s in r?" and disconnecting cost O(1) per membership: one client in 60,000 rooms cannot
 * freeze everyone else. A socket may be in at most max_rooms rooms (sio_config). A room is
 * created by its first join and deleted with its last leave; sio_on_adapter hears both, as
 * socket.io's adapter events.
 */
#include "sio_internal.h"

#include <stdlib.h>
#include <string.h>

static uint32_t room_hash(const char *name) /* FNV-1a: short, and good enough for ids */
{
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        h = (h ^ *p) * 16777619u;
    return h;
}

room *sio_find_room(const sio_nsp *n, const char *name)
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

/* ---- the (room, socket) table ----------------------------------------------------------- */

/* The pair's bucket: the two addresses mixed (Fibonacci hashing of their sum's bits). */
static size_t pair_bucket(const room *r, const sio_socket *s, size_t nbuckets)
{
    uint64_t k = (uint64_t)(uintptr_t)r * 31u + (uint64_t)(uintptr_t)s;
    return (size_t)((k * 0x9E3779B97F4A7C15ull) >> 32) & (nbuckets - 1);
}

static membership *find_membership(const sio_nsp *n, const room *r, const sio_socket *s)
{
    if (n->nmbuckets == 0 || r == NULL)
        return NULL;
    for (membership *m = n->mtable[pair_bucket(r, s, n->nmbuckets)]; m; m = m->hnext)
        if (m->r == r && m->s == s)
            return m;
    return NULL;
}

/* Make room in the table for one more membership (doubling it when full): 0 or -1. */
static int grow_members(sio_nsp *n)
{
    if (n->nmembers + 1 <= n->nmbuckets)
        return 0;
    size_t nb = n->nmbuckets ? n->nmbuckets * 2 : 64;
    membership **t = calloc(nb, sizeof *t);
    if (t == NULL)
        return -1;
    for (size_t i = 0; i < n->nmbuckets; i++)
        for (membership *m = n->mtable[i], *next; m; m = next) {
            next = m->hnext;
            size_t b = pair_bucket(m->r, m->s, nb);
            m->hnext = t[b];
            t[b] = m;
        }
    free(n->mtable);
    n->mtable = t;
    n->nmbuckets = nb;
    return 0;
}

/* ---- joining and leaving ------------------------------------------------------------------ */

static void adapter_event(sio_nsp *n, const char *what, const char *room_name, const char *sid)
{
    if (n->on_adapter)
        n->on_adapter(n, what, room_name, sid, n->adapter_user);
}

int sio_in_room(const sio_socket *s, const char *room_name)
{
    return find_membership(s->nsp, sio_find_room(s->nsp, room_name), s) != NULL;
}

size_t sio_socket_nrooms(const sio_socket *s)
{
    return s->nrooms;
}

/* The i-th room in join order. Reading them in order (i = 0, 1, 2...) costs O(1) each: the
 * socket remembers where the last call stopped. */
const char *sio_socket_room(const sio_socket *s, size_t i)
{
    sio_socket *w = (sio_socket *)s; /* the cursor is a cache, not part of the socket's value */
    if (i >= s->nrooms)
        return NULL;
    if (w->cursor == NULL || w->cursor_i > i) {
        w->cursor = s->first;
        w->cursor_i = 0;
    }
    while (w->cursor_i < i) {
        w->cursor = w->cursor->snext;
        w->cursor_i++;
    }
    return w->cursor->r->name;
}

static room *create_room(sio_nsp *n, const char *room_name)
{
    room *r = calloc(1, sizeof *r);
    if (r == NULL || (r->name = sio_dupstr(room_name)) == NULL) {
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

static void delete_room(sio_nsp *n, room *r)
{
    room **pp = &n->buckets[r->hash & (n->nbuckets - 1)];
    while (*pp != r)
        pp = &(*pp)->next;
    *pp = r->next;
    n->nrooms--;
    adapter_event(n, "delete-room", r->name, NULL);
    free(r->name);
    free(r);
}

/* Over max_rooms: refuse, and say so in the log once per socket. */
static int too_many_rooms(sio_socket *s)
{
    sio_server *srv = s->nsp->srv;
    if (s->nrooms < srv->cfg.max_rooms)
        return 0;
    if (!s->rooms_logged) {
        s->rooms_logged = 1;
        eio_log(srv->eio,
                "socket %s (%s) is in %zu rooms (--max-rooms): it may join no more until it "
                "leaves some",
                s->id, s->client ? eio_peer(s->client->eio) : "?", s->nrooms);
    }
    return 1;
}

int sio_join(sio_socket *s, const char *room_name)
{
    sio_nsp *n = s->nsp;
    room *r = sio_find_room(n, room_name);
    if (find_membership(n, r, s))
        return 0;
    if (too_many_rooms(s))
        return SIO_E_FULL;
    membership *m = calloc(1, sizeof *m);
    if (m == NULL || grow_members(n) < 0 ||
        (r == NULL && (r = create_room(n, room_name)) == NULL)) {
        free(m);
        return SIO_E_NOMEM;
    }
    *m = (membership){.r = r, .s = s, .rprev = r->last, .sprev = s->last};
    if (r->last)
        r->last->rnext = m;
    else
        r->first = m;
    r->last = m;
    r->n++;
    if (s->last)
        s->last->snext = m;
    else
        s->first = m;
    s->last = m;
    s->nrooms++;
    membership **head = &n->mtable[pair_bucket(r, s, n->nmbuckets)];
    m->hnext = *head;
    *head = m;
    n->nmembers++;
    adapter_event(n, "join-room", room_name, s->id);
    return 0;
}

/* Take m off its room's list, its socket's list and the table: O(1), order kept. */
static void leave(sio_nsp *n, membership *m)
{
    room *r = m->r;
    sio_socket *s = m->s;
    membership **pp = &n->mtable[pair_bucket(r, s, n->nmbuckets)];
    while (*pp != m) /* a bucket holds about one membership: the table doubles when full */
        pp = &(*pp)->hnext;
    *pp = m->hnext;
    n->nmembers--;
    *(m->rprev ? &m->rprev->rnext : &r->first) = m->rnext;
    *(m->rnext ? &m->rnext->rprev : &r->last) = m->rprev;
    r->n--;
    *(m->sprev ? &m->sprev->snext : &s->first) = m->snext;
    *(m->snext ? &m->snext->sprev : &s->last) = m->sprev;
    s->nrooms--;
    s->cursor = NULL;
    free(m);
    adapter_event(n, "leave-room", r->name, s->id);
    if (r->n == 0)
        delete_room(n, r);
}

int sio_leave(sio_socket *s, const char *room_name)
{
    membership *m = find_membership(s->nsp, sio_find_room(s->nsp, room_name), s);
    if (m)
        leave(s->nsp, m);
    return 0;
}

/* Every room, the last joined first (disconnect). */
void sio_leave_all(sio_socket *s)
{
    while (s->last)
        leave(s->nsp, s->last);
}
