/*
 * view_svg_tcptrace.c - `--svg tcptrace`: TCP's time-sequence graph, and UDP's arrivals.
 *
 *   build/bin/sniffer -r lab3.pcap --svg tcptrace > trace.svg
 *
 * The graph W. Richard Stevens drew in TCP/IP Illustrated and Shawn Ostermann's tcptrace
 * draws: time to the right, sequence number up, for one direction of the conversation that
 * carried the most bytes (one panel per direction that sent data).
 *   - each data segment is a vertical bar from its first byte to its last (blue); a
 *     retransmission (it carries no byte not sent before) is red and thicker;
 *   - the ACK line (green) is the other side's acknowledgment number, a step at each ACK:
 *     everything below it has arrived. The distance from a bar to the line is the wait for
 *     the ACK;
 *   - the window line (yellow) is ACK + the receive window the other side advertised, in
 *     bytes: scaled by the shift its SYN offered when both SYNs carried the option (RFC 7323
 *     2.2-2.3); the sender may not send above it. When the window is far above the data the
 *     line is clipped at the top of the graph and the caption says so;
 *   - a SACK block (purple, RFC 2018) is a bar at the time of the ACK that carried it, over
 *     the bytes it says arrived above a hole: the hole is what will be retransmitted.
 * Beside it (below, on the page), UDP: each udp_sender datagram (dec_wirelab.c) as a dot at
 * its time and Wirelab sequence number, per direction. A sequence number missing between the
 * lowest seen and the highest (or the last the header's "total" announces) is a red tick where
 * it would have been: a gap in the capture.
 * Nobody resends it; TCP's bars fill every hole, UDP's gaps stay (lab 3's comparison).
 *
 * For tests: bars are <line class="seg" data-frame="N"> ("seg retrans"), SACK blocks
 * <line class="sack">, datagrams <circle class="dgram" data-seq="S">, gaps <line class="gap"
 * data-seq="S">. Pure: text into an svg_buf.
 */
#include "flows.h"
#include "view_svg.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define W        1000.0
#define PANEL    440.0      /* one graph and its captions */
#define MAX_GAPS 5000       /* gap ticks drawn per UDP direction; more are counted */
#define MAX_USEQ (1u << 20) /* sequence span a gap search covers (8 MB of times) */

/* The TCP conversation that carried the most payload bytes (0 when there is none). */
static uint64_t busiest_tcp(const svg_cap *c)
{
    uint64_t best = 0, best_bytes = 0;
    for (unsigned i = 0; i < c->nconvs; i++) {
        if (c->convs[i].proto != 6)
            continue;
        uint64_t bytes = 0;
        for (size_t j = 0; j < c->n; j++)
            if (c->pkts[j].conv == c->convs[i].conv)
                bytes += c->pkts[j].len + 1; /* + 1: a conversation of bare SYNs still counts */
        if (bytes > best_bytes)
            best = c->convs[i].conv, best_bytes = bytes;
    }
    return best;
}

typedef struct tcp_range {
    double t0, t1;
    uint64_t lo, hi;  /* the data bytes' sequence range */
    uint64_t win_top; /* the highest ACK + window */
    unsigned segs, retrans, sacks;
    uint64_t bytes;
    bool scale_unknown; /* a window whose scale the capture does not know (no SYNs) */
} tcp_range;

static void tcp_measure(const svg_cap *c, uint64_t conv, int dir, tcp_range *r)
{
    memset(r, 0, sizeof *r);
    r->lo = UINT64_MAX;
    r->t0 = 1e300, r->t1 = -1e300;
    for (size_t i = 0; i < c->n; i++) {
        const svg_pkt *p = &c->pkts[i];
        if (p->conv != conv)
            continue;
        r->t0 = p->t < r->t0 ? p->t : r->t0, r->t1 = p->t > r->t1 ? p->t : r->t1;
        if (p->dir == dir && p->len) {
            r->segs++, r->retrans += p->retrans, r->bytes += p->len;
            r->lo = p->seq < r->lo ? p->seq : r->lo;
            r->hi = (uint64_t)p->seq + p->len > r->hi ? (uint64_t)p->seq + p->len : r->hi;
        } else if (p->dir != dir && p->has_ack) {
            uint64_t top = (uint64_t)p->ack + p->win;
            r->win_top = top > r->win_top ? top : r->win_top;
            r->sacks += p->nsack;
            r->scale_unknown |= !p->win_known;
        }
    }
}

/* A value clamped into the plot's y range (the window line may be far above the data). */
static double clamp_y(const svg_plot *pl, double v)
{
    return svg_py(pl, v < pl->y0 ? pl->y0 : v > pl->y1 ? pl->y1 : v);
}

/* The ACK line and the window line: steps, as each ACK moves them. */
static void ack_lines(svg_buf *b, const svg_cap *c, uint64_t conv, int dir, const svg_plot *pl)
{
    char x[SVG_NUM], y[SVG_NUM];
    for (int win = 0; win < 2; win++) {
        bool any = false;
        double last = 0;
        svg_fmt(b, "<polyline class=\"%s\" points=\"", win ? "win" : "ack");
        for (size_t i = 0; i < c->n; i++) {
            const svg_pkt *p = &c->pkts[i];
            if (p->conv != conv || p->dir == dir || !p->has_ack)
                continue;
            double v = (double)p->ack + (win ? (double)p->win : 0);
            double px = svg_px(pl, p->t);
            if (any) /* the step: across at the old value, then up */
                svg_fmt(b, "%s,%s ", svg_num(x, px), svg_num(y, clamp_y(pl, last)));
            svg_fmt(b, "%s,%s ", svg_num(x, px), svg_num(y, clamp_y(pl, v)));
            last = v, any = true;
        }
        svg_fmt(b, "\"/>\n");
    }
}

static void tcp_marks(svg_buf *b, const svg_cap *c, uint64_t conv, int dir, const svg_plot *pl)
{
    char x[SVG_NUM], y1[SVG_NUM], y2[SVG_NUM];
    for (size_t i = 0; i < c->n; i++) {
        const svg_pkt *p = &c->pkts[i];
        if (p->conv != conv)
            continue;
        double px = svg_px(pl, p->t);
        if (p->dir == dir && p->len) {
            svg_fmt(b,
                    "<line class=\"seg%s\" data-frame=\"%" PRIu64 "\" x1=\"%s\" y1=\"%s\" "
                    "x2=\"%s\" y2=\"%s\"/>\n",
                    p->retrans ? " retrans" : "", p->frame, svg_num(x, px),
                    svg_num(y1, clamp_y(pl, p->seq)), x,
                    svg_num(y2, clamp_y(pl, (double)p->seq + p->len)));
        } else if (p->dir != dir) {
            for (int k = 0; k < p->nsack; k++)
                svg_fmt(b,
                        "<line class=\"sack\" data-frame=\"%" PRIu64 "\" x1=\"%s\" y1=\"%s\" "
                        "x2=\"%s\" y2=\"%s\"/>\n",
                        p->frame, svg_num(x, px), svg_num(y1, clamp_y(pl, p->sack[k][0])), x,
                        svg_num(y2, clamp_y(pl, p->sack[k][1])));
        }
    }
}

static double tcp_panel(svg_buf *b, const svg_cap *c, uint64_t conv, int dir, double y)
{
    tcp_range r;
    tcp_measure(c, conv, dir, &r);
    if (r.segs == 0)
        return y;
    const svg_conv *v = svg_cap_conv(c, conv);
    char text[300];
    snprintf(text, sizeof text, "TCP conversation %" PRIu64 ", %s %s > %s", conv,
             dir == 0 ? "client" : "server", dir == 0 ? v->client : v->server,
             dir == 0 ? v->server : v->client);
    svg_label(b, 10, y + 20, "start", "title", text);
    snprintf(text, sizeof text,
             "%" PRIu64 " bytes in %u segments, %u retransmitted; %u SACK blocks from the "
             "other side",
             r.bytes, r.segs, r.retrans, r.sacks);
    svg_label(b, 10, y + 36, "start", "small", text);
    /* headroom above the data for the window line, without letting a huge window flatten it */
    double span = (double)(r.hi - r.lo);
    svg_plot pl = {90,           y + 60,
                   W - 130,      PANEL - 120,
                   r.t0,         r.t1 > r.t0 ? r.t1 : r.t0 + 1e-3,
                   (double)r.lo, (double)r.hi + (span > 0 ? span * 0.15 : 1)};
    svg_axes(b, &pl, "seconds since the first packet", "sequence number (bytes)");
    ack_lines(b, c, conv, dir, &pl);
    tcp_marks(b, c, conv, dir, &pl);
    snprintf(text, sizeof text,
             "blue: data segments, red: retransmissions, green: ACK, yellow: ACK + receive "
             "window%s%s, purple: SACK blocks",
             r.scale_unknown ? " (scale unknown: no SYNs captured)" : "",
             (double)r.win_top > pl.y1 ? " (clipped at the top)" : "");
    svg_label(b, 90, y + PANEL - 8, "start", "small", text);
    return y + PANEL;
}

/* The Wirelab sequence numbers of one UDP direction: the lowest and highest seen, and when
 * each in between arrived (when[k] < 0: never; NULL when the span is too large to search). */
typedef struct udp_flow {
    uint32_t lo, hi;
    unsigned count;
    double t0, t1;
    double *when;
} udp_flow;

static bool udp_measure(const svg_cap *c, uint64_t conv, int dir, udp_flow *u)
{
    memset(u, 0, sizeof *u);
    u->lo = UINT32_MAX, u->t0 = 1e300, u->t1 = -1e300;
    for (size_t i = 0; i < c->n; i++) {
        const svg_pkt *p = &c->pkts[i];
        if (p->conv != conv || p->dir != dir || !p->has_useq)
            continue;
        u->count++;
        u->lo = p->useq < u->lo ? p->useq : u->lo, u->hi = p->useq > u->hi ? p->useq : u->hi;
        u->t0 = p->t < u->t0 ? p->t : u->t0, u->t1 = p->t > u->t1 ? p->t : u->t1;
        /* the sender announced how many it sends (numbered from 0): any missing at the end
         * are gaps too, as udp_receiver counts them (unless the picture stopped remembering
         * packets before the end) */
        if (c->more == 0 && p->utotal && p->utotal - 1 > u->hi)
            u->hi = p->utotal - 1;
    }
    if (u->count == 0)
        return false;
    size_t span = (size_t)(u->hi - u->lo) + 1;
    if (span > MAX_USEQ || (u->when = malloc(span * sizeof *u->when)) == NULL)
        return true;
    for (size_t k = 0; k < span; k++)
        u->when[k] = -1;
    for (size_t i = 0; i < c->n; i++) {
        const svg_pkt *p = &c->pkts[i];
        if (p->conv == conv && p->dir == dir && p->has_useq && u->when[p->useq - u->lo] < 0)
            u->when[p->useq - u->lo] = p->t;
    }
    return true;
}

/* A red tick for each missing number, at the time the next one that did come passed (scanning
 * down from the highest keeps that time at hand). Returns how many are missing. */
static unsigned gaps(svg_buf *b, const udp_flow *u, const svg_plot *pl)
{
    char x1[SVG_NUM], x2[SVG_NUM], y[SVG_NUM];
    unsigned missing = 0;
    if (u->when == NULL)
        return 0;
    double next = u->t1;
    for (uint32_t k = u->hi - u->lo + 1; k-- > 0;) {
        if (u->when[k] >= 0) {
            next = u->when[k];
            continue;
        }
        if (missing++ >= MAX_GAPS)
            continue;
        double px = svg_px(pl, next);
        svg_fmt(b,
                "<line class=\"gap\" data-seq=\"%" PRIu32 "\" x1=\"%s\" y1=\"%s\" x2=\"%s\" "
                "y2=\"%s\"/>\n",
                u->lo + k, svg_num(x1, px - 6), svg_num(y, svg_py(pl, u->lo + k)),
                svg_num(x2, px + 6), y);
    }
    return missing;
}

static double udp_panel(svg_buf *b, const svg_cap *c, const svg_conv *v, int dir, double y)
{
    udp_flow u;
    if (!udp_measure(c, v->conv, dir, &u))
        return y;
    char text[300], cx[SVG_NUM], cy[SVG_NUM];
    svg_plot pl = {90,           y + 60,
                   W - 130,      PANEL - 120,
                   u.t0,         u.t1 > u.t0 ? u.t1 : u.t0 + 1e-3,
                   (double)u.lo, u.hi > u.lo ? (double)u.hi : (double)u.lo + 1};
    svg_axes(b, &pl, "seconds since the first packet", "Wirelab sequence number");
    for (size_t i = 0; i < c->n; i++) {
        const svg_pkt *p = &c->pkts[i];
        if (p->conv == v->conv && p->dir == dir && p->has_useq)
            svg_fmt(b,
                    "<circle class=\"dgram\" data-seq=\"%" PRIu32 "\" cx=\"%s\" cy=\"%s\" "
                    "r=\"2\"/>\n",
                    p->useq, svg_num(cx, svg_px(&pl, p->t)), svg_num(cy, svg_py(&pl, p->useq)));
    }
    unsigned missing = gaps(b, &u, &pl);
    snprintf(text, sizeof text, "UDP conversation %" PRIu64 ", %s > %s", v->conv,
             dir == 0 ? v->client : v->server, dir == 0 ? v->server : v->client);
    svg_label(b, 10, y + 20, "start", "title", text);
    snprintf(text, sizeof text,
             "%u datagrams, Wirelab sequence %" PRIu32 " to %" PRIu32
             ", %s%u missing in the capture",
             u.count, u.lo, u.hi, u.when ? "" : "(span too large to search) ", missing);
    svg_label(b, 10, y + 36, "start", "small", text);
    svg_label(b, 90, y + PANEL - 8, "start", "small",
              missing > MAX_GAPS ? "blue: datagrams; red: missing (the first 5000 drawn)"
                                 : "blue: datagrams by Wirelab sequence number; red: missing");
    free(u.when);
    return y + PANEL;
}

static double draw(svg_buf *b, const svg_cap *c)
{
    double y = 0;
    uint64_t tcp = busiest_tcp(c);
    for (int dir = 0; tcp && dir < 2; dir++)
        y = tcp_panel(b, c, tcp, dir, y);
    for (unsigned i = 0; i < c->nconvs; i++)
        for (int dir = 0; c->convs[i].proto == 17 && dir < 2; dir++)
            y = udp_panel(b, c, &c->convs[i], dir, y);
    if (y == 0)
        svg_label(b, 10, y += 30, "start", "",
                  "no TCP data and no udp_sender datagrams in the capture");
    if (c->more) {
        char note[120];
        snprintf(note, sizeof note, "%" PRIu64 " packets after the first %d not drawn", c->more,
                 SVG_MAX_PACKETS);
        svg_label(b, 10, y += 20, "start", "small", note);
    }
    return y + 10;
}

void svg_tcptrace(svg_buf *b, const svg_cap *c)
{
    svg_measured_page(b, c, W, "sniffer --svg tcptrace", draw);
}
