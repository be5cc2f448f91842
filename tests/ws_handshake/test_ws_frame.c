/*
 * test_ws_frame.c - the RFC 6455 frame codec: examples, every split, one negative test per rule.
 *
 * What it teaches: a streaming decoder must give the same answer however the bytes are cut.
 * Every input here is decoded whole, split in two at every byte boundary, and fed one byte at a
 * time (wslay's test_wslay_frame_recv_1byte does the same), and the three event logs must be
 * identical. Each rule of the RFC has a frame that breaks only that rule, and the test checks
 * the error's name and the close code it earns. Run: build/tests/test_ws_frame
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ws_frame.h"
#include "ws_frame_fast.h"

/* ---- an event recorder: what the decoder reported, as one line of text ---- */

typedef struct recorder {
    char log[4096];
    size_t n;
    uint32_t hash;        /* of every event, also those past the end of log[] */
    uint64_t fast_frames; /* frames the decoder's fast path took */
} recorder;

static uint32_t fnv1a(const uint8_t *p, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 16777619u;
    return h;
}

static void logf_(recorder *r, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (k <= 0)
        return;
    size_t n = (size_t)k < sizeof line ? (size_t)k : sizeof line - 1;
    r->hash = (r->hash ^ fnv1a((const uint8_t *)line, n)) * 16777619u;
    if (n < sizeof r->log - r->n) {
        memcpy(r->log + r->n, line, n + 1);
        r->n += n;
    }
}

/* Short payloads are logged as text, long ones as length and checksum. */
static void log_data(recorder *r, const uint8_t *p, size_t n)
{
    if (n <= 32)
        logf_(r, "'%.*s'", (int)n, (const char *)p);
    else
        logf_(r, "%zu bytes #%08x", n, fnv1a(p, n));
}

static void on_message(void *user, unsigned op, const uint8_t *data, size_t len)
{
    logf_(user, "[%s ", ws_opcode_name(op));
    log_data(user, data, len);
    logf_(user, "]");
}

static void on_control(void *user, unsigned op, const uint8_t *data, size_t len)
{
    logf_(user, "[%s ", ws_opcode_name(op));
    log_data(user, data, len);
    logf_(user, "]");
}

static void on_close(void *user, unsigned code, const uint8_t *reason, size_t len)
{
    logf_(user, "[close %u ", code);
    log_data(user, reason, len);
    logf_(user, "]");
}

/* Every header too, as ws_frame_format describes it (the fast path must report the same). */
static void on_frame(void *user, const ws_frame_header *h)
{
    char line[160];
    ws_frame_format(h, line, sizeof line);
    logf_(user, "{%s}", line);
}

static const ws_decoder_callbacks callbacks = {NULL, on_message, on_control, on_close};
static const ws_decoder_callbacks traced = {on_frame, on_message, on_control, on_close};

/* ---- feeding ---- */

/*
 * Which entry the decoder is fed through: the fast path with its count of whole frames (the
 * default), what programs call (ws_decoder_feed), or the state machine alone.
 */
static enum { FEED_FAST, FEED_PROGRAM, FEED_STEPWISE } feed_path;

static int feed(ws_decoder *d, const uint8_t *p, size_t n, recorder *r)
{
    switch (feed_path) {
    case FEED_PROGRAM:
        return ws_decoder_feed(d, p, n);
    case FEED_STEPWISE:
        return ws_decoder_feed_stepwise(d, p, n);
    default:
        return ws_decoder_feed_fast(d, p, n, &r->fast_frames);
    }
}

typedef struct decode_opts {
    ws_role role;
    size_t max_message;
    int trace; /* 1: log every header too (on_frame) */
} decode_opts;

/* Feed in pieces: the first `cut` bytes, then the rest in chunks of `chunk` (0 = all). */
static int decode(const uint8_t *in, size_t len, decode_opts o, size_t cut, size_t chunk,
                  recorder *r)
{
    ws_decoder d;
    ws_decoder_config cfg = {o.role, o.max_message, r};
    memset(r, 0, sizeof *r);
    ws_decoder_init(&d, &cfg, o.trace ? &traced : &callbacks);
    int err = feed(&d, in, cut, r);
    size_t at = cut;
    while (err == WS_OK && at < len) {
        size_t n = chunk == 0 || chunk > len - at ? len - at : chunk;
        err = feed(&d, in + at, n, r);
        at += n;
    }
    logf_(r, "=> %s", ws_error_name(err));
    ws_decoder_free(&d);
    return err;
}

/* A small deterministic generator (xorshift64*), so a failing case can be replayed. */
static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ull;
}

static size_t rng_below(uint64_t *s, size_t n)
{
    return (size_t)(rng_next(s) >> 33) % n;
}

/* Feed in random chunks of 1..max_chunk bytes (the cuts a real network makes). */
static int decode_random(const uint8_t *in, size_t len, decode_opts o, uint64_t seed,
                         size_t max_chunk, recorder *r)
{
    ws_decoder d;
    ws_decoder_config cfg = {o.role, o.max_message, r};
    memset(r, 0, sizeof *r);
    ws_decoder_init(&d, &cfg, o.trace ? &traced : &callbacks);
    int err = WS_OK;
    for (size_t at = 0; err == WS_OK && at < len;) {
        size_t n = 1 + rng_below(&seed, max_chunk);
        n = n > len - at ? len - at : n;
        err = feed(&d, in + at, n, r);
        at += n;
    }
    logf_(r, "=> %s", ws_error_name(err));
    ws_decoder_free(&d);
    return err;
}

/* Two logs of the same input must be the same, event for event. */
static void expect_same_log(const recorder *got, const recorder *want, const char *how,
                            uint64_t seed)
{
    if (got->hash != want->hash || strcmp(got->log, want->log) != 0)
        fail_msg("input of seed %llu fed %s gave\n  %s\ninstead of (fed whole)\n  %s",
                 (unsigned long long)seed, how, got->log, want->log);
}

/*
 * Decode whole, at every two-piece split (for inputs up to 4 KiB), and one byte at a time;
 * all must agree. Returns the error and leaves the whole-input log in *r.
 */
static int decode_all_ways(const uint8_t *in, size_t len, decode_opts o, recorder *r)
{
    static recorder other;
    /* Fed whole through the state machine alone and through ws_decoder_feed: the reference. */
    feed_path = FEED_STEPWISE;
    int err_steps = decode(in, len, o, len, 0, &other);
    feed_path = FEED_PROGRAM;
    static recorder program;
    assert_int_equal(decode(in, len, o, len, 0, &program), err_steps);
    expect_same_log(&program, &other, "whole to ws_decoder_feed (state machine alone: want)", 0);
    feed_path = FEED_FAST;
    int err = decode(in, len, o, len, 0, r);
    assert_int_equal(err, err_steps);
    expect_same_log(r, &other, "whole to the fast path (state machine alone: want)", 0);
    assert_int_equal(decode(in, len, o, 0, 1, &other), err);
    assert_string_equal(other.log, r->log);
    assert_int_equal(other.hash, r->hash);
    /* One byte at a time no frame is ever whole: that run is the state machine alone. */
    assert_int_equal(other.fast_frames, 0);
    for (size_t cut = 0; cut <= len && len <= 4096; cut++) {
        decode(in, len, o, cut, 0, &other);
        if (strcmp(other.log, r->log) != 0 || other.hash != r->hash)
            fail_msg("split at byte %zu of %zu gave\n  %s\ninstead of\n  %s", cut, len, other.log,
                     r->log);
    }
    return err;
}

static const decode_opts AS_SERVER = {WS_ROLE_SERVER, 0, 0};
static const decode_opts AS_CLIENT = {WS_ROLE_CLIENT, 0, 0};

static void expect_log(const uint8_t *in, size_t len, decode_opts o, const char *want)
{
    static recorder r;
    decode_all_ways(in, len, o, &r);
    if (strcmp(r.log, want) != 0)
        fail_msg("expected\n  %s\nbut the decoder reported\n  %s", want, r.log);
}

/* The RFC's example masking key (5.7). */
static const uint8_t KEY[4] = {0x37, 0xfa, 0x21, 0x3d};

static void fixed_key(void *user, uint8_t key[4])
{
    (void)user;
    memcpy(key, KEY, 4);
}

/* Append one frame to buf at *at: rsv bits, opcode, payload; masked with KEY if masked. */
static void put(uint8_t *buf, size_t *at, unsigned fin, unsigned rsv, unsigned op,
                const void *payload, size_t len, int masked)
{
    size_t h = ws_encode_header(buf + *at, fin, op, len, masked ? KEY : NULL);
    buf[*at] |= (uint8_t)(rsv << 4);
    memcpy(buf + *at + h, payload, len);
    if (masked)
        ws_mask(buf + *at + h, len, KEY, 0);
    *at += h + len;
}

/* A frame that breaks one rule must fail with that error and its close code, every way. */
static void expect_error(const uint8_t *in, size_t len, decode_opts o, ws_error want, int code)
{
    static recorder r;
    int err = decode_all_ways(in, len, o, &r);
    if (err != (int)want)
        fail_msg("expected %s but got %s (log: %s)", ws_error_name(want), ws_error_name(err),
                 r.log);
    assert_int_equal(ws_error_close_code(err), code);
}

/* ---- RFC 6455 5.7 examples ---- */

static void rfc_examples_decode(void **state)
{
    (void)state;
    static const uint8_t hello_unmasked[] = {0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f};
    static const uint8_t hello_masked[] = {0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d,
                                           0x7f, 0x9f, 0x4d, 0x51, 0x58};
    static const uint8_t fragmented[] = {0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f};
    static const uint8_t ping[] = {0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f};
    static const uint8_t pong_masked[] = {0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d,
                                          0x7f, 0x9f, 0x4d, 0x51, 0x58};
    expect_log(hello_unmasked, sizeof hello_unmasked, AS_CLIENT, "[text 'Hello']=> WS_OK");
    expect_log(hello_masked, sizeof hello_masked, AS_SERVER, "[text 'Hello']=> WS_OK");
    expect_log(fragmented, sizeof fragmented, AS_CLIENT, "[text 'Hello']=> WS_OK");
    expect_log(ping, sizeof ping, AS_CLIENT, "[ping 'Hello']=> WS_OK");
    expect_log(pong_masked, sizeof pong_masked, AS_SERVER, "[pong 'Hello']=> WS_OK");
}

static void rfc_examples_lengths(void **state)
{
    (void)state;
    static uint8_t buf[70000];
    memset(buf, 0, sizeof buf);
    /* 256 bytes: 0x82 0x7E 0x0100; 65536 bytes: 0x82 0x7F 0x0000000000010000 */
    buf[0] = 0x82, buf[1] = 0x7e, buf[2] = 0x01, buf[3] = 0x00;
    static recorder r;
    assert_int_equal(decode_all_ways(buf, 4 + 256, AS_CLIENT, &r), WS_OK);
    assert_non_null(strstr(r.log, "[binary 256 bytes"));
    static const uint8_t h64[] = {0x82, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0};
    memcpy(buf, h64, sizeof h64);
    memset(buf + 10, 'z', 65536);
    assert_int_equal(decode(buf, 10 + 65536, AS_CLIENT, 0, 1, &r), WS_OK);
    assert_non_null(strstr(r.log, "[binary 65536 bytes"));
    assert_int_equal(decode(buf, 10 + 65536, AS_CLIENT, 7, 1000, &r), WS_OK);
    assert_non_null(strstr(r.log, "[binary 65536 bytes"));
}

static void encoder_matches_rfc(void **state)
{
    (void)state;
    uint8_t out[32];
    static const uint8_t hello_masked[] = {0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d,
                                           0x7f, 0x9f, 0x4d, 0x51, 0x58};
    assert_int_equal(ws_encode_frame(out, sizeof out, 1, WS_OP_TEXT, (const uint8_t *)"Hello", 5,
                                     fixed_key, NULL),
                     sizeof hello_masked);
    assert_memory_equal(out, hello_masked, sizeof hello_masked);
    assert_int_equal(
        ws_encode_frame(out, sizeof out, 1, WS_OP_PING, (const uint8_t *)"Hello", 5, NULL, NULL),
        7);
    assert_memory_equal(out, "\x89\x05Hello", 7);
    assert_int_equal(
        ws_encode_frame(out, 6, 1, WS_OP_TEXT, (const uint8_t *)"Hello", 5, NULL, NULL), 0);
    uint8_t h[WS_MAX_HEADER];
    assert_int_equal(ws_encode_header(h, 1, WS_OP_BINARY, 256, NULL), 4);
    assert_memory_equal(h, "\x82\x7e\x01\x00", 4);
    assert_int_equal(ws_encode_header(h, 1, WS_OP_BINARY, 65536, NULL), 10);
    assert_memory_equal(h, "\x82\x7f\x00\x00\x00\x00\x00\x01\x00\x00", 10);
    assert_int_equal(ws_encode_header(h, 0, WS_OP_TEXT, 65535, KEY), 8);
    assert_memory_equal(h, "\x01\xfe\xff\xff\x37\xfa\x21\x3d", 8);
    assert_int_equal(ws_encoded_size(125, 1), 131);
    assert_int_equal(ws_encoded_size(126, 0), 130);
    assert_int_equal(ws_encoded_size(70000, 1), 70014);
}

/* ---- describing one header without a connection (what the sniffer does) ---- */

static void describe_fields(void **state)
{
    (void)state;
    static const uint8_t hdr[] = {0x82, 0xff, 0, 0, 0, 0, 0, 1, 0, 0, 0x37, 0xfa, 0x21, 0x3d};
    ws_frame_header h;
    size_t need = 0;
    assert_int_equal(ws_frame_describe(hdr, sizeof hdr, &h, &need), WS_HDR_OK);
    assert_int_equal(h.fin, 1);
    assert_int_equal(h.rsv, 0);
    assert_int_equal(h.opcode, WS_OP_BINARY);
    assert_int_equal(h.masked, 1);
    assert_int_equal(h.len_bits, 64);
    assert_int_equal(h.payload_len, 65536);
    assert_memory_equal(h.mask, KEY, 4);
    assert_int_equal(h.header_len, 14);
    assert_int_equal(need, 14);
    assert_int_equal(ws_frame_header_check(&h, WS_ROLE_SERVER), WS_OK);
    assert_int_equal(ws_frame_header_check(&h, WS_ROLE_CLIENT), WS_E_MASKED);
    char line[160];
    ws_frame_format(&h, line, sizeof line);
    assert_string_equal(line, "FIN=1 RSV=0 opcode=0x2 (binary) MASK=1 key=37fa213d len=65536 "
                              "(64-bit)");
    static const uint8_t ping[] = {0x09, 0x00};
    assert_int_equal(ws_frame_describe(ping, 2, &h, NULL), WS_HDR_OK);
    ws_frame_format(&h, line, sizeof line);
    assert_string_equal(line, "FIN=0 RSV=0 opcode=0x9 (ping) MASK=0 len=0 (7-bit)");
}

/* Every prefix of a header is "truncated", with the right count of bytes needed. */
static void describe_truncated(void **state)
{
    (void)state;
    static const struct {
        uint8_t bytes[14];
        size_t len;
    } cases[] = {
        {{0x81, 0x05}, 2},
        {{0x81, 0x85, 1, 2, 3, 4}, 6},
        {{0x82, 0x7e, 0x01, 0x00}, 4},
        {{0x82, 0xfe, 0x01, 0x00, 1, 2, 3, 4}, 8},
        {{0x82, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0}, 10},
        {{0x82, 0xff, 0, 0, 0, 0, 0, 1, 0, 0, 1, 2, 3, 4}, 14},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        ws_frame_header h;
        size_t need;
        for (size_t n = 0; n < cases[c].len; n++) {
            assert_int_equal(ws_frame_describe(cases[c].bytes, n, &h, &need), WS_HDR_TRUNCATED);
            assert_int_equal(need, n < 2 ? 2 : cases[c].len);
        }
        assert_int_equal(ws_frame_describe(cases[c].bytes, cases[c].len, &h, &need), WS_HDR_OK);
        assert_int_equal(h.header_len, cases[c].len);
    }
}

/* ---- one negative test per rule ---- */

static void rule_rsv_bits(void **state)
{
    (void)state;
    for (unsigned rsv = 1; rsv < 8; rsv++) {
        uint8_t buf[16];
        size_t at = 0;
        put(buf, &at, 1, rsv, WS_OP_TEXT, "hi", 2, 1);
        expect_error(buf, at, AS_SERVER, WS_E_RSV, 1002);
    }
}

static void rule_reserved_opcodes(void **state)
{
    (void)state;
    static const unsigned ops[] = {3, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf};
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        uint8_t buf[16];
        size_t at = 0;
        put(buf, &at, 1, 0, ops[i], "", 0, 1);
        expect_error(buf, at, AS_SERVER, WS_E_OPCODE, 1002);
    }
}

static void rule_control_at_most_125(void **state)
{
    (void)state;
    static uint8_t buf[400], payload[126];
    size_t at = 0;
    memset(payload, 'p', sizeof payload);
    put(buf, &at, 1, 0, WS_OP_PING, payload, 125, 1); /* 125 is fine */
    put(buf, &at, 1, 0, WS_OP_PING, payload, 126, 1);
    expect_error(buf, at, AS_SERVER, WS_E_CONTROL_TOO_LONG, 1002);
}

static void rule_control_not_fragmented(void **state)
{
    (void)state;
    uint8_t buf[16];
    size_t at = 0;
    put(buf, &at, 0, 0, WS_OP_PING, "a", 1, 1);
    expect_error(buf, at, AS_SERVER, WS_E_CONTROL_FRAGMENTED, 1002);
    at = 0;
    put(buf, &at, 0, 0, WS_OP_CLOSE, "\x03\xe8", 2, 1);
    expect_error(buf, at, AS_SERVER, WS_E_CONTROL_FRAGMENTED, 1002);
}

static void rule_minimal_length(void **state)
{
    (void)state;
    /* 125 in the 16-bit form, 65535 in the 64-bit form: both must use the shorter one */
    static uint8_t buf[70000];
    static const uint8_t h16[] = {0x82, 0xfe, 0x00, 0x7d, 1, 2, 3, 4};
    memcpy(buf, h16, sizeof h16);
    expect_error(buf, sizeof h16 + 125, AS_SERVER, WS_E_LENGTH_NOT_MINIMAL, 1002);
    static const uint8_t h64[] = {0x82, 0xff, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4};
    memcpy(buf, h64, sizeof h64);
    expect_error(buf, sizeof h64, AS_SERVER, WS_E_LENGTH_NOT_MINIMAL, 1002);
    static const uint8_t h16_ok[] = {0x82, 0xfe, 0x00, 0x7e, 1, 2, 3, 4};
    memcpy(buf, h16_ok, sizeof h16_ok);
    static recorder r;
    assert_int_equal(decode(buf, sizeof h16_ok + 126, AS_SERVER, 3, 0, &r), WS_OK);
}

static void rule_64bit_high_bit(void **state)
{
    (void)state;
    static const uint8_t h[] = {0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4};
    expect_error(h, sizeof h, AS_SERVER, WS_E_LENGTH_HIGH_BIT, 1002);
}

static void rule_client_frames_masked(void **state)
{
    (void)state;
    uint8_t buf[16];
    size_t at = 0;
    put(buf, &at, 1, 0, WS_OP_TEXT, "hi", 2, 0);
    expect_error(buf, at, AS_SERVER, WS_E_NOT_MASKED, 1002);
}

static void rule_server_frames_unmasked(void **state)
{
    (void)state;
    uint8_t buf[16];
    size_t at = 0;
    put(buf, &at, 1, 0, WS_OP_TEXT, "hi", 2, 1);
    expect_error(buf, at, AS_CLIENT, WS_E_MASKED, 1002);
}

static void rule_continuation_needs_open_message(void **state)
{
    (void)state;
    uint8_t buf[32];
    size_t at = 0;
    put(buf, &at, 1, 0, WS_OP_CONT, "lo", 2, 1);
    expect_error(buf, at, AS_SERVER, WS_E_CONT_NOTHING_OPEN, 1002);
    /* also right after a complete message */
    at = 0;
    put(buf, &at, 1, 0, WS_OP_TEXT, "Hel", 3, 1);
    put(buf, &at, 1, 0, WS_OP_CONT, "lo", 2, 1);
    expect_error(buf, at, AS_SERVER, WS_E_CONT_NOTHING_OPEN, 1002);
}

static void rule_no_new_message_while_open(void **state)
{
    (void)state;
    uint8_t buf[32];
    size_t at = 0;
    put(buf, &at, 0, 0, WS_OP_TEXT, "Hel", 3, 1);
    put(buf, &at, 1, 0, WS_OP_BINARY, "lo", 2, 1);
    expect_error(buf, at, AS_SERVER, WS_E_DATA_WHILE_OPEN, 1002);
}

static void rule_max_message_size(void **state)
{
    (void)state;
    static uint8_t buf[400], payload[200];
    decode_opts small = {WS_ROLE_SERVER, 100, 0};
    size_t at = 0;
    memset(payload, 'b', sizeof payload);
    put(buf, &at, 1, 0, WS_OP_BINARY, payload, 100, 1); /* exactly the limit: fine */
    put(buf, &at, 1, 0, WS_OP_BINARY, payload, 101, 1);
    expect_error(buf, at, small, WS_E_TOO_BIG, 1009);
    /* fragments that add up to more than the limit */
    at = 0;
    put(buf, &at, 0, 0, WS_OP_BINARY, payload, 60, 1);
    put(buf, &at, 1, 0, WS_OP_CONT, payload, 41, 1);
    expect_error(buf, at, small, WS_E_TOO_BIG, 1009);
    /* the default is 16 MiB: a header claiming more fails before any payload arrives */
    static const uint8_t huge[] = {0x82, 0xff, 0, 0, 0, 0, 0x01, 0, 0, 1, 1, 2, 3, 4};
    expect_error(huge, sizeof huge, AS_SERVER, WS_E_TOO_BIG, 1009);
}

static void rule_text_is_utf8(void **state)
{
    (void)state;
    uint8_t buf[64];
    size_t at = 0;
    put(buf, &at, 1, 0, WS_OP_TEXT, "ab\xc0\x80", 4, 1); /* overlong NUL */
    expect_error(buf, at, AS_SERVER, WS_E_UTF8, 1007);
    /* a character cut by the end of the message */
    at = 0;
    put(buf, &at, 1, 0, WS_OP_TEXT, "\xce\xba\xe1", 3, 1);
    expect_error(buf, at, AS_SERVER, WS_E_UTF8, 1007);
    /* binary messages are not checked */
    at = 0;
    put(buf, &at, 1, 0, WS_OP_BINARY, "\xff\xfe", 2, 1);
    expect_log(buf, at, AS_SERVER, "[binary '\xff\xfe']=> WS_OK");
}

static void rule_utf8_across_fragments(void **state)
{
    (void)state;
    uint8_t buf[64];
    size_t at = 0;
    /* "κ" (CE BA) split between two fragments, with a ping in between: valid */
    put(buf, &at, 0, 0, WS_OP_TEXT, "\xce", 1, 1);
    put(buf, &at, 1, 0, WS_OP_PING, "p", 1, 1);
    put(buf, &at, 1, 0, WS_OP_CONT, "\xba!", 2, 1);
    expect_log(buf, at, AS_SERVER, "[ping 'p'][text '\xce\xba!']=> WS_OK");
    /* the second fragment continues it wrongly: fail at that byte, before FIN */
    at = 0;
    put(buf, &at, 0, 0, WS_OP_TEXT, "\xce", 1, 1);
    put(buf, &at, 0, 0, WS_OP_CONT, "A", 1, 1);
    expect_error(buf, at, AS_SERVER, WS_E_UTF8, 1007);
}

/* Fail fast (RFC 6455 8.1): the bad byte is enough, the rest of the frame need not arrive. */
static void utf8_fails_fast(void **state)
{
    (void)state;
    static uint8_t buf[1100], payload[1000];
    memset(payload, 'a', sizeof payload);
    payload[3] = 0xff;
    size_t at = 0;
    put(buf, &at, 1, 0, WS_OP_TEXT, payload, sizeof payload, 1);
    ws_decoder d;
    ws_decoder_config cfg = {WS_ROLE_SERVER, 0, NULL};
    ws_decoder_init(&d, &cfg, NULL);
    assert_int_equal(ws_decoder_feed(&d, buf, 4 + 4 + 4), WS_E_UTF8);
    assert_int_equal(d.state, WS_DS_FAILED);
    assert_int_equal(ws_decoder_feed(&d, buf + 12, 10), WS_E_UTF8); /* stays failed */
    ws_decoder_free(&d);
}

static void rule_close_payload(void **state)
{
    (void)state;
    uint8_t buf[64];
    size_t at = 0;
    put(buf, &at, 1, 0, WS_OP_CLOSE, "\x03", 1, 1);
    expect_error(buf, at, AS_SERVER, WS_E_CLOSE_LEN1, 1002);
    static const unsigned bad[] = {0,    999,  1004, 1005, 1006, 1015,
                                   1016, 1100, 2000, 2999, 5000, 65535};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint8_t p[2] = {(uint8_t)(bad[i] >> 8), (uint8_t)bad[i]};
        at = 0;
        put(buf, &at, 1, 0, WS_OP_CLOSE, p, 2, 1);
        expect_error(buf, at, AS_SERVER, WS_E_CLOSE_CODE, 1002);
    }
    at = 0;
    put(buf, &at, 1, 0, WS_OP_CLOSE, "\x03\xe8\xff", 3, 1);
    expect_error(buf, at, AS_SERVER, WS_E_CLOSE_UTF8, 1007);
}

static void close_codes_accepted(void **state)
{
    (void)state;
    static const unsigned good[] = {1000, 1001, 1002, 1003, 1007, 1008, 1009,
                                    1010, 1011, 1012, 1013, 1014, 3000, 4999};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        uint8_t buf[32], p[8] = {(uint8_t)(good[i] >> 8), (uint8_t)good[i], 'b', 'y', 'e'};
        size_t at = 0;
        char want[64];
        put(buf, &at, 1, 0, WS_OP_CLOSE, p, 5, 1);
        snprintf(want, sizeof want, "[close %u 'bye']=> WS_OK", good[i]);
        expect_log(buf, at, AS_SERVER, want);
    }
    uint8_t buf[8];
    size_t at = 0;
    put(buf, &at, 1, 0, WS_OP_CLOSE, "", 0, 1);
    expect_log(buf, at, AS_SERVER, "[close 1005 '']=> WS_OK");
}

/* ---- streams of several frames ---- */

static void many_frames_in_one_read(void **state)
{
    (void)state;
    static uint8_t buf[512];
    size_t at = 0;
    put(buf, &at, 1, 0, WS_OP_TEXT, "one", 3, 1);
    put(buf, &at, 1, 0, WS_OP_BINARY, "", 0, 1);
    put(buf, &at, 0, 0, WS_OP_TEXT, "fr", 2, 1);
    put(buf, &at, 1, 0, WS_OP_PONG, "", 0, 1);
    put(buf, &at, 0, 0, WS_OP_CONT, "ag", 2, 1);
    put(buf, &at, 1, 0, WS_OP_CONT, "ment", 4, 1);
    put(buf, &at, 1, 0, WS_OP_TEXT, "", 0, 1);
    put(buf, &at, 1, 0, WS_OP_CLOSE, "\x03\xe8ok", 4, 1);
    put(buf, &at, 1, 0, WS_OP_TEXT, "after close: ignored", 20, 1);
    expect_log(buf, at, AS_SERVER,
               "[text 'one'][binary ''][pong ''][text 'fragment'][text ''][close 1000 'ok']"
               "=> WS_OK");
}

static void one_mib_message_in_odd_chunks(void **state)
{
    (void)state;
    size_t n = 1 << 20;
    uint8_t *payload = malloc(n), *buf = malloc(n + 64);
    assert_non_null(payload);
    assert_non_null(buf);
    for (size_t i = 0; i < n; i++)
        payload[i] = (uint8_t)('a' + i % 26);
    size_t at = 0;
    put(buf, &at, 0, 0, WS_OP_TEXT, payload, n / 2, 1);
    put(buf, &at, 1, 0, WS_OP_CONT, payload + n / 2, n - n / 2, 1);
    char want[64];
    snprintf(want, sizeof want, "[text %zu bytes #%08x]=> WS_OK", n, fnv1a(payload, n));
    static recorder r;
    static const size_t chunks[] = {0, 1, 7, 1000, 4096, 65537};
    for (size_t i = 0; i < sizeof chunks / sizeof chunks[0]; i++) {
        decode(buf, at, AS_SERVER, chunks[i] == 0 ? at : 3, chunks[i], &r);
        assert_string_equal(r.log, want);
    }
    free(payload);
    free(buf);
}

/* ---- the fast path: whole frames in one read must decode exactly as the state machine does ----
 */

/*
 * Append a frame whose header is written by hand, so a rule can be broken on purpose: byte0
 * holds FIN, RSV and the opcode; the length is written in len_bits (7, 16 or 64) as `claim`,
 * which need not be minimal (or even true); then the key (if masked) and the payload.
 */
static void put_raw(uint8_t *buf, size_t *at, uint8_t byte0, unsigned len_bits, uint64_t claim,
                    const void *payload, size_t len, int masked)
{
    uint8_t *p = buf + *at;
    size_t h = 2;
    p[0] = byte0;
    p[1] = masked ? 0x80 : 0x00;
    if (len_bits == 7) {
        p[1] |= (uint8_t)claim;
    } else if (len_bits == 16) {
        p[1] |= 126;
        p[2] = (uint8_t)(claim >> 8);
        p[3] = (uint8_t)claim;
        h = 4;
    } else {
        p[1] |= 127;
        for (int i = 0; i < 8; i++)
            p[2 + i] = (uint8_t)(claim >> (56 - 8 * i));
        h = 10;
    }
    if (masked) {
        memcpy(p + h, KEY, 4);
        h += 4;
    }
    memcpy(p + h, payload, len);
    if (masked)
        ws_mask(p + h, len, KEY, 0);
    *at += h + len;
}

/* The frames each breaking one rule (or two frames, for the rules about a pair). */
enum { N_BAD = 17 };

/* Append bad frame number `kind` (0..N_BAD-1); returns the error it must give. */
static ws_error put_bad(uint8_t *buf, size_t *at, int kind, int masked)
{
    static uint8_t big[301];
    memset(big, 'b', sizeof big);
    switch (kind) {
    case 0:
        put(buf, at, 1, 4, WS_OP_BINARY, "rsv1", 4, masked);
        return WS_E_RSV;
    case 1:
        put(buf, at, 1, 0, 0x3, "op3", 3, masked);
        return WS_E_OPCODE;
    case 2:
        put(buf, at, 1, 0, WS_OP_PING, big, 126, masked);
        return WS_E_CONTROL_TOO_LONG;
    case 3:
        put(buf, at, 0, 0, WS_OP_PING, "p", 1, masked);
        return WS_E_CONTROL_FRAGMENTED;
    case 4:
        put_raw(buf, at, 0x82, 16, 5, "short", 5, masked);
        return WS_E_LENGTH_NOT_MINIMAL;
    case 5:
        put_raw(buf, at, 0x82, 64, 200, big, 200, masked);
        return WS_E_LENGTH_NOT_MINIMAL;
    case 6:
        put_raw(buf, at, 0x82, 64, 1ull << 63, "", 0, masked);
        return WS_E_LENGTH_HIGH_BIT;
    case 7:
        put(buf, at, 1, 0, WS_OP_BINARY, "mask", 4, !masked);
        return masked ? WS_E_NOT_MASKED : WS_E_MASKED;
    case 8:
        put(buf, at, 1, 0, WS_OP_CONT, "cont", 4, masked);
        return WS_E_CONT_NOTHING_OPEN;
    case 9:
        put(buf, at, 0, 0, WS_OP_TEXT, "open", 4, masked);
        put(buf, at, 1, 0, WS_OP_BINARY, "new", 3, masked);
        return WS_E_DATA_WHILE_OPEN;
    case 10:
        put(buf, at, 1, 0, WS_OP_TEXT, "ok\xff!", 4, masked);
        return WS_E_UTF8;
    case 11:
        put(buf, at, 1, 0, WS_OP_TEXT, "end\xce", 4, masked); /* ends mid-character */
        return WS_E_UTF8;
    case 12:
        put(buf, at, 0, 0, WS_OP_TEXT, "\xce", 1, masked); /* bad across two fragments */
        put(buf, at, 1, 0, WS_OP_CONT, "A", 1, masked);
        return WS_E_UTF8;
    case 13:
        put(buf, at, 1, 0, WS_OP_CLOSE, "\x03", 1, masked);
        return WS_E_CLOSE_LEN1;
    case 14:
        put(buf, at, 1, 0, WS_OP_CLOSE, "\x03\xed", 2, masked); /* 1005 may not be sent */
        return WS_E_CLOSE_CODE;
    case 15:
        put(buf, at, 1, 0, WS_OP_CLOSE, "\x03\xe8\xc0\xaf", 4, masked);
        return WS_E_CLOSE_UTF8;
    default:
        put(buf, at, 1, 0, WS_OP_BINARY, big, 301, masked); /* the tests' limit is 300 */
        return WS_E_TOO_BIG;
    }
}

/* Append valid frame number i (cycling through the shapes a stream may hold). */
static void put_good(uint8_t *buf, size_t *at, size_t i, int masked)
{
    static uint8_t bytes[200];
    for (size_t k = 0; k < sizeof bytes; k++)
        bytes[k] = (uint8_t)(k * 7 + i);
    switch (i % 8) {
    case 0:
        put(buf, at, 1, 0, WS_OP_BINARY, bytes, 16, masked);
        break;
    case 1:
        put(buf, at, 1, 0, WS_OP_TEXT, "h\xc3\xa9llo \xe2\x82\xac", 10, masked);
        break;
    case 2:
        put(buf, at, 1, 0, WS_OP_TEXT, "", 0, masked);
        break;
    case 3:
        put(buf, at, 1, 0, WS_OP_PING, "p", 1, masked);
        break;
    case 4:
        put(buf, at, 1, 0, WS_OP_BINARY, bytes, 125, masked);
        break;
    case 5:
        put(buf, at, 1, 0, WS_OP_BINARY, bytes, 126, masked); /* the 16-bit length */
        break;
    case 6: /* "€" cut between two fragments, a pong in between */
        put(buf, at, 0, 0, WS_OP_TEXT, "x\xe2", 2, masked);
        put(buf, at, 1, 0, WS_OP_PONG, "", 0, masked);
        put(buf, at, 1, 0, WS_OP_CONT, "\x82\xac", 2, masked);
        break;
    default:
        put(buf, at, 1, 0, WS_OP_BINARY, "", 0, masked);
        break;
    }
}

/*
 * Every bad frame, after 0..7 good ones and before two more, for both roles: the same error
 * and the same events (headers included) fed whole, at every two-piece split and byte by byte;
 * fed whole, the good frames before it went through the fast path.
 */
static void fast_path_bad_frame_at_every_position(void **state)
{
    (void)state;
    static uint8_t buf[4096];
    static recorder r;
    for (int role = 0; role < 2; role++) {
        int masked = role == WS_ROLE_SERVER;
        decode_opts o = {(ws_role)role, 300, 1};
        for (int kind = 0; kind < N_BAD; kind++) {
            for (size_t pos = 0; pos < 8; pos++) {
                size_t at = 0, whole = 0;
                for (size_t i = 0; i < pos; i++) {
                    put_good(buf, &at, i, masked);
                    whole += i % 8 != 3 && i % 8 != 6; /* not the ping, not the fragments */
                }
                ws_error want = put_bad(buf, &at, kind, masked);
                put_good(buf, &at, 0, masked);
                put_good(buf, &at, 1, masked);
                int err = decode_all_ways(buf, at, o, &r);
                if (err != (int)want)
                    fail_msg("role %d, bad frame %d after %zu good ones: expected %s, got %s\n"
                             "  %s",
                             role, kind, pos, ws_error_name(want), ws_error_name(err), r.log);
                assert_int_equal(r.fast_frames, whole);
            }
        }
    }
}

/* Text of about n bytes of valid UTF-8: ASCII and 2-, 3- and 4-byte characters mixed. */
static size_t random_text(uint8_t *out, size_t n, uint64_t *rng)
{
    static const char *const chars[] = {"a",
                                        "Z",
                                        " ",
                                        "\xc3\xa9",
                                        "\xce\xba",
                                        "\xe2\x82\xac",
                                        "\xed\x9f\xbf",
                                        "\xf0\x9f\x98\x80",
                                        "\xf4\x8f\xbf\xbf"};
    size_t len = 0;
    while (len < n) {
        const char *c = chars[rng_below(rng, sizeof chars / sizeof chars[0])];
        memcpy(out + len, c, strlen(c));
        len += strlen(c);
    }
    return len;
}

/*
 * A random stream from seed: whole messages of many sizes (0 to 1000 bytes, all three length
 * encodings' boundaries), messages cut into 2-4 fragments at random bytes (splitting UTF-8
 * characters) with pings and pongs between them, sometimes one bad frame, sometimes a close
 * frame and bytes after it. Returns the stream's length in buf (cap bytes).
 */
static size_t random_stream(uint8_t *buf, size_t cap, uint64_t seed, int masked, size_t max_msg)
{
    static const size_t sizes[] = {0, 1, 3, 7, 8, 15, 16, 17, 31, 32, 33, 125, 126, 127, 300, 1000};
    static uint8_t msg[1100];
    uint64_t rng = seed;
    size_t at = 0, frames = 1 + rng_below(&rng, 40);
    for (size_t f = 0; f < frames && at < cap - 8 * sizeof msg; f++) {
        size_t pick = rng_below(&rng, 20), len = sizes[rng_below(&rng, 16)];
        if (len > max_msg)
            len = max_msg;
        unsigned op = rng_below(&rng, 2) ? WS_OP_TEXT : WS_OP_BINARY;
        if (op == WS_OP_TEXT)
            len = random_text(msg, len, &rng);
        else
            for (size_t i = 0; i < len; i++)
                msg[i] = (uint8_t)rng_next(&rng);
        if (pick < 12) { /* a whole message: the fast path's case */
            put(buf, &at, 1, 0, op, msg, len, masked);
        } else if (pick < 16) { /* fragments, with control frames between them */
            size_t done = 0, parts = 2 + rng_below(&rng, 3);
            for (size_t k = 0; k < parts; k++) {
                size_t n = k + 1 == parts ? len - done : rng_below(&rng, len - done + 1);
                put(buf, &at, k + 1 == parts, 0, k == 0 ? op : WS_OP_CONT, msg + done, n, masked);
                done += n;
                if (rng_below(&rng, 2))
                    put(buf, &at, 1, 0, rng_below(&rng, 2) ? WS_OP_PING : WS_OP_PONG, msg,
                        len < 125 ? len : 125, masked);
            }
        } else if (pick < 18) {
            put(buf, &at, 1, 0, WS_OP_PING, msg, len < 125 ? len : 125, masked);
        } else if (pick < 19) {
            put_bad(buf, &at, (int)rng_below(&rng, N_BAD), masked);
        } else {
            put(buf, &at, 1, 0, WS_OP_CLOSE,
                "\x03\xe8"
                "bye",
                5, masked);
            put(buf, &at, 1, 0, WS_OP_BINARY, msg, len, masked); /* ignored: after the close */
        }
    }
    return at;
}

/*
 * 500 random streams, each fed whole, one byte at a time and in random chunks of at most 3,
 * 20 and 2000 bytes: every way must report the same events and the same error.
 */
static void fast_path_random_streams_any_chunking(void **state)
{
    (void)state;
    static uint8_t buf[65536];
    static recorder whole, other;
    static const size_t max_chunks[] = {3, 20, 2000};
    uint64_t fast = 0;
    for (uint64_t seed = 1; seed <= 500; seed++) {
        int masked = seed % 3 != 0; /* a third of the streams read as a client */
        decode_opts o = {masked ? WS_ROLE_SERVER : WS_ROLE_CLIENT, seed % 5 == 0 ? 300 : 0, 1};
        size_t len = random_stream(buf, sizeof buf, seed, masked, o.max_message ? 300 : 1000);
        int err = decode(buf, len, o, len, 0, &whole);
        fast += whole.fast_frames;
        feed_path = FEED_STEPWISE;
        assert_int_equal(decode(buf, len, o, len, 0, &other), err);
        feed_path = FEED_FAST;
        expect_same_log(&other, &whole, "whole through the state machine alone", seed);
        assert_int_equal(decode(buf, len, o, 0, 1, &other), err);
        expect_same_log(&other, &whole, "one byte at a time", seed);
        assert_int_equal(other.fast_frames, 0);
        for (size_t c = 0; c < sizeof max_chunks / sizeof max_chunks[0]; c++) {
            assert_int_equal(decode_random(buf, len, o, seed * 31 + c, max_chunks[c], &other), err);
            expect_same_log(&other, &whole, "in random chunks", seed);
        }
    }
    assert_true(fast > 1000); /* the fast path did run, and often */
}

/* The fast path is taken exactly when a whole unfragmented data frame is in one call. */
static void fast_path_taken_only_for_whole_frames(void **state)
{
    (void)state;
    static uint8_t buf[256];
    static recorder r;
    size_t at = 0;
    put(buf, &at, 1, 0, WS_OP_BINARY, "0123456789abcdef", 16, 1);
    put(buf, &at, 1, 0, WS_OP_TEXT, "sixteen bytes ok", 16, 1);
    decode(buf, at, AS_SERVER, at, 0, &r);
    assert_int_equal(r.fast_frames, 2);
    decode(buf, at, AS_SERVER, 11, 0, &r); /* the first frame cut after 11 bytes */
    assert_int_equal(r.fast_frames, 1);
    decode(buf, at, AS_SERVER, 22, 0, &r); /* exactly the first frame, then the second */
    assert_int_equal(r.fast_frames, 2);
    decode(buf, at, AS_SERVER, 0, 21, &r); /* every frame cut by a chunk boundary */
    assert_int_equal(r.fast_frames, 0);
    assert_string_equal(r.log, "[binary '0123456789abcdef'][text 'sixteen bytes ok']=> WS_OK");
    at = 0; /* control frames and fragments always take the state machine */
    put(buf, &at, 1, 0, WS_OP_PING, "ping", 4, 1);
    put(buf, &at, 0, 0, WS_OP_TEXT, "frag", 4, 1);
    put(buf, &at, 1, 0, WS_OP_CONT, "ment", 4, 1);
    decode(buf, at, AS_SERVER, at, 0, &r);
    assert_int_equal(r.fast_frames, 0);
    assert_string_equal(r.log, "[ping 'ping'][text 'fragment']=> WS_OK");
}

/* ws_mask_copy (8 bytes per step) against the RFC's definition, byte i ^ key[(offset+i) % 4]. */
static void mask_matches_definition(void **state)
{
    (void)state;
    uint8_t src[80], dst[80], want[80];
    for (size_t i = 0; i < sizeof src; i++)
        src[i] = (uint8_t)(i * 37 + 11);
    for (uint64_t offset = 0; offset < 9; offset++) {
        for (size_t len = 0; len <= 72; len++) {
            memset(dst, 0xee, sizeof dst);
            memcpy(want, dst, sizeof want);
            for (size_t i = 0; i < len; i++)
                want[i] = src[i] ^ KEY[(offset + i) % 4];
            ws_mask_copy(dst, src, len, KEY, offset);
            assert_memory_equal(dst, want, sizeof want); /* and nothing past len written */
        }
    }
}

/* ---- the UTF-8 validator by itself ---- */

static int utf8_ok(const char *s, size_t n)
{
    ws_utf8 u;
    ws_utf8_init(&u);
    return ws_utf8_feed(&u, (const uint8_t *)s, n) == 0 && ws_utf8_complete(&u);
}

static void utf8_table(void **state)
{
    (void)state;
    assert_true(utf8_ok("", 0));
    assert_true(utf8_ok("plain ASCII, longer than eight bytes", 36));
    assert_true(utf8_ok("\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5", 11)); /* κόσμε */
    assert_true(utf8_ok("\xf0\x9d\x84\x9e", 4));                              /* U+1D11E */
    assert_true(utf8_ok("\xf4\x8f\xbf\xbf", 4));                              /* U+10FFFF */
    assert_true(utf8_ok("\xef\xbf\xbf", 3));                                  /* U+FFFF */
    assert_true(utf8_ok("\xed\x9f\xbf", 3));                                  /* U+D7FF */
    assert_false(utf8_ok("\x80", 1));             /* stray continuation */
    assert_false(utf8_ok("\xc0\x80", 2));         /* overlong */
    assert_false(utf8_ok("\xc1\xbf", 2));         /* overlong */
    assert_false(utf8_ok("\xe0\x80\x80", 3));     /* overlong */
    assert_false(utf8_ok("\xf0\x80\x80\x80", 4)); /* overlong */
    assert_false(utf8_ok("\xed\xa0\x80", 3));     /* surrogate U+D800 */
    assert_false(utf8_ok("\xf4\x90\x80\x80", 4)); /* above U+10FFFF */
    assert_false(utf8_ok("\xf5\x80\x80\x80", 4));
    assert_false(utf8_ok("\xfe", 1));
    assert_false(utf8_ok("\xff", 1));
    assert_false(utf8_ok("\xce", 1)); /* incomplete */
    assert_false(utf8_ok("abcdefgh\xce"
                         "abcdefgh",
                         17)); /* continuation missing mid-text */
}

static void error_names_and_codes(void **state)
{
    (void)state;
    for (int e = WS_E_RSV; e >= WS_E_NOMEM; e--) {
        assert_string_not_equal(ws_error_name(e), "WS_E_UNKNOWN");
        assert_true(ws_error_close_code(e) == 1002 || ws_error_close_code(e) == 1007 ||
                    ws_error_close_code(e) == 1009 || ws_error_close_code(e) == 1011);
    }
    assert_string_equal(ws_opcode_name(WS_OP_PONG), "pong");
    assert_string_equal(ws_opcode_name(0xb), "reserved-control");
}

static void close_payload_builder(void **state)
{
    (void)state;
    uint8_t p[WS_MAX_CONTROL];
    assert_int_equal(ws_close_payload(p, 1009, "too big"), 9);
    assert_memory_equal(p, "\x03\xf1too big", 9);
    char long_reason[300];
    memset(long_reason, 'r', sizeof long_reason - 1);
    long_reason[sizeof long_reason - 1] = '\0';
    assert_int_equal(ws_close_payload(p, 1000, long_reason), WS_MAX_CONTROL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rfc_examples_decode),
        cmocka_unit_test(rfc_examples_lengths),
        cmocka_unit_test(encoder_matches_rfc),
        cmocka_unit_test(describe_fields),
        cmocka_unit_test(describe_truncated),
        cmocka_unit_test(rule_rsv_bits),
        cmocka_unit_test(rule_reserved_opcodes),
        cmocka_unit_test(rule_control_at_most_125),
        cmocka_unit_test(rule_control_not_fragmented),
        cmocka_unit_test(rule_minimal_length),
        cmocka_unit_test(rule_64bit_high_bit),
        cmocka_unit_test(rule_client_frames_masked),
        cmocka_unit_test(rule_server_frames_unmasked),
        cmocka_unit_test(rule_continuation_needs_open_message),
        cmocka_unit_test(rule_no_new_message_while_open),
        cmocka_unit_test(rule_max_message_size),
        cmocka_unit_test(rule_text_is_utf8),
        cmocka_unit_test(rule_utf8_across_fragments),
        cmocka_unit_test(utf8_fails_fast),
        cmocka_unit_test(rule_close_payload),
        cmocka_unit_test(close_codes_accepted),
        cmocka_unit_test(many_frames_in_one_read),
        cmocka_unit_test(one_mib_message_in_odd_chunks),
        cmocka_unit_test(fast_path_bad_frame_at_every_position),
        cmocka_unit_test(fast_path_random_streams_any_chunking),
        cmocka_unit_test(fast_path_taken_only_for_whole_frames),
        cmocka_unit_test(mask_matches_definition),
        cmocka_unit_test(utf8_table),
        cmocka_unit_test(error_names_and_codes),
        cmocka_unit_test(close_payload_builder),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
