/*
 * resp.h - a pure reader of RESP, Redis's protocol (RESP2 and RESP3), over a byte buffer.
 *
 * Every value starts with a type byte and ends its header with CRLF: '+' simple string,
 * '-' error, ':' integer, '$' bulk string (length, CRLF, bytes, CRLF; "$-1" is RESP2's null),
 * '*' array (count, then that many values; "*-1" is a null array), and in RESP3 '_' null,
 * '#' boolean, ',' double, '(' big number, '!' bulk error, '=' verbatim string, '%' map
 * (count pairs), '~' set, '>' push, '|' attribute. See the Redis protocol specification.
 * resp_value() never reads past the buffer and never recurses deeper than RESP_MAX_DEPTH.
 */
#ifndef WIRELAB_RESP_H
#define WIRELAB_RESP_H

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

/* A one-line summary of the whole value at p[0..n) (resp_value() said RESP_OK): the top
 * type and count, then each element of a top aggregate: short printable strings quoted
 * ("PUBLISH" "chan"), longer ones as <bulk N bytes>, integers as they are, nested aggregates
 * as *N. Example: *3 "PUBLISH" "chan" <bulk 42 bytes>. Always NUL-terminated, cut to cap. */
void resp_describe(const uint8_t *p, uint32_t n, char *out, uint32_t cap);

#endif
