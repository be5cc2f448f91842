/*
 * json_verdict.c - a test helper: reads JSON texts, one per line in hex, and prints what
 * events/sio_json.c makes of each, one line each, for json_vs_node.mjs to compare with Node:
 *   0                   refused
 *   1 a <n>             accepted, an array of n elements (sio_json_item)
 *   1 s <hex>           accepted, a string, decoded to WTF-8 (sio_json_string)
 *   1                   accepted, anything else
 * Run: printf '5b315d\n' | build/tests/json_verdict
 */
#define _GNU_SOURCE /* getline */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sio_json.h"

static int hexval(int c)
{
    return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

static void verdict(const char *s, size_t n)
{
    const char *item;
    size_t ilen, count = 0;
    if (sio_json_check(s, n, (size_t)-1, NULL) != SIO_JSON_OK) {
        puts("0");
        return;
    }
    size_t i = sio_json_ws(s, n, 0);
    if (s[i] == '[') {
        while (sio_json_item(s, n, count, &item, &ilen))
            count++;
        printf("1 a %zu\n", count);
    } else if (s[i] == '"') {
        size_t end = sio_json_skip(s, n, i);
        char *out = malloc(end - i + 1);
        long len = out ? sio_json_string(s + i, end - i, out, end - i + 1) : -1;
        printf("1 s ");
        for (long k = 0; k < len; k++)
            printf("%02x", (unsigned char)out[k]);
        putchar('\n');
        free(out);
    } else {
        puts("1");
    }
}

int main(void)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    while ((got = getline(&line, &cap, stdin)) > 0) { /* any length: getline grows the buffer */
        size_t n = strcspn(line, "\n") / 2;
        for (size_t i = 0; i < n; i++) /* decoded in place: text i is behind hex 2i */
            line[i] = (char)(hexval(line[2 * i]) << 4 | hexval(line[2 * i + 1]));
        verdict(line, n);
    }
    free(line);
    return 0;
}
