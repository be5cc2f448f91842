/*
 * fuzz_web_filter.c - libFuzzer over the display filter of `sniffer --web`
 * (sniffer/web_filter.c): any text must compile or fail with a sentence, never read outside
 * it (ASan) or recurse without bound; a compiled filter is then evaluated on two packets.
 */
#include "decode.h"
#include "web_filter.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    web_filter f;
    char err[200];
    web_facts a = {.protos = 1u << DEC_TCP,
                   .sport = 1,
                   .dport = 7007,
                   .has_ports = true,
                   .conv = 1,
                   .src = "127.0.0.1",
                   .src_len = 9,
                   .dst = "::1",
                   .dst_len = 3,
                   .info = "hello",
                   .info_len = 5};
    web_facts b = {0};
    b.src = b.dst = b.info = "";
    if (web_filter_compile(&f, (const char *)data, size, err, sizeof err) < 0 && strlen(err) == 0)
        __builtin_trap(); /* a failure must say why */
    (void)web_filter_match(&f, &a);
    (void)web_filter_match(&f, &b);
    return 0;
}
