/*
 * queue_broker.c - a small message broker: work queues and publish/subscribe over TCP, in a
 * text protocol you can type with nc and read in the sniffer.
 *
 * What it teaches: a message queue is the echo loop with a protocol on top. The shared
 * non-blocking loop (tcp_echo/loop.h) accepts clients and hands us their bytes; proto.c cuts
 * them into lines and parses commands; broker.c decides where each message goes. This file only
 * wires the three together, and adds the clock work: ACK deadlines on a one-shot loop timer,
 * idle and slow clients, and TCP keepalive on every connection.
 *
 * Run it, then talk to it (the whole protocol is in queue/README.md):
 *   build/bin/queue_broker --port 7010
 *   nc 127.0.0.1 7010          PUSH jobs hello / PULL jobs / ACK 1 / PUB news hi / SUB news FROM 0
 *
 * Usage: queue_broker [--port N] [--bind ADDR] [--capacity N] [--overflow reject|overwrite]
 *                     [--queue NAME=CAP[:POLICY]]... [--max-line N] [--prefetch N]
 *                     [--ack-timeout S] [--max-deliveries N] [--idle-timeout S]
 *                     [--max-clients N] [--max-names N] [--keepalive IDLE:INTERVAL:COUNT]
 *                     [--data DIR [--fsync always|everysec|no] [--compact-min BYTES]] [--verbose]
 *
 * Durability (--data): every change of state becomes a record (broker.c calls journal()),
 * gathered in memory; the replies are held back (send_line) until commit() has written the
 * records (and, under --fsync always, fdatasync'd them). So an OK never leaves before the
 * change it reports is in the log. The commit waits for the next round of the loop
 * (commit_soon), so that everything the clients sent in one round shares one write and one
 * fdatasync: a "group commit", as Redis does before it sleeps. aof_file.c is the file.
 *
 * Every limit (queue/README.md, "Limits") is enforced here, in broker.c or in the loop, and
 * logged when it bites (log_line here, loop_log in the loop). Logging never blocks.
 */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "aof_file.h"
#include "args.h"
#include "broker.h"
#include "buf.h"
#include "loop.h"
#include "outguard.h"
#include "net.h"
#include "proto.h"

#define DEFAULT_PORT 7010
#define MAX_SPECS    64
/* A client with this much unsent output is not reading: it is disconnected (its unacked
 * messages are redelivered to others; a subscriber can come back with SUB ... FROM). */
#define SLOW_CLIENT_BYTES ((size_t)16 << 20)

#define TICK_MS              1000 /* retry of an ACK-deadline timer the loop had no room for */
#define LOG_LINES_PER_SECOND 20

struct options {
    int port;
    const char *bind;
    size_t capacity, max_line, prefetch, max_clients, max_names;
    unsigned ack_timeout_s, max_deliveries, idle_timeout_s;
    unsigned ka_idle, ka_interval, ka_count; /* TCP keepalive, seconds and probes */
    const char *keepalive;                   /* --keepalive as given, "IDLE:INTERVAL:COUNT" */
    int overflow;                            /* --overflow: 0 reject, 1 overwrite */
    enum ring_policy policy;
    int verbose;
    const char *data;          /* --data DIR: the append-only log's directory; NULL: memory only */
    int fsync_policy;          /* --fsync: enum aof_fsync */
    unsigned long compact_min; /* --compact-min: bytes before the log is compacted */
    const char *spec_items[MAX_SPECS];
    args_list specs; /* the --queue options, pointing into spec_items */
};

/* What the broker keeps per connection. */
struct session {
    broker_client *bc;
    conn *c;
    proto_framer framer;
    int too_slow;     /* output was dropped: its timer closes it at once */
    loop_timer timer; /* its one-shot timer: the idle deadline, or "close it now" */
    buf held;         /* --data: replies waiting for their records to be written */
    struct session *next_held;
    int on_held_list;
};

static int verbose;
static struct options opt;
static aof_file *aof;                 /* --data: the log; NULL: memory only */
static struct session *held_sessions; /* sessions with replies held back (--data) */

/* ---- logging ---------------------------------------------------------------------------- */

static uint64_t log_dropped, log_second;
static unsigned log_in_second;

/*
 * One line on stdout, at most LOG_LINES_PER_SECOND a second (unless `always`): a flood of
 * hostile clients must not become a flood of log. What is skipped is counted, and the count
 * goes out with the next line. stdout never blocks the loop: loop_new guards it (outguard.h),
 * so a line that does not fit in an unread pipe is dropped and counted there.
 */
static void log_line(int always, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void log_line(int always, const char *fmt, ...)
{
    uint64_t second = loop_now_ms() / 1000;
    if (second != log_second) {
        log_second = second;
        log_in_second = 0;
    }
    if (!always && ++log_in_second > LOG_LINES_PER_SECOND) {
        log_dropped++;
        return;
    }
    if (log_dropped > 0)
        printf("queue_broker: (%llu log lines skipped: more than %d a second)\n",
               (unsigned long long)log_dropped, LOG_LINES_PER_SECOND);
    log_dropped = 0;
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
}

/* ---- the broker's output -> the connection ----------------------------------------------- */

/*
 * The broker's send callback. A producer that pipelines 64 PUSHes in one segment gets its 64
 * "OK" lines back in one send(), not in 64 system calls and 64 TCP segments: the loop
 * coalesces what one round sends to a connection (tcp_echo/loop.c). That, more than anything
 * in the rings, is what makes a broker fast.
 */
static loop_timer set_timer(struct session *s, uint64_t ms);

static void send_now(struct session *s, const char *data, size_t len)
{
    if (verbose)
        fprintf(stderr, "conn %llu < %.*s", (unsigned long long)conn_id(s->c), (int)len, data);
    if (conn_pending(s->c) > SLOW_CLIENT_BYTES) {
        s->too_slow = 1; /* never close from inside a callback: its timer does it, at once */
        log_line(0, "queue_broker: conn %llu (%s) is not reading: 16 MiB unsent, closing it",
                 (unsigned long long)conn_id(s->c), conn_peer(s->c));
        set_timer(s, 0);
    } else
        conn_send(s->c, data, len);
}

/* With --data, a reply waits until the records of this event are written (commit()). */
static void send_line(void *handle, const char *data, size_t len)
{
    struct session *s = conn_data((conn *)handle);
    if (s == NULL || s->too_slow)
        return;
    if (aof == NULL) {
        send_now(s, data, len);
        return;
    }
    if (buf_append(&s->held, data, len) < 0) {
        s->too_slow = 1; /* out of memory: treat it like a client that does not read */
        return;
    }
    if (!s->on_held_list) {
        s->on_held_list = 1;
        s->next_held = held_sessions;
        held_sessions = s;
    }
}

/* broker.c reports a change of state: one record for the log. */
static void journal(void *user, const aof_record *r)
{
    (void)user;
    if (aof_file_add(aof, r) < 0) {
        log_line(1, "queue_broker: out of memory for the log's records: stopping (the replies "
                    "that depended on them are not sent)");
        exit(1);
    }
}

/*
 * Write the records (and fdatasync under always), then let the held replies go. If the disk
 * fails, stop at once without sending them: a client must never hold an OK for a change the
 * log lost (and after a failed fsync, Linux may have dropped the dirty pages: retrying could
 * report success for data that is gone - PostgreSQL's "fsyncgate").
 */
static void commit(void)
{
    if (aof == NULL)
        return;
    char err[512];
    if (aof_file_commit(aof, err, sizeof err) < 0) {
        log_line(1, "queue_broker: %s: stopping without sending the replies that depend on it",
                 err);
        exit(1);
    }
    while (held_sessions != NULL) {
        struct session *s = held_sessions;
        held_sessions = s->next_held;
        s->on_held_list = 0;
        if (!s->too_slow)
            send_now(s, (const char *)buf_bytes(&s->held), buf_len(&s->held));
        buf_free(&s->held);
    }
}

/*
 * The end of every event that may change the state (a client's bytes, a close, a deadline):
 * commit in the next round of the loop, at its timers (a timer of 0 ms is never due in the
 * round that starts it), after that round has read what every other ready client sent. One
 * write and one fdatasync then cover them all; the replies wait one turn of epoll_wait, which
 * does not sleep while a timer is due. After the loop has stopped: at once.
 */
static loop_timer commit_timer;
static int loop_stopped;

static void commit_due(loop *l, void *arg)
{
    (void)l;
    (void)arg;
    commit_timer = 0;
    commit();
}

static void commit_soon(loop *l)
{
    if (aof == NULL || commit_timer != 0)
        return;
    if (!loop_stopped)
        commit_timer = loop_timer_start(l, 0, commit_due, NULL);
    if (commit_timer == 0) /* the loop's timer limit, or stopping: no batching this time */
        commit();
}

/* A session going away: off the held list, its held replies dropped (nobody to send them to). */
static void forget_held(struct session *s)
{
    for (struct session **pp = &held_sessions; *pp != NULL; pp = &(*pp)->next_held) {
        if (*pp == s) {
            *pp = s->next_held;
            break;
        }
    }
    buf_free(&s->held);
}

/* broker.c refused a client something (a limit bit): one log line. */
static void on_limit(void *handle, const char *what)
{
    conn *c = handle;
    if (c == NULL)
        log_line(0, "queue_broker: %s", what);
    else
        log_line(0, "queue_broker: conn %llu (%s): %s", (unsigned long long)conn_id(c),
                 conn_peer(c), what);
}

/*
 * Each session has one one-shot loop timer, due at the moment it would have been silent for
 * --idle-timeout (or at once, when it stopped reading: too_slow). When it fires, a client
 * that spoke meanwhile gets a new deadline counted from its last bytes; a client waiting for
 * the broker (a PULL, a subscription) or holding unacked messages (their ACK deadlines watch
 * it) is silent on purpose and gets a full new period; any other is told why and closed.
 */
static void session_due(loop *l, void *arg)
{
    struct session *s = arg;
    conn *c = s->c;
    (void)l;
    s->timer = 0;
    if (conn_is_closing(c))
        return;
    if (s->too_slow) {
        conn_abort(c, "not reading its messages (more than 16 MiB unsent): closed");
        return;
    }
    uint64_t limit = 1000 * (uint64_t)opt.idle_timeout_s,
             idle = loop_now_ms() - conn_last_read_ms(c);
    if (broker_client_waits(s->bc) || idle < limit) {
        if (set_timer(s, broker_client_waits(s->bc) ? limit : limit - idle) == 0)
            conn_abort(c, "no timer left to watch this client (the loop's limit)");
        return;
    }
    char msg[128];
    int n = snprintf(msg, sizeof msg,
                     "ERR idle for %u s (--idle-timeout): closing; reconnect when you "
                     "have something to send\n",
                     opt.idle_timeout_s);
    conn_send(c, msg, (size_t)n);
    log_line(0, "queue_broker: conn %llu (%s) sent nothing for %u s: closed (--idle-timeout)",
             (unsigned long long)conn_id(c), conn_peer(c), opt.idle_timeout_s);
    conn_close(c);
}

/* (Re)set s's timer to ms from now. Returns 0 if the loop refused (at its timer limit, which
 * it logs; with one timer per client it has room for 64 times --max-clients). */
static loop_timer set_timer(struct session *s, uint64_t ms)
{
    loop *l = conn_loop(s->c);
    loop_timer_stop(l, s->timer);
    s->timer = loop_timer_start(l, ms, session_due, s);
    return s->timer;
}

/*
 * ACK deadlines: one one-shot loop timer, always set for the earliest deadline of any message
 * in flight (broker_next_deadline), so a deadline is acted on when it comes, not at the next
 * tick. rearm() runs after everything that can change that earliest deadline: a command, a
 * disconnect, an expiry.
 */
static loop_timer deadline_timer;
static uint64_t deadline_armed = UINT64_MAX; /* the deadline the timer is set for */

static void rearm(loop *l);

static void deadline_due(loop *l, void *arg)
{
    (void)arg;
    broker *b = loop_user(l);
    deadline_timer = 0;
    deadline_armed = UINT64_MAX;
    broker_stats before = broker_get_stats(b);
    broker_expire(b); /* every message due by now goes back (or to the dead-letter list) */
    commit_soon(l);
    broker_stats after = broker_get_stats(b);
    if (after.expired > before.expired)
        log_line(0,
                 "queue_broker: %llu ACK deadline(s) passed: back to the queue; %llu "
                 "dead-lettered (--max-deliveries %u)",
                 (unsigned long long)(after.expired - before.expired),
                 (unsigned long long)(after.dead - before.dead), opt.max_deliveries);
    rearm(l);
}

static void rearm(loop *l)
{
    uint64_t next = broker_next_deadline(loop_user(l));
    if (next == deadline_armed)
        return;
    loop_timer_stop(l, deadline_timer); /* (a no-op for 0) */
    deadline_timer = 0;
    deadline_armed = UINT64_MAX;
    if (next == UINT64_MAX)
        return; /* nothing in flight */
    uint64_t now = loop_now_ms();
    deadline_timer = loop_timer_start(l, next > now ? next - now : 0, deadline_due, NULL);
    if (deadline_timer != 0) /* 0: the loop's timer limit; the tick below retries */
        deadline_armed = next;
}

static void snapshot(void *user, aof_emit_fn emit, void *ctx)
{
    broker_snapshot(user, emit, ctx);
}

/* Rewrite the log as b's live state once it has grown past --compact-min and twice that. */
static void maybe_compact(broker *b)
{
    char err[512];
    if (!aof_file_should_compact(aof))
        return;
    aof_file_stats before = aof_file_get_stats(aof);
    if (aof_file_compact(aof, snapshot, b, err, sizeof err) < 0) {
        log_line(1, "queue_broker: compaction failed (%s): stopping; the log is complete", err);
        exit(1);
    }
    aof_file_stats after = aof_file_get_stats(aof);
    log_line(0, "queue_broker: log compacted: %llu bytes -> %llu (the live state)",
             (unsigned long long)before.bytes, (unsigned long long)after.bytes);
}

/* Every TICK_MS with --data: everysec's fdatasync, and compaction when the log has grown. */
static void durable_tick(loop *l, uint64_t now)
{
    char err[512];
    if (aof_file_tick(aof, now, err, sizeof err) < 0) {
        log_line(1, "queue_broker: %s: stopping", err);
        exit(1);
    }
    maybe_compact(loop_user(l));
}

/* Every TICK_MS: the deadline timer again, if the loop had no room for it (rare); with --data,
 * everysec's fdatasync and compaction. */
static void tick(loop *l, void *arg)
{
    (void)arg;
    rearm(l);
    if (aof != NULL)
        durable_tick(l, loop_now_ms());
}

/* ---- the loop's events ------------------------------------------------------------------- */

/*
 * TCP keepalive: after ka_idle seconds of silence the kernel sends an empty probe segment, then
 * one every ka_interval seconds; after ka_count unanswered probes it resets the connection and
 * our next recv() fails with ETIMEDOUT. That is how a peer that vanished without a FIN or RST
 * (pulled cable, dropped packets, a machine that lost power) is noticed. TCP_USER_TIMEOUT caps
 * how long sent data may stay unacknowledged, for the case where we are sending, not idle.
 */
static void keepalive(int fd)
{
    int on = 1, idle = (int)opt.ka_idle, intvl = (int)opt.ka_interval, cnt = (int)opt.ka_count;
    unsigned user_ms = 1000 * (opt.ka_idle + opt.ka_interval * opt.ka_count);
    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof intvl);
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof cnt);
    setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_ms, sizeof user_ms);
}

/* Over --max-clients the loop accepts the connection and asks us what to say (loop_on_refuse),
 * then closes it; on_open never sees it. */
static void say_busy(conn *c)
{
    char msg[160];
    int n = snprintf(msg, sizeof msg,
                     "ERR busy: %zu clients connected, the most this broker serves "
                     "(--max-clients); try again later\n",
                     opt.max_clients);
    conn_send(c, msg, (size_t)n);
}

static void on_open(conn *c)
{
    broker *b = loop_user(conn_loop(c));
    struct session *s = calloc(1, sizeof *s);
    if (s != NULL)
        s->bc = broker_client_new(b, c);
    if (s == NULL || s->bc == NULL) {
        free(s);
        conn_abort(c, "out of memory");
        return;
    }
    s->c = c;
    s->framer.max_line = broker_max_line(b);
    conn_set_data(c, s);
    keepalive(conn_fd(c));
    if (opt.idle_timeout_s != 0 && set_timer(s, 1000 * (uint64_t)opt.idle_timeout_s) == 0)
        conn_abort(c, "no timer left to watch this client (the loop's limit)");
    /* (The loop turns Nagle's algorithm off on every accepted connection: replies are small
     * and often come in pairs, "OK" to an ACK then the next MSG, and with Nagle on the second
     * would wait for the peer's delayed ACK of the first - 40 ms a message.) */
}

/* Cut the bytes into lines and run each; return how many bytes were used up. */
static size_t on_data(conn *c, const uint8_t *data, size_t len)
{
    struct session *s = conn_data(c);
    size_t done = 0;
    while (s != NULL && !conn_is_closing(c)) {
        size_t line_len, used;
        int rc = proto_frame(&s->framer, data + done, len - done, &line_len, &used);
        if (rc == PROTO_LINE) {
            if (verbose)
                fprintf(stderr, "conn %llu > %.*s\n", (unsigned long long)conn_id(c), (int)line_len,
                        (const char *)data + done);
            if (broker_client_line(s->bc, (const char *)data + done, line_len)) {
                commit();      /* (its held replies first) */
                conn_close(c); /* QUIT: its "OK bye" goes out, then our FIN */
            }
        } else if (rc == PROTO_TOO_LONG) {
            broker_client_too_long(s->bc);
            log_line(0,
                     "queue_broker: conn %llu (%s) sent a line over %zu bytes (--max-line): "
                     "ERR, and the line is skipped",
                     (unsigned long long)conn_id(c), conn_peer(c), s->framer.max_line);
        }
        done += used;
        if (rc == PROTO_NEED_MORE && used == 0)
            break; /* an unfinished line: the loop keeps it and offers it again */
    }
    commit_soon(conn_loop(c));
    rearm(conn_loop(c));
    return conn_is_closing(c) ? len : done;
}

static void on_close(conn *c, const char *why)
{
    struct session *s = conn_data(c);
    if (verbose)
        fprintf(stderr, "conn %llu closed: %s\n", (unsigned long long)conn_id(c), why);
    if (s == NULL)
        return;
    if (strcmp(why, "peer closed (FIN)") != 0 && strcmp(why, "closed by us") != 0 &&
        strcmp(why, "closed") != 0 && strcmp(why, "server shutting down") != 0)
        log_line(0, "queue_broker: conn %llu (%s) closed: %s", (unsigned long long)conn_id(c),
                 conn_peer(c), why);
    loop_timer_stop(conn_loop(c), s->timer);
    forget_held(s);
    conn_set_data(c, NULL);
    broker_client_gone(s->bc); /* its unacked messages go back to their queues, and may go
                                  straight out to waiting consumers */
    commit_soon(conn_loop(c));
    rearm(conn_loop(c));
    free(s);
}

/* ---- command line ------------------------------------------------------------------------ */

static void usage(FILE *out)
{
    fprintf(out,
            "usage: queue_broker [--port N] [--bind ADDR] [--capacity N]\n"
            "                    [--overflow reject|overwrite] [--queue NAME=CAP[:POLICY]]...\n"
            "                    [--max-line N] [--prefetch N] [--ack-timeout S]\n"
            "                    [--max-deliveries N] [--idle-timeout S] [--max-clients N]\n"
            "                    [--max-names N] [--keepalive IDLE:INTERVAL:COUNT] [--data DIR]\n"
            "                    [--fsync always|everysec|no] [--compact-min BYTES] [--verbose]\n"
            "\n"
            "  --port N        TCP port (default %d; 0 picks a free one and prints it)\n"
            "  --bind ADDR     address to listen on (default 127.0.0.1; '::' for all)\n"
            "  --capacity N    messages each queue and topic holds (default 256)\n"
            "  --overflow P    when a queue is full: reject (PUSH gets ERR) or overwrite\n"
            "                  (the oldest is dropped and counted); topics always overwrite\n"
            "  --queue SPEC    give queue/topic NAME its own capacity and policy, e.g.\n"
            "                  --queue jobs=1024:reject --queue ticks=16:overwrite\n"
            "  --max-line N    longest command line in bytes (default 1024)\n"
            "  --prefetch N    unacked messages one consumer may hold (default 16)\n"
            "  --ack-timeout S ACK deadline when a PULL names none (default 30 s)\n"
            "  --max-deliveries N  deliveries without an ACK before a message is\n"
            "                  dead-lettered (default 5; 0 = redeliver for ever)\n"
            "  --idle-timeout S    close a client silent this long that waits for nothing\n"
            "                  and holds no unacked message\n"
            "                  (default 60 s; 0 = never)\n"
            "  --max-clients N clients served at once; more get 'ERR busy' (default 1000)\n"
            "  --max-names N   queues and topics, all clients together; clients create\n"
            "                  them by use, beyond this a new name gets ERR (default 64)\n"
            "  --keepalive I:V:C   TCP keepalive: first probe after I s idle, then every V s,\n"
            "                  give up after C (default 10:2:3: a vanished peer is cut in 16 s)\n"
            "  --data DIR      keep an append-only log of every change in DIR/queue.aof and\n"
            "                  replay it at start (default: memory only, a stop loses all)\n"
            "  --fsync P       when the log reaches the disk: always (before each OK),\n"
            "                  everysec (default: a power cut loses about 1 s), no (the\n"
            "                  kernel decides); all three survive kill -9\n"
            "  --compact-min N rewrite the log as the live state once it is over N bytes\n"
            "                  and twice its size after the last rewrite (default 4 MiB)\n"
            "  --verbose       trace every socket call and protocol line on stderr\n"
            "\n"
            "Try it: nc 127.0.0.1 %d, then type PUSH jobs hello / PULL jobs / ACK 1\n",
            DEFAULT_PORT, DEFAULT_PORT);
}

static int parse_policy(const char *text, enum ring_policy *out)
{
    if (strcmp(text, "reject") == 0)
        *out = RING_REJECT;
    else if (strcmp(text, "overwrite") == 0)
        *out = RING_OVERWRITE;
    else
        return -1;
    return 0;
}

static void bad_arg(const char *what) __attribute__((noreturn));

static void bad_arg(const char *what)
{
    fprintf(stderr, "queue_broker: %s\n\n", what);
    usage(stderr);
    exit(2);
}

/* "--keepalive 10:2:3" -> ka_idle, ka_interval, ka_count. 0, or -1 with a sentence in err. */
static int parse_keepalive(struct options *o, char *err, size_t errlen)
{
    static const char *const names[] = {"--keepalive IDLE", "--keepalive INTERVAL",
                                        "--keepalive COUNT"};
    unsigned *fields[] = {&o->ka_idle, &o->ka_interval, &o->ka_count};
    const char *p = o->keepalive;
    for (size_t i = 0; i < 3; i++) {
        const char *end = i < 2 ? strchr(p, ':') : p + strlen(p);
        char part[16];
        if (end == NULL || (size_t)(end - p) >= sizeof part) {
            snprintf(err, errlen,
                     "--keepalive is IDLE:INTERVAL:COUNT (seconds, seconds, probes), "
                     "e.g. 10:2:3, not '%.32s'",
                     o->keepalive);
            return -1;
        }
        snprintf(part, sizeof part, "%.*s", (int)(end - p), p);
        unsigned long long v;
        if (args_number(names[i], part, 1, 3600, &v, err, errlen) < 0)
            return -1;
        *fields[i] = (unsigned)v;
        p = end + 1;
    }
    return 0;
}

/* The command line into o (its fields hold the defaults). -1: go on; else main's exit status
 * (0 after --help, 2 after a mistake, which is explained on stderr with the usage). */
static int parse_args(int argc, char **argv, struct options *o)
{
    const args_opt table[] = {
        ARGS_NUMBER_OPT("--port", NULL, o->port, 0, 65535),
        ARGS_TEXT_OPT("--bind", NULL, o->bind),
        ARGS_NUMBER_OPT("--capacity", NULL, o->capacity, 1, 1 << 20),
        ARGS_CHOICE_OPT("--overflow", NULL, o->overflow, "reject|overwrite"),
        ARGS_LIST_OPT("--queue", NULL, o->specs),
        ARGS_NUMBER_OPT("--max-line", NULL, o->max_line, 16, 1 << 20),
        ARGS_NUMBER_OPT("--prefetch", NULL, o->prefetch, 1, 1 << 20),
        ARGS_NUMBER_OPT("--ack-timeout", NULL, o->ack_timeout_s, 1, BROKER_MAX_ACK_TIMEOUT_S),
        ARGS_NUMBER_OPT("--max-deliveries", NULL, o->max_deliveries, 0, 1000),
        ARGS_NUMBER_OPT("--idle-timeout", NULL, o->idle_timeout_s, 0, 86400),
        ARGS_NUMBER_OPT("--max-clients", NULL, o->max_clients, 1, 100000),
        ARGS_NUMBER_OPT("--max-names", NULL, o->max_names, 1, 1024), /* found by a walk */
        ARGS_TEXT_OPT("--keepalive", NULL, o->keepalive),
        ARGS_TEXT_OPT("--data", NULL, o->data),
        ARGS_CHOICE_OPT("--fsync", NULL, o->fsync_policy, "always|everysec|no"),
        ARGS_NUMBER_OPT("--compact-min", NULL, o->compact_min, 4096, 1ul << 40),
        ARGS_FLAG_OPT("--verbose", NULL, o->verbose),
    };
    char err[ARGS_ERR_LEN];
    int rc = args_parse(argc, argv, table, ARGS_COUNT(table), err, sizeof err);
    if (rc == ARGS_OK && parse_keepalive(o, err, sizeof err) < 0)
        rc = ARGS_ERROR;
    o->policy = o->overflow ? RING_OVERWRITE : RING_REJECT;
    return args_exit_status(rc, "queue_broker", err, usage);
}

/* "--queue jobs=1024:reject" -> broker_define. Exits with usage on a malformed spec. */
static void apply_spec(broker *b, const char *spec, enum ring_policy fallback)
{
    char name[PROTO_NAME_MAX + 2], rest[64], err[256];
    const char *eq = strchr(spec, '=');
    if (eq == NULL || (size_t)(eq - spec) > PROTO_NAME_MAX || strlen(eq + 1) >= sizeof rest)
        bad_arg("--queue is NAME=CAPACITY or NAME=CAPACITY:reject|overwrite");
    snprintf(name, sizeof name, "%.*s", (int)(eq - spec), spec);
    snprintf(rest, sizeof rest, "%s", eq + 1);
    enum ring_policy policy = fallback;
    char *colon = strchr(rest, ':');
    if (colon != NULL) {
        *colon = '\0';
        if (parse_policy(colon + 1, &policy) < 0)
            bad_arg("--queue: the policy after ':' is 'reject' or 'overwrite'");
    }
    unsigned long long capacity;
    if (args_number("--queue's capacity (after '=')", rest, 1, 1 << 20, &capacity, err,
                    sizeof err) < 0)
        bad_arg(err);
    if (broker_define(b, name, (size_t)capacity, policy, err, sizeof err) < 0) {
        snprintf(rest, sizeof rest, "--queue %.40s", spec);
        fprintf(stderr, "queue_broker: %s: %s\n", rest, err);
        exit(2);
    }
}

/* ---- main -------------------------------------------------------------------------------- */

/* --data: open the log, replay it into b, and say what came back (after the listening line,
 * before any client is served: the loop has not run yet). Exits on any failure. */
static void restore(const struct options *o, broker *b)
{
    char err[768];
    aof_state *st;
    aof_load_info info;
    aof = aof_file_open(o->data, (enum aof_fsync)o->fsync_policy, o->compact_min, &st, &info, err,
                        sizeof err);
    if (aof == NULL) {
        fprintf(stderr, "queue_broker: --data %s: %s\n", o->data, err);
        exit(1);
    }
    if (info.dropped > 0)
        log_line(1,
                 "queue_broker: %s: dropped a torn last record (%llu bytes: %s): a crash cut "
                 "its write short, so its reply was never sent",
                 aof_file_path(aof), (unsigned long long)info.dropped, info.why);
    size_t n = 0, np = 0;
    const aof_msg *m = aof_state_messages(st, &n);
    const aof_pub *p =
        aof_state_published(st, (size_t)1 << 20, &np); /* (the rings keep their capacity) */
    size_t inflight = 0;
    for (size_t i = 0; i < n; i++) {
        inflight += m[i].where == AOF_FLIGHT;
        if (broker_restore_msg(b, &m[i], err, sizeof err) < 0) {
            fprintf(stderr, "queue_broker: --data %s: %s\n", o->data, err);
            exit(1);
        }
    }
    for (size_t i = 0; i < np; i++) {
        if (broker_restore_pub(b, &p[i], err, sizeof err) < 0) {
            fprintf(stderr, "queue_broker: --data %s: %s\n", o->data, err);
            exit(1);
        }
    }
    broker_restore_last_id(b, aof_state_last_id(st));
    broker_holding h = broker_get_holding(b);
    log_line(1,
             "queue_broker: %s %s (%llu records, %llu bytes): %llu queued (%zu of them "
             "were in flight: back first, marked redelivered), %llu dead-lettered, %llu published; "
             "ids go on after %llu",
             info.created ? "created" : "replayed", aof_file_path(aof),
             (unsigned long long)info.records, (unsigned long long)info.bytes,
             (unsigned long long)h.queued, inflight, (unsigned long long)h.dead,
             (unsigned long long)h.published, (unsigned long long)aof_state_last_id(st));
    if (info.skipped > 0)
        log_line(1, "queue_broker: %llu records in the log did not fit the state and were skipped",
                 (unsigned long long)info.skipped);
    aof_file_set_live(aof, aof_state_live_bytes(st, (size_t)1 << 20));
    aof_state_free(st);
    maybe_compact(b);
    log_line(1,
             "queue_broker: durable: every change is appended to %s before its reply; "
             "fsync %s: %s",
             aof_file_path(aof), aof_fsync_name((enum aof_fsync)o->fsync_policy),
             o->fsync_policy == AOF_FSYNC_ALWAYS ? "an OK is sent after its record is on disk"
             : o->fsync_policy == AOF_FSYNC_EVERYSEC
                 ? "the disk is flushed once a second (a power cut loses up to about 1 s; "
                   "kill -9 loses nothing acknowledged)"
                 : "the kernel flushes when it wants (a power cut loses up to about 30 s; "
                   "kill -9 loses nothing acknowledged)");
}

static broker *make_broker(const struct options *o)
{
    char err[256];
    broker_config cfg = {.capacity = o->capacity,
                         .policy = o->policy,
                         .max_line = o->max_line,
                         .max_names = o->max_names,
                         .prefetch = o->prefetch,
                         .ack_timeout_s = o->ack_timeout_s,
                         .max_deliveries = o->max_deliveries,
                         .send = send_line,
                         .on_limit = on_limit,
                         .now_ms = loop_now_ms,
                         .journal = o->data != NULL ? journal : NULL};
    broker *b = broker_new(&cfg, err, sizeof err);
    if (b == NULL) {
        fprintf(stderr, "queue_broker: %s\n", err);
        exit(2);
    }
    for (size_t i = 0; i < o->specs.n; i++)
        apply_spec(b, o->specs.items[i], o->policy);
    return b;
}

/* Each client is a file descriptor. The loop lifts the soft limit to the hard one (ulimit -Hn);
 * if even that is too low for --max-clients, lower it and say so. */
#define SPARE_FDS 32 /* the listener, the epoll, the signalfd, stdio, refusals being told why */

static void fit_fd_limit(struct options *o)
{
    struct rlimit r;
    if (getrlimit(RLIMIT_NOFILE, &r) < 0 || r.rlim_max >= (rlim_t)o->max_clients + SPARE_FDS ||
        r.rlim_max <= 2 * SPARE_FDS)
        return;
    o->max_clients = (size_t)r.rlim_max - SPARE_FDS;
    log_line(1,
             "queue_broker: only %llu file descriptors allowed (ulimit -Hn): --max-clients "
             "lowered to %zu",
             (unsigned long long)r.rlim_max, o->max_clients);
}

static loop *make_loop(const struct options *o, broker *b)
{
    static const loop_handlers handlers = {on_open, on_data, on_close};
    char err[NET_ERR_LEN];
    loop_config cfg = {.max_conns = o->max_clients,
                       .max_conns_flag = "--max-clients",
                       .verbose = o->verbose,
                       .user = b};
    loop *l = loop_new(&cfg, &handlers, err, sizeof err);
    if (l == NULL) {
        fprintf(stderr, "queue_broker: %s\n", err);
        exit(1);
    }
    loop_on_refuse(l, say_busy); /* over --max-clients: "ERR busy ...", then the close */
    int fd = net_listen(o->bind, o->port, 128, err, sizeof err);
    if (fd < 0) {
        fprintf(stderr, "queue_broker: %s\n", err);
        exit(1);
    }
    if (loop_add_listener(l, fd, err, sizeof err) < 0 ||
        loop_stop_on_signals(l, err, sizeof err) < 0) {
        fprintf(stderr, "queue_broker: cannot start the event loop: %s\n", err);
        exit(1);
    }
    if (loop_add_timer(l, TICK_MS, tick, NULL) < 0) { /* the first timer: cannot be over the cap */
        fprintf(stderr, "queue_broker: the event loop refused the %d ms tick\n", TICK_MS);
        exit(1);
    }
    log_line(1, "queue_broker: listening on %s port %d (capacity %zu, overflow %s, max line %zu)",
             o->bind, net_local_port(fd), o->capacity,
             o->policy == RING_REJECT ? "reject" : "overwrite", o->max_line);
    if (o->data == NULL)
        log_line(1, "queue_broker: memory only: nothing is written to disk, so a stop or a crash "
                    "loses every queued, in-flight, dead-lettered and published message");
    return l;
}

int main(int argc, char **argv)
{
    opt = (struct options){.port = DEFAULT_PORT,
                           .bind = "127.0.0.1",
                           .capacity = 256,
                           .max_line = 1024,
                           .prefetch = 16,
                           .ack_timeout_s = 30,
                           .max_deliveries = 5,
                           .idle_timeout_s = 60,
                           .max_clients = 1000,
                           .max_names = 64,
                           .ka_idle = 10,
                           .ka_interval = 2,
                           .ka_count = 3,
                           .keepalive = "10:2:3",
                           .fsync_policy = AOF_FSYNC_EVERYSEC,
                           .compact_min = 4ul << 20};
    opt.specs = (args_list){opt.spec_items, MAX_SPECS, 0};
    int status = parse_args(argc, argv, &opt);
    if (status >= 0)
        return status;
    verbose = opt.verbose;
    outguard_install(); /* (loop_new does it too; the lines before it need it already) */
    fit_fd_limit(&opt);
    broker *b = make_broker(&opt);
    loop *l = make_loop(&opt, b);
    if (opt.data != NULL)
        restore(&opt, b);
    int rc = loop_run(l);
    loop_stopped = 1;
    /* Count before loop_free: closing the last clients returns their unacked messages, and
     * that is bookkeeping, not deliveries. */
    broker_stats s = broker_get_stats(b);
    broker_holding h = broker_get_holding(b);
    loop_free(l); /* (with --data, the BACK records of the last clients are committed here) */
    aof_file_stats fs = {0};
    char err[512];
    if (aof != NULL) {
        fs = aof_file_get_stats(aof);
        if (aof_file_close(aof, err, sizeof err) < 0) {
            log_line(1, "queue_broker: %s: the last records may not be on disk", err);
            rc = -2;
        }
    }
    broker_free(b);
    log_line(1,
             "queue_broker: stopped. messages in %llu, delivered %llu, redelivered %llu, "
             "overwritten %llu (acked %llu, rejected as full %llu, deadlines passed %llu, "
             "dead-lettered %llu)",
             (unsigned long long)s.in, (unsigned long long)s.delivered,
             (unsigned long long)s.redelivered, (unsigned long long)s.overwritten,
             (unsigned long long)s.acked, (unsigned long long)s.rejected,
             (unsigned long long)s.expired, (unsigned long long)s.dead);
    if (opt.data == NULL)
        log_line(1,
                 "queue_broker: memory only: this stop discards %llu queued, %llu in flight, %llu "
                 "dead-lettered and %llu published messages",
                 (unsigned long long)h.queued, (unsigned long long)h.inflight,
                 (unsigned long long)h.dead, (unsigned long long)h.published);
    else
        log_line(1,
                 "queue_broker: durable: %s keeps %llu queued, %llu in flight (back at the next "
                 "start, marked redelivered), %llu dead-lettered and %llu published messages "
                 "(log: %llu records appended, %llu fdatasyncs, %llu compactions)",
                 opt.data, (unsigned long long)h.queued, (unsigned long long)h.inflight,
                 (unsigned long long)h.dead, (unsigned long long)h.published,
                 (unsigned long long)fs.records, (unsigned long long)fs.fsyncs,
                 (unsigned long long)fs.compactions);
    if (rc == -2)
        return 1;
    if (rc < 0) {
        fprintf(stderr, "queue_broker: the event loop failed (epoll error); see above\n");
        return 1;
    }
    return 0;
}
