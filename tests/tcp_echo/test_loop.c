/*
 * test_loop.c - unit tests for the connection loop (tcp_echo/loop.c), driven through
 * socketpairs so no network is involved: one end is adopted by the loop, the test holds the
 * other and plays the client.
 *
 * Every test runs twice: with plain system calls and with io_uring batches (sysbatch.h),
 * which must behave the same. The batched run is skipped where the kernel refuses io_uring.
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
#include <sys/socket.h>
#include <unistd.h>

#include "loop.h"
#include "sysbatch.h"

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
    loop_config cfg = {.out_high = out_high, .plain_syscalls = plain_syscalls};
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
    loop_config cfg = {.plain_syscalls = plain_syscalls};
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
    loop_config cfg = {.linger_ms = 100, .plain_syscalls = plain_syscalls};
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
    ticks = 30;                                        /* ~300 ms: past the 100 ms linger */
    loop_run(l);
    assert_int_equal(seen.closed, 1);
    assert_non_null(strstr(seen.last_why, "linger"));
    close(sv[1]);
    loop_free(l);
}

/* ---- several connections in one round: the batched paths ---------------------------- */

#define NCONN 8

/* In the batched group, a loop that did batch (and only there): the counter tells. */
static void assert_batched(loop *l)
{
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
    return 0;
}

/* The batched group needs io_uring: where the kernel refuses it, say why and skip. */
static int batched_group(void **state)
{
    (void)state;
    const char *why = NULL;
    sysbatch *probe = sysbatch_new(4, &why);
    if (!probe) {
        fprintf(stderr, "skipping the batched group: %s\n", why);
        return -1;
    }
    sysbatch_free(probe);
    plain_syscalls = 0;
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(echoes_through_a_socketpair),
        cmocka_unit_test(keeps_partial_messages),
        cmocka_unit_test(backpressure_stops_reading),
        cmocka_unit_test(close_inside_callbacks),
        cmocka_unit_test(half_close_then_linger_timeout),
        cmocka_unit_test(coalesces_small_sends_of_a_round),
        cmocka_unit_test(on_close_sends_in_the_same_round),
        cmocka_unit_test(many_ready_connections_each_get_their_own),
        cmocka_unit_test(full_send_buffers_wait_for_room),
        cmocka_unit_test(vanished_peer_closes_only_its_connection),
    };
    int failed = cmocka_run_group_tests_name("plain system calls", tests, plain_group, NULL);
    if (getenv("WIRELAB_NO_IO_URING"))
        return failed;
    return failed + cmocka_run_group_tests_name("io_uring batches", tests, batched_group, NULL);
}
