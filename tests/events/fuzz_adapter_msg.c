/*
 * fuzz_adapter_msg.c - libFuzzer target for the Redis adapter's decoders (events/adapter_msg.c):
 * whatever another "server" publishes on a socket.io channel of our Redis reaches them.
 *
 * What it teaches: a cluster peer is a network peer: its messages are untrusted bytes. Each
 * input is decoded as a broadcast, as a request or response, and as a plain MessagePack value;
 * a broadcast that decodes is encoded again and must decode to the same JSON text. Nothing may
 * crash, leak or read out of bounds. Run: ./wirelab test (briefly), or
 * build-fuzz/fuzz/fuzz_adapter_msg tests/events/corpus/adapter
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "adapter_msg.h"

static void round_trip(const adapter_bcast *b)
{
    const char *event_end = strchr(b->packet.json + 2, '"'); /* ["name",...: name unescaped? */
    if (event_end == NULL ||
        memchr(b->packet.json + 2, '\\', (size_t)(event_end - b->packet.json - 2)))
        return; /* an escaped event name: not worth unescaping here */
    char event[256];
    size_t elen = (size_t)(event_end - b->packet.json - 2);
    if (elen >= sizeof event)
        return;
    memcpy(event, b->packet.json + 2, elen);
    event[elen] = '\0';
    const char *rest = event_end + 1; /* ",args...]" or "]" */
    size_t rlen = strlen(rest);
    char *args = malloc(rlen + 2);
    if (args == NULL)
        return;
    args[0] = '[';
    memcpy(args + 1, rest[0] == ',' ? rest + 1 : rest, rest[0] == ',' ? rlen : rlen + 1);
    sio_target t = {.rooms = (const char *const *)b->rooms.names, .nrooms = b->rooms.n};
    uint8_t *out;
    size_t n;
    if (adapter_encode_bcast("u", b->packet.nsp, event, args, b->packet.bins, b->packet.nbins, &t,
                             NULL, &out, &n) == 0) {
        adapter_bcast again;
        if (adapter_decode_bcast(out, n, &again) == 0) {
            if (again.rooms.n != b->rooms.n)
                abort();
            adapter_bcast_free(&again);
        }
        free(out);
    }
    free(args);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    adapter_bcast b;
    if (adapter_decode_bcast(data, size, &b) == 0) {
        round_trip(&b);
        adapter_bcast_free(&b);
    }
    adapter_req r;
    if (adapter_decode_req(data, size, &r) == 0)
        adapter_req_free(&r);
    char *json;
    sio_bin *bins;
    size_t nbins;
    if (adapter_msgpack_to_json(data, size, &json, &bins, &nbins) == 0) {
        free(json);
        adapter_bins_free(bins, nbins);
    }
    return 0;
}
