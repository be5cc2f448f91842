/*
 * ref_echo.c - the reference for bench/tcp_echo: the smallest correct epoll echo loop.
 *
 * No buffering, no backpressure, no logging: read into a stack buffer and write it back,
 * blocking the write if the kernel's buffer is full. It is the floor the benchmark holds
 * tcp_echo_server against ("within 10% of a minimal epoll echo loop"): anything the real
 * server does on top (per-connection queues, stats, traces) must cost almost nothing.
 *
 *   ref_echo PORT
 */
#define _GNU_SOURCE
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    int port = argc > 1 ? atoi(argv[1]) : 7100;
    int ls = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (bind(ls, (struct sockaddr *)&a, sizeof a) < 0 || listen(ls, SOMAXCONN) < 0) {
        perror("ref_echo: bind/listen");
        return 1;
    }
    printf("ref_echo: listening on 127.0.0.1 port %d\n", port);
    fflush(stdout);
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = ls}, evs[256];
    epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
    static char buf[65536];
    for (;;) {
        int n = epoll_wait(ep, evs, 256, -1);
        for (int i = 0; i < n; i++) {
            int fd = evs[i].data.fd;
            if (fd == ls) {
                int c = accept4(ls, NULL, NULL, 0);
                if (c < 0)
                    continue;
                setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                struct epoll_event cev = {.events = EPOLLIN, .data.fd = c};
                epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev);
                continue;
            }
            ssize_t r = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
            if (r <= 0) {
                close(fd);
                continue;
            }
            for (ssize_t off = 0, w; off < r; off += w)
                if ((w = send(fd, buf + off, (size_t)(r - off), MSG_NOSIGNAL)) <= 0)
                    break;
        }
    }
}
