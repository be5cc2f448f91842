/*
 * view_svg_layers.c - `--svg layers --frame N`: one packet's layers as nested boxes.
 *
 *   build/bin/sniffer -r lab8.pcap --svg layers --frame 4 > layers.svg
 *
 * Encapsulation, drawn: the frame is the outer box; inside it the link layer's header, and
 * inside that box the network layer's, and so on, each layer holding everything after its own
 * header. Every header field is a row with the byte offsets it occupies in the frame (counted
 * from 0, as `-x` prints them), its name, and its value read from those very bytes (a number
 * big-endian, the Internet's byte order: RFC 791 appendix B). A field the capture
 * did not keep is left out, never read past the captured length.
 * Field layouts: Ethernet II (IEEE 802.3 clause 3), 802.1Q, Linux cooked SLL/SLL2, ARP (RFC
 * 826), IPv4 (RFC 791 3.1), IPv6 (RFC 8200 3), ICMP (RFC 792), TCP (RFC 9293 3.1), UDP
 * (RFC 768), a WebSocket frame header (RFC 6455 5.2), DNS's header (RFC 1035 4.1.1) and
 * Wirelab's udp_sender header (dec_wirelab.c); other layers show their header as one field.
 * For tests: <g class="layer" data-proto="tcp" data-off="34" data-hdr="32"> per layer and
 * <g class="field" data-name="seq" data-off="38" data-len="4"> per field.
 * Pure: text into an svg_buf.
 */
#include "addr.h"
#include "view_svg.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define W       1000.0
#define TITLE   26.0 /* a box's title line */
#define FIELD   20.0 /* one field */
#define INDENT  16.0 /* each inner box sits this far in */
#define MAX_FLD 24

typedef enum fkind { F_NUM, F_HEX, F_MAC, F_IP4, F_IP6, F_TEXT } fkind;
typedef struct field {
    const char *name;
    uint32_t off, len; /* from the layer's start */
    fkind kind;
} field;

static const field f_eth[] = {{"dst", 0, 6, F_MAC}, {"src", 6, 6, F_MAC}, {"type", 12, 2, F_HEX}};
static const field f_vlan[] = {{"priority, DEI, VLAN id", 0, 2, F_HEX}, {"type", 2, 2, F_HEX}};
static const field f_sll[] = {{"packet type", 0, 2, F_NUM},
                              {"link type", 2, 2, F_NUM},
                              {"address length", 4, 2, F_NUM},
                              {"address", 6, 8, F_HEX},
                              {"protocol", 14, 2, F_HEX}};
static const field f_sll2[] = {{"protocol", 0, 2, F_HEX},        {"reserved", 2, 2, F_HEX},
                               {"interface index", 4, 4, F_NUM}, {"link type", 8, 2, F_NUM},
                               {"packet type", 10, 1, F_NUM},    {"address length", 11, 1, F_NUM},
                               {"address", 12, 8, F_HEX}};
static const field f_null[] = {{"address family", 0, 4, F_HEX}};
static const field f_arp[] = {
    {"hardware type", 0, 2, F_NUM}, {"protocol type", 2, 2, F_HEX}, {"hardware size", 4, 1, F_NUM},
    {"protocol size", 5, 1, F_NUM}, {"operation", 6, 2, F_NUM},     {"sender MAC", 8, 6, F_MAC},
    {"sender IP", 14, 4, F_IP4},    {"target MAC", 18, 6, F_MAC},   {"target IP", 24, 4, F_IP4}};
static const field f_ipv4[] = {{"version, header length", 0, 1, F_HEX},
                               {"DSCP, ECN (tos)", 1, 1, F_HEX},
                               {"total length", 2, 2, F_NUM},
                               {"identification", 4, 2, F_NUM},
                               {"flags, fragment offset", 6, 2, F_HEX},
                               {"ttl", 8, 1, F_NUM},
                               {"protocol", 9, 1, F_NUM},
                               {"checksum", 10, 2, F_HEX},
                               {"src", 12, 4, F_IP4},
                               {"dst", 16, 4, F_IP4}};
static const field f_ipv6[] = {{"version, class, flow label", 0, 4, F_HEX},
                               {"payload length", 4, 2, F_NUM},
                               {"next header", 6, 1, F_NUM},
                               {"hop limit", 7, 1, F_NUM},
                               {"src", 8, 16, F_IP6},
                               {"dst", 24, 16, F_IP6}};
static const field f_icmp[] = {{"type", 0, 1, F_NUM},
                               {"code", 1, 1, F_NUM},
                               {"checksum", 2, 2, F_HEX},
                               {"rest of header", 4, 4, F_HEX}};
static const field f_tcp[] = {{"src port", 0, 2, F_NUM},
                              {"dst port", 2, 2, F_NUM},
                              {"seq (raw)", 4, 4, F_NUM},
                              {"ack (raw)", 8, 4, F_NUM},
                              {"data offset, flags", 12, 2, F_HEX},
                              {"window", 14, 2, F_NUM},
                              {"checksum", 16, 2, F_HEX},
                              {"urgent pointer", 18, 2, F_NUM}};
static const field f_udp[] = {{"src port", 0, 2, F_NUM},
                              {"dst port", 2, 2, F_NUM},
                              {"length", 4, 2, F_NUM},
                              {"checksum", 6, 2, F_HEX}};
static const field f_uecho[] = {{"magic", 0, 4, F_TEXT},
                                {"sequence", 4, 4, F_NUM},
                                {"send time (ns)", 8, 8, F_NUM},
                                {"total", 16, 4, F_NUM},
                                {"payload length", 20, 4, F_NUM}};
static const field f_dns[] = {{"id", 0, 2, F_NUM},        {"flags", 2, 2, F_HEX},
                              {"questions", 4, 2, F_NUM}, {"answers", 6, 2, F_NUM},
                              {"authority", 8, 2, F_NUM}, {"additional", 10, 2, F_NUM}};

#define TABLE(t) t, sizeof t / sizeof t[0]

/* The fields of a layer's header, its fixed part from a table and what varies after it
 * (options, extension headers, a WebSocket frame's length and key). */
static unsigned fields_of(const dec_layer *l, field *out)
{
    const field *t = NULL;
    size_t n = 0, fixed = 0;
    unsigned k = 0;
    switch (l->proto) {
    case DEC_ETH:
        t = f_eth, n = 3;
        break;
    case DEC_VLAN:
        t = f_vlan, n = 2;
        break;
    case DEC_SLL:
        t = f_sll, n = 5;
        break;
    case DEC_SLL2:
        t = f_sll2, n = 7;
        break;
    case DEC_NULL:
        t = f_null, n = 1;
        break;
    case DEC_ARP:
        t = f_arp, n = l->u.arp.ipv4_eth ? 9 : 5;
        break;
    case DEC_IPV4:
        t = f_ipv4, n = 10, fixed = 20;
        break;
    case DEC_IPV6:
        t = f_ipv6, n = 6, fixed = 40;
        break;
    case DEC_ICMP:
    case DEC_ICMPV6:
        t = f_icmp, n = 4;
        break;
    case DEC_TCP:
        t = f_tcp, n = 8, fixed = 20;
        break;
    case DEC_UDP:
        t = f_udp, n = 4;
        break;
    case DEC_UDPECHO:
        t = f_uecho, n = 5;
        break;
    case DEC_DNS:
        if (l->u.dns.tcp) /* over TCP a 2-byte length comes first (RFC 1035 4.2.2) */
            out[k++] = (field){"message length", 0, 2, F_NUM};
        for (size_t i = 0; i < 6; i++, k++)
            out[k] = f_dns[i], out[k].off += l->u.dns.tcp ? 2 : 0;
        return k;
    case DEC_WS: {
        const dec_ws *w = &l->u.ws;
        out[k++] = (field){"FIN, RSV, opcode", 0, 1, F_HEX};
        out[k++] = (field){"MASK, payload length", 1, 1, F_HEX};
        uint32_t ext = w->payload_len > 65535 ? 8 : w->payload_len > 125 ? 2 : 0;
        if (ext)
            out[k++] = (field){"extended payload length", 2, ext, F_NUM};
        if (w->masked)
            out[k++] = (field){"masking key", 2 + ext, 4, F_HEX};
        return k;
    }
    default:
        if (l->hdr)
            out[k++] = (field){"header", 0, l->hdr, F_TEXT};
        return k;
    }
    for (size_t i = 0; i < n; i++)
        out[k++] = t[i];
    if (fixed && l->hdr > fixed)
        out[k++] = (field){l->proto == DEC_IPV6 ? "extension headers" : "options", (uint32_t)fixed,
                           l->hdr - (uint32_t)fixed, F_HEX};
    return k;
}

/* The value of the field at [off, off + len) of the frame, read from the captured bytes. */
static void value(char *buf, size_t cap, const dec_packet *pkt, uint32_t off, uint32_t len,
                  fkind kind)
{
    const uint8_t *p = pkt->bytes + off;
    switch (kind) {
    case F_NUM: {
        uint64_t v = 0;
        for (uint32_t i = 0; i < len && i < 8; i++)
            v = v << 8 | p[i];
        snprintf(buf, cap, "%" PRIu64, v);
        return;
    }
    case F_MAC:
        addr_mac(buf, p);
        return;
    case F_IP4:
        addr_ip(buf, p, 4);
        return;
    case F_IP6:
        addr_ip(buf, p, 16);
        return;
    case F_TEXT:
        view_text(buf, cap < 48 ? cap : 48, pkt, (dec_span){off, len});
        return;
    case F_HEX: {
        size_t n = (size_t)snprintf(buf, cap, "0x");
        for (uint32_t i = 0; i < len && i < 12 && n + 3 < cap; i++)
            n += (size_t)snprintf(buf + n, cap - n, "%02x", p[i]);
        if (len > 12 && n + 4 < cap)
            snprintf(buf + n, cap - n, "...");
        return;
    }
    }
}

/* The fields this layer's captured header holds (a field cut by the capture is left out). */
static unsigned kept_fields(const dec_packet *pkt, const dec_layer *l, field *f)
{
    unsigned n = dec_fields_read(l) ? fields_of(l, f) : 0, k = 0;
    uint32_t end = l->off + (l->hdr < l->cap ? l->hdr : l->cap);
    for (unsigned i = 0; i < n; i++)
        /* both tests, in this order: off + len cannot wrap once off <= end */
        if (l->off + f[i].off <= end && f[i].len <= end - (l->off + f[i].off) &&
            l->off + f[i].off + f[i].len <= pkt->caplen)
            f[k++] = f[i];
    return k;
}

static double layer_height(const dec_packet *pkt, int i)
{
    field f[MAX_FLD];
    if (i >= pkt->nlayers)
        return FIELD + 6; /* the payload's row */
    return TITLE + kept_fields(pkt, &pkt->layers[i], f) * FIELD + 8 + layer_height(pkt, i + 1);
}

static void field_row(svg_buf *b, const dec_packet *pkt, const dec_layer *l, const field *f,
                      double x, double y)
{
    char v[96], where[48];
    uint32_t off = l->off + f->off;
    value(v, sizeof v, pkt, off, f->len, f->kind);
    svg_fmt(b, "<g class=\"field\" data-name=\"");
    svg_text(b, f->name, (size_t)-1);
    svg_fmt(b, "\" data-off=\"%" PRIu32 "\" data-len=\"%" PRIu32 "\">\n", off, f->len);
    svg_rect(b, x, y, 110, FIELD - 3, "field");
    if (f->len == 1)
        snprintf(where, sizeof where, "%" PRIu32, off);
    else
        snprintf(where, sizeof where, "%" PRIu32 "-%" PRIu32, off, off + f->len - 1);
    svg_label(b, x + 55, y + 13, "middle", "small", where);
    svg_label(b, x + 120, y + 13, "start", "", f->name);
    svg_label(b, x + 360, y + 13, "start", "", v);
    svg_fmt(b, "</g>\n");
}

static const char *const osi_name[8] = {"",          "", "Data link", "Network",
                                        "Transport", "", "",          "Application"};

static void layer_box(svg_buf *b, const dec_packet *pkt, int i, double x, double y)
{
    if (i >= pkt->nlayers) { /* what no layer claimed as header: the payload */
        const dec_layer *last = &pkt->layers[pkt->nlayers - 1];
        uint32_t start = last->off + last->hdr;
        char text[120] = "no payload after the headers";
        if (pkt->caplen > start)
            snprintf(text, sizeof text,
                     "payload: bytes %" PRIu32 "-%" PRIu32 " (%" PRIu32 " bytes captured)", start,
                     pkt->caplen - 1, pkt->caplen - start);
        svg_label(b, x + 6, y + 14, "start", "small", text);
        return;
    }
    const dec_layer *l = &pkt->layers[i];
    field f[MAX_FLD];
    unsigned n = kept_fields(pkt, l, f);
    char title[200];
    int osi = l->osi < 8 ? l->osi : 0;
    snprintf(title, sizeof title,
             "%d %s: %s, bytes %" PRIu32 "-%" PRIu32 " (%" PRIu32 " of header)%s%s", l->osi,
             osi_name[osi], view_proto_name(l->proto), l->off, l->off + (l->cap ? l->cap - 1 : 0),
             l->hdr, l->truncated ? ", truncated" : "", l->invalid ? ", invalid" : "");
    static const char *const cls[8] = {"lx", "lx", "l2", "l3", "l4", "lx", "lx", "l7"};
    svg_fmt(b,
            "<g class=\"layer\" data-proto=\"%s\" data-off=\"%" PRIu32 "\" data-hdr=\"%" PRIu32
            "\">\n",
            dec_proto_json(l->proto), l->off, l->hdr);
    svg_rect(b, x, y, W - 2 * x, layer_height(pkt, i), cls[osi]); /* inside the outer box */
    svg_rect(b, x, y, W - 2 * x, layer_height(pkt, i), "layer");
    svg_label(b, x + 8, y + 17, "start", "", title);
    for (unsigned k = 0; k < n; k++)
        field_row(b, pkt, l, &f[k], x + 8, y + TITLE + k * FIELD);
    svg_fmt(b, "</g>\n");
    layer_box(b, pkt, i + 1, x + INDENT, y + TITLE + n * FIELD + 4);
}

void svg_layers(svg_buf *b, const view_frame *fr, const dec_packet *pkt, const flow_info *fi)
{
    (void)fi;
    double h = pkt->nlayers ? layer_height(pkt, 0) : FIELD;
    char title[160];
    svg_begin(b, W, h + 50, "sniffer --svg layers");
    snprintf(title, sizeof title,
             "frame %" PRIu64 ": %" PRIu32 " bytes on the wire, %" PRIu32 " captured", fr->n,
             pkt->len, pkt->caplen);
    svg_label(b, 10, 22, "start", "title", title);
    if (pkt->nlayers)
        layer_box(b, pkt, 0, 10, 36);
    else
        svg_label(b, 10, 50, "start", "", "no layer the decoder knows (link type unknown)");
    svg_end(b);
}
