/*
 * test_stream_msgs.c - whole messages from a byte stream (sniffer/stream_msgs.c), fed in every
 * chunking: an Engine.IO polling exchange with a chunked answer, a WebSocket upgrade, a
 * fragmented masked message with a ping between its frames, a close; queue lines; gaps.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "stream_msgs.h"

typedef struct got {
    smsg m[64];
    int n;
} got;

static void on_msg(void *user, const smsg *m)
{
    got *g = user;
    assert_true(g->n < 64);
    g->m[g->n++] = *m;
}

typedef struct part {
    int dir;
    const uint8_t *p;
    size_t n;
} part;

static uint8_t ws_client[256], ws_server[64];
static size_t ws_client_len, ws_server_len;

/* A masked client frame (RFC 6455 5.3). */
static size_t client_frame(uint8_t *out, int fin, int opcode, const char *text)
{
    static const uint8_t key[4] = {0x37, 0xfa, 0x21, 0x3d};
    size_t n = strlen(text);
    out[0] = (uint8_t)((fin ? 0x80 : 0) | opcode);
    out[1] = (uint8_t)(0x80 | n);
    memcpy(out + 2, key, 4);
    for (size_t i = 0; i < n; i++)
        out[6 + i] = (uint8_t)(text[i] ^ key[i % 4]);
    return 6 + n;
}

static const char poll_get[] = "GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\n"
                               "Host: x\r\n\r\n";
static const char poll_answer[] = "HTTP/1.1 200 OK\r\n"
                                  "Content-Type: text/plain; charset=UTF-8\r\n"
                                  "Transfer-Encoding: chunked\r\n\r\n"
                                  "5\r\n0{\"si\r\n"
                                  "7\r\nd\":\"a\"}\r\n"
                                  "0\r\n\r\n";
static const char upgrade[] = "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n"
                              "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                              "Sec-WebSocket-Version: 13\r\n\r\n";
static const char switched[] = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                               "Connection: Upgrade\r\n"
                               "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";

static void build_ws(void)
{
    ws_client_len = client_frame(ws_client, 0, 1, "42[\"mess");
    ws_client_len += client_frame(ws_client + ws_client_len, 1, 9, "hi");
    ws_client_len += client_frame(ws_client + ws_client_len, 1, 0, "age\",\"x\"]");
    /* server: an unmasked close 1000 "bye" */
    const uint8_t close[] = {0x88, 5, 0x03, 0xe8, 'b', 'y', 'e'};
    memcpy(ws_server, close, sizeof close);
    ws_server_len = sizeof close;
}

static int script(part *ps)
{
    build_ws();
    int n = 0;
    ps[n++] = (part){0, (const uint8_t *)poll_get, sizeof poll_get - 1};
    ps[n++] = (part){1, (const uint8_t *)poll_answer, sizeof poll_answer - 1};
    ps[n++] = (part){0, (const uint8_t *)upgrade, sizeof upgrade - 1};
    ps[n++] = (part){1, (const uint8_t *)switched, sizeof switched - 1};
    ps[n++] = (part){0, ws_client, ws_client_len};
    ps[n++] = (part){1, ws_server, ws_server_len};
    return n;
}

/* Feed each part in pieces of `step` bytes (0: pieces of pseudo-random sizes from seed). */
static void run(got *g, size_t step, unsigned seed)
{
    part ps[8];
    int np = script(ps);
    sconv c;
    sconv_init(&c, on_msg, g);
    memset(g, 0, sizeof *g);
    srand(seed);
    uint64_t frame = 0;
    for (int i = 0; i < np; i++)
        for (size_t off = 0; off < ps[i].n;) {
            size_t k = step ? step : 1 + (size_t)(rand() % 40);
            if (k > ps[i].n - off)
                k = ps[i].n - off;
            sconv_data(&c, ps[i].dir, ps[i].p + off, (uint32_t)k, ++frame);
            off += k;
        }
    sconv_end(&c, ++frame);
}

static void whole_conversation(void **state)
{
    (void)state;
    static got g;
    run(&g, 100000, 0);
    assert_int_equal(g.n, 7);
    assert_int_equal(g.m[0].kind, SMSG_HTTP);
    assert_string_equal(g.m[0].summary, "GET /socket.io/?EIO=4&transport=polling HTTP/1.1");
    assert_string_equal(g.m[1].summary, "HTTP/1.1 200 OK");
    assert_int_equal(g.m[1].body, 12); /* the two chunks, decoded */
    assert_int_equal(g.m[1].parts, 2);
    assert_non_null(strstr(g.m[1].text, "OPEN"));
    assert_int_equal(g.m[1].bytes, sizeof poll_answer - 1);
    assert_string_equal(g.m[3].summary, "HTTP/1.1 101 Switching Protocols");
    /* the ping between the two frames of the message is its own message, and comes first */
    assert_int_equal(g.m[4].kind, SMSG_WS);
    assert_string_equal(g.m[4].summary, "WebSocket ping");
    assert_string_equal(g.m[5].summary, "WebSocket text message in 2 frames");
    assert_int_equal(g.m[5].body, strlen("42[\"message\",\"x\"]"));
    assert_non_null(strstr(g.m[5].text, "\"message\",\"x\""));
    assert_int_equal(g.m[5].dir, 0);
    assert_string_equal(g.m[6].summary, "WebSocket close 1000 bye");
    assert_int_equal(g.m[6].dir, 1);
}

static void same_messages(const got *a, const got *b)
{
    assert_int_equal(a->n, b->n);
    for (int i = 0; i < a->n; i++) {
        assert_int_equal(a->m[i].kind, b->m[i].kind);
        assert_string_equal(a->m[i].summary, b->m[i].summary);
        assert_string_equal(a->m[i].text, b->m[i].text);
        assert_int_equal(a->m[i].bytes, b->m[i].bytes);
        assert_int_equal(a->m[i].body, b->m[i].body);
        assert_int_equal(a->m[i].parts, b->m[i].parts);
    }
}

/* The same messages, whatever the chunking: 1 byte at a time up to whole parts, and random. */
static void every_chunking(void **state)
{
    (void)state;
    static got whole, g;
    run(&whole, 100000, 0);
    for (size_t step = 1; step <= 64; step++) {
        run(&g, step, 0);
        same_messages(&g, &whole);
    }
    for (unsigned seed = 1; seed <= 200; seed++) {
        run(&g, 0, seed);
        same_messages(&g, &whole);
    }
}

static void queue_lines(void **state)
{
    (void)state;
    static got g;
    memset(&g, 0, sizeof g);
    sconv c;
    sconv_init(&c, on_msg, &g);
    const char *lines = "PUSH jobs hello\r\nPULL jobs\nACK 1\n";
    for (size_t i = 0; lines[i]; i++) /* a byte per segment */
        sconv_data(&c, 0, (const uint8_t *)lines + i, 1, i + 1);
    assert_int_equal(g.n, 3);
    assert_int_equal(g.m[0].kind, SMSG_QUEUE);
    assert_string_equal(g.m[0].summary, "PUSH jobs hello");
    assert_int_equal(g.m[0].frames_total, 17);
    assert_int_equal(g.m[0].first, 1);
    assert_int_equal(g.m[0].last, 17);
    assert_string_equal(g.m[2].summary, "ACK 1");
}

/* A gap inside a body of known length keeps the framing; a gap in a head stops the direction. */
static void gaps(void **state)
{
    (void)state;
    static got g;
    memset(&g, 0, sizeof g);
    sconv c;
    sconv_init(&c, on_msg, &g);
    const char *resp = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n";
    sconv_data(&c, 1, (const uint8_t *)resp, (uint32_t)strlen(resp), 1);
    sconv_data(&c, 1, (const uint8_t *)"abc", 3, 2);
    sconv_gap(&c, 1, 4, 3);
    sconv_data(&c, 1, (const uint8_t *)"hij", 3, 4);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.m[0].body, 10);
    assert_int_equal(g.m[0].missing, 4);
    const char *req = "GET /a HTTP/1.1\r\nHo";
    sconv_data(&c, 0, (const uint8_t *)req, (uint32_t)strlen(req), 5);
    sconv_gap(&c, 0, 100, 6);
    assert_int_equal(g.n, 3);
    assert_int_equal(g.m[1].kind, SMSG_CUT);
    assert_non_null(strstr(g.m[1].summary, "GET /a HTTP/1.1"));
    assert_int_equal(g.m[2].kind, SMSG_STOP);
    sconv_data(&c, 0, (const uint8_t *)"GET /b HTTP/1.1\r\n\r\n", 19, 7);
    assert_int_equal(g.n, 3); /* never decoded across the gap */
}

/* A response without a length ends with the connection (RFC 9112 6.3 item 8). */
static void until_close(void **state)
{
    (void)state;
    static got g;
    memset(&g, 0, sizeof g);
    sconv c;
    sconv_init(&c, on_msg, &g);
    const char *resp = "HTTP/1.0 200 OK\r\n\r\nbody bytes";
    sconv_data(&c, 1, (const uint8_t *)resp, (uint32_t)strlen(resp), 1);
    assert_int_equal(g.n, 0);
    sconv_end(&c, 2);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.m[0].kind, SMSG_HTTP);
    assert_int_equal(g.m[0].body, 10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(whole_conversation), cmocka_unit_test(every_chunking),
        cmocka_unit_test(queue_lines),        cmocka_unit_test(gaps),
        cmocka_unit_test(until_close),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
