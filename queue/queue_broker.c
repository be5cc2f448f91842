/*
 * queue_broker.c - a small message broker: work queues and publish/subscribe over TCP, in a
 * text protocol you can type with nc and read in the sniffer.
 *
 * What it teaches: a message queue is the echo loop with a protocol on top. The shared
 * non-blocking loop (tcp_echo/loop.h) accepts clients and hands us their bytes; proto.c cuts
 * them into lines and parses commands; broker.c decides where each message goes. This file only
 * wires the three together.
 *
 * Run it, then talk to it (the whole protocol is in queue/README.md):
 *   build/bin/queue_broker --port 7010
 *   nc 127.0.0.1 7010          PUSH jobs hello / PULL jobs / ACK 1 / PUB news hi / SUB news FROM 0
 *
 * Usage: queue_broker [--port N] [--bind ADDR] [--capacity N] [--overflow reject|overwrite]
 *                     [--queue NAME=CAP[:POLICY]]... [--max-line N] [--verbose]
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker.h"
#include "loop.h"
#include "net.h"
#include "proto.h"

#define DEFAULT_PORT 7010
#define MAX_SPECS    64
/* A client with this much unsent output is not reading: it is disconnected (its unacked
 * messages are redelivered to others; a subscriber can come back with SUB ... FROM). */
#define SLOW_CLIENT_BYTES ((size_t)16 << 20)

struct options {
    int port;
    const char *bind;
    size_t capacity, max_line;
    enum ring_policy policy;
    int verbose;
    const char *specs[MAX_SPECS];
    size_t nspecs;
};

/* What the broker keeps per connection. */
struct session {
    broker_client *bc;
    conn *c;
    proto_framer framer;
    int too_slow; /* output was dropped: close it at the next tick */
};

static int verbose;

/* ---- the broker's output -> the connection ----------------------------------------------- */

/*
 * The broker's send callback. A producer that pipelines 64 PUSHes in one segment gets its 64
 * "OK" lines back in one send(), not in 64 system calls and 64 TCP segments: the loop
 * coalesces what one round sends to a connection (tcp_echo/loop.c). That, more than anything
 * in the rings, is what makes a broker fast.
 */
static void send_line(void *handle, const char *data, size_t len)
{
    struct session *s = conn_data((conn *)handle);
    if (s == NULL || s->too_slow)
        return;
    if (verbose)
        fprintf(stderr, "conn %llu < %.*s", (unsigned long long)conn_id(s->c), (int)len, data);
    if (conn_pending(s->c) > SLOW_CLIENT_BYTES)
        s->too_slow = 1; /* never close from inside a callback: the timer below does it */
    else
        conn_send(s->c, data, len);
}

static void close_if_slow(conn *c, void *arg)
{
    (void)arg;
    struct session *s = conn_data(c);
    if (s != NULL && s->too_slow)
        conn_abort(c, "not reading its messages (too much unsent output)");
}

static void reap_slow_clients(loop *l, void *arg)
{
    loop_foreach_conn(l, close_if_slow, arg);
}

/* ---- the loop's events ------------------------------------------------------------------- */

static void on_open(conn *c)
{
    broker *b = loop_user(conn_loop(c));
    struct session *s = calloc(1, sizeof *s);
    if (s != NULL)
        s->bc = broker_client_new(b, c);
    if (s == NULL || s->bc == NULL) {
        free(s);
        conn_abort(c, "out of memory");
        return;
    }
    s->c = c;
    s->framer.max_line = broker_max_line(b);
    conn_set_data(c, s);
    /* (The loop turns Nagle's algorithm off on every accepted connection: replies are small
     * and often come in pairs, "OK" to an ACK then the next MSG, and with Nagle on the second
     * would wait for the peer's delayed ACK of the first - 40 ms a message.) */
}

/* Cut the bytes into lines and run each; return how many bytes were used up. */
static size_t on_data(conn *c, const uint8_t *data, size_t len)
{
    struct session *s = conn_data(c);
    size_t done = 0;
    while (s != NULL && !conn_is_closing(c)) {
        size_t line_len, used;
        int rc = proto_frame(&s->framer, data + done, len - done, &line_len, &used);
        if (rc == PROTO_LINE) {
            if (verbose)
                fprintf(stderr, "conn %llu > %.*s\n", (unsigned long long)conn_id(c), (int)line_len,
                        (const char *)data + done);
            if (broker_client_line(s->bc, (const char *)data + done, line_len))
                conn_close(c); /* QUIT: its "OK bye" goes out, then our FIN */
        } else if (rc == PROTO_TOO_LONG) {
            broker_client_too_long(s->bc);
        }
        done += used;
        if (rc == PROTO_NEED_MORE && used == 0)
            break; /* an unfinished line: the loop keeps it and offers it again */
    }
    return conn_is_closing(c) ? len : done;
}

static void on_close(conn *c, const char *why)
{
    struct session *s = conn_data(c);
    if (verbose)
        fprintf(stderr, "conn %llu closed: %s\n", (unsigned long long)conn_id(c), why);
    if (s == NULL)
        return;
    broker_client_gone(s->bc); /* its unacked messages go back to their queues, and may go
                                  straight out to waiting consumers */
    conn_set_data(c, NULL);
    free(s);
}

/* ---- command line ------------------------------------------------------------------------ */

static void usage(FILE *out)
{
    fprintf(out,
            "usage: queue_broker [--port N] [--bind ADDR] [--capacity N]\n"
            "                    [--overflow reject|overwrite] [--queue NAME=CAP[:POLICY]]...\n"
            "                    [--max-line N] [--verbose]\n"
            "\n"
            "  --port N        TCP port (default %d; 0 picks a free one and prints it)\n"
            "  --bind ADDR     address to listen on (default 127.0.0.1; '::' for all)\n"
            "  --capacity N    messages each queue and topic holds (default 256)\n"
            "  --overflow P    when a queue is full: reject (PUSH gets ERR) or overwrite\n"
            "                  (the oldest is dropped and counted); topics always overwrite\n"
            "  --queue SPEC    give queue/topic NAME its own capacity and policy, e.g.\n"
            "                  --queue jobs=1024:reject --queue ticks=16:overwrite\n"
            "  --max-line N    longest command line in bytes (default 1024)\n"
            "  --verbose       trace every socket call and protocol line on stderr\n"
            "\n"
            "Try it: nc 127.0.0.1 %d, then type PUSH jobs hello / PULL jobs / ACK 1\n",
            DEFAULT_PORT, DEFAULT_PORT);
}

static int parse_size(const char *text, size_t min, size_t max, size_t *out)
{
    uint64_t v;
    if (proto_parse_u64(text, strlen(text), &v) < 0 || v < min || v > max)
        return -1;
    *out = (size_t)v;
    return 0;
}

static int parse_policy(const char *text, enum ring_policy *out)
{
    if (strcmp(text, "reject") == 0)
        *out = RING_REJECT;
    else if (strcmp(text, "overwrite") == 0)
        *out = RING_OVERWRITE;
    else
        return -1;
    return 0;
}

static void bad_arg(const char *what)
{
    fprintf(stderr, "queue_broker: %s\n\n", what);
    usage(stderr);
    exit(2);
}

static void parse_args(int argc, char **argv, struct options *o)
{
    static const struct option longopts[] = {
        {"port", required_argument, NULL, 'p'},
        {"bind", required_argument, NULL, 'b'},
        {"capacity", required_argument, NULL, 'c'},
        {"overflow", required_argument, NULL, 'o'},
        {"queue", required_argument, NULL, 'q'},
        {"max-line", required_argument, NULL, 'm'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int ch;
    while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (ch) {
        case 'p':
            if ((o->port = net_parse_port(optarg)) < 0)
                bad_arg("--port needs a number from 0 to 65535");
            break;
        case 'b':
            o->bind = optarg;
            break;
        case 'c':
            if (parse_size(optarg, 1, 1 << 20, &o->capacity) < 0)
                bad_arg("--capacity needs a number from 1 to 1048576");
            break;
        case 'o':
            if (parse_policy(optarg, &o->policy) < 0)
                bad_arg("--overflow is 'reject' or 'overwrite'");
            break;
        case 'q':
            if (o->nspecs == MAX_SPECS)
                bad_arg("too many --queue options (64 at most)");
            o->specs[o->nspecs++] = optarg;
            break;
        case 'm':
            if (parse_size(optarg, 16, 1 << 20, &o->max_line) < 0)
                bad_arg("--max-line needs a number from 16 to 1048576");
            break;
        case 'v':
            o->verbose = 1;
            break;
        case 'h':
            usage(stdout);
            exit(0);
        default:
            bad_arg("unknown option (see the list below)");
        }
    }
    if (optind < argc)
        bad_arg("unexpected argument (every option starts with --)");
}

/* "--queue jobs=1024:reject" -> broker_define. Exits with usage on a malformed spec. */
static void apply_spec(broker *b, const char *spec, enum ring_policy fallback)
{
    char name[PROTO_NAME_MAX + 2], rest[64], err[256];
    const char *eq = strchr(spec, '=');
    if (eq == NULL || (size_t)(eq - spec) > PROTO_NAME_MAX || strlen(eq + 1) >= sizeof rest)
        bad_arg("--queue is NAME=CAPACITY or NAME=CAPACITY:reject|overwrite");
    snprintf(name, sizeof name, "%.*s", (int)(eq - spec), spec);
    snprintf(rest, sizeof rest, "%s", eq + 1);
    enum ring_policy policy = fallback;
    char *colon = strchr(rest, ':');
    if (colon != NULL) {
        *colon = '\0';
        if (parse_policy(colon + 1, &policy) < 0)
            bad_arg("--queue: the policy after ':' is 'reject' or 'overwrite'");
    }
    size_t capacity;
    if (parse_size(rest, 1, 1 << 20, &capacity) < 0)
        bad_arg("--queue: the capacity after '=' is a number from 1 to 1048576");
    if (broker_define(b, name, capacity, policy, err, sizeof err) < 0) {
        snprintf(rest, sizeof rest, "--queue %.40s", spec);
        fprintf(stderr, "queue_broker: %s: %s\n", rest, err);
        exit(2);
    }
}

/* ---- main -------------------------------------------------------------------------------- */

static broker *make_broker(const struct options *o)
{
    char err[256];
    broker_config cfg = {.capacity = o->capacity,
                         .policy = o->policy,
                         .max_line = o->max_line,
                         .max_names = 64,
                         .send = send_line};
    broker *b = broker_new(&cfg, err, sizeof err);
    if (b == NULL) {
        fprintf(stderr, "queue_broker: %s\n", err);
        exit(2);
    }
    for (size_t i = 0; i < o->nspecs; i++)
        apply_spec(b, o->specs[i], o->policy);
    return b;
}

static loop *make_loop(const struct options *o, broker *b)
{
    static const loop_handlers handlers = {on_open, on_data, on_close};
    char err[NET_ERR_LEN];
    loop_config cfg = {.max_conns = 1024, .verbose = o->verbose, .user = b};
    loop *l = loop_new(&cfg, &handlers, err, sizeof err);
    if (l == NULL) {
        fprintf(stderr, "queue_broker: %s\n", err);
        exit(1);
    }
    int fd = net_listen(o->bind, o->port, 128, err, sizeof err);
    if (fd < 0) {
        fprintf(stderr, "queue_broker: %s\n", err);
        exit(1);
    }
    if (loop_add_listener(l, fd) < 0 || loop_stop_on_signals(l) < 0 ||
        loop_add_timer(l, 100, reap_slow_clients, NULL) < 0) {
        fprintf(stderr, "queue_broker: could not set up the event loop (out of resources?)\n");
        exit(1);
    }
    printf("queue_broker: listening on %s port %d (capacity %zu, overflow %s, max line %zu)\n",
           o->bind, net_local_port(fd), o->capacity,
           o->policy == RING_REJECT ? "reject" : "overwrite", o->max_line);
    fflush(stdout);
    return l;
}

int main(int argc, char **argv)
{
    struct options o = {.port = DEFAULT_PORT,
                        .bind = "127.0.0.1",
                        .capacity = 256,
                        .max_line = 1024,
                        .policy = RING_REJECT};
    parse_args(argc, argv, &o);
    verbose = o.verbose;
    broker *b = make_broker(&o);
    loop *l = make_loop(&o, b);
    int rc = loop_run(l);
    /* Count before loop_free: closing the last clients returns their unacked messages, and
     * that is bookkeeping, not deliveries. */
    broker_stats s = broker_get_stats(b);
    loop_free(l);
    broker_free(b);
    printf("queue_broker: stopped. messages in %llu, delivered %llu, redelivered %llu, "
           "overwritten %llu (acked %llu, rejected as full %llu)\n",
           (unsigned long long)s.in, (unsigned long long)s.delivered,
           (unsigned long long)s.redelivered, (unsigned long long)s.overwritten,
           (unsigned long long)s.acked, (unsigned long long)s.rejected);
    if (rc < 0) {
        fprintf(stderr, "queue_broker: the event loop failed (epoll error); see above\n");
        return 1;
    }
    return 0;
}
