/*
 * web.h - `sniffer --web`: the live packet view in the browser.
 *
 * What it teaches: the same packets as the terminal views, but served by our own HTTP and
 * WebSocket code (ws_handshake/, on tcp_echo/'s event loop) to a page in the browser
 * (sniffer/web/index.html, built into the binary). Two threads share one bounded store:
 *
 *   capture thread (web_cap.c)           loop thread (web.c)
 *   cap_run -> decode -> flows ->        HTTP: GET / -> the page; GET /ws -> 101
 *   streams -> one record per frame  ->  WebSocket: the browser asks for what it shows
 *             web_store (web_store.h)    (a window of rows, one packet's details, a ladder)
 *                                        and gets a status line every 200 ms
 *
 * The browser never gets the whole capture: a million packets stay on the server, and the
 * page asks for the few dozen rows it can show. The protocol (text frames):
 *   browser -> server   "rows K N"    rows K.. K+N-1 of the filtered list (N <= WEB_MAX_ROWS)
 *                       "filter EXPR" the display filter (web_filter.h); "" shows all
 *                       "detail N"    frame N: --json's object, its fields with byte offsets
 *                                     (web_fields_json), its bytes in hex
 *                       "ladder C"    the last WEB_LADDER_MAX packets of conversation C
 *   server -> browser   JSON objects with "t": hello, status, rows, filter, detail, ladder,
 *                       error (sniffer/README.md, "The live view").
 *
 * Interface: web_wanted (is --web among the arguments), web_main (the whole program then),
 * web_fields_json, web_proto_name; web_cap_* for the capture thread.
 */
#ifndef WIRELAB_WEB_H
#define WIRELAB_WEB_H

#include "capture.h"
#include "decode.h"
#include "streams.h"
#include "view.h"
#include "web_store.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>

#define WEB_DEFAULT_PORT  8070
#define WEB_DEFAULT_QUEUE (4u << 20) /* --max-queue: bytes queued for one browser */
#define WEB_MAX_ROWS      500        /* rows per "rows" request */
#define WEB_MAX_CLIENTS   16         /* browsers at once; one more is answered 503 */
#define WEB_MAX_COMMAND   4096       /* a message from the browser; larger: closed with 1009 */
#define WEB_LADDER_MAX    300        /* arrows per "ladder" answer: the latest ones */

bool web_wanted(int argc, char **argv);
int web_main(int argc, char **argv, const char *self); /* self: for the setcap advice */

/* What the capture thread and the loop share. Every field below `lock` is guarded by it. */
typedef struct web_cap {
    capture *cap;
    int linktype;
    pthread_t thread;
    atomic_bool done; /* the file ended, or the capture failed (err says why) */
    char err[512];
    /* owned by the capture thread alone */
    uint64_t frames;
    flows *flows;
    streams *streams;
    view_msgs msgs;
    dec_packet pkt;
    view_opts vo;
    bool logged_evict;
    size_t max_store;
    /* shared */
    pthread_mutex_t lock;
    web_store *store;
    stats *st;
    int64_t t0_sec; /* the first frame's time, for the list's relative times */
    uint32_t t0_usec;
    bool have_t0;
} web_cap;

/* Open the shared state around an opened capture: NULL-free fields, or -1 (out of memory). */
int web_cap_init(web_cap *w, capture *c, size_t max_store);
/* Start / stop the capture thread (stop: cap_stop, then join). */
int web_cap_start(web_cap *w);
void web_cap_stop(web_cap *w);
void web_cap_free(web_cap *w);

/* Decode a stored frame again, exactly as the capture thread did (same hints): for details. */
void web_cap_decode(const web_cap *w, const web_view *v, dec_packet *pkt);

/* The fields of every layer with their frame offsets, as JSON (web_fields.c). */
void web_fields_json(FILE *out, const dec_packet *pkt);
/* The page's name for a protocol: dec_proto_json's, but udp_echo and queue keep theirs. */
const char *web_proto_name(dec_proto p);

#endif
