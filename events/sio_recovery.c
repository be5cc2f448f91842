/*
 * sio_recovery.c - connection state recovery (see sio_server.h): every event sent to a room,
 * a namespace or a socket goes into the namespace's replay log (queue/ring.h) with an offset;
 * a socket that drops is remembered for recovery_window_ms; a client that comes back with its
 * pid and the last offset it saw gets its id, its rooms and every event it missed, in order.
 *
 * Never a silent partial replay: when the log no longer holds everything after the client's
 * offset, the client connects as new.
 */
#include "sio_internal.h"
#include "sio_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A JSON array of names, plus one more name when extra is not NULL (malloc'd text). */
static char *names_json(const char *const *names, size_t n, const char *extra)
{
    size_t cap = 3;
    for (size_t i = 0; i < n; i++)
        cap += 6 * strlen(names[i]) + 3;
    cap += extra ? 6 * strlen(extra) + 3 : 0;
    char *out = malloc(cap);
    if (out == NULL)
        return NULL;
    size_t o = 1;
    out[0] = '[';
    for (size_t i = 0; i <= n; i++) {
        const char *name = i < n ? names[i] : extra;
        if (name == NULL)
            continue;
        if (o > 1)
            out[o++] = ',';
        o += sio_json_quote(name, strlen(name), out + o, cap - o);
    }
    out[o++] = ']';
    out[o] = '\0';
    return out;
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
static uint64_t log_event(sio_nsp *n, const sio_target *t, const char *event, const char *args,
                          const sio_bin *bins, size_t nbins, char **json)
{
    char offset[24];
    uint64_t off = ring_log_next(n->log), got = 0;
    snprintf(offset, sizeof offset, "%llu", (unsigned long long)off);
    *json = sio_event_json(event, args, offset);
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
        *json = sio_event_json(event, args, NULL);
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
char *sio_log_emit(sio_nsp *n, const sio_target *t, const char *event, const char *args,
                   const sio_bin *bins, size_t nbins)
{
    char *json = NULL;
    if (!(t->flags & SIO_VOLATILE) && logging(n, bins, nbins))
        log_event(n, t, event, args, bins, nbins, &json);
    else
        json = sio_event_json(event, args, NULL);
    return json;
}

/* Was this disconnection an accident (worth remembering) or a deliberate goodbye? As
 * socket.io's RECOVERABLE_DISCONNECT_REASONS (lib/socket.ts), a server that is shutting down
 * (SIGTERM) counts too: its clients reconnect, maybe to another server of the cluster, which
 * can recover them from the session an adapter kept in Redis (lab 10). */
int sio_recoverable(const char *reason)
{
    return strcmp(reason, "transport close") == 0 || strcmp(reason, "ping timeout") == 0 ||
           strcmp(reason, "transport error") == 0 || strcmp(reason, "server shutting down") == 0;
}

void sio_saved_free(sio_saved *ss)
{
    for (size_t i = 0; i < ss->nrooms; i++)
        free(ss->rooms[i]);
    free(ss->rooms);
    free(ss);
}

/* A client that connects and drops again and again must not fill our memory with saved
 * sockets during the recovery window: at SIO_MAX_SAVED, a dropped socket is not saved (it
 * connects as new if it comes back), logged once until there is room again. */
static int saved_full(sio_server *srv, const sio_socket *s)
{
    if (srv->nsaved < SIO_MAX_SAVED) {
        srv->saved_full = 0;
        return 0;
    }
    if (!srv->saved_full) {
        srv->saved_full = 1;
        eio_log(srv->eio,
                "%d dropped sockets are kept for recovery already: socket %s (%s) is not; it "
                "connects as new if it comes back (the oldest expire after --recovery-window)",
                SIO_MAX_SAVED, s->id, s->client ? eio_peer(s->client->eio) : "?");
    }
    return 1;
}

void sio_save_session(sio_socket *s)
{
    if (saved_full(s->nsp->srv, s))
        return;
    sio_saved *ss = calloc(1, sizeof *ss);
    if (ss == NULL)
        return;
    memcpy(ss->id, s->id, sizeof ss->id);
    memcpy(ss->pid, s->pid, sizeof ss->pid);
    ss->nsp = s->nsp;
    ss->at = loop_now_ms();
    ss->rooms = calloc(s->nrooms ? s->nrooms : 1, sizeof *ss->rooms);
    for (const membership *m = s->first; ss->rooms && m; m = m->snext)
        if ((ss->rooms[ss->nrooms] = sio_dupstr(m->r->name)) != NULL)
            ss->nrooms++;
    ss->next = s->nsp->srv->saved;
    s->nsp->srv->saved = ss;
    s->nsp->srv->nsaved++;
}

/* Take the saved session for (nsp, pid) out of the list, if it is there and not expired. */
static sio_saved *take_session(sio_server *srv, const sio_nsp *n, const char *pid)
{
    uint64_t now = loop_now_ms();
    for (sio_saved **pp = &srv->saved; *pp; pp = &(*pp)->next) {
        sio_saved *ss = *pp;
        if (ss->nsp != n || strcmp(ss->pid, pid) != 0)
            continue;
        *pp = ss->next;
        srv->nsaved--;
        if (now - ss->at > srv->cfg.recovery_window_ms) {
            sio_saved_free(ss);
            return NULL;
        }
        return ss;
    }
    return NULL;
}

static int saved_has_room(const sio_saved *ss, const char *name, size_t len)
{
    for (size_t i = 0; i < ss->nrooms; i++)
        if (strlen(ss->rooms[i]) == len && memcmp(ss->rooms[i], name, len) == 0)
            return 1;
    return 0;
}

/* Is any of the names in a JSON array (text[0..len)) a room the saved socket was in? */
static int saved_in_any(const sio_saved *ss, const char *text, size_t len)
{
    const char *item;
    size_t ilen;
    for (size_t i = 0; sio_json_item(text, len, i, &item, &ilen); i++) {
        char *name = malloc(ilen);
        long nl = name ? sio_json_string(item, ilen, name, ilen) : -1;
        int hit = nl >= 0 && saved_has_room(ss, name, (size_t)nl);
        free(name);
        if (hit)
            return 1;
    }
    return 0;
}

/* Was this log record (see log_event) addressed to the saved socket: sent to one of its
 * rooms (or to the whole namespace: []) and to none of the rooms it left out? If so, *data
 * and *dlen are its JSON, and everything after the JSON's NUL is left for read_attachments. */
static int record_for(const sio_saved *ss, const char *rec, size_t len, const char **data,
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
int sio_replay_possible(const sio_nsp *n, uint64_t offset)
{
    ring_log_iter it;
    uint64_t missed;
    return ring_log_after(n->log, offset, &it, &missed) == RING_OK && missed == 0;
}

/* Send everything the log holds after `offset` for this socket, as EVENT packets, in order. */
int sio_replay(sio_socket *s, const sio_saved *ss, uint64_t offset)
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
        sio_send_packet(s->client, nbins ? SIO_BINARY_EVENT : SIO_EVENT, s->nsp, -1, json, bins,
                        nbins);
        free(json);
    }
    free(buf);
    return 0;
}

/* A string member of the auth object, decoded into out; 0 when absent or not a string. */
int sio_auth_string(const char *auth, size_t len, const char *key, char *out, size_t cap)
{
    const char *v;
    size_t vl;
    if (!sio_json_member(auth, len, key, &v, &vl) || v[0] != '"')
        return 0;
    long n = sio_json_string(v, vl, out, cap);
    return n >= 0 && (size_t)n == strlen(out);
}

/* The CONNECT auth of a returning client: {"pid":"...","offset":"..."} plus the app's own. */
sio_saved *sio_try_recover(sio_nsp *n, const char *auth, size_t len, uint64_t *offset)
{
    char pid[TOKEN_LEN + 8], off[32];
    if (n->log == NULL || !sio_auth_string(auth, len, "pid", pid, sizeof pid) ||
        !sio_auth_string(auth, len, "offset", off, sizeof off))
        return NULL;
    char *end;
    unsigned long long v = strtoull(off, &end, 10);
    if (*end != '\0' || end == off || off[0] == '-')
        return NULL;
    *offset = v;
    return take_session(n->srv, n, pid);
}
