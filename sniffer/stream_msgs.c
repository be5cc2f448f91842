/*
 * stream_msgs.c - HTTP, WebSocket, queue and RESP messages from a reassembled byte stream (see
 * stream_msgs.h for what ends a message in each protocol).
 *
 * One state machine per direction, fed bytes in any chunking. Each state consumes what it can
 * of the bytes it is given and says how many it took; sconv_data loops until they are used up.
 */
#include "stream_msgs.h"

#include "decode.h"
#include "sio_packet.h"
#include "ws_frame.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void sconv_init(sconv *c, smsg_fn fn, void *user)
{
    memset(c, 0, sizeof *c);
    c->fn = fn;
    c->user = user;
}

/* ---- the message being built ---- */

static void begin(smsg *m, smsg_kind kind, int dir)
{
    memset(m, 0, sizeof *m);
    m->kind = kind;
    m->dir = dir;
}

static void note_frame(smsg *m, uint64_t frame)
{
    if (m->frames_total > 0 && m->last == frame)
        return;
    if (m->frames_total++ == 0)
        m->first = frame;
    m->last = frame;
    if (m->nframes < SMSG_FRAMES)
        m->frames[m->nframes++] = frame;
}

/* Text for a person: printable ASCII as is, anything else as '.', cut with "..." to fit. */
static void set_text(char *out, size_t cap, const uint8_t *p, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n && k + 1 < cap; i++)
        out[k++] = (p[i] >= 0x20 && p[i] < 0x7f) ? (char)p[i] : '.';
    out[k] = '\0';
    if (k < n && cap > 4)
        memcpy(out + cap - 4, "...", 4);
}

static void emit(sconv *c, smsg *m)
{
    if (c->fn)
        c->fn(c->user, m);
}

/* This direction is not decoded any further (a limit, a gap, a protocol error). */
static void stop(sconv *c, int dir, uint64_t frame, const char *why)
{
    sdir *d = &c->d[dir];
    smsg m;
    begin(&m, SMSG_STOP, dir);
    note_frame(&m, frame);
    snprintf(m.summary, sizeof m.summary, "%s", why);
    emit(c, &m);
    d->st = ST_STOPPED;
}

static void keep_bytes(sdir *d, const uint8_t *p, uint32_t n)
{
    if (n == 0)
        return;
    uint32_t room = SMSG_KEEP - d->keep_len, k = n < room ? n : room;
    memcpy(d->keep + d->keep_len, p, k);
    d->keep_len += k;
}

/* Engine.IO packets in a body or text message, described by events/'s own codec. */
static void describe_eio(sdir *d, smsg *m)
{
    if (d->keep_len == 0 || sio_describe(d->keep, d->keep_len, m->text, sizeof m->text) <= 0) {
        m->text[0] = '\0';
        return;
    }
    if (m->body > d->keep_len || m->missing) {
        size_t k = strlen(m->text);
        snprintf(m->text + k, sizeof m->text - k, " [first %u bytes described]", d->keep_len);
    }
}

/* ---- HTTP/1.1 (RFC 9112) ---- */

/* The value of header `name` in the head (NULL when absent); *len its length. */
static const uint8_t *header(const uint8_t *h, uint32_t n, const char *name, uint32_t *len)
{
    size_t nl = strlen(name);
    for (uint32_t i = 0; i < n; i++) {
        if (h[i] != '\n' || i + 1 + nl + 1 > n)
            continue;
        const uint8_t *line = h + i + 1;
        if (strncasecmp((const char *)line, name, nl) != 0 || line[nl] != ':')
            continue;
        uint32_t v = (uint32_t)(i + 1 + nl + 1);
        while (v < n && (h[v] == ' ' || h[v] == '\t'))
            v++;
        uint32_t e = v;
        while (e < n && h[e] != '\r' && h[e] != '\n')
            e++;
        *len = e - v;
        return h + v;
    }
    return NULL;
}

static bool has_token(const uint8_t *v, uint32_t n, const char *tok)
{
    size_t tl = strlen(tok);
    for (uint32_t i = 0; v && i + tl <= n; i++)
        if (strncasecmp((const char *)v + i, tok, tl) == 0)
            return true;
    return false;
}

static void http_done(sconv *c, int dir)
{
    sdir *d = &c->d[dir];
    if (d->eio_body)
        describe_eio(d, &d->m);
    emit(c, &d->m);
    d->st = ST_HTTP_HEAD;
    d->line_len = 0;
}

static void to_websocket(sconv *c)
{
    for (int i = 0; i < 2; i++) {
        c->d[i].st = ST_WS_HEAD;
        c->d[i].line_len = 0;
        c->d[i].in_msg = false;
    }
}

/* The head is complete in d->line: how is the body framed (RFC 9112 6.3)? */
static void http_head_done(sconv *c, int dir, uint64_t frame)
{
    sdir *d = &c->d[dir];
    const uint8_t *h = d->line;
    uint32_t n = d->line_len, sl = 0, vl = 0;
    while (sl < n && h[sl] != '\r' && h[sl] != '\n')
        sl++;
    set_text(d->m.summary, sizeof d->m.summary, h, sl);
    bool response = sl >= 5 && memcmp(h, "HTTP/", 5) == 0;
    unsigned status = 0;
    if (response && sl >= 12 && h[9] >= '0' && h[9] <= '9' && h[10] >= '0' && h[10] <= '9' &&
        h[11] >= '0' && h[11] <= '9')
        status = (unsigned)((h[9] - '0') * 100 + (h[10] - '0') * 10 + (h[11] - '0'));
    const uint8_t *te = header(h, n, "Transfer-Encoding", &vl);
    bool chunked = has_token(te, vl, "chunked");
    const uint8_t *cl = header(h, n, "Content-Length", &vl);
    uint64_t length = 0;
    bool has_length = cl != NULL && vl > 0 && vl <= 18;
    for (uint32_t i = 0; has_length && i < vl; i++)
        if (cl[i] < '0' || cl[i] > '9')
            has_length = false;
        else
            length = length * 10 + (uint64_t)(cl[i] - '0');
    if (cl != NULL && !has_length && !chunked) {
        stop(c, dir, frame, "HTTP Content-Length is not a number: the body cannot be framed");
        return;
    }
    const uint8_t *ct = header(h, n, "Content-Type", &vl);
    if (!response) {
        c->head_asked = sl >= 5 && memcmp(h, "HEAD ", 5) == 0;
        if (has_token(h, sl, "EIO="))
            c->engineio = true;
        d->eio_body = has_token(h, sl, "EIO=");
    } else {
        d->eio_body = c->engineio && has_token(ct, vl, "text/plain");
    }
    d->keep_len = 0;
    d->line_len = 0;
    bool no_body = response && (status / 100 == 1 || status == 204 || status == 304 ||
                                c->head_asked); /* these answers end at the head */
    if (response && status == 101) {
        uint32_t ul = 0;
        const uint8_t *up = header(h, n, "Upgrade", &ul);
        emit(c, &d->m);
        if (has_token(up, ul, "websocket"))
            to_websocket(c);
        else
            stop(c, dir, frame, "HTTP 101 to a protocol other than WebSocket: not decoded");
        return;
    }
    if (no_body || (!chunked && !has_length && !response) ||
        (has_length && length == 0 && !chunked)) {
        http_done(c, dir);
    } else if (chunked) { /* RFC 9112 6.3: chunked wins over a Content-Length */
        d->st = ST_CHUNK_LINE;
    } else if (has_length) {
        d->left = length;
        d->st = ST_HTTP_BODY;
    } else {
        d->st = ST_UNTIL_CLOSE;
    }
}

/* Find the end of the head ("\r\n\r\n", or "\n\n" as RFC 9112 2.2 lets a recipient accept)
 * among the bytes appended from index `from`; returns the index after it, or 0. */
static uint32_t head_end(const uint8_t *h, uint32_t from, uint32_t n)
{
    for (uint32_t i = from; i < n; i++) {
        if (h[i] != '\n')
            continue;
        if (i >= 1 && h[i - 1] == '\n')
            return i + 1;
        if (i >= 3 && h[i - 1] == '\r' && h[i - 2] == '\n' && h[i - 3] == '\r')
            return i + 1;
    }
    return 0;
}

/* Append to d->line up to and including the byte that ends it (end_of returns the length of
 * the line with its terminator once complete, else 0). Returns bytes taken; *done when the line
 * is complete. */
static uint32_t take_line(sdir *d, const uint8_t *p, uint32_t n, bool head, bool *done)
{
    uint32_t room = SMSG_HEAD_MAX - d->line_len, k = n < room ? n : room;
    uint32_t old = d->line_len;
    memcpy(d->line + old, p, k);
    uint32_t end = 0;
    if (head) {
        end = head_end(d->line, old, old + k);
    } else {
        const uint8_t *nl = memchr(d->line + old, '\n', k);
        end = nl ? (uint32_t)(nl - d->line) + 1 : 0;
    }
    *done = end > 0;
    d->line_len = end > 0 ? end : old + k;
    return end > 0 ? end - old : k;
}

static uint32_t http_head(sconv *c, int dir, const uint8_t *p, uint32_t n, uint64_t frame)
{
    sdir *d = &c->d[dir];
    if (d->line_len == 0)
        begin(&d->m, SMSG_HTTP, dir);
    note_frame(&d->m, frame);
    bool done;
    uint32_t used = take_line(d, p, n, true, &done);
    d->m.bytes += used;
    if (done)
        http_head_done(c, dir, frame);
    else if (d->line_len == SMSG_HEAD_MAX)
        stop(c, dir, frame, "an HTTP head longer than 8192 bytes: not decoded further");
    return used;
}

static uint32_t http_body(sconv *c, int dir, const uint8_t *p, uint32_t n, uint64_t frame)
{
    sdir *d = &c->d[dir];
    uint32_t k = d->left < n ? (uint32_t)d->left : n;
    note_frame(&d->m, frame);
    keep_bytes(d, p, k);
    d->m.bytes += k, d->m.body += k, d->left -= k;
    if (d->left > 0)
        return k;
    if (d->st == ST_CHUNK_DATA) {
        d->st = ST_CHUNK_CRLF;
        d->line_len = 0;
    } else {
        http_done(c, dir);
    }
    return k;
}

/* "1a2b;name=value\r\n": the chunk's size in hex (RFC 9112 7.1). */
static uint32_t chunk_line(sconv *c, int dir, const uint8_t *p, uint32_t n, uint64_t frame)
{
    sdir *d = &c->d[dir];
    bool done;
    note_frame(&d->m, frame);
    uint32_t used = take_line(d, p, n, false, &done);
    d->m.bytes += used;
    if (!done) {
        if (d->line_len == SMSG_HEAD_MAX)
            stop(c, dir, frame, "an HTTP chunk-size line longer than 8192 bytes");
        return used;
    }
    uint64_t size = 0;
    uint32_t i = 0;
    for (; i < d->line_len && i < 16; i++) {
        int v = d->line[i] >= '0' && d->line[i] <= '9'   ? d->line[i] - '0'
                : d->line[i] >= 'a' && d->line[i] <= 'f' ? d->line[i] - 'a' + 10
                : d->line[i] >= 'A' && d->line[i] <= 'F' ? d->line[i] - 'A' + 10
                                                         : -1;
        if (v < 0)
            break;
        size = size * 16 + (uint64_t)v;
    }
    if (i == 0) {
        stop(c, dir, frame,
             "an HTTP chunk-size line without a hex size: the body cannot be framed");
        return used;
    }
    d->line_len = 0;
    if (size == 0) {
        d->st = ST_TRAILER;
    } else {
        d->m.parts++;
        d->left = size;
        d->st = ST_CHUNK_DATA;
    }
    return used;
}

/* The CRLF after a chunk's data, or a trailer line; an empty trailer line ends the message. */
static uint32_t chunk_tail(sconv *c, int dir, const uint8_t *p, uint32_t n, uint64_t frame)
{
    sdir *d = &c->d[dir];
    bool done;
    note_frame(&d->m, frame);
    uint32_t used = take_line(d, p, n, false, &done);
    d->m.bytes += used;
    if (!done) {
        if (d->line_len == SMSG_HEAD_MAX || (d->st == ST_CHUNK_CRLF && d->line_len > 2))
            stop(c, dir, frame, "an HTTP chunk not followed by CRLF: the body cannot be framed");
        return used;
    }
    bool empty = d->line_len == 1 || (d->line_len == 2 && d->line[0] == '\r');
    d->line_len = 0;
    if (d->st == ST_CHUNK_CRLF) {
        if (empty)
            d->st = ST_CHUNK_LINE;
        else
            stop(c, dir, frame, "an HTTP chunk not followed by CRLF: the body cannot be framed");
    } else if (empty) {
        http_done(c, dir);
    }
    return used;
}

/* ---- WebSocket (RFC 6455 5.2) ---- */

static void ws_frame_done(sconv *c, int dir)
{
    sdir *d = &c->d[dir];
    d->st = ST_WS_HEAD;
    d->line_len = 0;
    if (d->in_ctl) { /* a control frame: a message of its own */
        smsg *m = &d->ctl;
        d->in_ctl = false;
        if (d->ctl_opcode == WS_OP_CLOSE && d->ctl_len >= 2) {
            unsigned code = (unsigned)d->ctl_payload[0] << 8 | d->ctl_payload[1];
            char reason[80];
            set_text(reason, sizeof reason, d->ctl_payload + 2, d->ctl_len - 2);
            snprintf(m->summary, sizeof m->summary, "WebSocket close %u%s%s", code,
                     reason[0] ? " " : "", reason);
        } else {
            const char *name = d->ctl_opcode == WS_OP_CLOSE  ? "close"
                               : d->ctl_opcode == WS_OP_PING ? "ping"
                               : d->ctl_opcode == WS_OP_PONG ? "pong"
                                                             : "control";
            snprintf(m->summary, sizeof m->summary, "WebSocket %s", name);
        }
        emit(c, m);
        return;
    }
    if (!d->ws_fin)
        return; /* more frames of this message follow */
    smsg *m = &d->m;
    d->in_msg = false;
    const char *kind = d->ws_text ? "text" : "binary";
    if (m->parts > 1)
        snprintf(m->summary, sizeof m->summary, "WebSocket %s message in %u frames", kind,
                 m->parts);
    else
        snprintf(m->summary, sizeof m->summary, "WebSocket %s message", kind);
    if (d->ws_deflate) {
        size_t k = strlen(m->summary);
        snprintf(m->summary + k, sizeof m->summary - k, ", compressed (permessage-deflate)");
    } else if (c->engineio && d->ws_text) {
        describe_eio(d, m);
    } else if (c->engineio) {
        sio_describe_binary((size_t)m->body, m->text, sizeof m->text);
    }
    emit(c, m);
}

static uint32_t ws_head(sconv *c, int dir, const uint8_t *p, uint32_t n, uint64_t frame)
{
    sdir *d = &c->d[dir];
    ws_frame_header h;
    uint32_t used = 0;
    while (used < n) { /* a byte at a time: a header is 2 to 14 bytes */
        d->line[d->line_len++] = p[used++];
        if (ws_frame_describe(d->line, d->line_len, &h, NULL) == WS_HDR_OK)
            break;
        if (d->line_len >= DEC_WS_MAX_HDR) {
            stop(c, dir, frame, "bytes that are not a WebSocket frame header");
            return used;
        }
    }
    if (ws_frame_describe(d->line, d->line_len, &h, NULL) != WS_HDR_OK) {
        if (d->in_msg)
            note_frame(&d->m, frame);
        return used; /* the header goes on in the next segment */
    }
    d->masked = h.masked;
    memcpy(d->mask, h.mask, sizeof d->mask);
    d->mask_off = 0;
    d->left = h.payload_len;
    d->ws_fin = h.fin;
    if (h.opcode >= 8) { /* RFC 6455 5.5: control frames may come between a message's frames */
        if (h.payload_len > sizeof d->ctl_payload) {
            stop(c, dir, frame, "a WebSocket control frame longer than 125 bytes (RFC 6455 5.5)");
            return used;
        }
        d->in_ctl = true;
        begin(&d->ctl, SMSG_WS, dir);
        note_frame(&d->ctl, frame);
        d->ctl.bytes = d->line_len;
        d->ctl.parts = 1;
        d->ctl_len = 0;
        d->ctl_opcode = (uint16_t)h.opcode;
    } else {
        if (h.opcode != WS_OP_CONT || !d->in_msg) { /* the first frame of a message */
            begin(&d->m, SMSG_WS, dir);
            d->ws_text = h.opcode == WS_OP_TEXT;
            d->ws_deflate = (h.rsv & 4) != 0; /* RSV1: permessage-deflate (RFC 7692) */
            d->keep_len = 0;
            d->in_msg = true;
        }
        note_frame(&d->m, frame);
        d->m.parts++;
        d->m.bytes += d->line_len;
    }
    d->line_len = 0;
    d->st = ST_WS_PAYLOAD;
    if (d->left == 0)
        ws_frame_done(c, dir);
    return used;
}

static uint32_t ws_payload(sconv *c, int dir, const uint8_t *p, uint32_t n, uint64_t frame)
{
    sdir *d = &c->d[dir];
    uint32_t k = d->left < n ? (uint32_t)d->left : n;
    uint8_t clear[SMSG_KEEP];
    smsg *m = d->in_ctl ? &d->ctl : &d->m;
    note_frame(m, frame);
    for (uint32_t done = 0; done < k;) { /* unmask what is kept (RFC 6455 5.3) */
        uint32_t part = k - done < SMSG_KEEP ? k - done : SMSG_KEEP;
        bool want = d->in_ctl || d->keep_len < SMSG_KEEP;
        if (!want)
            break;
        if (d->masked)
            ws_mask_copy(clear, p + done, part, d->mask, d->mask_off + done);
        else
            memcpy(clear, p + done, part);
        if (d->in_ctl) {
            memcpy(d->ctl_payload + d->ctl_len, clear, part); /* part <= 125: checked */
            d->ctl_len += part;
        } else {
            keep_bytes(d, clear, part);
        }
        done += part;
    }
    d->mask_off += k;
    m->bytes += k, m->body += k, d->left -= k;
    if (d->left == 0)
        ws_frame_done(c, dir);
    return k;
}

/* ---- the queue broker's lines ---- */

static uint32_t queue_line(sconv *c, int dir, const uint8_t *p, uint32_t n, uint64_t frame)
{
    sdir *d = &c->d[dir];
    if (d->line_len == 0)
        begin(&d->m, SMSG_QUEUE, dir);
    note_frame(&d->m, frame);
    bool done;
    uint32_t used = take_line(d, p, n, false, &done);
    d->m.bytes += used;
    if (!done) {
        if (d->line_len == SMSG_HEAD_MAX)
            stop(c, dir, frame, "a queue protocol line longer than 8192 bytes");
        return used;
    }
    uint32_t len = d->line_len - 1;
    if (len > 0 && d->line[len - 1] == '\r')
        len--;
    set_text(d->m.summary, sizeof d->m.summary, d->line, len);
    d->line_len = 0;
    emit(c, &d->m);
    return used;
}

/* ---- RESP (Redis): one value after another, in any chunking ---- */

/* The reader's description of the value (so far) as the message's summary. */
static void resp_summary(smsg *m, const resp_reader *r)
{
    uint32_t k = r->text_len < sizeof m->summary - 1 ? r->text_len : sizeof m->summary - 1;
    memcpy(m->summary, r->text, k);
    m->summary[k] = '\0';
}

static uint32_t resp_msg(sconv *c, int dir, const uint8_t *p, uint32_t n, uint64_t frame)
{
    sdir *d = &c->d[dir];
    if (!resp_reader_busy(&d->resp))
        begin(&d->m, SMSG_RESP, dir);
    note_frame(&d->m, frame);
    uint32_t used = 0;
    resp_status st = resp_read(&d->resp, p, n, &used);
    d->m.bytes += used;
    if (st == RESP_MORE)
        return used;
    if (st == RESP_BAD) {
        stop(c, dir, frame, "bytes that are not RESP where a RESP value was expected");
        return used;
    }
    resp_summary(&d->m, &d->resp);
    d->m.body = d->resp.payload; /* bytes in a gap included (resp_reader_skip) */
    int64_t items = d->resp.top_aggregate ? d->resp.top_items : 0; /* -1: a null array */
    d->m.parts = items < 0 ? 0 : items > UINT32_MAX ? UINT32_MAX : (uint32_t)items;
    emit(c, &d->m);
    return used;
}

/* ---- detection and dispatch ---- */

/* Does this direction speak RESP? A command is an array: "*" and a count line. The answers'
 * direction may start with any type byte ("+OK"), once the other direction spoke RESP. */
static bool resp_start(const sconv *c, const uint8_t *p, uint32_t n, bool *more)
{
    *more = false;
    if (c->resp)
        return strchr("+-:$*_#,(!=%~>|", (char)p[0]) != NULL && p[0] != '\0';
    if (p[0] != '*')
        return false;
    resp_top t;
    resp_status st = resp_value(p, n, &t);
    if (st == RESP_MORE && memchr(p, '\n', n) == NULL) /* the count line is not whole yet */
        *more = n < 8;
    return st == RESP_OK || (st == RESP_MORE && memchr(p, '\n', n) != NULL);
}

static void feed(sconv *c, int dir, const uint8_t *p, uint32_t n, uint64_t frame);

static uint32_t detect(sconv *c, int dir, const uint8_t *p, uint32_t n, uint64_t frame)
{
    sdir *d = &c->d[dir];
    uint32_t k = 8 - d->line_len < n ? 8 - d->line_len : n;
    for (uint32_t i = 0; i < k; i++)
        d->detect_frames[d->line_len + i] = frame;
    memcpy(d->line + d->line_len, p, k);
    d->line_len += k;
    bool resp_more;
    bool resp = resp_start(c, d->line, d->line_len, &resp_more);
    dec_app_kind kind = resp ? DEC_APP_OTHER : dec_app_detect(d->line, d->line_len);
    if (resp_more || (!resp && kind == DEC_APP_MORE))
        return k;
    uint8_t first[8];
    uint64_t frames[8];
    uint32_t nfirst = d->line_len;
    memcpy(first, d->line, nfirst);
    memcpy(frames, d->detect_frames, sizeof frames);
    d->line_len = 0;
    d->st = resp                    ? ST_RESP
            : kind == DEC_APP_HTTP  ? ST_HTTP_HEAD
            : kind == DEC_APP_QUEUE ? ST_QUEUE_LINE
                                    : ST_OTHER;
    if (resp) {
        c->resp = true;
        resp_reader_init(&d->resp);
    }
    for (uint32_t i = 0; i < nfirst; i++) /* the bytes read to decide, again, each with its frame */
        feed(c, dir, first + i, 1, frames[i]);
    return k;
}

static void feed(sconv *c, int dir, const uint8_t *p, uint32_t n, uint64_t frame)
{
    sdir *d = &c->d[dir];
    while (n > 0) {
        uint32_t used;
        switch (d->st) {
        case ST_DETECT:
            used = detect(c, dir, p, n, frame);
            break;
        case ST_HTTP_HEAD:
            used = http_head(c, dir, p, n, frame);
            break;
        case ST_HTTP_BODY:
        case ST_CHUNK_DATA:
            used = http_body(c, dir, p, n, frame);
            break;
        case ST_CHUNK_LINE:
            used = chunk_line(c, dir, p, n, frame);
            break;
        case ST_CHUNK_CRLF:
        case ST_TRAILER:
            used = chunk_tail(c, dir, p, n, frame);
            break;
        case ST_UNTIL_CLOSE:
            note_frame(&d->m, frame);
            keep_bytes(d, p, n);
            d->m.bytes += n, d->m.body += n;
            used = n;
            break;
        case ST_WS_HEAD:
            used = ws_head(c, dir, p, n, frame);
            break;
        case ST_WS_PAYLOAD:
            used = ws_payload(c, dir, p, n, frame);
            break;
        case ST_QUEUE_LINE:
            used = queue_line(c, dir, p, n, frame);
            break;
        case ST_RESP:
            used = resp_msg(c, dir, p, n, frame);
            break;
        default: /* ST_OTHER, ST_STOPPED: nothing to decode */
            used = n;
            break;
        }
        p += used, n -= used;
    }
}

void sconv_data(sconv *c, int dir, const uint8_t *p, uint32_t n, uint64_t frame)
{
    feed(c, dir & 1, p, n, frame);
}

/* Is a message half read in this direction? */
static bool in_progress(const sdir *d)
{
    switch (d->st) {
    case ST_HTTP_HEAD:
    case ST_QUEUE_LINE:
        return d->line_len > 0;
    case ST_WS_HEAD:
        return d->line_len > 0 || d->in_msg;
    case ST_RESP:
        return resp_reader_busy(&d->resp);
    case ST_HTTP_BODY:
    case ST_CHUNK_LINE:
    case ST_CHUNK_DATA:
    case ST_CHUNK_CRLF:
    case ST_TRAILER:
    case ST_UNTIL_CLOSE:
    case ST_WS_PAYLOAD:
        return true;
    default:
        return false;
    }
}

/* What a gap or the end cut: reported with what was seen of it. */
static void cut(sconv *c, int dir, uint64_t frame, const char *why)
{
    sdir *d = &c->d[dir];
    smsg m = d->in_ctl ? d->ctl : d->m;
    if (d->st == ST_RESP) /* what was described of the value so far */
        resp_summary(&m, &d->resp);
    if (m.summary[0] == '\0' && d->line_len > 0) { /* a head or line not ended: its first line */
        uint32_t k = 0;
        while (k < d->line_len && d->line[k] != '\r' && d->line[k] != '\n')
            k++;
        set_text(m.summary, sizeof m.summary, d->line, k);
    }
    char was[SMSG_SUMMARY / 2]; /* what it was, cut short so the reason fits after it */
    snprintf(was, sizeof was, "%.*s", (int)sizeof was - 1, m.summary[0] ? m.summary : "a message");
    m.kind = SMSG_CUT;
    note_frame(&m, frame);
    int n = snprintf(m.summary, sizeof m.summary, "%s cut by %s", was, why);
    if (n < 0 || (size_t)n >= sizeof m.summary)
        memcpy(m.summary + sizeof m.summary - 4, "...", 4);
    emit(c, &m);
}

void sconv_gap(sconv *c, int dir, uint32_t missing, uint64_t frame)
{
    sdir *d = &c->d[dir & 1];
    dir &= 1;
    /* Inside a body or payload whose length is known, a gap loses bytes but not the framing:
     * the message goes on, and says how much of it was not captured. */
    if ((d->st == ST_HTTP_BODY || d->st == ST_CHUNK_DATA || d->st == ST_WS_PAYLOAD) &&
        missing <= d->left) {
        smsg *m = d->in_ctl ? &d->ctl : &d->m;
        m->missing += missing, m->bytes += missing, m->body += missing;
        d->left -= missing, d->mask_off += missing;
        if (d->st == ST_WS_PAYLOAD && d->in_ctl)
            d->ctl_len = 0; /* a control payload with a hole is not shown */
        if (d->left == 0) {
            if (d->st == ST_WS_PAYLOAD)
                ws_frame_done(c, dir);
            else
                http_body(c, dir, NULL, 0, frame);
        }
        return;
    }
    /* Inside a RESP bulk string the same holds: its length was in its header. */
    if (d->st == ST_RESP && resp_reader_skip(&d->resp, missing)) {
        d->m.missing += missing, d->m.bytes += missing;
        return;
    }
    if (d->st == ST_OTHER || d->st == ST_STOPPED)
        return;
    if (in_progress(d))
        cut(c, dir, frame, "a gap (bytes not captured)");
    char why[SMSG_SUMMARY];
    snprintf(why, sizeof why,
             "%u bytes were not captured here: the rest of this direction is not decoded", missing);
    stop(c, dir, frame, why);
}

void sconv_end(sconv *c, uint64_t frame)
{
    for (int dir = 0; dir < 2; dir++) {
        sdir *d = &c->d[dir];
        if (d->st == ST_UNTIL_CLOSE) /* RFC 9112 6.3: this body ends when the connection does */
            http_done(c, dir);
        else if (in_progress(d))
            cut(c, dir, frame, "the end of the connection or capture");
        d->st = ST_STOPPED;
    }
}
