/*
 * fuzz_dgram.c - libFuzzer target for the Wirelab UDP header decoder and the sequence books.
 *
 * Any bytes may arrive on a UDP port, so dgram_decode must never read past caplen, whatever
 * the input. The first two bytes choose how much of the rest was "captured" (a sniffer's snap
 * length); every decoded header is then fed to the books, whose counters must stay consistent.
 * Run: ./wirelab test (fuzz tree), or build-fuzz/fuzz/udp_dgram_fuzz -max_total_time=30
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dgram.h"

static struct seqstat books;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct dgram_header h;

    if (size < 2)
        return 0;
    size_t wirelen = size - 2;
    size_t caplen = ((size_t)data[0] << 8 | data[1]) % (wirelen + 1);
    /* A private copy of exactly caplen bytes, so ASan flags any read past it. */
    uint8_t *copy = malloc(caplen ? caplen : 1);
    if (copy == NULL)
        return 0;
    memcpy(copy, data + 2, caplen);
    int rc = dgram_decode(copy, caplen, wirelen, &h);
    if (rc == DGRAM_OK) {
        if (h.payload_len != wirelen - DGRAM_HEADER_LEN)
            abort();
        seqstat_add(&books, &h, wirelen);
        if (caplen == wirelen)
            dgram_payload_check(copy + DGRAM_HEADER_LEN, caplen - DGRAM_HEADER_LEN, h.seq);
    } else {
        seqstat_add_other(&books, wirelen);
    }
    if (books.distinct + books.duplicated + books.too_old != books.numbered)
        abort();
    if (books.received > 100000)
        seqstat_init(&books);
    (void)seqstat_lost(&books);
    free(copy);
    return 0;
}
