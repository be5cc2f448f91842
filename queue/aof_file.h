/*
 * aof_file.h - the I/O shell of the append-only log (queue_broker --data DIR): the file
 * DIR/queue.aof, its fsync policy, loading it at start and compacting it. The record format
 * and the replay are in aof.h (pure, no I/O); this file only moves bytes to and from the disk.
 *
 * What it teaches: when is a record "on disk"? write() only copies it into the kernel's page
 * cache: it survives our process being killed (SIGKILL, a crash), not the machine losing
 * power. fdatasync() waits until the disk has it. The fsync policy (Redis's appendfsync names)
 * is the trade between the two:
 *   always    fdatasync before any reply that depends on the records leaves: nothing OK'd is
 *             ever lost, even to a power cut; one disk flush per round of the event loop
 *   everysec  fdatasync at most once a second: a power cut loses up to about the last second
 *   no        never fdatasync: the kernel writes dirty pages back when it wants (typically
 *             within 30 s on Linux: vm.dirty_expire_centisecs); a power cut loses that much
 * Under all three the records are written (write()) before the replies go out, so killing the
 * broker loses nothing it acknowledged.
 *
 * Interface: aof_file_open (lock, load, replay, repair a torn tail), aof_file_add (a record
 * into the pending buffer), aof_file_commit (write the pending records, and fdatasync under
 * always), aof_file_tick (everysec's fdatasync), aof_file_should_compact + aof_file_compact,
 * aof_file_close.
 */
#ifndef WIRELAB_AOF_FILE_H
#define WIRELAB_AOF_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "aof.h"

enum aof_fsync { AOF_FSYNC_ALWAYS = 0, AOF_FSYNC_EVERYSEC = 1, AOF_FSYNC_NO = 2 };

typedef struct aof_file aof_file;

/* What aof_file_open found. */
typedef struct aof_load_info {
    uint64_t bytes;   /* the log's size as found */
    uint64_t records; /* records replayed */
    uint64_t dropped; /* bytes of a torn last record that were cut off (0: none) */
    const char *why;  /* what was wrong with them */
    uint64_t skipped; /* records that did not fit the state (aof_state_skipped) */
    int created;      /* 1: there was no log: a new one was made */
} aof_load_info;

typedef struct aof_file_stats {
    uint64_t bytes;   /* the log's size now */
    uint64_t records; /* records appended since the start */
    uint64_t fsyncs;  /* fdatasync() calls after appends (the policy's; not those of creating,
                         repairing, compacting or closing the log) */
    uint64_t compactions;
} aof_file_stats;

/*
 * Open DIR/queue.aof (creating DIR and the file if needed), lock DIR (one broker per data
 * directory: DIR/LOCK, flock), and replay the log into *state (a new aof_state the caller
 * frees). A torn last record is cut off the file (and fsynced) and reported in info. Returns
 * NULL with a sentence in err when the directory cannot be used, another broker holds it, or
 * the log is corrupt before its end (the sentence says where and what to do).
 */
aof_file *aof_file_open(const char *dir, enum aof_fsync policy, uint64_t compact_min,
                        aof_state **state, aof_load_info *info, char *err, size_t errlen);

/* The path of the log file ("DIR/queue.aof"). */
const char *aof_file_path(const aof_file *f);

/* Append r to the records waiting to be written. -1 if memory ran out. */
int aof_file_add(aof_file *f, const aof_record *r);

/* Are records waiting (a reply that depends on them must wait for aof_file_commit)? */
int aof_file_pending(const aof_file *f);

/* write() the waiting records, and fdatasync() under always. 0, or -1 with err (the broker
 * must then stop without sending the replies that depended on them). */
int aof_file_commit(aof_file *f, char *err, size_t errlen);

/* everysec: fdatasync if something was written and the last one was a second or more ago. */
int aof_file_tick(aof_file *f, uint64_t now_ms, char *err, size_t errlen);

/* Is the log both over compact_min and at least twice the live state's size (the size after
 * the last compaction, or what aof_file_set_live gave at start)? */
int aof_file_should_compact(const aof_file *f);

/* At start: the live state's size (aof_state_live_bytes), the base of should_compact. */
void aof_file_set_live(aof_file *f, uint64_t bytes);

/*
 * Rewrite the log as the live state: snapshot(user, emit, ctx) calls emit(ctx, record) for each
 * record of the state (broker_snapshot does). Written to DIR/queue.aof.tmp, fdatasync'd, renamed
 * over DIR/queue.aof (atomic: a crash leaves the old log or the new one, never a mix), and the
 * directory fsync'd (so the rename itself survives a power cut). 0, or -1 with err (the old
 * log is still in use then).
 */
typedef void (*aof_emit_fn)(void *ctx, const aof_record *r);
int aof_file_compact(aof_file *f, void (*snapshot)(void *user, aof_emit_fn emit, void *ctx),
                     void *user, char *err, size_t errlen);

aof_file_stats aof_file_get_stats(const aof_file *f);

/* Commit, fdatasync (whatever the policy: a clean stop leaves everything on disk), unlock and
 * close. NULL is fine. */
int aof_file_close(aof_file *f, char *err, size_t errlen);

const char *aof_fsync_name(enum aof_fsync policy);

#endif
