/*
 * dec_eth.c - Ethernet II and 802.1Q VLAN tags (layer 2, data link).
 *
 * Ethernet II header (IEEE 802.3 clause 3, "DIX" framing), 14 bytes; the preamble and the FCS
 * are stripped by the NIC and never reach a capture:
 *
 *    0                   6                  12       14
 *   +-------------------+------------------+--------+---------------
 *   | destination MAC   | source MAC       | type   | payload (46-1500 bytes, padded)
 *   +-------------------+------------------+--------+---------------
 *
 * A type below 0x0600 is an 802.3 length, not an EtherType; we leave such frames as data.
 *
 * An 802.1Q tag sits where the type was: 0x8100, then 2 bytes TCI (3 bits priority, 1 bit
 * drop eligible, 12 bits VLAN id), then the real EtherType.
 */
#include "dec_impl.h"

void dis_eth(dec_state *s, rd r, uint32_t wire)
{
    dec_layer *l = dec_push(s, DEC_ETH, 2, &r, wire);
    if (l == NULL)
        return;
    dec_eth *e = &l->u.eth;
    RD_BYTES(&r, 0, 6, e->dst);
    RD_BYTES(&r, 6, 6, e->src);
    RD_U16(&r, 12, e->type);
    l->hdr = 14;
    if (e->type < ETHERTYPE_MIN) { /* 802.3 length field: LLC follows, which we do not decode */
        dis_data(s, rd_sub(&r, 14, e->type), wire - 14, e->type);
        return;
    }
    dec_ethertype(s, e->type, rd_sub(&r, 14, r.len), wire - 14);
    return;
trunc:
    dec_trunc(l);
}

void dis_vlan(dec_state *s, rd r, uint32_t wire)
{
    dec_layer *l = dec_push(s, DEC_VLAN, 2, &r, wire);
    if (l == NULL)
        return;
    dec_vlan *v = &l->u.vlan;
    uint16_t tci;
    RD_U16(&r, 0, tci);
    RD_U16(&r, 2, v->type);
    v->pcp = (uint8_t)(tci >> 13);
    v->dei = (uint8_t)(tci >> 12 & 1);
    v->id = tci & 0x0fff;
    l->hdr = 4;
    dec_ethertype(s, v->type, rd_sub(&r, 4, r.len), wire - 4);
    return;
trunc:
    dec_trunc(l);
}
