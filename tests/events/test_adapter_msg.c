/*
 * test_adapter_msg.c - the Redis adapter's codec (events/adapter_msg.c), with cmocka.
 *
 * What it teaches: the bytes socket.io's Redis adapter puts on a channel. The vectors marked
 * "notepack" were written by the adapter's own encoder (npm notepack.io 3.0, as
 * @socket.io/redis-adapter 8.3.0 calls it) in Node.js, e.g.
 *   node -e 'console.log(require("notepack.io").encode(["u1",{type:2,data:["hi"],nsp:"/"},
 *            {rooms:[],except:[],flags:{}}]).toString("hex"))'
 * so a decoder that disagrees with socket.io fails here. Run: build/tests/test_adapter_msg
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "adapter_msg.h"

static size_t unhex(const char *h, uint8_t *out, size_t cap)
{
    size_t n = 0;
    for (; h[0] && h[1] && n < cap; h += 2) {
        unsigned v;
        sscanf(h, "%2x", &v);
        out[n++] = (uint8_t)v;
    }
    return n;
}

/* notepack: ["abc123", {type:2, data:["said", {a:1, b:1.5, s:"é", n:null, neg:-5,
 * big:4294967296}, Buffer [1,2,3]], nsp:"/"}, {rooms:["r1"], except:["x"],
 * flags:{volatile:true}}] */
static const char room_bcast[] =
    "93a661626331323383a47479706502a46461746193a47361696486a16101a162cb3ff8000000000000a173a2c3a9"
    "a16ec0a36e6567fba3626967cf0000000100000000c403010203a36e7370a12f83a5726f6f6d7391a27231a66578"
    "6365707491a178a5666c61677381a8766f6c6174696c65c3";

/* notepack: ["u1", {type:2, data:["hi"], nsp:"/"}, {rooms:[], except:[], flags:{}}] */
static const char plain_bcast[] =
    "93a2753183a47479706502a46461746191a26869a36e7370a12f83a5726f6f6d7390a665786365707490a5666c61"
    "677380";

static void decodes_a_room_broadcast_from_socket_io(void **state)
{
    (void)state;
    uint8_t buf[512];
    size_t n = unhex(room_bcast, buf, sizeof buf);
    adapter_bcast b;
    assert_int_equal(adapter_decode_bcast(buf, n, &b), 0);
    assert_string_equal(b.uid, "abc123");
    assert_int_equal(b.packet.type, 2);
    assert_string_equal(b.packet.nsp, "/");
    assert_string_equal(b.packet.json, "[\"said\",{\"a\":1,\"b\":1.5,\"s\":\"\xc3\xa9\",\"n\":null,"
                                       "\"neg\":-5,\"big\":4294967296},"
                                       "{\"_placeholder\":true,\"num\":0}]");
    assert_int_equal(b.packet.nbins, 1);
    assert_int_equal(b.packet.bins[0].len, 3);
    assert_memory_equal(b.packet.bins[0].data, "\x01\x02\x03", 3);
    assert_int_equal(b.rooms.n, 1);
    assert_string_equal(b.rooms.names[0], "r1");
    assert_int_equal(b.except.n, 1);
    assert_string_equal(b.except.names[0], "x");
    assert_int_equal(b.flags, ADAPTER_VOLATILE);
    adapter_bcast_free(&b);
}

static void encodes_exactly_as_socket_io(void **state)
{
    (void)state;
    uint8_t want[256], *out;
    size_t wn = unhex(plain_bcast, want, sizeof want), n;
    sio_target t = {0};
    assert_int_equal(adapter_encode_bcast("u1", "/", "hi", NULL, NULL, 0, &t, NULL, &out, &n), 0);
    assert_int_equal(n, wn);
    assert_memory_equal(out, want, wn);
    free(out);
}

/* What we encode, we decode to the same event, arguments, binaries, rooms and flags. */
static void round_trips_rooms_except_binaries(void **state)
{
    (void)state;
    const char *rooms[] = {"a", "b"}, *except[] = {"c"};
    sio_bin bin = {(const uint8_t *)"\x00\xff", 2};
    sio_target t = {
        .rooms = rooms, .nrooms = 2, .except = except, .nexcept = 1, .flags = SIO_VOLATILE};
    const char *args = "[{\"x\":[1,-2,0.5,\"q\\\"\",true,false,null]}," SIO_PLACEHOLDER(0) "]";
    uint8_t *out;
    size_t n;
    assert_int_equal(adapter_encode_bcast("me", "/news", "ev", args, &bin, 1, &t, NULL, &out, &n),
                     0);
    adapter_bcast b;
    assert_int_equal(adapter_decode_bcast(out, n, &b), 0);
    free(out);
    assert_string_equal(b.packet.json, "[\"ev\",{\"x\":[1,-2,0.5,\"q\\\"\",true,false,null]},"
                                       "{\"_placeholder\":true,\"num\":0}]");
    assert_string_equal(b.packet.nsp, "/news");
    assert_int_equal(b.packet.nbins, 1);
    assert_memory_equal(b.packet.bins[0].data, "\x00\xff", 2);
    assert_int_equal(b.rooms.n, 2);
    assert_string_equal(b.rooms.names[1], "b");
    assert_int_equal(b.except.n, 1);
    assert_int_equal(b.flags, ADAPTER_VOLATILE);
    adapter_bcast_free(&b);
}

/* Every prefix of a good message is refused (MessagePack has no "need more": a Redis message
 * arrives whole, so a short one is broken), and so are wrong shapes. */
static void refuses_truncated_and_malformed(void **state)
{
    (void)state;
    uint8_t buf[512];
    size_t n = unhex(room_bcast, buf, sizeof buf);
    adapter_bcast b;
    for (size_t cut = 0; cut < n; cut++)
        assert_true(adapter_decode_bcast(buf, cut, &b) < 0);
    const char *bad[] = {
        "c0",          /* nil */
        "92a17880",    /* ["x", {}]: two elements */
        "93a17880 80", /* packet without type or data */
        "93a17882a47479706503a46461746191a26869" /* type 3 (ACK) is not broadcast */ "80",
        "93a17882a47479706502a46461746190" /* data [] has no event name */ "80",
        "93a17882a47479706502a46461746191a26869c0", /* opts nil */
        "ddffffffff",         /* an array that claims 2^32-1 items: refused before any allocation */
        "93a178dfffffffff",   /* a map that claims 2^32-1 pairs */
        "93a178c6ffffffff00", /* a bin of 4 GiB in 1 byte */
        "c1",                 /* the byte MessagePack never uses */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char hex[256];
        size_t k = 0;
        for (const char *p = bad[i]; *p; p++)
            if (*p != ' ')
                hex[k++] = *p;
        hex[k] = '\0';
        size_t bn = unhex(hex, buf, sizeof buf);
        assert_true(adapter_decode_bcast(buf, bn, &b) < 0);
    }
}

/* Nesting beyond ADAPTER_MAX_DEPTH is refused, never recursed into. */
static void refuses_deep_nesting(void **state)
{
    (void)state;
    uint8_t buf[256];
    size_t n = 0;
    const char *head = "93a1788"
                       "2a47479706502a464617461"
                       "92a26869";
    n = unhex(head, buf, sizeof buf);
    for (int i = 0; i < ADAPTER_MAX_DEPTH + 2; i++)
        buf[n++] = 0x91; /* [[[[... */
    buf[n++] = 0xc0;
    buf[n++] = 0x80;
    adapter_bcast b;
    assert_true(adapter_decode_bcast(buf, n, &b) < 0);
}

/* notepack: {uid:"u9", requestId:"rq1", type:7, packet:{type:2, data:["ask",1], nsp:"/",
 * id:3}, opts:{rooms:[], except:[], flags:{timeout:1000}}}: a broadcast with acks. */
static void decodes_a_broadcast_with_acks_request(void **state)
{
    (void)state;
    uint8_t buf[512];
    size_t n = unhex("85a3756964a27539a9726571756573744964a3727131a47479706507a67061636b657484a474"
                     "79706502a46461746192a361736b01a36e7370a12fa2696403a46f70747383a5726f6f6d73"
                     "90a665786365707490a5666c61677381a774696d656f7574cd03e8",
                     buf, sizeof buf);
    adapter_req r;
    assert_int_equal(adapter_decode_req(buf, n, &r), 0);
    assert_int_equal(r.type, ADAPTER_BROADCAST);
    assert_string_equal(r.uid, "u9");
    assert_string_equal(r.request_id, "rq1");
    assert_string_equal(r.packet.json, "[\"ask\",1]");
    assert_int_equal(r.packet.id, 3);
    assert_int_equal(r.timeout, 1000);
    assert_true(r.has_opts);
    adapter_req_free(&r);
}

/* The JSON requests, as the adapter writes them with JSON.stringify. */
static void decodes_json_requests(void **state)
{
    (void)state;
    const char *join = "{\"uid\":\"u1\",\"type\":2,\"opts\":{\"rooms\":[\"a\"],\"except\":[\"b\"]},"
                       "\"rooms\":[\"r1\",\"r2\"]}";
    adapter_req r;
    assert_int_equal(adapter_decode_req((const uint8_t *)join, strlen(join), &r), 0);
    assert_int_equal(r.type, ADAPTER_REMOTE_JOIN);
    assert_int_equal(r.rooms.n, 1);
    assert_string_equal(r.except.names[0], "b");
    assert_int_equal(r.targets.n, 2);
    assert_string_equal(r.targets.names[1], "r2");
    adapter_req_free(&r);

    const char *emit =
        "{\"uid\":\"u1\",\"requestId\":\"x7\",\"type\":6,\"data\":[\"echo\",{\"k\":[1]}]}";
    assert_int_equal(adapter_decode_req((const uint8_t *)emit, strlen(emit), &r), 0);
    assert_int_equal(r.type, ADAPTER_SERVER_SIDE_EMIT);
    assert_string_equal(r.request_id, "x7");
    assert_string_equal(r.data, "[\"echo\",{\"k\":[1]}]");
    adapter_req_free(&r);

    const char *disc =
        "{\"uid\":\"u1\",\"type\":4,\"opts\":{\"rooms\":[],\"except\":[]},\"close\":true}";
    assert_int_equal(adapter_decode_req((const uint8_t *)disc, strlen(disc), &r), 0);
    assert_int_equal(r.type, ADAPTER_REMOTE_DISCONNECT);
    assert_true(r.close);
    assert_true(r.has_opts);
    adapter_req_free(&r);

    const char *old =
        "{\"uid\":\"u1\",\"requestId\":\"q\",\"type\":3,\"sid\":\"s1\",\"room\":\"r\"}";
    assert_int_equal(adapter_decode_req((const uint8_t *)old, strlen(old), &r), 0);
    assert_int_equal(r.type, ADAPTER_REMOTE_LEAVE);
    assert_false(r.has_opts);
    assert_string_equal(r.sid, "s1");
    assert_string_equal(r.room, "r");
    adapter_req_free(&r);

    const char *sockets = "{\"uid\":\"u1\",\"requestId\":\"q\",\"type\":0,\"rooms\":[\"a\",\"b\"]}";
    assert_int_equal(adapter_decode_req((const uint8_t *)sockets, strlen(sockets), &r), 0);
    assert_int_equal(r.targets.n, 2);
    adapter_req_free(&r);

    const char *resp = "{\"requestId\":\"x7\",\"sockets\":[{\"id\":\"s1\",\"rooms\":[\"s1\"]}]}";
    assert_int_equal(adapter_decode_req((const uint8_t *)resp, strlen(resp), &r), 0);
    assert_int_equal(r.type, -1);
    assert_string_equal(r.sockets, "[{\"id\":\"s1\",\"rooms\":[\"s1\"]}]");
    adapter_req_free(&r);

    const char *bad[] = {"{",
                         "[1]",
                         "{\"type\":\"2\"}",
                         "{\"type\":2,\"rooms\":{}}",
                         "{\"type\":2,\"opts\":{\"rooms\":[{}]}}",
                         "{\"uid\":5}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_true(adapter_decode_req((const uint8_t *)bad[i], strlen(bad[i]), &r) < 0);
}

/* Requests as the adapter's JSON.stringify writes them, and back. */
static void encodes_requests_as_json(void **state)
{
    (void)state;
    char *rooms[] = {"a"}, *none[] = {NULL}, *targets[] = {"t1", "t2"};
    adapter_req fetch = {.type = ADAPTER_REMOTE_FETCH,
                         .uid = "u1",
                         .request_id = "q1",
                         .has_opts = 1,
                         .client_count = -1,
                         .rooms = {rooms, 1},
                         .except = {none, 0}};
    char *json = adapter_encode_req(&fetch);
    assert_string_equal(json, "{\"uid\":\"u1\",\"requestId\":\"q1\",\"type\":5,"
                              "\"opts\":{\"rooms\":[\"a\"],\"except\":[]}}");
    free(json);
    adapter_req join = {.type = ADAPTER_REMOTE_JOIN,
                        .uid = "u1",
                        .has_opts = 1,
                        .client_count = -1,
                        .targets = {targets, 2}};
    json = adapter_encode_req(&join);
    assert_string_equal(json, "{\"uid\":\"u1\",\"type\":2,\"opts\":{\"rooms\":[],"
                              "\"except\":[]},\"rooms\":[\"t1\",\"t2\"]}");
    adapter_req back;
    assert_int_equal(adapter_decode_req((const uint8_t *)json, strlen(json), &back), 0);
    assert_int_equal(back.targets.n, 2);
    assert_string_equal(back.targets.names[1], "t2");
    adapter_req_free(&back);
    free(json);
    /* data passes as text: a "\u0000" inside a string survives both ways */
    adapter_req emit = {.type = ADAPTER_SERVER_SIDE_EMIT,
                        .request_id = "q2",
                        .client_count = -1,
                        .data = "[\"echo\",\"a\\u0000b\"]"};
    json = adapter_encode_req(&emit);
    assert_int_equal(adapter_decode_req((const uint8_t *)json, strlen(json), &back), 0);
    assert_string_equal(back.data, "[\"echo\",\"a\\u0000b\"]");
    adapter_req_free(&back);
    free(json);
}

/* A string with NUL and an emoji, and numbers at the edges, through MessagePack and back. */
static void keeps_every_value(void **state)
{
    (void)state;
    sio_target t = {0};
    const char *args = "[\"a\\u0000\\ud83d\\ude00\",-0,9007199254740993,1e300,-7]";
    uint8_t *out;
    size_t n;
    assert_int_equal(adapter_encode_bcast("u", "/", "x", args, NULL, 0, &t, NULL, &out, &n), 0);
    adapter_bcast b;
    assert_int_equal(adapter_decode_bcast(out, n, &b), 0);
    free(out);
    /* as JSON.stringify(JSON.parse(args)) in JavaScript (the emoji as UTF-8 bytes) */
    assert_string_equal(b.packet.json,
                        "[\"x\",\"a\\u0000\xf0\x9f\x98\x80\",0,9007199254740992,1e+300,-7]");
    adapter_bcast_free(&b);
}

/* A client's ack of another server's broadcast with acks, byte for byte as socket.io's
 * adapter publishes it. notepack: {type:9, requestId:"r1", packet:{a:[1,"C1:q"]}} */
static void encodes_a_client_ack_as_socket_io(void **state)
{
    (void)state;
    uint8_t want[128], *out;
    size_t wn = unhex("83a47479706509a9726571756573744964a27231a67061636b657481a1619201a443313a71",
                      want, sizeof want),
           n;
    assert_int_equal(
        adapter_encode_bcast_ack("r1", "[{\"a\":[1,\"C1:q\"]},\"ignored\"]", NULL, 0, &out, &n), 0);
    assert_int_equal(n, wn);
    assert_memory_equal(out, want, wn);
    free(out);
}

static void names_channels_as_socket_io(void **state)
{
    (void)state;
    char ch[64];
    assert_int_equal(adapter_channel(ch, sizeof ch, "", "/", NULL), 12);
    assert_string_equal(ch, "socket.io#/#");
    adapter_channel(ch, sizeof ch, "", "/news", "r1");
    assert_string_equal(ch, "socket.io#/news#r1#");
    adapter_channel(ch, sizeof ch, "-request", "/", NULL);
    assert_string_equal(ch, "socket.io-request#/#");
    assert_int_equal(adapter_channel(ch, 8, "-response", "/", NULL), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(decodes_a_room_broadcast_from_socket_io),
        cmocka_unit_test(encodes_exactly_as_socket_io),
        cmocka_unit_test(round_trips_rooms_except_binaries),
        cmocka_unit_test(refuses_truncated_and_malformed),
        cmocka_unit_test(refuses_deep_nesting),
        cmocka_unit_test(decodes_a_broadcast_with_acks_request),
        cmocka_unit_test(decodes_json_requests),
        cmocka_unit_test(encodes_requests_as_json),
        cmocka_unit_test(keeps_every_value),
        cmocka_unit_test(encodes_a_client_ack_as_socket_io),
        cmocka_unit_test(names_channels_as_socket_io),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
