/*
 * loadgen.c - the load generator of bench/events/run, the same program for events_server and
 * for Node's socket.io server, so both are measured with the same client cost.
 *
 * What it measures: how fast a Socket.IO server delivers a room broadcast to many clients,
 * and how long one emit/ack round trip takes while many clients are connected beside it.
 * Each client speaks Engine.IO v4 over a raw WebSocket (no polling, no upgrade):
 *
 *   GET /socket.io/?EIO=4&transport=websocket   -> 101, then in WebSocket text frames:
 *   server 0{"sid":...}   client 40               (Socket.IO CONNECT to "/")
 *   server 40{"sid":...}  client 420["join","bench"]
 *   server 430[...]       (the join's ack: the client is in room "bench")
 *   server 2              client 3                (Engine.IO heartbeat: keeps the session up)
 *
 * and then counts frames without decoding their JSON: a broadcast `42["said",...]` is
 * recognised by its first bytes. One thread, one epoll loop, non-blocking sockets, one large
 * read buffer shared by all connections (a frame cut by the end of a read waits in its
 * connection's small carry buffer), frame headers read with ws_handshake's bounds-checked
 * ws_frame_describe.
 *
 *   loadgen broadcast PORT CLIENTS MESSAGES  CLIENTS join room "bench"; one of them sends
 *                                            MESSAGES `say` events at once (pipelined); every
 *                                            client must receive all MESSAGES "said" events.
 *                                            Prints ... events_per_s=N loadgen_cpu_ms=N
 *   loadgen paced PORT CLIENTS MESSAGES      the same, one event at a time: the next `say`
 *                                            leaves when every client has the previous one.
 *                                            Also prints p50_us=N p99_us=N: per message, from
 *                                            its send to the last client's receipt
 *   loadgen latency PORT CLIENTS ROUNDS      CLIENTS joined and idle; one more client does
 *                                            ROUNDS sequential emit("echo", i, "payload", ack).
 *                                            Prints ... p50_us=N p99_us=N max_us=N
 *   loadgen idle PORT CLIENTS SECONDS        CLIENTS connect, join, and stay SECONDS (answering
 *                                            pings). Prints connected=N
 * PORT may be two ports, A,B (bench/events_cluster/run): the clients alternate between the two
 * servers (the first, the sender, on A), so every broadcast crosses the servers' adapter.
 * Figures go to stdout as key=value on one line; on failure a line error=... and exit 1.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "net.h"
#include "ws_frame.h"
#include "ws_handshake.h"
#include "ws_http.h"

#define LG_PATH      "/socket.io/?EIO=4&transport=websocket"
#define LG_RBUF      (256u * 1024) /* one read takes up to this much */
#define LG_MAX_FRAME (64u * 1024)  /* a larger frame from the server is an error here */
#define LG_BATCH     50            /* handshakes in progress at once: no flood of SYNs */

typedef enum lg_state {
    LG_UPGRADING,  /* HTTP upgrade sent, waiting for 101 */
    LG_OPENING,    /* waiting for Engine.IO open (0{...}) */
    LG_CONNECTING, /* Socket.IO CONNECT sent, waiting for 40 */
    LG_JOINING,    /* join sent, waiting for its ack 430 */
    LG_READY,      /* in room "bench" */
} lg_state;

typedef struct lg_conn {
    int fd, port; /* port: the server it talks to (two servers: A or B) */
    lg_state state;
    ws_http *resp; /* the 101 being read (upgrading only: 8 KiB, freed after) */
    char key[WS_KEY_LEN + 1];
    uint8_t *carry; /* the start of a frame the last read cut off */
    size_t carry_len, carry_cap;
    uint8_t *out; /* bytes the kernel did not take yet */
    size_t out_len, out_cap;
    int polling_out; /* EPOLLOUT is on */
    uint64_t said;   /* "said" events received */
    uint64_t acks;   /* ACK packets (43...) received */
} lg_conn;

typedef struct lg {
    int ep, port, port2; /* port2: 0, or the second server's (clients alternate) */
    lg_conn *conns;
    size_t nconns, opened, ready;
    uint64_t said; /* over all connections */
    uint64_t rng;  /* xorshift64 state: masking keys and nonces */
    char err[512];
    uint8_t rbuf[LG_RBUF];
} lg;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int fail(lg *g, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g->err, sizeof g->err, fmt, ap);
    va_end(ap);
    return -1;
}

static const char *state_name(lg_state s)
{
    static const char *const names[] = {"upgrading", "opening", "connecting", "joining", "ready"};
    return names[s];
}

/* fail() for one connection: says which client, on which server, in which state, so a lost
 * client in a run of 1,000 can be found in that server's log. */
static int conn_fail(lg *g, const lg_conn *c, const char *fmt, ...)
{
    int k = snprintf(g->err, sizeof g->err,
                     "client %zu of %zu (server port %d, %s, %llu said): ", (size_t)(c - g->conns),
                     g->nconns, c->port, state_name(c->state), (unsigned long long)c->said);
    size_t at = k < 0 ? 0 : (size_t)k < sizeof g->err ? (size_t)k : sizeof g->err - 1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g->err + at, sizeof g->err - at, fmt, ap);
    va_end(ap);
    return -1;
}

static uint64_t next_rand(lg *g)
{
    g->rng ^= g->rng << 13;
    g->rng ^= g->rng >> 7;
    g->rng ^= g->rng << 17;
    return g->rng;
}

/* A fresh masking key for every client frame (RFC 6455 5.3); cheap, not cryptographic. */
static void mask_key(void *user, uint8_t key[4])
{
    uint64_t r = next_rand(user);
    memcpy(key, &r, 4);
}

static int grow(uint8_t **buf, size_t *cap, size_t need)
{
    if (need <= *cap)
        return 0;
    size_t ncap = *cap ? *cap : 256;
    while (ncap < need)
        ncap *= 2;
    uint8_t *nb = realloc(*buf, ncap);
    if (nb == NULL)
        return -1;
    *buf = nb;
    *cap = ncap;
    return 0;
}

static void watch(lg *g, lg_conn *c, int out)
{
    struct epoll_event ev = {.events = EPOLLIN | (out ? EPOLLOUT : 0u), .data.ptr = c};
    epoll_ctl(g->ep, EPOLL_CTL_MOD, c->fd, &ev);
    c->polling_out = out;
}

/* send() what is queued; what the kernel does not take waits for EPOLLOUT. */
static int flush_out(lg *g, lg_conn *c)
{
    size_t at = 0;
    while (at < c->out_len) {
        ssize_t w = send(c->fd, c->out + at, c->out_len - at, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (w < 0)
            return conn_fail(g, c, "send to the server failed: %s", strerror(errno));
        at += (size_t)w;
    }
    memmove(c->out, c->out + at, c->out_len - at);
    c->out_len -= at;
    if ((c->out_len > 0) != c->polling_out)
        watch(g, c, c->out_len > 0);
    return 0;
}

static int queue_bytes(lg *g, lg_conn *c, const void *data, size_t len)
{
    if (grow(&c->out, &c->out_cap, c->out_len + len) < 0)
        return fail(g, "out of memory");
    memcpy(c->out + c->out_len, data, len);
    c->out_len += len;
    return flush_out(g, c);
}

/* One masked text frame (clients must mask, RFC 6455 5.3). */
static int send_text(lg *g, lg_conn *c, const char *text)
{
    uint8_t frame[WS_MAX_HEADER + 256];
    size_t n = ws_encode_frame(frame, sizeof frame, 1, WS_OP_TEXT, (const uint8_t *)text,
                               strlen(text), mask_key, g);
    if (n == 0)
        return fail(g, "message too long for one frame here: %s", text);
    return queue_bytes(g, c, frame, n);
}

static int starts(const uint8_t *p, size_t n, const char *prefix)
{
    size_t k = strlen(prefix);
    return n >= k && memcmp(p, prefix, k) == 0;
}

/* One Engine.IO packet from the server (a text frame's payload). */
static int on_text(lg *g, lg_conn *c, const uint8_t *p, size_t n)
{
    if (n == 1 && p[0] == '2') /* ping: answer pong, or the server closes us */
        return send_text(g, c, "3");
    if (starts(p, n, "42[\"said\"")) { /* the broadcast: counted, never decoded */
        c->said++;
        g->said++;
        return 0;
    }
    if (starts(p, n, "43")) {
        c->acks++;
        if (c->state == LG_JOINING) {
            c->state = LG_READY;
            g->ready++;
        }
        return 0;
    }
    if (c->state == LG_OPENING && starts(p, n, "0{")) {
        c->state = LG_CONNECTING;
        return send_text(g, c, "40");
    }
    if (c->state == LG_CONNECTING && starts(p, n, "40")) {
        c->state = LG_JOINING;
        return send_text(g, c, "420[\"join\",\"bench\"]");
    }
    if (starts(p, n, "44") || (n == 1 && p[0] == '1'))
        return conn_fail(g, c, "the server refused or closed the session: %.*s",
                         (int)(n < 80 ? n : 80), p);
    return 0; /* welcome, acks of say, ...: not counted */
}

/* Every whole frame in buf[0..len); returns the bytes used (a cut frame stays), or -1. */
static long take_frames(lg *g, lg_conn *c, const uint8_t *buf, size_t len)
{
    size_t at = 0;
    ws_frame_header h;
    while (ws_frame_describe(buf + at, len - at, &h, NULL) == WS_HDR_OK) {
        if (h.masked || !h.fin || ws_frame_header_check(&h, WS_ROLE_CLIENT) != WS_OK)
            return conn_fail(
                g, c, "the server broke a WebSocket rule (masked, fragmented or bad header)");
        if (h.payload_len > LG_MAX_FRAME)
            return conn_fail(g, c, "a %llu-byte frame: larger than this generator expects",
                             (unsigned long long)h.payload_len);
        /* describe guarantees header_len <= len - at; so this cannot underflow */
        if (h.payload_len > len - at - h.header_len)
            break;
        const uint8_t *p = buf + at + h.header_len;
        size_t n = (size_t)h.payload_len;
        at += h.header_len + n;
        int rc = 0;
        if (h.opcode == WS_OP_TEXT)
            rc = on_text(g, c, p, n);
        else if (h.opcode == WS_OP_PING) {
            uint8_t pong[WS_MAX_HEADER + WS_MAX_CONTROL];
            size_t k = ws_encode_frame(pong, sizeof pong, 1, WS_OP_PONG, p, n, mask_key, g);
            rc = queue_bytes(g, c, pong, k);
        } else if (h.opcode == WS_OP_CLOSE) /* code (2 bytes, big-endian) and reason, if any */
            rc = conn_fail(g, c,
                           "the server closed the WebSocket: close frame, code %u, reason '%.*s'",
                           n >= 2 ? (unsigned)p[0] << 8 | p[1] : 1005u, n > 2 ? (int)(n - 2) : 0,
                           (const char *)p + 2);
        if (rc < 0)
            return -1;
    }
    return (long)at;
}

/* The 101: feed the HTTP reader; bytes after the head are already frames. */
static long take_upgrade(lg *g, lg_conn *c, const uint8_t *buf, size_t len)
{
    size_t used = ws_http_feed(c->resp, buf, len);
    if (c->resp->result == WS_HTTP_MORE)
        return (long)used;
    char why[WS_ERR_LEN] = "not an HTTP response";
    if (c->resp->result != WS_HTTP_DONE ||
        ws_handshake_check_response(c->resp, c->key, NULL, why, sizeof why) < 0)
        return conn_fail(g, c, "WebSocket handshake failed: %s", why);
    free(c->resp);
    c->resp = NULL;
    c->state = LG_OPENING;
    long more = take_frames(g, c, buf + used, len - used);
    return more < 0 ? -1 : (long)used + more;
}

/* Read until the socket is empty: the carry first, then up to LG_RBUF bytes per recv. */
static int on_readable(lg *g, lg_conn *c)
{
    for (;;) {
        size_t have = c->carry_len;
        if (have > 0) /* no carry yet: c->carry is NULL, and memcpy(NULL, 0) is undefined */
            memcpy(g->rbuf, c->carry, have);
        ssize_t r = recv(c->fd, g->rbuf + have, LG_RBUF - have, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        if (r <= 0)
            return conn_fail(g, c, "the connection ended without a close frame (%s)",
                             r == 0 ? "FIN" : strerror(errno));
        size_t len = have + (size_t)r;
        long used = c->state == LG_UPGRADING ? take_upgrade(g, c, g->rbuf, len)
                                             : take_frames(g, c, g->rbuf, len);
        if (used < 0)
            return -1;
        c->carry_len = len - (size_t)used; /* < LG_MAX_FRAME + header: fits the read buffer */
        if (grow(&c->carry, &c->carry_cap, c->carry_len) < 0)
            return fail(g, "out of memory");
        if (c->carry_len > 0)
            memcpy(c->carry, g->rbuf + used, c->carry_len);
        if ((size_t)r < LG_RBUF - have) /* a short read: the socket is (almost surely) empty */
            return 0;
    }
}

/* Connect one more client (a blocking connect: on loopback it returns at once). */
static int open_one(lg *g)
{
    lg_conn *c = &g->conns[g->opened];
    char err[NET_ERR_LEN], host[32], req[512];
    int port = (g->port2 != 0 && g->opened % 2 == 1) ? g->port2 : g->port;
    c->port = port;
    c->fd = net_connect("127.0.0.1", port, err, sizeof err);
    if (c->fd < 0)
        return fail(g, "connection %zu: %s", g->opened, err);
    g->opened++;
    net_set_nonblocking(c->fd);
    net_set_nodelay(c->fd);
    c->resp = malloc(sizeof *c->resp);
    if (c->resp == NULL)
        return fail(g, "out of memory");
    ws_http_init(c->resp, WS_HTTP_RESPONSE);
    uint8_t nonce[16];
    for (int i = 0; i < 16; i += 8) {
        uint64_t r = next_rand(g);
        memcpy(nonce + i, &r, 8);
    }
    snprintf(host, sizeof host, "127.0.0.1:%d", port);
    size_t n = ws_handshake_request(host, LG_PATH, nonce, NULL, req, sizeof req, c->key);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
    if (epoll_ctl(g->ep, EPOLL_CTL_ADD, c->fd, &ev) < 0)
        return fail(g, "epoll_ctl: %s", strerror(errno));
    return queue_bytes(g, c, req, n);
}

/* Run the loop until done(g, arg) or the deadline. Returns 0, -1 (error), -2 (timeout). */
static int run_until(lg *g, int (*done)(lg *, void *), void *arg, double seconds)
{
    double end = now_s() + seconds;
    struct epoll_event evs[256];
    while (!done(g, arg)) {
        while (g->opened < g->nconns && g->opened - g->ready < LG_BATCH)
            if (open_one(g) < 0)
                return -1;
        double left = end - now_s();
        if (left <= 0)
            return -2;
        int n = epoll_wait(g->ep, evs, 256, left > 0.1 ? 100 : (int)(left * 1000) + 1);
        if (n < 0 && errno != EINTR)
            return fail(g, "epoll_wait: %s", strerror(errno));
        for (int i = 0; i < n; i++) {
            lg_conn *c = evs[i].data.ptr;
            if ((evs[i].events & EPOLLOUT) && flush_out(g, c) < 0)
                return -1;
            if ((evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) && on_readable(g, c) < 0)
                return -1;
        }
    }
    return 0;
}

static int all_ready(lg *g, void *arg)
{
    (void)arg;
    return g->ready == g->nconns;
}

static int never(lg *g, void *arg)
{
    (void)g;
    (void)arg;
    return 0;
}

static int said_reached(lg *g, void *want)
{
    return g->said >= *(uint64_t *)want;
}

static int ack_reached(lg *g, void *want)
{
    return g->conns[g->nconns - 1].acks >= *(uint64_t *)want;
}

/* How many clients of each server have fewer than `want` said events: who is behind. */
static void print_short(lg *g, uint64_t want)
{
    size_t on_a = 0, on_b = 0, first = g->nconns;
    for (size_t i = 0; i < g->nconns; i++)
        if (g->conns[i].said < want) {
            on_a += g->conns[i].port == g->port;
            on_b += g->conns[i].port != g->port;
            first = first < i ? first : i;
        }
    if (first < g->nconns)
        printf(" short_of_%llu: %zu on port %d, %zu on port %d, first client %zu with %llu",
               (unsigned long long)want, on_a, g->port, on_b, g->port2, first,
               (unsigned long long)g->conns[first].said);
}

static int report(lg *g, int rc, const char *what, uint64_t want)
{
    if (rc == -2) {
        printf("error=timeout while %s (ready=%zu of %zu, said=%llu)", what, g->ready, g->nconns,
               (unsigned long long)g->said);
        if (want > 0)
            print_short(g, want);
        printf("\n");
    } else
        printf("error=%s\n", g->err);
    fprintf(stderr, "loadgen: %s while %s\n", rc == -2 ? "timed out" : g->err, what);
    return 1;
}

/* The length of the whole frame at p (our own frames: always complete and valid). */
static size_t frame_size(const uint8_t *p, size_t avail)
{
    ws_frame_header h;
    if (ws_frame_describe(p, avail, &h, NULL) != WS_HDR_OK)
        return avail;
    return h.header_len + (size_t)h.payload_len;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Sorts us[0..n) and prints " p50_us=N p99_us=N max_us=N" (n >= 1). */
static void print_percentiles(double *us, size_t n)
{
    qsort(us, n, sizeof *us, cmp_double);
    size_t p50 = n / 2, p99 = (size_t)((double)n * 0.99);
    if (p99 >= n)
        p99 = n - 1;
    printf(" p50_us=%.0f p99_us=%.0f max_us=%.0f", us[p50], us[p99], us[n - 1]);
}

/*
 * Broadcast MESSAGES `say` events from the first client to the room of all. Pipelined: every
 * frame written at once, as fast as TCP takes them (a burst). Paced: one at a time, the next
 * only when every client has the previous one (each event travels alone: no batching helps).
 */
static int broadcast(lg *g, size_t messages, int paced)
{
    int rc = run_until(g, all_ready, NULL, 60);
    if (rc == 0)
        rc = run_until(g, never, NULL, 0.5); /* let the welcome events and acks settle */
    if (rc == -1)
        return report(g, rc, "connecting", 0);
    g->said = 0;
    for (size_t i = 0; i < g->nconns; i++)
        g->conns[i].said = 0;
    /* every say frame in one buffer: the sender pipelines them, as fast as TCP takes them */
    uint8_t *all = malloc(messages * (WS_MAX_HEADER + 96)), frame[WS_MAX_HEADER + 96];
    size_t len = 0;
    for (size_t i = 0; all && i < messages; i++) {
        char text[96];
        snprintf(text, sizeof text, "42%zu[\"say\",\"bench\",\"message %zu\"]", i + 1, i);
        size_t n = ws_encode_frame(frame, sizeof frame, 1, WS_OP_TEXT, (const uint8_t *)text,
                                   strlen(text), mask_key, g);
        memcpy(all + len, frame, n);
        len += n;
    }
    if (all == NULL)
        return fail(g, "out of memory"), report(g, -1, "preparing", 0);
    uint64_t want = (uint64_t)g->nconns * messages;
    double *lat = paced ? malloc(messages * sizeof *lat) : NULL;
    if (paced && lat == NULL)
        return free(all), fail(g, "out of memory"), report(g, -1, "preparing", 0);
    double t0 = now_s();
    uint64_t each = messages; /* what every client must have when the wait ends */
    if (paced) {
        rc = 0;
        for (size_t i = 0, at = 0; i < messages && rc == 0; i++) {
            size_t n = frame_size(all + at, len - at);
            uint64_t due = (uint64_t)g->nconns * (i + 1);
            each = i + 1;
            double sent = now_s();
            rc = queue_bytes(g, &g->conns[0], all + at, n);
            if (rc == 0)
                rc = run_until(g, said_reached, &due, 10);
            lat[i] = (now_s() - sent) * 1e6; /* send to the last client's receipt */
            at += n;
        }
    } else {
        rc = queue_bytes(g, &g->conns[0], all, len);
        if (rc == 0)
            rc = run_until(g, said_reached, &want, 120);
    }
    free(all);
    double secs = now_s() - t0;
    if (rc < 0)
        return free(lat), report(g, rc, "broadcasting", each);
    size_t wrong = 0; /* g->said is a total: one client's surplus could hide another's loss */
    for (size_t i = 0; i < g->nconns; i++)
        wrong += g->conns[i].said != messages;
    if (wrong) {
        printf("error=%zu_clients_did_not_get_exactly_%zu", wrong, messages);
        print_short(g, messages);
        printf("\n");
        free(lat);
        return 1;
    }
    struct rusage ru; /* our own CPU time: is the generator, not the server, the limit? */
    getrusage(RUSAGE_SELF, &ru);
    double cpu = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                 (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
    printf("clients=%zu messages=%zu delivered=%llu seconds=%.3f events_per_s=%.0f "
           "loadgen_cpu_ms=%.0f",
           g->nconns, messages, (unsigned long long)g->said, secs, (double)g->said / secs,
           cpu * 1000);
    if (lat != NULL)
        print_percentiles(lat, messages);
    printf("\n");
    free(lat);
    return 0;
}

/* The last connection is the probe; the others are the idle crowd beside it. */
static int latency(lg *g, size_t rounds)
{
    int rc = run_until(g, all_ready, NULL, 60);
    if (rc < 0)
        return report(g, rc, "connecting", 0);
    lg_conn *probe = &g->conns[g->nconns - 1];
    double *rtt = malloc((rounds ? rounds : 1) * sizeof *rtt);
    if (rtt == NULL)
        return fail(g, "out of memory"), report(g, -1, "preparing", 0);
    for (size_t i = 0; i < rounds && rc == 0; i++) {
        char text[96];
        uint64_t want = probe->acks + 1;
        snprintf(text, sizeof text, "42%zu[\"echo\",%zu,\"payload\"]", 100 + i, i);
        double t0 = now_s();
        rc = send_text(g, probe, text);
        if (rc == 0)
            rc = run_until(g, ack_reached, &want, 10);
        rtt[i] = (now_s() - t0) * 1e6;
    }
    if (rc < 0) {
        free(rtt);
        return report(g, rc, "measuring round trips", 0);
    }
    printf("rounds=%zu", rounds);
    print_percentiles(rtt, rounds);
    printf("\n");
    free(rtt);
    return 0;
}

static int idle(lg *g, size_t seconds)
{
    int rc = run_until(g, all_ready, NULL, 60);
    if (rc < 0)
        return report(g, rc, "connecting", 0);
    printf("connected=%zu\n", g->nconns);
    fflush(stdout);
    rc = run_until(g, never, NULL, (double)seconds);
    return rc == -1 ? report(g, rc, "idling", 0) : 0;
}

static int parse_size(const char *s, size_t max, size_t *out)
{
    char *end;
    if (s == NULL || *s < '0' || *s > '9')
        return -1;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end != '\0' || v == 0 || v > max)
        return -1;
    *out = (size_t)v;
    return 0;
}

int main(int argc, char **argv)
{
    size_t clients, count;
    char *comma = argc == 5 ? strchr(argv[2], ',') : NULL;
    int port2 = comma != NULL ? net_parse_port(comma + 1) : 0;
    if (comma != NULL)
        *comma = '\0'; /* "A,B": two servers, the clients alternate */
    int port = argc == 5 ? net_parse_port(argv[2]) : -1;
    if (argc != 5 || port <= 0 || port2 < 0 || parse_size(argv[3], 60000, &clients) < 0 ||
        parse_size(argv[4], 10000000, &count) < 0 ||
        (strcmp(argv[1], "broadcast") && strcmp(argv[1], "paced") && strcmp(argv[1], "latency") &&
         strcmp(argv[1], "idle"))) {
        fprintf(stderr, "usage: loadgen broadcast|paced|latency|idle PORT[,PORT2] CLIENTS COUNT\n"
                        "  PORT,PORT2: the clients alternate between two servers;\n"
                        "  broadcast, paced: COUNT = messages (all at once, or one at a time);\n"
                        "  latency: COUNT = rounds; idle: COUNT = seconds\n");
        return 2;
    }
    lg *g = calloc(1, sizeof *g);
    int latency_mode = strcmp(argv[1], "latency") == 0;
    if (g == NULL)
        return 1;
    g->port = port;
    g->port2 = port2;
    g->nconns = clients + (latency_mode ? 1 : 0);
    g->conns = calloc(g->nconns, sizeof *g->conns);
    g->ep = epoll_create1(0);
    if (getrandom(&g->rng, sizeof g->rng, 0) != (ssize_t)sizeof g->rng || g->rng == 0)
        g->rng = 0x9e3779b97f4a7c15ull;
    if (g->conns == NULL || g->ep < 0) {
        fprintf(stderr, "loadgen: out of memory or no epoll\n");
        return 1;
    }
    int rc;
    if (latency_mode)
        rc = latency(g, count);
    else if (strcmp(argv[1], "broadcast") == 0 || strcmp(argv[1], "paced") == 0)
        rc = broadcast(g, count, strcmp(argv[1], "paced") == 0);
    else
        rc = idle(g, count);
    for (size_t i = 0; i < g->opened; i++) {
        close(g->conns[i].fd);
        free(g->conns[i].resp);
        free(g->conns[i].carry);
        free(g->conns[i].out);
    }
    free(g->conns);
    close(g->ep);
    free(g);
    return rc;
}
