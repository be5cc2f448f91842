/*
 * dec_icmp.c - ICMP (RFC 792) and ICMPv6 (RFC 4443). Numbered layer 3 in this sniffer: ICMP is
 * carried inside IP but is IP's own control protocol ("an integral part of IP", RFC 792), not a
 * transport for applications (see README.md).
 *
 *    0       8       16              31
 *   +-------+-------+---------------+
 *   | type  | code  |   checksum    |
 *   +-------+-------+---------------+
 *   |  rest of header (4 bytes)     |   echo: identifier, sequence number
 *   +-------------------------------+
 *   |  data: the ping payload, or the start of the packet an error is about
 *
 * An error's quoted packet is decoded as more layers after the ICMP one (IPv4 or IPv6, then
 * the first 8 bytes of TCP or UDP): that is how the sender learns which of its connections
 * the error is about. Its lengths claim more than was quoted, so its last layer is truncated.
 *
 * The ICMPv4 checksum covers the ICMP message only; the ICMPv6 one also covers the IPv6
 * pseudo-header (source, destination, length, next header 58).
 */
#include "dec_impl.h"

enum {
    ICMP_HDR = 8, /* type, code, checksum, and the 4 bytes of "rest of header" */
    /* ICMPv4 types (RFC 792) */
    ICMP_ECHO_REPLY = 0,
    ICMP_DEST_UNREACH = 3,
    ICMP_SOURCE_QUENCH = 4,
    ICMP_REDIRECT = 5,
    ICMP_ECHO_REQUEST = 8,
    ICMP_TIME_EXCEEDED = 11,
    ICMP_PARAM_PROBLEM = 12,
    /* ICMPv6 types (RFC 4443): errors are 1 to 127, informational messages 128 to 255 */
    ICMPV6_DEST_UNREACH = 1,
    ICMPV6_PARAM_PROBLEM = 4, /* the last error type that quotes a packet */
    ICMPV6_ECHO_REQUEST = 128,
    ICMPV6_ECHO_REPLY = 129,
};

/* Error messages quote the start of the packet they are about (RFC 792: its IP header and the
 * first 8 bytes of its payload, which hold the ports): destination unreachable, source quench,
 * redirect, time exceeded, parameter problem; ICMPv6 types 1 to 4. */
static bool icmp_is_error(uint8_t type, bool v6)
{
    return v6 ? type >= ICMPV6_DEST_UNREACH && type <= ICMPV6_PARAM_PROBLEM
              : type == ICMP_DEST_UNREACH || type == ICMP_SOURCE_QUENCH || type == ICMP_REDIRECT ||
                    type == ICMP_TIME_EXCEEDED || type == ICMP_PARAM_PROBLEM;
}

static void icmp_common(dec_state *s, rd r, uint32_t wire, uint32_t declared, bool v6)
{
    dec_layer *l = dec_push(s, v6 ? DEC_ICMPV6 : DEC_ICMP, 3, &r, wire);
    if (l == NULL)
        return;
    dec_icmp *ic = &l->u.icmp;
    l->claimed = declared;
    RD_U8(&r, 0, ic->type);
    RD_U8(&r, 1, ic->code);
    RD_U16(&r, 2, ic->cksum);
    l->hdr = 4;
    RD_U32(&r, 4, ic->rest);
    l->hdr = ICMP_HDR;
    ic->echo = v6 ? (ic->type == ICMPV6_ECHO_REQUEST || ic->type == ICMPV6_ECHO_REPLY)
                  : (ic->type == ICMP_ECHO_REQUEST || ic->type == ICMP_ECHO_REPLY);
    ic->id = (uint16_t)(ic->rest >> 16);
    ic->seq = (uint16_t)ic->rest;
    if (declared < ICMP_HDR) {
        l->invalid = "shorter than the 8-byte ICMP header";
        return;
    }
    ic->ck = cksum_transport(s, v6 ? IP_PROTO_ICMPV6 : IP_PROTO_ICMP, r, declared, 2, false);
    if (icmp_is_error(ic->type, v6) && declared > ICMP_HDR) { /* decode the quoted packet too */
        uint32_t inner_wire = (wire < declared ? wire : declared) - ICMP_HDR;
        rd quoted = rd_sub(&r, ICMP_HDR, declared - ICMP_HDR);
        if (v6)
            dis_ipv6(s, quoted, inner_wire);
        else
            dis_ipv4(s, quoted, inner_wire);
    }
    return;
trunc:
    dec_trunc(l);
}

void dis_icmp(dec_state *s, rd r, uint32_t wire, uint32_t declared)
{
    icmp_common(s, r, wire, declared, false);
}

void dis_icmpv6(dec_state *s, rd r, uint32_t wire, uint32_t declared)
{
    icmp_common(s, r, wire, declared, true);
}
