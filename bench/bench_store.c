/* Record-store benchmarks: the library's store over SQLite against raw
 * SQLite doing the same work on the same schema, pragmas and statements.
 *
 *  store_put_batch  prv_store_tx() with 1,000 prv_store_put() calls, against
 *                   BEGIN IMMEDIATE, 1,000 x the same INSERT OR REPLACE,
 *                   COMMIT. ops = records.
 *  store_get        prv_store_get() + prv_free() of a random existing record,
 *                   against the same SELECT by (collection, id), reading
 *                   every column and copying the body out. ops = records.
 *
 * Both database files are created by the library, so their schema, indexes
 * and persistent settings are the library's own; the baseline's connection
 * then sets the same per-connection pragmas. Both are preloaded alike
 * (untimed, PRELOAD records) before either figure. Both files live in one
 * directory on disk (bench_tmpdir) and pay the same fsync. Both sides
 * write the same records (same ids, bodies, times) in the same order, so
 * the two files stay alike and both sides read the same ids. */
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "core/alloc.h"
#include "core/error.h"
#include "store/store.h"

enum {
    BATCH = 1000,               /* records per transaction */
    BODY_LEN = 128,             /* bytes of random body per record */
    ROUNDS = 7,                 /* timed rounds per side, plus one warm-up */
    PUT_STEPS = 10,             /* transactions per side per round (a step each) */
    PRELOAD = 100000,           /* records in each file before both figures */
    GET_STEPS = 10,             /* chunks of lookups per side per round */
    GETS_PER_STEP = 10000,      /* lookups per chunk */
};

static const char COLLECTION[] = "bench";

typedef struct rec_data {
    bench_id id;
    bench_id subject;
    int64_t created;
    uint8_t body[BODY_LEN];
} rec_data;

typedef struct bench_state {
    prv_store *st; /* the library's store on ours.db */
    prv_err err;
    bench_raw_db raw; /* raw SQLite on raw.db */

    rec_data *recs; /* the records the next put round writes (both sides) */
    size_t nrecs, recs_cap;
    int64_t next_created;

    bench_id *ids; /* every id written to both files */
    size_t nids, ids_cap;

    size_t *order; /* the ids the next get round looks up (both sides) */
    size_t norder;

    unsigned sink; /* consumes what the gets read, so nothing is optimized away */
} bench_state;

/* Makes n fresh records (untimed) and remembers their ids. */
static void make_records(bench_state *s, size_t n)
{
    if (n > s->recs_cap) {
        free(s->recs);
        s->recs = bench_xmalloc(n * sizeof *s->recs);
        s->recs_cap = n;
    }
    if (s->nids + n > s->ids_cap) {
        size_t cap = s->ids_cap != 0 ? s->ids_cap : 4096;
        while (cap < s->nids + n)
            cap *= 2;
        bench_id *ids = realloc(s->ids, cap * sizeof *ids);
        if (ids == NULL)
            bench_die("out of memory for %zu ids", cap);
        s->ids = ids;
        s->ids_cap = cap;
    }
    for (size_t i = 0; i < n; i++) {
        rec_data *d = &s->recs[i];
        bench_new_id(d->id, "rec_");
        bench_new_id(d->subject, "sub_");
        d->created = s->next_created++;
        randombytes_buf(d->body, sizeof d->body);
        memcpy(s->ids[s->nids + i], d->id, sizeof(bench_id));
    }
    s->nrecs = n;
    s->nids += n;
}

/* The records of put step k: transaction k of the round. */
static const rec_data *step_records(const bench_state *s, int step)
{
    if (step < 0 || (size_t)(step + 1) * BATCH > s->nrecs)
        bench_die("put step %d is beyond the round's %zu records", step, s->nrecs);
    return s->recs + (size_t)step * BATCH;
}

/* The lookups of get step k: chunk k of the round's random sequence. */
static const size_t *step_order(const bench_state *s, int step)
{
    if (step < 0 || (size_t)(step + 1) * GETS_PER_STEP > s->norder)
        bench_die("get step %d is beyond the round's %zu lookups", step, s->norder);
    return s->order + (size_t)step * GETS_PER_STEP;
}

/* ---- the library's side ---- */

typedef struct put_job {
    const rec_data *recs;
    size_t n;
} put_job;

static int put_batch(prv_store *st, void *userdata)
{
    const put_job *j = userdata;
    for (size_t i = 0; i < j->n; i++) {
        const rec_data *d = &j->recs[i];
        privacy_record r = {
            .collection = COLLECTION,
            .id = d->id,
            .subject_id = d->subject,
            .index_key = NULL,
            .index_key_len = 0,
            .created = d->created,
            .expires = 0,
            .body = d->body,
            .body_len = BODY_LEN,
        };
        int rc = prv_store_put(st, &r);
        if (rc != PRIVACY_OK)
            return rc;
    }
    return PRIVACY_OK;
}

/* Step k writes transaction k of the round's records. */
static uint64_t ours_put(void *arg, int step)
{
    bench_state *s = arg;
    put_job j = { step_records(s, step), BATCH };
    int rc = prv_store_tx(s->st, put_batch, &j);
    if (rc != PRIVACY_OK)
        bench_die("prv_store_tx: %s (%d)", s->err.msg, rc);
    return BATCH;
}

/* Step k looks up chunk k of the round's random sequence of ids. */
static uint64_t ours_get(void *arg, int step)
{
    bench_state *s = arg;
    const size_t *order = step_order(s, step);
    for (size_t i = 0; i < GETS_PER_STEP; i++) {
        const char *id = s->ids[order[i]];
        privacy_record *rec = NULL;
        int rc = prv_store_get(s->st, COLLECTION, id, &rec);
        if (rc != PRIVACY_OK)
            bench_die("prv_store_get(%s): %s (%d)", id, s->err.msg, rc);
        if (rec->body_len != BODY_LEN || rec->body == NULL)
            bench_die("prv_store_get(%s): body of %zu bytes, not %d", id, rec->body_len,
                      BODY_LEN);
        s->sink += rec->body[i % BODY_LEN];
        prv_free(rec);
    }
    return GETS_PER_STEP;
}

/* ---- the baseline: raw SQLite ---- */

/* Writes n records in transactions of batch records: BEGIN IMMEDIATE, the
 * backend's INSERT OR REPLACE per record, COMMIT. */
static void raw_insert(bench_raw_db *r, const rec_data *recs, size_t n, size_t batch)
{
    for (size_t from = 0; from < n; from += batch) {
        size_t end = n - from < batch ? n : from + batch;
        bench_raw_begin(r);
        for (size_t i = from; i < end; i++) {
            const rec_data *d = &recs[i];
            /* No index key, expires 0: bound as NULL, as the backend does. */
            privacy_record rec = {
                .collection = COLLECTION,
                .id = d->id,
                .subject_id = d->subject,
                .created = d->created,
                .body = d->body,
                .body_len = BODY_LEN,
            };
            bench_raw_put(r, &rec);
        }
        bench_raw_commit(r);
    }
}

static uint64_t base_put(void *arg, int step)
{
    bench_state *s = arg;
    raw_insert(&s->raw, step_records(s, step), BATCH, BATCH);
    return BATCH;
}

static uint64_t base_get(void *arg, int step)
{
    bench_state *s = arg;
    bench_raw_db *r = &s->raw;
    sqlite3_stmt *st = r->get;
    const size_t *order = step_order(s, step);
    uint8_t body[BODY_LEN];
    for (size_t i = 0; i < GETS_PER_STEP; i++) {
        const char *id = s->ids[order[i]];
        int rc = sqlite3_bind_text(st, 1, COLLECTION, -1, SQLITE_STATIC);
        if (rc == SQLITE_OK)
            rc = sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
        if (rc != SQLITE_OK)
            bench_raw_die(r, rc, "binding a key");
        rc = sqlite3_step(st);
        if (rc != SQLITE_ROW)
            bench_raw_die(r, rc, id);
        const unsigned char *rid = sqlite3_column_text(st, 0);
        const unsigned char *sub = sqlite3_column_text(st, 1);
        const void *key = sqlite3_column_blob(st, 2);
        int key_len = sqlite3_column_bytes(st, 2);
        sqlite3_int64 created = sqlite3_column_int64(st, 3);
        sqlite3_int64 expires = sqlite3_column_int64(st, 4);
        const void *b = sqlite3_column_blob(st, 5);
        int blen = sqlite3_column_bytes(st, 5);
        if (rid == NULL || sub == NULL || key != NULL || key_len != 0 || created <= 0 ||
            expires != 0 || b == NULL || blen != BODY_LEN)
            bench_die("sqlite: the row of %s is not what was written", id);
        memcpy(body, b, (size_t)blen);
        s->sink += body[i % BODY_LEN];
        if ((rc = sqlite3_reset(st)) != SQLITE_OK)
            bench_raw_die(r, rc, "resetting the get");
    }
    return GETS_PER_STEP;
}

/* ---- the figures ---- */

static void prepare_put(void *arg, int round)
{
    (void)round;
    make_records(arg, (size_t)PUT_STEPS * BATCH);
}

static void prepare_get(void *arg, int round)
{
    bench_state *s = arg;
    (void)round;
    if (s->nids > UINT32_MAX)
        bench_die("too many ids");
    for (size_t i = 0; i < s->norder; i++)
        s->order[i] = randombytes_uniform((uint32_t)s->nids);
}

/* Untimed set-up: writes the current records into the file at path in one
 * transaction, through a connection of its own that trades durability for
 * speed (synchronous OFF, a cache that holds the whole file), then
 * checkpoints the WAL away so that the timed rounds start from a clean
 * file. Both files get the same records in the same order, and stay
 * files the library created and can read. */
static void preload_file(const bench_state *s, const char *path)
{
    bench_raw_db r;
    bench_raw_open(&r, path);
    bench_raw_exec(&r, "PRAGMA synchronous = OFF");
    bench_raw_exec(&r, "PRAGMA cache_size = -262144");
    raw_insert(&r, s->recs, s->nrecs, s->nrecs);
    char busy[32];
    bench_raw_pragma(&r, "PRAGMA wal_checkpoint(TRUNCATE)", busy, sizeof busy);
    if (strcmp(busy, "0") != 0)
        bench_die("sqlite: %s: the WAL checkpoint after the preload did not complete", path);
    bench_raw_close(&r);
}

int main(void)
{
    if (sodium_init() < 0)
        bench_die("sodium_init failed");

    char dir[4096];
    bench_tmpdir(dir, sizeof dir);

    static bench_state s; /* large, zeroed */
    s.next_created = bench_realtime_us();

    /* Both files are created by the library (same schema and indexes),
     * preloaded alike, and only then opened for the figures, the first by
     * the library and the second raw: the two files have one history.
     * (It matters: an extra connection to a file in the process, or one
     * that stayed open across the preload, shifts read times by ~10%.) */
    char ours_path[4096], raw_path[4096];
    bench_path(ours_path, sizeof ours_path, dir, "ours.db", "");
    bench_path(raw_path, sizeof raw_path, dir, "raw.db", "");
    bench_create_db(ours_path);
    bench_create_db(raw_path);

    /* Both files hold PRELOAD records before either figure, so store_get
     * reads from a file of that size and store_put_batch writes into a
     * store that is not empty (and grows by a smaller share of itself from
     * round to round). */
    int64_t t0 = bench_now_ns();
    make_records(&s, PRELOAD);
    preload_file(&s, ours_path);
    preload_file(&s, raw_path);
    fprintf(stderr, "bench: preloaded %zu records into each file in %.1f s\n", s.nids,
            (double)(bench_now_ns() - t0) / 1e9);

    bench_store_open(&s.st, ours_path, &s.err);
    bench_raw_open(&s.raw, raw_path);

    s.norder = (size_t)GET_STEPS * GETS_PER_STEP;
    s.order = bench_xcalloc(s.norder, sizeof *s.order);
    bench_pair get = {
        .name = "store_get",
        .baseline = "sqlite",
        .rounds = ROUNDS,
        .steps = GET_STEPS,
        .arg = &s,
        .prepare = prepare_get,
        .ours = ours_get,
        .base = base_get,
    };
    bench_run_pair(&get);

    bench_pair put = {
        .name = "store_put_batch",
        .baseline = "sqlite",
        .rounds = ROUNDS,
        .steps = PUT_STEPS,
        .arg = &s,
        .prepare = prepare_put,
        .ours = ours_put,
        .base = base_put,
    };
    bench_run_pair(&put);
    fprintf(stderr, "bench: %zu records in each file at the end (checksum %u)\n", s.nids, s.sink);

    prv_store_close(s.st, 0);
    bench_raw_close(&s.raw);
    if (prv_alloc_live() != 0)
        bench_die("the library leaked %ld blocks", prv_alloc_live());
    bench_remove_db(dir, "ours.db");
    bench_remove_db(dir, "raw.db");
    if (rmdir(dir) != 0)
        bench_die("cannot remove %s", dir);
    free(s.recs);
    free(s.ids);
    free(s.order);
    return 0;
}
