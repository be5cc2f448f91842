/*
 * args.h - the command-line flags Wirelab's programs share, parsed from a table.
 *
 * What it teaches: a command line is a tiny protocol of its own, and the same rules as on the
 * wire apply: every value is checked (a number is all digits and inside its range), and every
 * rejection is a sentence that says which flag, what it wants and what it got. Each program
 * describes its options as a table and gets back a verdict; it does not write its own loop:
 *
 *     static const args_opt opts[] = {
 *         ARGS_NUMBER_OPT("--port", NULL, o.port, 0, 65535),
 *         ARGS_TEXT_OPT("--bind", NULL, o.bind),
 *         ARGS_FLAG_OPT("--verbose", "-v", o.verbose),
 *     };
 *     switch (args_parse(argc, argv, opts, ARGS_COUNT(opts), err, sizeof err)) ...
 *
 * The rules, the same for every program:
 *   --name VALUE and --name=VALUE are the same; a flag (no value) refuses "=VALUE".
 *   --help and -h always mean help: ARGS_HELP (main prints the usage to stdout, exits 0).
 *   Numbers are whole decimal numbers with no sign, inside [min, max]; a port is a number
 *   from 0 (or 1) to 65535.
 *   An unknown option, a missing value, a bad value or a word that is not an option (these
 *   programs take none) is ARGS_ERROR with one sentence in err (main prints it and the usage
 *   to stderr, exits 2).
 *   An option given twice: the last one wins (a list option collects every one).
 *
 * Pure: no printing (but for args_exit_status, main's helper), no exit, no globals; the unit
 * tests feed it argument vectors (tests/args/test_args.c). Why this instead of getopt_long: see
 * args/README.md.
 */
#ifndef WIRELAB_ARGS_H
#define WIRELAB_ARGS_H

#include <stddef.h>
#include <stdio.h>

#define ARGS_ERR_LEN 256 /* an err buffer this large holds every sentence args_parse writes */

/* What args_parse found. Negative is a failure, as everywhere in Wirelab. */
enum args_result { ARGS_OK = 0, ARGS_HELP = 1, ARGS_ERROR = -1 };

typedef enum args_kind {
    ARGS_FLAG,   /* no value: the int at dest becomes 1 (--verbose) */
    ARGS_TEXT,   /* any text: the const char * at dest points at it (--bind ADDR) */
    ARGS_NUMBER, /* a whole number in [min, max], stored in the unsigned or int field at dest */
    ARGS_CHOICE, /* one of the words in choices ("echo|chat"): its index, 0, 1, ..., in the int */
    ARGS_LIST    /* repeatable text: appended to the args_list at dest (at most list->cap) */
} args_kind;

/* Where an ARGS_LIST option collects its values (they point into argv). */
typedef struct args_list {
    const char **items;
    size_t cap; /* items has room for this many: one more is an error, not a silent drop */
    size_t n;
} args_list;

typedef struct args_opt {
    const char *name;            /* "--port" */
    const char *alias;           /* a short form, "-p", or NULL */
    args_kind kind;              /* what the value is */
    void *dest;                  /* where it goes (see args_kind) */
    size_t size;                 /* sizeof the field at dest (ARGS_NUMBER: 1, 2, 4 or 8) */
    unsigned long long min, max; /* ARGS_NUMBER: the range, inclusive (must fit the field) */
    const char *choices;         /* ARGS_CHOICE: the words, separated by '|' */
} args_opt;

/* Table rows. field is an lvalue (o.port, o->verbose); its size is taken from it. */
#define ARGS_FLAG_OPT(name, alias, field)                                                          \
    {                                                                                              \
        name, alias, ARGS_FLAG, &(field), sizeof(field), 0, 1, NULL                                \
    }
#define ARGS_TEXT_OPT(name, alias, field)                                                          \
    {                                                                                              \
        name, alias, ARGS_TEXT, &(field), sizeof(field), 0, 0, NULL                                \
    }
#define ARGS_NUMBER_OPT(name, alias, field, lo, hi)                                                \
    {                                                                                              \
        name, alias, ARGS_NUMBER, &(field), sizeof(field), lo, hi, NULL                            \
    }
#define ARGS_CHOICE_OPT(name, alias, field, words)                                                 \
    {                                                                                              \
        name, alias, ARGS_CHOICE, &(field), sizeof(field), 0, 0, words                             \
    }
#define ARGS_LIST_OPT(name, alias, list)                                                           \
    {                                                                                              \
        name, alias, ARGS_LIST, &(list), sizeof(list), 0, 0, NULL                                  \
    }
#define ARGS_COUNT(table) (sizeof(table) / sizeof((table)[0]))

/*
 * Parse argv[1..argc-1] against the nopts options of the table, storing each value where its
 * row says. Fields of options not given keep what the caller put there (the defaults).
 * Returns ARGS_OK, ARGS_HELP, or ARGS_ERROR with the reason in err (errlen bytes;
 * ARGS_ERR_LEN is enough), e.g. "--count must be a whole number from 1 to 100, not 'abc'".
 * On ARGS_HELP and ARGS_ERROR some fields may already have been set.
 */
int args_parse(int argc, char **argv, const args_opt *opts, size_t nopts, char *err, size_t errlen);

/*
 * main()'s side: what to do with args_parse's result rc. ARGS_OK: returns -1 (go on).
 * ARGS_HELP: prints the usage to stdout and returns 0. ARGS_ERROR: prints "prog: <err>" and the
 * usage to stderr and returns 2. So every program answers a mistake the same way:
 *     int status = args_exit_status(rc, "udp_sender", err, usage);
 *     if (status >= 0)
 *         return status;
 * The one function here that prints: it is main's last step of parsing, called only from main
 * (or a parse function main calls), never from library code.
 */
int args_exit_status(int rc, const char *prog, const char *err, void (*usage)(FILE *to));

/*
 * One number the args_parse way, for values a program checks itself (a part of a longer
 * value, a number after a program-specific test): text must be a whole decimal number in
 * [min, max]. Returns 0 with *out set, or -1 with "<name> must be a whole number from <min> to
 * <max>, not '<text>'" in err.
 */
int args_number(const char *name, const char *text, unsigned long long min, unsigned long long max,
                unsigned long long *out, char *err, size_t errlen);

#endif
