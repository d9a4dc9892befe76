/* The PostgreSQL schema: created and migrated forward on open, in one
 * transaction under an advisory lock, so that many processes starting at
 * once migrate it exactly once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg_internal.h"

/* migration[i] takes the schema from version i to i + 1. Append only.
 * COLLATE "C": ids compare bytewise, as the backend contract orders them. */
static const char *const migration[PRV_PG_SCHEMA_VERSION] = {
    /* 0 -> 1: the record store. */
    "CREATE TABLE @S.privacy_meta ("
    "  key text COLLATE \"C\" PRIMARY KEY,"
    "  value bigint NOT NULL);"
    "CREATE TABLE @S.records ("
    "  collection text COLLATE \"C\" NOT NULL,"
    "  id text COLLATE \"C\" NOT NULL,"
    "  subject_id text COLLATE \"C\","
    "  index_key bytea,"
    "  created bigint NOT NULL,"
    "  expires bigint,"
    "  body bytea NOT NULL,"
    "  PRIMARY KEY (collection, id));"
    "CREATE INDEX records_by_subject ON @S.records (collection, subject_id, created, id)"
    "  WHERE subject_id IS NOT NULL;"
    "CREATE INDEX records_by_index_key ON @S.records (collection, index_key, created, id)"
    "  WHERE index_key IS NOT NULL;"
    "CREATE INDEX records_by_created ON @S.records (collection, created, id);"
    "CREATE INDEX records_by_expiry ON @S.records (collection, expires)"
    "  WHERE expires IS NOT NULL;"
    /* Bodies are ciphertext: compressing them only costs time. */
    "ALTER TABLE @S.records ALTER COLUMN body SET STORAGE EXTERNAL;"
    "INSERT INTO @S.privacy_meta (key, value) VALUES ('schema_version', 0);",
};

/* The advisory lock's first key: "PRVY". */
enum { LOCK_CLASS = 0x50525659 };

/* Runs a statement of the template; 0 rows expected unless rows != NULL. */
static int run(pg_conn *c, const char *tmpl, const char *what, PGresult **rows)
{
    char sql[2048];
    if (!prv_pg_sql(tmpl, c->opts.schema, sql, sizeof sql)) {
        snprintf(c->errmsg, sizeof c->errmsg, "postgres: internal: a schema statement is too long");
        return PRIVACY_E_INTERNAL;
    }
    /* Only PQexec runs several statements in one string (migrations). */
    const char *params[1] = { c->opts.schema };
    PGresult *res = strstr(tmpl, "$1") != NULL
                        ? PQexecParams(c->pg, sql, 1, NULL, params, NULL, NULL, 0)
                        : PQexec(c->pg, sql);
    return prv_pg_result(c, res, what, rows);
}

static int check_version(pg_conn *c, long long v)
{
    if (v >= 1 && v <= PRV_PG_SCHEMA_VERSION)
        return PRIVACY_OK;
    snprintf(c->errmsg, sizeof c->errmsg,
             "postgres: schema '%s' has schema version %lld; this library reads versions 1 to %d",
             c->opts.schema, v, PRV_PG_SCHEMA_VERSION);
    return PRIVACY_E_VERSION;
}

static const char READ_VERSION[] =
    "SELECT value FROM @S.privacy_meta WHERE key = 'schema_version'";

/* Inside the migration transaction, holding the lock. */
static int migrate_locked(pg_conn *c)
{
    PGresult *res = NULL;
    int rc = run(c,
                 "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1),"
                 " to_regclass(format('%I.privacy_meta', $1::text)) IS NOT NULL,"
                 " to_regclass(format('%I.records', $1::text)) IS NOT NULL",
                 "inspecting the schema", &res);
    if (rc != PRIVACY_OK)
        return rc;
    int has_schema = PQgetvalue(res, 0, 0)[0] == 't';
    int has_meta = PQgetvalue(res, 0, 1)[0] == 't';
    int has_records = PQgetvalue(res, 0, 2)[0] == 't';
    PQclear(res);
    long long v = 0;
    if (has_meta) {
        rc = run(c, READ_VERSION, "reading the schema version", &res);
        if (rc != PRIVACY_OK)
            return rc;
        v = PQntuples(res) == 1 ? atoll(PQgetvalue(res, 0, 0)) : -1;
        PQclear(res);
        rc = check_version(c, v);
        if (rc != PRIVACY_OK && v != 0)
            return rc;
    } else if (has_records) {
        snprintf(c->errmsg, sizeof c->errmsg,
                 "postgres: schema '%s' holds a 'records' table that is not libprivacy's",
                 c->opts.schema);
        return PRIVACY_E_STORAGE;
    } else if (!has_schema) {
        rc = run(c, "CREATE SCHEMA @S", "creating the schema", NULL);
        if (rc != PRIVACY_OK)
            return rc;
    }
    for (long long i = v; i < PRV_PG_SCHEMA_VERSION; i++) {
        rc = run(c, migration[i], "migrating the schema", NULL);
        if (rc != PRIVACY_OK)
            return rc;
    }
    if (v == PRV_PG_SCHEMA_VERSION)
        return PRIVACY_OK;
    char upd[160];
    snprintf(upd, sizeof upd,
             "UPDATE @S.privacy_meta SET value = %d WHERE key = 'schema_version'",
             PRV_PG_SCHEMA_VERSION);
    return run(c, upd, "migrating the schema", NULL);
}

int prv_pg_schema_open(pg_conn *c)
{
    /* The common case, without a lock: the schema is there and current. */
    PGresult *res = NULL;
    int rc = run(c, READ_VERSION, "reading the schema version", &res);
    if (rc == PRIVACY_OK) {
        long long v = PQntuples(res) == 1 ? atoll(PQgetvalue(res, 0, 0)) : 0;
        PQclear(res);
        if (v == PRV_PG_SCHEMA_VERSION || (rc = check_version(c, v)) != PRIVACY_OK)
            return rc;
    } else if (c->broken) {
        return rc;
    }
    char lock[160];
    snprintf(lock, sizeof lock, "SELECT pg_advisory_xact_lock(%d, hashtext($1))", LOCK_CLASS);
    rc = run(c, "BEGIN", "beginning the migration", NULL);
    if (rc == PRIVACY_OK)
        rc = run(c, lock, "locking the schema to migrate it", NULL);
    if (rc == PRIVACY_OK)
        rc = migrate_locked(c);
    if (rc == PRIVACY_OK)
        rc = run(c, "COMMIT", "committing the migration", NULL);
    if (rc != PRIVACY_OK && !c->broken)
        PQclear(PQexec(c->pg, "ROLLBACK"));
    return rc;
}
