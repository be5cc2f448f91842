/*
 * tcp_echo_client.c - connect to an echo server, send bytes, check every byte comes back.
 *
 * What it teaches: the client's side of TCP. connect() sends SYN and returns once the SYN-ACK
 * has arrived and our ACK is sent, so timing connect() measures one round trip. send() only
 * copies into the kernel's buffer; TCP decides how to cut the bytes into segments, so the echo
 * may come back in pieces of any size and we keep reading until all of it is here. At the end
 * shutdown(SHUT_WR) sends our FIN, and recv() returning 0 tells us the server sent its own.
 *
 * Run it (with tcp_echo_server running):
 *   build/bin/tcp_echo_client --message "hello, wire" --count 3
 *   build/bin/tcp_echo_client --size 1048576         (1 MiB of random bytes)
 *   build/bin/tcp_echo_client                         (interactive: each line you type)
 * It exits 0 only if every echo matched what was sent.
 */
#include "args.h"
#include "echo_args.h"
#include "net.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int verbose;

#define TRACE(...)                                                                                 \
    do {                                                                                           \
        if (verbose)                                                                               \
            fprintf(stderr, "  [trace] " __VA_ARGS__);                                             \
    } while (0)

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* The round-trip times seen, for the closing summary. */
typedef struct rtt_stats {
    unsigned long n;
    double min, max, sum;
    unsigned long long bytes;
} rtt_stats;

static void rtt_add(rtt_stats *s, double ms, size_t bytes)
{
    if (s->n == 0 || ms < s->min)
        s->min = ms;
    if (ms > s->max)
        s->max = ms;
    s->sum += ms;
    s->n++;
    s->bytes += bytes;
}

/* Wait until fd is readable or writable as asked (or both); -1 on poll failure. */
static short wait_for(int fd, short events)
{
    struct pollfd p = {.fd = fd, .events = events};
    int n;
    do
        n = poll(&p, 1, -1);
    while (n < 0 && errno == EINTR);
    return n < 0 ? -1 : p.revents;
}

/*
 * Send msg and read its echo at the same time (a large message cannot be sent whole before
 * reading: the server stops reading while we do not take its echo - backpressure). Compares
 * each byte as it arrives. Returns 0 on a matching echo, -1 with a sentence in err otherwise.
 */
static int exchange(int fd, const uint8_t *msg, size_t len, char *err, size_t errlen)
{
    static uint8_t in[65536];
    size_t sent = 0, got = 0;
    while (got < len) {
        short ev = wait_for(fd, (short)(POLLIN | (sent < len ? POLLOUT : 0)));
        if (ev < 0) {
            snprintf(err, errlen, "poll failed: %s", strerror(errno));
            return -1;
        }
        if (sent < len && (ev & POLLOUT)) {
            ssize_t w = send(fd, msg + sent, len - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
            if (w < 0 && errno != EAGAIN && errno != EINTR) {
                snprintf(err, errlen, "the connection broke while sending (%s)", strerror(errno));
                return -1;
            }
            if (w > 0) {
                TRACE("send(%zd bytes): copied into the kernel's send buffer\n", w);
                sent += (size_t)w;
            }
        }
        if (ev & (POLLIN | POLLHUP | POLLERR)) {
            size_t want = len - got < sizeof in ? len - got : sizeof in;
            ssize_t r = recv(fd, in, want, MSG_DONTWAIT);
            if (r == 0) {
                snprintf(err, errlen,
                         "the server closed the connection after echoing %zu of %zu "
                         "bytes",
                         got, len);
                return -1;
            }
            if (r < 0 && errno == ECONNRESET) {
                snprintf(err, errlen,
                         "the server reset the connection (RST) after echoing %zu "
                         "of %zu bytes; is it limiting clients (--max-clients)?",
                         got, len);
                return -1;
            }
            if (r < 0 && errno != EAGAIN && errno != EINTR) {
                snprintf(err, errlen, "the connection broke while reading (%s)", strerror(errno));
                return -1;
            }
            if (r > 0) {
                TRACE("recv() = %zd bytes of echo (TCP chose the segment sizes, not us)\n", r);
                for (size_t i = 0; i < (size_t)r; i++)
                    if (in[i] != msg[got + i]) {
                        snprintf(err, errlen, "echo mismatch at byte %zu: sent 0x%02x, got 0x%02x",
                                 got + i, msg[got + i], in[i]);
                        return -1;
                    }
                got += (size_t)r;
            }
        }
    }
    return 0;
}

/* Show a message for the terminal: printable text in quotes, cut after 60 characters. */
static void print_message(const uint8_t *msg, size_t len, int is_text)
{
    if (!is_text) {
        printf("%zu random bytes", len);
        return;
    }
    putchar('"');
    for (size_t i = 0; i < len && i < 60; i++) {
        if (msg[i] == '\n')
            fputs("\\n", stdout);
        else
            putchar(msg[i] >= 32 && msg[i] < 127 ? msg[i] : '.');
    }
    printf(len > 60 ? "...\" (%zu bytes)" : "\" (%zu bytes)", len);
}

/* One echo round: send, wait for the echo, report. Returns 0 if it matched. */
static int echo_once(int fd, const uint8_t *msg, size_t len, int is_text, rtt_stats *s)
{
    char err[NET_ERR_LEN];
    double t0 = now_ms();
    if (exchange(fd, msg, len, err, sizeof err) < 0) {
        fprintf(stderr, "tcp_echo_client: %s\n", err);
        return -1;
    }
    double ms = now_ms() - t0;
    rtt_add(s, ms, len);
    printf("sent ");
    print_message(msg, len, is_text);
    printf("; echo matches, round trip %.3f ms\n", ms);
    fflush(stdout);
    return 0;
}

/* Interactive mode: each line typed is sent, newline included (it is data too), and echoed. */
static int echo_stdin_lines(int fd, rtt_stats *s)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int rc = 0;
    while (rc == 0 && (n = getline(&line, &cap, stdin)) > 0)
        rc = echo_once(fd, (const uint8_t *)line, (size_t)n, 1, s);
    free(line);
    return rc;
}

static uint8_t *random_bytes(size_t len)
{
    uint8_t *p = malloc(len);
    uint64_t x = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32) ^ 0x9e3779b97f4a7c15u;
    for (size_t i = 0; p && i < len; i++) { /* xorshift64: fast, and random enough here */
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        p[i] = (uint8_t)x;
    }
    return p;
}

/* Our FIN, then wait for the server's: the orderly four-way teardown. */
static void close_politely(int fd)
{
    uint8_t b[256];
    TRACE("shutdown(SHUT_WR): we send FIN (\"no more data from me\")\n");
    shutdown(fd, SHUT_WR);
    while (recv(fd, b, sizeof b, 0) > 0)
        ;
    TRACE("recv() = 0: the server's FIN arrived; close() frees the socket\n");
    close(fd);
}

static int run(const echo_client_opts *o, int fd, rtt_stats *s)
{
    if (!o->message && !o->size)
        return echo_stdin_lines(fd, s);
    size_t len = o->message ? strlen(o->message) : o->size;
    uint8_t *msg = o->message ? (uint8_t *)o->message : random_bytes(len);
    if (!msg) {
        fprintf(stderr, "tcp_echo_client: out of memory for %zu bytes\n", len);
        return -1;
    }
    int rc = 0;
    for (unsigned long i = 0; i < o->count && rc == 0; i++)
        rc = echo_once(fd, msg, len, o->message != NULL, s);
    if (!o->message)
        free(msg);
    return rc;
}

int main(int argc, char **argv)
{
    echo_client_opts o;
    char err[NET_ERR_LEN];
    int status = args_exit_status(echo_client_parse_args(argc, argv, &o, err, sizeof err),
                                  "tcp_echo_client", err, echo_client_usage);
    if (status >= 0)
        return status;
    verbose = o.verbose;

    TRACE("connect(): the kernel sends SYN and waits for the server's SYN-ACK\n");
    double t0 = now_ms();
    int fd = net_connect(o.host, o.port, err, sizeof err);
    if (fd < 0) {
        int refused = strstr(err, "nothing is listening") != NULL;
        fprintf(stderr, "tcp_echo_client: %s%s\n", err,
                refused ? "; start tcp_echo_server first" : "");
        return 1;
    }
    net_set_nodelay(fd); /* each message leaves at once, so round trips are what they seem */
    char peer[NET_ADDR_LEN];
    net_peer_name(fd, peer, sizeof peer);
    printf("tcp_echo_client: connected to %s in %.3f ms (SYN, SYN-ACK, ACK)\n", peer,
           now_ms() - t0);
    fflush(stdout);

    rtt_stats s = {0};
    int rc = run(&o, fd, &s);
    close_politely(fd);
    if (s.n)
        printf("tcp_echo_client: %lu echoes, %llu bytes, all matched; round trip min/avg/max "
               "%.3f/%.3f/%.3f ms\n",
               s.n, s.bytes, s.min, s.sum / (double)s.n, s.max);
    return rc == 0 ? 0 : 1;
}
