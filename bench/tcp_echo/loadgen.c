/*
 * loadgen.c - the load generator bench/tcp_echo drives every echo server with (ours and the
 * peers), so each figure is measured the same way.
 *
 *   loadgen bulk       PORT SECONDS           one connection, 64 KiB writes: echoed MB/s
 *   loadgen pingpong   PORT ROUNDS            64-byte ping-pong: p50/p99 round trip in us
 *   loadgen concurrent PORT CLIENTS SECONDS   64-byte ping-pong on each: round trips/s
 *   loadgen idle       PORT CONNS SECONDS     open CONNS connections and hold them
 *
 * Output is one line of "key=value" pairs for bench/tcp_echo/run to read. 127.0.0.1 only.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int dial(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        fprintf(stderr, "loadgen: cannot connect to 127.0.0.1:%d: %s\n", port, strerror(errno));
        exit(1);
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

static void read_exact(int fd, char *b, size_t n)
{
    for (size_t got = 0; got < n;) {
        ssize_t r = recv(fd, b + got, n - got, 0);
        if (r <= 0) {
            fprintf(stderr, "loadgen: the server closed the connection\n");
            exit(1);
        }
        got += (size_t)r;
    }
}

/* One connection, writes and reads interleaved through epoll, for `secs` seconds. */
static void bulk(int port, double secs)
{
    int fd = dial(port), ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.fd = fd}, out;
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    static char wbuf[65536], rbuf[65536];
    memset(wbuf, 'b', sizeof wbuf);
    double t0 = now_s(), end = t0 + secs;
    unsigned long long echoed = 0;
    while (now_s() < end) {
        if (epoll_wait(ep, &out, 1, 100) <= 0)
            continue;
        if (out.events & EPOLLOUT)
            send(fd, wbuf, sizeof wbuf, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (out.events & EPOLLIN) {
            ssize_t r = recv(fd, rbuf, sizeof rbuf, MSG_DONTWAIT);
            if (r > 0)
                echoed += (unsigned long long)r;
        }
    }
    printf("mb_per_s=%.1f\n", (double)echoed / 1e6 / (now_s() - t0));
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void pingpong(int port, long rounds)
{
    int fd = dial(port);
    double *us = malloc(sizeof *us * (size_t)rounds);
    char msg[64], back[64];
    memset(msg, 'p', sizeof msg);
    for (long i = 0; i < rounds; i++) {
        double t = now_s();
        send(fd, msg, sizeof msg, MSG_NOSIGNAL);
        read_exact(fd, back, sizeof back);
        us[i] = (now_s() - t) * 1e6;
    }
    qsort(us, (size_t)rounds, sizeof *us, cmp_double);
    printf("p50_us=%.1f p99_us=%.1f\n", us[rounds / 2], us[rounds * 99 / 100]);
    free(us);
}

/* CLIENTS connections, each always has one 64-byte message in flight. */
static void concurrent(int port, int clients, double secs)
{
    int ep = epoll_create1(0);
    char msg[64], back[64];
    memset(msg, 'c', sizeof msg);
    int *got = calloc((size_t)clients, sizeof *got);
    for (int i = 0; i < clients; i++) {
        int fd = dial(port);
        struct epoll_event ev = {.events = EPOLLIN, .data.u64 = ((uint64_t)i << 32) | (uint32_t)fd};
        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
        send(fd, msg, sizeof msg, MSG_NOSIGNAL);
    }
    struct epoll_event evs[256];
    unsigned long long rounds = 0;
    double t0 = now_s(), end = t0 + secs;
    while (now_s() < end) {
        int n = epoll_wait(ep, evs, 256, 100);
        for (int k = 0; k < n; k++) {
            int fd = (int)(uint32_t)evs[k].data.u64, i = (int)(evs[k].data.u64 >> 32);
            ssize_t r = recv(fd, back, sizeof back - (size_t)got[i], MSG_DONTWAIT);
            if (r <= 0)
                continue;
            got[i] += (int)r;
            if (got[i] == (int)sizeof back) { /* whole echo back: one round trip done */
                got[i] = 0;
                rounds++;
                send(fd, msg, sizeof msg, MSG_NOSIGNAL);
            }
        }
    }
    printf("round_trips_per_s=%.0f\n", (double)rounds / (now_s() - t0));
    free(got);
}

static void idle(int port, int conns, double secs)
{
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    for (int i = 0; i < conns; i++)
        dial(port);
    printf("held=%d\n", conns);
    fflush(stdout);
    struct timespec ts = {.tv_sec = (time_t)secs};
    nanosleep(&ts, NULL);
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: loadgen bulk|pingpong|concurrent|idle PORT ARG [SECONDS]\n");
        return 2;
    }
    int port = atoi(argv[2]);
    if (!strcmp(argv[1], "bulk"))
        bulk(port, atof(argv[3]));
    else if (!strcmp(argv[1], "pingpong"))
        pingpong(port, atol(argv[3]));
    else if (!strcmp(argv[1], "concurrent") && argc > 4)
        concurrent(port, atoi(argv[3]), atof(argv[4]));
    else if (!strcmp(argv[1], "idle") && argc > 4)
        idle(port, atoi(argv[3]), atof(argv[4]));
    else {
        fprintf(stderr, "loadgen: unknown mode '%s'\n", argv[1]);
        return 2;
    }
    return 0;
}
