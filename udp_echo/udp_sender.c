/*
 * udp_sender - send numbered UDP datagrams, and with --echo time their round trips.
 *
 * What it teaches: sending UDP takes no connection and no handshake. socket(), then sendto()
 * an address: each call is one datagram, and it returns as soon as the kernel has queued it -
 * nobody tells the sender whether it arrived. Each datagram carries the Wirelab header
 * (dgram.h: magic, sequence number, send time, total, payload length) and a payload of
 * "abcdef..." so the receiver and the sniffer can both explain it.
 *
 * Run it (start udp_receiver first, or nothing happens - and nothing tells you so):
 *   udp_sender --host 127.0.0.1 --port 7008 --count 10 --size 100
 *   udp_sender --host ::1 --port 7008 --count 1000 --drop-every 10     # 100 gaps on purpose
 *   udp_sender --host 127.0.0.1 --port 7008 --echo --count 5 --verbose # needs udp_receiver --echo
 */
/* sendmmsg() and recvmmsg() (the --batch path) are Linux extensions, declared only with this. */
#define _GNU_SOURCE
#include "args.h"
#include "dgram.h"
#include "net.h" /* net_format_addr, net_local_port: shared with tcp_echo */
#include "udpnet.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64 /* datagrams per sendmmsg() call with --batch */

struct options {
    const char *host;
    int port;
    unsigned long count, size, rate, timeout_ms;
    unsigned long drop_every, reorder_every, dup_every; /* the deterministic faults */
    int echo, batch, verbose, quiet;
};

struct rtt_stats {
    uint64_t replies, late, bad;
    double min_us, max_us, sum_us, sumsq_us;
};

struct sender {
    struct options opt;
    int fd;
    struct udpnet_addr to;
    char to_text[NET_ADDR_LEN];
    uint8_t *buf; /* BATCH datagrams of opt.size bytes (one without --batch) */
    uint64_t sent, skipped, reordered, duplicated, start_ns;
    struct rtt_stats rtt;
};

static void usage(FILE *to)
{
    fprintf(to,
            "usage: udp_sender --host H --port N [--count N] [--size BYTES] [--rate PER_SEC]\n"
            "                  [--echo] [--timeout MS] [--drop-every K] [--reorder-every K]\n"
            "                  [--duplicate-every K] [--batch] [--quiet] [--verbose]\n"
            "  --host H          where to send: a name, an IPv4 or an IPv6 address\n"
            "  --port N          the receiver's UDP port\n"
            "  --count N         how many sequence numbers to use, 0..N-1 (default 10)\n"
            "  --size BYTES      bytes per datagram, header included (default 64; at most\n"
            "                    %d over IPv4, %d over IPv6)\n"
            "  --rate PER_SEC    at most this many datagrams per second (default: no limit)\n"
            "  --echo            wait for each datagram to come back (udp_receiver --echo)\n"
            "                    and report round-trip times and how many never came back\n"
            "  --timeout MS      how long --echo waits for each one (default 1000)\n"
            "  --drop-every K    do not send every Kth sequence number (K-1, 2K-1, ...): a\n"
            "                    deterministic loss the receiver must notice\n"
            "  --reorder-every K hold every Kth back and send it after the next one\n"
            "  --duplicate-every K  send every Kth twice\n"
            "  --batch           send %d datagrams per system call (sendmmsg)\n"
            "  --quiet           no line per echo, only the summary\n"
            "  --verbose         explain each socket call (the teaching trace, on stderr)\n",
            DGRAM_MAX_IPV4, DGRAM_MAX_IPV6, BATCH);
}

static void bad_args(const char *msg)
{
    fprintf(stderr, "udp_sender: %s\n", msg);
    usage(stderr);
    exit(2);
}

/* The size limit is a lesson of its own, so it gets a full sentence, not "out of range". */
static void size_error(unsigned long size, const char *family_note)
{
    fprintf(stderr,
            "udp_sender: --size %lu is too big for one UDP datagram%s. Over IPv4 a datagram "
            "carries at most %d bytes (the 65,535-byte IP packet minus a 20-byte IP header and "
            "an 8-byte UDP header); over IPv6 at most %d (the 65,535-byte payload minus the "
            "8-byte UDP header; only jumbograms go further). Use --size %d or less, or send to "
            "an IPv6 address such as ::1 for up to %d.\n",
            size, family_note, DGRAM_MAX_IPV4, DGRAM_MAX_IPV6, DGRAM_MAX_IPV4, DGRAM_MAX_IPV6);
    exit(2);
}

static void parse_args(int argc, char **argv, struct options *o)
{
    *o = (struct options){.port = -1, .count = 10, .size = 64, .timeout_ms = 1000};
    const args_opt table[] = {
        ARGS_TEXT_OPT("--host", NULL, o->host),
        ARGS_NUMBER_OPT("--port", NULL, o->port, 1, 65535),
        ARGS_NUMBER_OPT("--count", NULL, o->count, 1, UINT32_MAX),
        ARGS_NUMBER_OPT("--size", NULL, o->size, 1, ULONG_MAX),
        ARGS_NUMBER_OPT("--rate", NULL, o->rate, 1, 100000000),
        ARGS_FLAG_OPT("--echo", NULL, o->echo),
        ARGS_NUMBER_OPT("--timeout", NULL, o->timeout_ms, 1, 600000),
        ARGS_NUMBER_OPT("--drop-every", NULL, o->drop_every, 2, UINT32_MAX),
        ARGS_NUMBER_OPT("--reorder-every", NULL, o->reorder_every, 2, UINT32_MAX),
        ARGS_NUMBER_OPT("--duplicate-every", NULL, o->dup_every, 2, UINT32_MAX),
        ARGS_FLAG_OPT("--batch", NULL, o->batch),
        ARGS_FLAG_OPT("--quiet", NULL, o->quiet),
        ARGS_FLAG_OPT("--verbose", NULL, o->verbose),
    };
    char err[ARGS_ERR_LEN];
    int status = args_exit_status(args_parse(argc, argv, table, ARGS_COUNT(table), err, sizeof err),
                                  "udp_sender", err, usage);
    if (status >= 0)
        exit(status); /* 0 after --help, 2 after a mistake (said on stderr with the usage) */
    if (o->size > DGRAM_MAX_IPV6)
        size_error(o->size, "");
    if (o->host == NULL || o->port < 0)
        bad_args("--host and --port are required");
    if (o->echo && o->batch)
        bad_args("--echo waits for each datagram to come back, so it cannot --batch");
    if (o->echo && (o->reorder_every || o->dup_every))
        bad_args("--echo waits for each datagram in turn; use --reorder-every and "
                 "--duplicate-every without it");
}

/* Is the destination reached over IPv4 (including ::ffff:a.b.c.d)? */
static int is_ipv4(const struct udpnet_addr *a)
{
    const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)&a->ss;
    return a->ss.ss_family == AF_INET ||
           (a->ss.ss_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&a6->sin6_addr));
}

/* ---- sending ------------------------------------------------------------------------------- */

/*
 * The sending plan: which sequence number goes next. Normally 0, 1, 2, ... count-1; the
 * deterministic faults change that, so a student sees the receiver notice each one without
 * needing a lossy network:
 *   --drop-every K       K-1, 2K-1, ... are never sent (loss)
 *   --reorder-every K    K-1, 2K-1, ... are held back and sent right after the next one
 *   --duplicate-every K  K-1, 2K-1, ... are sent twice in a row
 * Up to four datagrams can be due at once (one, its duplicate, a held one, its duplicate), so
 * they wait in a small FIFO.
 */
struct plan {
    uint64_t next; /* the next sequence number to consider */
    int held;      /* a sequence number is being held back (--reorder-every) */
    uint32_t held_seq;
    uint32_t due[4]; /* FIFO of numbers to send, head..tail */
    unsigned int head, tail;
};

static int every(unsigned long k, uint32_t seq)
{
    return k && seq % k == k - 1;
}

static void plan_push(struct sender *s, struct plan *p, uint32_t seq)
{
    p->due[p->tail++ % 4] = seq;
    if (every(s->opt.dup_every, seq)) {
        p->due[p->tail++ % 4] = seq;
        s->duplicated++;
        if (s->opt.verbose)
            fprintf(stderr, "[trace] seq %u will go twice (--duplicate-every %lu)\n", seq,
                    s->opt.dup_every);
    }
}

/* Decide what comes next: 1 and *seq, or 0 when the plan is done. */
static int plan_next(struct sender *s, struct plan *p, uint32_t *seq)
{
    while (p->head == p->tail && p->next < s->opt.count) {
        uint32_t q = (uint32_t)p->next++;
        if (every(s->opt.drop_every, q)) {
            s->skipped++;
            if (s->opt.verbose)
                fprintf(stderr, "[trace] seq %u skipped on purpose (--drop-every %lu)\n", q,
                        s->opt.drop_every);
        } else if (every(s->opt.reorder_every, q) && !p->held && p->next < s->opt.count) {
            p->held = 1;
            p->held_seq = q;
            s->reordered++;
            if (s->opt.verbose)
                fprintf(stderr,
                        "[trace] seq %u held back, to go after the next one "
                        "(--reorder-every %lu)\n",
                        q, s->opt.reorder_every);
        } else {
            plan_push(s, p, q);
            if (p->held) { /* the one held back goes right after this one */
                p->held = 0;
                plan_push(s, p, p->held_seq);
            }
        }
    }
    if (p->head == p->tail && p->held) { /* everything after it was dropped */
        p->held = 0;
        plan_push(s, p, p->held_seq);
    }
    if (p->head == p->tail)
        return 0;
    *seq = p->due[p->head++ % 4];
    return 1;
}

/* --rate: sleep until datagram number i (counting from 0) is due: start + i / rate seconds. */
static void pace(const struct sender *s, uint64_t i)
{
    if (s->opt.rate == 0)
        return;
    uint64_t due = s->start_ns + i * 1000000000u / s->opt.rate;
    struct timespec ts = {(time_t)(due / 1000000000u), (long)(due % 1000000000u)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR &&
           !udpnet_stop_requested())
        ;
}

/* A failed sendto() as a sentence. */
static void send_error(const struct sender *s, int e)
{
    if (e == EMSGSIZE)
        fprintf(stderr,
                "udp_sender: the kernel refused a %lu-byte datagram to %s as too big (EMSGSIZE); "
                "see --help for the IPv4 and IPv6 limits\n",
                s->opt.size, s->to_text);
    else if (e == ENETUNREACH || e == EHOSTUNREACH || e == EADDRNOTAVAIL)
        fprintf(stderr, "udp_sender: no route to %s from this machine (%s); try 127.0.0.1 or ::1\n",
                s->to_text, strerror(e));
    else
        fprintf(stderr, "udp_sender: sendto %s failed: %s\n", s->to_text, strerror(e));
}

static void trace_first_send(const struct sender *s)
{
    fprintf(stderr,
            "[trace] first sendto(): %lu bytes to %s as one datagram - no connection was set "
            "up, this is the first packet on the wire. The kernel gave our socket source port "
            "%d just now (an implicit bind). sendto() returned once the datagram was queued: "
            "it does not know, and will never be told, whether it arrived.\n",
            s->opt.size, s->to_text, net_local_port(s->fd));
}

/* Send one datagram numbered seq. Returns 0, or -1 (already reported) on failure. */
static int send_one(struct sender *s, uint32_t seq)
{
    dgram_fill(s->buf, s->opt.size, s->opt.size, seq, udpnet_now_ns(), (uint32_t)s->opt.count);
    if (sendto(s->fd, s->buf, s->opt.size, 0, (struct sockaddr *)&s->to.ss, s->to.len) < 0) {
        send_error(s, errno);
        return -1;
    }
    if (s->opt.verbose && s->sent == 0)
        trace_first_send(s);
    else if (s->opt.verbose)
        fprintf(stderr, "[trace] sendto() seq %u: one more datagram of %lu bytes\n", seq,
                s->opt.size);
    s->sent++;
    return 0;
}

/* ---- echo ---------------------------------------------------------------------------------- */

static void note_rtt(struct sender *s, uint32_t seq, double us, size_t len)
{
    struct rtt_stats *r = &s->rtt;
    if (r->replies == 0 || us < r->min_us)
        r->min_us = us;
    if (us > r->max_us)
        r->max_us = us;
    r->sum_us += us;
    r->sumsq_us += us * us;
    r->replies++;
    if (!s->opt.quiet)
        printf("%zu bytes back from %s  seq %u  rtt %.1f us\n", len, s->to_text, seq, us);
}

/*
 * One datagram arrived while waiting for the echo of seq. Returns 1 when it was that echo,
 * 0 for anything else (an old echo that came back too late, a stranger, garbage).
 */
static int check_echo(struct sender *s, uint32_t seq, size_t n, const struct sockaddr *from)
{
    struct dgram_header h;

    if (!udpnet_same_addr(from, (struct sockaddr *)&s->to.ss))
        return 0; /* UDP lets anyone send to our port; only the receiver's replies count */
    if (s->opt.size < DGRAM_HEADER_LEN) { /* too small to be numbered: compare the bytes */
        if (n != s->opt.size)
            s->rtt.bad++;
        return n == s->opt.size;
    }
    if (n != s->opt.size || dgram_decode(s->buf, n, n, &h) != DGRAM_OK ||
        dgram_payload_check(s->buf + DGRAM_HEADER_LEN, n - DGRAM_HEADER_LEN, h.seq) >= 0) {
        s->rtt.bad++;
        return 0;
    }
    if (h.seq != seq) { /* an echo we had given up on: it was late, not lost */
        s->rtt.late++;
        return 0;
    }
    uint64_t now = udpnet_now_ns();
    if (s->opt.verbose)
        fprintf(stderr, "[trace] recvfrom() = %zu: the echo of seq %u, one whole datagram\n", n,
                seq);
    note_rtt(s, seq, now > h.send_ns ? (double)(now - h.send_ns) / 1e3 : 0.0, n);
    return 1;
}

/* Wait up to --timeout for the echo of seq. Returns 1 if it came back, 0 if not. */
static int await_echo(struct sender *s, uint32_t seq, uint64_t sent_mono)
{
    uint64_t deadline = sent_mono + s->opt.timeout_ms * 1000000u;

    while (!udpnet_stop_requested()) {
        uint64_t now = udpnet_mono_ns();
        if (now >= deadline)
            break;
        struct pollfd p = {s->fd, POLLIN, 0};
        if (poll(&p, 1, (int)((deadline - now + 999999) / 1000000)) <= 0)
            continue; /* timeout or EINTR: the loop checks the clock and the signal */
        struct sockaddr_storage from;
        socklen_t fromlen = sizeof from;
        ssize_t n =
            recvfrom(s->fd, s->buf, s->opt.size, MSG_DONTWAIT, (struct sockaddr *)&from, &fromlen);
        if (n >= 0 && check_echo(s, seq, (size_t)n, (struct sockaddr *)&from))
            return 1;
    }
    if (s->opt.verbose)
        fprintf(stderr,
                "[trace] no echo of seq %u within %lu ms: UDP will not resend it; we count it "
                "as never came back\n",
                seq, s->opt.timeout_ms);
    return 0;
}

/* ---- the loops ----------------------------------------------------------------------------- */

/* The readable default: one sendto() per datagram (and with --echo, wait for it). */
static int run_plain(struct sender *s)
{
    struct plan p = {0};
    uint32_t seq;

    while (!udpnet_stop_requested() && plan_next(s, &p, &seq)) {
        pace(s, s->sent);
        uint64_t sent_mono = udpnet_mono_ns();
        if (send_one(s, seq) < 0)
            return -1;
        if (s->opt.echo)
            await_echo(s, seq, sent_mono);
    }
    return 0;
}

/*
 * The fast path (--batch): sendmmsg() hands the kernel up to BATCH datagrams in one system
 * call. Every system call is a trip into the kernel and back (hundreds of nanoseconds, more
 * with speculative-execution mitigations); for small datagrams that trip costs more than the
 * datagram itself, so paying it once per BATCH instead of once per datagram multiplies the
 * rate. On the wire nothing changes: still one UDP packet per datagram.
 */
static int send_batch(struct sender *s, const uint32_t *seqs, unsigned int n)
{
    struct mmsghdr msgs[BATCH];
    struct iovec iovs[BATCH];
    uint64_t now = udpnet_now_ns();

    for (unsigned int i = 0; i < n; i++) {
        uint8_t *b = s->buf + (size_t)i * s->opt.size;
        dgram_fill(b, s->opt.size, s->opt.size, seqs[i], now, (uint32_t)s->opt.count);
        iovs[i] = (struct iovec){b, s->opt.size};
        msgs[i].msg_hdr = (struct msghdr){
            .msg_name = &s->to.ss, .msg_namelen = s->to.len, .msg_iov = &iovs[i], .msg_iovlen = 1};
    }
    for (unsigned int done = 0; done < n;) { /* sendmmsg may send fewer than asked */
        int r = sendmmsg(s->fd, msgs + done, n - done, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            send_error(s, errno);
            return -1;
        }
        done += (unsigned int)r;
    }
    if (s->opt.verbose)
        fprintf(stderr, "[trace] sendmmsg(): %u datagrams in one system call\n", n);
    s->sent += n;
    return 0;
}

static int run_batch(struct sender *s)
{
    struct plan p = {0};
    uint32_t seqs[BATCH];
    unsigned int n = 0;

    while (!udpnet_stop_requested()) {
        int more = plan_next(s, &p, &seqs[n]);
        n += (unsigned int)more;
        if (n == BATCH || (!more && n > 0)) {
            pace(s, s->sent);
            if (send_batch(s, seqs, n) < 0)
                return -1;
            n = 0;
        }
        if (!more)
            break;
    }
    return 0;
}

/* ---- main ---------------------------------------------------------------------------------- */

static void print_summary(const struct sender *s)
{
    double secs = (double)(udpnet_mono_ns() - s->start_ns) / 1e9;

    printf("sent %llu datagrams of %lu bytes to %s in %.3f s (%.0f/s)", (unsigned long long)s->sent,
           s->opt.size, s->to_text, secs, secs > 0 ? (double)s->sent / secs : 0.0);
    if (s->skipped)
        printf("; skipped %llu on purpose (--drop-every %lu)", (unsigned long long)s->skipped,
               s->opt.drop_every);
    if (s->reordered)
        printf("; held back %llu (--reorder-every %lu)", (unsigned long long)s->reordered,
               s->opt.reorder_every);
    if (s->duplicated)
        printf("; sent %llu twice (--duplicate-every %lu)", (unsigned long long)s->duplicated,
               s->opt.dup_every);
    printf("\n");
    if (!s->opt.echo)
        return;
    const struct rtt_stats *r = &s->rtt;
    printf("echo: %llu came back, %llu never came back (within %lu ms each)",
           (unsigned long long)r->replies, (unsigned long long)(s->sent - r->replies),
           s->opt.timeout_ms);
    if (r->late || r->bad)
        printf("; %llu came back too late, %llu came back wrong", (unsigned long long)r->late,
               (unsigned long long)r->bad);
    printf("\n");
    if (r->replies) {
        double avg = r->sum_us / (double)r->replies;
        double var = r->sumsq_us / (double)r->replies - avg * avg;
        printf("rtt min/avg/max/mdev = %.1f/%.1f/%.1f/%.1f us\n", r->min_us, avg, r->max_us,
               var > 0 ? sqrt(var) : 0.0);
    }
}

/* Resolve --host, check --size against the family, open the socket. Exits on failure. */
static void setup(struct sender *s)
{
    char err[UDPNET_ERR_LEN];

    if (udpnet_resolve(s->opt.host, s->opt.port, &s->to, err, sizeof err) < 0) {
        fprintf(stderr, "udp_sender: %s\n", err);
        exit(1);
    }
    net_format_addr((struct sockaddr *)&s->to.ss, s->to_text, sizeof s->to_text);
    if (is_ipv4(&s->to) && s->opt.size > DGRAM_MAX_IPV4) {
        char note[NET_ADDR_LEN + 32];
        snprintf(note, sizeof note, " to the IPv4 address %s", s->to_text);
        size_error(s->opt.size, note);
    }
    s->fd = socket(s->to.ss.ss_family, SOCK_DGRAM, 0);
    if (s->fd < 0) {
        fprintf(stderr, "udp_sender: cannot create a UDP socket: %s\n", strerror(errno));
        exit(1);
    }
    if (s->opt.verbose)
        fprintf(stderr,
                "[trace] socket(%s, SOCK_DGRAM): a UDP socket. No connect(), no handshake: "
                "nothing is on the wire yet, and nothing checks that %s has a receiver.\n",
                s->to.ss.ss_family == AF_INET6 ? "AF_INET6" : "AF_INET", s->to_text);
    s->buf = malloc(s->opt.size * (s->opt.batch ? BATCH : 1));
    if (s->buf == NULL) {
        fprintf(stderr, "udp_sender: out of memory for the send buffer\n");
        exit(1);
    }
}

int main(int argc, char **argv)
{
    struct sender s = {0};

    setvbuf(stdout, NULL, _IOLBF, 0); /* one line at a time, even into a pipe or a file */
    parse_args(argc, argv, &s.opt);
    setup(&s);
    udpnet_catch_stop_signals();
    s.start_ns = udpnet_mono_ns();
    int rc = s.opt.batch ? run_batch(&s) : run_plain(&s);
    print_summary(&s);
    free(s.buf);
    close(s.fd);
    if (rc < 0)
        return 1;
    return s.opt.echo && s.rtt.replies < s.sent ? 1 : 0;
}
