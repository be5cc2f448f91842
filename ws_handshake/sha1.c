/*
 * sha1.c - SHA-1 as FIPS 180-4 section 6.1 describes it.
 *
 * What it teaches: a hash eats its input in 64-byte blocks; each block is expanded into 80
 * 32-bit words that are mixed into five state words. The message is padded with one 1 bit,
 * zeros, and its length in bits, so that "abc" and "abc\0" hash differently.
 * Try it: build/tests/test_sha1_base64 runs the standard vectors (including a million 'a's).
 */
#include "sha1.h"

#include <string.h>

static uint32_t rol32(uint32_t x, unsigned n)
{
    return (x << n) | (x >> (32 - n));
}

/* Big-endian on the wire of the algorithm, whatever the CPU: read the bytes one by one. */
static uint32_t load_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* One 64-byte block into the state (FIPS 180-4 6.1.2, steps 1-4). */
static void sha1_block(uint32_t h[5], const uint8_t block[64])
{
    uint32_t w[80];
    for (int t = 0; t < 16; t++)
        w[t] = load_be32(block + 4 * t);
    for (int t = 16; t < 80; t++)
        w[t] = rol32(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1);

    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
    for (int t = 0; t < 80; t++) {
        uint32_t f, k;
        if (t < 20) {
            f = (b & c) | (~b & d); /* Ch: b chooses between c and d */
            k = 0x5a827999;
        } else if (t < 40) {
            f = b ^ c ^ d; /* Parity */
            k = 0x6ed9eba1;
        } else if (t < 60) {
            f = (b & c) | (b & d) | (c & d); /* Maj: the majority of the three bits */
            k = 0x8f1bbcdc;
        } else {
            f = b ^ c ^ d;
            k = 0xca62c1d6;
        }
        uint32_t tmp = rol32(a, 5) + f + e + k + w[t];
        e = d;
        d = c;
        c = rol32(b, 30);
        b = a;
        a = tmp;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
}

void sha1_init(sha1_ctx *ctx)
{
    /* The initial hash value of FIPS 180-4 5.3.1. */
    ctx->h[0] = 0x67452301;
    ctx->h[1] = 0xefcdab89;
    ctx->h[2] = 0x98badcfe;
    ctx->h[3] = 0x10325476;
    ctx->h[4] = 0xc3d2e1f0;
    ctx->total = 0;
    ctx->used = 0;
}

void sha1_update(sha1_ctx *ctx, const void *data, size_t len)
{
    const uint8_t *p = data;
    ctx->total += len;
    while (len > 0) {
        size_t n = 64 - ctx->used;
        if (n > len)
            n = len;
        memcpy(ctx->block + ctx->used, p, n);
        ctx->used += n;
        p += n;
        len -= n;
        if (ctx->used == 64) {
            sha1_block(ctx->h, ctx->block);
            ctx->used = 0;
        }
    }
}

void sha1_final(sha1_ctx *ctx, uint8_t digest[SHA1_DIGEST_LEN])
{
    uint64_t bits = ctx->total * 8;
    /* Padding (FIPS 180-4 5.1.1): 0x80, then zeros until 8 bytes are left in a block. */
    ctx->block[ctx->used++] = 0x80;
    if (ctx->used > 56) {
        memset(ctx->block + ctx->used, 0, 64 - ctx->used);
        sha1_block(ctx->h, ctx->block);
        ctx->used = 0;
    }
    memset(ctx->block + ctx->used, 0, 56 - ctx->used);
    for (int i = 0; i < 8; i++)
        ctx->block[56 + i] = (uint8_t)(bits >> (56 - 8 * i));
    sha1_block(ctx->h, ctx->block);
    for (int i = 0; i < 5; i++) {
        digest[4 * i] = (uint8_t)(ctx->h[i] >> 24);
        digest[4 * i + 1] = (uint8_t)(ctx->h[i] >> 16);
        digest[4 * i + 2] = (uint8_t)(ctx->h[i] >> 8);
        digest[4 * i + 3] = (uint8_t)ctx->h[i];
    }
}

void sha1(const void *data, size_t len, uint8_t digest[SHA1_DIGEST_LEN])
{
    sha1_ctx ctx;
    sha1_init(&ctx);
    sha1_update(&ctx, data, len);
    sha1_final(&ctx, digest);
}
