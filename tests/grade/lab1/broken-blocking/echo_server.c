/*
 * echo_server.c - a deliberately broken lab 1 solution (tests/grade): part A finished: one client
 * at a time (accept, then recv/send until that client leaves). Fails "many clients".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUF_SIZE 65536

/*
 * TODO 1: return a socket listening on 127.0.0.1:port, or -1 (errno says why).
 *   socket(AF_INET, SOCK_STREAM, 0); setsockopt(SO_REUSEADDR) so a restart can bind at once;
 *   a struct sockaddr_in with htons(port) and htonl(INADDR_LOOPBACK); bind(); listen().
 */
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
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(fd, 128) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/*
 * TODO 3: echo one client until it closes its side.
 *   recv() into a buffer: n > 0 bytes arrived (maybe fewer than were sent: a byte stream has
 *   no message boundaries); 0 is the client's FIN; -1 an error.
 *   send() those n bytes back: send() may send fewer than asked, so loop until all are sent.
 *   Pass MSG_NOSIGNAL, so a client that is gone makes send() fail (EPIPE) instead of killing
 *   the server with SIGPIPE.
 */
static void serve_client(int fd)
{
    char buf[BUF_SIZE];
    for (;;) {
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n <= 0)
            return;
        for (ssize_t off = 0; off < n;) {
            ssize_t m = send(fd, buf + off, (size_t)(n - off), MSG_NOSIGNAL);
            if (m < 0)
                return;
            off += m;
        }
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
        fprintf(stderr, "echo_server: cannot listen on port %ld: %s\n", port, strerror(errno));
        return 1;
    }
    printf("listening on port %ld\n", port);
    fflush(stdout);
    for (;;) {
        /* TODO 2: accept() the next client (the kernel has done its handshake already). */
        int fd = accept(lfd, NULL, NULL);
        if (fd < 0) {
            fprintf(stderr, "echo_server: accept: %s\n", strerror(errno));
            return 1;
        }
        serve_client(fd);
        close(fd); /* our FIN: the client's recv() returns 0 */
    }
}
