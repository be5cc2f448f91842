/*
 * view_stats.c - --stats: at the end of a capture, what each protocol cost.
 *
 *   per protocol: packets, bytes on the wire (of that layer and what it carries), header bytes
 *   per OSI layer: header bytes, and the payload left over: the overhead of the stack
 *   per transport (the "TCP vs UDP" lab): frames, wire bytes, header bytes, payload bytes,
 *   and for TCP the control segments (no payload: SYN, ACK, FIN ...) versus data segments and
 *   the retransmissions seen.
 */
#include "view.h"

#include <inttypes.h>
#include <stdlib.h>

typedef struct row {
    uint64_t packets, bytes, hdr;
} row;

typedef struct transport {
    uint64_t frames, wire, hdr, payload;
} transport;

struct stats {
    uint64_t frames, wire, captured;
    row proto[DEC_NPROTO];
    uint64_t osi_hdr[8];
    uint64_t payload;
    transport tr[2]; /* [0] TCP, [1] UDP */
    uint64_t tcp_control, tcp_data, tcp_retrans;
};

static const char *const row_name[DEC_NPROTO] = {
    "eth", "sll", "sll2", "null",      "vlan", "arp",      "ipv4",  "ipv6",     "icmp", "icmpv6",
    "tcp", "udp", "http", "websocket", "dns",  "udp_echo", "queue", "socketio", "resp", "data"};

stats *stats_new(void)
{
    return calloc(1, sizeof(stats));
}

void stats_free(stats *s)
{
    free(s);
}

void stats_add(stats *s, const dec_packet *pkt, const flow_info *fi)
{
    uint64_t hdr = 0;
    s->frames++;
    s->wire += pkt->len;
    s->captured += pkt->caplen;
    for (int i = 0; i < pkt->nlayers; i++) {
        const dec_layer *l = &pkt->layers[i];
        row *r = &s->proto[l->proto];
        r->packets++;
        r->bytes += l->wire;
        if (l->proto != DEC_DATA) {
            r->hdr += l->hdr;
            s->osi_hdr[l->osi & 7] += l->hdr;
            hdr += l->hdr;
        }
    }
    uint64_t payload = pkt->len > hdr ? pkt->len - hdr : 0;
    s->payload += payload;
    const dec_layer *tcp = dec_find(pkt, DEC_TCP), *udp = dec_find(pkt, DEC_UDP);
    if (tcp || udp) {
        transport *t = &s->tr[tcp ? 0 : 1];
        t->frames++, t->wire += pkt->len, t->hdr += hdr, t->payload += payload;
    }
    if (tcp && !tcp->truncated) {
        if (tcp->u.tcp.payload_len)
            s->tcp_data++;
        else
            s->tcp_control++;
        s->tcp_retrans += fi->retransmission;
    }
}

static double pct(uint64_t a, uint64_t b)
{
    return b ? 100.0 * (double)a / (double)b : 0.0;
}

static void print_transport(FILE *out, const char *name, const transport *t)
{
    if (t->frames == 0)
        return;
    fprintf(out,
            "  %-4s %9" PRIu64 " frames %11" PRIu64 " bytes  headers %10" PRIu64
            " (%5.1f%%)  payload %11" PRIu64 " (%5.1f%%)\n",
            name, t->frames, t->wire, t->hdr, pct(t->hdr, t->wire), t->payload,
            pct(t->payload, t->wire));
}

void stats_print(FILE *out, const stats *s)
{
    static const char *const osi[8] = {"", "", "2 data link",  "3 network", "4 transport",
                                       "", "", "7 application"};
    fprintf(out, "\n%-10s %10s %14s %14s\n", "protocol", "packets", "bytes", "header bytes");
    for (int p = 0; p < DEC_NPROTO; p++)
        if (s->proto[p].packets)
            fprintf(out, "%-10s %10" PRIu64 " %14" PRIu64 " %14" PRIu64 "\n", row_name[p],
                    s->proto[p].packets, s->proto[p].bytes, s->proto[p].hdr);
    fprintf(out, "\n%" PRIu64 " frames, %" PRIu64 " bytes on the wire, %" PRIu64 " captured\n",
            s->frames, s->wire, s->captured);
    fputs("overhead by layer (header bytes, share of the bytes on the wire):\n", out);
    for (int l = 2; l < 8; l++)
        if (s->osi_hdr[l])
            fprintf(out, "  %-14s %12" PRIu64 " (%5.1f%%)\n", osi[l], s->osi_hdr[l],
                    pct(s->osi_hdr[l], s->wire));
    fprintf(out, "  %-14s %12" PRIu64 " (%5.1f%%)\n", "payload", s->payload,
            pct(s->payload, s->wire));
    fputs("by transport:\n", out);
    print_transport(out, "TCP", &s->tr[0]);
    print_transport(out, "UDP", &s->tr[1]);
    if (s->tcp_control + s->tcp_data)
        fprintf(out,
                "TCP segments: %" PRIu64 " control (no payload), %" PRIu64 " data, %" PRIu64
                " retransmissions\n",
                s->tcp_control, s->tcp_data, s->tcp_retrans);
}

/* The TCP-versus-UDP numbers of stats_print, as one JSON object (the live view's panel). */
void stats_json(FILE *out, const stats *s)
{
    fprintf(out, "{\"frames\":%" PRIu64 ",\"wire\":%" PRIu64 ",\"payload\":%" PRIu64, s->frames,
            s->wire, s->payload);
    for (int i = 0; i < 2; i++)
        fprintf(out,
                ",\"%s\":{\"frames\":%" PRIu64 ",\"wire\":%" PRIu64 ",\"hdr\":%" PRIu64
                ",\"payload\":%" PRIu64 "}",
                i ? "udp" : "tcp", s->tr[i].frames, s->tr[i].wire, s->tr[i].hdr, s->tr[i].payload);
    fprintf(out,
            ",\"tcp_control\":%" PRIu64 ",\"tcp_data\":%" PRIu64 ",\"tcp_retrans\":%" PRIu64 "}",
            s->tcp_control, s->tcp_data, s->tcp_retrans);
}
