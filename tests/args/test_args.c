/*
 * test_args.c - unit tests of args/args.h: every rule of the shared command-line parser, fed
 * argument vectors, with the exact sentence each mistake gets.
 *
 * Run: ctest --test-dir build -R args_test --output-on-failure
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "args.h"

/* The options of a made-up server: one row of every kind, fields of several sizes. */
typedef struct opts {
    int port;
    const char *bind;
    int verbose;
    size_t max_clients;
    uint32_t count;
    uint8_t ttl;
    int mode;
    const char *items[2];
    args_list queues;
} opts;

static char err[ARGS_ERR_LEN];

#define ARGV(...)     ((char *[]){"prog", __VA_ARGS__, NULL})
#define ARGC(...)     ((int)(sizeof((const char *[]){"prog", __VA_ARGS__}) / sizeof(char *)))
#define PARSE(o, ...) parse(o, ARGC(__VA_ARGS__), ARGV(__VA_ARGS__))

static int parse(opts *o, int argc, char **argv)
{
    *o = (opts){.port = 7007, .count = 1};
    o->queues = (args_list){o->items, 2, 0};
    const args_opt table[] = {
        ARGS_NUMBER_OPT("--port", "-p", o->port, 0, 65535),
        ARGS_TEXT_OPT("--bind", NULL, o->bind),
        ARGS_FLAG_OPT("--verbose", "-v", o->verbose),
        ARGS_NUMBER_OPT("--max-clients", NULL, o->max_clients, 1, 1000000),
        ARGS_NUMBER_OPT("--count", NULL, o->count, 1, UINT32_MAX),
        ARGS_NUMBER_OPT("--ttl", NULL, o->ttl, 1, 255),
        ARGS_CHOICE_OPT("--mode", NULL, o->mode, "echo|chat|quiet"),
        ARGS_LIST_OPT("--queue", NULL, o->queues),
    };
    err[0] = '\0';
    return args_parse(argc, argv, table, ARGS_COUNT(table), err, sizeof err);
}

static void defaults_stay_when_nothing_is_given(void **state)
{
    (void)state;
    opts o;
    char *argv[] = {"prog", NULL};
    assert_int_equal(parse(&o, 1, argv), ARGS_OK);
    assert_int_equal(o.port, 7007);
    assert_null(o.bind);
    assert_int_equal(o.verbose, 0);
    assert_int_equal(o.count, 1);
    assert_int_equal(o.queues.n, 0);
}

static void every_kind_both_spellings(void **state)
{
    (void)state;
    opts o;
    assert_int_equal(PARSE(&o, "--port", "0", "--bind=::1", "--verbose", "--max-clients=5",
                           "--count", "4294967295", "--ttl", "255", "--mode=chat", "--queue",
                           "jobs=4", "--queue=ticks=8"),
                     ARGS_OK);
    assert_int_equal(o.port, 0);
    assert_string_equal(o.bind, "::1");
    assert_int_equal(o.verbose, 1);
    assert_int_equal(o.max_clients, 5);
    assert_int_equal(o.count, UINT32_MAX);
    assert_int_equal(o.ttl, 255);
    assert_int_equal(o.mode, 1);
    assert_int_equal(o.queues.n, 2);
    assert_string_equal(o.items[0], "jobs=4");
    assert_string_equal(o.items[1], "ticks=8"); /* only the first '=' splits */
    /* Short aliases, and the last of a repeated option wins. */
    assert_int_equal(PARSE(&o, "-p", "80", "-v", "--port", "81"), ARGS_OK);
    assert_int_equal(o.port, 81);
    assert_int_equal(o.verbose, 1);
    /* A value may look like an option: it is the next word, as getopt takes it. */
    assert_int_equal(PARSE(&o, "--bind", "--verbose"), ARGS_OK);
    assert_string_equal(o.bind, "--verbose");
    assert_int_equal(o.verbose, 0);
}

static void help_stops_the_parse_where_it_stands(void **state)
{
    (void)state;
    opts o;
    assert_int_equal(PARSE(&o, "--help"), ARGS_HELP);
    assert_int_equal(PARSE(&o, "--verbose", "-h"), ARGS_HELP);
    assert_int_equal(PARSE(&o, "--port", "1", "--help", "--nonsense"), ARGS_HELP);
}

/* Each mistake, the sentence it gets (what the program prints before its usage). */
static void each_mistake_has_its_sentence(void **state)
{
    (void)state;
    opts o;
    static const struct {
        const char *argv[4];
        const char *sentence;
    } cases[] = {
        {{"--port"}, "--port needs a value"},
        {{"-p"}, "-p needs a value"},
        {{"--port", "65536"}, "--port must be a whole number from 0 to 65535, not '65536'"},
        {{"--port=-1"}, "--port must be a whole number from 0 to 65535, not '-1'"},
        {{"--port", ""}, "--port must be a whole number from 0 to 65535, not ''"},
        {{"--port", "80a"}, "--port must be a whole number from 0 to 65535, not '80a'"},
        {{"--port", " 80"}, "--port must be a whole number from 0 to 65535, not ' 80'"},
        {{"--port", "1e3"}, "--port must be a whole number from 0 to 65535, not '1e3'"},
        {{"--max-clients", "0"}, "--max-clients must be a whole number from 1 to 1000000, not '0'"},
        {{"--count", "4294967296"},
         "--count must be a whole number from 1 to 4294967295, not '4294967296'"},
        {{"--count", "99999999999999999999999"},
         "--count must be a whole number from 1 to 4294967295, not '99999999999999999999999'"},
        {{"--ttl", "256"}, "--ttl must be a whole number from 1 to 255, not '256'"},
        {{"--mode", "loud"}, "--mode must be one of echo|chat|quiet, not 'loud'"},
        {{"--mode", "ech"}, "--mode must be one of echo|chat|quiet, not 'ech'"},
        {{"--verbose=1"}, "--verbose takes no value"},
        {{"--prot", "1"}, "unknown option '--prot'"},
        {{"--colour=red"}, "unknown option '--colour'"},
        {{"-x"}, "unknown option '-x'"},
        {{"8080"}, "unexpected argument '8080' (every option starts with --)"},
        {{"-"}, "unexpected argument '-' (every option starts with --)"},
        {{"--queue", "a", "--queue", "b"}, NULL}, /* fine: two fit */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *argv[6] = {"prog"};
        int argc = 1;
        for (int k = 0; k < 4 && cases[i].argv[k] != NULL; k++)
            argv[argc++] = (char *)cases[i].argv[k];
        int rc = parse(&o, argc, argv);
        if (cases[i].sentence == NULL) {
            assert_int_equal(rc, ARGS_OK);
            continue;
        }
        if (rc != ARGS_ERROR || strcmp(err, cases[i].sentence) != 0)
            fail_msg("case %zu (%s ...): expected ARGS_ERROR with \"%s\"\n"
                     "  but got %d with \"%s\"",
                     i, cases[i].argv[0], cases[i].sentence, rc, err);
    }
}

static void a_list_refuses_more_than_its_room(void **state)
{
    (void)state;
    opts o;
    assert_int_equal(PARSE(&o, "--queue", "a", "--queue", "b", "--queue", "c"), ARGS_ERROR);
    assert_string_equal(err, "--queue can be given at most 2 times");
    assert_int_equal(o.queues.n, 2);
}

static void args_number_alone(void **state)
{
    (void)state;
    unsigned long long v = 0;
    assert_int_equal(
        args_number("size", "18446744073709551615", 0, UINT64_MAX, &v, err, sizeof err), 0);
    assert_true(v == UINT64_MAX);
    assert_int_equal(
        args_number("size", "18446744073709551616", 0, UINT64_MAX, &v, err, sizeof err),
        -1); /* one past: the overflow check, not a wrapped small number */
    assert_string_equal(err, "size must be a whole number from 0 to 18446744073709551615, not "
                             "'18446744073709551616'");
    /* A short buffer gets a cut sentence, never an overflow. */
    char small[8];
    assert_int_equal(args_number("--port", "x", 0, 1, &v, small, sizeof small), -1);
    assert_string_equal(small, "--port ");
}

/* A row whose field cannot hold what it allows is the program's bug: said, not stored. */
static void a_wrong_row_is_refused(void **state)
{
    (void)state;
    uint8_t small = 7;
    char flag = 0;
    const args_opt bad_number[] = {ARGS_NUMBER_OPT("--n", NULL, small, 0, 256)};
    const args_opt bad_flag[] = {ARGS_FLAG_OPT("--f", NULL, flag)};
    assert_int_equal(args_parse(ARGC("--n", "1"), ARGV("--n", "1"), bad_number, 1, err, sizeof err),
                     ARGS_ERROR);
    assert_non_null(strstr(err, "--n: the program's option table"));
    assert_int_equal(small, 7);
    assert_int_equal(args_parse(ARGC("--f"), ARGV("--f"), bad_flag, 1, err, sizeof err),
                     ARGS_ERROR);
    assert_int_equal(flag, 0);
}

static FILE *usage_went_to;
static int usage_calls;

static void record_usage(FILE *to)
{
    usage_went_to = to;
    usage_calls++;
}

/* main's side: go on, help on stdout and 0, or the sentence and usage on stderr and 2. */
static void exit_status_for_each_result(void **state)
{
    (void)state;
    usage_calls = 0;
    assert_int_equal(args_exit_status(ARGS_OK, "prog", "", record_usage), -1);
    assert_int_equal(usage_calls, 0);
    assert_int_equal(args_exit_status(ARGS_HELP, "prog", "", record_usage), 0);
    assert_ptr_equal(usage_went_to, stdout);
    assert_int_equal(args_exit_status(ARGS_ERROR, "prog", "--port needs a value", record_usage), 2);
    assert_ptr_equal(usage_went_to, stderr);
    assert_int_equal(usage_calls, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults_stay_when_nothing_is_given),
        cmocka_unit_test(every_kind_both_spellings),
        cmocka_unit_test(help_stops_the_parse_where_it_stands),
        cmocka_unit_test(each_mistake_has_its_sentence),
        cmocka_unit_test(a_list_refuses_more_than_its_room),
        cmocka_unit_test(args_number_alone),
        cmocka_unit_test(exit_status_for_each_result),
        cmocka_unit_test(a_wrong_row_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
