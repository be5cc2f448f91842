/*
 * dec_impl.h - what the dissectors share inside the decoder (not used by the views).
 *
 * Each dissector has the shape
 *
 *     void dis_xxx(dec_state *s, rd r, uint32_t wire);
 *
 * r is the window of captured bytes that belong to this layer and everything inside it; wire is
 * how many bytes of it were on the wire (wire >= r.len). The dissector pushes its layer with
 * dec_push, reads its header through the RD_ macros, and hands the payload on with one of the
 * dispatchers below, giving the inner layer only the smaller of what was captured and what its
 * own header claims. Dissectors are named dis_<protocol>; the structs they fill, in decode.h,
 * are dec_<protocol>.
 */
#ifndef WIRELAB_DEC_IMPL_H
#define WIRELAB_DEC_IMPL_H

#include "decode.h"
#include "rd.h"

/* The numbers the dispatchers switch on, named once. EtherTypes: IANA "IEEE 802 Numbers";
 * IP protocols: IANA "Assigned Internet Protocol Numbers"; address families: the BSD values
 * a DLT_NULL header carries (IPv6 differs between BSDs, hence four). */
enum {
    ETHERTYPE_MIN = 0x0600, /* below this the field is an 802.3 length, not a type */
    ETHERTYPE_IPV4 = 0x0800,
    ETHERTYPE_ARP = 0x0806,
    ETHERTYPE_VLAN = 0x8100, /* 802.1Q */
    ETHERTYPE_QINQ = 0x88a8, /* 802.1ad */
    ETHERTYPE_IPV6 = 0x86dd,
};
enum {
    IP_PROTO_HOPOPTS = 0,
    IP_PROTO_ICMP = 1,
    IP_PROTO_IPIP = 4,
    IP_PROTO_TCP = 6,
    IP_PROTO_UDP = 17,
    IP_PROTO_IPV6 = 41,
    IP_PROTO_ROUTING = 43,
    IP_PROTO_FRAGMENT = 44,
    IP_PROTO_AH = 51,
    IP_PROTO_ICMPV6 = 58,
    IP_PROTO_NONE = 59, /* IPv6 "no next header" */
    IP_PROTO_DSTOPTS = 60,
};
enum {
    NULL_AF_INET = 2,
    NULL_AF_INET6_LINUX = 10,
    NULL_AF_INET6_BSD = 24,
    NULL_AF_INET6_FREEBSD = 28,
    NULL_AF_INET6_DARWIN = 30,
};
enum {
    ARP_HW_ETHERNET = 1, /* ARP hardware type (IANA "Hardware Types") */
    PORT_DNS = 53,
    PORT_MDNS = 5353,
};

typedef struct dec_state {
    dec_packet *pkt;
    const dec_hints *hints;
    /* The innermost IP header, for the transport checksum's pseudo-header. */
    int ipver; /* 0 none, 4 or 6 */
    const uint8_t *ip_src, *ip_dst;
    bool first_fragment; /* the innermost IP packet is a first fragment (more follow) */
} dec_state;

/* A new layer starting at r.p, or NULL when the packet already has DEC_MAX_LAYERS. */
dec_layer *dec_push(dec_state *s, dec_proto p, uint8_t osi, const rd *r, uint32_t wire);

/* Mark the layer truncated: the capture ended inside its header. */
void dec_trunc(dec_layer *l);

/* Store a copy of a string in the packet; returns its ref (0 = the empty string). */
uint32_t dec_strdup(dec_packet *pkt, const char *s, uint32_t n);

/* Dispatchers: who decodes the bytes after an EtherType, an IP protocol, a TCP/UDP header. */
void dec_ethertype(dec_state *s, uint16_t type, rd r, uint32_t wire);
void dec_ipproto(dec_state *s, uint8_t proto, rd r, uint32_t wire, uint32_t declared);
void dec_tcp_payload(dec_state *s, const dec_tcp *t, rd r, uint32_t wire);
void dec_udp_payload(dec_state *s, const dec_udp *u, rd r, uint32_t wire);
void dis_data(dec_state *s, rd r, uint32_t wire, uint32_t declared);

/* Dissectors, one per file. */
void dis_eth(dec_state *s, rd r, uint32_t wire);
void dis_sll(dec_state *s, rd r, uint32_t wire);
void dis_sll2(dec_state *s, rd r, uint32_t wire);
void dis_null(dec_state *s, rd r, uint32_t wire, bool network_order);
void dis_vlan(dec_state *s, rd r, uint32_t wire);
void dis_arp(dec_state *s, rd r, uint32_t wire);
void dis_rawip(dec_state *s, rd r, uint32_t wire);
void dis_ipv4(dec_state *s, rd r, uint32_t wire);
void dis_ipv6(dec_state *s, rd r, uint32_t wire);
void dis_icmp(dec_state *s, rd r, uint32_t wire, uint32_t declared);
void dis_icmpv6(dec_state *s, rd r, uint32_t wire, uint32_t declared);
void dis_tcp(dec_state *s, rd r, uint32_t wire, uint32_t declared);
void dis_udp(dec_state *s, rd r, uint32_t wire, uint32_t declared);
bool dis_http(dec_state *s, rd r, uint32_t wire);
/* Do the bytes start an HTTP/1.x request (a method and a space) or response ("HTTP/1.")? */
bool dec_http_start(const rd *r, bool *request);
/* The length of the first word when it is a queue broker verb, else 0. */
uint32_t dec_queue_verb(const rd *r);
void dis_ws(dec_state *s, rd r, uint32_t wire);
bool dis_dns(dec_state *s, rd r, uint32_t wire);
bool dis_dns_tcp(dec_state *s, rd r, uint32_t wire);
/* DNS on a port that is not DNS's: only when the payload parses as one whole message. */
bool dis_dns_maybe(dec_state *s, rd r, uint32_t wire, bool tcp);
bool dis_udpecho(dec_state *s, rd r, uint32_t wire);
bool dis_queue(dec_state *s, rd r, uint32_t wire);
void dis_sio_ws(dec_state *s, const dec_ws *w, rd payload, uint32_t wire);
void dis_sio_http(dec_state *s, bool request, rd msg, uint32_t body_off, uint32_t body_wire);

/* Internet checksum (RFC 1071) helpers, in cksum.c. */
uint32_t cksum_add(uint32_t sum, const uint8_t *p, uint32_t n);
uint16_t cksum_fold(uint32_t sum);
/* Status of a transport checksum over r (all of the segment), with the pseudo-header of s. */
dec_cksum cksum_transport(const dec_state *s, uint8_t proto, rd r, uint32_t declared,
                          uint32_t ck_off, bool zero_means_none);

#endif
