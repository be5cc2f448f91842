/*
 * test_sio_server.c - the Socket.IO server's emits, packet by packet: to several rooms at once,
 * with except() rooms, and volatile. The real eio_server + sio_server run on the shared loop;
 * each client is a socketpair whose far end the test holds, writing the WebSocket upgrade and
 * masked frames by hand and reading the frames the server sends (no network involved).
 *
 * What it teaches: what socket.io's io.to(["a","b"]).except("c").emit(...) and .volatile
 * promise, checked on the bytes each client receives:
 *   - a socket in two of the target rooms receives the event ONCE;
 *   - members of an excepted room receive nothing, even when also in a target room;
 *   - a volatile event carries no recovery offset, is not replayed to a socket that recovers,
 *     and is skipped for a client whose outgoing queue is over the limit;
 *   - "disconnecting" comes while the socket is in its rooms, "disconnect" after it left them;
 *   - a malformed packet closes the connection with a reason that says what was wrong;
 *   - a socket's rooms stay in join order through leaves, and max_rooms caps them;
 *   - at most SIO_MAX_SAVED dropped sockets are kept for recovery: one that drops while the
 *     table is full comes back as new; and at most SIO_MAX_ACKS ack requests wait per socket.
 * Run: build/tests/test_sio_server
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include <cjson/cJSON.h>

#include "eio_server.h"
#include "loop.h"
#include "net.h"
#include "sio_internal.h" /* SIO_MAX_SAVED, SIO_MAX_ACKS, sio_save_session */
#include "sio_packet.h"
#include "sio_server.h"
#include "ws_frame.h"

#define MAX_SOCKS 8
#define MAX_MSGS  64

/* One test client: the test's end of a socketpair and the text frames it has received. */
typedef struct tclient {
    int fd;
    uint8_t in[1 << 20]; /* room for the 256 KiB event of the volatile test */
    size_t in_len;
    int upgraded;
    char *msgs[MAX_MSGS]; /* text frame payloads, in order */
    size_t nmsgs;
    sio_socket *sock; /* the server's socket for this client */
} tclient;

static struct {
    loop *l;
    eio_server *eio;
    sio_server *sio;
    sio_nsp *nsp;
    sio_socket *connected[MAX_SOCKS]; /* in connection order */
    size_t nconnected;
} h;

static void stop_tick(loop *l, void *arg)
{
    (void)arg;
    loop_stop(l);
}

static void on_connection(sio_socket *s, void *user)
{
    (void)user;
    if (h.nconnected < MAX_SOCKS)
        h.connected[h.nconnected++] = s;
}

static int setup(void **state)
{
    (void)state;
    char err[128];
    memset(&h, 0, sizeof h);
    eio_config ec = {0};
    h.eio = eio_server_new(&ec, err, sizeof err);
    sio_config sc = {.recovery = 1};
    h.sio = sio_server_new(h.eio, "/socket.io/", &sc, err, sizeof err);
    assert_non_null(h.sio);
    h.nsp = sio_of(h.sio, "/");
    sio_on_connection(h.nsp, on_connection, NULL);
    loop_config lc = {.user = h.eio};
    h.l = loop_new(&lc, eio_loop_handlers(), err, sizeof err);
    assert_non_null(h.l);
    assert_int_equal(eio_server_attach(h.eio, h.l), 0);
    assert_int_equal(loop_add_timer(h.l, 5, stop_tick, NULL), 0); /* loop_run: one 5 ms slice */
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    loop_free(h.l);
    sio_server_free(h.sio);
    eio_server_free(h.eio);
    return 0;
}

static void pump(int slices)
{
    for (int i = 0; i < slices; i++)
        assert_int_equal(loop_run(h.l), 0);
}

static void fixed_key(void *user, uint8_t key[4])
{
    (void)user;
    memcpy(key, "\x11\x22\x33\x44", 4);
}

static void send_text(tclient *c, const char *text)
{
    uint8_t frame[1024];
    size_t n = ws_encode_frame(frame, sizeof frame, 1, WS_OP_TEXT, (const uint8_t *)text,
                               strlen(text), fixed_key, NULL);
    assert_true(n > 0);
    assert_int_equal(send(c->fd, frame, n, 0), (ssize_t)n);
}

/* Read what the server sent; keep each whole text frame's payload as a string. */
static void take(tclient *c)
{
    ssize_t r;
    while (c->in_len < sizeof c->in &&
           (r = recv(c->fd, c->in + c->in_len, sizeof c->in - c->in_len, MSG_DONTWAIT)) > 0)
        c->in_len += (size_t)r;
    size_t at = 0;
    if (!c->upgraded) {
        size_t end = 0;
        while (end + 4 <= c->in_len && memcmp(c->in + end, "\r\n\r\n", 4) != 0)
            end++;
        if (end + 4 > c->in_len)
            return; /* the response head is not complete yet */
        assert_memory_equal(c->in, "HTTP/1.1 101", 12);
        c->upgraded = 1;
        at = end + 4;
    }
    ws_frame_header fh;
    while (ws_frame_describe(c->in + at, c->in_len - at, &fh, NULL) == WS_HDR_OK &&
           fh.payload_len <= c->in_len - at - fh.header_len) {
        if (fh.opcode == WS_OP_TEXT) {
            assert_true(c->nmsgs < MAX_MSGS);
            c->msgs[c->nmsgs++] =
                strndup((const char *)c->in + at + fh.header_len, (size_t)fh.payload_len);
        }
        at += fh.header_len + (size_t)fh.payload_len;
    }
    memmove(c->in, c->in + at, c->in_len - at);
    c->in_len -= at;
}

static void forget(tclient *c)
{
    for (size_t i = 0; i < c->nmsgs; i++)
        free(c->msgs[i]);
    c->nmsgs = 0;
}

/* The received messages that start with prefix. */
static size_t count(const tclient *c, const char *prefix)
{
    size_t n = 0;
    for (size_t i = 0; i < c->nmsgs; i++)
        n += strncmp(c->msgs[i], prefix, strlen(prefix)) == 0;
    return n;
}

static const char *find(const tclient *c, const char *prefix)
{
    for (size_t i = 0; i < c->nmsgs; i++)
        if (strncmp(c->msgs[i], prefix, strlen(prefix)) == 0)
            return c->msgs[i];
    return NULL;
}

/* Open a WebSocket session and CONNECT to "/" with connect_json ("" for none). sndbuf > 0
 * shrinks the server side's socket send buffer, so its outgoing queue fills quickly. */
static tclient *open_client(const char *connect_json, int sndbuf)
{
    int sv[2];
    tclient *c = calloc(1, sizeof *c);
    assert_non_null(c);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    if (sndbuf > 0)
        setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
    assert_non_null(loop_add_conn(h.l, sv[0]));
    c->fd = sv[1];
    const char *req = "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: t\r\n"
                      "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                      "Sec-WebSocket-Version: 13\r\n\r\n";
    assert_int_equal(send(c->fd, req, strlen(req), 0), (ssize_t)strlen(req));
    for (int i = 0; i < 100 && count(c, "0{") == 0; i++) {
        pump(1);
        take(c);
    }
    assert_int_equal(count(c, "0{"), 1); /* Engine.IO open */
    char connect[512];
    snprintf(connect, sizeof connect, "40%s", connect_json);
    size_t before = h.nconnected;
    send_text(c, connect);
    for (int i = 0; i < 100 && count(c, "40{") == 0; i++) {
        pump(1);
        take(c);
    }
    assert_int_equal(count(c, "40{"), 1); /* Socket.IO CONNECT answered */
    assert_int_equal(h.nconnected, before + 1);
    c->sock = h.connected[before];
    return c;
}

static void close_client(tclient *c)
{
    if (c->fd >= 0)
        close(c->fd);
    forget(c);
    free(c);
}

/* Let the server's bytes arrive at every client. */
static void settle(tclient **cs, size_t n)
{
    for (int round = 0; round < 5; round++) {
        pump(1);
        for (size_t i = 0; i < n; i++)
            take(cs[i]);
    }
}

static void a_socket_in_two_target_rooms_receives_once(void **state)
{
    (void)state;
    tclient *a = open_client("", 0), *b = open_client("", 0), *c = open_client("", 0),
            *d = open_client("", 0);
    tclient *all[] = {a, b, c, d};
    sio_join(a->sock, "r1");
    sio_join(a->sock, "r2");
    sio_join(b->sock, "r1");
    sio_join(c->sock, "r2");
    sio_join(d->sock, "elsewhere");
    settle(all, 4);
    for (size_t i = 0; i < 4; i++)
        forget(all[i]);
    const char *rooms[] = {"r1", "r2", "r1"}; /* a room named twice changes nothing */
    sio_target t = {.rooms = rooms, .nrooms = 3};
    assert_int_equal(sio_emit_target(h.nsp, &t, "hi", NULL, NULL, 0), 3);
    settle(all, 4);
    assert_int_equal(count(a, "42[\"hi\""), 1); /* in r1 AND r2: once */
    assert_int_equal(count(b, "42[\"hi\""), 1);
    assert_int_equal(count(c, "42[\"hi\""), 1);
    assert_int_equal(count(d, "42[\"hi\""), 0);
    for (size_t i = 0; i < 4; i++)
        close_client(all[i]);
}

static void members_of_an_excepted_room_receive_nothing(void **state)
{
    (void)state;
    tclient *a = open_client("", 0), *b = open_client("", 0), *c = open_client("", 0),
            *d = open_client("", 0);
    tclient *all[] = {a, b, c, d};
    sio_join(a->sock, "r1");
    sio_join(b->sock, "r1");
    sio_join(b->sock, "muted");
    sio_join(c->sock, "muted");
    settle(all, 4);
    for (size_t i = 0; i < 4; i++)
        forget(all[i]);
    const char *to[] = {"r1"}, *except[] = {"muted"};
    sio_target t = {.rooms = to, .nrooms = 1, .except = except, .nexcept = 1};
    assert_int_equal(sio_emit_target(h.nsp, &t, "room", NULL, NULL, 0), 1);
    sio_target everyone = {.except = except, .nexcept = 1}; /* io.except("muted").emit */
    assert_int_equal(sio_emit_target(h.nsp, &everyone, "all", NULL, NULL, 0), 2);
    sio_target others = {.except = except, .nexcept = 1, .except_socket = a->sock};
    assert_int_equal(sio_emit_target(h.nsp, &others, "others", NULL, NULL, 0), 1);
    settle(all, 4);
    assert_int_equal(count(a, "42[\"room\""), 1);
    assert_int_equal(count(b, "42[\"room\""), 0); /* in r1, but also in muted */
    assert_int_equal(count(c, "42[\"room\""), 0);
    assert_int_equal(count(d, "42[\"room\""), 0);
    assert_int_equal(count(a, "42[\"all\""), 1);
    assert_int_equal(count(b, "42[\"all\""), 0);
    assert_int_equal(count(c, "42[\"all\""), 0);
    assert_int_equal(count(d, "42[\"all\""), 1);
    assert_int_equal(count(a, "42[\"others\""), 0); /* the sender, left out */
    assert_int_equal(count(d, "42[\"others\""), 1);
    for (size_t i = 0; i < 4; i++)
        close_client(all[i]);
}

/* The string value of key in the JSON after a packet's prefix (static buffer). */
static const char *json_field(const char *packet, size_t skip, const char *key)
{
    static char out[64];
    cJSON *o = cJSON_Parse(packet + skip);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    snprintf(out, sizeof out, "%s", cJSON_IsString(v) ? v->valuestring : "");
    cJSON_Delete(o);
    return out;
}

/* The recovery offset: the last argument of a logged event ("42[...,"17"]"). */
static const char *last_arg(const char *packet)
{
    static char out[32];
    cJSON *a = cJSON_Parse(packet + 2);
    const cJSON *v = cJSON_GetArrayItem(a, cJSON_GetArraySize(a) - 1);
    snprintf(out, sizeof out, "%s", cJSON_IsString(v) ? v->valuestring : "");
    cJSON_Delete(a);
    return out;
}

static void a_volatile_event_is_not_replayed_on_recovery(void **state)
{
    (void)state;
    tclient *a = open_client("", 0), *b = open_client("", 0);
    tclient *both[] = {a, b};
    char pid[64], sid[64], offset[32];
    snprintf(pid, sizeof pid, "%s", json_field(find(a, "40{"), 2, "pid"));
    snprintf(sid, sizeof sid, "%s", sio_socket_id(a->sock));
    sio_join(a->sock, "r");
    sio_join(b->sock, "r");
    const char *r[] = {"r"};
    sio_target logged = {.rooms = r, .nrooms = 1};
    sio_target vol = {.rooms = r, .nrooms = 1, .flags = SIO_VOLATILE};
    assert_int_equal(sio_emit_target(h.nsp, &logged, "before", NULL, NULL, 0), 2);
    settle(both, 2);
    snprintf(offset, sizeof offset, "%s", last_arg(find(a, "42[\"before\"")));
    assert_true(offset[0] != '\0');
    close(a->fd); /* the network fails: "transport close", the socket is kept for recovery */
    a->fd = -1;
    pump(3);
    assert_int_equal(sio_emit_target(h.nsp, &vol, "hint", NULL, NULL, 0), 1);
    assert_int_equal(sio_emit_target(h.nsp, &logged, "missed", NULL, NULL, 0), 1);
    settle(both, 2);
    assert_string_equal(find(b, "42[\"hint\""), "42[\"hint\"]"); /* no offset: not logged */
    char auth[160];
    snprintf(auth, sizeof auth, "{\"pid\":\"%s\",\"offset\":\"%s\"}", pid, offset);
    tclient *again = open_client(auth, 0);
    tclient *one[] = {again};
    settle(one, 1);
    assert_true(sio_socket_recovered(again->sock));
    assert_string_equal(sio_socket_id(again->sock), sid);
    assert_int_equal(count(again, "42[\"missed\""), 1); /* the logged one is replayed */
    assert_int_equal(count(again, "42[\"hint\""), 0);   /* the volatile one is not */
    assert_int_equal(count(again, "42[\"before\""), 0); /* nor what it had already seen */
    close_client(a);
    close_client(b);
    close_client(again);
}

static void a_volatile_event_is_dropped_for_a_client_behind(void **state)
{
    (void)state;
    tclient *slow = open_client("", 4096), *fast = open_client("", 0);
    tclient *both[] = {slow, fast};
    sio_join(slow->sock, "r");
    sio_join(fast->sock, "r");
    settle(both, 2);
    /* 256 KiB to the slow client, which reads nothing for now: the kernel's buffers fill and
     * the rest waits in the server's queue for it */
    size_t big = 256 * 1024;
    char *args = malloc(big + 5); /* ["xxx...x"] */
    memset(args, 'x', big + 4);
    memcpy(args, "[\"", 2);
    memcpy(args + big + 2, "\"]", 3);
    assert_int_equal(sio_emit(slow->sock, "bulk", args), 0);
    free(args);
    pump(1);
    const char *r[] = {"r"};
    sio_target vol = {.rooms = r, .nrooms = 1, .flags = SIO_VOLATILE};
    assert_int_equal(sio_emit_target(h.nsp, &vol, "hint", NULL, NULL, 0), 1); /* fast only */
    assert_int_equal(sio_emit_volatile(slow->sock, "tick", NULL), 0);         /* dropped */
    assert_int_equal(sio_emit_volatile(fast->sock, "tick", NULL), 1);         /* sent */
    sio_target logged = {.rooms = r, .nrooms = 1};
    assert_int_equal(sio_emit_target(h.nsp, &logged, "after", NULL, NULL, 0), 2); /* queued */
    for (int i = 0; i < 200 && count(slow, "42[\"after\"") == 0; i++)
        settle(both, 2); /* now the slow client reads everything */
    assert_int_equal(count(slow, "42[\"bulk\""), 1);
    assert_int_equal(count(slow, "42[\"after\""), 1);
    assert_int_equal(count(slow, "42[\"hint\""), 0);
    assert_int_equal(count(slow, "42[\"tick\""), 0);
    assert_int_equal(count(fast, "42[\"hint\""), 1);
    assert_int_equal(count(fast, "42[\"tick\""), 1);
    close_client(slow);
    close_client(fast);
}

/* What the disconnect handlers saw, in order: "disconnecting:<reason>:<rooms>:<in lobby>",
 * then "disconnect:<reason>:<rooms>:<emit result>". */
static char seen[4][160];
static size_t nseen;

static void on_disconnecting(sio_socket *s, const char *reason, void *user)
{
    (void)user;
    if (nseen < 4)
        snprintf(seen[nseen++], sizeof seen[0], "disconnecting:%s:%zu:%d", reason,
                 sio_socket_nrooms(s), sio_in_room(s, "lobby"));
}

static void on_disconnect(sio_socket *s, const char *reason, void *user)
{
    (void)user;
    if (nseen < 4)
        snprintf(seen[nseen++], sizeof seen[0], "disconnect:%s:%zu:%d", reason,
                 sio_socket_nrooms(s), sio_emit(s, "late", NULL));
}

static void watch_disconnects(void)
{
    nseen = 0;
    sio_on_disconnecting(h.nsp, on_disconnecting, NULL);
    sio_on_disconnect(h.nsp, on_disconnect, NULL);
}

/* socket.io's order: "disconnecting" while still in the rooms, then "disconnect" with every
 * room left and the socket no longer reachable. */
static void disconnecting_in_rooms_then_disconnect_with_rooms_left(void **state)
{
    (void)state;
    watch_disconnects();
    tclient *a = open_client("", 0);
    sio_join(a->sock, "lobby");
    send_text(a, "41");
    settle(&a, 1);
    assert_int_equal(nseen, 2);
    assert_string_equal(seen[0], "disconnecting:client namespace disconnect:2:1");
    assert_string_equal(seen[1], "disconnect:client namespace disconnect:0:-21"); /* CLOSED */
    close_client(a);
}

/* A malformed packet closes the session, and the reason says what was wrong with it. */
static void a_malformed_packet_closes_with_its_reason(void **state)
{
    (void)state;
    watch_disconnects();
    tclient *a = open_client("", 0);
    send_text(a, "42[\"x\",");
    settle(&a, 1);
    assert_int_equal(nseen, 2);
    assert_string_equal(seen[1], "disconnect:forced close: packet data is not valid JSON:0:-21");
    close_client(a);
}

/*
 * Out of memory while answering: the client must not wait for an ack that never comes. The
 * test's malloc (linked in front of the library's with --wrap=malloc) fails once, on the next
 * call after fail_next_malloc is set: sio_ack cannot encode its packet, says SIO_E_NOMEM, and
 * the session closes in the next round with that reason.
 */
static int fail_next_malloc;
void *__real_malloc(size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_malloc(size_t n)
{
    if (fail_next_malloc) {
        fail_next_malloc = 0;
        return NULL;
    }
    return __real_malloc(n);
}

static void out_of_memory_closes_with_the_reason(void **state)
{
    (void)state;
    watch_disconnects();
    tclient *a = open_client("", 0);
    fail_next_malloc = 1;
    assert_int_equal(sio_ack(a->sock, 7, "[\"ok\"]", NULL, 0), SIO_E_NOMEM);
    assert_int_equal(fail_next_malloc, 0); /* the one malloc was the packet's */
    assert_int_equal(nseen, 0);            /* not at once: the caller still holds the socket */
    settle(&a, 1);
    assert_int_equal(nseen, 2);
    assert_string_equal(seen[1], "disconnect:out of memory encoding a Socket.IO packet:0:-21");
    close_client(a);
}

/* A path the Engine.IO server cannot serve is refused with a reason, never a bare NULL. */
static void mount_failures_say_why(void **state)
{
    (void)state;
    char err[NET_ERR_LEN] = "";
    eio_config ec = {0};
    eio_server *eio = eio_server_new(&ec, err, sizeof err);
    assert_non_null(eio);
    static const eio_handlers none = {NULL, NULL, NULL};
    char long_path[100];
    memset(long_path, 'a', sizeof long_path - 1);
    long_path[sizeof long_path - 1] = '\0';
    assert_int_equal(eio_server_mount(eio, long_path, &none, NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, "a path must be under 64 bytes"));
    const char *paths[] = {"/a/", "/b/", "/c/"};
    for (int i = 0; i < 3; i++)
        assert_int_equal(eio_server_mount(eio, paths[i], &none, NULL, err, sizeof err), 0);
    sio_config sc = {0};
    sio_server *sio = sio_server_new(eio, "/socket.io/", &sc, err, sizeof err); /* the 4th */
    assert_non_null(sio);
    assert_null(sio_server_new(eio, "/more/", &sc, err, sizeof err));
    assert_string_equal(err, "cannot serve /more/: the server has its 4 paths already");
    sio_server_free(sio);
    eio_server_free(eio);
}

/* socket.rooms in join order (its own room first), kept through a leave; the cap of rooms per
 * socket (sio_config.max_rooms, 1000 by default, its own room counted) refuses the next. */
static void rooms_keep_join_order_and_are_capped(void **state)
{
    (void)state;
    tclient *a = open_client("", 0);
    char name[32];
    for (int i = 0; i < 999; i++) {
        snprintf(name, sizeof name, "r%d", i);
        assert_int_equal(sio_join(a->sock, name), 0);
    }
    assert_int_equal(sio_socket_nrooms(a->sock), 1000);
    assert_int_equal(sio_join(a->sock, "one-too-many"), SIO_E_FULL);
    assert_int_equal(sio_join(a->sock, "r7"), 0); /* already in it: still fine */
    assert_false(sio_in_room(a->sock, "one-too-many"));
    assert_string_equal(sio_socket_room(a->sock, 0), sio_socket_id(a->sock));
    assert_int_equal(sio_leave(a->sock, "r5"), 0);
    assert_false(sio_in_room(a->sock, "r5"));
    assert_true(sio_in_room(a->sock, "r6"));
    for (size_t i = 1; i < sio_socket_nrooms(a->sock); i++) {
        snprintf(name, sizeof name, "r%zu", i <= 5 ? i - 1 : i);
        assert_string_equal(sio_socket_room(a->sock, i), name);
    }
    assert_int_equal(sio_join(a->sock, "one-more"), 0); /* a place is free again */
    assert_string_equal(sio_socket_room(a->sock, 999), "one-more");
    close_client(a);
}

/* The recovery table is full (filled here by saving b again and again, as SIO_MAX_SAVED
 * clients dropping would): a's drop is not kept, and a comes back as a new socket. */
static void saved_sockets_are_capped(void **state)
{
    (void)state;
    tclient *a = open_client("", 0), *b = open_client("", 0);
    char pid[64], auth[160];
    snprintf(pid, sizeof pid, "%s", json_field(find(a, "40{"), 2, "pid"));
    for (int i = 0; i < SIO_MAX_SAVED + 5; i++)
        sio_save_session(b->sock);
    assert_int_equal(h.sio->nsaved, SIO_MAX_SAVED);
    close(a->fd); /* the network fails: "transport close", recoverable, but no room */
    a->fd = -1;
    pump(3);
    assert_int_equal(h.sio->nsaved, SIO_MAX_SAVED);
    snprintf(auth, sizeof auth, "{\"pid\":\"%s\",\"offset\":\"0\"}", pid);
    tclient *again = open_client(auth, 0);
    assert_false(sio_socket_recovered(again->sock));
    close_client(a);
    close_client(b);
    close_client(again);
}

static void answered(sio_socket *s, const sio_msg *m, void *user)
{
    (void)s;
    (void)m;
    (*(int *)user)++;
}

/* A client that never answers: SIO_MAX_ACKS requests wait, the next is refused; an answer
 * makes room for one more. */
static void unanswered_acks_are_capped(void **state)
{
    (void)state;
    tclient *a = open_client("", 0);
    int got = 0;
    for (int i = 0; i < SIO_MAX_ACKS; i++)
        assert_int_equal(sio_emit_ack(a->sock, "q", NULL, answered, &got), 0);
    assert_int_equal(sio_emit_ack(a->sock, "q", NULL, answered, &got), SIO_E_FULL);
    send_text(a, "430[]"); /* the answer to the first request (ids count from 0 per namespace) */
    pump(2);
    assert_int_equal(got, 1);
    assert_int_equal(sio_emit_ack(a->sock, "q", NULL, answered, &got), 0);
    assert_int_equal(sio_emit_ack(a->sock, "q", NULL, answered, &got), SIO_E_FULL);
    close_client(a);
}

/* The reasons a dropped socket is kept for recovery are socket.io's
 * RECOVERABLE_DISCONNECT_REASONS that events_server has: an accident, or the server stopping
 * (its clients reconnect, maybe to another server of a cluster: lab 10); never a goodbye. */
static void recoverable_reasons_are_socketios(void **state)
{
    (void)state;
    assert_true(sio_recoverable("transport close"));
    assert_true(sio_recoverable("transport error"));
    assert_true(sio_recoverable("ping timeout"));
    assert_true(sio_recoverable("server shutting down"));
    assert_false(sio_recoverable("client namespace disconnect"));
    assert_false(sio_recoverable("server namespace disconnect"));
    assert_false(sio_recoverable("parse error"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_socket_in_two_target_rooms_receives_once, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(members_of_an_excepted_room_receive_nothing, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_volatile_event_is_not_replayed_on_recovery, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_volatile_event_is_dropped_for_a_client_behind, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(disconnecting_in_rooms_then_disconnect_with_rooms_left,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(a_malformed_packet_closes_with_its_reason, setup, teardown),
        cmocka_unit_test_setup_teardown(out_of_memory_closes_with_the_reason, setup, teardown),
        cmocka_unit_test(mount_failures_say_why),
        cmocka_unit_test_setup_teardown(rooms_keep_join_order_and_are_capped, setup, teardown),
        cmocka_unit_test_setup_teardown(saved_sockets_are_capped, setup, teardown),
        cmocka_unit_test_setup_teardown(unanswered_acks_are_capped, setup, teardown),
        cmocka_unit_test(recoverable_reasons_are_socketios),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
