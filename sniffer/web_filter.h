/*
 * web_filter.h - the display filter of `sniffer --web`: a small language, parsed and evaluated
 * on the server.
 *
 * What it teaches: a capture filter (BPF, -f) decides what the kernel hands over; a display
 * filter decides what you look at among what was captured, and can change at any time. The
 * language is a tiny cousin of Wireshark's:
 *
 *   tcp                      packets with a TCP layer (any name below)
 *   port 7007                TCP or UDP source or destination port
 *   host 127.0.0.1           source or destination address (as the list shows it)
 *   conv 3                   conversation 3 (as --ladder and the page number them)
 *   "hello"                  the list's summary line contains this text
 *   websocket and not port 8080     and, or, not, ( ), also written &&, ||, !
 *
 * Names: eth sll arp ip ipv4 ipv6 icmp icmpv6 tcp udp http websocket (or ws) dns socketio (or
 * sio) resp queue udp_echo data. "and" binds tighter than "or"; an empty filter shows all.
 *
 * Why on the server: the browser holds only the rows it shows (a window of a few dozen out of
 * up to a million), so it cannot filter what it never received; the server has every packet
 * of the store and sends the browser the matching rows it asks for.
 *
 * Pure: no I/O. Limits: WEB_FILTER_TEXT bytes of text, WEB_FILTER_NODES terms and operators.
 * Interface: web_filter_compile(f, text, len, err, errlen), web_filter_match(f, facts).
 */
#ifndef WIRELAB_WEB_FILTER_H
#define WIRELAB_WEB_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WEB_FILTER_TEXT  256 /* longest filter text */
#define WEB_FILTER_NODES 64  /* terms and operators in one filter */

/* What a filter can ask of one packet (web.c fills it from the store's record). */
typedef struct web_facts {
    uint32_t protos; /* bit (1 << dec_proto) per layer present */
    uint16_t sport, dport;
    bool has_ports; /* TCP or UDP: the ports mean something */
    uint64_t conv;
    const char *src, *dst, *info; /* not NUL-terminated: */
    size_t src_len, dst_len, info_len;
} web_facts;

typedef enum web_fkind {
    WF_ALL,
    WF_AND,
    WF_OR,
    WF_NOT,
    WF_PROTO,
    WF_PORT,
    WF_HOST,
    WF_CONV,
    WF_TEXT
} web_fkind;

typedef struct web_fnode {
    web_fkind kind;
    uint8_t a, b;      /* operand nodes (AND, OR: a and b; NOT: a) */
    uint64_t num;      /* PROTO: the mask; PORT, CONV: the number */
    uint16_t off, len; /* HOST, TEXT: the text in web_filter.text */
} web_fnode;

typedef struct web_filter {
    uint8_t n, root;
    web_fnode node[WEB_FILTER_NODES];
    char text[WEB_FILTER_TEXT + 1]; /* the filter as given; HOST and TEXT point into it */
} web_filter;

/* Parse text[0..len). Returns 0, or -1 with a sentence in err saying where and what was
 * expected ("after 'port': a port number (0-65535), not 'x'"). On error f matches all. */
int web_filter_compile(web_filter *f, const char *text, size_t len, char *err, size_t errlen);

/* Does the packet described by x match? */
bool web_filter_match(const web_filter *f, const web_facts *x);

#endif
