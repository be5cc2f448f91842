/*
 * view_line.c - the default view: one line per packet, in the shape of `tcpdump -nn`.
 *
 *   12:00:00.000001 IP 127.0.0.1.40000 > 127.0.0.1.7007: Flags [S], seq 0, win 65495,
 *                   options [mss 65495,sackOK,TS val 1 ecr 0,nop,wscale 7], length 0
 *
 * Differences from tcpdump, on purpose (sniffer/README.md lists them all, tcpdump_lines.sh
 * checks the rest line by line): sequence numbers are relative to each side's first
 * SYN from the very first segment (tcpdump shows the SYN's raw value), so a student reads
 * "seq 1:6" as "bytes 1 to 5"; --absolute shows raw values. Application layers are named at
 * the end of the line ("HTTP: GET / HTTP/1.1", "WebSocket: text fin, 5 bytes"); Engine.IO and
 * Socket.IO packets inside them get indented lines of their own below it:
 *
 *   12:00:00.000001 IP 127.0.0.1.52000 > 127.0.0.1.8080: Flags [P.], seq 1:33, ack 1, ...
 *       socket.io EVENT /chat ["message","hi"] ack=12
 */
#include "addr.h"
#include "names.h"
#include "view.h"

#include <inttypes.h>
#include <net/if.h>
#include <string.h>
#include <time.h>

void view_tcp_flags(char buf[16], uint8_t f)
{
    static const char letters[] = "FSRP.UEW"; /* FIN SYN RST PSH ACK URG ECE CWR: bits 0..7 */
    static const int order[] = {0, 1, 2, 3, 4, 5, 6, 7}; /* tcpdump 4.99 prints them in bit order */
    int n = 0;
    for (int i = 0; i < 8; i++)
        if (f & (1 << order[i]))
            buf[n++] = letters[order[i]];
    if (n == 0)
        buf[n++] = 'n', buf[n++] = 'o', buf[n++] = 'n', buf[n++] = 'e';
    buf[n] = '\0';
}

void view_text(char *buf, size_t cap, const dec_packet *pkt, dec_span s)
{
    size_t n = s.len < cap - 1 ? s.len : cap - 1;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = pkt->bytes[s.off + i];
        buf[i] = c >= 0x20 && c < 0x7f ? (char)c : '.';
    }
    buf[n] = '\0';
}

bool view_ts_usec(const view_frame *fr, uint32_t *usec)
{
    uint32_t unit = fr->nano ? 1000000000u : 1000000u;
    *usec = fr->nano ? fr->frac / 1000 : fr->frac;
    return fr->frac < unit;
}

void view_ts_invalid(char *buf, size_t cap, const view_frame *fr)
{
    snprintf(buf, cap, "the %s field holds %" PRIu32 " (above %s)",
             fr->nano ? "nanoseconds" : "microseconds", fr->frac,
             fr->nano ? "999999999" : "999999");
}

/* tcpdump's default time: the local time of day, to the microsecond. */
static void print_time(FILE *out, const view_frame *fr)
{
    static int64_t last;
    static bool have_last;
    static char hms[16];
    uint32_t usec;
    if (!view_ts_usec(fr, &usec)) {
        char why[80];
        view_ts_invalid(why, sizeof why, fr);
        fprintf(out, "[invalid time: %s] ", why);
        return;
    }
    if (!have_last || fr->sec != last) { /* localtime once per second, not once per packet */
        time_t t = (time_t)fr->sec;
        struct tm tm;
        if (localtime_r(&t, &tm) == NULL || strftime(hms, sizeof hms, "%H:%M:%S", &tm) == 0)
            snprintf(hms, sizeof hms, "??:??:??");
        last = fr->sec;
        have_last = true;
    }
    fprintf(out, "%s.%06" PRIu32 " ", hms, usec);
}

static void line_tcp(FILE *out, const view_opts *o, const dec_packet *pkt, const dec_layer *l,
                     const flow_info *fi)
{
    const dec_tcp *t = &l->u.tcp;
    char fl[16];
    bool rel = !o->absolute && fi->f != NULL;
    uint32_t seq = rel ? fi->rel_seq : t->seq,
             ack = rel && fi->rel_ack_known ? fi->rel_ack : t->ack;
    view_tcp_flags(fl, t->flags);
    fprintf(out, "Flags [%s]", fl);
    if (t->payload_len > 0 || (t->flags & (DEC_TH_SYN | DEC_TH_FIN | DEC_TH_RST)))
        fprintf(out, t->payload_len ? ", seq %" PRIu32 ":%" PRIu32 : ", seq %" PRIu32, seq,
                seq + t->payload_len);
    if (t->flags & DEC_TH_ACK)
        fprintf(out, ", ack %" PRIu32, ack);
    fprintf(out, ", win %u", t->window);
    if (t->flags & DEC_TH_URG)
        fprintf(out, ", urg %u", t->urg);
    view_tcp_options(out, pkt, l, rel && fi->rel_ack_known ? t->ack - fi->rel_ack : 0);
    if (!l->opts_cut)
        fprintf(out, ", length %" PRIu32, t->payload_len);
}

/* tcpdump hands ports 80 and 8080 to its HTTP printer, which writes ": HTTP" and the first
 * line when it is a request or status line. */
static bool http_port(const dec_tcp *t)
{
    return t->sport == 80 || t->dport == 80 || t->sport == 8080 || t->dport == 8080;
}

static void line_app(FILE *out, const dec_packet *pkt, const dec_layer *l);

/* What follows a TCP segment's "length N": the application, as tcpdump writes the ones it
 * knows (DNS after a space, HTTP), ours for the rest (WebSocket, the queue protocol). */
static void line_tcp_app(FILE *out, const dec_packet *pkt, int a, const dec_tcp *t)
{
    const dec_layer *app = a < pkt->nlayers ? &pkt->layers[a] : NULL;
    if (app && app->proto == DEC_DNS && !app->truncated && !app->invalid) {
        putc(' ', out); /* no colon: tcpdump writes "length 31 17476+ A? ..." */
        view_dns(out, pkt, &app->u.dns);
    } else if (app && app->proto != DEC_DATA) {
        for (int j = a; j < pkt->nlayers; j++)
            line_app(out, pkt, &pkt->layers[j]);
    } else if (t->payload_len > 0 && http_port(t)) {
        fputs(": HTTP", out);
    }
}

static void line_app(FILE *out, const dec_packet *pkt, const dec_layer *l)
{
    char a[96], b[160], c[32];
    switch (l->proto) {
    case DEC_HTTP:
        view_text(a, sizeof a, pkt, l->u.http.request ? l->u.http.method : l->u.http.version);
        view_text(b, sizeof b, pkt, l->u.http.request ? l->u.http.uri : l->u.http.reason);
        if (l->u.http.request) {
            view_text(c, sizeof c, pkt, l->u.http.version);
            fprintf(out, ": HTTP: %s %s %s", a, b, c);
        } else {
            fprintf(out, ": HTTP: %s %u %s", a, l->u.http.status, b);
        }
        break;
    case DEC_WS:
        if (l->truncated) {
            fputs(" [WebSocket frame header cut at the segment end]", out);
            break;
        }
        fprintf(out, ": WebSocket %s%s%s, %" PRIu64 " bytes",
                names_or(names_ws_opcode, l->u.ws.opcode, "reserved"), l->u.ws.fin ? " fin" : "",
                l->u.ws.masked ? " masked" : "", l->u.ws.payload_len);
        if (l->invalid) /* an RFC 6455 rule the header breaks */
            fprintf(out, " [%s]", l->invalid);
        break;
    case DEC_UDPECHO:
        fprintf(out, ": udp_echo seq %" PRIu32 ", %" PRIu32 " payload bytes", l->u.uecho.seq,
                l->u.uecho.payload_len);
        break;
    case DEC_QUEUE:
        view_text(b, sizeof b, pkt, l->u.queue.line);
        fprintf(out, ": queue \"%s\"%s", b, l->u.queue.nlines > 1 ? " ..." : "");
        break;
    case DEC_RESP:
        fprintf(out, ": RESP %s%s%s", dec_str(pkt, l->u.resp.text),
                l->u.resp.more ? " (goes on)" : "", l->u.resp.values > 1 ? " ..." : "");
        break;
    case DEC_DNS:
        fprintf(out, ": DNS %u%s %s? %s", l->u.dns.id, l->u.dns.qr ? " response" : "",
                names_or(names_dns_type, l->u.dns.qtype, "?"), dec_str(pkt, l->u.dns.qname));
        for (int i = 0; i < l->u.dns.nan; i++)
            fprintf(out, "%s %s %s", i ? "," : " ->",
                    names_or(names_dns_type, l->u.dns.an[i].type, "?"),
                    dec_str(pkt, l->u.dns.an[i].rdata));
        break;
    default:
        break;
    }
}

static void line_icmp(FILE *out, const dec_layer *l)
{
    const dec_icmp *ic = &l->u.icmp;
    const name_entry *tab = l->proto == DEC_ICMP ? names_icmp : names_icmpv6;
    fprintf(out, "%s %s", l->proto == DEC_ICMP ? "ICMP" : "ICMP6", names_or(tab, ic->type, "type"));
    if (!names_lookup(tab, ic->type))
        fprintf(out, " %u code %u", ic->type, ic->code);
    if (ic->echo)
        fprintf(out, ", id %u, seq %u", ic->id, ic->seq);
    fprintf(out, ", length %" PRIu32, l->claimed);
}

static void line_arp(FILE *out, const dec_arp *a, uint32_t wire)
{
    char x[ADDR_STRLEN], y[ADDR_STRLEN];
    if (!a->ipv4 || (a->op != 1 && !a->ipv4_eth)) {
        fprintf(out, "ARP, %s, hardware %u protocol 0x%04x", names_or(names_arp_op, a->op, "op"),
                a->htype, a->ptype);
        return;
    }
    addr_ipv4(x, a->tpa);
    addr_ipv4(y, a->spa);
    if (a->op == 1) /* IPv4 addresses over any hardware */
        fprintf(out, "ARP, Request who-has %s tell %s, length %" PRIu32, x, y, wire);
    else if (a->op == 2)
        addr_mac(x, a->sha), fprintf(out, "ARP, Reply %s is-at %s, length %" PRIu32, y, x, wire);
    else
        fprintf(out, "ARP, %s", names_or(names_arp_op, a->op, "unknown op"));
}

/* "IP 1.2.3.4.80 > 5.6.7.8.40000: " from the IP layer and the ports of the next one. */
/* -v: the IPv4 header's fields, as tcpdump -v writes them: "(tos 0x0, ttl 64, id 4660, offset
 * 0, flags [DF], proto TCP (6), length 60) ". The offset is in bytes; flags [+] is MF (more
 * fragments follow), [none] neither DF nor MF. */
static void line_ip4_fields(FILE *out, const dec_ipv4 *ip)
{
    const char *flags = ip->df && ip->mf ? "DF+" : ip->df ? "DF" : ip->mf ? "+" : "none";
    fprintf(out, "(tos 0x%x, ttl %u, id %u, offset %u, flags [%s], proto %s (%u), length %u) ",
            ip->tos, ip->ttl, ip->id, ip->frag_offset, flags,
            names_or(names_ipproto, ip->protocol, "unknown"), ip->protocol, ip->total_len);
}

static void line_addrs(FILE *out, const dec_layer *ip, const dec_layer *tr, const char *end,
                       bool verbose)
{
    char s[ADDR_STRLEN], d[ADDR_STRLEN];
    bool v4 = ip->proto == DEC_IPV4;
    addr_ip(s, v4 ? ip->u.ip4.src : ip->u.ip6.src, v4 ? 4 : 16);
    addr_ip(d, v4 ? ip->u.ip4.dst : ip->u.ip6.dst, v4 ? 4 : 16);
    fputs(v4 ? "IP " : "IP6 ", out);
    if (verbose && v4)
        line_ip4_fields(out, &ip->u.ip4);
    if (tr && (tr->proto == DEC_TCP || tr->proto == DEC_UDP) && dec_fields_read(tr)) {
        uint16_t sp = tr->proto == DEC_TCP ? tr->u.tcp.sport : tr->u.udp.sport;
        uint16_t dp = tr->proto == DEC_TCP ? tr->u.tcp.dport : tr->u.udp.dport;
        fprintf(out, "%s.%u > %s.%u%s", s, sp, d, dp, end);
    } else {
        fprintf(out, "%s > %s%s", s, d, end);
    }
}

/* "(about IP 10.0.0.1.40000 > 10.0.0.2.33434 UDP)": which packet an ICMP error is about. */
static void line_quoted(FILE *out, const dec_packet *pkt, int i)
{
    const dec_layer *ip = &pkt->layers[i], *tr = i + 1 < pkt->nlayers ? ip + 1 : NULL;
    if (ip->proto != DEC_IPV4 && ip->proto != DEC_IPV6)
        return;
    bool ports = tr && (tr->proto == DEC_TCP || tr->proto == DEC_UDP) && dec_fields_read(tr);
    fputs(" (about ", out);
    line_addrs(out, ip, tr, "", false);
    fputs(!ports ? ")" : tr->proto == DEC_TCP ? " TCP)" : " UDP)", out);
}

/* A UDP datagram: DNS as tcpdump writes it (in place of "UDP, length N"), else the length and
 * whatever application we found in it. */
static void line_udp(FILE *out, const dec_packet *pkt, int u)
{
    const dec_layer *tr = &pkt->layers[u], *app = u + 1 < pkt->nlayers ? tr + 1 : NULL;
    if (app && app->proto == DEC_DNS && !app->truncated && !app->invalid) {
        view_dns(out, pkt, &app->u.dns);
        return;
    }
    fprintf(out, "UDP, length %" PRIu32, tr->u.udp.payload_len);
    if (tr->invalid)
        fprintf(out, " [invalid: %s]", tr->invalid);
    for (int j = u + 1; j < pkt->nlayers; j++)
        line_app(out, pkt, &pkt->layers[j]);
}

static void line_ip(FILE *out, const view_opts *o, const dec_packet *pkt, int i,
                    const flow_info *fi)
{
    const dec_layer *ip = &pkt->layers[i], *tr = i + 1 < pkt->nlayers ? ip + 1 : NULL;
    if (ip->truncated && ip->opts_cut && ip->proto == DEC_IPV4) { /* tcpdump's words */
        fprintf(out, "IP  [remaining caplen(%" PRIu32 ") < header length(%u)] [|ip]", ip->cap,
                ip->u.ip4.hdr_len);
        return;
    }
    if (ip->truncated) {
        fputs(ip->proto == DEC_IPV4 ? "IP [|ip]" : "IP6 [|ip6]", out);
        return;
    }
    if (ip->invalid && ip->hdr == 0) { /* the version is wrong: nothing else was read */
        fprintf(out, "%s [invalid: %s], length %" PRIu32, ip->proto == DEC_IPV4 ? "IP" : "IP6",
                ip->invalid, ip->wire);
        return;
    }
    line_addrs(out, ip, tr, ": ", o->verbose);
    if (tr == NULL) {
        fprintf(out, "%s", ip->truncated ? "[|ip]" : ip->invalid ? ip->invalid : "no payload");
        return;
    }
    if (tr->truncated && tr->proto == DEC_TCP && tr->opts_cut) {
        line_tcp(out, o, pkt, tr, fi);
        return;
    }
    if (tr->truncated && tr->proto != DEC_DATA) {
        fprintf(out, "[|%s]", dec_proto_json(tr->proto));
        return;
    }
    switch (tr->proto) {
    case DEC_TCP:
        line_tcp(out, o, pkt, tr, fi);
        if (tr->invalid)
            fprintf(out, " [invalid: %s]", tr->invalid);
        line_tcp_app(out, pkt, i + 2, &tr->u.tcp);
        if (fi->retransmission)
            fputs(" (retransmission)", out);
        return;
    case DEC_UDP:
        line_udp(out, pkt, i + 1);
        return;
    case DEC_ICMP:
    case DEC_ICMPV6:
        if (view_icmp(out, pkt, i + 1))
            return;
        line_icmp(out, tr);
        if (i + 2 < pkt->nlayers && !pkt->layers[i + 2].truncated) /* an error's quoted packet */
            line_quoted(out, pkt, i + 2);
        return;
    case DEC_DATA: /* a later fragment, or a protocol we do not decode: tcpdump's words */
        fprintf(out, "ip-proto-%u", ip->proto == DEC_IPV4 ? ip->u.ip4.protocol : ip->u.ip6.upper);
        if (!(ip->proto == DEC_IPV4 ? ip->u.ip4.frag_offset : ip->u.ip6.frag_offset))
            fprintf(out, " %" PRIu32, tr->u.data.declared);
        return;
    default:
        return;
    }
}

/* Linux cooked capture v2 names the interface and the direction even without -e, as tcpdump
 * does: "lo    In  ". The name is this machine's for that index (a file from elsewhere may
 * name another interface, or none: "?"). */
static void line_sll2(FILE *out, const dec_sll *h)
{
    static const char *const dir[] = {"In", "B", "M", "P", "Out"}; /* PACKET_HOST ... OUTGOING */
    char name[IF_NAMESIZE];
    char unknown[24];
    if (if_indextoname(h->ifindex, name) == NULL)
        snprintf(name, sizeof name, "?");
    snprintf(unknown, sizeof unknown, "Unknown (%u)", h->pkttype);
    fprintf(out, "%-5s %-3s ", name, h->pkttype < 5 ? dir[h->pkttype] : unknown);
}

/* -e: "02:00:00:00:00:0a > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 42: ", the
 * Ethernet header as tcpdump -e writes it (tcpdump then leaves out the "IP" or "ARP," that
 * starts the rest of the line; we keep it). Nothing for other link types. */
static void line_eth(FILE *out, const dec_packet *pkt)
{
    const dec_layer *l = pkt->nlayers > 0 ? &pkt->layers[0] : NULL;
    if (l == NULL || l->proto != DEC_ETH || !dec_fields_read(l))
        return;
    char s[ADDR_STRLEN], d[ADDR_STRLEN];
    addr_mac(s, l->u.eth.src), addr_mac(d, l->u.eth.dst);
    fprintf(out, "%s > %s, ethertype %s (0x%04x), length %" PRIu32 ": ", s, d,
            names_or(names_ethertype, l->u.eth.type, "Unknown"), l->u.eth.type, pkt->len);
}

void view_line(FILE *out, const view_opts *o, const view_frame *fr, const dec_packet *pkt,
               const flow_info *fi)
{
    print_time(out, fr);
    if (o->link)
        line_eth(out, pkt);
    int i = 0;
    for (; i < pkt->nlayers && pkt->layers[i].osi == 2 && pkt->layers[i].proto != DEC_ARP; i++) {
        const dec_layer *l = &pkt->layers[i];
        /* a VLAN tag is not shown: tcpdump shows link-layer headers only with -e */
        if (l->proto == DEC_SLL2 && !l->truncated)
            line_sll2(out, &l->u.sll);
        if (l->truncated)
            fprintf(out, "[|%s] ", dec_proto_json(l->proto));
    }
    if (i == pkt->nlayers) {
        fprintf(out, "%s, length %" PRIu32 "\n",
                pkt->nlayers ? "no network layer" : "unknown link type", pkt->len);
        return;
    }
    const dec_layer *l = &pkt->layers[i];
    if (l->proto == DEC_ARP && l->truncated)
        fputs("ARP [|arp]", out);
    else if (l->proto == DEC_ARP)
        line_arp(out, &l->u.arp, l->wire);
    else if (l->proto == DEC_IPV4 || l->proto == DEC_IPV6)
        line_ip(out, o, pkt, i, fi);
    else
        fprintf(out, "%s, length %" PRIu32, dec_proto_json(l->proto), l->wire);
    putc('\n', out);
    /* Engine.IO / Socket.IO packets get a line of their own under the packet's line, one per
     * WebSocket frame or polling body: the layer a student is looking for when a page emits. */
    for (int j = i; j < pkt->nlayers; j++)
        if (pkt->layers[j].proto == DEC_SIO)
            fprintf(out, "    %s\n", dec_str(pkt, pkt->layers[j].u.sio.text));
}
