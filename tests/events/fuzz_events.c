/*
 * fuzz_events.c - libFuzzer target for everything events_server reads from the network before
 * any session exists: the HTTP request reader, the polling body walker, the Socket.IO packet
 * decoder with its JSON checks, the JSON readers (sio_json.c), and sio_describe (the sniffer's
 * view of the same bytes).
 *
 * What it teaches: all of these take bytes an attacker chooses. The first input byte picks the
 * chunk size for the HTTP reader; the rest is fed as a request, then (whatever the request's
 * fate) used as a polling body and as a Socket.IO packet. Nothing may crash, hang, leak or read
 * out of bounds. Run: ./wirelab test (briefly), or
 * build-fuzz/fuzz/fuzz_events tests/events/corpus/packet tests/events/corpus/request
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "eio_http.h"
#include "eio_packet.h"
#include "sio_json.h"
#include "sio_packet.h"

static void fuzz_request(const uint8_t *data, size_t size, size_t chunk)
{
    eio_req r;
    eio_req_init(&r, 4096);
    size_t at = 0;
    while (at < size && r.state == EIO_REQ_MORE) {
        size_t n = size - at < chunk ? size - at : chunk;
        size_t used = eio_req_feed(&r, data + at, n);
        at += used;
        if (used == 0)
            break;
    }
    if (r.state == EIO_REQ_DONE) {
        const char *v;
        size_t vl;
        eio_query_get(&r, "sid", &v, &vl);
        eio_req_header(&r, "Origin", &v, &vl);
        eio_req_path_is(&r, "/socket.io/");
    }
    eio_req_free(&r);
}

static void fuzz_body(const uint8_t *data, size_t size)
{
    uint8_t *scratch = malloc(size + 1);
    size_t pos = 0;
    eio_packet p;
    while (scratch && eio_payload_next(data, size, &pos, scratch, size + 1, &p) == 1)
        ;
    free(scratch);
}

/* The JSON checker on the raw bytes, and, when they are JSON, every reader over them: each
 * item of an array (and each string among them, decoded), and one member of an object. */
static void fuzz_json(const char *s, size_t n)
{
    const char *item;
    size_t len;
    char out[256];
    if (sio_json_check(s, n, 2, NULL) != SIO_JSON_OK)
        return;
    for (size_t i = 0; i < 64 && sio_json_item(s, n, i, &item, &len); i++)
        if (item[0] == '"')
            sio_json_string(item, len, out, sizeof out);
    if (sio_json_member(s, n, "pid", &item, &len) && item[0] == '"')
        sio_json_string(item, len, out, sizeof out);
    sio_json_quote(s, n < 40 ? n : 40, out, sizeof out);
}

static void fuzz_packet(const uint8_t *data, size_t size)
{
    char *copy = malloc(size ? size : 1); /* exactly size bytes: ASan catches any overread */
    if (copy == NULL)
        return;
    memcpy(copy, data, size);
    sio_packet p;
    if (sio_decode(copy, size, &p) == 0 && sio_check_data(&p) == 0)
        sio_check_placeholders(&p);
    fuzz_json(copy, size);
    char line[200];
    sio_describe(data, size, line, sizeof line);
    sio_describe_http(data, size, line, sizeof line);
    free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t chunk = (size_t)data[0] + 1;
    data++, size--;
    fuzz_request(data, size, chunk);
    fuzz_body(data, size);
    fuzz_packet(data, size);
    return 0;
}
