/*
 * ring_mpmc.c - the blocking multi-producer/multi-consumer queue: a ring_log, a mutex, and two
 * condition variables.
 *
 * What it teaches: the classic bounded buffer. The mutex makes every push and pop one atomic
 * step on the ring_log; a consumer that finds it empty sleeps on `not_empty` and a producer that
 * finds it full (reject policy) sleeps on `not_full`, each woken by the other side. Waits use
 * CLOCK_MONOTONIC deadlines so a wall-clock jump cannot stretch or cut a timeout, and every wait
 * sits in a loop that re-checks its condition (wake-ups can be spurious, and another thread may
 * have taken the message first).
 *
 * Signals are only sent when somebody waits (the waiter counts): with a steady stream and no
 * sleepers, push and pop are one lock, one copy, one unlock.
 * Run the tests: ctest -R 'queue_ring_test|queue_mpmc_stress'.
 */
#include "ring.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

struct ring_mpmc {
    pthread_mutex_t lock; /* protects everything below */
    pthread_cond_t not_empty;
    pthread_cond_t not_full;
    ring_log *log;
    enum ring_policy policy;
    int closed;
    unsigned waiting_pop;  /* consumers asleep on not_empty */
    unsigned waiting_push; /* producers asleep on not_full */
};

ring_mpmc *ring_mpmc_new(size_t capacity_bytes, size_t max_msgs, enum ring_policy policy)
{
    ring_mpmc *q = calloc(1, sizeof *q);
    if (q == NULL)
        return NULL;
    q->log = ring_log_new(capacity_bytes, max_msgs, policy);
    q->policy = policy;
    pthread_condattr_t attr;
    int ok = q->log != NULL && pthread_condattr_init(&attr) == 0;
    if (ok) {
        ok = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) == 0 &&
             pthread_cond_init(&q->not_empty, &attr) == 0 &&
             pthread_cond_init(&q->not_full, &attr) == 0 && pthread_mutex_init(&q->lock, NULL) == 0;
        pthread_condattr_destroy(&attr);
    }
    if (!ok) {
        ring_log_free(q->log);
        free(q);
        return NULL;
    }
    return q;
}

void ring_mpmc_free(ring_mpmc *q)
{
    if (q == NULL)
        return;
    pthread_cond_destroy(&q->not_empty);
    pthread_cond_destroy(&q->not_full);
    pthread_mutex_destroy(&q->lock);
    ring_log_free(q->log);
    free(q);
}

/* The absolute CLOCK_MONOTONIC time timeout_ms from now. */
static struct timespec deadline_after(int timeout_ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += timeout_ms / 1000;
    ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

/* Sleep on cv (lock held) until woken or the deadline; returns RING_TIMEOUT when it passed. */
static int wait_on(ring_mpmc *q, pthread_cond_t *cv, unsigned *waiters, int timeout_ms,
                   const struct timespec *deadline)
{
    int rc;
    (*waiters)++;
    if (timeout_ms < 0)
        rc = pthread_cond_wait(cv, &q->lock);
    else
        rc = pthread_cond_timedwait(cv, &q->lock, deadline);
    (*waiters)--;
    return rc == ETIMEDOUT ? RING_TIMEOUT : RING_OK;
}

int ring_mpmc_push(ring_mpmc *q, const void *data, size_t len, int timeout_ms, uint64_t *offset)
{
    struct timespec deadline = deadline_after(timeout_ms > 0 ? timeout_ms : 0);
    pthread_mutex_lock(&q->lock);
    int rc;
    for (;;) {
        rc = q->closed ? RING_CLOSED : ring_log_push(q->log, data, len, offset);
        if (rc != RING_FULL || timeout_ms == 0)
            break;
        if (wait_on(q, &q->not_full, &q->waiting_push, timeout_ms, &deadline) == RING_TIMEOUT) {
            rc = q->closed ? RING_CLOSED : ring_log_push(q->log, data, len, offset);
            if (rc == RING_FULL)
                rc = RING_TIMEOUT;
            break;
        }
    }
    if (rc == RING_OK && q->waiting_pop > 0)
        pthread_cond_signal(&q->not_empty); /* one message: one consumer needs waking */
    pthread_mutex_unlock(&q->lock);
    return rc;
}

int ring_mpmc_pop(ring_mpmc *q, void *buf, size_t cap, size_t *len, uint64_t *offset,
                  int timeout_ms)
{
    struct timespec deadline = deadline_after(timeout_ms > 0 ? timeout_ms : 0);
    pthread_mutex_lock(&q->lock);
    int rc;
    for (;;) {
        rc = ring_log_pop(q->log, buf, cap, len, offset);
        if (rc != RING_EMPTY)
            break;
        if (q->closed) {
            rc = RING_CLOSED;
            break;
        }
        if (timeout_ms == 0)
            break;
        if (wait_on(q, &q->not_empty, &q->waiting_pop, timeout_ms, &deadline) == RING_TIMEOUT) {
            rc = ring_log_pop(q->log, buf, cap, len, offset);
            if (rc == RING_EMPTY)
                rc = q->closed ? RING_CLOSED : RING_TIMEOUT;
            break;
        }
    }
    /* Room appeared: producers blocked by the reject policy can try again. Broadcast, not
     * signal: messages differ in size, and the one producer a signal would wake may need more
     * room than we freed while another's message would fit; each re-checks and sleeps again. */
    if (rc == RING_OK && q->waiting_push > 0)
        pthread_cond_broadcast(&q->not_full);
    pthread_mutex_unlock(&q->lock);
    return rc;
}

void ring_mpmc_close(ring_mpmc *q)
{
    pthread_mutex_lock(&q->lock);
    q->closed = 1;
    pthread_cond_broadcast(&q->not_empty);
    pthread_cond_broadcast(&q->not_full);
    pthread_mutex_unlock(&q->lock);
}

size_t ring_mpmc_count(ring_mpmc *q)
{
    pthread_mutex_lock(&q->lock);
    size_t n = ring_log_count(q->log);
    pthread_mutex_unlock(&q->lock);
    return n;
}

uint64_t ring_mpmc_overwritten(ring_mpmc *q)
{
    pthread_mutex_lock(&q->lock);
    uint64_t n = ring_log_overwritten(q->log);
    pthread_mutex_unlock(&q->lock);
    return n;
}
