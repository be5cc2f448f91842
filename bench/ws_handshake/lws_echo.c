/*
 * lws_echo.c - a libwebsockets echo server in the shape of its "minimal-ws-server-echo"
 * example (Debian's libwebsockets-dev ships the library but not the examples, and
 * libwebsockets-test-server has no echo protocol, so the bench builds this one). Like the
 * example, each connection keeps a small queue of received messages, writes one per WRITEABLE
 * callback (lws allows one lws_write there), and stops reading (rx flow control) while the
 * queue is nearly full, so a client with several messages in flight gets every echo.
 *   lws_echo PORT     prints "listening on 127.0.0.1 port PORT"
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>

#define QUEUE    64   /* messages held per connection */
#define MSG_MAX  4096 /* bytes per message */
#define HEADROOM 16   /* stop reading with this few slots left: one read may hold several */

typedef struct message {
    unsigned char buf[LWS_PRE + MSG_MAX];
    size_t len;
    int binary;
} message;

typedef struct session {
    message q[QUEUE];
    unsigned head, count; /* q[head] is the oldest */
    int paused;
} session;

static volatile sig_atomic_t interrupted;

static int receive(struct lws *wsi, session *s, const void *in, size_t len)
{
    if (len > MSG_MAX || s->count == QUEUE)
        return -1; /* over what the bench sends: close, so the figures cannot hide a drop */
    message *m = &s->q[(s->head + s->count++) % QUEUE];
    memcpy(m->buf + LWS_PRE, in, len);
    m->len = len;
    m->binary = lws_frame_is_binary(wsi);
    if (!s->paused && s->count >= QUEUE - HEADROOM) {
        s->paused = 1;
        lws_rx_flow_control(wsi, 0);
    }
    lws_callback_on_writable(wsi); /* lws writes only from the WRITEABLE callback */
    return 0;
}

static int writeable(struct lws *wsi, session *s)
{
    if (s->count == 0)
        return 0;
    message *m = &s->q[s->head];
    if (lws_write(wsi, m->buf + LWS_PRE, m->len, m->binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT) <
        (int)m->len)
        return -1;
    s->head = (s->head + 1) % QUEUE;
    s->count--;
    if (s->paused && s->count < QUEUE / 2) {
        s->paused = 0;
        lws_rx_flow_control(wsi, 1);
    }
    if (s->count)
        lws_callback_on_writable(wsi);
    return 0;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len)
{
    session *s = user;
    switch (reason) {
    case LWS_CALLBACK_RECEIVE:
        return receive(wsi, s, in, len);
    case LWS_CALLBACK_SERVER_WRITEABLE:
        return writeable(wsi, s);
    default:
        return 0;
    }
}

static struct lws_protocols protocols[] = {
    {"echo", callback, sizeof(session), MSG_MAX, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

int main(int argc, char **argv)
{
    struct lws_context_creation_info info;
    if (argc != 2)
        return fprintf(stderr, "usage: lws_echo PORT\n"), 2;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    lws_set_log_level(LLL_ERR, NULL);
    memset(&info, 0, sizeof info);
    info.port = atoi(argv[1]);
    info.iface = "127.0.0.1";
    info.protocols = protocols;
    struct lws_context *ctx = lws_create_context(&info);
    if (ctx == NULL)
        return fprintf(stderr, "lws_echo: lws_create_context failed\n"), 1;
    printf("listening on 127.0.0.1 port %d\n", info.port);
    fflush(stdout);
    while (!interrupted && lws_service(ctx, 0) >= 0)
        ;
    lws_context_destroy(ctx);
    return 0;
}
