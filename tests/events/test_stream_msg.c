/*
 * test_stream_msg.c - the Redis streams adapter's codec (events/stream_msg.c), with cmocka.
 *
 * What it teaches: the bytes @socket.io/redis-streams-adapter 0.3.1 puts in Redis. The vectors
 * marked "node" were written in Node.js by the adapter itself (a stream entry read back with
 * XRANGE, a session read back with GET) or by its encoder, npm @msgpack/msgpack 2.8, e.g.
 *   node -e 'const {encode}=require("@msgpack/msgpack"); console.log(Buffer.from(encode(
 *            {type:9,data:{packet:["ping",1]},uid:"f4c730af2fcee160",nsp:"/"})).toString("base64"))'
 * (printed here in base64) so an encoder or decoder that disagrees with socket.io fails here.
 * Run: build/tests/test_stream_msg
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base64.h"
#include "stream_msg.h"

/* A vector's bytes (the vectors are base64, as the stream's own binary field). */
static size_t bytes_of(const char *b64, uint8_t *out, size_t cap)
{
    long n = base64_decode(b64, strlen(b64), out, cap);
    assert_true(n > 0);
    return (size_t)n;
}

/* node: io.to("r1").except("x").emit("hi", 1.5, 2 ** 60, "é"), as XRANGE returned it. */
static const char hi_data[] = "{\"packet\":{\"type\":2,\"data\":[\"hi\",1.5,1152921504606847000,"
                              "\"\xc3\xa9\"]},\"opts\":{\"rooms\":[\"r1\"],\"except\":[\"x\"],"
                              "\"flags\":{}}}";
/* node: io.emit("bin", Buffer.from([1, 2, 3])): its data field, base64 of MessagePack. */
static const char bin_field[] =
    "gqZwYWNrZXSCpHR5cGUCpGRhdGGSo2JpbsQDAQIDpG9wdHODpXJvb21zkKZleGNlcHSQpWZsYWdzgA==";
/* node (@msgpack/msgpack): {packet:{type:2,data:["said",{a:1,b:1.5,s:"é",n:null,neg:-5,
 * big:4294967296,max:2**53-1,f:0.1},Buffer [1,2,3]]},opts:{rooms:["r1"],except:["x"],
 * flags:{volatile:true}}} */
static const char values_field[] =
    "gqZwYWNrZXSCpHR5cGUCpGRhdGGTpHNhaWSIoWEBoWLLP/gAAAAAAAChc6LDqaFuwKNuZWf7o2JpZ88AAAABAAAAAKNtYX"
    "jPAB////////+hZss/uZmZmZmZmsQDAQIDpG9wdHODpXJvb21zkaJyMaZleGNlcHSRoXilZmxhZ3OBqHZvbGF0aWxlww"
    "==";
/* node: io.serverSideEmit("ping", 1), PUBLISHed on socket.io#/# (as MONITOR showed it). */
static const char ping_b64[] =
    "hKR0eXBlCaRkYXRhgaZwYWNrZXSSpHBpbmcBo3VpZLBmNGM3MzBhZjJmY2VlMTYwo25zcKEv";
/* node: fetchSockets() on room r1 with requestId "abcd". */
static const char fetch_b64[] =
    "hKR0eXBlB6RkYXRhgqRvcHRzg6Vyb29tc5GicjGmZXhjZXB0kKVmbGFnc4CpcmVxdWVzdElkpGFiY2SjdWlksGY0"
    "YzczMGFmMmZjZWUxNjCjbnNwoS8=";
/* node: the SERVER_SIDE_EMIT_RESPONSE {requestId:"abcd", packet:{x:1}}. */
static const char emit_resp_b64[] =
    "hKR0eXBlCqRkYXRhgqlyZXF1ZXN0SWSkYWJjZKZwYWNrZXSBoXgBo3VpZLBmNGM3MzBhZjJmY2VlMTYwo25zcKEv";
/* node: persistSession of socket mI31... (pid Q26b...) in rooms r1 and r2, as GET returned it. */
static const char session_b64[] =
    "hKNzaWS0bUkzMVpNMWE2OFBrR2J2Z0FBQUGjcGlktFEyNmJJU0pIU3lPNktwUGFBQUFCpXJvb21zk7RtSTMxWk0xYTY4"
    "UGtHYnZnQUFBQaJyMaJyMqRkYXRhgA==";

static const char uid[] = "f4c730af2fcee160";

static int entry(const char *type, const char *data, stream_msg *m)
{
    const char *kv[] = {"uid", uid, "nsp", "/", "type", type, "data", data};
    size_t len[8];
    for (int i = 0; i < 8; i++)
        len[i] = strlen(kv[i]);
    return stream_decode_entry(kv, len, 8, m);
}

static void encodes_a_broadcast_as_node_does(void **state)
{
    (void)state;
    const char *rooms[] = {"r1"}, *except[] = {"x"};
    sio_target t = {.rooms = rooms, .nrooms = 1, .except = except, .nexcept = 1};
    char *d = stream_broadcast_data("hi", "[1.5,1152921504606847000,\"\xc3\xa9\"]", &t, NULL);
    assert_string_equal(d, hi_data);
    char *field;
    assert_int_equal(stream_encode_field(d, NULL, 0, &field), 0);
    assert_string_equal(field, hi_data); /* no binary: JSON.stringify's text */
    free(field);
    free(d);
    /* with a binary: base64 of MessagePack, byte for byte */
    const uint8_t bytes[] = {1, 2, 3};
    sio_bin bin = {bytes, 3};
    sio_target all = {0};
    d = stream_broadcast_data("bin", "[" SIO_PLACEHOLDER(0) "]", &all, NULL);
    assert_int_equal(stream_encode_field(d, &bin, 1, &field), 0);
    assert_string_equal(field, bin_field);
    free(field);
    free(d);
    /* socket.broadcast: the sender's id is an except room; volatile is a flag */
    sio_target vol = {.flags = SIO_VOLATILE};
    d = stream_broadcast_data("t", NULL, &vol, "sid1");
    assert_string_equal(d, "{\"packet\":{\"type\":2,\"data\":[\"t\"]},\"opts\":{\"rooms\":[],"
                           "\"except\":[\"sid1\"],\"flags\":{\"volatile\":true}}}");
    free(d);
}

static void decodes_stream_entries_from_node(void **state)
{
    (void)state;
    stream_msg m;
    assert_int_equal(entry("3", hi_data, &m), 0);
    assert_int_equal(m.type, STREAM_BROADCAST);
    assert_string_equal(m.uid, uid);
    assert_string_equal(m.nsp, "/");
    assert_string_equal(m.data, hi_data); /* JSON stays the text Node wrote */
    stream_opts o;
    assert_int_equal(stream_read_opts(m.data, &o), 0);
    assert_int_equal(o.rooms.n, 1);
    assert_string_equal(o.rooms.names[0], "r1");
    assert_string_equal(o.except.names[0], "x");
    stream_opts_free(&o);
    char event[32], *args;
    int64_t ack;
    assert_int_equal(stream_read_packet(m.data, event, sizeof event, &args, &ack), 0);
    assert_string_equal(event, "hi");
    assert_string_equal(args, "[1.5,1152921504606847000,\"\xc3\xa9\"]");
    assert_int_equal(ack, -1);
    free(args);
    stream_msg_free(&m);
    /* MessagePack with a binary and the values at the edges */
    assert_int_equal(entry("3", values_field, &m), 0);
    assert_string_equal(m.data,
                        "{\"packet\":{\"type\":2,\"data\":[\"said\",{\"a\":1,\"b\":1.5,\"s\":"
                        "\"\xc3\xa9\",\"n\":null,\"neg\":-5,\"big\":4294967296,"
                        "\"max\":9007199254740991,\"f\":0.1},{\"_placeholder\":true,\"num\":0}]},"
                        "\"opts\":{\"rooms\":[\"r1\"],\"except\":[\"x\"],\"flags\":{\"volatile\":"
                        "true}}}");
    assert_int_equal(m.nbins, 1);
    assert_memory_equal(m.bins[0].data, "\x01\x02\x03", 3);
    assert_int_equal(stream_read_opts(m.data, &o), 0);
    assert_int_equal(o.flags, ADAPTER_VOLATILE);
    stream_opts_free(&o);
    /* and back: our field for the same data is the adapter's, byte for byte */
    char *field;
    assert_int_equal(stream_encode_field(m.data, m.bins, m.nbins, &field), 0);
    assert_string_equal(field, values_field);
    free(field);
    stream_msg_free(&m);
    /* socketsJoin: {opts, rooms} */
    const char join[] =
        "{\"opts\":{\"rooms\":[\"r1\"],\"except\":[],\"flags\":{}},\"rooms\":[\"r2\"]}";
    assert_int_equal(entry("4", join, &m), 0);
    adapter_rooms r;
    assert_int_equal(stream_read_names(m.data, "rooms", &r), 0);
    assert_int_equal(r.n, 1);
    assert_string_equal(r.names[0], "r2");
    for (size_t i = 0; i < r.n; i++)
        free(r.names[i]);
    free(r.names);
    stream_msg_free(&m);
    const char *rooms[] = {"r1"}, *add[] = {"r2"};
    sio_target t = {.rooms = rooms, .nrooms = 1};
    char *d = stream_sockets_data(STREAM_SOCKETS_JOIN, &t, add, 1, 0);
    assert_string_equal(d, join);
    free(d);
}

static void refuses_malformed_entries(void **state)
{
    (void)state;
    stream_msg m;
    assert_int_equal(entry("x", hi_data, &m), ADAPTER_E_MALFORMED);       /* type not decimal */
    assert_int_equal(entry("3", "{\"a\":", &m), ADAPTER_E_MALFORMED);     /* broken JSON */
    assert_int_equal(entry("3", "not base64!", &m), ADAPTER_E_MALFORMED); /* neither */
    const char *kv[] = {"uid", "u", "type", "3"};
    size_t len[] = {3, 1, 4, 1};
    assert_int_equal(stream_decode_entry(kv, len, 4, &m), ADAPTER_E_MALFORMED); /* no nsp */
    /* every prefix of the base64 field is refused (or decodes to less), never read past */
    for (size_t n = 0; n + 4 < sizeof bin_field - 1; n++) {
        char cut[sizeof bin_field];
        memcpy(cut, bin_field, n);
        cut[n] = '\0';
        if (entry("3", cut, &m) == 0)
            stream_msg_free(&m);
    }
}

static void pubsub_messages_as_node_encodes_them(void **state)
{
    (void)state;
    uint8_t want[256], *got;
    size_t wn = bytes_of(ping_b64, want, sizeof want), n;
    char *d = stream_emit_data(NULL, "ping", "[1]");
    assert_int_equal(stream_encode_pubsub(STREAM_SERVER_SIDE_EMIT, d, NULL, 0, uid, "/", &got, &n),
                     0);
    assert_int_equal(n, wn);
    assert_memory_equal(got, want, n);
    free(got);
    free(d);
    stream_msg m;
    assert_int_equal(stream_decode_pubsub(want, wn, &m), 0);
    assert_int_equal(m.type, STREAM_SERVER_SIDE_EMIT);
    assert_string_equal(m.data, "{\"packet\":[\"ping\",1]}");
    stream_msg_free(&m);
    /* fetchSockets from Node, and our own is the same bytes */
    wn = bytes_of(fetch_b64, want, sizeof want);
    assert_int_equal(stream_decode_pubsub(want, wn, &m), 0);
    assert_int_equal(m.type, STREAM_FETCH_SOCKETS);
    char id[16];
    assert_true(stream_read_string(m.data, "requestId", id, sizeof id));
    assert_string_equal(id, "abcd");
    stream_msg_free(&m);
    const char *rooms[] = {"r1"};
    sio_target t = {.rooms = rooms, .nrooms = 1};
    d = stream_fetch_data(&t, "abcd");
    assert_int_equal(stream_encode_pubsub(STREAM_FETCH_SOCKETS, d, NULL, 0, uid, "/", &got, &n), 0);
    assert_int_equal(n, wn);
    assert_memory_equal(got, want, n);
    free(got);
    free(d);
    /* a serverSideEmit's answer */
    wn = bytes_of(emit_resp_b64, want, sizeof want);
    d = stream_response_data("abcd", "packet", "{\"x\":1}");
    assert_int_equal(
        stream_encode_pubsub(STREAM_SERVER_SIDE_EMIT_RESPONSE, d, NULL, 0, uid, "/", &got, &n), 0);
    assert_int_equal(n, wn);
    assert_memory_equal(got, want, n);
    free(got);
    free(d);
    /* every prefix of a message is refused */
    for (size_t k = 0; k < wn; k++)
        assert_int_not_equal(stream_decode_pubsub(want, k, &m), 0);
}

static void sessions_as_node_stores_them(void **state)
{
    (void)state;
    const char *rooms[] = {"mI31ZM1a68PkGbvgAAAA", "r1", "r2"};
    char *b64 = stream_encode_session("mI31ZM1a68PkGbvgAAAA", "Q26bISJHSyO6KpPaAAAB", rooms, 3);
    assert_string_equal(b64, session_b64);
    free(b64);
    stream_session s;
    assert_int_equal(stream_decode_session(session_b64, strlen(session_b64), &s), 0);
    assert_string_equal(s.sid, "mI31ZM1a68PkGbvgAAAA");
    assert_string_equal(s.pid, "Q26bISJHSyO6KpPaAAAB");
    assert_int_equal(s.rooms.n, 3);
    assert_string_equal(s.rooms.names[2], "r2");
    stream_session_free(&s);
    assert_int_not_equal(stream_decode_session("e30=", 4, &s),
                         0); /* "{}" as text: not MessagePack */
    assert_int_not_equal(stream_decode_session(session_b64, 8, &s), 0);
}

static void stream_ids(void **state)
{
    (void)state;
    assert_true(stream_id_valid("1796371702024-0"));
    assert_true(stream_id_valid("0-0"));
    assert_false(stream_id_valid("1796371702024"));
    assert_false(stream_id_valid("-1"));
    assert_false(stream_id_valid("1-2-3"));
    assert_false(stream_id_valid("1-x"));
    assert_false(stream_id_valid("18446744073709551616-0")); /* over 64 bits */
    assert_true(stream_id_valid("18446744073709551615-0"));
    assert_true(stream_id_cmp("9-1", "10-0") < 0); /* numbers, not text */
    assert_true(stream_id_cmp("10-2", "10-10") < 0);
    assert_int_equal(stream_id_cmp("5-5", "5-5"), 0);
    char next[STREAM_ID_MAX];
    assert_int_equal(stream_id_next("1796371702024-9", next, sizeof next), 0);
    assert_string_equal(next, "1796371702024-10");
    assert_int_equal(stream_id_next("1-18446744073709551615", next, sizeof next), -1);
}

static void the_replay_filter_is_should_include_packet(void **state)
{
    (void)state;
    char *s_names[] = {"sid", "r1"}, *r1[] = {"r1"}, *r2[] = {"r2"};
    adapter_rooms session = {s_names, 2}, none = {0}, in = {r1, 1}, other = {r2, 1};
    assert_true(stream_should_include(&session, &none, &none));   /* the whole namespace */
    assert_true(stream_should_include(&session, &in, &none));     /* one of its rooms */
    assert_false(stream_should_include(&session, &other, &none)); /* another room */
    assert_false(stream_should_include(&session, &none, &in));    /* excepted */
    assert_false(stream_should_include(&session, &in, &in));      /* except wins */
}

static void values_pass_through_messagepack_unchanged(void **state)
{
    (void)state;
    const char *texts[] = {
        "[9007199254740991,-9007199254740991,0.1,-1.5e+300,4294967296,-2147483649]",
        "[\"\\u0000\",\"\xc3\xa9\xf0\x9f\x98\x80\",\"\\\"\\\\\",true,false,null]",
        "[{\"a\":{\"b\":[[],{}]}},5e-324,1.7976931348623157e+308]",
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        uint8_t *mp;
        size_t n, nbins;
        char *back;
        sio_bin *bins;
        assert_int_equal(adapter_json_to_msgpack(texts[i], NULL, 0, &mp, &n), 0);
        assert_int_equal(adapter_msgpack_to_json(mp, n, &back, &bins, &nbins), 0);
        assert_string_equal(back, texts[i]);
        free(back);
        free(mp);
        adapter_bins_free(bins, nbins);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(encodes_a_broadcast_as_node_does),
        cmocka_unit_test(decodes_stream_entries_from_node),
        cmocka_unit_test(refuses_malformed_entries),
        cmocka_unit_test(pubsub_messages_as_node_encodes_them),
        cmocka_unit_test(sessions_as_node_stores_them),
        cmocka_unit_test(stream_ids),
        cmocka_unit_test(the_replay_filter_is_should_include_packet),
        cmocka_unit_test(values_pass_through_messagepack_unchanged),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
