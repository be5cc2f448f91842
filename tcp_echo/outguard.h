/*
 * outguard.h - logging that can never stop a server: stdout and stderr that drop lines instead
 * of blocking, and no death by SIGPIPE.
 *
 * What it teaches: a pipe holds 64 KiB. A server started as `server | tee log` or by a grader
 * with stdout=PIPE writes a line per connection; when nobody reads the other end, the pipe
 * fills and the next printf() blocks inside write() - the whole event loop stops, for every
 * client, and SIGTERM waits behind it (a blocked signal is read by the loop, which is stuck).
 * And when the reader goes away, the next write raises SIGPIPE, which kills the process.
 *
 * outguard_install() replaces stdout and stderr with streams (glibc's fopencookie) whose
 * write first asks poll() whether the descriptor has room; if it has none, the line is dropped
 * and counted instead of waiting. (A regular file is written without asking: it has no reader
 * to wait for.) The descriptors themselves stay blocking: their "non-blocking"
 * flag would belong to the open file, which a pipe or terminal shares with the shell. When a
 * write gets through again it is preceded by "N log lines dropped: stdout was not being read",
 * and outguard_report() says the same at exit. SIGPIPE is ignored: a vanished reader makes
 * write() fail with EPIPE, and the lines are dropped and counted the same way.
 *
 * Run it: every server calls it (loop_new does); tests/tcp_echo/unread_stdout.sh starts
 * tcp_echo_server with a stdout pipe nobody reads and serves hundreds of clients through it.
 */
#ifndef WIRELAB_OUTGUARD_H
#define WIRELAB_OUTGUARD_H

#include <stdint.h>

/* Guard stdout and stderr, ignore SIGPIPE. Idempotent; returns 0, or -1 if glibc refused. */
int outguard_install(void);

/* Lines dropped so far on stdout (fd 1) and stderr (fd 2). */
uint64_t outguard_dropped(int fd);

/* If any line was dropped, say how many on stderr (itself guarded). Called at exit. */
void outguard_report(void);

#endif
