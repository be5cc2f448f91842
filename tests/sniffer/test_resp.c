/*
 * test_resp.c - the sniffer's RESP reader (sniffer/resp.c): every RESP2 and RESP3 type, a
 * PUBLISH command cut at every byte (RESP_MORE until the last byte, then the whole value),
 * nulls, nesting past the limit, and inputs that are not RESP. The incremental reader
 * (sniffer/resp_reader.c) on the same inputs in every chunking: it agrees with resp_value,
 * reads pipelined values one by one, skips a large bulk string with fixed memory, and goes on
 * over a gap inside a bulk string only.
 * Run: ctest --test-dir build -R sniffer_resp --output-on-failure
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
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

/* The reader over s[0..n) in pieces of `step` bytes: the status of the first value, its size,
 * its summary. */
static resp_status read_in_steps(const char *s, uint32_t n, uint32_t step, uint64_t *size,
                                 char *text, size_t cap)
{
    resp_reader r;
    resp_reader_init(&r);
    for (uint32_t off = 0; off < n;) {
        uint32_t k = n - off < step ? n - off : step, used = 0;
        resp_status st = resp_read(&r, (const uint8_t *)s + off, k, &used);
        assert_true(used <= k);
        if (st != RESP_MORE) {
            *size = off + used;
            snprintf(text, cap, "%s", r.text);
            return st;
        }
        assert_int_equal(used, k); /* MORE takes every byte */
        off += k;
    }
    return RESP_MORE;
}

/* Every input of the other tests, whole and cut at every byte, in every chunking: where
 * resp_value says OK or BAD the reader says the same (and the same size and summary); where
 * resp_value still says MORE the reader says MORE, or BAD when the bytes so far already
 * cannot be RESP. */
static void reader_agrees(void **state)
{
    (void)state;
    static const char *inputs[] = {
        "*3\r\n$7\r\nPUBLISH\r\n$4\r\nchan\r\n$5\r\nhello\r\n",
        "+OK\r\n",
        "-ERR unknown command\r\n",
        ":-42\r\n",
        ":4x\r\n",
        "$-1\r\n",
        "*-1\r\n",
        "$0\r\n\r\n",
        "$3\r\nabcd\r\n",
        "_\r\n",
        "_x\r\n",
        "#t\r\n",
        "#x\r\n",
        ",3.14\r\n",
        "(3492890328409238509324850943850943825024385\r\n",
        "!21\r\nSYNTAX invalid syntax\r\n",
        "=15\r\ntxt:Some string\r\n",
        "%2\r\n+first\r\n:1\r\n+second\r\n:2\r\n",
        "~2\r\n+a\r\n+b\r\n",
        ">3\r\n$7\r\nmessage\r\n$4\r\nchan\r\n$2\r\nhi\r\n",
        "|1\r\n+ttl\r\n:3\r\n:7\r\n",
        "*2\r\n*1\r\n:1\r\n_\r\n",
        "GET / HTTP/1.1\r\n",
        "*1\r\n@x\r\n",
        "*+\r\n",
        "*1234567890123456789\r\n",
        "+a\rb\r\n",
        "+a\nb\r\n",
        "$-2\r\n",
        "!-1\r\n",
        "%-1\r\n",
        "*10\r\n:1\r\n:2\r\n:3\r\n:4\r\n:5\r\n:6\r\n:7\r\n:8\r\n:9\r\n:10\r\n",
        "*2\r\n$40\r\n0123456789012345678901234567890123456789\r\n+\x01\r\n",
        "*3\r\n$4\r\nXADD\r\n$4\r\njobs\r\n*2\r\n$1\r\n*\r\n:7\r\n",
    };
    char deep[256] = "";
    for (int i = 0; i <= RESP_MAX_DEPTH + 1; i++)
        strcat(deep, "*1\r\n");
    strcat(deep, ":1\r\n");
    for (size_t i = 0; i < sizeof inputs / sizeof *inputs + 2; i++) {
        const char *in = i < sizeof inputs / sizeof *inputs    ? inputs[i]
                         : i == sizeof inputs / sizeof *inputs ? deep
                                                               : deep + 8;
        uint32_t n = (uint32_t)strlen(in);
        for (uint32_t cut = 1; cut <= n; cut++) {
            resp_top t;
            resp_status want = resp_value((const uint8_t *)in, cut, &t);
            char want_text[RESP_TEXT], text[RESP_TEXT];
            resp_describe((const uint8_t *)in, cut, want_text, sizeof want_text);
            for (uint32_t step = 1; step <= cut; step++) {
                uint64_t size = 0;
                resp_status got = read_in_steps(in, cut, step, &size, text, sizeof text);
                if (want == RESP_MORE && got == RESP_BAD)
                    continue;
                if (got != want)
                    fail_msg("input %zu cut at %u, read %u bytes at a time: resp_value says %d, "
                             "the reader %d",
                             i, cut, step, want, got);
                if (want == RESP_OK) {
                    assert_int_equal(size, t.size);
                    assert_string_equal(text, want_text);
                }
            }
        }
    }
}

/* A 100,000-byte PUBLISH (a reader holds none of it), then a PING, in one stream. */
static void reader_large_and_pipelined(void **state)
{
    (void)state;
    enum { BIG = 100000 };
    static char s[BIG + 128];
    int h = snprintf(s, sizeof s, "*3\r\n$7\r\nPUBLISH\r\n$4\r\nchan\r\n$%d\r\n", BIG);
    memset(s + h, 'x', BIG);
    uint32_t n = (uint32_t)h + BIG;
    memcpy(s + n, "\r\n*1\r\n$4\r\nPING\r\n", 16);
    n += 16;
    for (uint32_t step = 1; step <= 4096; step = step * 3 + 1) {
        resp_reader r;
        resp_reader_init(&r);
        int values = 0;
        for (uint32_t off = 0; off < n;) {
            uint32_t k = n - off < step ? n - off : step, used;
            resp_status st = resp_read(&r, (const uint8_t *)s + off, k, &used);
            assert_int_not_equal(st, RESP_BAD);
            if (st == RESP_OK) {
                values++;
                if (values == 1) {
                    assert_string_equal(r.text, "*3 \"PUBLISH\" \"chan\" <bulk 100000 bytes>");
                    assert_int_equal(r.value_size, (uint64_t)h + BIG + 2);
                    assert_int_equal(r.payload, 7 + 4 + BIG);
                } else {
                    assert_string_equal(r.text, "*1 \"PING\"");
                }
            }
            off += used;
        }
        assert_int_equal(values, 2);
        assert_false(resp_reader_busy(&r));
    }
}

/* Bytes not captured: inside a bulk string's bytes the reader goes on (the string is no longer
 * quoted); inside a header line it cannot. */
static void reader_skip(void **state)
{
    (void)state;
    resp_reader r;
    uint32_t used;
    resp_reader_init(&r);
    const char *a = "*2\r\n$4\r\nECHO\r\n$5\r\nhe";
    assert_int_equal(resp_read(&r, (const uint8_t *)a, (uint32_t)strlen(a), &used), RESP_MORE);
    assert_false(resp_reader_skip(&r, 4)); /* past the string's bytes, into its CRLF */
    assert_true(resp_reader_skip(&r, 2));
    assert_int_equal(resp_read(&r, (const uint8_t *)"o\r\n", 3, &used), RESP_OK);
    assert_string_equal(r.text, "*2 \"ECHO\" <bulk 5 bytes>");
    assert_int_equal(r.value_size, strlen(a) + 2 + 3);
    resp_reader_init(&r);
    assert_int_equal(resp_read(&r, (const uint8_t *)"*2\r", 3, &used), RESP_MORE);
    assert_false(resp_reader_skip(&r, 1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(publish_every_cut),
        cmocka_unit_test(scalars),
        cmocka_unit_test(aggregates),
        cmocka_unit_test(not_resp),
        cmocka_unit_test(describe),
        cmocka_unit_test(reader_agrees),
        cmocka_unit_test(reader_large_and_pipelined),
        cmocka_unit_test(reader_skip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
