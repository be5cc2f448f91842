/*
 * aof.c - the append-only log's record format: CRC-32, encode, decode, and the scan that tells a
 * torn last record from a corruption in the middle (see aof.h). No I/O.
 *
 * What it teaches: framing a record so that a crash in the middle of writing it can never make
 * the reader see a different record. The length says where the record ends; the checksum says
 * whether what is there is what was written. A reader that finds a bad record at the very end
 * knows the writer died there, and drops it; a bad record with good ones after it means the
 * file was damaged some other way, and guessing would lose or invent messages.
 *
 * Payload layouts (after the 8-byte frame; integers little-endian):
 *
 *   every type       type (1) | id (8)
 *   PUSH, PUB        ... | name_len (1) | name | msg (the rest, at least 1 byte)
 *   BACK, DEAD       ... | reason (1)
 *   KEEP             ... | where (1) | reason (1) | seen (1) | deliveries (4) | name_len (1) |
 *                        name | msg (the rest)
 *   DELIVER, ACK, DROP, REQUEUE, NEXT: nothing more
 *
 * Run the tests: ctest -R queue_aof_test.
 */
#include "aof.h"
#include "proto.h"

#include <string.h>

/* ---- CRC-32 ------------------------------------------------------------------------------ */

/*
 * CRC-32/ISO-HDLC, one bit at a time (the table-driven version gives the same result 8x
 * faster; this one shows the algorithm): the CRC is the remainder of the message, as a
 * polynomial over GF(2), divided by the generator 0x04C11DB7. Bits go in least significant
 * first, so the register shifts right and uses the bit-reversed generator 0xEDB88320.
 */
static uint32_t crc_update(uint32_t crc, const uint8_t *p, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        crc ^= p[i];
        for (int bit = 0; bit < 8; bit++) /* subtract (XOR) the generator where the bit is 1 */
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return crc;
}

uint32_t aof_crc32(const void *data, size_t len)
{
    return crc_update(0xFFFFFFFFu, data, len) ^ 0xFFFFFFFFu;
}

/* The checksum of a frame: its 4 length bytes, then the payload. */
static uint32_t frame_crc(const uint8_t *frame, const uint8_t *payload, size_t len)
{
    return crc_update(crc_update(0xFFFFFFFFu, frame, 4), payload, len) ^ 0xFFFFFFFFu;
}

const char *aof_reason_name(unsigned reason)
{
    static const char *const names[] = {"-", "deadline", "disconnect", "restart"};
    return reason < sizeof names / sizeof names[0] ? names[reason] : "?";
}

/* ---- little-endian fields ---------------------------------------------------------------- */

static void put_le(uint8_t *p, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, int bytes)
{
    uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

/* The fixed fields after type and id, per type. */
static size_t fixed_len(unsigned type)
{
    switch (type) {
    case AOF_BACK:
    case AOF_DEAD:
        return 1;
    case AOF_KEEP:
        return 7;
    default:
        return 0;
    }
}

static int has_name(unsigned type)
{
    return type == AOF_PUSH || type == AOF_PUB || type == AOF_KEEP;
}

/* ---- encode ------------------------------------------------------------------------------ */

size_t aof_encode(const aof_record *r, uint8_t *out, size_t cap)
{
    if (r->type < AOF_PUSH || r->type > AOF_NEXT)
        return 0;
    size_t payload = 9 + fixed_len(r->type);
    if (has_name(r->type)) {
        if (r->name_len == 0 || r->name_len > AOF_NAME_MAX || r->msg_len > AOF_MSG_MAX)
            return 0;
        payload += 1 + r->name_len + r->msg_len;
    }
    if (cap < AOF_FRAME_LEN || payload > cap - AOF_FRAME_LEN)
        return 0; /* (cap - 8 cannot wrap: checked first) */
    uint8_t *p = out + AOF_FRAME_LEN;
    p[0] = r->type;
    put_le(p + 1, r->id, 8);
    uint8_t *f = p + 9;
    if (r->type == AOF_BACK || r->type == AOF_DEAD) {
        f[0] = r->reason;
    } else if (r->type == AOF_KEEP) {
        f[0] = r->where;
        f[1] = r->reason;
        f[2] = r->seen;
        put_le(f + 3, r->deliveries, 4);
    }
    f += fixed_len(r->type);
    if (has_name(r->type)) {
        f[0] = (uint8_t)r->name_len;
        memcpy(f + 1, r->name, r->name_len);
        if (r->msg_len > 0)
            memcpy(f + 1 + r->name_len, r->msg, r->msg_len);
    }
    put_le(out, payload, 4);
    /* The checksum covers the length too: a garbled length is caught like garbled data. */
    put_le(out + 4, frame_crc(out, p, payload), 4);
    return AOF_FRAME_LEN + payload;
}

/* ---- decode ------------------------------------------------------------------------------ */

/* The fields of a payload whose checksum matched. 0, or -1 with *why. */
static int parse_payload(const uint8_t *p, size_t len, aof_record *r, const char **why)
{
    memset(r, 0, sizeof *r);
    if (len < 9) {
        *why = "a payload shorter than its type and id";
        return -1;
    }
    r->type = p[0];
    r->id = get_le(p + 1, 8);
    if (r->type < AOF_PUSH || r->type > AOF_NEXT) {
        *why = "an unknown record type";
        return -1;
    }
    size_t fixed = fixed_len(r->type), at = 9 + fixed;
    if (len < at || (!has_name(r->type) && len != at)) {
        *why = "a payload of the wrong size for its type";
        return -1;
    }
    const uint8_t *f = p + 9;
    if (r->type == AOF_BACK || r->type == AOF_DEAD) {
        r->reason = f[0];
    } else if (r->type == AOF_KEEP) {
        r->where = f[0];
        r->reason = f[1];
        r->seen = f[2];
        r->deliveries = (uint32_t)get_le(f + 3, 4);
        if (r->where > AOF_DEADLIST || r->seen > 1) {
            *why = "a KEEP record with an unknown place or flag";
            return -1;
        }
    }
    if (r->reason > AOF_RESTART) {
        *why = "an unknown reason";
        return -1;
    }
    if (!has_name(r->type))
        return 0;
    /* name_len, then the name, then at least one message byte: all inside len. */
    if (len - at < 1 || p[at] > len - at - 1) {
        *why = "a name longer than its payload";
        return -1;
    }
    r->name_len = p[at];
    r->name = (const char *)p + at + 1;
    r->msg = p + at + 1 + r->name_len;
    r->msg_len = len - at - 1 - r->name_len;
    if (!proto_valid_name(r->name, r->name_len) || r->msg_len == 0 || r->msg_len > AOF_MSG_MAX) {
        *why = "an invalid queue/topic name, an empty message or one over 1 MiB";
        return -1;
    }
    return 0;
}

int aof_decode(const uint8_t *buf, size_t len, aof_record *r, size_t *used, const char **why)
{
    const char *unused;
    if (why == NULL)
        why = &unused;
    *why = "";
    if (len < AOF_FRAME_LEN)
        return AOF_NEED_MORE;
    size_t payload = (size_t)get_le(buf, 4);
    if (payload == 0 || payload > AOF_PAYLOAD_MAX) {
        *why = payload == 0 ? "a record of length 0" : "a record longer than the largest";
        return AOF_BAD;
    }
    if (payload > len - AOF_FRAME_LEN) /* (len >= 8 here: no wrap) */
        return AOF_NEED_MORE;
    if (frame_crc(buf, buf + AOF_FRAME_LEN, payload) != (uint32_t)get_le(buf + 4, 4)) {
        *why = "a checksum that does not match";
        return AOF_BAD;
    }
    if (parse_payload(buf + AOF_FRAME_LEN, payload, r, why) < 0)
        return AOF_BAD;
    *used = AOF_FRAME_LEN + payload;
    return AOF_OK;
}

/* ---- scan -------------------------------------------------------------------------------- */

/* Is there a valid record starting anywhere in buf[from..len)? Its offset, or len. Tried at
 * every byte: after damage nothing says where the next record would start. */
static size_t next_valid(const uint8_t *buf, size_t len, size_t from)
{
    for (size_t at = from; at < len; at++) {
        if (len - at > AOF_FRAME_LEN && (buf[at + 8] < AOF_PUSH || buf[at + 8] > AOF_NEXT))
            continue; /* not a type byte: skip the checksum of up to 1 MiB */
        aof_record r;
        size_t used;
        if (aof_decode(buf + at, len - at, &r, &used, NULL) == AOF_OK)
            return at;
    }
    return len;
}

aof_scan_result aof_scan(const uint8_t *buf, size_t len)
{
    aof_scan_result s = {0};
    if (len < AOF_HEADER_LEN) {
        if (memcmp(buf, AOF_MAGIC, len) == 0) {
            s.torn = len > 0;
            s.why = "a header cut short";
        } else {
            s.corrupt = 1;
            s.why = "not a queue_broker log (no WLQAOF1 header)";
        }
        return s;
    }
    if (memcmp(buf, AOF_MAGIC, AOF_HEADER_LEN) != 0) {
        s.corrupt = 1;
        s.why = "not a queue_broker log (no WLQAOF1 header)";
        return s;
    }
    s.good = AOF_HEADER_LEN;
    while (s.good < len) {
        aof_record r;
        size_t used;
        const char *why;
        int rc = aof_decode(buf + s.good, len - s.good, &r, &used, &why);
        if (rc == AOF_OK) {
            s.good += used;
            s.records++;
            continue;
        }
        s.why = rc == AOF_NEED_MORE ? "a record cut short (the file ends inside it)" : why;
        s.resync_at = next_valid(buf, len, s.good + 1);
        if (s.resync_at < len)
            s.corrupt = 1;
        else
            s.torn = 1;
        break;
    }
    return s;
}
