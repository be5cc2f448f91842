/*
 * udp_counter.c - a deliberately broken lab 2 solution (tests/grade): a gap is counted as lost when
 * it opens, and the datagram that arrives late to fill it is not taken back.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define HEADER_LEN 24
#define MAX_SEQ                                                                                    \
    (1u << 20)              /* sequence numbers tracked; higher ones are only counted as received  \
                             */
#define IDLE_MS       1000  /* stop after this long without a datagram (once one has come) */
#define FIRST_WAIT_MS 15000 /* ... or this long before the first one */

/* The header fields this program needs (dgram.h has the byte diagram). */
struct header {
    uint32_t seq;         /* bytes 4..7: 0, 1, 2, ... per run */
    uint32_t total;       /* bytes 16..19: how many numbers the run uses (0: not said) */
    uint32_t payload_len; /* bytes 20..23: bytes after the header */
};

/* The books. seen[] has one bit per sequence number below MAX_SEQ. */
struct books {
    uint64_t received, lost, duplicated, reordered, unnumbered;
    uint32_t highest; /* highest sequence number seen, valid when numbered > 0 */
    uint32_t total;   /* the largest total announced */
    uint64_t numbered, distinct;
    uint8_t seen[MAX_SEQ / 8];
};

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/*
 * TODO 1: read the header from a datagram of len bytes. Return 0 and fill *h if the datagram is
 * a Wirelab one: at least 24 bytes, starting with the magic "WLU1", and a payload length equal
 * to len - 24. Otherwise return -1. Every field is big-endian (network byte order).
 */
static int decode_header(const unsigned char *buf, size_t len, struct header *h)
{
    if (len < HEADER_LEN || memcmp(buf, "WLU1", 4) != 0)
        return -1;
    h->seq = be32(buf + 4);
    h->total = be32(buf + 16);
    h->payload_len = be32(buf + 20);
    return h->payload_len == len - HEADER_LEN ? 0 : -1;
}

/*
 * TODO 2: count one numbered datagram. A number seen before is a duplicate; a new number
 * lower than the highest seen so far is reordered (it arrives late, filling a gap).
 * Keep highest, total, distinct and seen[] up to date.
 */
static void count(struct books *b, const struct header *h)
{
    b->numbered++;
    if (h->total > b->total)
        b->total = h->total;
    if (h->seq >= MAX_SEQ)
        return;
    uint8_t bit = (uint8_t)(1u << (h->seq % 8));
    if (b->seen[h->seq / 8] & bit) {
        b->duplicated++;
        return;
    }
    b->seen[h->seq / 8] |= bit;
    /* the bug: a gap is counted as lost at once; the late datagram that fills it is not
     * taken back, and not counted as reordered */
    if (b->distinct == 0 || h->seq > b->highest) {
        if (b->distinct > 0)
            b->lost += h->seq - b->highest - 1;
        else
            b->lost += h->seq;
        b->highest = h->seq;
    }
    b->distinct++;
}

/*
 * TODO 3: how many sequence numbers never arrived. The sender used 0 .. N-1, where N is the
 * total it announced or, if larger, the highest number seen + 1.
 */
static uint64_t lost(const struct books *b)
{
    /* the numbers missing at the end count, as the header's total says */
    if (b->distinct > 0 && b->total > (uint64_t)b->highest + 1)
        return b->lost + b->total - b->highest - 1;
    return b->lost;
}

int main(int argc, char **argv)
{
    long port = argc > 1 ? strtol(argv[1], NULL, 10) : 7008;
    if (port < 1 || port > 65535) {
        fprintf(stderr, "usage: udp_counter [PORT]\n");
        return 2;
    }
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
        fprintf(stderr, "udp_counter: cannot bind port %ld: %s\n", port, strerror(errno));
        return 1;
    }
    printf("listening on udp port %ld\n", port);
    fflush(stdout);
    static struct books b; /* static: seen[] is 128 KiB, too big for the stack */
    static unsigned char buf[65536];
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int ready = poll(&p, 1, b.received ? IDLE_MS : FIRST_WAIT_MS);
        if (ready == 0)
            break; /* idle: the sender is done */
        if (ready < 0 && errno == EINTR)
            continue;
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n < 0)
            continue;
        b.received++;
        struct header h;
        if (decode_header(buf, (size_t)n, &h) == 0)
            count(&b, &h);
        else
            b.unnumbered++;
    }
    printf("received %llu lost %llu duplicated %llu reordered %llu\n",
           (unsigned long long)b.received, (unsigned long long)lost(&b),
           (unsigned long long)b.duplicated, (unsigned long long)b.reordered);
    close(fd);
    return 0;
}
