/*
 * test_sha1_base64.c - SHA-1 and base64 against their standards' test vectors.
 *
 * What it teaches: a hash or an encoding is only trusted once it reproduces the published
 * vectors: FIPS 180 / RFC 3174 for SHA-1 (including one million 'a's, which crosses many
 * blocks) and RFC 4648 section 10 for base64. Run: build/tests/test_sha1_base64
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "base64.h"
#include "sha1.h"

static void hex(const uint8_t *d, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", d[i]);
}

static void check_sha1(const char *msg, size_t len, const char *want)
{
    uint8_t d[SHA1_DIGEST_LEN];
    char got[41];
    sha1(msg, len, d);
    hex(d, sizeof d, got);
    assert_string_equal(got, want);
}

static void sha1_fips_vectors(void **state)
{
    (void)state;
    check_sha1("abc", 3, "a9993e364706816aba3e25717850c26c9cd0d89d");
    check_sha1("", 0, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    const char *two_blocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    check_sha1(two_blocks, strlen(two_blocks), "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
    check_sha1("The quick brown fox jumps over the lazy dog", 43,
               "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12");
}

/* RFC 3174 TEST4: "01234567" * 8, repeated 10 times = 640 bytes. */
static void sha1_rfc3174_test4(void **state)
{
    (void)state;
    sha1_ctx ctx;
    uint8_t d[SHA1_DIGEST_LEN];
    char got[41];
    sha1_init(&ctx);
    for (int i = 0; i < 10; i++)
        sha1_update(&ctx, "0123456701234567012345670123456701234567012345670123456701234567", 64);
    sha1_final(&ctx, d);
    hex(d, sizeof d, got);
    assert_string_equal(got, "dea356a2cddd90c7a7ecedc5ebb563934f460452");
}

static void sha1_million_a(void **state)
{
    (void)state;
    static char a[1000000];
    memset(a, 'a', sizeof a);
    check_sha1(a, sizeof a, "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
}

/* Splitting the input anywhere must not change the hash (block boundaries, padding edge). */
static void sha1_every_split(void **state)
{
    (void)state;
    char msg[130];
    for (size_t i = 0; i < sizeof msg; i++)
        msg[i] = (char)('A' + i % 26);
    for (size_t len = 0; len <= sizeof msg; len++) {
        uint8_t whole[SHA1_DIGEST_LEN];
        sha1(msg, len, whole);
        for (size_t cut = 0; cut <= len; cut++) {
            sha1_ctx ctx;
            uint8_t d[SHA1_DIGEST_LEN];
            sha1_init(&ctx);
            sha1_update(&ctx, msg, cut);
            sha1_update(&ctx, msg + cut, len - cut);
            sha1_final(&ctx, d);
            assert_memory_equal(d, whole, sizeof d);
        }
    }
}

static void base64_rfc4648_vectors(void **state)
{
    (void)state;
    static const char *const in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *const out[] = {"",         "Zg==",     "Zm8=",    "Zm9v",
                                      "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    for (size_t i = 0; i < 7; i++) {
        char text[16];
        uint8_t back[8];
        size_t n = strlen(in[i]);
        assert_int_equal(base64_encode((const uint8_t *)in[i], n, text, sizeof text),
                         strlen(out[i]));
        assert_string_equal(text, out[i]);
        assert_int_equal(base64_decode(text, strlen(text), back, sizeof back), (long)n);
        assert_memory_equal(back, in[i], n);
    }
}

static void base64_rejects_noncanonical(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "Zg=",      /* length not a multiple of 4 */
        "Zh==",     /* bits under the padding are not zero */
        "Zm9=",     /* same, one pad */
        "Z===",     /* three pads */
        "Zg==Zg==", /* padding in the middle */
        "Zm9v\n",   /* whitespace */
        "Zm-v",     /* URL-safe alphabet is a different encoding */
        "=Zm9",     /* pad first */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint8_t out[16];
        assert_int_equal(base64_decode(bad[i], strlen(bad[i]), out, sizeof out), -1);
    }
}

static void base64_respects_capacity(void **state)
{
    (void)state;
    char small[4];
    uint8_t out[2];
    assert_int_equal(base64_encode((const uint8_t *)"foo", 3, small, sizeof small), 0);
    assert_int_equal(base64_decode("Zm9v", 4, out, sizeof out), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sha1_fips_vectors),        cmocka_unit_test(sha1_rfc3174_test4),
        cmocka_unit_test(sha1_million_a),           cmocka_unit_test(sha1_every_split),
        cmocka_unit_test(base64_rfc4648_vectors),   cmocka_unit_test(base64_rejects_noncanonical),
        cmocka_unit_test(base64_respects_capacity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
