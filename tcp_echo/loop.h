/*
 * loop.h - the non-blocking TCP connection loop every Wirelab server stands on.
 *
 * What it teaches: how one thread serves many clients. The loop asks the kernel (epoll) which
 * sockets are ready, accepts new connections, reads what arrived, and writes what is queued -
 * never blocking on any one client. tcp_echo_server is this loop with "send back what you got"
 * on top; ws_server, queue_broker and events_server are the same loop with a protocol on top.
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
 * Library code: nothing here prints except the --verbose teaching trace (to stderr), and nothing
 * exits.
 */
#ifndef WIRELAB_LOOP_H
#define WIRELAB_LOOP_H

#include <stddef.h>
#include <stdint.h>

typedef struct loop loop;
typedef struct conn conn;

typedef struct loop_handlers {
    void (*on_open)(conn *c);
    size_t (*on_data)(conn *c, const uint8_t *data, size_t len);
    void (*on_close)(conn *c, const char *why);
} loop_handlers;

typedef struct loop_config {
    size_t max_conns;   /* refuse (accept then close) beyond this many; 0 = no limit */
    size_t out_high;    /* stop reading a conn while more than this is queued; 0 = 1 MiB */
    size_t in_max;      /* close a conn whose unconsumed input exceeds this; 0 = 1 MiB */
    unsigned linger_ms; /* after conn_shutdown_write, wait this long for the peer's FIN; 0 = 5 s */
    int verbose;        /* print the teaching trace of each socket call to stderr */
    int plain_syscalls; /* 1: one system call per recv()/send(), never io_uring batches */
    void *user;         /* the protocol's own state, for loop_user() */
} loop_config;

typedef struct loop_stats {
    uint64_t accepted;  /* connections accepted since the start */
    uint64_t refused;   /* connections closed at once because of max_conns */
    uint64_t open;      /* connections open now */
    uint64_t bytes_in;  /* bytes read from all connections */
    uint64_t bytes_out; /* bytes written to all connections */
    uint64_t batched;   /* recv()s and send()s made in io_uring batches (0: plain calls) */
} loop_stats;

/* Create a loop. Returns NULL (and a sentence in err) if the kernel refuses epoll. */
loop *loop_new(const loop_config *cfg, const loop_handlers *h, char *err, size_t errlen);

/* Close every connection (on_close is called for each) and free the loop. */
void loop_free(loop *l);

/* Watch a listening socket: its new connections become conns. The loop closes it at the end. */
int loop_add_listener(loop *l, int fd);

/* Adopt an already connected socket (a client's, or one end of a socketpair in a test). */
conn *loop_add_conn(loop *l, int fd);

/* Call fn(l, arg) every interval_ms milliseconds while the loop runs. Returns -1 when full. */
int loop_add_timer(loop *l, unsigned interval_ms, void (*fn)(loop *l, void *arg), void *arg);

/* Stop the loop when SIGINT or SIGTERM arrives (delivered through a signalfd, race-free). */
int loop_stop_on_signals(loop *l);

/* Run until loop_stop() or a signal. Returns 0, or -1 if epoll itself failed. */
int loop_run(loop *l);

/* Ask loop_run to return after the current round of events. Safe inside any callback. */
void loop_stop(loop *l);

void *loop_user(const loop *l);
int loop_verbose(const loop *l);
loop_stats loop_get_stats(const loop *l);

/* Milliseconds on a monotonic clock (never jumps with the wall clock). */
uint64_t loop_now_ms(void);

/* Call fn for every open connection (for broadcasts and idle checks). fn may close c. */
void loop_foreach_conn(loop *l, void (*fn)(conn *c, void *arg), void *arg);

/*
 * Queue len bytes for c. Small sends are written together at the end of the current round
 * (or when loop_run next starts); a large one is tried at once. Returns 0, or -1 if c is
 * closing.
 */
int conn_send(conn *c, const void *data, size_t len);

/* Bytes queued for c that the kernel has not accepted yet (this round's included). */
size_t conn_pending(const conn *c);

/* Graceful close: write what is queued, then close (our FIN). on_close follows. */
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
