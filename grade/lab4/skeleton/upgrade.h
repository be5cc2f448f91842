/*
 * upgrade.h - lab 4's task: the server's half of the WebSocket opening handshake (RFC 6455
 * 4.2.2). Do not change this file: the grader compiles your upgrade.c against its own copy.
 *
 *   client:  GET /chat HTTP/1.1 ... Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ== ...
 *   server:  HTTP/1.1 101 Switching Protocols ... Sec-WebSocket-Accept: <the accept value>
 *
 * You may hash and encode with the toolkit's own SHA-1 and base64 (declared below, from
 * ws_handshake/sha1.c and base64.c), or with your own: the Makefile and the grader link the
 * toolkit's from an archive, so functions of your own take precedence. The lesson is what gets
 * hashed, and what the answer must say.
 * Grade:  ./wirelab grade 4
 */
#ifndef LAB4_UPGRADE_H
#define LAB4_UPGRADE_H

#include <stddef.h>
#include <stdint.h>

#define LAB4_ACCEPT_LEN 28 /* base64 of a 20-byte SHA-1 */

/* The toolkit's, as ws_handshake/sha1.h and base64.h declare them: the SHA-1 of data[0..len)
 * into digest (20 bytes); n bytes as base64 text into out (cap bytes, NUL included), returning
 * the text's length (0 when it does not fit). */
void sha1(const void *data, size_t len, uint8_t digest[20]);
size_t base64_encode(const uint8_t *in, size_t n, char *out, size_t cap);

/* Sec-WebSocket-Accept for the client's Sec-WebSocket-Key key[0..key_len): written to out,
 * NUL-terminated (RFC 6455 1.3 and 4.2.2, item 5.4). */
void lab4_accept(const char *key, size_t key_len, char out[LAB4_ACCEPT_LEN + 1]);

/* The whole HTTP response that accepts the upgrade of a request carrying that key: status
 * line, headers, the empty line. Written to out (cap bytes). Returns its length in bytes, or 0
 * when it does not fit. */
size_t lab4_response(const char *key, size_t key_len, char *out, size_t cap);

#endif
