/*
 * view_svg_run.c - `sniffer --svg KIND`: the thin shell between main.c and the pictures.
 *
 *   build/bin/sniffer -r capture.pcap --svg ladder > ladder.svg
 *   build/bin/sniffer -r capture.pcap --svg layers --frame 4 > frame4.svg
 *
 * Each packet is remembered (svg_cap_add) or, for `layers`, drawn at once when it is the frame
 * asked for; at the end the picture is made in memory (view_svg_*.c, pure) and written out in
 * one go. The only I/O of the SVG views is the fwrite at the end.
 */
#include "view_svg.h"

#include <string.h>

svg_kind svg_kind_parse(const char *name)
{
    static const struct {
        const char *name;
        svg_kind kind;
    } kinds[] = {{"ladder", SVG_LADDER},
                 {"tcptrace", SVG_TCPTRACE},
                 {"layers", SVG_LAYERS},
                 {"throughput", SVG_THROUGHPUT}};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (strcmp(name, kinds[i].name) == 0)
            return kinds[i].kind;
    return SVG_NONE;
}

void svg_run_init(svg_run *r, svg_kind kind, uint64_t frame)
{
    memset(r, 0, sizeof *r);
    r->kind = kind;
    r->frame = frame;
    svg_cap_init(&r->cap);
    svg_init(&r->out, SVG_MAX_BYTES);
}

void svg_run_packet(svg_run *r, const view_opts *o, const view_frame *fr, const dec_packet *pkt,
                    const flow_info *fi, const view_msgs *msgs)
{
    if (r->kind != SVG_LAYERS) {
        svg_cap_add(&r->cap, o, fr, pkt, fi, msgs);
        return;
    }
    if (r->drawn || (r->frame && fr->n != r->frame))
        return;
    svg_layers(&r->out, fr, pkt, fi);
    r->drawn = true;
}

int svg_run_finish(svg_run *r, FILE *out, FILE *err)
{
    int rc = 0;
    switch (r->kind) {
    case SVG_LADDER:
        svg_ladder(&r->out, &r->cap);
        break;
    case SVG_TCPTRACE:
        svg_tcptrace(&r->out, &r->cap);
        break;
    case SVG_THROUGHPUT:
        svg_throughput(&r->out, &r->cap);
        break;
    default:
        break;
    }
    if (r->kind == SVG_LAYERS && !r->drawn) {
        fprintf(err,
                "sniffer: --svg layers: no frame %llu in the capture (frames counted "
                "after -f)\n",
                (unsigned long long)r->frame);
        rc = -1;
    } else if (r->out.full) {
        fprintf(err,
                "sniffer: the picture reached its limit of %u MiB and is incomplete (not "
                "written): draw fewer packets with -f or -c\n",
                SVG_MAX_BYTES >> 20);
        rc = -1;
    } else if (fwrite(r->out.p, 1, r->out.len, out) != r->out.len || fflush(out) != 0) {
        fprintf(err, "sniffer: could not write the picture to stdout\n");
        rc = -1;
    }
    if (r->cap.more)
        fprintf(err,
                "sniffer: the picture holds the first %d packets; %llu more were only "
                "counted\n",
                SVG_MAX_PACKETS, (unsigned long long)r->cap.more);
    svg_cap_free(&r->cap);
    svg_free(&r->out);
    return rc;
}
