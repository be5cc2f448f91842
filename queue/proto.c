/*
 * proto.c - framing and parsing of the queue broker's text protocol (see proto.h).
 *
 * What it teaches: a hand-written parser over (pointer, length) that never reads past the
 * line, never trusts a number it has not range-checked, and turns every malformed input into
 * a sentence the client can act on - the connection stays usable.
 * Run the tests: ctest -R queue_proto_test.
 */
#include "proto.h"

#include <stdio.h>
#include <string.h>

/* ---- framing ---------------------------------------------------------------------------- */

int proto_frame(proto_framer *f, const uint8_t *buf, size_t len, size_t *line_len, size_t *used)
{
    *used = 0;
    *line_len = 0;
    const uint8_t *nl = memchr(buf, '\n', len);
    if (f->skipping) {
        if (nl == NULL) {
            *used = len; /* still inside the over-long line: drop it all */
            return PROTO_NEED_MORE;
        }
        /* The over-long line ends here; what follows is a fresh line, offered next call. */
        f->skipping = 0;
        *used = (size_t)(nl - buf) + 1;
        return PROTO_NEED_MORE;
    }
    if (nl == NULL) {
        /* One read is not one line: wait for the rest. (+ 1: a "\r" may precede the "\n".) */
        if (len <= f->max_line + 1)
            return PROTO_NEED_MORE;
        f->skipping = 1; /* report once, then skip up to the "\n" whenever it comes */
        *used = len;
        return PROTO_TOO_LONG;
    }
    size_t n = (size_t)(nl - buf);
    *used = n + 1;
    if (n > 0 && buf[n - 1] == '\r')
        n--; /* "\r\n" from telnet or nc -C */
    if (n > f->max_line)
        return PROTO_TOO_LONG;
    *line_len = n;
    return PROTO_LINE;
}

/* ---- parsing ---------------------------------------------------------------------------- */

int proto_parse_u64(const char *text, size_t len, uint64_t *out)
{
    if (len == 0 || len > 20)
        return -1;
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (text[i] < '0' || text[i] > '9')
            return -1;
        unsigned d = (unsigned)(text[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -1; /* v * 10 + d would overflow: checked without overflowing itself */
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

int proto_valid_name(const char *text, size_t len)
{
    if (len == 0 || len > PROTO_NAME_MAX)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '.' || c == '_' || c == '-';
        if (!ok)
            return 0;
    }
    return 1;
}

/* A cursor over the line: the next space-separated word, without reading past the end. */
typedef struct words {
    const char *p;
    size_t left;
} words;

static size_t next_word(words *w, const char **word)
{
    size_t n = 0;
    while (n < w->left && w->p[n] != ' ')
        n++;
    *word = w->p;
    w->p += n;
    w->left -= n;
    if (w->left > 0) { /* step over exactly one separating space */
        w->p++;
        w->left--;
    }
    return n;
}

static const struct {
    const char *word;
    enum proto_verb verb;
} verbs[] = {
    {"PUSH", PROTO_PUSH},   {"PULL", PROTO_PULL},       {"ACK", PROTO_ACK},
    {"TOUCH", PROTO_TOUCH}, {"PUB", PROTO_PUB},         {"SUB", PROTO_SUB},
    {"DLQ", PROTO_DLQ},     {"REQUEUE", PROTO_REQUEUE}, {"QUIT", PROTO_QUIT},
};

static int find_verb(const char *word, size_t len, enum proto_verb *verb)
{
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++) {
        if (strlen(verbs[i].word) == len && memcmp(verbs[i].word, word, len) == 0) {
            *verb = verbs[i].verb;
            return 0;
        }
    }
    return -1;
}

/* Show at most 16 bytes of a bad word, replacing anything unprintable, inside quotes. */
static void quote(const char *text, size_t len, char *out, size_t outlen)
{
    size_t n = len < 16 ? len : 16, j = 0;
    for (size_t i = 0; i < n && j + 1 < outlen; i++)
        out[j++] = (text[i] >= 0x20 && text[i] < 0x7f) ? text[i] : '?';
    out[j] = '\0';
}

static int parse_name(words *w, proto_cmd *cmd, const char *usage, char *err, size_t errlen)
{
    cmd->name_len = next_word(w, &cmd->name);
    if (cmd->name_len == 0) {
        snprintf(err, errlen, "usage: %s", usage);
        return -1;
    }
    if (!proto_valid_name(cmd->name, cmd->name_len)) {
        snprintf(err, errlen, "bad name: use 1-%d of A-Z a-z 0-9 . _ -", PROTO_NAME_MAX);
        return -1;
    }
    return 0;
}

static int parse_message(words *w, proto_cmd *cmd, const char *usage, char *err, size_t errlen)
{
    if (parse_name(w, cmd, usage, err, errlen) < 0)
        return -1;
    cmd->msg = w->p; /* the rest of the line, spaces and all */
    cmd->msg_len = w->left;
    if (cmd->msg_len == 0) {
        snprintf(err, errlen, "usage: %s (the message cannot be empty)", usage);
        return -1;
    }
    return 0;
}

static int parse_ack(words *w, proto_cmd *cmd, char *err, size_t errlen)
{
    const char *word;
    size_t n = next_word(w, &word);
    if (n == 0 || w->left > 0 || proto_parse_u64(word, n, &cmd->number) < 0) {
        snprintf(err, errlen, "usage: ACK <id> (the number from a MSG line)");
        return -1;
    }
    return 0;
}

/* An optional last word: an ACK deadline in seconds, 1..PROTO_MAX_SECONDS. */
static int parse_seconds(words *w, proto_cmd *cmd, const char *usage, char *err, size_t errlen)
{
    if (w->left == 0)
        return 0;
    const char *word;
    size_t n = next_word(w, &word);
    if (w->left > 0 || proto_parse_u64(word, n, &cmd->seconds) < 0 || cmd->seconds == 0 ||
        cmd->seconds > PROTO_MAX_SECONDS) {
        snprintf(err, errlen, "usage: %s (seconds: 1 to %d)", usage, PROTO_MAX_SECONDS);
        return -1;
    }
    cmd->has_seconds = 1;
    return 0;
}

static int parse_touch(words *w, proto_cmd *cmd, char *err, size_t errlen)
{
    static const char usage[] = "TOUCH <id> [<seconds>]";
    const char *word;
    size_t n = next_word(w, &word);
    if (n == 0 || proto_parse_u64(word, n, &cmd->number) < 0) {
        snprintf(err, errlen, "usage: %s (seconds: 1 to %d)", usage, PROTO_MAX_SECONDS);
        return -1;
    }
    return parse_seconds(w, cmd, usage, err, errlen);
}

static int parse_requeue(words *w, proto_cmd *cmd, char *err, size_t errlen)
{
    static const char usage[] = "REQUEUE <queue> <id>|ALL (an id from a DEAD line)";
    if (parse_name(w, cmd, usage, err, errlen) < 0)
        return -1;
    const char *word;
    size_t n = next_word(w, &word);
    if (n == 3 && memcmp(word, "ALL", 3) == 0 && w->left == 0) {
        cmd->all = 1;
        return 0;
    }
    if (n == 0 || w->left > 0 || proto_parse_u64(word, n, &cmd->number) < 0) {
        snprintf(err, errlen, "usage: %s", usage);
        return -1;
    }
    return 0;
}

static int parse_sub(words *w, proto_cmd *cmd, char *err, size_t errlen)
{
    static const char usage[] = "SUB <topic> [FROM <offset>]";
    if (parse_name(w, cmd, usage, err, errlen) < 0)
        return -1;
    if (w->left == 0)
        return 0;
    const char *word, *num;
    size_t n = next_word(w, &word);
    size_t m = next_word(w, &num);
    if (n != 4 || memcmp(word, "FROM", 4) != 0 || w->left > 0 ||
        proto_parse_u64(num, m, &cmd->number) < 0) {
        snprintf(err, errlen, "usage: %s", usage);
        return -1;
    }
    cmd->has_from = 1;
    return 0;
}

/* Commands that take nothing after them must not silently ignore extra words. */
static int parse_alone(words *w, const char *usage, char *err, size_t errlen)
{
    if (w->left > 0) {
        snprintf(err, errlen, "usage: %s", usage);
        return -1;
    }
    return 0;
}

int proto_parse(const char *line, size_t len, proto_cmd *cmd, char *err, size_t errlen)
{
    memset(cmd, 0, sizeof *cmd);
    words w = {line, len};
    const char *word;
    size_t n = next_word(&w, &word);
    if (n == 0) {
        snprintf(err, errlen, "empty command (try PUSH PULL ACK TOUCH PUB SUB DLQ REQUEUE QUIT)");
        return -1;
    }
    if (find_verb(word, n, &cmd->verb) < 0) {
        char shown[17];
        quote(word, n, shown, sizeof shown);
        snprintf(err, errlen,
                 "unknown command '%s' (try PUSH PULL ACK TOUCH PUB SUB DLQ REQUEUE QUIT)", shown);
        return -1;
    }
    switch (cmd->verb) {
    case PROTO_PUSH:
        return parse_message(&w, cmd, "PUSH <queue> <message>", err, errlen);
    case PROTO_PUB:
        return parse_message(&w, cmd, "PUB <topic> <message>", err, errlen);
    case PROTO_PULL:
        if (parse_name(&w, cmd, "PULL <queue> [<seconds>]", err, errlen) < 0)
            return -1;
        return parse_seconds(&w, cmd, "PULL <queue> [<seconds>]", err, errlen);
    case PROTO_ACK:
        return parse_ack(&w, cmd, err, errlen);
    case PROTO_TOUCH:
        return parse_touch(&w, cmd, err, errlen);
    case PROTO_DLQ:
        if (parse_name(&w, cmd, "DLQ <queue>", err, errlen) < 0)
            return -1;
        return parse_alone(&w, "DLQ <queue>", err, errlen);
    case PROTO_REQUEUE:
        return parse_requeue(&w, cmd, err, errlen);
    case PROTO_SUB:
        return parse_sub(&w, cmd, err, errlen);
    case PROTO_QUIT:
        return parse_alone(&w, "QUIT", err, errlen);
    }
    return -1;
}
