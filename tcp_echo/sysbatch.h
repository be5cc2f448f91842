/*
 * sysbatch.h - many recv()s or send()s on different sockets in one system call (io_uring).
 *
 * What it teaches: a system call has a fixed price - entering the kernel and coming back -
 * on top of its work. On bare metal that is ~0.1 us; on a virtual machine it can be 1 us, as
 * much as a small recv() itself. A server with 50 busy clients makes 50 recv()s and 50
 * send()s a round. io_uring lets it write all 50 requests into a ring shared with the kernel
 * and hand them over with ONE io_uring_enter(); the kernel performs each and writes 50
 * results into a second ring. Every operation is still the same recv() or send(), with the
 * same result it would have had alone.
 *
 * The loop keeps epoll to learn WHICH sockets are ready, and uses a batch (io_batch.c) only
 * to read or write them: every operation is non-blocking (MSG_DONTWAIT), so the kernel
 * finishes each one during the call and nothing is left in flight when sysbatch_run returns.
 *
 * Where the kernel refuses io_uring (too old, or disabled by sysctl kernel.io_uring_disabled),
 * sysbatch_new returns NULL with the reason, and the loop makes the plain calls one by one
 * (io_plain.c). WIRELAB_IO=plain asks the loop for that (loop.c, choose_io).
 */
#ifndef WIRELAB_SYSBATCH_H
#define WIRELAB_SYSBATCH_H

#include <stddef.h>
#include <sys/types.h>

typedef struct sysbatch sysbatch;

/* An err buffer this large holds every sentence sysbatch_new writes. */
#define SYSBATCH_ERR_LEN 256

/*
 * A batch of up to max_ops operations (1 to 32768, the kernel's limit for a ring), or NULL if
 * io_uring is refused, with a sentence in err (errlen bytes) that says what the kernel
 * answered and what would change it, e.g. "the kernel refused io_uring_setup for 64 entries:
 * Operation not permitted (io_uring is not allowed here: sysctl kernel.io_uring_disabled (0
 * allows it; needs root), or a container's seccomp filter)".
 */
sysbatch *sysbatch_new(unsigned max_ops, char *err, size_t errlen);
void sysbatch_free(sysbatch *b);

/* Queue recv(fd, buf, len, MSG_DONTWAIT) or send(fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL).
 * The buffer must stay put until sysbatch_run returns. Returns the operation's index. */
unsigned sysbatch_recv(sysbatch *b, int fd, void *buf, size_t len);
unsigned sysbatch_send(sysbatch *b, int fd, const void *buf, size_t len);

/* Operations queued and not yet run. */
unsigned sysbatch_queued(const sysbatch *b);

/* Perform everything queued with one io_uring_enter(). result[i] is what operation i returned:
 * bytes moved (0 = end of stream for a recv), or -errno (-EAGAIN: the socket was not ready).
 * Returns 0, or -1 if the kernel would not take every operation: those it did not take have
 * -EAGAIN (they were not performed), and the batch must not be used again (free it). */
int sysbatch_run(sysbatch *b, ssize_t *result);

#endif
