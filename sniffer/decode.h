/*
 * decode.h - the sniffer's pure decoder: captured bytes in, an array of layers out.
 *
 * What it teaches: a packet is a stack of headers, outermost first. Each dissector (one file per
 * protocol: dec_eth.c, dec_ipv4.c, dec_tcp.c, ...) reads its header through the bounds-checked
 * reader in rd.h, records the fields in a typed struct, and hands the rest of the bytes to the
 * next dissector, chosen by a protocol number (EtherType, IP protocol, port).
 *
 * Nothing here does I/O or prints: the views (view_*.c) print a dec_packet, the tests compare
 * it with expected fields, and the fuzzer throws random bytes at it.
 *
 * Three lengths per layer (tcpdump's habit, see print-ip.c):
 *   cap     bytes of this layer that were captured (what we may read)
 *   wire    bytes of this layer that were on the wire (the frame length minus outer headers)
 *   claimed bytes this layer's own length field says it spans (IPv4 total length, UDP length)
 * A layer whose header does not fit in `cap` is marked truncated (decoding stops there); a layer
 * whose length fields contradict themselves is marked invalid with a reason.
 *
 * Interface:
 *   dec_decode(pkt, linktype, bytes, caplen, len, hints)   decode one captured frame
 *   dec_proto_json(proto)   the stable name used by --json ("eth", "tcp", ...)
 *   dec_str(pkt, ref)       a string the decoder stored in the packet (DNS names)
 * Memory: the caller owns pkt and bytes; layers point into bytes, which must outlive them.
 */
#ifndef WIRELAB_DECODE_H
#define WIRELAB_DECODE_H

#include <stdbool.h>
#include <stdint.h>

/* Link types (the pcap LINKTYPE/DLT numbers the decoder understands). */
enum {
    DEC_LINK_NULL = 0,     /* BSD loopback: 4-byte address family in host byte order */
    DEC_LINK_ETH = 1,      /* Ethernet II */
    DEC_LINK_RAW = 12,     /* raw IPv4/IPv6, DLT_RAW as libpcap hands it over on Linux */
    DEC_LINK_RAW101 = 101, /* LINKTYPE_RAW, as stored in a pcap file */
    DEC_LINK_LOOP = 108,   /* OpenBSD loopback: like NULL, family in network byte order */
    DEC_LINK_SLL = 113,    /* Linux cooked capture v1 (-i any) */
    DEC_LINK_IPV4 = 228,   /* raw IPv4 only */
    DEC_LINK_IPV6 = 229,   /* raw IPv6 only */
    DEC_LINK_SLL2 = 276,   /* Linux cooked capture v2 */
};

typedef enum dec_proto {
    DEC_ETH,
    DEC_SLL,
    DEC_SLL2,
    DEC_NULL,
    DEC_VLAN,
    DEC_ARP,
    DEC_IPV4,
    DEC_IPV6,
    DEC_ICMP,
    DEC_ICMPV6,
    DEC_TCP,
    DEC_UDP,
    DEC_HTTP,
    DEC_WS,
    DEC_DNS,
    DEC_UDPECHO, /* Wirelab's udp_sender datagram header */
    DEC_QUEUE,   /* Wirelab's queue_broker text lines */
    DEC_SIO,     /* Engine.IO / Socket.IO packets in a WebSocket frame or a polling body */
    DEC_DATA,
    DEC_NPROTO
} dec_proto;

/* How far a checksum could be checked. */
typedef enum dec_cksum {
    DEC_CK_UNCHECKED, /* not every covered byte was captured */
    DEC_CK_OK,
    DEC_CK_BAD,
    DEC_CK_PARTIAL, /* holds only the pseudo-header sum: the NIC (or loopback) fills it later */
    DEC_CK_NONE,    /* UDP over IPv4 with checksum 0: the sender chose not to compute one */
} dec_cksum;

typedef struct dec_eth {
    uint8_t dst[6], src[6];
    uint16_t type;
} dec_eth;

typedef struct dec_sll { /* SLL and SLL2 share the fields that matter */
    uint16_t pkttype, hatype, halen, protocol;
    uint32_t ifindex; /* SLL2 only */
    uint8_t addr[8];
} dec_sll;

typedef struct dec_null {
    uint32_t family;
} dec_null;

typedef struct dec_vlan {
    uint8_t pcp, dei;
    uint16_t id, type;
} dec_vlan;

typedef struct dec_arp {
    uint16_t htype, ptype, op;
    uint8_t hlen, plen;
    bool ipv4_eth; /* the usual Ethernet/IPv4 form: every address below is filled in */
    bool ipv4;     /* IPv4 protocol addresses (spa, tpa filled in), whatever the hardware */
    uint8_t sha[6], spa[4], tha[6], tpa[4];
} dec_arp;

#define DEC_MAX_OPTS 40 /* TCP and IPv4 options fit in 40 bytes: at most 40 options */
#define DEC_MAX_EXT  8  /* IPv6 extension headers we walk */
typedef struct dec_opt {
    uint8_t kind, len;
    uint16_t off; /* offset of the option inside the packet */
} dec_opt;

typedef struct dec_ipv4 {
    uint8_t hdr_len, tos, ttl, protocol;
    uint16_t total_len, id, frag_offset; /* frag_offset in bytes */
    bool df, mf;
    uint16_t cksum;
    dec_cksum ck;
    uint8_t src[4], dst[4];
    bool len_from_frame; /* total length 0 (TSO, BIG TCP): the frame's length was taken */
    bool first_fragment; /* MF set at offset 0: the payload goes on in later fragments */
    uint8_t nopts;
    dec_opt opts[DEC_MAX_OPTS];
} dec_ipv4;

typedef struct dec_ipv6 {
    uint8_t tclass, first_nh, hop_limit;
    uint8_t upper; /* next_header after the extension headers */
    uint32_t flow;
    uint16_t payload_len;
    uint16_t ext_len; /* bytes of extension headers walked */
    uint8_t src[16], dst[16];
    uint8_t next;             /* extension headers walked */
    dec_opt ext[DEC_MAX_EXT]; /* kind = header type, len = bytes/8 clamp */
    bool len_from_frame;      /* payload length 0 (jumbogram, BIG TCP): the frame's was taken */
    bool frag;                /* a fragment header was seen */
    bool frag_m;              /* more fragments follow */
    uint16_t frag_offset;     /* bytes */
    uint32_t frag_id;
} dec_ipv6;

typedef struct dec_icmp { /* ICMP and ICMPv6 */
    uint8_t type, code;
    uint16_t cksum;
    dec_cksum ck;
    bool echo; /* echo request/reply: id and seq are meaningful */
    uint16_t id, seq;
    uint32_t rest; /* the 4 bytes after the checksum (MTU, pointer, gateway, ...) */
} dec_icmp;

enum {
    DEC_TH_FIN = 1,
    DEC_TH_SYN = 2,
    DEC_TH_RST = 4,
    DEC_TH_PSH = 8,
    DEC_TH_ACK = 16,
    DEC_TH_URG = 32,
    DEC_TH_ECE = 64,
    DEC_TH_CWR = 128
};

typedef struct dec_tcp {
    uint16_t sport, dport, window, cksum, urg;
    uint32_t seq, ack;
    uint8_t hdr_len, flags;
    dec_cksum ck;
    uint32_t payload_len; /* what the IP lengths declare, not what was captured */
    /* options (RFC 9293 3.1, RFC 7323, RFC 2018) */
    bool has_mss, has_ws, sack_ok, has_ts;
    uint16_t mss;
    uint8_t wscale, nsack;
    uint32_t ts_val, ts_ecr;
    uint32_t sack[4][2];
    uint8_t nopts;
    dec_opt opts[DEC_MAX_OPTS];
} dec_tcp;

typedef struct dec_udp {
    uint16_t sport, dport, length, cksum;
    dec_cksum ck;
    uint32_t payload_len;
} dec_udp;

/* A (offset, length) slice of the packet: text stays in the capture, never copied. */
typedef struct dec_span {
    uint32_t off, len;
} dec_span;

#define DEC_MAX_HDRS 16
typedef struct dec_http {
    bool request;
    dec_span method, uri, version, reason;
    uint16_t status;
    uint8_t nhdrs;
    dec_span hname[DEC_MAX_HDRS], hvalue[DEC_MAX_HDRS];
    bool complete;   /* the empty line ending the headers was seen */
    bool ws_upgrade; /* "Upgrade: websocket" present (request or 101 response) */
    uint32_t body_len;
} dec_http;

typedef struct dec_ws {
    bool fin, masked;
    uint8_t rsv, opcode, hdr_len;
    uint8_t mask[4];
    uint64_t payload_len;
    uint32_t payload_cap; /* payload bytes of this frame inside this segment's capture */
    bool continues;       /* the payload goes on in the next segment */
    bool joined;          /* the header began at the end of the previous segment */
} dec_ws;

#define DEC_MAX_RR 8
typedef struct dec_rr {
    uint32_t name; /* string ref (see dec_str) */
    uint16_t type, cls;
    uint32_t ttl;
    uint16_t rdlen;
    uint32_t rdata; /* string ref: the address or name in text, "" when not understood */
} dec_rr;

typedef struct dec_dns {
    bool tcp;         /* over TCP: the message follows a 2-byte length (RFC 1035 4.2.2) */
    uint32_t msg_len; /* the message's length: the UDP payload, or the TCP length prefix */
    uint32_t used;    /* bytes its sections take, when they all parsed */
    uint16_t id, flags, qdcount, ancount, nscount, arcount;
    bool qr;
    uint8_t opcode, rcode;
    uint8_t nq, nan;
    uint32_t qname;
    uint16_t qtype, qclass;
    dec_rr an[DEC_MAX_RR];
} dec_dns;

/* udp_sender's datagram header (udp_echo/dgram.h): "WLU1", sequence, send time, total,
 * payload length; 24 bytes, big-endian. */
typedef struct dec_udpecho {
    uint32_t seq, total, payload_len;
    uint64_t send_ns;
    bool length_ok; /* payload_len equals what UDP delivered minus 24 */
} dec_udpecho;

typedef struct dec_queue { /* one text line of the queue broker's protocol */
    dec_span line, verb;
    uint8_t nlines; /* complete lines in this segment */
} dec_queue;

/* Engine.IO / Socket.IO packets (dec_sio.c): the payload of the WebSocket frame or the body
 * of the HTTP long-polling message just before this layer, described by events/'s own codec
 * (sio_describe), e.g. "socket.io EVENT /chat [\"message\",\"hi\"] ack=12". The layer has no
 * header bytes: off/cap/wire span the frame's payload or the body. In --json it is not a layer
 * of its own (the proto list is a contract) but the "socketio" field of the layer before it. */
typedef struct dec_sio {
    uint32_t text;    /* string ref (see dec_str): the description, records joined by "; " */
    uint16_t records; /* Engine.IO packets described (a polling body may hold several) */
} dec_sio;

typedef struct dec_data {
    uint32_t declared; /* payload length the headers declare */
    bool fragment;     /* the rest is in later IP fragments: short on purpose, not truncated */
} dec_data;

typedef struct dec_layer {
    uint8_t osi; /* 2 data link, 3 network, 4 transport, 7 application */
    dec_proto proto;
    uint32_t off;        /* where the layer starts in the frame */
    uint32_t hdr;        /* header bytes (captured) of this layer */
    uint32_t cap;        /* captured bytes from off to the end of this layer */
    uint32_t wire;       /* bytes on the wire from off to the end of this layer */
    uint32_t claimed;    /* what the layer's own length field says; 0 when it has none */
    bool truncated;      /* the capture ends inside this layer's header */
    bool opts_cut;       /* ... inside its options: the fixed header before them is whole */
    const char *invalid; /* why the header contradicts itself, or NULL */
    union {
        dec_eth eth;
        dec_sll sll;
        dec_null null;
        dec_vlan vlan;
        dec_arp arp;
        dec_ipv4 ip4;
        dec_ipv6 ip6;
        dec_icmp icmp;
        dec_tcp tcp;
        dec_udp udp;
        dec_http http;
        dec_ws ws;
        dec_dns dns;
        dec_udpecho uecho;
        dec_queue queue;
        dec_sio sio;
        dec_data data;
    } u;
} dec_layer;

/* What the caller knows about the flow from earlier packets (the decoder keeps no state). */
#define DEC_WS_MAX_HDR 14 /* 2 + 8 (64-bit length) + 4 (masking key) */
typedef struct dec_hints {
    bool websocket;      /* this TCP flow completed a WebSocket upgrade earlier */
    bool ws_from_client; /* this segment goes client to server (its frames must be masked) */
    uint64_t ws_skip;    /* payload bytes of a frame begun in an earlier segment */
    uint8_t ws_head_len; /* a frame header cut by the previous segment's end: */
    uint8_t ws_head[DEC_WS_MAX_HDR]; /* its first bytes */
    bool engineio; /* the flow sent an Engine.IO request (a target with "EIO=") earlier: its
                      WebSocket frames and text/plain responses carry Engine.IO packets */
} dec_hints;

#define DEC_MAX_LAYERS 24
#define DEC_STRS       2048
typedef struct dec_packet {
    const uint8_t *bytes;
    uint32_t caplen, len;
    int linktype;
    uint8_t nlayers;
    bool more_layers;                /* more than DEC_MAX_LAYERS; the rest was not decoded */
    uint64_t ws_carry;               /* payload bytes of the last WebSocket frame still to come */
    uint8_t ws_head_len;             /* a frame header cut by this segment's end: */
    uint8_t ws_head[DEC_WS_MAX_HDR]; /* its first bytes, for the next segment */
    dec_layer layers[DEC_MAX_LAYERS];
    uint32_t nstrs;
    char strs[DEC_STRS]; /* NUL-terminated strings the decoder built (DNS names, addresses) */
} dec_packet;

/* Decode one frame. Returns the number of layers (0 for an unknown link type). Never reads
 * bytes[caplen] or beyond, whatever the bytes say. hints may be NULL. */
int dec_decode(dec_packet *pkt, int linktype, const uint8_t *bytes, uint32_t caplen, uint32_t len,
               const dec_hints *hints);

const char *dec_proto_json(dec_proto p);
const char *dec_str(const dec_packet *pkt, uint32_t ref);
const char *dec_cksum_name(dec_cksum c);
bool dec_linktype_known(int linktype);

/* Were the layer's fields read? Not when the capture ended inside its fixed header; yes when it
 * ended only inside its options, or inside an application message (read as far as it goes). */
static inline bool dec_fields_read(const dec_layer *l)
{
    return !l->truncated || l->opts_cut || l->proto >= DEC_HTTP;
}

/* What a TCP stream whose first bytes are p[0..n) speaks (dec_app.c): the packet decoder's own
 * tests. DEC_APP_MORE: too few bytes to tell yet. */
typedef enum dec_app_kind { DEC_APP_MORE, DEC_APP_HTTP, DEC_APP_QUEUE, DEC_APP_OTHER } dec_app_kind;
dec_app_kind dec_app_detect(const uint8_t *p, uint32_t n);

/* The innermost layer of a protocol, or NULL. */
const dec_layer *dec_find(const dec_packet *pkt, dec_proto p);

#endif
