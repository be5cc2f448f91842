/*
 * sio_json.h - JSON text as the Socket.IO server reads it: checked, never rebuilt.
 *
 * What it teaches: a relay does not need to understand a value to pass it on, and every time
 * it rebuilds one it risks changing it. A JSON library that parses 0.30000000000000004 into a
 * double and prints it back with 15 digits sends 0.3; one that stores strings as C strings cuts
 * "a\u0000b" at the NUL; one that insists on valid UTF-16 refuses "x\ud800y", a string that
 * JavaScript's JSON.stringify produces for half an emoji. So the server keeps the text the
 * client sent, checks that it is one JSON text exactly as JavaScript's JSON.parse would accept
 * it (RFC 8259's grammar: any escape, lone surrogates and \u0000 included, any nesting depth),
 * and reads only what it must: the event name, strings such as room names, object members.
 *
 *   value   = object / array / string / number / true / false / null
 *   number  = [ "-" ] ( "0" / 1-9 *DIGIT ) [ "." 1*DIGIT ] [ ( "e" / "E" ) [ "+" / "-" ] 1*DIGIT ]
 *   string  = '"' *( any char >= 0x20 but '"' and '\' / "\" ( '"' \ / b f n r t / u 4HEXDIG ) ) '"'
 *   whitespace between tokens: space, tab, LF, CR only
 *
 * Interface (all pure functions over (text, length); nothing is allocated but the checker's
 * stack of open containers, one byte per level):
 *   sio_json_check     is s[0..n) one JSON text? (and, for binary packets, its placeholders)
 *   sio_json_skip      the end of the checked value starting at i
 *   sio_json_item      the i-th element of a checked array, as text
 *   sio_json_member    the value of a checked object's member, as text (the last one, as
 * JSON.parse) sio_json_string    a checked string token decoded to UTF-8 (lone surrogates as WTF-8)
 *   sio_json_quote     a C string written as a JSON string token
 */
#ifndef WIRELAB_SIO_JSON_H
#define WIRELAB_SIO_JSON_H

#include <stddef.h>

/* What sio_json_check found wrong. */
enum {
    SIO_JSON_OK = 0,
    SIO_JSON_SYNTAX = -1,      /* not JSON: *at is the offset of the first wrong byte */
    SIO_JSON_PLACEHOLDER = -2, /* {"_placeholder":true,"num":N} with N not below attachments */
    SIO_JSON_NOMEM = -3,
};

/*
 * Check s[0..n) is exactly one JSON value, with optional whitespace around it. When
 * attachments is not (size_t)-1, also check every object whose "_placeholder" member is true
 * has a "num" that is a number >= 0 and < attachments (socket.io-parser's rule for binary
 * packets). Returns SIO_JSON_OK or a negative SIO_JSON_* code; *at (may be NULL) gets where.
 */
int sio_json_check(const char *s, size_t n, size_t attachments, size_t *at);

/* The index after the value that starts at s[i] (whitespace before it skipped), in CHECKED
 * text. Returns n when there is no value there. */
size_t sio_json_skip(const char *s, size_t n, size_t i);

/* The index of the first byte at or after i that is not JSON whitespace. */
size_t sio_json_ws(const char *s, size_t n, size_t i);

/* The index-th element of the checked array s[0..n): 1 with *item and *len set, 0 if there is
 * no such element or s is not an array. */
int sio_json_item(const char *s, size_t n, size_t index, const char **item, size_t *len);

/* The value of member key of the checked object s[0..n) (the last one when the key repeats,
 * as JSON.parse keeps). 1 with *val and *len set, 0 if absent or s is not an object. */
int sio_json_member(const char *s, size_t n, const char *key, const char **val, size_t *len);

/*
 * Decode the checked string token s[0..n) (quotes included) into out (cap bytes, always
 * NUL-terminated when cap > 0) as UTF-8; a lone surrogate becomes its 3-byte WTF-8 form, so
 * that different strings stay different. Returns the decoded length (which may contain NUL
 * bytes, from \u0000), or -1 when s is not a string token or out is too small.
 */
long sio_json_string(const char *s, size_t n, char *out, size_t cap);

/*
 * Write the C string str (its first len bytes) as a JSON string token into out (cap bytes,
 * NUL-terminated). '"', '\' and bytes below 0x20 are escaped; every other byte is copied.
 * Returns the token's length, or 0 when it does not fit (6 * len + 3 bytes always do).
 */
size_t sio_json_quote(const char *str, size_t len, char *out, size_t cap);

#endif
