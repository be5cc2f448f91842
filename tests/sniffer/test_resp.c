/*
 * test_resp.c - the sniffer's RESP reader (sniffer/resp.c): every RESP2 and RESP3 type, a
 * PUBLISH command cut at every byte (RESP_MORE until the last byte, then the whole value),
 * nulls, nesting past the limit, and inputs that are not RESP.
 * Run: ctest --test-dir build -R sniffer_resp --output-on-failure
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "resp.h"

static resp_status rv(const char *s, resp_top *t)
{
    return resp_value((const uint8_t *)s, (uint32_t)strlen(s), t);
}

static void publish_every_cut(void **state)
{
    (void)state;
    const char *cmd = "*3\r\n$7\r\nPUBLISH\r\n$4\r\nchan\r\n$5\r\nhello\r\n";
    uint32_t n = (uint32_t)strlen(cmd);
    resp_top t;
    for (uint32_t cut = 0; cut < n; cut++)
        assert_int_equal(resp_value((const uint8_t *)cmd, cut, &t), RESP_MORE);
    assert_int_equal(resp_value((const uint8_t *)cmd, n, &t), RESP_OK);
    assert_int_equal(t.type, '*');
    assert_int_equal(t.count, 3);
    assert_int_equal(t.size, n);
    assert_int_equal(t.first_len, 7);
    assert_memory_equal(cmd + t.first_off, "PUBLISH", 7);
    /* two pipelined commands: the first is read alone */
    char two[128];
    memcpy(two, cmd, n);
    memcpy(two + n, cmd, n);
    assert_int_equal(resp_value((const uint8_t *)two, 2 * n, &t), RESP_OK);
    assert_int_equal(t.size, n);
}

static void scalars(void **state)
{
    (void)state;
    resp_top t;
    assert_int_equal(rv("+OK\r\n", &t), RESP_OK);
    assert_int_equal(t.type, '+');
    assert_int_equal(t.head_len, 2);
    assert_int_equal(rv("-ERR unknown command\r\n", &t), RESP_OK);
    assert_int_equal(rv(":-42\r\n", &t), RESP_OK);
    assert_int_equal(rv(":4x\r\n", &t), RESP_BAD);
    assert_int_equal(rv("$-1\r\n", &t), RESP_OK);
    assert_int_equal(t.count, -1);
    assert_int_equal(rv("*-1\r\n", &t), RESP_OK);
    assert_int_equal(rv("$0\r\n\r\n", &t), RESP_OK);
    assert_int_equal(rv("$3\r\nabcd\r\n", &t), RESP_BAD); /* length does not match */
    assert_int_equal(rv("_\r\n", &t), RESP_OK);
    assert_int_equal(rv("#t\r\n", &t), RESP_OK);
    assert_int_equal(rv("#x\r\n", &t), RESP_BAD);
    assert_int_equal(rv(",3.14\r\n", &t), RESP_OK);
    assert_int_equal(rv("(3492890328409238509324850943850943825024385\r\n", &t), RESP_OK);
    assert_int_equal(rv("!21\r\nSYNTAX invalid syntax\r\n", &t), RESP_OK);
    assert_int_equal(rv("=15\r\ntxt:Some string\r\n", &t), RESP_OK);
    assert_int_equal(t.size, 22);
}

static void aggregates(void **state)
{
    (void)state;
    resp_top t;
    assert_int_equal(rv("%2\r\n+first\r\n:1\r\n+second\r\n:2\r\n", &t), RESP_OK);
    assert_int_equal(t.count, 2);
    assert_int_equal(rv("%2\r\n+first\r\n:1\r\n+second\r\n", &t), RESP_MORE);
    assert_int_equal(rv("~2\r\n+a\r\n+b\r\n", &t), RESP_OK);
    assert_int_equal(rv(">3\r\n$7\r\nmessage\r\n$4\r\nchan\r\n$2\r\nhi\r\n", &t), RESP_OK);
    assert_int_equal(t.first_len, 7);
    assert_int_equal(rv("|1\r\n+ttl\r\n:3\r\n:7\r\n", &t), RESP_OK); /* attribute, then 7 */
    assert_int_equal(rv("*2\r\n*1\r\n:1\r\n_\r\n", &t), RESP_OK);
}

static void not_resp(void **state)
{
    (void)state;
    resp_top t;
    assert_int_equal(rv("GET / HTTP/1.1\r\n", &t), RESP_BAD);
    assert_int_equal(rv("PUSH jobs 5\n", &t), RESP_BAD);
    assert_int_equal(rv("*1\r\n@x\r\n", &t), RESP_BAD);
    assert_int_equal(rv("*+\r\n", &t), RESP_BAD);
    assert_int_equal(rv("*1234567890123456789\r\n", &t), RESP_BAD);
    /* nesting one past the limit is refused, at the limit it is read */
    char deep[256] = "";
    for (int i = 0; i <= RESP_MAX_DEPTH + 1; i++)
        strcat(deep, "*1\r\n");
    strcat(deep, ":1\r\n");
    assert_int_equal(rv(deep, &t), RESP_BAD);
    assert_int_equal(rv(deep + 8, &t), RESP_OK);
}

static void describe(void **state)
{
    (void)state;
    char d[96];
    const char *cmd = "*3\r\n$7\r\nPUBLISH\r\n$4\r\nchan\r\n$42\r\n"
                      "012345678901234567890123456789012345678901\r\n";
    resp_describe((const uint8_t *)cmd, (uint32_t)strlen(cmd), d, sizeof d);
    assert_string_equal(d, "*3 \"PUBLISH\" \"chan\" <bulk 42 bytes>");
    const char *r = "*2\r\n:-7\r\n*0\r\n";
    resp_describe((const uint8_t *)r, (uint32_t)strlen(r), d, sizeof d);
    assert_string_equal(d, "*2 -7 *0");
    resp_describe((const uint8_t *)"$-1\r\n", 5, d, sizeof d);
    assert_string_equal(d, "nil");
    resp_describe((const uint8_t *)"-ERR no\r\n", 9, d, sizeof d);
    assert_string_equal(d, "error \"ERR no\"");
    resp_describe((const uint8_t *)cmd, (uint32_t)strlen(cmd), d, 8); /* cut, still ended */
    assert_string_equal(d, "*3 \"PUB");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(publish_every_cut), cmocka_unit_test(scalars),
        cmocka_unit_test(aggregates),        cmocka_unit_test(not_resp),
        cmocka_unit_test(describe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
