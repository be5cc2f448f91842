/*
 * fuzz_streams.c - libFuzzer over TCP reassembly and the message readers (sniffer/reasm.c,
 * sniffer/stream_msgs.c), with no packet decoding in front of them.
 *
 * The input is a list of segments: each starts with 4 bytes (direction and flags, a sequence
 * offset in 16 bits, a length) followed by that many payload bytes, so the fuzzer controls
 * order, overlaps, duplicates, gaps and what the bytes say. Small caps make the give-up paths
 * run too. Whatever the input, nothing may be read or written outside a buffer (ASan), no
 * integer may overflow (UBSan), and every held byte must be freed at the end.
 *
 * The same input is also read as RESP, whole by resp_value() and in pieces (sized by its first
 * byte) by the incremental reader: where resp_value says a value ends, or is not RESP, the
 * reader must say the same, at the same byte, with the same summary (seeds: resp_*).
 */
#include "reasm.h"
#include "resp.h"
#include "stream_msgs.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void on_msg(void *user, const smsg *m)
{
    (void)user;
    (void)m;
}

typedef struct side {
    sconv *c;
    int dir;
} side;

static void on_data(void *user, const uint8_t *p, uint32_t n, uint64_t frame)
{
    side *s = user;
    sconv_data(s->c, s->dir, p, n, frame);
}

static void on_gap(void *user, uint32_t missing, uint64_t frame)
{
    side *s = user;
    sconv_gap(s->c, s->dir, missing, frame);
}

/* RESP whole and in pieces: the two readers agree (see the top of this file). */
static void resp_differential(const uint8_t *data, size_t size)
{
    if (size < 2)
        return;
    uint32_t step = 1u + data[0] % 64, n = (uint32_t)(size - 1 > 60000 ? 60000 : size - 1);
    const uint8_t *p = data + 1;
    resp_top t;
    resp_status want = resp_value(p, n, &t);
    static resp_reader r;
    resp_reader_init(&r);
    resp_status got = RESP_MORE;
    uint32_t off = 0, used = 0;
    while (off < n && got == RESP_MORE) {
        uint32_t k = n - off < step ? n - off : step;
        got = resp_read(&r, p + off, k, &used);
        off += used;
    }
    if (want == RESP_MORE ? got == RESP_OK : got != want)
        abort(); /* the readers disagree on where the value ends or whether it is RESP */
    if (want == RESP_OK) {
        char text[RESP_TEXT];
        resp_describe(p, n, text, sizeof text);
        if (off != t.size || r.value_size != t.size || strcmp(text, r.text) != 0)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    resp_differential(data, size);
    static sconv c;
    sconv_init(&c, on_msg, NULL);
    reasm_budget b = {0, 6000, 0};
    reasm r[2];
    side sides[2] = {{&c, 0}, {&c, 1}};
    reasm_sink k[2] = {{on_data, on_gap, &sides[0]}, {on_data, on_gap, &sides[1]}};
    reasm_init(&r[0], &b, 4000);
    reasm_init(&r[1], &b, 4000);
    reasm_start(&r[0], 0xfffff000u); /* near the wrap of the sequence space */
    uint64_t frame = 0;
    for (size_t i = 0; i + 4 <= size;) {
        int dir = data[i] & 1;
        uint32_t seq = 0xfffff000u + ((uint32_t)data[i + 1] << 8 | data[i + 2]);
        uint32_t n = data[i + 3];
        i += 4;
        if (n > size - i)
            n = (uint32_t)(size - i);
        if (data[i - 4] & 2) /* a segment cut by the snapshot length: only half captured */
            reasm_gap(&r[dir], seq + n / 2, n - n / 2, ++frame, &k[dir]);
        else
            reasm_add(&r[dir], seq, data + i, n, ++frame, &k[dir]);
        i += n;
    }
    for (int d = 0; d < 2; d++)
        reasm_flush(&r[d], ++frame, &k[d]);
    sconv_end(&c, ++frame);
    for (int d = 0; d < 2; d++)
        reasm_free(&r[d]);
    if (b.used != 0)
        abort(); /* every held byte is released */
    return 0;
}
