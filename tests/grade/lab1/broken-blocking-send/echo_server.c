/*
 * echo_server.c - a deliberately broken lab 1 solution (tests/grade): a poll() loop that echoes
 * at once with a blocking send(): one client that never reads stops the whole server.
 * Fails "a client that never reads".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_CLIENTS 64
#define BUF_SIZE    65536

struct client {
    int fd; /* -1: a free slot */
    char buf[BUF_SIZE];
    size_t len;  /* bytes received and not yet echoed */
    size_t sent; /* of those, how many are already sent */
    int eof;     /* the client sent FIN: close once the buffer is echoed */
};

static struct client clients[MAX_CLIENTS];

static int set_nonblocking(int fd)
{
    int flags = fcntl(fd, F_GETFL, 0);
    return flags < 0 ? -1 : fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

static int open_listener(uint16_t port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(fd, 128) < 0 ||
        set_nonblocking(fd) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static void drop(struct client *c)
{
    close(c->fd);
    c->fd = -1;
}

static void on_accept(int lfd)
{
    int fd = accept(lfd, NULL, NULL);
    if (fd < 0)
        return;
    for (int i = 0; i < MAX_CLIENTS; i++) {
        if (clients[i].fd < 0) { /* the bug: the client's socket stays blocking */
            clients[i].fd = fd;
            clients[i].len = clients[i].sent = 0;
            clients[i].eof = 0;
            return;
        }
    }
    fprintf(stderr, "echo_server: %d clients already: refusing one more\n", MAX_CLIENTS);
    close(fd);
}

static void on_readable(struct client *c)
{
    ssize_t n = recv(c->fd, c->buf, sizeof c->buf, 0);
    if (n == 0) {
        c->eof = 1;
        return;
    }
    if (n < 0) {
        drop(c);
        return;
    }
    /* the bug: echo at once with a blocking send(). It waits here while this client's
     * receive window is full, and the loop serves nobody else meanwhile. */
    for (ssize_t off = 0; off < n;) {
        ssize_t m = send(c->fd, c->buf + off, (size_t)(n - off), MSG_NOSIGNAL);
        if (m < 0) {
            drop(c);
            return;
        }
        off += m;
    }
}

int main(int argc, char **argv)
{
    long port = argc > 1 ? strtol(argv[1], NULL, 10) : 7007;
    if (port < 1 || port > 65535) {
        fprintf(stderr, "usage: echo_server [PORT]\n");
        return 2;
    }
    int lfd = open_listener((uint16_t)port);
    if (lfd < 0) {
        perror("echo_server: listen");
        return 1;
    }
    printf("listening on port %ld\n", port);
    fflush(stdout);
    for (int i = 0; i < MAX_CLIENTS; i++)
        clients[i].fd = -1;
    for (;;) {
        struct pollfd pfd[MAX_CLIENTS + 1];
        int who[MAX_CLIENTS + 1];
        nfds_t n = 0;
        pfd[n] = (struct pollfd){.fd = lfd, .events = POLLIN};
        who[n++] = -1;
        for (int i = 0; i < MAX_CLIENTS; i++) {
            struct client *c = &clients[i];
            if (c->fd < 0)
                continue;
            if (c->eof && c->len == 0) {
                drop(c);
                continue;
            }
            pfd[n] = (struct pollfd){.fd = c->fd, .events = c->len ? POLLOUT : POLLIN};
            who[n++] = i;
        }
        if (poll(pfd, n, -1) < 0) {
            if (errno == EINTR)
                continue;
            perror("echo_server: poll");
            return 1;
        }
        for (nfds_t k = 0; k < n; k++) {
            if (!pfd[k].revents)
                continue;
            if (who[k] < 0) {
                on_accept(lfd);
            } else if (clients[who[k]].fd >= 0) {
                struct client *c = &clients[who[k]];
                on_readable(c);
            }
        }
    }
}
