/*
 * fuzz_aof.c - libFuzzer target for the append-only log's record parser and replay
 * (queue/aof.c, queue/aof_state.c): arbitrary bytes as a log file. Nothing in a damaged or
 * hostile file may crash the broker's start, read past the buffer (ASan), or be misread: every
 * record the parser accepts must encode back to exactly the bytes it was decoded from, and the
 * scan's verdict (good prefix, torn tail or corruption) must agree with record-by-record
 * decoding.
 * Run: ./wirelab test (builds build-fuzz/ with clang and runs it for WIRELAB_FUZZ_SECONDS).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aof.h"

static uint8_t again[AOF_RECORD_MAX];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    aof_scan_result sc = aof_scan(data, size);
    if (sc.good > size || (sc.torn && sc.corrupt))
        abort();
    aof_state *s = aof_state_new();
    if (s == NULL)
        return 0;
    size_t at = sc.good >= AOF_HEADER_LEN ? AOF_HEADER_LEN : sc.good, n = 0;
    while (at < sc.good) {
        aof_record r;
        size_t used;
        if (aof_decode(data + at, sc.good - at, &r, &used, NULL) != AOF_OK)
            abort(); /* the scan said these bytes are whole records */
        if (aof_encode(&r, again, sizeof again) != used || memcmp(again, data + at, used) != 0)
            abort(); /* accepted bytes must be exactly what encoding the record gives */
        aof_state_apply(s, &r);
        at += used;
        n++;
    }
    if (n != sc.records)
        abort();
    size_t count;
    const aof_msg *m = aof_state_messages(s, &count);
    for (size_t i = 0; i < count; i++)
        if (m[i].id == 0 || m[i].id > aof_state_last_id(s) || m[i].len == 0)
            abort();
    aof_state_published(s, 4, &count);
    aof_state_free(s);
    return 0;
}
