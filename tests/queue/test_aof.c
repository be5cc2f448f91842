/*
 * test_aof.c - the append-only log's pure core (queue/aof.c, queue/aof_state.c): CRC-32, every
 * record type through encode and decode, one negative test per rule, decoding fed in every
 * chunking, a torn or garbled last record at every byte offset (detected and dropped, the rest
 * replayed), corruption in the middle (refused), replay, and the broker's snapshot replaying
 * to the same state as its journal.
 * Run: ctest --test-dir build -R queue_aof_test --output-on-failure
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "aof.h"
#include "broker.h"

/* ---- a log image built record by record ------------------------------------------------- */

struct image {
    uint8_t buf[1 << 16];
    size_t len;
    size_t starts[256]; /* where each record starts */
    size_t n;
};

static void image_init(struct image *im)
{
    memcpy(im->buf, AOF_MAGIC, AOF_HEADER_LEN);
    im->len = AOF_HEADER_LEN;
    im->n = 0;
}

static void image_add(struct image *im, const aof_record *r)
{
    size_t n = aof_encode(r, im->buf + im->len, sizeof im->buf - im->len);
    assert_true(n > 0);
    im->starts[im->n++] = im->len;
    im->len += n;
}

static aof_record rec(uint8_t type, uint64_t id, const char *name, const char *msg)
{
    aof_record r = {.type = type, .id = id};
    if (name != NULL) {
        r.name = name;
        r.name_len = strlen(name);
        r.msg = (const uint8_t *)msg;
        r.msg_len = strlen(msg);
    }
    return r;
}

/* A log with every record type: jobs gets 1..4, 1 is ACKed, 2 comes back, 3 is in flight, 4
 * is dead and requeued... and a topic. */
static void sample(struct image *im)
{
    image_init(im);
    image_add(im, &(aof_record){.type = AOF_NEXT, .id = 0});
    image_add(im, &(aof_record){.type = AOF_PUSH,
                                .id = 1,
                                .name = "jobs",
                                .name_len = 4,
                                .msg = (const uint8_t *)"resize cat.jpg",
                                .msg_len = 14});
    aof_record r2 = rec(AOF_PUSH, 2, "jobs", "two"), r3 = rec(AOF_PUSH, 3, "jobs", "three");
    aof_record r4 = rec(AOF_PUSH, 4, "mail", "four");
    image_add(im, &r2);
    image_add(im, &r3);
    image_add(im, &r4);
    image_add(im, &(aof_record){.type = AOF_DELIVER, .id = 1});
    image_add(im, &(aof_record){.type = AOF_ACK, .id = 1});
    image_add(im, &(aof_record){.type = AOF_DELIVER, .id = 2});
    image_add(im, &(aof_record){.type = AOF_BACK, .id = 2, .reason = AOF_DEADLINE});
    image_add(im, &(aof_record){.type = AOF_DELIVER, .id = 3});
    image_add(im, &(aof_record){.type = AOF_DELIVER, .id = 4});
    image_add(im, &(aof_record){.type = AOF_DEAD, .id = 4, .reason = AOF_DISCONNECT});
    aof_record p1 = rec(AOF_PUB, 1, "news", "first"), p2 = rec(AOF_PUB, 2, "news", "second");
    image_add(im, &p1);
    image_add(im, &p2);
    aof_record k = rec(AOF_KEEP, 9, "mail", "kept");
    k.where = AOF_REDO;
    k.reason = AOF_RESTART;
    k.seen = 1;
    k.deliveries = 3;
    image_add(im, &k);
}

/* ---- CRC --------------------------------------------------------------------------------- */

static void test_crc32_check_values(void **state)
{
    (void)state;
    assert_int_equal(aof_crc32("123456789", 9), 0xCBF43926u); /* the catalogue's check value */
    assert_int_equal(aof_crc32("", 0), 0);
    assert_int_equal(aof_crc32("a", 1), 0xE8B7BE43u);
}

/* ---- encode / decode --------------------------------------------------------------------- */

static void test_round_trip_every_type(void **state)
{
    (void)state;
    struct image im;
    sample(&im);
    size_t at = AOF_HEADER_LEN;
    for (size_t i = 0; i < im.n; i++) {
        aof_record r;
        size_t used;
        assert_int_equal(aof_decode(im.buf + at, im.len - at, &r, &used, NULL), AOF_OK);
        assert_int_equal(at, im.starts[i]);
        at += used;
        if (i == 1) {
            assert_int_equal(r.type, AOF_PUSH);
            assert_int_equal(r.id, 1);
            assert_memory_equal(r.name, "jobs", 4);
            assert_int_equal(r.msg_len, 14);
            assert_memory_equal(r.msg, "resize cat.jpg", 14);
        }
        if (i == im.n - 1) {
            assert_int_equal(r.type, AOF_KEEP);
            assert_int_equal(r.where, AOF_REDO);
            assert_int_equal(r.reason, AOF_RESTART);
            assert_int_equal(r.seen, 1);
            assert_int_equal(r.deliveries, 3);
        }
    }
    assert_int_equal(at, im.len);
}

static void test_encode_refuses(void **state)
{
    (void)state;
    uint8_t out[128];
    aof_record r = rec(AOF_PUSH, 1, "jobs", "x");
    assert_int_equal(aof_encode(&r, out, 10), 0); /* does not fit */
    r.name_len = 0;
    assert_int_equal(aof_encode(&r, out, sizeof out), 0); /* no name */
    r = rec(AOF_PUSH, 1, "jobs", "x");
    r.type = 99;
    assert_int_equal(aof_encode(&r, out, sizeof out), 0); /* unknown type */
}

/* Re-frame a hand-made payload with a correct length and checksum, so that only the rule
 * under test is broken. */
static size_t frame(uint8_t *out, const uint8_t *payload, size_t len)
{
    out[0] = (uint8_t)len;
    out[1] = (uint8_t)(len >> 8);
    out[2] = (uint8_t)(len >> 16);
    out[3] = (uint8_t)(len >> 24);
    memcpy(out + 8, payload, len);
    uint8_t tmp[512];
    memcpy(tmp, out, 4);
    memcpy(tmp + 4, payload, len);
    uint32_t crc = aof_crc32(tmp, 4 + len);
    for (int i = 0; i < 4; i++)
        out[4 + i] = (uint8_t)(crc >> (8 * i));
    return 8 + len;
}

static void expect_bad(const uint8_t *payload, size_t len, const char *why_part)
{
    uint8_t buf[600];
    size_t n = frame(buf, payload, len), used;
    aof_record r;
    const char *why;
    assert_int_equal(aof_decode(buf, n, &r, &used, &why), AOF_BAD);
    if (strstr(why, why_part) == NULL)
        fail_msg("expected a reason containing '%s', got '%s'", why_part, why);
}

static void test_decode_rules(void **state)
{
    (void)state;
    uint8_t p[64] = {AOF_ACK, 1, 0, 0, 0, 0, 0, 0, 0};
    expect_bad(p, 8, "shorter than its type and id");
    p[0] = 0;
    expect_bad(p, 9, "unknown record type");
    p[0] = 11;
    expect_bad(p, 9, "unknown record type");
    p[0] = AOF_ACK;
    expect_bad(p, 10, "wrong size"); /* a trailing byte */
    p[0] = AOF_BACK;
    p[9] = 4;
    expect_bad(p, 10, "unknown reason");
    p[0] = AOF_KEEP;
    p[9] = 4; /* where */
    expect_bad(p, 20, "unknown place");
    p[9] = AOF_FRESH;
    p[10] = 0;
    p[11] = 2; /* seen must be 0 or 1 */
    expect_bad(p, 20, "unknown place or flag");
    p[0] = AOF_PUSH;
    p[9] = 10; /* name_len past the end */
    memcpy(p + 10, "jobs", 4);
    expect_bad(p, 14, "name longer than its payload");
    p[9] = 4;
    expect_bad(p, 14, "empty message");
    p[10] = ' '; /* a space in a name */
    p[14] = 'x';
    expect_bad(p, 15, "invalid queue/topic name");

    /* The frame itself: length 0, a length over the largest, a checksum off by one bit. */
    uint8_t buf[64] = {0};
    size_t used;
    aof_record r;
    const char *why;
    assert_int_equal(aof_decode(buf, 16, &r, &used, &why), AOF_BAD);
    assert_non_null(strstr(why, "length 0"));
    buf[3] = 0x7f;
    assert_int_equal(aof_decode(buf, 16, &r, &used, &why), AOF_BAD);
    assert_non_null(strstr(why, "longer than the largest"));
    uint8_t ok[9] = {AOF_ACK, 7};
    size_t n = frame(buf, ok, 9);
    assert_int_equal(aof_decode(buf, n, &r, &used, &why), AOF_OK);
    buf[5] ^= 0x10;
    assert_int_equal(aof_decode(buf, n, &r, &used, &why), AOF_BAD);
    assert_non_null(strstr(why, "checksum"));
}

/* ---- chunking ---------------------------------------------------------------------------- */

/* Decode im's records as a streaming reader would: bytes arrive in chunks of `step` (0: random
 * sizes from seed), whole records are taken as soon as they are there. Returns the count. */
static size_t stream(const struct image *im, size_t step, unsigned seed, aof_record *out)
{
    static uint8_t acc[1 << 16];
    size_t have = 0, fed = AOF_HEADER_LEN, n = 0;
    while (fed < im->len) {
        size_t k = step ? step : 1 + (size_t)(rand_r(&seed) % 40);
        if (k > im->len - fed)
            k = im->len - fed;
        memcpy(acc + have, im->buf + fed, k);
        have += k;
        fed += k;
        size_t at = 0, used;
        aof_record r;
        int rc;
        while ((rc = aof_decode(acc + at, have - at, &r, &used, NULL)) == AOF_OK) {
            out[n] = r;
            out[n].name = NULL; /* (points into acc, which moves) */
            out[n].msg = NULL;
            n++;
            at += used;
        }
        assert_int_equal(rc, AOF_NEED_MORE); /* a part of a good record is never BAD */
        memmove(acc, acc + at, have - at);
        have -= at;
    }
    assert_int_equal(have, 0);
    return n;
}

static void test_decode_any_chunking(void **state)
{
    (void)state;
    struct image im;
    sample(&im);
    aof_record want[256], got[256];
    size_t n = stream(&im, im.len, 0, want);
    assert_int_equal(n, im.n);
    for (size_t step = 1; step <= 64; step++) {
        assert_int_equal(stream(&im, step, 0, got), n);
        assert_memory_equal(got, want, n * sizeof *got);
    }
    for (unsigned seed = 1; seed <= 50; seed++) {
        assert_int_equal(stream(&im, 0, seed, got), n);
        assert_memory_equal(got, want, n * sizeof *got);
    }
}

/* ---- torn and corrupt -------------------------------------------------------------------- */

/* Replay buf[0..good) into a fresh state; the messages and published counts. */
static void replay_counts(const uint8_t *buf, size_t good, size_t *msgs, size_t *pubs)
{
    aof_state *s = aof_state_new();
    size_t at = AOF_HEADER_LEN, used;
    aof_record r;
    while (at < good) {
        assert_int_equal(aof_decode(buf + at, good - at, &r, &used, NULL), AOF_OK);
        assert_int_equal(aof_state_apply(s, &r), 0);
        at += used;
    }
    aof_state_messages(s, msgs);
    aof_state_published(s, 1000, pubs);
    aof_state_free(s);
}

static void expect_torn(const uint8_t *buf, size_t len, const struct image *im, size_t at)
{
    aof_scan_result sc = aof_scan(buf, len);
    if (!sc.torn || sc.corrupt || sc.good != im->starts[im->n - 1] || sc.records != im->n - 1)
        fail_msg("damage at byte %zu of the last record: torn %d corrupt %d good %zu (want "
                 "torn, good %zu, %zu records): %s",
                 at, sc.torn, sc.corrupt, sc.good, im->starts[im->n - 1], im->n - 1, sc.why);
}

static void test_torn_last_record_every_offset(void **state)
{
    (void)state;
    struct image im;
    sample(&im);
    size_t last = im.starts[im.n - 1], want_msgs, want_pubs, msgs, pubs;
    replay_counts(im.buf, last, &want_msgs, &want_pubs);
    aof_scan_result whole = aof_scan(im.buf, im.len);
    assert_int_equal(whole.good, im.len);
    assert_false(whole.torn || whole.corrupt);
    static uint8_t copy[sizeof im.buf];
    for (size_t cut = last + 1; cut < im.len; cut++) { /* a crash after cut - last bytes */
        expect_torn(im.buf, cut, &im, cut - last);
        replay_counts(im.buf, aof_scan(im.buf, cut).good, &msgs, &pubs);
        assert_int_equal(msgs, want_msgs);
        assert_int_equal(pubs, want_pubs);
    }
    for (size_t at = last; at < im.len; at++) { /* every byte garbled, three ways */
        static const uint8_t flips[] = {0x01, 0x80, 0xFF};
        for (size_t f = 0; f < sizeof flips; f++) {
            memcpy(copy, im.buf, im.len);
            copy[at] ^= flips[f];
            expect_torn(copy, im.len, &im, at - last);
        }
        memcpy(copy, im.buf, im.len); /* and zeroed from there on (a file extended, not written) */
        memset(copy + at, 0, im.len - at);
        expect_torn(copy, im.len, &im, at - last);
    }
}

static void test_corruption_in_the_middle_is_refused(void **state)
{
    (void)state;
    struct image im;
    sample(&im);
    static uint8_t copy[sizeof im.buf];
    for (size_t i = 1; i + 1 < im.n; i++) {
        memcpy(copy, im.buf, im.len);
        copy[im.starts[i] + 9] ^= 0x04; /* a bit in record i's payload */
        aof_scan_result sc = aof_scan(copy, im.len);
        assert_true(sc.corrupt);
        assert_false(sc.torn);
        assert_int_equal(sc.good, im.starts[i]);
        assert_int_equal(sc.records, i);
        assert_int_equal(sc.resync_at, im.starts[i + 1]);
        assert_non_null(strstr(sc.why, "checksum"));
    }
}

static void test_header(void **state)
{
    (void)state;
    aof_scan_result sc = aof_scan((const uint8_t *)"", 0);
    assert_false(sc.torn || sc.corrupt); /* an empty file: nothing yet */
    sc = aof_scan((const uint8_t *)"WLQ", 3);
    assert_true(sc.torn); /* a crash while the header was being written */
    assert_int_equal(sc.good, 0);
    sc = aof_scan((const uint8_t *)"XLQAOF1\n", 8);
    assert_true(sc.corrupt);
    sc = aof_scan((const uint8_t *)"XLQ", 3);
    assert_true(sc.corrupt);
    sc = aof_scan((const uint8_t *)AOF_MAGIC, 8);
    assert_false(sc.torn || sc.corrupt);
    assert_int_equal(sc.good, 8);
}

/* ---- replay ------------------------------------------------------------------------------ */

static aof_state *replay(const struct image *im)
{
    aof_state *s = aof_state_new();
    size_t at = AOF_HEADER_LEN, used;
    aof_record r;
    while (at < im->len) {
        assert_int_equal(aof_decode(im->buf + at, im->len - at, &r, &used, NULL), AOF_OK);
        assert_int_equal(aof_state_apply(s, &r), 0);
        at += used;
    }
    return s;
}

static void test_replay_places(void **state)
{
    (void)state;
    struct image im;
    sample(&im);
    aof_state *s = replay(&im);
    size_t n;
    const aof_msg *m = aof_state_messages(s, &n);
    /* jobs: 2 given back (redo), 3 was in flight; mail: 9 kept in redo, 4 dead. 1 is gone. */
    assert_int_equal(n, 4);
    assert_string_equal(m[0].queue, "jobs");
    assert_int_equal(m[0].id, 2);
    assert_int_equal(m[0].where, AOF_REDO);
    assert_int_equal(m[0].reason, AOF_DEADLINE);
    assert_int_equal(m[0].deliveries, 1);
    assert_int_equal(m[1].id, 3);
    assert_int_equal(m[1].where, AOF_FLIGHT);
    assert_string_equal(m[2].queue, "mail");
    assert_int_equal(m[2].id, 9);
    assert_int_equal(m[2].where, AOF_REDO);
    assert_int_equal(m[3].id, 4);
    assert_int_equal(m[3].where, AOF_DEADLIST);
    assert_int_equal(m[3].reason, AOF_DISCONNECT);
    assert_memory_equal(m[3].msg, "four", 4);
    assert_int_equal(aof_state_last_id(s), 9);
    const aof_pub *p = aof_state_published(s, 1, &n);
    assert_int_equal(n, 1); /* keep 1: the newest */
    assert_int_equal(p[0].offset, 2);
    assert_memory_equal(p[0].msg, "second", 6);

    /* Records that do not fit are skipped and counted, the state unchanged. */
    aof_record bad[] = {{.type = AOF_ACK, .id = 2},     /* not in flight */
                        {.type = AOF_REQUEUE, .id = 2}, /* not dead */
                        {.type = AOF_DELIVER, .id = 77},
                        {.type = AOF_BACK, .id = 4}};
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(aof_state_apply(s, &bad[i]), 1);
    aof_record again = rec(AOF_PUSH, 3, "jobs", "dup"), old = rec(AOF_PUB, 2, "news", "old");
    assert_int_equal(aof_state_apply(s, &again), 1);
    assert_int_equal(aof_state_apply(s, &old), 1);
    assert_int_equal(aof_state_skipped(s), 6);
    aof_state_messages(s, &n);
    assert_int_equal(n, 4);
    aof_record rq = {.type = AOF_REQUEUE, .id = 4}, drop = {.type = AOF_DROP, .id = 9};
    assert_int_equal(aof_state_apply(s, &rq), 0);
    assert_int_equal(aof_state_apply(s, &drop), 0);
    m = aof_state_messages(s, &n);
    assert_int_equal(n, 3);
    assert_int_equal(m[2].id, 4);
    assert_int_equal(m[2].where, AOF_REDO);
    assert_int_equal(m[2].deliveries, 0);
    aof_state_free(s);
}

/* ---- the broker: journal and snapshot replay to the same state --------------------------- */

static uint64_t now = 1000000;
static uint64_t clock_ms(void)
{
    return now;
}
static void no_send(void *h, const char *d, size_t n)
{
    (void)h;
    (void)d;
    (void)n;
}
static void to_image(void *user, const aof_record *r)
{
    image_add(user, r);
}

static void line(broker_client *c, const char *text)
{
    broker_client_line(c, text, strlen(text));
}

static void assert_same_messages(aof_state *a, aof_state *b)
{
    size_t na, nb;
    const aof_msg *ma = aof_state_messages(a, &na), *mb = aof_state_messages(b, &nb);
    assert_int_equal(na, nb);
    for (size_t i = 0; i < na; i++) {
        assert_int_equal(ma[i].id, mb[i].id);
        assert_int_equal(ma[i].where, mb[i].where);
        assert_int_equal(ma[i].deliveries, mb[i].deliveries);
        assert_int_equal(ma[i].seen, mb[i].seen);
        assert_string_equal(ma[i].queue, mb[i].queue);
        assert_int_equal(ma[i].len, mb[i].len);
        assert_memory_equal(ma[i].msg, mb[i].msg, ma[i].len);
    }
    const aof_pub *pa = aof_state_published(a, 100, &na), *pb = aof_state_published(b, 100, &nb);
    assert_int_equal(na, nb);
    for (size_t i = 0; i < na; i++)
        assert_int_equal(pa[i].offset, pb[i].offset);
    assert_int_equal(aof_state_last_id(a), aof_state_last_id(b));
}

static void test_broker_snapshot_matches_journal(void **state)
{
    (void)state;
    static struct image journal, snap, snap2;
    image_init(&journal);
    broker_config cfg = {.capacity = 4,
                         .policy = RING_OVERWRITE,
                         .max_line = 64,
                         .max_names = 8,
                         .prefetch = 4,
                         .ack_timeout_s = 5,
                         .max_deliveries = 2,
                         .send = no_send,
                         .now_ms = clock_ms,
                         .journal = to_image,
                         .journal_user = &journal};
    char err[128];
    broker *b = broker_new(&cfg, err, sizeof err);
    assert_non_null(b);
    broker_client *p = broker_client_new(b, NULL), *c = broker_client_new(b, NULL);
    for (int i = 1; i <= 6; i++) { /* capacity 4, overwrite: 1 and 2 are dropped */
        char text[32];
        snprintf(text, sizeof text, "PUSH jobs m%d", i);
        line(p, text);
    }
    line(p, "PUB news a");
    line(p, "PUB news b");
    line(c, "PULL jobs"); /* 3 */
    line(c, "PULL jobs"); /* 4 */
    line(c, "ACK 3");
    now += 5000;
    broker_expire(b);     /* 4 back (deadline) */
    line(c, "PULL jobs"); /* 4 again: its 2nd delivery */
    now += 5000;
    broker_expire(b);     /* 4 dead (max_deliveries 2) */
    line(c, "PULL jobs"); /* 5, in flight */

    aof_state *from_journal = replay(&journal);
    image_init(&snap);
    broker_snapshot(b, to_image, &snap);
    aof_state *from_snapshot = replay(&snap);
    assert_same_messages(from_journal, from_snapshot);
    assert_int_equal(aof_state_live_bytes(from_journal, 100), snap.len);
    size_t n;
    const aof_msg *m = aof_state_messages(from_journal, &n);
    assert_int_equal(n, 3); /* 5 in flight, 6 fresh, 4 dead */
    assert_int_equal(m[0].id, 5);
    assert_int_equal(m[0].where, AOF_FLIGHT);
    assert_int_equal(m[1].id, 6);
    assert_int_equal(m[2].id, 4);
    assert_int_equal(m[2].where, AOF_DEADLIST);
    assert_int_equal(m[2].deliveries, 2);

    /* Restore into a new broker: 5 comes back (restart), the snapshot says so. */
    cfg.journal = NULL;
    broker *b2 = broker_new(&cfg, err, sizeof err);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(broker_restore_msg(b2, &m[i], err, sizeof err), 0);
    const aof_pub *pubs = aof_state_published(from_journal, 4, &n);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(broker_restore_pub(b2, &pubs[i], err, sizeof err), 0);
    broker_restore_last_id(b2, aof_state_last_id(from_journal));
    broker_holding h = broker_get_holding(b2);
    assert_int_equal(h.queued, 2);
    assert_int_equal(h.dead, 1);
    assert_int_equal(h.published, 2);
    image_init(&snap2);
    broker_snapshot(b2, to_image, &snap2);
    aof_state *restored = replay(&snap2);
    m = aof_state_messages(restored, &n);
    assert_int_equal(n, 3);
    assert_int_equal(m[0].id, 5);
    assert_int_equal(m[0].where, AOF_REDO);
    assert_int_equal(m[0].reason, AOF_RESTART);
    assert_int_equal(aof_state_last_id(restored), 6);

    aof_state_free(from_journal);
    aof_state_free(from_snapshot);
    aof_state_free(restored);
    broker_client_gone(p);
    broker_client_gone(c);
    broker_free(b);
    broker_free(b2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc32_check_values),
        cmocka_unit_test(test_round_trip_every_type),
        cmocka_unit_test(test_encode_refuses),
        cmocka_unit_test(test_decode_rules),
        cmocka_unit_test(test_decode_any_chunking),
        cmocka_unit_test(test_torn_last_record_every_offset),
        cmocka_unit_test(test_corruption_in_the_middle_is_refused),
        cmocka_unit_test(test_header),
        cmocka_unit_test(test_replay_places),
        cmocka_unit_test(test_broker_snapshot_matches_journal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
