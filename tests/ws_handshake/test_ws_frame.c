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

/* ---- an event recorder: what the decoder reported, as one line of text ---- */

typedef struct recorder {
    char log[4096];
    size_t n;
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
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(r->log + r->n, sizeof r->log - r->n, fmt, ap);
    va_end(ap);
    if (k > 0 && (size_t)k < sizeof r->log - r->n)
        r->n += (size_t)k;
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

static const ws_decoder_callbacks callbacks = {NULL, on_message, on_control, on_close};

/* ---- feeding ---- */

typedef struct decode_opts {
    ws_role role;
    size_t max_message;
} decode_opts;

/* Feed in pieces: the first `cut` bytes, then the rest in chunks of `chunk` (0 = all). */
static int decode(const uint8_t *in, size_t len, decode_opts o, size_t cut, size_t chunk,
                  recorder *r)
{
    ws_decoder d;
    ws_decoder_config cfg = {o.role, o.max_message, r};
    memset(r, 0, sizeof *r);
    ws_decoder_init(&d, &cfg, &callbacks);
    int err = ws_decoder_feed(&d, in, cut);
    size_t at = cut;
    while (err == WS_OK && at < len) {
        size_t n = chunk == 0 || chunk > len - at ? len - at : chunk;
        err = ws_decoder_feed(&d, in + at, n);
        at += n;
    }
    logf_(r, "=> %s", ws_error_name(err));
    ws_decoder_free(&d);
    return err;
}

/*
 * Decode whole, at every two-piece split (for inputs up to 4 KiB), and one byte at a time;
 * all must agree. Returns the error and leaves the whole-input log in *r.
 */
static int decode_all_ways(const uint8_t *in, size_t len, decode_opts o, recorder *r)
{
    static recorder other;
    int err = decode(in, len, o, len, 0, r);
    assert_int_equal(decode(in, len, o, 0, 1, &other), err);
    assert_string_equal(other.log, r->log);
    for (size_t cut = 0; cut <= len && len <= 4096; cut++) {
        decode(in, len, o, cut, 0, &other);
        if (strcmp(other.log, r->log) != 0)
            fail_msg("split at byte %zu of %zu gave\n  %s\ninstead of\n  %s", cut, len, other.log,
                     r->log);
    }
    return err;
}

static const decode_opts AS_SERVER = {WS_ROLE_SERVER, 0};
static const decode_opts AS_CLIENT = {WS_ROLE_CLIENT, 0};

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
    decode_opts small = {WS_ROLE_SERVER, 100};
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
        cmocka_unit_test(utf8_table),
        cmocka_unit_test(error_names_and_codes),
        cmocka_unit_test(close_payload_builder),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
