/*
 * dgram.c - the Wirelab UDP datagram header codec and the per-sender books (see dgram.h for
 * the byte diagram and the rules).
 *
 * What it teaches: how to read a wire format safely. Every field is read through a helper
 * that is only called after the length has been checked (tcpdump's GET_BE_U_4 idea); nothing
 * casts the bytes to a struct, so byte order, alignment and padding never matter.
 * Run the tests: ctest --test-dir build -R udp_dgram
 */
#include "dgram.h"

#include <string.h>

/* Big-endian readers and writers. The caller has checked that the bytes exist. */
static uint32_t get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static uint64_t get_be64(const uint8_t *p)
{
    return (uint64_t)get_be32(p) << 32 | get_be32(p + 4);
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static void put_be64(uint8_t *p, uint64_t v)
{
    put_be32(p, (uint32_t)(v >> 32));
    put_be32(p + 4, (uint32_t)v);
}

size_t dgram_encode(const struct dgram_header *hdr, uint8_t *buf, size_t cap)
{
    if (cap < DGRAM_HEADER_LEN)
        return 0;
    put_be32(buf + 0, DGRAM_MAGIC);
    put_be32(buf + 4, hdr->seq);
    put_be64(buf + 8, hdr->send_ns);
    put_be32(buf + 16, hdr->total);
    put_be32(buf + 20, hdr->payload_len);
    return DGRAM_HEADER_LEN;
}

/* Do the caplen bytes we have agree with the start of the magic? (For "truncated" vs "foreign".) */
static int starts_like_magic(const uint8_t *buf, size_t caplen)
{
    uint8_t magic[4];
    put_be32(magic, DGRAM_MAGIC);
    return memcmp(buf, magic, caplen < 4 ? caplen : 4) == 0;
}

int dgram_decode(const uint8_t *buf, size_t caplen, size_t wirelen, struct dgram_header *out)
{
    if (caplen > wirelen) /* a capture never holds more than was sent; trust the smaller */
        caplen = wirelen;
    if (!starts_like_magic(buf, caplen))
        return DGRAM_FOREIGN;
    if (caplen < DGRAM_HEADER_LEN)
        return DGRAM_TRUNCATED;
    out->seq = get_be32(buf + 4);
    out->send_ns = get_be64(buf + 8);
    out->total = get_be32(buf + 16);
    out->payload_len = get_be32(buf + 20);
    /* wirelen >= caplen >= 24 here, so the subtraction cannot wrap. */
    if (out->payload_len != wirelen - DGRAM_HEADER_LEN)
        return DGRAM_BAD_LENGTH;
    return DGRAM_OK;
}

const char *dgram_strerror(int result)
{
    switch (result) {
    case DGRAM_OK:
        return "a Wirelab datagram";
    case DGRAM_TRUNCATED:
        return "too short for the 24-byte Wirelab header (only its first bytes are there)";
    case DGRAM_FOREIGN:
        return "not a Wirelab datagram (it does not start with the magic \"WLU1\")";
    case DGRAM_BAD_LENGTH:
        return "the header's payload length disagrees with the datagram's size";
    default:
        return "unknown dgram result";
    }
}

/* The payload's first byte for seq; each next byte is the next letter, 'z' wrapping to 'a'. */
static uint8_t pattern_start(uint32_t seq)
{
    return (uint8_t)('a' + seq % DGRAM_PATTERN_LEN);
}

static uint8_t pattern_next(uint8_t c)
{
    return c == 'z' ? 'a' : (uint8_t)(c + 1);
}

size_t dgram_fill(uint8_t *buf, size_t cap, size_t len, uint32_t seq, uint64_t send_ns,
                  uint32_t total)
{
    uint8_t hdrbytes[DGRAM_HEADER_LEN];
    struct dgram_header h = {seq, send_ns, total, 0};

    if (len > cap)
        return 0;
    if (len > DGRAM_HEADER_LEN)
        h.payload_len = (uint32_t)(len - DGRAM_HEADER_LEN);
    dgram_encode(&h, hdrbytes, sizeof hdrbytes);
    memcpy(buf, hdrbytes, len < DGRAM_HEADER_LEN ? len : DGRAM_HEADER_LEN);
    uint8_t c = pattern_start(seq);
    for (size_t i = DGRAM_HEADER_LEN; i < len; i++, c = pattern_next(c))
        buf[i] = c;
    return len;
}

long dgram_payload_check(const uint8_t *payload, size_t len, uint32_t seq)
{
    uint8_t c = pattern_start(seq);
    for (size_t i = 0; i < len; i++, c = pattern_next(c))
        if (payload[i] != c)
            return (long)i;
    return -1;
}

/* ---- the per-sender books ------------------------------------------------------------------ */

void seqstat_init(struct seqstat *st)
{
    memset(st, 0, sizeof *st);
}

static void count_size(struct seqstat *st, size_t size)
{
    uint32_t s = size > UINT32_MAX ? UINT32_MAX : (uint32_t)size;

    st->received++;
    if (st->received == 1 || s < st->size_min)
        st->size_min = s;
    if (s > st->size_max)
        st->size_max = s;
    for (int i = 0; i < SEQSTAT_SIZES; i++) {
        if (st->sizes[i].count == 0)
            st->sizes[i].size = s;
        if (st->sizes[i].size == s) {
            st->sizes[i].count++;
            return;
        }
    }
    st->other_sizes++;
}

void seqstat_add_other(struct seqstat *st, size_t size)
{
    count_size(st, size);
}

/* The bitmap holds one bit per sequence number in (highest - WINDOW, highest]. */
static int seen_get(const struct seqstat *st, uint32_t seq)
{
    uint32_t slot = seq & (SEQSTAT_WINDOW - 1);
    return (int)(st->seen[slot / 64] >> (slot % 64) & 1);
}

static void seen_put(struct seqstat *st, uint32_t seq, int on)
{
    uint32_t slot = seq & (SEQSTAT_WINDOW - 1);
    uint64_t bit = (uint64_t)1 << (slot % 64);
    if (on)
        st->seen[slot / 64] |= bit;
    else
        st->seen[slot / 64] &= ~bit;
}

/* Move the window's top from st->highest up to seq: the slots it passes now stand for new,
 * not-yet-seen numbers, so they are cleared (a jump of a whole window clears everything). */
static void advance(struct seqstat *st, uint32_t seq)
{
    uint64_t step = (uint64_t)seq - st->highest;
    if (step >= SEQSTAT_WINDOW) {
        memset(st->seen, 0, sizeof st->seen);
    } else {
        for (uint32_t s = st->highest + 1; s != seq + 1; s++)
            seen_put(st, s, 0);
    }
    st->highest = seq;
}

static enum seqstat_verdict classify(struct seqstat *st, uint32_t seq)
{
    uint32_t next = st->highest + 1;

    if (st->numbered == 0) { /* the first one: everything below it is missing for now */
        st->last_gap = seq;
        st->highest = seq;
        return seq == 0 ? SEQ_IN_ORDER : SEQ_GAP;
    }
    if (seq > st->highest) {
        st->last_gap = (uint64_t)seq - next;
        advance(st, seq);
        return seq == next ? SEQ_IN_ORDER : SEQ_GAP;
    }
    /* seq <= highest: written so that highest - seq cannot wrap. */
    if (st->highest - seq >= SEQSTAT_WINDOW)
        return SEQ_TOO_OLD;
    if (seen_get(st, seq))
        return SEQ_DUPLICATE;
    return SEQ_REORDERED;
}

enum seqstat_verdict seqstat_add(struct seqstat *st, const struct dgram_header *hdr, size_t size)
{
    enum seqstat_verdict v = classify(st, hdr->seq);

    count_size(st, size);
    st->numbered++;
    if (hdr->total > st->total)
        st->total = hdr->total;
    switch (v) {
    case SEQ_DUPLICATE:
        st->duplicated++;
        return v;
    case SEQ_TOO_OLD:
        st->too_old++;
        return v;
    case SEQ_REORDERED:
        st->reordered++;
        break;
    default:
        break;
    }
    seen_put(st, hdr->seq, 1);
    st->distinct++;
    return v;
}

uint64_t seqstat_lost(const struct seqstat *st)
{
    uint64_t expected = st->numbered ? (uint64_t)st->highest + 1 : 0;
    if (st->total > expected)
        expected = st->total;
    /* distinct <= highest + 1 always (each counted number is <= highest), so no wrap. */
    return expected - st->distinct;
}

const char *seqstat_verdict_name(enum seqstat_verdict v)
{
    switch (v) {
    case SEQ_IN_ORDER:
        return "in order";
    case SEQ_GAP:
        return "after a gap";
    case SEQ_REORDERED:
        return "late: reordered, fills a gap";
    case SEQ_DUPLICATE:
        return "duplicate";
    case SEQ_TOO_OLD:
        return "too old to tell late from duplicate";
    }
    return "?";
}
