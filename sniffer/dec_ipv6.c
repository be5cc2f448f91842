/*
 * dec_ipv6.c - IPv6 (RFC 8200), layer 3, and its extension headers.
 *
 *    0       4               12                                      31
 *   +-------+---------------+---------------------------------------+
 *   |version| traffic class |              flow label               |
 *   +-------+---------------+-------+---------------+---------------+
 *   |        payload length         |  next header  |   hop limit   |
 *   +-------------------------------+---------------+---------------+
 *   |              source address (16 bytes)                        |
 *   |              destination address (16 bytes)                   |
 *   +---------------------------------------------------------------+
 *
 * The fixed header is always 40 bytes. Options live in extension headers chained by "next
 * header": hop-by-hop (0), routing (43), fragment (44), destination options (60), each starting
 * with (next header, length in 8-byte units not counting the first 8). We walk them until an
 * upper-layer protocol (TCP 6, UDP 17, ICMPv6 58, ...). Only a fragment with offset 0 carries
 * the upper-layer header.
 */
#include "dec_impl.h"

static bool is_ext(uint8_t nh)
{
    return nh == IP_PROTO_HOPOPTS || nh == IP_PROTO_ROUTING || nh == IP_PROTO_FRAGMENT ||
           nh == IP_PROTO_DSTOPTS || nh == IP_PROTO_AH;
}

/* Walk the extension headers from off 40. Returns false when the capture ends inside one
 * (truncated) or the chain is invalid; sets *next to the upper-layer protocol. */
static bool ipv6_walk(dec_layer *l, const rd *r, uint32_t plen, uint8_t *next)
{
    dec_ipv6 *ip = &l->u.ip6;
    uint32_t off = 40;
    uint8_t nh = ip->first_nh;
    while (is_ext(nh)) {
        uint8_t hnext, hlen;
        if (ip->next >= DEC_MAX_EXT) {
            l->invalid = "more than 8 extension headers";
            return false;
        }
        RD_U8(r, off, hnext);
        RD_U8(r, off + 1, hlen);
        /* RFC 8200 4.5: the fragment header is always 8 bytes; RFC 4302 2.2: AH counts its
         * length in 4-byte words minus 2; the others in 8-byte words, not counting the first */
        uint32_t len = nh == IP_PROTO_FRAGMENT ? 8
                       : nh == IP_PROTO_AH     ? ((uint32_t)hlen + 2) * 4
                                               : ((uint32_t)hlen + 1) * 8;
        RD_NEED(r, off, len);
        if (nh == IP_PROTO_FRAGMENT) {
            uint16_t fo;
            RD_U16(r, off + 2, fo);
            RD_U32(r, off + 4, ip->frag_id);
            ip->frag = true;
            ip->frag_offset = (uint16_t)(fo & 0xfff8);
            ip->frag_m = fo & 1;
        }
        ip->ext[ip->next++] = (dec_opt){nh, (uint8_t)(len / 8), (uint16_t)(l->off + off)};
        off += len;
        nh = hnext;
        if (off - 40 > plen) {
            l->invalid = "extension headers longer than the payload length";
            return false;
        }
    }
    ip->ext_len = (uint16_t)(off - 40);
    *next = nh;
    return true;
trunc:
    l->truncated = true;
    l->opts_cut = true; /* the 40 fixed bytes were whole: an extension header is cut */
    return false;
}

void dis_ipv6(dec_state *s, rd r, uint32_t wire)
{
    dec_layer *l = dec_push(s, DEC_IPV6, 3, &r, wire);
    if (l == NULL)
        return;
    dec_ipv6 *ip = &l->u.ip6;
    uint32_t w0;
    uint8_t v;
    RD_U8(&r, 0, v);
    if (v >> 4 != 6) { /* before anything else: it is not IPv6, however long it is */
        l->invalid = "IP version is not 6";
        return;
    }
    RD_U32(&r, 0, w0);
    RD_U16(&r, 4, ip->payload_len);
    RD_U8(&r, 6, ip->first_nh);
    RD_U8(&r, 7, ip->hop_limit);
    RD_BYTES(&r, 8, 16, ip->src);
    RD_BYTES(&r, 24, 16, ip->dst);
    ip->tclass = (uint8_t)(w0 >> 20);
    ip->flow = w0 & 0xfffff;
    l->hdr = 40;
    l->claimed = 40u + ip->payload_len;
    ip->upper = ip->first_nh;
    /* Payload length 0 with something after the header: a jumbogram (RFC 2675) or a Linux
     * BIG TCP packet captured before the NIC cuts it. Like tcpdump and Wireshark, take the
     * frame's length. */
    uint32_t plen = ip->payload_len;
    if (plen == 0 && wire > 40 && ip->first_nh != IP_PROTO_NONE) {
        plen = wire - 40;
        ip->len_from_frame = true;
        l->claimed = wire;
    }
    if (!ipv6_walk(l, &r, plen, &ip->upper)) {
        if (l->truncated)
            l->hdr = l->cap;
        return;
    }
    l->hdr = 40u + ip->ext_len;
    s->ipver = 6;
    s->ip_src = ip->src;
    s->ip_dst = ip->dst;
    uint32_t declared = plen - ip->ext_len;
    uint32_t inner_wire = (wire < l->claimed ? wire : l->claimed) - l->hdr;
    rd payload = rd_sub(&r, l->hdr, declared);
    if (ip->frag && ip->frag_offset != 0) {
        if (declared > 0)
            dis_data(s, payload, inner_wire, declared);
        return;
    }
    s->first_fragment = ip->frag && ip->frag_m;
    if (ip->upper != IP_PROTO_NONE)
        dec_ipproto(s, ip->upper, payload, inner_wire, declared);
    return;
trunc:
    dec_trunc(l);
}
