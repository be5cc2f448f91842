/*
 * dec_null.c - BSD loopback (DLT_NULL, DLT_LOOP) and raw IP link types.
 *
 * On macOS and the BSDs the loopback interface has no MAC addresses: each packet starts with a
 * 4-byte address family (2 = IPv4; IPv6 is 24, 28 or 30 depending on the OS). DLT_NULL stores it
 * in the byte order of the machine that captured it, so a file from a big-endian machine reads
 * differently: a value with its low 16 bits zero is the other byte order, and we swap it.
 *
 * Raw IP (LINKTYPE_RAW and friends) has no link header at all: the first nibble, the IP version,
 * says IPv4 or IPv6.
 */
#include "dec_impl.h"

static uint32_t swap32(uint32_t v)
{
    return v >> 24 | (v >> 8 & 0xff00) | (v << 8 & 0xff0000) | v << 24;
}

void dis_null(dec_state *s, rd r, uint32_t wire, bool network_order)
{
    dec_layer *l = dec_push(s, DEC_NULL, 2, &r, wire);
    if (l == NULL)
        return;
    uint32_t fam;
    RD_U32(&r, 0, fam);
    if (!network_order && (fam & 0xffff) == 0) /* written little-endian: swap to host value */
        fam = swap32(fam);
    l->u.null.family = fam;
    l->hdr = 4;
    rd rest = rd_sub(&r, 4, r.len);
    if (fam == NULL_AF_INET)
        dis_ipv4(s, rest, wire - 4);
    else if (fam == NULL_AF_INET6_LINUX || fam == NULL_AF_INET6_BSD ||
             fam == NULL_AF_INET6_FREEBSD || fam == NULL_AF_INET6_DARWIN)
        dis_ipv6(s, rest, wire - 4);
    else if (wire > 4)
        dis_data(s, rest, wire - 4, wire - 4);
    return;
trunc:
    dec_trunc(l);
}

void dis_rawip(dec_state *s, rd r, uint32_t wire)
{
    uint8_t first;
    RD_U8(&r, 0, first);
    if (first >> 4 == 6) { /* the version nibble */
        dis_ipv6(s, r, wire);
        return;
    }
trunc: /* any other version, or an empty packet: IPv4 reports it (empty: truncated) */
    dis_ipv4(s, r, wire);
}
