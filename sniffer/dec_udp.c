/*
 * dec_udp.c - UDP (RFC 768), layer 4.
 *
 *    0               16              31
 *   +---------------+---------------+
 *   |  source port  |  dest port    |
 *   +---------------+---------------+
 *   |    length     |   checksum    |   length: header + data, at least 8
 *   +---------------+---------------+
 *   |  data ...
 *
 * That is all of it: no connection, no sequence numbers, no retransmission. The length field
 * is a second claim next to the IP header's; payload_len is length - 8, and what we hand on is
 * clamped to what was captured. A checksum of 0 over IPv4 means "none computed".
 */
#include "dec_impl.h"

void dis_udp(dec_state *s, rd r, uint32_t wire, uint32_t declared)
{
    dec_layer *l = dec_push(s, DEC_UDP, 4, &r, wire);
    if (l == NULL)
        return;
    dec_udp *u = &l->u.udp;
    RD_U16(&r, 0, u->sport);
    RD_U16(&r, 2, u->dport);
    RD_U16(&r, 4, u->length);
    RD_U16(&r, 6, u->cksum);
    l->hdr = 8;
    l->claimed = u->length;
    if (u->length < 8) {
        l->invalid = "length field below the 8-byte header";
        return;
    }
    if (u->length > declared && !s->first_fragment) /* a first fragment's goes on */
        l->invalid = "length field beyond the IP payload";
    u->payload_len = (uint32_t)u->length - 8;
    u->ck = l->invalid || u->length > declared
                ? DEC_CK_UNCHECKED
                : cksum_transport(s, IP_PROTO_UDP, r, u->length, 6, s->ipver == 4);
    uint32_t inner_wire = (wire < u->length ? wire : u->length) - 8;
    if (u->payload_len > 0)
        dec_udp_payload(s, u, rd_sub(&r, 8, u->payload_len), inner_wire);
    return;
trunc:
    dec_trunc(l);
}
