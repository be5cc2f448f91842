/*
 * ws_accept.c - compute a Sec-WebSocket-Accept value by hand, one step at a time, with
 * Wirelab's own SHA-1 and base64.
 *
 * What it teaches: how a WebSocket server proves it understood the upgrade (RFC 6455 4.2.2).
 * It appends the fixed GUID 258EAFA5-E914-47DA-95CA-C5AB0DC85B11 to the client's key, hashes
 * that text with SHA-1, and sends the 20-byte digest in base64. A client that sees the right
 * value knows it reached a WebSocket server, not a cache or a plain web server replaying
 * something. (It is not security: anyone can compute it.)
 *
 * Run it:  build/bin/ws_accept dGhlIHNhbXBsZSBub25jZQ==     (RFC 6455's example key)
 * and check it with tools nobody here wrote:
 *   printf '%s' 'dGhlIHNhbXBsZSBub25jZQ==258EAFA5-E914-47DA-95CA-C5AB0DC85B11' | sha1sum
 *   ... | xxd -r -p | base64
 */
#include <stdio.h>
#include <string.h>

#include "base64.h"
#include "sha1.h"

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

int main(int argc, char **argv)
{
    if (argc != 2 || !strcmp(argv[1], "--help")) {
        fprintf(argc == 2 ? stdout : stderr,
                "usage: ws_accept SEC-WEBSOCKET-KEY\n"
                "  prints the Sec-WebSocket-Accept a server must answer, step by step\n");
        return argc == 2 ? 0 : 2;
    }
    const char *key = argv[1];
    uint8_t nonce[64];
    long n = base64_decode(key, strlen(key), nonce, sizeof nonce);
    if (n != 16) {
        fprintf(stderr, "ws_accept: a Sec-WebSocket-Key is base64 of 16 random bytes; '%s' %s\n",
                key, n < 0 ? "is not base64" : "decodes to another length");
        return 1;
    }
    char text[128];
    snprintf(text, sizeof text, "%s%s", key, WS_GUID);
    uint8_t digest[SHA1_DIGEST_LEN];
    sha1(text, strlen(text), digest);
    char accept[BASE64_ENCODED_LEN(SHA1_DIGEST_LEN) + 1];
    base64_encode(digest, sizeof digest, accept, sizeof accept);

    printf("1. the client's key:        %s  (base64 of 16 random bytes)\n", key);
    printf("2. key + the RFC's GUID:    %s\n", text);
    printf("3. SHA-1 of that text:      ");
    for (size_t i = 0; i < sizeof digest; i++)
        printf("%02x", digest[i]);
    printf("  (20 bytes, in hex)\n");
    printf("4. base64 of those 20 bytes: %s  <- Sec-WebSocket-Accept\n", accept);
    return 0;
}
