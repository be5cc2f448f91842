/*
 * test_eio_packet.c - the Engine.IO v4 codec and the HTTP request reader, byte by byte.
 *
 * What it teaches: each Engine.IO packet type as it looks on the wire, the polling body with its
 * 0x1e separators and "b"+base64 binary records, and that an HTTP request carrying a polling
 * body is read the same however TCP cuts it (all at once, split at every byte, one byte at a
 * time). Run: build/tests/test_eio_packet
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "eio_http.h"
#include "eio_packet.h"
#include "token.h"

static void check_text(const char *wire, eio_type type, const char *data)
{
    eio_packet p;
    assert_int_equal(eio_decode_text((const uint8_t *)wire, strlen(wire), &p), 0);
    assert_int_equal(p.type, type);
    assert_int_equal(p.binary, 0);
    assert_int_equal(p.len, strlen(data));
    assert_memory_equal(p.data, data, p.len);
}

static void every_type_decodes(void **state)
{
    (void)state;
    check_text("0{\"sid\":\"abc\"}", EIO_OPEN, "{\"sid\":\"abc\"}");
    check_text("1", EIO_CLOSE, "");
    check_text("2", EIO_PING, "");
    check_text("2probe", EIO_PING, "probe");
    check_text("3probe", EIO_PONG, "probe");
    check_text("4hello", EIO_MESSAGE, "hello");
    check_text("5", EIO_UPGRADE, "");
    check_text("6", EIO_NOOP, "");
}

static void bad_types_fail(void **state)
{
    (void)state;
    eio_packet p;
    assert_int_equal(eio_decode_text((const uint8_t *)"", 0, &p), EIO_E_EMPTY);
    assert_int_equal(eio_decode_text((const uint8_t *)"7", 1, &p), EIO_E_TYPE);
    assert_int_equal(eio_decode_text((const uint8_t *)"abc", 3, &p), EIO_E_TYPE);
    assert_int_equal(eio_decode_text((const uint8_t *)"/", 1, &p), EIO_E_TYPE);
    assert_string_equal(eio_type_name(4), "message");
    assert_string_equal(eio_type_name(9), "unknown");
}

static void binary_frame_is_a_message(void **state)
{
    (void)state;
    const uint8_t raw[] = {1, 2, 3, 4};
    eio_packet p;
    eio_decode_binary(raw, sizeof raw, &p);
    assert_int_equal(p.type, EIO_MESSAGE);
    assert_int_equal(p.binary, 1);
    assert_int_equal(p.len, 4);
}

/* Decode a whole polling body into "type:text" strings joined by "|" (binary as hex). */
static int walk(const char *body, size_t len, char *out, size_t cap)
{
    uint8_t scratch[256];
    size_t pos = 0;
    eio_packet p;
    int rc, n = 0;
    out[0] = '\0';
    while ((rc = eio_payload_next((const uint8_t *)body, len, &pos, scratch, sizeof scratch, &p)) ==
           1) {
        size_t u = strlen(out);
        u += (size_t)snprintf(out + u, cap - u, "%s%d%s:", n++ ? "|" : "", (int)p.type,
                              p.binary ? "b" : "");
        for (size_t i = 0; i < p.len; i++)
            u += (size_t)snprintf(out + u, cap - u, p.binary ? "%02x" : "%c", p.data[i]);
    }
    return rc;
}

static void polling_body_records(void **state)
{
    (void)state;
    char out[256];
    const char body[] = "4hello\x1e"
                        "2\x1e"
                        "bAQIDBA==\x1e"
                        "4";
    assert_int_equal(walk(body, sizeof body - 1, out, sizeof out), 0);
    assert_string_equal(out, "4:hello|2:|4b:01020304|4:");
    const char one[] = "4abc";
    assert_int_equal(walk(one, 4, out, sizeof out), 0);
    assert_string_equal(out, "4:abc");
    assert_int_equal(walk("", 0, out, sizeof out), 0);
    assert_string_equal(out, "");
}

static void polling_body_malformed(void **state)
{
    (void)state;
    char out[256];
    assert_int_equal(walk("abc", 3, out, sizeof out), EIO_E_TYPE);
    assert_int_equal(walk("4a\x1e\x1e"
                          "4b",
                          6, out, sizeof out),
                     EIO_E_EMPTY);
    assert_int_equal(walk("bAQID!A==", 9, out, sizeof out), EIO_E_BASE64);
    assert_int_equal(walk("4a\x1e"
                          "9",
                          4, out, sizeof out),
                     EIO_E_TYPE);
}

static void encoders(void **state)
{
    (void)state;
    char out[64];
    assert_int_equal(eio_encode_text(out, sizeof out, EIO_MESSAGE, "hello", 5), 6);
    assert_string_equal(out, "4hello");
    assert_int_equal(eio_encode_text(out, sizeof out, EIO_PONG, "probe", 5), 6);
    assert_string_equal(out, "3probe");
    assert_int_equal(eio_encode_text(out, 6, EIO_MESSAGE, "hello", 5), 0); /* no room for NUL */
    const uint8_t raw[] = {1, 2, 3, 4};
    assert_int_equal(eio_encode_b64(out, EIO_B64_LEN(4), raw, 4), 9);
    assert_string_equal(out, "bAQIDBA==");
    assert_int_equal(eio_encode_b64(out, EIO_B64_LEN(4) - 1, raw, 4), 0);
}

/* ---- the HTTP request reader: the same answer for every chunking ---- */

#define POST_REQ                                                                                   \
    "POST /engine.io/?EIO=4&transport=polling&sid=abc HTTP/1.1\r\nHost: x\r\n"                     \
    "Content-Length: 16\r\nOrigin: http://a.example\r\n\r\n4hello\x1e"                             \
    "bAQIDBA=="

static void check_post(const eio_req *r)
{
    const char *v;
    size_t vl;
    assert_int_equal(r->state, EIO_REQ_DONE);
    assert_int_equal(r->content_len, 16);
    assert_memory_equal(r->body,
                        "4hello\x1e"
                        "bAQIDBA==",
                        16);
    assert_true(eio_req_path_is(r, "/engine.io/"));
    assert_false(eio_req_path_is(r, "/socket.io/"));
    assert_true(eio_query_get(r, "sid", &v, &vl));
    assert_int_equal(vl, 3);
    assert_memory_equal(v, "abc", 3);
    assert_true(eio_query_get(r, "EIO", &v, &vl));
    assert_memory_equal(v, "4", 1);
    assert_false(eio_query_get(r, "si", &v, &vl));
    assert_true(eio_req_header(r, "origin", &v, &vl));
    assert_int_equal(vl, strlen("http://a.example"));
}

/* Feed msg in pieces of the given sizes; extra bytes after the request must be left over. */
static void feed_split(const char *msg, size_t len, size_t cut)
{
    eio_req r;
    eio_req_init(&r, 1000);
    size_t used = eio_req_feed(&r, (const uint8_t *)msg, cut);
    used += eio_req_feed(&r, (const uint8_t *)msg + used, len - used);
    assert_int_equal(used, len - 3); /* "GET" of the next request stays with the caller */
    check_post(&r);
    eio_req_free(&r);
}

static void request_every_split(void **state)
{
    (void)state;
    const char msg[] = POST_REQ "GET";
    size_t len = sizeof msg - 1;
    for (size_t cut = 0; cut <= len; cut++)
        feed_split(msg, len, cut);
}

static void request_one_byte_at_a_time(void **state)
{
    (void)state;
    const char msg[] = POST_REQ;
    eio_req r;
    eio_req_init(&r, 1000);
    for (size_t i = 0; i < sizeof msg - 1; i++)
        assert_int_equal(eio_req_feed(&r, (const uint8_t *)msg + i, 1), 1);
    check_post(&r);
    eio_req_free(&r);
}

static int feed_status(const char *msg, size_t max_body)
{
    eio_req r;
    eio_req_init(&r, max_body);
    eio_req_feed(&r, (const uint8_t *)msg, strlen(msg));
    int st = r.state == EIO_REQ_FAIL ? r.status : (r.state == EIO_REQ_DONE ? 200 : 0);
    eio_req_free(&r);
    return st;
}

static void request_limits(void **state)
{
    (void)state;
    assert_int_equal(feed_status("GET / HTTP/1.1\r\nHost: x\r\n\r\n", 10), 200);
    assert_int_equal(feed_status("POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\n", 10), 413);
    assert_int_equal(feed_status("POST / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n", 10), 400);
    assert_int_equal(feed_status("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 10), 411);
    assert_int_equal(feed_status("POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\n4ab", 10), 0);
    assert_int_equal(feed_status("garbage\r\n\r\n", 10), 400);
}

/* A session id is 20 characters of base64url (it goes into URLs), fresh every time. */
static void tokens_are_base64url_and_differ(void **state)
{
    (void)state;
    char a[TOKEN_LEN + 1], b[TOKEN_LEN + 1], err[128];
    assert_int_equal(token_random(a, err, sizeof err), 0);
    assert_int_equal(token_random(b, err, sizeof err), 0);
    assert_int_equal(strlen(a), TOKEN_LEN);
    assert_int_equal(strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
                     TOKEN_LEN);
    assert_string_not_equal(a, b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tokens_are_base64url_and_differ),
        cmocka_unit_test(every_type_decodes),
        cmocka_unit_test(bad_types_fail),
        cmocka_unit_test(binary_frame_is_a_message),
        cmocka_unit_test(polling_body_records),
        cmocka_unit_test(polling_body_malformed),
        cmocka_unit_test(encoders),
        cmocka_unit_test(request_every_split),
        cmocka_unit_test(request_one_byte_at_a_time),
        cmocka_unit_test(request_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
