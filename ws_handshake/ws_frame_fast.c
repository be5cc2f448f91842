/*
 * ws_frame_fast.c - the decoder's fast path: a whole frame in one read, without the state machine.
 *
 * What it teaches: where a teaching decoder spends its time, and how to go faster without a
 * second copy of the rules. Read ws_frame.c first: its state machine decodes everything. Nearly
 * every read a server makes holds whole small messages, though, and for those the state machine
 * goes round its loop twice per frame (header, then payload), copies nothing it needs to but
 * changes state three times. Here such a frame is taken in one go:
 *
 *   1. the header is read in place (ws_frame_describe) and checked with ws_frame_header_check,
 *      the same rules the state machine checks, plus the message limit;
 *   2. the payload is unmasked (ws_mask_copy) straight into the message buffer;
 *   3. text is validated as UTF-8 in one call (the whole payload is here, so failing at its end
 *      is as early as failing at the bad byte) and the message is delivered.
 *
 * Anything else - a frame cut by the end of the read, a control frame, a fragment, a header that
 * breaks a rule, a message over the limit - is left untouched and the state machine takes those
 * bytes (and names the rule broken). ws_decoder_feed in ws_frame.c is the one place this file
 * is chosen. tests/ws_handshake/test_ws_frame.c and fuzz_ws_frame.c check that it reports the
 * same callbacks and errors as ws_decoder_feed_stepwise for any input cut any way.
 * Try it: build/tests/test_ws_frame; bench/ws_handshake/run measures it.
 */
#include "ws_frame_fast.h"

#include <string.h>

#include "ws_frame_internal.h"

/*
 * If p[0..n) starts with a whole unfragmented text or binary frame that breaks no rule, and the
 * decoder is between frames with no fragmented message open, decode it and return its length
 * (with *err set if its payload turns out bad). Otherwise return 0 having changed nothing.
 */
static size_t take_whole_frame(ws_decoder *d, const uint8_t *p, size_t n, ws_error *err)
{
    ws_frame_header h;
    if (d->state != WS_DS_HEADER || d->hdr_used != 0 || d->msg_opcode != 0)
        return 0; /* half a header is buffered, or a fragmented message is open */
    if (ws_frame_describe(p, n, &h, NULL) != WS_HDR_OK || !h.fin ||
        (h.opcode != WS_OP_TEXT && h.opcode != WS_OP_BINARY))
        return 0;
    /* n >= header_len now, so the subtraction cannot wrap */
    if (h.payload_len > n - h.header_len || h.payload_len > d->cfg.max_message ||
        ws_frame_header_check(&h, d->cfg.role) != WS_OK)
        return 0;
    /* From here on the frame is ours: the state machine will not see it. */
    size_t len = (size_t)h.payload_len, used = h.header_len + len;
    if (d->cb.on_frame)
        d->cb.on_frame(d->cfg.user_data, &h);
    if (ws_decoder_reserve(d, len) < 0) {
        *err = WS_E_NOMEM;
        return used;
    }
    if (len > 0 && h.masked)
        ws_mask_copy(d->msg, p + h.header_len, len, h.mask, 0);
    else if (len > 0)
        memcpy(d->msg, p + h.header_len, len);
    if (h.opcode == WS_OP_TEXT && !ws_utf8_valid(d->msg, len)) {
        *err = WS_E_UTF8;
        return used;
    }
    d->msg_len = len;
    ws_decoder_deliver(d, h.opcode);
    return used;
}

ws_error ws_decoder_feed_fast(ws_decoder *d, const uint8_t *data, size_t len,
                              uint64_t *whole_frames)
{
    size_t i = 0;
    while (i < len && ws_decoder_reading(d)) {
        ws_error e = WS_OK;
        size_t used = take_whole_frame(d, data + i, len - i, &e);
        if (used > 0 && e == WS_OK && whole_frames)
            (*whole_frames)++;
        if (used == 0) /* not a whole frame: one step of the state machine */
            used = ws_decoder_step(d, data + i, len - i, &e);
        i += used;
        if (e != WS_OK)
            return ws_decoder_fail(d, e);
    }
    return d->state == WS_DS_FAILED ? d->error : WS_OK;
}
