/*
 * flows.c - the conversation table (see flows.h): open addressing over a fixed array.
 */
#include "flows.h"

#include <stdlib.h>
#include <string.h>

#define PROBE 8 /* slots tried per lookup before evicting the oldest of them */

struct flows {
    uint64_t npackets, nconv;
    flow slot[FLOWS_SLOTS];
};

flows *flows_new(void)
{
    return calloc(1, sizeof(flows));
}

void flows_free(flows *t)
{
    free(t);
}

/* The 5-tuple of the packet as sent (a = source). False when it has no TCP/UDP over IP. */
static bool packet_key(const dec_packet *pkt, flow_key *k, const dec_layer **l4)
{
    const dec_layer *ip = NULL, *tr = NULL;
    for (int i = 0; i < pkt->nlayers; i++) {
        const dec_layer *l = &pkt->layers[i];
        if (l->proto == DEC_ICMP || l->proto == DEC_ICMPV6)
            break; /* an ICMP error quotes another packet: not part of that conversation */
        if (l->proto == DEC_IPV4 || l->proto == DEC_IPV6)
            ip = l, tr = NULL;
        else if ((l->proto == DEC_TCP || l->proto == DEC_UDP) && !l->truncated && !tr)
            tr = l;
    }
    if (ip == NULL || tr == NULL)
        return false;
    memset(k, 0, sizeof *k);
    k->ipver = ip->proto == DEC_IPV4 ? 4 : 6;
    size_t n = k->ipver == 4 ? 4 : 16;
    memcpy(k->a, k->ipver == 4 ? ip->u.ip4.src : ip->u.ip6.src, n);
    memcpy(k->b, k->ipver == 4 ? ip->u.ip4.dst : ip->u.ip6.dst, n);
    k->proto = tr->proto == DEC_TCP ? 6 : 17;
    k->pa = tr->proto == DEC_TCP ? tr->u.tcp.sport : tr->u.udp.sport;
    k->pb = tr->proto == DEC_TCP ? tr->u.tcp.dport : tr->u.udp.dport;
    *l4 = tr;
    return true;
}

static flow_key reversed(const flow_key *k)
{
    flow_key r = *k;
    memcpy(r.a, k->b, 16);
    memcpy(r.b, k->a, 16);
    r.pa = k->pb;
    r.pb = k->pa;
    return r;
}

/* A hash that gives both directions the same value (FNV-1a over the sorted halves). */
static uint32_t key_hash(const flow_key *k)
{
    const uint8_t *x = k->a, *y = k->b;
    uint16_t px = k->pa, py = k->pb;
    if (memcmp(x, y, 16) > 0 || (memcmp(x, y, 16) == 0 && px > py))
        x = k->b, y = k->a, px = k->pb, py = k->pa;
    uint32_t h = 2166136261u;
    uint8_t buf[38];
    memcpy(buf, x, 16);
    memcpy(buf + 16, y, 16);
    buf[32] = (uint8_t)(px >> 8), buf[33] = (uint8_t)px;
    buf[34] = (uint8_t)(py >> 8), buf[35] = (uint8_t)py;
    buf[36] = k->proto, buf[37] = k->ipver;
    for (size_t i = 0; i < sizeof buf; i++)
        h = (h ^ buf[i]) * 16777619u;
    return h;
}

/* Find the conversation of k (either direction); create it when create is set. */
static flow *lookup(flows *t, const flow_key *k, bool create, int *dir)
{
    flow_key rk = reversed(k);
    uint32_t h = key_hash(k);
    flow *victim = NULL;
    for (uint32_t i = 0; i < PROBE; i++) {
        flow *f = &t->slot[(h + i) & (FLOWS_SLOTS - 1)];
        if (f->used && memcmp(&f->key, k, sizeof *k) == 0)
            return *dir = 0, f;
        if (f->used && memcmp(&f->key, &rk, sizeof rk) == 0)
            return *dir = 1, f;
        if (victim == NULL || !f->used || (victim->used && f->last_seen < victim->last_seen))
            victim = f;
    }
    if (!create)
        return NULL;
    memset(victim, 0, sizeof *victim);
    victim->used = true;
    victim->key = *k;
    victim->conv = ++t->nconv;
    *dir = 0;
    return victim;
}

void flows_hints(flows *t, const dec_packet *pkt, dec_hints *h)
{
    flow_key k;
    const dec_layer *l4;
    int dir;
    memset(h, 0, sizeof *h);
    if (!packet_key(pkt, &k, &l4) || k.proto != 6)
        return;
    flow *f = lookup(t, &k, false, &dir);
    if (f)
        h->engineio = f->engineio;
    if (f && f->websocket) {
        h->websocket = true;
        h->ws_from_client = dir == 0;
        h->ws_skip = f->ws_carry[dir];
        h->ws_head_len = f->ws_head_len[dir];
        memcpy(h->ws_head, f->ws_head[dir], sizeof h->ws_head);
    }
}

/* Signed distance a - b in sequence space (RFC 9293 3.4: comparisons are modulo 2^32). */
static int32_t seq_diff(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b);
}

/* Remember the window scale a SYN offers, and say how this segment's window is to be read.
 * RFC 7323 2.2: a side may send the option in its SYN,ACK only if the SYN carried it, and
 * scaling is in force only when both did; the shift each side offered applies to the windows
 * that side sends, and never to a SYN's own window. 2.3: a shift above 14 is taken as 14. */
static void window_track(flow *f, const dec_tcp *t, flow_info *in)
{
    int d = in->dir;
    if (t->flags & DEC_TH_SYN) {
        f->syn_seen[d] = true;
        f->ws_opt[d] = t->has_ws;
        f->ws_shift[d] = t->wscale > 14 ? 14 : t->wscale;
    }
    bool known = f->syn_seen[1] || (f->syn_seen[0] && !f->ws_opt[0]);
    bool scaled = f->syn_seen[1] ? f->ws_opt[1] && (!f->syn_seen[0] || f->ws_opt[0]) : false;
    if (!known)
        in->win = FLOW_WIN_UNKNOWN;
    else if (!scaled)
        in->win = FLOW_WIN_UNSCALED;
    else if (!f->syn_seen[d])
        in->win = FLOW_WIN_UNKNOWN; /* scaling is on, but this side's shift went by unseen */
    else
        in->win = FLOW_WIN_SCALED, in->win_shift = f->ws_shift[d];
}

/* A duplicate ACK: no data, no SYN, FIN or RST, and the same ack number as the last ACK from
 * that side: "I still miss the byte I asked for last time". (RFC 5681 2 also asks for an
 * unchanged window, which a capture cannot compare across the handshake's unscaled window;
 * Linux counts an ACK whose SACK blocks report new data as a duplicate whatever its window.) */
static void ack_track(flow *f, const dec_tcp *t, int d)
{
    if (!(t->flags & DEC_TH_ACK))
        return;
    if (t->payload_len == 0 && !(t->flags & (DEC_TH_SYN | DEC_TH_FIN | DEC_TH_RST)) &&
        f->have_ack[d] && t->ack == f->last_ack[d]) {
        f->dupacks[d]++;
        if (t->nsack > 0)
            f->sackdups[d]++;
    }
    f->last_ack[d] = t->ack, f->have_ack[d] = true;
}

static void tcp_track(flow *f, const dec_packet *pkt, const dec_tcp *t, flow_info *in)
{
    int d = in->dir;
    bool syn = t->flags & DEC_TH_SYN, fin = t->flags & DEC_TH_FIN;
    if (syn && (!f->have_isn[d] || f->isn[d] != t->seq)) {
        if (d == 0 && !(t->flags & DEC_TH_ACK) && f->have_isn[0]) { /* new connection, same ports */
            memset(f->have_hi, 0, sizeof f->have_hi), f->fin[0] = f->fin[1] = false;
            memset(f->syn_seen, 0, sizeof f->syn_seen);
            memset(f->have_ack, 0, sizeof f->have_ack);
        }
        f->isn[d] = t->seq, f->have_isn[d] = true;
    }
    uint32_t end = t->seq + t->payload_len + (syn ? 1u : 0u) + (fin ? 1u : 0u);
    if (f->have_hi[d] && end != t->seq && seq_diff(end, f->hi[d]) <= 0 && !syn)
        in->retransmission = true;
    if (!f->have_hi[d] || seq_diff(end, f->hi[d]) > 0)
        f->hi[d] = end, f->have_hi[d] = true;
    /* Without this side's SYN (the capture began mid-connection) there is nothing to count
     * from: the raw number is shown rather than a made-up 0. */
    in->rel_seq_known = f->have_isn[d];
    in->rel_seq = f->have_isn[d] ? t->seq - f->isn[d] : t->seq;
    in->rel_ack_known = (t->flags & DEC_TH_ACK) && f->have_isn[1 - d];
    in->rel_ack = in->rel_ack_known ? t->ack - f->isn[1 - d] : t->ack;
    flow_phase p = f->phase;
    if (syn || (p == PHASE_HANDSHAKE && t->payload_len == 0 && !fin && f->packets < 3))
        p = PHASE_HANDSHAKE;
    else if (fin || (t->flags & DEC_TH_RST) || f->fin[0] || f->fin[1])
        p = PHASE_TEARDOWN;
    else
        p = PHASE_DATA;
    if (fin)
        f->fin[d] = true;
    in->phase_changed = p != f->phase;
    f->phase = p;
    window_track(f, t, in);
    ack_track(f, t, d);
    (void)pkt;
}

/* Does the request's target carry Engine.IO's query parameter ("/socket.io/?EIO=4&...")? */
static bool engineio_request(const dec_packet *pkt, const dec_layer *http)
{
    const dec_http *h = &http->u.http;
    const uint8_t *p = pkt->bytes + h->uri.off;
    if (!h->request || h->uri.off > pkt->caplen || h->uri.len > pkt->caplen - h->uri.off)
        return false; /* spans lie inside the capture; checked anyway, it costs nothing */
    for (uint32_t i = 0; i + 4 <= h->uri.len; i++)
        if (memcmp(p + i, "EIO=", 4) == 0)
            return true;
    return false;
}

/* Follow WebSocket upgrades and frame boundaries across segments, and Engine.IO requests. */
static void ws_track(flow *f, const dec_packet *pkt, const dec_tcp *t, const flow_info *in)
{
    const dec_layer *http = dec_find(pkt, DEC_HTTP);
    if (http && engineio_request(pkt, http))
        f->engineio = true;
    if (http && !http->u.http.request && http->u.http.status == 101 && http->u.http.ws_upgrade)
        f->websocket = true;
    else if (f->websocket && t->payload_len > 0 && !in->retransmission) {
        f->ws_carry[in->dir] = pkt->ws_carry;
        f->ws_head_len[in->dir] = pkt->ws_head_len;
        memcpy(f->ws_head[in->dir], pkt->ws_head, sizeof pkt->ws_head);
    }
}

void flows_track(flows *t, const dec_packet *pkt, flow_info *info)
{
    flow_key k;
    const dec_layer *l4;
    memset(info, 0, sizeof *info);
    t->npackets++;
    if (!packet_key(pkt, &k, &l4))
        return;
    flow *f = lookup(t, &k, true, &info->dir);
    /* A SYN without ACK names the client, whoever we happened to see first. */
    if (l4->proto == DEC_TCP && (l4->u.tcp.flags & (DEC_TH_SYN | DEC_TH_ACK)) == DEC_TH_SYN &&
        info->dir == 1) {
        f->key = k;
        memset(f->have_isn, 0, sizeof f->have_isn);
        memset(f->have_hi, 0, sizeof f->have_hi);
        memset(f->syn_seen, 0, sizeof f->syn_seen);
        memset(f->have_ack, 0, sizeof f->have_ack);
        info->dir = 0;
    }
    info->first = f->packets == 0;
    f->last_seen = t->npackets;
    if (l4->proto == DEC_TCP) {
        tcp_track(f, pkt, &l4->u.tcp, info);
        ws_track(f, pkt, &l4->u.tcp, info);
    } else {
        info->phase_changed = info->first;
        f->phase = PHASE_DATA;
    }
    f->packets++;
    info->f = f;
}
