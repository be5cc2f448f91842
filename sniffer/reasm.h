/*
 * reasm.h - TCP reassembly: one direction of a connection's segments in, its byte stream out.
 *
 * What it teaches: TCP carries a stream of bytes, not messages. The sender cuts the stream into
 * segments as it likes (MSS, the window, Nagle, the application's writes), the network may lose,
 * duplicate and reorder them, and each segment's sequence number says where its bytes belong
 * (RFC 9293 3.4). The receiver - and a sniffer that wants to show whole HTTP or WebSocket
 * messages, as Wireshark does - puts them back in order:
 *   - a segment that starts at the next expected byte is delivered, and so are the held
 *     segments that now follow it without a hole;
 *   - a segment wholly before it is a retransmission (the bytes were delivered already);
 *   - one that overlaps it delivers only its new bytes;
 *   - one beyond it waits (out of order) until the hole is filled.
 * Where two copies of the same bytes differ, the first one received is kept (the receiver's
 * buffer already holds it); the difference is counted.
 *
 * A hole that is never filled (a segment the capture did not see) cannot be decoded across: it
 * is delivered as a gap of so many bytes, and the bytes after it go on. That happens when the
 * stream is flushed (end of the capture, or an RST), or when holding more would break a limit.
 *
 * Limits: each stream holds at most `cap` bytes out of order, and all streams together share
 * one budget (reasm_budget). When a segment would not fit, the stream gives up on its first
 * hole: it is declared a gap and what was held behind it is delivered, making room.
 *
 * Interface (pure: no I/O; sequence numbers compared modulo 2^32, as RFC 9293 3.4 says):
 *   reasm_init(r, budget, cap)                     an empty stream
 *   reasm_start(r, seq)                            the next byte is seq (after a SYN: ISN + 1)
 *   reasm_add(r, seq, data, n, frame, sink)        a segment's payload, from capture frame
 *   reasm_gap(r, seq, n, frame, sink)              [seq, seq + n) was cut by the snapshot length
 *   reasm_flush(r, frame, sink)                    no more segments: deliver what is held
 *   reasm_free(r)
 * A stream that was not started begins at its first segment (the capture began mid-stream).
 */
#ifndef WIRELAB_REASM_H
#define WIRELAB_REASM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Memory shared by every stream of a capture. */
typedef struct reasm_budget {
    size_t used, cap;
    uint64_t over; /* times a stream gave up on a hole because this budget was full */
} reasm_budget;

/* Where the in-order stream goes. data/gap may be called several times per reasm_add. */
typedef struct reasm_sink {
    void (*data)(void *user, const uint8_t *p, uint32_t n, uint64_t frame);
    void (*gap)(void *user, uint32_t missing, uint64_t frame);
    void *user;
} reasm_sink;

typedef struct reasm_seg reasm_seg;

typedef struct reasm {
    bool started;
    uint32_t next;  /* sequence number of the next byte the stream expects */
    reasm_seg *ooo; /* held out-of-order segments, sorted by seq, never overlapping */
    size_t held, cap;
    reasm_budget *budget;
    uint64_t delivered;   /* bytes delivered in order */
    uint64_t retrans;     /* bytes that arrived again after they were delivered or held */
    uint64_t conflicts;   /* held bytes whose second copy differed */
    uint64_t gaps;        /* holes given up on */
    uint64_t gap_bytes;   /* bytes in those holes */
    uint64_t over_stream; /* times the per-stream cap made this stream give up on a hole */
} reasm;

void reasm_init(reasm *r, reasm_budget *budget, size_t cap);
void reasm_start(reasm *r, uint32_t seq);
/* Returns 0, or -1 when memory ran out (the segment is then treated as missing: a gap). */
int reasm_add(reasm *r, uint32_t seq, const uint8_t *data, uint32_t n, uint64_t frame,
              const reasm_sink *sink);
/* The bytes [seq, seq + n) of a segment were on the wire but not captured (the snapshot length
 * cut it). When they are the next bytes, they are delivered as a gap at once. */
void reasm_gap(reasm *r, uint32_t seq, uint32_t n, uint64_t frame, const reasm_sink *sink);
void reasm_flush(reasm *r, uint64_t frame, const reasm_sink *sink);
void reasm_free(reasm *r);

#endif
