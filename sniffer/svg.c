/*
 * svg.c - the SVG text writer under every picture (svg.h): a bounded buffer, XML escaping of
 * untrusted text, and numbers written the same way on every machine.
 *
 *   build/bin/sniffer -r capture.pcap --svg ladder > ladder.svg   (view_svg_*.c use this file)
 *
 * Escaping (XML 1.0, section 2.2 "Characters" and 2.4 "Character Data"): in text and in
 * attribute values '<' and '&' must be escaped, '>' after "]]" too, and a quote inside an
 * attribute; we escape all five everywhere, so one function serves both. The characters
 * U+0000-U+001F other than tab, newline and carriage return are not allowed in an XML document
 * at all, not even written as &#1;, so they become '.'. Bytes that do not form well-formed
 * UTF-8 (RFC 3629 section 4: no overlongs, no surrogates, nothing above U+10FFFF) become '?'.
 */
#include "svg.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void svg_init(svg_buf *b, size_t max)
{
    memset(b, 0, sizeof *b);
    b->max = max;
}

void svg_free(svg_buf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

/* Room for n more bytes and a NUL; false (and b->full) when the limit or memory says no. */
static bool reserve(svg_buf *b, size_t n)
{
    if (b->full)
        return false;
    /* both tests: b->len <= b->max always, so b->max - b->len cannot underflow */
    if (n > b->max - b->len) {
        b->full = true;
        return false;
    }
    if (b->len + n + 1 <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + n + 1)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (p == NULL) {
        b->full = true;
        return false;
    }
    b->p = p, b->cap = cap;
    return true;
}

static void put(svg_buf *b, const char *s, size_t n)
{
    if (!reserve(b, n))
        return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void svg_fmt(svg_buf *b, const char *fmt, ...)
{
    char small[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof small) {
        put(b, small, (size_t)n);
        return;
    }
    if (!reserve(b, (size_t)n)) /* longer than our buffer: format straight into b */
        return;
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

/* The length of the well-formed UTF-8 sequence at s (at most n bytes), or 0 if it is not one
 * (RFC 3629 section 4's table of valid byte ranges). */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
    if (c < 0xc2 || c > 0xf4 || n < len) /* 0x80-0xc1: continuation or overlong lead */
        return 0;
    unsigned char lo = 0x80, hi = 0xbf; /* the second byte's range */
    if (c == 0xe0)
        lo = 0xa0; /* overlong three-byte form */
    else if (c == 0xed)
        hi = 0x9f; /* surrogates U+D800-U+DFFF */
    else if (c == 0xf0)
        lo = 0x90; /* overlong four-byte form */
    else if (c == 0xf4)
        hi = 0x8f; /* above U+10FFFF */
    if (s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if (s[i] < 0x80 || s[i] > 0xbf)
            return 0;
    return len;
}

void svg_text(svg_buf *b, const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    if (n == (size_t)-1)
        n = strlen(s);
    for (size_t i = 0; i < n;) {
        unsigned char c = u[i];
        if (c >= 0x80) {
            size_t len = utf8_len(u + i, n - i);
            if (len == 0)
                put(b, "?", 1), i++;
            else
                put(b, s + i, len), i += len;
            continue;
        }
        switch (c) {
        case '&':
            put(b, "&amp;", 5);
            break;
        case '<':
            put(b, "&lt;", 4);
            break;
        case '>':
            put(b, "&gt;", 4);
            break;
        case '"':
            put(b, "&quot;", 6);
            break;
        case '\'':
            put(b, "&apos;", 6);
            break;
        default:
            /* tab, LF and CR are allowed but an SVG label is one line: '.' like the rest */
            put(b, c < 0x20 || c == 0x7f ? "." : s + i, 1);
        }
        i++;
    }
}

const char *svg_num(char buf[SVG_NUM], double v)
{
    if (!isfinite(v))
        v = 0;
    if (v > 1e9)
        v = 1e9;
    if (v < -1e9)
        v = -1e9;
    /* tenths as an integer: no locale, no "-0.0", the same digits everywhere */
    long long t = (long long)(v * 10 + (v < 0 ? -0.5 : 0.5)); /* rounded half away from 0 */
    const char *sign = t < 0 ? "-" : "";
    unsigned long long a = (unsigned long long)(t < 0 ? -t : t);
    if (a % 10)
        snprintf(buf, SVG_NUM, "%s%llu.%llu", sign, a / 10, a % 10);
    else
        snprintf(buf, SVG_NUM, "%s%llu", a ? sign : "", a / 10);
    return buf;
}

/* One style sheet for every picture: the tests and the pages find shapes by class. A rule for
 * a group's class (g.arrow) would be inherited by the text inside it, hence rect.layer. */
static const char style[] =
    "<style>\n"
    "text{font-family:DejaVu Sans Mono,monospace;font-size:12px;fill:#222}\n"
    ".title{font-size:15px;font-weight:bold}\n"
    ".small{font-size:10px;fill:#555}\n"
    ".bg{fill:#fff}\n"
    ".life{stroke:#444;stroke-width:2}\n"
    ".grid{stroke:#ddd;stroke-width:1}\n"
    ".axis{stroke:#222;stroke-width:1}\n"
    ".arrow line{stroke:#1a5fb4;stroke-width:1.5;marker-end:url(#head)}\n"
    ".arrow.retrans line{stroke:#c01c28;stroke-width:2;stroke-dasharray:6 3;"
    "marker-end:url(#headr)}\n"
    ".arrow.retrans text{fill:#c01c28;font-weight:bold}\n"
    ".msg line{stroke:#26a269;stroke-dasharray:2 3;marker-end:url(#headg)}\n"
    ".lost line{stroke:#c01c28;stroke-width:2}.lost text{fill:#c01c28;font-size:10px}\n"
    ".note{fill:#c01c28;font-size:10px}\n"
    ".msg text{fill:#26a269}\n"
    ".phase.handshake{fill:#e8f0fe}.phase.data{fill:#eef8e8}.phase.teardown{fill:#fdeee8}\n"
    ".seg{stroke:#1a5fb4;stroke-width:2}\n"
    ".seg.retrans{stroke:#c01c28;stroke-width:3}\n"
    ".ack{fill:none;stroke:#26a269;stroke-width:1.5}\n"
    ".win{fill:none;stroke:#e5a50a;stroke-width:1.5}\n"
    ".sack{stroke:#9141ac;stroke-width:3}\n"
    ".dgram{fill:#1a5fb4}\n"
    ".gap{stroke:#c01c28;stroke-width:2}\n"
    ".flow{fill:none;stroke-width:2}\n"
    "rect.layer{fill:none;stroke:#444;stroke-width:1.5}\n"
    ".l2{fill:#dbe8fb}.l3{fill:#dcf5dc}.l4{fill:#fbf3d0}.l7{fill:#f5dcf5}.lx{fill:#eee}\n"
    "rect.field{fill:#fff;stroke:#888}\n"
    "</style>\n";

static const char defs[] =
    "<defs>\n"
    "<marker id=\"head\" markerWidth=\"10\" markerHeight=\"8\" refX=\"10\" refY=\"4\" "
    "orient=\"auto\"><path d=\"M0,0 L10,4 L0,8 z\" fill=\"#1a5fb4\"/></marker>\n"
    "<marker id=\"headr\" markerWidth=\"10\" markerHeight=\"8\" refX=\"10\" refY=\"4\" "
    "orient=\"auto\"><path d=\"M0,0 L10,4 L0,8 z\" fill=\"#c01c28\"/></marker>\n"
    "<marker id=\"headg\" markerWidth=\"10\" markerHeight=\"8\" refX=\"10\" refY=\"4\" "
    "orient=\"auto\"><path d=\"M0,0 L10,4 L0,8 z\" fill=\"#26a269\"/></marker>\n"
    "</defs>\n";

void svg_begin(svg_buf *b, double w, double h, const char *title)
{
    char a[SVG_NUM], c[SVG_NUM];
    svg_num(a, w), svg_num(c, h);
    svg_fmt(b,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%s\" height=\"%s\" "
            "viewBox=\"0 0 %s %s\">\n<title>",
            a, c, a, c);
    svg_text(b, title, (size_t)-1);
    svg_fmt(b, "</title>\n%s%s", style, defs);
    svg_fmt(b, "<rect class=\"bg\" x=\"0\" y=\"0\" width=\"%s\" height=\"%s\"/>\n", a, c);
}

void svg_end(svg_buf *b)
{
    svg_fmt(b, "</svg>\n");
}

void svg_line(svg_buf *b, double x1, double y1, double x2, double y2, const char *cls)
{
    char a[SVG_NUM], c[SVG_NUM], d[SVG_NUM], e[SVG_NUM];
    svg_fmt(b, "<line class=\"%s\" x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\"/>\n", cls,
            svg_num(a, x1), svg_num(c, y1), svg_num(d, x2), svg_num(e, y2));
}

void svg_rect(svg_buf *b, double x, double y, double w, double h, const char *cls)
{
    char a[SVG_NUM], c[SVG_NUM], d[SVG_NUM], e[SVG_NUM];
    svg_fmt(b, "<rect class=\"%s\" x=\"%s\" y=\"%s\" width=\"%s\" height=\"%s\"/>\n", cls,
            svg_num(a, x), svg_num(c, y), svg_num(d, w < 0 ? 0 : w), svg_num(e, h < 0 ? 0 : h));
}

void svg_label(svg_buf *b, double x, double y, const char *anchor, const char *cls,
               const char *text)
{
    char a[SVG_NUM], c[SVG_NUM];
    svg_fmt(b, "<text class=\"%s\" x=\"%s\" y=\"%s\" text-anchor=\"%s\">", cls, svg_num(a, x),
            svg_num(c, y), anchor);
    svg_text(b, text, (size_t)-1);
    svg_fmt(b, "</text>\n");
}
