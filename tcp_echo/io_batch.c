/*
 * io_batch.c - the loop's I/O backend that hands a round's recv()s, and its send()s, to the
 * kernel in one system call each (io_uring, through sysbatch.h).
 *
 * What it teaches: the calls are exactly io_plain.c's - non-blocking recv() and send() on the
 * sockets epoll reported ready, with the same results (bytes, 0 for FIN, EAGAIN, EPIPE) going
 * to the same conn_received / conn_sent. Only the number of kernel entries changes: one
 * io_uring_enter() for every readable connection of the round, one for every connection with
 * coalesced sends, instead of one recv() or send() each. A batch of one would only be a slower
 * system call, so one connection gets the plain call.
 *
 * Run it: build/bin/tcp_echo_server --verbose shows "recv(fd 5) [batch]" for a call that was
 * one entry of a batch; `strace -c -f -p PID` under load shows a few io_uring_enter where
 * WIRELAB_IO=plain shows thousands of recvfrom and sendto.
 */
#include "loop_internal.h"
#include "sysbatch.h"

#include <stdlib.h>

#define BATCH_CHUNK 16384 /* read per connection in a batch (the rest: next round) */

typedef struct batch_state {
    sysbatch *ring;
    uint8_t *in; /* MAX_EVENTS slots of BATCH_CHUNK bytes for the batched reads */
    conn *conns[MAX_EVENTS];
    ssize_t result[MAX_EVENTS];
} batch_state;

static const io_backend io_batch;

static void batch_free(loop *l)
{
    batch_state *b = l->io_state;
    sysbatch_free(b->ring);
    free(b->in);
    free(b);
    l->io_state = NULL;
}

int io_batch_start(loop *l, char *err, size_t errlen)
{
    batch_state *b = calloc(1, sizeof *b);
    if (b && (b->ring = sysbatch_new(MAX_EVENTS, err, errlen)) != NULL &&
        (b->in = malloc((size_t)MAX_EVENTS * BATCH_CHUNK)) != NULL) {
        l->io = &io_batch;
        l->io_state = b;
        return 0;
    }
    if (!b || b->ring) /* (else sysbatch_new said why) */
        snprintf(err, errlen, "out of memory for the batch buffers (%d KiB)",
                 MAX_EVENTS * BATCH_CHUNK / 1024);
    if (b)
        sysbatch_free(b->ring);
    free(b);
    return -1;
}

/* The kernel would not take a whole batch (it could not allocate): plain calls from now on. */
static void fall_back(loop *l)
{
    batch_free(l);
    l->io = &io_plain;
    TRACE(l, "I/O: the kernel did not take a whole batch; plain system calls from now on\n");
}

/* A batch result as recv()/send() would have given it: the count, or -1 with err set. */
static ssize_t result_of(ssize_t r, int *err)
{
    *err = r < 0 ? (int)-r : 0;
    return r < 0 ? -1 : r;
}

/* Every readable connection's recv() in one system call; then each result, in order. */
static void batch_read(loop *l, conn **ready, int n)
{
    batch_state *b = l->io_state;
    int k = 0;
    for (int i = 0; i < n; i++)
        k += ready[i]->state != CONN_DEAD;
    if (k < 2) {
        io_plain.read(l, ready, n);
        return;
    }
    k = 0;
    for (int i = 0; i < n; i++) {
        if (ready[i]->state == CONN_DEAD)
            continue;
        b->conns[k] = ready[i];
        sysbatch_recv(b->ring, ready[i]->w.fd, b->in + (size_t)k * BATCH_CHUNK, BATCH_CHUNK);
        k++;
    }
    l->stats.batched += (uint64_t)k;
    /* Reads the kernel did not take report EAGAIN (epoll reports the sockets again). */
    int broken = sysbatch_run(b->ring, b->result) < 0;
    for (int i = 0; i < k; i++) {
        conn *c = b->conns[i];
        int err;
        ssize_t got = result_of(b->result[i], &err);
        if (c->state != CONN_DEAD) /* an earlier connection's callback may have closed it */
            conn_received(c, b->in + (size_t)i * BATCH_CHUNK, got, err, " [batch]");
    }
    if (broken)
        fall_back(l);
}

/* Up to MAX_EVENTS pending connections' send()s in one system call; returns how many. */
static int write_some(loop *l)
{
    batch_state *b = l->io_state;
    int n = 0;
    for (conn *c; n < MAX_EVENTS && (c = conn_next_pending(l));)
        b->conns[n++] = c;
    if (n <= 1) {
        if (n)
            conn_flush(b->conns[0]);
        return n;
    }
    for (int i = 0; i < n; i++)
        sysbatch_send(b->ring, b->conns[i]->w.fd, buf_bytes(&b->conns[i]->out),
                      buf_len(&b->conns[i]->out));
    l->stats.batched += (uint64_t)n;
    /* Sends the kernel did not take report EAGAIN and are retried on EPOLLOUT. */
    int broken = sysbatch_run(b->ring, b->result) < 0;
    for (int i = 0; i < n; i++) {
        conn *c = b->conns[i];
        size_t len = buf_len(&c->out);
        int err;
        ssize_t r = result_of(b->result[i], &err);
        ssize_t w = conn_sent(c, len, r, err, " [batch]");
        if (w > 0)
            buf_consume(&c->out, (size_t)w);
        if (w > 0 && (size_t)w < len)
            conn_flush(c); /* the kernel took part: offer the rest as a plain send() */
        else
            conn_after_write(c); /* all sent, EAGAIN (wait for EPOLLOUT), or aborted */
    }
    if (broken)
        fall_back(l);
    return n;
}

static void batch_write(loop *l)
{
    while (l->io == &io_batch && write_some(l) > 0) {
    }
    io_plain.write(l); /* anything left after falling back to plain calls */
}

static const io_backend io_batch = {"batch", batch_read, batch_write, batch_free};
