/*
 * fuzz_streams.c - libFuzzer over TCP reassembly and the message readers (sniffer/reasm.c,
 * sniffer/stream_msgs.c), with no packet decoding in front of them.
 *
 * The input is a list of segments: each starts with 4 bytes (direction and flags, a sequence
 * offset in 16 bits, a length) followed by that many payload bytes, so the fuzzer controls
 * order, overlaps, duplicates, gaps and what the bytes say. Small caps make the give-up paths
 * run too. Whatever the input, nothing may be read or written outside a buffer (ASan), no
 * integer may overflow (UBSan), and every held byte must be freed at the end.
 */
#include "reasm.h"
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
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
