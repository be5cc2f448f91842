/*
 * ws_frame.c - reading and writing RFC 6455 frames over byte buffers (no sockets here).
 *
 * What it teaches: how a streaming decoder turns "whatever recv() returned" into frames. The
 * decoder is a small state machine (ws_decoder_state): HEADER collects the 2..14 header bytes,
 * PAYLOAD copies and unmasks the payload, then back to HEADER. Bytes may arrive one at a time
 * or many frames at once; "need more bytes" is the normal case, not an error. Each RFC rule is
 * checked where its bytes are read and earns a named error (ws_error) and a close code.
 * This file holds the one readable version (ws_decoder_feed_stepwise). Programs go through
 * ws_decoder_feed, which lets ws_frame_fast.c take whole frames without the state machine;
 * masking itself is in ws_mask.c.
 * Try it: build/tests/test_ws_frame feeds every frame split at every byte boundary.
 */
#include "ws_frame.h"
#include "ws_frame_fast.h"
#include "ws_frame_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- errors, names, close codes ---- */

static const struct {
    ws_error err;
    const char *name;
    int close_code;
    const char *text;
} error_table[] = {
    {WS_E_RSV, "WS_E_RSV", 1002, "reserved bits set without an extension"},
    {WS_E_OPCODE, "WS_E_OPCODE", 1002, "reserved opcode"},
    {WS_E_CONTROL_TOO_LONG, "WS_E_CONTROL_TOO_LONG", 1002, "control frame over 125 bytes"},
    {WS_E_CONTROL_FRAGMENTED, "WS_E_CONTROL_FRAGMENTED", 1002, "control frame without FIN"},
    {WS_E_LENGTH_NOT_MINIMAL, "WS_E_LENGTH_NOT_MINIMAL", 1002,
     "payload length not in its shortest encoding"},
    {WS_E_LENGTH_HIGH_BIT, "WS_E_LENGTH_HIGH_BIT", 1002, "64-bit length with the high bit set"},
    {WS_E_NOT_MASKED, "WS_E_NOT_MASKED", 1002, "client frame not masked"},
    {WS_E_MASKED, "WS_E_MASKED", 1002, "server frame masked"},
    {WS_E_CONT_NOTHING_OPEN, "WS_E_CONT_NOTHING_OPEN", 1002,
     "continuation frame with no message open"},
    {WS_E_DATA_WHILE_OPEN, "WS_E_DATA_WHILE_OPEN", 1002,
     "new data frame while a fragmented message is open"},
    {WS_E_TOO_BIG, "WS_E_TOO_BIG", 1009, "message larger than the limit"},
    {WS_E_UTF8, "WS_E_UTF8", 1007, "text message is not valid UTF-8"},
    {WS_E_CLOSE_LEN1, "WS_E_CLOSE_LEN1", 1002, "close frame with a 1-byte payload"},
    {WS_E_CLOSE_CODE, "WS_E_CLOSE_CODE", 1002, "close code reserved or out of range"},
    {WS_E_CLOSE_UTF8, "WS_E_CLOSE_UTF8", 1007, "close reason is not valid UTF-8"},
    {WS_E_NOMEM, "WS_E_NOMEM", 1011, "out of memory for the message"},
};

#define N_ERRORS (sizeof error_table / sizeof error_table[0])

const char *ws_error_name(int err)
{
    for (size_t i = 0; i < N_ERRORS; i++)
        if ((int)error_table[i].err == err)
            return error_table[i].name;
    return err == 0 ? "WS_OK" : "WS_E_UNKNOWN";
}

const char *ws_strerror(int err)
{
    for (size_t i = 0; i < N_ERRORS; i++)
        if ((int)error_table[i].err == err)
            return error_table[i].text;
    return err == 0 ? "no error" : "unknown error";
}

int ws_error_close_code(int err)
{
    for (size_t i = 0; i < N_ERRORS; i++)
        if ((int)error_table[i].err == err)
            return error_table[i].close_code;
    return err == 0 ? WS_CLOSE_NORMAL : WS_CLOSE_PROTOCOL_ERROR;
}

const char *ws_opcode_name(unsigned op)
{
    switch (op) {
    case WS_OP_CONT:
        return "continuation";
    case WS_OP_TEXT:
        return "text";
    case WS_OP_BINARY:
        return "binary";
    case WS_OP_CLOSE:
        return "close";
    case WS_OP_PING:
        return "ping";
    case WS_OP_PONG:
        return "pong";
    default:
        return op < 8 ? "reserved-data" : "reserved-control";
    }
}

/*
 * Codes a close frame may carry (RFC 6455 7.4 and the IANA registry): 1000-1003, 1007-1014,
 * and 3000-4999 for libraries and applications. 1004 is reserved; 1005, 1006 and 1015 are
 * only for reporting ("no code", "dropped", "TLS failed") and must never be on the wire.
 */
int ws_close_code_valid(unsigned code)
{
    if (code >= 3000 && code <= 4999)
        return 1;
    if (code < 1000 || code > 1014)
        return 0;
    return code != 1004 && code != 1005 && code != 1006;
}

/* ---- one header, no connection needed ---- */

/*
 * Read the header at buf[0..len), which holds at least its first 2 bytes. Returns the length
 * the whole header takes (2..14); when that is more than len, only the fields of bytes 0 and 1
 * are filled (the rest are zero).
 */
static size_t header_fields(const uint8_t *buf, size_t len, ws_frame_header *h)
{
    /* Byte 0: FIN, RSV1-3, opcode. Byte 1: MASK and the 7-bit length. */
    h->fin = buf[0] >> 7;
    h->rsv = (buf[0] >> 4) & 7u;
    h->opcode = buf[0] & 0x0fu;
    h->masked = buf[1] >> 7;
    unsigned len7 = buf[1] & 0x7fu;
    size_t ext = len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
    h->len_bits = ext == 0 ? 7 : ext == 2 ? 16 : 64;
    h->payload_len = ext == 0 ? len7 : 0;
    memset(h->mask, 0, 4);
    h->header_len = 0;
    size_t want = 2 + ext + (h->masked ? 4 : 0);
    if (len < want)
        return want;
    /* 126: a 16-bit length follows; 127: a 64-bit one, both in network byte order. */
    for (size_t i = 0; i < ext; i++)
        h->payload_len = h->payload_len << 8 | buf[2 + i];
    if (h->masked)
        memcpy(h->mask, buf + 2 + ext, 4);
    h->header_len = want;
    return want;
}

int ws_frame_describe(const uint8_t *buf, size_t len, ws_frame_header *h, size_t *need)
{
    size_t want = 2;
    if (len < 2)
        memset(h, 0, sizeof *h);
    else
        want = header_fields(buf, len, h);
    if (need)
        *need = want;
    return len < want ? WS_HDR_TRUNCATED : WS_HDR_OK;
}

int ws_frame_format(const ws_frame_header *h, char *out, size_t cap)
{
    char key[24] = "";
    if (h->masked)
        snprintf(key, sizeof key, " key=%02x%02x%02x%02x", h->mask[0], h->mask[1], h->mask[2],
                 h->mask[3]);
    return snprintf(out, cap, "FIN=%u RSV=%u opcode=0x%x (%s) MASK=%u%s len=%llu (%u-bit)", h->fin,
                    h->rsv, h->opcode, ws_opcode_name(h->opcode), h->masked, key,
                    (unsigned long long)h->payload_len, h->len_bits);
}

static int opcode_reserved(unsigned op)
{
    return (op > WS_OP_BINARY && op < WS_OP_CLOSE) || op > WS_OP_PONG;
}

ws_error ws_frame_header_check(const ws_frame_header *h, ws_role role)
{
    if (h->rsv != 0)
        return WS_E_RSV;
    if (opcode_reserved(h->opcode))
        return WS_E_OPCODE;
    if (h->opcode >= WS_OP_CLOSE) { /* control frames: 0x8-0xF (5.5) */
        if (h->payload_len > WS_MAX_CONTROL)
            return WS_E_CONTROL_TOO_LONG;
        if (!h->fin)
            return WS_E_CONTROL_FRAGMENTED;
        if (h->opcode == WS_OP_CLOSE && h->payload_len == 1)
            return WS_E_CLOSE_LEN1; /* a code is 2 bytes: 1 byte cannot be anything */
    }
    if (h->len_bits == 64 && (h->payload_len >> 63) != 0)
        return WS_E_LENGTH_HIGH_BIT;
    /* "the minimal number of bytes MUST be used to encode the length" (5.2) */
    if ((h->len_bits == 16 && h->payload_len < 126) ||
        (h->len_bits == 64 && h->payload_len <= 0xffff))
        return WS_E_LENGTH_NOT_MINIMAL;
    if (role == WS_ROLE_SERVER && !h->masked)
        return WS_E_NOT_MASKED;
    if (role == WS_ROLE_CLIENT && h->masked)
        return WS_E_MASKED;
    return WS_OK;
}

/* ---- UTF-8 (RFC 3629): the byte ranges of its table 3.1, checked one byte at a time ---- */

void ws_utf8_init(ws_utf8 *u)
{
    u->need = 0;
    u->lo = 0x80;
    u->hi = 0xbf;
}

/* A lead byte: how many continuation bytes follow and the range of the first one. */
static int utf8_lead(ws_utf8 *u, uint8_t b)
{
    u->lo = 0x80;
    u->hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf)
        u->need = 1;
    else if (b == 0xe0)
        u->need = 2, u->lo = 0xa0; /* no overlong 3-byte forms */
    else if (b == 0xed)
        u->need = 2, u->hi = 0x9f; /* no UTF-16 surrogates U+D800..U+DFFF */
    else if (b >= 0xe1 && b <= 0xef)
        u->need = 2;
    else if (b == 0xf0)
        u->need = 3, u->lo = 0x90; /* no overlong 4-byte forms */
    else if (b >= 0xf1 && b <= 0xf3)
        u->need = 3;
    else if (b == 0xf4)
        u->need = 3, u->hi = 0x8f; /* nothing above U+10FFFF */
    else
        return -1; /* 0x80-0xC1 (stray continuation, overlong 2-byte) and 0xF5-0xFF */
    return 0;
}

int ws_utf8_feed(ws_utf8 *u, const uint8_t *p, size_t len)
{
    size_t i = 0;
    while (i < len) {
        /* ASCII fast path: eight bytes without a high bit cannot start or end anything. */
        if (u->need == 0 && len - i >= 8) {
            uint64_t v;
            memcpy(&v, p + i, 8);
            if ((v & 0x8080808080808080ull) == 0) {
                i += 8;
                continue;
            }
        }
        uint8_t b = p[i++];
        if (u->need > 0) {
            if (b < u->lo || b > u->hi)
                return -1;
            u->need--;
            u->lo = 0x80;
            u->hi = 0xbf;
        } else if (b >= 0x80 && utf8_lead(u, b) < 0) {
            return -1;
        }
    }
    return 0;
}

int ws_utf8_complete(const ws_utf8 *u)
{
    return u->need == 0;
}

/* A whole string: valid UTF-8, no character left unfinished at the end. */
int ws_utf8_valid(const uint8_t *p, size_t len)
{
    ws_utf8 u;
    ws_utf8_init(&u);
    return ws_utf8_feed(&u, p, len) == 0 && ws_utf8_complete(&u);
}

/* ---- the streaming decoder ---- */

void ws_decoder_init(ws_decoder *d, const ws_decoder_config *cfg, const ws_decoder_callbacks *cb)
{
    memset(d, 0, sizeof *d);
    d->cfg = *cfg;
    if (d->cfg.max_message == 0)
        d->cfg.max_message = WS_DEFAULT_MAX_MSG;
    if (cb)
        d->cb = *cb;
    d->state = WS_DS_HEADER;
    ws_utf8_init(&d->utf8);
}

void ws_decoder_free(ws_decoder *d)
{
    free(d->msg);
    d->msg = NULL;
    d->msg_len = d->msg_cap = 0;
}

ws_error ws_decoder_fail(ws_decoder *d, ws_error e)
{
    d->state = WS_DS_FAILED;
    d->error = e;
    return e;
}

/* Grow the message buffer to hold `want` bytes (want <= max_message, checked by the caller). */
static int grow(ws_decoder *d, size_t want)
{
    size_t cap = d->msg_cap ? d->msg_cap : 256;
    while (cap < want)
        cap = cap > d->cfg.max_message / 2 ? d->cfg.max_message : cap * 2;
    if (cap < want)
        cap = want;
    uint8_t *p = realloc(d->msg, cap);
    if (p == NULL)
        return -1;
    d->msg = p;
    d->msg_cap = cap;
    return 0;
}

/* Make room for `want` bytes of message (want <= max_message): 0, or -1 out of memory. */
int ws_decoder_reserve(ws_decoder *d, size_t want)
{
    return want <= d->msg_cap ? 0 : grow(d, want);
}

/* Fragmentation rules (5.4) and the size limit, checked before any payload byte is read. */
static ws_error start_data(ws_decoder *d)
{
    unsigned op = d->cur.opcode;
    if (op == WS_OP_CONT && d->msg_opcode == 0)
        return WS_E_CONT_NOTHING_OPEN;
    if (op != WS_OP_CONT && d->msg_opcode != 0)
        return WS_E_DATA_WHILE_OPEN;
    if (op != WS_OP_CONT) {
        d->msg_opcode = op;
        d->msg_len = 0;
        ws_utf8_init(&d->utf8);
    }
    /* msg_len <= max_message always, so the subtraction cannot wrap. */
    if (d->cur.payload_len > d->cfg.max_message - d->msg_len)
        return WS_E_TOO_BIG;
    return WS_OK; /* memory is reserved as payload bytes arrive, not on the header's word */
}

/* A whole control frame is in d->ctl. */
static ws_error finish_control(ws_decoder *d)
{
    size_t n = (size_t)d->cur.payload_len;
    if (d->cur.opcode != WS_OP_CLOSE) {
        if (d->cb.on_control)
            d->cb.on_control(d->cfg.user_data, d->cur.opcode, d->ctl, n);
        return WS_OK;
    }
    unsigned code = WS_CLOSE_NO_STATUS;
    if (n >= 2) {
        code = (unsigned)d->ctl[0] << 8 | d->ctl[1];
        if (!ws_close_code_valid(code))
            return WS_E_CLOSE_CODE;
        if (!ws_utf8_valid(d->ctl + 2, n - 2))
            return WS_E_CLOSE_UTF8;
    }
    d->state = WS_DS_CLOSED; /* nothing the peer sends after its close frame counts (5.5.1) */
    if (d->cb.on_close)
        d->cb.on_close(d->cfg.user_data, code, n >= 2 ? d->ctl + 2 : d->ctl, n >= 2 ? n - 2 : 0);
    return WS_OK;
}

/* The whole message of opcode op is in d->msg[0..msg_len): hand it over and forget it. */
void ws_decoder_deliver(ws_decoder *d, unsigned op)
{
    d->msg_opcode = 0;
    if (d->cb.on_message)
        d->cb.on_message(d->cfg.user_data, op, d->msg, d->msg_len);
    d->msg_len = 0;
    if (d->msg_cap > 65536) { /* do not keep a big buffer for an idle connection */
        ws_decoder_free(d);
    }
}

/* The last payload byte of the current frame has been read. */
static ws_error finish_frame(ws_decoder *d)
{
    d->state = WS_DS_HEADER;
    d->hdr_used = 0;
    if (d->cur.opcode >= WS_OP_CLOSE)
        return finish_control(d);
    if (!d->cur.fin)
        return WS_OK; /* more fragments to come */
    if (d->msg_opcode == WS_OP_TEXT && !ws_utf8_complete(&d->utf8))
        return WS_E_UTF8; /* the message ends in the middle of a character */
    ws_decoder_deliver(d, d->msg_opcode);
    return WS_OK;
}

/* The header in d->hdr is complete: check its rules and get ready for the payload. */
static ws_error start_frame(ws_decoder *d)
{
    if (d->cb.on_frame)
        d->cb.on_frame(d->cfg.user_data, &d->cur);
    ws_error e = ws_frame_header_check(&d->cur, d->cfg.role);
    if (e == WS_OK && d->cur.opcode < WS_OP_CLOSE)
        e = start_data(d);
    if (e != WS_OK)
        return e;
    d->payload_done = 0;
    d->state = WS_DS_PAYLOAD;
    return d->cur.payload_len == 0 ? finish_frame(d) : WS_OK;
}

/* Collect header bytes; returns how many of p[0..n) it used. */
static size_t read_header(ws_decoder *d, const uint8_t *p, size_t n, ws_error *err)
{
    /* The whole header is in this read (the usual case): describe it in place, no copy. */
    if (d->hdr_used == 0 && ws_frame_describe(p, n, &d->cur, NULL) == WS_HDR_OK) {
        *err = start_frame(d);
        return d->cur.header_len;
    }
    size_t used = 0;
    for (;;) { /* at most three rounds: 2 bytes, then the length, then the key */
        size_t need;
        if (ws_frame_describe(d->hdr, d->hdr_used, &d->cur, &need) == WS_HDR_OK) {
            *err = start_frame(d);
            return used;
        }
        size_t take = need - d->hdr_used;
        if (take > n - used)
            take = n - used;
        if (take == 0)
            return used;
        memcpy(d->hdr + d->hdr_used, p + used, take);
        d->hdr_used += take;
        used += take;
    }
}

/* Copy (and unmask) payload bytes; returns how many of p[0..n) it used. */
static size_t read_payload(ws_decoder *d, const uint8_t *p, size_t n, ws_error *err)
{
    uint64_t left = d->cur.payload_len - d->payload_done;
    size_t take = left < n ? (size_t)left : n;
    int control = d->cur.opcode >= WS_OP_CLOSE;
    /*
     * Grow the message buffer for the bytes that did arrive, not for the length the header
     * claims: otherwise a few bytes claiming 16 MiB would make us allocate 16 MiB each.
     * (take <= the frame's remaining length, which start_data checked against the limit.)
     */
    if (!control && ws_decoder_reserve(d, d->msg_len + take) < 0) {
        *err = WS_E_NOMEM;
        return 0;
    }
    uint8_t *dst = control ? d->ctl + d->payload_done : d->msg + d->msg_len;
    if (d->cur.masked)
        ws_mask_copy(dst, p, take, d->cur.mask, d->payload_done);
    else
        memcpy(dst, p, take);
    d->payload_done += take;
    if (!control) {
        d->msg_len += take;
        /* Fail fast (8.1): reject the first bad byte, not the end of the message. */
        if (d->msg_opcode == WS_OP_TEXT && ws_utf8_feed(&d->utf8, dst, take) < 0) {
            *err = WS_E_UTF8;
            return take;
        }
    }
    if (d->payload_done == d->cur.payload_len)
        *err = finish_frame(d);
    return take;
}

/*
 * One step of the state machine: collect header bytes (HEADER) or copy payload bytes (PAYLOAD).
 * Returns how many of p[0..n) it used; a broken rule is left in *err.
 */
size_t ws_decoder_step(ws_decoder *d, const uint8_t *p, size_t n, ws_error *err)
{
    if (d->state == WS_DS_PAYLOAD)
        return read_payload(d, p, n, err);
    return read_header(d, p, n, err);
}

/* May the decoder read more bytes? Not after a close frame or a broken rule. */
int ws_decoder_reading(const ws_decoder *d)
{
    return d->state == WS_DS_HEADER || d->state == WS_DS_PAYLOAD;
}

ws_error ws_decoder_feed_stepwise(ws_decoder *d, const uint8_t *data, size_t len)
{
    size_t i = 0;
    while (i < len && ws_decoder_reading(d)) {
        ws_error e = WS_OK;
        i += ws_decoder_step(d, data + i, len - i, &e);
        if (e != WS_OK)
            return ws_decoder_fail(d, e);
    }
    return d->state == WS_DS_FAILED ? d->error : WS_OK;
}

/*
 * The one place a faster path is chosen. Programs call ws_decoder_feed; it lets
 * ws_frame_fast.c take the frames that arrive whole in one read, and hands every other byte to
 * the state machine above. The tests and the fuzzer check that both give the same callbacks
 * and errors. To read the decoder, read ws_decoder_feed_stepwise: it is the whole algorithm.
 */
ws_error ws_decoder_feed(ws_decoder *d, const uint8_t *data, size_t len)
{
    return ws_decoder_feed_fast(d, data, len, NULL);
}

/* ---- the encoder ---- */

size_t ws_encoded_size(uint64_t len, int masked)
{
    size_t h = len < 126 ? 2 : len <= 0xffff ? 4 : 10;
    return h + (masked ? 4 : 0) + (size_t)len;
}

size_t ws_encode_header(uint8_t *out, unsigned fin, unsigned opcode, uint64_t len,
                        const uint8_t *mask_key)
{
    out[0] = (uint8_t)((fin ? 0x80u : 0u) | (opcode & 0x0fu));
    uint8_t m = mask_key ? 0x80 : 0;
    size_t n;
    if (len < 126) {
        out[1] = (uint8_t)(m | len);
        n = 2;
    } else if (len <= 0xffff) {
        out[1] = m | 126;
        out[2] = (uint8_t)(len >> 8);
        out[3] = (uint8_t)len;
        n = 4;
    } else {
        out[1] = m | 127;
        for (int i = 0; i < 8; i++)
            out[2 + i] = (uint8_t)(len >> (56 - 8 * i));
        n = 10;
    }
    if (mask_key) {
        memcpy(out + n, mask_key, 4);
        n += 4;
    }
    return n;
}

size_t ws_encode_frame(uint8_t *out, size_t cap, unsigned fin, unsigned opcode,
                       const uint8_t *payload, size_t len, ws_mask_fn gen, void *gen_user)
{
    if (ws_encoded_size(len, gen != NULL) > cap)
        return 0;
    uint8_t key[4];
    if (gen)
        gen(gen_user, key);
    size_t n = ws_encode_header(out, fin, opcode, len, gen ? key : NULL);
    if (len > 0) {
        if (gen)
            ws_mask_copy(out + n, payload, len, key, 0);
        else
            memcpy(out + n, payload, len);
    }
    return n + len;
}

size_t ws_close_payload(uint8_t out[WS_MAX_CONTROL], unsigned code, const char *reason)
{
    out[0] = (uint8_t)(code >> 8);
    out[1] = (uint8_t)code;
    size_t n = reason ? strlen(reason) : 0;
    if (n > WS_MAX_CONTROL - 2)
        n = WS_MAX_CONTROL - 2;
    if (n > 0)
        memcpy(out + 2, reason, n);
    return 2 + n;
}
