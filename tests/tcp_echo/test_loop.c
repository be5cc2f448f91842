/*
 * test_loop.c - unit tests for the connection loop (tcp_echo/loop.c), driven through
 * socketpairs so no network is involved: one end is adopted by the loop, the test holds the
 * other and plays the client.
 *
 * Every connection test runs twice: with plain system calls (WIRELAB_IO=plain, io_plain.c) and
 * with io_uring batches (io_batch.c), which must behave the same. The batched run is skipped
 * where the build or the kernel has no io_uring. The timer tests run once.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "loop.h"
#include "net.h"

static int plain_syscalls; /* the mode of the current group of tests */

/* What the handlers saw, for the assertions. */
static struct {
    int opened, closed;
    char last_why[64];
    size_t offered; /* bytes offered to on_data in the last call */
    char line[256]; /* last complete line (line-framing test) */
    size_t reply_size;
    size_t pending_in_callback; /* conn_pending() right after on_data's sends */
} seen;

static void on_open(conn *c)
{
    (void)c;
    seen.opened++;
}

static void on_close(conn *c, const char *why)
{
    (void)c;
    seen.closed++;
    strncpy(seen.last_why, why, sizeof seen.last_why - 1);
}

static size_t echo_data(conn *c, const uint8_t *d, size_t n)
{
    conn_send(c, d, n);
    return n;
}

/* Consumes only whole lines: the loop must keep a partial line and offer it again. */
static size_t line_data(conn *c, const uint8_t *d, size_t n)
{
    (void)c;
    seen.offered = n;
    const uint8_t *nl = memchr(d, '\n', n);
    if (!nl)
        return 0;
    size_t len = (size_t)(nl - d);
    snprintf(seen.line, sizeof seen.line, "%.*s", (int)len, (const char *)d);
    return len + 1;
}

/* Replies to every byte with reply_size bytes: a client that never reads fills our queue. */
static size_t flood_data(conn *c, const uint8_t *d, size_t n)
{
    (void)d;
    static uint8_t big[65536];
    for (size_t i = 0; i < n; i++)
        conn_send(c, big, seen.reply_size);
    return n;
}

/* Three small sends, then one large one if the request byte is 'L'. */
static size_t pieces_data(conn *c, const uint8_t *d, size_t n)
{
    static uint8_t big[32768];
    for (size_t i = 0; i < n; i++) {
        if (d[i] == 'L') {
            conn_send(c, big, sizeof big);
        } else {
            conn_send(c, "a", 1);
            conn_send(c, "b", 1);
            conn_send(c, "c", 1);
        }
        seen.pending_in_callback = conn_pending(c);
    }
    return n;
}

static void stop_after_tick(loop *l, void *arg)
{
    int *ticks = arg;
    if (--*ticks <= 0)
        loop_stop(l);
}

static loop *make_loop(size_t (*on_data)(conn *, const uint8_t *, size_t), size_t out_high,
                       int *ticks)
{
    memset(&seen, 0, sizeof seen);
    char err[128];
    loop_config cfg = {.out_high = out_high};
    loop_handlers h = {.on_open = on_open, .on_data = on_data, .on_close = on_close};
    loop *l = loop_new(&cfg, &h, err, sizeof err);
    assert_non_null(l);
    assert_int_equal(loop_add_timer(l, 10, stop_after_tick, ticks), 0);
    return l;
}

static void echoes_through_a_socketpair(void **state)
{
    (void)state;
    int ticks = 5, sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    loop *l = make_loop(echo_data, 0, &ticks);
    assert_non_null(loop_add_conn(l, sv[0]));
    assert_int_equal(seen.opened, 1);
    assert_int_equal(write(sv[1], "ping", 4), 4);
    loop_run(l);
    char got[8] = {0};
    assert_int_equal(read(sv[1], got, sizeof got), 4);
    assert_string_equal(got, "ping");
    assert_int_equal(loop_get_stats(l).bytes_in, 4);
    assert_int_equal(loop_get_stats(l).bytes_out, 4);
    close(sv[1]);
    ticks = 3;
    loop_run(l); /* sees the FIN (read of 0), closes its end */
    assert_int_equal(seen.closed, 1);
    assert_string_equal(seen.last_why, "peer closed (FIN)");
    assert_int_equal(loop_get_stats(l).open, 0);
    loop_free(l);
}

static void keeps_partial_messages(void **state)
{
    (void)state;
    int ticks = 3, sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    loop *l = make_loop(line_data, 0, &ticks);
    assert_non_null(loop_add_conn(l, sv[0]));
    assert_int_equal(write(sv[1], "PUSH q hel", 10), 10);
    loop_run(l);
    assert_int_equal(seen.offered, 10);
    assert_string_equal(seen.line, "");
    assert_int_equal(write(sv[1], "lo\nPU", 5), 5);
    ticks = 3;
    loop_run(l);
    /* The kept 10 bytes were offered again together with the new 5; "PU" is kept. */
    assert_string_equal(seen.line, "PUSH q hello");
    assert_int_equal(seen.offered, 15);
    assert_int_equal(write(sv[1], "LL q\n", 5), 5);
    ticks = 3;
    loop_run(l);
    assert_string_equal(seen.line, "PULL q");
    assert_int_equal(seen.offered, 7);
    close(sv[1]);
    loop_free(l);
}

/* A peer that sends but never reads: the loop must stop reading it once its queue is full. */
static void backpressure_stops_reading(void **state)
{
    (void)state;
    int ticks = 1, sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    int small = 4096;
    setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
    setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    loop *l = make_loop(flood_data, 256 * 1024, &ticks);
    seen.reply_size = 65536;
    conn *c = loop_add_conn(l, sv[0]);
    assert_non_null(c);
    /* 64 requests of one byte, each answered with 64 KiB that nobody reads. */
    for (int i = 0; i < 64; i++) {
        assert_int_equal(write(sv[1], "r", 1), 1);
        ticks = 1;
        loop_run(l);
    }
    /* It queued a little over 256 KiB, then stopped reading: the other requests still wait. */
    assert_true(conn_bytes_in(c) < 10);
    assert_true(conn_pending(c) > 256 * 1024);
    assert_true(conn_pending(c) < 256 * 1024 + 65536 * 2);
    close(sv[1]);
    loop_free(l);
    assert_int_equal(seen.closed, 1);
}

/*
 * Coalescing, seen through a SOCK_SEQPACKET socketpair, where every send() is one record and
 * every read() returns one record: the three small sends of a round arrive as ONE record,
 * written at the end of the round; a large send goes to the kernel at once.
 */
static void coalesces_small_sends_of_a_round(void **state)
{
    (void)state;
    int ticks = 3, sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
    loop *l = make_loop(pieces_data, 0, &ticks);
    conn *c = loop_add_conn(l, sv[0]);
    assert_non_null(c);
    assert_int_equal(write(sv[1], "s", 1), 1);
    loop_run(l);
    assert_int_equal(seen.pending_in_callback, 3); /* queued during the callback... */
    char got[8] = {0};
    assert_int_equal(read(sv[1], got, sizeof got), 3); /* ...and sent as one record */
    assert_string_equal(got, "abc");
    assert_int_equal(conn_pending(c), 0);

    assert_int_equal(write(sv[1], "L", 1), 1);
    ticks = 3;
    loop_run(l);
    assert_int_equal(seen.pending_in_callback, 0); /* large: written inside the callback */
    static char big[65536];
    assert_int_equal(read(sv[1], big, sizeof big), 32768);

    /* Sent outside loop_run (a server's last words after it stopped): loop_free writes it. */
    conn_send(c, "bye", 3);
    assert_int_equal(conn_pending(c), 3);
    loop_free(l);
    memset(got, 0, sizeof got);
    assert_int_equal(read(sv[1], got, sizeof got), 3);
    assert_string_equal(got, "bye");
    close(sv[1]);
}

/* A header and a payload as two pieces of conn_sendv: 'f' a small frame twice, 'F' a large
 * one, 'M' a small send and then a large frame. */
static size_t frames_data(conn *c, const uint8_t *d, size_t n)
{
    static uint8_t big[32768];
    for (size_t i = 0; i < n; i++) {
        struct iovec small[2] = {{"h", 1}, {"x", 1}}, large[2] = {{"HH", 2}, {big, sizeof big}};
        if (d[i] == 'f') {
            conn_sendv(c, small, 2);
            conn_sendv(c, small, 2);
        } else {
            if (d[i] == 'M')
                conn_send(c, "a", 1);
            conn_sendv(c, large, 2);
        }
    }
    return n;
}

/*
 * conn_sendv, seen through SOCK_SEQPACKET records as above: small frames join the round's
 * output (one record), and a large frame's header never leaves alone: header and payload go
 * in one sendmsg(), after what was queued before them.
 */
static void gather_send_keeps_header_and_payload_together(void **state)
{
    (void)state;
    int ticks = 3, sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
    loop *l = make_loop(frames_data, 0, &ticks);
    assert_non_null(loop_add_conn(l, sv[0]));
    static char got[65536];
    assert_int_equal(write(sv[1], "f", 1), 1);
    loop_run(l);
    memset(got, 0, 8);
    assert_int_equal(read(sv[1], got, sizeof got), 4); /* two small frames, one record */
    assert_string_equal(got, "hxhx");
    assert_int_equal(write(sv[1], "F", 1), 1);
    ticks = 3;
    loop_run(l);
    assert_int_equal(read(sv[1], got, sizeof got), 2 + 32768); /* header with its payload */
    assert_memory_equal(got, "HH", 2);
    assert_int_equal(write(sv[1], "M", 1), 1);
    ticks = 3;
    loop_run(l);
    assert_int_equal(read(sv[1], got, sizeof got), 1); /* what was queued first, alone */
    assert_int_equal(got[0], 'a');
    assert_int_equal(read(sv[1], got, sizeof got), 2 + 32768); /* then the whole frame */
    assert_memory_equal(got, "HH", 2);
    loop_free(l);
    close(sv[1]);
}

/*
 * What an on_close sends to another connection (a "left" notice) must go out in the same
 * round, not wait for the next event: checked from a timer, before any later round ends.
 */
static conn *notice_to;
static int notice_peer;
static int notice_seen_at_tick = -1;

static void on_close_notify(conn *c, const char *why)
{
    on_close(c, why);
    if (c != notice_to)
        conn_send(notice_to, "gone\n", 5);
}

static void peek_then_stop(loop *l, void *arg)
{
    (void)arg;
    char b[8];
    notice_seen_at_tick = recv(notice_peer, b, sizeof b, MSG_PEEK | MSG_DONTWAIT) == 5;
    loop_stop(l);
}

static void on_close_sends_in_the_same_round(void **state)
{
    (void)state;
    int a[2], b[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, a), 0);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, b), 0);
    memset(&seen, 0, sizeof seen);
    char err[128];
    loop_config cfg = {0};
    loop_handlers h = {.on_open = on_open, .on_data = echo_data, .on_close = on_close_notify};
    loop *l = loop_new(&cfg, &h, err, sizeof err);
    assert_non_null(l);
    assert_int_equal(loop_add_timer(l, 50, peek_then_stop, NULL), 0);
    assert_non_null(loop_add_conn(l, a[0]));
    notice_to = loop_add_conn(l, b[0]);
    assert_non_null(notice_to);
    notice_peer = b[1];
    close(a[1]); /* A leaves: its on_close tells B */
    loop_run(l);
    assert_int_equal(seen.closed, 1);
    assert_int_equal(notice_seen_at_tick, 1);
    loop_free(l);
    close(b[1]);
}

/* Closing every connection from inside a callback must be safe; on_close once for each. */
static void close_all(conn *c, void *arg)
{
    (void)arg;
    conn_abort(c, "closed by test");
    conn_abort(c, "closed twice"); /* a second close is a no-op */
}

static size_t close_everyone(conn *c, const uint8_t *d, size_t n)
{
    (void)d;
    loop_foreach_conn(conn_loop(c), close_all, NULL);
    conn_send(c, "x", 1); /* sending on a closed conn is refused, not a crash */
    return n;
}

static void close_inside_callbacks(void **state)
{
    (void)state;
    int ticks = 3, sv[3][2];
    loop *l = make_loop(close_everyone, 0, &ticks);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv[i]), 0);
        assert_non_null(loop_add_conn(l, sv[i][0]));
    }
    for (int i = 0; i < 3; i++)
        assert_int_equal(write(sv[i][1], "go", 2), 2);
    loop_run(l);
    assert_int_equal(seen.closed, 3);
    assert_string_equal(seen.last_why, "closed by test");
    assert_int_equal(loop_get_stats(l).open, 0);
    for (int i = 0; i < 3; i++) {
        /* Each end is closed: a FIN (read 0), or a reset (-1) where our close() found the
         * peer's "go" still unread - closing with unread input makes the kernel send RST. */
        char b;
        assert_true(read(sv[i][1], &b, 1) <= 0);
        close(sv[i][1]);
    }
    loop_free(l);
}

/* Half-close: queued bytes, then our FIN; the peer may still send; a silent peer is dropped. */
static size_t say_bye_and_half_close(conn *c, const uint8_t *d, size_t n)
{
    (void)d;
    conn_send(c, "bye", 3);
    conn_shutdown_write(c);
    return n;
}

static void half_close_then_linger_timeout(void **state)
{
    (void)state;
    int ticks = 5, sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    memset(&seen, 0, sizeof seen);
    char err[128];
    loop_config cfg = {.linger_ms = 1000};
    loop_handlers h = {.on_open = on_open, .on_data = say_bye_and_half_close, .on_close = on_close};
    loop *l = loop_new(&cfg, &h, err, sizeof err);
    assert_non_null(l);
    assert_int_equal(loop_add_timer(l, 10, stop_after_tick, &ticks), 0);
    assert_non_null(loop_add_conn(l, sv[0]));
    assert_int_equal(write(sv[1], "hi", 2), 2);
    loop_run(l);
    char got[8] = {0};
    assert_int_equal(read(sv[1], got, sizeof got), 3); /* "bye" came first... */
    assert_string_equal(got, "bye");
    assert_int_equal(read(sv[1], got, sizeof got), 0); /* ...then our FIN */
    assert_int_equal(seen.closed, 0);                  /* still open: we wait for theirs */
    assert_int_equal(write(sv[1], "x", 1), 1);         /* the peer may still send */
    ticks = 150; /* >= 1.5 s: past the 1 s linger (long, so a slow machine cannot pass it early) */
    loop_run(l);
    assert_int_equal(seen.closed, 1);
    assert_non_null(strstr(seen.last_why, "linger"));
    close(sv[1]);
    loop_free(l);
}

/* conn_close with a megabyte queued for a peer that never reads: cut off after linger_ms. */
static size_t send_big_then_close(conn *c, const uint8_t *d, size_t n)
{
    (void)d;
    static uint8_t big[1 << 20];
    conn_send(c, big, sizeof big);
    conn_close(c);
    return n;
}

static void closing_peer_that_never_reads_is_cut_off(void **state)
{
    (void)state;
    int ticks = 50, sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    memset(&seen, 0, sizeof seen);
    char err[128];
    loop_config cfg = {.linger_ms = 100};
    loop_handlers h = {.on_open = on_open, .on_data = send_big_then_close, .on_close = on_close};
    loop *l = loop_new(&cfg, &h, err, sizeof err);
    assert_non_null(l);
    assert_int_equal(loop_add_timer(l, 10, stop_after_tick, &ticks), 0);
    assert_non_null(loop_add_conn(l, sv[0]));
    assert_int_equal(write(sv[1], "x", 1), 1);
    loop_run(l); /* ~500 ms: well past the 100 ms flush deadline */
    assert_int_equal(seen.closed, 1);
    assert_non_null(strstr(seen.last_why, "did not read"));
    close(sv[1]);
    loop_free(l);
}

/* Over max_conns with a refusal hook: the client reads why, then our FIN; nobody else hurt. */
static void say_busy(conn *c)
{
    conn_send(c, "ERR busy\n", 9);
}

static int connect_to(int port)
{
    char err[128];
    int fd = net_connect("127.0.0.1", port, err, sizeof err);
    assert_true(fd >= 0);
    struct timeval tv = {.tv_sec = 5}; /* a deadline against hanging, not a measurement */
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

static void refuses_over_the_cap_and_says_why(void **state)
{
    (void)state;
    char err[128];
    int lfd = net_listen("127.0.0.1", 0, 16, err, sizeof err);
    assert_true(lfd >= 0);
    int port = net_local_port(lfd), ticks = 3;
    memset(&seen, 0, sizeof seen);
    loop_config cfg = {.max_conns = 1};
    loop_handlers h = {.on_open = on_open, .on_data = echo_data, .on_close = on_close};
    loop *l = loop_new(&cfg, &h, err, sizeof err);
    assert_non_null(l);
    loop_on_refuse(l, say_busy);
    assert_int_equal(loop_add_listener(l, lfd, err, sizeof err), 0);
    assert_int_equal(loop_add_timer(l, 10, stop_after_tick, &ticks), 0);
    int a = connect_to(port);
    loop_run(l);
    assert_int_equal(seen.opened, 1);
    int b = connect_to(port);
    assert_int_equal(write(b, "hello\n", 6), 6); /* read by the loop, thrown away */
    ticks = 3;
    loop_run(l);
    char got[32] = {0};
    assert_int_equal(read(b, got, sizeof got), 9);
    assert_string_equal(got, "ERR busy\n");
    assert_int_equal(read(b, got, sizeof got), 0); /* our FIN */
    assert_int_equal(seen.opened, 1);              /* the protocol never saw b */
    assert_int_equal(loop_get_stats(l).refused, 1);
    close(b);
    assert_int_equal(write(a, "hi", 2), 2);
    ticks = 3;
    loop_run(l);
    memset(got, 0, sizeof got);
    assert_int_equal(read(a, got, sizeof got), 2); /* a is served as before */
    assert_string_equal(got, "hi");
    assert_int_equal(seen.closed, 0); /* b's end was not an on_close */
    close(a);
    loop_free(l);
}

/* ---- timers (run once: they do not depend on how sockets are read) ------------------- */

static loop *bare_loop(size_t max_timers)
{
    char err[128];
    loop_config cfg = {.max_timers = max_timers};
    loop_handlers h = {0};
    loop *l = loop_new(&cfg, &h, err, sizeof err);
    assert_non_null(l);
    return l;
}

/* Each fired timer appends its tag; the last expected one stops the loop. */
static struct {
    char order[64];
    size_t n, stop_at;
} fired;

static void record(loop *l, void *arg)
{
    fired.order[fired.n++] = *(const char *)arg;
    if (fired.n == fired.stop_at)
        loop_stop(l);
}

/* Started out of order, they fire by deadline; equal deadlines in the order started. */
static void timers_fire_in_deadline_order(void **state)
{
    (void)state;
    memset(&fired, 0, sizeof fired);
    fired.stop_at = 4;
    loop *l = bare_loop(0);
    static const char tags[] = "dabc";
    assert_true(loop_timer_start(l, 30, record, (void *)&tags[0]) != 0);
    assert_true(loop_timer_start(l, 10, record, (void *)&tags[1]) != 0);
    assert_true(loop_timer_start(l, 20, record, (void *)&tags[3]) != 0);
    assert_true(loop_timer_start(l, 10, record, (void *)&tags[2]) != 0);
    assert_int_equal(loop_run(l), 0);
    assert_string_equal(fired.order, "abcd");
    loop_free(l);
}

/* A stopped timer never fires; stopping it again, or a fired one, or 0, is a no-op. */
static void stopped_timers_never_fire(void **state)
{
    (void)state;
    memset(&fired, 0, sizeof fired);
    fired.stop_at = 2;
    loop *l = bare_loop(0);
    static const char tags[] = "xyz";
    loop_timer x = loop_timer_start(l, 5, record, (void *)&tags[0]);
    loop_timer y = loop_timer_start(l, 10, record, (void *)&tags[1]);
    loop_timer z = loop_timer_start(l, 15, record, (void *)&tags[2]);
    assert_int_equal(loop_timer_stop(l, x), 0);
    assert_int_equal(loop_timer_stop(l, x), -1);
    assert_int_equal(loop_timer_stop(l, 0), -1);
    /* x's slot is reused by the next timer: the old id must not stop the new one. Its deadline
     * is far off: the loop stops after y and z, however slowly (a sanitizer build on a busy
     * machine) it gets to them, with w still pending. */
    loop_timer w = loop_timer_start(l, 60000, record, (void *)&tags[0]);
    assert_true(w != x);
    assert_int_equal(loop_timer_stop(l, x), -1);
    assert_int_equal(loop_run(l), 0);
    assert_string_equal(fired.order, "yz");
    assert_int_equal(loop_timer_stop(l, y), -1); /* fired: nothing to stop */
    assert_int_equal(loop_timer_stop(l, z), -1);
    assert_int_equal(loop_timer_stop(l, w), 0); /* still pending */
    loop_free(l);
}

/* A callback restarts its own timer (even with 0 ms): each run comes in a LATER round. */
static struct {
    int runs;
    uint64_t round_of_run[8];
} again;

static void restart_self(loop *l, void *arg)
{
    (void)arg;
    again.round_of_run[again.runs++] = loop_get_stats(l).rounds;
    if (again.runs == 5)
        loop_stop(l);
    else
        assert_true(loop_timer_start(l, (uint64_t)(again.runs % 2), restart_self, NULL) != 0);
}

static void timer_restarts_from_its_callback(void **state)
{
    (void)state;
    memset(&again, 0, sizeof again);
    loop *l = bare_loop(0);
    assert_true(loop_timer_start(l, 0, restart_self, NULL) != 0);
    assert_int_equal(loop_run(l), 0);
    assert_int_equal(again.runs, 5);
    for (int i = 1; i < 5; i++)
        assert_true(again.round_of_run[i] > again.round_of_run[i - 1]);
    loop_free(l);
}

/* Many timers with scattered deadlines, a third of them stopped: the rest fire, in order.
 * Starting 3000 timers takes time (much more on a loaded machine), so each deadline is known
 * only between two readings of the clock: [now before start + ms, now after start + 1 + ms].
 * In order means: no timer fires after one whose deadline was surely later than its own. */
#define MANY 3000
static struct {
    uint64_t lo[MANY], hi[MANY]; /* the bounds of each timer's deadline, in loop_now_ms() */
    uint64_t max_lo;             /* the latest lower bound among those fired so far */
    int fired, out_of_order;
} many;

static void many_fired(loop *l, void *arg)
{
    size_t i = *(const size_t *)arg;
    if (many.hi[i] < many.max_lo)
        many.out_of_order++;
    if (many.lo[i] > many.max_lo)
        many.max_lo = many.lo[i];
    many.fired++;
    (void)l;
}

static void stop_loop(loop *l, void *arg)
{
    (void)arg;
    loop_stop(l);
}

static void many_timers_fire_in_order(void **state)
{
    (void)state;
    memset(&many, 0, sizeof many);
    loop *l = bare_loop(0);
    static loop_timer ids[MANY];
    static size_t index[MANY];
    unsigned seed = 12345;
    for (size_t i = 0; i < MANY; i++) {
        seed = seed * 1103515245u + 12345u;
        uint64_t ms = (seed >> 16) % 40;
        index[i] = i;
        many.lo[i] = loop_now_ms() + ms;
        ids[i] = loop_timer_start(l, ms, many_fired, &index[i]);
        many.hi[i] = loop_now_ms() + 1 + ms;
        assert_true(ids[i] != 0);
    }
    int stopped = 0;
    for (size_t i = 0; i < MANY; i += 3, stopped++)
        assert_int_equal(loop_timer_stop(l, ids[i]), 0);
    assert_true(loop_timer_start(l, 60, stop_loop, NULL) != 0);
    assert_int_equal(loop_run(l), 0);
    assert_int_equal(many.fired, MANY - stopped);
    assert_int_equal(many.out_of_order, 0);
    loop_free(l);
}

/* The limit: max_timers pending at once; one more is refused (0) and counted. */
static void timer_limit_is_enforced(void **state)
{
    (void)state;
    loop *l = bare_loop(16);
    loop_timer ids[16];
    for (int i = 0; i < 16; i++)
        assert_true((ids[i] = loop_timer_start(l, 1000, stop_loop, NULL)) != 0);
    assert_int_equal(loop_timer_start(l, 1000, stop_loop, NULL), 0);
    assert_int_equal(loop_get_stats(l).timers_refused, 1);
    assert_int_equal(loop_timer_stop(l, ids[3]), 0); /* one leaves: one may come */
    assert_true(loop_timer_start(l, 1000, stop_loop, NULL) != 0);
    loop_free(l);
}

/*
 * The exact deadline: with nothing else to do, the loop sleeps in epoll_wait until the timer
 * is due and fires it in that first round. Had it woken early (a timeout rounded down), the
 * timer would not be due yet and would fire in a second round.
 */
static struct {
    uint64_t started_ns, fired_ns, round;
} exact;

static void exact_fired(loop *l, void *arg)
{
    (void)arg;
    exact.fired_ns = loop_now_ns();
    exact.round = loop_get_stats(l).rounds;
    loop_stop(l);
}

static void timer_fires_in_the_first_round_after_its_deadline(void **state)
{
    (void)state;
    for (uint64_t ms = 1; ms <= 37; ms += 12) {
        loop *l = bare_loop(0);
        exact.started_ns = loop_now_ns();
        assert_true(loop_timer_start(l, ms, exact_fired, NULL) != 0);
        assert_int_equal(loop_run(l), 0);
        assert_true(exact.fired_ns >= exact.started_ns + ms * 1000000u); /* not before */
        assert_int_equal(exact.round, 1);                                /* first round after */
        loop_free(l);
    }
}

/* ---- several connections in one round: the batched paths ---------------------------- */

#define NCONN 8

/* In the batched group, a loop that did batch (and only there): the counter tells. */
static void assert_batched(loop *l)
{
    assert_string_equal(loop_io(l), plain_syscalls ? "plain" : "batch");
    if (plain_syscalls)
        assert_int_equal(loop_get_stats(l).batched, 0);
    else
        assert_true(loop_get_stats(l).batched >= 2 * NCONN); /* every recv() and send() */
}

static void pairs(int sv[][2], int n, loop *l)
{
    for (int i = 0; i < n; i++) {
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv[i]), 0);
        assert_non_null(loop_add_conn(l, sv[i][0]));
    }
}

/* Eight clients ready at once: each gets back exactly its own bytes. */
static void many_ready_connections_each_get_their_own(void **state)
{
    (void)state;
    int ticks = 3, sv[NCONN][2];
    loop *l = make_loop(echo_data, 0, &ticks);
    pairs(sv, NCONN, l);
    char msg[32], got[32];
    for (int i = 0; i < NCONN; i++) {
        int len = snprintf(msg, sizeof msg, "client %d says hi", i);
        assert_int_equal(write(sv[i][1], msg, (size_t)len), len);
    }
    loop_run(l);
    for (int i = 0; i < NCONN; i++) {
        int len = snprintf(msg, sizeof msg, "client %d says hi", i);
        memset(got, 0, sizeof got);
        assert_int_equal(recv(sv[i][1], got, sizeof got, MSG_DONTWAIT), len);
        assert_string_equal(got, msg);
        close(sv[i][1]);
    }
    assert_batched(l);
    loop_free(l);
}

/* Fill the kernel's send buffer of the loop's end, so the next send() finds no room. */
static size_t fill_send_buffer(int fd)
{
    static char junk[4096];
    size_t total = 0;
    for (ssize_t w; (w = send(fd, junk, sizeof junk, MSG_DONTWAIT)) > 0;)
        total += (size_t)w;
    return total;
}

/* Read everything the peer has (the junk, then the echo); returns the bytes after the junk. */
static size_t read_after(int fd, size_t junk, char *tail, size_t cap)
{
    static char b[65536];
    size_t seen_bytes = 0, tail_len = 0;
    for (ssize_t r; (r = recv(fd, b, sizeof b, MSG_DONTWAIT)) > 0; seen_bytes += (size_t)r)
        for (ssize_t k = 0; k < r; k++)
            if (seen_bytes + (size_t)k >= junk && tail_len < cap)
                tail[tail_len++] = b[k];
    return tail_len;
}

/*
 * Every batched send() finds a full buffer (EAGAIN): nothing is lost or sent twice; each
 * connection waits for EPOLLOUT and its echo follows the bytes already queued in the kernel.
 */
static void full_send_buffers_wait_for_room(void **state)
{
    (void)state;
    int ticks = 3, sv[NCONN][2];
    size_t junk[NCONN];
    loop *l = make_loop(echo_data, 0, &ticks);
    pairs(sv, NCONN, l);
    for (int i = 0; i < NCONN; i++) {
        junk[i] = fill_send_buffer(sv[i][0]);
        assert_int_equal(write(sv[i][1], "echo me", 7), 7);
    }
    loop_run(l); /* the echoes cannot go out: the buffers are full */
    for (int i = 0; i < NCONN; i++) {
        char tail[16] = {0};
        assert_int_equal(read_after(sv[i][1], junk[i], tail, sizeof tail), 0);
    }
    ticks = 3;
    loop_run(l); /* now there is room: EPOLLOUT, and the queued echoes go */
    for (int i = 0; i < NCONN; i++) {
        char tail[16] = {0};
        assert_int_equal(read_after(sv[i][1], 0, tail, sizeof tail), 7);
        assert_string_equal(tail, "echo me");
        close(sv[i][1]);
    }
    assert_int_equal(seen.closed, 0);
    assert_batched(l);
    loop_free(l);
}

/* One client vanishes between its request and our answer: only it is closed (EPIPE). */
static void vanished_peer_closes_only_its_connection(void **state)
{
    (void)state;
    int ticks = 3, sv[NCONN][2];
    loop *l = make_loop(echo_data, 0, &ticks);
    pairs(sv, NCONN, l);
    for (int i = 0; i < NCONN; i++)
        assert_int_equal(write(sv[i][1], "hi", 2), 2);
    close(sv[0][1]); /* its "hi" is still readable; the echo will find nobody */
    loop_run(l);
    assert_int_equal(seen.closed, 1);
    assert_string_equal(seen.last_why, "reset by peer (RST)");
    for (int i = 1; i < NCONN; i++) {
        char got[4] = {0};
        assert_int_equal(recv(sv[i][1], got, sizeof got, MSG_DONTWAIT), 2);
        assert_string_equal(got, "hi");
        close(sv[i][1]);
    }
    assert_int_equal(loop_get_stats(l).open, NCONN - 1);
    assert_batched(l);
    loop_free(l);
}

static int plain_group(void **state)
{
    (void)state;
    plain_syscalls = 1;
    setenv("WIRELAB_IO", "plain", 1);
    return 0;
}

static int batched_group(void **state)
{
    (void)state;
    setenv("WIRELAB_IO", "batch", 1);
    plain_syscalls = 0;
    return 0;
}

/* The batched group needs io_uring: does this build and kernel have it? (The trace says why
 * not, if not.) */
static int batches_available(void)
{
    setenv("WIRELAB_IO", "batch", 1);
    char err[128];
    loop_config cfg = {.verbose = 1};
    loop_handlers h = {0};
    loop *probe = loop_new(&cfg, &h, err, sizeof err);
    int batch = probe && strcmp(loop_io(probe), "batch") == 0;
    if (probe)
        loop_free(probe);
    return batch;
}

/* The one switch: WIRELAB_IO picks the backend; anything but plain or batch is refused. */
static void io_switch_is_checked(void **state)
{
    (void)state;
    char err[128] = "";
    loop_config cfg = {0};
    loop_handlers h = {0};
    setenv("WIRELAB_IO", "plain", 1);
    loop *l = loop_new(&cfg, &h, err, sizeof err);
    assert_non_null(l);
    assert_string_equal(loop_io(l), "plain");
    loop_free(l);
    setenv("WIRELAB_IO", "fast", 1);
    assert_null(loop_new(&cfg, &h, err, sizeof err));
    assert_non_null(strstr(err, "WIRELAB_IO is 'fast'"));
    unsetenv("WIRELAB_IO");
}

/* The loop's epoll descriptor, found the way a person would: /proc/self/fd names it. */
static int find_epoll_fd(void)
{
    for (int fd = 3; fd < 1024; fd++) {
        char path[64], target[64] = "";
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
        ssize_t n = readlink(path, target, sizeof target - 1);
        if (n > 0 && strstr(target, "eventpoll") != NULL)
            return fd;
    }
    return -1;
}

/* If epoll_wait itself fails, loop_run returns -1 and its one log line says why (the programs
 * print "see above" after it). The failure is made by closing the epoll descriptor. */
static void a_failing_epoll_says_why(void **state)
{
    (void)state;
    char err[NET_ERR_LEN], logged[512] = "";
    loop_config cfg = {0};
    loop_handlers h = {0};
    loop *l = loop_new(&cfg, &h, err, sizeof err);
    assert_non_null(l);
    int epfd = find_epoll_fd();
    assert_true(epfd >= 0);
    FILE *capture = tmpfile();
    assert_non_null(capture);
    fflush(stderr);
    int saved = dup(2);
    dup2(fileno(capture), 2);
    close(epfd);
    int rc = loop_run(l);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    rewind(capture);
    size_t n = fread(logged, 1, sizeof logged - 1, capture);
    logged[n] = '\0';
    fclose(capture);
    assert_int_equal(rc, -1);
    assert_non_null(strstr(logged, "epoll_wait failed: Bad file descriptor; the loop stops"));
    int fresh = epoll_create1(0); /* loop_free closes "its" epoll fd: give it one to close */
    assert_true(fresh >= 0);
    if (fresh != epfd) {
        assert_int_equal(dup2(fresh, epfd), epfd);
        close(fresh);
    }
    loop_free(l);
}

/* A listener the loop cannot take is refused with what happened and what to do. */
static void listener_failures_say_why(void **state)
{
    (void)state;
    char err[NET_ERR_LEN] = "";
    loop_config cfg = {0};
    loop_handlers h = {0};
    loop *l = loop_new(&cfg, &h, err, sizeof err);
    assert_non_null(l);
    int fds[5];
    for (int i = 0; i < 5; i++)
        assert_true((fds[i] = net_listen("127.0.0.1", 0, 4, err, sizeof err)) >= 0);
    assert_int_equal(loop_add_listener(l, fds[0], err, sizeof err), 0);
    /* The same socket twice: epoll says EEXIST, and the sentence says what to do. */
    assert_int_equal(loop_add_listener(l, fds[0], err, sizeof err), -1);
    assert_non_null(strstr(err, "epoll cannot watch listening socket"));
    assert_non_null(strstr(err, "add each descriptor once"));
    /* A descriptor that is not open. */
    int closed = dup(fds[1]);
    close(closed);
    assert_int_equal(loop_add_listener(l, closed, err, sizeof err), -1);
    assert_non_null(strstr(err, "not an open descriptor"));
    /* More listeners than the loop has room for. */
    for (int i = 1; i < 4; i++)
        assert_int_equal(loop_add_listener(l, fds[i], err, sizeof err), 0);
    assert_int_equal(loop_add_listener(l, fds[4], err, sizeof err), -1);
    assert_non_null(strstr(err, "at most 4 listening sockets"));
    close(fds[4]);
    loop_free(l); /* closes the four it watches */
}

int main(void)
{
    /* The whole suite runs with WIRELAB_IO=plain (./wirelab test's second pass): so do we. */
    const char *io = getenv("WIRELAB_IO");
    int plain_only = io && strcmp(io, "plain") == 0;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(echoes_through_a_socketpair),
        cmocka_unit_test(keeps_partial_messages),
        cmocka_unit_test(backpressure_stops_reading),
        cmocka_unit_test(close_inside_callbacks),
        cmocka_unit_test(half_close_then_linger_timeout),
        cmocka_unit_test(closing_peer_that_never_reads_is_cut_off),
        cmocka_unit_test(refuses_over_the_cap_and_says_why),
        cmocka_unit_test(coalesces_small_sends_of_a_round),
        cmocka_unit_test(gather_send_keeps_header_and_payload_together),
        cmocka_unit_test(on_close_sends_in_the_same_round),
        cmocka_unit_test(many_ready_connections_each_get_their_own),
        cmocka_unit_test(full_send_buffers_wait_for_room),
        cmocka_unit_test(vanished_peer_closes_only_its_connection),
    };
    const struct CMUnitTest timer_tests[] = {
        cmocka_unit_test(timers_fire_in_deadline_order),
        cmocka_unit_test(stopped_timers_never_fire),
        cmocka_unit_test(timer_restarts_from_its_callback),
        cmocka_unit_test(many_timers_fire_in_order),
        cmocka_unit_test(timer_limit_is_enforced),
        cmocka_unit_test(timer_fires_in_the_first_round_after_its_deadline),
        cmocka_unit_test(io_switch_is_checked),
        cmocka_unit_test(listener_failures_say_why),
        cmocka_unit_test(a_failing_epoll_says_why),
    };
    int failed = cmocka_run_group_tests_name("timers", timer_tests, NULL, NULL);
    failed += cmocka_run_group_tests_name("plain system calls", tests, plain_group, NULL);
    if (plain_only)
        return failed;
    if (!batches_available()) {
        fprintf(stderr, "skipping the batched group: the loop runs plain calls (see above)\n");
        return failed;
    }
    return failed + cmocka_run_group_tests_name("io_uring batches", tests, batched_group, NULL);
}
