/*
 * fuzz_ws_frame.c - libFuzzer target for the frame decoder and ws_frame_describe.
 *
 * What it teaches: a decoder facing the network must survive any bytes, and must give the same
 * answer however they are cut. The first input byte picks the role, the chunk size and a small
 * message limit; the rest is decoded three times: whole (whole frames take the decoder's fast
 * path), one byte at a time (never a whole frame in one call: the state machine alone) and in
 * the chosen chunks. The three must report the same events and the same error, or we abort.
 * ASan and UBSan turn any read out of bounds or overflow into a crash the fuzzer reports.
 * Run: ./wirelab test (briefly), or build-fuzz/fuzz/fuzz_ws_frame tests/ws_handshake/corpus/frame
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "ws_frame.h"
#include "ws_frame_fast.h"

/* What one decoding reported, folded into a hash (FNV-1a) so runs can be compared. */
typedef struct summary {
    uint32_t hash;
    size_t events;
} summary;

static void mix(summary *s, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        s->hash = (s->hash ^ p[i]) * 16777619u;
}

static void mix_event(summary *s, unsigned kind, unsigned value, const uint8_t *data, size_t len)
{
    uint8_t head[10] = {(uint8_t)kind, (uint8_t)(value >> 8), (uint8_t)value};
    for (int i = 0; i < 7; i++)
        head[3 + i] = (uint8_t)(len >> (8 * i));
    mix(s, head, sizeof head);
    mix(s, data, len); /* reads every byte: ASan checks the bounds */
    s->events++;
}

static void on_frame(void *user, const ws_frame_header *h)
{
    uint8_t f[8] = {(uint8_t)h->fin,     (uint8_t)h->rsv,      (uint8_t)h->opcode,
                    (uint8_t)h->masked,  (uint8_t)h->len_bits, (uint8_t)h->header_len,
                    (uint8_t)h->mask[0], (uint8_t)h->mask[3]};
    mix_event(user, 'F', (unsigned)h->payload_len, f, sizeof f);
}

static void on_message(void *user, unsigned op, const uint8_t *data, size_t len)
{
    mix_event(user, 'M', op, data, len);
}

static void on_control(void *user, unsigned op, const uint8_t *data, size_t len)
{
    mix_event(user, 'C', op, data, len);
}

static void on_close(void *user, unsigned code, const uint8_t *reason, size_t len)
{
    mix_event(user, 'X', code, reason, len);
}

/* Decode data in chunks of `chunk` bytes; returns the error and fills *s. */
static int decode(const uint8_t *data, size_t size, ws_role role, size_t max, size_t chunk,
                  summary *s)
{
    static const ws_decoder_callbacks cb = {on_frame, on_message, on_control, on_close};
    ws_decoder_config cfg = {role, max, s};
    ws_decoder d;
    s->hash = 2166136261u;
    s->events = 0;
    ws_decoder_init(&d, &cfg, &cb);
    int err = WS_OK;
    uint64_t whole_frames = 0;
    for (size_t at = 0; at < size && err == WS_OK; at += chunk) {
        size_t n = size - at < chunk ? size - at : chunk;
        err = ws_decoder_feed_fast(&d, data + at, n, &whole_frames);
    }
    if (chunk == 1 && whole_frames != 0)
        abort(); /* a frame is at least 2 bytes: it is never whole in a 1-byte call */
    ws_decoder_free(&d);
    return err;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t knobs = data[0];
    data++, size--;

    /* Describe every prefix of the first 14 bytes: truncated headers must be reported. */
    for (size_t n = 0; n <= size && n <= WS_MAX_HEADER; n++) {
        ws_frame_header h;
        size_t need;
        if (ws_frame_describe(data, n, &h, &need) == WS_HDR_OK && h.header_len > n)
            abort();
        (void)ws_frame_header_check(&h, WS_ROLE_SERVER);
    }

    ws_role role = (knobs & 1) ? WS_ROLE_CLIENT : WS_ROLE_SERVER;
    size_t max = (knobs & 2) ? 300 : 0, chunk = (size_t)(knobs >> 2) + 1;
    summary whole, bytes, chunks;
    int e_whole = decode(data, size, role, max, size ? size : 1, &whole);
    int e_bytes = decode(data, size, role, max, 1, &bytes);
    int e_chunks = decode(data, size, role, max, chunk, &chunks);
    /* The fast path and the state machine must agree, event for event. */
    if (e_whole != e_bytes || e_whole != e_chunks || whole.hash != bytes.hash ||
        whole.hash != chunks.hash || whole.events != bytes.events || whole.events != chunks.events)
        abort();
    return 0;
}
