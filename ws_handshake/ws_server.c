/*
 * ws_server.c - a WebSocket server: the Wirelab echo loop with RFC 6455 on top.
 *
 * What it teaches: the same non-blocking loop as tcp_echo (tcp_echo/loop.h), where each
 * connection starts as HTTP and becomes a stream of frames:
 *   1. bytes arrive -> ws_http parses the request head (any chunking, at most 8 KiB)
 *   2. GET /   -> the page (ws_handshake/page.html, built into the binary), then close
 *      GET /ws -> ws_handshake_check: 101 Switching Protocols, or 400/404/405/426 with a reason
 *   3. after the 101 -> ws_decoder turns bytes into messages; echo or chat answers them
 *   4. close: answer the peer's close frame and close TCP, or send ours and wait for its answer
 * Timers drop what would otherwise hold resources forever: a request head that never ends
 * (slowloris), a client that does not answer our pings, a peer that never finishes closing.
 * Each client has one one-shot timer of the loop (loop_timer_start), set to the exact deadline
 * of the phase it is in and moved when the phase changes: no periodic sweep over everyone.
 * A client that stops reading while we queue for it is closed with 1008 once over the bound.
 *
 * Run:  ws_server --port 8080 --mode chat --verbose   then open http://127.0.0.1:8080/
 *       or build/bin/ws_client ws://127.0.0.1:8080/ws --trace
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "args.h"
#include "loop.h"
#include "net.h"
#include "ws_frame.h"
#include "ws_handshake.h"
#include "ws_http.h"

extern const unsigned char ws_page[];
extern const size_t ws_page_len;

typedef enum { MODE_ECHO, MODE_CHAT } server_mode;

typedef struct server {
    server_mode mode;
    unsigned ping_interval_ms; /* 0: never ping */
    unsigned http_timeout_ms;  /* slowloris: the whole request head must arrive in time */
    unsigned close_timeout_ms; /* how long we wait for the peer's half of the closing handshake */
    size_t max_message;
    size_t max_queue; /* bytes queued for one client before it is closed with 1008 */
    int verbose;
    loop *l;
    struct client *graveyard; /* clients whose conn is gone, freed by bury_timer */
    unsigned online;
    size_t max_clients;    /* connections at once; one more is answered 503 (say_busy) */
    loop_timer bury_timer; /* pending while the graveyard is not empty */
} server;

/* Where one connection is in its life. */
typedef enum {
    PH_HTTP,    /* reading the request head */
    PH_OPEN,    /* 101 sent: frames both ways */
    PH_CLOSING, /* we sent a close frame and wait for the peer's */
    PH_LINGER,  /* our last bytes are sent and our FIN follows; reading and dropping input */
    PH_DONE,    /* the TCP close is under way: send nothing more */
} phase;

typedef struct client {
    server *s;
    conn *c; /* NULL once the loop has closed it */
    phase ph;
    ws_http *http; /* only while PH_HTTP (it holds 8 KiB) */
    ws_decoder dec;
    loop_timer deadline; /* the one timer of the phase: head, ping/pong, close, linger */
    int ping_outstanding;
    struct client *next_dead;
} client;

/* ---- sending ---- */

static void trace(const client *cl, const char *fmt, const char *arg)
{
    if (cl->s->verbose && cl->c) {
        fprintf(stderr, "ws_server: client %llu ", (unsigned long long)conn_id(cl->c));
        fprintf(stderr, fmt, arg);
        fputc('\n', stderr);
    }
}

static void trace_frame(const client *cl, const char *dir, const ws_frame_header *h)
{
    char line[160];
    if (!cl->s->verbose || cl->c == NULL)
        return;
    ws_frame_format(h, line, sizeof line);
    fprintf(stderr, "ws_server: client %llu %s frame %s\n", (unsigned long long)conn_id(cl->c), dir,
            line);
}

static void begin_close(client *cl, unsigned code, const char *reason);
static void set_deadline(client *cl, uint64_t ms);
static void bury_dead(loop *l, void *arg);

/*
 * Queue one unmasked frame (servers never mask, RFC 6455 5.1). A client whose queue would go
 * over max_queue is not reading: it is closed with 1008 instead of growing our memory.
 */
static void send_frame(client *cl, unsigned opcode, const uint8_t *payload, size_t len)
{
    if (cl->c == NULL || cl->ph >= PH_LINGER || (cl->ph == PH_CLOSING && opcode != WS_OP_CLOSE))
        return;
    if (opcode < WS_OP_CLOSE && conn_pending(cl->c) + len > cl->s->max_queue) {
        begin_close(cl, WS_CLOSE_POLICY, "outgoing buffer over its limit: read faster");
        return;
    }
    uint8_t hdr[WS_MAX_HEADER];
    size_t n = ws_encode_header(hdr, 1, opcode, len, NULL);
    if (cl->s->verbose) {
        ws_frame_header h;
        ws_frame_describe(hdr, n, &h, NULL);
        trace_frame(cl, "<", &h);
    }
    /* Header and payload as two pieces of one send: the loop queues a small frame with the
     * rest of the round's output and writes a large one at once with one sendmsg(), so
     * neither is copied here to join them. */
    struct iovec frame[2] = {{hdr, n}, {(void *)payload, len}};
    conn_sendv(cl->c, frame, len ? 2 : 1);
}

static void send_close_frame(client *cl, unsigned code, const char *reason)
{
    uint8_t p[WS_MAX_CONTROL];
    size_t n = code == WS_CLOSE_NO_STATUS ? 0 : ws_close_payload(p, code, reason);
    send_frame(cl, WS_OP_CLOSE, p, n);
}

/* A limit bit this client: one line on stderr, with or without --verbose (see README, Limits). */
static void log_limit(const client *cl, const char *what)
{
    if (cl->c)
        loop_log(cl->s->l, "client %llu (%s): %s", (unsigned long long)conn_id(cl->c),
                 conn_peer(cl->c), what);
}

/* We start the closing handshake: our close frame, then wait (close_timeout) for the peer's. */
static void begin_close(client *cl, unsigned code, const char *reason)
{
    if (cl->ph != PH_OPEN)
        return;
    char why[160];
    snprintf(why, sizeof why, "%u %s", code, reason);
    trace(cl, "closing: %s", why);
    if (code == WS_CLOSE_POLICY || code == WS_CLOSE_TOO_BIG)
        log_limit(cl, why);
    cl->ph = PH_CLOSING;
    set_deadline(cl, cl->s->close_timeout_ms);
    send_close_frame(cl, code, reason);
}

/*
 * Close while the peer may still be sending (a rejected request, a broken frame stream).
 * close() with unread input makes the kernel answer with a TCP reset, and a reset can destroy
 * our last bytes (the error response, the close frame) before the peer reads them. So, as web
 * servers do ("lingering close"): half-close with shutdown(SHUT_WR) - our FIN goes out after
 * our last bytes - then read and drop input until the peer's FIN, or close_timeout.
 */
static void linger_close(client *cl)
{
    if (cl->c == NULL || cl->ph == PH_DONE)
        return;
    cl->ph = PH_LINGER;
    set_deadline(cl, cl->s->close_timeout_ms);
    conn_shutdown_write(cl->c); /* the loop flushes what is queued first */
}

/* Fail the WebSocket connection (RFC 6455 7.1.7): a close frame with the code, then TCP close. */
static void fail_connection(client *cl, ws_error e)
{
    trace(cl, "protocol error: %s", ws_strerror(e));
    if (ws_error_close_code(e) == WS_CLOSE_TOO_BIG) {
        char why[160];
        snprintf(why, sizeof why, "1009 %s (--max-message)", ws_strerror(e));
        log_limit(cl, why);
    }
    if (cl->ph == PH_OPEN) {
        cl->ph = PH_CLOSING;
        send_close_frame(cl, (unsigned)ws_error_close_code(e), ws_strerror(e));
    }
    linger_close(cl);
}

/* ---- messages: echo and chat ---- */

typedef struct broadcast {
    unsigned opcode;
    const uint8_t *data;
    size_t len;
} broadcast;

static void send_to_one(conn *c, void *arg)
{
    const broadcast *b = arg;
    client *cl = conn_data(c);
    if (cl && cl->ph == PH_OPEN)
        send_frame(cl, b->opcode, b->data, b->len);
}

static void chat_broadcast(server *s, unsigned opcode, const uint8_t *data, size_t len)
{
    broadcast b = {opcode, data, len};
    loop_foreach_conn(s->l, send_to_one, &b);
}

static void chat_notice(server *s, client *cl, const char *what)
{
    char text[160];
    int n = snprintf(text, sizeof text, "* client %llu (%s) %s, %u online",
                     (unsigned long long)conn_id(cl->c), conn_peer(cl->c), what, s->online);
    if (n > 0)
        chat_broadcast(s, WS_OP_TEXT, (const uint8_t *)text, strlen(text));
}

static void on_ws_message(void *user, unsigned opcode, const uint8_t *data, size_t len)
{
    client *cl = user;
    if (cl->ph != PH_OPEN)
        return; /* after our close frame, data is read but not answered (RFC 6455 5.5.1) */
    if (cl->s->mode == MODE_ECHO) {
        send_frame(cl, opcode, data, len); /* text as text, binary as binary */
        return;
    }
    if (opcode == WS_OP_BINARY) {
        chat_broadcast(cl->s, opcode, data, len);
        return;
    }
    /* Chat text: "[3] hello" - the sender's number, then the message, to everyone. */
    char prefix[32];
    int p = snprintf(prefix, sizeof prefix, "[%llu] ", (unsigned long long)conn_id(cl->c));
    uint8_t *line = malloc((size_t)p + len);
    if (line == NULL)
        return;
    memcpy(line, prefix, (size_t)p);
    if (len > 0)
        memcpy(line + p, data, len);
    chat_broadcast(cl->s, opcode, line, (size_t)p + len);
    free(line);
}

static void on_ws_control(void *user, unsigned opcode, const uint8_t *data, size_t len)
{
    client *cl = user;
    if (opcode == WS_OP_PING)
        send_frame(cl, WS_OP_PONG, data, len); /* same payload back (5.5.2) */
    else
        cl->ping_outstanding = 0; /* any pong proves the peer is alive (5.5.3) */
}

/* The peer's close frame: answer it (if we have not sent ours) and close TCP - the server
 * closes the TCP connection first, so the TIME_WAIT state stays here (RFC 6455 7.1.1). */
static void on_ws_close(void *user, unsigned code, const uint8_t *reason, size_t len)
{
    client *cl = user;
    (void)reason;
    (void)len;
    char why[16];
    snprintf(why, sizeof why, "%u", code);
    trace(cl, "peer sent close %s", why);
    if (cl->ph == PH_OPEN) {
        cl->ph = PH_CLOSING;
        send_close_frame(cl, code, ""); /* echo the code; 1005 = none, so an empty payload */
    }
    cl->ph = PH_DONE;
    if (cl->c)
        conn_close(cl->c);
}

static void on_ws_frame(void *user, const ws_frame_header *h)
{
    trace_frame(user, ">", h);
}

static const ws_decoder_callbacks decoder_callbacks = {on_ws_frame, on_ws_message, on_ws_control,
                                                       on_ws_close};

/* ---- HTTP: the page, the upgrade, the rejections ---- */

static void send_text(client *cl, const char *text)
{
    if (cl->c)
        conn_send(cl->c, text, strlen(text));
}

static void reject(client *cl, int status, const char *reason)
{
    char out[WS_RESPONSE_MAX];
    trace(cl, "HTTP rejected: %s", reason);
    if (status == 408 || status == 431)
        log_limit(cl, reason);
    if (ws_http_error_response(status, reason, out, sizeof out) > 0)
        send_text(cl, out);
    linger_close(cl);
}

static void serve_page(client *cl)
{
    char head[256];
    snprintf(head, sizeof head,
             "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
             "Content-Length: %zu\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
             ws_page_len);
    trace(cl, "%s", "GET / -> 200, the page");
    send_text(cl, head);
    if (cl->c)
        conn_send(cl->c, ws_page, ws_page_len);
    linger_close(cl);
}

static void upgrade(client *cl)
{
    ws_http *p = cl->http;
    ws_verdict v;
    char out[WS_RESPONSE_MAX];
    static const char *const protocols[] = {"chat", "echo", NULL};
    ws_handshake_check(p, "/ws", protocols, &v);
    if (v.status != 101) {
        reject(cl, v.status, v.reason);
        return;
    }
    ws_handshake_response(p, &v, out, sizeof out);
    if (cl->s->verbose)
        fprintf(stderr, "ws_server: client %llu request:\n%.*sws_server: response:\n%s",
                (unsigned long long)conn_id(cl->c), (int)p->used, (const char *)p->head, out);
    send_text(cl, out);
    cl->ph = PH_OPEN;
    ws_decoder_config cfg = {WS_ROLE_SERVER, cl->s->max_message, cl};
    ws_decoder_init(&cl->dec, &cfg, &decoder_callbacks);
    free(cl->http);
    cl->http = NULL;
    cl->s->online++;
    set_deadline(cl, cl->s->ping_interval_ms); /* 0: no pings, no timer */
    if (cl->s->mode == MODE_CHAT)
        chat_notice(cl->s, cl, "joined");
}

/* Parse request bytes; returns how many were part of the head. */
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

/* ---- the loop's three events ---- */

static void on_open(conn *c)
{
    server *s = loop_user(conn_loop(c));
    client *cl = calloc(1, sizeof *cl);
    ws_http *p = malloc(sizeof *p);
    if (cl == NULL || p == NULL) {
        free(cl);
        free(p);
        conn_abort(c, "out of memory for a new client");
        return;
    }
    ws_http_init(p, WS_HTTP_REQUEST);
    cl->s = s;
    cl->c = c;
    cl->http = p;
    conn_set_data(c, cl);
    set_deadline(cl, s->http_timeout_ms);
}

static size_t on_data(conn *c, const uint8_t *data, size_t len)
{
    client *cl = conn_data(c);
    if (cl == NULL)
        return len;
    size_t used = 0;
    if (cl->ph == PH_HTTP)
        used = http_data(cl, data, len);
    /* Frames right behind the request head (an eager client) belong to the decoder. */
    if ((cl->ph == PH_OPEN || cl->ph == PH_CLOSING) && used < len) {
        ws_error e = ws_decoder_feed(&cl->dec, data + used, len - used);
        if (e != WS_OK)
            fail_connection(cl, e);
    }
    return len; /* the decoder keeps partial frames itself: everything is consumed */
}

static void on_close(conn *c, const char *why)
{
    client *cl = conn_data(c);
    if (cl == NULL)
        return;
    server *s = cl->s;
    if (s->verbose)
        fprintf(stderr, "ws_server: client %llu closed: %s\n", (unsigned long long)conn_id(c), why);
    int was_open = cl->http == NULL;
    if (was_open && s->online > 0)
        s->online--;
    if (was_open && s->mode == MODE_CHAT) {
        cl->ph = PH_DONE; /* no notice to the one leaving */
        chat_notice(s, cl, "left");
    }
    conn_set_data(c, NULL);
    cl->c = NULL;
    loop_timer_stop(s->l, cl->deadline);
    cl->deadline = 0;
    /* Freed in a later round, not now: we may be inside one of this client's own callbacks. */
    cl->next_dead = s->graveyard;
    s->graveyard = cl;
    if (s->bury_timer == 0)
        s->bury_timer = loop_timer_start(s->l, 0, bury_dead, s); /* 0: buried at loop_free */
}

static const loop_handlers handlers = {on_open, on_data, on_close};

/* ---- timers ---- */

static void bury(server *s)
{
    while (s->graveyard) {
        client *cl = s->graveyard;
        s->graveyard = cl->next_dead;
        ws_decoder_free(&cl->dec);
        free(cl->http);
        free(cl);
    }
}

static void bury_dead(loop *l, void *arg)
{
    server *s = arg;
    (void)l;
    s->bury_timer = 0;
    bury(s);
}

/* In PH_OPEN: ping a client idle for ping_interval (nothing read from it), and drop it if the
 * next ping_interval passes with no pong. Any bytes from it count as a sign of life. */
static void ping_due(client *cl)
{
    server *s = cl->s;
    if (cl->ping_outstanding) {
        log_limit(cl, "no pong: the client stopped answering pings");
        cl->ph = PH_DONE;
        conn_abort(cl->c, "no pong: the client stopped answering pings");
        return;
    }
    uint64_t idle = loop_now_ms() - conn_last_read_ms(cl->c);
    if (idle < s->ping_interval_ms) { /* it spoke meanwhile: due again interval after that */
        set_deadline(cl, s->ping_interval_ms - idle);
        return;
    }
    cl->ping_outstanding = 1;
    set_deadline(cl, s->ping_interval_ms);
    send_frame(cl, WS_OP_PING, (const uint8_t *)"wirelab", 7);
}

/* The client's deadline is here: what it means depends on its phase. */
static void deadline_due(loop *l, void *arg)
{
    client *cl = arg;
    (void)l;
    cl->deadline = 0;
    if (cl->c == NULL)
        return;
    switch (cl->ph) {
    case PH_HTTP:
        reject(cl, 408, "the request head did not arrive in time");
        break;
    case PH_OPEN:
        ping_due(cl);
        break;
    case PH_CLOSING:
        log_limit(cl, "the peer did not answer our close frame in time (--close-timeout)");
        cl->ph = PH_DONE;
        conn_abort(cl->c, "the peer did not answer our close frame in time");
        break;
    case PH_LINGER:
        log_limit(cl, "the peer did not close its side in time (--close-timeout)");
        cl->ph = PH_DONE;
        conn_abort(cl->c, "the peer did not close its side in time");
        break;
    case PH_DONE:
        break;
    }
}

/* (Re)set the client's one timer to ms from now (0: no deadline). If the loop has no room for
 * another timer it has logged why, and the client, which nothing would watch, is closed. */
static void set_deadline(client *cl, uint64_t ms)
{
    server *s = cl->s;
    loop_timer_stop(s->l, cl->deadline);
    cl->deadline = 0;
    if (ms == 0 || cl->c == NULL)
        return;
    cl->deadline = loop_timer_start(s->l, ms, deadline_due, cl);
    if (cl->deadline == 0) {
        cl->ph = PH_DONE;
        conn_abort(cl->c, "no timer left to watch this client (the loop's limit)");
    }
}

static void going_away(conn *c, void *arg)
{
    (void)arg;
    client *cl = conn_data(c);
    if (cl && cl->ph == PH_OPEN)
        begin_close(cl, WS_CLOSE_GOING_AWAY, "server shutting down");
}

/* ---- main ---- */

static void usage(FILE *f)
{
    fprintf(f, "usage: ws_server [--port 8080] [--bind ADDR] [--mode echo|chat]\n"
               "                 [--ping-interval S] [--max-message BYTES] [--max-queue BYTES]\n"
               "                 [--http-timeout S] [--close-timeout S] [--max-clients N]\n"
               "                 [--verbose]\n"
               "Serves the page at http://HOST:PORT/ and WebSocket connections at /ws.\n"
               "  --mode echo         send every message back (default); chat: to everyone\n"
               "  --ping-interval S   ping clients idle for S seconds, drop them if no pong\n"
               "                      within S more (default 30; 0 = never)\n"
               "  --max-message N     close with 1009 a message larger than N (default 16 MiB)\n"
               "  --max-queue N       close with 1008 a client with more than N bytes queued\n"
               "                      (default: max-message + 64 KiB)\n"
               "  --http-timeout S    drop a client whose request head takes longer (default 10)\n"
               "  --close-timeout S   wait this long for the peer's close frame (default 5)\n"
               "  --max-clients N     answer 503 to connections beyond N at once (default 1024)\n"
               "  --verbose           print each request, response and frame (the teaching "
               "trace)\n");
}

/* Seconds (fractions allowed) to milliseconds; -1 if it is not a number in 0..86400. */
static long parse_seconds(const char *text)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    /* Written as "not inside" so that "nan" (which strtod accepts, and which compares false
     * with everything) is refused too. */
    if (errno || end == text || *end || !(v >= 0 && v <= 86400))
        return -1;
    return (long)(v * 1000);
}

/* A --*-timeout or --ping-interval value (seconds, fractions allowed) into *ms; the default
 * stays when text is NULL (not given). -1 with a sentence in err when it is not 0..86400. */
static int seconds_arg(const char *flag, const char *text, unsigned *ms, char *err, size_t errlen)
{
    if (text == NULL)
        return 0;
    long v = parse_seconds(text);
    if (v < 0) {
        snprintf(err, errlen,
                 "%s must be a number of seconds from 0 to 86400 (fractions allowed), not '%s'",
                 flag, text);
        return -1;
    }
    *ms = (unsigned)v;
    return 0;
}

/* ARGS_OK to run, ARGS_HELP after --help, ARGS_ERROR with the reason in err (args/args.h). */
static int parse_args(int argc, char **argv, server *s, int *port, const char **bind, char *err,
                      size_t errlen)
{
    int chat = s->mode == MODE_CHAT;
    const char *ping = NULL, *http = NULL, *closing = NULL; /* seconds: checked below */
    const args_opt table[] = {
        ARGS_NUMBER_OPT("--port", "-p", *port, 0, 65535),
        ARGS_TEXT_OPT("--bind", "-b", *bind),
        ARGS_CHOICE_OPT("--mode", "-m", chat, "echo|chat"),
        ARGS_TEXT_OPT("--ping-interval", "-i", ping),
        ARGS_NUMBER_OPT("--max-message", "-x", s->max_message, 1, 1ull << 31),
        ARGS_NUMBER_OPT("--max-queue", "-q", s->max_queue, 1, 1ull << 31),
        ARGS_TEXT_OPT("--http-timeout", "-t", http),
        ARGS_TEXT_OPT("--close-timeout", "-c", closing),
        ARGS_NUMBER_OPT("--max-clients", "-n", s->max_clients, 1, 1000000),
        ARGS_FLAG_OPT("--verbose", "-v", s->verbose),
    };
    int rc = args_parse(argc, argv, table, ARGS_COUNT(table), err, errlen);
    if (rc != ARGS_OK)
        return rc;
    s->mode = chat ? MODE_CHAT : MODE_ECHO;
    if (seconds_arg("--ping-interval", ping, &s->ping_interval_ms, err, errlen) < 0 ||
        seconds_arg("--http-timeout", http, &s->http_timeout_ms, err, errlen) < 0 ||
        seconds_arg("--close-timeout", closing, &s->close_timeout_ms, err, errlen) < 0)
        return ARGS_ERROR;
    return ARGS_OK;
}

/*
 * Over --max-clients: the loop calls this for the extra connection (loop_on_refuse). There is
 * no WebSocket yet to close with 1013 ("try again later"), so the answer is HTTP's own: 503
 * with Retry-After, to whatever request the client sends; then our FIN.
 */
static void say_busy(conn *c)
{
    static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\n"
                               "Content-Type: text/plain\r\n"
                               "Content-Length: 55\r\n"
                               "Retry-After: 5\r\n"
                               "Connection: close\r\n"
                               "\r\n"
                               "the server has its maximum of clients; try again later\n";
    conn_send(c, busy, sizeof busy - 1);
}

int main(int argc, char **argv)
{
    server s = {MODE_ECHO, 30000, 10000, 5000, WS_DEFAULT_MAX_MSG, 0, 0, NULL, NULL, 0, 1024, 0};
    int port = 8080;
    const char *bind_addr = NULL;
    char err[NET_ERR_LEN];
    int args = parse_args(argc, argv, &s, &port, &bind_addr, err, sizeof err);
    int status = args_exit_status(args, "ws_server", err, usage);
    if (status >= 0)
        return status;
    if (s.max_queue == 0)
        s.max_queue = s.max_message + 65536;
    if (s.max_clients == 0)
        s.max_clients = 1024;
    setvbuf(stdout, NULL, _IOLBF, 0);

    int fd = net_listen(bind_addr, port, 128, err, sizeof err);
    if (fd < 0) {
        fprintf(stderr, "ws_server: %s\n", err);
        return 1;
    }
    loop_config cfg = {.max_conns = s.max_clients, .max_conns_flag = "--max-clients", .user = &s};
    s.l = loop_new(&cfg, &handlers, err, sizeof err);
    if (s.l)
        loop_on_refuse(s.l, say_busy);
    if (s.l == NULL || loop_add_listener(s.l, fd, err, sizeof err) < 0 ||
        loop_stop_on_signals(s.l, err, sizeof err) < 0) {
        fprintf(stderr, "ws_server: cannot start the event loop: %s\n", err);
        return 1;
    }
    printf("listening on %s port %d (%s mode): open http://127.0.0.1:%d/ or ws://127.0.0.1:%d/ws\n",
           bind_addr ? bind_addr : "[::]", net_local_port(fd),
           s.mode == MODE_CHAT ? "chat" : "echo", net_local_port(fd), net_local_port(fd));
    int rc = loop_run(s.l);
    loop_foreach_conn(s.l, going_away, NULL); /* a 1001 close frame to everyone, best effort */
    loop_free(s.l);
    bury(&s);
    if (rc < 0) {
        fprintf(stderr, "ws_server: the event loop failed (epoll_wait); see the messages above\n");
        return 1;
    }
    return 0;
}
