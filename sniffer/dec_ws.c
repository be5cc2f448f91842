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
 * TCP is a byte stream, so frame boundaries and segment boundaries are unrelated. A segment may
 * hold several frames, the rest of a frame's payload begun earlier (hints->ws_skip bytes), or
 * the first bytes of a header whose rest is in the next segment. That last header is a layer
 * marked truncated, and its bytes go back to the caller (pkt->ws_head), who hands them in with
 * the next segment of the same direction (hints->ws_head) so the header can be read whole.
 * pkt->ws_carry says how much of the last frame's payload is still to come.
 *
 * The header itself is read by ws_handshake/ws_frame.h, the same codec ws_server and ws_client
 * use: the sniffer shows a frame exactly as the programs read it.
 */
#include "dec_impl.h"
#include "ws_frame.h"

/* One frame header from r at off, read by ws_handshake's own codec: ws_frame_describe needs no
 * connection, and ws_frame_header_check names the RFC rule a header breaks (for the direction
 * the frame travels: a server must get masked frames, a client unmasked ones). Returns the
 * header's length, or 0 when the bytes end inside it. */
static uint32_t ws_header(dec_state *s, dec_layer *l, const rd *r, uint32_t off)
{
    ws_frame_header h;
    if (off > r->len || ws_frame_describe(r->p + off, r->len - off, &h, NULL) != WS_HDR_OK)
        return 0;
    dec_ws *w = &l->u.ws;
    w->fin = h.fin;
    w->rsv = (uint8_t)h.rsv;
    w->opcode = (uint8_t)h.opcode;
    w->masked = h.masked;
    w->payload_len = h.payload_len;
    memcpy(w->mask, h.mask, sizeof w->mask);
    ws_error e =
        ws_frame_header_check(&h, s->hints->ws_from_client ? WS_ROLE_SERVER : WS_ROLE_CLIENT);
    if (e != WS_OK)
        l->invalid = ws_strerror(e);
    return (uint32_t)h.header_len;
}

/* A header that does not end in this segment: keep its bytes for the next one. */
static void ws_cut(dec_state *s, dec_layer *l, const uint8_t *p, uint32_t n)
{
    dec_trunc(l);
    if (n <= DEC_WS_MAX_HDR) {
        memcpy(s->pkt->ws_head, p, n);
        s->pkt->ws_head_len = (uint8_t)n;
    }
}

/* The payload after a header that ends at seg_off in the segment; returns where the next frame
 * starts, or wire when the payload goes on past this segment. */
static uint32_t ws_payload(dec_state *s, dec_ws *w, const rd *r, uint32_t wire, uint32_t seg_off)
{
    uint32_t room = wire - seg_off; /* payload bytes of this segment after the header */
    uint32_t cap = rd_left(r, seg_off), next;
    if (w->payload_len > room) {
        w->continues = true;
        s->pkt->ws_carry = w->payload_len - room;
        w->payload_cap = cap;
        next = wire;
    } else {
        w->payload_cap = (uint32_t)w->payload_len < cap ? (uint32_t)w->payload_len : cap;
        next = seg_off + (uint32_t)w->payload_len;
    }
    /* On an Engine.IO flow the payload is an Engine.IO packet: a layer of its own (dec_sio.c) */
    dis_sio_ws(s, w, rd_sub(r, seg_off, w->payload_cap), next - seg_off);
    return next;
}

/* The frame whose header began in the previous segment: join the two pieces of the header. */
static uint32_t ws_joined(dec_state *s, const rd *r, uint32_t wire)
{
    uint8_t buf[2 * DEC_WS_MAX_HDR];
    uint32_t had = s->hints->ws_head_len, take = r->len < DEC_WS_MAX_HDR ? r->len : DEC_WS_MAX_HDR;
    memcpy(buf, s->hints->ws_head, had);
    memcpy(buf + had, r->p, take);
    rd j = rd_make(buf, had + take);
    dec_layer *l = dec_push(s, DEC_WS, 7, r, wire);
    if (l == NULL)
        return wire;
    dec_ws *w = &l->u.ws;
    uint32_t hl = ws_header(s, l, &j, 0);
    if (hl == 0) { /* still not whole (or not captured) */
        ws_cut(s, l, buf, had + take);
        return wire;
    }
    w->joined = true;
    w->hdr_len = (uint8_t)hl;
    l->hdr = hl - had; /* only these header bytes are in this segment */
    return ws_payload(s, w, r, wire, hl - had);
}

static void ws_frames(dec_state *s, const rd *r, uint32_t wire, uint32_t off)
{
    while (off < wire) {
        rd fr = rd_sub(r, off, r->len);
        dec_layer *l = dec_push(s, DEC_WS, 7, &fr, wire - off);
        if (l == NULL)
            return;
        dec_ws *w = &l->u.ws;
        uint32_t hl = ws_header(s, l, r, off);
        if (hl == 0) { /* the header continues in the next segment, or was not captured */
            ws_cut(s, l, fr.p, r->len < wire ? DEC_WS_MAX_HDR + 1 : fr.len);
            return;
        }
        w->hdr_len = (uint8_t)hl;
        l->hdr = hl;
        off = ws_payload(s, w, r, wire, off + hl);
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
    uint32_t off = (uint32_t)skip;
    if (skip == 0 && s->hints->ws_head_len > 0)
        off = ws_joined(s, &r, wire);
    ws_frames(s, &r, wire, off);
}
