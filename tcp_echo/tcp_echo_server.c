/*
 * tcp_echo_server.c - a TCP echo server: every byte a client sends comes straight back.
 *
 * What it teaches: the life of a TCP server. listen() makes the kernel answer SYNs; accept()
 * hands us a connection whose three-way handshake is already done; recv() returns bytes the
 * kernel has received and queued for us (it acknowledges them on its own schedule: at once, or
 * with delayed ACK a little later, often riding on our reply); recv() returning 0 means the
 * peer sent FIN; close() sends ours. One thread serves many clients at once because every
 * socket is non-blocking and an event loop (loop.c) only touches the sockets the kernel says
 * are ready.
 *
 * Run it:
 *   build/bin/tcp_echo_server --verbose          (listens on port 7007, IPv6 and IPv4)
 *   build/bin/tcp_echo_client --message hello    (in another terminal)
 *   build/bin/sniffer -f 'tcp port 7007' --ladder  (in a third, to watch the packets)
 * Stop it with Ctrl-C: it closes every connection and prints what it served.
 */
#include "args.h"
#include "echo_args.h"
#include "loop.h"
#include "net.h"

#include <stdio.h>
#include <stdlib.h>

/* A connection opened: the client's SYN, our SYN-ACK and its ACK have all crossed the wire. */
static void on_open(conn *c)
{
    printf("connect %s (client #%llu)\n", conn_peer(c), (unsigned long long)conn_id(c));
    fflush(stdout);
}

/*
 * Bytes arrived: send them back. The echo is the whole protocol, so every byte is "used" at
 * once; the loop queues what the kernel cannot take yet and, if this client does not read its
 * echo, stops reading from it (backpressure) so it cannot make us buffer without limit.
 */
static size_t on_data(conn *c, const uint8_t *data, size_t len)
{
    conn_send(c, data, len);
    return len;
}

/* A connection ended: say who, why (FIN, RST, ...), and how many bytes moved each way. */
static void on_close(conn *c, const char *why)
{
    printf("close   %s (client #%llu): %s; %llu bytes in, %llu bytes echoed\n", conn_peer(c),
           (unsigned long long)conn_id(c), why, (unsigned long long)conn_bytes_in(c),
           (unsigned long long)conn_bytes_out(c));
    fflush(stdout);
}

/*
 * Idle clients. TCP has no idle timeout of its own: a connection where nobody sends stays open
 * for ever (keepalive, off by default, only finds peers that vanished). So a client that
 * connects and says nothing would hold its descriptor, and with --max-clients one of the
 * slots, until it leaves. Once a second the server closes each connection that has sent
 * nothing for --idle-timeout seconds: an ordinary close, our FIN after any echo still queued.
 */
static void close_if_idle(conn *c, void *arg)
{
    const echo_server_opts *o = arg;
    if (conn_is_closing(c) || loop_now_ms() - conn_last_read_ms(c) < 1000 * (uint64_t)o->idle_s)
        return;
    loop_log(conn_loop(c), "client #%llu (%s) sent nothing for %u s: closing it (--idle-timeout)",
             (unsigned long long)conn_id(c), conn_peer(c), o->idle_s);
    conn_close(c);
}

static void close_idle_clients(loop *l, void *arg)
{
    loop_foreach_conn(l, close_if_idle, arg);
}

static void explain_listen(int port)
{
    fprintf(stderr,
            "  [trace] socket() + bind() + listen() on port %d: from now on the KERNEL answers\n"
            "          each SYN to this port with a SYN-ACK and queues completed handshakes\n"
            "          until we accept() them\n",
            port);
}

int main(int argc, char **argv)
{
    echo_server_opts o;
    char err[NET_ERR_LEN];
    int status = args_exit_status(echo_server_parse_args(argc, argv, &o, err, sizeof err),
                                  "tcp_echo_server", err, echo_server_usage);
    if (status >= 0)
        return status;

    int fd = net_listen(o.bind, o.port, SOMAXCONN, err, sizeof err);
    if (fd < 0) {
        fprintf(stderr, "tcp_echo_server: %s\n", err);
        return 1;
    }
    int port = net_local_port(fd);
    if (o.verbose)
        explain_listen(port);

    loop_config cfg = {
        .max_conns = o.max_clients, .max_conns_flag = "--max-clients", .verbose = o.verbose};
    loop_handlers h = {.on_open = on_open, .on_data = on_data, .on_close = on_close};
    loop *l = loop_new(&cfg, &h, err, sizeof err);
    if (!l || loop_add_listener(l, fd, err, sizeof err) < 0 ||
        loop_stop_on_signals(l, err, sizeof err) < 0) {
        fprintf(stderr, "tcp_echo_server: cannot start the event loop: %s\n", err);
        return 1;
    }
    if (o.idle_s && loop_add_timer(l, 1000, close_idle_clients, &o) < 0) {
        fprintf(stderr, "tcp_echo_server: the loop has no timer left for --idle-timeout; "
                        "start without it (--idle-timeout 0)\n");
        return 1;
    }
    printf("tcp_echo_server: listening on %s port %d (%s); stop with Ctrl-C\n",
           o.bind ? o.bind : "every address", port, o.bind ? "TCP" : "TCP, IPv6 and IPv4");
    fflush(stdout);

    int rc = loop_run(l);
    loop_stats s = loop_get_stats(l);
    loop_free(l); /* closes every connection that is still open: each gets our FIN */
    printf("tcp_echo_server: stopped; served %llu connections (%llu refused), echoed %llu "
           "bytes\n",
           (unsigned long long)(s.accepted - s.refused), (unsigned long long)s.refused,
           (unsigned long long)s.bytes_out);
    return rc == 0 ? 0 : 1;
}
