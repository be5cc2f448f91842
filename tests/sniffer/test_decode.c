/*
 * test_decode.c - unit tests for the sniffer's pure parts: the bounds-checked reader, the
 * decoder on every prefix of real packets (run it under ASan: a read past the buffer aborts),
 * the RFC 5952 address text, the Internet checksum and the capture ring.
 *
 *   ctest --test-dir build -R sniffer_unit --output-on-failure
 */
#include "addr.h"
#include "dec_impl.h"
#include "decode.h"
#include "sring.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* Ethernet + IPv4 + TCP (MSS, SACK-perm, timestamps, wscale) + "hello": a client SYN with data
 * is unusual but exercises every layer. Checksums are not valid; they do not matter here. */
static const uint8_t eth_tcp[] = {0,    0,    0,    0,    0,    2,  0,    0,    0,  0, 0,
                                  1,    0x08, 0x00, /* Ethernet */
                                  0x45, 0,    0,    0x41, 0,    1,  0x40, 0,    64, 6, 0,
                                  0,    10,   0,    0,    1,    10, 0,    0,    2, /* IPv4 65 */
                                  0x9c, 0x40, 0x1b, 0x5f, 0,    0,  0x03, 0xe8, 0,  0, 0,
                                  0,    0xa0, 0x02, 0xff, 0xff, 0,  0,    0,    0,  2, 4,
                                  5,    0xb4, 4,    2,    8,    10, 0,    0,    0,  1, 0,
                                  0,    0,    0,    1,    3,    3,  7, /* options, 20 bytes */
                                  'h',  'e',  'l',  'l',  'o'};

/* SLL2 + IPv6 with a hop-by-hop header + UDP to port 53 + a DNS query for "a.b". */
static const uint8_t sll2_v6_dns[] = {
    0x86, 0xdd, 0, 0,  0, 0,  0, 1,  0x03, 0x04, 0, 6,  0, 0,   0, 0,   0, 0, 0, 0, /* SLL2 */
    0x60, 0,    0, 0,  0, 37, 0, 64,                                                /* IPv6 */
    0,    0,    0, 0,  0, 0,  0, 0,  0,    0,    0, 0,  0, 0,   0, 1,   0, 0, 0, 0, 0,
    0,    0,    0, 0,  0, 0,  0, 0,  0,    0,    1, 17, 0, 1,   4, 0,   0, 0, 0, /* hop-by-hop */
    0x30, 0x39, 0, 53, 0, 29, 0, 0,                                              /* UDP */
    0x12, 0x34, 1, 0,  0, 1,  0, 0,  0,    0,    0, 0,  1, 'a', 1, 'b', 0, 0, 1, 0, 1}; /* DNS */

static bool any_truncated(const dec_packet *p)
{
    for (int i = 0; i < p->nlayers; i++)
        if (p->layers[i].truncated)
            return true;
    return false;
}

/* Decode every prefix from an exact-size heap copy: ASan catches one byte read too many. */
static void every_prefix(const uint8_t *pkt, uint32_t len, int link, int full_layers)
{
    static dec_packet p;
    for (uint32_t k = 0; k <= len; k++) {
        uint8_t *copy = malloc(k ? k : 1);
        memcpy(copy, pkt, k);
        dec_decode(&p, link, copy, k, len, NULL);
        if (k < len && !any_truncated(&p))
            fail_msg("cut at %u of %u bytes: no layer says truncated", k, len);
        if (k == len) {
            assert_int_equal(p.nlayers, full_layers);
            assert_false(any_truncated(&p));
        }
        free(copy);
    }
}

static void test_prefixes_eth_tcp(void **state)
{
    (void)state;
    every_prefix(eth_tcp, sizeof eth_tcp, DEC_LINK_ETH, 4);
}

static void test_prefixes_sll2_dns(void **state)
{
    (void)state;
    every_prefix(sll2_v6_dns, sizeof sll2_v6_dns, DEC_LINK_SLL2, 4);
}

static void test_fields_eth_tcp(void **state)
{
    (void)state;
    static dec_packet p;
    dec_decode(&p, DEC_LINK_ETH, eth_tcp, sizeof eth_tcp, sizeof eth_tcp, NULL);
    const dec_layer *t = dec_find(&p, DEC_TCP);
    assert_non_null(t);
    assert_int_equal(t->u.tcp.sport, 40000);
    assert_int_equal(t->u.tcp.dport, 7007);
    assert_int_equal(t->u.tcp.seq, 1000);
    assert_int_equal(t->u.tcp.hdr_len, 40);
    assert_int_equal(t->u.tcp.mss, 1460);
    assert_true(t->u.tcp.sack_ok);
    assert_int_equal(t->u.tcp.ts_val, 1);
    assert_int_equal(t->u.tcp.wscale, 7);
    assert_int_equal(t->u.tcp.payload_len, 5);
    assert_int_equal(p.layers[3].proto, DEC_DATA);
    assert_int_equal(p.layers[3].off, 74);
}

static void test_dns_fields(void **state)
{
    (void)state;
    static dec_packet p;
    dec_decode(&p, DEC_LINK_SLL2, sll2_v6_dns, sizeof sll2_v6_dns, sizeof sll2_v6_dns, NULL);
    const dec_layer *ip = dec_find(&p, DEC_IPV6), *d = dec_find(&p, DEC_DNS);
    assert_non_null(ip);
    assert_int_equal(ip->u.ip6.upper, 17);
    assert_int_equal(ip->u.ip6.next, 1);
    assert_non_null(d);
    assert_int_equal(d->u.dns.id, 0x1234);
    assert_string_equal(dec_str(&p, d->u.dns.qname), "a.b");
}

/* Raw IPv4 + TCP (no options) around payload[0..n): checksums left 0, they do not matter. */
static uint32_t ip_tcp(uint8_t *buf, const uint8_t *payload, uint32_t n)
{
    static const uint8_t hdr[40] = {
        0x45, 0,    0,    0,    0, 1, 0x40, 0, 64, 6, 0, 0, 127,  0,    0,    1,    127, 0, 0, 1,
        0xcf, 0x11, 0x1f, 0x90, 0, 0, 0,    1, 0,  0, 0, 1, 0x50, 0x18, 0xff, 0xff, 0,   0, 0, 0};
    memcpy(buf, hdr, 40);
    buf[2] = (uint8_t)((40 + n) >> 8), buf[3] = (uint8_t)(40 + n);
    memcpy(buf + 40, payload, n);
    return 40 + n;
}

/* A masked client text frame "42/chat,12[...]" on an Engine.IO WebSocket flow: a Socket.IO
 * layer after the frame, described from the unmasked payload; every prefix decoded from an
 * exact-size copy (ASan), the layer present only when the whole payload was captured. */
static void test_socketio_ws_frame(void **state)
{
    (void)state;
    static dec_packet p;
    const char *text = "42/chat,12[\"message\",\"hi\"]";
    const uint8_t mask[4] = {0x37, 0xfa, 0x21, 0x3d};
    uint8_t frame[64], buf[128];
    uint32_t n = (uint32_t)strlen(text);
    frame[0] = 0x81, frame[1] = (uint8_t)(0x80 | n);
    memcpy(frame + 2, mask, 4);
    for (uint32_t i = 0; i < n; i++) /* RFC 6455 5.3, written out here independently */
        frame[6 + i] = (uint8_t)(text[i] ^ mask[i % 4]);
    uint32_t len = ip_tcp(buf, frame, 6 + n);
    dec_hints h = {.websocket = true, .ws_from_client = true, .engineio = true};
    for (uint32_t k = 0; k <= len; k++) {
        uint8_t *copy = malloc(k ? k : 1);
        memcpy(copy, buf, k);
        dec_decode(&p, DEC_LINK_RAW, copy, k, len, &h);
        const dec_layer *sio = dec_find(&p, DEC_SIO);
        if (k == len) {
            assert_int_equal(p.nlayers, 4);
            assert_non_null(sio);
            assert_int_equal(sio->off, 46);
            assert_int_equal(sio->u.sio.records, 1);
            assert_string_equal(dec_str(&p, sio->u.sio.text),
                                "socket.io EVENT /chat [\"message\",\"hi\"] ack=12");
        } else if (sio != NULL) {
            fail_msg("cut at %u of %u bytes: a Socket.IO layer from a partial payload", k, len);
        }
        free(copy);
    }
    h.engineio = false; /* the same frame on a plain WebSocket: text, nothing more */
    dec_decode(&p, DEC_LINK_RAW, buf, len, len, &h);
    assert_null(dec_find(&p, DEC_SIO));
}

/* RESP: a PUBLISH on port 8080 is RESP by content (a whole array); "+OK" alone is not, but is on
 * port 6379; a segment ending inside a bulk string is a RESP layer with more = true on 6379. */
static void test_resp_layer(void **state)
{
    (void)state;
    static dec_packet p;
    uint8_t buf[256];
    dec_hints h = {0};
    const char *pub = "*3\r\n$7\r\nPUBLISH\r\n$4\r\nchan\r\n$2\r\nhi\r\n";
    uint32_t len = ip_tcp(buf, (const uint8_t *)pub, (uint32_t)strlen(pub));
    dec_decode(&p, DEC_LINK_RAW, buf, len, len, &h);
    const dec_layer *l = dec_find(&p, DEC_RESP);
    assert_non_null(l);
    assert_string_equal(dec_str(&p, l->u.resp.text), "*3 \"PUBLISH\" \"chan\" \"hi\"");
    assert_int_equal(l->u.resp.values, 1);
    assert_false(l->u.resp.more);
    len = ip_tcp(buf, (const uint8_t *)"+OK\r\n", 5);
    dec_decode(&p, DEC_LINK_RAW, buf, len, len, &h);
    assert_null(dec_find(&p, DEC_RESP));
    buf[22] = 0x18, buf[23] = 0xeb; /* destination port 6379 */
    dec_decode(&p, DEC_LINK_RAW, buf, len, len, &h);
    l = dec_find(&p, DEC_RESP);
    assert_non_null(l);
    assert_string_equal(dec_str(&p, l->u.resp.text), "\"OK\"");
    len = ip_tcp(buf, (const uint8_t *)pub, 20); /* cut inside "PUBLISH" */
    buf[22] = 0x18, buf[23] = 0xeb;
    dec_decode(&p, DEC_LINK_RAW, buf, len, len, &h);
    l = dec_find(&p, DEC_RESP);
    assert_non_null(l);
    assert_true(l->u.resp.more);
    assert_int_equal(l->u.resp.values, 0);
}

/* Long-polling: a POST to an EIO= target describes its body by itself; a text/plain response
 * only on a flow known to be Engine.IO. */
static void test_socketio_polling(void **state)
{
    (void)state;
    static dec_packet p;
    static const char post[] = "POST /socket.io/?EIO=4&transport=polling&sid=a HTTP/1.1\r\n"
                               "Content-Length: 21\r\n\r\n40\x1e"
                               "42[\"message\",\"hi\"]";
    static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                               "Content-Length: 1\r\n\r\n2";
    uint8_t buf[256];
    uint32_t len = ip_tcp(buf, (const uint8_t *)post, sizeof post - 1);
    dec_decode(&p, DEC_LINK_RAW, buf, len, len, NULL);
    const dec_layer *sio = dec_find(&p, DEC_SIO);
    assert_non_null(sio);
    assert_int_equal(p.layers[p.nlayers - 2].proto, DEC_HTTP);
    assert_int_equal(sio->u.sio.records, 2);
    assert_int_equal(sio->wire, 21);
    assert_string_equal(dec_str(&p, sio->u.sio.text),
                        "socket.io CONNECT /; socket.io EVENT / [\"message\",\"hi\"]");
    len = ip_tcp(buf, (const uint8_t *)resp, sizeof resp - 1);
    dec_decode(&p, DEC_LINK_RAW, buf, len, len, NULL);
    assert_null(dec_find(&p, DEC_SIO));
    dec_hints h = {.engineio = true};
    dec_decode(&p, DEC_LINK_RAW, buf, len, len, &h);
    sio = dec_find(&p, DEC_SIO);
    assert_non_null(sio);
    assert_string_equal(dec_str(&p, sio->u.sio.text), "engine.io PING");
}

static void test_rd_overflow(void **state)
{
    (void)state;
    uint8_t b[4] = {0};
    rd r = rd_make(b, 4);
    assert_true(rd_has(&r, 0, 4));
    assert_false(rd_has(&r, 1, 4));
    assert_false(rd_has(&r, 0xffffffffu, 2)); /* off + n would wrap to 1 */
    assert_false(rd_has(&r, 2, 0xfffffffFu));
    rd s = rd_sub(&r, 3, 100);
    assert_int_equal(s.len, 1);
    s = rd_sub(&r, 9, 1);
    assert_int_equal(s.len, 0);
}

static void ipv6_is(const char *want, const uint16_t g[8])
{
    uint8_t a[16];
    char buf[ADDR_STRLEN];
    for (int i = 0; i < 8; i++)
        a[2 * i] = (uint8_t)(g[i] >> 8), a[2 * i + 1] = (uint8_t)g[i];
    addr_ipv6(buf, a);
    assert_string_equal(buf, want);
}

static void test_ipv6_rfc5952(void **state)
{
    (void)state;
    ipv6_is("::1", (uint16_t[8]){0, 0, 0, 0, 0, 0, 0, 1});
    ipv6_is("::", (uint16_t[8]){0});
    ipv6_is("2001:db8::1", (uint16_t[8]){0x2001, 0xdb8, 0, 0, 0, 0, 0, 1});
    ipv6_is("2001:db8:0:1:1:1:1:1", (uint16_t[8]){0x2001, 0xdb8, 0, 1, 1, 1, 1, 1}); /* 4.2.2 */
    ipv6_is("2001:0:0:1::1", (uint16_t[8]){0x2001, 0, 0, 1, 0, 0, 0, 1});            /* 4.2.3 */
    ipv6_is("2001:db8::1:0:0:1", (uint16_t[8]){0x2001, 0xdb8, 0, 0, 1, 0, 0, 1});    /* tie: 1st */
    ipv6_is("fe80::", (uint16_t[8]){0xfe80, 0, 0, 0, 0, 0, 0, 0});
}

static void test_checksum_rfc1071(void **state)
{
    (void)state;
    /* RFC 1071 section 3: these bytes sum to ddf2; the checksum is its complement. */
    const uint8_t b[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
    assert_int_equal(cksum_fold(cksum_add(0, b, sizeof b)), (uint16_t)~0xddf2);
    const uint8_t odd[] = {0x12, 0x34, 0x56};
    assert_int_equal(cksum_fold(cksum_add(0, odd, 3)), (uint16_t) ~(0x1234 + 0x5600));
}

static void test_ring_wraps(void **state)
{
    (void)state;
    sring *r = sring_new(4096);
    uint8_t in[1000], out[1000];
    sring_hdr h = {1, 2, 0, 0, false}, g;
    for (int round = 0; round < 50; round++) { /* records straddle the end of the array */
        uint32_t n = (uint32_t)(100 + round * 17 % 800);
        for (uint32_t i = 0; i < n; i++)
            in[i] = (uint8_t)(i + (uint32_t)round);
        h.caplen = h.len = n;
        assert_int_equal(sring_push(r, &h, in), 0);
        assert_int_equal(sring_pop(r, &g, out, sizeof out), 0);
        assert_int_equal(g.caplen, n);
        assert_memory_equal(in, out, n);
        assert_int_equal(sring_pop(r, &g, out, sizeof out), RING_EMPTY); /* empty again */
    }
    h.caplen = 1000;
    int pushed = 0;
    while (sring_push(r, &h, in) == 0 && pushed < 100) /* full: never overwrites */
        pushed++;
    assert_in_range(pushed, 3, 4); /* 4096 bytes hold 3 or 4 records of 1000 + a header */
    assert_int_equal(sring_push(r, &h, in), RING_FULL); /* the reason, not just "no" */
    /* A buffer too small for the next packet: it says so, and the packet stays. */
    assert_int_equal(sring_pop(r, &g, out, 10), RING_TOOSMALL);
    for (int i = 0; i < pushed; i++)
        assert_int_equal(sring_pop(r, &g, out, sizeof out), 0);
    assert_int_equal(sring_pop(r, &g, out, sizeof out), RING_EMPTY);
    /* A packet larger than the whole ring can never fit: a different answer from "full". */
    static uint8_t huge[8192];
    h.caplen = h.len = sizeof huge;
    assert_int_equal(sring_push(r, &h, huge), RING_TOOBIG);
    sring_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prefixes_eth_tcp),  cmocka_unit_test(test_prefixes_sll2_dns),
        cmocka_unit_test(test_fields_eth_tcp),    cmocka_unit_test(test_dns_fields),
        cmocka_unit_test(test_rd_overflow),       cmocka_unit_test(test_ipv6_rfc5952),
        cmocka_unit_test(test_checksum_rfc1071),  cmocka_unit_test(test_ring_wraps),
        cmocka_unit_test(test_socketio_ws_frame), cmocka_unit_test(test_socketio_polling),
        cmocka_unit_test(test_resp_layer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
