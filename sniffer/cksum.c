/*
 * cksum.c - the Internet checksum (RFC 1071) and the transport pseudo-header (RFC 9293 3.1,
 * RFC 768, RFC 8200 8.1).
 *
 * The checksum is the ones' complement of the ones' complement sum of 16-bit words. A receiver
 * sums everything including the checksum field and gets 0xffff (0 after complementing) if the
 * bytes are intact. TCP, UDP and ICMPv6 also cover a "pseudo-header" of IP addresses, protocol
 * and length, so a segment delivered to the wrong address fails its checksum.
 *
 * Loopback and checksum offload: Linux leaves the TCP/UDP checksum to the NIC
 * (CHECKSUM_PARTIAL) and only writes the folded pseudo-header sum into the field; on `lo` no NIC
 * ever finishes it, so the capture shows that partial value. We recognise it and call it
 * "unverifiable (offload)", not wrong.
 */
#include "dec_impl.h"

uint32_t cksum_add(uint32_t sum, const uint8_t *p, uint32_t n)
{
    uint32_t i = 0;
    for (; i + 1 < n; i += 2) {
        sum += (uint32_t)p[i] << 8 | p[i + 1];
        sum = (sum & 0xffff) + (sum >> 16); /* fold as we go: no overflow for any length */
    }
    if (i < n)
        sum += (uint32_t)p[i] << 8; /* an odd last byte is padded with a zero */
    return sum;
}

uint16_t cksum_fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

static uint32_t pseudo_sum(const dec_state *s, uint8_t proto, uint32_t len)
{
    uint32_t alen = s->ipver == 6 ? 16 : 4;
    uint32_t sum = cksum_add(0, s->ip_src, alen);
    sum = cksum_add(sum, s->ip_dst, alen);
    sum += proto;
    sum += len >> 16;
    sum += len & 0xffff;
    return sum;
}

dec_cksum cksum_transport(const dec_state *s, uint8_t proto, rd r, uint32_t declared,
                          uint32_t ck_off, bool zero_means_none)
{
    uint16_t stored;
    if (!rd_has(&r, ck_off, 2))
        return DEC_CK_UNCHECKED;
    stored = rd_be16_(r.p + ck_off);
    if (zero_means_none && stored == 0)
        return DEC_CK_NONE;
    if (s->ipver == 0 || r.len < declared)
        return DEC_CK_UNCHECKED; /* some covered bytes were not captured */
    uint32_t ph = proto == 1 ? 0 : pseudo_sum(s, proto, declared); /* ICMPv4: no pseudo-header */
    if (cksum_fold(cksum_add(ph, r.p, declared)) == 0)
        return DEC_CK_OK;
    uint16_t partial = (uint16_t)~cksum_fold(ph); /* the folded pseudo-header sum */
    if (proto != 1 && stored == partial)
        return DEC_CK_PARTIAL;
    return DEC_CK_BAD;
}
