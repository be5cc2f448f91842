/*
 * aof_state.c - replay: the records of an append-only log, applied one by one, rebuild where
 * every live message is (see aof.h). No I/O: aof_file.c reads the file, queue_broker.c loads
 * the result into the broker; the unit tests apply records by hand.
 *
 * What it teaches: a log is the history; the state is what the history adds up to. Each
 * message is in one place at a time, and each record moves one message:
 *
 *   PUSH -> fresh --DELIVER--> in flight --ACK--> (gone)
 *              redo <--BACK--'     |  `--DEAD--> dead --REQUEUE--> redo
 *   redo --DELIVER--> in flight    `--DROP (overwrite policy, dead-letter list full) --> gone
 *
 * After a crash no consumer is connected, so what was in flight comes back first (as if every
 * consumer had disconnected). A record that does not fit (an ACK of an id that is not in
 * flight, say) is skipped and counted rather than guessed at: with a correct writer there are
 * none, and the fuzzer checks that nothing it feeds breaks the bookkeeping.
 *
 * Memory: one entry per live message (a hash by id), and per topic the messages published
 * since the last compaction (aof_state_published returns at most `keep` of them per topic).
 * Run the tests: ctest -R queue_aof_test.
 */
#include "aof.h"

#include <stdlib.h>
#include <string.h>

struct entry {
    struct entry *hnext;
    aof_msg m;
    size_t qi; /* index into names */
};

struct topic {
    char *name;
    aof_pub *a; /* by offset */
    size_t n, cap;
};

struct aof_state {
    struct entry **table;
    size_t nbuckets, live;
    char **names; /* queue names, in the order the log first named them */
    size_t nnames, cap_names;
    struct topic *topics; /* in the order the log first named them */
    size_t ntopics, cap_topics;
    uint64_t last_id, seq, skipped;
    aof_msg *out; /* aof_state_messages' answer */
    aof_pub *pout;
};

aof_state *aof_state_new(void)
{
    aof_state *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    s->nbuckets = 64;
    s->table = calloc(s->nbuckets, sizeof *s->table);
    if (s->table == NULL) {
        free(s);
        return NULL;
    }
    return s;
}

void aof_state_free(aof_state *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->nbuckets; i++) {
        for (struct entry *e = s->table[i], *next; e != NULL; e = next) {
            next = e->hnext;
            free(e);
        }
    }
    for (size_t i = 0; i < s->nnames; i++)
        free(s->names[i]);
    for (size_t i = 0; i < s->ntopics; i++) {
        for (size_t j = 0; j < s->topics[i].n; j++)
            free((void *)s->topics[i].a[j].msg);
        free(s->topics[i].a);
        free(s->topics[i].name);
    }
    free(s->table);
    free(s->names);
    free(s->topics);
    free(s->out);
    free(s->pout);
    free(s);
}

/* ---- names ------------------------------------------------------------------------------- */

static char *copy_name(const char *name, size_t len)
{
    char *copy = malloc(len + 1);
    if (copy != NULL) {
        memcpy(copy, name, len);
        copy[len] = '\0';
    }
    return copy;
}

static int same(const char *known, const char *name, size_t len)
{
    return strlen(known) == len && memcmp(known, name, len) == 0;
}

/* The index of a queue name (added if new), or -1 if memory ran out. */
static long queue_index(aof_state *s, const char *name, size_t len)
{
    for (size_t i = 0; i < s->nnames; i++)
        if (same(s->names[i], name, len))
            return (long)i;
    if (s->nnames == s->cap_names) {
        size_t ncap = s->cap_names ? 2 * s->cap_names : 8;
        char **a = realloc(s->names, ncap * sizeof *a);
        if (a == NULL)
            return -1;
        s->names = a;
        s->cap_names = ncap;
    }
    if ((s->names[s->nnames] = copy_name(name, len)) == NULL)
        return -1;
    return (long)s->nnames++;
}

/* The topic called name (added if new), or NULL if memory ran out. */
static struct topic *topic_for(aof_state *s, const char *name, size_t len)
{
    for (size_t i = 0; i < s->ntopics; i++)
        if (same(s->topics[i].name, name, len))
            return &s->topics[i];
    if (s->ntopics == s->cap_topics) {
        size_t ncap = s->cap_topics ? 2 * s->cap_topics : 8;
        struct topic *a = realloc(s->topics, ncap * sizeof *a);
        if (a == NULL)
            return NULL;
        s->topics = a;
        s->cap_topics = ncap;
    }
    struct topic *t = &s->topics[s->ntopics];
    *t = (struct topic){.name = copy_name(name, len)};
    if (t->name == NULL)
        return NULL;
    s->ntopics++;
    return t;
}

/* ---- the id hash ------------------------------------------------------------------------- */

static struct entry **slot(aof_state *s, uint64_t id)
{
    struct entry **pp = &s->table[id & (s->nbuckets - 1)];
    while (*pp != NULL && (*pp)->m.id != id)
        pp = &(*pp)->hnext;
    return pp; /* *pp is the entry, or NULL where it would go */
}

static void grow(aof_state *s)
{
    size_t n = 2 * s->nbuckets;
    struct entry **t = calloc(n, sizeof *t);
    if (t == NULL)
        return; /* longer chains, still correct */
    for (size_t i = 0; i < s->nbuckets; i++) {
        for (struct entry *e = s->table[i], *next; e != NULL; e = next) {
            next = e->hnext;
            e->hnext = t[e->m.id & (n - 1)];
            t[e->m.id & (n - 1)] = e;
        }
    }
    free(s->table);
    s->table = t;
    s->nbuckets = n;
}

/* A new live message (PUSH or KEEP). 0, 1 if the id is live already, -1 out of memory. */
static int add(aof_state *s, const aof_record *r, uint8_t where)
{
    if (*slot(s, r->id) != NULL || r->id == 0)
        return 1;
    long qi = queue_index(s, r->name, r->name_len);
    struct entry *e = qi < 0 ? NULL : calloc(1, sizeof *e + r->msg_len);
    if (e == NULL)
        return -1;
    uint8_t *copy = (uint8_t *)(e + 1);
    memcpy(copy, r->msg, r->msg_len);
    e->qi = (size_t)qi;
    e->m = (aof_msg){.id = r->id,
                     .seq = ++s->seq,
                     .where = where,
                     .reason = r->reason,
                     .seen = r->seen,
                     .deliveries = r->deliveries,
                     .len = r->msg_len,
                     .msg = copy};
    if (s->live >= s->nbuckets)
        grow(s);
    struct entry **pp = slot(s, r->id);
    *pp = e;
    s->live++;
    if (r->id > s->last_id)
        s->last_id = r->id;
    return 0;
}

/* A PUB: kept after the topic's last offset. 0, 1 if not after it, -1 out of memory. */
static int publish(aof_state *s, const aof_record *r)
{
    struct topic *t = topic_for(s, r->name, r->name_len);
    if (t == NULL)
        return -1;
    if (t->n > 0 && r->id <= t->a[t->n - 1].offset)
        return 1;
    if (r->id == 0)
        return 1;
    if (t->n == t->cap) {
        size_t ncap = t->cap ? 2 * t->cap : 16;
        aof_pub *a = realloc(t->a, ncap * sizeof *a);
        if (a == NULL)
            return -1;
        t->a = a;
        t->cap = ncap;
    }
    uint8_t *copy = malloc(r->msg_len);
    if (copy == NULL)
        return -1;
    memcpy(copy, r->msg, r->msg_len);
    t->a[t->n++] = (aof_pub){.topic = t->name, .offset = r->id, .len = r->msg_len, .msg = copy};
    return 0;
}

/* Move a live message: from one of the places in `from` (a bit mask of 1 << where) to `to`. */
static int move(aof_state *s, const aof_record *r, unsigned from, uint8_t to)
{
    struct entry *e = *slot(s, r->id);
    if (e == NULL || !(from & (1u << e->m.where)))
        return 1;
    e->m.where = to;
    e->m.seq = ++s->seq;
    if (r->type == AOF_DELIVER) {
        e->m.deliveries++;
        e->m.seen = 1;
    } else if (r->type == AOF_REQUEUE) {
        e->m.deliveries = 0;
    } else {
        e->m.reason = r->reason;
    }
    return 0;
}

/* Delete a live message (ACK: only from flight; DROP: from anywhere). */
static int remove_entry(aof_state *s, uint64_t id, unsigned from)
{
    struct entry **pp = slot(s, id);
    struct entry *e = *pp;
    if (e == NULL || !(from & (1u << e->m.where)))
        return 1;
    *pp = e->hnext;
    free(e);
    s->live--;
    return 0;
}

#define FROM(w) (1u << (w))

int aof_state_apply(aof_state *s, const aof_record *r)
{
    int rc = 1;
    switch (r->type) {
    case AOF_PUSH:
        rc = add(s, r, AOF_FRESH);
        break;
    case AOF_KEEP:
        rc = add(s, r, r->where);
        break;
    case AOF_DELIVER:
        rc = move(s, r, FROM(AOF_FRESH) | FROM(AOF_REDO), AOF_FLIGHT);
        break;
    case AOF_BACK:
        rc = move(s, r, FROM(AOF_FLIGHT), AOF_REDO);
        break;
    case AOF_DEAD:
        rc = move(s, r, FROM(AOF_FLIGHT), AOF_DEADLIST);
        break;
    case AOF_REQUEUE:
        rc = move(s, r, FROM(AOF_DEADLIST), AOF_REDO);
        break;
    case AOF_ACK:
        rc = remove_entry(s, r->id, FROM(AOF_FLIGHT));
        break;
    case AOF_DROP:
        rc = remove_entry(s, r->id, 0xFu);
        break;
    case AOF_PUB:
        rc = publish(s, r);
        break;
    case AOF_NEXT:
        if (r->id > s->last_id)
            s->last_id = r->id;
        rc = 0;
        break;
    }
    if (rc == 1)
        s->skipped++;
    return rc;
}

/* ---- the answer -------------------------------------------------------------------------- */

/* Per queue: redo, then what was in flight, then fresh, then dead. */
static int place_rank(uint8_t where)
{
    static const int rank[] = {
        [AOF_REDO] = 0, [AOF_FLIGHT] = 1, [AOF_FRESH] = 2, [AOF_DEADLIST] = 3};
    return rank[where];
}

static int cmp_u64(uint64_t a, uint64_t b)
{
    return (a > b) - (a < b);
}

/* qsort order of live entries: queue, place, then id (fresh) or seq (the others). */
static int by_place(const void *pa, const void *pb)
{
    const struct entry *a = *(const struct entry *const *)pa, *b = *(const struct entry *const *)pb;
    if (a->qi != b->qi)
        return a->qi < b->qi ? -1 : 1;
    if (a->m.where != b->m.where)
        return place_rank(a->m.where) - place_rank(b->m.where);
    if (a->m.where == AOF_FRESH)
        return cmp_u64(a->m.id, b->m.id);
    return cmp_u64(a->m.seq, b->m.seq);
}

const aof_msg *aof_state_messages(aof_state *s, size_t *n)
{
    *n = 0;
    free(s->out);
    s->out = NULL;
    if (s->live == 0)
        return NULL;
    struct entry **all = malloc(s->live * sizeof *all);
    s->out = malloc(s->live * sizeof *s->out);
    if (all == NULL || s->out == NULL) {
        free(all);
        free(s->out);
        s->out = NULL;
        return NULL;
    }
    size_t k = 0;
    for (size_t i = 0; i < s->nbuckets; i++)
        for (struct entry *e = s->table[i]; e != NULL; e = e->hnext)
            all[k++] = e;
    qsort(all, k, sizeof *all, by_place);
    for (size_t i = 0; i < k; i++) {
        s->out[i] = all[i]->m;
        s->out[i].queue = s->names[all[i]->qi];
    }
    free(all);
    *n = k;
    return s->out;
}

const aof_pub *aof_state_published(aof_state *s, size_t keep, size_t *n)
{
    *n = 0;
    free(s->pout);
    s->pout = NULL;
    size_t total = 0;
    for (size_t i = 0; i < s->ntopics; i++)
        total += s->topics[i].n < keep ? s->topics[i].n : keep;
    if (total == 0 || (s->pout = malloc(total * sizeof *s->pout)) == NULL)
        return NULL;
    for (size_t i = 0; i < s->ntopics; i++) {
        const struct topic *t = &s->topics[i];
        size_t from = t->n > keep ? t->n - keep : 0; /* the newest `keep` */
        for (size_t j = from; j < t->n; j++)
            s->pout[(*n)++] = t->a[j];
    }
    return s->pout;
}

uint64_t aof_state_last_id(const aof_state *s)
{
    return s->last_id;
}

uint64_t aof_state_live_bytes(aof_state *s, size_t keep)
{
    uint64_t bytes = AOF_HEADER_LEN + AOF_FRAME_LEN + 9; /* the header and NEXT */
    for (size_t i = 0; i < s->nbuckets; i++)
        for (const struct entry *e = s->table[i]; e != NULL; e = e->hnext)
            bytes += AOF_FRAME_LEN + 9 + 7 + 1 + strlen(s->names[e->qi]) + e->m.len;
    for (size_t i = 0; i < s->ntopics; i++) {
        const struct topic *t = &s->topics[i];
        for (size_t j = t->n > keep ? t->n - keep : 0; j < t->n; j++)
            bytes += AOF_FRAME_LEN + 9 + 1 + strlen(t->name) + t->a[j].len;
    }
    return bytes;
}

uint64_t aof_state_skipped(const aof_state *s)
{
    return s->skipped;
}
