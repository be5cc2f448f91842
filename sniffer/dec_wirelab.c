/*
 * dec_wirelab.c - Wirelab's own application protocols, layer 7.
 *
 * udp_sender datagrams (udp_echo/dgram.h): a 24-byte header, big-endian, before the payload:
 *
 *   0        4          8                  16       20             24
 *   +--------+----------+------------------+--------+--------------+--------------
 *   | "WLU1" | sequence | send time (ns)   | total  | payload len  | payload "ghijk..."
 *   +--------+----------+------------------+--------+--------------+--------------
 *
 * queue_broker lines (queue/README.md; port 7010 by default): one command or reply per line,
 * ending in "\n":
 *   PUSH q msg | PULL q | ACK id | PUB topic msg | SUB topic [FROM offset] | QUIT  (client)
 *   OK ... | MSG q id new|redelivered msg | EVENT topic offset msg | GAP topic n | ERR reason
 * Tests and labs run the broker on any free port, so we go by content: a payload whose first
 * word is one of those verbs, followed by a space or the end of the line.
 */
#include "dec_impl.h"
#include "dgram.h"

/* The header is udp_echo's own codec (udp_echo/dgram.h), the one udp_receiver uses: the sniffer
 * explains a datagram exactly as the receiver reads it. */
bool dis_udpecho(dec_state *s, rd r, uint32_t wire)
{
    struct dgram_header h;
    if (r.len < 4) /* too little to tell; dgram_decode would call 0 bytes "ours" */
        return false;
    int rc = dgram_decode(r.p, r.len, wire, &h);
    if (rc == DGRAM_FOREIGN)
        return false;
    dec_layer *l = dec_push(s, DEC_UDPECHO, 7, &r, wire);
    if (l == NULL)
        return true;
    if (rc == DGRAM_TRUNCATED) {
        if (r.len < wire) /* the capture was cut inside the header */
            dec_trunc(l);
        else /* the datagram itself is shorter than the header (udp_sender --size 1..23) */
            l->invalid = dgram_strerror(rc), l->hdr = r.len;
        return true;
    }
    dec_udpecho *u = &l->u.uecho;
    u->seq = h.seq, u->send_ns = h.send_ns, u->total = h.total, u->payload_len = h.payload_len;
    u->length_ok = rc == DGRAM_OK;
    l->hdr = DGRAM_HEADER_LEN;
    l->claimed = DGRAM_HEADER_LEN + h.payload_len;
    if (rc != DGRAM_OK)
        l->invalid = dgram_strerror(rc);
    return true;
}

/* queue/README.md: what clients send, then what the broker answers. */
static const char *const queue_verbs[] = {"PUSH", "PULL", "ACK", "PUB",   "SUB", "QUIT",
                                          "OK",   "MSG",  "ERR", "EVENT", "GAP"};

/* The length of the first word when it is a queue verb followed by ' ', '\r' or '\n'. */
uint32_t dec_queue_verb(const rd *r)
{
    for (size_t i = 0; i < sizeof queue_verbs / sizeof queue_verbs[0]; i++) {
        uint32_t n = (uint32_t)strlen(queue_verbs[i]);
        if (rd_has(r, 0, n + 1) && memcmp(r->p, queue_verbs[i], n) == 0 &&
            (r->p[n] == ' ' || r->p[n] == '\r' || r->p[n] == '\n'))
            return n;
    }
    return 0;
}

bool dis_queue(dec_state *s, rd r, uint32_t wire)
{
    uint32_t vlen = dec_queue_verb(&r);
    if (vlen == 0)
        return false;
    dec_layer *l = dec_push(s, DEC_QUEUE, 7, &r, wire);
    if (l == NULL)
        return true;
    dec_queue *q = &l->u.queue;
    q->verb = (dec_span){l->off, vlen};
    uint32_t end = 0;
    for (uint32_t i = 0; i < r.len; i++) {
        if (r.p[i] != '\n')
            continue;
        if (q->nlines++ == 0)
            end = i;
    }
    if (q->nlines == 0) { /* the first line goes on past what we have */
        q->line = (dec_span){l->off, r.len};
        dec_trunc(l);
        return true;
    }
    q->line = (dec_span){l->off, end > 0 && r.p[end - 1] == '\r' ? end - 1 : end};
    l->hdr = r.len;
    return true;
}
