/*
 * test_echo_args.c - unit tests for the command lines of tcp_echo_server and tcp_echo_client.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "echo_args.h"

#define ARGV(...)                                                                                  \
    (char *[])                                                                                     \
    {                                                                                              \
        "prog", __VA_ARGS__, NULL                                                                  \
    }
#define ARGC(...) ((int)(sizeof((char *[]){"prog", __VA_ARGS__}) / sizeof(char *)))

static char err[256];

static enum echo_args_result server(int argc, char **argv, echo_server_opts *o)
{
    err[0] = '\0';
    return echo_server_parse_args(argc, argv, o, err, sizeof err);
}

static enum echo_args_result client(int argc, char **argv, echo_client_opts *o)
{
    err[0] = '\0';
    return echo_client_parse_args(argc, argv, o, err, sizeof err);
}

static void server_defaults(void **state)
{
    (void)state;
    echo_server_opts o;
    char *argv[] = {"prog", NULL};
    assert_int_equal(server(1, argv, &o), ECHO_ARGS_OK);
    assert_int_equal(o.port, 7007);
    assert_null(o.bind);
    assert_int_equal(o.max_clients, 0);
    assert_int_equal(o.idle_s, 300);
    assert_int_equal(o.verbose, 0);
}

static void server_all_options(void **state)
{
    (void)state;
    echo_server_opts o;
    assert_int_equal(server(ARGC("--port", "0", "--bind=::1", "--max-clients", "5", "--verbose"),
                            ARGV("--port", "0", "--bind=::1", "--max-clients", "5", "--verbose"),
                            &o),
                     ECHO_ARGS_OK);
    assert_int_equal(o.port, 0);
    assert_string_equal(o.bind, "::1");
    assert_int_equal(o.max_clients, 5);
    assert_int_equal(o.verbose, 1);
    assert_int_equal(server(ARGC("--idle-timeout", "0"), ARGV("--idle-timeout", "0"), &o),
                     ECHO_ARGS_OK);
    assert_int_equal(o.idle_s, 0);
    assert_int_equal(server(ARGC("--idle-timeout", "86401"), ARGV("--idle-timeout", "86401"), &o),
                     ECHO_ARGS_ERROR);
    assert_non_null(strstr(err, "--idle-timeout"));
}

static void server_rejects_bad_ports(void **state)
{
    (void)state;
    echo_server_opts o;
    const char *bad[] = {"65536", "-1", "80a", "", "999999", "1e3"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char *argv[] = {"prog", "--port", (char *)bad[i], NULL};
        assert_int_equal(server(3, argv, &o), ECHO_ARGS_ERROR);
        assert_non_null(strstr(err, "--port"));
    }
}

static void server_missing_value_and_unknown(void **state)
{
    (void)state;
    echo_server_opts o;
    assert_int_equal(server(ARGC("--port"), ARGV("--port"), &o), ECHO_ARGS_ERROR);
    assert_string_equal(err, "--port needs a value");
    assert_int_equal(server(ARGC("--prot", "1"), ARGV("--prot", "1"), &o), ECHO_ARGS_ERROR);
    assert_non_null(strstr(err, "unknown option '--prot'"));
    assert_int_equal(server(ARGC("--help"), ARGV("--help"), &o), ECHO_ARGS_HELP);
}

static void client_defaults_and_options(void **state)
{
    (void)state;
    echo_client_opts o;
    char *argv[] = {"prog", NULL};
    assert_int_equal(client(1, argv, &o), ECHO_ARGS_OK);
    assert_string_equal(o.host, "127.0.0.1");
    assert_int_equal(o.port, 7007);
    assert_null(o.message);
    assert_int_equal(o.count, 1);
    assert_int_equal(client(ARGC("--host", "::1", "--port=9", "--message", "hi", "--count", "3"),
                            ARGV("--host", "::1", "--port=9", "--message", "hi", "--count", "3"),
                            &o),
                     ECHO_ARGS_OK);
    assert_string_equal(o.host, "::1");
    assert_int_equal(o.port, 9);
    assert_string_equal(o.message, "hi");
    assert_int_equal(o.count, 3);
}

static void client_rejects_conflicts_and_limits(void **state)
{
    (void)state;
    echo_client_opts o;
    assert_int_equal(
        client(ARGC("--message", "a", "--size", "3"), ARGV("--message", "a", "--size", "3"), &o),
        ECHO_ARGS_ERROR);
    assert_non_null(strstr(err, "not both"));
    assert_int_equal(client(ARGC("--size", "0"), ARGV("--size", "0"), &o), ECHO_ARGS_ERROR);
    assert_int_equal(client(ARGC("--size", "1073741825"), ARGV("--size", "1073741825"), &o),
                     ECHO_ARGS_ERROR);
    assert_int_equal(client(ARGC("--size", "1073741824"), ARGV("--size", "1073741824"), &o),
                     ECHO_ARGS_OK);
    assert_int_equal(client(ARGC("--port", "0"), ARGV("--port", "0"), &o), ECHO_ARGS_ERROR);
    assert_int_equal(client(ARGC("--count", "0"), ARGV("--count", "0"), &o), ECHO_ARGS_ERROR);
    assert_int_equal(client(ARGC("--message", ""), ARGV("--message", ""), &o), ECHO_ARGS_ERROR);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(server_defaults),
        cmocka_unit_test(server_all_options),
        cmocka_unit_test(server_rejects_bad_ports),
        cmocka_unit_test(server_missing_value_and_unknown),
        cmocka_unit_test(client_defaults_and_options),
        cmocka_unit_test(client_rejects_conflicts_and_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
