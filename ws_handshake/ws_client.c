/*
 * ws_client.c - a WebSocket client: the handshake and the frames from the other side.
 *
 * What it teaches: what a browser does when a page calls new WebSocket(url). The client
 * connects over TCP, sends the HTTP upgrade request with a random Sec-WebSocket-Key, checks the
 * server's 101 and its Sec-WebSocket-Accept, then sends masked frames (clients must mask, so
 * a confused proxy can never mistake client data for an HTTP request: RFC 6455 10.3).
 * --trace shows the request, the response and every frame's header fields.
 *
 * Run:  ws_client ws://127.0.0.1:8080/ws --trace            (type lines; Ctrl-D closes)
 *       ws_client ws://127.0.0.1:8080/ws --message hello    (one message, one reply, close)
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base64.h"
#include "net.h"
#include "ws_frame.h"
#include "ws_handshake.h"
#include "ws_http.h"

#define MAX_MESSAGES 16

typedef struct client {
    int fd;
    int trace;
    const char *fixed_key; /* --key: a chosen Sec-WebSocket-Key (labs), else a random one */
    ws_decoder dec;
    unsigned replies;   /* data messages received */
    int close_received; /* the server's close frame arrived */
    int close_sent;
    unsigned close_code; /* the code the server sent */
    int failed;          /* exit status 1 at the end */
} client;

/* ---- the URL: ws://host[:port][/path] ---- */

typedef struct url {
    char host[256];     /* without brackets, for getaddrinfo */
    char hostport[300]; /* as in the URL, for the Host header */
    int port;
    char path[1024];
} url;

/* Set the reason a URL was refused; returns -1 for the caller to pass on. */
static int url_error(const char **why, const char *reason)
{
    *why = reason;
    return -1;
}

static int parse_url(const char *text, url *u, const char **why)
{
    if (strncmp(text, "wss://", 6) == 0)
        return url_error(why, "wss:// (WebSocket over TLS) is not supported here: use ws://");
    if (strncmp(text, "ws://", 5) != 0)
        return url_error(why, "the URL must start with ws:// (for example ws://127.0.0.1:8080/ws)");
    const char *h = text + 5, *slash = strchr(h, '/');
    size_t hp_len = slash ? (size_t)(slash - h) : strlen(h);
    if (hp_len == 0 || hp_len >= sizeof u->hostport)
        return url_error(why, "the URL has no host (or a host that is too long)");
    memcpy(u->hostport, h, hp_len);
    u->hostport[hp_len] = '\0';
    snprintf(u->path, sizeof u->path, "%s", slash ? slash : "/");
    const char *port = NULL, *end = u->hostport + hp_len, *start = u->hostport;
    if (u->hostport[0] == '[') { /* [::1]:8080 */
        const char *close = strchr(u->hostport, ']');
        if (close == NULL)
            return url_error(why, "an IPv6 address in a URL needs its closing ']'");
        start = u->hostport + 1;
        end = close;
        port = close[1] == ':' ? close + 2 : NULL;
    } else if ((port = strchr(u->hostport, ':')) != NULL) {
        end = port++;
    }
    snprintf(u->host, sizeof u->host, "%.*s", (int)(end - start), start);
    u->port = port ? net_parse_port(port) : 80;
    if (u->port <= 0)
        return url_error(why, "the port in the URL is not a number from 1 to 65535");
    return 0;
}

/* ---- writing (blocking socket: loop over short writes and EINTR) ---- */

static int send_all(int fd, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Masking keys must be unpredictable (RFC 6455 5.3): from the kernel's random source. */
static void random_key(void *user, uint8_t key[4])
{
    (void)user;
    if (getrandom(key, 4, 0) != 4)
        memset(key, 0x5a, 4); /* cannot happen for 4 bytes after boot; never leave it unset */
}

static void trace_frame(const client *cl, const char *dir, const uint8_t *frame, size_t len)
{
    ws_frame_header h;
    char line[160];
    if (!cl->trace || ws_frame_describe(frame, len, &h, NULL) != WS_HDR_OK)
        return;
    ws_frame_format(&h, line, sizeof line);
    fprintf(stderr, "%s frame %s\n", dir, line);
}

static int send_frame(client *cl, unsigned opcode, const void *payload, size_t len)
{
    size_t cap = ws_encoded_size(len, 1);
    uint8_t *frame = malloc(cap);
    if (frame == NULL)
        return -1;
    size_t n = ws_encode_frame(frame, cap, 1, opcode, payload, len, random_key, NULL);
    trace_frame(cl, ">", frame, n);
    int rc = send_all(cl->fd, frame, n);
    free(frame);
    return rc;
}

static void send_close(client *cl, unsigned code, const char *reason)
{
    uint8_t p[WS_MAX_CONTROL];
    size_t n = code == WS_CLOSE_NO_STATUS ? 0 : ws_close_payload(p, code, reason);
    if (!cl->close_sent)
        send_frame(cl, WS_OP_CLOSE, p, n);
    cl->close_sent = 1;
}

/* ---- what the decoder reports ---- */

static void on_frame(void *user, const ws_frame_header *h)
{
    client *cl = user;
    char line[160];
    if (cl->trace) {
        ws_frame_format(h, line, sizeof line);
        fprintf(stderr, "< frame %s\n", line);
    }
}

static void on_message(void *user, unsigned opcode, const uint8_t *data, size_t len)
{
    client *cl = user;
    cl->replies++;
    if (opcode == WS_OP_TEXT)
        printf("%.*s\n", (int)len, (const char *)data);
    else
        printf("<binary message, %zu bytes>\n", len);
    fflush(stdout);
}

static void on_control(void *user, unsigned opcode, const uint8_t *data, size_t len)
{
    client *cl = user;
    if (opcode == WS_OP_PING && !cl->close_sent)
        send_frame(cl, WS_OP_PONG, data, len);
}

static void on_close(void *user, unsigned code, const uint8_t *reason, size_t len)
{
    client *cl = user;
    cl->close_received = 1;
    cl->close_code = code;
    fprintf(stderr, "ws_client: %s: code %u%s%.*s\n",
            cl->close_sent ? "the server answered our close frame" : "the server is closing", code,
            len ? ", reason: " : "", (int)len, (const char *)reason);
    send_close(cl, code, ""); /* echo its code: the closing handshake (RFC 6455 5.5.1) */
}

/* ---- the handshake ---- */

/* Print an HTTP head with a direction mark on every line ("> " sent, "< " received). */
static void trace_head(const char *mark, const char *text, size_t len)
{
    size_t at = 0;
    while (at < len) {
        size_t end = at;
        while (end < len && text[end] != '\n')
            end++;
        size_t shown = end > at && text[end - 1] == '\r' ? end - at - 1 : end - at;
        fprintf(stderr, "%s%.*s\n", mark, (int)shown, text + at);
        at = end + 1;
    }
}

/* Print one line of explanation; returns -1 for the caller to pass on. */
static long say(const char *what)
{
    fprintf(stderr, "ws_client: %s\n", what);
    return -1;
}

/* Returns how many bytes of buf[0..*got) follow the response head (frames), or -1. */
static long handshake(client *cl, const url *u, uint8_t *buf, size_t cap, size_t *got)
{
    uint8_t nonce[16];
    char req[2048], key[WS_KEY_LEN + 1];
    if (cl->fixed_key) {
        /* Only for teaching: RFC 6455 4.1 wants a fresh random key for every connection. */
        if (base64_decode(cl->fixed_key, strlen(cl->fixed_key), nonce, sizeof nonce) != 16)
            return say("--key must be base64 of exactly 16 bytes, e.g. dGhlIHNhbXBsZSBub25jZQ==");
    } else if (getrandom(nonce, sizeof nonce, 0) != sizeof nonce) {
        return say("the kernel gave no random bytes for the key");
    }
    size_t n = ws_handshake_request(u->hostport, u->path, nonce, NULL, req, sizeof req, key);
    if (n == 0)
        return say("the URL is too long");
    if (cl->trace)
        trace_head("> ", req, n);
    if (send_all(cl->fd, req, n) < 0)
        return say("the server closed the connection before we could send the request");
    static ws_http resp;
    ws_http_init(&resp, WS_HTTP_RESPONSE);
    size_t used = 0;
    *got = 0;
    while (resp.result == WS_HTTP_MORE) {
        ssize_t r = recv(cl->fd, buf, cap, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        *got = (size_t)r;
        used = ws_http_feed(&resp, buf, *got);
    }
    if (cl->trace && resp.used > 0)
        trace_head("< ", (const char *)resp.head, resp.used);
    char why[WS_ERR_LEN];
    if (ws_handshake_check_response(&resp, key, NULL, why, sizeof why) < 0) {
        fprintf(stderr, "ws_client: handshake failed: %s\n", why);
        if (resp.status && resp.status != 101)
            fprintf(stderr, "ws_client: the server answered %d (run with --trace to see it)\n",
                    resp.status);
        return -1;
    }
    return (long)used;
}

/* ---- the two ways to run: one-shot and interactive ---- */

/* Read from the socket into the decoder; returns 0, or -1 at EOF or a fatal error. */
static int pump(client *cl, uint8_t *buf, size_t cap)
{
    ssize_t r = recv(cl->fd, buf, cap, 0);
    if (r < 0 && errno == EINTR)
        return 0;
    if (r <= 0)
        return -1;
    ws_error e = ws_decoder_feed(&cl->dec, buf, (size_t)r);
    if (e != WS_OK) {
        fprintf(stderr, "ws_client: the server broke the protocol: %s\n", ws_strerror(e));
        send_close(cl, (unsigned)ws_error_close_code(e), ws_strerror(e));
        cl->failed = 1;
        return -1;
    }
    return 0;
}

/* Wait for socket input up to timeout_ms; 1 readable, 0 timeout. */
static int wait_readable(int fd, int timeout_ms)
{
    struct pollfd p = {fd, POLLIN, 0};
    int r;
    while ((r = poll(&p, 1, timeout_ms)) < 0 && errno == EINTR)
        ;
    return r > 0;
}

/* After the close frames: read until the server's TCP FIN (it closes first), at most 5 s. */
static void finish_close(client *cl, uint8_t *buf, size_t cap)
{
    for (int i = 0; i < 50; i++)
        if (wait_readable(cl->fd, 100) && pump(cl, buf, cap) < 0)
            return;
}

static int one_shot(client *cl, char **messages, int n, uint8_t *buf, size_t cap)
{
    for (int i = 0; i < n && !cl->close_received; i++) {
        unsigned want = cl->replies + 1;
        if (send_frame(cl, WS_OP_TEXT, messages[i], strlen(messages[i])) < 0)
            return fprintf(stderr, "ws_client: the server is gone\n"), 1;
        for (int t = 0; t < 100 && cl->replies < want && !cl->close_received; t++)
            if (wait_readable(cl->fd, 100) && pump(cl, buf, cap) < 0)
                break;
        if (cl->replies < want && !cl->close_received) {
            fprintf(stderr, "ws_client: no reply within 10 s\n");
            cl->failed = 1;
            break;
        }
    }
    send_close(cl, WS_CLOSE_NORMAL, "done");
    finish_close(cl, buf, cap);
    return cl->failed;
}

static int interactive(client *cl, uint8_t *buf, size_t cap)
{
    char line[65536];
    size_t have = 0;
    int stdin_open = 1;
    while (!cl->close_received) {
        struct pollfd p[2] = {{cl->fd, POLLIN, 0}, {0, stdin_open ? POLLIN : 0, 0}};
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if ((p[0].revents & (POLLIN | POLLHUP | POLLERR)) && pump(cl, buf, cap) < 0)
            break;
        if (p[1].revents & (POLLIN | POLLHUP)) {
            ssize_t r = read(0, line + have, sizeof line - 1 - have);
            if (r <= 0) { /* Ctrl-D: start the closing handshake */
                send_close(cl, WS_CLOSE_NORMAL, "bye");
                finish_close(cl, buf, cap);
                break;
            }
            have += (size_t)r;
            char *nl;
            while ((nl = memchr(line, '\n', have)) != NULL || have == sizeof line - 1) {
                size_t n = nl ? (size_t)(nl - line) : have;
                send_frame(cl, WS_OP_TEXT, line, n); /* one line = one text message */
                size_t drop = nl ? n + 1 : n;
                memmove(line, line + drop, have - drop);
                have -= drop;
            }
        }
    }
    if (cl->close_received)
        finish_close(cl, buf, cap);
    return cl->failed;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: ws_client ws://HOST[:PORT]/PATH [--trace] [--key BASE64] [--message TEXT]...\n"
            "  without --message: each line you type is sent as a text message, each\n"
            "  message received is printed; Ctrl-D closes the connection cleanly.\n"
            "  --message TEXT  send TEXT, print the reply, close (repeatable)\n"
            "  --trace         print the HTTP request and response and every frame header\n"
            "  --key BASE64    use this Sec-WebSocket-Key instead of a random one (for labs:\n"
            "                  RFC 6455's example is dGhlIHNhbXBsZSBub25jZQ==)\n");
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {{"trace", no_argument, NULL, 't'},
                                         {"message", required_argument, NULL, 'm'},
                                         {"key", required_argument, NULL, 'k'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    client cl = {0};
    char *messages[MAX_MESSAGES];
    /* One line at a time even into a pipe, so messages and the --trace lines (stderr) stay in
     * the order they happened. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    int n_messages = 0, opt;
    while ((opt = getopt_long(argc, argv, "tm:k:h", opts, NULL)) != -1) {
        if (opt == 't') {
            cl.trace = 1;
        } else if (opt == 'k') {
            cl.fixed_key = optarg;
        } else if (opt == 'm' && n_messages < MAX_MESSAGES) {
            messages[n_messages++] = optarg;
        } else if (opt == 'h') {
            usage(stdout);
            return 0;
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc - 1) {
        usage(stderr);
        return 2;
    }
    url u;
    const char *why;
    if (parse_url(argv[optind], &u, &why) < 0) {
        fprintf(stderr, "ws_client: %s\n", why);
        return 2;
    }
    char err[NET_ERR_LEN];
    cl.fd = net_connect(u.host, u.port, err, sizeof err);
    if (cl.fd < 0) {
        fprintf(stderr, "ws_client: %s\n", err);
        return 1;
    }
    static uint8_t buf[65536];
    size_t got;
    long used = handshake(&cl, &u, buf, sizeof buf, &got);
    if (used < 0) {
        close(cl.fd);
        return 1;
    }
    ws_decoder_config cfg = {WS_ROLE_CLIENT, 0, &cl};
    ws_decoder_callbacks cb = {on_frame, on_message, on_control, on_close};
    ws_decoder_init(&cl.dec, &cfg, &cb);
    int rc = 0;
    if (ws_decoder_feed(&cl.dec, buf + used, got - (size_t)used) != WS_OK)
        rc = 1; /* broken frames right after the 101 */
    else if (n_messages > 0)
        rc = one_shot(&cl, messages, n_messages, buf, sizeof buf);
    else
        rc = interactive(&cl, buf, sizeof buf);
    ws_decoder_free(&cl.dec);
    close(cl.fd);
    return rc;
}
