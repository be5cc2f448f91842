/*
 * web.c - `sniffer --web`: the packets in the browser, served over the project's own HTTP and
 * WebSocket code (ws_handshake/) on the event loop of tcp_echo/ (loop.h).
 *
 * What it teaches: a server that sends a client only what it shows. The capture (web_cap.c)
 * may hold a million packets; the page asks for a window of rows ("rows K N"), one packet's
 * details ("detail N"), one conversation's ladder ("ladder C"), and gets a short status line
 * every 200 ms. The display filter (web_filter.h) runs here, over the store, because only the
 * server has every packet. A browser that stops reading is cut off once --max-queue bytes wait
 * for it (close code 1008), as ws_server does, so it cannot make us buffer without bound.
 *
 * Run:  sniffer --web -r capture.pcap            then open http://127.0.0.1:8070/
 *       sniffer --web 8071 -i lo -f 'tcp port 8080'   (live: root, cap_net_raw, or a lab)
 * The limits (README.md, "The live view"): --max-store, --max-queue, WEB_MAX_* in web.h.
 */
#include "web.h"
#include "web_filter.h"

#include "args.h"
#include "loop.h"
#include "net.h"
#include "ws_frame.h"
#include "ws_handshake.h"
#include "ws_http.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

extern const unsigned char web_page[];
extern const size_t web_page_len;

#define TICK_MS          200   /* status lines, and the filtered lists catch up */
#define HTTP_TIMEOUT_MS  10000 /* the whole request head must arrive in time (slowloris) */
#define CLOSE_TIMEOUT_MS 5000  /* the peer's half of the closing handshake */

typedef struct server {
    web_cap *cap;
    loop *l;
    size_t max_queue;
    const char *source; /* "file x.pcap" or "live on lo", for the page's title */
    struct client *graveyard;
} server;

typedef enum { PH_HTTP, PH_OPEN, PH_CLOSING, PH_LINGER, PH_DONE } phase;

typedef struct client {
    server *s;
    conn *c;
    phase ph;
    ws_http *http; /* only while PH_HTTP */
    ws_decoder dec;
    uint64_t opened_ms, close_sent_ms;
    /* The display filter and the frames it matched, oldest first: list[start..len). Frames
     * the store forgot are dropped from the front. All frames match when !filtered. */
    web_filter filter;
    bool filtered;
    uint64_t *list;
    size_t start, len, cap;
    uint64_t scanned; /* the next frame to test against the filter */
    char last_status[256];
    struct client *next_dead;
} client;

/* ---- sending ---- */

static void begin_close(client *cl, unsigned code, const char *reason);
static void linger_close(client *cl);

/* One unmasked text frame (RFC 6455 5.1: servers never mask). Over --max-queue: the browser
 * is not reading, and is closed with 1008 instead of growing our memory. An answer is always
 * queued when nothing else waits, so one large answer (a 256 KiB packet's details) never cuts
 * off a page that reads: what waits is at most --max-queue plus that one answer. */
static void send_text_frame(client *cl, const char *msg, size_t len)
{
    if (cl->c == NULL || cl->ph != PH_OPEN)
        return;
    size_t pending = conn_pending(cl->c);
    if (pending > 0 && pending + len > cl->s->max_queue) {
        loop_log(cl->s->l,
                 "browser %" PRIu64 " (%s): over --max-queue (%zu bytes waiting for it): "
                 "closed with 1008; a page that reads its messages is never cut off",
                 conn_id(cl->c), conn_peer(cl->c), conn_pending(cl->c));
        begin_close(cl, WS_CLOSE_POLICY, "outgoing buffer over --max-queue: read faster");
        linger_close(cl); /* it is not reading: no use waiting for its close frame */
        return;
    }
    uint8_t hdr[WS_MAX_HEADER];
    size_t n = ws_encode_header(hdr, 1, WS_OP_TEXT, len, NULL);
    struct iovec frame[2] = {{hdr, n}, {(void *)msg, len}};
    conn_sendv(cl->c, frame, 2);
}

static void send_control(client *cl, unsigned opcode, const uint8_t *p, size_t len)
{
    uint8_t out[WS_MAX_HEADER + WS_MAX_CONTROL];
    size_t n = ws_encode_frame(out, sizeof out, 1, opcode, p, len, NULL, NULL);
    if (cl->c && n)
        conn_send(cl->c, out, n);
}

/* Lingering close (see ws_server.c): our FIN after our last bytes, then drop input. */
static void linger_close(client *cl)
{
    if (cl->c == NULL || cl->ph >= PH_LINGER)
        return;
    cl->ph = PH_LINGER;
    cl->close_sent_ms = loop_now_ms();
    conn_shutdown_write(cl->c);
}

static void begin_close(client *cl, unsigned code, const char *reason)
{
    if (cl->ph != PH_OPEN)
        return;
    uint8_t p[WS_MAX_CONTROL];
    size_t n = ws_close_payload(p, code, reason);
    cl->ph = PH_CLOSING;
    cl->close_sent_ms = loop_now_ms();
    send_control(cl, WS_OP_CLOSE, p, n);
}

/* A JSON message built with stdio, then sent as one frame. */
typedef struct msg {
    char *buf;
    size_t len;
    FILE *f;
} msg;

static FILE *msg_open(msg *m)
{
    m->buf = NULL;
    m->len = 0;
    m->f = open_memstream(&m->buf, &m->len);
    return m->f;
}

static void msg_send(client *cl, msg *m)
{
    if (m->f == NULL)
        return;
    fclose(m->f);
    send_text_frame(cl, m->buf, m->len);
    free(m->buf);
}

static void send_error(client *cl, const char *what)
{
    msg m;
    if (msg_open(&m) == NULL)
        return;
    fputs("{\"t\":\"error\",\"error\":", m.f);
    view_json_str(m.f, what, strlen(what));
    fputs("}", m.f);
    msg_send(cl, &m);
}

/* ---- the filtered list (the store's lock held) ---- */

static void facts_of(const web_view *v, web_facts *x)
{
    const web_rec *r = v->rec;
    x->protos = r->protos;
    x->sport = r->sport;
    x->dport = r->dport;
    x->has_ports = (r->protos & (1u << DEC_TCP | 1u << DEC_UDP)) != 0;
    x->conv = r->conv;
    x->src = v->src, x->src_len = r->src_len;
    x->dst = v->dst, x->dst_len = r->dst_len;
    x->info = v->info, x->info_len = r->info_len;
}

/* Test the frames that arrived since the last call; forget those the store forgot. The list
 * never holds more entries than the store holds frames. */
static void list_catch_up(client *cl)
{
    const web_store *st = cl->s->cap->store;
    uint64_t first = web_store_first(st), next = web_store_next(st);
    while (cl->start < cl->len && cl->list[cl->start] < first)
        cl->start++;
    if (cl->start > cl->len / 2) { /* compact: the front half is forgotten frames */
        memmove(cl->list, cl->list + cl->start, (cl->len - cl->start) * sizeof *cl->list);
        cl->len -= cl->start;
        cl->start = 0;
    }
    if (!cl->filtered) {
        cl->scanned = next;
        return;
    }
    if (cl->scanned < first)
        cl->scanned = first;
    for (; cl->scanned < next; cl->scanned++) {
        web_view v;
        web_facts x;
        if (!web_store_get(st, cl->scanned, &v))
            continue;
        facts_of(&v, &x);
        if (!web_filter_match(&cl->filter, &x))
            continue;
        if (cl->len == cl->cap) {
            size_t ncap = cl->cap ? cl->cap * 2 : 1024;
            uint64_t *nl = realloc(cl->list, ncap * sizeof *nl);
            if (nl == NULL)
                break; /* tried again on the next tick */
            cl->list = nl;
            cl->cap = ncap;
        }
        cl->list[cl->len++] = cl->scanned;
    }
}

static uint64_t list_count(const client *cl)
{
    const web_store *st = cl->s->cap->store;
    return cl->filtered ? cl->len - cl->start : web_store_next(st) - web_store_first(st);
}

static uint64_t list_frame(const client *cl, uint64_t k)
{
    return cl->filtered ? cl->list[cl->start + k] : web_store_first(cl->s->cap->store) + k;
}

/* ---- the answers ---- */

static void status_json(client *cl, FILE *f)
{
    web_cap *w = cl->s->cap;
    fprintf(f,
            "{\"t\":\"status\",\"first\":%" PRIu64 ",\"next\":%" PRIu64 ",\"count\":%" PRIu64
            ",\"evicted\":%" PRIu64 ",\"done\":%s,\"stats\":",
            web_store_first(w->store), web_store_next(w->store), list_count(cl),
            web_store_evicted(w->store), atomic_load(&w->done) ? "true" : "false");
    stats_json(f, w->st);
    fputs("}", f);
}

/* Every tick: the list catches up, and the status goes out when it changed. */
static void send_status(client *cl, bool always)
{
    msg m;
    char key[256];
    web_cap *w = cl->s->cap;
    pthread_mutex_lock(&w->lock);
    list_catch_up(cl);
    snprintf(key, sizeof key, "%" PRIu64 " %" PRIu64 " %" PRIu64 " %d", web_store_first(w->store),
             web_store_next(w->store), list_count(cl), (int)atomic_load(&w->done));
    if ((always || strcmp(key, cl->last_status) != 0) && msg_open(&m)) {
        memcpy(cl->last_status, key, sizeof key);
        status_json(cl, m.f);
        pthread_mutex_unlock(&w->lock);
        msg_send(cl, &m);
        return;
    }
    pthread_mutex_unlock(&w->lock);
}

static void row_json(FILE *f, const web_cap *w, const web_view *v)
{
    const web_rec *r = v->rec;
    uint32_t usec = r->nano ? r->frac / 1000 : r->frac;
    double t = (double)(r->sec - w->t0_sec) + ((double)usec - (double)w->t0_usec) / 1e6;
    int top = -1;
    for (int p = 0; p < DEC_NPROTO; p++)
        if (p != DEC_DATA && (r->protos & (1u << p)))
            top = p;
    fprintf(f, "[%" PRIu64 ",%.6f,", r->n, t);
    view_json_str(f, v->src, r->src_len);
    putc(',', f);
    view_json_str(f, v->dst, r->dst_len);
    fprintf(f, ",\"%s\",%" PRIu32 ",", top < 0 ? "data" : web_proto_name((dec_proto)top), r->len);
    view_json_str(f, v->info, r->info_len);
    fprintf(f, ",%" PRIu64 ",%u,%u,%u,%u]", r->conv, r->dir, r->sport, r->dport, r->retrans);
}

/* "rows K N": rows K.. of the filtered list, at most WEB_MAX_ROWS. */
static void cmd_rows(client *cl, const char *args)
{
    unsigned long long k, n;
    if (sscanf(args, "%llu %llu", &k, &n) != 2) {
        send_error(cl, "rows wants two numbers: the first row (0-based) and how many");
        return;
    }
    if (n > WEB_MAX_ROWS)
        n = WEB_MAX_ROWS;
    msg m;
    web_cap *w = cl->s->cap;
    if (msg_open(&m) == NULL)
        return;
    pthread_mutex_lock(&w->lock);
    list_catch_up(cl);
    uint64_t count = list_count(cl);
    fprintf(m.f, "{\"t\":\"rows\",\"from\":%llu,\"count\":%" PRIu64 ",\"rows\":[", k, count);
    const char *sep = "";
    for (uint64_t i = k; i < count && i < k + n; i++) {
        web_view v;
        if (!web_store_get(w->store, list_frame(cl, i), &v))
            continue;
        fputs(sep, m.f);
        row_json(m.f, w, &v);
        sep = ",";
    }
    pthread_mutex_unlock(&w->lock);
    fputs("]}", m.f);
    msg_send(cl, &m);
}

/* "filter EXPR": compile, then test every frame the store holds. */
static void cmd_filter(client *cl, const char *args)
{
    char err[200];
    web_filter f;
    msg m;
    int rc = web_filter_compile(&f, args, strlen(args), err, sizeof err);
    if (msg_open(&m) == NULL)
        return;
    if (rc < 0) { /* the old filter stays */
        fputs("{\"t\":\"filter\",\"ok\":false,\"error\":", m.f);
        view_json_str(m.f, err, strlen(err));
    } else {
        web_cap *w = cl->s->cap;
        cl->filter = f;
        cl->filtered = f.root != 0;
        cl->start = cl->len = 0;
        pthread_mutex_lock(&w->lock);
        cl->scanned = web_store_first(w->store);
        list_catch_up(cl);
        fprintf(m.f, "{\"t\":\"filter\",\"ok\":true,\"count\":%" PRIu64, list_count(cl));
        pthread_mutex_unlock(&w->lock);
    }
    fputs(",\"filter\":", m.f);
    view_json_str(m.f, args, strlen(args));
    fputs("}", m.f);
    cl->last_status[0] = '\0';
    msg_send(cl, &m);
}

/* The frame's --json object exactly as `sniffer -r FILE --json` prints it. */
static void detail_json(FILE *out, const web_rec *r, const dec_packet *pkt, const char *msgs)
{
    char *line = NULL;
    size_t len = 0;
    view_frame fr = {r->n, r->sec, r->frac, r->nano};
    FILE *f = open_memstream(&line, &len);
    if (f == NULL) {
        fputs("null", out);
        return;
    }
    view_json(f, &fr, pkt, NULL);
    fclose(f);
    if (len >= 2) /* "...}\n": the messages go before the closing brace, as --json has them */
        len -= 2;
    fwrite(line, 1, len, out);
    fwrite(msgs, 1, r->msgs_len, out);
    putc('}', out);
    free(line);
}

/* "detail N": copy the record out of the store (the capture thread may overwrite it), then
 * decode it again as the capture thread did. */
static void cmd_detail(client *cl, const char *args)
{
    unsigned long long n;
    web_cap *w = cl->s->cap;
    web_view v;
    if (sscanf(args, "%llu", &n) != 1) {
        send_error(cl, "detail wants a frame number");
        return;
    }
    pthread_mutex_lock(&w->lock);
    if (!web_store_get(w->store, n, &v)) {
        pthread_mutex_unlock(&w->lock);
        char why[160];
        snprintf(why, sizeof why, "frame %llu is not in the store (forgotten: see --max-store)", n);
        send_error(cl, why);
        return;
    }
    web_rec r = *v.rec;
    char *copy = malloc((size_t)r.msgs_len + r.caplen + 1);
    if (copy) {
        memcpy(copy, v.msgs, r.msgs_len);
        memcpy(copy + r.msgs_len, v.bytes, r.caplen);
    }
    pthread_mutex_unlock(&w->lock);
    msg m;
    static dec_packet pkt; /* large: not on the stack; the loop thread alone uses it */
    if (copy == NULL || msg_open(&m) == NULL) {
        free(copy);
        return;
    }
    web_view mine = {&r, "", "", "", copy, (const uint8_t *)copy + r.msgs_len};
    web_cap_decode(w, &mine, &pkt);
    fprintf(m.f, "{\"t\":\"detail\",\"n\":%llu,\"json\":", n);
    detail_json(m.f, &r, &pkt, copy);
    fputs(",\"fields\":", m.f);
    web_fields_json(m.f, &pkt);
    fputs(",\"hex\":\"", m.f);
    for (uint32_t i = 0; i < r.caplen; i++)
        fprintf(m.f, "%02x", mine.bytes[i]);
    fputs("\"}", m.f);
    free(copy);
    msg_send(cl, &m);
}

/* "ladder C": the latest WEB_LADDER_MAX packets of conversation C, oldest first. */
static void cmd_ladder(client *cl, const char *args)
{
    unsigned long long c;
    if (sscanf(args, "%llu", &c) != 1 || c == 0) {
        send_error(cl, "ladder wants a conversation number (from 1)");
        return;
    }
    web_cap *w = cl->s->cap;
    uint64_t found[WEB_LADDER_MAX];
    size_t nf = 0;
    msg m;
    if (msg_open(&m) == NULL)
        return;
    pthread_mutex_lock(&w->lock);
    uint64_t first = web_store_first(w->store);
    for (uint64_t n = web_store_next(w->store); n-- > first && nf < WEB_LADDER_MAX;) {
        web_view v;
        if (web_store_get(w->store, n, &v) && v.rec->conv == c)
            found[nf++] = n;
    }
    fprintf(m.f, "{\"t\":\"ladder\",\"conv\":%llu,\"rows\":[", c);
    for (size_t i = nf; i-- > 0;) {
        web_view v;
        web_store_get(w->store, found[i], &v);
        row_json(m.f, w, &v);
        if (i)
            putc(',', m.f);
    }
    pthread_mutex_unlock(&w->lock);
    fputs("]}", m.f);
    msg_send(cl, &m);
}

/* One command from the page: a word, a space, its arguments. */
static void on_command(client *cl, const char *text)
{
    static const struct {
        const char *word;
        void (*fn)(client *, const char *);
    } cmds[] = {
        {"rows", cmd_rows}, {"filter", cmd_filter}, {"detail", cmd_detail}, {"ladder", cmd_ladder}};
    size_t w = strcspn(text, " ");
    const char *args = text[w] ? text + w + 1 : "";
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        if (strlen(cmds[i].word) == w && strncmp(text, cmds[i].word, w) == 0) {
            cmds[i].fn(cl, args);
            return;
        }
    send_error(cl, "unknown command: the page sends rows, filter, detail or ladder");
}

/* ---- WebSocket events ---- */

static void on_ws_message(void *user, unsigned opcode, const uint8_t *data, size_t len)
{
    client *cl = user;
    char text[WEB_MAX_COMMAND + 1];
    if (cl->ph != PH_OPEN || opcode != WS_OP_TEXT || len > WEB_MAX_COMMAND)
        return;
    memcpy(text, data, len);
    text[len] = '\0';
    on_command(cl, text);
}

static void on_ws_control(void *user, unsigned opcode, const uint8_t *data, size_t len)
{
    client *cl = user;
    if (opcode == WS_OP_PING && cl->ph == PH_OPEN)
        send_control(cl, WS_OP_PONG, data, len); /* same payload back (5.5.2) */
}

static void on_ws_close(void *user, unsigned code, const uint8_t *reason, size_t len)
{
    client *cl = user;
    (void)reason;
    (void)len;
    if (cl->ph == PH_OPEN) { /* answer the close frame, echoing its code (7.1.5) */
        uint8_t p[WS_MAX_CONTROL];
        size_t n = code == WS_CLOSE_NO_STATUS ? 0 : ws_close_payload(p, code, "");
        send_control(cl, WS_OP_CLOSE, p, n);
    }
    cl->ph = PH_DONE;
    if (cl->c)
        conn_close(cl->c);
}

static const ws_decoder_callbacks decoder_callbacks = {NULL, on_ws_message, on_ws_control,
                                                       on_ws_close};

/* ---- HTTP: the page, the upgrade, the rejections ---- */

static void reject(client *cl, int status, const char *reason)
{
    char out[WS_RESPONSE_MAX];
    if (status == 408 || status == 431)
        loop_log(cl->s->l, "browser %" PRIu64 " (%s): %s", conn_id(cl->c), conn_peer(cl->c),
                 reason);
    size_t n = ws_http_error_response(status, reason, out, sizeof out);
    if (n)
        conn_send(cl->c, out, n);
    linger_close(cl);
}

static void serve_page(client *cl)
{
    char head[256];
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
                     "Content-Length: %zu\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
                     web_page_len);
    conn_send(cl->c, head, (size_t)n);
    conn_send(cl->c, web_page, web_page_len);
    linger_close(cl);
}

static void upgrade(client *cl)
{
    ws_verdict v;
    char out[WS_RESPONSE_MAX];
    ws_handshake_check(cl->http, "/ws", NULL, &v);
    if (v.status != 101) {
        reject(cl, v.status, v.reason);
        return;
    }
    size_t n = ws_handshake_response(cl->http, &v, out, sizeof out);
    conn_send(cl->c, out, n);
    cl->ph = PH_OPEN;
    ws_decoder_config cfg = {WS_ROLE_SERVER, WEB_MAX_COMMAND, cl};
    ws_decoder_init(&cl->dec, &cfg, &decoder_callbacks);
    free(cl->http);
    cl->http = NULL;
    msg m;
    if (msg_open(&m) == NULL)
        return;
    fputs("{\"t\":\"hello\",\"source\":", m.f);
    view_json_str(m.f, cl->s->source, strlen(cl->s->source));
    fprintf(m.f, ",\"max_rows\":%d,\"max_store\":%zu}", WEB_MAX_ROWS,
            web_store_size(cl->s->cap->store));
    msg_send(cl, &m);
    send_status(cl, true);
}

static size_t http_data(client *cl, const uint8_t *data, size_t len)
{
    ws_http *p = cl->http;
    size_t used = ws_http_feed(p, data, len);
    if (p->result == WS_HTTP_FAIL) {
        reject(cl, p->status, p->reason);
    } else if (p->result == WS_HTTP_DONE) {
        if (ws_http_wants_page(p))
            serve_page(cl);
        else
            upgrade(cl);
    }
    return used;
}

/* ---- the loop's events ---- */

static void on_open(conn *c)
{
    server *s = loop_user(conn_loop(c));
    client *cl = calloc(1, sizeof *cl);
    ws_http *p = malloc(sizeof *p);
    if (cl == NULL || p == NULL) {
        free(cl);
        free(p);
        conn_abort(c, "out of memory for a new browser");
        return;
    }
    ws_http_init(p, WS_HTTP_REQUEST);
    cl->s = s;
    cl->c = c;
    cl->http = p;
    cl->opened_ms = loop_now_ms();
    conn_set_data(c, cl);
}

static size_t on_data(conn *c, const uint8_t *data, size_t len)
{
    client *cl = conn_data(c);
    size_t used = 0;
    if (cl == NULL)
        return len;
    if (cl->ph == PH_HTTP)
        used = http_data(cl, data, len);
    if ((cl->ph == PH_OPEN || cl->ph == PH_CLOSING) && used < len) {
        ws_error e = ws_decoder_feed(&cl->dec, data + used, len - used);
        if (e != WS_OK) {
            if (ws_error_close_code(e) == WS_CLOSE_TOO_BIG)
                loop_log(cl->s->l, "browser %" PRIu64 ": a command over %d bytes: closed with 1009",
                         conn_id(c), WEB_MAX_COMMAND);
            begin_close(cl, (unsigned)ws_error_close_code(e), ws_strerror(e));
            linger_close(cl);
        }
    }
    return len;
}

static void on_close(conn *c, const char *why)
{
    (void)why;
    client *cl = conn_data(c);
    if (cl == NULL)
        return;
    conn_set_data(c, NULL);
    cl->c = NULL;
    cl->next_dead = cl->s->graveyard; /* freed on the next tick: we may be in its callback */
    cl->s->graveyard = cl;
}

static const loop_handlers handlers = {on_open, on_data, on_close};

static void bury(server *s)
{
    while (s->graveyard) {
        client *cl = s->graveyard;
        s->graveyard = cl->next_dead;
        if (cl->http == NULL)
            ws_decoder_free(&cl->dec);
        free(cl->http);
        free(cl->list);
        free(cl);
    }
}

static void check_client(conn *c, void *arg)
{
    uint64_t now = *(uint64_t *)arg;
    client *cl = conn_data(c);
    if (cl == NULL)
        return;
    if (cl->ph == PH_HTTP && now - cl->opened_ms > HTTP_TIMEOUT_MS) {
        reject(cl, 408, "the request head did not arrive in time");
    } else if ((cl->ph == PH_CLOSING || cl->ph == PH_LINGER) &&
               now - cl->close_sent_ms > CLOSE_TIMEOUT_MS) {
        cl->ph = PH_DONE;
        conn_abort(c, "the peer did not finish closing in time");
    } else if (cl->ph == PH_OPEN) {
        send_status(cl, false);
    }
}

static void tick(loop *l, void *arg)
{
    server *s = arg;
    uint64_t now = loop_now_ms();
    bury(s);
    loop_foreach_conn(l, check_client, &now);
}

static void say_busy(conn *c)
{
    static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\n"
                               "Content-Type: text/plain\r\n"
                               "Content-Length: 47\r\n"
                               "Retry-After: 5\r\n"
                               "Connection: close\r\n"
                               "\r\n"
                               "the live view has its 16 browsers; close a tab\n";
    conn_send(c, busy, sizeof busy - 1);
}

/* ---- the command line ---- */

typedef struct web_args {
    cap_cfg cfg;
    int port;
    const char *bind;
    size_t max_store, max_queue;
} web_args;

bool web_wanted(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--web") == 0 || strncmp(argv[i], "--web=", 6) == 0)
            return true;
    return false;
}

static void web_usage(FILE *f)
{
    fprintf(f,
            "usage: sniffer --web [PORT] [-i IFACE | -r FILE] [-f FILTER] [--web-bind ADDR]\n"
            "                     [--max-store BYTES] [--max-queue BYTES]\n"
            "Serves the live packet view at http://127.0.0.1:PORT/ (default %d; 0 = any).\n"
            "  -i, --iface IFACE   capture live on IFACE (default lo; needs root or cap_net_raw)\n"
            "  -r, --read FILE     show a pcap file instead (no privileges needed)\n"
            "  -f, --filter BPF    a capture filter, e.g. 'tcp port 8080'\n"
            "  --web-bind ADDR     listen on ADDR instead of 127.0.0.1 (anyone who reaches it\n"
            "                      sees every packet: think twice)\n"
            "  --max-store N       bytes of packets kept; older ones are forgotten (default %u)\n"
            "  --max-queue N       bytes waiting for one browser before it is cut off with 1008\n"
            "                      (default %u)\n",
            WEB_DEFAULT_PORT, WEB_STORE_DEFAULT, WEB_DEFAULT_QUEUE);
}

/*
 * The options, from a table (args.h). `--web [PORT]` is taken out of argv first: its value is
 * optional, which a row cannot say (a row's value is always required or never given), so a
 * number right after --web (or --web=PORT) is its port. ARGS_OK, ARGS_HELP, or ARGS_ERROR with
 * the reason in err.
 */
static int parse_web_args(int argc, char **argv, web_args *a, char *err, size_t errlen)
{
    char **rest = calloc((size_t)argc + 1, sizeof *rest);
    unsigned long long port;
    int n = 0, rc = ARGS_OK;
    if (rest == NULL) {
        snprintf(err, errlen, "out of memory for the arguments");
        return ARGS_ERROR;
    }
    rest[n++] = argv[0];
    for (int i = 1; i < argc && rc == ARGS_OK; i++) {
        const char *o = argv[i];
        bool with_port =
            strncmp(o, "--web=", 6) == 0 || (strcmp(o, "--web") == 0 && i + 1 < argc &&
                                             argv[i + 1][0] >= '0' && argv[i + 1][0] <= '9');
        if (with_port) {
            const char *v = o[5] == '=' ? o + 6 : argv[++i];
            if (args_number("--web", v, 0, 65535, &port, err, errlen) < 0)
                rc = ARGS_ERROR;
            a->port = (int)port;
        } else if (strcmp(o, "--web") != 0) {
            rest[n++] = argv[i];
        }
    }
    const args_opt table[] = {
        ARGS_TEXT_OPT("--iface", "-i", a->cfg.iface),
        ARGS_TEXT_OPT("--read", "-r", a->cfg.read_file),
        ARGS_TEXT_OPT("--filter", "-f", a->cfg.filter),
        ARGS_TEXT_OPT("--web-bind", NULL, a->bind),
        ARGS_NUMBER_OPT("--max-store", NULL, a->max_store, WEB_STORE_MIN, 1ull << 40),
        ARGS_NUMBER_OPT("--max-queue", NULL, a->max_queue, 65536, 1ull << 31),
    };
    if (rc == ARGS_OK)
        rc = args_parse(n, rest, table, ARGS_COUNT(table), err, errlen);
    free(rest);
    if (rc == ARGS_OK && a->cfg.iface && a->cfg.read_file) {
        snprintf(err, errlen, "-i (live) or -r (a file), not both");
        rc = ARGS_ERROR;
    }
    return rc;
}

static bool loopback(const char *addr)
{
    return strncmp(addr, "127.", 4) == 0 || strcmp(addr, "::1") == 0 ||
           strcmp(addr, "localhost") == 0;
}

/* Listen, start the loop, start the capture thread, run until SIGINT or SIGTERM. */
static int serve(server *s, const web_args *a, int fd)
{
    char err[256];
    loop_config lc = {.max_conns = WEB_MAX_CLIENTS, .max_conns_flag = "WEB_MAX_CLIENTS", .user = s};
    s->l = loop_new(&lc, &handlers, err, sizeof err);
    if (s->l == NULL)
        return fprintf(stderr, "sniffer: cannot start the event loop: %s\n", err), 1;
    loop_on_refuse(s->l, say_busy);
    /* The signals go to the loop's signalfd; blocked before the capture thread starts, so it
     * inherits the mask and never takes them. */
    if (loop_add_listener(s->l, fd, err, sizeof err) < 0 ||
        loop_stop_on_signals(s->l, err, sizeof err) < 0) {
        fprintf(stderr, "sniffer: cannot start the event loop: %s\n", err);
        loop_free(s->l);
        return 1;
    }
    if (loop_add_timer(s->l, TICK_MS, tick, s) < 0 || web_cap_start(s->cap) < 0) {
        fputs("sniffer: cannot start the event loop (the kernel refused a timer or the capture "
              "thread)\n",
              stderr);
        loop_free(s->l);
        return 1;
    }
    int port = net_local_port(fd);
    /* the address to type: the one bound, or loopback when bound to every address */
    const char *open_at = strcmp(a->bind, "0.0.0.0") == 0 ? "127.0.0.1"
                          : strchr(a->bind, ':')          ? "[::1]"
                                                          : a->bind;
    printf("sniffer: showing %s\nsniffer: listening on %s port %d: open http://%s:%d/\n", s->source,
           a->bind, port, open_at, port);
    fflush(stdout);
    int rc = loop_run(s->l);
    web_cap_stop(s->cap);
    loop_free(s->l);
    bury(s);
    return rc < 0 ? 1 : 0;
}

int web_main(int argc, char **argv, const char *self)
{
    static web_cap cap;
    web_args a = {.port = WEB_DEFAULT_PORT,
                  .bind = "127.0.0.1",
                  .max_store = WEB_STORE_DEFAULT,
                  .max_queue = WEB_DEFAULT_QUEUE};
    a.cfg.self = self;
    char err[512], source[600];
    char aerr[ARGS_ERR_LEN];
    int status = args_exit_status(parse_web_args(argc, argv, &a, aerr, sizeof aerr), "sniffer",
                                  aerr, web_usage);
    if (status >= 0)
        return status;
    if (!loopback(a.bind))
        fprintf(stderr,
                "sniffer: warning: --web-bind %s: anyone who can reach this address sees every "
                "packet captured, and nothing asks for a password; use 127.0.0.1 unless you "
                "mean it\n",
                a.bind);
    int fd = net_listen(a.bind, a.port, 16, err, sizeof err);
    if (fd < 0)
        return fprintf(stderr, "sniffer: %s\n", err), 1;
    capture *c = cap_open(&a.cfg, err, sizeof err);
    if (c == NULL)
        return fprintf(stderr, "sniffer: %s\n", err), 1;
    if (web_cap_init(&cap, c, a.max_store) < 0)
        return fputs("sniffer: out of memory for the store (try a smaller --max-store)\n", stderr),
               1;
    snprintf(source, sizeof source, "%s %s%s%s", a.cfg.read_file ? "file" : "live on",
             a.cfg.read_file ? a.cfg.read_file
             : a.cfg.iface   ? a.cfg.iface
                             : "lo",
             a.cfg.filter ? ", filter " : "", a.cfg.filter ? a.cfg.filter : "");
    server s = {.cap = &cap, .max_queue = a.max_queue, .source = source};
    int rc = serve(&s, &a, fd);
    cap_close(c);
    web_cap_free(&cap);
    return rc;
}
