/*
 * echo_args.c - command-line parsing for the TCP echo pair (see echo_args.h).
 *
 * Options take their value as the next word (--port 7007) or after '=' (--port=7007).
 */
#include "echo_args.h"

#include "net.h"

#include <stdio.h>
#include <string.h>

/* Parse a whole decimal number in [min, max]. Returns 0, or -1 if it is not one. */
static int parse_number(const char *text, unsigned long long min, unsigned long long max,
                        unsigned long long *out)
{
    if (!text || !*text || strlen(text) > 19)
        return -1;
    unsigned long long v = 0;
    for (const char *p = text; *p; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        v = v * 10 + (unsigned long long)(*p - '0');
    }
    if (v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

/*
 * Split argv[*i] into an option name and, for the options listed in `valued`, its value:
 * the text after '=' or the next word (then *i moves past it). Returns 0, or -1 with a
 * sentence in err when a value is missing.
 */
static int split_option(int argc, char **argv, int *i, const char *const *valued, char *name,
                        size_t namelen, const char **value, char *err, size_t errlen)
{
    const char *arg = argv[*i], *eq = strchr(arg, '=');
    size_t n = eq ? (size_t)(eq - arg) : strlen(arg);
    snprintf(name, namelen, "%.*s", (int)n, arg);
    *value = NULL;
    for (const char *const *v = valued; *v; v++) {
        if (strcmp(name, *v) != 0)
            continue;
        if (eq)
            *value = eq + 1;
        else if (*i + 1 < argc)
            *value = argv[++*i];
        else {
            snprintf(err, errlen, "%s needs a value", name);
            return -1;
        }
    }
    return 0;
}

#define FAIL(...)                                                                                  \
    do {                                                                                           \
        snprintf(err, errlen, __VA_ARGS__);                                                        \
        return ECHO_ARGS_ERROR;                                                                    \
    } while (0)

enum echo_args_result echo_server_parse_args(int argc, char **argv, echo_server_opts *o, char *err,
                                             size_t errlen)
{
    static const char *const valued[] = {"--port", "--bind", "--max-clients", NULL};
    *o = (echo_server_opts){.port = ECHO_DEFAULT_PORT};
    for (int i = 1; i < argc; i++) {
        char name[32];
        const char *v;
        unsigned long long n;
        if (split_option(argc, argv, &i, valued, name, sizeof name, &v, err, errlen) < 0)
            return ECHO_ARGS_ERROR;
        if (!strcmp(name, "--help") || !strcmp(name, "-h"))
            return ECHO_ARGS_HELP;
        else if (!strcmp(name, "--verbose") || !strcmp(name, "-v"))
            o->verbose = 1;
        else if (!strcmp(name, "--port")) {
            o->port = net_parse_port(v);
            if (o->port < 0)
                FAIL("--port wants a number from 0 to 65535, not '%s'", v);
        } else if (!strcmp(name, "--bind"))
            o->bind = v;
        else if (!strcmp(name, "--max-clients")) {
            if (parse_number(v, 1, 1000000, &n) < 0)
                FAIL("--max-clients wants a number from 1 to 1000000, not '%s'", v);
            o->max_clients = (size_t)n;
        } else
            FAIL("unknown option '%s'", argv[i]);
    }
    return ECHO_ARGS_OK;
}

enum echo_args_result echo_client_parse_args(int argc, char **argv, echo_client_opts *o, char *err,
                                             size_t errlen)
{
    static const char *const valued[] = {"--host", "--port",  "--message",
                                         "--size", "--count", NULL};
    *o = (echo_client_opts){.host = "127.0.0.1", .port = ECHO_DEFAULT_PORT, .count = 1};
    for (int i = 1; i < argc; i++) {
        char name[32];
        const char *v;
        unsigned long long n;
        if (split_option(argc, argv, &i, valued, name, sizeof name, &v, err, errlen) < 0)
            return ECHO_ARGS_ERROR;
        if (!strcmp(name, "--help") || !strcmp(name, "-h"))
            return ECHO_ARGS_HELP;
        else if (!strcmp(name, "--verbose") || !strcmp(name, "-v"))
            o->verbose = 1;
        else if (!strcmp(name, "--host")) {
            if (!*v)
                FAIL("--host wants a name or an address");
            o->host = v;
        } else if (!strcmp(name, "--port")) {
            o->port = net_parse_port(v);
            if (o->port <= 0)
                FAIL("--port wants a number from 1 to 65535, not '%s'", v);
        } else if (!strcmp(name, "--message")) {
            if (!*v)
                FAIL("--message wants some text (an empty message has nothing to echo)");
            o->message = v;
        } else if (!strcmp(name, "--size")) {
            if (parse_number(v, 1, 1ull << 30, &n) < 0)
                FAIL("--size wants a number of bytes from 1 to 1073741824, not '%s'", v);
            o->size = (size_t)n;
        } else if (!strcmp(name, "--count")) {
            if (parse_number(v, 1, 100000000, &n) < 0)
                FAIL("--count wants a number from 1 to 100000000, not '%s'", v);
            o->count = (unsigned long)n;
        } else
            FAIL("unknown option '%s'", argv[i]);
    }
    if (o->message && o->size)
        FAIL("give --message or --size, not both");
    return ECHO_ARGS_OK;
}
