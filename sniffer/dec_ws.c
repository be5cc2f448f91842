/*
 * dec_ws.c - WebSocket frame headers (RFC 6455 section 5.2), layer 7, as many as one TCP
 * segment carries.
 *
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-------+-+-------------+-------------------------------+
 *   |F|R|R|R| opcode|M| payload len |   extended payload length     |
 *   |I|S|S|S|  (4)  |A|     (7)     |  (16 bits if 126, 64 if 127)  |
 *   |N|V|V|V|       |S|             |                               |
 *   +-+-+-+-+-------+-+-------------+-------------------------------+
 *   |  masking key (4 bytes, only when MASK is set: client to server)|
 *   +---------------------------------------------------------------+
 *   |  payload ...
 *
 * TCP is a byte stream: a segment may hold several frames, the end of a frame begun earlier
 * (hints->ws_skip), or a frame header cut in two by the segment end (that last layer is marked
 * truncated). pkt->ws_carry tells the caller how much of the last frame is still to come.
 */
#include "dec_impl.h"

/* One frame header at off; returns its length, or 0 when the bytes end inside it. */
static uint32_t ws_header(dec_ws *w, const rd *r, uint32_t off)
{
    uint8_t b0, b1;
    uint32_t n = 2;
    RD_U8(r, off, b0);
    RD_U8(r, off + 1, b1);
    w->fin = b0 & 0x80;
    w->rsv = (uint8_t)(b0 >> 4 & 7);
    w->opcode = b0 & 0x0f;
    w->masked = b1 & 0x80;
    w->payload_len = b1 & 0x7f;
    if (w->payload_len == 126) {
        uint16_t v;
        RD_U16(r, off + 2, v);
        w->payload_len = v;
        n = 4;
    } else if (w->payload_len == 127) {
        uint32_t hi, lo;
        RD_U32(r, off + 2, hi);
        RD_U32(r, off + 6, lo);
        w->payload_len = (uint64_t)hi << 32 | lo;
        n = 10;
    }
    if (w->masked) {
        RD_BYTES(r, off + n, 4, w->mask);
        n += 4;
    }
    return n;
trunc:
    return 0;
}

/* Decode frames from off to the end of the segment. */
static void ws_frames(dec_state *s, const rd *r, uint32_t wire, uint32_t off)
{
    while (off < wire) {
        rd fr = rd_sub(r, off, r->len);
        dec_layer *l = dec_push(s, DEC_WS, 7, &fr, wire - off);
        if (l == NULL)
            return;
        dec_ws *w = &l->u.ws;
        uint32_t hl = ws_header(w, r, off);
        if (hl == 0) { /* the header continues in the next segment, or was not captured */
            dec_trunc(l);
            return;
        }
        w->hdr_len = (uint8_t)hl;
        l->hdr = hl;
        uint32_t room = wire - off - hl; /* payload bytes of this segment after the header */
        if (w->payload_len > room) {
            w->continues = true;
            s->pkt->ws_carry = w->payload_len - room;
            w->payload_cap = rd_left(r, off + hl);
            return;
        }
        w->payload_cap = (uint32_t)w->payload_len;
        if (w->payload_cap > rd_left(r, off + hl))
            w->payload_cap = rd_left(r, off + hl);
        off += hl + (uint32_t)w->payload_len;
    }
}

void dis_ws(dec_state *s, rd r, uint32_t wire)
{
    uint64_t skip = s->hints->ws_skip;
    if (skip >= wire) { /* the whole segment is the middle of one frame's payload */
        s->pkt->ws_carry = skip - wire;
        dis_data(s, r, wire, wire);
        return;
    }
    ws_frames(s, &r, wire, (uint32_t)skip);
}
