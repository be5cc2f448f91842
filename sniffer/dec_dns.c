/*
 * dec_dns.c - DNS messages (RFC 1035 section 4), layer 7: the question and the answers.
 *
 * Over UDP a datagram is one message. Over TCP (RFC 1035 4.2.2, RFC 7766) each message is
 * preceded by a 2-byte length. Port 53 (5353 for mDNS) is only a convention: on another port
 * a payload is taken for DNS when it parses as exactly one whole, ordinary query or answer.
 *
 *   +----+-------+---------+---------+---------+---------+
 *   | id | flags | qdcount | ancount | nscount | arcount |   12-byte header
 *   +----+-------+---------+---------+---------+---------+
 *   | question: name, type, class
 *   | answers:  name, type, class, TTL, rdlength, rdata
 *
 * Names are labels (length byte + text) ending with a zero byte, or a 2-byte pointer (top bits
 * 11) to a name earlier in the message: "compression". A hostile pointer can loop, so we follow
 * at most 32 of them and write at most 255 characters.
 */
#include "addr.h"
#include "dec_impl.h"

#include <stdio.h>

enum {
    DNS_HDR = 12,
    /* the record types whose rdata we show as text (RFC 1035 3.2.2, RFC 3596 for AAAA) */
    DNS_TYPE_A = 1,     /* an IPv4 address: 4 bytes */
    DNS_TYPE_NS = 2,    /* a name */
    DNS_TYPE_CNAME = 5, /* a name */
    DNS_TYPE_PTR = 12,  /* a name */
    DNS_TYPE_AAAA = 28, /* an IPv6 address: 16 bytes */
    DNS_A_LEN = 4,
    DNS_AAAA_LEN = 16,
};

/* Read the name at *off into out (NUL-terminated); advances *off past it in the message.
 * Returns false when the bytes end inside the name, or it loops or is too long. */
static bool dns_name(const rd *r, uint32_t *off, char out[256])
{
    uint32_t pos = *off, n = 0, jumps = 0;
    bool jumped = false;
    for (;;) {
        uint8_t len;
        RD_U8(r, pos, len);
        if ((len & 0xc0) == 0xc0) {
            uint8_t lo;
            RD_U8(r, pos + 1, lo);
            if (!jumped)
                *off = pos + 2;
            jumped = true;
            if (++jumps > 32)
                return false;
            pos = (uint32_t)(len & 0x3f) << 8 | lo;
            continue;
        }
        if (len == 0)
            break;
        if (len > 63 || n + len + 1 > 255)
            return false;
        RD_NEED(r, pos + 1, len);
        if (n > 0)
            out[n++] = '.';
        memcpy(out + n, r->p + pos + 1, len);
        n += len;
        pos += 1u + len;
    }
    if (!jumped)
        *off = pos + 1;
    out[n] = '\0';
    return true;
trunc:
    return false;
}

/* The rdata of a record as text, when it is an address or a name. */
static uint32_t dns_rdata(dec_packet *pkt, const rd *r, uint16_t type, uint32_t off, uint16_t len)
{
    char buf[256];
    int n = 0;
    if (type == DNS_TYPE_A && len == DNS_A_LEN) /* the caller checked rdlength bytes */
        n = addr_ipv4(buf, r->p + off);
    else if (type == DNS_TYPE_AAAA && len == DNS_AAAA_LEN)
        n = addr_ipv6(buf, r->p + off);
    else if ((type == DNS_TYPE_CNAME || type == DNS_TYPE_PTR || type == DNS_TYPE_NS) &&
             dns_name(r, &off, buf))
        n = (int)strlen(buf);
    return dec_strdup(pkt, buf, (uint32_t)n);
}

static bool dns_answer(dec_state *s, dec_rr *rr, const rd *r, uint32_t *off)
{
    char name[256];
    if (!dns_name(r, off, name))
        return false;
    RD_U16(r, *off, rr->type);
    RD_U16(r, *off + 2, rr->cls);
    RD_U32(r, *off + 4, rr->ttl);
    RD_U16(r, *off + 8, rr->rdlen);
    rr->name = dec_strdup(s->pkt, name, (uint32_t)strlen(name));
    *off += 10;
    RD_NEED(r, *off, rr->rdlen);
    rr->rdata = dns_rdata(s->pkt, r, rr->type, *off, rr->rdlen);
    *off += rr->rdlen;
    return true;
trunc:
    return false;
}

static bool dns_body(dec_state *s, dec_dns *d, const rd *r, uint32_t *off)
{
    char name[256];
    for (uint32_t i = 0; i < d->qdcount && i < 16; i++) {
        if (!dns_name(r, off, name))
            return false;
        RD_NEED(r, *off, 4); /* every question's type and class, kept for the first */
        if (i == 0) {
            d->qname = dec_strdup(s->pkt, name, (uint32_t)strlen(name));
            RD_U16(r, *off, d->qtype);
            RD_U16(r, *off + 2, d->qclass);
        }
        d->nq++;
        *off += 4;
    }
    for (uint32_t i = 0; i < d->ancount && d->nan < DEC_MAX_RR; i++, d->nan++)
        if (!dns_answer(s, &d->an[d->nan], r, off))
            return false;
    /* the answers past DEC_MAX_RR, the authority and additional records: walked, not kept, so
     * we know where the message ends */
    uint32_t rest = (uint32_t)d->ancount - d->nan + d->nscount + d->arcount;
    for (uint32_t i = 0; i < rest; i++) {
        dec_rr skip;
        uint32_t nstrs = s->pkt->nstrs;
        bool ok = dns_answer(s, &skip, r, off);
        s->pkt->nstrs = nstrs; /* its strings are not kept */
        if (!ok)
            return false;
    }
    return true;
trunc:
    return false;
}

/* The message in m (the layer's bytes after the TCP length prefix, if any). */
static void dns_message(dec_state *s, dec_layer *l, rd m, uint32_t wire, uint32_t prefix)
{
    dec_dns *d = &l->u.dns;
    RD_U16(&m, 0, d->id);
    RD_U16(&m, 2, d->flags);
    RD_U16(&m, 4, d->qdcount);
    RD_U16(&m, 6, d->ancount);
    RD_U16(&m, 8, d->nscount);
    RD_U16(&m, 10, d->arcount);
    d->qr = d->flags & 0x8000;
    d->opcode = (uint8_t)(d->flags >> 11 & 15);
    d->rcode = (uint8_t)(d->flags & 15);
    uint32_t off = 12;
    if (!dns_body(s, d, &m, &off)) {
        if (m.len < wire) /* the capture was cut: the bytes end inside the message */
            dec_trunc(l);
        else
            l->invalid = "a name or record runs past the end of the message";
        return;
    }
    d->used = off;
    l->hdr = prefix + off;
    return;
trunc:
    dec_trunc(l);
}

/* A DNS layer over r, its message after `prefix` bytes and msg_len long. */
static dec_layer *dns_layer(dec_state *s, rd r, uint32_t wire, uint32_t prefix, uint32_t msg_len)
{
    dec_layer *l = dec_push(s, DEC_DNS, 7, &r, wire);
    if (l == NULL)
        return NULL;
    l->u.dns.tcp = prefix > 0;
    l->u.dns.msg_len = msg_len;
    uint32_t mwire = wire - prefix < msg_len ? wire - prefix : msg_len;
    dns_message(s, l, rd_sub(&r, prefix, msg_len), mwire, prefix);
    return l;
}

bool dis_dns(dec_state *s, rd r, uint32_t wire)
{
    if (wire < DNS_HDR)
        return false; /* too short to be DNS even on the wire: plain data */
    dns_layer(s, r, wire, 0, wire);
    return true;
}

bool dis_dns_tcp(dec_state *s, rd r, uint32_t wire)
{
    uint16_t len;
    if (wire < 2 + DNS_HDR || !rd_has(&r, 0, 2))
        return false;
    RD_U16(&r, 0, len);
    dns_layer(s, r, wire, 2, len);
    return true;
trunc:
    return false;
}

/* An ordinary message: a query or answer (opcode 0), one question, every record well formed,
 * and nothing after the last one. */
static bool dns_plausible(const dec_layer *l, uint32_t prefix)
{
    const dec_dns *d = &l->u.dns;
    return !l->truncated && !l->invalid && d->opcode == 0 && d->qdcount == 1 &&
           d->used == d->msg_len && l->cap == prefix + d->msg_len;
}

bool dis_dns_maybe(dec_state *s, rd r, uint32_t wire, bool tcp)
{
    uint32_t prefix = tcp ? 2 : 0;
    uint16_t len = (uint16_t)(wire - prefix);
    if (wire < prefix + DNS_HDR || wire - prefix > 0xffff || r.len != wire)
        return false;
    if (tcp)
        RD_U16(&r, 0, len);
    uint8_t nlayers = s->pkt->nlayers;
    uint32_t nstrs = s->pkt->nstrs;
    dec_layer *l = dns_layer(s, r, wire, prefix, len);
    if (l != NULL && dns_plausible(l, prefix))
        return true;
    s->pkt->nlayers = nlayers; /* not DNS after all: undo the layer and its strings */
    s->pkt->nstrs = nstrs;
    return false;
trunc:
    return false;
}
