/*
 * view_layers.c - --layers: each packet as a tree by OSI layer, every field named, its value
 * shown, and a few words saying what it is for.
 *
 *   frame 1: 74 bytes on the wire, 74 captured
 *     2 Data link   Ethernet II (14 bytes of header, 74 captured of 74)
 *         dst            00:00:00:00:00:00              who the frame is for (MAC address)
 *         ...
 *     3 Network     IPv4 (20 bytes of header, claims 60, 60 captured of 60)
 *         ttl            64                             hops left before a router drops it
 *
 *   build/bin/sniffer -r tests/sniffer/pcaps/eth_tcp.pcap --layers
 *
 * Layer numbers are the OSI model's: 2 data link, 3 network, 4 transport, 7 application.
 * ARP is shown at layer 2 and ICMP at layer 3 (README.md says why).
 */
#include "addr.h"
#include "names.h"
#include "view.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <string.h>

static const char *const osi_name[8] = {"",          "", "Data link", "Network",
                                        "Transport", "", "",          "Application"};

/* The view writes a packet's text into this buffer and hands it to stdio in one fwrite at the
 * end of the packet (or when the buffer fills). This view writes about 2 KB a packet in some
 * 100 pieces (name, padding, value, explanation); with an fputs or fwrite each, stdio's
 * per-call cost was a third of its time. Text longer than the buffer is written in pieces,
 * never cut. */
typedef struct outbuf {
    FILE *f;
    size_t n;
    char b[4096];
} outbuf;

static void flush(outbuf *out)
{
    fwrite(out->b, 1, out->n, out->f);
    out->n = 0;
}

/* The buffer cannot take len more bytes: write what it holds. A piece longer than the whole
 * buffer goes straight to stdio (returns false: nothing left to add). */
static bool make_room(outbuf *out, const char *s, size_t len)
{
    flush(out);
    if (len <= sizeof out->b)
        return true;
    fwrite(s, 1, len, out->f);
    return false;
}

/* inline: called ~100 times a packet, mostly with a few bytes of known length */
static inline void add(outbuf *out, const char *s, size_t len)
{
    if (len > sizeof out->b - out->n && !make_room(out, s, len))
        return;
    memcpy(out->b + out->n, s, len);
    out->n += len;
}

static void add_s(outbuf *out, const char *s)
{
    add(out, s, strlen(s));
}

/* v in decimal at the end of d, without a format string (parsing "%u" cost more than the
 * rest); returns its length, the digits start at d + 20 - length. */
static size_t decimal(char d[20], uint64_t v) /* 2^64 - 1 has 20 digits */
{
    size_t n = 0;
    do
        d[20 - 1 - n++] = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    return n;
}

static void add_u(outbuf *out, uint64_t v)
{
    char d[20];
    size_t n = decimal(d, v);
    add(out, d + 20 - n, n);
}

/* str, then spaces up to width (as printf's "%-14s"). */
static void add_left(outbuf *out, const char *str, size_t len, size_t width)
{
    static const char spaces[] = "                                "; /* 32 */
    add(out, str, len);
    if (len < width)
        add(out, spaces, width - len);
}

/* One field: name, value, explanation, in three columns (a long name or value pushes the
 * next column right by one space). */
static void field(outbuf *out, const char *name, const char *value, size_t vlen, const char *expl)
{
    add(out, "      ", 6);
    add_left(out, name, strlen(name), 14);
    add(out, " ", 1);
    add_left(out, value, vlen, 30);
    add(out, " ", 1);
    add_s(out, expl);
    add(out, "\n", 1);
}

/* A field whose value is a printf format (cut at 159 characters). */
static void fld(outbuf *out, const char *name, const char *expl, const char *fmt, ...)
{
    char v[160];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(v, sizeof v, fmt, ap);
    va_end(ap);
    field(out, name, v, n < 0 ? 0 : (size_t)n < sizeof v ? (size_t)n : sizeof v - 1, expl);
}

/* The commonest values need no format string: a string as it is, a plain number. */
static void fld_s(outbuf *out, const char *name, const char *expl, const char *value)
{
    field(out, name, value, strnlen(value, 159), expl);
}

static void fld_u(outbuf *out, const char *name, const char *expl, uint64_t v)
{
    char d[20];
    size_t n = decimal(d, v);
    field(out, name, d + 20 - n, n, expl);
}

/* number, a space, then word (cut so the whole stays within 159 characters) into v; returns
 * the value's length. */
static size_t number_word(char v[160], const char *num, size_t len, const char *word)
{
    memcpy(v, num, len);
    v[len++] = ' ';
    size_t w = strnlen(word, 159 - len);
    memcpy(v + len, word, w);
    return len + w;
}

/* "6 TCP", "20 bytes": a number and the word that says what it is (printf's "%u %s"). */
static void fld_uw(outbuf *out, const char *name, const char *expl, uint64_t n, const char *word)
{
    char d[20], v[160];
    size_t len = decimal(d, n);
    field(out, name, v, number_word(v, d + 20 - len, len, word), expl);
}

/* "0x0800 IPv4", "0x3cb9 ok": a 16-bit field in hexadecimal and its name or verdict (printf's
 * "0x%04x %s"). */
static void fld_xw(outbuf *out, const char *name, const char *expl, uint16_t n, const char *word)
{
    static const char hexdigit[] = "0123456789abcdef";
    char x[6] = "0x", v[160];
    for (int i = 0; i < 4; i++) /* most significant digit first */
        x[2 + i] = hexdigit[(n >> (12 - 4 * i)) & 0xf];
    field(out, name, v, number_word(v, x, sizeof x, word), expl);
}

/* A value too long for the value column ("decoded", HTTP headers): name, then the value. */
static void wide(outbuf *out, const char *name, const char *value)
{
    add(out, "      ", 6);
    add_left(out, name, strlen(name), 14);
    add(out, " ", 1);
    add_s(out, value);
    add(out, "\n", 1);
}

static void l_eth(outbuf *out, const dec_eth *e)
{
    char a[ADDR_STRLEN], b[ADDR_STRLEN];
    addr_mac(a, e->dst), addr_mac(b, e->src);
    fld_s(out, "dst", "who the frame is for (MAC address)", a);
    fld_s(out, "src", "who sent it on this link", b);
    fld_xw(out, "type", "what the payload is (EtherType)", e->type,
           names_or(names_ethertype, e->type, ""));
}

static void l_sll(outbuf *out, const dec_layer *l)
{
    const dec_sll *s = &l->u.sll;
    fld_uw(out, "packet type", "how this host saw it", s->pkttype,
           names_or(names_sll_pkttype, s->pkttype, ""));
    fld_u(out, "link type", "ARPHRD number of the real link", s->hatype);
    if (l->proto == DEC_SLL2)
        fld_u(out, "interface", "index of the interface it was seen on", s->ifindex);
    fld_xw(out, "protocol", "what the payload is (EtherType)", s->protocol,
           names_or(names_ethertype, s->protocol, ""));
}

static void l_arp(outbuf *out, const dec_arp *a)
{
    char x[ADDR_STRLEN];
    fld_uw(out, "operation", "request: who has this IP? reply: I do", a->op,
           names_or(names_arp_op, a->op, ""));
    if (!a->ipv4_eth) {
        fld(out, "hw/proto", "not Ethernet/IPv4: hardware addresses not shown", "%u/0x%04x",
            a->htype, a->ptype);
        if (a->ipv4) {
            addr_ipv4(x, a->spa), fld_s(out, "sender IP", "the asker's (or answerer's) IP", x);
            addr_ipv4(x, a->tpa), fld_s(out, "target IP", "the address being resolved", x);
        }
        return;
    }
    addr_mac(x, a->sha), fld_s(out, "sender MAC", "the asker's (or answerer's) MAC", x);
    addr_ipv4(x, a->spa), fld_s(out, "sender IP", "the asker's (or answerer's) IP", x);
    addr_mac(x, a->tha), fld_s(out, "target MAC", "zero in a request: that is the question", x);
    addr_ipv4(x, a->tpa), fld_s(out, "target IP", "the address being resolved", x);
}

static void l_ipv4(outbuf *out, const dec_ipv4 *ip)
{
    char x[ADDR_STRLEN];
    fld_uw(out, "header len", "IHL x 4; above 20 means options", ip->hdr_len, "bytes");
    fld(out, "tos/dscp", "DSCP (priority, 6 bits) + ECN (2 bits)", "0x%02x", ip->tos);
    fld_u(out, "total len", "header + payload, in bytes", ip->total_len);
    fld_u(out, "id", "identifies the fragments of one datagram", ip->id);
    fld(out, "flags", "DF: do not fragment, MF: more fragments", "%s%s", ip->df ? "DF " : "",
        ip->mf ? "MF" : "");
    fld_uw(out, "frag offset", "where this fragment's bytes go", ip->frag_offset, "bytes");
    fld_u(out, "ttl", "hops left before a router drops it", ip->ttl);
    fld_uw(out, "protocol", "what the payload is", ip->protocol,
           names_or(names_ipproto, ip->protocol, ""));
    fld_xw(out, "checksum", "covers the header only", ip->cksum, dec_cksum_name(ip->ck));
    addr_ipv4(x, ip->src), fld_s(out, "src", "sender's IP address", x);
    addr_ipv4(x, ip->dst), fld_s(out, "dst", "receiver's IP address", x);
    for (int i = 0; i < ip->nopts; i++)
        fld(out, "option", "extra header field", "%s (%u bytes)",
            names_or(names_ip_opt, ip->opts[i].kind, "unknown"), ip->opts[i].len);
}

static void l_ipv6(outbuf *out, const dec_ipv6 *ip)
{
    char x[ADDR_STRLEN];
    fld(out, "traffic class", "DSCP + ECN bits, as IPv4's tos", "0x%02x", ip->tclass);
    fld(out, "flow label", "lets routers keep a flow together", "0x%05" PRIx32, ip->flow);
    fld_u(out, "payload len", "bytes after the 40-byte header", ip->payload_len);
    fld_uw(out, "next header", "first header after this one", ip->first_nh,
           names_or(names_ipproto, ip->first_nh, ""));
    fld_u(out, "hop limit", "hops left (IPv4's TTL)", ip->hop_limit);
    addr_ipv6(x, ip->src), fld_s(out, "src", "sender's IPv6 address", x);
    addr_ipv6(x, ip->dst), fld_s(out, "dst", "receiver's IPv6 address", x);
    for (int i = 0; i < ip->next; i++)
        fld(out, "ext header", "an IPv6 extension header", "%s (%u bytes)",
            names_or(names_ipproto, ip->ext[i].kind, "?"), ip->ext[i].len * 8u);
    if (ip->frag)
        fld(out, "fragment", "offset, more-fragments flag, id", "%u%s id %" PRIu32, ip->frag_offset,
            ip->frag_m ? "+" : "", ip->frag_id);
    fld_uw(out, "upper layer", "the protocol after all extensions", ip->upper,
           names_or(names_ipproto, ip->upper, ""));
}

static void l_icmp(outbuf *out, const dec_layer *l)
{
    const dec_icmp *ic = &l->u.icmp;
    const name_entry *t = l->proto == DEC_ICMP ? names_icmp : names_icmpv6;
    fld_uw(out, "type", "what kind of message", ic->type, names_or(t, ic->type, ""));
    fld_u(out, "code", "detail within the type", ic->code);
    fld_xw(out, "checksum", "covers the whole ICMP message", ic->cksum, dec_cksum_name(ic->ck));
    if (ic->echo) {
        fld_u(out, "identifier", "which ping process", ic->id);
        fld_u(out, "sequence", "which ping of that process", ic->seq);
    }
}

/* The window: how many more bytes, past the ack number, the sender of this segment will accept.
 * With window scaling (RFC 7323) the field counts units of 2^shift bytes, the shift this side
 * offered in its SYN; flows.c says whether the handshake was seen and what it agreed. */
static void tcp_window(outbuf *out, const dec_tcp *t, const flow_info *fi)
{
    if (t->flags & DEC_TH_SYN)
        fld_u(out, "window", "bytes it can receive; a SYN's is never scaled", t->window);
    else if (fi->f && fi->win == FLOW_WIN_SCALED)
        fld(out, "window", "bytes it can still receive (scale from the SYN)",
            "%u x 2^%u = %" PRIu32, t->window, fi->win_shift, (uint32_t)t->window << fi->win_shift);
    else if (fi->f && fi->win == FLOW_WIN_UNSCALED)
        fld_u(out, "window", "bytes it can still receive (no scaling agreed)", t->window);
    else
        fld(out, "window", "bytes = this x 2^scale; handshake not captured",
            "%u x 2^? (scale unknown)", t->window);
}

static void l_tcp(outbuf *out, const view_opts *o, const dec_tcp *t, const flow_info *fi)
{
    char fl[64] = "";
    for (const name_entry *e = names_tcp_flag; e->name; e++)
        if (t->flags & e->value)
            strcat(fl, e->name), strcat(fl, " ");
    bool rel = !o->absolute && fi->f;
    fld_u(out, "src port", "the sending application's port", t->sport);
    fld_u(out, "dst port", "the receiving application's port", t->dport);
    fld_u(out, "seq",
          rel && fi->rel_seq_known ? "first byte's number, from 0 at SYN"
                                   : "first byte's number (raw: SYN not seen)",
          rel ? fi->rel_seq : t->seq);
    if (t->flags & DEC_TH_ACK)
        fld_u(out, "ack", "next byte expected from the peer",
              rel && fi->rel_ack_known ? fi->rel_ack : t->ack);
    fld_uw(out, "header len", "data offset x 4; above 20: options", t->hdr_len, "bytes");
    fld_s(out, "flags", "SYN open, FIN close, ACK, PSH push, RST", fl);
    tcp_window(out, t, fi);
    fld_xw(out, "checksum", "header + payload + IP pseudo-header", t->cksum, dec_cksum_name(t->ck));
    if (t->has_mss)
        fld_u(out, "MSS", "largest segment payload it accepts", t->mss);
    if (t->has_ws)
        fld_u(out, "window scale", "later windows from this side x 2^this", t->wscale);
    if (t->sack_ok)
        fld_s(out, "SACK permitted", "may acknowledge out-of-order blocks", "yes");
    for (int i = 0; i < t->nsack; i++)
        fld(out, "SACK block", "bytes received beyond a gap", "%" PRIu32 "-%" PRIu32, t->sack[i][0],
            t->sack[i][1]);
    if (t->has_ts)
        fld(out, "timestamps", "for RTT measurement and PAWS", "val %" PRIu32 " ecr %" PRIu32,
            t->ts_val, t->ts_ecr);
    fld(out, "payload", "bytes of data in this segment", "%" PRIu32 "%s", t->payload_len,
        fi->retransmission ? " (retransmission)" : "");
}

static void l_udp(outbuf *out, const dec_udp *u)
{
    fld_u(out, "src port", "the sending application's port", u->sport);
    fld_u(out, "dst port", "the receiving application's port", u->dport);
    fld_u(out, "length", "header (8) + data", u->length);
    fld_xw(out, "checksum", "header + data + IP pseudo-header", u->cksum, dec_cksum_name(u->ck));
}

static void l_http(outbuf *out, const dec_packet *pkt, const dec_http *h)
{
    char a[200], b[200];
    if (h->request) {
        view_text(a, sizeof a, pkt, h->method);
        fld_s(out, "method", "what the client asks for", a);
        view_text(a, sizeof a, pkt, h->uri);
        fld_s(out, "target", "which resource (as sent)", a);
    } else {
        fld_u(out, "status", "the server's answer (101: switching)", h->status);
    }
    for (int i = 0; i < h->nhdrs; i++) {
        view_text(a, 40, pkt, h->hname[i]);
        view_text(b, 60, pkt, h->hvalue[i]);
        wide(out, a, b);
    }
    if (h->ws_upgrade)
        fld_s(out, "upgrade", "the connection becomes WebSocket", "websocket");
}

static void l_app(outbuf *out, const dec_packet *pkt, const dec_layer *l)
{
    switch (l->proto) {
    case DEC_HTTP:
        l_http(out, pkt, &l->u.http);
        break;
    case DEC_WS:
        fld(out, "fin", "last frame of a message", "%d", l->u.ws.fin);
        fld_uw(out, "opcode", "text, binary, close, ping, pong", l->u.ws.opcode,
               names_or(names_ws_opcode, l->u.ws.opcode, "reserved"));
        fld(out, "masked", "client-to-server frames are masked", "%d", l->u.ws.masked);
        if (l->u.ws.masked)
            fld(out, "masking key", "payload byte i is XORed with key[i % 4]",
                "%02x %02x %02x %02x", l->u.ws.mask[0], l->u.ws.mask[1], l->u.ws.mask[2],
                l->u.ws.mask[3]);
        fld(out, "payload len", "bytes of this frame's payload", "%" PRIu64 "%s",
            l->u.ws.payload_len, l->u.ws.continues ? " (goes on in the next segment)" : "");
        break;
    case DEC_DNS:
        fld_u(out, "id", "matches the answer to the question", l->u.dns.id);
        fld(out, "question", "name and record type asked", "%s %s", dec_str(pkt, l->u.dns.qname),
            names_or(names_dns_type, l->u.dns.qtype, "?"));
        for (int i = 0; i < l->u.dns.nan; i++)
            fld(out, "answer", "a record in the reply", "%s %s", dec_str(pkt, l->u.dns.an[i].name),
                dec_str(pkt, l->u.dns.an[i].rdata));
        break;
    case DEC_UDPECHO:
        fld_u(out, "sequence", "numbers datagrams: gaps are losses", l->u.uecho.seq);
        fld_u(out, "total", "how many the sender means to send", l->u.uecho.total);
        fld_u(out, "send time", "sender's clock, ns since 1970", l->u.uecho.send_ns);
        fld_u(out, "payload len", "bytes after this 24-byte header", l->u.uecho.payload_len);
        break;
    case DEC_QUEUE: {
        char a[200];
        view_text(a, sizeof a, pkt, l->u.queue.line);
        fld_s(out, "line", "a command or reply of queue_broker", a);
        break;
    }
    case DEC_RESP:
        fld_u(out, "values", "whole RESP values in this segment", l->u.resp.values);
        fld_u(out, "size", "bytes of the first (0: goes on later)", l->u.resp.size);
        wide(out, "decoded", dec_str(pkt, l->u.resp.text));
        break;
    case DEC_SIO:
        fld_u(out, "packets", "Engine.IO packets (polling joins them by 0x1e)", l->u.sio.records);
        /* the description can be long: its own line, not the 30-character value column */
        wide(out, "decoded", dec_str(pkt, l->u.sio.text));
        break;
    case DEC_DATA:
        fld_u(out, "length", "bytes nobody here decodes", l->u.data.declared);
        break;
    default:
        break;
    }
}

const char *view_proto_name(dec_proto p)
{
    static const char *const n[DEC_NPROTO] = {"Ethernet II",
                                              "Linux cooked (SLL)",
                                              "Linux cooked v2 (SLL2)",
                                              "BSD loopback",
                                              "802.1Q VLAN",
                                              "ARP",
                                              "IPv4",
                                              "IPv6",
                                              "ICMP",
                                              "ICMPv6",
                                              "TCP",
                                              "UDP",
                                              "HTTP",
                                              "WebSocket frame",
                                              "DNS",
                                              "Wirelab udp_echo",
                                              "Wirelab queue",
                                              "Socket.IO",
                                              "RESP (Redis)",
                                              "Data"};
    return n[p];
}

static void layer_fields(outbuf *out, const view_opts *o, const dec_packet *pkt, const dec_layer *l,
                         const flow_info *fi)
{
    switch (l->proto) {
    case DEC_ETH:
        l_eth(out, &l->u.eth);
        break;
    case DEC_SLL:
    case DEC_SLL2:
        l_sll(out, l);
        break;
    case DEC_NULL:
        fld_uw(out, "family", "address family of the payload", l->u.null.family,
               names_or(names_af, l->u.null.family, ""));
        break;
    case DEC_VLAN:
        fld_u(out, "vlan id", "which virtual LAN", l->u.vlan.id);
        fld_u(out, "priority", "802.1p class of service", l->u.vlan.pcp);
        fld(out, "type", "what the payload is (EtherType)", "0x%04x", l->u.vlan.type);
        break;
    case DEC_ARP:
        l_arp(out, &l->u.arp);
        break;
    case DEC_IPV4:
        l_ipv4(out, &l->u.ip4);
        break;
    case DEC_IPV6:
        l_ipv6(out, &l->u.ip6);
        break;
    case DEC_ICMP:
    case DEC_ICMPV6:
        l_icmp(out, l);
        break;
    case DEC_TCP:
        l_tcp(out, o, &l->u.tcp, fi);
        break;
    case DEC_UDP:
        l_udp(out, &l->u.udp);
        break;
    default:
        l_app(out, pkt, l);
        break;
    }
}

/* "  4 Transport   TCP (32 bytes of header, 32 captured of 32)": the layer's line. */
static void layer_head(outbuf *out, const dec_layer *l)
{
    add_s(out, "  ");
    add_u(out, l->osi);
    add_s(out, " ");
    add_left(out, osi_name[l->osi], strlen(osi_name[l->osi]), 11);
    add_s(out, " ");
    add_s(out, view_proto_name(l->proto));
    add_s(out, " (");
    add_u(out, l->hdr);
    add_s(out, " bytes of header");
    if (l->claimed) {
        add_s(out, ", claims ");
        add_u(out, l->claimed);
    }
    add_s(out, ", ");
    add_u(out, l->cap);
    add_s(out, " captured of ");
    add_u(out, l->wire);
    add_s(out, ")\n");
}

void view_layers(FILE *f, const view_opts *o, const view_frame *fr, const dec_packet *pkt,
                 const flow_info *fi)
{
    outbuf buf, *out = &buf;
    buf.f = f, buf.n = 0; /* no initialiser: it would zero the 4 KB first */
    add_s(out, "frame ");
    add_u(out, fr->n);
    add_s(out, ": ");
    add_u(out, pkt->len);
    add_s(out, " bytes on the wire, ");
    add_u(out, pkt->caplen);
    add_s(out, " captured\n");
    for (int i = 0; i < pkt->nlayers; i++) {
        const dec_layer *l = &pkt->layers[i];
        layer_head(out, l);
        if (l->opts_cut)
            add_s(out, "      TRUNCATED     the capture ends inside this header's options (the "
                       "fixed part below is whole)\n");
        else if (l->truncated)
            add_s(out, "      TRUNCATED     the capture ends inside this header\n");
        if (l->proto == DEC_DATA && l->u.data.fragment)
            add_s(out, "      FRAGMENT      the rest of this payload is in later IP fragments\n");
        if (l->invalid) {
            add_s(out, "      INVALID       ");
            add_s(out, l->invalid);
            add_s(out, "\n");
        }
        if (dec_fields_read(l))
            layer_fields(out, o, pkt, l, fi);
    }
    if (pkt->more_layers)
        add_s(out, "  ... more layers than the decoder keeps\n");
    flush(out);
}
