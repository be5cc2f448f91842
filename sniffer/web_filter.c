/*
 * web_filter.c - the display filter language of `sniffer --web` (web_filter.h): a lexer, a
 * recursive-descent parser into a small array of nodes, and an evaluator.
 *
 * Grammar (lowest precedence first):
 *   or   := and { ("or" | "||") and }
 *   and  := not { ("and" | "&&") not }
 *   not  := ("not" | "!") not | "(" or ")" | term
 *   term := NAME | "port" NUMBER | "host" WORD | "conv" NUMBER | QUOTED
 *
 * Run: in the page's filter box, or tests/sniffer/test_web_filter.c; fuzz_web_filter.c throws
 * random text at it.
 */
#include "web_filter.h"

#include "decode.h"

#include <stdio.h>
#include <string.h>

#define P(x) (1u << (x))

static const struct {
    const char *name;
    uint32_t mask;
} proto_names[] = {
    {"eth", P(DEC_ETH)},
    {"sll", P(DEC_SLL) | P(DEC_SLL2)},
    {"arp", P(DEC_ARP)},
    {"ip", P(DEC_IPV4) | P(DEC_IPV6)},
    {"ipv4", P(DEC_IPV4)},
    {"ipv6", P(DEC_IPV6)},
    {"icmp", P(DEC_ICMP) | P(DEC_ICMPV6)},
    {"icmpv6", P(DEC_ICMPV6)},
    {"tcp", P(DEC_TCP)},
    {"udp", P(DEC_UDP)},
    {"http", P(DEC_HTTP)},
    {"websocket", P(DEC_WS)},
    {"ws", P(DEC_WS)},
    {"dns", P(DEC_DNS)},
    {"socketio", P(DEC_SIO)},
    {"sio", P(DEC_SIO)},
    {"resp", P(DEC_RESP)},
    {"queue", P(DEC_QUEUE)},
    {"udp_echo", P(DEC_UDPECHO)},
    {"data", P(DEC_DATA)},
};

/* The parser's state: the text, where it is, the error once one happened. */
typedef struct parser {
    web_filter *f;
    size_t pos, len;
    const char *tok; /* the current token: tok[0..tok_len) */
    size_t tok_len;
    bool quoted;
    char *err;
    size_t errlen;
    bool failed;
    unsigned depth;
} parser;

static bool is_word(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == ':' || c == '-';
}

static void fail(parser *p, const char *expected)
{
    if (p->failed)
        return;
    p->failed = true;
    if (p->tok_len == 0 && !p->quoted)
        snprintf(p->err, p->errlen, "the filter ends where %s was expected", expected);
    else
        snprintf(p->err, p->errlen, "at '%.*s' (character %zu): expected %s",
                 (int)(p->tok_len > 40 ? 40 : p->tok_len), p->tok,
                 (size_t)(p->tok - p->f->text) + 1, expected);
}

/* Read the next token: a word, a quoted string, or one of ( ) ! && ||. */
static void next(parser *p)
{
    const char *t = p->f->text;
    while (p->pos < p->len && (t[p->pos] == ' ' || t[p->pos] == '\t'))
        p->pos++;
    p->tok = t + p->pos;
    p->tok_len = 0;
    p->quoted = false;
    if (p->pos >= p->len)
        return;
    char c = t[p->pos];
    if (c == '"') {
        size_t end = p->pos + 1;
        while (end < p->len && t[end] != '"')
            end++;
        if (end >= p->len) {
            p->tok_len = p->len - p->pos;
            fail(p, "a closing '\"'");
            return;
        }
        p->tok = t + p->pos + 1;
        p->tok_len = end - p->pos - 1;
        p->quoted = true;
        p->pos = end + 1;
    } else if ((c == '&' || c == '|') && p->pos + 1 < p->len && t[p->pos + 1] == c) {
        p->tok_len = 2;
        p->pos += 2;
    } else if (c == '(' || c == ')' || c == '!') {
        p->tok_len = 1;
        p->pos++;
    } else if (is_word(c)) {
        while (p->pos < p->len && is_word(t[p->pos]))
            p->pos++, p->tok_len++;
    } else {
        p->tok_len = 1;
        fail(p, "a name, a number, a quoted text, or one of ( ) ! && ||");
    }
}

static bool tok_is(const parser *p, const char *word)
{
    return !p->quoted && p->tok_len == strlen(word) && memcmp(p->tok, word, p->tok_len) == 0;
}

static int add(parser *p, web_fnode n)
{
    if (p->f->n >= WEB_FILTER_NODES) {
        fail(p, "a shorter filter (at most 64 terms and operators)");
        return 0;
    }
    p->f->node[p->f->n] = n;
    return p->f->n++;
}

/* A decimal number up to max from the current token, or -1. */
static long long tok_number(const parser *p, unsigned long long max)
{
    unsigned long long v = 0;
    if (p->quoted || p->tok_len == 0 || p->tok_len > 19)
        return -1;
    for (size_t i = 0; i < p->tok_len; i++) {
        if (p->tok[i] < '0' || p->tok[i] > '9')
            return -1;
        v = v * 10 + (unsigned)(p->tok[i] - '0');
    }
    return v <= max ? (long long)v : -1;
}

static int parse_or(parser *p);

/* port N, conv N: a number after a keyword. */
static int number_term(parser *p, web_fkind kind, unsigned long long max, const char *what)
{
    next(p);
    long long v = tok_number(p, max);
    if (v < 0) {
        fail(p, what);
        return 0;
    }
    next(p);
    return add(p, (web_fnode){.kind = kind, .num = (uint64_t)v});
}

static int term(parser *p)
{
    if (tok_is(p, "port"))
        return number_term(p, WF_PORT, 65535, "a port number (0-65535) after 'port'");
    if (tok_is(p, "conv"))
        return number_term(p, WF_CONV, UINT64_MAX >> 1, "a conversation number after 'conv'");
    bool host = tok_is(p, "host");
    if (host)
        next(p);
    if (p->tok_len == 0 && !p->quoted) {
        fail(p, host ? "an address after 'host'" : "a protocol name, port, host, conv or \"text\"");
        return 0;
    }
    web_fnode n = {.off = (uint16_t)(p->tok - p->f->text), .len = (uint16_t)p->tok_len};
    if (host || p->quoted) {
        n.kind = host ? WF_HOST : WF_TEXT;
        next(p);
        return add(p, n);
    }
    for (size_t i = 0; i < sizeof proto_names / sizeof proto_names[0]; i++)
        if (tok_is(p, proto_names[i].name)) {
            n.kind = WF_PROTO;
            n.num = proto_names[i].mask;
            next(p);
            return add(p, n);
        }
    fail(p, "a protocol name (tcp, udp, http, websocket, socketio, dns, ip, ...), port, host, "
            "conv or \"text\"");
    return 0;
}

static int parse_not(parser *p)
{
    if (p->failed)
        return 0;
    if (++p->depth > WEB_FILTER_TEXT) { /* "((((" or "!!!!": bounded by the text's length */
        fail(p, "fewer nested parentheses");
        return 0;
    }
    int r;
    if (tok_is(p, "not") || tok_is(p, "!")) {
        next(p);
        int a = parse_not(p);
        r = add(p, (web_fnode){.kind = WF_NOT, .a = (uint8_t)a});
    } else if (tok_is(p, "(")) {
        next(p);
        r = parse_or(p);
        if (!tok_is(p, ")"))
            fail(p, "')'");
        next(p);
    } else {
        r = term(p);
    }
    p->depth--;
    return r;
}

static int parse_and(parser *p)
{
    int a = parse_not(p);
    while (!p->failed && (tok_is(p, "and") || tok_is(p, "&&"))) {
        next(p);
        int b = parse_not(p);
        a = add(p, (web_fnode){.kind = WF_AND, .a = (uint8_t)a, .b = (uint8_t)b});
    }
    return a;
}

static int parse_or(parser *p)
{
    int a = parse_and(p);
    while (!p->failed && (tok_is(p, "or") || tok_is(p, "||"))) {
        next(p);
        int b = parse_and(p);
        a = add(p, (web_fnode){.kind = WF_OR, .a = (uint8_t)a, .b = (uint8_t)b});
    }
    return a;
}

int web_filter_compile(web_filter *f, const char *text, size_t len, char *err, size_t errlen)
{
    memset(f, 0, sizeof *f);
    f->n = 1; /* node 0: "all", the root of an empty (or failed) filter */
    if (len > WEB_FILTER_TEXT) {
        snprintf(err, errlen, "the filter is %zu characters long; the limit is %d", len,
                 WEB_FILTER_TEXT);
        return -1;
    }
    memcpy(f->text, text, len);
    parser p = {.f = f, .len = len, .err = err, .errlen = errlen};
    next(&p);
    if (p.tok_len == 0 && !p.quoted && !p.failed)
        return 0; /* empty: everything */
    int root = parse_or(&p);
    if (!p.failed && (p.tok_len || p.quoted))
        fail(&p, "'and', 'or' or the end of the filter");
    if (p.failed) {
        f->n = 1;
        f->root = 0;
        return -1;
    }
    f->root = (uint8_t)root;
    return 0;
}

static bool text_eq(const char *a, size_t an, const char *b, size_t bn)
{
    return an == bn && memcmp(a, b, an) == 0;
}

static bool text_has(const char *hay, size_t hn, const char *needle, size_t nn)
{
    if (nn == 0)
        return true;
    for (size_t i = 0; i + nn <= hn; i++)
        if (memcmp(hay + i, needle, nn) == 0)
            return true;
    return false;
}

/* Nodes only point at earlier nodes (operands are parsed first), so this recursion ends. */
static bool eval(const web_filter *f, int i, const web_facts *x)
{
    const web_fnode *n = &f->node[i];
    const char *t = f->text + n->off;
    switch (n->kind) {
    case WF_ALL:
        return true;
    case WF_AND:
        return eval(f, n->a, x) && eval(f, n->b, x);
    case WF_OR:
        return eval(f, n->a, x) || eval(f, n->b, x);
    case WF_NOT:
        return !eval(f, n->a, x);
    case WF_PROTO:
        return (x->protos & n->num) != 0;
    case WF_PORT:
        return x->has_ports && (x->sport == n->num || x->dport == n->num);
    case WF_CONV:
        return x->conv != 0 && x->conv == n->num;
    case WF_HOST:
        return text_eq(x->src, x->src_len, t, n->len) || text_eq(x->dst, x->dst_len, t, n->len);
    case WF_TEXT:
        return text_has(x->info, x->info_len, t, n->len);
    }
    return false;
}

bool web_filter_match(const web_filter *f, const web_facts *x)
{
    return eval(f, f->root, x);
}
