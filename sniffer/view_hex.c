/*
 * view_hex.c - -x: the packet's bytes in hex, 16 per line, each coloured by the layer whose
 * header it belongs to (on a terminal), or with the layers bracketed ("[ipv4 45 00 ...]")
 * when the output is a file or a pipe. Bytes in no header (payload, Ethernet padding) stay
 * plain, so a student sees at a glance how much of a frame is overhead.
 */
#include "view.h"

#include <inttypes.h>

/* ANSI colours per OSI layer: 2 blue, 3 green, 4 yellow, 7 magenta. */
static const char *layer_color(uint8_t osi)
{
    switch (osi) {
    case 2:
        return "\033[34m";
    case 3:
        return "\033[32m";
    case 4:
        return "\033[33m";
    case 7:
        return "\033[35m";
    default:
        return "\033[0m";
    }
}

/* The bracket's name for a layer: --json's name, except for the application headers that
 * --json files under "data" (with a "wirelab" field): here each is named by its protocol, as
 * the layer line of --layers names it. */
static const char *hex_name(dec_proto p)
{
    switch (p) {
    case DEC_UDPECHO:
        return "udp_echo";
    case DEC_QUEUE:
        return "queue";
    default:
        return dec_proto_json(p);
    }
}

/* Which layer's header byte i is in: the innermost that claims it, or -1. */
static int owner(const dec_packet *pkt, uint32_t i)
{
    for (int k = pkt->nlayers - 1; k >= 0; k--) {
        const dec_layer *l = &pkt->layers[k];
        uint32_t span = l->proto == DEC_DATA ? l->cap : l->hdr;
        if (i >= l->off && i - l->off < span)
            return k;
    }
    return -1;
}

static void legend(FILE *out, const view_opts *o, const dec_packet *pkt)
{
    fputs("      bytes by layer:", out);
    for (int k = 0; k < pkt->nlayers; k++) {
        const dec_layer *l = &pkt->layers[k];
        if (o->color)
            fprintf(out, " %s%s\033[0m", layer_color(l->osi), hex_name(l->proto));
        else
            fprintf(out, " [%s", hex_name(l->proto));
        if (!o->color)
            fputs("]", out);
    }
    fputs(o->color ? " plain=payload/padding\n" : " (unbracketed: payload/padding)\n", out);
}

void view_hex(FILE *out, const view_opts *o, const dec_packet *pkt)
{
    int cur = -2;
    legend(out, o, pkt);
    for (uint32_t i = 0; i < pkt->caplen; i++) {
        int k = owner(pkt, i);
        if (i % 16 == 0) {
            if (i > 0) {
                if (!o->color && cur >= 0)
                    putc(']', out);
                fputs(o->color ? "\033[0m\n" : "\n", out);
                cur = -2;
            }
            fprintf(out, "      %04" PRIx32 ": ", i);
        }
        bool first = i % 16 == 0; /* no separator before the first byte of a line */
        if (k != cur) {           /* a new layer starts here: close the old, open the new */
            if (!o->color && cur >= 0)
                putc(']', out);
            if (!first)
                putc(' ', out);
            if (o->color)
                fputs(k >= 0 ? layer_color(pkt->layers[k].osi) : "\033[0m", out);
            else if (k >= 0)
                fprintf(out, "[%s ", hex_name(pkt->layers[k].proto));
            cur = k;
        } else if (!first) {
            putc(' ', out);
        }
        fprintf(out, "%02x", pkt->bytes[i]);
    }
    if (!o->color && cur >= 0)
        putc(']', out);
    fputs(o->color ? "\033[0m\n" : "\n", out);
}
