/*
 * streams.h - every TCP conversation of a capture reassembled (reasm.h) and read as messages
 * (stream_msgs.h): the sniffer's "whole messages across segments".
 *
 * Called once per packet after the decoder and flows.c: the segment's payload goes to its
 * direction's reassembler, the in-order bytes to the message reader, and each message that
 * completes is handed to the callback at the frame that completed it.
 *
 * Limits (sniffer/README.md, "Reassembly"): STREAMS_MAX conversations are reassembled at once
 * (when a new one needs a place, the least recently seen one is ended: its half-read messages
 * are reported cut); each direction holds at most STREAMS_HOLD bytes out of order, and all of
 * them together STREAMS_BUDGET; over a cap, the stream gives up waiting for its first hole
 * and shows it as a gap. Each cap is counted and reported once on stderr when it first bites.
 *
 * Pure: no I/O except that one line on stderr.
 */
#ifndef WIRELAB_STREAMS_H
#define WIRELAB_STREAMS_H

#include "decode.h"
#include "flows.h"
#include "stream_msgs.h"

#include <stdint.h>

#define STREAMS_MAX    512                 /* conversations reassembled at once */
#define STREAMS_HOLD   (4u << 20)          /* out-of-order bytes held per direction */
#define STREAMS_BUDGET ((size_t)64u << 20) /* out-of-order bytes held by all streams */

typedef struct streams streams;

/* A message, with the conversation it belongs to (flows.h's conversation number). */
typedef void (*streams_msg_fn)(void *user, uint64_t conv, const smsg *m);
/* The bytes of one conversation as they come out of reassembly (--follow): either data
 * (p, n) or a gap of `gap` bytes that were not captured. */
typedef void (*streams_raw_fn)(void *user, int dir, const uint8_t *p, uint32_t n, uint32_t gap,
                               uint64_t frame);

typedef struct streams_counts {
    uint64_t conversations, messages, gaps, gap_bytes, retrans_bytes, conflicts;
    uint64_t over_stream, over_budget, evicted;
} streams_counts;

streams *streams_new(streams_msg_fn fn, void *user);
void streams_follow(streams *s, uint64_t conv, streams_raw_fn fn, void *user);
void streams_packet(streams *s, const dec_packet *pkt, const flow_info *fi, uint64_t frame);
void streams_finish(streams *s, uint64_t frame); /* the capture ended: flush every stream */
void streams_get_counts(const streams *s, streams_counts *out);
void streams_free(streams *s);

#endif
