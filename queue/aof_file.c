/*
 * aof_file.c - the append-only log on disk (see aof_file.h): lock, load, append, fsync policy,
 * compaction. Every byte it reads goes through aof_scan/aof_decode (aof.c), every byte it
 * writes comes from aof_encode.
 *
 * What it teaches: the system calls that make a file durable, in the order that matters.
 *   append      write(fd, records) on an O_APPEND descriptor; then fdatasync(fd) (the data and
 *               the file's size; not its timestamps, which replay does not need)
 *   repair      ftruncate(fd, good) cuts a torn last record off, then fdatasync
 *   compaction  write DIR/queue.aof.tmp, fdatasync it, rename() it over DIR/queue.aof, then
 *               fsync(DIR): rename is atomic (a crash leaves the old file or the new one), but
 *               it changes the directory, and only the directory's fsync makes that durable
 *   creation    the same: a new file is written with its header, fdatasync'd, and DIR fsync'd
 * Everything here runs in the event loop's thread and blocks it while the disk works (Redis
 * does its fsyncs and rewrites in a background thread and a forked child instead; this broker
 * keeps one thread so that the order of events stays easy to follow).
 * Run it: queue_broker --data DIR [--fsync always|everysec|no]; tests: ctest -R queue_broker_crash.
 */
#define _GNU_SOURCE /* O_CLOEXEC, fdatasync */
#include "aof_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PATH_LEN 4096

struct aof_file {
    int fd, lock_fd;
    enum aof_fsync policy;
    char dir[PATH_LEN], path[PATH_LEN], tmp[PATH_LEN];
    uint8_t *pending; /* encoded records not yet written */
    size_t npending, cap;
    int dirty;                  /* written since the last fdatasync */
    uint64_t last_sync_ms;      /* everysec: when */
    uint64_t compact_min, base; /* compaction threshold: size >= max(compact_min, 2 * base) */
    aof_file_stats stats;
};

const char *aof_fsync_name(enum aof_fsync policy)
{
    static const char *const names[] = {"always", "everysec", "no"};
    return names[policy];
}

/* "what: strerror" into err; -1. */
static int sys_err(char *err, size_t errlen, const char *what, const char *path)
{
    snprintf(err, errlen, "%s %s: %s", what, path, strerror(errno));
    return -1;
}

/* fsync a directory, so that a file created or renamed in it stays after a power cut. */
static int sync_dir(const char *dir, char *err, size_t errlen)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || fsync(fd) < 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        errno = e;
        return sys_err(err, errlen, "cannot fsync the directory", dir);
    }
    close(fd);
    return 0;
}

/* The whole of fd's n bytes written (write() may take fewer). 0, or -1 with errno. */
static int write_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int datasync(int fd, const char *path, char *err, size_t errlen)
{
    if (fdatasync(fd) < 0)
        return sys_err(err, errlen, "fdatasync failed on", path);
    return 0;
}

/* ---- opening and loading ----------------------------------------------------------------- */

static int lock_dir(aof_file *f, char *err, size_t errlen)
{
    char lock[PATH_LEN + 8];
    snprintf(lock, sizeof lock, "%s/LOCK", f->dir);
    f->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (f->lock_fd < 0)
        return sys_err(err, errlen, "cannot open", lock);
    if (flock(f->lock_fd, LOCK_EX | LOCK_NB) < 0) {
        snprintf(err, errlen,
                 "another queue_broker is using %s (it holds %s): one broker per data directory",
                 f->dir, lock);
        return -1;
    }
    return 0;
}

/* Replay buf[header .. good) into s. */
static int replay(aof_state *s, const uint8_t *buf, size_t good, char *err, size_t errlen)
{
    size_t at = AOF_HEADER_LEN, used;
    aof_record r;
    while (at < good) {
        if (aof_decode(buf + at, good - at, &r, &used, NULL) != AOF_OK ||
            aof_state_apply(s, &r) < 0) {
            snprintf(err, errlen, "out of memory replaying the log");
            return -1;
        }
        at += used;
    }
    return 0;
}

/* Map the log read-only and scan it; repair a torn tail; replay the good part. */
static int load(aof_file *f, aof_state *s, aof_load_info *info, char *err, size_t errlen)
{
    struct stat st;
    if (fstat(f->fd, &st) < 0)
        return sys_err(err, errlen, "cannot stat", f->path);
    size_t len = (size_t)st.st_size;
    info->bytes = len;
    const uint8_t *buf = (const uint8_t *)"";
    void *map = NULL;
    if (len > 0) {
        map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, f->fd, 0);
        if (map == MAP_FAILED)
            return sys_err(err, errlen, "cannot read", f->path);
        buf = map;
    }
    aof_scan_result sc = aof_scan(buf, len);
    int rc = 0;
    if (sc.corrupt) {
        snprintf(err, errlen,
                 "%s is damaged at byte %zu (%s), and valid records follow at byte %zu: this "
                 "is not a crash in the middle of a write, so nothing is guessed. Keep a copy, "
                 "then either truncate it at byte %zu (losing what follows) or move it away",
                 f->path, sc.good, sc.why, sc.resync_at, sc.good);
        rc = -1;
    } else {
        rc = replay(s, buf, sc.good, err, errlen);
        info->records = sc.records;
        if (sc.torn) {
            info->dropped = len - sc.good;
            info->why = sc.why;
        }
    }
    if (map != NULL)
        munmap(map, len);
    if (rc == 0 && sc.torn) { /* cut it off, so that new records follow the last good one */
        if (ftruncate(f->fd, (off_t)sc.good) < 0)
            return sys_err(err, errlen, "cannot cut the torn record off", f->path);
        if (datasync(f->fd, f->path, err, errlen) < 0)
            return -1;
    }
    f->stats.bytes = rc == 0 ? sc.good : len;
    return rc;
}

/* A log with just its header (new, or all of it was a torn header). */
static int write_header(aof_file *f, char *err, size_t errlen)
{
    if (ftruncate(f->fd, 0) < 0 || write_all(f->fd, (const uint8_t *)AOF_MAGIC, AOF_HEADER_LEN))
        return sys_err(err, errlen, "cannot write", f->path);
    f->stats.bytes = AOF_HEADER_LEN;
    if (datasync(f->fd, f->path, err, errlen) < 0)
        return -1;
    return sync_dir(f->dir, err, errlen);
}

aof_file *aof_file_open(const char *dir, enum aof_fsync policy, uint64_t compact_min,
                        aof_state **state, aof_load_info *info, char *err, size_t errlen)
{
    *state = NULL;
    memset(info, 0, sizeof *info);
    if (strlen(dir) + 16 > PATH_LEN) {
        snprintf(err, errlen, "--data: the path is too long");
        return NULL;
    }
    aof_file *f = calloc(1, sizeof *f);
    if (f == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    f->fd = f->lock_fd = -1;
    f->policy = policy;
    f->compact_min = compact_min;
    snprintf(f->dir, sizeof f->dir, "%s", dir);
    snprintf(f->path, sizeof f->path, "%s/queue.aof", dir);
    snprintf(f->tmp, sizeof f->tmp, "%s/queue.aof.tmp", dir);
    if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
        sys_err(err, errlen, "cannot create the data directory", dir);
        goto fail;
    }
    if (lock_dir(f, err, errlen) < 0)
        goto fail;
    f->fd = open(f->path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (f->fd < 0) {
        sys_err(err, errlen, "cannot open", f->path);
        goto fail;
    }
    *state = aof_state_new();
    if (*state == NULL) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    if (load(f, *state, info, err, errlen) < 0)
        goto fail;
    info->skipped = aof_state_skipped(*state);
    if (f->stats.bytes < AOF_HEADER_LEN) {
        info->created = info->bytes == 0;
        if (write_header(f, err, errlen) < 0)
            goto fail;
    }
    f->base = f->stats.bytes;
    unlink(f->tmp); /* a compaction that a crash interrupted: the log itself is complete */
    return f;
fail:
    aof_state_free(*state);
    *state = NULL;
    if (f->fd >= 0)
        close(f->fd);
    if (f->lock_fd >= 0)
        close(f->lock_fd);
    free(f);
    return NULL;
}

const char *aof_file_path(const aof_file *f)
{
    return f->path;
}

/* ---- appending --------------------------------------------------------------------------- */

int aof_file_add(aof_file *f, const aof_record *r)
{
    if (f->cap - f->npending < AOF_RECORD_MAX) {
        size_t ncap = f->cap ? 2 * f->cap : 4 * (size_t)AOF_RECORD_MAX;
        while (ncap - f->npending < AOF_RECORD_MAX)
            ncap *= 2;
        uint8_t *p = realloc(f->pending, ncap);
        if (p == NULL)
            return -1;
        f->pending = p;
        f->cap = ncap;
    }
    size_t n = aof_encode(r, f->pending + f->npending, f->cap - f->npending);
    if (n == 0)
        return -1;
    f->npending += n;
    f->stats.records++;
    return 0;
}

int aof_file_pending(const aof_file *f)
{
    return f->npending > 0;
}

int aof_file_commit(aof_file *f, char *err, size_t errlen)
{
    if (f->npending > 0) {
        if (write_all(f->fd, f->pending, f->npending) < 0)
            return sys_err(err, errlen, "cannot write to", f->path);
        f->stats.bytes += f->npending;
        f->npending = 0;
        f->dirty = 1;
    }
    if (f->policy == AOF_FSYNC_ALWAYS && f->dirty) {
        f->dirty = 0;
        f->stats.fsyncs++;
        return datasync(f->fd, f->path, err, errlen);
    }
    return 0;
}

int aof_file_tick(aof_file *f, uint64_t now_ms, char *err, size_t errlen)
{
    if (f->policy != AOF_FSYNC_EVERYSEC || !f->dirty || now_ms - f->last_sync_ms < 1000)
        return 0;
    f->dirty = 0;
    f->last_sync_ms = now_ms;
    f->stats.fsyncs++;
    return datasync(f->fd, f->path, err, errlen);
}

/* ---- compaction -------------------------------------------------------------------------- */

int aof_file_should_compact(const aof_file *f)
{
    return f->stats.bytes >= f->compact_min && f->stats.bytes / 2 >= f->base;
}

struct compaction {
    aof_file *f;
    int fd, failed;
    uint8_t *buf;
    size_t len, cap;
    uint64_t bytes;
};

/* Write what the compaction buffer holds to the new file. */
static void compaction_flush(struct compaction *c)
{
    if (!c->failed && write_all(c->fd, c->buf, c->len) < 0)
        c->failed = errno;
    c->bytes += c->len;
    c->len = 0;
}

static void compaction_emit(void *ctx, const aof_record *r)
{
    struct compaction *c = ctx;
    if (c->cap - c->len < AOF_RECORD_MAX)
        compaction_flush(c);
    size_t n = aof_encode(r, c->buf + c->len, c->cap - c->len);
    if (n == 0 && !c->failed)
        c->failed = EINVAL;
    c->len += n;
}

int aof_file_compact(aof_file *f, void (*snapshot)(void *user, aof_emit_fn emit, void *ctx),
                     void *user, char *err, size_t errlen)
{
    if (aof_file_commit(f, err, errlen) < 0) /* the old log must hold everything first */
        return -1;
    struct compaction c = {.f = f, .cap = 4 * (size_t)AOF_RECORD_MAX};
    c.fd = open(f->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (c.fd < 0)
        return sys_err(err, errlen, "cannot create", f->tmp);
    c.buf = malloc(c.cap);
    if (c.buf == NULL) {
        c.failed = ENOMEM;
    } else {
        memcpy(c.buf, AOF_MAGIC, AOF_HEADER_LEN);
        c.len = AOF_HEADER_LEN;
        snapshot(user, compaction_emit, &c);
        compaction_flush(&c);
    }
    free(c.buf);
    int rc = -1;
    if (c.failed) {
        errno = c.failed;
        sys_err(err, errlen, "cannot write the compacted log", f->tmp);
    } else if (datasync(c.fd, f->tmp, err, errlen) == 0) {
        if (rename(f->tmp, f->path) < 0)
            sys_err(err, errlen, "cannot rename the compacted log over", f->path);
        else
            rc = 0;
    }
    if (rc < 0) {
        close(c.fd);
        unlink(f->tmp);
        return -1;
    }
    /* From here the new file is the log: append to it (its descriptor was opened without
     * O_APPEND, but it is at its end and only we write it). */
    close(f->fd);
    f->fd = c.fd;
    f->stats.bytes = f->base = c.bytes;
    f->stats.compactions++;
    f->dirty = 0;
    return sync_dir(f->dir, err, errlen);
}

void aof_file_set_live(aof_file *f, uint64_t bytes)
{
    f->base = bytes;
}

aof_file_stats aof_file_get_stats(const aof_file *f)
{
    return f->stats;
}

int aof_file_close(aof_file *f, char *err, size_t errlen)
{
    if (f == NULL)
        return 0;
    int rc = aof_file_commit(f, err, errlen);
    if (rc == 0 && f->policy != AOF_FSYNC_ALWAYS)
        rc = datasync(f->fd, f->path, err, errlen);
    close(f->fd);
    close(f->lock_fd); /* (closing the lock's descriptor releases the flock) */
    free(f->pending);
    free(f);
    return rc;
}
