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
#include <time.h>
#include <unistd.h>

#include "backend/sqlite/sqlite_backend.h"
#include "bench.h"
#include "core/alloc.h"
#include "core/error.h"
#include "store/store.h"

#ifndef SQLITE_OPEN_EXRESCODE /* SQLite < 3.37, as in the backend */
#define SQLITE_OPEN_EXRESCODE 0
#endif

enum {
    BATCH = 1000,               /* records per transaction */
    BODY_LEN = 128,             /* bytes of random body per record */
    ID_LEN = 4 + 32,            /* "rec_" / "sub_" + 32 lowercase hex digits */
    ROUNDS = 7,                 /* timed rounds per side, plus one warm-up */
    PUT_STEPS = 10,             /* transactions per side per round (a step each) */
    PRELOAD = 100000,           /* records in each file before both figures */
    GET_STEPS = 10,             /* chunks of lookups per side per round */
    GETS_PER_STEP = 10000,      /* lookups per chunk */
    BUSY_TIMEOUT_MS = 5000,     /* the backend's default busy_timeout_ms */
};

static const char COLLECTION[] = "bench";

/* The exact statements of src/backend/sqlite/sqlite_backend.c. */
static const char SQL_BEGIN[] = "BEGIN IMMEDIATE";
static const char SQL_COMMIT[] = "COMMIT";
static const char SQL_PUT[] = "INSERT OR REPLACE INTO records"
                              "(collection, id, subject_id, index_key, created, expires, body)"
                              " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
static const char SQL_GET[] = "SELECT id, subject_id, index_key, created, expires, body"
                              " FROM records WHERE collection = ?1 AND id = ?2";

typedef char rec_id[ID_LEN + 1];

typedef struct rec_data {
    rec_id id;
    rec_id subject;
    int64_t created;
    uint8_t body[BODY_LEN];
} rec_data;

/* The baseline's own connection to raw.db. */
typedef struct raw_db {
    sqlite3 *db;
    sqlite3_stmt *begin, *commit, *put, *get;
} raw_db;

typedef struct bench_state {
    prv_store *st; /* the library's store on ours.db */
    prv_err err;
    raw_db raw; /* raw SQLite on raw.db */

    rec_data *recs; /* the records the next put round writes (both sides) */
    size_t nrecs, recs_cap;
    int64_t next_created;

    rec_id *ids; /* every id written to both files */
    size_t nids, ids_cap;

    size_t *order; /* the ids the next get round looks up (both sides) */
    size_t norder;

    unsigned sink; /* consumes what the gets read, so nothing is optimized away */
} bench_state;

static int64_t realtime_us(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
        bench_die("clock_gettime(CLOCK_REALTIME) failed");
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* A library-shaped id: prefix "xxx_" and 128 random bits in lowercase hex. */
static void new_id(rec_id out, const char *prefix)
{
    unsigned char rnd[16];
    randombytes_buf(rnd, sizeof rnd);
    memcpy(out, prefix, 4);
    if (sodium_bin2hex(out + 4, ID_LEN - 4 + 1, rnd, sizeof rnd) == NULL)
        bench_die("sodium_bin2hex failed");
}

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
        rec_id *ids = realloc(s->ids, cap * sizeof *ids);
        if (ids == NULL)
            bench_die("out of memory for %zu ids", cap);
        s->ids = ids;
        s->ids_cap = cap;
    }
    for (size_t i = 0; i < n; i++) {
        rec_data *d = &s->recs[i];
        new_id(d->id, "rec_");
        new_id(d->subject, "sub_");
        d->created = s->next_created++;
        randombytes_buf(d->body, sizeof d->body);
        memcpy(s->ids[s->nids + i], d->id, sizeof(rec_id));
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

static _Noreturn void raw_die(const raw_db *r, int rc, const char *what)
{
    bench_die("sqlite: %s: %s (%d: %s)", what, sqlite3_errstr(rc), rc,
              r->db != NULL ? sqlite3_errmsg(r->db) : "no connection");
}

static void raw_exec(raw_db *r, const char *sql)
{
    int rc = sqlite3_exec(r->db, sql, NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        raw_die(r, rc, sql);
}

static sqlite3_stmt *raw_prepare(raw_db *r, const char *sql)
{
    sqlite3_stmt *st = NULL;
    /* The backend prepares once per connection, SQLITE_PREPARE_PERSISTENT. */
    int rc = sqlite3_prepare_v3(r->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
    if (rc != SQLITE_OK)
        raw_die(r, rc, sql);
    return st;
}

/* Runs a one-row pragma and returns its text value in buf. */
static void raw_pragma(raw_db *r, const char *sql, char *buf, size_t len)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(r->db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        raw_die(r, rc, sql);
    rc = sqlite3_step(st);
    if (rc != SQLITE_ROW)
        raw_die(r, rc, sql);
    const unsigned char *v = sqlite3_column_text(st, 0);
    snprintf(buf, len, "%s", v != NULL ? (const char *)v : "");
    sqlite3_finalize(st);
}

/* Opens a file the library created, as the backend opens its own: same
 * flags, busy timeout, db_config and pragmas (schema.c). */
static void raw_open(raw_db *r, const char *path)
{
    memset(r, 0, sizeof *r);
    int rc = sqlite3_open_v2(path, &r->db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE,
                             NULL);
    if (rc != SQLITE_OK)
        raw_die(r, rc, path);
    if ((rc = sqlite3_busy_timeout(r->db, BUSY_TIMEOUT_MS)) != SQLITE_OK)
        raw_die(r, rc, "sqlite3_busy_timeout");
    if ((rc = sqlite3_extended_result_codes(r->db, 1)) != SQLITE_OK)
        raw_die(r, rc, "sqlite3_extended_result_codes");
    if ((rc = sqlite3_db_config(r->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL)) != SQLITE_OK)
        raw_die(r, rc, "SQLITE_DBCONFIG_DEFENSIVE");
    if ((rc = sqlite3_db_config(r->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL)) != SQLITE_OK)
        raw_die(r, rc, "SQLITE_DBCONFIG_TRUSTED_SCHEMA");
    raw_exec(r, "PRAGMA synchronous = FULL");
    raw_exec(r, "PRAGMA secure_delete = ON");
    char v[32];
    raw_pragma(r, "PRAGMA journal_mode = WAL", v, sizeof v);
    if (strcmp(v, "wal") != 0)
        bench_die("sqlite: %s: journal_mode is '%s', not 'wal'", path, v);
    /* Check that it is the library's file and that the settings took. */
    raw_pragma(r, "PRAGMA application_id", v, sizeof v);
    if (strtol(v, NULL, 10) != PRV_SQLITE_APP_ID)
        bench_die("sqlite: %s: application_id %s is not libprivacy's", path, v);
    raw_pragma(r, "PRAGMA synchronous", v, sizeof v);
    if (strcmp(v, "2") != 0)
        bench_die("sqlite: %s: synchronous is %s, not FULL (2)", path, v);
    raw_pragma(r, "PRAGMA secure_delete", v, sizeof v);
    if (strcmp(v, "1") != 0)
        bench_die("sqlite: %s: secure_delete is %s, not ON", path, v);
    r->begin = raw_prepare(r, SQL_BEGIN);
    r->commit = raw_prepare(r, SQL_COMMIT);
    r->put = raw_prepare(r, SQL_PUT);
    r->get = raw_prepare(r, SQL_GET);
}

static void raw_close(raw_db *r)
{
    sqlite3_finalize(r->begin);
    sqlite3_finalize(r->commit);
    sqlite3_finalize(r->put);
    sqlite3_finalize(r->get);
    int rc = sqlite3_close(r->db);
    if (rc != SQLITE_OK)
        raw_die(r, rc, "sqlite3_close");
    memset(r, 0, sizeof *r);
}

/* Steps a statement that returns no rows, then resets it. */
static void raw_run(raw_db *r, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);
    if (rc != SQLITE_DONE)
        raw_die(r, rc, what);
    if ((rc = sqlite3_reset(st)) != SQLITE_OK)
        raw_die(r, rc, what);
}

/* Writes n records in transactions of batch records: BEGIN IMMEDIATE, the
 * backend's INSERT OR REPLACE per record, COMMIT. */
static void raw_insert(raw_db *r, const rec_data *recs, size_t n, size_t batch)
{
    sqlite3_stmt *st = r->put;
    for (size_t from = 0; from < n; from += batch) {
        size_t end = n - from < batch ? n : from + batch;
        raw_run(r, r->begin, SQL_BEGIN);
        for (size_t i = from; i < end; i++) {
            const rec_data *d = &recs[i];
            /* As the backend binds a record with no index key, expires 0. */
            int rc = sqlite3_bind_text(st, 1, COLLECTION, -1, SQLITE_STATIC);
            if (rc == SQLITE_OK)
                rc = sqlite3_bind_text(st, 2, d->id, -1, SQLITE_STATIC);
            if (rc == SQLITE_OK)
                rc = sqlite3_bind_text(st, 3, d->subject, -1, SQLITE_STATIC);
            if (rc == SQLITE_OK)
                rc = sqlite3_bind_null(st, 4);
            if (rc == SQLITE_OK)
                rc = sqlite3_bind_int64(st, 5, d->created);
            if (rc == SQLITE_OK)
                rc = sqlite3_bind_null(st, 6);
            if (rc == SQLITE_OK)
                rc = sqlite3_bind_blob64(st, 7, d->body, BODY_LEN, SQLITE_STATIC);
            if (rc != SQLITE_OK)
                raw_die(r, rc, "binding a record");
            raw_run(r, st, SQL_PUT);
        }
        raw_run(r, r->commit, SQL_COMMIT);
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
    raw_db *r = &s->raw;
    sqlite3_stmt *st = r->get;
    const size_t *order = step_order(s, step);
    uint8_t body[BODY_LEN];
    for (size_t i = 0; i < GETS_PER_STEP; i++) {
        const char *id = s->ids[order[i]];
        int rc = sqlite3_bind_text(st, 1, COLLECTION, -1, SQLITE_STATIC);
        if (rc == SQLITE_OK)
            rc = sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
        if (rc != SQLITE_OK)
            raw_die(r, rc, "binding a key");
        rc = sqlite3_step(st);
        if (rc != SQLITE_ROW)
            raw_die(r, rc, id);
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
            raw_die(r, rc, "resetting the get");
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

static void path_in(char *buf, size_t len, const char *dir, const char *name, const char *suffix)
{
    int n = snprintf(buf, len, "%s/%s%s", dir, name, suffix);
    if (n < 0 || (size_t)n >= len)
        bench_die("path too long in '%s'", dir);
}

static void remove_db(const char *dir, const char *name)
{
    static const char *const suffix[] = { "", "-wal", "-shm" };
    char path[4096];
    for (size_t i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
        path_in(path, sizeof path, dir, name, suffix[i]);
        if (unlink(path) != 0 && i == 0)
            bench_die("cannot remove %s", path);
    }
}

/* Untimed set-up: writes the current records into the file at path in one
 * transaction, through a connection of its own that trades durability for
 * speed (synchronous OFF, a cache that holds the whole file), then
 * checkpoints the WAL away so that the timed rounds start from a clean
 * file. Both files get the same records in the same order, and stay
 * files the library created and can read. */
static void preload_file(const bench_state *s, const char *path)
{
    raw_db r;
    raw_open(&r, path);
    raw_exec(&r, "PRAGMA synchronous = OFF");
    raw_exec(&r, "PRAGMA cache_size = -262144");
    raw_insert(&r, s->recs, s->nrecs, s->nrecs);
    char busy[32];
    raw_pragma(&r, "PRAGMA wal_checkpoint(TRUNCATE)", busy, sizeof busy);
    if (strcmp(busy, "0") != 0)
        bench_die("sqlite: %s: the WAL checkpoint after the preload did not complete", path);
    raw_close(&r);
}

/* Opens the file at path through the library's store over SQLite. */
static void open_store(prv_store **st, const char *path, prv_err *err)
{
    char uri[4200];
    int n = snprintf(uri, sizeof uri, "sqlite:%s", path);
    if (n < 0 || (size_t)n >= sizeof uri)
        bench_die("path too long: %s", path);
    int rc = prv_store_open(st, &prv_sqlite_backend, uri, 1000000, err);
    if (rc != PRIVACY_OK)
        bench_die("prv_store_open(%s): %s (%d)", uri, err->msg, rc);
}

/* Creates a database file through the library, with its schema. */
static void create_db(const char *path)
{
    prv_err err;
    prv_store *st = NULL;
    open_store(&st, path, &err);
    prv_store_close(st, 0);
}

int main(void)
{
    if (sodium_init() < 0)
        bench_die("sodium_init failed");

    char dir[4096];
    bench_tmpdir(dir, sizeof dir);

    static bench_state s; /* large, zeroed */
    s.next_created = realtime_us();

    /* Both files are created by the library (same schema and indexes),
     * preloaded alike, and only then opened for the figures, the first by
     * the library and the second raw: the two files have one history.
     * (It matters: an extra connection to a file in the process, or one
     * that stayed open across the preload, shifts read times by ~10%.) */
    char ours_path[4096], raw_path[4096];
    path_in(ours_path, sizeof ours_path, dir, "ours.db", "");
    path_in(raw_path, sizeof raw_path, dir, "raw.db", "");
    create_db(ours_path);
    create_db(raw_path);

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

    open_store(&s.st, ours_path, &s.err);
    raw_open(&s.raw, raw_path);

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
    raw_close(&s.raw);
    if (prv_alloc_live() != 0)
        bench_die("the library leaked %ld blocks", prv_alloc_live());
    remove_db(dir, "ours.db");
    remove_db(dir, "raw.db");
    if (rmdir(dir) != 0)
        bench_die("cannot remove %s", dir);
    free(s.recs);
    free(s.ids);
    free(s.order);
    return 0;
}
