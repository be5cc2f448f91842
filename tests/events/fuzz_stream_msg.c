/*
 * fuzz_stream_msg.c - libFuzzer target for the Redis streams adapter's decoders
 * (events/stream_msg.c): whatever any client of our Redis writes to the stream "socket.io", to
 * a socket.io#<nsp># channel or to a sio:session: key reaches them.
 *
 * What it teaches: a shared stream is a shared input. The first byte picks what the rest is:
 * a pub/sub message (MessagePack), a session (base64 of MessagePack), or a stream entry whose
 * fields are separated by NUL bytes; whatever decodes is then read as the adapter reads it
 * (opts, names, the packet, a request id), and a data that decodes is encoded again as the
 * stream's field and must decode again. Nothing may crash, leak or read out of bounds.
 * Run: ./wirelab test (briefly), or build-fuzz/fuzz/fuzz_stream_msg tests/events/corpus/stream
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stream_msg.h"

static void read_all(const stream_msg *m)
{
    stream_opts o;
    adapter_rooms r;
    char event[256], id[64], *args, *raw;
    int64_t ack;
    if (m->data == NULL)
        return;
    if (stream_read_opts(m->data, &o) == 0) {
        adapter_rooms none = {0};
        stream_should_include(&o.rooms, &none, &o.except);
        stream_opts_free(&o);
    }
    if (stream_read_names(m->data, "rooms", &r) == 0) {
        for (size_t i = 0; i < r.n; i++)
            free(r.names[i]);
        free(r.names);
    }
    if (stream_read_packet(m->data, event, sizeof event, &args, &ack) == 0)
        free(args);
    stream_read_string(m->data, "requestId", id, sizeof id);
    free(stream_read_raw(m->data, "sockets"));
    char *field;
    if (m->data[0] == '{' && stream_encode_field(m->data, m->bins, m->nbins, &field) == 0) {
        const char *kv[] = {"nsp", "/", "type", "3", "data", field};
        size_t len[] = {3, 1, 4, 1, 4, strlen(field)};
        stream_msg again;
        if (stream_decode_entry(kv, len, 6, &again) != 0)
            abort(); /* what we write, we must read */
        stream_msg_free(&again);
        free(field);
    }
    if ((raw = stream_read_raw(m->data, "packet")) != NULL)
        free(raw);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    stream_msg m;
    const char *text = (const char *)data + 1;
    size_t n = size - 1;
    if (data[0] % 3 == 0) {
        if (stream_decode_pubsub(data + 1, n, &m) == 0) {
            read_all(&m);
            stream_msg_free(&m);
        }
    } else if (data[0] % 3 == 1) {
        char *b64 = malloc(n + 1);
        stream_session s;
        if (b64 == NULL)
            return 0;
        memcpy(b64, text, n);
        b64[n] = '\0';
        if (stream_decode_session(b64, n, &s) == 0)
            stream_session_free(&s);
        stream_id_valid(b64);
        free(b64);
    } else { /* field\0value\0field\0value... */
        const char *kv[16];
        size_t len[16], k = 0, start = 0;
        char *copy = malloc(n + 1);
        if (copy == NULL)
            return 0;
        memcpy(copy, text, n);
        copy[n] = '\0';
        for (size_t i = 0; i <= n && k < 16; i++)
            if (i == n || copy[i] == '\0') {
                kv[k] = copy + start;
                len[k++] = i - start;
                start = i + 1;
            }
        if (stream_decode_entry(kv, len, k, &m) == 0) {
            read_all(&m);
            stream_msg_free(&m);
        }
        free(copy);
    }
    return 0;
}
