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

enum {
    IPV4_MIN_HDR = 20,       /* IHL 5: no options */
    IPV4_FLAG_DF = 0x4000,   /* don't fragment */
    IPV4_FLAG_MF = 0x2000,   /* more fragments */
    IPV4_FRAG_MASK = 0x1fff, /* fragment offset, in 8-byte units */
    IPV4_OPT_EOL = 0,        /* end of option list (RFC 791) */
    IPV4_OPT_NOP = 1,        /* no-operation: one byte, no length */
};

/* The options between byte 20 and hdr. Returns 1 when they are well formed, 0 when an option
 * length contradicts the header (l->invalid says so), -1 when the capture ends inside them. */
static int ipv4_options(dec_layer *l, const rd *r, uint32_t hdr)
{
    dec_ipv4 *ip = &l->u.ip4;
    uint32_t off = IPV4_MIN_HDR;
    while (off < hdr) {
        uint8_t kind, len = 1;
        RD_U8(r, off, kind);
        if (kind == IPV4_OPT_EOL)
            break;
        if (kind != IPV4_OPT_NOP) {
            if (off + 1 < hdr)
                RD_U8(r, off + 1, len);
            if (off + 1 >= hdr || len < 2 || len > hdr - off) {
                l->invalid = "an IPv4 option length runs past the header";
                return 0;
            }
        }
        if (ip->nopts < DEC_MAX_OPTS)
            ip->opts[ip->nopts++] = (dec_opt){kind, len, (uint16_t)(l->off + off)};
        off += len;
    }
    return 1;
trunc:
    return -1;
}

/* The fixed 20-byte header. Returns false when the capture ends inside it. */
static bool ipv4_fields(dec_ipv4 *ip, const rd *r)
{
    uint16_t fl;
    RD_U8(r, 1, ip->tos);
    RD_U16(r, 2, ip->total_len);
    RD_U16(r, 4, ip->id);
    RD_U16(r, 6, fl);
    RD_U8(r, 8, ip->ttl);
    RD_U8(r, 9, ip->protocol);
    RD_U16(r, 10, ip->cksum);
    RD_BYTES(r, 12, 4, ip->src);
    RD_BYTES(r, 16, 4, ip->dst);
    ip->df = fl & IPV4_FLAG_DF;
    ip->mf = fl & IPV4_FLAG_MF;
    ip->frag_offset = (uint16_t)((fl & IPV4_FRAG_MASK) * 8);
    return true;
trunc:
    return false;
}

void dis_ipv4(dec_state *s, rd r, uint32_t wire)
{
    dec_layer *l = dec_push(s, DEC_IPV4, 3, &r, wire);
    if (l == NULL)
        return;
    dec_ipv4 *ip = &l->u.ip4;
    uint8_t vihl;
    RD_U8(&r, 0, vihl);
    if (vihl >> 4 != 4) { /* before anything else: it is not IPv4, however long it is */
        l->invalid = "IP version is not 4";
        return;
    }
    if (!ipv4_fields(ip, &r))
        goto trunc;
    ip->hdr_len = (uint8_t)((vihl & 0x0f) * 4);
    l->claimed = ip->total_len;
    l->hdr = IPV4_MIN_HDR;
    if (ip->hdr_len < IPV4_MIN_HDR) {
        l->invalid = "header length (IHL) below the minimum of 5 words";
        return;
    }
    RD_NEED(&r, 0, ip->hdr_len);
    l->hdr = ip->hdr_len;
    /* Total length 0: a sender that hands the NIC one large TCP segment to cut up (TSO, Linux
     * BIG TCP) captures it before the cut, with no length to write. tcpdump and Wireshark then
     * take the frame's own length, and so do we. */
    uint32_t total = ip->total_len;
    if (total == 0) {
        total = wire;
        ip->len_from_frame = true;
    }
    if (total < ip->hdr_len) {
        l->invalid = "total length smaller than the header";
        return;
    }
    if (ipv4_options(l, &r, ip->hdr_len) != 1)
        return; /* cannot be -1: RD_NEED above checked all hdr_len bytes */
    ip->ck = cksum_fold(cksum_add(0, r.p, ip->hdr_len)) == 0 ? DEC_CK_OK : DEC_CK_BAD;
    s->ipver = 4;
    s->ip_src = ip->src;
    s->ip_dst = ip->dst;
    uint32_t declared = total - ip->hdr_len;
    uint32_t inner_wire = (wire < total ? wire : total) - ip->hdr_len;
    rd payload = rd_sub(&r, ip->hdr_len, declared);
    if (ip->frag_offset != 0) { /* a later fragment: the transport header was in the first */
        if (declared > 0)
            dis_data(s, payload, inner_wire, declared);
        return;
    }
    /* A first fragment: its transport header is whole, but the length in it counts the later
     * fragments too. The layers inside say "fragment" where their bytes stop, not truncated. */
    ip->first_fragment = ip->mf;
    s->first_fragment = ip->mf;
    dec_ipproto(s, ip->protocol, payload, inner_wire, declared);
    return;
trunc:
    dec_trunc(l);
    /* the 20 fixed bytes were read whole: only the options are cut (show what we have) */
    l->opts_cut = ip->hdr_len > IPV4_MIN_HDR && rd_has(&r, 0, IPV4_MIN_HDR);
}
