/*
 * test_sio_packet.c - the Socket.IO v5 codec: every packet type, binary placeholders, each kind
 * of malformed packet, the encoder, and sio_describe (the sniffer's line).
 *
 * What it teaches: the five optional parts of a Socket.IO packet (type, attachments, namespace,
 * ack id, JSON) and which packets a server must refuse. Run: build/tests/test_sio_packet
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sio_packet.h"

/* Decode and check s; return 0 or the first error. */
static int full(const char *s, sio_packet *p)
{
    int rc = sio_decode(s, strlen(s), p);
    if (rc < 0)
        return rc;
    rc = sio_check_data(p);
    return rc < 0 ? rc : sio_check_placeholders(p);
}

static void expect(const char *s, sio_type type, const char *nsp, int64_t id, size_t att,
                   const char *data)
{
    sio_packet p;
    assert_int_equal(full(s, &p), 0);
    assert_int_equal(p.type, type);
    assert_int_equal(p.nsp_len, strlen(nsp));
    assert_memory_equal(p.nsp, nsp, p.nsp_len);
    assert_int_equal(p.id, id);
    assert_int_equal(p.attachments, att);
    assert_int_equal(p.data_len, strlen(data));
    assert_memory_equal(p.data, data, p.data_len);
}

static void every_type_decodes(void **state)
{
    (void)state;
    expect("0", SIO_CONNECT, "/", -1, 0, "");
    expect("0{\"token\":\"123\"}", SIO_CONNECT, "/", -1, 0, "{\"token\":\"123\"}");
    expect("0/custom,", SIO_CONNECT, "/custom", -1, 0, "");
    expect("0/custom", SIO_CONNECT, "/custom", -1, 0, "");
    expect("0/custom,{\"token\":\"abc\"}", SIO_CONNECT, "/custom", -1, 0, "{\"token\":\"abc\"}");
    expect("1", SIO_DISCONNECT, "/", -1, 0, "");
    expect("1/custom,", SIO_DISCONNECT, "/custom", -1, 0, "");
    expect("2[\"message\",1,\"2\",{\"3\":[true]}]", SIO_EVENT, "/", -1, 0,
           "[\"message\",1,\"2\",{\"3\":[true]}]");
    expect("2/chat,12[\"message\",\"hi\"]", SIO_EVENT, "/chat", 12, 0, "[\"message\",\"hi\"]");
    expect("2456[\"message-with-ack\"]", SIO_EVENT, "/", 456, 0, "[\"message-with-ack\"]");
    expect("29007199254740991[\"a\"]", SIO_EVENT, "/", 9007199254740991LL, 0, "[\"a\"]");
    expect("2007[\"a\"]", SIO_EVENT, "/", 7, 0, "[\"a\"]"); /* Number("007") is 7 */
    expect("2[42]", SIO_EVENT, "/", -1, 0, "[42]");
    expect("3456[1,\"2\"]", SIO_ACK, "/", 456, 0, "[1,\"2\"]");
    expect("3/chat,7[]", SIO_ACK, "/chat", 7, 0, "[]");
    expect("4{\"message\":\"Invalid namespace\"}", SIO_CONNECT_ERROR, "/", -1, 0,
           "{\"message\":\"Invalid namespace\"}");
    expect("4\"not allowed\"", SIO_CONNECT_ERROR, "/", -1, 0, "\"not allowed\"");
    expect("52-[\"m\",{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1}]",
           SIO_BINARY_EVENT, "/", -1, 2,
           "[\"m\",{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1}]");
    expect("61-/x,789[{\"_placeholder\":true,\"num\":0}]", SIO_BINARY_ACK, "/x", 789, 1,
           "[{\"_placeholder\":true,\"num\":0}]");
}

static int err_of(const char *s)
{
    sio_packet p;
    return full(s, &p);
}

/* One packet per rule, each breaking only that rule. */
static void malformed_packets(void **state)
{
    (void)state;
    assert_int_equal(err_of(""), SIO_E_EMPTY);
    assert_int_equal(err_of("abc"), SIO_E_TYPE);
    assert_int_equal(err_of("7[\"x\"]"), SIO_E_TYPE);
    assert_int_equal(err_of("5[\"x\"]"), SIO_E_ATTACHMENTS);              /* no "<n>-" */
    assert_int_equal(err_of("51[\"x\"]"), SIO_E_ATTACHMENTS);             /* no "-" */
    assert_int_equal(err_of("5999-[\"x\"]"), SIO_E_ATTACHMENTS);          /* too many */
    assert_int_equal(err_of("511-[\"x\"]"), SIO_E_ATTACHMENTS);           /* over 10 */
    assert_int_equal(err_of("50-[\"x\"]"), SIO_E_ATTACHMENTS);            /* none */
    assert_int_equal(err_of("2{}"), SIO_E_PAYLOAD);                       /* not an array */
    assert_int_equal(err_of("2[]"), SIO_E_PAYLOAD);                       /* no event name */
    assert_int_equal(err_of("2[true]"), SIO_E_PAYLOAD);                   /* name not a string */
    assert_int_equal(err_of("2[\"disconnect\"]"), SIO_E_PAYLOAD);         /* reserved name */
    assert_int_equal(err_of("2"), SIO_E_PAYLOAD);                         /* an event needs data */
    assert_int_equal(err_of("2[\"message\""), SIO_E_JSON);                /* unclosed */
    assert_int_equal(err_of("2abc[\"message-with-ack\",1]"), SIO_E_JSON); /* invalid ack id */
    assert_int_equal(err_of("2[\"a\"] x"), SIO_E_JSON);                   /* trailing garbage */
    assert_int_equal(err_of("2123456789012345678[\"a\"]"), SIO_E_ACKID);
    assert_int_equal(err_of("29007199254740992[\"a\"]"), SIO_E_ACKID); /* 2^53: not exact in JS */
    assert_int_equal(err_of("299999999999999999999999[\"a\"]"), SIO_E_ACKID);
    assert_int_equal(err_of("0[1]"), SIO_E_PAYLOAD); /* CONNECT auth must be an object */
    assert_int_equal(err_of("1{}"), SIO_E_PAYLOAD);  /* DISCONNECT carries nothing */
    assert_int_equal(err_of("4"), SIO_E_PAYLOAD);    /* CONNECT_ERROR needs a reason */
    assert_int_equal(err_of("3{}"), SIO_E_PAYLOAD);  /* ACK arguments are an array */
    assert_int_equal(err_of("51-[\"m\",{\"_placeholder\":true,\"num\":1}]"), SIO_E_PLACEHOLDER);
    assert_int_equal(err_of("51-[\"m\",{\"_placeholder\":true,\"num\":-1}]"), SIO_E_PLACEHOLDER);
    assert_int_equal(err_of("51-[\"m\",{\"_placeholder\":true,\"num\":\"0\"}]"), SIO_E_PLACEHOLDER);
    char nsp[SIO_MAX_NSP + 16] = "2/";
    memset(nsp + 2, 'n', SIO_MAX_NSP);
    strcat(nsp, ",[\"a\"]");
    assert_int_equal(err_of(nsp), SIO_E_NSP);
}

/* Every prefix of a valid packet either decodes or fails cleanly: nothing reads past n. */
static void every_prefix_is_safe(void **state)
{
    (void)state;
    const char *s = "52-/chat,12[\"m\",{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,"
                    "\"num\":1}]";
    size_t n = strlen(s);
    for (size_t cut = 0; cut <= n; cut++) {
        char *copy = malloc(cut ? cut : 1); /* exactly cut bytes, so ASan sees any overread */
        memcpy(copy, s, cut);
        sio_packet p;
        int rc = sio_decode(copy, cut, &p);
        if (rc == 0)
            rc = sio_check_data(&p);
        assert_true(cut == n ? rc == 0 : rc <= 0);
        free(copy);
    }
}

static int ph_num(const char *json)
{
    return sio_placeholder_num(json, strlen(json));
}

static void placeholders(void **state)
{
    (void)state;
    assert_int_equal(ph_num("{\"_placeholder\":true,\"num\":3}"), 3);
    assert_int_equal(ph_num("{\"num\":3,\"_placeholder\":true}"), 3);
    assert_int_equal(ph_num("{\"_placeholder\":false,\"num\":3}"), -1);
    assert_int_equal(ph_num("[3]"), -1);
    assert_int_equal(err_of("52-[\"m\",{\"a\":[{\"_placeholder\":true,\"num\":1}]}]"), 0);
    assert_int_equal(err_of("51-[\"m\",{\"a\":[{\"_placeholder\":true,\"num\":1}]}]"),
                     SIO_E_PLACEHOLDER);
    /* as socket.io-parser: the last "_placeholder" wins, and only true makes a placeholder */
    assert_int_equal(err_of("51-[\"m\",{\"_placeholder\":true,\"_placeholder\":1,\"num\":9}]"), 0);
    assert_int_equal(err_of("51-[\"m\",{\"\\u005fplaceholder\":true,\"num\":9}]"),
                     SIO_E_PLACEHOLDER); /* an escaped key is the same key */
}

static void encoder(void **state)
{
    (void)state;
    size_t len;
    char *s = sio_encode(SIO_EVENT, "/", -1, 0, "[\"message-back\",1]", &len);
    assert_string_equal(s, "2[\"message-back\",1]");
    assert_int_equal(len, strlen(s));
    free(s);
    s = sio_encode(SIO_CONNECT_ERROR, "/random", -1, 0, "{\"message\":\"Invalid namespace\"}",
                   &len);
    assert_string_equal(s, "4/random,{\"message\":\"Invalid namespace\"}");
    free(s);
    s = sio_encode(SIO_BINARY_ACK, "/", 789, 2, "[]", &len);
    assert_string_equal(s, "62-789[]");
    free(s);
    s = sio_encode(SIO_DISCONNECT, "/chat", -1, 0, NULL, &len);
    assert_string_equal(s, "1/chat,");
    free(s);
    /* what we encode decodes to the same parts */
    s = sio_encode(SIO_BINARY_EVENT, "/chat", 12, 1, "[\"up\",{\"_placeholder\":true,\"num\":0}]",
                   &len);
    expect(s, SIO_BINARY_EVENT, "/chat", 12, 1, "[\"up\",{\"_placeholder\":true,\"num\":0}]");
    free(s);
}

static void describe(void **state)
{
    (void)state;
    char out[256];
    const char *ws = "42/chat,12[\"message\",\"hi\"]";
    assert_int_equal(sio_describe((const uint8_t *)ws, strlen(ws), out, sizeof out), 1);
    assert_string_equal(out, "socket.io EVENT /chat [\"message\",\"hi\"] ack=12");
    const char body[] = "2\x1e"
                        "40{\"sid\":\"a\"}\x1e"
                        "bAQID\x1e"
                        "451-[\"up\",{\"_placeholder\":true,\"num\":0}]";
    assert_int_equal(sio_describe((const uint8_t *)body, sizeof body - 1, out, sizeof out), 4);
    assert_string_equal(out, "engine.io PING; socket.io CONNECT / {\"sid\":\"a\"}; engine.io "
                             "MESSAGE binary (base64, 4 chars); socket.io BINARY_EVENT / "
                             "[\"up\",{\"_placeholder\":true,\"num\":0}] attachments=1");
    assert_int_equal(sio_describe((const uint8_t *)"3probe", 6, out, sizeof out), 1);
    assert_string_equal(out, "engine.io PONG probe");
    assert_int_equal(sio_describe((const uint8_t *)"4hello", 6, out, sizeof out), 1);
    assert_string_equal(out, "engine.io MESSAGE hello");
    assert_int_equal(sio_describe((const uint8_t *)"GET /", 5, out, sizeof out), -1);
    /* a small buffer is never overrun, and control bytes are not printed raw */
    char small[12];
    assert_int_equal(sio_describe((const uint8_t *)ws, strlen(ws), small, sizeof small), 1);
    assert_int_equal(strlen(small), sizeof small - 1);
    assert_int_equal(sio_describe((const uint8_t *)"4a\nb", 4, out, sizeof out), 1);
    assert_string_equal(out, "engine.io MESSAGE a.b");
    assert_int_equal(sio_describe_binary(3, out, sizeof out), 1);
}

static void describe_http(void **state)
{
    (void)state;
    char out[256];
    const char post[] = "POST /socket.io/?EIO=4&transport=polling&sid=x HTTP/1.1\r\n"
                        "Host: a\r\nContent-Length: 24\r\n\r\n42[\"say\",\"lobby\",\"hi\"]\x1e"
                        "3";
    assert_int_equal(sio_describe_http((const uint8_t *)post, sizeof post - 1, out, sizeof out), 2);
    assert_string_equal(out, "socket.io EVENT / [\"say\",\"lobby\",\"hi\"]; engine.io PONG");
    const char resp[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=UTF-8\r\n"
                        "Content-Length: 30\r\n\r\n40{\"sid\":\"abc\"}\x1e"
                        "42[\"welc";
    assert_int_equal(sio_describe_http((const uint8_t *)resp, sizeof resp - 1, out, sizeof out), 2);
    assert_string_equal(out, "socket.io CONNECT / {\"sid\":\"abc\"}; socket.io EVENT / "
                             "[\"welc [truncated]");
    const char ok[] = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 2\r\n\r\nok";
    assert_int_equal(sio_describe_http((const uint8_t *)ok, sizeof ok - 1, out, sizeof out), -1);
    const char page[] = "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\n4";
    assert_int_equal(sio_describe_http((const uint8_t *)page, sizeof page - 1, out, sizeof out),
                     -1);
    const char cut[] = "POST /socket.io/?EIO=4 HTTP/1.1\r\nContent-Len";
    assert_int_equal(sio_describe_http((const uint8_t *)cut, sizeof cut - 1, out, sizeof out), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_type_decodes),
        cmocka_unit_test(malformed_packets),
        cmocka_unit_test(every_prefix_is_safe),
        cmocka_unit_test(placeholders),
        cmocka_unit_test(encoder),
        cmocka_unit_test(describe),
        cmocka_unit_test(describe_http),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
