/*
 * echo_args.h - the command lines of tcp_echo_server and tcp_echo_client, parsed by pure
 * functions (no printing, no exit) so the unit tests can feed them argument vectors.
 */
#ifndef WIRELAB_ECHO_ARGS_H
#define WIRELAB_ECHO_ARGS_H

#include <stddef.h>

#define ECHO_DEFAULT_PORT 7007

typedef struct echo_server_opts {
    int port;           /* --port N (0 = any free port) */
    const char *bind;   /* --bind ADDR, NULL = every address, IPv6 and IPv4 */
    size_t max_clients; /* --max-clients N, 0 = no limit */
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

#define ECHO_SERVER_USAGE                                                                          \
    "usage: tcp_echo_server [--port N] [--bind ADDR] [--max-clients N] [--verbose]\n"              \
    "  --port N         TCP port to listen on (default 7007; 0 = any free port, printed)\n"        \
    "  --bind ADDR      listen on one address only (default: every IPv6 and IPv4 address)\n"       \
    "  --max-clients N  close new connections beyond N at once (default: no limit)\n"              \
    "  --verbose        explain each socket call and what it means on the wire\n"

#define ECHO_CLIENT_USAGE                                                                          \
    "usage: tcp_echo_client [--host H] [--port N] [--message TEXT | --size BYTES] [--count N]\n"   \
    "                       [--verbose]\n"                                                         \
    "  --host H         server name or address (default 127.0.0.1)\n"                              \
    "  --port N         server port (default 7007)\n"                                              \
    "  --message TEXT   send TEXT and check the echo (default: each line typed on stdin)\n"        \
    "  --size BYTES     send BYTES random bytes and check the echo\n"                              \
    "  --count N        send the message N times (default 1)\n"                                    \
    "  --verbose        explain each socket call and what it means on the wire\n"

#endif
