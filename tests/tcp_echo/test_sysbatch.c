/*
 * test_sysbatch.c - unit tests for tcp_echo/sysbatch.c: recv()s and send()s on different
 * sockets made in one io_uring_enter() must each give what the plain call would have given.
 * Skipped (with the reason) where the kernel refuses io_uring.
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

#include "sysbatch.h"

static sysbatch *new_or_skip(void)
{
    char why[SYSBATCH_ERR_LEN];
    sysbatch *b = sysbatch_new(8, why, sizeof why);
    if (!b) {
        fprintf(stderr, "io_uring unavailable (%s): skipped\n", why);
        skip();
    }
    return b;
}

/* Three sockets, three different outcomes, one system call; results in queueing order. */
static void each_result_lands_in_its_slot(void **state)
{
    (void)state;
    int a[2], b[2], c[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, a), 0);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, b), 0);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, c), 0);
    assert_int_equal(write(a[1], "hello", 5), 5);
    sysbatch *s = new_or_skip();
    char in_a[16] = {0}, in_c[16];
    assert_int_equal(sysbatch_recv(s, a[0], in_a, sizeof in_a), 0);
    assert_int_equal(sysbatch_send(s, b[0], "world!", 6), 1);
    assert_int_equal(sysbatch_recv(s, c[0], in_c, sizeof in_c), 2); /* nothing there */
    assert_int_equal(sysbatch_queued(s), 3);
    ssize_t res[3];
    assert_int_equal(sysbatch_run(s, res), 0);
    assert_int_equal(sysbatch_queued(s), 0);
    assert_int_equal(res[0], 5);
    assert_string_equal(in_a, "hello");
    assert_int_equal(res[1], 6);
    assert_int_equal(res[2], -EAGAIN); /* MSG_DONTWAIT: not ready is an answer, not a wait */
    char got[8] = {0};
    assert_int_equal(read(b[1], got, sizeof got), 6);
    assert_string_equal(got, "world!");
    sysbatch_free(s);
    for (int i = 0; i < 2; i++) {
        close(a[i]);
        close(b[i]);
        close(c[i]);
    }
}

/* End of stream is 0; a send to a vanished peer is -EPIPE, and no SIGPIPE kills us. */
static void end_of_stream_and_vanished_peer(void **state)
{
    (void)state;
    int a[2], b[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, a), 0);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, b), 0);
    close(a[1]);
    close(b[1]);
    sysbatch *s = new_or_skip();
    char in[8];
    sysbatch_recv(s, a[0], in, sizeof in);
    sysbatch_send(s, b[0], "x", 1);
    ssize_t res[2];
    assert_int_equal(sysbatch_run(s, res), 0);
    assert_int_equal(res[0], 0);
    assert_int_equal(res[1], -EPIPE);
    sysbatch_free(s);
    close(a[0]);
    close(b[0]);
}

/* A full send buffer gives -EAGAIN at once (the loop then waits for EPOLLOUT). */
static void full_buffer_is_eagain(void **state)
{
    (void)state;
    int a[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, a), 0);
    static char junk[4096];
    while (send(a[0], junk, sizeof junk, MSG_DONTWAIT) > 0) {
    }
    sysbatch *s = new_or_skip();
    sysbatch_send(s, a[0], junk, sizeof junk);
    sysbatch_send(s, a[0], junk, 1);
    ssize_t res[2];
    assert_int_equal(sysbatch_run(s, res), 0);
    assert_int_equal(res[0], -EAGAIN);
    assert_int_equal(res[1], -EAGAIN);
    assert_int_equal(sysbatch_run(s, res), 0); /* an empty batch is no call at all */
    sysbatch_free(s);
    close(a[0]);
    close(a[1]);
}

/* A ring the kernel refuses (0 entries; or no io_uring at all) comes back NULL with the
 * kernel's answer and what to do, never a bare errno. */
static void refused_ring_says_why(void **state)
{
    (void)state;
    char why[SYSBATCH_ERR_LEN] = "";
    assert_null(sysbatch_new(0, why, sizeof why));
    assert_non_null(strstr(why, "the kernel refused io_uring_setup for 0 entries: "));
    assert_non_null(strchr(why, '(')); /* the advice */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(each_result_lands_in_its_slot),
        cmocka_unit_test(end_of_stream_and_vanished_peer),
        cmocka_unit_test(full_buffer_is_eagain),
        cmocka_unit_test(refused_ring_says_why),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
