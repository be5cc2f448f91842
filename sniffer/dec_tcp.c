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

enum {
    TCP_MIN_HDR = 20, /* data offset 5: no options */
    /* option kinds (IANA "TCP Option Kind Numbers") and the lengths their RFCs fix */
    TCP_OPT_EOL = 0,
    TCP_OPT_NOP = 1,
    TCP_OPT_MSS = 2, /* RFC 9293 3.2 */
    TCP_OPT_MSS_LEN = 4,
    TCP_OPT_WSCALE = 3, /* RFC 7323 2 */
    TCP_OPT_WSCALE_LEN = 3,
    TCP_OPT_SACK_OK = 4, /* RFC 2018 2 */
    TCP_OPT_SACK_OK_LEN = 2,
    TCP_OPT_SACK = 5, /* RFC 2018 3: 2 + 8 per block */
    TCP_OPT_TS = 8,   /* RFC 7323 3 */
    TCP_OPT_TS_LEN = 10,
};

/* The SACK blocks of an option of len bytes at off (each block: left and right edge). */
static bool tcp_sack(dec_tcp *t, const rd *r, uint32_t off, uint32_t len)
{
    for (uint32_t i = 0; i < (len - 2) / 8 && t->nsack < 4; i++, t->nsack++) {
        RD_U32(r, off + 2 + 8 * i, t->sack[t->nsack][0]);
        RD_U32(r, off + 2 + 8 * i + 4, t->sack[t->nsack][1]);
    }
    return true;
trunc:
    return false;
}

/* The option of kind `kind` and length len at off, all inside the checked header. Returns false
 * when a known option has the wrong length for its kind. */
static bool tcp_known_option(dec_tcp *t, const rd *r, uint8_t kind, uint32_t off, uint32_t len)
{
    if (kind == TCP_OPT_MSS && len == TCP_OPT_MSS_LEN) {
        RD_U16(r, off + 2, t->mss);
        t->has_mss = true;
    } else if (kind == TCP_OPT_WSCALE && len == TCP_OPT_WSCALE_LEN) {
        RD_U8(r, off + 2, t->wscale);
        t->has_ws = true;
    } else if (kind == TCP_OPT_SACK_OK && len == TCP_OPT_SACK_OK_LEN) {
        t->sack_ok = true;
    } else if (kind == TCP_OPT_SACK && (len - 2) % 8 == 0) {
        return tcp_sack(t, r, off, len);
    } else if (kind == TCP_OPT_TS && len == TCP_OPT_TS_LEN) {
        RD_U32(r, off + 2, t->ts_val);
        RD_U32(r, off + 6, t->ts_ecr);
        t->has_ts = true;
    } else if (kind == TCP_OPT_MSS || kind == TCP_OPT_WSCALE || kind == TCP_OPT_SACK_OK ||
               kind == TCP_OPT_TS) {
        return false; /* a known option with the wrong length */
    }
    return true;
trunc:
    return false;
}

/* One option at off, before end; returns its length, or 0 when it is malformed. */
static uint32_t tcp_option(dec_tcp *t, const rd *r, uint32_t off, uint32_t end)
{
    uint8_t kind, len;
    RD_U8(r, off, kind);
    if (kind == TCP_OPT_EOL || kind == TCP_OPT_NOP) /* one byte, no length */
        return 1;
    if (off + 1 >= end)
        return 0;
    RD_U8(r, off + 1, len);
    if (len < 2 || len > end - off)
        return 0;
    return tcp_known_option(t, r, kind, off, len) ? len : 0;
trunc:
    return 0;
}

/* The options of a header the capture cut: those that fit in what was captured. */
static void tcp_options_captured(dec_layer *l, const rd *r)
{
    dec_tcp *t = &l->u.tcp;
    uint32_t off = TCP_MIN_HDR, end = t->hdr_len < r->len ? t->hdr_len : r->len;
    while (off < end && t->nopts < DEC_MAX_OPTS) {
        uint32_t n = tcp_option(t, r, off, end);
        uint8_t kind;
        RD_U8(r, off, kind);
        if (n == 0)
            return; /* the option runs past the capture */
        t->opts[t->nopts++] = (dec_opt){kind, (uint8_t)n, (uint16_t)(l->off + off)};
        if (kind == TCP_OPT_EOL)
            return;
        off += n;
    }
trunc:
    return;
}

static bool tcp_options(dec_layer *l, const rd *r)
{
    dec_tcp *t = &l->u.tcp;
    uint32_t off = TCP_MIN_HDR, end = t->hdr_len;
    while (off < end) {
        uint32_t n = tcp_option(t, r, off, end);
        uint8_t kind;
        RD_U8(r, off, kind);
        if (n == 0) {
            l->invalid = "a TCP option has a bad length";
            return false;
        }
        if (t->nopts < DEC_MAX_OPTS)
            t->opts[t->nopts++] = (dec_opt){kind, (uint8_t)n, (uint16_t)(l->off + off)};
        if (kind == TCP_OPT_EOL)
            break;
        off += n;
    }
    return true;
trunc:
    return false; /* not reached: the caller checked all hdr_len bytes */
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
    l->hdr = TCP_MIN_HDR;
    if (t->hdr_len < TCP_MIN_HDR) {
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
    t->ck = cksum_transport(s, IP_PROTO_TCP, r, declared, 16, false);
    if (t->payload_len > 0)
        dec_tcp_payload(s, t, rd_sub(&r, t->hdr_len, t->payload_len), wire - t->hdr_len);
    return;
trunc:
    dec_trunc(l);
    /* the 20 fixed bytes were read whole: only the options are cut (show what we have) */
    l->opts_cut = t->hdr_len > TCP_MIN_HDR && rd_has(&r, 0, TCP_MIN_HDR);
    if (l->opts_cut)
        tcp_options_captured(l, &r);
}
