/*
 * loop.c - the non-blocking connection loop (see loop.h for what it offers).
 *
 * One round of the loop:
 *   1. epoll_wait(): the kernel lists the sockets that are ready (level-triggered: a socket
 *      stays "ready" until we have read all it holds, so no event is ever lost).
 *   2. For a listening socket: accept() the connections the kernel has already completed.
 *      For a connection: recv() what arrived and hand it to on_data; send() what is queued.
 *   3. Run the timers that are due.
 *   4. Write what the round queued: each connection's small sends of the round leave together,
 *      in one send() (see conn_send: "coalescing").
 *   5. Free the connections that were closed during the round. Closing is deferred to here
 *      so a callback may close any connection (even one another callback is looping over)
 *      without leaving a dangling pointer behind.
 *
 * System calls in batches: when several connections are ready in one round, their recv()s
 * (step 2) go to the kernel together in one io_uring_enter(), and so do the round's send()s
 * (step 4); see sysbatch.h. Each is still the same recv() or send(), traced the same way.
 *
 * Run it: every server in Wirelab is this loop; `tcp_echo_server --verbose` prints each call.
 */
#define _GNU_SOURCE /* accept4(): accept and make non-blocking in one system call */
#include "loop.h"

#include "buf.h"
#include "net.h"
#include "outguard.h"
#include "sysbatch.h"
#include "timers.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_EVENTS       64
#define MAX_LISTENERS    4
#define READ_CHUNK       65536
#define BATCH_CHUNK      16384 /* per connection read in a batch (the rest: next round) */
#define DEFAULT_LIMIT    (1u << 20)
#define ACCEPT_PER_ROUND 64    /* fairness: a burst of connects cannot starve the open ones */
#define COALESCE_MAX     16384 /* small sends wait for the end of the round up to this many bytes */

/* What an epoll event points at: the first member of a listener, a conn or the signalfd. */
enum watch_kind { WATCH_LISTENER, WATCH_CONN, WATCH_SIGNAL };

typedef struct watch {
    enum watch_kind kind;
    int fd;
} watch;

struct conn {
    watch w;
    loop *l;
    uint64_t id;
    char peer[NET_ADDR_LEN];
    buf in;              /* received, not yet consumed by on_data */
    buf out;             /* queued by conn_send, not yet taken by the kernel */
    int closing;         /* graceful close asked for: flush `out`, then close */
    int shut_wanted;     /* half-close asked for: flush `out`, then shutdown(SHUT_WR) */
    int shut_done;       /* our FIN has gone out; we still read until the peer's */
    int refused;         /* over max_conns: only told why, never seen by the protocol */
    loop_timer deadline; /* linger or flush deadline while closing (0: none) */
    int dead;            /* closed: skip it, free it at the end of the round */
    int paused;          /* reading stopped by backpressure */
    int coalescing;      /* `out` holds sends of this round not yet offered to the kernel */
    conn *pending_next;  /* the loop's list of coalescing conns */
    uint32_t interest;   /* the epoll events we currently ask for */
    const char *why;     /* reason passed to on_close */
    uint64_t bytes_in, bytes_out, last_read_ms;
    void *data;
    conn *prev, *next; /* the list of open conns; `next` also links the dead list */
};

struct loop {
    int epfd;
    loop_config cfg;
    loop_handlers h;
    watch listeners[MAX_LISTENERS];
    size_t nlisteners;
    watch sig;
    timers timers;
    void (*refuse)(conn *c);   /* loop_on_refuse's say(), or NULL */
    size_t refusing;           /* refused conns still being told why */
    uint64_t refused_unlogged; /* refusals since the last log line */
    uint64_t refuse_logged_ms; /* when that line was written */
    int timers_full_logged;    /* the "too many timers" line was written */
    conn *conns;               /* open connections, newest first */
    conn *refused_conns;       /* connections over max_conns being told why (loop_on_refuse) */
    conn *dead;                /* closed this round, freed at its end */
    conn *pending;             /* conns with coalesced sends to write at the end of the round */
    uint64_t next_id;
    int accept_paused; /* out of fds: accepting paused for a moment */
    int stop;
    loop_stats stats;
    sysbatch *batch;   /* NULL: one system call per recv()/send() */
    uint8_t *batch_in; /* MAX_EVENTS slots of BATCH_CHUNK bytes for batched reads */
    conn *batch_conns[MAX_EVENTS];
    ssize_t batch_result[MAX_EVENTS];
};

#define TRACE(l, ...)                                                                              \
    do {                                                                                           \
        if ((l)->cfg.verbose)                                                                      \
            fprintf(stderr, "  [trace] " __VA_ARGS__);                                             \
    } while (0)

uint64_t loop_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t loop_now_ms(void)
{
    return loop_now_ns() / 1000000u;
}

void loop_log(const loop *l, const char *fmt, ...)
{
    (void)l;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", program_invocation_short_name);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* A server holds one descriptor per client: lift the soft limit (often 1024) to the hard one. */
static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

/* Use io_uring for batches of system calls where the kernel allows it (sysbatch.h). */
static void start_batching(loop *l)
{
    const char *why = NULL;
    if (l->cfg.plain_syscalls)
        return;
    l->batch = sysbatch_new(MAX_EVENTS, &why);
    if (l->batch && !(l->batch_in = malloc((size_t)MAX_EVENTS * BATCH_CHUNK))) {
        sysbatch_free(l->batch);
        l->batch = NULL;
    }
}

/* The kernel would not take a whole batch (it could not allocate): plain calls from now on. */
static void stop_batching(loop *l)
{
    sysbatch_free(l->batch);
    free(l->batch_in);
    l->batch = NULL;
    l->batch_in = NULL;
}

loop *loop_new(const loop_config *cfg, const loop_handlers *h, char *err, size_t errlen)
{
    loop *l = calloc(1, sizeof *l);
    if (!l) {
        snprintf(err, errlen, "out of memory creating the event loop");
        return NULL;
    }
    l->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (l->epfd < 0) {
        snprintf(err, errlen, "the kernel refused epoll_create1: %s", strerror(errno));
        free(l);
        return NULL;
    }
    l->cfg = *cfg;
    if (!l->cfg.out_high)
        l->cfg.out_high = DEFAULT_LIMIT;
    if (!l->cfg.in_max)
        l->cfg.in_max = DEFAULT_LIMIT;
    if (!l->cfg.linger_ms)
        l->cfg.linger_ms = 5000;
    timers_init(&l->timers, l->cfg.max_timers ? l->cfg.max_timers : LOOP_MAX_TIMERS);
    l->h = *h;
    l->sig.fd = -1;
    /* A server's log lines must never stop it (stdout a pipe nobody reads): see outguard.h. */
    outguard_install();
    raise_fd_limit();
    start_batching(l);
    return l;
}

static int watch_fd(loop *l, watch *w, uint32_t events)
{
    struct epoll_event ev = {.events = events, .data.ptr = w};
    return epoll_ctl(l->epfd, EPOLL_CTL_ADD, w->fd, &ev);
}

int loop_add_listener(loop *l, int fd)
{
    if (l->nlisteners == MAX_LISTENERS || net_set_nonblocking(fd) < 0)
        return -1;
    watch *w = &l->listeners[l->nlisteners];
    *w = (watch){WATCH_LISTENER, fd};
    if (watch_fd(l, w, EPOLLIN) < 0)
        return -1;
    l->nlisteners++;
    return 0;
}

/* A conn for fd, watched for input and put at the head of *list; NULL if that failed. */
static conn *new_conn(loop *l, int fd, conn **list)
{
    conn *c = calloc(1, sizeof *c);
    if (!c || net_set_nonblocking(fd) < 0) {
        free(c);
        return NULL;
    }
    c->w = (watch){WATCH_CONN, fd};
    c->l = l;
    c->id = ++l->next_id;
    c->interest = EPOLLIN;
    c->last_read_ms = loop_now_ms();
    net_peer_name(fd, c->peer, sizeof c->peer);
    if (watch_fd(l, &c->w, c->interest) < 0) {
        free(c);
        return NULL;
    }
    c->next = *list;
    if (*list)
        (*list)->prev = c;
    *list = c;
    return c;
}

conn *loop_add_conn(loop *l, int fd)
{
    conn *c = new_conn(l, fd, &l->conns);
    if (!c)
        return NULL;
    l->stats.open++;
    if (l->h.on_open)
        l->h.on_open(c);
    return c;
}

#define NS_PER_MS 1000000u

/* Start a timer; a full table is logged once and counted. */
static loop_timer start_timer(loop *l, uint64_t ms, uint64_t period_ms, loop_timer_fn fn, void *arg)
{
    /* Never due in the round that starts it, even with ms = 0: the round compares deadlines
     * with the time it started, and this clock reading is at least that. */
    uint64_t deadline = loop_now_ns() + (ms ? ms * NS_PER_MS : 1);
    loop_timer t = timers_add(&l->timers, deadline, period_ms * NS_PER_MS, fn, arg);
    if (!t) {
        l->stats.timers_refused++;
        if (!l->timers_full_logged)
            loop_log(l,
                     "%zu timers are pending, the loop's limit (max_timers): a timer was refused, "
                     "and what it was to end is ended now (this line is written once)",
                     l->timers.max);
        l->timers_full_logged = 1;
    }
    return t;
}

loop_timer loop_timer_start(loop *l, uint64_t ms, loop_timer_fn fn, void *arg)
{
    return start_timer(l, ms, 0, fn, arg);
}

int loop_timer_stop(loop *l, loop_timer t)
{
    return t ? timers_cancel(&l->timers, t) : -1;
}

int loop_add_timer(loop *l, unsigned interval_ms, loop_timer_fn fn, void *arg)
{
    if (interval_ms == 0)
        return -1;
    return start_timer(l, interval_ms, interval_ms, fn, arg) ? 0 : -1;
}

void loop_on_refuse(loop *l, void (*say)(conn *c))
{
    l->refuse = say;
}

int loop_stop_on_signals(loop *l)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    /* Blocked signals wait in the signalfd instead of interrupting us at a random line. */
    if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
        return -1;
    l->sig.kind = WATCH_SIGNAL;
    l->sig.fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (l->sig.fd < 0)
        return -1;
    return watch_fd(l, &l->sig, EPOLLIN);
}

void loop_stop(loop *l)
{
    l->stop = 1;
}

void *loop_user(const loop *l)
{
    return l->cfg.user;
}

int loop_verbose(const loop *l)
{
    return l->cfg.verbose;
}

loop_stats loop_get_stats(const loop *l)
{
    return l->stats;
}

/* ---- closing ------------------------------------------------------------------------- */

/* Mark c closed now: stop watching it; on_close, close() and free() follow at round end. */
void conn_abort(conn *c, const char *why)
{
    if (c->dead)
        return;
    c->dead = 1;
    c->why = why;
    epoll_ctl(c->l->epfd, EPOLL_CTL_DEL, c->w.fd, NULL);
    /* Unlink from the open list, so broadcasts no longer see it. */
    if (c->prev)
        c->prev->next = c->next;
    else if (c->refused)
        c->l->refused_conns = c->next;
    else
        c->l->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->prev = NULL;
    c->next = c->l->dead;
    c->l->dead = c;
    if (c->refused)
        c->l->refusing--;
    else
        c->l->stats.open--;
}

/* Free everything closed during this round. */
static void reap_dead(loop *l)
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

/* ---- writing ------------------------------------------------------------------------- */

static void set_interest(conn *c, uint32_t events)
{
    if (c->interest == events || c->dead)
        return;
    struct epoll_event ev = {.events = events, .data.ptr = &c->w};
    epoll_ctl(c->l->epfd, EPOLL_CTL_MOD, c->w.fd, &ev);
    c->interest = events;
}

/* Ask for exactly the events c needs: input unless paused or closing, output while queued. */
static void update_interest(conn *c)
{
    uint32_t ev = 0;
    if (!c->paused && !c->closing)
        ev |= EPOLLIN;
    if (buf_len(&c->out) && !c->coalescing) /* a coalescing conn is written at round end */
        ev |= EPOLLOUT;
    set_interest(c, ev);
}

/* What send() of n bytes returned (w, or -1 and err): bytes sent, or -1 after aborting c. */
static ssize_t sent(conn *c, size_t n, ssize_t w, int err)
{
    if (w < 0 && (err == EAGAIN || err == EWOULDBLOCK)) {
        /* the kernel's send buffer is full: the peer is not reading fast enough */
        TRACE(c->l, "send(fd %d, %zu) = -1 EAGAIN: the send buffer is full; wait for EPOLLOUT\n",
              c->w.fd, n);
        return 0;
    }
    if (w < 0) {
        conn_abort(c, err == ECONNRESET || err == EPIPE ? "reset by peer (RST)" : "send failed");
        return -1;
    }
    TRACE(c->l, "send(fd %d, %zu) = %zd: into the kernel's send buffer; TCP segments it\n", c->w.fd,
          n, w);
    c->bytes_out += (uint64_t)w;
    c->l->stats.bytes_out += (uint64_t)w;
    return w;
}

/* send() as much as the kernel takes. Returns bytes sent, or -1 after aborting c. */
static ssize_t send_some(conn *c, const uint8_t *p, size_t n)
{
    ssize_t w;
    do /* MSG_NOSIGNAL: a peer that went away gives EPIPE here, not a process-killing SIGPIPE */
        w = send(c->w.fd, p, n, MSG_NOSIGNAL);
    while (w < 0 && errno == EINTR);
    return sent(c, n, w, errno);
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

/* After writing: finish a graceful close once the queue is empty, and ask for what c needs. */
static void after_write(conn *c)
{
    if (c->dead)
        return;
    if (c->closing && buf_len(&c->out) == 0) {
        conn_abort(c, c->why ? c->why : "closed by us");
        return;
    }
    if (c->shut_wanted && !c->shut_done && buf_len(&c->out) == 0) {
        TRACE(c->l, "shutdown(fd %d, SHUT_WR): our FIN goes out; still reading %s\n", c->w.fd,
              c->peer);
        shutdown(c->w.fd, SHUT_WR);
        c->shut_done = 1;
    }
    apply_backpressure(c);
    update_interest(c);
}

/* Write what is queued (until the kernel takes no more), then after_write. */
static void flush_out(conn *c)
{
    while (buf_len(&c->out)) {
        ssize_t w = send_some(c, buf_bytes(&c->out), buf_len(&c->out));
        if (w <= 0)
            break;
        buf_consume(&c->out, (size_t)w);
    }
    after_write(c);
}

/*
 * Coalescing: a small send is not written at once but kept until the end of the round, so
 * everything one round produces for a client (a broadcast burst, answers to pipelined
 * requests) leaves in one send(): one system call and often one TCP segment instead of
 * dozens. Nothing waits longer than the rest of the current round. Redis does the same before
 * it sleeps. A large send (or one that would make the batch large) goes out at once, without
 * being copied first.
 */
static void coalesce(conn *c)
{
    if (c->coalescing)
        return;
    c->coalescing = 1;
    c->pending_next = c->l->pending;
    c->l->pending = c;
}

/* Offer `data` to the kernel now; queue what it does not take. Returns -1 if c died. */
static int send_now(conn *c, const uint8_t *p, size_t len)
{
    ssize_t w = send_some(c, p, len);
    if (w < 0)
        return -1;
    if ((size_t)w < len && buf_append(&c->out, p + w, len - (size_t)w) < 0) {
        conn_abort(c, "out of memory queueing output");
        return -1;
    }
    return 0;
}

int conn_send(conn *c, const void *data, size_t len)
{
    if (c->dead || c->closing || c->shut_wanted)
        return -1;
    if (c->coalescing && buf_len(&c->out) + len > COALESCE_MAX) {
        flush_out(c); /* the batch is big enough: write it before adding more */
        if (c->dead)
            return -1;
    }
    if (buf_len(&c->out) == 0 && len >= COALESCE_MAX) {
        if (send_now(c, data, len) < 0)
            return -1;
    } else {
        if (buf_append(&c->out, data, len) < 0) {
            conn_abort(c, "out of memory queueing output");
            return -1;
        }
        if (!(c->interest & EPOLLOUT)) /* else: already waiting for the socket to drain */
            coalesce(c);
    }
    apply_backpressure(c);
    update_interest(c);
    return 0;
}

size_t conn_pending(const conn *c)
{
    return buf_len(&c->out);
}

/* The deadline of a closing connection passed: cut it off, saying which wait ran out. */
static void deadline_passed(loop *l, void *arg)
{
    conn *c = arg;
    (void)l;
    c->deadline = 0; /* it fired: nothing to stop any more */
    if (c->closing)
        conn_abort(c, "the peer did not read our last bytes within the linger time; cut off");
    else
        conn_abort(c, "the peer did not close within the linger time after our FIN");
}

/* A closing connection must end within `ms` whatever its peer does. Returns -1 (and c is
 * aborted) if no timer was left for it. */
static int set_deadline(conn *c, uint64_t ms)
{
    loop_timer_stop(c->l, c->deadline);
    c->deadline = loop_timer_start(c->l, ms, deadline_passed, c);
    if (c->deadline)
        return 0;
    conn_abort(c, "closed at once: the loop had no timer left to bound its closing");
    return -1;
}

void conn_shutdown_write(conn *c)
{
    if (c->dead || c->closing || c->shut_wanted)
        return;
    c->shut_wanted = 1;
    if (set_deadline(c, c->refused ? LOOP_REFUSE_MS : c->l->cfg.linger_ms) == 0)
        flush_out(c);
}

void conn_close(conn *c)
{
    if (c->dead || c->closing)
        return;
    c->closing = 1;
    if (!c->why)
        c->why = "closed by us";
    flush_out(c);
    /* Still bytes queued: the peer is slow or not reading at all; give it linger_ms. */
    if (!c->dead && buf_len(&c->out) && !c->deadline)
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
        if (!c->dead && used < n && buf_append(&c->in, data + used, n - used) < 0)
            conn_abort(c, "out of memory buffering input");
    } else {
        if (buf_append(&c->in, data, n) < 0) {
            conn_abort(c, "out of memory buffering input");
            return;
        }
        size_t used = l->h.on_data ? l->h.on_data(c, buf_bytes(&c->in), buf_len(&c->in)) : n;
        if (!c->dead)
            buf_consume(&c->in, used);
    }
    if (!c->dead && buf_len(&c->in) > l->cfg.in_max)
        conn_abort(c, "sent more than the input limit without completing a message");
}

/* What recv() returned (n bytes in data, 0 = FIN, or -1 and err): deliver, close or abort. */
static void received(conn *c, const uint8_t *data, ssize_t n, int err)
{
    if (n > 0) {
        TRACE(c->l, "recv(fd %d) = %zd bytes from %s (the kernel has already ACKed them)\n",
              c->w.fd, n, c->peer);
        c->bytes_in += (uint64_t)n;
        c->l->stats.bytes_in += (uint64_t)n;
        c->last_read_ms = loop_now_ms();
        deliver(c, data, (size_t)n);
    } else if (n == 0) {
        TRACE(c->l, "recv(fd %d) = 0: %s sent FIN, it will send nothing more\n", c->w.fd, c->peer);
        /* Half-close: the peer is done sending, but may still read; flush, then close. */
        c->why = "peer closed (FIN)";
        conn_close(c);
    } else if (err != EAGAIN && err != EWOULDBLOCK && err != EINTR) {
        conn_abort(c, err == ECONNRESET ? "reset by peer (RST)" : "receive failed");
    }
}

static void read_conn(conn *c)
{
    static uint8_t chunk[READ_CHUNK]; /* one thread, one loop: a shared scratch buffer is safe */
    ssize_t n;
    do
        n = recv(c->w.fd, chunk, sizeof chunk, 0);
    while (n < 0 && errno == EINTR);
    received(c, chunk, n, errno);
}

/* ---- batches of system calls (io_uring; see sysbatch.h) ----------------------------- */

static void handle_event(loop *l, struct epoll_event *ev, int already_read);

/* A batch result as recv()/send() would have given it: the count, or -1 with err set. */
static ssize_t result_of(ssize_t r, int *err)
{
    *err = r < 0 ? (int)-r : 0;
    return r < 0 ? -1 : r;
}

/* The connection an epoll event reports as readable (or hung up), or NULL. */
static conn *readable_conn(const struct epoll_event *ev)
{
    watch *w = ev->data.ptr;
    if (w->kind != WATCH_CONN || ((conn *)w)->dead)
        return NULL;
    return ev->events & (EPOLLIN | EPOLLHUP | EPOLLERR) ? (conn *)w : NULL;
}

/*
 * Several connections ready: read them all with one system call, then handle every event in
 * order as if each had just been read. Returns 0 (and reads nothing) when a batch would not
 * pay: no io_uring, or fewer than two connections to read.
 */
static int read_together(loop *l, struct epoll_event *events, int n)
{
    if (!l->batch)
        return 0;
    int readable = 0;
    for (int i = 0; i < n; i++)
        readable += readable_conn(&events[i]) != NULL;
    if (readable < 2)
        return 0;
    for (int i = 0; i < n; i++) {
        conn *c = readable_conn(&events[i]);
        l->batch_conns[i] = c;
        if (c)
            sysbatch_recv(l->batch, c->w.fd, l->batch_in + (size_t)i * BATCH_CHUNK, BATCH_CHUNK);
    }
    l->stats.batched += sysbatch_queued(l->batch);
    /* If the kernel did not take every read, those report EAGAIN (epoll reports the sockets
     * again); the slots stay ours until the end, and plain calls follow from then on. */
    int broken = sysbatch_run(l->batch, l->batch_result) < 0;
    ssize_t *res = l->batch_result;
    for (int i = 0, k = 0; i < n; i++) {
        conn *c = l->batch_conns[i];
        if (!c) {
            handle_event(l, &events[i], 0);
            continue;
        }
        int err;
        ssize_t got = result_of(res[k++], &err);
        if (!c->dead) /* an earlier event's callback may have closed it */
            received(c, l->batch_in + (size_t)i * BATCH_CHUNK, got, err);
        handle_event(l, &events[i], 1);
    }
    if (broken)
        stop_batching(l);
    return 1;
}

/* Enable or disable readiness reports for every listener. */
static void watch_listeners(loop *l, uint32_t events)
{
    for (size_t i = 0; i < l->nlisteners; i++) {
        struct epoll_event ev = {.events = events, .data.ptr = &l->listeners[i]};
        epoll_ctl(l->epfd, EPOLL_CTL_MOD, l->listeners[i].fd, &ev);
    }
}

/*
 * Out of file descriptors: the pending connection stays in the kernel's queue and the
 * listener stays "ready", so without a pause we would spin. Stop asking for 100 ms.
 */
static void resume_accepting(loop *l, void *arg)
{
    (void)arg;
    l->accept_paused = 0;
    watch_listeners(l, EPOLLIN);
}

static void pause_accepting(loop *l)
{
    if (l->accept_paused)
        return;
    loop_log(l, "out of file descriptors: new connections wait in the kernel's queue (raise "
                "`ulimit -n`, or lower the server's connection cap)");
    watch_listeners(l, 0);
    l->accept_paused = 1;
    if (!loop_timer_start(l, 100, resume_accepting, NULL))
        resume_accepting(l, NULL);
}

/* One log line per second at most, however fast clients are refused. */
static void log_refusal(loop *l, const char *peer)
{
    uint64_t now = loop_now_ms();
    l->refused_unlogged++;
    if (l->refuse_logged_ms && now - l->refuse_logged_ms < 1000)
        return;
    loop_log(l,
             "refused %s: %zu clients are connected, the server's limit%s%s%s; %llu refused "
             "since the last such line",
             peer, l->cfg.max_conns, l->cfg.max_conns_flag ? " (raise it with " : "",
             l->cfg.max_conns_flag ? l->cfg.max_conns_flag : "", l->cfg.max_conns_flag ? ")" : "",
             (unsigned long long)l->refused_unlogged);
    l->refused_unlogged = 0;
    l->refuse_logged_ms = now;
}

/*
 * Over max_conns: tell the client why (loop_on_refuse), send FIN, and close when it closes or
 * after LOOP_REFUSE_MS. Without a say() to call, or with LOOP_MAX_REFUSING already being told,
 * close at once: the client sees its connection end before any answer.
 */
static void refuse(loop *l, int fd)
{
    char peer[NET_ADDR_LEN];
    net_peer_name(fd, peer, sizeof peer);
    l->stats.refused++;
    log_refusal(l, peer);
    TRACE(l, "accept() = fd %d, but %zu clients are already connected: refusing it\n", fd,
          l->cfg.max_conns);
    conn *c = NULL;
    if (l->refuse && l->refusing < LOOP_MAX_REFUSING)
        c = new_conn(l, fd, &l->refused_conns);
    if (!c) {
        close(fd);
        return;
    }
    c->refused = 1;
    l->refusing++;
    net_set_nodelay(fd);
    l->refuse(c);
    c->why = "refused: over the connection limit";
    conn_shutdown_write(c); /* our FIN follows the refusal; we read until theirs */
}

static void accept_ready(loop *l, watch *w)
{
    for (int i = 0; i < ACCEPT_PER_ROUND; i++) {
        int fd = accept4(w->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE)
                pause_accepting(l);
            return; /* EAGAIN: nothing more waiting; other errors: try again next round */
        }
        l->stats.accepted++;
        if (l->cfg.max_conns && l->stats.open >= l->cfg.max_conns) {
            refuse(l, fd);
            continue;
        }
        TRACE(l,
              "accept() = fd %d: the three-way handshake (SYN, SYN-ACK, ACK) is already "
              "complete; the kernel did it\n",
              fd);
        /* Every Wirelab protocol writes whole messages at once: send each without waiting
         * for the previous one's ACK (Nagle's algorithm would hold small ones back ~40 ms). */
        net_set_nodelay(fd);
        if (!loop_add_conn(l, fd))
            close(fd);
    }
}

/* One epoll event; `already_read`: its recv() was made in this round's batch. */
static void handle_event(loop *l, struct epoll_event *ev, int already_read)
{
    watch *w = ev->data.ptr;
    if (w->kind == WATCH_LISTENER) {
        accept_ready(l, w);
    } else if (w->kind == WATCH_SIGNAL) {
        struct signalfd_siginfo si;
        while (read(w->fd, &si, sizeof si) == (ssize_t)sizeof si)
            l->stop = 1;
    } else {
        conn *c = (conn *)w;
        if (c->dead)
            return;
        if (!already_read && (ev->events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
            read_conn(c);
        if (!c->dead && (ev->events & EPOLLOUT))
            flush_out(c);
    }
}

/* ---- timers and the loop itself ------------------------------------------------------ */

/* How long epoll_wait may sleep: until the earliest timer (rounded UP to whole milliseconds,
 * so the loop never wakes before a deadline), or forever (-1) with no timer. */
static int next_timeout_ms(const loop *l)
{
    uint64_t deadline, now = loop_now_ns();
    if (!timers_next(&l->timers, &deadline))
        return -1;
    if (deadline <= now)
        return 0;
    uint64_t ms = (deadline - now + NS_PER_MS - 1) / NS_PER_MS;
    return ms > INT_MAX ? INT_MAX : (int)ms;
}

/* Fire every timer due now, earliest first. Timers their callbacks start are due later than
 * this moment (see start_timer), so this ends. */
static void run_timers(loop *l)
{
    uint64_t now = loop_now_ns();
    timer_due due;
    while (timers_pop_due(&l->timers, now, &due))
        due.fn(l, due.arg);
}

/* The next coalescing connection with bytes to write, off the pending list; NULL at its end.
 * The others (closed meanwhile, or nothing left) are finished on the way. */
static conn *next_pending(loop *l)
{
    while (l->pending) {
        conn *c = l->pending;
        l->pending = c->pending_next;
        c->coalescing = 0;
        if (!c->dead && buf_len(&c->out))
            return c;
        after_write(c);
    }
    return NULL;
}

/* Up to MAX_EVENTS pending connections' send()s in one system call; returns how many. */
static int write_together(loop *l)
{
    int n = 0;
    for (conn *c; n < MAX_EVENTS && (c = next_pending(l));)
        l->batch_conns[n++] = c;
    if (n <= 1) { /* a batch of one would only be a slower send() */
        if (n)
            flush_out(l->batch_conns[0]);
        return n;
    }
    for (int i = 0; i < n; i++) {
        conn *c = l->batch_conns[i];
        sysbatch_send(l->batch, c->w.fd, buf_bytes(&c->out), buf_len(&c->out));
    }
    l->stats.batched += (uint64_t)n;
    /* Sends the kernel did not take report EAGAIN and are retried on EPOLLOUT. */
    int broken = sysbatch_run(l->batch, l->batch_result) < 0;
    for (int i = 0; i < n; i++) {
        conn *c = l->batch_conns[i];
        size_t len = buf_len(&c->out);
        int err;
        ssize_t r = result_of(l->batch_result[i], &err);
        ssize_t w = sent(c, len, r, err);
        if (w > 0)
            buf_consume(&c->out, (size_t)w);
        if (w > 0 && (size_t)w < len)
            flush_out(c); /* the kernel took part: offer the rest as a plain send() */
        else
            after_write(c); /* all sent, EAGAIN (wait for EPOLLOUT), or aborted */
    }
    if (broken)
        stop_batching(l);
    return n;
}

/* Write each connection's coalesced sends of this round: one send() per connection, and
 * with io_uring one system call for all of them. */
static void flush_pending(loop *l)
{
    while (l->batch && write_together(l) > 0) {
    }
    for (conn *c; (c = next_pending(l));)
        flush_out(c); /* what the kernel does not take now waits for EPOLLOUT */
}

/*
 * Write, then free the closed. An on_close may itself send (a "left the chat" notice to the
 * others) or close others, so repeat until nothing is left: the notice must not wait for the
 * next event, which may never come.
 */
static void end_round(loop *l)
{
    while (l->pending || l->dead) {
        flush_pending(l);
        reap_dead(l);
    }
}

int loop_run(loop *l)
{
    struct epoll_event events[MAX_EVENTS];
    l->stop = 0;
    end_round(l); /* anything sent before the loop started */
    while (!l->stop) {
        int n = epoll_wait(l->epfd, events, MAX_EVENTS, next_timeout_ms(l));
        if (n < 0 && errno == EINTR)
            continue; /* a signal (or io_uring's own task work) woke us: not a round */
        if (n < 0)
            return -1;
        l->stats.rounds++;
        if (!read_together(l, events, n))
            for (int i = 0; i < n; i++)
                handle_event(l, &events[i], 0);
        run_timers(l);
        end_round(l);
    }
    return 0;
}

void loop_foreach_conn(loop *l, void (*fn)(conn *c, void *arg), void *arg)
{
    /* Read `next` before the call: fn may close c, which unlinks it from this list. */
    for (conn *c = l->conns, *next; c; c = next) {
        next = c->next;
        fn(c, arg);
    }
}

void loop_free(loop *l)
{
    flush_pending(l); /* last words sent after loop_run returned (a 1001 close, say): once */
    while (l->conns)
        conn_abort(l->conns, "server shutting down");
    while (l->refused_conns)
        conn_abort(l->refused_conns, "server shutting down");
    reap_dead(l);
    for (size_t i = 0; i < l->nlisteners; i++)
        close(l->listeners[i].fd);
    if (l->sig.fd >= 0)
        close(l->sig.fd);
    close(l->epfd);
    stop_batching(l);
    timers_free(&l->timers);
    free(l);
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
    return c->closing || c->dead;
}
