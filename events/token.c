/*
 * token.c - random tokens from getrandom(2), written in base64url (see token.h).
 *
 * Base64url (RFC 4648 section 5) is base64 with '-' and '_' instead of '+' and '/', because
 * these ids travel in URLs (?sid=...) where '+' would mean a space and '/' a path step.
 * 15 bytes are 120 bits, exactly 20 base64 characters, so there is never '=' padding.
 */
#include "token.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "base64.h"

int token_random(char out[TOKEN_LEN + 1], char *err, size_t errlen)
{
    uint8_t raw[15];
    char b64[TOKEN_LEN + 1];
    ssize_t got;
    do /* the urandom pool never blocks once initialised; a signal may still interrupt us */
        got = getrandom(raw, sizeof raw, 0);
    while (got < 0 && errno == EINTR);
    if (got != (ssize_t)sizeof raw) {
        snprintf(err, errlen,
                 "no randomness for a secret id (session, socket or private id): getrandom: %s",
                 got < 0 ? strerror(errno) : "short read");
        return -1;
    }
    base64_encode(raw, sizeof raw, b64, sizeof b64);
    for (char *c = b64; *c; c++)
        *c = *c == '+' ? '-' : (*c == '/' ? '_' : *c);
    memcpy(out, b64, TOKEN_LEN + 1);
    return 0;
}
