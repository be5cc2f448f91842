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

/* The client broke the protocol (or we cannot go on): say what, and close its whole Engine.IO
 * session, as socket.io does. The reason reaches the trace and every socket's disconnect. */
static void protocol_error(sio_client *c, const char *why)
{
    char reason[160];
    snprintf(reason, sizeof reason, "forced close: %s", why); /* socket.io's reason, then ours */
    eio_close_reason(c->eio, reason); /* on_engine_close disconnects every socket of the client */
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
    sio_nsp *n = sio_find_nsp(c->srv, p->nsp, p->nsp_len);
    sio_socket *s = n ? sio_client_socket(c, n) : NULL;
    switch (p->type) {
    case SIO_CONNECT:
        if (n == NULL) {
            sio_nsp fake; /* only its name is used, to address the error */
            snprintf(fake.name, sizeof fake.name, "%.*s", (int)p->nsp_len, p->nsp);
            sio_send_packet(c, SIO_CONNECT_ERROR, &fake, -1, "{\"message\":\"Invalid namespace\"}",
                        NULL, 0);
        } else {
            sio_connect_socket(c, n, data);
        }
        break;
    case SIO_DISCONNECT:
        if (s)
            sio_disconnect_socket(s, "client namespace disconnect");
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

void sio_binary_reset(sio_client *c)
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
void sio_on_attachment(sio_client *c, const uint8_t *data, size_t len)
{
    if (c->bin_text == NULL) {
        protocol_error(c, "binary message without a binary packet before it");
        return;
    }
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
        sio_binary_reset(c);
        return -1;
    }
    memcpy(c->bin_text, text, len);
    c->bin_text_len = len;
    sio_decode(c->bin_text, len, &c->bin_pkt); /* its parts now point into our copy */
    c->bin_data = data;
    return 0;
}

void sio_on_text(sio_client *c, const uint8_t *text, size_t len)
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
            eio_close_reason(c->eio, "out of memory for a binary packet");
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
