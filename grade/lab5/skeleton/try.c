/*
 * try.c - feed fh_feed the bytes given in hex on the command line, one byte per call, and print
 * what it returns: a quick way to watch your decoder work.
 *   make && ./try 81 85 37 fa 21 3d
 */
#include "frame_header.h"

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    fh_decoder d;
    fh_header h;
    fh_init(&d);
    for (int i = 1; i < argc; i++) {
        uint8_t b = (uint8_t)strtoul(argv[i], NULL, 16);
        size_t used = 0;
        int rc = fh_feed(&d, &b, 1, &used, &h);
        if (rc == FH_NEED_MORE)
            continue;
        if (rc < 0) {
            printf("byte %d (%02x): error %d (see enum fh_result)\n", i - 1, b, rc);
            return 1;
        }
        printf("header of %zu bytes: FIN=%u RSV=%u opcode=0x%x MASK=%u len=%llu "
               "key=%02x%02x%02x%02x\n",
               h.header_len, h.fin, h.rsv, h.opcode, h.masked, (unsigned long long)h.payload_len,
               h.mask[0], h.mask[1], h.mask[2], h.mask[3]);
        return 0;
    }
    printf("need more bytes: the header is not complete\n");
    return 0;
}
