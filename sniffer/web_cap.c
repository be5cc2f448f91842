/*
 * web_cap.c - the capture thread of `sniffer --web`: every packet decoded as main.c decodes
 * it (decode, conversation, reassembly, statistics), then kept as one record in the bounded
 * store (web_store.h) for the loop thread to serve.
 *
 * What it teaches: why a second thread. The event loop (web.c) must answer the browser at
 * once; reading a million-packet file, or waiting for the next live packet, must not stop it.
 * So the capture runs on a thread of its own, and the two meet in one store behind one mutex,
 * held for one record at a time by this side.
 *
 * Run: `sniffer --web -r capture.pcap` (a file needs no privileges), or `sniffer --web -i lo`
 * (live: root, cap_net_raw, or the lab's namespace, as every live capture).
 */
#include "web.h"

#include "addr.h"

#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(sizeof(dec_hints) <= sizeof(((web_rec *)0)->hints), "web_rec.hints too small");

/* A message reassembly completed (streams.h): kept for this frame's record, as main.c does. */
static void on_message(void *user, uint64_t conv, const smsg *m)
{
    web_cap *w = user;
    if (w->msgs.n < VIEW_MSGS) {
        w->msgs.conv[w->msgs.n] = conv;
        w->msgs.m[w->msgs.n++] = *m;
    } else {
        w->msgs.more++;
    }
}

int web_cap_init(web_cap *w, capture *c, size_t max_store)
{
    w->cap = c;
    w->linktype = cap_linktype(c);
    w->max_store = max_store;
    w->flows = flows_new();
    w->streams = streams_new(on_message, w);
    w->st = stats_new();
    w->store = web_store_new(max_store);
    atomic_init(&w->done, false);
    if (pthread_mutex_init(&w->lock, NULL) != 0)
        return -1;
    return w->flows && w->streams && w->st && w->store ? 0 : -1;
}

void web_cap_free(web_cap *w)
{
    flows_free(w->flows);
    streams_free(w->streams);
    stats_free(w->st);
    web_store_free(w->store);
    pthread_mutex_destroy(&w->lock);
}

/* Source and destination as the list shows them: IP addresses, else MACs, else "". */
static void endpoints(const dec_packet *pkt, char src[ADDR_STRLEN], char dst[ADDR_STRLEN])
{
    src[0] = dst[0] = '\0';
    const dec_layer *ip4 = dec_find(pkt, DEC_IPV4), *ip6 = dec_find(pkt, DEC_IPV6);
    const dec_layer *eth = dec_find(pkt, DEC_ETH), *arp = dec_find(pkt, DEC_ARP);
    if (ip4 && dec_fields_read(ip4)) {
        addr_ipv4(src, ip4->u.ip4.src);
        addr_ipv4(dst, ip4->u.ip4.dst);
    } else if (ip6 && dec_fields_read(ip6)) {
        addr_ipv6(src, ip6->u.ip6.src);
        addr_ipv6(dst, ip6->u.ip6.dst);
    } else if (arp && dec_fields_read(arp) && arp->u.arp.ipv4) {
        addr_ipv4(src, arp->u.arp.spa);
        addr_ipv4(dst, arp->u.arp.tpa);
    } else if (eth && dec_fields_read(eth)) {
        addr_mac(src, eth->u.eth.src);
        addr_mac(dst, eth->u.eth.dst);
    }
}

/* The one-line view (view_line) without its clock time: the list has a time column. */
static size_t summary(web_cap *w, const view_frame *fr, const flow_info *fi, char *buf, size_t cap)
{
    FILE *f = fmemopen(buf, cap, "w");
    if (f == NULL)
        return 0;
    setvbuf(f, NULL, _IONBF, 0);
    view_line(f, &w->vo, fr, &w->pkt, fi);
    long n = ftell(f);
    fclose(f);
    size_t len = n > 0 ? (size_t)n : 0;
    if (len >= cap)
        len = cap - 1;
    buf[len] = '\0';
    char *text = buf[0] == '[' ? strstr(buf, "] ") : strchr(buf, ' ');
    text = text ? text + (buf[0] == '[' ? 2 : 1) : buf;
    len = strcspn(text, "\n");
    memmove(buf, text, len);
    buf[len] = '\0';
    return len;
}

/* The messages completed at this frame, as --json writes them (",\"messages\":[...]"). The
 * caller frees *out. */
static size_t msgs_json(const view_msgs *v, char **out)
{
    size_t len = 0;
    *out = NULL;
    if (v->n == 0 && v->more == 0)
        return 0;
    FILE *f = open_memstream(out, &len);
    if (f == NULL)
        return 0;
    view_json_msgs(f, v);
    fclose(f);
    return len;
}

static void fill_rec(web_rec *r, const dec_packet *pkt, const flow_info *fi, const sring_hdr *h)
{
    memset(r, 0, sizeof *r);
    r->sec = h->sec;
    r->frac = h->frac;
    r->nano = h->nano;
    r->caplen = h->caplen;
    r->len = h->len;
    for (int i = 0; i < pkt->nlayers; i++)
        r->protos |= 1u << pkt->layers[i].proto;
    const dec_layer *tcp = dec_find(pkt, DEC_TCP), *udp = dec_find(pkt, DEC_UDP);
    if (tcp && dec_fields_read(tcp))
        r->sport = tcp->u.tcp.sport, r->dport = tcp->u.tcp.dport;
    else if (udp && dec_fields_read(udp))
        r->sport = udp->u.udp.sport, r->dport = udp->u.udp.dport;
    if (fi->f) {
        r->conv = fi->f->conv;
        r->dir = (uint8_t)fi->dir;
        r->retrans = fi->retransmission;
    }
}

/* Keep the record; the first time the store forgets, say so once (and what to do). */
static void store_record(web_cap *w, web_rec *r, const char *src, const char *dst, const char *info,
                         const char *msgs, const uint8_t *bytes)
{
    pthread_mutex_lock(&w->lock);
    long gone = web_store_add(w->store, r, src, dst, info, msgs, bytes);
    if (!w->have_t0) {
        w->have_t0 = true;
        w->t0_sec = r->sec;
        w->t0_usec = r->nano ? r->frac / 1000 : r->frac;
    }
    pthread_mutex_unlock(&w->lock);
    if ((gone != 0) && !w->logged_evict) {
        w->logged_evict = true;
        fprintf(stderr,
                "sniffer: the store is full (--max-store %zu bytes) at frame %" PRIu64
                ": the oldest packets are forgotten from now on (the page says which frames "
                "it still has; give --max-store more bytes to keep more)\n",
                w->max_store, w->frames);
    }
}

/* Decode, remember, keep: called once per packet, on the capture thread. */
static void on_packet(void *user, const sring_hdr *h, const uint8_t *bytes)
{
    web_cap *w = user;
    view_frame fr = {++w->frames, h->sec, h->frac, h->nano};
    dec_hints hints;
    flow_info fi;
    web_rec r;
    dec_decode(&w->pkt, w->linktype, bytes, h->caplen, h->len, NULL);
    flows_hints(w->flows, &w->pkt, &hints);
    bool hinted = hints.websocket || hints.engineio;
    if (hinted)
        dec_decode(&w->pkt, w->linktype, bytes, h->caplen, h->len, &hints);
    flows_track(w->flows, &w->pkt, &fi);
    w->msgs.n = w->msgs.more = 0;
    streams_packet(w->streams, &w->pkt, &fi, fr.n);
    fill_rec(&r, &w->pkt, &fi, h);
    if (hinted)
        memcpy(r.hints, &hints, sizeof hints);
    char src[ADDR_STRLEN], dst[ADDR_STRLEN], info[1024];
    endpoints(&w->pkt, src, dst);
    r.src_len = (uint8_t)strlen(src);
    r.dst_len = (uint8_t)strlen(dst);
    r.info_len = (uint16_t)summary(w, &fr, &fi, info, sizeof info);
    char *msgs;
    r.msgs_len = (uint32_t)msgs_json(&w->msgs, &msgs);
    pthread_mutex_lock(&w->lock); /* the loop thread reads the numbers for the page */
    stats_add(w->st, &w->pkt, &fi);
    pthread_mutex_unlock(&w->lock);
    store_record(w, &r, src, dst, info, msgs, bytes);
    free(msgs);
}

static void *capture_main(void *arg)
{
    web_cap *w = arg;
    /* SIGINT and SIGTERM are for the loop's signalfd (web.c blocks them before this thread
     * starts, and the mask is inherited): nothing to do here. */
    if (cap_run(w->cap, 0, on_packet, w, w->err, sizeof w->err) < 0)
        fprintf(stderr, "sniffer: %s\n", w->err);
    atomic_store(&w->done, true);
    return NULL;
}

int web_cap_start(web_cap *w)
{
    return pthread_create(&w->thread, NULL, capture_main, w) == 0 ? 0 : -1;
}

void web_cap_stop(web_cap *w)
{
    cap_stop(w->cap);
    pthread_join(w->thread, NULL);
}

void web_cap_decode(const web_cap *w, const web_view *v, dec_packet *pkt)
{
    dec_hints hints;
    memcpy(&hints, v->rec->hints, sizeof hints);
    bool hinted = hints.websocket || hints.engineio;
    dec_decode(pkt, w->linktype, v->bytes, v->rec->caplen, v->rec->len, hinted ? &hints : NULL);
}
