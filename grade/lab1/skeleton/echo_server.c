/*
 * echo_server.c - lab 1, your turn: a TCP echo server from socket(), bind(), listen(),
 * accept(), recv() and send(). Whatever a client sends, the server sends back.
 *
 * Part A: fill in the TODOs below. That gives a server that serves one client at a time.
 * Part B: `./wirelab grade 1` will show why that is not enough; then serve every client from
 *         one poll() loop (the task says how; tcp_echo/loop.c is the project's own version).
 *
 * Build: make              Run: ./echo_server 7007        Try: build/bin/tcp_echo_client --message
 * hi Grade: ./wirelab grade 1 (it builds with make and runs ./echo_server PORT itself)
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
    (void)port;
    errno = ENOSYS; /* "not implemented": remove when done */
    return -1;
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
    (void)buf;
    (void)fd;
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
        int fd = -1;
        if (fd < 0) {
            fprintf(stderr, "echo_server: accept: %s\n", strerror(errno));
            return 1;
        }
        serve_client(fd);
        close(fd); /* our FIN: the client's recv() returns 0 */
    }
}
