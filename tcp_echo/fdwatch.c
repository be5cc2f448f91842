/*
 * fdwatch.c - other file descriptors on the loop: a socket the loop does not own, watched for
 * readiness and handed to a callback (see loop.h, loop_fd_watch).
 *
 * What it teaches: how a client library with its own protocol code joins an event loop it did
 * not write. hiredis (the Redis client events_server's Redis adapter uses) reads and writes its
 * socket itself; all it needs from a loop is "tell me when fd is readable / writable", through
 * five hooks (addRead, delRead, addWrite, delWrite, cleanup) that map onto loop_fd_want and
 * loop_fd_unwatch here, as hiredis's own adapters do for ae, libevent or libuv.
 *
 * A watch is unregistered from epoll at once by loop_fd_unwatch, but freed only at the end of
 * the round: epoll may already have reported it in this round's batch of events, and the
 * dispatch must still be able to look at it (and see that it is no longer active).
 */
#include "loop_internal.h"

#include <stdlib.h>
#include <sys/epoll.h>

struct loop_fd {
    watch w; /* first: what the epoll event points at */
    loop *l;
    uint32_t interest; /* EPOLLIN / EPOLLOUT currently asked for */
    int active;        /* 0 after loop_fd_unwatch: reports are ignored, freed at round's end */
    loop_fd_fn fn;
    void *arg;
    loop_fd *next; /* the loop's list of watches */
};

loop_fd *loop_fd_watch(loop *l, int fd, loop_fd_fn fn, void *arg)
{
    loop_fd *w = calloc(1, sizeof *w);
    if (w == NULL)
        return NULL;
    *w = (loop_fd){.w = {WATCH_FD, fd}, .l = l, .active = 1, .fn = fn, .arg = arg};
    struct epoll_event ev = {.events = 0, .data.ptr = &w->w};
    if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
        free(w);
        return NULL;
    }
    w->next = l->fds;
    l->fds = w;
    return w;
}

int loop_fd_want(loop_fd *w, int readable, int writable)
{
    uint32_t want = (readable ? EPOLLIN : 0u) | (writable ? EPOLLOUT : 0u);
    if (!w->active)
        return -1;
    if (want == w->interest)
        return 0;
    w->interest = want;
    struct epoll_event ev = {.events = want, .data.ptr = &w->w};
    return epoll_ctl(w->l->epfd, EPOLL_CTL_MOD, w->w.fd, &ev);
}

void loop_fd_unwatch(loop_fd *w)
{
    if (w == NULL || !w->active)
        return;
    epoll_ctl(w->l->epfd, EPOLL_CTL_DEL, w->w.fd, NULL); /* the owner closes the fd */
    w->active = 0;
}

int loop_fd_active(const loop_fd *w)
{
    return w->active;
}

/* From the dispatch: w's fd is ready (events as epoll reported them). */
void fdwatch_ready(watch *wt, uint32_t events)
{
    loop_fd *w = (loop_fd *)wt;
    if (!w->active)
        return;
    /* an error or hang-up is reported as readable: the owner's read sees it */
    int readable = (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0;
    w->fn(w, readable, (events & EPOLLOUT) != 0, w->arg);
}

/* End of a round (all = 0) or of the loop (all = 1): free the unwatched (or every) watch. */
void fdwatch_reap(loop *l, int all)
{
    for (loop_fd **p = &l->fds; *p;) {
        loop_fd *w = *p;
        if (all || !w->active) {
            *p = w->next;
            free(w);
        } else {
            p = &w->next;
        }
    }
}
