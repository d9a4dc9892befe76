/* The PostgreSQL benchmarks: the shared machinery (the server, schemas,
 * the raw libpq baseline with the backend's statements) and main.
 *
 *  pg_store_get, pg_store_put_batch   bench_pg_store.c
 *  pg_subject_get, pg_subject_set     bench_pg_subject.c
 *
 * Needs a server: $PRIVACY_TEST_PG, a libpq key/value conninfo, as
 * scripts/with_postgres.sh sets it (`meson test --benchmark pg` runs the
 * benchmark through that script, which starts a throwaway server when the
 * variable is unset). See bench/README.md. */
#include "bench_pg.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend/postgres/pg_internal.h"
#include "core/alloc.h"
#include "store/store_internal.h"

/* ---- the server and schemas ---- */

const char *bpg_conninfo(void)
{
    const char *c = getenv("PRIVACY_TEST_PG");
    if (c == NULL || c[0] == '\0')
        bench_die("PRIVACY_TEST_PG is not set: run the benchmark through "
                  "scripts/with_postgres.sh (meson test --benchmark pg does), or set it to a "
                  "libpq key/value conninfo of a server");
    if (strchr(c, '=') == NULL || strstr(c, "://") != NULL)
        bench_die("PRIVACY_TEST_PG must be a libpq key/value conninfo (host=... port=...)");
    return c;
}

void bpg_schema_name(char out[BPG_SCHEMA_CAP], const char *what)
{
    int n = snprintf(out, BPG_SCHEMA_CAP, "bench_%ld_%s", (long)getpid(), what);
    if (n <= 0 || n >= BPG_SCHEMA_CAP)
        bench_die("schema name too long: %s", what);
}

void bpg_uri(char out[BPG_URI_CAP], const char *schema)
{
    int n = snprintf(out, BPG_URI_CAP, "pg:%s schema=%s", bpg_conninfo(), schema);
    if (n <= 0 || n >= BPG_URI_CAP)
        bench_die("PRIVACY_TEST_PG is too long");
}

void bpg_die(PGconn *c, const PGresult *res, const char *what)
{
    const char *m = res != NULL ? PQresultErrorMessage(res) : "";
    if (m == NULL || m[0] == '\0')
        m = c != NULL ? PQerrorMessage(c) : "no connection";
    bench_die("postgres: %s: %s", what, m);
}

/* Notices ("schema ... does not exist, skipping") are dropped, as the
 * backend drops them. */
static void no_notice(void *arg, const PGresult *res)
{
    (void)arg;
    (void)res;
}

PGconn *bpg_connect(void)
{
    PGconn *c = PQconnectdb(bpg_conninfo());
    if (c == NULL || PQstatus(c) != CONNECTION_OK)
        bpg_die(c, NULL, "connecting to $PRIVACY_TEST_PG");
    PQsetNoticeReceiver(c, no_notice, NULL);
    return c;
}

void bpg_exec(PGconn *c, const char *sql)
{
    PGresult *res = PQexec(c, sql);
    ExecStatusType s = PQresultStatus(res);
    if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK)
        bpg_die(c, res, sql);
    PQclear(res);
}

void bpg_query1(PGconn *c, const char *sql, char *buf, size_t len)
{
    PGresult *res = PQexec(c, sql);
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1 || PQnfields(res) < 1)
        bpg_die(c, res, sql);
    snprintf(buf, len, "%s", PQgetisnull(res, 0, 0) ? "" : PQgetvalue(res, 0, 0));
    PQclear(res);
}

void bpg_store_open(prv_store **st, const char *schema, prv_err *err)
{
    char uri[BPG_URI_CAP];
    bpg_uri(uri, schema);
    int rc = prv_store_open(st, &prv_pg_backend, uri, 30000000, err);
    if (rc != PRIVACY_OK)
        bench_die("prv_store_open(schema %s): %s (%d)", schema, err->msg, rc);
}

void bpg_create_store(const char *schema)
{
    prv_err err;
    prv_store *st = NULL;
    bpg_store_open(&st, schema, &err);
    prv_store_close(st, 0);
}

static void sql_printf(char *buf, size_t len, const char *fmt, ...) BENCH_PRINTF(3, 4);

static void sql_printf(char *buf, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= len)
        bench_die("SQL text too long");
}

void bpg_drop_schema(PGconn *c, const char *schema)
{
    char sql[256];
    sql_printf(sql, sizeof sql, "DROP SCHEMA IF EXISTS \"%s\" CASCADE", schema);
    bpg_exec(c, sql);
}

void bpg_copy_records(PGconn *c, const char *from, const char *to)
{
    char sql[512];
    sql_printf(sql, sizeof sql,
               "INSERT INTO \"%s\".records (collection, id, subject_id, index_key, created,"
               " expires, body) SELECT collection, id, subject_id, index_key, created, expires,"
               " body FROM \"%s\".records ORDER BY collection, id",
               to, from);
    bpg_exec(c, sql);
}

void bpg_settle(PGconn *c, const char *schema)
{
    char sql[256];
    sql_printf(sql, sizeof sql, "VACUUM (ANALYZE) \"%s\".records", schema);
    bpg_exec(c, sql);
    sql_printf(sql, sizeof sql,
               "ALTER TABLE \"%s\".records SET (autovacuum_enabled = false,"
               " toast.autovacuum_enabled = false)",
               schema);
    bpg_exec(c, sql);
    /* A checkpoint now rather than in a figure, where the role may (a
     * superuser or pg_checkpoint: PostgreSQL 15). */
    PGresult *res = PQexec(c, "CHECKPOINT");
    PQclear(res);
}

void bpg_describe_server(PGconn *c)
{
    static const char *const names[] = { "server_version", "fsync", "synchronous_commit",
                                         "full_page_writes", "shared_buffers", "wal_sync_method" };
    char line[512] = "";
    size_t at = 0;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char sql[64], v[64];
        sql_printf(sql, sizeof sql, "SHOW %s", names[i]);
        bpg_query1(c, sql, v, sizeof v);
        int n = snprintf(line + at, sizeof line - at, "%s%s=%s", i > 0 ? " " : "", names[i], v);
        if (n > 0 && (size_t)n < sizeof line - at)
            at += (size_t)n;
    }
    const char *host = PQhost(c);
    fprintf(stderr, "bench: server (%s): %s\n",
            host != NULL && host[0] == '/' ? "Unix socket" : "TCP", line);
}

/* ---- the raw baseline: the backend's statements ---- */

/* As src/backend/postgres prepares them: the same text, no parameter types
 * (the server infers them), prepared once per connection (under names of
 * their own: "bench_put_<tag>", so that they may sit beside the library's
 * on its connection). BEGIN and COMMIT go as simple queries (PQexec), as
 * the backend sends them: one round trip each. */
static const char SQL_BEGIN[] = "BEGIN ISOLATION LEVEL SERIALIZABLE";
static const char SQL_COMMIT[] = "COMMIT";

/* The backend's session: its connection keywords and defaults before the
 * conninfo, its statement_timeout (30 s by default) as a startup option. */
static PGconn *raw_connect(void)
{
    char options[1024];
    const char *user = NULL;
    char *err = NULL;
    PQconninfoOption *given = PQconninfoParse(bpg_conninfo(), &err);
    if (given == NULL)
        bench_die("PRIVACY_TEST_PG: %s", err != NULL ? err : "cannot be parsed");
    for (PQconninfoOption *o = given; o->keyword != NULL; o++)
        if (strcmp(o->keyword, "options") == 0 && o->val != NULL && o->val[0] != '\0')
            user = o->val;
    int n = snprintf(options, sizeof options, "%s%s-c statement_timeout=%d",
                     user != NULL ? user : "", user != NULL ? " " : "", 30000);
    PQconninfoFree(given);
    if (n <= 0 || (size_t)n >= sizeof options)
        bench_die("PRIVACY_TEST_PG: options too long");
    const char *kw[] = { "connect_timeout", "keepalives_idle", "keepalives_interval",
                         "keepalives_count", "fallback_application_name", "dbname",
                         "options", NULL };
    const char *val[] = { "10", "10", "5", "3", "libprivacy", bpg_conninfo(), options, NULL };
    PGconn *c = PQconnectdbParams(kw, val, 1);
    if (c == NULL || PQstatus(c) != CONNECTION_OK)
        bpg_die(c, NULL, "connecting to $PRIVACY_TEST_PG");
    PQsetNoticeReceiver(c, no_notice, NULL);
    return c;
}

static void raw_prepare(bpg_raw *r, const char *name, const char *sql)
{
    PGresult *res = PQprepare(r->pg, name, sql, 0, NULL);
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        bpg_die(r->pg, res, sql);
    PQclear(res);
}

static void raw_init(bpg_raw *r, PGconn *pg, int owned, const char *schema, const char *tag)
{
    memset(r, 0, sizeof *r);
    if (strlen(schema) >= sizeof r->schema || strlen(tag) > 16)
        bench_die("schema name too long");
    memcpy(r->schema, schema, strlen(schema) + 1);
    snprintf(r->put_name, sizeof r->put_name, "bench_put_%s", tag);
    snprintf(r->get_name, sizeof r->get_name, "bench_get_%s", tag);
    r->pg = pg;
    r->owned = owned;
    char sql[1024];
    sql_printf(sql, sizeof sql,
               "INSERT INTO \"%s\".records (collection, id, subject_id, index_key, created,"
               " expires, body) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (collection, id)"
               " DO UPDATE SET subject_id = EXCLUDED.subject_id, index_key = EXCLUDED.index_key,"
               " created = EXCLUDED.created, expires = EXCLUDED.expires, body = EXCLUDED.body",
               schema);
    raw_prepare(r, r->put_name, sql);
    sql_printf(sql, sizeof sql,
               "SELECT id, subject_id, index_key, created, expires, body FROM \"%s\".records"
               " WHERE collection = $1 AND id = $2",
               schema);
    raw_prepare(r, r->get_name, sql);
}

void bpg_raw_open(bpg_raw *r, const char *schema)
{
    raw_init(r, raw_connect(), 1, schema, "own");
}

PGconn *bpg_store_pgconn(prv_store *st)
{
    if (st->be.open != prv_pg_backend.open)
        bench_die("not a store on the PostgreSQL backend");
    pg_conn *c = st->conn;
    if (c->pg == NULL || c->broken || c->in_tx || PQstatus(c->pg) != CONNECTION_OK)
        bench_die("the library's connection is not ready");
    return c->pg;
}

void bpg_raw_attach(bpg_raw *r, PGconn *pg, const char *schema, const char *tag)
{
    raw_init(r, pg, 0, schema, tag);
}

void bpg_raw_close(bpg_raw *r)
{
    if (r->owned) {
        PQfinish(r->pg);
    } else {
        char sql[128];
        sql_printf(sql, sizeof sql, "DEALLOCATE %s; DEALLOCATE %s", r->put_name, r->get_name);
        bpg_exec(r->pg, sql);
    }
    memset(r, 0, sizeof *r);
}

static void raw_command(bpg_raw *r, const char *sql)
{
    PGresult *res = PQexec(r->pg, sql);
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        bpg_die(r->pg, res, sql);
    PQclear(res);
}

void bpg_raw_begin(bpg_raw *r)
{
    raw_command(r, SQL_BEGIN);
}

void bpg_raw_commit(bpg_raw *r)
{
    raw_command(r, SQL_COMMIT);
}

/* The parameters of a put, as the backend binds them: text as text,
 * bytea and int8 in binary (network order); NULL for no subject, no index
 * key and expires 0; an empty body is an empty value, not NULL. */
typedef struct put_params {
    const char *values[7];
    int lengths[7];
    uint8_t created[8], expires[8];
} put_params;

static const int PUT_FORMATS[7] = { 0, 0, 0, 1, 1, 1, 1 };

static void be64(uint8_t out[8], int64_t v)
{
    for (int i = 0; i < 8; i++)
        out[i] = (uint8_t)((uint64_t)v >> (56 - 8 * i));
}

static void put_params_of(put_params *p, const privacy_record *rec)
{
    be64(p->created, rec->created);
    be64(p->expires, rec->expires);
    p->values[0] = rec->collection;
    p->values[1] = rec->id;
    p->values[2] = rec->subject_id;
    p->values[3] = (const char *)rec->index_key;
    p->values[4] = (const char *)p->created;
    p->values[5] = rec->expires != 0 ? (const char *)p->expires : NULL;
    p->values[6] = rec->body != NULL ? (const char *)rec->body : "";
    p->lengths[0] = p->lengths[1] = p->lengths[2] = 0;
    p->lengths[3] = (int)rec->index_key_len;
    p->lengths[4] = p->lengths[5] = 8;
    p->lengths[6] = (int)rec->body_len;
}

void bpg_raw_put(bpg_raw *r, const privacy_record *rec)
{
    put_params p;
    put_params_of(&p, rec);
    PGresult *res = PQexecPrepared(r->pg, r->put_name, 7, p.values, p.lengths, PUT_FORMATS, 1);
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        bpg_die(r->pg, res, "put");
    PQclear(res);
}

/* Reads the results of a pipeline up to its sync; every one must be good. */
static void pipeline_drain(bpg_raw *r, size_t queries)
{
    for (size_t i = 0; i < queries; i++) {
        PGresult *res = PQgetResult(r->pg);
        if (PQresultStatus(res) != PGRES_COMMAND_OK)
            bpg_die(r->pg, res, "preload put");
        PQclear(res);
        if ((res = PQgetResult(r->pg)) != NULL) /* the end of this query's results */
            bpg_die(r->pg, res, "preload: more than one result");
    }
    PGresult *res = PQgetResult(r->pg);
    if (PQresultStatus(res) != PGRES_PIPELINE_SYNC)
        bpg_die(r->pg, res, "preload: no sync at the end of the pipeline");
    PQclear(res);
}

void bpg_raw_preload(bpg_raw *r, const privacy_record *(*next)(void *, size_t), void *arg,
                     size_t n, size_t per_tx)
{
    if (!PQenterPipelineMode(r->pg))
        bpg_die(r->pg, NULL, "entering pipeline mode");
    for (size_t from = 0; from < n; from += per_tx) {
        size_t end = n - from < per_tx ? n : from + per_tx;
        if (!PQsendQueryParams(r->pg, SQL_BEGIN, 0, NULL, NULL, NULL, NULL, 0))
            bpg_die(r->pg, NULL, "preload: BEGIN");
        for (size_t i = from; i < end; i++) {
            put_params p;
            put_params_of(&p, next(arg, i));
            if (!PQsendQueryPrepared(r->pg, r->put_name, 7, p.values, p.lengths, PUT_FORMATS, 1))
                bpg_die(r->pg, NULL, "preload: put");
        }
        if (!PQsendQueryParams(r->pg, SQL_COMMIT, 0, NULL, NULL, NULL, NULL, 0) ||
            !PQpipelineSync(r->pg))
            bpg_die(r->pg, NULL, "preload: COMMIT");
        pipeline_drain(r, end - from + 2);
    }
    if (!PQexitPipelineMode(r->pg))
        bpg_die(r->pg, NULL, "leaving pipeline mode");
}

PGresult *bpg_raw_get(bpg_raw *r, const char *collection, const char *id)
{
    const char *values[2] = { collection, id };
    PGresult *res = PQexecPrepared(r->pg, r->get_name, 2, values, NULL, NULL, 1);
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) > 1 || PQnfields(res) != 6)
        bpg_die(r->pg, res, "get");
    return res;
}

int64_t bpg_int8(const PGresult *res, int row, int col)
{
    if (PQgetisnull(res, row, col))
        return 0;
    if (PQgetlength(res, row, col) != 8)
        bench_die("postgres: an int8 column of %d bytes", PQgetlength(res, row, col));
    const uint8_t *p = (const uint8_t *)PQgetvalue(res, row, col);
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return (int64_t)v;
}

/* The storage calls of raw libpq (bench_raw_ops). */

static void pg_ops_begin(void *db)
{
    bpg_raw_begin(db);
}

static void pg_ops_commit(void *db)
{
    bpg_raw_commit(db);
}

static void pg_ops_put(void *db, const privacy_record *rec)
{
    bpg_raw_put(db, rec);
}

static int pg_ops_get(void *db, const char *collection, const char *id, int whole,
                      bench_row *row)
{
    bpg_raw *r = db;
    PGresult *res = bpg_raw_get(r, collection, id);
    if (PQntuples(res) != 1) {
        PQclear(res);
        return 0;
    }
    r->row = res;
    if (whole) {
        row->subject = PQgetisnull(res, 0, BPG_COL_SUBJECT) ? NULL
                                                            : PQgetvalue(res, 0, BPG_COL_SUBJECT);
        row->subject_len = (size_t)PQgetlength(res, 0, BPG_COL_SUBJECT);
        row->has_index_key = !PQgetisnull(res, 0, BPG_COL_INDEX_KEY);
        row->created = bpg_int8(res, 0, BPG_COL_CREATED);
        row->expires = bpg_int8(res, 0, BPG_COL_EXPIRES);
    }
    row->body = (const uint8_t *)PQgetvalue(res, 0, BPG_COL_BODY);
    row->body_len = (size_t)PQgetlength(res, 0, BPG_COL_BODY);
    return 1;
}

static void pg_ops_done(void *db)
{
    bpg_raw *r = db;
    PQclear(r->row);
    r->row = NULL;
}

bench_raw_ops bpg_raw_ops_of(bpg_raw *r)
{
    bench_raw_ops ops = { r, pg_ops_begin, pg_ops_commit, pg_ops_put, pg_ops_get, pg_ops_done };
    return ops;
}

/* ---- main ---- */

int main(void)
{
    if (sodium_init() < 0)
        bench_die("sodium_init failed");
    PGconn *c = bpg_connect();
    bpg_describe_server(c);
    PQfinish(c);

    const char *only = getenv("BENCH_PG_ONLY"); /* "store" or "subject" */
    if (only == NULL || strcmp(only, "store") == 0)
        bpg_run_store();
    if (only == NULL || strcmp(only, "subject") == 0) {
        uint8_t root[PRIVACY_ROOT_KEY_BYTES];
        randombytes_buf(root, sizeof root);
        bpg_run_subject(root);
        sodium_memzero(root, sizeof root);
    }
    if (prv_alloc_live() != 0)
        bench_die("the library leaked %ld blocks", prv_alloc_live());
    return 0;
}
