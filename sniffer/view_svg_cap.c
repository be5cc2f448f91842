/*
 * view_svg_cap.c - what the SVG pictures remember of a capture: one small record per packet.
 *
 *   build/bin/sniffer -r capture.pcap --svg ladder     (the pictures are drawn at the end)
 *
 * A picture needs the whole capture before it can draw anything (how tall is the ladder? how
 * far does the sequence axis go?), so unlike the text views, which print each packet as it
 * comes, these keep a record of each: its time, conversation and direction, the TCP numbers as
 * the ladder shows them, the receive window in bytes (scaled by the shift the SYNs agreed,
 * RFC 7323 2.2), the SACK blocks (RFC 2018), the Wirelab sequence number of a udp_sender
 * datagram, the ladder's label, and the application message. SVG_MAX_PACKETS records at most
 * (368 bytes each, about 37 MB); packets after that are counted, and each picture says so.
 * Pure: no I/O.
 */
#include "flows.h"
#include "view_svg.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

void svg_cap_init(svg_cap *c)
{
    memset(c, 0, sizeof *c);
}

void svg_cap_free(svg_cap *c)
{
    free(c->pkts);
    memset(c, 0, sizeof *c);
}

const svg_conv *svg_cap_conv(const svg_cap *c, uint64_t conv)
{
    for (unsigned i = 0; i < c->nconvs; i++)
        if (c->convs[i].conv == conv)
            return &c->convs[i];
    return NULL;
}

/* Seconds since the first valid time; a frame whose time is invalid keeps the last one. */
static double seconds(svg_cap *c, const view_frame *fr)
{
    uint32_t usec;
    if (!view_ts_usec(fr, &usec))
        return c->last_t;
    if (!c->have0)
        c->sec0 = fr->sec, c->usec0 = usec, c->have0 = true;
    c->last_t = (double)(fr->sec - c->sec0) + (double)((int64_t)usec - c->usec0) / 1e6;
    return c->last_t;
}

static void name_conv(svg_cap *c, const flow *f)
{
    if (svg_cap_conv(c, f->conv) || c->nconvs == SVG_MAX_CONVS)
        return;
    svg_conv *v = &c->convs[c->nconvs++];
    v->conv = f->conv;
    v->proto = f->key.proto;
    view_endpoint(v->client, sizeof v->client, &f->key, 0);
    view_endpoint(v->server, sizeof v->server, &f->key, 1);
}

/* The TCP fields, as the ladder numbers them. */
static void tcp_fields(svg_pkt *p, const view_opts *o, const dec_tcp *t, const flow_info *fi)
{
    bool rel = !o->absolute;
    p->flags = t->flags;
    p->seq = rel ? fi->rel_seq : t->seq;
    p->has_ack = t->flags & DEC_TH_ACK;
    p->ack = rel && fi->rel_ack_known ? fi->rel_ack : t->ack;
    p->retrans = fi->retransmission;
    p->win = t->window;
    p->win_known = fi->win != FLOW_WIN_UNKNOWN;
    if (fi->win == FLOW_WIN_SCALED)
        p->win = (uint64_t)t->window << fi->win_shift;
    /* SACK blocks name the peer's bytes: count them from the peer's SYN, as its seq is */
    const flow *f = fi->f;
    int peer = 1 - fi->dir;
    uint32_t base = rel && f && f->have_isn[peer] ? f->isn[peer] : 0;
    p->nsack = t->nsack > 4 ? 4 : t->nsack;
    for (int i = 0; i < p->nsack; i++)
        p->sack[i][0] = t->sack[i][0] - base, p->sack[i][1] = t->sack[i][1] - base;
}

/* s after what buf holds, cut to fit. */
static void append(char *buf, size_t cap, const char *s)
{
    size_t n = strlen(buf);
    while (*s && n + 1 < cap)
        buf[n++] = *s++;
    buf[n] = '\0';
}

/* The application message drawn under the arrow: what reassembly completed at this frame,
 * else the Socket.IO packets the segment carries. */
static void message(svg_pkt *p, const dec_packet *pkt, const view_msgs *msgs)
{
    if (msgs && msgs->n) {
        char words[SMSG_SUMMARY + 256];
        view_msg_words(words, sizeof words, &msgs->m[0]);
        /* a longer message is cut to the arrow's width: on purpose */
        append(p->msg, sizeof p->msg, words);
        if (msgs->m[0].text[0])
            append(p->msg, sizeof p->msg, " | "), append(p->msg, sizeof p->msg, msgs->m[0].text);
        return;
    }
    for (int i = 0; i < pkt->nlayers; i++)
        if (pkt->layers[i].proto == DEC_SIO) {
            snprintf(p->msg, sizeof p->msg, "%s", dec_str(pkt, pkt->layers[i].u.sio.text));
            return;
        }
}

static svg_pkt *slot(svg_cap *c)
{
    if (c->n == SVG_MAX_PACKETS)
        return NULL;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 256;
        if (cap > SVG_MAX_PACKETS)
            cap = SVG_MAX_PACKETS;
        svg_pkt *p = realloc(c->pkts, cap * sizeof *p);
        if (p == NULL)
            return NULL;
        c->pkts = p, c->cap = cap;
    }
    return &c->pkts[c->n++];
}

bool svg_cap_add(svg_cap *c, const view_opts *o, const view_frame *fr, const dec_packet *pkt,
                 const flow_info *fi, const view_msgs *msgs)
{
    c->seen++;
    double t = seconds(c, fr);
    svg_pkt *p = slot(c);
    if (p == NULL) {
        c->more++;
        return false;
    }
    memset(p, 0, sizeof *p);
    p->frame = fr->n;
    p->t = t;
    p->wire = pkt->len;
    if (fi->f) {
        p->conv = fi->f->conv;
        p->dir = fi->dir;
        p->proto = fi->f->key.proto;
        p->phase = (uint8_t)fi->f->phase;
        name_conv(c, fi->f);
        view_ladder_label(p->label, sizeof p->label, o, pkt, fi);
    }
    const dec_layer *tcp = dec_find(pkt, DEC_TCP), *udp = dec_find(pkt, DEC_UDP);
    const dec_layer *ue = dec_find(pkt, DEC_UDPECHO);
    if (tcp && fi->f && dec_fields_read(tcp)) {
        tcp_fields(p, o, &tcp->u.tcp, fi);
        p->len = tcp->u.tcp.payload_len;
    } else if (udp) {
        p->len = udp->u.udp.payload_len;
    }
    if (ue && !ue->truncated && ue->invalid == NULL)
        p->has_useq = true, p->useq = ue->u.uecho.seq, p->utotal = ue->u.uecho.total;
    message(p, pkt, msgs);
    return true;
}
