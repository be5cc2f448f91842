/*
 * io_plain.c - the loop's I/O backend that makes one system call per recv() and send().
 *
 * What it teaches: a non-blocking socket call either does what it can at once or says
 * EAGAIN ("try when epoll says I am ready"); nothing here ever waits. This is the backend to
 * read first: io_batch.c makes the very same calls, only many of them per system call.
 *
 * Run it: WIRELAB_IO=plain build/bin/tcp_echo_server --verbose
 */
#include "loop_internal.h"

#include <errno.h>
#include <sys/socket.h>

#define READ_CHUNK 65536

void io_plain_read_one(conn *c)
{
    static uint8_t chunk[READ_CHUNK]; /* one thread, one loop: a shared scratch buffer is safe */
    ssize_t n;
    do
        n = recv(c->w.fd, chunk, sizeof chunk, 0);
    while (n < 0 && errno == EINTR);
    conn_received(c, chunk, n, n < 0 ? errno : 0, "");
}

/*
 * Several pieces (a frame header and its payload) go in one sendmsg(), without being joined
 * first. One piece, nearly every send, goes by send(): sendmsg() first copies the message
 * header and the iovec array in from user space (on Linux 6.18 a 64 KiB sendmsg() cost about
 * 4% more CPU than the same send(), enough to put tcp_echo's bulk figure behind the minimal
 * epoll loop's: bench/README.md).
 */
ssize_t io_plain_send(conn *c, const struct iovec *iov, int iovcnt)
{
    struct msghdr msg = {.msg_iov = (struct iovec *)iov, .msg_iovlen = (size_t)iovcnt};
    size_t len = 0;
    for (int i = 0; i < iovcnt; i++)
        len += iov[i].iov_len;
    ssize_t w;
    do /* MSG_NOSIGNAL: a peer that went away gives EPIPE here, not a process-killing SIGPIPE */
        w = iovcnt == 1 ? send(c->w.fd, iov[0].iov_base, len, MSG_NOSIGNAL)
                        : sendmsg(c->w.fd, &msg, MSG_NOSIGNAL);
    while (w < 0 && errno == EINTR);
    return conn_sent(c, len, w, w < 0 ? errno : 0, "");
}

/* Each readable connection: one recv(). A callback may have closed a later one meanwhile. */
static void plain_read(loop *l, conn **ready, int n)
{
    (void)l;
    for (int i = 0; i < n; i++)
        if (ready[i]->state != CONN_DEAD)
            io_plain_read_one(ready[i]);
}

/* Each connection with coalesced sends: one send() of its whole queue. */
static void plain_write(loop *l)
{
    for (conn *c; (c = conn_next_pending(l));)
        conn_flush(c); /* what the kernel does not take now waits for EPOLLOUT */
}

const io_backend io_plain = {"plain", plain_read, plain_write, NULL};
