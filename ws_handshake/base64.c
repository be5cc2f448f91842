/*
 * base64.c - RFC 4648 base64, both directions, strict on decode.
 *
 * What it teaches: every 3 input bytes (24 bits) are cut into four 6-bit groups, each an index
 * into a 64-character alphabet. A final group of 1 or 2 bytes is padded with '=' so the text
 * length is always a multiple of 4:  "f" -> "Zg==", "fo" -> "Zm8=", "foo" -> "Zm9v".
 */
#include "base64.h"

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t base64_encode(const uint8_t *in, size_t n, char *out, size_t cap)
{
    size_t need = BASE64_ENCODED_LEN(n);
    /* need + 1 <= cap, written so that a huge n cannot wrap around. */
    if (cap == 0 || need > cap - 1) {
        if (cap > 0)
            out[0] = '\0';
        return 0;
    }
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)in[i + 1] << 8;
        if (i + 2 < n)
            v |= in[i + 2];
        out[o++] = alphabet[(v >> 18) & 63];
        out[o++] = alphabet[(v >> 12) & 63];
        out[o++] = i + 1 < n ? alphabet[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < n ? alphabet[v & 63] : '=';
    }
    out[o] = '\0';
    return o;
}

/* The 6-bit value of one character, or -1 if it is not in the alphabet. */
static int b64_value(char ch)
{
    if (ch >= 'A' && ch <= 'Z')
        return ch - 'A';
    if (ch >= 'a' && ch <= 'z')
        return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9')
        return ch - '0' + 52;
    if (ch == '+')
        return 62;
    if (ch == '/')
        return 63;
    return -1;
}

/* Decode one group of 4 characters; pad (0, 1 or 2) '=' are allowed only in the last group. */
static int b64_group(const char *g, int last, uint8_t bytes[3])
{
    int pad = 0;
    if (last && g[3] == '=')
        pad = g[2] == '=' ? 2 : 1;
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        int x = i >= 4 - pad ? 0 : b64_value(g[i]);
        if (x < 0)
            return -1;
        v = v << 6 | (uint32_t)x;
    }
    /* Canonical encoding: the bits hidden under the padding must be zero (RFC 4648 3.5). */
    if ((pad == 1 && (v & 0xff)) || (pad == 2 && (v & 0xffff)))
        return -1;
    bytes[0] = (uint8_t)(v >> 16);
    bytes[1] = (uint8_t)(v >> 8);
    bytes[2] = (uint8_t)v;
    return 3 - pad;
}

long base64_decode(const char *in, size_t len, uint8_t *out, size_t cap)
{
    if (len % 4 != 0)
        return -1;
    size_t o = 0;
    for (size_t i = 0; i < len; i += 4) {
        uint8_t bytes[3];
        int n = b64_group(in + i, i + 4 == len, bytes);
        if (n < 0 || (size_t)n > cap - o)
            return -1;
        for (int k = 0; k < n; k++)
            out[o++] = bytes[k];
    }
    return (long)o;
}
