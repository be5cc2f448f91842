/*
 * test_ws_http.c - the HTTP upgrade: parser, server verdicts, responses, and the client side.
 *
 * What it teaches: each accept/reject rule of RFC 6455 4.2.1 has one request that breaks only
 * that rule, and every request is parsed three ways (all at once, split at every byte, one
 * byte at a time) to show that how TCP cuts the bytes never changes the answer.
 * Run: build/tests/test_ws_http
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ws_handshake.h"
#include "ws_http.h"

static const char *const server_protocols[] = {"superchat", "chat", NULL};

/* The RFC 6455 1.2 example request. */
#define RFC_REQUEST                                                                                \
    "GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n"                     \
    "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"                       \
    "Origin: http://example.com\r\nSec-WebSocket-Protocol: chat, superchat\r\n"                    \
    "Sec-WebSocket-Version: 13\r\n\r\n"

/* A valid request to /ws with one header replaced by `extra` lines (see good()). */
static char req_buf[WS_HTTP_MAX_HEAD * 2];

static const char *request(const char *line1, const char *host, const char *upgrade,
                           const char *connection, const char *key, const char *version)
{
    snprintf(req_buf, sizeof req_buf, "%s\r\n%s%s%s%s%s\r\n", line1, host, upgrade, connection, key,
             version);
    return req_buf;
}

#define LINE1   "GET /ws HTTP/1.1"
#define HOST    "Host: 127.0.0.1:8080\r\n"
#define UPGRADE "Upgrade: websocket\r\n"
#define CONN    "Connection: Upgrade\r\n"
#define KEY     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
#define VERSION "Sec-WebSocket-Version: 13\r\n"

/* Parse text with the given chunk size (0 = all at once) and judge it for /ws or /chat. */
static int judge_chunked(const char *text, size_t chunk, const char *resource, ws_verdict *v,
                         ws_http *p)
{
    size_t len = strlen(text), at = 0;
    ws_http_init(p, WS_HTTP_REQUEST);
    while (at < len && p->result == WS_HTTP_MORE) {
        size_t n = chunk == 0 || chunk > len - at ? len - at : chunk;
        size_t used = ws_http_feed(p, (const uint8_t *)text + at, n);
        assert_true(used <= n);
        at += used;
        if (used < n)
            break;
    }
    return ws_handshake_check(p, resource, server_protocols, v);
}

/* The verdict must be the same however the bytes are cut; returns it. */
static int judge(const char *text, const char *resource, ws_verdict *out)
{
    static ws_http p;
    int want = judge_chunked(text, 0, resource, out, &p);
    size_t len = strlen(text);
    ws_verdict v;
    assert_int_equal(judge_chunked(text, 1, resource, &v, &p), want);
    /* Two pieces, cut at every byte boundary. */
    for (size_t cut = 1; cut < len && len < 2000; cut++) {
        ws_http_init(&p, WS_HTTP_REQUEST);
        size_t at = ws_http_feed(&p, (const uint8_t *)text, cut);
        if (p.result == WS_HTTP_MORE)
            ws_http_feed(&p, (const uint8_t *)text + at, len - at);
        assert_int_equal(ws_handshake_check(&p, resource, server_protocols, &v), want);
    }
    return want;
}

static void expect_status(const char *text, int status, const char *reason_part)
{
    ws_verdict v;
    int got = judge(text, "/ws", &v);
    if (got != status)
        fail_msg("request:\n%s\nexpected %d but got %d (%s)", text, status, got, v.reason);
    if (reason_part && strstr(v.reason, reason_part) == NULL)
        fail_msg("reason '%s' does not mention '%s'", v.reason, reason_part);
}

static void accept_value_rfc_example(void **state)
{
    (void)state;
    char accept[WS_ACCEPT_LEN + 1];
    ws_accept_value("dGhlIHNhbXBsZSBub25jZQ==", 24, accept);
    assert_string_equal(accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

static void rfc_request_gets_exact_101(void **state)
{
    (void)state;
    static ws_http p;
    ws_verdict v;
    assert_int_equal(judge(RFC_REQUEST, "/chat", &v), 101);
    judge_chunked(RFC_REQUEST, 0, "/chat", &v, &p);
    assert_string_equal(v.protocol, "chat"); /* the client's first choice the server knows */
    char out[WS_RESPONSE_MAX];
    size_t n = ws_handshake_response(&p, &v, out, sizeof out);
    assert_true(n > 0);
    assert_string_equal(out, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                             "Connection: Upgrade\r\n"
                             "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
                             "Sec-WebSocket-Protocol: chat\r\n\r\n");
}

static void no_common_protocol_means_no_header(void **state)
{
    (void)state;
    static ws_http p;
    ws_verdict v;
    const char *r = "GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                    "Sec-WebSocket-Protocol: mqtt\r\nSec-WebSocket-Protocol: wamp\r\n\r\n";
    assert_int_equal(judge_chunked(r, 0, "/ws", &v, &p), 101);
    assert_null(v.protocol);
    char out[WS_RESPONSE_MAX];
    ws_handshake_response(&p, &v, out, sizeof out);
    assert_null(strstr(out, "Sec-WebSocket-Protocol"));
}

static void accepts_variants(void **state)
{
    (void)state;
    expect_status(request(LINE1, HOST, UPGRADE, CONN, KEY, VERSION), 101, NULL);
    expect_status(request(LINE1, HOST, "upgrade:WebSocket  \r\n", CONN, KEY, VERSION), 101, NULL);
    expect_status(
        request(LINE1, HOST, UPGRADE, "Connection: keep-alive, Upgrade\r\n", KEY, VERSION), 101,
        NULL);
    expect_status(request(LINE1, HOST, UPGRADE, "CONNECTION:\tupgrade\r\n", KEY, VERSION), 101,
                  NULL);
    expect_status(request("GET /ws?room=1 HTTP/1.1", HOST, UPGRADE, CONN, KEY, VERSION), 101, NULL);
    /* Bare LF line ends (what `nc` sends) are accepted, as RFC 9112 2.2 allows. */
    expect_status("GET /ws HTTP/1.1\nHost: h\nUpgrade: websocket\nConnection: Upgrade\n"
                  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\nSec-WebSocket-Version: 13\n\n",
                  101, NULL);
}

static void rejects_405_not_get(void **state)
{
    (void)state;
    expect_status(request("POST /ws HTTP/1.1", HOST, UPGRADE, CONN, KEY, VERSION), 405, "GET");
    expect_status(request("get /ws HTTP/1.1", HOST, UPGRADE, CONN, KEY, VERSION), 405, "GET");
}

static void rejects_400_http10(void **state)
{
    (void)state;
    expect_status(request("GET /ws HTTP/1.0", HOST, UPGRADE, CONN, KEY, VERSION), 400, "HTTP/1.1");
}

static void rejects_404_unknown_path(void **state)
{
    (void)state;
    expect_status(request("GET /other HTTP/1.1", HOST, UPGRADE, CONN, KEY, VERSION), 404, NULL);
    expect_status(request("GET /wsx HTTP/1.1", HOST, UPGRADE, CONN, KEY, VERSION), 404, NULL);
}

static void rejects_400_host(void **state)
{
    (void)state;
    expect_status(request(LINE1, "", UPGRADE, CONN, KEY, VERSION), 400, "Host");
    expect_status(request(LINE1, HOST HOST, UPGRADE, CONN, KEY, VERSION), 400, "Host");
}

static void rejects_400_upgrade(void **state)
{
    (void)state;
    expect_status(request(LINE1, HOST, "", CONN, KEY, VERSION), 400, "Upgrade");
    expect_status(request(LINE1, HOST, "Upgrade: h2c\r\n", CONN, KEY, VERSION), 400, "Upgrade");
}

static void rejects_400_connection(void **state)
{
    (void)state;
    expect_status(request(LINE1, HOST, UPGRADE, "", KEY, VERSION), 400, "Connection");
    expect_status(request(LINE1, HOST, UPGRADE, "Connection: keep-alive\r\n", KEY, VERSION), 400,
                  "Connection");
    expect_status(request(LINE1, HOST, UPGRADE, "Connection: Upgrades\r\n", KEY, VERSION), 400,
                  "Connection");
}

static void rejects_400_key(void **state)
{
    (void)state;
    expect_status(request(LINE1, HOST, UPGRADE, CONN, "", VERSION), 400, "Key");
    /* 15 bytes, 17 bytes, not base64, and two keys */
    expect_status(
        request(LINE1, HOST, UPGRADE, CONN, "Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAA\r\n", VERSION),
        400, "Key");
    expect_status(request(LINE1, HOST, UPGRADE, CONN,
                          "Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAAA=\r\n", VERSION),
                  400, "Key");
    expect_status(request(LINE1, HOST, UPGRADE, CONN,
                          "Sec-WebSocket-Key: not base64 at all!!!!!!!\r\n", VERSION),
                  400, "Key");
    expect_status(request(LINE1, HOST, UPGRADE, CONN, KEY KEY, VERSION), 400, "Key");
}

static void rejects_426_other_version(void **state)
{
    (void)state;
    expect_status(request(LINE1, HOST, UPGRADE, CONN, KEY, "Sec-WebSocket-Version: 8\r\n"), 426,
                  "13");
    char out[WS_RESPONSE_MAX];
    ws_verdict v = {426, "only WebSocket version 13 is supported", NULL};
    assert_true(ws_handshake_response(NULL, &v, out, sizeof out) > 0);
    assert_non_null(strstr(out, "HTTP/1.1 426 Upgrade Required\r\n"));
    assert_non_null(strstr(out, "\r\nSec-WebSocket-Version: 13\r\n"));
    assert_non_null(strstr(out, "\r\n\r\nonly WebSocket version 13 is supported\n"));
}

static void rejects_400_missing_version(void **state)
{
    (void)state;
    expect_status(request(LINE1, HOST, UPGRADE, CONN, KEY, ""), 400, "Version");
}

static void rejects_431_over_8k(void **state)
{
    (void)state;
    static char big[WS_HTTP_MAX_HEAD + 200];
    char filler[WS_HTTP_MAX_HEAD];
    memset(filler, 'x', sizeof filler - 1);
    filler[sizeof filler - 1] = '\0';
    snprintf(big, sizeof big, "GET /ws HTTP/1.1\r\nX-Filler: %s\r\n\r\n", filler);
    expect_status(big, 431, "8192");
}

static void head_of_exactly_8k_is_accepted(void **state)
{
    (void)state;
    static char req[WS_HTTP_MAX_HEAD + 1];
    const char *base = LINE1 "\r\n" HOST UPGRADE CONN KEY VERSION;
    /* base + "X: " + filler + "\r\n" + "\r\n" == 8192 bytes, the largest head accepted */
    size_t fill = WS_HTTP_MAX_HEAD - strlen(base) - 3 - 2 - 2;
    memcpy(req, base, strlen(base));
    size_t at = strlen(base);
    memcpy(req + at, "X: ", 3);
    memset(req + at + 3, 'x', fill);
    memcpy(req + at + 3 + fill, "\r\n\r\n", 5);
    assert_int_equal(strlen(req), WS_HTTP_MAX_HEAD);
    expect_status(req, 101, NULL);
}

static void rejects_400_malformed(void **state)
{
    (void)state;
    expect_status("GET /ws\r\n\r\n", 400, "request line");
    expect_status("GET  /ws HTTP/1.1\r\nHost: h\r\n\r\n", 400, "request line");
    expect_status("GET /ws HTTP/1.1 extra\r\n\r\n", 400, "request line");
    expect_status("GET /ws HTTX/1.1\r\n\r\n", 400, "request line");
    expect_status(request(LINE1, HOST, "Upgrade : websocket\r\n", CONN, KEY, VERSION), 400,
                  "header line");
    expect_status(request(LINE1, HOST, "no colon here\r\n", CONN, KEY, VERSION), 400,
                  "header line");
    expect_status(request(LINE1, HOST, " folded: yes\r\n", CONN, KEY, VERSION), 400, "folded");
    expect_status(request(LINE1, HOST, "X: a\rb\r\n", CONN, KEY, VERSION), 400, "control");
}

static void stops_at_end_of_head(void **state)
{
    (void)state;
    static ws_http p;
    const char *text = LINE1 "\r\n" HOST UPGRADE CONN KEY VERSION "\r\n\x81\x80";
    size_t len = strlen(text);
    ws_http_init(&p, WS_HTTP_REQUEST);
    assert_int_equal(ws_http_feed(&p, (const uint8_t *)text, len), len - 2);
    assert_int_equal(p.result, WS_HTTP_DONE);
}

static void token_lists(void **state)
{
    (void)state;
    const char *s = " keep-alive ,\tUpgrade ";
    assert_true(ws_http_token_in_list(s, strlen(s), "upgrade"));
    assert_true(ws_http_token_in_list(s, strlen(s), "keep-alive"));
    assert_false(ws_http_token_in_list(s, strlen(s), "close"));
    assert_false(ws_http_token_in_list("", 0, "upgrade"));
    assert_false(ws_http_token_in_list("upgrade2", 8, "upgrade"));
}

/* ---- the client side ---- */

static const uint8_t nonce[16] = "the sample nonce";

static int client_check(const char *response, const char *protocols, char why[WS_ERR_LEN])
{
    static ws_http p;
    ws_http_init(&p, WS_HTTP_RESPONSE);
    for (size_t i = 0; response[i] && p.result == WS_HTTP_MORE; i++)
        ws_http_feed(&p, (const uint8_t *)response + i, 1);
    return ws_handshake_check_response(&p, "dGhlIHNhbXBsZSBub25jZQ==", protocols, why, WS_ERR_LEN);
}

static void client_request_bytes(void **state)
{
    (void)state;
    char out[512], key[WS_KEY_LEN + 1];
    assert_true(ws_handshake_request("127.0.0.1:8080", "/ws", nonce, NULL, out, sizeof out, key) >
                0);
    assert_string_equal(key, "dGhlIHNhbXBsZSBub25jZQ==");
    assert_string_equal(out,
                        "GET /ws HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUpgrade: websocket\r\n"
                        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                        "Sec-WebSocket-Version: 13\r\n\r\n");
    assert_int_equal(ws_handshake_request("h", "/ws", nonce, NULL, out, 20, key), 0);
}

static void client_accepts_good_101(void **state)
{
    (void)state;
    char why[WS_ERR_LEN];
    assert_int_equal(client_check("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                                  "Connection: Upgrade\r\n"
                                  "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n",
                                  NULL, why),
                     0);
    assert_int_equal(client_check("HTTP/1.1 101 OK\r\nUpgrade: WebSocket\r\n"
                                  "Connection: upgrade\r\nSec-WebSocket-Protocol: chat\r\n"
                                  "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n",
                                  "superchat, chat", why),
                     0);
}

static void client_rejects_bad_responses(void **state)
{
    (void)state;
    char why[WS_ERR_LEN];
#define ACCEPT "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
    static const char *const bad[] = {
        "HTTP/1.1 200 OK\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" ACCEPT "\r\n",
        "HTTP/1.1 101 Switching\r\nConnection: Upgrade\r\n" ACCEPT "\r\n",
        "HTTP/1.1 101 Switching\r\nUpgrade: websocket\r\n" ACCEPT "\r\n",
        "HTTP/1.1 101 Switching\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
        "HTTP/1.1 101 Switching\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOO=\r\n\r\n",
        "HTTP/1.1 101 Switching\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" ACCEPT
        "Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n",
        "HTTP/1.1 101 Switching\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" ACCEPT
        "Sec-WebSocket-Protocol: chat\r\n\r\n",
        "HTTP/1.1 101 Switching\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" ACCEPT,
        "HTTP/1.1 1O1 Switching\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        why[0] = '\0';
        if (client_check(bad[i], NULL, why) != -1)
            fail_msg("response %zu was accepted:\n%s", i, bad[i]);
        if (why[0] == '\0')
            fail_msg("response %zu was rejected without a reason:\n%s", i, bad[i]);
    }
}

/* Client request -> server parser -> 101 -> client check: the two halves agree. */
static void client_and_server_agree(void **state)
{
    (void)state;
    static ws_http req, resp;
    char out[512], key[WS_KEY_LEN + 1], answer[WS_RESPONSE_MAX];
    uint8_t n2[16];
    for (int i = 0; i < 16; i++)
        n2[i] = (uint8_t)(i * 37 + 11);
    size_t n = ws_handshake_request("localhost:1", "/ws", n2, "chat", out, sizeof out, key);
    ws_http_init(&req, WS_HTTP_REQUEST);
    assert_int_equal(ws_http_feed(&req, (const uint8_t *)out, n), n);
    ws_verdict v;
    assert_int_equal(ws_handshake_check(&req, "/ws", server_protocols, &v), 101);
    size_t m = ws_handshake_response(&req, &v, answer, sizeof answer);
    ws_http_init(&resp, WS_HTTP_RESPONSE);
    assert_int_equal(ws_http_feed(&resp, (const uint8_t *)answer, m), m);
    char why[WS_ERR_LEN];
    assert_int_equal(ws_handshake_check_response(&resp, key, "chat", why, sizeof why), 0);
}

/* Which requests ask for the page: GET / or /index.html without an Upgrade, nothing else. */
static int wants_page(const char *text)
{
    ws_http p;
    ws_http_init(&p, WS_HTTP_REQUEST);
    ws_http_feed(&p, (const uint8_t *)text, strlen(text));
    assert_int_equal(p.result, WS_HTTP_DONE);
    return ws_http_wants_page(&p);
}

static void page_requests_are_recognised(void **state)
{
    (void)state;
    assert_true(wants_page("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
    assert_true(wants_page("GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n"));
    assert_false(wants_page("GET /ws HTTP/1.1\r\nHost: x\r\n\r\n"));
    assert_false(wants_page("HEAD / HTTP/1.1\r\nHost: x\r\n\r\n"));
    assert_false(wants_page("GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                            "Connection: Upgrade\r\n\r\n"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(accept_value_rfc_example),
        cmocka_unit_test(rfc_request_gets_exact_101),
        cmocka_unit_test(no_common_protocol_means_no_header),
        cmocka_unit_test(accepts_variants),
        cmocka_unit_test(rejects_405_not_get),
        cmocka_unit_test(rejects_400_http10),
        cmocka_unit_test(rejects_404_unknown_path),
        cmocka_unit_test(rejects_400_host),
        cmocka_unit_test(rejects_400_upgrade),
        cmocka_unit_test(rejects_400_connection),
        cmocka_unit_test(rejects_400_key),
        cmocka_unit_test(rejects_426_other_version),
        cmocka_unit_test(rejects_400_missing_version),
        cmocka_unit_test(rejects_431_over_8k),
        cmocka_unit_test(head_of_exactly_8k_is_accepted),
        cmocka_unit_test(rejects_400_malformed),
        cmocka_unit_test(stops_at_end_of_head),
        cmocka_unit_test(token_lists),
        cmocka_unit_test(client_request_bytes),
        cmocka_unit_test(client_accepts_good_101),
        cmocka_unit_test(client_rejects_bad_responses),
        cmocka_unit_test(client_and_server_agree),
        cmocka_unit_test(page_requests_are_recognised),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
