/*
 * view_json.c - --json: one JSON object per packet (JSON Lines), the sniffer's stable contract.
 *
 *   {"n":1,"ts":1700000000.000001,"caplen":74,"len":74,"layers":[
 *     {"layer":2,"proto":"eth","src":"00:00:00:00:00:00","dst":"...","type":2048},
 *     {"layer":3,"proto":"ipv4",...},{"layer":4,"proto":"tcp",...}]}
 *
 * Field names are an interface: graders and scripts read them. Fields may be added, none
 * renamed (README.md lists them). A truncated layer carries "truncated":true and only the
 * fields that were read in full; an invalid one carries "invalid":"why". A websocket or http
 * layer carrying Engine.IO / Socket.IO packets has "socketio":"socket.io EVENT / [...]".
 */
#include "addr.h"
#include "names.h"
#include "view.h"

#include <inttypes.h>
#include <string.h>

/* A JSON string from raw bytes: quotes, backslashes, control and non-ASCII bytes escaped, so
 * whatever the packet holds, the line stays valid JSON. */
static void jstr(FILE *out, const uint8_t *p, size_t n)
{
    putc('"', out);
    for (size_t i = 0; i < n; i++) {
        uint8_t c = p[i];
        if (c == '"' || c == '\\')
            putc('\\', out), putc(c, out);
        else if (c < 0x20 || c >= 0x7f)
            fprintf(out, "\\u%04x", c);
        else
            putc(c, out);
    }
    putc('"', out);
}

static void jkey_str(FILE *out, const char *k, const char *v)
{
    fprintf(out, ",\"%s\":", k);
    jstr(out, (const uint8_t *)v, strlen(v));
}

static void jkey_span(FILE *out, const char *k, const dec_packet *pkt, dec_span s)
{
    fprintf(out, ",\"%s\":", k);
    jstr(out, pkt->bytes + s.off, s.len);
}

static void jkey_bool(FILE *out, const char *k, bool v)
{
    fprintf(out, ",\"%s\":%s", k, v ? "true" : "false");
}

static void jkey_ip(FILE *out, const char *k, const uint8_t *a, int len)
{
    char buf[ADDR_STRLEN];
    addr_ip(buf, a, len);
    fprintf(out, ",\"%s\":\"%s\"", k, buf);
}

static void j_eth(FILE *out, const dec_eth *e)
{
    char s[ADDR_STRLEN], d[ADDR_STRLEN];
    addr_mac(s, e->src);
    addr_mac(d, e->dst);
    fprintf(out, ",\"src\":\"%s\",\"dst\":\"%s\",\"type\":%u", s, d, e->type);
}

static void j_arp(FILE *out, const dec_arp *a)
{
    fprintf(out, ",\"op\":%u,\"htype\":%u,\"hlen\":%u", a->op, a->htype, a->hlen);
    if (a->ipv4) {
        jkey_ip(out, "sender_ip", a->spa, 4);
        jkey_ip(out, "target_ip", a->tpa, 4);
    }
    if (a->ipv4_eth) {
        char sm[ADDR_STRLEN], tm[ADDR_STRLEN];
        addr_mac(sm, a->sha);
        addr_mac(tm, a->tha);
        fprintf(out, ",\"sender_mac\":\"%s\",\"target_mac\":\"%s\"", sm, tm);
    }
}

static void j_ipv4(FILE *out, const dec_ipv4 *ip)
{
    jkey_ip(out, "src", ip->src, 4);
    jkey_ip(out, "dst", ip->dst, 4);
    fprintf(out, ",\"ttl\":%u,\"id\":%u,\"protocol\":%u,\"total_len\":%u,\"hdr_len\":%u", ip->ttl,
            ip->id, ip->protocol, ip->total_len, ip->hdr_len);
    jkey_bool(out, "df", ip->df);
    jkey_bool(out, "mf", ip->mf);
    fprintf(out, ",\"frag_offset\":%u,\"checksum\":\"%s\"", ip->frag_offset,
            dec_cksum_name(ip->ck));
    if (ip->len_from_frame)
        fputs(",\"len_from_frame\":true", out);
}

static void j_ipv6(FILE *out, const dec_ipv6 *ip)
{
    jkey_ip(out, "src", ip->src, 16);
    jkey_ip(out, "dst", ip->dst, 16);
    fprintf(out, ",\"hop_limit\":%u,\"payload_len\":%u,\"next_header\":%u", ip->hop_limit,
            ip->payload_len, ip->upper);
    if (ip->frag)
        fprintf(out, ",\"frag_offset\":%u,\"mf\":%s", ip->frag_offset,
                ip->frag_m ? "true" : "false");
    if (ip->len_from_frame)
        fputs(",\"len_from_frame\":true", out);
}

static void j_tcp(FILE *out, const dec_tcp *t)
{
    fprintf(out, ",\"sport\":%u,\"dport\":%u,\"seq\":%" PRIu32 ",\"ack\":%" PRIu32 ",\"flags\":[",
            t->sport, t->dport, t->seq, t->ack);
    const char *sep = "";
    for (const name_entry *e = names_tcp_flag; e->name; e++)
        if (t->flags & e->value)
            fprintf(out, "%s\"%s\"", sep, e->name), sep = ",";
    fprintf(out, "],\"window\":%u,\"hdr_len\":%u,\"payload_len\":%" PRIu32 ",\"checksum\":\"%s\"",
            t->window, t->hdr_len, t->payload_len, dec_cksum_name(t->ck));
    if (t->has_mss)
        fprintf(out, ",\"mss\":%u", t->mss);
    if (t->has_ws)
        fprintf(out, ",\"wscale\":%u", t->wscale);
    if (t->sack_ok)
        fputs(",\"sack_perm\":true", out);
    if (t->has_ts)
        fprintf(out, ",\"ts_val\":%" PRIu32 ",\"ts_ecr\":%" PRIu32, t->ts_val, t->ts_ecr);
}

static void j_dns(FILE *out, const dec_packet *pkt, const dec_dns *d)
{
    fprintf(out, ",\"id\":%u,\"qr\":%s,\"rcode\":%u,\"qdcount\":%u,\"ancount\":%u", d->id,
            d->qr ? "true" : "false", d->rcode, d->qdcount, d->ancount);
    fprintf(out, ",\"nscount\":%u,\"arcount\":%u", d->nscount, d->arcount);
    if (d->tcp)
        fputs(",\"tcp\":true", out);
    if (d->nq > 0) {
        jkey_str(out, "qname", dec_str(pkt, d->qname));
        fprintf(out, ",\"qtype\":%u", d->qtype);
    }
    fputs(",\"answers\":[", out);
    for (int i = 0; i < d->nan; i++) {
        fprintf(out, "%s{\"name\":", i ? "," : "");
        const char *nm = dec_str(pkt, d->an[i].name), *rd = dec_str(pkt, d->an[i].rdata);
        jstr(out, (const uint8_t *)nm, strlen(nm));
        fprintf(out, ",\"type\":%u,\"ttl\":%" PRIu32 ",\"data\":", d->an[i].type, d->an[i].ttl);
        jstr(out, (const uint8_t *)rd, strlen(rd));
        putc('}', out);
    }
    putc(']', out);
}

static void j_app(FILE *out, const dec_packet *pkt, const dec_layer *l)
{
    switch (l->proto) {
    case DEC_HTTP:
        if (l->u.http.request) {
            jkey_span(out, "method", pkt, l->u.http.method);
            jkey_span(out, "uri", pkt, l->u.http.uri);
        } else {
            fprintf(out, ",\"status\":%u", l->u.http.status);
        }
        if (l->u.http.ws_upgrade)
            fputs(",\"upgrade\":\"websocket\"", out);
        break;
    case DEC_WS:
        fprintf(out, ",\"fin\":%s,\"opcode\":%u,\"masked\":%s,\"payload_len\":%" PRIu64,
                l->u.ws.fin ? "true" : "false", l->u.ws.opcode, l->u.ws.masked ? "true" : "false",
                l->u.ws.payload_len);
        break;
    case DEC_DNS:
        j_dns(out, pkt, &l->u.dns);
        break;
    case DEC_UDPECHO:
        fprintf(out,
                ",\"wirelab\":\"udp_echo\",\"seq\":%" PRIu32 ",\"total\":%" PRIu32
                ",\"send_ns\":%" PRIu64 ",\"payload_len\":%" PRIu32,
                l->u.uecho.seq, l->u.uecho.total, l->u.uecho.send_ns, l->u.uecho.payload_len);
        break;
    case DEC_QUEUE:
        fputs(",\"wirelab\":\"queue\"", out);
        jkey_span(out, "verb", pkt, l->u.queue.verb);
        jkey_span(out, "line", pkt, l->u.queue.line);
        break;
    case DEC_RESP:
        fprintf(out, ",\"type\":\"%c\",\"values\":%u,\"size\":%" PRIu32, l->u.resp.type,
                l->u.resp.values, l->u.resp.size);
        jkey_str(out, "summary", dec_str(pkt, l->u.resp.text));
        if (l->u.resp.more)
            fputs(",\"more\":true", out);
        break;
    case DEC_DATA:
        fprintf(out, ",\"len\":%" PRIu32, l->u.data.declared);
        if (l->u.data.fragment)
            fputs(",\"fragment\":true", out);
        break;
    default:
        break;
    }
}

/* Fields of a layer. A truncated layer with a fixed header shows none: they were not read;
 * one cut inside its options shows its fixed header and "options_truncated". */
static void j_fields(FILE *out, const dec_packet *pkt, const dec_layer *l)
{
    if (!dec_fields_read(l))
        return;
    if (l->opts_cut)
        fputs(",\"options_truncated\":true", out);
    switch (l->proto) {
    case DEC_ETH:
        j_eth(out, &l->u.eth);
        break;
    case DEC_SLL:
    case DEC_SLL2:
        fprintf(out, ",\"type\":%u,\"pkttype\":%u,\"version\":%d", l->u.sll.protocol,
                l->u.sll.pkttype, l->proto == DEC_SLL2 ? 2 : 1);
        break;
    case DEC_NULL:
        fprintf(out, ",\"family\":%" PRIu32, l->u.null.family);
        break;
    case DEC_VLAN:
        fprintf(out, ",\"id\":%u,\"type\":%u,\"pcp\":%u", l->u.vlan.id, l->u.vlan.type,
                l->u.vlan.pcp);
        break;
    case DEC_ARP:
        j_arp(out, &l->u.arp);
        break;
    case DEC_IPV4:
        j_ipv4(out, &l->u.ip4);
        break;
    case DEC_IPV6:
        j_ipv6(out, &l->u.ip6);
        break;
    case DEC_ICMP:
    case DEC_ICMPV6:
        fprintf(out, ",\"type\":%u,\"code\":%u,\"checksum\":\"%s\"", l->u.icmp.type, l->u.icmp.code,
                dec_cksum_name(l->u.icmp.ck));
        if (l->u.icmp.echo)
            fprintf(out, ",\"echo_id\":%u,\"echo_seq\":%u", l->u.icmp.id, l->u.icmp.seq);
        break;
    case DEC_TCP:
        j_tcp(out, &l->u.tcp);
        break;
    case DEC_UDP:
        fprintf(out,
                ",\"sport\":%u,\"dport\":%u,\"length\":%u,\"payload_len\":%" PRIu32
                ",\"checksum\":\"%s\"",
                l->u.udp.sport, l->u.udp.dport, l->u.udp.length, l->u.udp.payload_len,
                dec_cksum_name(l->u.udp.ck));
        break;
    default:
        j_app(out, pkt, l);
        break;
    }
}

/* "ts": seconds with 6 decimals (9 for a nanosecond file); null and "ts_invalid" with the
 * reason when the fraction is out of range, so the line stays valid JSON. */
static void j_time(FILE *out, const view_frame *fr)
{
    uint32_t usec;
    if (!view_ts_usec(fr, &usec)) {
        char why[80];
        view_ts_invalid(why, sizeof why, fr);
        fputs(",\"ts\":null", out);
        jkey_str(out, "ts_invalid", why);
    } else if (fr->nano) {
        fprintf(out, ",\"ts\":%" PRId64 ".%09" PRIu32, fr->sec, fr->frac);
    } else {
        fprintf(out, ",\"ts\":%" PRId64 ".%06" PRIu32, fr->sec, usec);
    }
}

/* The messages reassembly completed at this frame: "messages":[{...}] (README.md). */
static void j_msgs(FILE *out, const view_msgs *v)
{
    static const char *kind[] = {"http", "websocket", "queue", "resp", "cut", "stopped"};
    fputs(",\"messages\":[", out);
    for (unsigned i = 0; i < v->n; i++) {
        const smsg *m = &v->m[i];
        fprintf(out, "%s{\"conv\":%" PRIu64 ",\"dir\":\"%s\",\"kind\":\"%s\"", i ? "," : "",
                v->conv[i], m->dir == 0 ? "c>s" : "s>c", kind[m->kind]);
        jkey_str(out, "summary", m->summary);
        if (m->text[0])
            jkey_str(out, "socketio", m->text);
        fprintf(out,
                ",\"bytes\":%" PRIu64 ",\"body\":%" PRIu64 ",\"parts\":%" PRIu32
                ",\"missing\":%" PRIu64 ",\"frames_total\":%" PRIu32 ",\"frames\":[",
                m->bytes, m->body, m->parts, m->missing, m->frames_total);
        for (uint32_t k = 0; k < m->nframes; k++)
            fprintf(out, "%s%" PRIu64, k ? "," : "", m->frames[k]);
        fputs("]}", out);
    }
    putc(']', out);
    if (v->more)
        fprintf(out, ",\"messages_more\":%u", v->more);
}

void view_json(FILE *out, const view_frame *fr, const dec_packet *pkt, const view_msgs *msgs)
{
    fprintf(out, "{\"n\":%" PRIu64, fr->n);
    j_time(out, fr);
    fprintf(out, ",\"caplen\":%" PRIu32 ",\"len\":%" PRIu32 ",\"link\":%d,\"layers\":[",
            pkt->caplen, pkt->len, pkt->linktype);
    for (int i = 0; i < pkt->nlayers; i++) {
        const dec_layer *l = &pkt->layers[i];
        if (l->proto == DEC_SIO) /* shown as the field "socketio" of the layer before */
            continue;
        fprintf(out, "%s{\"layer\":%u,\"proto\":\"%s\"", i ? "," : "", l->osi,
                dec_proto_json(l->proto));
        if (l->truncated)
            fputs(",\"truncated\":true", out);
        if (l->invalid)
            jkey_str(out, "invalid", l->invalid);
        j_fields(out, pkt, l);
        /* The Engine.IO / Socket.IO packets this frame or polling body carries. The proto list
         * of the contract is closed, so they are a field here, not a layer of their own. */
        if (i + 1 < pkt->nlayers && pkt->layers[i + 1].proto == DEC_SIO)
            jkey_str(out, "socketio", dec_str(pkt, pkt->layers[i + 1].u.sio.text));
        putc('}', out);
    }
    putc(']', out);
    if (msgs && (msgs->n || msgs->more))
        j_msgs(out, msgs);
    fputs("}\n", out);
}

/* For the live view (web.c): the same escaping, and the same "messages" list. */
void view_json_str(FILE *out, const char *p, size_t n)
{
    jstr(out, (const uint8_t *)p, n);
}

void view_json_msgs(FILE *out, const view_msgs *v)
{
    j_msgs(out, v);
}
