/* Record-store benchmarks on PostgreSQL: the library's store over its
 * PostgreSQL backend against raw libpq doing the same work on the same
 * schema, statements and parameter formats (bench_store.c does the same
 * for SQLite).
 *
 *  pg_store_put_batch  prv_store_tx() with 1,000 prv_store_put() calls,
 *                      against the backend's prepared BEGIN ISOLATION LEVEL
 *                      SERIALIZABLE, 1,000 x its INSERT ... ON CONFLICT DO
 *                      UPDATE, COMMIT. ops = records.
 *  pg_store_get        prv_store_get() + prv_free() of a random existing
 *                      record, against the backend's prepared SELECT by
 *                      (collection, id) with binary results, reading every
 *                      column and copying the body out. ops = records.
 *
 * Both schemas ("a" and "b") are created by the library (prv_store_open),
 * so tables and indexes are the backend's own; both are preloaded alike
 * (untimed, PRELOAD records through a raw connection), vacuumed and
 * analysed, and only then opened for the figures: each by the library
 * (two connections), and the baseline's statements are prepared on the
 * library's connections (bpg_raw_attach), each for the other schema. In
 * even rounds the library works on "a" through its first connection and
 * the baseline on "b" through the same connection; in odd rounds the
 * other way round through the second. So both sides talk to the same
 * server process at any time, and neither keeps the schema whose pages
 * happen to lie better. Both sides write the same records in the same
 * order, so every round writes each record into both schemas once and the
 * two stay alike; both read the same ids. BENCH_PG_AA=1 (calibration)
 * puts raw libpq in the library's place. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_pg.h"
#include "core/alloc.h"
#include "core/error.h"
#include "store/store.h"

enum {
    BATCH = 1000,         /* records per transaction */
    BODY_LEN = 128,       /* bytes of random body per record */
    ROUNDS = 9,          /* timed rounds per side, plus one warm-up */
    PUT_STEPS = 10,      /* transactions per side per round (a step each) */
    PRELOAD = 100000,    /* records in each schema before both figures */
    GET_STEPS = 50,      /* chunks of lookups per side per round */
    GETS_PER_STEP = 400, /* lookups per chunk (a round trip each): ~25 ms, so
                            the sides alternate faster than the machine's
                            slow spells come and go */
};

static const char COLLECTION[] = "bench";

typedef struct rec_data {
    bench_id id;
    bench_id subject;
    int64_t created;
    uint8_t body[BODY_LEN];
} rec_data;

typedef struct store_state {
    prv_store *st[2]; /* the library's store on schema a and on b */
    prv_err err[2];
    bpg_raw aa[2];    /* BENCH_PG_AA=1: raw libpq in the library's place */
    bpg_raw raw[2];   /* raw libpq on the connection of st[i] (aa[i]), on the other schema */
    int use_aa;
    int ours;         /* this round: the library on schema ours, the baseline on 1 - ours */

    rec_data *recs; /* the records the next put round writes (both sides) */
    size_t nrecs, recs_cap;
    int64_t next_created;

    bench_id *ids; /* every id written to both schemas */
    size_t nids, ids_cap;

    size_t *order; /* the ids the next get round looks up (both sides) */
    size_t norder;

    unsigned sink;
} store_state;

static void make_records(store_state *s, size_t n)
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

static privacy_record record_of(const rec_data *d)
{
    /* No index key, expires 0: the backend binds both as NULL. */
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
    return r;
}

static const rec_data *step_records(const store_state *s, int step)
{
    if (step < 0 || (size_t)(step + 1) * BATCH > s->nrecs)
        bench_die("put step %d is beyond the round's %zu records", step, s->nrecs);
    return s->recs + (size_t)step * BATCH;
}

static const size_t *step_order(const store_state *s, int step)
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
        privacy_record r = record_of(&j->recs[i]);
        int rc = prv_store_put(st, &r);
        if (rc != PRIVACY_OK)
            return rc;
    }
    return PRIVACY_OK;
}

static void raw_insert(bpg_raw *r, const rec_data *recs, size_t n, size_t batch);
static uint64_t raw_gets(store_state *s, bpg_raw *r, int step);

static uint64_t ours_put(void *arg, int step)
{
    store_state *s = arg;
    if (s->use_aa) {
        raw_insert(&s->aa[s->ours], step_records(s, step), BATCH, BATCH);
        return BATCH;
    }
    put_job j = { step_records(s, step), BATCH };
    int rc = prv_store_tx(s->st[s->ours], put_batch, &j);
    if (rc != PRIVACY_OK)
        bench_die("prv_store_tx: %s (%d)", s->err[s->ours].msg, rc);
    return BATCH;
}

static uint64_t ours_get(void *arg, int step)
{
    store_state *s = arg;
    if (s->use_aa)
        return raw_gets(s, &s->aa[s->ours], step);
    prv_store *st = s->st[s->ours];
    const size_t *order = step_order(s, step);
    for (size_t i = 0; i < GETS_PER_STEP; i++) {
        const char *id = s->ids[order[i]];
        privacy_record *rec = NULL;
        int rc = prv_store_get(st, COLLECTION, id, &rec);
        if (rc != PRIVACY_OK)
            bench_die("prv_store_get(%s): %s (%d)", id, s->err[s->ours].msg, rc);
        if (rec->body_len != BODY_LEN || rec->body == NULL)
            bench_die("prv_store_get(%s): body of %zu bytes, not %d", id, rec->body_len,
                      BODY_LEN);
        s->sink += rec->body[i % BODY_LEN];
        prv_free(rec);
    }
    return GETS_PER_STEP;
}

/* ---- the baseline: raw libpq ---- */

static void raw_insert(bpg_raw *r, const rec_data *recs, size_t n, size_t batch)
{
    for (size_t from = 0; from < n; from += batch) {
        size_t end = n - from < batch ? n : from + batch;
        bpg_raw_begin(r);
        for (size_t i = from; i < end; i++) {
            privacy_record rec = record_of(&recs[i]);
            bpg_raw_put(r, &rec);
        }
        bpg_raw_commit(r);
    }
}

static uint64_t base_put(void *arg, int step)
{
    store_state *s = arg;
    raw_insert(&s->raw[s->ours], step_records(s, step), BATCH, BATCH);
    return BATCH;
}

static uint64_t raw_gets(store_state *s, bpg_raw *r, int step)
{
    const size_t *order = step_order(s, step);
    uint8_t body[BODY_LEN];
    for (size_t i = 0; i < GETS_PER_STEP; i++) {
        const char *id = s->ids[order[i]];
        PGresult *res = bpg_raw_get(r, COLLECTION, id);
        if (PQntuples(res) != 1)
            bench_die("postgres: no row for %s", id);
        /* Every column, as the backend reads them into the record. */
        const char *rid = PQgetvalue(res, 0, BPG_COL_ID);
        int rid_len = PQgetlength(res, 0, BPG_COL_ID);
        const char *sub = PQgetvalue(res, 0, BPG_COL_SUBJECT);
        int sub_len = PQgetlength(res, 0, BPG_COL_SUBJECT);
        int no_key = PQgetisnull(res, 0, BPG_COL_INDEX_KEY);
        int64_t created = bpg_int8(res, 0, BPG_COL_CREATED);
        int64_t expires = bpg_int8(res, 0, BPG_COL_EXPIRES);
        const char *b = PQgetvalue(res, 0, BPG_COL_BODY);
        int blen = PQgetlength(res, 0, BPG_COL_BODY);
        if (rid_len != BENCH_ID_LEN || rid[0] != 'r' || sub_len != BENCH_ID_LEN ||
            sub[0] != 's' || !no_key || created <= 0 || expires != 0 || blen != BODY_LEN)
            bench_die("postgres: the row of %s is not what was written", id);
        memcpy(body, b, (size_t)blen);
        s->sink += body[i % BODY_LEN];
        PQclear(res);
    }
    return GETS_PER_STEP;
}

static uint64_t base_get(void *arg, int step)
{
    store_state *s = arg;
    return raw_gets(s, &s->raw[s->ours], step);
}

/* ---- the figures ---- */

static void prepare_put(void *arg, int round)
{
    store_state *s = arg;
    s->ours = round % 2;
    make_records(s, (size_t)PUT_STEPS * BATCH);
}

static void prepare_get(void *arg, int round)
{
    store_state *s = arg;
    s->ours = round % 2;
    for (size_t i = 0; i < s->norder; i++)
        s->order[i] = randombytes_uniform((uint32_t)s->nids);
}

/* Untimed: writes the current records into the schema in transactions of
 * 10,000, through a raw connection of its own, pipelined. */
typedef struct preload_arg {
    const store_state *s;
    privacy_record rec;
} preload_arg;

static const privacy_record *preload_next(void *arg, size_t i)
{
    preload_arg *a = arg;
    a->rec = record_of(&a->s->recs[i]);
    return &a->rec;
}

static void preload(const store_state *s, const char *schema)
{
    bpg_raw r;
    bpg_raw_open(&r, schema);
    bpg_exec(r.pg, "SET synchronous_commit = off");
    preload_arg a = { s, { 0 } };
    bpg_raw_preload(&r, preload_next, &a, s->nrecs, 10000);
    bpg_raw_close(&r);
}

void bpg_run_store(void)
{
    static store_state s; /* zeroed */
    s.next_created = bench_realtime_us();
    char schema[2][BPG_SCHEMA_CAP];
    bpg_schema_name(schema[0], "store_a");
    bpg_schema_name(schema[1], "store_b");
    PGconn *admin = bpg_connect();
    for (int i = 0; i < 2; i++) {
        bpg_drop_schema(admin, schema[i]);
        bpg_create_store(schema[i]);
    }

    int64_t t0 = bench_now_ns();
    make_records(&s, PRELOAD);
    for (int i = 0; i < 2; i++)
        preload(&s, schema[i]);
    for (int i = 0; i < 2; i++)
        bpg_settle(admin, schema[i]);
    fprintf(stderr, "bench: preloaded %zu records into each schema in %.1f s\n", s.nids,
            (double)(bench_now_ns() - t0) / 1e9);

    /* BENCH_PG_AA=1 (calibration): raw connections take the library's
     * place. */
    const char *aa = getenv("BENCH_PG_AA");
    s.use_aa = aa != NULL && strcmp(aa, "1") == 0;
    for (int i = 0; i < 2; i++) {
        PGconn *pg;
        if (s.use_aa) {
            bpg_raw_open(&s.aa[i], schema[i]);
            pg = s.aa[i].pg;
        } else {
            bpg_store_open(&s.st[i], schema[i], &s.err[i]);
            pg = bpg_store_pgconn(s.st[i]);
        }
        bpg_raw_attach(&s.raw[i], pg, schema[1 - i], "base");
    }

    s.norder = (size_t)GET_STEPS * GETS_PER_STEP;
    s.order = bench_xcalloc(s.norder, sizeof *s.order);
    bench_pair get = {
        .name = "pg_store_get",
        .baseline = "libpq",
        .rounds = ROUNDS,
        .steps = GET_STEPS,
        .arg = &s,
        .prepare = prepare_get,
        .ours = ours_get,
        .base = base_get,
    };
    bench_run_pair(&get);

    bench_pair put = {
        .name = "pg_store_put_batch",
        .baseline = "libpq",
        .rounds = ROUNDS,
        .steps = PUT_STEPS,
        .arg = &s,
        .prepare = prepare_put,
        .ours = ours_put,
        .base = base_put,
    };
    bench_run_pair(&put);

    for (int i = 0; i < 2; i++) {
        bpg_raw_close(&s.raw[i]);
        if (s.use_aa)
            bpg_raw_close(&s.aa[i]);
        else
            prv_store_close(s.st[i], 0);
    }

    /* Both schemas hold every record, the same. */
    char sql[512], a[32], b[32];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM \"%s\".records", schema[0]);
    bpg_query1(admin, sql, a, sizeof a);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM \"%s\".records", schema[1]);
    bpg_query1(admin, sql, b, sizeof b);
    if (strtoull(a, NULL, 10) != s.nids || strtoull(b, NULL, 10) != s.nids)
        bench_die("the schemas hold %s and %s records, not %zu", a, b, s.nids);
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM \"%s\".records o JOIN \"%s\".records r USING (collection, id)"
             " WHERE o.subject_id = r.subject_id AND o.created = r.created AND o.body = r.body"
             " AND o.index_key IS NULL AND r.index_key IS NULL AND o.expires IS NULL"
             " AND r.expires IS NULL",
             schema[0], schema[1]);
    bpg_query1(admin, sql, a, sizeof a);
    if (strtoull(a, NULL, 10) != s.nids)
        bench_die("only %s of %zu records are the same in both schemas", a, s.nids);
    fprintf(stderr, "bench: %zu records in each schema at the end, the same (checksum %u)\n",
            s.nids, s.sink);
    for (int i = 0; i < 2; i++)
        bpg_drop_schema(admin, schema[i]);
    PQfinish(admin);
    free(s.recs);
    free(s.ids);
    free(s.order);
}
