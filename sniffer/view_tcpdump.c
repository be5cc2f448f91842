/*
 * view_tcpdump.c - the parts of the default line that follow tcpdump's wording exactly: TCP
 * options, DNS messages and ICMP/ICMPv6 messages, as `tcpdump -nn` (4.99) writes them.
 *
 * What it teaches: the same bytes, described the way the tool students already know does, so
 * the two can be put side by side line for line (tests/sniffer/tcpdump_lines.sh checks them
 * against Debian's tcpdump). Where we stop short of tcpdump, sniffer/README.md says so.
 *
 *   options [mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7]       TCP options
 *   22836+ [1au] A? www.tcpdump.org. (44)                        a DNS query
 *   22836 2/0/1 A 192.0.2.1, A 192.0.2.2 (76)                    its answer
 *   ICMP 10.0.0.2 udp port 33434 unreachable, length 36          an ICMP error
 *
 * Interface (view.h): view_tcp_options, view_dns, view_icmp.
 */
#include "addr.h"
#include "names.h"
#include "view.h"

#include <inttypes.h>
#include <string.h>

/* ---------------------------------------------------------------- TCP options */

enum {
    OPT_EOL = 0,
    OPT_NOP = 1,
    OPT_MSS = 2,
    OPT_WSCALE = 3,
    OPT_SACK_OK = 4,
    OPT_SACK = 5,
    OPT_TS = 8,
    OPT_UTO = 28,   /* RFC 5482 user timeout */
    OPT_MPTCP = 30, /* RFC 8684 multipath TCP */
    OPT_TFO = 34,   /* RFC 7413 TCP Fast Open cookie */
    OPT_EXP1 = 253, /* RFC 6994 experiments: a 16-bit magic number says which */
    OPT_EXP2 = 254,
    EXP_MAGIC_TFO = 0xf989, /* Fast Open before it had kind 34 */
};

/* tcpdump's names for the kinds it knows (print-tcp.c tcp_option_values). */
static const name_entry opt_names[] = {
    {OPT_EOL, "eol"},
    {OPT_NOP, "nop"},
    {OPT_MSS, "mss"},
    {OPT_WSCALE, "wscale"},
    {OPT_SACK_OK, "sackOK"},
    {OPT_SACK, "sack"},
    {6, "echo"},
    {7, "echoreply"},
    {OPT_TS, "TS"},
    {11, "cc"},
    {12, "ccnew"},
    {13, ""},
    {19, "md5"},
    {20, "scps"},
    {OPT_UTO, "uto"},
    {29, "tcp-ao"},
    {OPT_MPTCP, "mptcp"},
    {OPT_TFO, "tfo"},
    {OPT_EXP1, "exp"},
    {OPT_EXP2, "exp"},
    {0, NULL},
};

/* RFC 8684 3: the MPTCP subtype in the top 4 bits of the option's third byte. */
static const name_entry mptcp_subtypes[] = {
    {0, "capable"}, {1, "join"}, {2, "dss"},        {3, "add-addr"}, {4, "remove-addr"},
    {5, "prio"},    {6, "fail"}, {7, "fast-close"}, {8, "tcprst"},   {0, NULL},
};

static void hex(FILE *out, const uint8_t *p, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        fprintf(out, "%02x", p[i]);
}

/* A Fast Open cookie (RFC 7413 4.1.1): none is a request; else 4 to 16 bytes, even. */
static void tfo(FILE *out, const uint8_t *v, uint32_t n)
{
    if (n == 0)
        fputs(" cookiereq", out);
    else if (n % 2 != 0 || n < 4 || n > 16)
        fputs(" (invalid)", out);
    else
        fputs(" cookie ", out), hex(out, v, n);
}

static uint64_t be64(const uint8_t *p)
{
    uint64_t x = 0;
    for (int i = 0; i < 8; i++)
        x = x << 8 | p[i];
    return x;
}

/* MP_CAPABLE: version, the checksum-required flag (A), then the sender's and receiver's keys. */
static void mp_capable(FILE *out, const uint8_t *v, uint32_t n)
{
    fprintf(out, " v%u%s", v[0] & 15u, v[1] & 0x80 ? " csum" : "");
    if (n >= 10)
        fprintf(out, " {0x%" PRIx64, be64(v + 2));
    if (n >= 18)
        fprintf(out, ",0x%" PRIx64, be64(v + 10));
    if (n >= 10)
        putc('}', out);
}

/* The option after its name; v and n are its data after kind and length, all captured. */
static void opt_data(FILE *out, const dec_tcp *t, const dec_opt *o, const uint8_t *v, uint32_t n,
                     uint32_t base)
{
    switch (o->kind) {
    case OPT_MSS:
        fprintf(out, " %u", t->mss);
        break;
    case OPT_WSCALE:
        fprintf(out, " %u", t->wscale);
        break;
    case OPT_SACK: /* the block count, then {left:right}, relative to the ack's numbering */
        fprintf(out, " %u ", t->nsack);
        for (int b = 0; b < t->nsack; b++)
            fprintf(out, "{%" PRIu32 ":%" PRIu32 "}", t->sack[b][0] - base, t->sack[b][1] - base);
        break;
    case OPT_TS:
        fprintf(out, " val %" PRIu32 " ecr %" PRIu32, t->ts_val, t->ts_ecr);
        break;
    case OPT_UTO: /* tcpdump takes the granularity from the LOW bit (RFC 5482 puts it on top) */
        if (n == 2) {
            unsigned u = (unsigned)v[0] << 8 | v[1];
            fprintf(out, " 0x%x %u", u, u & 1 ? (u >> 1) * 60 : u >> 1);
        }
        break;
    case OPT_MPTCP: /* the subtype's name; of the fields, MP_CAPABLE's only (RFC 8684 3.1) */
        if (n >= 1)
            fprintf(out, " %u %s", o->len, names_or(mptcp_subtypes, v[0] >> 4, "unknown"));
        if (n >= 2 && v[0] >> 4 == 0)
            mp_capable(out, v, n);
        break;
    case OPT_TFO:
        putc(' ', out);
        tfo(out, v, n);
        break;
    case OPT_EXP1:
    case OPT_EXP2:
        if (n >= 2 && ((unsigned)v[0] << 8 | v[1]) == EXP_MAGIC_TFO)
            fputs("-tfo", out), tfo(out, v + 2, n - 2);
        else if (n >= 2)
            fprintf(out, "-%x", (unsigned)v[0] << 8 | v[1]);
        break;
    default:
        if (n > 0)
            fputs(" 0x", out), hex(out, v, n);
        break;
    }
}

/* Where the capture cut the options: the name of the option it cut, as tcpdump writes it,
 * then "[|tcp]>" (tcpdump's own ending for it). */
static void options_cut(FILE *out, const dec_packet *pkt, const dec_layer *l)
{
    const dec_tcp *t = &l->u.tcp;
    uint32_t off = 20;
    for (int i = 0; i < t->nopts; i++)
        off += t->opts[i].len;
    if (off < l->cap) {
        uint8_t kind = pkt->bytes[l->off + off];
        const char *name = names_lookup(opt_names, kind);
        fputs(t->nopts ? "," : "", out);
        if (name)
            fprintf(out, "%s ", name);
        else
            fprintf(out, "unknown-%u ", kind);
    }
    fputs("[|tcp]>", out);
}

void view_tcp_options(FILE *out, const dec_packet *pkt, const dec_layer *l, uint32_t base)
{
    const dec_tcp *t = &l->u.tcp;
    if (t->nopts == 0 && !l->opts_cut)
        return;
    fputs(", options [", out);
    for (int i = 0; i < t->nopts; i++) {
        const dec_opt *o = &t->opts[i];
        const char *name = names_lookup(opt_names, o->kind);
        fputs(i ? "," : "", out);
        if (name)
            fputs(name, out);
        else
            fprintf(out, "unknown-%u", o->kind);
        if (o->len > 2) /* the decoder checked that all of it was captured */
            opt_data(out, t, o, pkt->bytes + o->off + 2, o->len - 2u, base);
        else
            opt_data(out, t, o, NULL, 0, base);
    }
    if (l->opts_cut)
        options_cut(out, pkt, l);
    else
        putc(']', out);
}

/* ---------------------------------------------------------------- DNS */

enum {
    DNS_AA = 0x0400, /* authoritative answer */
    DNS_TC = 0x0200, /* truncated (by the sender, to fit a datagram) */
    DNS_RD = 0x0100, /* recursion desired */
    DNS_RA = 0x0080, /* recursion available */
    DNS_AD = 0x0020, /* authentic data (DNSSEC) */
    DNS_CD = 0x0010, /* checking disabled (DNSSEC) */
};

/* tcpdump's words for opcodes and response codes (print-domain.c ns_ops, ns_rcode). */
static const char *const dns_ops[16] = {"",      " inv_q", " stat", " op3", " notify", " update",
                                        " op6",  " op7",   " op8",  " op9", " op10",   " op11",
                                        " op12", " op13",  " op14", " op15"};
static const char *const dns_rcodes[16] = {"",         " FormErr", " ServFail", " NXDomain",
                                           " NotImp",  " Refused", " YXDomain", " YXRRSet",
                                           " NXRRSet", " NotAuth", " NotZone",  " Resp11",
                                           " Resp12",  " Resp13",  " Resp14",   " NoChange"};

static void dns_type(FILE *out, uint16_t type)
{
    const char *n = names_lookup(names_dns_type, type);
    if (n)
        fputs(n, out);
    else
        fprintf(out, "Type%u", type);
}

/* A name as tcpdump writes it: with the root's dot at the end. */
static void dns_fqdn(FILE *out, const char *name)
{
    fputs(name, out);
    putc('.', out);
}

static void dns_answer(FILE *out, const dec_packet *pkt, const dec_rr *rr)
{
    const char *data = dec_str(pkt, rr->rdata);
    putc(' ', out);
    dns_type(out, rr->type);
    if (data[0] == '\0')
        return; /* a type whose data we do not write (tcpdump writes some: MX, TXT, SRV ...) */
    putc(' ', out);
    if (rr->type == 1 || rr->type == 28) /* A, AAAA: an address */
        fputs(data, out);
    else /* NS, CNAME, PTR: a name */
        dns_fqdn(out, data);
}

void view_dns(FILE *out, const dec_packet *pkt, const dec_dns *d)
{
    fprintf(out, "%u%s", d->id, dns_ops[d->opcode & 15]);
    if (d->qr) {
        fprintf(out, "%s%s%s%s%s", dns_rcodes[d->rcode & 15], d->flags & DNS_AA ? "*" : "",
                d->flags & DNS_RA ? "" : "-", d->flags & DNS_TC ? "|" : "",
                d->flags & DNS_AD ? "$" : "");
        if (d->qdcount != 1)
            fprintf(out, " [%uq]", d->qdcount);
        fprintf(out, " %u/%u/%u", d->ancount, d->nscount, d->arcount);
        for (int i = 0; i < d->nan; i++) {
            if (i)
                putc(',', out);
            dns_answer(out, pkt, &d->an[i]);
        }
    } else {
        fprintf(out, "%s%s", d->flags & DNS_RD ? "+" : "", d->flags & DNS_CD ? "%" : "");
        if (d->ancount)
            fprintf(out, " [%ua]", d->ancount);
        if (d->nscount)
            fprintf(out, " [%un]", d->nscount);
        if (d->arcount)
            fprintf(out, " [%uau]", d->arcount);
        if (d->nq > 0) {
            putc(' ', out);
            dns_type(out, d->qtype);
            fputs("? ", out);
            dns_fqdn(out, dec_str(pkt, d->qname));
        }
    }
    fprintf(out, " (%" PRIu32 ")", d->msg_len);
}

/* ---------------------------------------------------------------- ICMP and ICMPv6 */

enum {
    PROTO_TCP = 6, /* the quoted packet's IP protocol */
    ICMP_ECHO_REPLY = 0,
    ICMP_UNREACH = 3,
    ICMP_SOURCE_QUENCH = 4,
    ICMP_REDIRECT = 5,
    ICMP_ECHO = 8,
    ICMP_ROUTER_SOLICIT = 10,
    ICMP_TIME_EXCEEDED = 11,
    ICMP_PARAM_PROBLEM = 12,
    ICMP_UNREACH_PORT = 3,
    ICMP_UNREACH_PROTOCOL = 2,
    ICMP_UNREACH_NEEDFRAG = 4,
    ICMP6_UNREACH = 1,
    ICMP6_TOO_BIG = 2,
    ICMP6_TIME_EXCEEDED = 3,
    ICMP6_ECHO = 128,
    ICMP6_ECHO_REPLY = 129,
    ICMP6_NEIGHBOR_SOLICIT = 135,
    ICMP6_NEIGHBOR_ADVERT = 136,
    ICMP6_MLD2_REPORT = 143,
    ICMP6_UNREACH_PORT = 4,
};

/* RFC 792/1812 destination unreachable codes, in tcpdump's words; "%s" is the address the
 * quoted packet was going to. Port (3), protocol (2) and need-to-frag (4) are written apart. */
static const name_entry unreach_text[] = {
    {0, "net %s unreachable"},
    {1, "host %s unreachable"},
    {5, "%s unreachable - source route failed"},
    {6, "net %s unreachable - unknown"},
    {7, "host %s unreachable - unknown"},
    {8, "%s unreachable - source host isolated"},
    {9, "net %s unreachable - admin prohibited"},
    {10, "host %s unreachable - admin prohibited"},
    {11, "net %s unreachable - tos prohibited"},
    {12, "host %s unreachable - tos prohibited"},
    {13, "host %s unreachable - admin prohibited filter"},
    {14, "host %s unreachable - host precedence violation"},
    {15, "host %s unreachable - precedence cutoff"},
    {0, NULL},
};

/* The quoted packet of an ICMP error: its IP layer (or NULL) and its destination port. */
static const dec_layer *quoted(const dec_packet *pkt, int i, uint8_t *proto, int *dport)
{
    if (i + 1 >= pkt->nlayers)
        return NULL;
    const dec_layer *ip = &pkt->layers[i + 1], *tr = i + 2 < pkt->nlayers ? ip + 1 : NULL;
    if ((ip->proto != DEC_IPV4 && ip->proto != DEC_IPV6) || !dec_fields_read(ip))
        return NULL;
    *proto = ip->proto == DEC_IPV4 ? ip->u.ip4.protocol : ip->u.ip6.upper;
    *dport = -1;
    /* only the start of the transport header is quoted: the ports are its first 4 bytes */
    if (tr && tr->proto == DEC_TCP && tr->cap >= 4)
        *dport = tr->u.tcp.dport;
    else if (tr && tr->proto == DEC_UDP && tr->cap >= 4)
        *dport = tr->u.udp.dport;
    return ip;
}

static void icmp_unreach(FILE *out, const dec_packet *pkt, int i)
{
    const dec_icmp *ic = &pkt->layers[i].u.icmp;
    uint8_t proto = 0;
    int dport;
    char dst[ADDR_STRLEN];
    const dec_layer *ip = quoted(pkt, i, &proto, &dport);
    if (ip == NULL) {
        fputs("ICMP unreachable", out);
        return;
    }
    addr_ip(dst, ip->u.ip4.dst, 4);
    const char *fmt = names_lookup(unreach_text, ic->code);
    unsigned mtu = ic->rest & 0xffff; /* RFC 1191: the next hop's MTU in the low 16 bits */
    fputs("ICMP ", out);
    if (ic->code == ICMP_UNREACH_PORT && dport >= 0)
        fprintf(out, "%s %s port %d unreachable", dst, proto == PROTO_TCP ? "tcp" : "udp", dport);
    else if (ic->code == ICMP_UNREACH_PROTOCOL)
        fprintf(out, "%s protocol %u unreachable", dst, proto);
    else if (ic->code == ICMP_UNREACH_NEEDFRAG)
        fprintf(out,
                mtu ? "%s unreachable - need to frag (mtu %u)" : "%s unreachable - need to frag",
                dst, mtu);
    else if (fmt)
        fprintf(out, fmt, dst);
    else
        fprintf(out, "%s unreachable - #%u", dst, ic->code);
}

static bool icmp4(FILE *out, const dec_packet *pkt, int i)
{
    const dec_icmp *ic = &pkt->layers[i].u.icmp;
    switch (ic->type) {
    case ICMP_ECHO:
    case ICMP_ECHO_REPLY:
        fprintf(out, "ICMP echo %s, id %u, seq %u", ic->type == ICMP_ECHO ? "request" : "reply",
                ic->id, ic->seq);
        return true;
    case ICMP_UNREACH:
        icmp_unreach(out, pkt, i);
        return true;
    case ICMP_TIME_EXCEEDED:
        fputs(ic->code == 0   ? "ICMP time exceeded in-transit"
              : ic->code == 1 ? "ICMP ip reassembly time exceeded"
                              : "ICMP time exceeded",
              out);
        if (ic->code > 1)
            fprintf(out, "-#%u", ic->code);
        return true;
    case ICMP_SOURCE_QUENCH:
        fputs("ICMP source quench", out);
        return true;
    case ICMP_ROUTER_SOLICIT:
        fputs("ICMP router solicitation", out);
        return true;
    case ICMP_PARAM_PROBLEM:
        if (ic->code == 0)
            fprintf(out, "ICMP parameter problem - octet %" PRIu32, ic->rest >> 24);
        else
            fprintf(out, "ICMP parameter problem - code %u", ic->code);
        return true;
    default:
        return false;
    }
}

/* tcpdump's names for ICMPv6 types (print-icmp6.c icmp6_type_values). */
static const name_entry icmp6_names[] = {
    {1, "destination unreachable"},
    {2, "packet too big"},
    {3, "time exceeded in-transit"},
    {4, "parameter problem"},
    {128, "echo request"},
    {129, "echo reply"},
    {130, "multicast listener query"},
    {131, "multicast listener report"},
    {132, "multicast listener done"},
    {133, "router solicitation"},
    {134, "router advertisement"},
    {135, "neighbor solicitation"},
    {136, "neighbor advertisement"},
    {137, "redirect"},
    {143, "multicast listener report v2"},
    {0, NULL},
};

static const name_entry icmp6_unreach_codes[] = {
    {0, "unreachable route"},   {1, "unreachable prohibited"}, {2, "beyond scope"},
    {3, "unreachable address"}, {4, "unreachable port"},       {0, NULL},
};

static void icmp6_unreach(FILE *out, const dec_packet *pkt, int i)
{
    const dec_icmp *ic = &pkt->layers[i].u.icmp;
    uint8_t proto = 0;
    int dport;
    char dst[ADDR_STRLEN];
    const char *what = names_lookup(icmp6_unreach_codes, ic->code);
    if (what)
        fprintf(out, ", %s", what);
    else
        fprintf(out, ", unknown unreach code (%u)", ic->code);
    const dec_layer *ip = quoted(pkt, i, &proto, &dport);
    if (ip == NULL || ip->proto != DEC_IPV6)
        return;
    addr_ip(dst, ip->u.ip6.dst, 16);
    if (ic->code == ICMP6_UNREACH_PORT && dport >= 0)
        fprintf(out, ", %s %s port %d", dst, proto == PROTO_TCP ? "tcp" : "udp", dport);
    else if (ic->code != ICMP6_UNREACH_PORT && what)
        fprintf(out, " %s", dst);
}

/* The target address after the 8-byte header of a neighbor message (RFC 4861 4.3, 4.4). */
static void icmp6_target(FILE *out, const dec_packet *pkt, const dec_layer *l, const char *what)
{
    char a[ADDR_STRLEN];
    if (l->cap < 24)
        return;
    addr_ip(a, pkt->bytes + l->off + 8, 16);
    fprintf(out, ", %s %s", what, a);
}

static bool icmp6(FILE *out, const dec_packet *pkt, int i)
{
    const dec_layer *l = &pkt->layers[i];
    const dec_icmp *ic = &l->u.icmp;
    const char *name = names_lookup(icmp6_names, ic->type);
    if (name == NULL)
        return false;
    fprintf(out, "ICMP6, %s", name);
    switch (ic->type) {
    case ICMP6_ECHO:
    case ICMP6_ECHO_REPLY:
        fprintf(out, ", id %u, seq %u", ic->id, ic->seq);
        break;
    case ICMP6_UNREACH:
        icmp6_unreach(out, pkt, i);
        break;
    case ICMP6_TOO_BIG:
        fprintf(out, ", mtu %" PRIu32, ic->rest);
        break;
    case ICMP6_NEIGHBOR_SOLICIT:
        icmp6_target(out, pkt, l, "who has");
        break;
    case ICMP6_NEIGHBOR_ADVERT:
        icmp6_target(out, pkt, l, "tgt is");
        break;
    case ICMP6_MLD2_REPORT: /* RFC 3810 5.2: the number of group records */
        fprintf(out, ", %" PRIu32 " group record(s)", ic->rest & 0xffff);
        break;
    default:
        break;
    }
    return true;
}

bool view_icmp(FILE *out, const dec_packet *pkt, int i)
{
    bool ok = pkt->layers[i].proto == DEC_ICMP ? icmp4(out, pkt, i) : icmp6(out, pkt, i);
    if (ok)
        fprintf(out, ", length %" PRIu32, pkt->layers[i].claimed);
    return ok;
}
