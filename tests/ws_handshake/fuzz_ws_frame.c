/*
 * fuzz_ws_frame.c - libFuzzer target for the frame decoder and ws_frame_describe.
 *
 * What it teaches: a decoder facing the network must survive any bytes. The first input byte
 * picks the role, the chunk size and a small message limit; the rest is fed in those chunks.
 * ASan and UBSan turn any read out of bounds or overflow into a crash the fuzzer reports.
 * Run: ./wirelab test (briefly), or build-fuzz/fuzz/fuzz_ws_frame tests/ws_handshake/corpus/frame
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "ws_frame.h"

static size_t total;

static void on_message(void *user, unsigned op, const uint8_t *data, size_t len)
{
    (void)user;
    (void)op;
    if (len > 0)
        total += data[0] + data[len - 1]; /* touch both ends: ASan checks the bounds */
}

static void on_control(void *user, unsigned op, const uint8_t *data, size_t len)
{
    on_message(user, op, data, len);
}

static void on_close(void *user, unsigned code, const uint8_t *reason, size_t len)
{
    (void)code;
    on_message(user, 0, reason, len);
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

    static const ws_decoder_callbacks cb = {NULL, on_message, on_control, on_close};
    ws_decoder_config cfg = {(knobs & 1) ? WS_ROLE_CLIENT : WS_ROLE_SERVER, (knobs & 2) ? 300 : 0,
                             NULL};
    size_t chunk = (size_t)(knobs >> 2) + 1;
    ws_decoder d;
    ws_decoder_init(&d, &cfg, &cb);
    for (size_t at = 0; at < size; at += chunk) {
        size_t n = size - at < chunk ? size - at : chunk;
        if (ws_decoder_feed(&d, data + at, n) != WS_OK)
            break;
    }
    ws_decoder_free(&d);
    return 0;
}
