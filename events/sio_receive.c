/*
 * sio_receive.c - packets from a client (see sio_server.h): each text Engine.IO message is a
 * Socket.IO packet decoded by sio_packet.c; each binary message is the next attachment of the
 * BINARY_EVENT or BINARY_ACK just before it. A whole packet is dispatched: CONNECT and
 * DISCONNECT to sio_server.c, an event to its handler, an ack to the callback waiting for it.
 *
 * Anything malformed closes the whole Engine.IO session, as socket.io does, and the trace and
 * the disconnect reason say what was wrong.
 */
#include "sio_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sio_json.h"

/* The client broke the protocol (or we cannot go on): say what, and close its whole Engine.IO
 * session, as socket.io does. The reason reaches the trace and every socket's disconnect.
 * socket.io's reasons: "forced close" when a packet does not decode, "forced server close"
 * when a packet is not allowed in the client's state. */
static void close_client(sio_client *c, const char *socketio_reason, const char *why)
{
    char reason[SIO_MAX_NSP + 160];
    snprintf(reason, sizeof reason, "%s: %s", socketio_reason, why);
    eio_close_reason(c->eio, reason); /* on_engine_close disconnects every socket of the client */
}

static void protocol_error(sio_client *c, const char *why)
{
    close_client(c, "forced close", why);
}

/* ---------------------------------------------------------------------------------------- */
/* reading what the application asks for                                                    */

int sio_arg(const sio_msg *m, size_t i, const char **text, size_t *len)
{
    return sio_json_item(m->args, m->args_len, i, text, len);
}

long sio_arg_string(const sio_msg *m, size_t i, char *out, size_t cap)
{
    const char *t;
    size_t len;
    if (!sio_arg(m, i, &t, &len) || t[0] != '"')
        return -1;
    return sio_json_string(t, len, out, cap);
}

size_t sio_arg_count(const sio_msg *m)
{
    const char *t;
    size_t len, n = 0;
    while (sio_arg(m, n, &t, &len))
        n++;
    return n;
}

/* ---------------------------------------------------------------------------------------- */
/* dispatch                                                                                  */

/* A numeric event name as JavaScript's String(number) would write it: the shortest digits
 * that read back as the same double (socket.io's EventEmitter keys are strings). */
static void number_name(const char *tok, size_t len, char *out, size_t cap)
{
    char text[64];
    snprintf(text, sizeof text, "%.*s", (int)(len < 63 ? len : 63), tok);
    double v = strtod(text, NULL);
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(out, cap, "%.*g", prec, v);
        if (strtod(out, NULL) == v)
            return;
    }
}

/* The event's name (decoded into a malloc'd buffer, *len bytes) and its arguments' text
 * ("[" and everything after the name's comma, malloc'd), or -1 when out of memory. */
static int split_event(const char *data, size_t n, char **name, size_t *len, char **args)
{
    const char *first;
    size_t flen;
    sio_json_item(data, n, 0, &first, &flen); /* checked: a string or a number is there */
    *name = malloc(flen + 32);
    if (*name == NULL)
        return -1;
    if (first[0] == '"')
        *len = (size_t)sio_json_string(first, flen, *name, flen + 32);
    else {
        number_name(first, flen, *name, flen + 32);
        *len = strlen(*name);
    }
    size_t i = sio_json_ws(data, n, (size_t)(first + flen - data));
    const char *rest = i < n && data[i] == ',' ? data + i + 1 : "]";
    size_t rlen = i < n && data[i] == ',' ? n - i - 1 : 1;
    *args = malloc(rlen + 2);
    if (*args == NULL) {
        free(*name);
        return -1;
    }
    (*args)[0] = '[';
    memcpy(*args + 1, rest, rlen);
    (*args)[rlen + 1] = '\0';
    return 0;
}

static const handler *find_handler(const sio_nsp *n, const char *name, size_t len)
{
    const handler *h = NULL;
    for (size_t i = 0; i < n->nhandlers; i++) {
        const char *hn = n->handlers[i].name;
        if (strlen(hn) == len && memcmp(hn, name, len) == 0)
            return &n->handlers[i];
        if (h == NULL && strcmp(hn, "*") == 0)
            h = &n->handlers[i];
    }
    return h;
}

static void dispatch_event(sio_socket *s, const sio_packet *p, const sio_bin *bins, size_t nbins)
{
    char *name, *args;
    size_t len;
    if (split_event(p->data, p->data_len, &name, &len, &args) < 0) {
        eio_close_reason(s->client->eio, "out of memory for an event");
        return;
    }
    sio_msg m = {name, len, args, strlen(args), bins, nbins, p->id};
    const handler *h = find_handler(s->nsp, name, len);
    if (h)
        h->fn(s, &m, h->user);
    free(name);
    free(args);
}

static void dispatch_ack(sio_socket *s, const sio_packet *p, const sio_bin *bins, size_t nbins)
{
    for (pending_ack **pp = &s->acks; *pp; pp = &(*pp)->next) {
        pending_ack *a = *pp;
        if (a->id != p->id)
            continue;
        *pp = a->next;
        s->nacks--;
        char *args = malloc(p->data_len + 3);
        if (args == NULL) {
            free(a);
            eio_close_reason(s->client->eio, "out of memory for an ack");
            return;
        }
        snprintf(args, p->data_len + 3, "%.*s", (int)p->data_len, p->data);
        if (p->data_len == 0)
            strcpy(args, "[]");
        sio_msg m = {NULL, 0, args, strlen(args), bins, nbins, -1};
        a->fn(s, &m, a->user);
        free(a);
        free(args);
        return;
    }
}

/* CONNECT for a namespace that does not exist: CONNECT_ERROR "Invalid namespace". */
static void invalid_namespace(sio_client *c, const sio_packet *p)
{
    sio_nsp fake; /* only its name is used, to address the error */
    snprintf(fake.name, sizeof fake.name, "%.*s", (int)p->nsp_len, p->nsp);
    sio_send_packet(c, SIO_CONNECT_ERROR, &fake, -1, "{\"message\":\"Invalid namespace\"}", NULL,
                    0);
}

/*
 * A whole packet (attachments included) is here: act on it, as socket.io's Client.ondecoded
 * does. CONNECT is for a namespace the client is not in yet; every other packet is for one it
 * is in. Anything else (a packet for a namespace never joined, a second CONNECT, a
 * CONNECT_ERROR, which only servers send) closes the connection: "forced server close".
 */
static void dispatch(sio_client *c, const sio_packet *p, const sio_bin *bins, size_t nbins)
{
    sio_nsp *n = sio_find_nsp(c->srv, p->nsp, p->nsp_len);
    sio_socket *s = n ? sio_client_socket(c, n) : NULL;
    if (p->type == SIO_CONNECT && s == NULL) {
        if (n == NULL)
            invalid_namespace(c, p);
        else
            sio_connect_socket(c, n, p->data, p->data_len);
        return;
    }
    if (s == NULL || p->type == SIO_CONNECT || p->type == SIO_CONNECT_ERROR) {
        char why[SIO_MAX_NSP + 64];
        snprintf(why, sizeof why, "%s for namespace %.*s%s", sio_type_name((int)p->type),
                 (int)p->nsp_len, p->nsp, s ? ", already connected" : ", not connected");
        close_client(c, "forced server close", why);
        return;
    }
    switch (p->type) {
    case SIO_DISCONNECT: /* the Engine.IO session stays: the client may CONNECT again */
        sio_disconnect_socket(s, "client namespace disconnect");
        break;
    case SIO_EVENT:
    case SIO_BINARY_EVENT:
        dispatch_event(s, p, bins, nbins);
        break;
    case SIO_ACK:
    case SIO_BINARY_ACK:
        if (p->id >= 0)
            dispatch_ack(s, p, bins, nbins);
        break;
    default:
        break;
    }
}

/* ---------------------------------------------------------------------------------------- */
/* binary packets and their attachments                                                      */

static void stop_binary_timer(sio_client *c)
{
    loop *l = eio_server_loop(c->srv->eio);
    if (c->bin_timer && l) /* (no loop: it was freed, and its timers with it) */
        loop_timer_stop(l, c->bin_timer);
    c->bin_timer = 0;
}

static void binary_late(loop *l, void *arg)
{
    sio_client *c = arg;
    (void)l;
    c->bin_timer = 0;
    sio_binary_limit(c, "binary attachments not all in within --binary-timeout");
}

void sio_binary_reset(sio_client *c)
{
    for (size_t i = 0; i < c->nbins; i++)
        free((void *)c->bins[i].data);
    free(c->bins);
    free(c->bin_text);
    c->bins = NULL;
    c->nbins = 0;
    c->bin_text = NULL;
    c->bin_bytes = 0;
    stop_binary_timer(c);
}

/* A binary packet whose attachments pass max_binary, or do not all arrive in time: the
 * client loses its session (it could otherwise make us hold 64 MB per session for as long
 * as it answers pings). */
void sio_binary_limit(sio_client *c, const char *what)
{
    eio_log(c->srv->eio, "%s (%s): %s; session closed", eio_sid(c->eio), eio_peer(c->eio), what);
    close_client(c, "forced close", what);
}

/* A binary Engine.IO message: the next attachment of the pending binary packet. */
void sio_on_attachment(sio_client *c, const uint8_t *data, size_t len)
{
    if (c->bin_text == NULL) {
        protocol_error(c, "binary message without a binary packet before it");
        return;
    }
    if (len > c->srv->cfg.max_binary - c->bin_bytes) { /* (bin_bytes <= max_binary: no wrap) */
        sio_binary_limit(c, "binary attachments over --max-binary bytes");
        return;
    }
    c->bin_bytes += len;
    uint8_t *copy = malloc(len ? len : 1);
    if (copy == NULL) {
        eio_close_reason(c->eio, "out of memory for a binary attachment");
        return;
    }
    memcpy(copy, data, len);
    c->bins[c->nbins].data = copy;
    c->bins[c->nbins].len = len;
    if (++c->nbins < c->bin_pkt.attachments)
        return;
    /* take the packet out of c first: a handler may close the engine, which frees c */
    sio_packet p = c->bin_pkt;
    char *text = c->bin_text;
    sio_bin *bins = c->bins;
    size_t nbins = c->nbins;
    c->bin_text = NULL;
    c->bins = NULL;
    c->nbins = 0;
    c->bin_bytes = 0;
    stop_binary_timer(c);
    if (sio_check_placeholders(&p) < 0)
        protocol_error(c, sio_strerror(SIO_E_PLACEHOLDER));
    else
        dispatch(c, &p, bins, nbins);
    for (size_t i = 0; i < nbins; i++)
        free((void *)bins[i].data);
    free(bins);
    free(text);
}

/* A binary packet header: keep it until its attachments have arrived. */
static int start_binary(sio_client *c, const uint8_t *text, size_t len, size_t attachments)
{
    c->bin_text = malloc(len);
    c->bins = calloc(attachments, sizeof *c->bins);
    if (c->bin_text == NULL || c->bins == NULL) {
        sio_binary_reset(c);
        return -1;
    }
    memcpy(c->bin_text, text, len);
    c->bin_text_len = len;
    c->bin_bytes = 0;
    c->bin_timer = loop_timer_start(eio_server_loop(c->srv->eio), c->srv->cfg.binary_timeout_ms,
                                    binary_late, c);
    if (c->bin_timer == 0) { /* no timer to watch it: refuse to hold the packet */
        sio_binary_reset(c);
        return -1;
    }
    sio_decode(c->bin_text, len, &c->bin_pkt); /* its parts now point into our copy */
    return 0;
}

/* A text Engine.IO message: one Socket.IO packet, checked (never rebuilt) and dispatched. */
void sio_on_text(sio_client *c, const uint8_t *text, size_t len)
{
    sio_packet p;
    if (c->bin_text) {
        protocol_error(c, "text packet while binary attachments were expected");
        return;
    }
    int rc = sio_decode((const char *)text, len, &p);
    if (rc == 0)
        rc = sio_check_data(&p);
    if (rc == SIO_E_NOMEM) {
        eio_close_reason(c->eio, "out of memory checking a packet");
        return;
    }
    if (rc < 0) {
        protocol_error(c, sio_strerror(rc));
        return;
    }
    if ((p.type == SIO_BINARY_EVENT || p.type == SIO_BINARY_ACK) && p.attachments > 0) {
        if (start_binary(c, text, len, p.attachments) < 0)
            eio_close_reason(c->eio, "out of memory (or timers) for a binary packet");
        return;
    }
    dispatch(c, &p, NULL, 0);
}
