/*
 * dec_tcp.c - TCP (RFC 9293), layer 4, with its options (MSS, window scale RFC 7323, SACK
 * RFC 2018, timestamps RFC 7323).
 *
 *    0               16              31
 *   +---------------+---------------+
 *   |  source port  |  dest port    |
 *   +---------------+---------------+
 *   |        sequence number        |
 *   |     acknowledgment number     |
 *   +----+----+-----+---------------+
 *   |off |rsv|flags |    window     |   off: header length in 32-bit words (5..15)
 *   +----+----+-----+---------------+   flags: CWR ECE URG ACK PSH RST SYN FIN
 *   |   checksum    | urgent pointer|
 *   +---------------+---------------+
 *   |  options (off > 5) ...        |
 *
 * TCP has no length field: the segment's payload length is what the IP header declares minus
 * the TCP header. That declared length is payload_len, even when the capture kept less.
 */
#include "dec_impl.h"

/* One option at off (kind already read); returns its length, or 0 when it is malformed. */
static uint32_t tcp_option(dec_tcp *t, const rd *r, uint32_t off, uint32_t end)
{
    uint8_t kind = r->p[off];
    if (kind == 0 || kind == 1) /* end of list, no-operation: one byte, no length */
        return 1;
    if (off + 1 >= end)
        return 0;
    uint32_t len = r->p[off + 1];
    if (len < 2 || len > end - off)
        return 0;
    const uint8_t *v = r->p + off + 2;
    if (kind == 2 && len == 4) {
        t->has_mss = true;
        t->mss = rd_be16_(v);
    } else if (kind == 3 && len == 3) {
        t->has_ws = true;
        t->wscale = v[0];
    } else if (kind == 4 && len == 2) {
        t->sack_ok = true;
    } else if (kind == 5 && (len - 2) % 8 == 0) {
        for (uint32_t i = 0; i < (len - 2) / 8 && t->nsack < 4; i++, t->nsack++) {
            t->sack[t->nsack][0] = rd_be32_(v + 8 * i);
            t->sack[t->nsack][1] = rd_be32_(v + 8 * i + 4);
        }
    } else if (kind == 8 && len == 10) {
        t->has_ts = true;
        t->ts_val = rd_be32_(v);
        t->ts_ecr = rd_be32_(v + 4);
    } else if (kind == 2 || kind == 3 || kind == 4 || kind == 8) {
        return 0; /* a known option with the wrong length */
    }
    return len;
}

static bool tcp_options(dec_layer *l, const rd *r)
{
    dec_tcp *t = &l->u.tcp;
    uint32_t off = 20, end = t->hdr_len; /* all of [0, end) was checked by the caller */
    while (off < end) {
        uint32_t n = tcp_option(t, r, off, end);
        if (n == 0) {
            l->invalid = "a TCP option has a bad length";
            return false;
        }
        if (t->nopts < DEC_MAX_OPTS)
            t->opts[t->nopts++] = (dec_opt){r->p[off], (uint8_t)n, (uint16_t)(l->off + off)};
        if (r->p[off] == 0)
            break;
        off += n;
    }
    return true;
}

void dis_tcp(dec_state *s, rd r, uint32_t wire, uint32_t declared)
{
    dec_layer *l = dec_push(s, DEC_TCP, 4, &r, wire);
    if (l == NULL)
        return;
    dec_tcp *t = &l->u.tcp;
    uint8_t offb;
    RD_U16(&r, 0, t->sport);
    RD_U16(&r, 2, t->dport);
    RD_U32(&r, 4, t->seq);
    RD_U32(&r, 8, t->ack);
    RD_U8(&r, 12, offb);
    RD_U8(&r, 13, t->flags);
    RD_U16(&r, 14, t->window);
    RD_U16(&r, 16, t->cksum);
    RD_U16(&r, 18, t->urg);
    t->hdr_len = (uint8_t)((offb >> 4) * 4);
    l->hdr = 20;
    if (t->hdr_len < 20) {
        l->invalid = "data offset below the minimum of 5 words";
        return;
    }
    RD_NEED(&r, 0, t->hdr_len);
    l->hdr = t->hdr_len;
    if (declared < t->hdr_len) {
        l->invalid = "header longer than the IP payload";
        return;
    }
    t->payload_len = declared - t->hdr_len;
    if (!tcp_options(l, &r))
        return;
    t->ck = cksum_transport(s, 6, r, declared, 16, false);
    if (t->payload_len > 0)
        dec_tcp_payload(s, t, rd_sub(&r, t->hdr_len, t->payload_len), wire - t->hdr_len);
    return;
trunc:
    dec_trunc(l);
}
