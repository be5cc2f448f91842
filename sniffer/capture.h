/*
 * capture.h - the sniffer's I/O shell around libpcap: open a live interface or a file, apply a
 * BPF filter, optionally save what was captured (-w), and deliver each packet to a callback.
 *
 * Live captures run pcap on a thread of their own that only copies packets into the SPSC ring
 * (sring.h); the caller's callback runs on the calling thread, draining the ring. A slow
 * terminal then slows the printing, not the capture: the kernel's buffer keeps being emptied.
 * A file is read on the calling thread (nothing there can overflow, so no second thread).
 *
 * Interface:
 *   cap_open(cfg, err, errlen)   NULL and a sentence in err (what happened, what to do)
 *   cap_run(c, count, fn, user)  deliver up to count packets (0 = until the end or cap_stop)
 *   cap_stop(c)                  ask cap_run to finish (async-signal-safe: for SIGINT)
 *   cap_counts(c, &counts)       libpcap's received/dropped counts, and the ring's drops
 *   cap_linktype(c), cap_close(c)
 */
#ifndef WIRELAB_CAPTURE_H
#define WIRELAB_CAPTURE_H

#include "sring.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct cap_cfg {
    const char *iface;      /* live capture on this interface (default "lo") */
    const char *read_file;  /* or read this pcap file */
    const char *write_file; /* also save every packet delivered here (pcap format) */
    const char *filter;     /* BPF filter expression, or NULL */
    const char *self;       /* this program's path, for the setcap advice (or NULL) */
} cap_cfg;

typedef struct cap_counts {
    bool live;
    uint64_t delivered;    /* packets handed to the callback */
    uint64_t received;     /* libpcap ps_recv: packets that passed the filter */
    uint64_t dropped;      /* libpcap ps_drop: no room in the kernel's buffer */
    uint64_t if_dropped;   /* dropped by the interface/driver, where known */
    uint64_t ring_dropped; /* our ring was full (the printer fell behind) */
} cap_counts;

typedef void cap_fn(void *user, const sring_hdr *h, const uint8_t *bytes);
typedef struct capture capture;

capture *cap_open(const cap_cfg *cfg, char *err, size_t errlen);
int cap_run(capture *c, uint64_t count, cap_fn *fn, void *user, char *err, size_t errlen);
void cap_stop(capture *c);
void cap_counts_get(capture *c, cap_counts *out);
int cap_linktype(const capture *c);
void cap_close(capture *c);

/* Print the interfaces libpcap can capture on (sniffer --list). Returns 0, or -1 and err. */
int cap_list(void (*print)(void *user, const char *name, const char *desc, bool loopback, bool up),
             void *user, char *err, size_t errlen);

#endif
