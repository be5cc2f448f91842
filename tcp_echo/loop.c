/*
 * loop.c - the event loop: which sockets are ready, what is due, and one round's dispatch
 * (see loop.h for what it offers; conn.c is the connection, io_plain.c / io_batch.c the I/O).
 *
 * One round of the loop:
 *   1. epoll_wait(): the kernel lists the sockets that are ready (level-triggered: a socket
 *      stays "ready" until we have read all it holds, so no event is ever lost). It sleeps at
 *      most until the earliest timer is due.
 *   2. dispatch(): a listening socket -> accept() the connections whose handshake the kernel
 *      has completed; the signalfd -> stop; another library's socket (fdwatch.c) -> its
 *      owner's callback; readable connections -> the I/O backend recv()s each and hands the
 *      bytes to on_data; writable ones -> send() what waited for room.
 *   3. run_timers(): every timer whose deadline has come, earliest first.
 *   4. end_round(): write what the round queued (each connection's small sends leave together,
 *      in one send(): "coalescing", conn.c), then free the connections closed in the round.
 *
 * The I/O backend is chosen once, in choose_io(): io_batch (one io_uring_enter() for a round's
 * recv()s, one for its send()s) where the build and the kernel allow it, else io_plain (one
 * system call each). WIRELAB_IO=plain asks for plain calls; --verbose says which runs and why.
 *
 * Run it: every server in Wirelab is this loop; `tcp_echo_server --verbose` prints each call.
 */
#define _GNU_SOURCE /* accept4(), program_invocation_short_name */
#include "loop_internal.h"
#include "outguard.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_LIMIT    (1u << 20)
#define ACCEPT_PER_ROUND 64 /* fairness: a burst of connects cannot starve the open ones */
#define NS_PER_MS        1000000u

uint64_t loop_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t loop_now_ms(void)
{
    return loop_now_ns() / NS_PER_MS;
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

/*
 * The one place the I/O backend is chosen. WIRELAB_IO=plain: one system call per recv() and
 * send(). Unset or "batch": io_uring batches if this build has liburing and the kernel allows
 * io_uring (5.6 or later, not switched off by sysctl kernel.io_uring_disabled), else plain.
 * Returns 0, or -1 with a sentence in err for a value that is neither.
 */
static int choose_io(loop *l, char *err, size_t errlen)
{
    const char *want = getenv("WIRELAB_IO");
    char why[IO_WHY_LEN];
    l->io = &io_plain;
    if (want && strcmp(want, "plain") == 0) {
        TRACE(l, "I/O: plain system calls, one per recv() and send() (WIRELAB_IO=plain)\n");
        return 0;
    }
    if (want && *want && strcmp(want, "batch") != 0) {
        snprintf(err, errlen, "WIRELAB_IO is '%s'; set it to plain or batch, or unset it", want);
        return -1;
    }
    if (io_batch_start(l, why, sizeof why) == 0)
        TRACE(l, "I/O: batches - the recv()s of a round go to the kernel in one "
                 "io_uring_enter(), and so do its send()s (WIRELAB_IO=plain for one call each)\n");
    else
        TRACE(l, "I/O: plain system calls, one per recv() and send(), because %s\n", why);
    return 0;
}

loop *loop_new(const loop_config *cfg, const loop_handlers *h, char *err, size_t errlen)
{
    loop *l = calloc(1, sizeof *l);
    if (!l) {
        snprintf(err, errlen, "out of memory creating the event loop");
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
    l->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (l->epfd < 0) {
        snprintf(err, errlen, "the kernel refused epoll_create1: %s", strerror(errno));
        free(l);
        return NULL;
    }
    if (choose_io(l, err, errlen) < 0) {
        close(l->epfd);
        free(l);
        return NULL;
    }
    /* A server's log lines must never stop it (stdout a pipe nobody reads): see outguard.h. */
    outguard_install();
    raise_fd_limit();
    return l;
}

const char *loop_io(const loop *l)
{
    return l->io->name;
}

static int watch_fd(loop *l, watch *w, uint32_t events)
{
    struct epoll_event ev = {.events = events, .data.ptr = w};
    return epoll_ctl(l->epfd, EPOLL_CTL_ADD, w->fd, &ev);
}

/* What to do when epoll_ctl(ADD) failed with e, for the sentence after the errno's own. */
static const char *watch_advice(int e)
{
    switch (e) {
    case EEXIST:
        return "it is watched already: add each descriptor once";
    case EBADF:
        return "it is not an open descriptor: pass the socket net_listen returned";
    case EPERM:
        return "epoll cannot watch a regular file: pass a socket";
    case ENOSPC:
        return "the per-user epoll limit is reached: raise sysctl fs.epoll.max_user_watches";
    case ENOMEM:
        return "the kernel is out of memory: close something and try again";
    default:
        return "see epoll_ctl(2)";
    }
}

int loop_add_listener(loop *l, int fd, char *err, size_t errlen)
{
    size_t max = sizeof l->listeners / sizeof l->listeners[0];
    if (l->nlisteners == max) {
        snprintf(err, errlen,
                 "the loop watches at most %zu listening sockets and has them: listen on fewer "
                 "addresses (one socket on :: takes IPv6 and IPv4)",
                 max);
        return -1;
    }
    if (net_set_nonblocking(fd) < 0) {
        snprintf(err, errlen, "cannot make listening socket %d non-blocking: %s (%s)", fd,
                 strerror(errno), watch_advice(errno));
        return -1;
    }
    watch *w = &l->listeners[l->nlisteners];
    *w = (watch){WATCH_LISTENER, fd};
    if (watch_fd(l, w, EPOLLIN) < 0) {
        snprintf(err, errlen, "epoll cannot watch listening socket %d: %s (%s)", fd,
                 strerror(errno), watch_advice(errno));
        return -1;
    }
    l->nlisteners++;
    return 0;
}

conn *loop_add_conn(loop *l, int fd)
{
    conn *c = conn_new(l, fd, &l->conns);
    if (!c)
        return NULL;
    l->stats.open++;
    if (l->h.on_open)
        l->h.on_open(c);
    return c;
}

/* ---- timers (a min-heap of deadlines: timers.h) --------------------------------------- */

/* Start a timer; a full table is logged once and counted. */
static loop_timer start_timer(loop *l, uint64_t ms, uint64_t period_ms, loop_timer_fn fn, void *arg)
{
    /* Never due in the round that starts it, even with ms = 0: run_timers compares deadlines
     * with the time it read before calling back, and this clock reading is at least that. */
    uint64_t deadline = loop_now_ns() + (ms ? ms * NS_PER_MS : 1);
    loop_timer t = timers_add(&l->timers, deadline, period_ms * NS_PER_MS, fn, arg);
    if (!t) {
        l->stats.timers_refused++;
        if (!l->timers_full_logged)
            loop_log(l,
                     "%zu timers are pending, the loop's limit (loop_config.max_timers): a timer "
                     "was refused, and what needed it ends now (this line is written once)",
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

/* ---- accepting, and refusing over max_conns ------------------------------------------- */

void loop_on_refuse(loop *l, void (*say)(conn *c))
{
    l->refuse = say;
}

/* Enable or disable readiness reports for every listener. */
static void watch_listeners(loop *l, uint32_t events)
{
    for (size_t i = 0; i < l->nlisteners; i++) {
        struct epoll_event ev = {.events = events, .data.ptr = &l->listeners[i]};
        epoll_ctl(l->epfd, EPOLL_CTL_MOD, l->listeners[i].fd, &ev);
    }
}

static void resume_accepting(loop *l, void *arg)
{
    (void)arg;
    l->accept_paused = 0;
    watch_listeners(l, EPOLLIN);
}

/*
 * Out of file descriptors: the pending connection stays in the kernel's queue and the
 * listener stays "ready", so without a pause we would spin. Stop asking for 100 ms.
 */
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
    const char *flag = l->cfg.max_conns_flag;
    loop_log(l,
             "refused %s: %zu clients are connected, the server's limit%s%s%s; %llu refused "
             "since the last such line",
             peer, l->cfg.max_conns, flag ? " (raise it with " : "", flag ? flag : "",
             flag ? ")" : "", (unsigned long long)l->refused_unlogged);
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
        c = conn_new(l, fd, &l->refused_conns);
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

/* ---- signals ------------------------------------------------------------------------- */

int loop_stop_on_signals(loop *l, char *err, size_t errlen)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    /* Blocked signals wait in the signalfd instead of interrupting us at a random line. */
    if (sigprocmask(SIG_BLOCK, &set, NULL) < 0) {
        snprintf(err, errlen, "cannot block SIGINT and SIGTERM: %s", strerror(errno));
        return -1;
    }
    l->sig.kind = WATCH_SIGNAL;
    l->sig.fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (l->sig.fd < 0) {
        snprintf(err, errlen, "the kernel refused a signalfd: %s (%s)", strerror(errno),
                 errno == EMFILE || errno == ENFILE ? "out of file descriptors: raise `ulimit -n`"
                                                    : "see signalfd(2)");
        return -1;
    }
    if (watch_fd(l, &l->sig, EPOLLIN) < 0) {
        snprintf(err, errlen, "epoll cannot watch the signalfd: %s (%s)", strerror(errno),
                 watch_advice(errno));
        return -1;
    }
    return 0;
}

static void read_signals(loop *l)
{
    struct signalfd_siginfo si;
    while (read(l->sig.fd, &si, sizeof si) == (ssize_t)sizeof si)
        l->stop = 1;
}

/* ---- the round ----------------------------------------------------------------------- */

/*
 * Step 2, in one path for every backend: accept, signals and other watched descriptors
 * first; then every readable connection goes to the backend's read (plain: a recv() each;
 * batch: one system call for all), then every writable one sends what waited for room. A
 * callback may close any connection meanwhile: a closed one is skipped, and freed only at the
 * end of the round.
 */
static void dispatch(loop *l, const struct epoll_event *events, int n)
{
    int nready = 0;
    for (int i = 0; i < n; i++) {
        watch *w = events[i].data.ptr;
        if (w->kind == WATCH_LISTENER)
            accept_ready(l, w);
        else if (w->kind == WATCH_SIGNAL)
            read_signals(l);
        else if (w->kind == WATCH_FD)
            fdwatch_ready(w, events[i].events);
        else if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
            l->ready[nready++] = (conn *)w;
    }
    l->io->read(l, l->ready, nready);
    for (int i = 0; i < n; i++) {
        watch *w = events[i].data.ptr;
        if (w->kind == WATCH_CONN && (events[i].events & EPOLLOUT) &&
            ((conn *)w)->state != CONN_DEAD)
            conn_flush((conn *)w);
    }
}

/*
 * Step 4: write, then free the closed. An on_close may itself send (a "left the chat" notice
 * to the others) or close others, so repeat until nothing is left: the notice must not wait
 * for the next event, which may never come.
 */
static void end_round(loop *l)
{
    while (l->pending || l->dead) {
        l->io->write(l);
        conn_reap_dead(l);
    }
    fdwatch_reap(l, 0);
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
        if (n < 0) {  /* (never expected: the program's last words, so they must say why) */
            loop_log(l, "epoll_wait failed: %s; the loop stops", strerror(errno));
            return -1;
        }
        l->stats.rounds++;
        dispatch(l, events, n);
        run_timers(l);
        end_round(l);
    }
    return 0;
}

void loop_stop(loop *l)
{
    l->stop = 1;
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
    l->io->write(l); /* last words sent after loop_run returned (a 1001 close, say): once */
    while (l->conns)
        conn_abort(l->conns, "server shutting down");
    while (l->refused_conns)
        conn_abort(l->refused_conns, "server shutting down");
    conn_reap_dead(l);
    for (size_t i = 0; i < l->nlisteners; i++)
        close(l->listeners[i].fd);
    if (l->sig.fd >= 0)
        close(l->sig.fd);
    close(l->epfd);
    if (l->io->free)
        l->io->free(l);
    timers_free(&l->timers);
    fdwatch_reap(l, 1);
    free(l);
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
