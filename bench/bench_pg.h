/* The PostgreSQL benchmarks (bench_pg.c, bench_pg_store.c,
 * bench_pg_subject.c): the library over its PostgreSQL backend against raw
 * libpq doing the same work on the same schema, with the backend's own
 * statements, parameter formats and session settings, one round trip per
 * statement on both sides.
 *
 * The server is named by $PRIVACY_TEST_PG, a libpq key/value conninfo
 * ("host=/tmp/x port=N user=privacy dbname=privacy"), which
 * scripts/with_postgres.sh sets for a throwaway server of its own. Every
 * side works in a schema of its own, named "bench_<pid>_<what>" and
 * dropped at the end. */
#ifndef PRV_BENCH_PG_H
#define PRV_BENCH_PG_H

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

#include "bench.h"

enum { BPG_SCHEMA_CAP = 64, BPG_URI_CAP = 4400 };

/* $PRIVACY_TEST_PG; dies with a message naming scripts/with_postgres.sh
 * when it is unset or empty. */
const char *bpg_conninfo(void);

/* "bench_<pid>_<what>": a schema of this run. */
void bpg_schema_name(char out[BPG_SCHEMA_CAP], const char *what);

/* The storage URI of the library for a schema: "pg:<conninfo> schema=<s>". */
void bpg_uri(char out[BPG_URI_CAP], const char *schema);

/* A plain connection to the server (set-up, checks, clean-up). */
PGconn *bpg_connect(void);
/* Runs one SQL text that must succeed; dies with the server's message. */
void bpg_exec(PGconn *c, const char *sql);
/* The text of the one value of a one-row query. */
void bpg_query1(PGconn *c, const char *sql, char *buf, size_t len);
/* Prints what failed with libpq's message (and the result's, if any) and
 * exits with status 1. */
_Noreturn void bpg_die(PGconn *c, const PGresult *res, const char *what);

/* Creates the schema through the library's store (prv_store_open with
 * prv_pg_backend on the schema's URI): its tables and indexes are the
 * backend's own DDL. */
void bpg_create_store(const char *schema);
/* Opens the library's store on a schema (created if missing). */
void bpg_store_open(prv_store **st, const char *schema, prv_err *err);
/* DROP SCHEMA ... CASCADE, if it exists. */
void bpg_drop_schema(PGconn *c, const char *schema);
/* Copies every record of schema from into schema to (which the library
 * created, empty), in primary key order, in one statement. */
void bpg_copy_records(PGconn *c, const char *from, const char *to);
/* VACUUM (ANALYZE) of the schema's records, then autovacuum off for it:
 * both sides start from tables with fresh statistics and no dead rows,
 * and no autovacuum worker wakes on one side in the middle of a figure.
 * (A storage parameter, the same on both sides; no column or index
 * changes.) */
void bpg_settle(PGconn *c, const char *schema);
/* The server's settings that decide what a commit costs, on stderr. */
void bpg_describe_server(PGconn *c);

/* ---- the raw libpq baseline ---- */

/* Raw libpq on a schema: the backend's statements (same text, parameter
 * types inferred, same parameter and result formats) prepared once on a
 * connection. */
typedef struct bpg_raw {
    PGconn *pg;
    int owned; /* its own connection, else the library's */
    char schema[BPG_SCHEMA_CAP];
    char put_name[32], get_name[32];
    PGresult *row; /* the row of the last get through bpg_raw_ops_of, until done() */
} bpg_raw;

/* On a connection of its own, made as the backend makes its connections
 * (the same keywords and startup options: statement_timeout). */
void bpg_raw_open(bpg_raw *r, const char *schema);
/* On the connection of a library's store (its PGconn, borrowed): both
 * sides of a figure then talk to the same server process over the same
 * socket, each on its own schema, so neither gains from where the
 * scheduler puts its server process (on 2 cores, a server process on the
 * client's core answers a round trip sooner than one on the other core,
 * and a connection of its own made A/A runs differ by up to ~20%). tag
 * names the prepared statements ("bench_put_<tag>"), which
 * bpg_raw_close deallocates. */
void bpg_raw_attach(bpg_raw *r, PGconn *pg, const char *schema, const char *tag);
/* The PGconn of a store on the PostgreSQL backend, between transactions. */
PGconn *bpg_store_pgconn(prv_store *st);
void bpg_raw_close(bpg_raw *r);
/* BEGIN ISOLATION LEVEL SERIALIZABLE / COMMIT: simple queries (PQexec),
 * as the backend sends them; one round trip each. */
void bpg_raw_begin(bpg_raw *r);
void bpg_raw_commit(bpg_raw *r);
/* The backend's INSERT ... ON CONFLICT DO UPDATE of rec, bound as the
 * backend binds it. */
void bpg_raw_put(bpg_raw *r, const privacy_record *rec);
/* Untimed set-up: writes records next(arg, 0) .. next(arg, n - 1) with the
 * put statement, per_tx per transaction, pipelined (libpq pipeline mode):
 * the same rows as bpg_raw_put writes, without a round trip each. */
void bpg_raw_preload(bpg_raw *r, const privacy_record *(*next)(void *, size_t), void *arg,
                     size_t n, size_t per_tx);
/* The backend's SELECT by (collection, id), binary results: returns the
 * result (0 or 1 row; PQclear it). */
PGresult *bpg_raw_get(bpg_raw *r, const char *collection, const char *id);

/* Columns of a get's row: 0 id, 1 subject_id, 2 index_key, 3 created,
 * 4 expires, 5 body (binary format). */
enum { BPG_COL_ID, BPG_COL_SUBJECT, BPG_COL_INDEX_KEY, BPG_COL_CREATED, BPG_COL_EXPIRES,
       BPG_COL_BODY };
/* An int8 column in binary format (0 when NULL). */
int64_t bpg_int8(const PGresult *res, int row, int col);

/* The storage calls of raw libpq on r (bpg_raw_begin, _commit, _put, _get
 * and the PQclear of the get's result). */
bench_raw_ops bpg_raw_ops_of(bpg_raw *r);

/* ---- the figures ---- */

void bpg_run_store(void);
void bpg_run_subject(const uint8_t *root);

#endif
