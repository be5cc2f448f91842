/*
 * fuzz_args.c - libFuzzer target for the shared command-line parser (args/args.h).
 *
 * A command line is input a person types, so args_parse must survive any words: the input is
 * split at NUL bytes into argv (each word a heap copy of exactly its bytes, so ASan flags any
 * read past one), parsed against a table with a row of every kind, and the verdict checked:
 * one of the three results, a NUL-terminated sentence on ARGS_ERROR, every number inside its
 * range, a list never past its room.
 * Run: ./wirelab test (fuzz tree), or build-fuzz/fuzz/args_fuzz -max_total_time=30
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"

#define MAX_WORDS 32

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *argv[MAX_WORDS + 2] = {"prog"};
    int argc = 1;
    for (size_t at = 0; at < size && argc <= MAX_WORDS;) {
        const uint8_t *nul = memchr(data + at, 0, size - at);
        size_t n = nul ? (size_t)(nul - (data + at)) : size - at;
        char *word = malloc(n + 1);
        if (word == NULL)
            break;
        memcpy(word, data + at, n);
        word[n] = '\0';
        argv[argc++] = word;
        at += n + 1;
    }
    struct {
        int port, verbose, mode;
        uint8_t ttl;
        size_t size;
        const char *bind, *items[3];
        args_list list;
    } o = {.port = 7, .ttl = 1, .size = 1};
    o.list = (args_list){o.items, 3, 0};
    const args_opt table[] = {
        ARGS_NUMBER_OPT("--port", "-p", o.port, 0, 65535),
        ARGS_TEXT_OPT("--bind", NULL, o.bind),
        ARGS_FLAG_OPT("--verbose", "-v", o.verbose),
        ARGS_NUMBER_OPT("--ttl", NULL, o.ttl, 1, 255),
        ARGS_NUMBER_OPT("--size", NULL, o.size, 1, SIZE_MAX),
        ARGS_CHOICE_OPT("--mode", NULL, o.mode, "echo|chat"),
        ARGS_LIST_OPT("--queue", NULL, o.list),
    };
    char err[ARGS_ERR_LEN];
    memset(err, 'x', sizeof err); /* a sentence must end inside it, not by luck */
    int rc = args_parse(argc, argv, table, ARGS_COUNT(table), err, sizeof err);
    if (rc != ARGS_OK && rc != ARGS_HELP && rc != ARGS_ERROR)
        abort();
    if (rc == ARGS_ERROR && memchr(err, '\0', sizeof err) == NULL)
        abort();
    if (o.port > 65535 || o.ttl == 0 || o.size == 0 || o.mode > 1 || o.list.n > 3)
        abort();
    for (int i = 1; i < argc; i++)
        free(argv[i]);
    return 0;
}
