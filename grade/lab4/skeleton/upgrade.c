/*
 * upgrade.c - lab 4, your turn: compute Sec-WebSocket-Accept and write the 101 answer.
 *
 *   make && ./server 8080     then, in another terminal:
 *   build/bin/ws_client ws://127.0.0.1:8080/chat --trace     (from the toolkit folder)
 *   ./wirelab grade 4         the grader: RFC 6455's key, random keys, your server's raw
 *                             answer, and a real browser (headless Chromium) connecting to it
 *
 * Everything the answer needs is in RFC 6455 section 1.3 (an example with every value) and
 * 4.2.2 (what the server sends). ws_accept (build/bin/ws_accept KEY) computes the accept value
 * the toolkit's way, to compare with yours.
 */
#include "upgrade.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

void lab4_accept(const char *key, size_t key_len, char out[LAB4_ACCEPT_LEN + 1])
{
    /* TODO 1: the bytes to hash (RFC 6455 1.3: the key and what?), their SHA-1 (20 bytes),
     *         and the base64 of that digest into out. */
    (void)key;
    (void)key_len;
    memset(out, 0, LAB4_ACCEPT_LEN + 1);
}

size_t lab4_response(const char *key, size_t key_len, char *out, size_t cap)
{
    char accept[LAB4_ACCEPT_LEN + 1];
    lab4_accept(key, key_len, accept);
    /* TODO 2: the status line and the headers of RFC 6455 4.2.2 item 5 (HTTP wants CRLF at
     *         the end of every line, and an empty line at the end). snprintf returns how long
     *         the text would be: compare it with cap. */
    int n = snprintf(out, cap, "HTTP/1.1 200 OK\r\n\r\n");
    return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}
