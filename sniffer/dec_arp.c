/*
 * dec_arp.c - ARP, the Address Resolution Protocol (RFC 826). Numbered layer 2 in this sniffer,
 * as RFC 1122 (2.3.2) and the TCP/IP model place it: it runs straight on Ethernet, never
 * leaves the local link, and exists to find a MAC address for an IP address on this link
 * (textbooks that call it "layer 2.5" or layer 3 have a point too; see README.md).
 *
 *    0        2        4    5    6        8
 *   +--------+--------+----+----+--------+----------------------------------------------+
 *   | htype  | ptype  |hlen|plen| op     | sender MAC | sender IP | target MAC | target IP |
 *   +--------+--------+----+----+--------+----------------------------------------------+
 *   htype 1 = Ethernet, ptype 0x0800 = IPv4, hlen 6, plen 4: then the addresses take 20 bytes.
 */
#include "dec_impl.h"

void dis_arp(dec_state *s, rd r, uint32_t wire)
{
    dec_layer *l = dec_push(s, DEC_ARP, 2, &r, wire);
    if (l == NULL)
        return;
    dec_arp *a = &l->u.arp;
    RD_U16(&r, 0, a->htype);
    RD_U16(&r, 2, a->ptype);
    RD_U8(&r, 4, a->hlen);
    RD_U8(&r, 5, a->plen);
    RD_U16(&r, 6, a->op);
    uint32_t need = 8 + 2 * ((uint32_t)a->hlen + a->plen);
    RD_NEED(&r, 0, need);
    l->hdr = need;
    l->claimed = need;
    /* The addresses sit one after the other, each as long as its length byte says:
     * sender hardware, sender protocol, target hardware, target protocol. IPv4 addresses are
     * read whatever the hardware (InfiniBand's are 20 bytes, FireWire's 16). */
    uint32_t spa_off = 8u + a->hlen, tha_off = spa_off + a->plen, tpa_off = tha_off + a->hlen;
    a->ipv4 = a->ptype == ETHERTYPE_IPV4 && a->plen == 4;
    a->ipv4_eth = a->ipv4 && a->htype == ARP_HW_ETHERNET && a->hlen == 6;
    if (a->ipv4) {
        RD_BYTES(&r, spa_off, 4, a->spa);
        RD_BYTES(&r, tpa_off, 4, a->tpa);
    }
    if (a->ipv4_eth) {
        RD_BYTES(&r, 8, 6, a->sha);
        RD_BYTES(&r, tha_off, 6, a->tha);
    }
    return; /* what follows in the frame is Ethernet padding, not payload */
trunc:
    dec_trunc(l);
}
