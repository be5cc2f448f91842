/*
 * token.h - random tokens for ids a client must not guess: Engine.IO session ids (sid) and
 * Socket.IO socket ids and private ids (pid).
 *
 * What it teaches: an id that grants access is a secret, so it comes from the kernel's
 * random source (getrandom(2)) or not at all. A counter or the clock would be unique, but the
 * next sid would be guessable, and whoever guesses a sid can read that session's packets (a
 * polling GET with its sid) or, with a pid, take over a dropped socket's rooms.
 *
 * Interface:
 *   token_random   TOKEN_LEN characters of base64url (15 random bytes), NUL-terminated
 */
#ifndef WIRELAB_TOKEN_H
#define WIRELAB_TOKEN_H

#include <stddef.h>

#define TOKEN_LEN 20 /* base64url of 15 random bytes: 120 bits, and no '=' padding */

/*
 * Write a fresh random token into out (TOKEN_LEN + 1 bytes). Returns 0, or -1 when the kernel
 * gave no randomness (getrandom failed); then err says why, and the caller must refuse what it
 * was about to create rather than invent a guessable id.
 */
int token_random(char out[TOKEN_LEN + 1], char *err, size_t errlen);

#endif
