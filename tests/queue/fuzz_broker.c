/*
 * fuzz_broker.c - libFuzzer target: arbitrary bytes from several clients through the line
 * framer, the parser and the broker state, with disconnects in between. Nothing a client sends
 * may crash the broker, leak, or break its bookkeeping (ASan + UBSan watch; the checks below
 * watch the counts).
 *
 * Input format (so the fuzzer can reach every path): a sequence of chunks, each
 *   1 byte  control: low 2 bits = which of 4 clients; bit 2 set = that client disconnects
 *           (and a new one takes its place) before the chunk's bytes are delivered; bit 3
 *           set = the clock moves on one second and due ACK deadlines are expired first
 *   1 byte  length n, then n bytes delivered to that client as one read
 * Run: ./wirelab test (builds build-fuzz/ with clang and runs it for WIRELAB_FUZZ_SECONDS).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "broker.h"
#include "proto.h"

#define CLIENTS 4

struct client {
    broker_client *bc;
    proto_framer framer;
    uint8_t pending[256 + 80]; /* what the framer has not used yet (max_line + one chunk) */
    size_t have;
};

static uint64_t bytes_sent;
static uint64_t now_ms;

static uint64_t fake_clock(void)
{
    return now_ms;
}

static void count_send(void *handle, const char *data, size_t len)
{
    (void)handle;
    if (len == 0 || data[len - 1] != '\n')
        abort(); /* every line the broker sends must be one complete line */
    bytes_sent += len;
}

static void feed(struct client *c, const uint8_t *data, size_t n)
{
    memcpy(c->pending + c->have, data, n);
    c->have += n;
    for (;;) {
        size_t line_len, used;
        int rc = proto_frame(&c->framer, c->pending, c->have, &line_len, &used);
        if (rc == PROTO_LINE)
            broker_client_line(c->bc, (const char *)c->pending, line_len);
        else if (rc == PROTO_TOO_LONG)
            broker_client_too_long(c->bc);
        memmove(c->pending, c->pending + used, c->have - used);
        c->have -= used;
        if (rc == PROTO_NEED_MORE && used == 0)
            break;
    }
    if (c->have > 64 + 1)
        abort(); /* the framer must never let unconsumed input grow past the line limit */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    broker_config cfg = {.capacity = 4,
                         .max_line = 64,
                         .max_names = 6,
                         .prefetch = 2,
                         .ack_timeout_s = 1,
                         .max_deliveries = 2,
                         .send = count_send,
                         .now_ms = fake_clock};
    now_ms = 0;
    char err[128];
    broker *b = broker_new(&cfg, err, sizeof err);
    struct client cl[CLIENTS];
    memset(cl, 0, sizeof cl);
    for (int i = 0; i < CLIENTS; i++) {
        cl[i].bc = broker_client_new(b, &cl[i]);
        cl[i].framer.max_line = cfg.max_line;
    }
    size_t at = 0;
    while (at + 2 <= size) {
        uint8_t ctl = data[at], n = data[at + 1];
        at += 2;
        if (n > size - at)
            n = (uint8_t)(size - at);
        struct client *c = &cl[ctl & 3];
        if (ctl & 8) {
            now_ms += 1000;
            broker_expire(b);
        }
        if (ctl & 4) {
            broker_client_gone(c->bc);
            memset(c, 0, sizeof *c);
            c->bc = broker_client_new(b, c);
            c->framer.max_line = cfg.max_line;
        }
        if (n > 80)
            n = 80;
        feed(c, data + at, n);
        at += n;
    }
    broker_stats s = broker_get_stats(b);
    if (s.redelivered > s.delivered || s.acked > s.in)
        abort();
    for (int i = 0; i < CLIENTS; i++)
        broker_client_gone(cl[i].bc);
    if (broker_get_holding(b).inflight != 0 || broker_next_deadline(b) != UINT64_MAX)
        abort(); /* every client is gone: nothing may still be in flight */
    broker_free(b);
    return 0;
}
