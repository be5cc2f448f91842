/*
 * base64.h - Base64 (RFC 4648 section 4), the standard alphabet with '=' padding.
 *
 * What it teaches: how 3 bytes become 4 printable characters (6 bits each), so binary values
 * such as the 16-byte Sec-WebSocket-Key and the 20-byte SHA-1 of the accept value can travel in
 * an HTTP header.
 *
 * Interface:
 *   BASE64_ENCODED_LEN(n)   characters needed for n bytes (without the terminating NUL)
 *   base64_encode           bytes -> text (NUL-terminated)
 *   base64_decode           text -> bytes, strict: padding required, no whitespace, and the
 *                           unused bits of the last character must be zero (RFC 4648 3.5)
 */
#ifndef WIRELAB_BASE64_H
#define WIRELAB_BASE64_H

#include <stddef.h>
#include <stdint.h>

#define BASE64_ENCODED_LEN(n) ((((n) + 2) / 3) * 4)

/*
 * Encode n bytes into out (cap bytes, room for the NUL included). Returns the text length, or
 * 0 if out is too small (then out is left untouched apart from out[0] = 0 when cap > 0).
 */
size_t base64_encode(const uint8_t *in, size_t n, char *out, size_t cap);

/*
 * Decode len characters into out (cap bytes). Returns the number of bytes, or -1 when the text
 * is not canonical base64 or does not fit.
 */
long base64_decode(const char *in, size_t len, uint8_t *out, size_t cap);

#endif
