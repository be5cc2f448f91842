/*
 * check_frames.c - lab 5's grader core: feeds the student's fh_feed (frame_header.h) valid and
 * invalid frame headers in every chunking, as tests/ws_handshake/test_ws_frame.c feeds the
 * project's own decoder, and prints one JSON check line per group of rules.
 *
 * Built by grade/lab5/grade with the student's frame_header.c (and ASan + UBSan when the
 * compiler has them, so a read past the buffer is caught too). The vectors are RFC 6455's
 * examples (5.7) and one frame per rule of 5.2 and 5.5; the expected fields are written out
 * here by hand, from the RFC, not computed by a decoder.
 */
#include "frame_header.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* One frame header (plus a few payload bytes after it) and what decoding it must give. */
typedef struct vector {
    const char *group; /* the check it belongs to */
    const char *what;  /* what the frame is, for the explanation */
    const char *hint;  /* where to look if it fails */
    uint8_t bytes[24];
    size_t len;   /* header + trailing payload bytes */
    int want;     /* FH_DONE or the FH_E_* rule */
    fh_header hd; /* the fields, when want == FH_DONE */
} vector;

#define K 0x37, 0xfa, 0x21, 0x3d /* RFC 6455 5.7's masking key */
#define KEY                                                                                        \
    {                                                                                              \
        0x37, 0xfa, 0x21, 0x3d                                                                     \
    }

static const vector vectors[] = {
    /* ---- fields of 7-bit headers (RFC 6455 5.7's examples) ---- */
    {"fields",
     "RFC 6455 5.7: unmasked text \"Hello\"",
     "byte 0: FIN is bit 7, opcode bits 0-3",
     {0x81, 0x05, 'H', 'e', 'l', 'l', 'o'},
     7,
     FH_DONE,
     {1, 0, 1, 0, 5, {0}, 2}},
    {"fields",
     "RFC 6455 5.7: masked text \"Hello\"",
     "byte 1: MASK is bit 7; the 4-byte key follows the length, in wire order",
     {0x81, 0x85, K, 0x7f, 0x9f, 0x4d, 0x51, 0x58},
     11,
     FH_DONE,
     {1, 0, 1, 1, 5, KEY, 6}},
    {"fields",
     "RFC 6455 5.7: first fragment \"Hel\" (FIN=0)",
     "FIN is bit 7 of byte 0",
     {0x01, 0x03, 'H', 'e', 'l'},
     5,
     FH_DONE,
     {0, 0, 1, 0, 3, {0}, 2}},
    {"fields",
     "RFC 6455 5.7: last fragment \"lo\" (continuation)",
     "the opcode is bits 0-3",
     {0x80, 0x02, 'l', 'o'},
     4,
     FH_DONE,
     {1, 0, 0, 0, 2, {0}, 2}},
    {"fields",
     "RFC 6455 5.7: unmasked ping \"Hello\"",
     "the opcode is bits 0-3 of byte 0",
     {0x89, 0x05, 'H', 'e', 'l', 'l', 'o'},
     7,
     FH_DONE,
     {1, 0, 9, 0, 5, {0}, 2}},
    {"fields",
     "RFC 6455 5.7: masked pong \"Hello\"",
     "the masking key follows the 7-bit length",
     {0x8a, 0x85, K, 0x7f, 0x9f, 0x4d, 0x51, 0x58},
     11,
     FH_DONE,
     {1, 0, 10, 1, 5, KEY, 6}},
    {"fields",
     "an empty text frame (length 0)",
     "a length of 0 is a whole header of 2 bytes",
     {0x81, 0x00, 0x81, 0x00},
     4,
     FH_DONE,
     {1, 0, 1, 0, 0, {0}, 2}},
    {"fields",
     "a masked close frame of 2 bytes",
     "a close frame is a control frame with opcode 0x8",
     {0x88, 0x82, K, 0x34, 0x12},
     8,
     FH_DONE,
     {1, 0, 8, 1, 2, KEY, 6}},
    {"fields",
     "a ping with exactly 125 bytes (the most a control frame may carry)",
     "125 is allowed: only more than 125 breaks RFC 6455 5.5",
     {0x89, 0xfd, K, 1, 2},
     8,
     FH_DONE,
     {1, 0, 9, 1, 125, KEY, 6}},
    /* ---- the 16- and 64-bit lengths (RFC 6455 5.2, 5.7) ---- */
    {"lengths",
     "RFC 6455 5.7: 256 bytes binary, 16-bit length (7e 01 00)",
     "126 in the 7-bit field: the real length is the next 2 bytes, big-endian (network order)",
     {0x82, 0x7e, 0x01, 0x00, 0, 0},
     6,
     FH_DONE,
     {1, 0, 2, 0, 256, {0}, 4}},
    {"lengths",
     "126 bytes, the smallest 16-bit length, masked",
     "after a 16-bit length the masking key starts at byte 4",
     {0x82, 0xfe, 0x00, 0x7e, K, 0},
     9,
     FH_DONE,
     {1, 0, 2, 1, 126, KEY, 8}},
    {"lengths",
     "65535 bytes, the largest 16-bit length",
     "the 2 length bytes are unsigned and big-endian",
     {0x82, 0x7e, 0xff, 0xff, 0},
     5,
     FH_DONE,
     {1, 0, 2, 0, 65535, {0}, 4}},
    {"lengths",
     "RFC 6455 5.7: 64 KiB binary, 64-bit length (7f 00 00 00 00 00 01 00 00)",
     "127 in the 7-bit field: the real length is the next 8 bytes, big-endian",
     {0x82, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0, 0},
     11,
     FH_DONE,
     {1, 0, 2, 0, 65536, {0}, 10}},
    {"lengths",
     "a 64-bit length of 4294967301 (2^32 + 5), masked",
     "all 8 length bytes count: the upper 4 must not be dropped (is the variable 64 bits wide "
     "in every step, including the shifts?)",
     {0x82, 0xff, 0, 0, 0, 1, 0, 0, 0, 5, K, 0},
     15,
     FH_DONE,
     {1, 0, 2, 1, 4294967301u, KEY, 14}},
    {"lengths",
     "a 64-bit length of 0x0102030405060708",
     "the 8 bytes are big-endian: the first byte is the most significant",
     {0x82, 0x7f, 1, 2, 3, 4, 5, 6, 7, 8},
     10,
     FH_DONE,
     {1, 0, 2, 0, 0x0102030405060708u, {0}, 10}},
    {"lengths",
     "the largest 64-bit length (7f ff ff ff ff ff ff ff)",
     "only the most significant bit is forbidden (RFC 6455 5.2)",
     {0x82, 0x7f, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
     10,
     FH_DONE,
     {1, 0, 2, 0, 0x7fffffffffffffffu, {0}, 10}},
    /* ---- reserved bits and opcodes (5.2) ---- */
    {"rule_reserved",
     "a text frame with RSV1 set",
     "RSV1-3 are bits 4-6 of byte 0",
     {0xc1, 0x00},
     2,
     FH_E_RSV,
     {0}},
    {"rule_reserved",
     "a text frame with RSV2 set",
     "RSV1-3 are bits 4-6 of byte 0",
     {0xa1, 0x00},
     2,
     FH_E_RSV,
     {0}},
    {"rule_reserved",
     "a text frame with RSV3 set",
     "RSV1-3 are bits 4-6 of byte 0",
     {0x91, 0x00},
     2,
     FH_E_RSV,
     {0}},
    {"rule_reserved",
     "opcode 0x3 (reserved for data frames)",
     "0x3-0x7 are reserved",
     {0x83, 0x00},
     2,
     FH_E_OPCODE,
     {0}},
    {"rule_reserved",
     "opcode 0x7 (reserved for data frames)",
     "0x3-0x7 are reserved",
     {0x87, 0x00},
     2,
     FH_E_OPCODE,
     {0}},
    {"rule_reserved",
     "opcode 0xB (reserved for control frames)",
     "0xB-0xF are reserved",
     {0x8b, 0x00},
     2,
     FH_E_OPCODE,
     {0}},
    {"rule_reserved",
     "opcode 0xF (reserved for control frames)",
     "0xB-0xF are reserved",
     {0x8f, 0x80, K},
     6,
     FH_E_OPCODE,
     {0}},
    /* ---- control frames (5.5) ---- */
    {"rule_control",
     "a ping of 126 bytes (16-bit length 00 7e)",
     "RFC 6455 5.5: a control frame carries at most 125 bytes; compare the length with that limit",
     {0x89, 0x7e, 0x00, 0x7e, 0},
     5,
     FH_E_CONTROL_TOO_LONG,
     {0}},
    {"rule_control",
     "a masked close of 126 bytes",
     "RFC 6455 5.5: control frames <= 125 bytes",
     {0x88, 0xfe, 0x00, 0x7e, K},
     8,
     FH_E_CONTROL_TOO_LONG,
     {0}},
    {"rule_control",
     "a pong with a 64-bit length of 65536",
     "RFC 6455 5.5: control frames <= 125 bytes, whatever the length encoding",
     {0x8a, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0},
     10,
     FH_E_CONTROL_TOO_LONG,
     {0}},
    {"rule_control",
     "a ping without FIN",
     "RFC 6455 5.5: control frames MUST NOT be fragmented",
     {0x09, 0x01, 'a'},
     3,
     FH_E_CONTROL_FRAGMENTED,
     {0}},
    {"rule_control",
     "a close without FIN",
     "RFC 6455 5.5: control frames MUST NOT be fragmented",
     {0x08, 0x82, K, 0x03, 0xe8},
     8,
     FH_E_CONTROL_FRAGMENTED,
     {0}},
    /* ---- the length encoding (5.2) ---- */
    {"rule_length",
     "125 written in the 16-bit form (7e 00 7d)",
     "RFC 6455 5.2: the minimal number of bytes MUST be used; 0-125 fit the 7-bit field",
     {0x82, 0x7e, 0x00, 0x7d, 0},
     5,
     FH_E_LENGTH_NOT_MINIMAL,
     {0}},
    {"rule_length",
     "0 written in the 16-bit form",
     "RFC 6455 5.2: the minimal number of bytes",
     {0x82, 0x7e, 0x00, 0x00},
     4,
     FH_E_LENGTH_NOT_MINIMAL,
     {0}},
    {"rule_length",
     "65535 written in the 64-bit form",
     "RFC 6455 5.2: lengths up to 65535 fit the 16-bit form",
     {0x82, 0xff, 0, 0, 0, 0, 0, 0, 0xff, 0xff, K},
     14,
     FH_E_LENGTH_NOT_MINIMAL,
     {0}},
    {"rule_length",
     "5 written in the 64-bit form",
     "RFC 6455 5.2: the minimal number of bytes",
     {0x82, 0x7f, 0, 0, 0, 0, 0, 0, 0, 5},
     10,
     FH_E_LENGTH_NOT_MINIMAL,
     {0}},
    {"rule_length",
     "a 64-bit length with its most significant bit set (80 00 .. 00)",
     "RFC 6455 5.2: the most significant bit of the 64-bit length MUST be 0",
     {0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 0},
     10,
     FH_E_LENGTH_HIGH_BIT,
     {0}},
    {"rule_length",
     "a 64-bit length of ff ff ff ff ff ff ff ff",
     "RFC 6455 5.2: the most significant bit of the 64-bit length MUST be 0",
     {0x82, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, K},
     14,
     FH_E_LENGTH_HIGH_BIT,
     {0}},
};
#define NVEC (sizeof vectors / sizeof vectors[0])

static const char *result_name(int rc)
{
    static const char *names[] = {"FH_E_LENGTH_HIGH_BIT",
                                  "FH_E_LENGTH_NOT_MINIMAL",
                                  "FH_E_CONTROL_FRAGMENTED",
                                  "FH_E_CONTROL_TOO_LONG",
                                  "FH_E_OPCODE",
                                  "FH_E_RSV",
                                  "FH_NEED_MORE",
                                  "FH_DONE"};
    return rc >= -6 && rc <= 1 ? names[rc + 6] : "a value that is not in enum fh_result";
}

/* What one way of feeding gave. */
typedef struct outcome {
    int rc;      /* FH_DONE, an FH_E_*, or FH_NEED_MORE when the bytes ran out */
    size_t used; /* header bytes taken in all (when FH_DONE) */
    int bad_used;
    fh_header h;
} outcome;

/* Feed v's bytes cut at the positions in cuts[0..ncuts) (increasing, inside 0..len). */
static outcome feed(const vector *v, const size_t *cuts, size_t ncuts)
{
    fh_decoder d;
    outcome o = {FH_NEED_MORE, 0, 0, {0}};
    size_t start = 0;
    fh_init(&d);
    for (size_t c = 0; c <= ncuts; c++) {
        size_t end = c < ncuts ? cuts[c] : v->len;
        size_t used = (size_t)-1;
        /* A copy exactly as long as this chunk, so ASan sees a read past it. */
        uint8_t chunk[sizeof v->bytes];
        memcpy(chunk, v->bytes + start, end - start);
        o.rc = fh_feed(&d, chunk, end - start, &used, &o.h);
        if (o.rc == FH_NEED_MORE) {
            if (used != end - start)
                o.bad_used = 1;
            o.used += end - start;
        } else {
            if (o.rc == FH_DONE)
                o.used += used;
            return o;
        }
        start = end;
    }
    return o;
}

static char explain[4096];
static size_t explain_len;

static void say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(explain + explain_len, sizeof explain - explain_len, fmt, ap);
    va_end(ap);
    if (n > 0)
        explain_len += (size_t)n < sizeof explain - explain_len ? (size_t)n : 0;
}

static void say_bytes(const vector *v)
{
    say("%s (bytes", v->what);
    for (size_t i = 0; i < v->len; i++)
        say(" %02x", v->bytes[i]);
    say(")");
}

static void say_cuts(const size_t *cuts, size_t ncuts, size_t len)
{
    if (ncuts == 0)
        say("fed whole (%zu bytes in one call)", len);
    else if (ncuts == len - 1)
        say("fed one byte per call");
    else {
        say("fed in %zu calls, cut after byte", ncuts + 1);
        for (size_t i = 0; i < ncuts; i++)
            say(" %zu", cuts[i]);
    }
}

/* Compare the fields; say the first that differs. Returns 1 when all match. */
static int same_fields(const vector *v, const fh_header *h)
{
    const fh_header *w = &v->hd;
    const char *field = NULL;
    unsigned long long want = 0, got = 0;
    if (h->fin != w->fin)
        field = "fin", want = w->fin, got = h->fin;
    else if (h->rsv != w->rsv)
        field = "rsv", want = w->rsv, got = h->rsv;
    else if (h->opcode != w->opcode)
        field = "opcode", want = w->opcode, got = h->opcode;
    else if (h->masked != w->masked)
        field = "masked", want = w->masked, got = h->masked;
    else if (h->payload_len != w->payload_len)
        field = "payload_len", want = w->payload_len, got = h->payload_len;
    else if (h->header_len != w->header_len)
        field = "header_len", want = w->header_len, got = h->header_len;
    else if (memcmp(h->mask, w->mask, 4) != 0) {
        say("the masking key came out as %02x %02x %02x %02x, not the 4 bytes after the length, "
            "in wire order",
            h->mask[0], h->mask[1], h->mask[2], h->mask[3]);
        return 0;
    }
    if (field)
        say("%s was %llu but the RFC's layout gives %llu", field, got, want);
    return field == NULL;
}

/* Judge one outcome against the vector. Returns 1 if right; otherwise explains. */
static int judge(const vector *v, const outcome *o, const size_t *cuts, size_t ncuts)
{
    size_t mark = explain_len;
    if (v->want == FH_DONE) {
        if (o->rc != FH_DONE) {
            say("expected FH_DONE: ");
            say_bytes(v);
            say(" is a valid header, but fh_feed returned %s when ", result_name(o->rc));
            say_cuts(cuts, ncuts, v->len);
        } else if (o->bad_used) {
            say("FH_NEED_MORE must set *used to the whole chunk; it did not for ");
            say_bytes(v);
            say(" ");
            say_cuts(cuts, ncuts, v->len);
        } else if (o->used != v->hd.header_len) {
            say_bytes(v);
            say(" ");
            say_cuts(cuts, ncuts, v->len);
            say(": the header is %zu bytes, but fh_feed took %zu (the bytes after the header are "
                "payload: stop at the header's end and say where in *used)",
                v->hd.header_len, o->used);
        } else if (!same_fields(v, &o->h)) {
            explain_len = mark;
            say_bytes(v);
            say(" ");
            say_cuts(cuts, ncuts, v->len);
            say(": ");
            same_fields(v, &o->h);
        } else
            return 1;
    } else if (o->rc != v->want) {
        say("expected %s: ", result_name(v->want));
        say_bytes(v);
        say(" breaks that rule, but fh_feed returned %s when ", result_name(o->rc));
        say_cuts(cuts, ncuts, v->len);
    } else
        return 1;
    if (ncuts > 0)
        say(". Fed whole it is right, so look at what fh_decoder keeps between calls");
    else
        say(". Where to look: %s", v->hint);
    return 0;
}

/* Every way to feed one vector: whole, every 2 pieces, every 3 pieces, a byte at a time, and
 * a call with 0 bytes first. Stops at the first wrong one. */
static int feed_all_ways(const vector *v, int chunked)
{
    size_t cuts[FH_MAX_HEADER + 16] = {0};
    outcome o = feed(v, cuts, 0);
    if (!judge(v, &o, cuts, 0))
        return 0;
    if (!chunked)
        return 1;
    cuts[0] = 0; /* an empty first call */
    o = feed(v, cuts, 1);
    if (!judge(v, &o, cuts, 1))
        return 0;
    for (size_t i = 1; i < v->len; i++) {
        cuts[0] = i;
        o = feed(v, cuts, 1);
        if (!judge(v, &o, cuts, 1))
            return 0;
        for (size_t j = i + 1; j < v->len; j++) {
            cuts[1] = j;
            o = feed(v, cuts, 2);
            if (!judge(v, &o, cuts, 2))
                return 0;
        }
    }
    for (size_t i = 0; i + 1 < v->len; i++)
        cuts[i] = i + 1;
    o = feed(v, cuts, v->len - 1);
    return judge(v, &o, cuts, v->len - 1);
}

static void print_check(const char *name, int ok)
{
    printf("{\"check\": \"%s\", \"ok\": %s, \"explain\": \"", name, ok ? "true" : "false");
    for (size_t i = 0; i < explain_len; i++) {
        char c = explain[i];
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c == '\n')
            printf("\\n");
        else
            putchar(c);
    }
    printf("\"}\n");
    fflush(stdout);
}

int main(void)
{
    static const char *groups[] = {"fields", "lengths", "rule_reserved", "rule_control",
                                   "rule_length"};
    static const char *passed[] = {
        "RFC 6455 5.7's headers decode to the right FIN, opcode, MASK, key and length",
        "7-, 16- and 64-bit lengths decode, big-endian, up to 2^63 - 1",
        "reserved bits and opcodes are refused (FH_E_RSV, FH_E_OPCODE)",
        "control frames over 125 bytes or without FIN are refused",
        "non-minimal lengths and the 64-bit high bit are refused"};
    int failures = 0;
    /* Fed whole first, group by group: the first problem is the easiest to read. */
    for (size_t g = 0; g < sizeof groups / sizeof groups[0]; g++) {
        int ok = 1;
        explain_len = 0;
        for (size_t i = 0; i < NVEC && ok; i++)
            if (strcmp(vectors[i].group, groups[g]) == 0)
                ok = feed_all_ways(&vectors[i], 0);
        if (ok)
            say("%s (fed whole)", passed[g]);
        print_check(groups[g], ok);
        failures += !ok;
    }
    /* Then every chunking of every vector. */
    int ok = 1;
    explain_len = 0;
    for (size_t i = 0; i < NVEC && ok; i++)
        ok = feed_all_ways(&vectors[i], 1);
    if (ok)
        say("all %zu headers give the same result fed whole, in 2 or 3 pieces cut anywhere, "
            "after an empty call, and one byte at a time",
            NVEC);
    print_check("chunking", ok);
    failures += !ok;
    return failures ? 1 : 0;
}
