/*
 * test_svg.c - the SVG writer (svg.c) and the pictures (view_svg_*.c), as pure functions:
 * hostile text is escaped, numbers are written the same everywhere, the buffer's limit holds,
 * and each picture draws what its records say (an arrow per packet, the retransmissions
 * marked, a UDP gap per missing sequence number, a field per header field at its offset).
 *   ctest --test-dir build -R sniffer_svg --output-on-failure
 */
#include "decode.h"
#include "flows.h"
#include "view_svg.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static char *escaped(const char *s, size_t n)
{
    static svg_buf b;
    svg_free(&b);
    svg_init(&b, 1 << 20);
    svg_text(&b, s, n);
    return b.p ? b.p : (char *)"";
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

static void test_escape_markup(void **state)
{
    (void)state;
    assert_string_equal(escaped("</text><script>alert('x')&\"</script>", (size_t)-1),
                        "&lt;/text&gt;&lt;script&gt;alert(&apos;x&apos;)&amp;&quot;&lt;/"
                        "script&gt;");
}

static void test_escape_controls_and_utf8(void **state)
{
    (void)state;
    /* NUL, ESC, DEL and a newline: not allowed (or not wanted) in a one-line label */
    assert_string_equal(escaped("a\0b\x1b\x7f\nc", 7), "a.b...c");
    /* well-formed UTF-8 stays: é (2 bytes), € (3), 😀 (4) */
    assert_string_equal(escaped("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", (size_t)-1),
                        "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
    /* RFC 3629: overlong "/", a surrogate, above U+10FFFF, a lone continuation, a cut lead */
    assert_string_equal(escaped("\xc0\xaf", (size_t)-1), "??");
    assert_string_equal(escaped("\xed\xa0\x80", (size_t)-1), "???");
    assert_string_equal(escaped("\xf4\x90\x80\x80", (size_t)-1), "????");
    assert_string_equal(escaped("\x80x", (size_t)-1), "?x");
    assert_string_equal(escaped("x\xe2\x82", 3), "x??");
}

static void test_numbers(void **state)
{
    (void)state;
    char b[SVG_NUM];
    assert_string_equal(svg_num(b, 12.5), "12.5");
    assert_string_equal(svg_num(b, 3.0), "3");
    assert_string_equal(svg_num(b, -0.04), "0");
    assert_string_equal(svg_num(b, -2.26), "-2.3");
    assert_string_equal(svg_num(b, NAN), "0");
    assert_string_equal(svg_num(b, 1e300), "1000000000");
}

static void test_limit(void **state)
{
    (void)state;
    svg_buf b;
    svg_init(&b, 10);
    svg_fmt(&b, "%s", "12345");
    assert_false(b.full);
    svg_text(&b, "<<", (size_t)-1); /* 8 bytes escaped: only the first fits */
    assert_true(b.full);
    assert_true(b.len <= 10);
    assert_string_equal(b.p, "12345&lt;");
    svg_fmt(&b, "x"); /* nothing after the limit bit, even what would fit */
    assert_string_equal(b.p, "12345&lt;");
    svg_free(&b);
}

/* A capture of records made by hand: what svg_cap_add would have kept. */
static svg_cap *hand_capture(void)
{
    static svg_cap c;
    svg_cap_free(&c);
    svg_cap_init(&c);
    c.nconvs = 2;
    c.convs[0] = (svg_conv){1, 6, "10.0.0.1:4000", "10.0.0.2:7007"};
    c.convs[1] = (svg_conv){2, 17, "10.0.0.1:5000", "10.0.0.2:<7008>"};
    static svg_pkt p[9];
    memset(p, 0, sizeof p);
    for (int i = 0; i < 9; i++)
        p[i].frame = (uint64_t)i + 1, p[i].t = i * 0.01, p[i].wire = 100;
    /* TCP: SYN, SYN-ACK, data, its retransmission, an ACK with a SACK block */
    for (int i = 0; i < 5; i++)
        p[i].conv = 1, p[i].proto = 6, p[i].phase = i < 2 ? PHASE_HANDSHAKE : PHASE_DATA;
    p[1].dir = p[4].dir = 1;
    p[2].len = p[3].len = 100, p[2].seq = p[3].seq = 1, p[3].retrans = true;
    p[4].has_ack = true, p[4].ack = 1, p[4].win = 65536, p[4].nsack = 1;
    p[4].sack[0][0] = 101, p[4].sack[0][1] = 201;
    strcpy(p[2].label, "PSH,ACK seq 1 ack 1 len 100");
    strcpy(p[2].msg, "socket.io EVENT [\"<img src=x>\"]");
    strcpy(p[3].label, "PSH,ACK seq 1 ack 1 len 100 RETRANS");
    /* UDP: Wirelab sequence numbers 0, 1, 3, 5: 2 and 4 are missing */
    const uint32_t useq[4] = {0, 1, 3, 5};
    for (int i = 5; i < 9; i++)
        p[i].conv = 2, p[i].proto = 17, p[i].has_useq = true, p[i].useq = useq[i - 5],
        p[i].len = 64;
    c.pkts = NULL, c.n = 0;
    c.cap = 16;
    c.pkts = calloc(c.cap, sizeof *c.pkts);
    memcpy(c.pkts, p, sizeof p);
    c.n = 9, c.seen = 9;
    return &c;
}

static void test_ladder(void **state)
{
    (void)state;
    svg_buf b;
    svg_init(&b, SVG_MAX_BYTES);
    svg_ladder(&b, hand_capture());
    assert_false(b.full);
    assert_int_equal(count(b.p, "<g class=\"arrow"), 9);
    assert_int_equal(count(b.p, "<g class=\"arrow retrans\" data-frame=\"4\""), 1);
    assert_int_equal(count(b.p, "<g class=\"msg\" data-frame=\"3\""), 1);
    /* frame 4 repeats frame 3's bytes: frame 3 is marked as sent again, frame 4 says so */
    assert_int_equal(count(b.p, "<g class=\"lost\""), 1);
    assert_non_null(strstr(b.p, "<g class=\"lost\" data-frame=\"3\" data-again=\"4\""));
    assert_non_null(strstr(b.p, ">repeats frame 3<"));
    assert_int_equal(count(b.p, "class=\"phase handshake\""), 1);
    assert_int_equal(count(b.p, "class=\"phase data\""), 1);
    assert_non_null(strstr(b.p, "&lt;img src=x&gt;"));
    assert_non_null(strstr(b.p, "10.0.0.2:&lt;7008&gt;"));
    assert_null(strstr(b.p, "<img"));
    svg_free(&b);
}

/* A message longer than the arrow is cut before the UTF-8 character the limit falls in. */
static void test_ladder_long_message(void **state)
{
    (void)state;
    svg_cap *c = hand_capture();
    char msg[SVG_MSG], want[120];
    memset(msg, 'a', 92);
    strcpy(msg + 92, "\xc3\xa9 and a long tail after the character that is cut");
    strcpy(c->pkts[2].msg, msg);
    svg_buf b;
    svg_init(&b, SVG_MAX_BYTES);
    svg_ladder(&b, c);
    memset(want, 'a', 92);
    strcpy(want + 92, "...<");
    assert_non_null(strstr(b.p, want));
    assert_null(strstr(b.p, "a?"));
    svg_free(&b);
}

static void test_tcptrace(void **state)
{
    (void)state;
    svg_buf b;
    svg_init(&b, SVG_MAX_BYTES);
    svg_tcptrace(&b, hand_capture());
    assert_int_equal(count(b.p, "<line class=\"seg\""), 1);
    assert_int_equal(count(b.p, "<line class=\"seg retrans\""), 1);
    assert_int_equal(count(b.p, "<line class=\"sack\""), 1);
    assert_int_equal(count(b.p, "<circle class=\"dgram\""), 4);
    assert_int_equal(count(b.p, "<line class=\"gap\""), 2);
    assert_non_null(strstr(b.p, "data-seq=\"2\""));
    assert_non_null(strstr(b.p, "data-seq=\"4\""));
    assert_non_null(strstr(b.p, "2 missing in the capture"));
    svg_free(&b);
}

static void test_throughput(void **state)
{
    (void)state;
    svg_buf b;
    svg_init(&b, SVG_MAX_BYTES);
    svg_throughput(&b, hand_capture());
    assert_int_equal(count(b.p, "<polyline class=\"flow\""), 2);
    assert_non_null(strstr(b.p, "data-conv=\"1\" data-bytes=\"500\""));
    assert_non_null(strstr(b.p, "data-conv=\"2\" data-bytes=\"400\""));
    svg_free(&b);
}

/* Ethernet, IPv4, TCP (seq 0x01020304), 5 bytes: the fields at the offsets RFC 791 and
 * RFC 9293 give them, counted from the frame's first byte. */
static void test_layers(void **state)
{
    (void)state;
    static const uint8_t frame[] = {
        0,    0,    0,    0,    0, 2, 0,    0,   0,   0,   0,  1, 0x08, 0x00, /* Ethernet */
        0x45, 0,    0,    45,   0, 1, 0x40, 0,   64,  6,   0,  0, 10,   0,
        0,    1,    10,   0,    0, 2, /* IPv4 */
        0x9c, 0x40, 0x1b, 0x5f, 1, 2, 3,    4,   0,   0,   0,  0, 0x50, 0x18,
        0xff, 0xff, 0,    0,    0, 0, '<',  'b', '>', '&', 'x'};
    static dec_packet pkt;
    dec_decode(&pkt, DEC_LINK_ETH, frame, sizeof frame, sizeof frame, NULL);
    flow_info fi = {0};
    view_frame fr = {7, 0, 0, false};
    svg_buf b;
    svg_init(&b, SVG_MAX_BYTES);
    svg_layers(&b, &fr, &pkt, &fi);
    assert_non_null(strstr(b.p, "data-proto=\"eth\" data-off=\"0\" data-hdr=\"14\""));
    assert_non_null(strstr(b.p, "data-proto=\"ipv4\" data-off=\"14\" data-hdr=\"20\""));
    assert_non_null(strstr(b.p, "data-proto=\"tcp\" data-off=\"34\" data-hdr=\"20\""));
    assert_non_null(strstr(b.p, "data-name=\"ttl\" data-off=\"22\" data-len=\"1\""));
    assert_non_null(strstr(b.p, "data-name=\"seq (raw)\" data-off=\"38\" data-len=\"4\""));
    assert_non_null(strstr(b.p, ">16909060<")); /* 0x01020304 read big-endian */
    assert_non_null(strstr(b.p, ">10.0.0.2<"));
    assert_non_null(strstr(b.p, "payload: bytes 54-58"));
    assert_non_null(strstr(b.p, "frame 7: 59 bytes on the wire"));
    svg_free(&b);
    /* cut inside the TCP header: its fields are not read, the outer ones still are */
    dec_decode(&pkt, DEC_LINK_ETH, frame, 40, sizeof frame, NULL);
    svg_init(&b, SVG_MAX_BYTES);
    svg_layers(&b, &fr, &pkt, &fi);
    assert_non_null(strstr(b.p, "data-name=\"dst\" data-off=\"30\""));
    assert_null(strstr(b.p, "data-name=\"seq (raw)\""));
    assert_non_null(strstr(b.p, "truncated"));
    svg_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escape_markup), cmocka_unit_test(test_escape_controls_and_utf8),
        cmocka_unit_test(test_numbers),       cmocka_unit_test(test_limit),
        cmocka_unit_test(test_ladder),        cmocka_unit_test(test_ladder_long_message),
        cmocka_unit_test(test_tcptrace),      cmocka_unit_test(test_throughput),
        cmocka_unit_test(test_layers),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    svg_cap_free(hand_capture());
    escaped("", 0);
    return rc;
}
