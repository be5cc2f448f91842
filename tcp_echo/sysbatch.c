/*
 * sysbatch.c - a batch of socket calls made with one io_uring_enter() (see sysbatch.h).
 *
 * io_uring is two rings in memory shared with the kernel: we fill submission queue entries
 * (SQEs: "recv on fd 7 into this buffer"), io_uring_enter() hands them over, and the kernel
 * answers with completion queue entries (CQEs: "operation 3 returned 64"). liburing (Debian's
 * liburing-dev) hides the ring arithmetic; what is left is the idea.
 *
 * Run it: it is part of every server's loop; `strace -c -f -p PID` under load shows one
 * io_uring_enter where there were dozens of recvfrom and sendto.
 */
#include "sysbatch.h"

#include <errno.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

struct sysbatch {
    struct io_uring ring;
    unsigned max, queued;
};

/* io_uring grew one operation at a time: ask the kernel whether it knows ours. */
static int can_send_and_recv(struct io_uring *ring)
{
    struct io_uring_probe *p = io_uring_get_probe_ring(ring);
    int ok = p && io_uring_opcode_supported(p, IORING_OP_SEND) &&
             io_uring_opcode_supported(p, IORING_OP_RECV);
    if (p)
        io_uring_free_probe(p);
    return ok;
}

/* What to do about io_uring_setup's answer -rc (the errno it returned). */
static const char *setup_advice(int rc)
{
    switch (rc) {
    case -ENOSYS:
        return "no io_uring here: a kernel before 5.1, one built without it, or a sandbox "
               "that hides it";
    case -EPERM:
        return "io_uring is not allowed here: sysctl kernel.io_uring_disabled (0 allows it; "
               "needs root), or a container's seccomp filter";
    case -ENOMEM:
        return "no memory for the ring: before Linux 5.12 it counts against `ulimit -l` "
               "(raise it), later against the memory cgroup";
    case -EMFILE:
    case -ENFILE:
        return "a ring is a file descriptor, and there are none left: raise `ulimit -n`";
    case -EINVAL:
        return "the kernel rejected the ring's size or flags (1 to 32768 entries)";
    default:
        return "see io_uring_setup(2) for this error";
    }
}

sysbatch *sysbatch_new(unsigned max_ops, char *err, size_t errlen)
{
    sysbatch *b = calloc(1, sizeof *b);
    if (!b) {
        snprintf(err, errlen, "out of memory for the io_uring batch (%zu bytes)", sizeof *b);
        return NULL;
    }
    b->max = max_ops;
    /* SUBMIT_ALL: one bad entry does not stop the rest; COOP_TASKRUN: no interrupting the
     * task to post completions (ours are all posted during the call anyway). Older kernels
     * (before 5.19) know neither flag: try again without. */
    int rc =
        io_uring_queue_init(max_ops, &b->ring, IORING_SETUP_SUBMIT_ALL | IORING_SETUP_COOP_TASKRUN);
    if (rc == -EINVAL)
        rc = io_uring_queue_init(max_ops, &b->ring, 0);
    if (rc < 0) {
        snprintf(err, errlen, "the kernel refused io_uring_setup for %u entries: %s (%s)", max_ops,
                 strerror(-rc), setup_advice(rc));
        free(b);
        return NULL;
    }
    if (!can_send_and_recv(&b->ring)) {
        snprintf(err, errlen,
                 "this kernel's io_uring has no send and recv operations (they "
                 "came in Linux 5.6)");
        sysbatch_free(b);
        return NULL;
    }
    return b;
}

void sysbatch_free(sysbatch *b)
{
    if (!b)
        return;
    io_uring_queue_exit(&b->ring);
    free(b);
}

/* The next free SQE, tagged with its index so the result lands in the right slot. */
static struct io_uring_sqe *next_entry(sysbatch *b)
{
    if (b->queued == b->max)
        abort(); /* a caller bug: the loop never queues more than it asked room for */
    struct io_uring_sqe *sqe = io_uring_get_sqe(&b->ring);
    if (!sqe)
        abort();
    io_uring_sqe_set_data64(sqe, b->queued);
    return sqe;
}

unsigned sysbatch_recv(sysbatch *b, int fd, void *buf, size_t len)
{
    /* MSG_DONTWAIT: with no data, answer -EAGAIN now instead of waiting inside the kernel. */
    io_uring_prep_recv(next_entry(b), fd, buf, len, MSG_DONTWAIT);
    return b->queued++;
}

unsigned sysbatch_send(sysbatch *b, int fd, const void *buf, size_t len)
{
    /* MSG_NOSIGNAL: a vanished peer gives -EPIPE, not a SIGPIPE that kills the server. */
    io_uring_prep_send(next_entry(b), fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
    return b->queued++;
}

unsigned sysbatch_queued(const sysbatch *b)
{
    return b->queued;
}

int sysbatch_run(sysbatch *b, ssize_t *result)
{
    unsigned n = b->queued;
    if (n == 0)
        return 0; /* nothing queued: no system call at all */
    b->queued = 0;
    for (unsigned i = 0; i < n; i++)
        result[i] = -EAGAIN; /* "not performed": what an operation the kernel never took means */
    /* One io_uring_enter(): the kernel takes the n entries and, as every one is non-blocking,
     * performs each before it returns. (It takes fewer only if it cannot allocate; the rest
     * stay in the ring until the caller frees the batch, and are never performed.) */
    int rc = io_uring_submit(&b->ring);
    unsigned taken = rc > 0 ? (unsigned)rc : 0;
    for (unsigned got = 0; got < taken; got++) {
        struct io_uring_cqe *cqe;
        do /* the results are already in the ring: this reads memory, no system call */
            rc = io_uring_wait_cqe(&b->ring, &cqe);
        while (rc == -EINTR);
        if (rc < 0)
            return -1;
        result[io_uring_cqe_get_data64(cqe)] = cqe->res;
        io_uring_cqe_seen(&b->ring, cqe);
    }
    return taken == n ? 0 : -1;
}
