/*
 * upgrade.c - lab 4, broken on purpose: the accept value is the base64 of SHA-1(key) alone,
 * without RFC 6455's GUID, so no client accepts it (the grader must say the GUID is missing).
 */
#include "upgrade.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define GUID "" /* the bug: RFC 6455 1.3's GUID is missing */

void lab4_accept(const char *key, size_t key_len, char out[LAB4_ACCEPT_LEN + 1])
{
    char joined[256];
    uint8_t digest[20];
    if (key_len > sizeof joined - sizeof GUID)
        key_len = sizeof joined - sizeof GUID; /* a real key is 24 characters */
    memcpy(joined, key, key_len);
    memcpy(joined + key_len, GUID, sizeof GUID - 1);
    sha1(joined, key_len + sizeof GUID - 1, digest);
    base64_encode(digest, sizeof digest, out, LAB4_ACCEPT_LEN + 1);
}

size_t lab4_response(const char *key, size_t key_len, char *out, size_t cap)
{
    char accept[LAB4_ACCEPT_LEN + 1];
    lab4_accept(key, key_len, accept);
    int n = snprintf(out, cap,
                     "HTTP/1.1 101 Switching Protocols\r\n"
                     "Upgrade: websocket\r\n"
                     "Connection: Upgrade\r\n"
                     "Sec-WebSocket-Accept: %s\r\n"
                     "\r\n",
                     accept);
    return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}
