/*
 * flows.h - what the sniffer remembers between packets: one entry per conversation.
 *
 * What it teaches: IP and UDP are stateless, and so is our decoder; but reading TCP needs
 * memory. Sequence numbers start at a random initial value (ISN), so "seq 3967291540" only
 * makes sense as "byte 1 of the client's stream" once we know the ISN from the SYN. This table
 * keeps, per conversation (the 5-tuple, either direction): who is the client, each side's ISN
 * (only known when its SYN was captured; otherwise the views show raw numbers),
 * the highest sequence number each side has sent (so a segment below it is a retransmission),
 * how many duplicate ACKs each side has sent (the views tell a fast retransmit from a timeout),
 * the window scale each SYN offered (RFC 7323: a window field counts 2^scale bytes once both
 * SYNs carried the option; without the SYNs the scale is unknown, and the views say so),
 * the conversation's phase (handshake, data, teardown), and whether it turned into WebSocket
 * or speaks Engine.IO (Socket.IO's transport layer).
 *
 * Memory is fixed at creation (FLOWS_SLOTS entries); when it is full the least recently seen
 * conversation is forgotten, so a capture of any size runs in the same memory.
 *
 * Interface:
 *   flows_new() / flows_free(t)
 *   flows_hints(t, pkt, &hints)   before a (re)decode: what the decoder needs to know
 *   flows_track(t, pkt, &info)    after decoding: update the conversation, describe the packet
 * Pure: no I/O.
 */
#ifndef WIRELAB_FLOWS_H
#define WIRELAB_FLOWS_H

#include "decode.h"

#include <stdbool.h>
#include <stdint.h>

#define FLOWS_SLOTS 4096 /* a power of two: slot = hash & (FLOWS_SLOTS - 1) */

typedef enum flow_phase { PHASE_NONE, PHASE_HANDSHAKE, PHASE_DATA, PHASE_TEARDOWN } flow_phase;

/* What a TCP segment's window field means (RFC 7323 2.2-2.3). */
typedef enum flow_win {
    FLOW_WIN_UNKNOWN,  /* the SYNs that set the scale were not captured */
    FLOW_WIN_UNSCALED, /* the SYNs did not both carry the option: the field is bytes */
    FLOW_WIN_SCALED    /* bytes = field << win_shift (the shift this side's SYN offered) */
} flow_win;

typedef struct flow_key {
    uint8_t ipver, proto; /* 4 or 6; 6 = TCP, 17 = UDP */
    uint8_t a[16], b[16]; /* addresses, a = the first sender seen */
    uint16_t pa, pb;      /* ports */
} flow_key;

typedef struct flow {
    bool used;
    flow_key key;       /* key.a/pa is the client: it sent the SYN (or the first packet) */
    uint64_t conv;      /* conversation number, 1-based, in order of first appearance */
    uint64_t last_seen; /* packet counter, for eviction */
    bool have_isn[2];
    uint32_t isn[2]; /* [0] client, [1] server */
    bool have_hi[2];
    uint32_t hi[2]; /* highest seq + length sent in each direction */
    flow_phase phase;
    bool fin[2];
    bool syn_seen[2];    /* this side's SYN was captured... */
    bool ws_opt[2];      /* ...and carried the window scale option... */
    uint8_t ws_shift[2]; /* ...with this shift (clamped to 14, RFC 7323 2.3) */
    bool have_ack[2];
    uint32_t last_ack[2];   /* the last ack number each side sent */
    uint64_t dupacks[2];    /* running count of each side's duplicate ACKs (see flows.c) */
    uint64_t sackdups[2];   /* ...of them, those that carried SACK blocks */
    bool websocket;         /* a 101 Switching Protocols with Upgrade: websocket was seen */
    bool engineio;          /* a request whose target has "EIO=" was seen: Engine.IO */
    uint64_t ws_carry[2];   /* payload bytes of a frame still to come in each direction */
    uint8_t ws_head_len[2]; /* a frame header cut at a segment end, per direction */
    uint8_t ws_head[2][DEC_WS_MAX_HDR];
    uint64_t packets;
} flow;

/* What flows_track says about one packet. */
typedef struct flow_info {
    const flow *f;             /* NULL when the packet is not TCP or UDP over IP */
    int dir;                   /* 0 client to server, 1 server to client */
    bool first;                /* the first packet of this conversation */
    bool phase_changed;        /* f->phase differs from the previous packet's */
    uint32_t rel_seq, rel_ack; /* relative to each side's SYN; raw when it was not seen */
    bool rel_seq_known, rel_ack_known;
    bool retransmission;
    flow_win win;      /* how to read this segment's window (a SYN's own is never scaled) */
    uint8_t win_shift; /* when win is FLOW_WIN_SCALED */
} flow_info;

typedef struct flows flows;

flows *flows_new(void);
void flows_free(flows *t);
void flows_hints(flows *t, const dec_packet *pkt, dec_hints *h);
void flows_track(flows *t, const dec_packet *pkt, flow_info *info);

#endif
