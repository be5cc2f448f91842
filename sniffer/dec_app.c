/*
 * dec_app.c - which application protocol (layer 7) is in a TCP or UDP payload.
 *
 * Ports are only a convention, so we look at the content where we can:
 *  - a TCP flow that completed a WebSocket upgrade carries frames (the caller tells us: the
 *    decoder itself keeps no state between packets, see dec_hints);
 *  - a payload starting with an HTTP method or "HTTP/1." is HTTP;
 *  - lines starting with the queue broker's verbs are Wirelab's queue protocol;
 *  - port 53 or 5353 is DNS (over TCP after a 2-byte length); on another port, a payload
 *    that parses as one whole DNS message is DNS too; a datagram starting with udp_sender's
 *    magic is its header.
 * Whatever nobody claims becomes a `data` layer.
 */
#include "dec_impl.h"

static bool dns_port(uint16_t sport, uint16_t dport)
{
    return sport == PORT_DNS || dport == PORT_DNS || sport == PORT_MDNS || dport == PORT_MDNS;
}

void dec_tcp_payload(dec_state *s, const dec_tcp *t, rd r, uint32_t wire)
{
    if (s->hints->websocket) {
        dis_ws(s, r, wire);
        return;
    }
    if (dis_http(s, r, wire) || dis_queue(s, r, wire))
        return;
    if (dns_port(t->sport, t->dport) ? dis_dns_tcp(s, r, wire) : dis_dns_maybe(s, r, wire, true))
        return;
    dis_data(s, r, wire, t->payload_len);
}

void dec_udp_payload(dec_state *s, const dec_udp *u, rd r, uint32_t wire)
{
    if (dns_port(u->sport, u->dport) && dis_dns(s, r, wire))
        return;
    if (dis_udpecho(s, r, wire))
        return;
    if (!dns_port(u->sport, u->dport) && dis_dns_maybe(s, r, wire, false))
        return;
    dis_data(s, r, wire, u->payload_len);
}

/* The same tests, for the start of a reassembled stream (stream_msgs.c): the first bytes of a
 * direction decide what it speaks, as the first segment does for the packet decoder. */
dec_app_kind dec_app_detect(const uint8_t *p, uint32_t n)
{
    rd r = rd_make(p, n);
    bool request;
    if (dec_http_start(&r, &request))
        return DEC_APP_HTTP;
    if (dec_queue_verb(&r) > 0)
        return DEC_APP_QUEUE;
    /* the longest words tested are 8 bytes ("OPTIONS ", "CONNECT "): wait for that many */
    return n < 8 ? DEC_APP_MORE : DEC_APP_OTHER;
}
