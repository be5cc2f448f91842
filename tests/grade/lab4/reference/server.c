/*
 * server.c - lab 4's server (given): accepts one connection at a time on 127.0.0.1, reads the
 * HTTP request up to its empty line, finds Sec-WebSocket-Key, and sends what lab4_response
 * (your upgrade.c) writes. Then it keeps the connection open until the client closes it:
 * frames are lab 5's subject, so this server reads and ignores them.
 *
 *   ./server [PORT]       (PORT 0 or none: any free port; the port is printed)
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "upgrade.h"

#define REQUEST_MAX 8192 /* a longer request is refused (the connection is closed) */

/* Read until the empty line that ends the headers. Returns the length, or -1. */
static long read_request(int fd, char *buf, size_t cap)
{
    size_t have = 0;
    while (have + 1 < cap) {
        ssize_t n = recv(fd, buf + have, cap - 1 - have, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        have += (size_t)n;
        buf[have] = '\0';
        char *end = strstr(buf, "\r\n\r\n");
        if (end)
            return (long)(end - buf) + 4;
    }
    return -1;
}

/* The value of Sec-WebSocket-Key (header names ignore case), or NULL. */
static const char *find_key(char *req, size_t *len)
{
    for (char *line = strstr(req, "\r\n"); line && line[2] != '\r';
         line = strstr(line + 2, "\r\n")) {
        char *name = line + 2, *colon = strchr(name, ':'), *eol = strstr(name, "\r\n");
        if (!colon || !eol || colon > eol || strncasecmp(name, "Sec-WebSocket-Key:", 18) != 0)
            continue;
        char *v = colon + 1;
        while (*v == ' ' || *v == '\t')
            v++;
        char *e = eol;
        while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
        *len = (size_t)(e - v);
        return v;
    }
    return NULL;
}

static void serve(int fd)
{
    char req[REQUEST_MAX], resp[1024], junk[4096];
    size_t key_len = 0;
    const char *key = read_request(fd, req, sizeof req) > 0 ? find_key(req, &key_len) : NULL;
    if (!key) {
        fprintf(stderr, "server: a request without Sec-WebSocket-Key; closing it\n");
        return;
    }
    size_t n = lab4_response(key, key_len, resp, sizeof resp);
    printf("server: key %.*s -> %zu bytes of response\n", (int)key_len, key, n);
    fflush(stdout);
    for (size_t off = 0; off < n;) {
        ssize_t w = send(fd, resp + off, n - off, MSG_NOSIGNAL);
        if (w <= 0)
            return;
        off += (size_t)w;
    }
    while (recv(fd, junk, sizeof junk, 0) > 0)
        ; /* frames: ignored until the client closes */
}

int main(int argc, char **argv)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    a.sin_port = htons((unsigned short)(argc > 1 ? atoi(argv[1]) : 0));
    socklen_t alen = sizeof a;
    int one = 1, ls = socket(AF_INET, SOCK_STREAM, 0);
    if (ls < 0 || setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(ls, (struct sockaddr *)&a, sizeof a) != 0 || listen(ls, 16) != 0 ||
        getsockname(ls, (struct sockaddr *)&a, &alen) != 0) {
        perror("server: cannot listen (is the port in use? try another, or 0)");
        return 1;
    }
    printf("server: listening on 127.0.0.1 port %u\n", ntohs(a.sin_port));
    fflush(stdout);
    for (;;) {
        int fd = accept(ls, NULL, NULL);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            perror("server: accept");
            return 1;
        }
        serve(fd);
        close(fd);
    }
}
