/*
 * udp_receiver - receive numbered UDP datagrams and keep books per sender.
 *
 * What it teaches: what UDP does and does not do. One recvfrom() returns exactly one datagram,
 * never half of one and never two (boundaries are kept); but nothing guarantees that they all
 * arrive, arrive once, or arrive in order. The Wirelab header (dgram.h) numbers them, so this
 * program can show each of those facts: lost (gaps), duplicated, reordered, and - from the
 * kernel itself - datagrams dropped because the receive buffer was full (SO_RXQ_OVFL).
 *
 * Run it:
 *   udp_receiver --port 7008                      # then: udp_sender --host 127.0.0.1 --port 7008
 *   udp_receiver --port 0 --echo --verbose        # any free port, send each datagram back
 *   udp_receiver --port 7008 --expect 1000 --idle-timeout 2 --quiet
 * It prints one line per datagram (from, size, sequence) and a summary per sender at the end:
 * after --expect datagrams, after --idle-timeout seconds without one (counted from the first:
 * a sender that is slow to start is waited for), or on Ctrl-C.
 */
/* sendmmsg() and recvmmsg() (the --batch path) are Linux extensions, declared only with this. */
#define _GNU_SOURCE
#include "args.h"
#include "dgram.h"
#include "net.h"      /* net_format_addr, net_local_port: shared with tcp_echo */
#include "outguard.h" /* a stdout nobody reads must not stop us (tcp_echo/outguard.h) */
#include "udpnet.h"

#include <errno.h>
#include <linux/sock_diag.h> /* SK_MEMINFO_DROPS */
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_SENDERS 32
#define BATCH       64    /* datagrams per recvmmsg() call with --batch */
#define DEFAULT_BUF 65536 /* holds the largest datagram, IPv4 (65,507) or IPv6 (65,527) */

struct options {
    int port;
    const char *bind_addr;
    int echo, verbose, quiet, batch;
    unsigned long expect;   /* stop after this many datagrams; 0 = no limit */
    unsigned long idle_ms;  /* stop after this long without one, once one came; 0 = never */
    unsigned long buf_size; /* bytes offered to each recvmsg(); smaller ones cut datagrams */
    unsigned long rcvbuf;   /* SO_RCVBUF to ask for; 0 = the kernel's default */
};

struct sender {
    struct sockaddr_storage addr;
    struct seqstat st;
    uint64_t truncated; /* datagrams bigger than our buffer (MSG_TRUNC) */
    uint64_t corrupt;   /* numbered, but the payload is not the pattern the sender writes */
    uint64_t first_ns, last_ns;
};

struct receiver {
    struct options opt;
    int fd;
    struct sender *senders; /* MAX_SENDERS of them, nsenders in use */
    int nsenders;
    uint64_t untracked; /* datagrams from senders beyond MAX_SENDERS */
    uint64_t received;
    bool heard;            /* a first datagram came: --idle-timeout counts from now on */
    uint32_t kernel_drops; /* the latest SO_RXQ_OVFL count */
};

static void usage(FILE *to)
{
    fprintf(to,
            "usage: udp_receiver [--port N] [--bind ADDR] [--echo] [--expect N]\n"
            "                    [--idle-timeout S] [--buffer BYTES] [--rcvbuf BYTES] [--batch]\n"
            "                    [--quiet] [--verbose]\n"
            "  --port N          UDP port to receive on (default 7008; 0 = any free port)\n"
            "  --bind ADDR       only this local address (default: every IPv6 and IPv4 address)\n"
            "  --echo            send each datagram back to where it came from\n"
            "  --expect N        stop after N datagrams and print the summary\n"
            "  --idle-timeout S  stop after S seconds without a datagram, counted once the\n"
            "                    first one has arrived (default: never)\n"
            "  --buffer BYTES    bytes offered to each receive (default 65536); a bigger\n"
            "                    datagram is cut, and the receiver says so (MSG_TRUNC)\n"
            "  --rcvbuf BYTES    ask the kernel for this receive buffer (SO_RCVBUF)\n"
            "  --batch           receive up to %d datagrams per system call (recvmmsg)\n"
            "  --quiet           only the summary, not one line per datagram\n"
            "  --verbose         explain each socket call (the teaching trace, on stderr)\n",
            BATCH);
}

static void parse_args(int argc, char **argv, struct options *o)
{
    unsigned long idle_s = 0;
    *o = (struct options){.port = 7008, .buf_size = DEFAULT_BUF};
    const args_opt table[] = {
        ARGS_NUMBER_OPT("--port", NULL, o->port, 0, 65535),
        ARGS_TEXT_OPT("--bind", NULL, o->bind_addr),
        ARGS_FLAG_OPT("--echo", NULL, o->echo),
        ARGS_NUMBER_OPT("--expect", NULL, o->expect, 1, 1000000000),
        ARGS_NUMBER_OPT("--idle-timeout", NULL, idle_s, 1, 86400),
        ARGS_NUMBER_OPT("--buffer", NULL, o->buf_size, 1, DEFAULT_BUF),
        ARGS_NUMBER_OPT("--rcvbuf", NULL, o->rcvbuf, 1024, 1 << 30),
        ARGS_FLAG_OPT("--batch", NULL, o->batch),
        ARGS_FLAG_OPT("--quiet", NULL, o->quiet),
        ARGS_FLAG_OPT("--verbose", NULL, o->verbose),
    };
    char err[ARGS_ERR_LEN];
    int status = args_exit_status(args_parse(argc, argv, table, ARGS_COUNT(table), err, sizeof err),
                                  "udp_receiver", err, usage);
    if (status >= 0)
        exit(status); /* 0 after --help, 2 after a mistake (said on stderr with the usage) */
    o->idle_ms = idle_s * 1000;
}

/* ---- the books ----------------------------------------------------------------------------- */

/* The books for this source address: found, or started if there is room, else NULL. */
static struct sender *sender_for(struct receiver *rx, const struct sockaddr *from,
                                 socklen_t fromlen)
{
    for (int i = 0; i < rx->nsenders; i++)
        if (udpnet_same_addr((struct sockaddr *)&rx->senders[i].addr, from))
            return &rx->senders[i];
    if (rx->nsenders == MAX_SENDERS) {
        if (rx->untracked == 0) /* the first time only: the summary gives the count */
            fprintf(stderr,
                    "udp_receiver: sender number %d: the books have room for %d senders, so "
                    "datagrams from new ones are counted together, not per sender\n",
                    MAX_SENDERS + 1, MAX_SENDERS);
        return NULL;
    }
    struct sender *s = &rx->senders[rx->nsenders++];
    memset(s, 0, sizeof *s);
    memcpy(&s->addr, from, fromlen);
    seqstat_init(&s->st);
    return s;
}

/* The per-datagram line: from, size, sequence and what kind of arrival it was. */
static void print_datagram(const char *who, size_t wirelen, int rc, const struct dgram_header *h,
                           enum seqstat_verdict v, const struct seqstat *st)
{
    if (rc != DGRAM_OK) {
        printf("from %s  %zu bytes  %s\n", who, wirelen, dgram_strerror(rc));
    } else if (v == SEQ_GAP) {
        printf("from %s  %zu bytes  seq %u  (%s: %llu missing before it)\n", who, wirelen, h->seq,
               seqstat_verdict_name(v), (unsigned long long)st->last_gap);
    } else {
        printf("from %s  %zu bytes  seq %u  (%s)\n", who, wirelen, h->seq, seqstat_verdict_name(v));
    }
}

/* UDP's checksum guards each datagram on the way; this catches a sender that is not ours. */
static void check_payload(struct sender *s, const uint8_t *buf, size_t len, uint32_t seq,
                          const struct sockaddr *from)
{
    char who[NET_ADDR_LEN];
    long bad = dgram_payload_check(buf + DGRAM_HEADER_LEN, len - DGRAM_HEADER_LEN, seq);
    if (bad < 0)
        return;
    s->corrupt++;
    net_format_addr(from, who, sizeof who);
    printf("from %s  seq %u: payload byte %ld is not what udp_sender writes there\n", who, seq,
           bad);
}

static void report_truncated(const struct sockaddr *from, size_t caplen, size_t wirelen)
{
    char who[NET_ADDR_LEN];
    net_format_addr(from, who, sizeof who);
    printf("from %s  %zu-byte datagram did not fit in the %zu-byte buffer: the kernel cut it "
           "(MSG_TRUNC) and the other %zu bytes are gone; use a bigger --buffer\n",
           who, wirelen, caplen, wirelen - caplen);
}

/*
 * One datagram arrived: wirelen bytes were sent, the first caplen of them are in buf (fewer
 * when it did not fit: MSG_TRUNC). Count it, and print its line.
 */
static void account(struct receiver *rx, const uint8_t *buf, size_t caplen, size_t wirelen,
                    const struct sockaddr *from, socklen_t fromlen)
{
    struct dgram_header h;
    enum seqstat_verdict v = SEQ_IN_ORDER;
    struct sender *s = sender_for(rx, from, fromlen);
    int rc = dgram_decode(buf, caplen, wirelen, &h);

    rx->received++;
    if (s == NULL) {
        rx->untracked++;
        return;
    }
    s->last_ns = udpnet_mono_ns();
    if (s->st.received == 0)
        s->first_ns = s->last_ns;
    if (rc == DGRAM_OK)
        v = seqstat_add(&s->st, &h, wirelen);
    else
        seqstat_add_other(&s->st, wirelen);
    if (rc == DGRAM_OK && caplen == wirelen)
        check_payload(s, buf, wirelen, h.seq, from);
    if (caplen < wirelen) {
        s->truncated++;
        report_truncated(from, caplen, wirelen);
    }
    if (!rx->opt.quiet) {
        char who[NET_ADDR_LEN];
        net_format_addr(from, who, sizeof who);
        print_datagram(who, wirelen, rc, &h, v, &s->st);
    }
}

/* The kernel's drop counter (SO_RXQ_OVFL) rides along with each datagram as ancillary data. */
static void note_drops(struct receiver *rx, struct msghdr *msg)
{
    for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c != NULL; c = CMSG_NXTHDR(msg, c)) {
        uint32_t drops;
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SO_RXQ_OVFL)
            continue;
        memcpy(&drops, CMSG_DATA(c), sizeof drops);
        if (drops > rx->kernel_drops && !rx->opt.quiet)
            printf("kernel: %u more datagrams dropped because this socket's receive buffer was "
                   "full (SO_RXQ_OVFL says %u so far)\n",
                   drops - rx->kernel_drops, drops);
        rx->kernel_drops = drops;
    }
}

/* ---- the socket ---------------------------------------------------------------------------- */

static int socket_rcvbuf(int fd)
{
    int v = 0;
    socklen_t len = sizeof v;
    getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, &len);
    return v;
}

/* Receive buffer size and the drop counter; explained in the trace. */
static void tune_socket(struct receiver *rx)
{
    int on = 1;

    if (rx->opt.rcvbuf) {
        int want = (int)rx->opt.rcvbuf;
        /* SO_RCVBUFFORCE lets root go past net.core.rmem_max; others get the capped size. */
        if (setsockopt(rx->fd, SOL_SOCKET, SO_RCVBUFFORCE, &want, sizeof want) < 0)
            setsockopt(rx->fd, SOL_SOCKET, SO_RCVBUF, &want, sizeof want);
    }
    setsockopt(rx->fd, SOL_SOCKET, SO_RXQ_OVFL, &on, sizeof on);
    if (rx->opt.verbose)
        fprintf(stderr,
                "[trace] SO_RCVBUF = %d bytes: arriving datagrams wait there until we call "
                "recvmsg(). When it is full the kernel drops new ones silently - no error, no "
                "retransmission - and only counts them (SO_RXQ_OVFL, reported below).\n",
                socket_rcvbuf(rx->fd));
}

static void echo_back(struct receiver *rx, const uint8_t *buf, size_t len,
                      const struct sockaddr *to, socklen_t tolen)
{
    if (sendto(rx->fd, buf, len, 0, to, tolen) < 0 && rx->opt.verbose)
        fprintf(stderr, "[trace] sendto() of the echo failed: %s (UDP does not retry)\n",
                strerror(errno));
    else if (rx->opt.verbose)
        fprintf(stderr,
                "[trace] sendto(): the same %zu bytes back as one datagram, to the address "
                "recvmsg() reported - no connection, we simply answer whoever sent it\n",
                len);
}

/* The readable path: one recvmsg() per datagram. Returns 0, or -1 on a socket error. */
static int receive_one(struct receiver *rx, uint8_t *buf)
{
    struct sockaddr_storage from;
    char control[CMSG_SPACE(sizeof(uint32_t))];
    struct iovec iov = {buf, rx->opt.buf_size};
    struct msghdr msg = {.msg_name = &from,
                         .msg_namelen = sizeof from,
                         .msg_iov = &iov,
                         .msg_iovlen = 1,
                         .msg_control = control,
                         .msg_controllen = sizeof control};
    /* MSG_TRUNC as a flag: return the datagram's real length even if it was longer than buf. */
    ssize_t n = recvmsg(rx->fd, &msg, MSG_TRUNC | MSG_DONTWAIT);

    if (n < 0)
        return errno == EAGAIN || errno == EINTR ? 0 : -1;
    size_t caplen = (size_t)n < rx->opt.buf_size ? (size_t)n : rx->opt.buf_size;
    if (rx->opt.verbose)
        fprintf(stderr,
                "[trace] recvmsg() (recvfrom() plus the kernel's notes) = %zd: exactly one "
                "datagram, whole (never part of one, never "
                "two glued together)%s\n",
                n, (msg.msg_flags & MSG_TRUNC) ? " - but cut to fit our buffer (MSG_TRUNC)" : "");
    note_drops(rx, &msg);
    account(rx, buf, caplen, (size_t)n, (struct sockaddr *)&from, msg.msg_namelen);
    if (rx->opt.echo)
        echo_back(rx, buf, caplen, (struct sockaddr *)&from, msg.msg_namelen);
    return 0;
}

/*
 * The fast path (--batch): recvmmsg() fills up to BATCH datagrams in one system call, and with
 * --echo sendmmsg() returns them in one more. Each system call costs a trip into the kernel
 * and back (hundreds of nanoseconds, more with mitigations); for 64-byte datagrams that trip,
 * not the copying, is most of the work, so doing it once per BATCH datagrams instead of once
 * per datagram raises the rate several times. What arrives is the same: one entry per datagram.
 */
static int receive_batch(struct receiver *rx, uint8_t *bufs)
{
    static struct mmsghdr msgs[BATCH];
    static struct iovec iovs[BATCH];
    static struct sockaddr_storage from[BATCH];
    static char control[BATCH][CMSG_SPACE(sizeof(uint32_t))];
    unsigned int want = BATCH;

    if (rx->opt.expect && rx->opt.expect - rx->received < want)
        want = (unsigned int)(rx->opt.expect - rx->received);
    for (unsigned int i = 0; i < want; i++) {
        iovs[i] = (struct iovec){bufs + i * rx->opt.buf_size, rx->opt.buf_size};
        msgs[i].msg_hdr = (struct msghdr){.msg_name = &from[i],
                                          .msg_namelen = sizeof from[i],
                                          .msg_iov = &iovs[i],
                                          .msg_iovlen = 1,
                                          .msg_control = control[i],
                                          .msg_controllen = sizeof control[i]};
    }
    int n = recvmmsg(rx->fd, msgs, want, MSG_TRUNC | MSG_DONTWAIT, NULL);
    if (n < 0)
        return errno == EAGAIN || errno == EINTR ? 0 : -1;
    for (int i = 0; i < n; i++) {
        size_t wirelen = msgs[i].msg_len;
        size_t caplen = wirelen < rx->opt.buf_size ? wirelen : rx->opt.buf_size;
        note_drops(rx, &msgs[i].msg_hdr);
        account(rx, iovs[i].iov_base, caplen, wirelen, (struct sockaddr *)&from[i],
                msgs[i].msg_hdr.msg_namelen);
        iovs[i].iov_len = caplen; /* echo what we have */
        msgs[i].msg_hdr.msg_control = NULL;
        msgs[i].msg_hdr.msg_controllen = 0;
    }
    if (rx->opt.echo && n > 0 && sendmmsg(rx->fd, msgs, (unsigned int)n, 0) < 0 && rx->opt.verbose)
        fprintf(stderr, "[trace] sendmmsg() of the echoes failed: %s\n", strerror(errno));
    return 0;
}

/* ---- the summary --------------------------------------------------------------------------- */

static void print_sizes(const struct seqstat *st)
{
    printf("  sizes seen: %u to %u bytes:", st->size_min, st->size_max);
    for (int i = 0; i < SEQSTAT_SIZES && st->sizes[i].count; i++)
        printf(" %u x%llu", st->sizes[i].size, (unsigned long long)st->sizes[i].count);
    if (st->other_sizes)
        printf(" (and %llu datagrams of other sizes)", (unsigned long long)st->other_sizes);
    printf("\n");
}

static void print_sender(const struct sender *s)
{
    char who[NET_ADDR_LEN];
    const struct seqstat *st = &s->st;
    double secs = (double)(s->last_ns - s->first_ns) / 1e9;

    net_format_addr((const struct sockaddr *)&s->addr, who, sizeof who);
    printf("sender %s: received %llu, lost %llu, duplicated %llu, reordered %llu\n", who,
           (unsigned long long)st->received, (unsigned long long)seqstat_lost(st),
           (unsigned long long)st->duplicated, (unsigned long long)st->reordered);
    print_sizes(st);
    if (st->numbered && st->total)
        printf("  sequence numbers: highest %u, %llu distinct; the sender announced %u, so lost "
               "also counts any missing at the end\n",
               st->highest, (unsigned long long)st->distinct, st->total);
    else if (st->numbered)
        printf("  sequence numbers: highest %u, %llu distinct; lost counts the gaps below the "
               "highest (a loss at the very end cannot be seen)\n",
               st->highest, (unsigned long long)st->distinct);
    if (st->received > st->numbered)
        printf("  not numbered (no valid Wirelab header): %llu\n",
               (unsigned long long)(st->received - st->numbered));
    if (st->too_old)
        printf("  too old to classify (more than %u behind): %llu\n", SEQSTAT_WINDOW,
               (unsigned long long)st->too_old);
    if (s->corrupt)
        printf("  payload not the expected pattern: %llu\n", (unsigned long long)s->corrupt);
    if (s->truncated)
        printf("  truncated (bigger than --buffer, MSG_TRUNC): %llu\n",
               (unsigned long long)s->truncated);
    if (secs > 0)
        printf("  %.0f datagrams/s between the first and the last (%.3f s)\n",
               (double)(st->received - 1) / secs, secs);
}

/*
 * The drop counter rides on received datagrams, so drops after the last one would go unseen;
 * at the end ask the socket directly (SO_MEMINFO, Linux 4.6+) and keep the larger count.
 */
static void final_drops(struct receiver *rx)
{
    uint32_t mem[SK_MEMINFO_VARS];
    socklen_t len = sizeof mem;
    if (getsockopt(rx->fd, SOL_SOCKET, SO_MEMINFO, mem, &len) == 0 &&
        len > SK_MEMINFO_DROPS * sizeof mem[0] && mem[SK_MEMINFO_DROPS] > rx->kernel_drops)
        rx->kernel_drops = mem[SK_MEMINFO_DROPS];
}

static void print_summary(const struct receiver *rx, const char *why)
{
    printf("summary (%s): %llu datagrams from %d sender%s; kernel dropped %u (receive buffer "
           "full, SO_RXQ_OVFL); SO_RCVBUF %d bytes\n",
           why, (unsigned long long)rx->received, rx->nsenders, rx->nsenders == 1 ? "" : "s",
           rx->kernel_drops, socket_rcvbuf(rx->fd));
    for (int i = 0; i < rx->nsenders; i++)
        print_sender(&rx->senders[i]);
    if (rx->untracked)
        printf("and %llu datagrams from more than %d senders, not tracked\n",
               (unsigned long long)rx->untracked, MAX_SENDERS);
}

/* ---- main ---------------------------------------------------------------------------------- */

/* Wait for the socket to be readable. 1 = ready, 0 = idle timeout, -1 = signal or error.
 * UDP has no FIN: silence is the only sign that a sender is done, so --idle-timeout ends the
 * run. It counts only once a first datagram came: the silence before a sender starts (a busy
 * machine can take seconds to start one) says nothing, and must not end the run with nothing
 * received. Before that, only --expect's count or a signal ends it. */
static int wait_readable(struct receiver *rx)
{
    struct pollfd p = {rx->fd, POLLIN, 0};
    int r = poll(&p, 1, rx->opt.idle_ms && rx->heard ? (int)rx->opt.idle_ms : -1);
    if (r > 0)
        rx->heard = true;
    return r < 0 ? -1 : r;
}

/* Receive until --expect, the idle timeout or a signal. Returns why it stopped. */
static const char *run(struct receiver *rx, uint8_t *bufs)
{
    while (!udpnet_stop_requested()) {
        if (rx->opt.expect && rx->received >= rx->opt.expect)
            return "expected count reached";
        int r = wait_readable(rx);
        if (r == 0)
            return "idle timeout";
        if (r < 0)
            continue; /* EINTR: the loop condition looks at the signal flag */
        if ((rx->opt.batch ? receive_batch(rx, bufs) : receive_one(rx, bufs)) < 0) {
            fprintf(stderr, "udp_receiver: receiving failed: %s\n", strerror(errno));
            return "socket error";
        }
    }
    return "interrupted";
}

static void announce(const struct receiver *rx)
{
    printf("udp_receiver: listening on %s port %d (UDP%s)\n",
           rx->opt.bind_addr ? rx->opt.bind_addr : "every address", net_local_port(rx->fd),
           rx->opt.echo ? ", echoing" : "");
    if (rx->opt.verbose)
        fprintf(stderr,
                "[trace] socket(SOCK_DGRAM) and bind(): that is all. No listen(), no accept(), "
                "no connection: any host may send to this port at any time, and each "
                "recvmsg() below says who it was.\n");
    fflush(stdout);
}

int main(int argc, char **argv)
{
    struct receiver rx = {0};
    char err[UDPNET_ERR_LEN];

    /* One line at a time, even into a pipe or a file; a line the pipe cannot take is dropped
     * and counted, never waited for (a reader that stopped must not stop the receiver). */
    outguard_install();
    parse_args(argc, argv, &rx.opt);
    rx.fd = udpnet_bind(rx.opt.bind_addr, rx.opt.port, err, sizeof err);
    if (rx.fd < 0) {
        fprintf(stderr, "udp_receiver: %s\n", err);
        return 1;
    }
    rx.senders = calloc(MAX_SENDERS, sizeof *rx.senders);
    uint8_t *bufs = malloc(rx.opt.buf_size * (rx.opt.batch ? BATCH : 1));
    if (rx.senders == NULL || bufs == NULL) {
        fprintf(stderr, "udp_receiver: out of memory for the receive buffers\n");
        return 1;
    }
    udpnet_catch_stop_signals();
    announce(&rx);
    tune_socket(&rx);
    const char *why = run(&rx, bufs);
    final_drops(&rx);
    print_summary(&rx, why);
    free(bufs);
    free(rx.senders);
    close(rx.fd);
    return strcmp(why, "socket error") == 0 ? 1 : 0;
}
