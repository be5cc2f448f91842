/*
 * test_stream_msgs.c - whole messages from a byte stream (sniffer/stream_msgs.c), fed in every
 * chunking: an Engine.IO polling exchange with a chunked answer, a WebSocket upgrade, a
 * fragmented masked message with a ping between its frames, a close; queue lines; gaps;
 * Redis commands and replies (RESP), pipelined and split, in every chunking.
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
static void run_parts(got *g, const part *ps, int np, size_t step, unsigned seed)
{
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

static void run(got *g, size_t step, unsigned seed)
{
    part ps[8];
    int np = script(ps);
    run_parts(g, ps, np, step, seed);
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

/* A Redis conversation: a PUBLISH of 300 bytes and an XADD pipelined in one write, their two
 * replies in one write, a PING and its +PONG (short: the reply side is RESP at its first
 * byte, because the client side spoke RESP), then a pushed pub/sub message. */
static char redis_client[600], redis_server[200];
static int redis_script(part *ps)
{
    char payload[301];
    memset(payload, 'x', 300);
    payload[300] = '\0';
    int n = snprintf(redis_client, sizeof redis_client,
                     "*3\r\n$7\r\nPUBLISH\r\n$4\r\nchan\r\n$300\r\n%s\r\n"
                     "*5\r\n$4\r\nXADD\r\n$4\r\njobs\r\n$1\r\n*\r\n$4\r\ntask\r\n"
                     "$6\r\nresize\r\n",
                     payload);
    int np = 0;
    ps[np++] = (part){0, (const uint8_t *)redis_client, (size_t)n};
    const char *replies = ":1\r\n$15\r\n1700000000000-0\r\n";
    ps[np++] = (part){1, (const uint8_t *)replies, strlen(replies)};
    ps[np++] = (part){0, (const uint8_t *)"*1\r\n$4\r\nPING\r\n", 14};
    ps[np++] = (part){1, (const uint8_t *)"+PONG\r\n", 7};
    n = snprintf(redis_server, sizeof redis_server,
                 "*3\r\n$7\r\nmessage\r\n$4\r\nchan\r\n"
                 "$2\r\nhi\r\n");
    ps[np++] = (part){1, (const uint8_t *)redis_server, (size_t)n};
    return np;
}

static void redis_commands(void **state)
{
    (void)state;
    static got whole, g;
    part ps[8];
    int np = redis_script(ps);
    run_parts(&whole, ps, np, 100000, 0);
    assert_int_equal(whole.n, 7);
    for (int i = 0; i < whole.n; i++)
        assert_int_equal(whole.m[i].kind, SMSG_RESP);
    assert_string_equal(whole.m[0].summary, "*3 \"PUBLISH\" \"chan\" <bulk 300 bytes>");
    assert_int_equal(whole.m[0].dir, 0);
    assert_int_equal(whole.m[0].body, 7 + 4 + 300);
    assert_int_equal(whole.m[0].parts, 3);
    assert_string_equal(whole.m[1].summary, "*5 \"XADD\" \"jobs\" \"*\" \"task\" \"resize\"");
    assert_int_equal(whole.m[1].bytes + whole.m[0].bytes, ps[0].n); /* pipelined: one write */
    assert_string_equal(whole.m[2].summary, "1");
    assert_int_equal(whole.m[2].dir, 1);
    assert_string_equal(whole.m[3].summary, "\"1700000000000-0\"");
    assert_string_equal(whole.m[4].summary, "*1 \"PING\"");
    assert_string_equal(whole.m[5].summary, "\"PONG\"");
    assert_int_equal(whole.m[5].bytes, 7);
    assert_string_equal(whole.m[6].summary, "*3 \"message\" \"chan\" \"hi\"");
    for (size_t step = 1; step <= 64; step++) {
        run_parts(&g, ps, np, step, 0);
        same_messages(&g, &whole);
    }
    for (unsigned seed = 1; seed <= 200; seed++) {
        run_parts(&g, ps, np, 0, seed);
        same_messages(&g, &whole);
    }
    /* a byte per segment: the PUBLISH is shown at the frame of its last byte, with them all */
    run_parts(&g, ps, np, 1, 0);
    assert_int_equal(g.m[0].frames_total, whole.m[0].bytes);
    assert_int_equal(g.m[0].first, 1);
    assert_int_equal(g.m[0].last, whole.m[0].bytes);
}

/* A gap inside a bulk string keeps the framing; bytes that are not RESP stop the direction; a
 * value the end cuts is shown with what was read of it. */
static void redis_gaps(void **state)
{
    (void)state;
    static got g;
    memset(&g, 0, sizeof g);
    sconv c;
    sconv_init(&c, on_msg, &g);
    const char *a = "*3\r\n$7\r\nPUBLISH\r\n$4\r\nchan\r\n$10\r\nabc";
    sconv_data(&c, 0, (const uint8_t *)a, (uint32_t)strlen(a), 1);
    sconv_gap(&c, 0, 4, 2);
    sconv_data(&c, 0, (const uint8_t *)"hij\r\n", 5, 3);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.m[0].kind, SMSG_RESP);
    assert_int_equal(g.m[0].missing, 4);
    assert_int_equal(g.m[0].bytes, strlen(a) + 4 + 5);
    assert_string_equal(g.m[0].summary, "*3 \"PUBLISH\" \"chan\" <bulk 10 bytes>");
    sconv_data(&c, 1, (const uint8_t *)":1\r\n$3\r\nabcd\r\n", 14, 4);
    assert_int_equal(g.n, 3);
    assert_string_equal(g.m[1].summary, "1");
    assert_int_equal(g.m[2].kind, SMSG_STOP); /* the bulk is longer than its length */
    assert_int_equal(g.m[2].dir, 1);
    sconv_data(&c, 0, (const uint8_t *)"*2\r\n$4\r\nECHO\r\n", 14, 5);
    sconv_gap(&c, 0, 3, 6); /* between two values: the framing is lost */
    assert_int_equal(g.n, 5);
    assert_int_equal(g.m[3].kind, SMSG_CUT);
    assert_non_null(strstr(g.m[3].summary, "*2 \"ECHO\" cut by a gap"));
    assert_int_equal(g.m[4].kind, SMSG_STOP);
}

/* A null array ("*-1", RESP2's nil reply of a blocking read that timed out) has no elements,
 * and a count no real value has is shown as it is, not wrapped into a 32-bit field. */
static void redis_counts(void **state)
{
    (void)state;
    static got g;
    memset(&g, 0, sizeof g);
    sconv c;
    sconv_init(&c, on_msg, &g);
    sconv_data(&c, 0, (const uint8_t *)"*1\r\n$4\r\nPING\r\n", 14, 1);
    sconv_data(&c, 1, (const uint8_t *)"*-1\r\n*99999999999\r\n", 19, 2);
    assert_int_equal(g.n, 2);
    assert_string_equal(g.m[1].summary, "*-1");
    assert_int_equal(g.m[1].parts, 0);
    sconv_end(&c, 3); /* the huge array is cut by the end, with what was read of it */
    assert_int_equal(g.n, 3);
    assert_int_equal(g.m[2].kind, SMSG_CUT);
    assert_non_null(strstr(g.m[2].summary, "*99999999999 cut by"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(whole_conversation), cmocka_unit_test(every_chunking),
        cmocka_unit_test(queue_lines),        cmocka_unit_test(gaps),
        cmocka_unit_test(until_close),        cmocka_unit_test(redis_commands),
        cmocka_unit_test(redis_gaps),         cmocka_unit_test(redis_counts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
