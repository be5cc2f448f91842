/*
 * outguard.c - stdout and stderr that drop lines rather than block (see outguard.h).
 *
 * glibc's fopencookie() builds a FILE whose writes call our function: printf() and fflush()
 * keep working everywhere, and every byte passes through guard_write(), which offers it to the
 * descriptor only when poll() says there is room. Pieces are at most PIPE_BUF bytes: POSIX
 * makes a pipe write that small all-or-nothing, and Linux reports a pipe writable only while a
 * whole page (4096 bytes, = PIPE_BUF) is free, so such a write never waits.
 *
 * Run it: part of every server (loop_new installs it); see tests/tcp_echo/unread_stdout.sh.
 */
#define _GNU_SOURCE /* fopencookie, program_invocation_short_name */
#include "outguard.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct guard {
    int fd;
    int is_file;         /* a regular file: a write never waits for a reader */
    const char *name;    /* "stdout" */
    uint64_t dropped;    /* lines dropped since the start */
    uint64_t unreported; /* of those, not yet announced on the stream itself */
    char buf[PIPE_BUF];  /* the FILE's line buffer */
} guard;

static guard guards[2] = {{.fd = STDOUT_FILENO, .name = "stdout"},
                          {.fd = STDERR_FILENO, .name = "stderr"}};
static int installed;

/* Can fd take a PIPE_BUF-sized write right now without waiting? */
static int has_room(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLOUT};
    int r;
    do
        r = poll(&p, 1, 0);
    while (r < 0 && errno == EINTR);
    /* POLLERR: a pipe whose reader has gone (the write would fail with EPIPE). */
    return r == 1 && (p.revents & POLLOUT) && !(p.revents & (POLLERR | POLLHUP));
}

/* Write n <= PIPE_BUF bytes if they fit now. Returns 0 if all were written, else -1. A
 * regular file has no reader to wait for (a full disk fails the write at once), so it is
 * written without asking poll() first: a server that logs a line per event into a file (a
 * test's log, `> server.log`) makes one system call a line, not two. */
static int write_piece(const guard *g, const char *p, size_t n)
{
    if (!g->is_file && !has_room(g->fd))
        return -1;
    ssize_t w;
    do
        w = write(g->fd, p, n);
    while (w < 0 && errno == EINTR);
    return w == (ssize_t)n ? 0 : -1;
}

/* Lines in a dropped piece: its newlines (a fragment without one still counts as one). */
static uint64_t lines_in(const char *p, size_t n)
{
    uint64_t lines = 0;
    for (size_t i = 0; i < n; i++)
        lines += p[i] == '\n';
    return lines ? lines : 1;
}

/* Before the first line that gets through after drops: say how many were lost. */
static void announce_drops(guard *g)
{
    char note[160];
    int len = snprintf(note, sizeof note, "%s: %llu log lines dropped: %s was not being read\n",
                       program_invocation_short_name, (unsigned long long)g->unreported, g->name);
    if (len > 0 && write_piece(g, note, (size_t)len) == 0)
        g->unreported = 0;
}

/* The FILE's write function: always "succeeds" (stdio must never see an error and retry). */
static ssize_t guard_write(void *cookie, const char *p, size_t n)
{
    guard *g = cookie;
    if (g->unreported)
        announce_drops(g);
    for (size_t off = 0; off < n;) {
        size_t piece = n - off < PIPE_BUF ? n - off : PIPE_BUF;
        if (g->unreported || write_piece(g, p + off, piece) < 0) {
            uint64_t lost = lines_in(p + off, n - off);
            g->dropped += lost;
            g->unreported += lost;
            break;
        }
        off += piece;
    }
    return (ssize_t)n;
}

/* A guarded FILE for g, line-buffered so each flush is about one line. */
static FILE *guarded_stream(guard *g)
{
    cookie_io_functions_t io = {.write = guard_write};
    FILE *f = fopencookie(g, "w", io);
    if (f)
        setvbuf(f, g->buf, _IOLBF, sizeof g->buf);
    return f;
}

int outguard_install(void)
{
    if (installed)
        return 0;
    /* A reader that goes away must cost us lines, not the process. */
    signal(SIGPIPE, SIG_IGN);
    fflush(stdout);
    fflush(stderr);
    for (int i = 0; i < 2; i++) {
        struct stat st;
        guards[i].is_file = fstat(guards[i].fd, &st) == 0 && S_ISREG(st.st_mode);
    }
    FILE *out = guarded_stream(&guards[0]), *err = guarded_stream(&guards[1]);
    if (!out || !err) {
        if (out)
            fclose(out);
        if (err)
            fclose(err);
        return -1;
    }
    stdout = out; /* glibc lets a program replace its standard streams */
    stderr = err;
    installed = 1;
    atexit(outguard_report);
    return 0;
}

uint64_t outguard_dropped(int fd)
{
    return fd == STDOUT_FILENO ? guards[0].dropped : fd == STDERR_FILENO ? guards[1].dropped : 0;
}

void outguard_report(void)
{
    if (!installed)
        return;
    fflush(stdout);
    fflush(stderr);
    for (int i = 0; i < 2; i++)
        if (guards[i].dropped)
            fprintf(stderr, "%s: %llu log lines dropped in all: %s was not being read\n",
                    program_invocation_short_name, (unsigned long long)guards[i].dropped,
                    guards[i].name);
    fflush(stderr);
}
