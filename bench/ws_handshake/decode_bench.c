/*
 * decode_bench.c - frame decoding speed: Wirelab's ws_decoder against wslay, same bytes.
 *
 * What it measures: a buffer of masked binary frames (as a client sends them) of 16 B, 1 KiB
 * and 1 MiB payloads is handed to each decoder in 64 KiB reads, as recv() would; both unmask
 * and deliver whole messages (wslay through its event API, which reassembles like ours); wslay's
 * frame API (one layer lower: frames only, no reassembly) is shown too.
 * Then unmasking alone (ws_mask_copy) against memcpy over the same 1 MiB.
 * Built and run by bench/ws_handshake/run.
 *
 * `ws_decode_bench --one wirelab|wslay-frame|wslay-event|none SIZE N` decodes N frames of SIZE
 * bytes once with one decoder (none: only builds the frames). Under valgrind's callgrind the
 * difference to `none`, divided by N, is the instructions each decoder spends per frame: a
 * figure a busy machine cannot disturb (the run script prints it).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

#include <wslay/wslay.h>

#include "ws_frame.h"

#define READ_SIZE 65536

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void key_gen(void *user, uint8_t key[4])
{
    uint32_t *x = user;
    *x = *x * 1103515245u + 12345u;
    memcpy(key, x, 4);
}

/* n frames of `size` bytes each, masked like a client's. */
static uint8_t *make_frames(size_t size, size_t n, size_t *total)
{
    size_t one = ws_encoded_size(size, 1);
    uint8_t *payload = malloc(size), *buf = malloc(one * n);
    uint32_t seed = 1;
    for (size_t i = 0; i < size; i++)
        payload[i] = (uint8_t)i;
    for (size_t i = 0; i < n; i++)
        ws_encode_frame(buf + i * one, one, 1, WS_OP_BINARY, payload, size, key_gen, &seed);
    free(payload);
    *total = one * n;
    return buf;
}

static size_t messages;
static uint64_t checksum;

static void on_message(void *user, unsigned op, const uint8_t *data, size_t len)
{
    (void)user;
    (void)op;
    messages++;
    checksum += len ? data[len - 1] : 0;
}

static double run_wirelab(const uint8_t *buf, size_t total)
{
    static const ws_decoder_callbacks cb = {NULL, on_message, NULL, NULL};
    ws_decoder_config cfg = {WS_ROLE_SERVER, 2u << 20, NULL};
    ws_decoder d;
    ws_decoder_init(&d, &cfg, &cb);
    double t = now_s();
    for (size_t at = 0; at < total; at += READ_SIZE) {
        size_t n = total - at < READ_SIZE ? total - at : READ_SIZE;
        if (ws_decoder_feed(&d, buf + at, n) != WS_OK) {
            fprintf(stderr, "decode_bench: wirelab decoder failed\n");
            exit(1);
        }
    }
    t = now_s() - t;
    ws_decoder_free(&d);
    return t;
}

typedef struct source {
    const uint8_t *buf;
    size_t total, at;
} source;

static ssize_t wslay_recv(wslay_event_context_ptr ctx, uint8_t *out, size_t len, int flags,
                          void *user)
{
    (void)flags;
    source *s = user;
    if (s->at == s->total) {
        wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
        return -1;
    }
    size_t n = s->total - s->at;
    if (n > len)
        n = len;
    if (n > READ_SIZE)
        n = READ_SIZE;
    memcpy(out, s->buf + s->at, n);
    s->at += n;
    return (ssize_t)n;
}

static void wslay_msg(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *arg,
                      void *user)
{
    (void)ctx;
    (void)user;
    messages++;
    checksum += arg->msg_length ? arg->msg[arg->msg_length - 1] : 0;
}

static double run_wslay(const uint8_t *buf, size_t total)
{
    source s = {buf, total, 0};
    struct wslay_event_callbacks cb = {wslay_recv, NULL, NULL, NULL, NULL, NULL, wslay_msg};
    wslay_event_context_ptr ctx;
    wslay_event_context_server_init(&ctx, &cb, &s);
    wslay_event_config_set_max_recv_msg_length(ctx, 2u << 20);
    double t = now_s();
    if (wslay_event_recv(ctx) != 0) {
        fprintf(stderr, "decode_bench: wslay failed\n");
        exit(1);
    }
    t = now_s() - t;
    wslay_event_context_free(ctx);
    return t;
}

/* wslay's lower layer: frames only (no reassembly, no callbacks per message). */
static ssize_t frame_recv(uint8_t *out, size_t len, int flags, void *user)
{
    (void)flags;
    source *s = user;
    if (s->at == s->total)
        return -1; /* wslay_frame_recv then reports an error: the end of the input */
    size_t n = s->total - s->at;
    if (n > len)
        n = len;
    memcpy(out, s->buf + s->at, n);
    s->at += n;
    return (ssize_t)n;
}

static double run_wslay_frame(const uint8_t *buf, size_t total, size_t expect_bytes)
{
    source s = {buf, total, 0};
    struct wslay_frame_callbacks cb = {NULL, frame_recv, NULL};
    wslay_frame_context_ptr ctx;
    wslay_frame_context_init(&ctx, &cb, &s);
    struct wslay_frame_iocb iocb;
    size_t got = 0;
    double t = now_s();
    while (wslay_frame_recv(ctx, &iocb) >= 0) {
        got += iocb.data_length;
        checksum += iocb.data_length ? iocb.data[iocb.data_length - 1] : 0;
    }
    t = now_s() - t;
    if (got != expect_bytes)
        fprintf(stderr, "decode_bench: wslay frame API saw %zu of %zu bytes\n", got, expect_bytes);
    wslay_frame_context_free(ctx);
    return t;
}

/* One measurement, as a line of bench/stats.py's results file: round, figure, contender, value. */
static void emit(int round, const char *figure, const char *contender, double value)
{
    printf("%d\t%s\t%s\t%.2f\n", round, figure, contender, value);
    fflush(stdout);
}

/* One round: the three decoders on the same frames, one after another (interleaved rounds
 * let bench/stats.py compare each round's pair, measured seconds apart). */
static void compare(int round, const char *figure, size_t size, size_t n)
{
    size_t total;
    uint8_t *buf = make_frames(size, n, &total);
    messages = 0;
    double t = run_wirelab(buf, total);
    if (messages != n)
        fprintf(stderr, "decode_bench: wirelab saw %zu of %zu messages\n", messages, n);
    emit(round, figure, "ws_decoder", (double)n / t);
    messages = 0;
    t = run_wslay(buf, total);
    if (messages != n)
        fprintf(stderr, "decode_bench: wslay saw %zu of %zu messages\n", messages, n);
    emit(round, figure, "wslay event API", (double)n / t);
    t = run_wslay_frame(buf, total, size * n);
    emit(round, figure, "wslay frame API", (double)n / t);
    free(buf);
}

static void unmask_vs_memcpy(int round)
{
    size_t n = 1u << 20;
    uint8_t *src = malloc(n), *dst = malloc(n), key[4] = {0x37, 0xfa, 0x21, 0x3d};
    memset(src, 0x55, n);
    memset(dst, 0, n);
    double t = now_s();
    for (int i = 0; i < 200; i++) {
        ws_mask_copy(dst, src, n, key, (uint64_t)i);
        checksum += dst[i];
    }
    t = now_s() - t;
    emit(round, "GB/s through 1 MiB buffers", "ws_mask_copy (unmask)", 200.0 * (double)n / t / 1e9);
    t = now_s();
    for (int i = 0; i < 200; i++) {
        memcpy(dst, src, n);
        dst[i] ^= 1;
        checksum += dst[i];
    }
    t = now_s() - t;
    emit(round, "GB/s through 1 MiB buffers", "memcpy", 200.0 * (double)n / t / 1e9);
    free(src);
    free(dst);
}

/* --one: decode once with one decoder, for callgrind (see the top of this file). */
static int run_one(const char *who, size_t size, size_t n)
{
    static const char *const names[] = {"none", "wirelab", "wslay-frame", "wslay-event"};
    int which = -1;
    for (int i = 0; i < 4; i++)
        if (strcmp(who, names[i]) == 0)
            which = i;
    if (which < 0 || n == 0) {
        fprintf(stderr, "decode_bench: --one wants none, wirelab, wslay-frame or wslay-event, "
                        "a size and a count above 0\n");
        return 2;
    }
    size_t total;
    uint8_t *buf = make_frames(size, n, &total);
    if (which == 1)
        run_wirelab(buf, total);
    else if (which == 2)
        run_wslay_frame(buf, total, size * n);
    else if (which == 3)
        run_wslay(buf, total);
    free(buf);
    printf("%s: %zu messages, checksum %llu\n", who, messages, (unsigned long long)checksum);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 5 && strcmp(argv[1], "--one") == 0)
        return run_one(argv[2], strtoul(argv[3], NULL, 10), strtoul(argv[4], NULL, 10));
    int rounds = argc == 2 ? atoi(argv[1]) : 5;
    if (argc > 2 || rounds < 1) {
        fprintf(stderr, "usage: ws_decode_bench [ROUNDS] | --one "
                        "wirelab|wslay-frame|wslay-event|none SIZE N\n");
        return 2;
    }
    for (int round = 1; round <= rounds; round++) {
        compare(round, "frames/s decoded, 16 B masked", 16, 2000000);
        compare(round, "frames/s decoded, 1 KiB masked", 1024, 40000);
        compare(round, "frames/s decoded, 1 MiB masked", 1u << 20, 48);
        unmask_vs_memcpy(round);
    }
    if (checksum == 42) /* keep the compiler from skipping work whose result is unused */
        puts("");
    return 0;
}
