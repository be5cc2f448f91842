/*
 * decode.c - the decoder's entry point and the dispatch between layers (see decode.h).
 *
 * The chain for a typical frame on the loopback interface:
 *
 *   dec_decode -> dis_eth --EtherType 0x0800--> dis_ipv4 --protocol 6--> dis_tcp
 *              --content (dec_tcp_payload)--> dis_http, dis_ws or dis_queue, or dis_data
 *
 * dec_decode picks the first dissector by link type; dec_ethertype and dec_ipproto below pick
 * the next one by the number the outer header carries (named in dec_impl.h).
 *
 * Every step hands the next one a window (rd) no larger than what was captured AND what the
 * outer header claims, so a lying length can never widen what an inner layer may read.
 */
#include "dec_impl.h"
#include "names.h"

#include <string.h>

static const char *const proto_json[DEC_NPROTO] = {
    [DEC_ETH] = "eth",
    [DEC_SLL] = "sll",
    [DEC_SLL2] = "sll",
    [DEC_NULL] = "null",
    [DEC_VLAN] = "vlan",
    [DEC_ARP] = "arp",
    [DEC_IPV4] = "ipv4",
    [DEC_IPV6] = "ipv6",
    [DEC_ICMP] = "icmp",
    [DEC_ICMPV6] = "icmpv6",
    [DEC_TCP] = "tcp",
    [DEC_UDP] = "udp",
    [DEC_HTTP] = "http",
    [DEC_WS] = "websocket",
    [DEC_DNS] = "dns",
    [DEC_UDPECHO] = "data",
    [DEC_QUEUE] = "data",
    [DEC_DATA] = "data",
    /* never printed by --json, which shows it as the "socketio" field of the layer before */
    [DEC_SIO] = "socketio",
    [DEC_RESP] = "resp",
};

const char *dec_proto_json(dec_proto p)
{
    return (unsigned)p < DEC_NPROTO ? proto_json[p] : "data";
}

const char *dec_cksum_name(dec_cksum c)
{
    static const char *const n[] = {"unchecked", "ok", "bad", "unverifiable (offload)", "none"};
    return (unsigned)c < sizeof n / sizeof n[0] ? n[c] : "?";
}

const char *dec_str(const dec_packet *pkt, uint32_t ref)
{
    return ref < pkt->nstrs ? pkt->strs + ref : "";
}

uint32_t dec_strdup(dec_packet *pkt, const char *str, uint32_t n)
{
    if (n >= DEC_STRS - pkt->nstrs) /* no room: the empty string at ref 0 */
        return 0;
    uint32_t ref = pkt->nstrs;
    memcpy(pkt->strs + ref, str, n);
    pkt->strs[ref + n] = '\0';
    pkt->nstrs += n + 1;
    return ref;
}

const dec_layer *dec_find(const dec_packet *pkt, dec_proto p)
{
    for (int i = pkt->nlayers - 1; i >= 0; i--)
        if (pkt->layers[i].proto == p)
            return &pkt->layers[i];
    return NULL;
}

dec_layer *dec_push(dec_state *s, dec_proto p, uint8_t osi, const rd *r, uint32_t wire)
{
    dec_packet *pkt = s->pkt;
    if (pkt->nlayers >= DEC_MAX_LAYERS) {
        pkt->more_layers = true;
        return NULL;
    }
    dec_layer *l = &pkt->layers[pkt->nlayers++];
    memset(l, 0, sizeof *l);
    l->osi = osi;
    l->proto = p;
    l->off = (uint32_t)(r->p - pkt->bytes);
    l->cap = r->len;
    l->wire = wire;
    return l;
}

void dec_trunc(dec_layer *l)
{
    l->truncated = true;
    l->hdr = l->cap; /* every captured byte of it was header */
}

bool dec_linktype_known(int linktype)
{
    return names_lookup(names_linktype, (unsigned)linktype) != NULL;
}

int dec_decode(dec_packet *pkt, int linktype, const uint8_t *bytes, uint32_t caplen, uint32_t len,
               const dec_hints *hints)
{
    static const dec_hints none;
    pkt->bytes = bytes;
    pkt->caplen = caplen;
    pkt->len = len < caplen ? caplen : len; /* a file may lie; never less than we hold */
    pkt->linktype = linktype;
    pkt->nlayers = 0;
    pkt->more_layers = false;
    pkt->ws_carry = 0;
    pkt->ws_head_len = 0;
    pkt->nstrs = 1;
    pkt->strs[0] = '\0';
    dec_state s = {pkt, hints ? hints : &none, 0, NULL, NULL, false};
    rd r = rd_make(bytes, caplen);
    switch (linktype) {
    case DEC_LINK_ETH:
        dis_eth(&s, r, pkt->len);
        break;
    case DEC_LINK_SLL:
        dis_sll(&s, r, pkt->len);
        break;
    case DEC_LINK_SLL2:
        dis_sll2(&s, r, pkt->len);
        break;
    case DEC_LINK_NULL:
        dis_null(&s, r, pkt->len, false);
        break;
    case DEC_LINK_LOOP:
        dis_null(&s, r, pkt->len, true);
        break;
    case DEC_LINK_RAW: /* either version: the first nibble says which */
    case DEC_LINK_RAW101:
        dis_rawip(&s, r, pkt->len);
        break;
    case DEC_LINK_IPV4: /* one version only: a packet of the other is an invalid one */
        dis_ipv4(&s, r, pkt->len);
        break;
    case DEC_LINK_IPV6:
        dis_ipv6(&s, r, pkt->len);
        break;
    default:
        return 0;
    }
    return pkt->nlayers;
}

void dec_ethertype(dec_state *s, uint16_t type, rd r, uint32_t wire)
{
    switch (type) {
    case ETHERTYPE_IPV4:
        dis_ipv4(s, r, wire);
        break;
    case ETHERTYPE_IPV6:
        dis_ipv6(s, r, wire);
        break;
    case ETHERTYPE_ARP:
        dis_arp(s, r, wire);
        break;
    case ETHERTYPE_VLAN:
    case ETHERTYPE_QINQ:
        dis_vlan(s, r, wire);
        break;
    default:
        dis_data(s, r, wire, wire);
        break;
    }
}

void dec_ipproto(dec_state *s, uint8_t proto, rd r, uint32_t wire, uint32_t declared)
{
    switch (proto) {
    case IP_PROTO_ICMP:
        dis_icmp(s, r, wire, declared);
        break;
    case IP_PROTO_TCP:
        dis_tcp(s, r, wire, declared);
        break;
    case IP_PROTO_UDP:
        dis_udp(s, r, wire, declared);
        break;
    case IP_PROTO_ICMPV6:
        dis_icmpv6(s, r, wire, declared);
        break;
    case IP_PROTO_IPIP:
        dis_ipv4(s, r, wire);
        break;
    case IP_PROTO_IPV6:
        dis_ipv6(s, r, wire);
        break;
    default:
        if (declared > 0)
            dis_data(s, r, wire, declared);
        break;
    }
}

/* A data layer: payload nobody decodes. Its captured length may fall short of what the headers
 * declare (snaplen, or a lying length); then the capture ends inside it and it is truncated. */
void dis_data(dec_state *s, rd r, uint32_t wire, uint32_t declared)
{
    dec_layer *l = dec_push(s, DEC_DATA, 7, &r, wire);
    if (l == NULL)
        return;
    l->claimed = declared;
    l->u.data.declared = declared;
    /* In a first IP fragment the declared payload goes on in the later fragments: what is
     * missing from the wire is a fragment's end, not a cut capture. */
    l->u.data.fragment = s->first_fragment && wire < declared;
    l->truncated = r.len < (l->u.data.fragment ? wire : declared);
}
