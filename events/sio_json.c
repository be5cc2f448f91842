/*
 * sio_json.c - checking JSON text the way JavaScript's JSON.parse accepts it, and reading the
 * few parts of it the server needs (see sio_json.h for the grammar and why).
 *
 * The checker is a loop over the bytes with an explicit stack of the containers still open,
 * not a recursive descent: JSON.parse (V8) accepts arrays nested a million deep, and so must
 * we, without a million C stack frames. Each stack byte says whether the container is an
 * object and, for binary packets, what its "_placeholder" and "num" members said so far.
 * Every index is compared with n before the byte at it is read.
 */
#include "sio_json.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* One open container on the checker's stack. */
enum {
    IS_OBJECT = 1,
    PH_TRUE = 2, /* its last "_placeholder" member is true */
    NUM_OK = 4,  /* its last "num" member is a number >= 0 and < attachments */
};

/* What the key of the member being read is, for the placeholder rule. */
enum { KEY_OTHER, KEY_PLACEHOLDER, KEY_NUM };

typedef struct checker {
    const char *s;
    size_t n, i;
    uint8_t *stack;
    size_t depth, cap;
    size_t attachments; /* (size_t)-1: no placeholder rule */
} checker;

static int is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

size_t sio_json_ws(const char *s, size_t n, size_t i)
{
    while (i < n && is_ws(s[i]))
        i++;
    return i;
}

/* ---------------------------------------------------------------------------------------- */
/* tokens                                                                                    */

/* A string token at s[i] ('"' there). Returns the index after its closing quote, or 0. */
static size_t scan_string(const char *s, size_t n, size_t i)
{
    for (i++; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"')
            return i + 1;
        if (c < 0x20) /* control characters must be escaped */
            return 0;
        if (c != '\\')
            continue;
        if (++i >= n)
            return 0;
        if (s[i] == 'u') { /* any four hex digits: \u0000 and lone surrogates included */
            for (int k = 1; k <= 4; k++)
                if (i + (size_t)k >= n || hex_value(s[i + (size_t)k]) < 0)
                    return 0;
            i += 4;
        } else if (strchr("\"\\/bfnrt", s[i]) == NULL || s[i] == '\0') {
            return 0;
        }
    }
    return 0;
}

/* A run of at least one digit at s[i]; returns the index after it, or 0. */
static size_t digits(const char *s, size_t n, size_t i)
{
    size_t start = i;
    while (i < n && is_digit(s[i]))
        i++;
    return i > start ? i : 0;
}

/* A number token at s[i]. Returns the index after it, or 0. */
static size_t scan_number(const char *s, size_t n, size_t i)
{
    if (i < n && s[i] == '-')
        i++;
    if (i < n && s[i] == '0')
        i++; /* no leading zeros: "01" is two tokens, and so an error */
    else if ((i = digits(s, n, i)) == 0)
        return 0;
    if (i < n && s[i] == '.' && (i = digits(s, n, i + 1)) == 0)
        return 0;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        if ((i = digits(s, n, i)) == 0)
            return 0;
    }
    return i;
}

static size_t scan_literal(const char *s, size_t n, size_t i)
{
    static const char *const words[] = {"true", "false", "null"};
    for (size_t k = 0; k < 3; k++) {
        size_t len = strlen(words[k]);
        if (n - i >= len && memcmp(s + i, words[k], len) == 0)
            return i + len;
    }
    return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* the placeholder rule (binary packets only)                                                */

/* Which key a checked string token is: decoded, since "\u005fplaceholder" is "_placeholder". */
static int key_kind(const char *s, size_t n)
{
    char key[16];
    long len = sio_json_string(s, n, key, sizeof key);
    if (len == 12 && memcmp(key, "_placeholder", 12) == 0)
        return KEY_PLACEHOLDER;
    if (len == 3 && memcmp(key, "num", 3) == 0)
        return KEY_NUM;
    return KEY_OTHER;
}

/* Is the number token s[0..n) >= 0 and below limit? (JavaScript compares the double.) */
static int num_in_range(const char *s, size_t n, size_t limit)
{
    char small[64];
    char *text = n < sizeof small ? small : malloc(n + 1);
    if (text == NULL)
        return 0;
    memcpy(text, s, n);
    text[n] = '\0';
    double v = strtod(text, NULL);
    if (text != small)
        free(text);
    return v >= 0 && v < (double)limit;
}

/* A member value s[start..end) of the object on top of the stack was read: remember what it
 * says if its key is one of the placeholder's. */
static void note_member(checker *k, int kind, size_t start, size_t end)
{
    uint8_t *top = &k->stack[k->depth - 1];
    if (kind == KEY_PLACEHOLDER) {
        int t = end - start == 4 && memcmp(k->s + start, "true", 4) == 0;
        *top = (uint8_t)(t ? *top | PH_TRUE : *top & ~PH_TRUE);
    } else if (kind == KEY_NUM) {
        int ok = k->s[start] == '-' || is_digit(k->s[start]);
        ok = ok && num_in_range(k->s + start, end - start, k->attachments);
        *top = (uint8_t)(ok ? *top | NUM_OK : *top & ~NUM_OK);
    }
}

/* ---------------------------------------------------------------------------------------- */
/* the checker                                                                               */

static int push(checker *k, uint8_t what)
{
    if (k->depth == k->cap) {
        size_t ncap = k->cap ? k->cap * 2 : 64;
        uint8_t *st = realloc(k->stack, ncap);
        if (st == NULL)
            return -1;
        k->stack = st;
        k->cap = ncap;
    }
    k->stack[k->depth++] = what;
    return 0;
}

/* Read one object key and its colon; k->i is at the key. Returns its kind, or -1. */
static int read_key(checker *k)
{
    size_t start = k->i, end;
    if (k->i >= k->n || k->s[k->i] != '"' || (end = scan_string(k->s, k->n, k->i)) == 0)
        return -1;
    int kind = k->attachments != (size_t)-1 ? key_kind(k->s + start, end - start) : KEY_OTHER;
    k->i = sio_json_ws(k->s, k->n, end);
    if (k->i >= k->n || k->s[k->i] != ':')
        return -1;
    k->i = sio_json_ws(k->s, k->n, k->i + 1);
    return kind;
}

/*
 * Read one value at k->i. A scalar is read whole; a container is opened (pushed) and, if it
 * is empty, closed again. Returns 1 when a value ended (scalar or empty container), 0 when a
 * container was opened and its first element or key comes next, -1 on an error.
 */
static int read_value(checker *k, int kind)
{
    size_t start = k->i, end = 0;
    if (k->i >= k->n)
        return -1;
    char c = k->s[k->i];
    if (c == '{' || c == '[') {
        if (kind != KEY_OTHER) /* {"_placeholder":[...]} is not true, {"num":{}} no number */
            note_member(k, kind, start, start + 1);
        if (push(k, c == '{' ? IS_OBJECT : 0) < 0)
            return -2;
        k->i = sio_json_ws(k->s, k->n, k->i + 1);
        if (k->i < k->n && k->s[k->i] == (c == '{' ? '}' : ']')) {
            k->depth--;
            k->i++;
            return 1;
        }
        return 0;
    }
    if (c == '"')
        end = scan_string(k->s, k->n, k->i);
    else if (c == '-' || is_digit(c))
        end = scan_number(k->s, k->n, k->i);
    else
        end = scan_literal(k->s, k->n, k->i);
    if (end == 0)
        return -1;
    if (kind != KEY_OTHER)
        note_member(k, kind, start, end);
    k->i = end;
    return 1;
}

/* After a value inside a container: ',' and the next one, or the container's end. Returns 1
 * when the container closed, 0 when another element or member follows, -1 on an error. */
static int after_value(checker *k, int *kind)
{
    uint8_t top = k->stack[k->depth - 1];
    k->i = sio_json_ws(k->s, k->n, k->i);
    if (k->i >= k->n)
        return -1;
    char c = k->s[k->i++];
    if (c == ',') {
        k->i = sio_json_ws(k->s, k->n, k->i);
        *kind = (top & IS_OBJECT) ? read_key(k) : KEY_OTHER;
        return *kind < 0 ? -1 : 0;
    }
    if (c != ((top & IS_OBJECT) ? '}' : ']'))
        return -1;
    if ((top & PH_TRUE) && !(top & NUM_OK)) /* socket.io-parser: "illegal attachments" */
        return -3;
    k->depth--;
    return 1;
}

static int run(checker *k)
{
    int kind = KEY_OTHER, r;
    k->i = sio_json_ws(k->s, k->n, 0);
    for (;;) {
        r = read_value(k, kind);
        if (r < 0)
            return r;
        if (r == 0) { /* a container opened: its first member's key, or its first element */
            kind = (k->stack[k->depth - 1] & IS_OBJECT) ? read_key(k) : KEY_OTHER;
            if (kind < 0)
                return -1;
            continue;
        }
        while (k->depth > 0 && (r = after_value(k, &kind)) == 1)
            ;
        if (r < 0)
            return r;
        if (k->depth == 0)
            return sio_json_ws(k->s, k->n, k->i) == k->n ? 0 : -1;
    }
}

int sio_json_check(const char *s, size_t n, size_t attachments, size_t *at)
{
    checker k = {s, n, 0, NULL, 0, 0, attachments};
    int r = run(&k);
    free(k.stack);
    if (at)
        *at = k.i;
    if (r == -2)
        return SIO_JSON_NOMEM;
    if (r == -3)
        return SIO_JSON_PLACEHOLDER;
    return r < 0 ? SIO_JSON_SYNTAX : SIO_JSON_OK;
}

/* ---------------------------------------------------------------------------------------- */
/* reading checked text                                                                      */

size_t sio_json_skip(const char *s, size_t n, size_t i)
{
    size_t depth = 0;
    i = sio_json_ws(s, n, i);
    while (i < n) {
        char c = s[i];
        if (c == '"') {
            size_t end = scan_string(s, n, i);
            i = end ? end : n;
        } else if (c == '{' || c == '[') {
            depth++;
            i++;
        } else if (c == '}' || c == ']') {
            if (depth == 0)
                return i; /* the end of the container around us: no value here */
            depth--;
            i++;
        } else if (depth == 0 && (c == ',' || c == ':' || is_ws(c))) {
            return i;
        } else {
            i++;
        }
        if (depth == 0 && (c == '"' || c == '}' || c == ']'))
            return i;
    }
    return i;
}

/* Walk the elements (or, with keys, the members) of a checked container at s[0..n): calls
 * fn for each until it returns nonzero. Returns what fn returned, or 0. */
typedef int (*walk_fn)(const char *key, size_t klen, const char *v, size_t vlen, void *arg);

static int walk(const char *s, size_t n, char open, walk_fn fn, void *arg)
{
    size_t i = sio_json_ws(s, n, 0);
    if (i >= n || s[i] != open)
        return 0;
    i = sio_json_ws(s, n, i + 1);
    while (i < n && s[i] != (open == '{' ? '}' : ']')) {
        const char *key = NULL;
        size_t klen = 0;
        if (open == '{') {
            size_t kend = sio_json_skip(s, n, i);
            key = s + i;
            klen = kend - i;
            i = sio_json_ws(s, n, kend) + 1; /* past ':' */
        }
        size_t v = sio_json_ws(s, n, i), vend = sio_json_skip(s, n, v);
        int r = fn(key, klen, s + v, vend - v, arg);
        if (r)
            return r;
        i = sio_json_ws(s, n, vend);
        if (i < n && s[i] == ',')
            i = sio_json_ws(s, n, i + 1);
    }
    return 0;
}

typedef struct find {
    size_t index; /* sio_json_item: counts down to the element wanted */
    const char *key;
    const char *val;
    size_t len;
} find;

static int find_item(const char *key, size_t klen, const char *v, size_t vlen, void *arg)
{
    find *f = arg;
    (void)key;
    (void)klen;
    if (f->index-- > 0)
        return 0;
    f->val = v;
    f->len = vlen;
    return 1;
}

int sio_json_item(const char *s, size_t n, size_t index, const char **item, size_t *len)
{
    find f = {index, NULL, NULL, 0};
    if (!walk(s, n, '[', find_item, &f))
        return 0;
    *item = f.val;
    *len = f.len;
    return 1;
}

static int find_member(const char *key, size_t klen, const char *v, size_t vlen, void *arg)
{
    find *f = arg;
    char name[64];
    long kl = sio_json_string(key, klen, name, sizeof name);
    if (kl >= 0 && (size_t)kl == strlen(f->key) && memcmp(name, f->key, (size_t)kl) == 0) {
        f->val = v; /* keep walking: the last one wins, as in JSON.parse */
        f->len = vlen;
    }
    return 0;
}

int sio_json_member(const char *s, size_t n, const char *key, const char **val, size_t *len)
{
    find f = {0, key, NULL, 0};
    walk(s, n, '{', find_member, &f);
    if (f.val == NULL)
        return 0;
    *val = f.val;
    *len = f.len;
    return 1;
}

/* ---------------------------------------------------------------------------------------- */
/* strings                                                                                   */

/* Code point cp as UTF-8 (1 to 4 bytes; a lone surrogate as 3, WTF-8) at out. */
static size_t put_utf8(char *out, uint32_t cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xc0 | cp >> 6);
        out[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xe0 | cp >> 12);
        out[1] = (char)(0x80 | (cp >> 6 & 0x3f));
        out[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | cp >> 18);
    out[1] = (char)(0x80 | (cp >> 12 & 0x3f));
    out[2] = (char)(0x80 | (cp >> 6 & 0x3f));
    out[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

static uint32_t hex4(const char *s)
{
    return (uint32_t)(hex_value(s[0]) << 12 | hex_value(s[1]) << 8 | hex_value(s[2]) << 4 |
                      hex_value(s[3]));
}

/* The escape at s[i] ('\' there), decoded: the code point, and the index after it. */
static uint32_t unescape(const char *s, size_t n, size_t *i)
{
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    char c = s[*i + 1];
    if (c != 'u') {
        *i += 2;
        return (uint32_t)(unsigned char)to[strchr(from, c) - from];
    }
    uint32_t u = hex4(s + *i + 2);
    *i += 6;
    if (u >= 0xd800 && u < 0xdc00 && *i + 6 <= n && s[*i] == '\\' && s[*i + 1] == 'u') {
        uint32_t lo = hex4(s + *i + 2); /* a surrogate pair: one code point */
        if (lo >= 0xdc00 && lo < 0xe000) {
            *i += 6;
            return 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
        }
    }
    return u;
}

long sio_json_string(const char *s, size_t n, char *out, size_t cap)
{
    size_t o = 0, i = 1;
    if (n < 2 || s[0] != '"' || s[n - 1] != '"' || cap == 0)
        return -1;
    while (i < n - 1) {
        int esc = s[i] == '\\' && i + 1 < n - 1;
        if (cap - o < (esc ? 5u : 2u)) { /* room for what it decodes to and the NUL */
            out[o] = '\0';
            return -1; /* (never when cap >= n: an escape is longer than what it decodes to) */
        }
        if (esc)
            o += put_utf8(out + o, unescape(s, n - 1, &i));
        else
            out[o++] = s[i++];
    }
    out[o] = '\0';
    return (long)o;
}

size_t sio_json_quote(const char *str, size_t len, char *out, size_t cap)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    if (cap < 3)
        return 0;
    out[o++] = '"';
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)str[i];
        if (cap - o < 8)
            return 0;
        if (c == '"' || c == '\\') {
            out[o++] = '\\';
            out[o++] = (char)c;
        } else if (c == 0xed && i + 2 < len && ((unsigned char)str[i + 1] & 0xe0) == 0xa0) {
            /* a lone surrogate in WTF-8 (what sio_json_string makes of "\ud800"): back to
             * its escape, since UTF-8 text must not carry it */
            unsigned cu =
                0xd000u | ((unsigned)str[i + 1] & 0x3fu) << 6 | ((unsigned)str[i + 2] & 0x3fu);
            memcpy(out + o, "\\u", 2);
            for (int k = 0; k < 4; k++)
                out[o + 2 + (size_t)k] = hex[cu >> (12 - 4 * k) & 15];
            o += 6;
            i += 2;
        } else if (c < 0x20) {
            memcpy(out + o, "\\u00", 4);
            out[o + 4] = hex[c >> 4];
            out[o + 5] = hex[c & 15];
            o += 6;
        } else {
            out[o++] = (char)c;
        }
    }
    out[o++] = '"';
    out[o] = '\0';
    return o;
}
