/*
 * dec_dns.c - DNS messages over UDP (RFC 1035 section 4), layer 7: the question and the answers.
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
    if (type == 1 && len == 4)
        n = addr_ipv4(buf, r->p + off);
    else if (type == 28 && len == 16)
        n = addr_ipv6(buf, r->p + off);
    else if ((type == 5 || type == 12 || type == 2) && dns_name(r, &off, buf))
        n = (int)strlen(buf);
    return dec_strdup(pkt, buf, (uint32_t)n);
}

static bool dns_answer(dec_state *s, dec_rr *rr, const rd *r, uint32_t *off)
{
    char name[256];
    if (!dns_name(r, off, name))
        return false;
    RD_NEED(r, *off, 10);
    rr->name = dec_strdup(s->pkt, name, (uint32_t)strlen(name));
    rr->type = rd_be16_(r->p + *off);
    rr->cls = rd_be16_(r->p + *off + 2);
    rr->ttl = rd_be32_(r->p + *off + 4);
    rr->rdlen = rd_be16_(r->p + *off + 8);
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
        RD_NEED(r, *off, 4);
        if (i == 0) {
            d->qname = dec_strdup(s->pkt, name, (uint32_t)strlen(name));
            d->qtype = rd_be16_(r->p + *off);
            d->qclass = rd_be16_(r->p + *off + 2);
        }
        d->nq++;
        *off += 4;
    }
    for (uint32_t i = 0; i < d->ancount && d->nan < DEC_MAX_RR; i++, d->nan++)
        if (!dns_answer(s, &d->an[d->nan], r, off))
            return false;
    return true;
trunc:
    return false;
}

bool dis_dns(dec_state *s, rd r, uint32_t wire)
{
    if (wire < 12)
        return false; /* too short to be DNS even on the wire: plain data */
    dec_layer *l = dec_push(s, DEC_DNS, 7, &r, wire);
    if (l == NULL)
        return true;
    dec_dns *d = &l->u.dns;
    RD_U16(&r, 0, d->id);
    RD_U16(&r, 2, d->flags);
    RD_U16(&r, 4, d->qdcount);
    RD_U16(&r, 6, d->ancount);
    RD_U16(&r, 8, d->nscount);
    RD_U16(&r, 10, d->arcount);
    d->qr = d->flags & 0x8000;
    d->opcode = (uint8_t)(d->flags >> 11 & 15);
    d->rcode = (uint8_t)(d->flags & 15);
    uint32_t off = 12;
    if (!dns_body(s, d, &r, &off)) {
        if (r.len < wire) /* the capture was cut: the bytes end inside the message */
            dec_trunc(l);
        else
            l->invalid = "a name or record runs past the end of the message";
        return true;
    }
    l->hdr = off;
    return true;
trunc:
    dec_trunc(l);
    return true;
}
