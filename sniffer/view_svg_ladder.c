/*
 * view_svg_ladder.c - `--svg ladder`: the sequence diagram of each conversation, as a picture.
 *
 *   build/bin/sniffer -r lab1.pcap --svg ladder > ladder.svg     (open it in a browser)
 *
 * The same diagram as --ladder (view_ladder.c), drawn: the client's lifeline on the left, the
 * server's on the right, time going down, one arrow per packet labelled with the words the
 * terminal ladder writes (view_ladder_label: flags, seq, ack, len, RETRANS). A TCP
 * conversation's rows are shaded by phase (handshake blue, data green, teardown red); a
 * retransmission is a dashed red arrow; the application message a segment carries or completes
 * (a Socket.IO packet, a message TCP reassembly put together) is a dotted green arrow under it.
 * Rows are evenly spaced, not proportional to time: the time is written at the left of each.
 *
 * For scripts and tests, each packet's arrow is <g class="arrow" data-frame="N" data-conv="C"
 * data-dir="D"> (class "arrow retrans" for a retransmission), each message <g class="msg">.
 * Pure: text into an svg_buf.
 */
#include "flows.h"
#include "view_svg.h"

#include <inttypes.h>
#include <stdio.h>

#define W        1000.0 /* the page's width */
#define LEFT     230.0  /* the client's lifeline */
#define RIGHT    830.0  /* the server's lifeline */
#define ROW      34.0   /* one arrow */
#define MSG_ROW  20.0   /* a message under it */
#define HEAD     70.0   /* a conversation's title and host names */
#define MAX_ROWS 5000   /* arrows drawn; the rest are counted under the picture */

static const char *const phase_class[] = {"", "phase handshake", "phase data", "phase teardown"};
static const char *const phase_word[] = {"", "handshake", "data", "teardown"};

static double row_height(const svg_pkt *p)
{
    return ROW + (p->msg[0] ? MSG_ROW : 0);
}

static void arrow(svg_buf *b, const svg_pkt *p, double y)
{
    char num[48];
    double from = p->dir == 0 ? LEFT : RIGHT, to = p->dir == 0 ? RIGHT : LEFT;
    svg_fmt(b,
            "<g class=\"arrow%s\" data-frame=\"%" PRIu64 "\" data-conv=\"%" PRIu64
            "\" data-dir=\"%d\">\n",
            p->retrans ? " retrans" : "", p->frame, p->conv, p->dir);
    svg_line(b, from, y, to, y, "");
    svg_label(b, (LEFT + RIGHT) / 2, y - 5, "middle", "label", p->label);
    svg_fmt(b, "</g>\n");
    snprintf(num, sizeof num, "%" PRIu64, p->frame);
    svg_label(b, 10, y + 4, "start", "small", num);
    snprintf(num, sizeof num, "%.6f", p->t);
    svg_label(b, 60, y + 4, "start", "small", num);
    if (!p->msg[0])
        return;
    /* the message, a little inset so it reads as riding on the segment above */
    double my = y + MSG_ROW - 2;
    svg_fmt(b, "<g class=\"msg\" data-frame=\"%" PRIu64 "\">\n", p->frame);
    svg_line(b, from + (p->dir == 0 ? 20 : -20), my, to + (p->dir == 0 ? -20 : 20), my, "");
    svg_label(b, (LEFT + RIGHT) / 2, my - 4, "middle", "small", p->msg);
    svg_fmt(b, "</g>\n");
}

/* The shaded bands behind a TCP conversation's rows, one per run of the same phase. */
static void phases(svg_buf *b, const svg_cap *c, const svg_conv *v, double y, unsigned *rows)
{
    double start = y;
    int cur = -1;
    unsigned n = *rows;
    for (size_t i = 0; i < c->n && n < MAX_ROWS; i++) {
        const svg_pkt *p = &c->pkts[i];
        if (p->conv != v->conv)
            continue;
        if (p->phase != cur) {
            if (cur > 0)
                svg_rect(b, LEFT - 60, start - ROW + 8, RIGHT - LEFT + 120, y - start,
                         phase_class[cur]);
            if (p->phase > 0 && p->phase < 4)
                svg_label(b, RIGHT + 65, y - 8, "start", "small", phase_word[p->phase]);
            cur = p->phase < 4 ? p->phase : 0, start = y;
        }
        y += row_height(p), n++;
    }
    if (cur > 0)
        svg_rect(b, LEFT - 60, start - ROW + 8, RIGHT - LEFT + 120, y - start, phase_class[cur]);
}

/* One conversation: title, lifelines, phase bands, arrows. Returns the y below it. */
static double conversation(svg_buf *b, const svg_cap *c, const svg_conv *v, double y,
                           unsigned *rows)
{
    char title[200];
    snprintf(title, sizeof title, "conversation %" PRIu64 " (%s)", v->conv,
             v->proto == 6 ? "TCP" : "UDP");
    svg_label(b, 10, y + 20, "start", "title", title);
    svg_label(b, LEFT, y + 45, "middle", "", "client");
    svg_label(b, LEFT, y + 60, "middle", "small", v->client);
    svg_label(b, RIGHT, y + 45, "middle", "", "server");
    svg_label(b, RIGHT, y + 60, "middle", "small", v->server);
    y += HEAD + ROW;
    double top = y - ROW + 4, end = y;
    unsigned n = *rows;
    for (size_t i = 0; i < c->n && n < MAX_ROWS; i++)
        if (c->pkts[i].conv == v->conv)
            end += row_height(&c->pkts[i]), n++;
    if (v->proto == 6)
        phases(b, c, v, y, rows);
    svg_line(b, LEFT, top, LEFT, end - ROW + 10, "life");
    svg_line(b, RIGHT, top, RIGHT, end - ROW + 10, "life");
    for (size_t i = 0; i < c->n && *rows < MAX_ROWS; i++) {
        const svg_pkt *p = &c->pkts[i];
        if (p->conv != v->conv)
            continue;
        arrow(b, p, y);
        y += row_height(p), (*rows)++;
    }
    return y;
}

/* Everything drawn from y on; returns the page's height. With a buffer that takes nothing
 * (max 0) it only measures. */
static double draw(svg_buf *b, const svg_cap *c)
{
    double y = 0;
    unsigned rows = 0;
    uint64_t other = 0;
    for (unsigned i = 0; i < c->nconvs; i++)
        y = conversation(b, c, &c->convs[i], y, &rows) + 10;
    for (size_t i = 0; i < c->n; i++)
        other += c->pkts[i].conv == 0;
    /* in a conversation but not drawn: past MAX_ROWS, or in one past SVG_MAX_CONVS */
    uint64_t undrawn = c->more + (c->n - other - rows);
    char note[160];
    if (other) {
        snprintf(note, sizeof note,
                 "%" PRIu64 " packets in no TCP or UDP conversation (ARP, ICMP, ...) not drawn",
                 other);
        svg_label(b, 10, y += 20, "start", "small", note);
    }
    if (undrawn) {
        snprintf(note, sizeof note,
                 "%" PRIu64 " more packets not drawn (a picture draws %d arrows and %d "
                 "conversations): narrow it with -f or -c",
                 undrawn, MAX_ROWS, SVG_MAX_CONVS);
        svg_label(b, 10, y += 20, "start", "small", note);
    }
    if (c->nconvs == 0)
        svg_label(b, 10, y += 20, "start", "small", "no TCP or UDP conversation in the capture");
    return y + 20;
}

void svg_ladder(svg_buf *b, const svg_cap *c)
{
    svg_buf measure;
    svg_init(&measure, 0);
    double h = draw(&measure, c);
    svg_free(&measure);
    svg_begin(b, W, h, "sniffer --svg ladder");
    draw(b, c);
    svg_end(b);
}
