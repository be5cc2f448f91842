/*
 * test_broker.c - unit tests of queue/broker.h with no sockets: each "client" is a buffer that
 * collects what the broker sent it.
 *
 * Covers: competing consumers get distinct messages; ACK deletes; a consumer leaving before
 * ACK makes the message go to another, marked redelivered; waiting PULLs; the in-flight limit;
 * both overflow policies on queues; PUB/SUB fan-out; SUB FROM replay without and with a gap;
 * a future offset; ERR for malformed lines with the client still usable; the stats.
 *
 * Run: ctest --test-dir build -R queue_broker_test --output-on-failure
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "broker.h"

struct fake {
    char out[16384];
    size_t len;
    broker_client *bc;
};

static void fake_send(void *handle, const char *data, size_t len)
{
    struct fake *f = handle;
    assert_true(f->len + len < sizeof f->out);
    memcpy(f->out + f->len, data, len);
    f->len += len;
    f->out[f->len] = '\0';
}

static broker *new_broker(size_t capacity, enum ring_policy policy)
{
    broker_config cfg = {
        .capacity = capacity, .policy = policy, .max_line = 256, .max_names = 8, .send = fake_send};
    char err[128];
    broker *b = broker_new(&cfg, err, sizeof err);
    assert_non_null(b);
    return b;
}

static void connect_fake(broker *b, struct fake *f)
{
    memset(f, 0, sizeof *f);
    f->bc = broker_client_new(b, f);
    assert_non_null(f->bc);
}

static void say(struct fake *f, const char *line)
{
    broker_client_line(f->bc, line, strlen(line));
}

/* The client's output so far must equal want; then forget it. */
static void expect_out(struct fake *f, const char *want)
{
    if (strcmp(f->out, want) != 0)
        fail_msg("the broker sent:\n%s\nbut this was expected:\n%s", f->out, want);
    f->len = 0;
    f->out[0] = '\0';
}

static void test_competing_consumers(void **state)
{
    (void)state;
    broker *b = new_broker(16, RING_REJECT);
    struct fake p, c1, c2;
    connect_fake(b, &p);
    connect_fake(b, &c1);
    connect_fake(b, &c2);
    say(&c1, "PULL jobs"); /* waits: nothing there yet */
    say(&c2, "PULL jobs");
    expect_out(&c1, "");
    say(&p, "PUSH jobs first");
    say(&p, "PUSH jobs second");
    say(&p, "PUSH jobs third");
    expect_out(&p, "OK 1\nOK 2\nOK 3\n");
    expect_out(&c1, "MSG jobs 1 new first\n");
    expect_out(&c2, "MSG jobs 2 new second\n");
    say(&c1, "ACK 1");
    say(&c1, "ACK 1");
    expect_out(&c1, "OK\nERR no message 1 is waiting for an ACK from this connection\n");
    say(&c2, "ACK 1"); /* not c2's to ack */
    expect_out(&c2, "ERR no message 1 is waiting for an ACK from this connection\n");
    say(&c1, "PULL jobs");
    expect_out(&c1, "MSG jobs 3 new third\n");
    broker_stats s = broker_get_stats(b);
    assert_int_equal(s.in, 3);
    assert_int_equal(s.delivered, 3);
    assert_int_equal(s.acked, 1);
    broker_client_gone(p.bc);
    broker_client_gone(c1.bc);
    broker_client_gone(c2.bc);
    broker_free(b);
}

static void test_redelivery_on_disconnect(void **state)
{
    (void)state;
    broker *b = new_broker(16, RING_REJECT);
    struct fake p, c1, c2;
    connect_fake(b, &p);
    connect_fake(b, &c1);
    connect_fake(b, &c2);
    say(&p, "PUSH jobs a");
    say(&p, "PUSH jobs b");
    say(&c1, "PULL jobs");
    say(&c1, "PULL jobs");
    expect_out(&c1, "MSG jobs 1 new a\nMSG jobs 2 new b\n");
    say(&c2, "PULL jobs"); /* waits */
    expect_out(&c2, "");
    broker_client_gone(c1.bc); /* died before ACK: both go back, oldest first */
    expect_out(&c2, "MSG jobs 1 redelivered a\n");
    say(&c2, "ACK 1");
    say(&c2, "PULL jobs");
    expect_out(&c2, "OK\nMSG jobs 2 redelivered b\n");
    say(&p, "PUSH jobs c"); /* fresh messages come after the returned ones */
    say(&c2, "PULL jobs");
    expect_out(&c2, "MSG jobs 3 new c\n");
    broker_stats s = broker_get_stats(b);
    assert_int_equal(s.redelivered, 2);
    assert_int_equal(s.delivered, 5);
    broker_client_gone(p.bc);
    broker_client_gone(c2.bc);
    broker_free(b);
}

static void test_queue_reject_and_inflight_limit(void **state)
{
    (void)state;
    broker *b = new_broker(2, RING_REJECT);
    struct fake p, c;
    connect_fake(b, &p);
    connect_fake(b, &c);
    say(&p, "PUSH q 1");
    say(&p, "PUSH q 2");
    say(&p, "PUSH q 3");
    expect_out(&p, "OK 1\nOK 2\nERR queue q is full (2 messages, policy reject): retry later\n");
    say(&c, "PULL q");
    say(&c, "PULL q");
    expect_out(&c, "MSG q 1 new 1\nMSG q 2 new 2\n");
    say(&p, "PUSH q 3");
    say(&p, "PUSH q 4");
    expect_out(&p, "OK 3\nOK 4\n");
    /* Two unacked = the capacity: the next PULL waits for an ACK. */
    say(&c, "PULL q");
    expect_out(&c, "");
    say(&c, "ACK 2");
    expect_out(&c, "OK\nMSG q 3 new 3\n");
    assert_int_equal(broker_get_stats(b).rejected, 1);
    broker_client_gone(p.bc);
    broker_client_gone(c.bc);
    broker_free(b);
}

static void test_queue_overwrite_policy(void **state)
{
    (void)state;
    broker *b = new_broker(8, RING_REJECT);
    char err[128];
    assert_int_equal(broker_define(b, "lossy", 2, RING_OVERWRITE, err, sizeof err), 0);
    assert_int_equal(broker_define(b, "bad name", 2, RING_OVERWRITE, err, sizeof err), -1);
    struct fake p, c;
    connect_fake(b, &p);
    connect_fake(b, &c);
    say(&p, "PUSH lossy 1");
    say(&p, "PUSH lossy 2");
    say(&p, "PUSH lossy 3");
    expect_out(&p, "OK 1\nOK 2\nOK 3\n");
    say(&c, "PULL lossy");
    expect_out(&c, "MSG lossy 2 new 2\n"); /* 1 was overwritten, and counted */
    assert_int_equal(broker_get_stats(b).overwritten, 1);
    broker_client_gone(p.bc);
    broker_client_gone(c.bc);
    broker_free(b);
}

static void test_pub_sub_and_replay(void **state)
{
    (void)state;
    broker *b = new_broker(4, RING_REJECT);
    struct fake pub, s1, s2;
    connect_fake(b, &pub);
    connect_fake(b, &s1);
    connect_fake(b, &s2);
    say(&s1, "SUB news");
    expect_out(&s1, "OK 0\n");
    say(&pub, "PUB news hello world");
    expect_out(&pub, "OK 1\n");
    expect_out(&s1, "EVENT news 1 hello world\n");
    say(&s1, "SUB news");
    expect_out(&s1, "ERR already subscribed to news\n");
    say(&pub, "PUB news two");
    say(&pub, "PUB news three");
    /* s2 saw offset 1 before; it comes back and gets 2 and 3, then live ones. */
    say(&s2, "SUB news FROM 1");
    expect_out(&s2, "EVENT news 2 two\nEVENT news 3 three\nOK 3\n");
    say(&pub, "PUB news four");
    expect_out(&s2, "EVENT news 4 four\n");
    expect_out(&s1, "EVENT news 2 two\nEVENT news 3 three\nEVENT news 4 four\n");
    broker_client_gone(s2.bc);
    /* Capacity 4: after 5..7 the topic holds 4..7; a reader at 1 missed 2 and 3. */
    say(&pub, "PUB news 5");
    say(&pub, "PUB news 6");
    say(&pub, "PUB news 7");
    connect_fake(b, &s2);
    say(&s2, "SUB news FROM 1");
    expect_out(&s2, "GAP news 2\nEVENT news 4 four\nEVENT news 5 5\nEVENT news 6 6\n"
                    "EVENT news 7 7\nOK 7\n");
    struct fake s3;
    connect_fake(b, &s3);
    say(&s3, "SUB news FROM 8");
    expect_out(&s3, "ERR offset 8 is newer than the newest on topic news (7): not subscribed\n");
    say(&s3, "SUB news FROM 7"); /* up to date: nothing to replay */
    expect_out(&s3, "OK 7\n");
    broker_stats st = broker_get_stats(b);
    assert_int_equal(st.in, 7);
    assert_int_equal(st.overwritten, 3);
    broker_client_gone(pub.bc);
    broker_client_gone(s1.bc);
    broker_client_gone(s2.bc);
    broker_client_gone(s3.bc);
    broker_free(b);
}

static void test_errors_keep_connection_usable(void **state)
{
    (void)state;
    broker *b = new_broker(4, RING_REJECT);
    struct fake c;
    connect_fake(b, &c);
    say(&c, "HELLO");
    say(&c, "PUSH");
    say(&c, "ACK abc");
    broker_client_too_long(c.bc);
    say(&c, "PUSH q still works");
    expect_out(&c, "ERR unknown command 'HELLO' (try PUSH PULL ACK PUB SUB QUIT)\n"
                   "ERR usage: PUSH <queue> <message>\n"
                   "ERR usage: ACK <id> (the number from a MSG line)\n"
                   "ERR line too long (the broker accepts up to 256 bytes)\n"
                   "OK 1\n");
    assert_int_equal(broker_client_line(c.bc, "QUIT", 4), 1);
    expect_out(&c, "OK bye\n");
    broker_client_gone(c.bc);
    broker_free(b);
}

static void test_name_limit(void **state)
{
    (void)state;
    broker *b = new_broker(4, RING_REJECT); /* max_names 8 */
    struct fake c;
    connect_fake(b, &c);
    char line[32];
    for (int i = 0; i < 8; i++) {
        snprintf(line, sizeof line, "PUB t%d x", i);
        say(&c, line);
    }
    say(&c, "PUSH one-too-many x");
    assert_non_null(strstr(c.out, "ERR too many queues and topics (the broker allows 8)\n"));
    broker_client_gone(c.bc);
    broker_free(b);
}

/* A send callback that reports the client gone in the middle of a fan-out. */
static struct fake *victim;
static void send_and_kill(void *handle, const char *data, size_t len)
{
    fake_send(handle, data, len);
    if (handle == victim && victim->bc != NULL) {
        broker_client *bc = victim->bc;
        victim->bc = NULL;
        broker_client_gone(bc);
    }
}

static void test_client_gone_during_fanout(void **state)
{
    (void)state;
    broker_config cfg = {.capacity = 4, .max_line = 64, .max_names = 4, .send = send_and_kill};
    char err[128];
    broker *b = broker_new(&cfg, err, sizeof err);
    struct fake pub, s1, s2, s3;
    connect_fake(b, &pub);
    connect_fake(b, &s1);
    connect_fake(b, &s2);
    connect_fake(b, &s3);
    say(&s1, "SUB t");
    say(&s2, "SUB t");
    say(&s3, "SUB t");
    victim = &s1; /* dies as soon as it is sent the next line */
    s1.len = 0;
    say(&pub, "PUB t x");
    assert_string_equal(s2.out, "OK 0\nEVENT t 1 x\n");
    assert_string_equal(s3.out, "OK 0\nEVENT t 1 x\n");
    victim = NULL;
    broker_client_gone(pub.bc);
    broker_client_gone(s2.bc);
    broker_client_gone(s3.bc);
    broker_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_competing_consumers),
        cmocka_unit_test(test_redelivery_on_disconnect),
        cmocka_unit_test(test_queue_reject_and_inflight_limit),
        cmocka_unit_test(test_queue_overwrite_policy),
        cmocka_unit_test(test_pub_sub_and_replay),
        cmocka_unit_test(test_errors_keep_connection_usable),
        cmocka_unit_test(test_name_limit),
        cmocka_unit_test(test_client_gone_during_fanout),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
