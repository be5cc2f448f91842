/*
 * echo_args.h - the command lines of tcp_echo_server and tcp_echo_client, parsed by pure
 * functions (no printing, no exit) so the unit tests can feed them argument vectors; and
 * their --help texts, which main prints.
 */
#ifndef WIRELAB_ECHO_ARGS_H
#define WIRELAB_ECHO_ARGS_H

#include <stddef.h>
#include <stdio.h>

#define ECHO_DEFAULT_PORT   7007
#define ECHO_DEFAULT_IDLE_S 300 /* 5 minutes: long enough to type a line, short enough to free */

typedef struct echo_server_opts {
    int port;           /* --port N (0 = any free port) */
    const char *bind;   /* --bind ADDR, NULL = every address, IPv6 and IPv4 */
    size_t max_clients; /* --max-clients N, 0 = no limit */
    unsigned idle_s;    /* --idle-timeout S: close a client silent this long (0 = never) */
    int verbose;        /* --verbose */
} echo_server_opts;

typedef struct echo_client_opts {
    const char *host;    /* --host H */
    int port;            /* --port N */
    const char *message; /* --message TEXT */
    size_t size;         /* --size BYTES of random data (0 = not given) */
    unsigned long count; /* --count N: how many times to send it */
    int verbose;         /* --verbose */
} echo_client_opts;

/* The result of parsing: go on, print usage and exit 0 (--help), or usage error (exit 2).
 * The same values as args.h's ARGS_OK, ARGS_HELP, ARGS_ERROR. */
enum echo_args_result { ECHO_ARGS_OK = 0, ECHO_ARGS_HELP = 1, ECHO_ARGS_ERROR = -1 };

/* Parse argv[1..argc-1] with the shared parser (args/args.h: --name VALUE or --name=VALUE,
 * numbers range-checked); on ECHO_ARGS_ERROR a sentence is in err (ARGS_ERR_LEN is enough). */
enum echo_args_result echo_server_parse_args(int argc, char **argv, echo_server_opts *o, char *err,
                                             size_t errlen);
enum echo_args_result echo_client_parse_args(int argc, char **argv, echo_client_opts *o, char *err,
                                             size_t errlen);

/* The --help text of each program, to `to` (stdout for --help, stderr after a mistake). */
void echo_server_usage(FILE *to);
void echo_client_usage(FILE *to);

#endif
