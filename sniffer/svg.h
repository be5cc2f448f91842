/*
 * svg.h - writing SVG text into a buffer: the one place that turns numbers and words into
 * markup, so every picture (view_svg_*.c) escapes the same way.
 *
 * What it teaches: an SVG file is XML, and a label in it is text taken from the packets, which
 * anyone on the network chose. A payload that says `</text><script>` must come out as those
 * characters, not as markup: every label goes through svg_text, which writes & < > " ' as
 * entities, control characters (which XML 1.0 forbids even as entities) as '.', and bytes that
 * are not well-formed UTF-8 as '?', so a parser never rejects the file.
 *
 * Interface:
 *   svg_init(b, max) / svg_free(b)    a growing buffer that stops (b->full) at max bytes
 *   svg_fmt(b, fmt, ...)              trusted markup (the format is ours; %s only for our words)
 *   svg_text(b, s, n)                 untrusted text, escaped
 *   svg_num(buf, v)                   a coordinate: "12.5", "-3", never "nan" or "1e+20"
 *   svg_begin / svg_end               the <svg> element with its style sheet
 *   svg_line, svg_rect, svg_label     the shapes the pictures use (class= picks the style)
 * Pure: no I/O; the caller writes b->p (b->len bytes) where it likes.
 */
#ifndef WIRELAB_SVG_H
#define WIRELAB_SVG_H

#include <stdbool.h>
#include <stddef.h>

#define SVG_MAX_BYTES (32u << 20) /* a picture stops growing here (b->full says it did) */

typedef struct svg_buf {
    char *p;         /* NUL-terminated text, or NULL before the first write */
    size_t len, cap; /* bytes written, bytes allocated */
    size_t max;      /* the limit: nothing is written past it */
    bool full;       /* the limit (or memory) stopped a write: the picture is incomplete */
} svg_buf;

void svg_init(svg_buf *b, size_t max);
void svg_free(svg_buf *b);
void svg_fmt(svg_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* n bytes of s (or up to its NUL when n is (size_t)-1), escaped for XML text or attributes. */
void svg_text(svg_buf *b, const char *s, size_t n);

/* v with at most one decimal, no exponent; NaN and infinities (a bug upstream) become 0 and
 * huge values are clamped, so a broken scale never makes an unreadable file. */
#define SVG_NUM 32
const char *svg_num(char buf[SVG_NUM], double v);

/* <svg width height viewBox> with the shared style sheet and arrowheads; title is escaped. */
void svg_begin(svg_buf *b, double w, double h, const char *title);
void svg_end(svg_buf *b);
void svg_line(svg_buf *b, double x1, double y1, double x2, double y2, const char *cls);
void svg_rect(svg_buf *b, double x, double y, double w, double h, const char *cls);
/* A <text> at (x, y); anchor is "start", "middle" or "end"; text is escaped. */
void svg_label(svg_buf *b, double x, double y, const char *anchor, const char *cls,
               const char *text);

#endif
