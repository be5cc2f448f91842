/*
 * events_server.c - a Socket.IO server written by hand in C: the shared TCP loop, with
 * Engine.IO (eio_server.c) and Socket.IO (sio_server.c) on top.
 *
 * What it teaches: what the real Socket.IO client and server say to each other. Run it with
 * --verbose and every Engine.IO / Socket.IO packet is printed as it crosses the wire.
 *
 *   events_server [--port N] [--bind ADDR] [--demo chat|protocol-suite] [--verbose]
 *                 [--recovery-window MS] [--recovery-capacity N]
 *                 [--ping-interval MS] [--ping-timeout MS] [--adapter redis[-streams]://HOST:PORT]
 *                 [limits: see --help and README]
 *
 * --demo chat (the default, port 3000; namespaces "/" and "/news", the same events in each): a
 *   page at http://127.0.0.1:3000/ that uses the real
 *   Socket.IO browser client (socket.io.min.js from the npm package socket.io-client, copied
 *   next to this program by the build): rooms to join, messages, and a button that drops the
 *   connection so you can watch recovery replay what you missed. Events it handles:
 *     join(room) / leave(room)        rooms (acked with {"ok":true,"room":...})
 *     say(room, text[, bytes])        "said" {from,room,text[,data]} to everyone in room
 *     say([r1, r2...], text)          the same to several rooms the sender is in: a socket in
 *                                     more than one of them gets it once (room is the list)
 *     shout(text)                     "shouted" {from,text} to everyone else (broadcast)
 *     announce(text[, except])        "announced" {from,text} to the whole namespace, except
 *                                     the members of room `except` (a name or a list)
 *     typing(room)                    "typing" {from,room} to the others in room, volatile:
 *                                     skipped for a client that is behind, never replayed
 *     echo(...args)                   acked with the same arguments (binary included), or sent
 *                                     back as "echo" when no ack was asked for
 *     ask(...args)                    the server emits "question" with args and an ack request,
 *                                     then emits "answered" with the client's ack arguments
 *     goodbye()                       the server disconnects the socket (DISCONNECT packet)
 *     reserved()                      acked with what sio_emit returns for each reserved name
 *     drop()                          the server closes this client's Engine.IO session, as
 *                                     if the network had failed (recovery then applies)
 * --demo protocol-suite: exactly the reference server of the official Engine.IO and Socket.IO
 *   protocol test suites (port 3000, pingInterval 300, pingTimeout 200, maxPayload 1000000,
 *   connectTimeout 1000, CORS origin *): /engine.io/ echoes every message; /socket.io/ emits
 *   "auth" with the CONNECT payload on connection (also in /custom), answers "message" with
 *   "message-back" and acks "message-with-ack" with the same arguments; other namespaces get
 *   CONNECT_ERROR {"message":"Invalid namespace"}.
 * --adapter redis://HOST:PORT (chat only): the chat joins a socket.io cluster on that Redis, in
 *   the format of npm @socket.io/redis-adapter 8.x, so its rooms and broadcasts are shared with
 *   other events_servers and Node.js socket.io servers (chat_cluster.c, adapter_redis.c; Redis
 *   down at start is an error, exit status 1).
 * --adapter redis-streams://HOST:PORT (chat only): the same on a Redis stream, in the format of
 *   npm @socket.io/redis-streams-adapter 0.3.x (adapter_streams.c), and connection state
 *   recovery kept in Redis: a client that drops from one server recovers on any other.
 */
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "chat_cluster.h"
#include "eio_server.h"
#include "loop.h"
#include "net.h"
#include "sio_json.h"
#include "sio_packet.h"
#include "sio_server.h"

extern const unsigned char chat_page[];
extern const size_t chat_page_len;

#define USAGE                                                                                      \
    "usage: events_server [--port N] [--bind ADDR] [--demo chat|protocol-suite] [--verbose]\n"     \
    "                     [--recovery-window MS] [--recovery-capacity N]\n"                        \
    "                     [--ping-interval MS] [--ping-timeout MS] [--adapter URL] [limits...]\n"  \
    "  --port N              TCP port (default 3000; 0 = any free port)\n"                         \
    "  --bind ADDR           address to listen on (default 127.0.0.1; '::' for every address)\n"   \
    "  --demo chat           a chat page at / with rooms and recovery (default)\n"                 \
    "  --demo protocol-suite the reference server of the official protocol test suites\n"          \
    "  --verbose             print every Engine.IO / Socket.IO packet\n"                           \
    "  --recovery-window MS  how long a dropped client may come back (chat; default 120000)\n"     \
    "  --recovery-capacity N events kept for replay per namespace (chat; default 1024)\n"          \
    "  --ping-interval MS    heartbeat interval (chat; default 25000)\n"                           \
    "  --ping-timeout MS     heartbeat timeout (chat; default 20000)\n"                            \
    "  --adapter redis://HOST:PORT  join a socket.io cluster on that Redis (chat; the format of\n" \
    "                        npm @socket.io/redis-adapter 8.x; events/README.md)\n"                \
    "  --adapter redis-streams://HOST:PORT  the same on a Redis stream (npm\n"                     \
    "                        @socket.io/redis-streams-adapter 0.3.x), recovery across servers\n"   \
    "limits (events/README.md, \"Limits\"; each is logged when it bites):\n"                       \
    "  --max-queue BYTES     bytes waiting for one client before it is cut (default 4194304)\n"    \
    "  --max-conns N         TCP connections; more get HTTP 503 (default 1000)\n"                  \
    "  --max-sessions N      Engine.IO sessions; a handshake beyond gets 503 (default 10000)\n"    \
    "  --max-handshakes N    handshakes on one keep-alive connection (default 16)\n"               \
    "  --head-timeout MS     time for a whole HTTP request on an idle connection (default "        \
    "10000)\n"                                                                                     \
    "  --max-rooms N         rooms one socket may be in (default 1000)\n"                          \
    "  --max-binary BYTES    attachments of one binary packet, together (default 4194304)\n"       \
    "  --binary-timeout MS   time for a binary packet's attachments to arrive (default 10000)\n"

typedef struct options {
    int port;
    const char *bind;
    int suite; /* 1: protocol-suite, 0: chat */
    int verbose;
    unsigned long window, capacity, ping_interval, ping_timeout;
    unsigned long max_queue, max_conns, max_sessions, max_handshakes, head_timeout;
    unsigned long max_rooms, max_binary, binary_timeout;
    const char *adapter; /* --adapter redis://HOST:PORT, or NULL: this process only */
} options;

static void usage(FILE *to)
{
    fputs(USAGE, to);
}

/*
 * The command line, one table row per option (args/args.h: the same rules and sentences as
 * every Wirelab program). ARGS_OK to run, ARGS_HELP after --help, ARGS_ERROR with the reason
 * in err. The defaults are set first: port 3000 on 127.0.0.1, the chat demo, and 0 for every
 * number, which means "the library's default" (eio_server.h, sio_server.h; the usage lists
 * them). The ranges are the rows' last two numbers.
 */
static int parse_args(int argc, char **argv, options *o, char *err, size_t errlen)
{
    memset(o, 0, sizeof *o);
    o->port = 3000;
    o->bind = "127.0.0.1";
    const args_opt table[] = {
        ARGS_NUMBER_OPT("--port", NULL, o->port, 0, 65535),
        ARGS_TEXT_OPT("--bind", NULL, o->bind),
        ARGS_CHOICE_OPT("--demo", NULL, o->suite, "chat|protocol-suite"), /* 1: the suite */
        ARGS_FLAG_OPT("--verbose", NULL, o->verbose),
        ARGS_NUMBER_OPT("--recovery-window", NULL, o->window, 1, 86400000),
        ARGS_NUMBER_OPT("--recovery-capacity", NULL, o->capacity, 1, 1000000),
        ARGS_NUMBER_OPT("--ping-interval", NULL, o->ping_interval, 10, 86400000),
        ARGS_NUMBER_OPT("--ping-timeout", NULL, o->ping_timeout, 10, 86400000),
        ARGS_NUMBER_OPT("--max-queue", NULL, o->max_queue, 1024, 1ul << 30),
        ARGS_NUMBER_OPT("--max-conns", NULL, o->max_conns, 1, 1000000),
        ARGS_NUMBER_OPT("--max-sessions", NULL, o->max_sessions, 1, 10000000),
        ARGS_NUMBER_OPT("--max-handshakes", NULL, o->max_handshakes, 1, 1000000),
        ARGS_NUMBER_OPT("--head-timeout", NULL, o->head_timeout, 10, 86400000),
        ARGS_NUMBER_OPT("--max-rooms", NULL, o->max_rooms, 1, 10000000),
        ARGS_NUMBER_OPT("--max-binary", NULL, o->max_binary, 1, 1ul << 30),
        ARGS_NUMBER_OPT("--binary-timeout", NULL, o->binary_timeout, 10, 86400000),
        ARGS_TEXT_OPT("--adapter", NULL, o->adapter),
    };
    int rc = args_parse(argc, argv, table, ARGS_COUNT(table), err, errlen);
    if (rc == ARGS_OK && o->bind[0] == '\0') {
        snprintf(err, errlen, "--bind needs an address (127.0.0.1, ::1, or :: for every one)");
        return ARGS_ERROR;
    }
    if (rc == ARGS_OK && o->adapter && o->suite) {
        snprintf(err, errlen, "--adapter works with the chat demo only");
        return ARGS_ERROR;
    }
    return rc;
}

/* ---- the protocol-suite demo ---- */

static void eio_echo(eio_session *s, int binary, const uint8_t *data, size_t len, void *user)
{
    (void)user;
    eio_send(s, binary, data, len);
}

static void suite_connection(sio_socket *s, void *user)
{
    (void)user;
    const char *auth = sio_socket_auth(s); /* the client's text, untouched */
    size_t n = strlen(auth);
    char *args = malloc(n + 3);
    if (args == NULL)
        return;
    snprintf(args, n + 3, "[%s]", auth);
    sio_emit(s, "auth", args);
    free(args);
}

static void suite_message(sio_socket *s, const sio_msg *m, void *user)
{
    (void)user;
    sio_emit_bin(s, "message-back", m->args, m->bins, m->nbins);
}

static void suite_message_with_ack(sio_socket *s, const sio_msg *m, void *user)
{
    (void)user;
    if (m->ack_id >= 0)
        sio_ack(s, m->ack_id, m->args, m->bins, m->nbins);
}

/* The client's ack of our emit-with-ack: emitted back to it as "emit-with-ack". */
static void suite_acked(sio_socket *s, const sio_msg *m, void *user)
{
    (void)user;
    sio_emit_bin(s, "emit-with-ack", m->args, m->bins, m->nbins);
}

/* emit-with-ack(...args): the server emits "emit-with-ack" with the same arguments and an ack
 * request; the client's answer comes back as another "emit-with-ack". */
static void suite_emit_with_ack(sio_socket *s, const sio_msg *m, void *user)
{
    (void)user;
    sio_emit_ack_bin(s, "emit-with-ack", m->args, m->bins, m->nbins, suite_acked, NULL);
}

/* The Socket.IO limits from the command line (0: the library's default). */
static void sio_limits(const options *o, sio_config *sc)
{
    sc->max_rooms = o->max_rooms;
    sc->max_binary = o->max_binary;
    sc->binary_timeout_ms = (unsigned)o->binary_timeout;
}

/* Each setup returns 0, or -1 with the reason in err. */
static int setup_suite(eio_server *eio, const options *o, sio_server **out, char *err,
                       size_t errlen)
{
    static const eio_handlers echo = {NULL, eio_echo, NULL};
    sio_config sc = {.connect_timeout_ms = 1000};
    sio_limits(o, &sc);
    if (eio_server_mount(eio, "/engine.io/", &echo, NULL, err, errlen) < 0)
        return -1;
    sio_server *srv = sio_server_new(eio, "/socket.io/", &sc, err, errlen);
    if (srv == NULL)
        return -1;
    const char *names[] = {"/", "/custom"};
    for (int i = 0; i < 2; i++) {
        sio_nsp *n = sio_of(srv, names[i]);
        if (n == NULL) {
            snprintf(err, errlen, "out of memory creating namespace %s", names[i]);
            return -1;
        }
        sio_on_connection(n, suite_connection, NULL);
        sio_on(n, "message", suite_message, NULL);
        sio_on(n, "message-with-ack", suite_message_with_ack, NULL);
        sio_on(n, "emit-with-ack", suite_emit_with_ack, NULL);
    }
    *out = srv;
    return 0;
}

/* ---- the chat demo ---- */

/*
 * The chat builds its events' JSON as text: what a client sent (a room, a message) goes into
 * what the others receive as the very text the client sent, so nothing is ever re-encoded.
 * jtext is a growing buffer; a failed allocation sets `failed` and the event is not sent.
 */
typedef struct jtext {
    char *s;
    size_t len, cap;
    int failed;
} jtext;

static void jt_add(jtext *j, const char *t, size_t n)
{
    if (j->failed)
        return;
    if (j->len + n + 1 > j->cap) {
        size_t ncap = (j->len + n + 1) * 2;
        char *ns = realloc(j->s, ncap);
        if (ns == NULL) {
            j->failed = 1;
            return;
        }
        j->s = ns;
        j->cap = ncap;
    }
    memcpy(j->s + j->len, t, n);
    j->len += n;
    j->s[j->len] = '\0';
}

static void jt_str(jtext *j, const char *t) /* a literal piece of JSON */
{
    jt_add(j, t, strlen(t));
}

static void jt_quoted(jtext *j, const char *str) /* a C string as a JSON string */
{
    size_t n = strlen(str), cap = 6 * n + 3;
    char *q = malloc(cap);
    if (q == NULL) {
        j->failed = 1;
        return;
    }
    jt_add(j, q, sio_json_quote(str, n, q, cap));
    free(q);
}

/* Argument i's text when it is a string token, else "" (an empty JSON string). */
static void jt_string_arg(jtext *j, const sio_msg *m, size_t i)
{
    const char *t;
    size_t n;
    if (sio_arg(m, i, &t, &n) && t[0] == '"')
        jt_add(j, t, n);
    else
        jt_str(j, "\"\"");
}

/* Argument i when it is a string: decoded into out (a room name). NULL otherwise. */
static const char *arg_string(const sio_msg *m, size_t i, char *out, size_t cap)
{
    return sio_arg_string(m, i, out, cap) >= 0 ? out : NULL;
}

#define CHAT_NAME_MAX 256 /* longest room name the chat handles */

static void ack_ok(sio_socket *s, const sio_msg *m, const char *room)
{
    if (m->ack_id < 0)
        return;
    jtext j = {0};
    jt_str(&j, room ? "[{\"ok\":true,\"room\":" : "[{\"ok\":false");
    if (room)
        jt_quoted(&j, room);
    jt_str(&j, "}]");
    if (!j.failed)
        sio_ack(s, m->ack_id, j.s, NULL, 0);
    free(j.s);
}

static void chat_join(sio_socket *s, const sio_msg *m, void *user)
{
    char buf[CHAT_NAME_MAX];
    const char *room = arg_string(m, 0, buf, sizeof buf);
    (void)user;
    if (room && strcmp(room, sio_socket_id(s)) != 0 && sio_join(s, room) < 0)
        room = NULL; /* over --max-rooms (or out of memory): {"ok":false} */
    ack_ok(s, m, room);
}

static void chat_leave(sio_socket *s, const sio_msg *m, void *user)
{
    char buf[CHAT_NAME_MAX];
    const char *room = arg_string(m, 0, buf, sizeof buf);
    (void)user;
    if (room && strcmp(room, sio_socket_id(s)) != 0)
        sio_leave(s, room);
    ack_ok(s, m, room);
}

/* [{"from":id,"text":<argument i as sent>}] as the arguments of an event. */
static void chat_args(jtext *j, sio_socket *s, const sio_msg *m, size_t text_arg)
{
    jt_str(j, "[{\"from\":");
    jt_quoted(j, sio_socket_id(s));
    jt_str(j, ",\"text\":");
    jt_string_arg(j, m, text_arg);
    jt_str(j, "}]");
}

#define CHAT_MAX_ROOMS 8 /* rooms one say() or announce() may name */

/* A room name or a list of them (arg i): up to max names decoded into names[]. Returns how
 * many, or -1 when the argument is neither (or names too many, or one too long). */
static int room_list(const sio_msg *m, size_t i, char names[][CHAT_NAME_MAX], int max)
{
    const char *t, *it;
    size_t n, itn;
    if (!sio_arg(m, i, &t, &n))
        return -1;
    if (t[0] == '"')
        return sio_json_string(t, n, names[0], CHAT_NAME_MAX) >= 0 ? 1 : -1;
    int count = 0;
    for (; t[0] == '[' && sio_json_item(t, n, (size_t)count, &it, &itn); count++)
        if (count == max || it[0] != '"' ||
            sio_json_string(it, itn, names[count], CHAT_NAME_MAX) < 0)
            return -1;
    return t[0] == '[' ? count : -1;
}

/* say(room or [rooms], text[, bytes]): "said" {from, room, text[, data]} to everyone in those
 * rooms, once each; a binary third argument travels on as "data" (a BINARY_EVENT with one
 * attachment). Only members may speak in a room: the sender must be in every one named. */
static void chat_say(sio_socket *s, const sio_msg *m, void *user)
{
    char names[CHAT_MAX_ROOMS][CHAT_NAME_MAX];
    const char *rooms[CHAT_MAX_ROOMS], *t;
    size_t tn;
    int nrooms = room_list(m, 0, names, CHAT_MAX_ROOMS), member = nrooms > 0;
    int bin = sio_arg(m, 2, &t, &tn) ? sio_placeholder_num(t, tn) : -1;
    int has_bin = bin >= 0 && (size_t)bin < m->nbins;
    (void)user;
    for (int i = 0; i < nrooms; i++) {
        rooms[i] = names[i];
        member = member && sio_in_room(s, rooms[i]);
    }
    if (member) { /* the same keys, in the same order, as node_server */
        jtext j = {0};
        jt_str(&j, "[{\"from\":");
        jt_quoted(&j, sio_socket_id(s));
        jt_str(&j, ",\"room\":");
        sio_arg(m, 0, &t, &tn);
        jt_add(&j, t, tn); /* the room (or list) exactly as the client sent it */
        jt_str(&j, ",\"text\":");
        jt_string_arg(&j, m, 1);
        jt_str(&j, has_bin ? ",\"data\":" SIO_PLACEHOLDER(0) "}]" : "}]");
        sio_target tg = {.rooms = rooms, .nrooms = (size_t)nrooms};
        if (!j.failed)
            sio_emit_target(sio_socket_nsp(s), &tg, "said", j.s, has_bin ? &m->bins[bin] : NULL,
                            has_bin ? 1 : 0);
        free(j.s);
    }
    ack_ok(s, m, member ? (nrooms == 1 ? rooms[0] : "*") : NULL);
}

/* typing(room): "typing" {from, room} to the others in room, as a volatile event: a hint that
 * is stale a moment later is skipped for a client that is behind and never replayed. */
static void chat_typing(sio_socket *s, const sio_msg *m, void *user)
{
    char buf[CHAT_NAME_MAX];
    const char *room = arg_string(m, 0, buf, sizeof buf), *t;
    size_t tn;
    int member = room && sio_in_room(s, room);
    (void)user;
    if (member) {
        jtext j = {0};
        jt_str(&j, "[{\"from\":");
        jt_quoted(&j, sio_socket_id(s));
        jt_str(&j, ",\"room\":");
        sio_arg(m, 0, &t, &tn);
        jt_add(&j, t, tn);
        jt_str(&j, "}]");
        sio_target tg = {.rooms = &room, .nrooms = 1, .except_socket = s, .flags = SIO_VOLATILE};
        if (!j.failed)
            sio_emit_target(sio_socket_nsp(s), &tg, "typing", j.s, NULL, 0);
        free(j.s);
    }
    ack_ok(s, m, member ? room : NULL);
}

static void chat_shout(sio_socket *s, const sio_msg *m, void *user)
{
    (void)user;
    jtext j = {0};
    chat_args(&j, s, m, 0);
    if (!j.failed)
        sio_broadcast(s, "shouted", j.s);
    free(j.s);
    ack_ok(s, m, "*");
}

/* announce(text[, except]): to the whole namespace, but not to the rooms named in except. */
static void chat_announce(sio_socket *s, const sio_msg *m, void *user)
{
    char names[CHAT_MAX_ROOMS][CHAT_NAME_MAX];
    const char *except[CHAT_MAX_ROOMS];
    int nexcept = sio_arg_count(m) > 1 ? room_list(m, 1, names, CHAT_MAX_ROOMS) : 0;
    (void)user;
    if (nexcept < 0) {
        ack_ok(s, m, NULL);
        return;
    }
    for (int i = 0; i < nexcept; i++)
        except[i] = names[i];
    jtext j = {0};
    chat_args(&j, s, m, 0);
    sio_target t = {.except = except, .nexcept = (size_t)nexcept};
    if (!j.failed)
        sio_emit_target(sio_socket_nsp(s), &t, "announced", j.s, NULL, 0);
    free(j.s);
    ack_ok(s, m, "*");
}

static void chat_echo(sio_socket *s, const sio_msg *m, void *user)
{
    (void)user;
    if (m->ack_id >= 0)
        sio_ack(s, m->ack_id, m->args, m->bins, m->nbins);
    else
        sio_emit_bin(s, "echo", m->args, m->bins, m->nbins);
}

static void chat_drop(sio_socket *s, const sio_msg *m, void *user)
{
    (void)m;
    (void)user;
    printf("drop     %s: closing its Engine.IO session as a network failure would\n",
           sio_socket_id(s));
    fflush(stdout);
    sio_server_drop(s);
}

/* goodbye(): the server disconnects this socket from the namespace (DISCONNECT packet): a
 * deliberate goodbye, so the client does not reconnect and nothing is kept for recovery. */
static void chat_goodbye(sio_socket *s, const sio_msg *m, void *user)
{
    (void)m;
    (void)user;
    sio_disconnect(s);
}

/* reserved(): try to emit each reserved event name; ack with what sio_emit returned for each
 * (all must be SIO_E_RESERVED: an application cannot fake the library's own events). */
static void chat_reserved(sio_socket *s, const sio_msg *m, void *user)
{
    static const char *const names[] = {"connect", "connect_error", "disconnect", "disconnecting"};
    char args[256];
    size_t n = (size_t)snprintf(args, sizeof args, "[{");
    (void)user;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        n += (size_t)snprintf(args + n, sizeof args - n, "%s\"%s\":%d", i ? "," : "", names[i],
                              sio_emit(s, names[i], NULL));
    snprintf(args + n, sizeof args - n, "}]");
    if (m->ack_id >= 0)
        sio_ack(s, m->ack_id, args, NULL, 0);
}

static void chat_connection(sio_socket *s, void *user)
{
    (void)user;
    printf("connect  %s over %s%s\n", sio_socket_id(s), sio_socket_transport(s),
           sio_socket_recovered(s) ? " (recovered: id, rooms and missed events restored)" : "");
    fflush(stdout);
    char args[96]; /* socket ids are base64url: nothing to escape */
    snprintf(args, sizeof args, "[{\"id\":\"%s\",\"recovered\":%s}]", sio_socket_id(s),
             sio_socket_recovered(s) ? "true" : "false");
    sio_emit(s, "welcome", args);
}

/* The client's answer to our "question": the server side of an ack. */
static void chat_answered(sio_socket *s, const sio_msg *m, void *user)
{
    (void)user;
    sio_emit(s, "answered", m->args);
}

/* ask(text): the server emits "question" asking for an ack, and reports the answer. */
static void chat_ask(sio_socket *s, const sio_msg *m, void *user)
{
    (void)user;
    int rc = sio_emit_ack(s, "question", m->args, chat_answered, NULL);
    if (rc == SIO_E_FULL && m->ack_id >= 0) /* too many questions left unanswered */
        sio_ack(s, m->ack_id, "[{\"ok\":false,\"error\":\"answer the questions you have\"}]", NULL,
                0);
}

/* socket.io's order: "disconnecting" while the socket is still in its rooms, then it leaves
 * them (the adapter's leave-room lines), then "disconnect". */
static void chat_disconnecting(sio_socket *s, const char *reason, void *user)
{
    (void)user;
    printf("disconnecting %s: %s; in", sio_socket_id(s), reason);
    for (size_t i = 0; i < sio_socket_nrooms(s); i++)
        printf(" %s", sio_socket_room(s, i));
    printf("\n");
    fflush(stdout);
}

/* The adapter's room events, at most ADAPTER_LINES a second: one client joining (and, when it
 * leaves, leaving) 40,000 rooms would otherwise write 80,000 lines, a system call each, while
 * everyone else waits. The rest are counted and the count is printed with the next line. */
#define ADAPTER_LINES 50
static struct {
    uint64_t second; /* which second (loop_now_ms() / 1000) the lines below were in */
    unsigned shown;
    unsigned long long hidden;
} adapter_log;

static void adapter_hidden_line(void)
{
    if (adapter_log.hidden)
        printf("adapter  (%llu more room events not shown: at most %d lines a second)\n",
               adapter_log.hidden, ADAPTER_LINES);
    adapter_log.hidden = 0;
}

static void chat_disconnect(sio_socket *s, const char *reason, void *user)
{
    (void)user;
    adapter_hidden_line(); /* the rooms it left, if there were too many to show */
    printf("disconnect %s: %s; in %zu rooms\n", sio_socket_id(s), reason, sio_socket_nrooms(s));
    fflush(stdout);
}

static void chat_adapter(sio_nsp *n, const char *what, const char *room, const char *sid,
                         void *user)
{
    (void)user;
    uint64_t second = loop_now_ms() / 1000;
    if (second != adapter_log.second) {
        adapter_log.second = second;
        adapter_log.shown = 0;
    }
    if (adapter_log.shown >= ADAPTER_LINES) {
        adapter_log.hidden++;
        return;
    }
    adapter_log.shown++;
    adapter_hidden_line();
    printf("adapter  %s %s %s%s%s\n", sio_nsp_name(n), what, room, sid ? " " : "", sid ? sid : "");
    fflush(stdout);
}

static int setup_chat(eio_server *eio, const options *o, sio_server **out, char *err, size_t errlen)
{
    sio_config sc = {
        .recovery = 1, .recovery_window_ms = (unsigned)o->window, .recovery_capacity = o->capacity};
    sio_limits(o, &sc);
    sio_server *srv = sio_server_new(eio, "/socket.io/", &sc, err, errlen);
    if (srv == NULL)
        return -1;
    /* two namespaces with the same events: one Engine.IO session can carry both, and rooms,
     * broadcasts and announcements stay inside their namespace */
    const char *names[] = {"/", "/news"};
    for (int i = 0; i < 2; i++) {
        sio_nsp *n = sio_of(srv, names[i]);
        if (n == NULL) {
            snprintf(err, errlen, "out of memory creating namespace %s", names[i]);
            return -1;
        }
        sio_on_connection(n, chat_connection, NULL);
        sio_on_disconnecting(n, chat_disconnecting, NULL);
        sio_on_disconnect(n, chat_disconnect, NULL);
        sio_on_adapter(n, chat_adapter, NULL);
        sio_on(n, "join", chat_join, NULL);
        sio_on(n, "leave", chat_leave, NULL);
        sio_on(n, "say", chat_say, NULL);
        sio_on(n, "typing", chat_typing, NULL);
        sio_on(n, "shout", chat_shout, NULL);
        sio_on(n, "announce", chat_announce, NULL);
        sio_on(n, "echo", chat_echo, NULL);
        sio_on(n, "drop", chat_drop, NULL);
        sio_on(n, "ask", chat_ask, NULL);
        sio_on(n, "goodbye", chat_goodbye, NULL);
        sio_on(n, "reserved", chat_reserved, NULL);
    }
    *out = srv;
    return 0;
}

/* ---- the client library and the page ---- */

/* socket.io.min.js from next to this program (the build copies it there), else NULL. */
static char *load_client_js(size_t *len)
{
    char path[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", path, sizeof path - 32);
    if (n <= 0)
        return NULL;
    path[n] = '\0';
    char *slash = strrchr(path, '/');
    if (slash == NULL)
        return NULL;
    strcpy(slash + 1, "socket.io.min.js");
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    char *data = NULL;
    if (fseek(f, 0, SEEK_END) == 0) {
        long size = ftell(f);
        if (size > 0 && size < 16L * 1024 * 1024 && fseek(f, 0, SEEK_SET) == 0 &&
            (data = malloc((size_t)size)) != NULL &&
            fread(data, 1, (size_t)size, f) != (size_t)size) {
            free(data);
            data = NULL;
        }
        *len = size > 0 ? (size_t)size : 0;
    }
    fclose(f);
    return data;
}

/* A check every 50 ms while stopping: done when every connection is gone and Redis has
 * answered the adapter's last commands, or at the grace time's end (a client that never
 * answers our close does not keep us running). */
typedef struct stopping {
    eio_server *eio;
    const chat_cluster *cluster; /* NULL without --adapter */
    uint64_t deadline;
} stopping;

static int stopped(const stopping *st)
{
    return eio_server_conns(st->eio) == 0 && !chat_cluster_busy(st->cluster);
}

static void check_stopped(loop *l, void *arg)
{
    const stopping *st = arg;
    if (stopped(st) || loop_now_ms() >= st->deadline)
        loop_stop(l);
}

/*
 * SIGTERM or Ctrl-C: every client hears it. Each session closes (a WebSocket gets a close
 * frame 1001 "going away", a held GET is answered with a close packet), and the loop runs on
 * for up to 2 s so those bytes go out and the clients' close frames and FINs come back;
 * requests meanwhile get 503. With --adapter it also runs until Redis has answered the last
 * PUBLISHes and the sessions the closing sockets handed over (SET sio:session:...: with the
 * streams adapter their clients recover on another server). Only then is the loop freed.
 */
static void stop_gracefully(eio_server *eio, const chat_cluster *cluster, loop *l)
{
    stopping st = {eio, cluster, loop_now_ms() + 2000};
    eio_server_close_all(eio);
    if (!stopped(&st) && loop_add_timer(l, 50, check_stopped, &st) == 0)
        loop_run(l); /* (a second signal ends it at once) */
}

int main(int argc, char **argv)
{
    options o;
    char err[NET_ERR_LEN];
    int args = parse_args(argc, argv, &o, err, sizeof err);
    int status = args_exit_status(args, "events_server", err, usage);
    if (status >= 0)
        return status; /* 0 after --help, 2 after a mistake (said on stderr with the usage) */
    eio_config ec = {.ping_interval_ms = o.suite ? 300 : (unsigned)o.ping_interval,
                     .ping_timeout_ms = o.suite ? 200 : (unsigned)o.ping_timeout,
                     .max_payload = 1000000,
                     .cors_origin = o.suite ? "*" : NULL,
                     .verbose = o.verbose,
                     .max_queue = o.max_queue,
                     .max_sessions = o.max_sessions,
                     .max_handshakes = (unsigned)o.max_handshakes,
                     .head_timeout_ms = (unsigned)o.head_timeout};
    eio_server *eio = eio_server_new(&ec, err, sizeof err);
    sio_server *sio = NULL;
    if (eio == NULL || (o.suite ? setup_suite(eio, &o, &sio, err, sizeof err)
                                : setup_chat(eio, &o, &sio, err, sizeof err)) < 0) {
        fprintf(stderr, "events_server: cannot set up the server: %s\n", err);
        return 1;
    }
    size_t js_len = 0;
    char *js = o.suite ? NULL : load_client_js(&js_len);
    if (!o.suite) {
        eio_server_add_static(eio, "/", "text/html; charset=UTF-8", chat_page, chat_page_len);
        if (js)
            eio_server_add_static(eio, "/socket.io.min.js", "application/javascript", js, js_len);
        else
            fprintf(stderr, "events_server: socket.io.min.js is not next to this program, so the "
                            "chat page cannot load the Socket.IO client; run `npm ci` in tests/ "
                            "and rebuild (the build copies it from the npm package)\n");
    }
    int fd = net_listen(o.bind, o.port, SOMAXCONN, err, sizeof err);
    loop_config lc = {.user = eio,
                      .in_max = 2 * 1000000 + 16384,
                      .max_conns = o.max_conns ? o.max_conns : EIO_DEFAULT_MAX_CONNS,
                      .max_conns_flag = "--max-conns"};
    loop *l = fd < 0 ? NULL : loop_new(&lc, eio_loop_handlers(), err, sizeof err);
    if (l)
        loop_on_refuse(l, eio_refuse); /* over --max-conns: HTTP 503, logged by the loop */
    int ok = fd >= 0 && l && loop_add_listener(l, fd, err, sizeof err) == 0 &&
             loop_stop_on_signals(l, err, sizeof err) == 0;
    if (ok && eio_server_attach(eio, l) < 0) { /* the loop's first timer: it cannot be full */
        snprintf(err, sizeof err, "the loop refused the heartbeat timer");
        ok = 0;
    }
    if (!ok) {
        /* err says it: net_listen's, loop_new's or the loop's sentence */
        fprintf(stderr, "events_server: %s%s\n",
                fd < 0 ? "" : "cannot start the event loop: ", err);
        if (l)
            loop_free(l);
        sio_server_free(sio);
        eio_server_free(eio);
        free(js);
        return 1;
    }
    chat_cluster *cluster = NULL; /* --adapter: Redis down at start is an error, said here */
    if (o.adapter && (cluster = chat_cluster_start(l, sio, o.adapter, err, sizeof err)) == NULL) {
        fprintf(stderr, "events_server: %s\n", err);
        loop_free(l);
        sio_server_free(sio);
        eio_server_free(eio);
        free(js);
        return 1;
    }
    printf("events_server: listening on %s port %d (%s demo); open "
           "http://127.0.0.1:%d/ ; stop with Ctrl-C\n",
           o.bind, net_local_port(fd), o.suite ? "protocol-suite" : "chat", net_local_port(fd));
    fflush(stdout);
    int rc = loop_run(l);
    if (rc == 0)
        stop_gracefully(eio, cluster, l);
    chat_cluster_stop(cluster); /* before the loop: its sockets are on it */
    loop_free(l);
    sio_server_free(sio);
    eio_server_free(eio);
    free(js);
    printf("events_server: stopped\n");
    return rc == 0 ? 0 : 1;
}
