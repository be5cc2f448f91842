/*
 * sio_rooms.c - rooms, socket.io's "adapter" (see sio_server.h): which sockets are in which
 * named group of a namespace.
 *
 * A room is not on the wire: a client never learns which rooms exist or which it is in. Each
 * namespace keeps its rooms in a chained hash table (FNV-1a of the name, a power-of-two number
 * of buckets, doubled when it holds as many rooms as buckets), each room a list of its members
 * in join order. Each socket keeps the names of its rooms too, so leaving all of them on
 * disconnect does not search the table. A room is created by its first join and deleted with
 * its last leave; sio_on_adapter hears both, as socket.io's adapter events.
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

size_t sio_socket_nrooms(const sio_socket *s)
{
    return s->nrooms;
}

const char *sio_socket_room(const sio_socket *s, size_t i)
{
    return i < s->nrooms ? s->rooms[i] : NULL;
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

int sio_join(sio_socket *s, const char *room_name)
{
    sio_nsp *n = s->nsp;
    if (sio_in_room(s, room_name))
        return 0;
    room *r = sio_find_room(n, room_name);
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
    room *r = sio_find_room(n, room_name);
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
