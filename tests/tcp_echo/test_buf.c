/*
 * test_buf.c - unit tests for the per-connection byte buffer (tcp_echo/buf.c).
 *
 * The property that matters: whatever mix of appends and consumes, the bytes come out in the
 * order they went in, none lost, none repeated - and an emptied buffer holds no memory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "buf.h"

static void empty_buffer_owns_nothing(void **state)
{
    (void)state;
    buf b = BUF_INIT;
    assert_int_equal(buf_len(&b), 0);
    assert_null(buf_bytes(&b));
    assert_int_equal(buf_append(&b, "abc", 3), 0);
    buf_consume(&b, 3);
    assert_int_equal(buf_len(&b), 0);
    assert_null(b.data);
    assert_int_equal(b.cap, 0);
}

static void consume_from_the_front(void **state)
{
    (void)state;
    buf b = BUF_INIT;
    assert_int_equal(buf_append(&b, "hello, world", 12), 0);
    buf_consume(&b, 7);
    assert_int_equal(buf_len(&b), 5);
    assert_memory_equal(buf_bytes(&b), "world", 5);
    buf_consume(&b, 100); /* more than held: empties it */
    assert_int_equal(buf_len(&b), 0);
    buf_free(&b);
}

/* Interleave appends and consumes of awkward sizes; the stream must come out intact. */
static void interleaved_stream_is_exact(void **state)
{
    (void)state;
    enum { TOTAL = 1 << 20 };
    static uint8_t src[TOTAL];
    for (size_t i = 0; i < TOTAL; i++)
        src[i] = (uint8_t)(i * 7 + i / 251);
    buf b = BUF_INIT;
    size_t in = 0, out = 0, step = 1;
    while (out < TOTAL) {
        size_t n = step % 3001 + 1;
        if (in + n > TOTAL)
            n = TOTAL - in;
        assert_int_equal(buf_append(&b, src + in, n), 0);
        in += n;
        size_t take = (step * 13) % 2777 + 1;
        if (take > buf_len(&b))
            take = buf_len(&b);
        assert_memory_equal(buf_bytes(&b), src + out, take);
        buf_consume(&b, take);
        out += take;
        step++;
        assert_true(b.start + b.len <= b.cap || b.cap == 0);
    }
    assert_int_equal(in, TOTAL);
    buf_free(&b);
}

/* After consuming most of a large buffer, appending slides instead of growing forever. */
static void slides_before_growing(void **state)
{
    (void)state;
    buf b = BUF_INIT;
    uint8_t chunk[1000];
    memset(chunk, 'x', sizeof chunk);
    for (int i = 0; i < 100; i++) {
        assert_int_equal(buf_append(&b, chunk, sizeof chunk), 0);
        buf_consume(&b, sizeof chunk - 1); /* keeps one byte: never empties */
    }
    assert_true(b.cap <= 4096);
    assert_int_equal(buf_len(&b), 100);
    buf_free(&b);
}

static void refuses_sizes_that_would_wrap(void **state)
{
    (void)state;
    buf b = BUF_INIT;
    assert_int_equal(buf_append(&b, "ab", 2), 0);
    assert_int_equal(buf_append(&b, "x", SIZE_MAX - 1), -1);
    assert_int_equal(buf_len(&b), 2);
    buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(empty_buffer_owns_nothing),     cmocka_unit_test(consume_from_the_front),
        cmocka_unit_test(interleaved_stream_is_exact),   cmocka_unit_test(slides_before_growing),
        cmocka_unit_test(refuses_sizes_that_would_wrap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
