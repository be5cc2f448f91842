/*
 * view_svg.h - pictures of a capture, as SVG (`sniffer -r FILE --svg KIND`).
 *
 *   svg_cap_*            what the pictures remember of each packet (view_svg_cap.c): the
 *                        decoded packets in, one small record each out, up to SVG_MAX_PACKETS
 *   svg_ladder           the sequence diagram, labelled like --ladder (view_svg_ladder.c)
 *   svg_tcptrace         TCP's time-sequence graph per direction, and UDP's arrivals by
 *                        Wirelab sequence number (view_svg_tcptrace.c)
 *   svg_throughput       bytes per time bin, one line per conversation (view_svg_throughput.c)
 *   svg_layers           one packet's layers as nested boxes, each field with its byte offsets
 *                        (view_svg_layers.c)
 *   svg_run_*            the shell main.c calls: collect, then write the picture to a FILE
 *                        (view_svg_run.c; the only file here that does I/O)
 * Every picture is a pure function from decoded packets to text in an svg_buf (svg.h).
 */
#ifndef WIRELAB_VIEW_SVG_H
#define WIRELAB_VIEW_SVG_H

#include "svg.h"
#include "view.h"

#include <stdint.h>
#include <stdio.h>

#define SVG_MAX_PACKETS 100000 /* packets a picture remembers; the rest are counted */
#define SVG_MAX_CONVS   64     /* conversations named in a picture; the rest share "other" */
#define SVG_LABEL       96     /* an arrow's words (view_ladder_label) */
#define SVG_MSG         160    /* the application message drawn under an arrow */

typedef struct svg_pkt {
    uint64_t frame;
    double t;      /* seconds since the first packet */
    uint64_t conv; /* 0: not a TCP/UDP conversation (ARP, ICMP, ...) */
    int dir;       /* 0 client to server, 1 server to client */
    uint8_t proto; /* 6 TCP, 17 UDP, 0 other */
    uint8_t phase; /* flow_phase */
    uint8_t flags; /* TCP flags */
    bool retrans;
    bool has_ack;
    uint32_t seq, ack; /* relative, like the ladder (raw with --absolute or without the SYN) */
    uint32_t len;      /* TCP or UDP payload bytes */
    uint32_t wire;     /* bytes of the frame on the wire */
    uint64_t win;      /* the receive window in bytes (scaled when the SYNs agreed a scale) */
    bool win_known;    /* false: the scale was not captured, win is the raw field */
    uint8_t nsack;
    uint32_t sack[4][2]; /* SACK blocks, in the same numbering as the peer's seq */
    bool has_useq;       /* a udp_sender datagram: useq is its Wirelab sequence number */
    uint32_t useq;
    uint32_t utotal;       /* how many the sender said it would send (the header's total), or 0 */
    char label[SVG_LABEL]; /* the ladder's words for it */
    char msg[SVG_MSG];     /* the application message it carries or completes, or "" */
} svg_pkt;

typedef struct svg_conv {
    uint64_t conv;
    uint8_t proto;
    char client[64], server[64];
} svg_conv;

typedef struct svg_cap {
    svg_pkt *pkts;
    size_t n, cap;
    uint64_t more; /* packets beyond SVG_MAX_PACKETS, counted only */
    uint64_t seen; /* every packet offered */
    svg_conv convs[SVG_MAX_CONVS];
    unsigned nconvs;
    bool have0;
    int64_t sec0, usec0; /* the first valid time: t = 0 */
    double last_t;
} svg_cap;

void svg_cap_init(svg_cap *c);
void svg_cap_free(svg_cap *c);
/* Remember one decoded packet (after flows_track; msgs as streams completed them at it, or
 * NULL). Returns false when the packet was only counted (the cap, or out of memory). */
bool svg_cap_add(svg_cap *c, const view_opts *o, const view_frame *fr, const dec_packet *pkt,
                 const flow_info *fi, const view_msgs *msgs);
const svg_conv *svg_cap_conv(const svg_cap *c, uint64_t conv);

void svg_ladder(svg_buf *b, const svg_cap *c);
void svg_tcptrace(svg_buf *b, const svg_cap *c);
void svg_throughput(svg_buf *b, const svg_cap *c);
void svg_layers(svg_buf *b, const view_frame *fr, const dec_packet *pkt, const flow_info *fi);

/* Shared by the plots: a frame's "x axis / y axis" with a few ticks, and a number with a unit
 * in few characters ("1.5 k", "200", "3.2 M"). */
typedef struct svg_plot {
    double x, y, w, h;     /* the plot area on the page */
    double x0, x1, y0, y1; /* the data ranges it shows */
} svg_plot;
/* A page whose height is known only once it is drawn (a ladder, a tcptrace): draw once into a
 * scratch buffer to measure, then begin a page of that height and draw it for real. */
typedef double (*svg_draw_fn)(svg_buf *b, const svg_cap *c); /* returns the height used */
void svg_measured_page(svg_buf *b, const svg_cap *c, double w, const char *title, svg_draw_fn draw);
double svg_px(const svg_plot *p, double v);
double svg_py(const svg_plot *p, double v);
void svg_axes(svg_buf *b, const svg_plot *p, const char *xname, const char *yname);
void svg_short(char *buf, size_t cap, double v);

/* The shell (view_svg_run.c). */
typedef enum svg_kind { SVG_NONE, SVG_LADDER, SVG_TCPTRACE, SVG_LAYERS, SVG_THROUGHPUT } svg_kind;
svg_kind svg_kind_parse(const char *name);
typedef struct svg_run {
    svg_kind kind;
    uint64_t frame; /* --frame N for layers (0: the first packet) */
    svg_cap cap;
    svg_buf out;
    bool drawn; /* layers: the packet was found and drawn */
} svg_run;
void svg_run_init(svg_run *r, svg_kind kind, uint64_t frame);
void svg_run_packet(svg_run *r, const view_opts *o, const view_frame *fr, const dec_packet *pkt,
                    const flow_info *fi, const view_msgs *msgs);
/* Write the picture to out; returns 0, or -1 after saying on err what went wrong. */
int svg_run_finish(svg_run *r, FILE *out, FILE *err);

#endif
