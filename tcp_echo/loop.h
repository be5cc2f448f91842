/*
 * loop.h - the non-blocking TCP connection loop every Wirelab server stands on.
 *
 * What it teaches: how one thread serves many clients. The loop asks the kernel (epoll) which
 * sockets are ready, accepts new connections, reads what arrived, and writes what is queued -
 * never blocking on any one client. tcp_echo_server is this loop with "send back what you got"
 * on top; ws_server, queue_broker and events_server are the same loop with a protocol on top.
 *
 * The files: loop.c is the loop (readiness, timers, signals, the round), conn.c the
 * connection (buffers, coalescing, backpressure, closing), io_plain.c and io_batch.c the two
 * ways its recv()s and send()s reach the kernel; loop_internal.h is what they share.
 *
 * The protocol on top sees three events (loop_handlers) and a few calls (conn_*):
 *   on_open(c)            accept() returned: the three-way handshake is already complete
 *   on_data(c, buf, len)  bytes arrived; return how many you used (the rest stays buffered and
 *                         is offered again with the next bytes: one read is not one message)
 *   on_close(c, why)      the connection is going away (peer's FIN, reset, error, or yours)
 *   conn_send(c, ...)     queue bytes; the loop writes them as the socket accepts them (small
 *                         sends of one round are coalesced into one send() at its end)
 *   conn_close(c)         send what is queued, then FIN
 *
 * Backpressure: while a connection has more than out_high bytes queued (its peer is not
 * reading), the loop stops reading from it, so it cannot make us buffer without bound, and
 * nobody else waits for it.
 *
 * Ownership: the loop owns every conn; a conn pointer is valid until its on_close returns.
 * Library code: nothing here exits. It prints the --verbose teaching trace and one line when a
 * limit bites (loop_log), both to stderr. loop_new guards stdout and stderr (outguard.h): a
 * log line that cannot be written at once is dropped and counted, never waited for.
 */
#ifndef WIRELAB_LOOP_H
#define WIRELAB_LOOP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h> /* struct iovec, for conn_sendv */

typedef struct loop loop;
typedef struct conn conn;

typedef struct loop_handlers {
    void (*on_open)(conn *c);
    size_t (*on_data)(conn *c, const uint8_t *data, size_t len);
    void (*on_close)(conn *c, const char *why);
} loop_handlers;

typedef struct loop_config {
    size_t max_conns;           /* refuse (see loop_on_refuse) beyond this many; 0 = no limit */
    const char *max_conns_flag; /* the server's flag for max_conns, named in the refusal log */
    size_t out_high;            /* stop reading a conn while more than this is queued; 0 = 1 MiB */
    size_t in_max;              /* close a conn whose unconsumed input exceeds this; 0 = 1 MiB */
    unsigned linger_ms;         /* after conn_shutdown_write, wait this long for the peer's FIN, and
                                   after conn_close, this long for the peer to read what is queued;
                                   0 = 5 s */
    size_t max_timers;          /* timers pending at once (loop_timer_start); 0 = LOOP_MAX_TIMERS */
    int verbose;                /* print the teaching trace of each socket call to stderr */
    void *user;                 /* the protocol's own state, for loop_user() */
} loop_config;

typedef struct loop_stats {
    uint64_t accepted;       /* connections accepted since the start */
    uint64_t refused;        /* connections refused because of max_conns */
    uint64_t open;           /* connections open now */
    uint64_t bytes_in;       /* bytes read from all connections */
    uint64_t bytes_out;      /* bytes written to all connections */
    uint64_t batched;        /* recv()s and send()s made in io_uring batches (0: plain calls) */
    uint64_t timers_refused; /* loop_timer_start calls refused: max_timers were pending */
    uint64_t rounds;         /* epoll_wait() returns so far: one per round of the loop */
} loop_stats;

#define LOOP_MAX_TIMERS   65536 /* default max_timers */
#define LOOP_MAX_REFUSING 64    /* refused connections being told why at once; more: closed */
#define LOOP_REFUSE_MS    1000  /* a refused client has this long to read why, then it is cut */

/*
 * Create a loop. Returns NULL (and a sentence in err) if the kernel refuses epoll, or the
 * environment variable WIRELAB_IO is set to something other than "plain" or "batch" (it picks
 * the I/O backend: batch, the default, makes a round's recv()s and send()s with one
 * io_uring_enter() each where the build and the kernel allow; plain makes one system call
 * per recv() and send()).
 */
loop *loop_new(const loop_config *cfg, const loop_handlers *h, char *err, size_t errlen);

/* The I/O backend that runs: "plain" or "batch". */
const char *loop_io(const loop *l);

/* Close every connection (on_close is called for each) and free the loop. */
void loop_free(loop *l);

/* Watch a listening socket: its new connections become conns. The loop closes it at the end.
 * Returns 0, or -1 with a sentence in err (errlen bytes; NET_ERR_LEN is enough) that says what
 * the kernel answered and what to do, e.g. "epoll cannot watch listening socket 3: File exists
 * (it is watched already: add each descriptor once)". */
int loop_add_listener(loop *l, int fd, char *err, size_t errlen);

/* Adopt an already connected socket (a client's, or one end of a socketpair in a test). */
conn *loop_add_conn(loop *l, int fd);

/*
 * Timers. loop_timer_start calls fn(l, arg) once, in the first round that begins at or after
 * `ms` milliseconds from now (CLOCK_MONOTONIC; never earlier: epoll_wait sleeps until the
 * earliest deadline, rounded up). Timers due in the same round fire in deadline order, ties
 * in start order. fn may start and stop timers, itself included; a timer started from a
 * callback fires in a later round, even with ms = 0.
 *
 * Returns the timer's id, or 0 if max_timers are already pending: the loop then logs one line
 * and counts it in loop_stats.timers_refused; the caller must treat 0 as "no timer" (close the
 * connection it was meant to watch, say). loop_timer_stop cancels a pending timer; stopping
 * one that already fired or was stopped (or id 0) is a harmless no-op that returns -1.
 */
typedef void (*loop_timer_fn)(loop *l, void *arg);
typedef uint64_t loop_timer;
loop_timer loop_timer_start(loop *l, uint64_t ms, loop_timer_fn fn, void *arg);
int loop_timer_stop(loop *l, loop_timer t);

/* Call fn(l, arg) every interval_ms milliseconds while the loop runs (a periodic timer; it
 * counts against max_timers). Returns -1 when full. */
int loop_add_timer(loop *l, unsigned interval_ms, loop_timer_fn fn, void *arg);

/*
 * Other descriptors: a socket the loop does not own (a client library's connection, such as
 * hiredis's to Redis in events/redis_loop.c), watched for readiness. loop_fd_watch registers
 * fd asking for nothing yet; loop_fd_want says what to report; fn(w, readable, writable, arg)
 * is called in the round the kernel reports it (an error or hang-up counts as readable: the
 * owner's read finds out). loop_fd_unwatch stops the reports at once (fn is not called again,
 * even for an event already reported in this round) and frees w at the end of the round; the
 * owner closes fd. Returns NULL (watch) or -1 (want) when epoll refuses.
 */
typedef struct loop_fd loop_fd;
typedef void (*loop_fd_fn)(loop_fd *w, int readable, int writable, void *arg);
loop_fd *loop_fd_watch(loop *l, int fd, loop_fd_fn fn, void *arg);
int loop_fd_want(loop_fd *w, int readable, int writable);
void loop_fd_unwatch(loop_fd *w);
int loop_fd_active(const loop_fd *w);

/*
 * Refusing over max_conns. Without this, a connection over the cap is accepted and closed at
 * once (the client sees its connection closed before any answer). With it, the loop accepts
 * the connection, calls say(c) - which queues the protocol's own refusal with conn_send (an
 * HTTP 503, an "ERR busy" line; a WebSocket server answers the upgrade with 503, since there
 * is no WebSocket to close yet) - then sends it, sends FIN, discards what the client sends,
 * and closes when the client closes or after LOOP_REFUSE_MS. The protocol's on_open, on_data
 * and on_close never see such a connection. At most LOOP_MAX_REFUSING are being refused at
 * once; beyond that they are closed at once. Each refusal is logged (at most one line a
 * second, with the count since the last line).
 */
void loop_on_refuse(loop *l, void (*say)(conn *c));

/* One line "program: message" on stderr (a limit that bit, say): never blocks (outguard.h). */
void loop_log(const loop *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Stop the loop when SIGINT or SIGTERM arrives (delivered through a signalfd, race-free).
 * Returns 0, or -1 with the reason in err (as loop_add_listener). */
int loop_stop_on_signals(loop *l, char *err, size_t errlen);

/* Run until loop_stop() or a signal. Returns 0, or -1 if epoll itself failed (then one
 * loop_log line has said why). */
int loop_run(loop *l);

/* Ask loop_run to return after the current round of events. Safe inside any callback. */
void loop_stop(loop *l);

void *loop_user(const loop *l);
int loop_verbose(const loop *l);
loop_stats loop_get_stats(const loop *l);

/* Milliseconds (and nanoseconds) on a monotonic clock (never jumps with the wall clock). */
uint64_t loop_now_ms(void);
uint64_t loop_now_ns(void);

/* Call fn for every open connection (for broadcasts and idle checks). fn may close c. */
void loop_foreach_conn(loop *l, void (*fn)(conn *c, void *arg), void *arg);

/*
 * Queue len bytes for c. Small sends are written together at the end of the current round
 * (or when loop_run next starts); a large one is tried at once. Returns 0, or -1 if c is
 * closing.
 */
int conn_send(conn *c, const void *data, size_t len);

/* conn_send of the pieces one after another (a frame header and its payload, say), without
 * joining them first: queued together, or written with one sendmsg() when large. */
int conn_sendv(conn *c, const struct iovec *iov, int iovcnt);

/* Bytes queued for c that the kernel has not accepted yet (this round's included). */
size_t conn_pending(const conn *c);

/* Graceful close: write what is queued, then close (our FIN). on_close follows. A peer that
 * does not read what is queued within linger_ms is cut off (a flush deadline). */
void conn_close(conn *c);

/*
 * Half-close: write what is queued, then send our FIN (shutdown(SHUT_WR)) and keep reading
 * until the peer's FIN, then close. A protocol that ends a connection while the peer may
 * still be sending uses this ("lingering close"): a plain close() with unread input makes the
 * kernel answer with a RST, which can destroy our last bytes before the peer reads them.
 */
void conn_shutdown_write(conn *c); /* a peer that never closes is dropped after linger_ms */

/* Close now, dropping what is queued; `why` is passed to on_close. */
void conn_abort(conn *c, const char *why);

/* Per-connection state of the protocol on top. */
void conn_set_data(conn *c, void *data);
void *conn_data(const conn *c);

loop *conn_loop(const conn *c);
const char *conn_peer(const conn *c); /* "127.0.0.1:51234" */
int conn_fd(const conn *c);
uint64_t conn_id(const conn *c); /* 1, 2, 3... in accept order */
uint64_t conn_bytes_in(const conn *c);
uint64_t conn_bytes_out(const conn *c);
uint64_t conn_last_read_ms(const conn *c); /* loop_now_ms() when bytes last arrived */
int conn_is_closing(const conn *c);

#endif
