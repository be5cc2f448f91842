/*
 * test_sio_json.c - the JSON checker and readers of events/sio_json.c, with cmocka.
 *
 * What it teaches: what JavaScript's JSON.parse accepts (and so what a Socket.IO server must),
 * case by case: every escape including \u0000 and lone surrogates, the number grammar, any
 * nesting depth; and that reading a value out of checked text never rebuilds it.
 * (json_vs_node.sh compares the checker with Node's JSON.parse on thousands of generated texts.)
 * Run: build/tests/test_sio_json
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sio_json.h"

static int check(const char *s)
{
    return sio_json_check(s, strlen(s), (size_t)-1, NULL);
}

static void accepts_what_json_parse_accepts(void **state)
{
    (void)state;
    const char *good[] = {"0",
                          "-0",
                          "1.5e-300",
                          "1E+2",
                          "1e400",
                          "-9007199254740993",
                          "0.30000000000000004",
                          "\"a\\u0000b\"",
                          "\"x\\ud800y\"",
                          "\"\\udfff\"",
                          "\"\\ud83d\\ude00\"",
                          "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"",
                          "\"\xe2\x80\xa8\"",
                          " [ 1 , { \"a\" : [ ] } ]\r\n\t",
                          "{\"a\":1,\"a\":2}",
                          "{}",
                          "[]",
                          "null",
                          "true",
                          "false",
                          "\"\"",
                          "\"\\uABCD\\uabcd\""};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        if (check(good[i]) != SIO_JSON_OK)
            fail_msg("should accept %s", good[i]);
}

static void refuses_what_json_parse_refuses(void **state)
{
    (void)state;
    const char *bad[] = {"",          " ",          "01",        "1.",
                         ".5",        "+1",         "-",         "1e",
                         "1e+",       "NaN",        "Infinity",  "[1,]",
                         "[,1]",      "{,}",        "{\"a\"}",   "{\"a\":}",
                         "{1:2}",     "'a'",        "\"\\x41\"", "\"\\u12\"",
                         "\"\x01\"",  "\"\t\"",     "[1] 2",     "[1",
                         "]",         "tru",        "nul",       "\"abc",
                         "[\"a\\\"]", "{\"a\":1,}", "\"\\",      "\xef\xbb\xbf[]"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (check(bad[i]) != SIO_JSON_SYNTAX)
            fail_msg("should refuse %s", bad[i]);
}

/* A million nested arrays: JSON.parse (V8) accepts them, and the checker has no recursion. */
static void any_depth(void **state)
{
    (void)state;
    size_t d = 1000000;
    char *s = malloc(2 * d + 1);
    assert_non_null(s);
    memset(s, '[', d);
    memset(s + d, ']', d);
    s[2 * d] = '\0';
    assert_int_equal(check(s), SIO_JSON_OK);
    s[2 * d - 1] = '\0'; /* one bracket short */
    assert_int_equal(check(s), SIO_JSON_SYNTAX);
    free(s);
}

/* Every prefix of a valid text is checked without reading past its end (ASan would see it). */
static void every_prefix_is_safe(void **state)
{
    (void)state;
    const char *s = "{\"a\":[1,-2.5e+3,\"\\ud83d\\ude00\\u0000\",true,null,{\"_placeholder\":"
                    "true,\"num\":0}]}";
    size_t n = strlen(s);
    for (size_t cut = 0; cut < n; cut++) {
        char *copy = malloc(cut ? cut : 1);
        memcpy(copy, s, cut);
        assert_int_equal(sio_json_check(copy, cut, 1, NULL), SIO_JSON_SYNTAX);
        free(copy);
    }
    assert_int_equal(sio_json_check(s, n, 1, NULL), SIO_JSON_OK);
    assert_int_equal(sio_json_check(s, n, 0, NULL), SIO_JSON_PLACEHOLDER);
}

static void items_and_members_are_the_text_itself(void **state)
{
    (void)state;
    const char *a = "[ \"ev\" , 0.30000000000000004,{\"k\":[1,2]} , \"x\\ud800y\" ]";
    const char *t;
    size_t n;
    assert_true(sio_json_item(a, strlen(a), 1, &t, &n));
    assert_int_equal(n, 19);
    assert_memory_equal(t, "0.30000000000000004", n);
    assert_true(sio_json_item(a, strlen(a), 2, &t, &n));
    assert_memory_equal(t, "{\"k\":[1,2]}", n);
    assert_true(sio_json_item(a, strlen(a), 3, &t, &n));
    assert_memory_equal(t, "\"x\\ud800y\"", n);
    assert_false(sio_json_item(a, strlen(a), 4, &t, &n));
    const char *o = "{\"pid\":\"a\",\"x\":{\"pid\":1},\"pid\":\"b\"}"; /* the last one wins */
    assert_true(sio_json_member(o, strlen(o), "pid", &t, &n));
    assert_memory_equal(t, "\"b\"", n);
    assert_false(sio_json_member(o, strlen(o), "nope", &t, &n));
}

static void strings_decode_to_utf8_and_back(void **state)
{
    (void)state;
    char out[64], q[64];
    const char *s = "\"a\\u0000b\\u00e9\\ud83d\\ude00\\ud800\"";
    long n = sio_json_string(s, strlen(s), out, sizeof out);
    /* a NUL b, e-acute (2 bytes), U+1F600 (4 bytes), a lone surrogate in WTF-8 (3 bytes) */
    assert_int_equal(n, 3 + 2 + 4 + 3);
    assert_memory_equal(out, "a\0b\xc3\xa9\xf0\x9f\x98\x80\xed\xa0\x80", (size_t)n);
    size_t ql = sio_json_quote(out, (size_t)n, q, sizeof q);
    assert_string_equal(q, "\"a\\u0000b\xc3\xa9\xf0\x9f\x98\x80\\ud800\"");
    assert_int_equal(ql, strlen(q));
    assert_int_equal(sio_json_check(q, ql, (size_t)-1, NULL), SIO_JSON_OK);
    assert_int_equal(sio_json_string("\"abcdef\"", 8, out, 4), -1); /* does not fit */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(accepts_what_json_parse_accepts),
        cmocka_unit_test(refuses_what_json_parse_refuses),
        cmocka_unit_test(any_depth),
        cmocka_unit_test(every_prefix_is_safe),
        cmocka_unit_test(items_and_members_are_the_text_itself),
        cmocka_unit_test(strings_decode_to_utf8_and_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
