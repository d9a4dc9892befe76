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
#include "bench_records.h"
#include "core/alloc.h"
#include "core/error.h"
#include "store/store.h"

enum {
    ROUNDS = 7,                 /* timed rounds per side, plus one warm-up */
    PUT_STEPS = 10,             /* transactions per side per round (a step each) */
    PRELOAD = 100000,           /* records in each file before both figures */
    GET_STEPS = 10,             /* chunks of lookups per side per round */
    GETS_PER_STEP = 10000,      /* lookups per chunk */
};

typedef struct bench_state {
    prv_store *st; /* the library's store on ours.db */
    prv_err err;
    bench_raw_db raw; /* raw SQLite on raw.db */
    bench_raw_ops raw_ops;
    brec_set recs; /* what both sides write and look up (bench_records.h) */
} bench_state;

/* ---- the library's side ---- */

/* Step k writes transaction k of the round's records. */
static uint64_t ours_put(void *arg, int step)
{
    bench_state *s = arg;
    brec_lib_put(s->st, &s->err, brec_step_records(&s->recs, step));
    return BREC_BATCH;
}

/* Step k looks up chunk k of the round's random sequence of ids. */
static uint64_t ours_get(void *arg, int step)
{
    bench_state *s = arg;
    return brec_lib_gets(&s->recs, s->st, &s->err, step);
}

/* ---- the baseline: raw SQLite ---- */

/* BEGIN IMMEDIATE, the backend's INSERT OR REPLACE per record, COMMIT. */
static uint64_t base_put(void *arg, int step)
{
    bench_state *s = arg;
    brec_raw_put(&s->raw_ops, brec_step_records(&s->recs, step), BREC_BATCH, BREC_BATCH);
    return BREC_BATCH;
}

static uint64_t base_get(void *arg, int step)
{
    bench_state *s = arg;
    bench_raw_db *r = &s->raw;
    sqlite3_stmt *st = r->get;
    const size_t *order = brec_step_order(&s->recs, step);
    uint8_t body[BREC_BODY_LEN];
    for (size_t i = 0; i < GETS_PER_STEP; i++) {
        const char *id = s->recs.ids[order[i]];
        int rc = sqlite3_bind_text(st, 1, BREC_COLLECTION, -1, SQLITE_STATIC);
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
            expires != 0 || b == NULL || blen != BREC_BODY_LEN)
            bench_die("sqlite: the row of %s is not what was written", id);
        memcpy(body, b, (size_t)blen);
        s->recs.sink += body[i % BREC_BODY_LEN];
        if ((rc = sqlite3_reset(st)) != SQLITE_OK)
            bench_raw_die(r, rc, "resetting the get");
    }
    return GETS_PER_STEP;
}

/* ---- the figures ---- */

static void prepare_put(void *arg, int round)
{
    bench_state *s = arg;
    (void)round;
    brec_make(&s->recs, (size_t)PUT_STEPS * BREC_BATCH);
}

static void prepare_get(void *arg, int round)
{
    bench_state *s = arg;
    (void)round;
    brec_plan_gets(&s->recs);
}

/* Untimed set-up: writes the current records into the file at path in one
 * transaction, through a connection of its own that trades durability for
 * speed (synchronous OFF, a cache that holds the whole file), then
 * checkpoints the WAL away so that the timed rounds start from a clean
 * file. Both files get the same records in the same order, and stay
 * files the library created and can read. */
static void preload_file(const brec_set *recs, const char *path)
{
    bench_raw_db r;
    bench_raw_open(&r, path);
    bench_raw_exec(&r, "PRAGMA synchronous = OFF");
    bench_raw_exec(&r, "PRAGMA cache_size = -262144");
    bench_raw_ops ops = bench_raw_ops_of(&r);
    brec_raw_put(&ops, recs->recs, recs->nrecs, recs->nrecs);
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

    static bench_state s; /* zeroed */
    brec_init(&s.recs, GET_STEPS, GETS_PER_STEP);

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
    brec_make(&s.recs, PRELOAD);
    preload_file(&s.recs, ours_path);
    preload_file(&s.recs, raw_path);
    fprintf(stderr, "bench: preloaded %zu records into each file in %.1f s\n", s.recs.nids,
            (double)(bench_now_ns() - t0) / 1e9);

    bench_store_open(&s.st, ours_path, &s.err);
    bench_raw_open(&s.raw, raw_path);
    s.raw_ops = bench_raw_ops_of(&s.raw);

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
    fprintf(stderr, "bench: %zu records in each file at the end (checksum %u)\n", s.recs.nids,
            s.recs.sink);

    prv_store_close(s.st, 0);
    bench_raw_close(&s.raw);
    if (prv_alloc_live() != 0)
        bench_die("the library leaked %ld blocks", prv_alloc_live());
    bench_remove_db(dir, "ours.db");
    bench_remove_db(dir, "raw.db");
    if (rmdir(dir) != 0)
        bench_die("cannot remove %s", dir);
    brec_free(&s.recs);
    return 0;
}
