/*
 * test_web_filter.c - the display filter of `sniffer --web` (sniffer/web_filter.c): each term,
 * the operators and their precedence, and a named error for each kind of mistake.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "decode.h"
#include "web_filter.h"

/* A TCP packet 127.0.0.1:40000 -> 127.0.0.2:7007 of conversation 3, saying hello. */
static web_facts tcp_hello(void)
{
    web_facts x = {.protos = 1u << DEC_ETH | 1u << DEC_IPV4 | 1u << DEC_TCP,
                   .sport = 40000,
                   .dport = 7007,
                   .has_ports = true,
                   .conv = 3,
                   .src = "127.0.0.1",
                   .dst = "127.0.0.2",
                   .info = "IP 127.0.0.1.40000 > 127.0.0.2.7007: Flags [P.], length 5: hello"};
    x.src_len = strlen(x.src);
    x.dst_len = strlen(x.dst);
    x.info_len = strlen(x.info);
    return x;
}

static bool match(const char *text, const web_facts *x)
{
    web_filter f;
    char err[200];
    int rc = web_filter_compile(&f, text, strlen(text), err, sizeof err);
    if (rc != 0)
        fail_msg("'%s' did not compile: %s", text, err);
    return web_filter_match(&f, x);
}

static void terms(void **state)
{
    (void)state;
    web_facts x = tcp_hello();
    assert_true(match("", &x));
    assert_true(match("   ", &x));
    assert_true(match("tcp", &x));
    assert_true(match("ip", &x));
    assert_false(match("udp", &x));
    assert_false(match("ipv6", &x));
    assert_true(match("port 7007", &x));
    assert_true(match("port 40000", &x));
    assert_false(match("port 80", &x));
    assert_true(match("host 127.0.0.2", &x));
    assert_false(match("host 127.0.0.3", &x));
    assert_false(match("host 127.0.0", &x)); /* whole addresses, not prefixes */
    assert_true(match("conv 3", &x));
    assert_false(match("conv 4", &x));
    assert_true(match("\"hello\"", &x));
    assert_false(match("\"goodbye\"", &x));
    x.has_ports = false; /* an ICMP packet has no ports, whatever the fields hold */
    assert_false(match("port 7007", &x));
}

static void operators(void **state)
{
    (void)state;
    web_facts x = tcp_hello();
    assert_true(match("tcp and port 7007", &x));
    assert_false(match("tcp and port 80", &x));
    assert_true(match("udp or port 7007", &x));
    assert_false(match("not tcp", &x));
    assert_true(match("! udp", &x));
    assert_true(match("tcp && !udp || dns", &x));
    /* and binds tighter than or: "udp and dns or tcp" is (udp and dns) or tcp */
    assert_true(match("udp and dns or tcp", &x));
    assert_false(match("udp and (dns or tcp)", &x));
    assert_true(match("not not tcp", &x));
    assert_true(match("((tcp))", &x));
}

static void expect_error(const char *text, const char *words)
{
    web_filter f;
    char err[200] = "";
    web_facts x = tcp_hello();
    if (web_filter_compile(&f, text, strlen(text), err, sizeof err) == 0)
        fail_msg("'%s' compiled, but it is not a valid filter", text);
    if (strstr(err, words) == NULL)
        fail_msg("'%s': the error should mention '%s', it says: %s", text, words, err);
    assert_true(web_filter_match(&f, &x)); /* a failed filter shows everything */
}

static void errors(void **state)
{
    (void)state;
    expect_error("tcp and", "the filter ends");
    expect_error("port", "port number");
    expect_error("port 70000", "port number");
    expect_error("port x", "port number");
    expect_error("conv", "conversation number");
    expect_error("host", "an address");
    expect_error("tcpx", "protocol name");
    expect_error("(tcp", "')'");
    expect_error("tcp udp", "'and', 'or'");
    expect_error("\"open", "closing '\"'");
    expect_error("tcp $", "a name, a number");
    char many[WEB_FILTER_TEXT + 2];
    memset(many, 'a', sizeof many - 1);
    many[sizeof many - 1] = '\0';
    expect_error(many, "the limit is 256");
    /* 65 terms: over WEB_FILTER_NODES */
    char terms_[WEB_FILTER_TEXT + 1] = "";
    for (int i = 0; i < 40; i++)
        strcat(terms_, i ? "||ip" : "ip");
    expect_error(terms_, "at most 64");
    char deep[WEB_FILTER_TEXT + 1];
    memset(deep, '(', WEB_FILTER_TEXT);
    deep[WEB_FILTER_TEXT] = '\0';
    expect_error(deep, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(terms),
        cmocka_unit_test(operators),
        cmocka_unit_test(errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
