/*
 * lws_echo.c - a libwebsockets echo server in the shape of its "minimal-ws-server-echo"
 * example (Debian's libwebsockets-dev ships the library but not the examples, so the bench
 * builds this one). One message in flight per connection, as ws_load --depth 1 sends.
 *   lws_echo PORT     prints "listening on 127.0.0.1 port PORT"
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>

typedef struct session {
    unsigned char buf[LWS_PRE + 4096];
    size_t len;
    int binary, pending;
} session;

static volatile sig_atomic_t interrupted;

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len)
{
    session *s = user;
    switch (reason) {
    case LWS_CALLBACK_RECEIVE:
        if (len > sizeof s->buf - LWS_PRE)
            return -1;
        memcpy(s->buf + LWS_PRE, in, len);
        s->len = len;
        s->binary = lws_frame_is_binary(wsi);
        s->pending = 1;
        lws_callback_on_writable(wsi); /* lws writes only from the WRITEABLE callback */
        break;
    case LWS_CALLBACK_SERVER_WRITEABLE:
        if (s->pending) {
            s->pending = 0;
            if (lws_write(wsi, s->buf + LWS_PRE, s->len,
                          s->binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT) < (int)s->len)
                return -1;
        }
        break;
    default:
        break;
    }
    return 0;
}

static struct lws_protocols protocols[] = {
    {"echo", callback, sizeof(session), 4096, 0, NULL, 0},
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
