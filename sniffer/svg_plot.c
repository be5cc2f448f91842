/*
 * svg_plot.c - what the SVG graphs share (view_svg.h): mapping data to the page, and axes.
 *
 *   build/bin/sniffer -r capture.pcap --svg tcptrace     (or --svg throughput)
 *
 * SVG's y axis points down; a graph's points up. svg_py turns a value into a y on the page so
 * that y0 sits at the bottom of the plot and y1 at its top. Pure: text into an svg_buf.
 */
#include "view_svg.h"

#include <stdio.h>

double svg_px(const svg_plot *p, double v)
{
    double span = p->x1 > p->x0 ? p->x1 - p->x0 : 1;
    return p->x + (v - p->x0) / span * p->w;
}

double svg_py(const svg_plot *p, double v)
{
    double span = p->y1 > p->y0 ? p->y1 - p->y0 : 1;
    return p->y + p->h - (v - p->y0) / span * p->h;
}

void svg_short(char *buf, size_t cap, double v)
{
    double a = v < 0 ? -v : v;
    if (a >= 1e9)
        snprintf(buf, cap, "%.1f G", v / 1e9);
    else if (a >= 1e6)
        snprintf(buf, cap, "%.1f M", v / 1e6);
    else if (a >= 1e4)
        snprintf(buf, cap, "%.1f k", v / 1e3);
    else if (a >= 10 || v == (double)(long long)v) /* whole numbers without decimals */
        snprintf(buf, cap, "%.0f", v);
    else
        snprintf(buf, cap, "%.3f", v);
}

/* The frame, five ticks on each axis with their values, and the axes' names. */
void svg_axes(svg_buf *b, const svg_plot *p, const char *xname, const char *yname)
{
    char v[32];
    for (int i = 0; i <= 4; i++) {
        double xv = p->x0 + (p->x1 - p->x0) * i / 4, yv = p->y0 + (p->y1 - p->y0) * i / 4;
        double x = svg_px(p, xv), y = svg_py(p, yv);
        svg_line(b, x, p->y, x, p->y + p->h, "grid");
        svg_line(b, p->x, y, p->x + p->w, y, "grid");
        svg_short(v, sizeof v, xv);
        svg_label(b, x, p->y + p->h + 14, "middle", "small", v);
        svg_short(v, sizeof v, yv);
        svg_label(b, p->x - 4, y + 4, "end", "small", v);
    }
    svg_line(b, p->x, p->y + p->h, p->x + p->w, p->y + p->h, "axis");
    svg_line(b, p->x, p->y, p->x, p->y + p->h, "axis");
    svg_label(b, p->x + p->w / 2, p->y + p->h + 30, "middle", "small", xname);
    svg_label(b, p->x - 4, p->y - 8, "start", "small", yname);
}

void svg_measured_page(svg_buf *b, const svg_cap *c, double w, const char *title, svg_draw_fn draw)
{
    svg_buf measure;
    svg_init(&measure, 0);
    double h = draw(&measure, c);
    svg_free(&measure);
    svg_begin(b, w, h, title);
    draw(b, c);
    svg_end(b);
}
