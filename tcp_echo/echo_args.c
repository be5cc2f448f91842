/*
 * echo_args.c - the command lines of the TCP echo pair (see echo_args.h): each is a table for
 * the shared parser (args/args.h), plus the checks only this program knows.
 */
#include "echo_args.h"

#include "args.h"

#include <stdio.h>

enum echo_args_result echo_server_parse_args(int argc, char **argv, echo_server_opts *o, char *err,
                                             size_t errlen)
{
    *o = (echo_server_opts){.port = ECHO_DEFAULT_PORT, .idle_s = ECHO_DEFAULT_IDLE_S};
    const args_opt table[] = {
        ARGS_NUMBER_OPT("--port", NULL, o->port, 0, 65535),
        ARGS_TEXT_OPT("--bind", NULL, o->bind),
        ARGS_NUMBER_OPT("--max-clients", NULL, o->max_clients, 1, 1000000),
        ARGS_NUMBER_OPT("--idle-timeout", NULL, o->idle_s, 0, 86400),
        ARGS_FLAG_OPT("--verbose", "-v", o->verbose),
    };
    return (enum echo_args_result)args_parse(argc, argv, table, ARGS_COUNT(table), err, errlen);
}

enum echo_args_result echo_client_parse_args(int argc, char **argv, echo_client_opts *o, char *err,
                                             size_t errlen)
{
    *o = (echo_client_opts){.host = "127.0.0.1", .port = ECHO_DEFAULT_PORT, .count = 1};
    const args_opt table[] = {
        ARGS_TEXT_OPT("--host", NULL, o->host),
        ARGS_NUMBER_OPT("--port", NULL, o->port, 1, 65535),
        ARGS_TEXT_OPT("--message", NULL, o->message),
        ARGS_NUMBER_OPT("--size", NULL, o->size, 1, 1ull << 30),
        ARGS_NUMBER_OPT("--count", NULL, o->count, 1, 100000000),
        ARGS_FLAG_OPT("--verbose", "-v", o->verbose),
    };
    int rc = args_parse(argc, argv, table, ARGS_COUNT(table), err, errlen);
    if (rc != ARGS_OK)
        return (enum echo_args_result)rc;
    const char *why = NULL;
    if (*o->host == '\0')
        why = "--host wants a name or an address";
    else if (o->message != NULL && *o->message == '\0')
        why = "--message wants some text (an empty message has nothing to echo)";
    else if (o->message != NULL && o->size != 0)
        why = "give --message or --size, not both";
    if (why == NULL)
        return ECHO_ARGS_OK;
    snprintf(err, errlen, "%s", why);
    return ECHO_ARGS_ERROR;
}

void echo_server_usage(FILE *to)
{
    fputs("usage: tcp_echo_server [--port N] [--bind ADDR] [--max-clients N] [--idle-timeout S]\n"
          "                       [--verbose]\n"
          "  --port N          TCP port to listen on (default 7007; 0 = any free port, printed)\n"
          "  --bind ADDR       listen on one address only (default: every IPv6 and IPv4 address)\n"
          "  --max-clients N   close new connections beyond N at once (default: no limit)\n"
          "  --idle-timeout S  close a client that sent nothing for S seconds (default 300;\n"
          "                    0 = never), so silent connections cannot hold every slot\n"
          "  --verbose         explain each socket call and what it means on the wire\n",
          to);
}

void echo_client_usage(FILE *to)
{
    fputs(
        "usage: tcp_echo_client [--host H] [--port N] [--message TEXT | --size BYTES] [--count N]\n"
        "                       [--verbose]\n"
        "  --host H         server name or address (default 127.0.0.1)\n"
        "  --port N         server port (default 7007)\n"
        "  --message TEXT   send TEXT and check the echo (default: each line typed on stdin)\n"
        "  --size BYTES     send BYTES random bytes and check the echo\n"
        "  --count N        send the message N times (default 1)\n"
        "  --verbose        explain each socket call and what it means on the wire\n",
        to);
}
