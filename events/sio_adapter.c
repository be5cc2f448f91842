/*
 * sio_adapter.c - the seam to other servers (see sio_adapter.h): installing an adapter, and
 * the local questions a cluster adapter asks on another server's behalf (which of my sockets
 * are in these rooms? socket s by id), answered from sio_rooms.c's tables.
 */
#include "sio_adapter.h"
#include "sio_internal.h"

#include <stdlib.h>
#include <string.h>

void sio_set_adapter(sio_server *srv, const sio_adapter *a)
{
    srv->adapter = a;
}

/* Is s selected by t: in one of its rooms (or t names none), and in none of its except rooms? */
static int selected(const sio_socket *s, const sio_target *t)
{
    int in = t->nrooms == 0;
    for (size_t i = 0; !in && i < t->nrooms; i++)
        in = sio_in_room(s, t->rooms[i]);
    for (size_t i = 0; in && i < t->nexcept; i++)
        in = !sio_in_room(s, t->except[i]);
    return in && s != t->except_socket;
}

sio_socket **sio_select(sio_nsp *n, const sio_target *t, size_t *count)
{
    sio_socket **out = malloc((n->nsockets + 1) * sizeof *out);
    *count = 0;
    if (out == NULL)
        return NULL;
    for (sio_socket *s = n->sockets; s; s = s->next_in_nsp)
        if (s->client && selected(s, t))
            out[(*count)++] = s;
    return out;
}

sio_socket *sio_find_socket(sio_nsp *n, const char *id)
{
    for (sio_socket *s = n->sockets; s; s = s->next_in_nsp)
        if (strcmp(s->id, id) == 0)
            return s;
    return NULL;
}

sio_nsp *sio_nsp_find(sio_server *srv, const char *name)
{
    return sio_find_nsp(srv, name, strlen(name));
}

void sio_disconnect_close(sio_socket *s, int close)
{
    eio_session *e = s->client ? s->client->eio : NULL;
    sio_disconnect(s);
    if (close && e)
        eio_close(e);
}

sio_nsp *sio_nsp_at(sio_server *srv, size_t i)
{
    return i < srv->nnsps ? srv->nsps[i] : NULL;
}

size_t sio_nsp_rooms(const sio_nsp *n, const char **out, size_t cap)
{
    size_t count = 0;
    for (size_t b = 0; b < n->nbuckets; b++)
        for (const room *r = n->buckets[b]; r; r = r->next, count++)
            if (count < cap)
                out[count] = r->name;
    return count;
}

const char *sio_socket_peer(const sio_socket *s)
{
    return s->client ? eio_peer(s->client->eio) : "";
}

void *sio_adapter_self(const sio_nsp *n)
{
    return n->srv->adapter ? n->srv->adapter->self : NULL;
}
