/*
 * view.h - the ways the sniffer prints a decoded packet.
 *
 *   view_line     one line per packet, like `tcpdump -nn` (relative TCP seq/ack)
 *   view_layers   a tree by OSI layer, each field named and explained
 *   view_hex      the bytes, each coloured (terminal) or bracketed by the layer it belongs to
 *   view_ladder   a sequence diagram per conversation
 *   view_json     JSON Lines, the stable contract for graders and scripts (see README.md)
 *   stats_*       the per-protocol table printed at the end (--stats)
 *
 * The views only print; they never change a packet. Each takes the frame's number and time,
 * the decoded packet and what the conversation table said about it.
 */
#ifndef WIRELAB_VIEW_H
#define WIRELAB_VIEW_H

#include "decode.h"
#include "flows.h"

#include "stream_msgs.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef struct view_frame {
    uint64_t n;    /* 1-based frame number */
    int64_t sec;   /* capture time: seconds since 1970 */
    uint32_t frac; /* its fraction as captured (see sring_hdr): may be out of range */
    bool nano;     /* frac counts nanoseconds, not microseconds */
} view_frame;

typedef struct view_opts {
    bool absolute; /* raw TCP sequence numbers instead of relative ones */
    bool color;    /* ANSI colours (stdout is a terminal) */
    bool link;     /* -e: the default line starts with the Ethernet addresses and type */
    bool verbose;  /* -v: the default line shows the IPv4 header's fields (ttl, id, offset) */
} view_opts;

/* The messages reassembly completed at this frame (streams.h), for the views to show. */
#define VIEW_MSGS 32
typedef struct view_msgs {
    unsigned n, more; /* kept, and completed beyond VIEW_MSGS (counted only) */
    uint64_t conv[VIEW_MSGS];
    smsg m[VIEW_MSGS];
} view_msgs;

void view_json(FILE *out, const view_frame *fr, const dec_packet *pkt, const view_msgs *msgs);
void view_line(FILE *out, const view_opts *o, const view_frame *fr, const dec_packet *pkt,
               const flow_info *fi);
void view_layers(FILE *out, const view_opts *o, const view_frame *fr, const dec_packet *pkt,
                 const flow_info *fi);
/* The reassembled messages as text lines under the packet (view_msgs.c). all: every message;
 * otherwise only those that spanned several segments, and cuts (the default view and
 * --layers, where a one-segment message is already shown by the packet's own layers). */
void view_msgs_text(FILE *out, const view_msgs *v, bool all);
/* One message in words: "HTTP/1.1 200 OK: 70312 bytes from frames 5,6,7" (view_msgs.c). */
void view_msg_words(char *buf, size_t cap, const smsg *m);
void view_hex(FILE *out, const view_opts *o, const dec_packet *pkt);
void view_ladder(FILE *out, const view_opts *o, const view_frame *fr, const dec_packet *pkt,
                 const flow_info *fi, const view_msgs *msgs);
/* The words on a packet's ladder arrow ("PSH,ACK seq 1 ack 1 len 5 RETRANS", "UDP len 64"):
 * the terminal ladder and the SVG one (view_svg_ladder.c) share them. */
void view_ladder_label(char *buf, size_t cap, const view_opts *o, const dec_packet *pkt,
                       const flow_info *fi);
/* A protocol's name as --layers writes it ("Ethernet II", "WebSocket frame"). */
const char *view_proto_name(dec_proto p);
/* One side of a conversation as "127.0.0.1:7007" or "[::1]:7007" (side 0 client, 1 server). */
void view_endpoint(char *buf, size_t cap, const flow_key *k, int side);

/* Shared by the views: the frame's time in whole microseconds, or false when its fraction is out
 * of range (a damaged or hand-made file); then every view says the time is invalid, with
 * view_ts_invalid's reason ("the microseconds field holds 2147483648 (above 999999)"). */
bool view_ts_usec(const view_frame *fr, uint32_t *usec);
void view_ts_invalid(char *buf, size_t cap, const view_frame *fr);
/* The default line's parts in tcpdump's words (view_tcpdump.c): TCP options (SACK edges
 * minus base), a DNS message, an ICMP or ICMPv6 message at layer i (false when tcpdump has
 * its own words for it and we do not, so the caller writes ours). */
void view_tcp_options(FILE *out, const dec_packet *pkt, const dec_layer *tcp, uint32_t base);
void view_dns(FILE *out, const dec_packet *pkt, const dec_dns *d);
bool view_icmp(FILE *out, const dec_packet *pkt, int i);

/* Shared by the views: the TCP flags as tcpdump writes them ("S.", "P.", "F." ...). */
void view_tcp_flags(char buf[16], uint8_t flags);
/* Copy a span of the packet as printable text (other bytes become '.'). */
void view_text(char *buf, size_t cap, const dec_packet *pkt, dec_span s);

typedef struct stats stats;
stats *stats_new(void);
void stats_add(stats *s, const dec_packet *pkt, const flow_info *fi);
void stats_print(FILE *out, const stats *s);
void stats_free(stats *s);
/* The TCP-versus-UDP numbers of the table as one JSON object (for sniffer --web). */
void stats_json(FILE *out, const stats *s);
/* view_json's string escaping and its "messages" list, for sniffer --web's details. */
void view_json_str(FILE *out, const char *p, size_t n);
void view_json_msgs(FILE *out, const view_msgs *v);

#endif
