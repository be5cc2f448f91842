/*
 * consumer.c - lab 7, broken on purpose: a consumer that PULLs and prints each job but never
 * ACKs it, so every job stays in flight at the broker (the grader must say so). It takes COUNT
 * jobs from QUEUE, one at a time: PULL, wait for the MSG line, print the job; no ACK.
 * The protocol is in queue/README.md ("The protocol"); the broker's side is queue/broker.c.
 *
 *   make
 *   build/bin/queue_broker --port 7010 &            (from the toolkit folder)
 *   printf 'PUSH jobs one\nPUSH jobs two\nQUIT\n' >/dev/tcp/127.0.0.1/7010    (bash: two jobs)
 *   ./consumer 7010 jobs 2
 *   ./wirelab grade 7                               the grader: the ring, then this consumer
 *
 * Print each job as:   job <id> <message>
 * The socket code is given (lab 1 is where you write it); the protocol is yours.
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define LINE_MAX_BYTES 1100 /* the broker's lines are at most 1024 bytes by default */

/* Bytes read from the broker and not yet returned as a line. */
typedef struct reader {
    int fd;
    char buf[4096];
    size_t have;
} reader;

/* Connect to 127.0.0.1:port. Returns the socket, or -1 (errno says why). */
static int connect_broker(unsigned short port)
{
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Send the whole line (add the "\n" yourself). Returns 0, or -1 when the connection failed. */
static int send_line(int fd, const char *line)
{
    size_t len = strlen(line), off = 0;
    while (off < len) {
        ssize_t n = send(fd, line + off, len - off, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        off += (size_t)n;
    }
    return 0;
}

/* The next line from the broker, without its "\n", into line (cap bytes). One recv is not one
 * line: bytes after the "\n" wait in r->buf for the next call. Returns its length, or -1 when
 * the broker closed the connection (or a line was longer than cap). */
static int read_line(reader *r, char *line, size_t cap)
{
    for (;;) {
        char *nl = memchr(r->buf, '\n', r->have);
        if (nl) {
            size_t n = (size_t)(nl - r->buf);
            if (n >= cap)
                return -1;
            memcpy(line, r->buf, n);
            line[n] = '\0';
            r->have -= n + 1;
            memmove(r->buf, nl + 1, r->have);
            return (int)n;
        }
        if (r->have == sizeof r->buf)
            return -1;
        ssize_t got = recv(r->fd, r->buf + r->have, sizeof r->buf - r->have, 0);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return -1;
        r->have += (size_t)got;
    }
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: consumer PORT QUEUE COUNT\n");
        return 2;
    }
    unsigned short port = (unsigned short)atoi(argv[1]);
    const char *queue = argv[2];
    int count = atoi(argv[3]);
    reader r = {.fd = connect_broker(port)};
    if (r.fd < 0) {
        fprintf(stderr,
                "consumer: cannot connect to 127.0.0.1 port %u: %s (is queue_broker "
                "running on that port?)\n",
                port, strerror(errno));
        return 1;
    }
    char line[LINE_MAX_BYTES];
    for (int i = 0; i < count; i++) {
        char cmd[LINE_MAX_BYTES];
        snprintf(cmd, sizeof cmd, "PULL %s\n", queue);
        if (send_line(r.fd, cmd) != 0 || read_line(&r, line, sizeof line) < 0) {
            fprintf(stderr, "consumer: the broker closed the connection\n");
            return 1;
        }
        /* MSG <queue> <id> new|redelivered <message> */
        char *q = strchr(line, ' '), *id = q ? strchr(q + 1, ' ') : NULL;
        char *state = id ? strchr(id + 1, ' ') : NULL, *msg = state ? strchr(state + 1, ' ') : NULL;
        if (strncmp(line, "MSG ", 4) != 0 || !msg) {
            fprintf(stderr, "consumer: the broker answered: %s\n", line);
            return 1;
        }
        *state = '\0';
        printf("job %s %s\n", id + 1, msg + 1);
        fflush(stdout);
    }
    if (send_line(r.fd, "QUIT\n") == 0)
        read_line(&r, line, sizeof line); /* "OK bye": the broker saw everything before it */
    close(r.fd);
    return 0;
}
