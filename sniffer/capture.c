/*
 * capture.c - libpcap, a thread and the ring (see capture.h).
 *
 * Live capture is opened with pcap_create + pcap_activate rather than pcap_open_live, because
 * only then does libpcap say *why* it failed (PCAP_ERROR_PERM_DENIED, NO_SUCH_DEVICE), and we
 * can turn that into a sentence that tells the student what to do.
 */
#include "capture.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SNAPLEN   262144      /* tcpdump's default: whole packets, even 64 KiB on lo */
#define RING_SIZE (32u << 20) /* 32 MiB between the capture and the printing thread */

struct capture {
    pcap_t *p;
    pcap_dumper_t *dump;
    bool live;
    bool nano; /* the file's times are in nanoseconds */
    sring *ring;
    _Atomic bool stop, done;
    uint64_t want, pushed, delivered, ring_dropped;
};

/* Does the file start with the magic number of a nanosecond pcap (0xa1b23c4d, either byte
 * order)? Standard input ("-") is not peeked at: its bytes could not be read twice. */
static bool file_is_nano(const char *path)
{
    uint8_t m[4];
    if (strcmp(path, "-") == 0)
        return false;
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return false; /* pcap_open_offline reports why */
    bool nano =
        fread(m, 1, 4, f) == 4 && ((m[0] == 0xa1 && m[1] == 0xb2 && m[2] == 0x3c && m[3] == 0x4d) ||
                                   (m[0] == 0x4d && m[1] == 0x3c && m[2] == 0xb2 && m[3] == 0xa1));
    fclose(f);
    return nano;
}

static int activate_error(pcap_t *p, int rc, const cap_cfg *cfg, const char *iface, char *err,
                          size_t errlen)
{
    if (rc == PCAP_ERROR_PERM_DENIED)
        snprintf(err, errlen,
                 "no permission to capture on %s. Live capture needs the CAP_NET_RAW and "
                 "CAP_NET_ADMIN capabilities: run it with sudo, or give the binary them once:\n"
                 "  sudo setcap cap_net_raw,cap_net_admin=eip %s\n"
                 "(reading a file with -r needs no privilege)",
                 iface, cfg->self ? cfg->self : "build/bin/sniffer");
    else if (rc == PCAP_ERROR_NO_SUCH_DEVICE)
        snprintf(err, errlen, "there is no interface named '%s'; `sniffer --list` shows them",
                 iface);
    else if (rc == PCAP_ERROR_IFACE_NOT_UP)
        snprintf(err, errlen, "interface %s is down; bring it up with: sudo ip link set %s up",
                 iface, iface);
    else
        snprintf(err, errlen, "cannot capture on %s: %s", iface, pcap_geterr(p));
    return -1;
}

static pcap_t *open_live(const cap_cfg *cfg, const char *iface, char *err, size_t errlen)
{
    char ebuf[PCAP_ERRBUF_SIZE] = "";
    pcap_t *p = pcap_create(iface, ebuf);
    if (p == NULL) {
        snprintf(err, errlen, "cannot capture on %s: %s", iface, ebuf);
        return NULL;
    }
    pcap_set_snaplen(p, SNAPLEN);
    pcap_set_immediate_mode(p, 1); /* hand each packet over at once: we are watching live */
    pcap_set_buffer_size(p, 32 << 20);
    int rc = pcap_activate(p);
    if (rc < 0) {
        activate_error(p, rc, cfg, iface, err, errlen);
        pcap_close(p);
        return NULL;
    }
    return p;
}

static int set_filter(pcap_t *p, const char *filter, char *err, size_t errlen)
{
    struct bpf_program prog;
    if (pcap_compile(p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) < 0) {
        snprintf(err, errlen, "the filter '%s' is not valid BPF syntax: %s (see man pcap-filter)",
                 filter, pcap_geterr(p));
        return -1;
    }
    int rc = pcap_setfilter(p, &prog);
    pcap_freecode(&prog);
    if (rc < 0)
        snprintf(err, errlen, "cannot apply the filter '%s': %s", filter, pcap_geterr(p));
    return rc < 0 ? -1 : 0;
}

static capture *open_fail(capture *c)
{
    cap_close(c);
    return NULL;
}

capture *cap_open(const cap_cfg *cfg, char *err, size_t errlen)
{
    char ebuf[PCAP_ERRBUF_SIZE] = "";
    capture *c = calloc(1, sizeof *c);
    if (c == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    c->live = cfg->read_file == NULL;
    if (c->live) {
        c->p = open_live(cfg, cfg->iface ? cfg->iface : "lo", err, errlen);
    } else {
        /* In the file's own precision, so libpcap never rescales (and so never hides) an
         * out-of-range fraction: dividing or multiplying it by 1000 can land in range. */
        c->nano = file_is_nano(cfg->read_file);
        c->p = pcap_open_offline_with_tstamp_precision(
            cfg->read_file, c->nano ? PCAP_TSTAMP_PRECISION_NANO : PCAP_TSTAMP_PRECISION_MICRO,
            ebuf);
        if (c->p == NULL)
            snprintf(err, errlen, "cannot read %s: %s", cfg->read_file, ebuf);
    }
    if (c->p == NULL)
        return open_fail(c);
    if (cfg->filter && set_filter(c->p, cfg->filter, err, errlen) < 0)
        return open_fail(c);
    if (cfg->write_file && (c->dump = pcap_dump_open(c->p, cfg->write_file)) == NULL) {
        snprintf(err, errlen, "cannot write %s: %s", cfg->write_file, pcap_geterr(c->p));
        return open_fail(c);
    }
    if (c->live && (c->ring = sring_new(RING_SIZE)) == NULL) {
        snprintf(err, errlen, "out of memory for the capture ring");
        return open_fail(c);
    }
    return c;
}

int cap_linktype(const capture *c)
{
    return pcap_datalink(c->p);
}

void cap_stop(capture *c)
{
    atomic_store(&c->stop, true); /* the capture thread looks at it at least every 100 ms */
}

/* The time exactly as the file or the kernel gave it. libpcap copies a pcap file's two 32-bit
 * fields into tv_sec and tv_usec as SIGNED numbers, but the format's seconds are unsigned (valid
 * until 2106): a negative tv_sec is one of those, sign-extended, so we add 2^32 back. The
 * fraction keeps its 32 bits, whatever they say; the views print an out-of-range one as
 * invalid instead of a wrong time. (A pcapng file's 64-bit times arrive already positive.) */
static sring_hdr hdr_of(const capture *c, const struct pcap_pkthdr *ph)
{
    int64_t sec = (int64_t)ph->ts.tv_sec;
    if (sec < 0)
        sec += (int64_t)1 << 32;
    sring_hdr h = {sec, (uint32_t)ph->ts.tv_usec, ph->caplen, ph->len, c->nano};
    return h;
}

/* Capture thread: copy each packet into the ring. Never blocks on the printer. */
static void on_live_packet(u_char *user, const struct pcap_pkthdr *ph, const u_char *bytes)
{
    capture *c = (capture *)user;
    sring_hdr h = hdr_of(c, ph);
    if (c->dump)
        pcap_dump((u_char *)c->dump, ph, bytes);
    if (sring_push(c->ring, &h, bytes) < 0)
        c->ring_dropped++; /* the printer is too far behind: counted, reported at the end */
    else if (c->want && ++c->pushed >= c->want)
        pcap_breakloop(c->p);
}

/* The capture thread waits for packets in poll() with a 100 ms timeout and reads them without
 * blocking, so it sees a stop request (Ctrl-C) within 100 ms by itself: no wakeup from another
 * thread or a signal handler has to reach libpcap at the right moment. */
static void *capture_thread(void *arg)
{
    capture *c = arg;
    /* SIGINT is for the main thread: it calls cap_stop, which this loop sees. */
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    struct pollfd pfd = {.fd = pcap_get_selectable_fd(c->p), .events = POLLIN};
    while (!atomic_load(&c->stop)) {
        if (poll(&pfd, 1, 100) < 0 && errno != EINTR)
            break;
        int rc = pcap_dispatch(c->p, -1, on_live_packet, (u_char *)c);
        if (rc < 0 || (c->want && c->pushed >= c->want))
            break;
    }
    /* Stopped: what the kernel captured before the stop request is read too (without waiting
     * for more), so everything on the wire before Ctrl-C is shown. Bounded. */
    if (atomic_load(&c->stop))
        for (int i = 0; i < 64 && !(c->want && c->pushed >= c->want); i++)
            if (pcap_dispatch(c->p, -1, on_live_packet, (u_char *)c) <= 0)
                break;
    atomic_store(&c->done, true);
    return NULL;
}

static int run_live(capture *c, cap_fn *fn, void *user, char *err, size_t errlen)
{
    static uint8_t buf[SNAPLEN];
    pthread_t th;
    char ebuf[PCAP_ERRBUF_SIZE] = "libpcap has no descriptor to poll for this capture";
    if (pcap_setnonblock(c->p, 1, ebuf) < 0 || pcap_get_selectable_fd(c->p) < 0) {
        snprintf(err, errlen, "cannot wait for packets without blocking: %s", ebuf);
        return -1;
    }
    if (pthread_create(&th, NULL, capture_thread, c) != 0) {
        snprintf(err, errlen, "cannot start the capture thread");
        return -1;
    }
    sring_hdr h;
    for (;;) {
        if (sring_pop(c->ring, &h, buf, sizeof buf) ==
            0) { /* (buf holds SNAPLEN: never TOOSMALL) */
            c->delivered++;
            fn(user, &h, buf);
            continue;
        }
        if (atomic_load(&c->done) && sring_pop(c->ring, &h, buf, sizeof buf) < 0)
            break;
        if (atomic_load(&c->done)) { /* one last packet slipped in between the two checks */
            c->delivered++;
            fn(user, &h, buf);
            continue;
        }
        struct timespec ts = {0, 500000}; /* empty: wait half a millisecond, not a busy loop */
        nanosleep(&ts, NULL);
    }
    pthread_join(th, NULL);
    return 0;
}

static int run_file(capture *c, cap_fn *fn, void *user, char *err, size_t errlen)
{
    struct pcap_pkthdr *ph;
    const u_char *bytes;
    int rc = 0;
    while (!atomic_load(&c->stop) && (!c->want || c->delivered < c->want) &&
           (rc = pcap_next_ex(c->p, &ph, &bytes)) == 1) {
        sring_hdr h = hdr_of(c, ph);
        if (c->dump)
            pcap_dump((u_char *)c->dump, ph, bytes);
        c->delivered++;
        fn(user, &h, bytes);
    }
    if (!atomic_load(&c->stop) && (!c->want || c->delivered < c->want) && rc == PCAP_ERROR) {
        snprintf(err, errlen, "the file is damaged after packet %llu: %s",
                 (unsigned long long)c->delivered, pcap_geterr(c->p));
        return -1;
    }
    return 0;
}

int cap_run(capture *c, uint64_t count, cap_fn *fn, void *user, char *err, size_t errlen)
{
    c->want = count;
    int rc = c->live ? run_live(c, fn, user, err, errlen) : run_file(c, fn, user, err, errlen);
    if (c->dump)
        pcap_dump_flush(c->dump);
    return rc;
}

void cap_counts_get(capture *c, cap_counts *out)
{
    struct pcap_stat st;
    memset(out, 0, sizeof *out);
    out->live = c->live;
    out->delivered = c->delivered;
    out->ring_dropped = c->ring_dropped;
    if (c->live && pcap_stats(c->p, &st) == 0) {
        out->received = st.ps_recv;
        out->dropped = st.ps_drop;
        out->if_dropped = st.ps_ifdrop;
    }
}

void cap_close(capture *c)
{
    if (c == NULL)
        return;
    if (c->dump)
        pcap_dump_close(c->dump);
    if (c->p)
        pcap_close(c->p);
    sring_free(c->ring);
    free(c);
}

int cap_list(void (*print)(void *, const char *, const char *, bool, bool), void *user, char *err,
             size_t errlen)
{
    char ebuf[PCAP_ERRBUF_SIZE] = "";
    pcap_if_t *all;
    if (pcap_findalldevs(&all, ebuf) < 0) {
        snprintf(err, errlen, "cannot list the interfaces: %s", ebuf);
        return -1;
    }
    for (pcap_if_t *d = all; d; d = d->next)
        print(user, d->name, d->description ? d->description : "", d->flags & PCAP_IF_LOOPBACK,
              d->flags & PCAP_IF_UP);
    pcap_freealldevs(all);
    return 0;
}
