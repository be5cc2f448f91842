/*
 * dgram.h - the Wirelab UDP datagram: header codec, payload pattern, per-sender accounting.
 *
 * What it teaches: UDP carries your bytes in one piece or not at all, and tells you nothing
 * else - not which datagram this is, not whether one went missing, not whether two swapped
 * places. So every Wirelab datagram starts with a small header of our own that says so, and
 * the receiver keeps books per sender (received, lost, duplicated, reordered, sizes seen).
 *
 * Pure code: no sockets, no clocks, no printing. udp_sender and udp_receiver use it on live
 * datagrams, the sniffer uses it on captured ones, the unit tests on crafted byte arrays.
 * Run the tests: ctest --test-dir build -R udp_dgram
 *
 * Interface
 *   dgram_encode(hdr, buf, cap)           write the header into buf (network byte order)
 *   dgram_decode(buf, caplen, wirelen, h) read and check a header from a datagram's bytes
 *   dgram_fill(buf, len, seq, ...)        a whole datagram: header + recognisable payload
 *   dgram_payload_check(...)              is the payload the pattern the sender wrote?
 *   dgram_strerror(code)                  a sentence for each dgram_decode result
 *   seqstat_init / seqstat_add / ...      the per-sender books
 */
#ifndef WIRELAB_DGRAM_H
#define WIRELAB_DGRAM_H

#include <stddef.h>
#include <stdint.h>

/*
 * The header, 24 bytes at the start of the UDP payload, every field big-endian
 * (network byte order, as in RFC 791's diagrams):
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |     'W'       |     'L'       |     'U'       |     '1'       |  0 magic
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                        sequence number                        |  4 0, 1, 2, ... per run
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                                                               |  8 send time: nanoseconds
 *  +                      send timestamp (64)                      +    since 1970 (UTC) by the
 *  |                                                               |    sender's clock
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |        total (how many sequence numbers this run uses)        | 16 0 = not said
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                        payload length                         | 20 bytes after the header
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |  payload: 'a' + (seq + i) % 26 for byte i ... "ghijklmnop..." | 24
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Why "total": a receiver only notices a gap when a later datagram arrives, so losing the last
 * few is invisible - unless the sender said up front how many it meant to send.
 * Why the payload length: it must equal what UDP delivered minus 24; if it does not, the
 * datagram was cut (a capture snap length) or is not what it claims.
 * A datagram shorter than 24 bytes (udp_sender --size 1 .. 23) carries only the first bytes of
 * the header: boundaries still hold, but it cannot be numbered.
 */
#define DGRAM_MAGIC       0x574C5531u /* "WLU1" */
#define DGRAM_HEADER_LEN  24
#define DGRAM_MAX_IPV4    65507 /* 65535 IPv4 total length - 20 IP header - 8 UDP header */
#define DGRAM_MAX_IPV6    65527 /* 65535 IPv6 payload length - 8 UDP header (no jumbograms) */
#define DGRAM_PATTERN_LEN 26    /* the payload repeats the alphabet, shifted by seq */

struct dgram_header {
    uint32_t seq;
    uint64_t send_ns;
    uint32_t total;
    uint32_t payload_len;
};

/* What dgram_decode found. Truncated and invalid are different things (see tcpdump). */
enum dgram_result {
    DGRAM_OK = 0,
    DGRAM_TRUNCATED = -1, /* fewer than 24 bytes, but what is there starts like our magic */
    DGRAM_FOREIGN = -2,   /* does not start with "WLU1": somebody else's datagram */
    DGRAM_BAD_LENGTH = -3 /* header's payload length disagrees with the datagram's length */
};

/*
 * Write hdr into buf[0..23]. Returns DGRAM_HEADER_LEN, or 0 if cap is too small (nothing is
 * written then).
 */
size_t dgram_encode(const struct dgram_header *hdr, uint8_t *buf, size_t cap);

/*
 * Read a header from the first caplen bytes of a datagram that was wirelen bytes long on the
 * wire (a receiver passes the same number twice; a sniffer passes what it captured and what
 * the UDP header said). Never reads beyond caplen. Returns a dgram_result; *out is filled only
 * on DGRAM_OK and DGRAM_BAD_LENGTH.
 */
int dgram_decode(const uint8_t *buf, size_t caplen, size_t wirelen, struct dgram_header *out);

/* A short sentence for a dgram_result ("not a Wirelab datagram (no WLU1 magic)"). */
const char *dgram_strerror(int result);

/*
 * Build a whole datagram of len bytes into buf (cap bytes): header with seq, send_ns and
 * total, then the payload pattern. When len < DGRAM_HEADER_LEN only the first len bytes of the
 * header are written. Returns len, or 0 when len > cap.
 */
size_t dgram_fill(uint8_t *buf, size_t cap, size_t len, uint32_t seq, uint64_t send_ns,
                  uint32_t total);

/*
 * Check the payload (the bytes after the header) against the pattern for seq. Returns -1 when
 * it matches, else the offset (from the payload's start) of the first wrong byte.
 */
long dgram_payload_check(const uint8_t *payload, size_t len, uint32_t seq);

/*
 * The books one receiver keeps per sender. Sequence numbers start at 0 (udp_sender always
 * does), so a receiver that first hears seq 5 counts 0..4 as lost until they turn up.
 *
 *   expected  = max(highest seq seen + 1, total the sender announced)
 *   lost      = expected - distinct sequence numbers seen      (a late arrival "un-loses")
 *   duplicate = a sequence number seen before
 *   reordered = arrived after a higher sequence number (it had counted as lost until then)
 *
 * Which numbers were seen is a bitmap over the last SEQSTAT_WINDOW numbers below the highest;
 * a datagram older than that cannot be told apart (late or duplicate?) and counts as too_old.
 * The struct is caller-owned (about 8 KiB); no allocation.
 */
#define SEQSTAT_WINDOW 65536u /* a power of two: slot = seq & (WINDOW - 1) */
#define SEQSTAT_SIZES  8      /* distinct datagram sizes remembered, with a count each */

enum seqstat_verdict {
    SEQ_IN_ORDER,  /* the next one, as hoped */
    SEQ_GAP,       /* higher than the next: st->last_gap numbers are missing before it */
    SEQ_REORDERED, /* lower than the highest seen and new: it fills a gap */
    SEQ_DUPLICATE, /* seen before */
    SEQ_TOO_OLD    /* more than SEQSTAT_WINDOW below the highest: cannot tell */
};

struct seqstat_size {
    uint32_t size;
    uint64_t count;
};

struct seqstat {
    uint64_t received;   /* every datagram counted, numbered or not */
    uint64_t numbered;   /* ... of which carried a valid Wirelab header */
    uint64_t distinct;   /* distinct sequence numbers seen */
    uint64_t duplicated; /* SEQ_DUPLICATE */
    uint64_t reordered;  /* SEQ_REORDERED */
    uint64_t too_old;    /* SEQ_TOO_OLD */
    uint64_t last_gap;   /* for SEQ_GAP: how many numbers the last datagram jumped over */
    uint32_t highest;    /* highest sequence number seen (valid when numbered > 0) */
    uint32_t total;      /* the largest total a sender announced, 0 if none */
    uint32_t size_min, size_max;
    struct seqstat_size sizes[SEQSTAT_SIZES];
    uint64_t other_sizes; /* datagrams whose size did not fit in sizes[] */
    uint64_t seen[SEQSTAT_WINDOW / 64];
};

/* Start empty books. */
void seqstat_init(struct seqstat *st);

/* Count a datagram of size bytes that carried header hdr. Returns what kind of arrival it was. */
enum seqstat_verdict seqstat_add(struct seqstat *st, const struct dgram_header *hdr, size_t size);

/* Count a datagram without a (valid) header: it only adds to received and the sizes. */
void seqstat_add_other(struct seqstat *st, size_t size);

/* How many sequence numbers are missing right now (expected - distinct; see above). */
uint64_t seqstat_lost(const struct seqstat *st);

/* A word for a verdict, for the receiver's per-datagram line ("late", "duplicate", ...). */
const char *seqstat_verdict_name(enum seqstat_verdict v);

#endif
