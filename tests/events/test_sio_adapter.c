/*
 * test_sio_adapter.c - the seam between the Socket.IO server and other servers (events/
 * sio_adapter.h), with a fake adapter that records what it is handed: no Redis, no sockets.
 *
 * What it teaches: which emits a cluster adapter must publish. Every emit to rooms or to the
 * namespace goes to the adapter once, with its target, event and arguments as given (the
 * recovery offset is this server's own business and is not in them); an emit with SIO_LOCAL
 * (what the adapter itself uses to deliver another server's broadcast) does not, or every
 * broadcast would echo around the cluster forever; a refused emit does not either.
 * Run: build/tests/test_sio_adapter
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "eio_server.h"
#include "sio_adapter.h"
#include "sio_server.h"

typedef struct record {
    int calls;
    char event[32], args[64];
    size_t nrooms, nexcept, nbins;
    unsigned flags;
    const sio_nsp *nsp;
} record;

static void fake_broadcast(void *self, sio_nsp *n, const sio_target *t, const char *event,
                           const char *args, const sio_bin *bins, size_t nbins)
{
    record *r = self;
    (void)bins;
    r->calls++;
    strncpy(r->event, event, sizeof r->event - 1);
    strncpy(r->args, args ? args : "", sizeof r->args - 1);
    r->nrooms = t->nrooms;
    r->nexcept = t->nexcept;
    r->nbins = nbins;
    r->flags = t->flags;
    r->nsp = n;
}

static void emits_to_rooms_reach_the_adapter_once(void **state)
{
    (void)state;
    char err[128];
    eio_config ec = {0};
    eio_server *eio = eio_server_new(&ec, err, sizeof err);
    sio_config sc = {.recovery = 1}; /* offsets are added for local clients only */
    sio_server *srv = sio_server_new(eio, "/socket.io/", &sc, err, sizeof err);
    assert_non_null(srv);
    sio_nsp *n = sio_of(srv, "/news");
    record r = {0};
    sio_adapter a = {.broadcast = fake_broadcast, .self = &r};
    sio_set_adapter(srv, &a);
    assert_ptr_equal(sio_adapter_self(n), &r);

    const char *rooms[] = {"a", "b"}, *except[] = {"c"};
    sio_target t = {.rooms = rooms, .nrooms = 2, .except = except, .nexcept = 1};
    assert_int_equal(sio_emit_target(n, &t, "ev", "[1,\"x\"]", NULL, 0), 0); /* no sockets */
    assert_int_equal(r.calls, 1);
    assert_string_equal(r.event, "ev");
    assert_string_equal(r.args, "[1,\"x\"]");
    assert_int_equal(r.nrooms, 2);
    assert_int_equal(r.nexcept, 1);
    assert_ptr_equal(r.nsp, n);

    sio_bin bin = {(const uint8_t *)"\x01", 1};
    assert_int_equal(sio_emit_to(n, NULL, NULL, "all", "[" SIO_PLACEHOLDER(0) "]", &bin, 1), 0);
    assert_int_equal(r.calls, 2);
    assert_int_equal(r.nrooms, 0);
    assert_int_equal(r.nbins, 1);

    t.flags = SIO_LOCAL; /* another server's broadcast, delivered here: not published again */
    assert_int_equal(sio_emit_target(n, &t, "ev", "[]", NULL, 0), 0);
    assert_int_equal(r.calls, 2);

    t.flags = SIO_VOLATILE; /* volatile is published, with its flag */
    sio_emit_target(n, &t, "ev", "[]", NULL, 0);
    assert_int_equal(r.calls, 3);
    assert_int_equal(r.flags, SIO_VOLATILE);

    t.flags = 0; /* refused emits are not published */
    assert_int_equal(sio_emit_target(n, &t, "connect", "[]", NULL, 0), SIO_E_RESERVED);
    assert_int_equal(sio_emit_target(n, &t, "ev", "{}", NULL, 0), SIO_E_ARGS);
    assert_int_equal(r.calls, 3);

    sio_set_adapter(srv, NULL); /* back to this process only */
    sio_emit_target(n, &t, "ev", "[]", NULL, 0);
    assert_int_equal(r.calls, 3);
    assert_null(sio_adapter_self(n));

    sio_server_free(srv);
    eio_server_free(eio);
}

/* An adapter that publishes first (adapter_streams.c: the stream gives each event its offset)
 * is handed every emit to rooms instead of the local delivery, and then delivers it itself
 * with SIO_LOCAL and the offset, which it is not handed again. */
static void an_adapter_that_publishes_first_gets_every_emit(void **state)
{
    (void)state;
    char err[128];
    eio_config ec = {0};
    eio_server *eio = eio_server_new(&ec, err, sizeof err);
    sio_config sc = {.recovery = 1};
    sio_server *srv = sio_server_new(eio, "/socket.io/", &sc, err, sizeof err);
    sio_nsp *n = sio_of(srv, "/");
    record r = {0};
    sio_adapter a = {.publish_first = fake_broadcast, .self = &r}; /* no broadcast hook */
    sio_set_adapter(srv, &a);
    const char *rooms[] = {"a"};
    sio_target t = {.rooms = rooms, .nrooms = 1};
    assert_int_equal(sio_emit_target(n, &t, "ev", "[2]", NULL, 0), 0); /* delivered later */
    assert_int_equal(r.calls, 1);
    assert_string_equal(r.args, "[2]");
    t.flags = SIO_LOCAL; /* its own delivery, with the entry's id */
    t.offset = "1796371702024-0";
    assert_int_equal(sio_emit_target(n, &t, "ev", "[2]", NULL, 0), 0);
    assert_int_equal(r.calls, 1);
    t.flags = 0; /* refused emits are not handed over either */
    assert_int_equal(sio_emit_target(n, &t, "disconnect", "[]", NULL, 0), SIO_E_RESERVED);
    assert_int_equal(r.calls, 1);
    sio_server_free(srv);
    eio_server_free(eio);
}

/* The local questions an adapter answers for other servers, on an empty namespace. */
static void local_answers_on_an_empty_namespace(void **state)
{
    (void)state;
    char err[128];
    eio_config ec = {0};
    eio_server *eio = eio_server_new(&ec, err, sizeof err);
    sio_config sc = {0};
    sio_server *srv = sio_server_new(eio, "/socket.io/", &sc, err, sizeof err);
    sio_nsp *n = sio_of(srv, "/");
    assert_ptr_equal(sio_nsp_at(srv, 0), n);
    assert_null(sio_nsp_at(srv, 1));
    assert_ptr_equal(sio_nsp_find(srv, "/"), n);
    assert_null(sio_nsp_find(srv, "/nope"));
    assert_null(sio_find_socket(n, "abc"));
    assert_int_equal(sio_nsp_rooms(n, NULL, 0), 0);
    size_t count = 99;
    sio_target t = {0};
    free(sio_select(n, &t, &count));
    assert_int_equal(count, 0);
    sio_server_free(srv);
    eio_server_free(eio);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(emits_to_rooms_reach_the_adapter_once),
        cmocka_unit_test(an_adapter_that_publishes_first_gets_every_emit),
        cmocka_unit_test(local_answers_on_an_empty_namespace),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
