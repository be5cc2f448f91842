/*
 * dec_sll.c - Linux "cooked" captures, SLL and SLL2 (layer 2, as libpcap rebuilds it).
 *
 * `tcpdump -i any` cannot show one link header for every interface, so libpcap replaces it with
 * its own pseudo-header saying who sent the packet and which protocol (EtherType) it carries.
 *
 * SLL (LINKTYPE_LINUX_SLL, 16 bytes):
 *   0 packet type | 2 ARPHRD type | 4 address length | 6 address (8 bytes) | 14 protocol
 * SLL2 (LINKTYPE_LINUX_SLL2, 20 bytes):
 *   0 protocol | 2 reserved | 4 interface index | 8 ARPHRD type | 10 packet type (1) |
 *   11 address length (1) | 12 address (8 bytes)
 */
#include "dec_impl.h"

/* The protocol field: an EtherType, except a few Linux values for non-Ethernet payloads. */
static void sll_next(dec_state *s, uint16_t protocol, rd r, uint32_t wire)
{
    if (protocol >= ETHERTYPE_MIN)
        dec_ethertype(s, protocol, r, wire);
    else if (wire > 0)
        dis_data(s, r, wire, wire);
}

void dis_sll(dec_state *s, rd r, uint32_t wire)
{
    dec_layer *l = dec_push(s, DEC_SLL, 2, &r, wire);
    if (l == NULL)
        return;
    dec_sll *h = &l->u.sll;
    RD_U16(&r, 0, h->pkttype);
    RD_U16(&r, 2, h->hatype);
    RD_U16(&r, 4, h->halen);
    RD_BYTES(&r, 6, 8, h->addr);
    RD_U16(&r, 14, h->protocol);
    l->hdr = 16;
    sll_next(s, h->protocol, rd_sub(&r, 16, r.len), wire - 16);
    return;
trunc:
    dec_trunc(l);
}

void dis_sll2(dec_state *s, rd r, uint32_t wire)
{
    dec_layer *l = dec_push(s, DEC_SLL2, 2, &r, wire);
    if (l == NULL)
        return;
    dec_sll *h = &l->u.sll;
    uint8_t pkttype, halen;
    RD_U16(&r, 0, h->protocol);
    RD_U32(&r, 4, h->ifindex);
    RD_U16(&r, 8, h->hatype);
    RD_U8(&r, 10, pkttype);
    RD_U8(&r, 11, halen);
    RD_BYTES(&r, 12, 8, h->addr);
    h->pkttype = pkttype;
    h->halen = halen;
    l->hdr = 20;
    sll_next(s, h->protocol, rd_sub(&r, 20, r.len), wire - 20);
    return;
trunc:
    dec_trunc(l);
}
