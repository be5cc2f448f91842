/*
 * test_proto.c - unit tests of queue/proto.h: framing a byte stream into lines (every split,
 * over-long lines, "\r\n") and parsing each command, with one negative test per rule.
 *
 * Run: ctest --test-dir build -R queue_proto_test --output-on-failure
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "proto.h"

/* Feed `input` to a framer in pieces of `step` bytes, the way reads arrive; collect lines
 * joined by '|' and "TOO_LONG" markers into out. */
static void frame_all(const char *input, size_t step, size_t max_line, char *out, size_t outcap)
{
    proto_framer f = {.max_line = max_line};
    char pending[256];
    size_t have = 0, total = strlen(input), fed = 0;
    out[0] = '\0';
    while (fed < total || have > 0) {
        size_t n = total - fed < step ? total - fed : step;
        memcpy(pending + have, input + fed, n);
        have += n;
        fed += n;
        for (;;) {
            size_t line_len, used;
            int rc = proto_frame(&f, (const uint8_t *)pending, have, &line_len, &used);
            if (rc == PROTO_LINE) {
                strncat(out, pending, line_len);
                strcat(out, "|");
            } else if (rc == PROTO_TOO_LONG) {
                strcat(out, "TOO_LONG|");
            }
            memmove(pending, pending + used, have - used);
            have -= used;
            if (rc == PROTO_NEED_MORE && used == 0)
                break;
        }
        if (n == 0)
            break; /* input exhausted: what is left is an unfinished line */
    }
    assert_true(strlen(out) < outcap);
}

static void test_frame_every_split(void **state)
{
    (void)state;
    const char *input = "PUSH q a\nPULL q\r\nACK 1\n";
    for (size_t step = 1; step <= strlen(input); step++) {
        char out[256];
        frame_all(input, step, 64, out, sizeof out);
        assert_string_equal(out, "PUSH q a|PULL q|ACK 1|");
    }
}

static void test_frame_too_long_then_usable(void **state)
{
    (void)state;
    /* 20 bytes with max 8: reported once, skipped to its "\n", the next line still works. */
    const char *input = "PUSH q 0123456789abc\nPULL q\n";
    for (size_t step = 1; step <= strlen(input); step++) {
        char out[256];
        frame_all(input, step, 8, out, sizeof out);
        assert_string_equal(out, "TOO_LONG|PULL q|");
    }
}

static void test_frame_exact_limit(void **state)
{
    (void)state;
    char out[256];
    frame_all("12345678\n123456789\n", 100, 8, out, sizeof out);
    assert_string_equal(out, "12345678|TOO_LONG|");
    frame_all("12345678\r\n", 3, 8, out, sizeof out); /* "\r" does not count */
    assert_string_equal(out, "12345678|");
    frame_all("\n", 1, 8, out, sizeof out); /* an empty line is a line (parse says ERR) */
    assert_string_equal(out, "|");
}

static int parse(const char *line, proto_cmd *cmd, char *err)
{
    return proto_parse(line, strlen(line), cmd, err, PROTO_ERR_LEN);
}

static void test_parse_commands(void **state)
{
    (void)state;
    proto_cmd c;
    char err[PROTO_ERR_LEN];
    assert_int_equal(parse("PUSH jobs resize cat.jpg 640", &c, err), 0);
    assert_int_equal(c.verb, PROTO_PUSH);
    assert_int_equal(c.name_len, 4);
    assert_memory_equal(c.name, "jobs", 4);
    assert_int_equal(c.msg_len, strlen("resize cat.jpg 640"));
    assert_memory_equal(c.msg, "resize cat.jpg 640", c.msg_len);

    assert_int_equal(parse("PULL jobs", &c, err), 0);
    assert_int_equal(c.verb, PROTO_PULL);
    assert_int_equal(parse("ACK 18446744073709551615", &c, err), 0);
    assert_int_equal(c.verb, PROTO_ACK);
    assert_true(c.number == UINT64_MAX);
    assert_int_equal(parse("PUB news.eu-1 hello  world ", &c, err), 0);
    assert_int_equal(c.verb, PROTO_PUB);
    assert_int_equal(c.msg_len, strlen("hello  world "));
    assert_int_equal(parse("SUB news", &c, err), 0);
    assert_int_equal(c.verb, PROTO_SUB);
    assert_false(c.has_from);
    assert_int_equal(parse("SUB news FROM 4294967312", &c, err), 0);
    assert_true(c.has_from);
    assert_true(c.number == UINT64_C(4294967312));
    assert_int_equal(parse("QUIT", &c, err), 0);
    assert_int_equal(c.verb, PROTO_QUIT);

    assert_int_equal(parse("PULL jobs 43200", &c, err), 0);
    assert_true(c.has_seconds && c.seconds == 43200);
    assert_int_equal(parse("PULL jobs", &c, err), 0);
    assert_false(c.has_seconds);
    assert_int_equal(parse("TOUCH 7", &c, err), 0);
    assert_true(c.verb == PROTO_TOUCH && c.number == 7 && !c.has_seconds);
    assert_int_equal(parse("TOUCH 7 60", &c, err), 0);
    assert_true(c.number == 7 && c.has_seconds && c.seconds == 60);
    assert_int_equal(parse("DLQ jobs", &c, err), 0);
    assert_true(c.verb == PROTO_DLQ && c.name_len == 4);
    assert_int_equal(parse("REQUEUE jobs 12", &c, err), 0);
    assert_true(c.verb == PROTO_REQUEUE && c.number == 12 && !c.all);
    assert_int_equal(parse("REQUEUE jobs ALL", &c, err), 0);
    assert_true(c.all);
}

static void expect_err(const char *line, const char *want_in_reason)
{
    proto_cmd c;
    char err[PROTO_ERR_LEN] = "";
    assert_int_equal(parse(line, &c, err), -1);
    if (strstr(err, want_in_reason) == NULL)
        fail_msg("line '%s': reason '%s' should mention '%s'", line, err, want_in_reason);
}

static void test_parse_errors(void **state)
{
    (void)state;
    expect_err("", "empty command");
    expect_err("push q x", "unknown command 'push'");
    expect_err("FOO\x01\xff", "unknown command 'FOO?"
                              "?'"); /* split: not a trigraph */
    expect_err("PUSH", "usage: PUSH");
    expect_err("PUSH q", "cannot be empty");
    expect_err("PUSH q ", "cannot be empty");
    expect_err("PUSH  q x", "usage: PUSH");
    expect_err("PUSH q/x hi", "bad name");
    expect_err("PUSH aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa x",
               "bad name"); /* 65 characters */
    expect_err("PULL", "usage: PULL");
    expect_err("PULL q extra", "usage: PULL");
    expect_err("ACK", "usage: ACK");
    expect_err("ACK x1", "usage: ACK");
    expect_err("ACK -1", "usage: ACK");
    expect_err("ACK 18446744073709551616", "usage: ACK"); /* 2^64 overflows */
    expect_err("ACK 1 2", "usage: ACK");
    expect_err("SUB", "usage: SUB");
    expect_err("SUB t FROM", "usage: SUB");
    expect_err("SUB t FROM x", "usage: SUB");
    expect_err("SUB t from 3", "usage: SUB");
    expect_err("SUB t FROM 3 4", "usage: SUB");
    expect_err("QUIT now", "usage: QUIT");
    expect_err("PULL q 0", "seconds: 1 to 43200");
    expect_err("PULL q 43201", "seconds: 1 to 43200");
    expect_err("PULL q 5 6", "usage: PULL");
    expect_err("TOUCH", "usage: TOUCH");
    expect_err("TOUCH 1 x", "usage: TOUCH");
    expect_err("TOUCH 1 2 3", "usage: TOUCH");
    expect_err("DLQ", "usage: DLQ");
    expect_err("DLQ q x", "usage: DLQ");
    expect_err("REQUEUE q", "usage: REQUEUE");
    expect_err("REQUEUE q all", "usage: REQUEUE");
    expect_err("REQUEUE q ALL 1", "usage: REQUEUE");
    expect_err("REQUEUE q 1 2", "usage: REQUEUE");
}

static void test_parse_u64_and_names(void **state)
{
    (void)state;
    uint64_t v;
    assert_int_equal(proto_parse_u64("0", 1, &v), 0);
    assert_true(v == 0);
    assert_int_equal(proto_parse_u64("", 0, &v), -1);
    assert_int_equal(proto_parse_u64("00000000000000000000001", 23, &v), -1);
    assert_int_equal(proto_parse_u64("18446744073709551615", 20, &v), 0);
    assert_int_equal(proto_parse_u64("99999999999999999999", 20, &v), -1);
    assert_true(proto_valid_name("a", 1));
    assert_false(proto_valid_name("", 0));
    assert_false(proto_valid_name("a b", 3));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frame_every_split), cmocka_unit_test(test_frame_too_long_then_usable),
        cmocka_unit_test(test_frame_exact_limit), cmocka_unit_test(test_parse_commands),
        cmocka_unit_test(test_parse_errors),      cmocka_unit_test(test_parse_u64_and_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
