/*
 * ws_mask.c - masking (RFC 6455 5.3): payload byte i is XORed with key[i % 4].
 *
 * What it teaches: the definition is one line,
 *
 *     dst[i] = src[i] ^ key[(offset + i) % 4];
 *
 * and that line is what tests/ws_handshake/test_ws_frame.c (mask_matches_definition) checks
 * this file against, for every length, offset and alignment. This file is the fast version of
 * it, because every byte a client sends passes through here (bench/ws_handshake measures it
 * against memcpy): XOR 8 bytes at once with the key repeated twice, rotated to where this chunk
 * starts in the key. It is the only masking code in the tree; ws_frame.c and ws_frame_fast.c
 * both call it.
 * Try it: build/tests/test_ws_frame, or bench/ws_handshake/run (the "unmask 1 MiB" line).
 */
#include <stdint.h>
#include <string.h>

#include "ws_frame.h"

void ws_mask_copy(uint8_t *dst, const uint8_t *src, size_t len, const uint8_t key[4],
                  uint64_t offset)
{
    /*
     * The key written out three times, and the 8 bytes of it starting where this chunk starts
     * in the key (offset % 4): that is the key for 8 payload bytes at once. Then XOR 32 bytes
     * per round as four 64-bit words, the other whole words one by one, the last 0..7 bytes
     * alone. Byte order does not matter for XOR, and the compiler turns the fixed-size memcpy
     * calls into plain (unaligned) loads and stores.
     */
    uint8_t key3[12];
    memcpy(key3, key, 4);
    memcpy(key3 + 4, key, 4);
    memcpy(key3 + 8, key, 4);
    const uint8_t *k = key3 + (offset & 3); /* k[j]: the key byte of payload byte j (mod 4) */
    uint64_t k64;
    memcpy(&k64, k, 8);
    size_t i = 0, words = len / 8;
    for (size_t n = words / 4; n > 0; n--, i += 32) {
        /* four plain variables, not an array: the compiler keeps them in (vector) registers */
        uint64_t w0, w1, w2, w3;
        memcpy(&w0, src + i, 8);
        memcpy(&w1, src + i + 8, 8);
        memcpy(&w2, src + i + 16, 8);
        memcpy(&w3, src + i + 24, 8);
        w0 ^= k64;
        w1 ^= k64;
        w2 ^= k64;
        w3 ^= k64;
        memcpy(dst + i, &w0, 8);
        memcpy(dst + i + 8, &w1, 8);
        memcpy(dst + i + 16, &w2, 8);
        memcpy(dst + i + 24, &w3, 8);
    }
    for (size_t n = words % 4; n > 0; n--, i += 8) {
        uint64_t w;
        memcpy(&w, src + i, 8);
        w ^= k64;
        memcpy(dst + i, &w, 8);
    }
    for (; i < len; i++) /* the last 0..7 bytes: the definition itself */
        dst[i] = src[i] ^ k[i & 3];
}

void ws_mask(uint8_t *buf, size_t len, const uint8_t key[4], uint64_t offset)
{
    ws_mask_copy(buf, buf, len, key, offset); /* memcpy of 8-byte words: overlap is harmless */
}
