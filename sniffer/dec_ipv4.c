/*
 * dec_ipv4.c - IPv4 (RFC 791), layer 3.
 *
 *    0       4       8               16      19                      31
 *   +-------+-------+---------------+-------------------------------+
 *   |version|  IHL  |  TOS / DSCP   |         total length          |
 *   +-------+-------+---------------+-----+-------------------------+
 *   |        identification         |flags|  fragment offset (x8)   |
 *   +---------------+---------------+-----+-------------------------+
 *   |      TTL      |   protocol    |        header checksum        |
 *   +---------------+---------------+-------------------------------+
 *   |                        source address                         |
 *   |                     destination address                       |
 *   |                options (IHL > 5), padded to 32 bits           |
 *   +---------------------------------------------------------------+
 *
 * Two lengths can lie: IHL (header length in 32-bit words, at least 5) and the total length
 * (header + payload). The payload we hand on is clamped to both the total length and what was
 * captured; Ethernet padding after the total length is dropped here.
 * Fragments: only the first (offset 0) carries the transport header; later ones are data.
 */
#include "dec_impl.h"

static bool ipv4_options(dec_layer *l, const rd *r, uint32_t hdr)
{
    dec_ipv4 *ip = &l->u.ip4;
    uint32_t off = 20;
    while (off < hdr) { /* r holds all hdr bytes: checked by the caller */
        uint8_t kind = r->p[off], len = 1;
        if (kind == 0) /* end of option list */
            break;
        if (kind != 1) {
            if (off + 1 >= hdr || r->p[off + 1] < 2 || r->p[off + 1] > hdr - off) {
                l->invalid = "an IPv4 option length runs past the header";
                return false;
            }
            len = r->p[off + 1];
        }
        if (ip->nopts < DEC_MAX_OPTS)
            ip->opts[ip->nopts++] = (dec_opt){kind, len, (uint16_t)(l->off + off)};
        off += len;
    }
    return true;
}

static void ipv4_fields(dec_ipv4 *ip, const rd *r)
{
    /* The caller checked 20 bytes; these reads are inside them. */
    ip->tos = r->p[1];
    ip->total_len = rd_be16_(r->p + 2);
    ip->id = rd_be16_(r->p + 4);
    uint16_t fl = rd_be16_(r->p + 6);
    ip->df = fl & 0x4000;
    ip->mf = fl & 0x2000;
    ip->frag_offset = (uint16_t)((fl & 0x1fff) * 8);
    ip->ttl = r->p[8];
    ip->protocol = r->p[9];
    ip->cksum = rd_be16_(r->p + 10);
    memcpy(ip->src, r->p + 12, 4);
    memcpy(ip->dst, r->p + 16, 4);
}

void dis_ipv4(dec_state *s, rd r, uint32_t wire)
{
    dec_layer *l = dec_push(s, DEC_IPV4, 3, &r, wire);
    if (l == NULL)
        return;
    dec_ipv4 *ip = &l->u.ip4;
    uint8_t vihl;
    RD_U8(&r, 0, vihl);
    RD_NEED(&r, 0, 20);
    ipv4_fields(ip, &r);
    ip->hdr_len = (uint8_t)((vihl & 0x0f) * 4);
    l->claimed = ip->total_len;
    l->hdr = 20;
    if (vihl >> 4 != 4) {
        l->invalid = "IP version is not 4";
        return;
    }
    if (ip->hdr_len < 20) {
        l->invalid = "header length (IHL) below the minimum of 5 words";
        return;
    }
    RD_NEED(&r, 0, ip->hdr_len);
    l->hdr = ip->hdr_len;
    if (ip->total_len < ip->hdr_len) {
        l->invalid = "total length smaller than the header";
        return;
    }
    if (!ipv4_options(l, &r, ip->hdr_len))
        return;
    ip->ck = cksum_fold(cksum_add(0, r.p, ip->hdr_len)) == 0 ? DEC_CK_OK : DEC_CK_BAD;
    s->ipver = 4;
    s->ip_src = ip->src;
    s->ip_dst = ip->dst;
    uint32_t declared = (uint32_t)ip->total_len - ip->hdr_len;
    uint32_t inner_wire = (wire < ip->total_len ? wire : ip->total_len) - ip->hdr_len;
    rd payload = rd_sub(&r, ip->hdr_len, declared);
    if (ip->frag_offset != 0) { /* a later fragment: the transport header was in the first */
        if (declared > 0)
            dis_data(s, payload, inner_wire, declared);
        return;
    }
    dec_ipproto(s, ip->protocol, payload, inner_wire, declared);
    return;
trunc:
    dec_trunc(l);
}
