/*
 * udp_counter.c - lab 2, your turn: a UDP receiver that counts lost, duplicated and reordered
 * datagrams from the Wirelab header every udp_sender datagram starts with (udp_echo/dgram.h).
 *
 * Fill in TODO 1 to 3. The socket, the receive loop and the summary line are written for you.
 * Build: make              Run: ./udp_counter 7008
 * Try:   build/bin/udp_sender --host 127.0.0.1 --port 7008 --count 20 --drop-every 5
 * Grade: ./wirelab grade 2 (it builds with make and runs ./udp_counter PORT itself)
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

/* A big-endian 32-bit field at p (you may use it in TODO 1). */
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
    (void)buf;
    (void)len;
    (void)h;
    (void)be32;
    return -1;
}

/*
 * TODO 2: count one numbered datagram. A number seen before is a duplicate; a new number
 * lower than the highest seen so far is reordered (it arrives late, filling a gap).
 * Keep highest, total, distinct and seen[] up to date.
 */
static void count(struct books *b, const struct header *h)
{
    (void)b;
    (void)h;
}

/*
 * TODO 3: how many sequence numbers never arrived. The sender used 0 .. N-1, where N is the
 * total it announced or, if larger, the highest number seen + 1.
 */
static uint64_t lost(const struct books *b)
{
    (void)b;
    return 0;
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
