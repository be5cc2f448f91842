/*
 * resp.h - a pure reader of RESP, Redis's protocol (RESP2 and RESP3), over a byte buffer.
 *
 * Every value starts with a type byte and ends its header with CRLF: '+' simple string,
 * '-' error, ':' integer, '$' bulk string (length, CRLF, bytes, CRLF; "$-1" is RESP2's null),
 * '*' array (count, then that many values; "*-1" is a null array), and in RESP3 '_' null,
 * '#' boolean, ',' double, '(' big number, '!' bulk error, '=' verbatim string, '%' map
 * (count pairs), '~' set, '>' push, '|' attribute. See the Redis protocol specification.
 * resp_value() never reads past the buffer and never recurses deeper than RESP_MAX_DEPTH.
 *
 * resp_value() needs the whole value in one buffer (resp.c: a segment); resp_read() takes it
 * in pieces of any size with fixed memory (resp_reader.c: a reassembled stream).
 */
#ifndef WIRELAB_RESP_H
#define WIRELAB_RESP_H

#include <stdbool.h>
#include <stdint.h>

#define RESP_MAX_DEPTH 16 /* nesting limit: deeper input is refused, not followed */

typedef enum {
    RESP_OK = 0,   /* a whole value was read */
    RESP_MORE = 1, /* the buffer ends inside the value: wait for more bytes */
    RESP_BAD = -1, /* not RESP (or deeper than RESP_MAX_DEPTH) */
} resp_status;

typedef struct resp_top {
    char type;          /* the top value's type byte */
    int64_t count;      /* array/map/set/push element count, bulk length; -1 for a null */
    uint32_t head_off;  /* the top value's first line (after the type byte) ... */
    uint32_t head_len;  /* ... without the CRLF */
    uint32_t first_off; /* a top array's first element when it is a bulk or simple string */
    uint32_t first_len; /* (the command name, "PUBLISH"), else 0 */
    uint32_t size;      /* bytes the whole value takes */
} resp_top;

/* Reads one whole value at p[0..n); fills *top when it returns RESP_OK. */
resp_status resp_value(const uint8_t *p, uint32_t n, resp_top *top);

/* A header's signed decimal ("3", "-1") at p[0..len), at most 18 digits so it cannot overflow:
 * true with *out set, false when it is not one. Both readers (resp.c, resp_reader.c) use it. */
bool resp_int(const uint8_t *p, uint32_t len, int64_t *out);

/* A one-line summary of the whole value at p[0..n) (resp_value() said RESP_OK): the top
 * type and count, then each element of a top aggregate: short printable strings quoted
 * ("PUBLISH" "chan"), longer ones as <bulk N bytes>, integers as they are, nested aggregates
 * as *N. Example: *3 "PUBLISH" "chan" <bulk 42 bytes>. Always NUL-terminated, cut to cap. */
void resp_describe(const uint8_t *p, uint32_t n, char *out, uint32_t cap);

/* ---- the incremental reader (resp_reader.c) ---- */

#define RESP_TEXT      160 /* the summary of a value, as resp_describe() writes it, cut here */
#define RESP_QUOTE_MAX 32  /* a string is quoted when at most this long (and printable) */
#define RESP_LINE_KEEP 64  /* bytes of a header line kept: counts, lengths, short strings */

/* The state between two pieces of a stream: the header line being read, the bulk string
 * being skipped, and for each open aggregate how many elements are still to come. Fixed
 * size whatever the value's size: a bulk string's bytes are counted, not stored. */
typedef struct resp_reader {
    char type;                     /* the type byte of the header line or bulk being read */
    bool in_line, cr, in_bulk;     /* inside a header line (CR seen) / a bulk's bytes */
    bool top_aggregate, bulk_hole; /* the value is *, %, ~ or >; the bulk has a gap in it */
    uint8_t line[RESP_LINE_KEEP];  /* the header line's first bytes (after the type byte) */
    uint32_t line_total;           /* ... and its length so far */
    uint64_t bulk_len, bulk_left;  /* the bulk's length; its bytes and CRLF still to come */
    uint8_t bulk[RESP_QUOTE_MAX];  /* its first bytes, to quote it */
    uint32_t bulk_kept;            /* ... how many */
    int64_t left[RESP_MAX_DEPTH];  /* elements still to come in each open aggregate */
    int depth;                     /* open aggregates */
    int64_t top_items;             /* elements of the top aggregate */
    uint32_t described;            /* of which described in text */
    uint64_t size;                 /* bytes of the value read so far (0: between values) */
    uint64_t value_size;           /* bytes of the last whole value */
    uint64_t payload;              /* bulk string bytes in the value */
    char text[RESP_TEXT];          /* the summary so far (resp_describe's format) */
    uint32_t text_len;
} resp_reader;

void resp_reader_init(resp_reader *r);

/* Reads p[0..n) as the continuation of the stream. RESP_OK: a value ended after *used bytes
 * (r->text describes it, r->value_size is its size; the next call starts the next value).
 * RESP_MORE: all n bytes taken, the value goes on. RESP_BAD: the byte at p[*used] cannot be
 * RESP here (the same rules as resp_value(), checked as each byte comes; a value that
 * resp_value() would still call RESP_MORE may already be RESP_BAD here). */
resp_status resp_read(resp_reader *r, const uint8_t *p, uint32_t n, uint32_t *used);

/* Is a value half read? */
bool resp_reader_busy(const resp_reader *r);

/* n bytes of the stream were not captured. Only inside a bulk string's bytes (its length is
 * known) can the reader go on: returns true then (the string is no longer quoted), false when
 * the framing is lost. */
bool resp_reader_skip(resp_reader *r, uint64_t n);

#endif
