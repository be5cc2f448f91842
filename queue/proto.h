/*
 * proto.h - the queue broker's line protocol: cutting a byte stream into lines, and parsing one
 * line into a command. Pure functions over bytes: no sockets, no allocation, no printing.
 *
 * What it teaches: TCP delivers a stream of bytes, not messages, so a protocol must say where
 * each message ends. This one ends every command with "\n" (a "\r" before it is ignored, so
 * telnet and nc -C work too) and caps the line length, so a client that never sends "\n" cannot
 * make the broker buffer without bound.
 *
 * The commands (the replies are in queue/README.md):
 *   PUSH <queue> <message>      PULL <queue> [<seconds>]    ACK <id>    TOUCH <id> [<seconds>]
 *   PUB <topic> <message>       SUB <topic> [FROM <offset>]
 *   DLQ <queue>                 REQUEUE <queue> <id>|ALL    QUIT
 * Names are 1..PROTO_NAME_MAX characters of A-Z a-z 0-9 . _ -; a message is the rest of the
 * line after one space (any bytes but "\n", at least one). Commands are case-sensitive.
 *
 *   proto_frame   the next complete line in a buffer, or "need more", or "too long"
 *   proto_parse   one line -> struct proto_cmd, or an error sentence for "ERR <reason>"
 */
#ifndef WIRELAB_PROTO_H
#define WIRELAB_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define PROTO_NAME_MAX    64
#define PROTO_ERR_LEN     128
#define PROTO_MAX_SECONDS 43200 /* the longest ACK deadline (12 h, as SQS allows) */

/* ---- framing ---------------------------------------------------------------------------- */

/* What proto_frame found. The one failure is negative, as everywhere in Wirelab (docs/
 * reading-order.md, "Errors: one convention"); "need more" is a normal outcome, not an error. */
enum proto_frame_status {
    PROTO_NEED_MORE = 0, /* no complete line yet: keep the bytes, wait for more */
    PROTO_LINE = 1,      /* a line: *line_len bytes at the buffer's start (without "\r\n") */
    PROTO_TOO_LONG = -1  /* a line longer than max_line: answer ERR once; its bytes are skipped */
};

/* One per connection: remembers that we are skipping the rest of an over-long line. */
typedef struct proto_framer {
    size_t max_line;
    int skipping; /* inside an over-long line: drop bytes up to the next "\n" */
} proto_framer;

/*
 * Look at buf[0..len) (the unconsumed input of one connection). *used is always set: that many
 * bytes are dealt with and may be dropped by the caller (for PROTO_LINE: the line and its "\n";
 * the line itself starts at buf[0] but is only valid until those bytes are dropped).
 * PROTO_NEED_MORE may still have used > 0 (the tail of an over-long line was skipped).
 */
int proto_frame(proto_framer *f, const uint8_t *buf, size_t len, size_t *line_len, size_t *used);

/* ---- parsing ---------------------------------------------------------------------------- */

enum proto_verb {
    PROTO_PUSH,
    PROTO_PULL,
    PROTO_ACK,
    PROTO_TOUCH,
    PROTO_PUB,
    PROTO_SUB,
    PROTO_DLQ,
    PROTO_REQUEUE,
    PROTO_QUIT
};

/* A parsed command. name and msg point into the caller's line (not copied). */
typedef struct proto_cmd {
    enum proto_verb verb;
    const char *name; /* queue or topic (PUSH PULL PUB SUB DLQ REQUEUE) */
    size_t name_len;
    const char *msg; /* message bytes (PUSH PUB) */
    size_t msg_len;
    uint64_t number;  /* ACK TOUCH REQUEUE: the id. SUB: the FROM offset */
    int has_from;     /* SUB ... FROM <offset> was given */
    int all;          /* REQUEUE <queue> ALL */
    uint64_t seconds; /* PULL TOUCH: the ACK deadline asked for, 1..PROTO_MAX_SECONDS */
    int has_seconds;  /* ... if it was given (else the broker's default) */
} proto_cmd;

/*
 * Parse one line (without its "\n"). Returns 0 and fills *cmd, or -1 and writes the reason
 * (a sentence without "ERR ", e.g. "unknown command 'FOO' ...") into err: the sentence quotes
 * the client's own bytes, so it comes in the caller's buffer (PROTO_ERR_LEN is enough).
 */
int proto_parse(const char *line, size_t len, proto_cmd *cmd, char *err, size_t errlen);

/* Parse a decimal 64-bit number from text[0..len) exactly (no sign, no spaces). 0 or -1. */
int proto_parse_u64(const char *text, size_t len, uint64_t *out);

/* Is text[0..len) a valid queue/topic name? */
int proto_valid_name(const char *text, size_t len);

#endif
