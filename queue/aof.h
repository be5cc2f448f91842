/*
 * aof.h - the broker's append-only log (queue_broker --data DIR): the record format, and the
 * replay of a log into the state it describes. Pure code over byte buffers, no I/O: aof_file.c
 * is the shell that reads and writes the file; the unit tests (ctest -R queue_aof_test) and the
 * fuzzer (queue_fuzz_aof) feed these functions bytes in any chunking.
 *
 * What it teaches: how a message queue survives a crash. Every change of state (a PUSH, a
 * delivery, an ACK, a move to the dead-letter list, a PUB) is appended to a file as one record
 * before the client is told OK; after a crash, reading the records again from the start
 * rebuilds what was acknowledged. Redis calls this an AOF (append-only file), Kafka a log,
 * databases a write-ahead log.
 *
 * The file: an 8-byte header "WLQAOF1\n", then records, each framed as
 *
 *    0        4        8
 *   +--------+--------+---------------------------+
 *   | length | crc32  | payload (length bytes)    |   length, crc32: unsigned 32-bit,
 *   +--------+--------+---------------------------+   little-endian
 *
 * crc32 is CRC-32/ISO-HDLC (the one of zlib, Ethernet and PNG: reflected polynomial 0xEDB88320,
 * initial value and final XOR 0xFFFFFFFF; crc32("123456789") = 0xCBF43926) over the 4 length
 * bytes and the payload. A crash in the middle of a write leaves a last record that is cut
 * short (its length runs past the end of the file) or holds garbage (the checksum fails): it is
 * detected and dropped, never misread. The payload is a type byte and fields (aof.c has the
 * layout of each type).
 *
 * Interface:
 *   aof_crc32                 the checksum
 *   aof_encode                one record -> framed bytes (caller's buffer)
 *   aof_decode                framed bytes -> one record (fields point into the input)
 *   aof_scan                  a whole log image: how far is it good, and is the damage a torn
 *                             tail (dropped) or a corruption in the middle (refuse to start)
 *   aof_state_*               replay: apply records one by one, then list what is live
 */
#ifndef WIRELAB_AOF_H
#define WIRELAB_AOF_H

#include <stddef.h>
#include <stdint.h>

#define AOF_MAGIC       "WLQAOF1\n"
#define AOF_HEADER_LEN  8
#define AOF_FRAME_LEN   8 /* length + crc32 */
#define AOF_NAME_MAX    64
#define AOF_MSG_MAX     ((size_t)1 << 20) /* queue_broker's --max-line can be at most 1 MiB */
#define AOF_PAYLOAD_MAX (AOF_MSG_MAX + 128)
#define AOF_RECORD_MAX  (AOF_FRAME_LEN + AOF_PAYLOAD_MAX)

/* Record types: one per change of the broker's state. */
enum aof_type {
    AOF_PUSH = 1,    /* id, queue, msg: a message entered a queue (fresh) */
    AOF_DELIVER = 2, /* id: it went out to a consumer (in flight; its delivery count + 1) */
    AOF_BACK = 3,    /* id, reason: in flight no more, not ACKed: back to the queue (redo) */
    AOF_DEAD = 4,    /* id, reason: in flight no more, moved to the dead-letter list */
    AOF_ACK = 5,     /* id: ACKed, deleted */
    AOF_DROP = 6,    /* id: deleted without an ACK (overwrite policy, dead-letter list full) */
    AOF_REQUEUE = 7, /* id: from the dead-letter list back to the queue, count reset */
    AOF_PUB = 8,     /* id = offset, topic, msg: published */
    AOF_KEEP = 9,    /* compaction: one live message with where it is and its counts */
    AOF_NEXT = 10,   /* compaction: id = the last message id handed out */
};

/* Where a work-queue message is (AOF_KEEP, and the replayed state). */
enum aof_where { AOF_FRESH = 0, AOF_REDO = 1, AOF_FLIGHT = 2, AOF_DEADLIST = 3 };

/* Why a message came back (AOF_BACK, AOF_DEAD, AOF_KEEP). */
enum aof_reason { AOF_NONE = 0, AOF_DEADLINE = 1, AOF_DISCONNECT = 2, AOF_RESTART = 3 };

/* One record. name and msg point into the buffer it was decoded from (not copied). */
typedef struct aof_record {
    uint8_t type;        /* enum aof_type */
    uint8_t where;       /* KEEP */
    uint8_t reason;      /* BACK, DEAD, KEEP */
    uint8_t seen;        /* KEEP: delivered before (the next delivery says "redelivered") */
    uint32_t deliveries; /* KEEP */
    uint64_t id;         /* every type; PUB: the offset; NEXT: the last id handed out */
    const char *name;    /* PUSH, PUB, KEEP: the queue or topic */
    size_t name_len;
    const uint8_t *msg; /* PUSH, PUB, KEEP */
    size_t msg_len;
} aof_record;

/* Results of aof_decode. */
enum aof_status {
    AOF_OK = 0,
    AOF_NEED_MORE = -1, /* the buffer ends inside a record (or its frame) */
    AOF_BAD = -2,       /* not a record: wrong length, checksum or fields */
};

uint32_t aof_crc32(const void *data, size_t len);

/* "deadline", "disconnect", "restart" (or "-" for AOF_NONE). */
const char *aof_reason_name(unsigned reason);

/*
 * Encode r as a framed record into out[0..cap). Returns its size, or 0 if it does not fit or r
 * is invalid (a name of 0 or more than AOF_NAME_MAX bytes, a message over AOF_MSG_MAX).
 */
size_t aof_encode(const aof_record *r, uint8_t *out, size_t cap);

/*
 * Decode the record at the start of buf[0..len). AOF_OK: *r is filled (pointing into buf) and
 * *used is the record's size. AOF_NEED_MORE: buf holds only part of a record (a cut frame, or a
 * length that runs past len). AOF_BAD: a length of 0 or over AOF_PAYLOAD_MAX, a checksum that
 * does not match, or fields that do not parse; *why says which.
 */
int aof_decode(const uint8_t *buf, size_t len, aof_record *r, size_t *used, const char **why);

/* What aof_scan found in a whole log image. */
typedef struct aof_scan_result {
    size_t good;      /* bytes from the start that hold the header and whole, valid records */
    size_t records;   /* valid records in them */
    int torn;         /* 1: the bytes after `good` hold no valid record: a torn tail, dropped */
    int corrupt;      /* 1: a valid record follows damage: the middle is broken, do not start */
    size_t resync_at; /* corrupt: where the next valid record starts */
    const char *why;  /* torn or corrupt: what was wrong at `good` */
} aof_scan_result;

/*
 * Scan a whole log image (header included). A file whose first 8 bytes are not AOF_MAGIC is
 * corrupt at 0, unless it is shorter than the header and a prefix of it (a crash while the
 * file was being created: torn). Damage after `good` is a torn tail if no valid record starts
 * anywhere after it (a crash cut or garbled the last write), corruption otherwise.
 */
aof_scan_result aof_scan(const uint8_t *buf, size_t len);

/* ---- replay ------------------------------------------------------------------------------ */

typedef struct aof_state aof_state;

/* A live work-queue message after replay (aof_state_messages). */
typedef struct aof_msg {
    uint64_t id;
    uint64_t seq; /* the order of the record that put it where it is (REDO/FLIGHT/DEAD) */
    const char *queue;
    uint8_t where, reason, seen;
    uint32_t deliveries;
    size_t len;
    const uint8_t *msg;
} aof_msg;

/* A published message kept for replay (aof_state_published). */
typedef struct aof_pub {
    const char *topic;
    uint64_t offset;
    size_t len;
    const uint8_t *msg;
} aof_pub;

aof_state *aof_state_new(void);
void aof_state_free(aof_state *s);

/*
 * Apply one record (copying what it keeps). Returns 0; 1 if the record does not fit the state
 * (an ACK of an unknown id, a PUSH of an id already live, a PUB at an offset not after the
 * last: counted in skipped, the state unchanged); -1 if memory ran out.
 */
int aof_state_apply(aof_state *s, const aof_record *r);

/*
 * The live messages, in the order a restored broker holds them: for each queue (in the order
 * the log first named it) the given-back ones (REDO, by seq), then the ones that were in
 * flight at the crash (FLIGHT, by seq: their consumers are gone, so they come back first),
 * then the fresh ones (by id), then the dead letters (by seq). *n is the count. The array and
 * the strings it points to belong to s (valid until the next apply or free). NULL if memory
 * ran out (with *n = 0), or if there are none.
 */
const aof_msg *aof_state_messages(aof_state *s, size_t *n);

/* The published messages, per topic (in the order the log first named it), by offset; at most
 * keep (per topic) of the newest. Same ownership as aof_state_messages. */
const aof_pub *aof_state_published(aof_state *s, size_t keep, size_t *n);

/* The last message id handed out (so ids never repeat after a restart). */
uint64_t aof_state_last_id(const aof_state *s);

/* The size of a compacted log holding just this state (header, NEXT, a KEEP per live message,
 * a PUB per published one kept, at most keep per topic): what "the live state" weighs. */
uint64_t aof_state_live_bytes(aof_state *s, size_t keep);

/* Records that did not fit the state (see aof_state_apply). */
uint64_t aof_state_skipped(const aof_state *s);

#endif
