/*
 * sha1.h - SHA-1 (FIPS 180-4, RFC 3174), written out so a student can read every step.
 *
 * What it teaches: the WebSocket handshake proves the server understood the request by hashing
 * the client's key with a fixed GUID. SHA-1 is no longer safe for signatures, but RFC 6455 uses
 * it only as a checksum that an HTTP cache or a confused server would not produce by accident.
 *
 * Interface:
 *   sha1_init / sha1_update / sha1_final   hash a stream in pieces of any size
 *   sha1                                   hash one buffer
 * Tested against the FIPS 180 / RFC 3174 vectors in tests/ws_handshake/test_sha1_base64.c.
 */
#ifndef WIRELAB_SHA1_H
#define WIRELAB_SHA1_H

#include <stddef.h>
#include <stdint.h>

#define SHA1_DIGEST_LEN 20

typedef struct sha1_ctx {
    uint32_t h[5];     /* the running hash state H0..H4 */
    uint64_t total;    /* bytes hashed so far (the length goes into the last block) */
    uint8_t block[64]; /* a partial 512-bit block waiting for more input */
    size_t used;       /* bytes in block[] */
} sha1_ctx;

void sha1_init(sha1_ctx *ctx);
void sha1_update(sha1_ctx *ctx, const void *data, size_t len);
void sha1_final(sha1_ctx *ctx, uint8_t digest[SHA1_DIGEST_LEN]);
void sha1(const void *data, size_t len, uint8_t digest[SHA1_DIGEST_LEN]);

#endif
