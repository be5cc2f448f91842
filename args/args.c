/*
 * args.c - the shared command-line parser (see args.h for the rules, args/README.md for why).
 *
 * One loop over argv: find the word's row in the table, take its value (after '=' or the next
 * word), check it, store it. Every way a command line can be wrong ends in fail(), which
 * writes one sentence for the person who typed it.
 * Run the tests: ctest --test-dir build -R args --output-on-failure
 */
#include "args.h"

#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Write the sentence into err and return ARGS_ERROR (so callers can `return fail(...)`). */
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return ARGS_ERROR;
}

int args_number(const char *name, const char *text, unsigned long long min, unsigned long long max,
                unsigned long long *out, char *err, size_t errlen)
{
    unsigned long long v = 0;
    int ok = text[0] != '\0';
    for (const char *p = text; ok && *p; p++) {
        unsigned d = (unsigned)(*p - '0');
        /* Not a digit, or v * 10 + d would overflow (checked without overflowing itself). */
        if (*p < '0' || *p > '9' || v > (ULLONG_MAX - d) / 10)
            ok = 0;
        else
            v = v * 10 + d;
    }
    if (!ok || v < min || v > max) {
        fail(err, errlen, "%s must be a whole number from %llu to %llu, not '%s'", name, min, max,
             text);
        return -1;
    }
    *out = v;
    return 0;
}

/* Store v in the unsigned (or non-negative int) field of `size` bytes at dest. */
static void store_number(void *dest, size_t size, unsigned long long v)
{
    uint8_t b = (uint8_t)v;
    uint16_t h = (uint16_t)v;
    uint32_t w = (uint32_t)v;
    uint64_t d = (uint64_t)v;
    /* memcpy, not a cast of dest: the field may be an int, a size_t, an unsigned long, ...;
     * a value that fits both has the same bytes in the signed and the unsigned type. */
    if (size == 1)
        memcpy(dest, &b, 1);
    else if (size == 2)
        memcpy(dest, &h, 2);
    else if (size == 4)
        memcpy(dest, &w, 4);
    else
        memcpy(dest, &d, 8);
}

/* The index of word in "a|b|c", or -1. */
static int choice_index(const char *choices, const char *word)
{
    size_t len = strlen(word);
    int i = 0;
    for (const char *p = choices;; i++) {
        const char *bar = strchr(p, '|');
        size_t n = bar ? (size_t)(bar - p) : strlen(p);
        if (n == len && strncmp(p, word, n) == 0)
            return i;
        if (bar == NULL)
            return -1;
        p = bar + 1;
    }
}

/* Is the row itself right (a program's mistake, caught the first time the option is used)?
 * Flags and choices go into an int; a number's field must hold its max. */
static int row_fits(const args_opt *o)
{
    if (o->kind == ARGS_FLAG || o->kind == ARGS_CHOICE)
        return o->size == sizeof(int);
    if (o->kind == ARGS_NUMBER)
        return (o->size == 1 || o->size == 2 || o->size == 4 || o->size == 8) &&
               (o->size == 8 || o->max >> (8 * o->size) == 0);
    return 1;
}

/* Check value (the text `typed` named the option) and put it where the row says. */
static int store(const args_opt *o, const char *typed, const char *value, char *err, size_t errlen)
{
    unsigned long long n;
    int index;
    args_list *list;
    if (!row_fits(o))
        return fail(err, errlen,
                    "%s: the program's option table gives it a field of the wrong "
                    "size (a bug in the program, not in the command line)",
                    typed);
    switch (o->kind) {
    case ARGS_FLAG:
        *(int *)o->dest = 1;
        return ARGS_OK;
    case ARGS_TEXT:
        *(const char **)o->dest = value;
        return ARGS_OK;
    case ARGS_NUMBER:
        if (args_number(typed, value, o->min, o->max, &n, err, errlen) < 0)
            return ARGS_ERROR;
        store_number(o->dest, o->size, n);
        return ARGS_OK;
    case ARGS_CHOICE:
        if ((index = choice_index(o->choices, value)) < 0)
            return fail(err, errlen, "%s must be one of %s, not '%s'", typed, o->choices, value);
        *(int *)o->dest = index;
        return ARGS_OK;
    case ARGS_LIST:
        list = o->dest;
        if (list->n == list->cap)
            return fail(err, errlen, "%s can be given at most %zu times", typed, list->cap);
        list->items[list->n++] = value;
        return ARGS_OK;
    }
    return fail(err, errlen, "%s: unknown kind of option in the program's table", typed);
}

/* The row for argv word arg (its first n bytes: the part before '='), or NULL. */
static const args_opt *find(const args_opt *opts, size_t nopts, const char *arg, size_t n)
{
    for (size_t k = 0; k < nopts; k++) {
        if (strlen(opts[k].name) == n && strncmp(opts[k].name, arg, n) == 0)
            return &opts[k];
        if (opts[k].alias != NULL && strcmp(opts[k].alias, arg) == 0)
            return &opts[k];
    }
    return NULL;
}

int args_parse(int argc, char **argv, const args_opt *opts, size_t nopts, char *err, size_t errlen)
{
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0)
            return ARGS_HELP;
        /* "--name=value": only long names take '=' (so "-p" never swallows one). */
        const char *eq = strncmp(arg, "--", 2) == 0 ? strchr(arg, '=') : NULL;
        size_t n = eq ? (size_t)(eq - arg) : strlen(arg);
        const args_opt *o = find(opts, nopts, arg, n);
        if (o == NULL && arg[0] == '-' && arg[1] != '\0')
            return fail(err, errlen, "unknown option '%.*s'", (int)n, arg);
        if (o == NULL)
            return fail(err, errlen, "unexpected argument '%s' (every option starts with --)", arg);
        char typed[64];
        snprintf(typed, sizeof typed, "%.*s", (int)n, arg);
        const char *value = NULL;
        if (o->kind == ARGS_FLAG && eq != NULL)
            return fail(err, errlen, "%s takes no value", typed);
        if (o->kind != ARGS_FLAG) {
            if (eq != NULL)
                value = eq + 1;
            else if (i + 1 < argc)
                value = argv[++i];
            else
                return fail(err, errlen, "%s needs a value", typed);
        }
        if (store(o, typed, value, err, errlen) < 0)
            return ARGS_ERROR;
    }
    return ARGS_OK;
}

int args_exit_status(int rc, const char *prog, const char *err, void (*usage)(FILE *to))
{
    if (rc == ARGS_OK)
        return -1;
    if (rc == ARGS_HELP) {
        usage(stdout);
        return 0;
    }
    fprintf(stderr, "%s: %s\n", prog, err);
    usage(stderr);
    return 2;
}
