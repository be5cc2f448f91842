/*
 * ws_load.c - a WebSocket load generator: N connections, each sending small text messages and
 * waiting for their echoes; reports echoed messages per second.
 *
 * What it measures: how many round trips an echo server completes with many clients at once.
 * Every connection does the handshake, then keeps `depth` messages in flight: each echo that
 * comes back releases the next message. One thread, epoll, non-blocking sockets, the same
 * program for every server compared, so the client's cost is the same in every figure.
 * (All frames reuse one masking key: fine for a benchmark on loopback, wrong for a real client.)
 *
 *   ws_load HOST PORT [--conns 50] [--seconds 5] [--size 64] [--depth 1] [--path /ws] [--plain]
 *
 * Its recv()s and send()s go to the kernel in io_uring batches (tcp_echo/sysbatch.h, the same
 * helper the servers' loop uses), so that it costs less per message than the servers it
 * measures; --plain makes one system call each.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "net.h"
#include "sysbatch.h"
#include "ws_frame.h"
#include "ws_handshake.h"
#include "ws_http.h"

typedef struct lconn {
    int fd;
    uint8_t in[65536];
    size_t in_len;
    uint64_t received, sent;
    uint8_t *out;   /* batched mode: `depth` copies of the message, the replacements' source */
    size_t out_len; /* batched mode: bytes of `out` handed to the kernel this round */
} lconn;

static int draining; /* the measurement is over: collect the echoes still due, send nothing */

static uint8_t frame[1024];
static size_t frame_len;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void fixed_key(void *user, uint8_t key[4])
{
    (void)user;
    memcpy(key, "\x12\x34\x56\x78", 4);
}

static int send_all(int fd, const void *p, size_t n)
{
    const uint8_t *b = p;
    while (n > 0) {
        ssize_t w = send(fd, b, n, MSG_NOSIGNAL);
        if (w < 0 && (errno == EINTR || errno == EAGAIN))
            continue; /* the socket buffer drains quickly on loopback */
        if (w < 0)
            return -1;
        b += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Blocking connect and handshake; returns the fd, or -1 with a message printed. */
static int open_ws(const char *host, int port, const char *path)
{
    char err[NET_ERR_LEN], req[512], key[WS_KEY_LEN + 1], hostport[300];
    int fd = net_connect(host, port, err, sizeof err);
    if (fd < 0) {
        fprintf(stderr, "ws_load: %s\n", err);
        return -1;
    }
    uint8_t nonce[16] = "wirelab-ws-load!";
    snprintf(hostport, sizeof hostport, "%s:%d", host, port);
    size_t n = ws_handshake_request(hostport, path, nonce, NULL, req, sizeof req, key);
    static ws_http resp;
    ws_http_init(&resp, WS_HTTP_RESPONSE);
    if (send_all(fd, req, n) < 0)
        return close(fd), -1;
    while (resp.result == WS_HTTP_MORE) {
        uint8_t b; /* one byte at a time: nothing of the first frame may be swallowed */
        if (recv(fd, &b, 1, 0) != 1)
            break;
        ws_http_feed(&resp, &b, 1);
    }
    char why[WS_ERR_LEN];
    if (ws_handshake_check_response(&resp, key, NULL, why, sizeof why) < 0) {
        fprintf(stderr, "ws_load: handshake with %s failed: %s\n", hostport, why);
        close(fd);
        return -1;
    }
    net_set_nonblocking(fd);
    net_set_nodelay(fd);
    return fd;
}

static int send_frames(lconn *c, size_t k)
{
    static uint8_t batch[sizeof frame * 64];
    while (k > 0) {
        size_t now = k < 64 ? k : 64;
        for (size_t i = 0; i < now; i++)
            memcpy(batch + i * frame_len, frame, frame_len);
        if (send_all(c->fd, batch, now * frame_len) < 0)
            return -1;
        c->sent += now;
        k -= now;
    }
    return 0;
}

/* r more bytes are in c->in: count the whole frames (echoes), drop them, keep a partial one. */
static size_t take_echoes(lconn *c, size_t r)
{
    c->in_len += r;
    size_t at = 0, echoes = 0;
    ws_frame_header h;
    while (ws_frame_describe(c->in + at, c->in_len - at, &h, NULL) == WS_HDR_OK &&
           h.payload_len <= c->in_len - at - h.header_len) {
        at += h.header_len + (size_t)h.payload_len;
        c->received++;
        echoes++;
    }
    memmove(c->in, c->in + at, c->in_len - at);
    c->in_len -= at;
    return echoes;
}

/* Read what arrived, send one new message per echo. */
static int on_readable(lconn *c)
{
    for (;;) {
        size_t room = sizeof c->in - c->in_len;
        ssize_t r = recv(c->fd, c->in + c->in_len, room, 0);
        if (r < 0 && (errno == EAGAIN || errno == EINTR))
            return 0;
        if (r <= 0)
            return -1;
        size_t echoes = take_echoes(c, (size_t)r);
        /* One new message per echo, all in one send(): the generator's cost per message
         * stays small, so the server, not the generator, sets the pace. */
        if (!draining && echoes && send_frames(c, echoes) < 0)
            return -1;
        /* A read that did not fill the room emptied the socket: stop here rather than pay
         * one more recv() just to hear EAGAIN (epoll is level-triggered and reports the
         * socket again if more arrives). */
        if ((size_t)r < room)
            return 0;
    }
}

/*
 * The same round with two system calls instead of two per connection: after epoll_wait,
 * every ready connection's recv() goes to the kernel in one io_uring_enter, then every
 * connection's replacement messages in another. On a virtual machine where a system call
 * costs about 1 us, a generator that makes two per message is as slow as the servers it
 * measures and becomes the limit; batched, it is not.
 */
_Noreturn static void batch_refused(void)
{
    fprintf(stderr, "ws_load: the kernel did not take a whole io_uring batch; run with --plain\n");
    exit(1);
}

static int batched_round(sysbatch *b, struct epoll_event *evs, int n, int depth)
{
    lconn *who[64];
    ssize_t res[64];
    for (int i = 0; i < n; i++) {
        lconn *c = who[i] = evs[i].data.ptr;
        sysbatch_recv(b, c->fd, c->in + c->in_len, sizeof c->in - c->in_len);
    }
    if (sysbatch_run(b, res) < 0)
        batch_refused();
    int sends = 0;
    for (int i = 0; i < n; i++) {
        lconn *c = who[i];
        if (res[i] == -EAGAIN)
            continue;
        if (res[i] <= 0)
            return -1;
        size_t echoes = take_echoes(c, (size_t)res[i]);
        if (draining || !echoes)
            continue;
        if (echoes > (size_t)depth) /* cannot happen: only `depth` are ever in flight */
            return -1;
        c->out_len = echoes * frame_len;
        c->sent += echoes;
        who[sends++] = c; /* sends <= i: this slot has been read already */
        sysbatch_send(b, c->fd, c->out, c->out_len);
    }
    if (sends == 0)
        return 0;
    if (sysbatch_run(b, res) < 0)
        batch_refused();
    for (int i = 0; i < sends; i++) {
        lconn *c = who[i];
        if (res[i] < 0 && res[i] != -EAGAIN)
            return -1;
        size_t done = res[i] < 0 ? 0 : (size_t)res[i]; /* a short send (rare): the rest now */
        if (done < c->out_len && send_all(c->fd, c->out + done, c->out_len - done) < 0)
            return -1;
    }
    return 0;
}

/* Every message sent must come back: a server that dropped echoes must not post a figure. */
static int drain(int ep, lconn *cs, int conns)
{
    draining = 1;
    for (double stop = now_s() + 3; now_s() < stop;) {
        uint64_t missing = 0;
        for (int i = 0; i < conns; i++)
            missing += cs[i].sent - cs[i].received;
        if (missing == 0)
            return 0;
        struct epoll_event evs[64];
        int n = epoll_wait(ep, evs, 64, 100);
        for (int i = 0; i < n; i++)
            if (on_readable(evs[i].data.ptr) < 0)
                break;
    }
    uint64_t missing = 0;
    for (int i = 0; i < conns; i++)
        missing += cs[i].sent - cs[i].received;
    fprintf(stderr, "ws_load: %llu messages were never echoed: the server lost them\n",
            (unsigned long long)missing);
    return -1;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: ws_load HOST PORT [--conns 50] [--seconds 5] [--size 64] "
                        "[--depth 1] [--path /ws] [--plain]\n");
        return 2;
    }
    const char *host = argv[1], *path = "/ws";
    int port = net_parse_port(argv[2]), conns = 50, depth = 1, plain = 0;
    double seconds = 5;
    size_t size = 64;
    for (int i = 3; i < argc; i += 2) {
        if (!strcmp(argv[i], "--plain")) {
            plain = 1;
            i--;
        } else if (i + 1 == argc)
            break;
        else if (!strcmp(argv[i], "--conns"))
            conns = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--seconds"))
            seconds = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--size"))
            size = (size_t)atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--depth"))
            depth = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--path"))
            path = argv[i + 1];
    }
    if (port <= 0 || conns < 1 || conns > 10000 || size > 900 || depth < 1 || seconds <= 0) {
        fprintf(stderr, "ws_load: bad arguments\n");
        return 2;
    }
    uint8_t payload[1024];
    memset(payload, 'm', size);
    frame_len = ws_encode_frame(frame, sizeof frame, 1, WS_OP_TEXT, payload, size, fixed_key, NULL);

    /* Batched system calls through io_uring unless --plain or the kernel refuses it. */
    char why[SYSBATCH_ERR_LEN];
    sysbatch *batch = plain ? NULL : sysbatch_new(64, why, sizeof why);
    int batched = batch != NULL;
    if (!plain && !batched)
        fprintf(stderr, "ws_load: no io_uring batches (%s): one system call each\n", why);

    lconn *cs = calloc((size_t)conns, sizeof *cs);
    int ep = epoll_create1(0);
    for (int i = 0; i < conns; i++) {
        if ((cs[i].fd = open_ws(host, port, path)) < 0)
            return 1;
        struct epoll_event ev = {EPOLLIN, {.ptr = &cs[i]}};
        epoll_ctl(ep, EPOLL_CTL_ADD, cs[i].fd, &ev);
        for (int d = 0; d < depth; d++)
            if (send_all(cs[i].fd, frame, frame_len) == 0)
                cs[i].sent++;
        if (batched) {
            cs[i].out = malloc((size_t)depth * frame_len);
            for (int d = 0; d < depth; d++)
                memcpy(cs[i].out + (size_t)d * frame_len, frame, frame_len);
        }
    }
    /* A warm-up second, then count echoes over `seconds`. */
    double start = now_s(), t0 = 0, stop = start + 1 + seconds;
    uint64_t base = 0;
    for (double t = start; t < stop; t = now_s()) {
        struct epoll_event evs[64];
        int n = epoll_wait(ep, evs, 64, 100);
        int failed = 0;
        if (batched && n > 0)
            failed = batched_round(batch, evs, n, depth) < 0;
        for (int i = 0; !batched && i < n && !failed; i++)
            failed = on_readable(evs[i].data.ptr) < 0;
        if (failed) {
            fprintf(stderr, "ws_load: the server closed a connection\n");
            return 1;
        }
        if (t0 == 0 && t >= start + 1) {
            t0 = t;
            for (int i = 0; i < conns; i++)
                base += cs[i].received;
        }
    }
    uint64_t total = 0;
    for (int i = 0; i < conns; i++)
        total += cs[i].received;
    double took = now_s() - t0;
    if (drain(ep, cs, conns) < 0)
        return 1;
    /* The first figure is the rate; the last, every echo of the run (for messages per CPU
     * second of the server, which shared machines disturb less than wall-clock rates). */
    printf("%.0f msgs/s (%d connections, %zu-byte messages, depth %d, %.1f s, %s) %llu echoes\n",
           (double)(total - base) / took, conns, size, depth, took,
           batched ? "io_uring batches" : "plain recv/send", (unsigned long long)total);
    sysbatch_free(batch);
    return 0;
}
