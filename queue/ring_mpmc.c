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
 * sleepers, push and pop are one lock, one copy, one unlock. Producers blocked on "full" are
 * woken at half full, not at every pop; a consumer spins a moment before it sleeps.
 * ring_mpmc_pop_many takes every message that fits in one lock: under load, the lock and the
 * wake-up are paid per batch. Run the tests: ctest -R 'queue_ring_test|queue_mpmc_stress'.
 */
#include "ring.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
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
    /* A copy of the message count, stored under the lock after every change, that a consumer
     * about to sleep may read without the lock (see spin_for_message). Only a hint. */
    _Atomic size_t hint;
};

/* How many times a consumer polls `hint` before it sleeps: about a microsecond. */
#define SPIN_POLLS 256

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

/* Store the count hint (lock held). Relaxed: it carries no data, only "worth re-checking". */
static void update_hint(ring_mpmc *q)
{
    atomic_store_explicit(&q->hint, ring_log_count(q->log), memory_order_relaxed);
}

/* How long a call may wait. The deadline is computed at the first sleep only: most calls never
 * sleep, and reading the clock on every push and pop would cost more than the push itself. */
struct wait {
    int timeout_ms; /* -1 for ever, 0 never, N > 0 milliseconds */
    int have_deadline;
    struct timespec deadline;
};

/* Sleep on cv (lock held) until woken or the deadline; returns RING_TIMEOUT when it passed. */
static int wait_on(ring_mpmc *q, pthread_cond_t *cv, unsigned *waiters, struct wait *w)
{
    int rc;
    (*waiters)++;
    if (w->timeout_ms < 0) {
        rc = pthread_cond_wait(cv, &q->lock);
    } else {
        if (!w->have_deadline) {
            w->deadline = deadline_after(w->timeout_ms);
            w->have_deadline = 1;
        }
        rc = pthread_cond_timedwait(cv, &q->lock, &w->deadline);
    }
    (*waiters)--;
    return rc == ETIMEDOUT ? RING_TIMEOUT : RING_OK;
}

/* With the lock held: push the first message, waiting for room as the policy and timeout say. */
static int push_first(ring_mpmc *q, const void *data, size_t len, struct wait *w, uint64_t *offset)
{
    for (;;) {
        int rc = q->closed ? RING_CLOSED : ring_log_push(q->log, data, len, offset);
        if (rc != RING_FULL || w->timeout_ms == 0)
            return rc;
        if (wait_on(q, &q->not_full, &q->waiting_push, w) == RING_TIMEOUT) {
            rc = q->closed ? RING_CLOSED : ring_log_push(q->log, data, len, offset);
            return rc == RING_FULL ? RING_TIMEOUT : rc;
        }
    }
}

/* With the lock held, after adding n messages: wake consumers asleep on "empty". */
static void wake_consumers(ring_mpmc *q, size_t n)
{
    update_hint(q);
    if (q->waiting_pop == 0)
        return;
    if (n == 1)
        pthread_cond_signal(&q->not_empty); /* one message: one consumer needs waking */
    else
        pthread_cond_broadcast(&q->not_empty);
}

int ring_mpmc_push(ring_mpmc *q, const void *data, size_t len, int timeout_ms, uint64_t *offset)
{
    struct wait w = {.timeout_ms = timeout_ms};
    pthread_mutex_lock(&q->lock);
    int rc = push_first(q, data, len, &w, offset);
    if (rc == RING_OK)
        wake_consumers(q, 1);
    pthread_mutex_unlock(&q->lock);
    return rc;
}

int ring_mpmc_push_many(ring_mpmc *q, const void *data, const size_t *lens, size_t n,
                        int timeout_ms, size_t *pushed)
{
    struct wait w = {.timeout_ms = timeout_ms};
    const uint8_t *p = data;
    *pushed = 0;
    if (n == 0)
        return RING_OK;
    pthread_mutex_lock(&q->lock);
    int rc = push_first(q, p, lens[0], &w, NULL);
    if (rc == RING_OK) {
        /* The rest only while they fit: one lock for the whole batch, never a wait inside. */
        size_t at = lens[0];
        for (*pushed = 1; *pushed < n; (*pushed)++) {
            if (ring_log_push(q->log, p + at, lens[*pushed], NULL) != RING_OK)
                break; /* full (reject policy) or too big: the caller retries from here */
            at += lens[*pushed];
        }
        wake_consumers(q, *pushed);
    }
    pthread_mutex_unlock(&q->lock);
    return rc;
}

/*
 * The queue is empty and we would sleep (lock held). Sleeping and being woken costs two system
 * calls and a context switch, far more than a push takes, and when producer and consumer run
 * on two cores the next message is often only nanoseconds away. So first let go of the lock
 * and poll the hint briefly; the caller re-checks under the lock either way (the hint may be
 * stale: it is not what decides).
 */
static void spin_for_message(ring_mpmc *q)
{
    pthread_mutex_unlock(&q->lock);
    for (int i = 0; i < SPIN_POLLS; i++)
        if (atomic_load_explicit(&q->hint, memory_order_relaxed) > 0)
            break;
    pthread_mutex_lock(&q->lock);
}

/* With the lock held: wait until a message is there (RING_OK), or say why not. */
static int wait_for_message(ring_mpmc *q, struct wait *w)
{
    int spun = 0;
    for (;;) {
        if (ring_log_count(q->log) > 0)
            return RING_OK;
        if (q->closed)
            return RING_CLOSED; /* closed and drained */
        if (w->timeout_ms == 0)
            return RING_EMPTY;
        if (!spun) {
            spun = 1;
            spin_for_message(q);
            continue;
        }
        if (wait_on(q, &q->not_empty, &q->waiting_pop, w) == RING_TIMEOUT)
            return ring_log_count(q->log) > 0 ? RING_OK : q->closed ? RING_CLOSED : RING_TIMEOUT;
    }
}

/*
 * With the lock held, after taking messages: wake the producers that the reject policy put to
 * sleep - but only once the queue is down to half full (a "low-water mark"). Waking them at
 * every pop would have them push one message, find it full again, and sleep again: a wake-up
 * and a context switch per message. Waiting for half lets each wake-up refill in a burst.
 * Broadcast, not signal: messages differ in size, and the one producer a signal would wake may
 * need more room than there is while another's message would fit.
 */
static void wake_producers(ring_mpmc *q)
{
    update_hint(q);
    if (q->waiting_push == 0)
        return;
    size_t max = ring_log_max_msgs(q->log);
    int half_bytes = ring_log_used(q->log) <= ring_log_capacity(q->log) / 2;
    int half_msgs = max == 0 || ring_log_count(q->log) <= max / 2;
    if (half_bytes && half_msgs)
        pthread_cond_broadcast(&q->not_full);
}

int ring_mpmc_pop(ring_mpmc *q, void *buf, size_t cap, size_t *len, uint64_t *offset,
                  int timeout_ms)
{
    struct wait w = {.timeout_ms = timeout_ms};
    pthread_mutex_lock(&q->lock);
    int rc = wait_for_message(q, &w);
    if (rc == RING_OK)
        rc = ring_log_pop(q->log, buf, cap, len, offset);
    if (rc == RING_OK)
        wake_producers(q);
    pthread_mutex_unlock(&q->lock);
    return rc;
}

int ring_mpmc_pop_many(ring_mpmc *q, void *buf, size_t cap, size_t *lens, size_t max, size_t *n,
                       int timeout_ms)
{
    struct wait w = {.timeout_ms = timeout_ms};
    *n = 0;
    pthread_mutex_lock(&q->lock);
    int rc = wait_for_message(q, &w);
    size_t used = 0;
    while (rc == RING_OK && *n < max) {
        /* Messages go back to back into buf; stop at the first that does not fit. */
        int r = ring_log_pop(q->log, (uint8_t *)buf + used, cap - used, &lens[*n], NULL);
        if (r != RING_OK) {
            if (*n == 0)
                rc = r; /* RING_TOOSMALL: lens[0] is the size the first one needs */
            break;
        }
        used += lens[(*n)++];
    }
    if (*n > 0)
        wake_producers(q);
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
