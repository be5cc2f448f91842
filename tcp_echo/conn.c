/*
 * conn.c - one connection of the loop: what it received and has not used, what it sent and
 * the kernel has not taken, and the steps of its closing (see the state diagram in
 * loop_internal.h, and loop.h for the conn_* calls a protocol makes).
 *
 * What it teaches:
 *   - TCP is a byte stream: on_data gets whatever arrived and says how much it used; the rest
 *     waits in `in` for the next bytes (one recv() is not one message).
 *   - send() may take less than offered: the rest waits in `out` until epoll says the socket
 *     has room again (EPOLLOUT).
 *   - Backpressure: while `out` is over out_high the peer is not reading, so we stop reading
 *     it - it cannot make us buffer without bound, and nobody else waits for it.
 *   - Coalescing: small sends of one round leave together at its end, in one send().
 *   - Closing is a process: write what is queued, then FIN; a half-close keeps reading until
 *     the peer's FIN ("lingering close"); every wait has a deadline.
 *
 * Run it: part of every server; `tcp_echo_server --verbose` traces each call.
 */
#include "loop_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

conn *conn_new(loop *l, int fd, conn **list)
{
    conn *c = calloc(1, sizeof *c);
    if (!c || net_set_nonblocking(fd) < 0) {
        free(c);
        return NULL;
    }
    c->w = (watch){WATCH_CONN, fd};
    c->l = l;
    c->id = ++l->next_id;
    c->state = CONN_OPEN;
    c->interest = EPOLLIN;
    c->last_read_ms = loop_now_ms();
    net_peer_name(fd, c->peer, sizeof c->peer);
    struct epoll_event ev = {.events = c->interest, .data.ptr = &c->w};
    if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
        free(c);
        return NULL;
    }
    c->next = *list;
    if (*list)
        (*list)->prev = c;
    *list = c;
    return c;
}

/* ---- the end: any state -> DEAD --------------------------------------------------------- */

void conn_abort(conn *c, const char *why)
{
    if (c->state == CONN_DEAD)
        return;
    c->state = CONN_DEAD;
    c->why = why;
    loop *l = c->l;
    epoll_ctl(l->epfd, EPOLL_CTL_DEL, c->w.fd, NULL);
    /* Unlink from its list, so broadcasts no longer see it; it joins the dead list. */
    if (c->prev)
        c->prev->next = c->next;
    else if (c->refused)
        l->refused_conns = c->next;
    else
        l->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->prev = NULL;
    c->next = l->dead;
    l->dead = c;
    if (c->refused)
        l->refusing--;
    else
        l->stats.open--;
}

/* Closing is deferred to here, the end of the round, so a callback may close any connection
 * (even one another callback is looping over) without leaving a dangling pointer behind. */
void conn_reap_dead(loop *l)
{
    while (l->dead) {
        conn *c = l->dead;
        l->dead = c->next;
        loop_timer_stop(l, c->deadline);
        if (l->h.on_close && !c->refused)
            l->h.on_close(c, c->why ? c->why : "closed");
        TRACE(l, "close(fd %d) %s: the kernel sends our FIN (or a RST if unread data was left)\n",
              c->w.fd, c->peer);
        close(c->w.fd);
        buf_free(&c->in);
        buf_free(&c->out);
        free(c);
    }
}

/* ---- what to ask epoll for ------------------------------------------------------------ */

static void set_interest(conn *c, uint32_t events)
{
    if (c->interest == events || c->state == CONN_DEAD)
        return;
    struct epoll_event ev = {.events = events, .data.ptr = &c->w};
    epoll_ctl(c->l->epfd, EPOLL_CTL_MOD, c->w.fd, &ev);
    c->interest = events;
}

/* Exactly the events c needs: input unless paused or closing, output while queued. */
static void update_interest(conn *c)
{
    uint32_t ev = 0;
    if (!c->paused && c->state != CONN_CLOSING)
        ev |= EPOLLIN;
    if (buf_len(&c->out) && !c->coalescing) /* a coalescing conn is written at round end */
        ev |= EPOLLOUT;
    set_interest(c, ev);
}

/* Backpressure: stop reading c while its queue is over the limit, resume below half of it. */
static void apply_backpressure(conn *c)
{
    size_t pending = buf_len(&c->out);
    if (!c->paused && pending > c->l->cfg.out_high) {
        c->paused = 1;
        TRACE(c->l, "%s has %zu bytes queued: stop reading it until it reads (backpressure)\n",
              c->peer, pending);
    } else if (c->paused && pending <= c->l->cfg.out_high / 2) {
        c->paused = 0;
        TRACE(c->l, "%s caught up: reading it again\n", c->peer);
    }
}

/* ---- writing ------------------------------------------------------------------------- */

ssize_t conn_sent(conn *c, size_t n, ssize_t w, int err, const char *tag)
{
    if (w < 0 && (err == EAGAIN || err == EWOULDBLOCK)) {
        /* the kernel's send buffer is full: the peer is not reading fast enough */
        TRACE(c->l, "send(fd %d, %zu)%s = -1 EAGAIN: the send buffer is full; wait for EPOLLOUT\n",
              c->w.fd, n, tag);
        return 0;
    }
    if (w < 0) {
        conn_abort(c, err == ECONNRESET || err == EPIPE ? "reset by peer (RST)" : "send failed");
        return -1;
    }
    TRACE(c->l, "send(fd %d, %zu)%s = %zd: into the kernel's send buffer; TCP segments it\n",
          c->w.fd, n, tag, w);
    c->bytes_out += (uint64_t)w;
    c->l->stats.bytes_out += (uint64_t)w;
    return w;
}

void conn_after_write(conn *c)
{
    if (c->state == CONN_DEAD)
        return;
    if (buf_len(&c->out) == 0 && c->state == CONN_CLOSING) {
        conn_abort(c, c->why ? c->why : "closed by us");
        return;
    }
    if (buf_len(&c->out) == 0 && c->state == CONN_SHUTTING) {
        TRACE(c->l, "shutdown(fd %d, SHUT_WR): our FIN goes out; still reading %s\n", c->w.fd,
              c->peer);
        shutdown(c->w.fd, SHUT_WR);
        c->state = CONN_SHUT;
    }
    apply_backpressure(c);
    update_interest(c);
}

void conn_flush(conn *c)
{
    while (buf_len(&c->out)) {
        struct iovec v = {(void *)buf_bytes(&c->out), buf_len(&c->out)};
        ssize_t w = io_plain_send(c, &v, 1);
        if (w <= 0)
            break;
        buf_consume(&c->out, (size_t)w);
    }
    conn_after_write(c);
}

/* Coalescing: join the round's pending list; loop.c writes the list at the end of the round. */
static void coalesce(conn *c)
{
    if (c->coalescing)
        return;
    c->coalescing = 1;
    c->pending_next = c->l->pending;
    c->l->pending = c;
}

/* Queue the pieces (from byte `skip` on) at the end of `out`. Returns 0, or -1 (c aborted). */
static int queue_pieces(conn *c, const struct iovec *iov, int iovcnt, size_t skip)
{
    for (int i = 0; i < iovcnt; i++) {
        size_t len = iov[i].iov_len;
        if (skip >= len) {
            skip -= len;
            continue;
        }
        if (buf_append(&c->out, (const uint8_t *)iov[i].iov_base + skip, len - skip) < 0) {
            conn_abort(c, "out of memory queueing output");
            return -1;
        }
        skip = 0;
    }
    return 0;
}

/*
 * A small send is not written at once but kept until the end of the round, so everything one
 * round produces for a client (a broadcast burst, answers to pipelined requests) leaves in one
 * send(): one system call and often one TCP segment instead of dozens. Nothing waits longer
 * than the rest of the current round (Redis does the same before it sleeps). A large send goes
 * to the kernel at once, its pieces in one sendmsg() without being copied first.
 */
int conn_sendv(conn *c, const struct iovec *iov, int iovcnt)
{
    if (c->state != CONN_OPEN)
        return -1;
    size_t len = 0;
    for (int i = 0; i < iovcnt; i++)
        len += iov[i].iov_len;
    if (c->coalescing && buf_len(&c->out) + len > COALESCE_MAX) {
        conn_flush(c); /* the round's batch is big enough: write it before adding more */
        if (c->state == CONN_DEAD)
            return -1;
    }
    if (buf_len(&c->out) == 0 && len >= COALESCE_MAX) {
        ssize_t w = io_plain_send(c, iov, iovcnt);
        if (w < 0 || queue_pieces(c, iov, iovcnt, (size_t)w) < 0)
            return -1;
    } else {
        if (queue_pieces(c, iov, iovcnt, 0) < 0)
            return -1;
        if (!(c->interest & EPOLLOUT)) /* else: already waiting for the socket to drain */
            coalesce(c);
    }
    apply_backpressure(c);
    update_interest(c);
    return 0;
}

int conn_send(conn *c, const void *data, size_t len)
{
    struct iovec v = {(void *)data, len};
    return conn_sendv(c, &v, 1);
}

size_t conn_pending(const conn *c)
{
    return buf_len(&c->out);
}

conn *conn_next_pending(loop *l)
{
    while (l->pending) {
        conn *c = l->pending;
        l->pending = c->pending_next;
        c->coalescing = 0;
        if (c->state != CONN_DEAD && buf_len(&c->out))
            return c;
        conn_after_write(c); /* closed meanwhile, or nothing left: finish it here */
    }
    return NULL;
}

/* ---- closing: OPEN -> SHUTTING -> SHUT, and -> CLOSING -> DEAD ------------------------- */

/* The deadline of a closing connection passed: cut it off, saying which wait ran out. */
static void deadline_passed(loop *l, void *arg)
{
    conn *c = arg;
    (void)l;
    c->deadline = 0; /* it fired: nothing to stop any more */
    if (c->state == CONN_CLOSING)
        conn_abort(c, "the peer did not read our last bytes within the linger time; cut off");
    else
        conn_abort(c, "the peer did not close within the linger time after our FIN");
}

/* A closing connection ends within `ms` whatever its peer does. Returns 0, or -1 (and c is
 * aborted) if the loop had no timer left for it. */
static int set_deadline(conn *c, uint64_t ms)
{
    c->deadline = loop_timer_start(c->l, ms, deadline_passed, c);
    if (c->deadline)
        return 0;
    conn_abort(c, "closed at once: the loop had no timer left to bound its closing");
    return -1;
}

void conn_shutdown_write(conn *c)
{
    if (c->state != CONN_OPEN)
        return;
    c->state = CONN_SHUTTING;
    if (set_deadline(c, c->refused ? LOOP_REFUSE_MS : c->l->cfg.linger_ms) == 0)
        conn_flush(c);
}

void conn_close(conn *c)
{
    if (c->state == CONN_DEAD || c->state == CONN_CLOSING)
        return;
    c->state = CONN_CLOSING;
    if (!c->why)
        c->why = "closed by us";
    conn_flush(c);
    /* Still bytes queued: the peer is slow, or not reading at all. Give it linger_ms. */
    if (c->state == CONN_CLOSING && !c->deadline)
        set_deadline(c, c->l->cfg.linger_ms);
}

/* ---- reading ------------------------------------------------------------------------- */

/* Offer the bytes to the protocol; keep what it did not consume for next time. */
static void deliver(conn *c, const uint8_t *data, size_t n)
{
    loop *l = c->l;
    if (c->refused)
        return;                 /* over the limit: what it sends is read only to be thrown away */
    if (buf_len(&c->in) == 0) { /* common case: hand over the fresh bytes without copying */
        size_t used = l->h.on_data ? l->h.on_data(c, data, n) : n;
        if (c->state != CONN_DEAD && used < n && buf_append(&c->in, data + used, n - used) < 0)
            conn_abort(c, "out of memory buffering input");
    } else {
        if (buf_append(&c->in, data, n) < 0) {
            conn_abort(c, "out of memory buffering input");
            return;
        }
        size_t used = l->h.on_data ? l->h.on_data(c, buf_bytes(&c->in), buf_len(&c->in)) : n;
        if (c->state != CONN_DEAD)
            buf_consume(&c->in, used);
    }
    if (c->state != CONN_DEAD && buf_len(&c->in) > l->cfg.in_max)
        conn_abort(c, "sent more than the input limit without completing a message");
}

void conn_received(conn *c, const uint8_t *data, ssize_t n, int err, const char *tag)
{
    if (n > 0) {
        /* The bytes are in the kernel's receive buffer and now ours. Its ACK for them may
         * already have gone, or (delayed ACK) may still wait to ride on our reply. */
        TRACE(c->l, "recv(fd %d)%s = %zd bytes from %s\n", c->w.fd, tag, n, c->peer);
        c->bytes_in += (uint64_t)n;
        c->l->stats.bytes_in += (uint64_t)n;
        c->last_read_ms = loop_now_ms();
        deliver(c, data, (size_t)n);
    } else if (n == 0) {
        TRACE(c->l, "recv(fd %d)%s = 0: %s sent FIN, it will send nothing more\n", c->w.fd, tag,
              c->peer);
        /* The peer is done sending, but may still read: flush, then close. */
        if (!c->refused)
            c->why = "peer closed (FIN)";
        conn_close(c);
    } else if (err != EAGAIN && err != EWOULDBLOCK && err != EINTR) {
        conn_abort(c, err == ECONNRESET  ? "reset by peer (RST)"
                      : err == ETIMEDOUT ? "the peer stopped answering (keepalive probes or "
                                           "retransmissions timed out: ETIMEDOUT)"
                                         : "receive failed");
    }
}

/* ---- small accessors ----------------------------------------------------------------- */

void conn_set_data(conn *c, void *data)
{
    c->data = data;
}
void *conn_data(const conn *c)
{
    return c->data;
}
loop *conn_loop(const conn *c)
{
    return c->l;
}
const char *conn_peer(const conn *c)
{
    return c->peer;
}
int conn_fd(const conn *c)
{
    return c->w.fd;
}
uint64_t conn_id(const conn *c)
{
    return c->id;
}
uint64_t conn_bytes_in(const conn *c)
{
    return c->bytes_in;
}
uint64_t conn_bytes_out(const conn *c)
{
    return c->bytes_out;
}
uint64_t conn_last_read_ms(const conn *c)
{
    return c->last_read_ms;
}
int conn_is_closing(const conn *c)
{
    return c->state == CONN_CLOSING || c->state == CONN_DEAD;
}
