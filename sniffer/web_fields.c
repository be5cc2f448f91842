/*
 * web_fields.c - a decoded packet as a tree of fields, each with the bytes it came from, for
 * the page of `sniffer --web` (click a field: its bytes light up in the hex dump).
 *
 * What it teaches: a header is a fixed layout. The decoder read each field at a known place
 * (RFC 791 for IPv4, RFC 9293 for TCP, RFC 768 for UDP, RFC 6455 5.2 for a WebSocket frame
 * ...); this file says where, so the page can show "TTL: 64" as the one byte at offset 22.
 * Offsets are from the start of the frame; fields the capture did not reach are left out, and
 * so is every field of a layer whose header was cut (dec_fields_read).
 *
 *   [{"proto":"tcp","name":"TCP","osi":4,"off":34,"len":32,
 *     "fields":[["Source port","51234",34,2],["Destination port","7007",36,2],...]},...]
 *
 * Run: `sniffer --web -r FILE`, select a packet; tests/sniffer/web_page.js checks the bytes.
 */
#include "web.h"

#include "addr.h"
#include "names.h"
#include "view.h"

#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

typedef struct fout {
    FILE *out;
    const dec_packet *pkt;
    bool first;
} fout;

/* One field: name, value (printf), at frame offset off, len bytes. Left out when the capture
 * does not hold all of it (off + len > caplen, written so it cannot overflow). */
static void fld(fout *f, const char *name, uint32_t off, uint32_t len, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static void fld(fout *f, const char *name, uint32_t off, uint32_t len, const char *fmt, ...)
{
    char val[256];
    if (off > f->pkt->caplen || len > f->pkt->caplen - off)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(val, sizeof val, fmt, ap);
    va_end(ap);
    fprintf(f->out, "%s[", f->first ? "" : ",");
    view_json_str(f->out, name, strlen(name));
    putc(',', f->out);
    view_json_str(f->out, val, strlen(val));
    fprintf(f->out, ",%" PRIu32 ",%" PRIu32 "]", off, len);
    f->first = false;
}

static void f_eth(fout *f, uint32_t o, const dec_eth *e)
{
    char a[ADDR_STRLEN];
    addr_mac(a, e->dst);
    fld(f, "Destination MAC", o, 6, "%s", a);
    addr_mac(a, e->src);
    fld(f, "Source MAC", o + 6, 6, "%s", a);
    fld(f, "EtherType", o + 12, 2, "0x%04x (%s)", e->type, names_or(names_ethertype, e->type, "?"));
}

static void f_sll(fout *f, const dec_layer *l)
{
    uint32_t o = l->off;
    const dec_sll *s = &l->u.sll;
    if (l->proto == DEC_SLL) { /* 16 bytes: type, ARPHRD, address length, address, protocol */
        fld(f, "Packet type", o, 2, "%u", s->pkttype);
        fld(f, "Link-layer address type", o + 2, 2, "%u", s->hatype);
        fld(f, "Address length", o + 4, 2, "%u", s->halen);
        fld(f, "Address", o + 6, 8, "(%u bytes used)", s->halen > 8 ? 8 : s->halen);
        fld(f, "Protocol", o + 14, 2, "0x%04x", s->protocol);
    } else { /* SLL2, 20 bytes: protocol, reserved, ifindex, ARPHRD, type, length, address */
        fld(f, "Protocol", o, 2, "0x%04x", s->protocol);
        fld(f, "Interface index", o + 4, 4, "%" PRIu32, s->ifindex);
        fld(f, "Link-layer address type", o + 8, 2, "%u", s->hatype);
        fld(f, "Packet type", o + 10, 1, "%u", s->pkttype);
        fld(f, "Address length", o + 11, 1, "%u", s->halen);
        fld(f, "Address", o + 12, 8, "(%u bytes used)", s->halen > 8 ? 8 : s->halen);
    }
}

static void f_arp(fout *f, uint32_t o, const dec_arp *a)
{
    char s[ADDR_STRLEN];
    fld(f, "Hardware type", o, 2, "%u", a->htype);
    fld(f, "Protocol type", o + 2, 2, "0x%04x", a->ptype);
    fld(f, "Hardware address length", o + 4, 1, "%u", a->hlen);
    fld(f, "Protocol address length", o + 5, 1, "%u", a->plen);
    fld(f, "Operation", o + 6, 2, "%u (%s)", a->op, names_or(names_arp_op, a->op, "?"));
    if (!a->ipv4_eth)
        return;
    addr_mac(s, a->sha);
    fld(f, "Sender MAC", o + 8, 6, "%s", s);
    addr_ipv4(s, a->spa);
    fld(f, "Sender IP", o + 14, 4, "%s", s);
    addr_mac(s, a->tha);
    fld(f, "Target MAC", o + 18, 6, "%s", s);
    addr_ipv4(s, a->tpa);
    fld(f, "Target IP", o + 24, 4, "%s", s);
}

/* RFC 791 3.1. */
static void f_ipv4(fout *f, uint32_t o, const dec_ipv4 *ip)
{
    char s[ADDR_STRLEN];
    fld(f, "Version and header length", o, 1, "4, %u bytes", ip->hdr_len);
    fld(f, "Type of service", o + 1, 1, "0x%02x", ip->tos);
    fld(f, "Total length", o + 2, 2, "%u", ip->total_len);
    fld(f, "Identification", o + 4, 2, "%u", ip->id);
    fld(f, "Flags and fragment offset", o + 6, 2, "%s%soffset %u", ip->df ? "DF, " : "",
        ip->mf ? "MF, " : "", ip->frag_offset);
    fld(f, "Time to live", o + 8, 1, "%u", ip->ttl);
    fld(f, "Protocol", o + 9, 1, "%u (%s)", ip->protocol,
        names_or(names_ipproto, ip->protocol, "?"));
    fld(f, "Header checksum", o + 10, 2, "0x%04x (%s)", ip->cksum, dec_cksum_name(ip->ck));
    addr_ipv4(s, ip->src);
    fld(f, "Source address", o + 12, 4, "%s", s);
    addr_ipv4(s, ip->dst);
    fld(f, "Destination address", o + 16, 4, "%s", s);
    for (unsigned i = 0; i < ip->nopts; i++)
        fld(f, "Option", ip->opts[i].off, ip->opts[i].len ? ip->opts[i].len : 1, "kind %u (%s)",
            ip->opts[i].kind, names_or(names_ip_opt, ip->opts[i].kind, "?"));
}

/* RFC 8200 3. */
static void f_ipv6(fout *f, uint32_t o, const dec_ipv6 *ip)
{
    char s[ADDR_STRLEN];
    fld(f, "Version, traffic class, flow label", o, 4, "6, 0x%02x, 0x%05" PRIx32, ip->tclass,
        ip->flow);
    fld(f, "Payload length", o + 4, 2, "%u", ip->payload_len);
    fld(f, "Next header", o + 6, 1, "%u", ip->first_nh);
    fld(f, "Hop limit", o + 7, 1, "%u", ip->hop_limit);
    addr_ipv6(s, ip->src);
    fld(f, "Source address", o + 8, 16, "%s", s);
    addr_ipv6(s, ip->dst);
    fld(f, "Destination address", o + 24, 16, "%s", s);
    if (ip->ext_len)
        fld(f, "Extension headers", o + 40, ip->ext_len, "%u, then %u", ip->next, ip->upper);
}

static void f_icmp(fout *f, uint32_t o, const dec_icmp *c)
{
    fld(f, "Type", o, 1, "%u", c->type);
    fld(f, "Code", o + 1, 1, "%u", c->code);
    fld(f, "Checksum", o + 2, 2, "0x%04x (%s)", c->cksum, dec_cksum_name(c->ck));
    if (c->echo) {
        fld(f, "Identifier", o + 4, 2, "%u", c->id);
        fld(f, "Sequence number", o + 6, 2, "%u", c->seq);
    } else {
        fld(f, "Rest of header", o + 4, 4, "0x%08" PRIx32, c->rest);
    }
}

/* RFC 9293 3.1. */
static void f_tcp(fout *f, uint32_t o, const dec_tcp *t)
{
    char fl[16];
    view_tcp_flags(fl, t->flags);
    fld(f, "Source port", o, 2, "%u", t->sport);
    fld(f, "Destination port", o + 2, 2, "%u", t->dport);
    fld(f, "Sequence number", o + 4, 4, "%" PRIu32, t->seq);
    fld(f, "Acknowledgment number", o + 8, 4, "%" PRIu32, t->ack);
    fld(f, "Data offset and flags", o + 12, 2, "%u bytes, [%s]", t->hdr_len, fl);
    fld(f, "Window", o + 14, 2, "%u", t->window);
    fld(f, "Checksum", o + 16, 2, "0x%04x (%s)", t->cksum, dec_cksum_name(t->ck));
    fld(f, "Urgent pointer", o + 18, 2, "%u", t->urg);
    for (unsigned i = 0; i < t->nopts; i++)
        fld(f, "Option", t->opts[i].off, t->opts[i].len ? t->opts[i].len : 1, "kind %u (%s)",
            t->opts[i].kind, names_or(names_tcp_opt, t->opts[i].kind, "?"));
}

/* RFC 768. */
static void f_udp(fout *f, uint32_t o, const dec_udp *u)
{
    fld(f, "Source port", o, 2, "%u", u->sport);
    fld(f, "Destination port", o + 2, 2, "%u", u->dport);
    fld(f, "Length", o + 4, 2, "%u", u->length);
    fld(f, "Checksum", o + 6, 2, "0x%04x (%s)", u->cksum, dec_cksum_name(u->ck));
}

static void f_span(fout *f, const char *name, dec_span s)
{
    char text[200];
    if (s.len == 0)
        return;
    view_text(text, sizeof text, f->pkt, s);
    fld(f, name, s.off, s.len, "%s", text);
}

static void f_http(fout *f, const dec_http *h)
{
    if (h->request) {
        f_span(f, "Method", h->method);
        f_span(f, "Target", h->uri);
        f_span(f, "Version", h->version);
    } else {
        f_span(f, "Version", h->version);
        f_span(f, "Reason", h->reason);
    }
    for (unsigned i = 0; i < h->nhdrs; i++) {
        char name[64];
        view_text(name, sizeof name, f->pkt, h->hname[i]);
        dec_span whole = {h->hname[i].off, 0};
        if (h->hvalue[i].off + h->hvalue[i].len >= whole.off)
            whole.len = h->hvalue[i].off + h->hvalue[i].len - whole.off;
        char value[200];
        view_text(value, sizeof value, f->pkt, h->hvalue[i]);
        fld(f, name, whole.off, whole.len, "%s", value);
    }
}

/* RFC 6455 5.2: byte 0 FIN, RSV, opcode; byte 1 MASK and the 7-bit length; then the 16- or
 * 64-bit length, then the masking key. A header begun in the previous segment is not here. */
static void f_ws(fout *f, uint32_t o, const dec_ws *w)
{
    if (w->joined)
        return;
    unsigned key = w->masked ? 4 : 0;
    unsigned ext = w->hdr_len >= 2 + key ? w->hdr_len - 2 - key : 0;
    fld(f, "FIN, RSV, opcode", o, 1, "FIN=%u RSV=%u opcode=0x%x (%s)", w->fin, w->rsv, w->opcode,
        names_or(names_ws_opcode, w->opcode, "reserved"));
    fld(f, "MASK and length", o + 1, 1, "MASK=%u len=%" PRIu64 "%s", w->masked, w->payload_len,
        ext ? " (longer length follows)" : "");
    if (ext)
        fld(f, "Extended payload length", o + 2, ext, "%" PRIu64, w->payload_len);
    if (key)
        fld(f, "Masking key", o + 2 + ext, 4, "%02x%02x%02x%02x", w->mask[0], w->mask[1],
            w->mask[2], w->mask[3]);
    if (w->payload_cap)
        fld(f, "Payload", o + w->hdr_len, w->payload_cap, "%" PRIu32 " bytes%s", w->payload_cap,
            w->masked ? " (masked)" : "");
}

/* RFC 1035 4.1.1 (after the 2-byte length over TCP, 4.2.2). */
static void f_dns(fout *f, uint32_t o, const dec_dns *d)
{
    if (d->tcp)
        fld(f, "Length", o, 2, "%" PRIu32, d->msg_len), o += 2;
    fld(f, "ID", o, 2, "0x%04x", d->id);
    fld(f, "Flags", o + 2, 2, "0x%04x (%s)", d->flags, d->qr ? "response" : "query");
    fld(f, "Questions", o + 4, 2, "%u", d->qdcount);
    fld(f, "Answers", o + 6, 2, "%u", d->ancount);
    fld(f, "Authority records", o + 8, 2, "%u", d->nscount);
    fld(f, "Additional records", o + 10, 2, "%u", d->arcount);
    if (d->nq && d->used > 12)
        fld(f, "Sections", o + 12, d->used - 12, "%s", dec_str(f->pkt, d->qname));
}

/* udp_echo/dgram.h: Wirelab's own 24-byte header. */
static void f_uecho(fout *f, uint32_t o, const dec_udpecho *u)
{
    fld(f, "Magic", o, 4, "WLU1");
    fld(f, "Sequence number", o + 4, 4, "%" PRIu32, u->seq);
    fld(f, "Send time (ns)", o + 8, 8, "%" PRIu64, u->send_ns);
    fld(f, "Total", o + 16, 4, "%" PRIu32, u->total);
    fld(f, "Payload length", o + 20, 4, "%" PRIu32, u->payload_len);
}

static void f_layer(fout *f, const dec_layer *l)
{
    switch (l->proto) {
    case DEC_ETH:
        f_eth(f, l->off, &l->u.eth);
        break;
    case DEC_SLL:
    case DEC_SLL2:
        f_sll(f, l);
        break;
    case DEC_NULL:
        fld(f, "Address family", l->off, 4, "%" PRIu32, l->u.null.family);
        break;
    case DEC_VLAN:
        fld(f, "Priority, DEI, VLAN id", l->off, 2, "%u, %u, %u", l->u.vlan.pcp, l->u.vlan.dei,
            l->u.vlan.id);
        fld(f, "EtherType", l->off + 2, 2, "0x%04x", l->u.vlan.type);
        break;
    case DEC_ARP:
        f_arp(f, l->off, &l->u.arp);
        break;
    case DEC_IPV4:
        f_ipv4(f, l->off, &l->u.ip4);
        break;
    case DEC_IPV6:
        f_ipv6(f, l->off, &l->u.ip6);
        break;
    case DEC_ICMP:
    case DEC_ICMPV6:
        f_icmp(f, l->off, &l->u.icmp);
        break;
    case DEC_TCP:
        f_tcp(f, l->off, &l->u.tcp);
        break;
    case DEC_UDP:
        f_udp(f, l->off, &l->u.udp);
        break;
    case DEC_HTTP:
        f_http(f, &l->u.http);
        break;
    case DEC_WS:
        f_ws(f, l->off, &l->u.ws);
        break;
    case DEC_DNS:
        f_dns(f, l->off, &l->u.dns);
        break;
    case DEC_UDPECHO:
        f_uecho(f, l->off, &l->u.uecho);
        break;
    case DEC_QUEUE:
        f_span(f, "Line", l->u.queue.line);
        break;
    case DEC_RESP:
        fld(f, "Value", l->off, l->cap, "%s", dec_str(f->pkt, l->u.resp.text));
        break;
    case DEC_SIO:
        fld(f, "Packets", l->off, l->cap, "%s", dec_str(f->pkt, l->u.sio.text));
        break;
    default:
        fld(f, "Bytes", l->off, l->cap, "%" PRIu32 " bytes", l->cap);
        break;
    }
}

const char *web_proto_name(dec_proto p)
{
    return p == DEC_UDPECHO ? "udp_echo" : p == DEC_QUEUE ? "queue" : dec_proto_json(p);
}

void web_fields_json(FILE *out, const dec_packet *pkt)
{
    putc('[', out);
    for (int i = 0; i < pkt->nlayers; i++) {
        const dec_layer *l = &pkt->layers[i];
        fprintf(out,
                "%s{\"proto\":\"%s\",\"osi\":%u,\"off\":%" PRIu32 ",\"hdr\":%" PRIu32
                ",\"len\":%" PRIu32,
                i ? "," : "", web_proto_name(l->proto), l->osi, l->off, l->hdr, l->cap);
        if (l->truncated)
            fputs(",\"truncated\":true", out);
        if (l->invalid) {
            fputs(",\"invalid\":", out);
            view_json_str(out, l->invalid, strlen(l->invalid));
        }
        fputs(",\"fields\":[", out);
        fout f = {out, pkt, true};
        /* An invalid header with no bytes taken (IP version not 4, say): its zero fields
         * were never read from anywhere, so they point at no bytes. */
        if (dec_fields_read(l) && !(l->invalid && l->hdr == 0))
            f_layer(&f, l);
        fputs("]}", out);
    }
    putc(']', out);
}
