/*
 * loop_internal.h - what the loop's files share, and nothing outside tcp_echo/ includes.
 *
 * The loop is three parts, the way Redis splits ae.c, networking.c and ae_epoll.c:
 *   loop.c       the loop: epoll readiness, accepting, timers, signals, one round's dispatch
 *   conn.c       the connection: its buffers, coalesced sends, backpressure, closing
 *   io_plain.c   the I/O backend that makes one recv() or send() per system call
 *   io_batch.c   the I/O backend that hands a round's recv()s (and send()s) to the kernel in
 *                one io_uring_enter() (sysbatch.h); io_nobatch.c stands in for it when
 *                liburing was not found at configure time
 * loop.c chooses the backend once, in choose_io() (WIRELAB_IO=plain|batch).
 */
#ifndef WIRELAB_LOOP_INTERNAL_H
#define WIRELAB_LOOP_INTERNAL_H

#include "buf.h"
#include "loop.h"
#include "net.h"
#include "timers.h"

#include <stdio.h>
#include <sys/types.h>
#include <sys/uio.h>

#define MAX_EVENTS   64    /* epoll events (and so connections read) per round */
#define COALESCE_MAX 16384 /* small sends wait for the end of the round up to this many bytes */

/* What an epoll event points at: the first member of a listener, a conn or the signalfd. */
enum watch_kind { WATCH_LISTENER, WATCH_CONN, WATCH_SIGNAL, WATCH_FD };

typedef struct watch {
    enum watch_kind kind;
    int fd;
} watch;

/*
 * A connection's life. Every arrow is one function of conn.c; no other change is legal.
 *
 *            conn_shutdown_write            `out` empty: shutdown(SHUT_WR)
 *   OPEN ---------------------------> SHUTTING ---------------------------> SHUT
 *    |                                   |                                   |
 *    | conn_close, or the peer's FIN     | conn_close, the peer's FIN        | the peer's FIN
 *    v                                   v                                   v
 *  CLOSING <-----------------------------+-----------------------------------+
 *    |
 *    | `out` empty (flushed)                         any state, any time: conn_abort
 *    v                                               (error, RST, deadline, limit) --> DEAD
 *   DEAD: unlinked and off epoll; on_close, close() and free() come at the end of the round
 *
 *   state     reads  conn_send  deadline (a timer)
 *   OPEN      yes    yes        none
 *   SHUTTING  yes    no         linger_ms for the peer's FIN (set on entry)
 *   SHUT      yes    no         the same one
 *   CLOSING   no     no         linger_ms for the peer to read `out` (if anything is queued)
 *   DEAD      no     no         stopped
 *
 * Two more bits are not part of the life, and may be set in any state but DEAD:
 * `paused` (backpressure: not reading while `out` is over out_high) and `coalescing` (on the
 * loop's pending list: `out` is written at the end of the round).
 */
typedef enum conn_state { CONN_OPEN, CONN_SHUTTING, CONN_SHUT, CONN_CLOSING, CONN_DEAD } conn_state;

struct conn {
    watch w;
    loop *l;
    uint64_t id;
    char peer[NET_ADDR_LEN];
    buf in;  /* received, not yet consumed by on_data */
    buf out; /* queued by conn_send, not yet taken by the kernel */
    conn_state state;
    int paused;          /* reading stopped by backpressure */
    int coalescing;      /* on the pending list: `out` holds sends of this round */
    int refused;         /* over max_conns: only told why, never seen by the protocol */
    loop_timer deadline; /* while closing: linger or flush deadline (0: none) */
    conn *pending_next;  /* the loop's list of coalescing conns */
    uint32_t interest;   /* the epoll events we currently ask for */
    const char *why;     /* reason passed to on_close */
    uint64_t bytes_in, bytes_out, last_read_ms;
    void *data;
    conn *prev, *next; /* the list of open conns; `next` also links the dead list */
};

/*
 * An I/O backend: how a round's recv()s and send()s reach the kernel. Both make the same
 * non-blocking calls with the same results; they differ only in how many system calls that
 * takes. Every result goes to conn_received / conn_sent, which do the rest.
 */
typedef struct io_backend {
    const char *name; /* "plain" or "batch" */
    /* recv() on each of the n connections epoll reported readable (skip dead ones). */
    void (*read)(loop *l, conn **ready, int n);
    /* send() each coalescing connection's queue (conn_next_pending lists them). */
    void (*write)(loop *l);
    void (*free)(loop *l);
} io_backend;

extern const io_backend io_plain;

/* Switch l to batches (io_batch.c): 0, or -1 with why it cannot in err (then l is
 * unchanged; IO_WHY_LEN bytes hold every sentence). */
#define IO_WHY_LEN 256
int io_batch_start(loop *l, char *err, size_t errlen);

/* The plain calls (io_plain.c), also for a backend with nothing better for one connection:
 * one recv() into a scratch buffer, handed to conn_received; one sendmsg() of the pieces,
 * through conn_sent (its result). */
void io_plain_read_one(conn *c);
ssize_t io_plain_send(conn *c, const struct iovec *iov, int iovcnt);

struct loop {
    int epfd;
    loop_config cfg;
    loop_handlers h;
    watch listeners[4];
    size_t nlisteners;
    watch sig;
    timers timers;
    conn *conns;               /* open connections, newest first */
    conn *refused_conns;       /* connections over max_conns being told why */
    conn *dead;                /* closed this round, freed at its end */
    conn *pending;             /* conns with coalesced sends to write at the end of the round */
    void (*refuse)(conn *c);   /* loop_on_refuse's say(), or NULL */
    size_t refusing;           /* refused conns still being told why */
    uint64_t refused_unlogged; /* refusals since the last log line */
    uint64_t refuse_logged_ms; /* when that line was written */
    int timers_full_logged;    /* the "too many timers" line was written */
    uint64_t next_id;
    int accept_paused; /* out of fds: accepting paused for a moment */
    int stop;
    loop_stats stats;
    const io_backend *io; /* chosen once, in loop.c's choose_io() */
    void *io_state;       /* the backend's own (io_batch.c: the ring and its buffers) */
    conn *ready[MAX_EVENTS];
    loop_fd *fds; /* other descriptors watched for their owner (fdwatch.c) */
};

#define TRACE(l, ...)                                                                              \
    do {                                                                                           \
        if ((l)->cfg.verbose)                                                                      \
            fprintf(stderr, "  [trace] " __VA_ARGS__);                                             \
    } while (0)

/* ---- fdwatch.c, for the loop ---------------------------------------------------------- */
void fdwatch_ready(watch *w, uint32_t events);
void fdwatch_reap(loop *l, int all);

/* ---- conn.c, for the loop and the backends ------------------------------------------- */

/* A conn for fd, watched for input, at the head of *list; NULL if that failed. */
conn *conn_new(loop *l, int fd, conn **list);

/* What recv() returned (n bytes in data, 0 = FIN, or -1 with err): deliver, close or abort.
 * `tag` marks the trace line (" [batch]") when the call was one entry of a batch. */
void conn_received(conn *c, const uint8_t *data, ssize_t n, int err, const char *tag);

/* What send() of n bytes returned (w, or -1 with err): trace and count it. Returns the bytes
 * the kernel took (0 on EAGAIN: wait for EPOLLOUT), or -1 after aborting c. */
ssize_t conn_sent(conn *c, size_t n, ssize_t w, int err, const char *tag);

/* Plain send()s of c's queue until it is empty or the kernel takes no more; then
 * conn_after_write. */
void conn_flush(conn *c);

/* After writing: finish a close whose queue is empty, send our FIN for a half-close, apply
 * backpressure, and ask epoll for what c needs now. */
void conn_after_write(conn *c);

/* The next coalescing conn with bytes to write, off the pending list; NULL at its end. */
conn *conn_next_pending(loop *l);

/* on_close, close() and free() for every conn closed this round. */
void conn_reap_dead(loop *l);

#endif
