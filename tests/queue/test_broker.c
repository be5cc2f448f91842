/*
 * test_broker.c - unit tests of queue/broker.h with no sockets: each "client" is a buffer that
 * collects what the broker sent it.
 *
 * Covers: competing consumers get distinct messages; ACK deletes; a consumer leaving before
 * ACK makes the message go to another, marked redelivered; waiting PULLs; the per-consumer
 * prefetch limit (one consumer that never ACKs does not starve another); ACK cost with 100,000
 * in flight; ACK deadlines on a fake clock (redelivery, TOUCH); dead-lettering and REQUEUE;
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
    int discard;     /* count lines only (for tests that make many) */
    uint64_t nlines; /* lines received */
};

/* The broker's clock in these tests: moved by hand, so deadlines are exact and no test waits. */
static uint64_t fake_now = 1000000;
static uint64_t fake_clock(void)
{
    return fake_now;
}

static void fake_send(void *handle, const char *data, size_t len)
{
    struct fake *f = handle;
    f->nlines++;
    if (f->discard)
        return;
    assert_true(f->len + len < sizeof f->out);
    memcpy(f->out + f->len, data, len);
    f->len += len;
    f->out[f->len] = '\0';
}

static broker_config config(size_t capacity, enum ring_policy policy)
{
    return (broker_config){.capacity = capacity,
                           .policy = policy,
                           .max_line = 256,
                           .max_names = 8,
                           .prefetch = 16,
                           .ack_timeout_s = 30,
                           .max_deliveries = 0,
                           .send = fake_send,
                           .now_ms = fake_clock};
}

static broker *new_broker_cfg(const broker_config *cfg)
{
    char err[128];
    broker *b = broker_new(cfg, err, sizeof err);
    if (b == NULL)
        fail_msg("broker_new refused the test's configuration: %s", err);
    return b;
}

static broker *new_broker(size_t capacity, enum ring_policy policy)
{
    broker_config cfg = config(capacity, policy);
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
    expect_out(&c1,
               "OK\nERR no message 1 is waiting for an ACK from this connection (not delivered "
               "here, already ACKed, or its ACK deadline passed and it went back to the "
               "queue)\n");
    say(&c2, "ACK 1"); /* not c2's to ack */
    expect_out(&c2, "ERR no message 1 is waiting for an ACK from this connection (not delivered "
                    "here, already ACKed, or its ACK deadline passed and it went back to the "
                    "queue)\n");
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

static void test_queue_reject(void **state)
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
    expect_out(&c, "MSG q 1 new 1\n");
    say(&p, "PUSH q 3"); /* the ring has room again: 1 left it (it is in flight) */
    expect_out(&p, "OK 3\n");
    assert_int_equal(broker_get_stats(b).rejected, 1);
    broker_client_gone(p.bc);
    broker_client_gone(c.bc);
    broker_free(b);
}

/* Issue 17: a consumer that PULLs and never ACKs must not starve the others. Each consumer
 * holds at most `prefetch` unacked messages; its further PULLs wait, and others are served. */
static void test_prefetch_does_not_starve(void **state)
{
    (void)state;
    broker_config cfg = config(16, RING_REJECT);
    cfg.prefetch = 2;
    broker *b = new_broker_cfg(&cfg);
    struct fake p, greedy, fair;
    connect_fake(b, &p);
    connect_fake(b, &greedy);
    connect_fake(b, &fair);
    for (int i = 0; i < 6; i++)
        say(&p, "PUSH q m");
    say(&greedy, "PULL q");
    say(&greedy, "PULL q");
    say(&greedy, "PULL q"); /* a third: over its prefetch of 2, so it waits ... */
    expect_out(&greedy, "MSG q 1 new m\nMSG q 2 new m\n");
    say(&fair, "PULL q"); /* ... and does not stand in the way of this one */
    expect_out(&fair, "MSG q 3 new m\n");
    say(&fair, "ACK 3");
    say(&fair, "PULL q");
    expect_out(&fair, "OK\nMSG q 4 new m\n");
    say(&greedy, "ACK 1"); /* below its prefetch again: its waiting PULL is served */
    expect_out(&greedy, "OK\nMSG q 5 new m\n");
    broker_client_gone(p.bc);
    broker_client_gone(greedy.bc);
    broker_client_gone(fair.bc);
    broker_free(b);
}

/* Issue 17: ACK must not cost more as more is in flight. 100,000 in flight at one consumer,
 * ACKed oldest first (the worst order for a newest-first list walk: 5 billion comparisons).
 * The broker counts the entries it compares; a hash needs about one per ACK. */
static void test_ack_cost_with_100k_in_flight(void **state)
{
    (void)state;
    enum { N = 100000 };
    broker_config cfg = config(N, RING_REJECT);
    cfg.max_line = 16;
    cfg.prefetch = N;
    broker *b = new_broker_cfg(&cfg);
    struct fake p, c;
    connect_fake(b, &p);
    connect_fake(b, &c);
    p.discard = c.discard = 1;
    for (int i = 0; i < N; i++) {
        say(&p, "PUSH q x");
        say(&c, "PULL q");
    }
    assert_int_equal(c.nlines, N);
    assert_int_equal(broker_get_holding(b).inflight, N);
    uint64_t before = broker_get_stats(b).ack_steps;
    char line[32];
    for (int i = 1; i <= N; i++) {
        snprintf(line, sizeof line, "ACK %d", i);
        say(&c, line);
    }
    uint64_t steps = broker_get_stats(b).ack_steps - before;
    assert_int_equal(broker_get_stats(b).acked, N);
    assert_int_equal(broker_get_holding(b).inflight, 0);
    if (steps > 2 * (uint64_t)N)
        fail_msg("100000 ACKs compared %llu in-flight entries (more than 2 per ACK): ACK costs "
                 "more as more is in flight",
                 (unsigned long long)steps);
    broker_client_gone(p.bc);
    broker_client_gone(c.bc);
    broker_free(b);
}

/* Issue 20: a delivery not ACKed by its deadline goes back to the queue, marked redelivered;
 * the first consumer's late ACK is refused (the message is someone else's now). */
static void test_ack_deadline_redelivers(void **state)
{
    (void)state;
    broker *b = new_broker(8, RING_REJECT);
    struct fake p, slow, other;
    connect_fake(b, &p);
    connect_fake(b, &slow);
    connect_fake(b, &other);
    say(&p, "PUSH jobs work");
    say(&slow, "PULL jobs 2"); /* "give me 2 seconds" */
    expect_out(&slow, "MSG jobs 1 new work\n");
    say(&other, "PULL jobs"); /* waits: nothing else there */
    assert_int_equal(broker_next_deadline(b), fake_now + 2000);
    fake_now += 1999;
    broker_expire(b);
    expect_out(&other, ""); /* 1 ms early: still slow's */
    fake_now += 1;
    broker_expire(b);
    expect_out(&other, "MSG jobs 1 redelivered work\n");
    assert_int_equal(broker_next_deadline(b), fake_now + 30000); /* other: the default 30 s */
    say(&slow, "ACK 1");
    expect_out(&slow, "ERR no message 1 is waiting for an ACK from this connection (not "
                      "delivered here, already ACKed, or its ACK deadline passed and it went "
                      "back to the queue)\n");
    say(&other, "ACK 1");
    expect_out(&other, "OK\n");
    broker_stats s = broker_get_stats(b);
    assert_int_equal(s.expired, 1);
    assert_int_equal(s.redelivered, 1);
    assert_int_equal(broker_next_deadline(b), UINT64_MAX);
    broker_client_gone(p.bc);
    broker_client_gone(slow.bc);
    broker_client_gone(other.bc);
    broker_free(b);
}

/* TOUCH moves the deadline: a heartbeat for long work. */
static void test_touch_extends_deadline(void **state)
{
    (void)state;
    broker *b = new_broker(8, RING_REJECT);
    struct fake p, c, other;
    connect_fake(b, &p);
    connect_fake(b, &c);
    connect_fake(b, &other);
    say(&p, "PUSH jobs long");
    say(&p, "PUSH jobs short");
    say(&c, "PULL jobs 2");
    say(&c, "PULL jobs 5");
    expect_out(&c, "MSG jobs 1 new long\nMSG jobs 2 new short\n");
    say(&other, "PULL jobs");
    fake_now += 1500;
    say(&c, "TOUCH 1"); /* the same 2 s again, from now */
    say(&other, "TOUCH 1");
    expect_out(&c, "OK 2\n");
    expect_out(&other, "ERR no message 1 is waiting for an ACK from this connection (not "
                       "delivered here, already ACKed, or its ACK deadline passed and it went "
                       "back to the queue)\n");
    fake_now += 1500; /* 3 s after delivery: without the TOUCH it would be back */
    broker_expire(b);
    expect_out(&other, "");
    say(&c, "TOUCH 1 10");
    expect_out(&c, "OK 10\n");
    fake_now += 2500; /* 5.5 s: message 2's deadline (5 s) passes, 1's (10 s) does not */
    broker_expire(b);
    expect_out(&other, "MSG jobs 2 redelivered short\n");
    say(&c, "ACK 1");
    expect_out(&c, "OK\n");
    assert_int_equal(broker_get_stats(b).expired, 1);
    broker_client_gone(p.bc);
    broker_client_gone(c.bc);
    broker_client_gone(other.bc);
    broker_free(b);
}

/* A poison message: after max_deliveries deliveries without an ACK (deadlines or crashed
 * consumers) it goes to the dead-letter list with its reason; DLQ lists it, REQUEUE puts it
 * back. */
static void test_dead_letter_and_requeue(void **state)
{
    (void)state;
    broker_config cfg = config(8, RING_REJECT);
    cfg.max_deliveries = 3;
    broker *b = new_broker_cfg(&cfg);
    struct fake p, c, ops;
    connect_fake(b, &p);
    connect_fake(b, &ops);
    say(&p, "PUSH jobs poison");
    say(&p, "PUSH jobs fine");
    for (int i = 0; i < 2; i++) { /* two consumers crash on it */
        connect_fake(b, &c);
        say(&c, "PULL jobs");
        expect_out(&c, i == 0 ? "MSG jobs 1 new poison\n" : "MSG jobs 1 redelivered poison\n");
        broker_client_gone(c.bc);
    }
    connect_fake(b, &c); /* the third takes too long */
    say(&c, "PULL jobs 1");
    expect_out(&c, "MSG jobs 1 redelivered poison\n");
    fake_now += 1000;
    broker_expire(b);
    say(&c, "PULL jobs"); /* the poison message is not redelivered a fourth time */
    expect_out(&c, "MSG jobs 2 new fine\n");
    say(&ops, "DLQ jobs");
    expect_out(&ops, "DEAD jobs 1 3 deadline poison\nOK 1 of 1\n");
    say(&ops, "REQUEUE jobs 7");
    expect_out(&ops, "ERR no dead letter 7 in jobs (DLQ jobs lists them)\n");
    say(&ops, "REQUEUE jobs 1");
    expect_out(&ops, "OK 1\n");
    say(&ops, "DLQ jobs");
    expect_out(&ops, "OK 0 of 0\n");
    say(&c, "PULL jobs");
    expect_out(&c, "MSG jobs 1 redelivered poison\n");
    broker_stats s = broker_get_stats(b);
    assert_int_equal(s.dead, 1);
    assert_int_equal(s.requeued, 1);
    broker_holding h = broker_get_holding(b);
    assert_int_equal(h.inflight, 2);
    assert_int_equal(h.queued, 0);
    broker_client_gone(p.bc);
    broker_client_gone(c.bc);
    broker_client_gone(ops.bc);
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
    expect_out(&c,
               "ERR unknown command 'HELLO' (try PUSH PULL ACK TOUCH PUB SUB DLQ REQUEUE QUIT)\n"
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
    assert_non_null(strstr(c.out, "ERR too many queues and topics (the broker allows 8, "
                                  "--max-names): use one that exists\n"));
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
    broker_config cfg = config(4, RING_REJECT);
    cfg.max_line = 64;
    cfg.send = send_and_kill;
    broker *b = new_broker_cfg(&cfg);
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
        cmocka_unit_test(test_queue_reject),
        cmocka_unit_test(test_prefetch_does_not_starve),
        cmocka_unit_test(test_ack_cost_with_100k_in_flight),
        cmocka_unit_test(test_ack_deadline_redelivers),
        cmocka_unit_test(test_touch_extends_deadline),
        cmocka_unit_test(test_dead_letter_and_requeue),
        cmocka_unit_test(test_queue_overwrite_policy),
        cmocka_unit_test(test_pub_sub_and_replay),
        cmocka_unit_test(test_errors_keep_connection_usable),
        cmocka_unit_test(test_name_limit),
        cmocka_unit_test(test_client_gone_during_fanout),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
