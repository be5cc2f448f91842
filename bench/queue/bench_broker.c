/*
 * bench_broker.c - messages per second through queue_broker's work queue over loopback:
 * 4 producer connections PUSH, 4 consumer connections PULL and ACK, every message pulled and
 * acked exactly once (the consumers check the ids: each must be new to them and in range).
 *
 * Producers pipeline their PUSHes 64 at a time (then read the 64 OKs); consumers keep 8 PULLs
 * outstanding and answer each MSG with "ACK <id>\nPULL bench\n" in one write.
 *
 * Usage: bench_broker PORT [MESSAGES]      (start build/bin/queue_broker --port N first)
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench_load.h"

#define WINDOW 8 /* PULLs each consumer keeps outstanding (the broker allows 16) */

static int dial(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) < 0)
        die("cannot connect to the broker on 127.0.0.1 (is queue_broker running?)");
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

static void send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w <= 0)
            die("write to the broker failed");
        p += w;
        n -= (size_t)w;
    }
}

/* A tiny line reader over a blocking socket. */
struct reader {
    int fd;
    char buf[65536];
    size_t start, end;
};

static char *read_line(struct reader *r)
{
    for (;;) {
        char *nl = memchr(r->buf + r->start, '\n', r->end - r->start);
        if (nl != NULL) {
            *nl = '\0';
            char *line = r->buf + r->start;
            r->start = (size_t)(nl - r->buf) + 1;
            return line;
        }
        memmove(r->buf, r->buf + r->start, r->end - r->start);
        r->end -= r->start;
        r->start = 0;
        ssize_t n = read(r->fd, r->buf + r->end, sizeof r->buf - r->end);
        if (n <= 0)
            die("the broker closed the connection");
        r->end += (size_t)n;
    }
}

static void *producer(void *arg)
{
    uint64_t n = total / PRODUCERS, id = (uint64_t)(uintptr_t)arg;
    struct reader *r = calloc(1, sizeof *r);
    r->fd = dial();
    char batch[PIPELINE * 64];
    for (uint64_t done = 0; done < n;) {
        size_t len = 0, k = 0;
        for (; k < PIPELINE && done + k < n; k++)
            len += (size_t)snprintf(batch + len, sizeof batch - len,
                                    "PUSH bench job %llu from producer %llu\n",
                                    (unsigned long long)(done + k), (unsigned long long)id);
        send_all(r->fd, batch, len);
        for (size_t i = 0; i < k; i++)
            if (strncmp(read_line(r), "OK ", 3) != 0)
                die("a PUSH was refused (is the queue full? run with a larger --capacity)");
        done += k;
    }
    close(r->fd);
    free(r);
    return NULL;
}

/* Keep WINDOW PULLs outstanding (a "prefetch", as real brokers allow), ACK each MSG and ask
 * for one more, until this consumer has taken its quota. */
static void *consumer(void *arg)
{
    (void)arg;
    uint64_t quota = total / CONSUMERS, requested = 0, got = 0, unacked = 0;
    struct reader *r = calloc(1, sizeof *r);
    r->fd = dial();
    for (; requested < WINDOW && requested < quota; requested++)
        send_all(r->fd, "PULL bench\n", 11);
    while (got < quota || unacked > 0) {
        char *line = read_line(r);
        if (strcmp(line, "OK") == 0) {
            unacked--;
            continue;
        }
        unsigned long long id;
        if (sscanf(line, "MSG bench %llu", &id) != 1 || id == 0 || id > total)
            die("expected a MSG line for queue bench");
        if (atomic_fetch_add(&seen[id - 1], 1) != 0)
            die("a message was delivered twice");
        got++;
        unacked++;
        char ack[64];
        int n = requested < quota ? snprintf(ack, sizeof ack, "ACK %llu\nPULL bench\n", id)
                                  : snprintf(ack, sizeof ack, "ACK %llu\n", id);
        requested += requested < quota;
        send_all(r->fd, ack, (size_t)n);
    }
    close(r->fd);
    free(r);
    return NULL;
}

int main(int argc, char **argv)
{
    load_args(argc, argv, "bench_broker");
    double dt = load_run(producer, consumer);
    printf("broker PUSH/PULL/ACK, 4 producers + 4 consumers: %llu messages in %.2f s = %.0f "
           "messages/s\n",
           (unsigned long long)total, dt, (double)total / dt);
    return 0;
}
