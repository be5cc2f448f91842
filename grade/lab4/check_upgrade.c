/*
 * check_upgrade.c - lab 4's grader core: calls the student's lab4_accept and lab4_response
 * (upgrade.h) directly, without a socket, and prints what they return for grade/lab4/grade to
 * judge (Python computes the right values with hashlib and base64).
 *   check_upgrade accept KEY...    one line per key: the accept value, or "(not NUL-terminated)"
 *   check_upgrade response KEY     the response bytes as written, nothing added
 */
#include "upgrade.h"

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc >= 3 && strcmp(argv[1], "accept") == 0) {
        for (int i = 2; i < argc; i++) {
            char out[LAB4_ACCEPT_LEN + 1 + 64];
            memset(out, '#', sizeof out);
            lab4_accept(argv[i], strlen(argv[i]), out);
            if (memchr(out, '\0', LAB4_ACCEPT_LEN + 1) == NULL)
                printf("(not NUL-terminated within %d bytes)\n", LAB4_ACCEPT_LEN + 1);
            else
                printf("%s\n", out);
        }
        return 0;
    }
    if (argc == 3 && strcmp(argv[1], "response") == 0) {
        static char out[4096];
        size_t n = lab4_response(argv[2], strlen(argv[2]), out, sizeof out);
        fwrite(out, 1, n < sizeof out ? n : sizeof out, stdout);
        return 0;
    }
    fprintf(stderr, "usage: check_upgrade accept KEY... | response KEY\n");
    return 2;
}
