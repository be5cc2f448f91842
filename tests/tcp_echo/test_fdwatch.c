/*
 * test_fdwatch.c - other descriptors on the loop (tcp_echo/fdwatch.c, loop_fd_watch), with
 * cmocka: what hiredis relies on (events/redis_loop.c).
 *
 * What it teaches: a watch reports only what was asked for (loop_fd_want), as often as the
 * kernel says the descriptor is ready, and never again once unwatched, even when the same
 * round's batch of events still holds a report for it. Run: build/tests/test_fdwatch
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include <cmocka.h>

#include "loop.h"

static loop *bare_loop(void)
{
    loop_config cfg = {0};
    loop_handlers h = {0};
    char err[256];
    loop *l = loop_new(&cfg, &h, err, sizeof err);
    assert_non_null(l);
    return l;
}

typedef struct seen {
    int fd;
    int reads, writes;
    loop_fd *other;               /* unwatch this one from the callback */
    int other_active, other_want; /* loop_fd_active and loop_fd_want on it, just after */
    loop *l;
} seen;

static void on_ready(loop_fd *w, int readable, int writable, void *arg)
{
    seen *s = arg;
    char c;
    if (readable) {
        s->reads++;
        assert_int_equal(read(s->fd, &c, 1), 1);
    }
    if (writable) {
        s->writes++;
        loop_fd_want(w, 1, 0); /* one writable report is enough */
    }
    if (s->other) { /* (valid until the end of this round) */
        loop_fd_unwatch(s->other);
        s->other_active = loop_fd_active(s->other);
        s->other_want = loop_fd_want(s->other, 1, 0);
    }
    if (s->reads >= 1)
        loop_stop(s->l);
}

static void give_up(loop *l, void *arg)
{
    (void)arg;
    loop_stop(l);
}

/* Writable is reported when asked for, readable when a byte arrives. */
static void reports_what_was_asked(void **state)
{
    (void)state;
    int p[2];
    assert_int_equal(pipe(p), 0);
    loop *l = bare_loop();
    seen s = {.fd = p[0], .l = l};
    seen w = {.fd = p[1], .l = l};
    loop_fd *rw = loop_fd_watch(l, p[0], on_ready, &s);
    loop_fd *ww = loop_fd_watch(l, p[1], on_ready, &w);
    assert_non_null(rw);
    assert_non_null(ww);
    assert_int_equal(loop_fd_want(rw, 1, 0), 0);
    assert_int_equal(loop_fd_want(ww, 0, 1), 0);
    assert_int_equal(write(p[1], "x", 1), 1);
    loop_timer_start(l, 5000, give_up, NULL); /* a deadline against hanging */
    loop_run(l);
    assert_int_equal(s.reads, 1);
    assert_int_equal(w.writes, 1);
    assert_int_equal(w.reads, 0); /* the write end never asked to be read */
    loop_free(l);
    close(p[0]);
    close(p[1]);
}

/* Two descriptors ready in the same round: the first one's callback unwatches the second,
 * which then hears nothing, though epoll had already reported it. */
static void unwatched_hears_nothing_more(void **state)
{
    (void)state;
    int a[2], b[2];
    assert_int_equal(pipe(a), 0);
    assert_int_equal(pipe(b), 0);
    loop *l = bare_loop();
    seen sa = {.fd = a[0], .l = l}, sb = {.fd = b[0], .l = l};
    loop_fd *wa = loop_fd_watch(l, a[0], on_ready, &sa);
    loop_fd *wb = loop_fd_watch(l, b[0], on_ready, &sb);
    sa.other = wb; /* whichever runs first unwatches the other */
    sb.other = wa;
    loop_fd_want(wa, 1, 0);
    loop_fd_want(wb, 1, 0);
    assert_int_equal(write(a[1], "x", 1), 1);
    assert_int_equal(write(b[1], "y", 1), 1);
    loop_timer_start(l, 5000, give_up, NULL);
    loop_run(l);
    assert_int_equal(sa.reads + sb.reads, 1);
    seen *first = sa.reads ? &sa : &sb;
    assert_false(first->other_active);
    assert_int_equal(first->other_want, -1);
    loop_free(l); /* frees the watches left (ASan: no leak) */
    for (int i = 0; i < 2; i++) {
        close(a[i]);
        close(b[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reports_what_was_asked),
        cmocka_unit_test(unwatched_hears_nothing_more),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
