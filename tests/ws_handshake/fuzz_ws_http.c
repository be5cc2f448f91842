/*
 * fuzz_ws_http.c - libFuzzer target for the HTTP upgrade parser and the handshake rules.
 *
 * What it teaches: the request head is the first thing an attacker controls. The first input
 * byte picks request or response parsing and the chunk size; the parser, the verdict and the
 * response writer must cope with anything. Run: ./wirelab test (briefly), or
 * build-fuzz/fuzz/fuzz_ws_http tests/ws_handshake/corpus/http
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ws_handshake.h"
#include "ws_http.h"

static ws_http parser;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t knobs = data[0];
    data++, size--;
    int response = knobs & 1;
    size_t chunk = (size_t)(knobs >> 1) + 1;

    ws_http_init(&parser, response ? WS_HTTP_RESPONSE : WS_HTTP_REQUEST);
    size_t at = 0;
    while (at < size && parser.result == WS_HTTP_MORE) {
        size_t n = size - at < chunk ? size - at : chunk;
        size_t used = ws_http_feed(&parser, data + at, n);
        if (used > n)
            abort();
        at += used;
        if (used < n)
            break;
    }
    if (parser.used > WS_HTTP_MAX_HEAD)
        abort();
    char out[WS_RESPONSE_MAX];
    if (response) {
        char why[WS_ERR_LEN];
        (void)ws_handshake_check_response(&parser, "dGhlIHNhbXBsZSBub25jZQ==", "chat", why,
                                          sizeof why);
        return 0;
    }
    static const char *const protocols[] = {"chat", "superchat", NULL};
    ws_verdict v;
    ws_handshake_check(&parser, "/ws", protocols, &v);
    size_t n = ws_handshake_response(&parser, &v, out, sizeof out);
    if (n == 0 || strlen(out) != n)
        abort(); /* every verdict must produce a complete response */
    return 0;
}
