/*
 * view_svg_throughput.c - `--svg throughput`: bytes on the wire per time bin, one line per
 * conversation.
 *
 *   build/bin/sniffer -r lab3.pcap --svg throughput > rate.svg
 *
 * The capture's time span is cut into BINS equal bins; each packet adds its frame length (the
 * bytes on the wire, headers included) to its conversation's bin, and the graph shows each bin
 * as bytes per second. A TCP transfer that stalls waiting for a retransmission timeout shows
 * as a dip to zero; UDP sent at a fixed --rate is flat whatever the loss. Packets in no
 * conversation (ARP, ICMP) share one line, "other".
 * For tests: <polyline class="flow" data-conv="C" data-bytes="B"> (C = 0 for "other").
 * Pure: text into an svg_buf.
 */
#include "view_svg.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define W     1000.0
#define H     460.0
#define BINS  60
#define LINES 9 /* conversations drawn (the first 8) and "other" */

static const char *const colour[LINES] = {"#1a5fb4", "#c01c28", "#26a269", "#e5a50a", "#9141ac",
                                          "#865e3c", "#0b7a75", "#c64600", "#777777"};

/* Which line a packet goes on: its conversation's place among the first 8, or "other". */
static int line_of(const svg_cap *c, uint64_t conv)
{
    for (unsigned i = 0; i < c->nconvs && i < LINES - 1; i++)
        if (c->convs[i].conv == conv)
            return (int)i;
    return LINES - 1;
}

void svg_throughput(svg_buf *b, const svg_cap *c)
{
    static double bins[LINES][BINS];
    uint64_t bytes[LINES] = {0};
    memset(bins, 0, sizeof bins);
    double t0 = 1e300, t1 = -1e300;
    for (size_t i = 0; i < c->n; i++)
        t0 = c->pkts[i].t < t0 ? c->pkts[i].t : t0, t1 = c->pkts[i].t > t1 ? c->pkts[i].t : t1;
    if (c->n == 0)
        t0 = 0, t1 = 1;
    double width = (t1 > t0 ? t1 - t0 : 1e-3) / BINS, top = 0;
    for (size_t i = 0; i < c->n; i++) {
        const svg_pkt *p = &c->pkts[i];
        int k = (int)((p->t - t0) / width), l = line_of(c, p->conv);
        k = k < 0 ? 0 : k >= BINS ? BINS - 1 : k;
        bins[l][k] += p->wire / width;
        bytes[l] += p->wire;
        top = bins[l][k] > top ? bins[l][k] : top;
    }
    svg_begin(b, W, H, "sniffer --svg throughput");
    svg_label(b, 10, 20, "start", "title", "bytes on the wire per second, per conversation");
    svg_plot pl = {90, 50, W - 330, H - 110, t0, t0 + width * BINS, 0, top > 0 ? top * 1.1 : 1};
    svg_axes(b, &pl, "seconds since the first packet", "bytes per second");
    char x[SVG_NUM], y[SVG_NUM], text[200];
    double ly = 60;
    for (int l = 0; l < LINES; l++) {
        if (bytes[l] == 0)
            continue;
        uint64_t conv = l < LINES - 1 ? c->convs[l].conv : 0;
        svg_fmt(b,
                "<polyline class=\"flow\" data-conv=\"%" PRIu64 "\" data-bytes=\"%" PRIu64
                "\" style=\"stroke:%s\" points=\"",
                conv, bytes[l], colour[l]);
        for (int k = 0; k < BINS; k++) { /* each bin as a flat step, so a burst reads as one */
            svg_num(y, svg_py(&pl, bins[l][k]));
            svg_fmt(b, "%s,%s ", svg_num(x, svg_px(&pl, t0 + width * k)), y);
            svg_fmt(b, "%s,%s ", svg_num(x, svg_px(&pl, t0 + width * (k + 1))), y);
        }
        svg_fmt(b, "\"/>\n");
        if (l < LINES - 1)
            snprintf(text, sizeof text, "c%" PRIu64 " %s %s", conv,
                     c->convs[l].proto == 6 ? "TCP" : "UDP", c->convs[l].server);
        else
            snprintf(text, sizeof text, "other");
        svg_fmt(b, "<rect x=\"%s\" y=\"%s\" width=\"14\" height=\"4\" style=\"fill:%s\"/>\n",
                svg_num(x, W - 225), svg_num(y, ly - 5), colour[l]);
        svg_label(b, W - 205, ly, "start", "small", text);
        char amount[32];
        svg_short(amount, sizeof amount, (double)bytes[l]);
        snprintf(text, sizeof text, "%s bytes", amount);
        svg_label(b, W - 205, ly + 13, "start", "small", text);
        ly += 34;
    }
    snprintf(text, sizeof text, "%d bins of %.6f s; %" PRIu64 " packets%s", BINS, width, c->seen,
             c->more ? " (only the first ones drawn)" : "");
    svg_label(b, 90, H - 12, "start", "small", text);
    svg_end(b);
}
