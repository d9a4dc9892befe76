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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_pg.h"
#include "bench_records.h"
#include "core/error.h"
#include "store/store.h"

enum {
    ROUNDS = 9,          /* timed rounds per side, plus one warm-up */
    PUT_STEPS = 10,      /* transactions per side per round (a step each) */
    PRELOAD = 100000,    /* records in each schema before both figures */
    GET_STEPS = 50,      /* chunks of lookups per side per round */
    GETS_PER_STEP = 400, /* lookups per chunk (a round trip each): ~25 ms, so
                            the sides alternate faster than the machine's
                            slow spells come and go */
};

typedef struct store_state {
    prv_store *st[2]; /* the library's store on schema a and on b */
    prv_err err[2];
    bpg_raw aa[2];    /* BENCH_PG_AA=1: raw libpq in the library's place */
    bpg_raw raw[2];   /* raw libpq on the connection of st[i] (aa[i]), on the other schema */
    bench_raw_ops aa_ops[2], raw_ops[2];
    int use_aa;
    int ours;         /* this round: the library on schema ours, the baseline on 1 - ours */
    brec_set recs;    /* what both sides write and look up (bench_records.h) */
} store_state;

static uint64_t raw_gets(store_state *s, bpg_raw *r, int step);

/* ---- the library's side ---- */

static uint64_t ours_put(void *arg, int step)
{
    store_state *s = arg;
    const brec *recs = brec_step_records(&s->recs, step);
    if (s->use_aa)
        brec_raw_put(&s->aa_ops[s->ours], recs, BREC_BATCH, BREC_BATCH);
    else
        brec_lib_put(s->st[s->ours], &s->err[s->ours], recs);
    return BREC_BATCH;
}

static uint64_t ours_get(void *arg, int step)
{
    store_state *s = arg;
    if (s->use_aa)
        return raw_gets(s, &s->aa[s->ours], step);
    return brec_lib_gets(&s->recs, s->st[s->ours], &s->err[s->ours], step);
}

/* ---- the baseline: raw libpq ---- */

/* BEGIN ISOLATION LEVEL SERIALIZABLE, the backend's INSERT ... ON CONFLICT
 * per record, COMMIT. */
static uint64_t base_put(void *arg, int step)
{
    store_state *s = arg;
    brec_raw_put(&s->raw_ops[s->ours], brec_step_records(&s->recs, step), BREC_BATCH, BREC_BATCH);
    return BREC_BATCH;
}

static uint64_t raw_gets(store_state *s, bpg_raw *r, int step)
{
    const size_t *order = brec_step_order(&s->recs, step);
    uint8_t body[BREC_BODY_LEN];
    for (size_t i = 0; i < GETS_PER_STEP; i++) {
        const char *id = s->recs.ids[order[i]];
        PGresult *res = bpg_raw_get(r, BREC_COLLECTION, id);
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
            sub[0] != 's' || !no_key || created <= 0 || expires != 0 || blen != BREC_BODY_LEN)
            bench_die("postgres: the row of %s is not what was written", id);
        memcpy(body, b, (size_t)blen);
        s->recs.sink += body[i % BREC_BODY_LEN];
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
    brec_make(&s->recs, (size_t)PUT_STEPS * BREC_BATCH);
}

static void prepare_get(void *arg, int round)
{
    store_state *s = arg;
    s->ours = round % 2;
    brec_plan_gets(&s->recs);
}

/* Untimed: writes the current records into the schema in transactions of
 * 10,000, through a raw connection of its own, pipelined. */
typedef struct preload_arg {
    const brec_set *recs;
    privacy_record rec;
} preload_arg;

static const privacy_record *preload_next(void *arg, size_t i)
{
    preload_arg *a = arg;
    a->rec = brec_record(&a->recs->recs[i]);
    return &a->rec;
}

static void preload(const brec_set *recs, const char *schema)
{
    bpg_raw r;
    bpg_raw_open(&r, schema);
    bpg_exec(r.pg, "SET synchronous_commit = off");
    preload_arg a = { recs, { 0 } };
    bpg_raw_preload(&r, preload_next, &a, recs->nrecs, 10000);
    bpg_raw_close(&r);
}

void bpg_run_store(void)
{
    static store_state s; /* zeroed */
    brec_init(&s.recs, GET_STEPS, GETS_PER_STEP);
    char schema[2][BPG_SCHEMA_CAP];
    bpg_schema_name(schema[0], "store_a");
    bpg_schema_name(schema[1], "store_b");
    PGconn *admin = bpg_connect();
    for (int i = 0; i < 2; i++) {
        bpg_drop_schema(admin, schema[i]);
        bpg_create_store(schema[i]);
    }

    int64_t t0 = bench_now_ns();
    brec_make(&s.recs, PRELOAD);
    for (int i = 0; i < 2; i++)
        preload(&s.recs, schema[i]);
    for (int i = 0; i < 2; i++)
        bpg_settle(admin, schema[i]);
    fprintf(stderr, "bench: preloaded %zu records into each schema in %.1f s\n", s.recs.nids,
            (double)(bench_now_ns() - t0) / 1e9);

    /* BENCH_PG_AA=1 (calibration): raw connections take the library's
     * place. */
    const char *aa = getenv("BENCH_PG_AA");
    s.use_aa = aa != NULL && strcmp(aa, "1") == 0;
    for (int i = 0; i < 2; i++) {
        PGconn *pg;
        if (s.use_aa) {
            bpg_raw_open(&s.aa[i], schema[i]);
            s.aa_ops[i] = bpg_raw_ops_of(&s.aa[i]);
            pg = s.aa[i].pg;
        } else {
            bpg_store_open(&s.st[i], schema[i], &s.err[i]);
            pg = bpg_store_pgconn(s.st[i]);
        }
        bpg_raw_attach(&s.raw[i], pg, schema[1 - i], "base");
        s.raw_ops[i] = bpg_raw_ops_of(&s.raw[i]);
    }

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
    if (strtoull(a, NULL, 10) != s.recs.nids || strtoull(b, NULL, 10) != s.recs.nids)
        bench_die("the schemas hold %s and %s records, not %zu", a, b, s.recs.nids);
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM \"%s\".records o JOIN \"%s\".records r USING (collection, id)"
             " WHERE o.subject_id = r.subject_id AND o.created = r.created AND o.body = r.body"
             " AND o.index_key IS NULL AND r.index_key IS NULL AND o.expires IS NULL"
             " AND r.expires IS NULL",
             schema[0], schema[1]);
    bpg_query1(admin, sql, a, sizeof a);
    if (strtoull(a, NULL, 10) != s.recs.nids)
        bench_die("only %s of %zu records are the same in both schemas", a, s.recs.nids);
    fprintf(stderr, "bench: %zu records in each schema at the end, the same (checksum %u)\n",
            s.recs.nids, s.recs.sink);
    for (int i = 0; i < 2; i++)
        bpg_drop_schema(admin, schema[i]);
    PQfinish(admin);
    brec_free(&s.recs);
}
