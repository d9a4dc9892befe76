/* The SQLite schema: identification of the file, pragmas, forward
 * migrations under BEGIN IMMEDIATE so that many processes opening one file
 * at once migrate it exactly once. */
#include "schema.h"

#include <stdio.h>
#include <string.h>

#include "privacy/common.h"

/* migration[i] takes the schema from version i to i + 1. Append only. */
static const char *const migration[PRV_SQLITE_SCHEMA_VERSION] = {
    /* 0 -> 1: the record store. */
    "CREATE TABLE privacy_meta ("
    "  key TEXT PRIMARY KEY NOT NULL,"
    "  value ANY"
    ") STRICT, WITHOUT ROWID;"
    "CREATE TABLE records ("
    "  collection TEXT NOT NULL,"
    "  id TEXT NOT NULL,"
    "  subject_id TEXT,"
    "  index_key BLOB,"
    "  created INTEGER NOT NULL,"
    "  expires INTEGER,"
    "  body BLOB NOT NULL,"
    "  PRIMARY KEY (collection, id)"
    ") STRICT, WITHOUT ROWID;"
    "CREATE INDEX records_by_subject ON records (collection, subject_id, created, id)"
    "  WHERE subject_id IS NOT NULL;"
    "CREATE INDEX records_by_index_key ON records (collection, index_key, created, id)"
    "  WHERE index_key IS NOT NULL;"
    "CREATE INDEX records_by_created ON records (collection, created, id);"
    "CREATE INDEX records_by_expiry ON records (collection, expires)"
    "  WHERE expires IS NOT NULL;"
    "INSERT INTO privacy_meta (key, value) VALUES ('schema_version', 0);",
};

typedef enum { DB_EMPTY, DB_OURS, DB_FOREIGN } db_kind;

static int fail(char *errbuf, size_t errlen, int rc, const char *what, int code_if_other)
{
    snprintf(errbuf, errlen, "sqlite: %s: %s", what, sqlite3_errstr(rc));
    switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return PRIVACY_E_BUSY;
    case SQLITE_NOMEM:
        return PRIVACY_E_NOMEM;
    default:
        return code_if_other;
    }
}

/* Runs a one-row query of n integer columns. Returns an SQLite code. */
static int query_ints(sqlite3 *db, const char *sql, int64_t *out, int n)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            for (int i = 0; i < n; i++)
                out[i] = sqlite3_column_int64(st, i);
            rc = SQLITE_OK;
        } else if (rc == SQLITE_DONE) {
            rc = SQLITE_NOTFOUND;
        }
    }
    sqlite3_finalize(st);
    return rc;
}

/* Tells a libprivacy database (and its schema version) from an empty or a
 * foreign one, reading only. */
static int identify(sqlite3 *db, const char *path, db_kind *kind, int64_t *version, char *errbuf,
                    size_t errlen)
{
    /* One statement reads one snapshot: another process migrating between
     * two reads would make a fresh store look foreign. */
    int64_t v[2] = { 0, 0 };
    int rc = query_ints(db,
                        "SELECT (SELECT application_id FROM pragma_application_id),"
                        " (SELECT count(*) FROM sqlite_schema)",
                        v, 2);
    int64_t app_id = v[0], objects = v[1];
    if ((rc & 0xff) == SQLITE_NOTADB) {
        snprintf(errbuf, errlen, "sqlite: '%s' is not a libprivacy database (not an SQLite file)",
                 path);
        return PRIVACY_E_STORAGE;
    }
    if (rc != SQLITE_OK)
        return fail(errbuf, errlen, rc, "reading the database header", PRIVACY_E_STORAGE);
    if (app_id == 0 && objects == 0) {
        *kind = DB_EMPTY;
        *version = 0;
        return PRIVACY_OK;
    }
    if (app_id != PRV_SQLITE_APP_ID) {
        *kind = DB_FOREIGN;
        snprintf(errbuf, errlen, "sqlite: '%s' is not a libprivacy database", path);
        return PRIVACY_E_STORAGE;
    }
    rc = query_ints(db, "SELECT value FROM privacy_meta WHERE key = 'schema_version'", version, 1);
    if (rc != SQLITE_OK) {
        snprintf(errbuf, errlen, "sqlite: '%s' is a damaged libprivacy database: no schema version",
                 path);
        return (rc & 0xff) == SQLITE_BUSY ? PRIVACY_E_BUSY : PRIVACY_E_STORAGE;
    }
    *kind = DB_OURS;
    if (*version > PRV_SQLITE_SCHEMA_VERSION || *version < 1) {
        snprintf(errbuf, errlen,
                 "sqlite: '%s' has schema version %lld; this library reads versions 1 to %d",
                 path, (long long)*version, PRV_SQLITE_SCHEMA_VERSION);
        return PRIVACY_E_VERSION;
    }
    return PRIVACY_OK;
}

static int exec(sqlite3 *db, const char *sql, char *errbuf, size_t errlen, const char *what)
{
    int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        return fail(errbuf, errlen, rc, what, PRIVACY_E_STORAGE);
    return PRIVACY_OK;
}

static int migrate(sqlite3 *db, const char *path, char *errbuf, size_t errlen)
{
    int rc = exec(db, "BEGIN IMMEDIATE", errbuf, errlen, "locking the database to migrate it");
    if (rc != PRIVACY_OK)
        return rc;
    /* Another process may have migrated while this one waited for the lock. */
    db_kind kind;
    int64_t version;
    rc = identify(db, path, &kind, &version, errbuf, errlen);
    for (int64_t v = version; rc == PRIVACY_OK && v < PRV_SQLITE_SCHEMA_VERSION; v++)
        rc = exec(db, migration[v], errbuf, errlen, "migrating the schema");
    if (rc == PRIVACY_OK && version < PRV_SQLITE_SCHEMA_VERSION) {
        char sql[160];
        snprintf(sql, sizeof sql,
                 "UPDATE privacy_meta SET value = %d WHERE key = 'schema_version';"
                 "PRAGMA application_id = %d;",
                 PRV_SQLITE_SCHEMA_VERSION, PRV_SQLITE_APP_ID);
        rc = exec(db, sql, errbuf, errlen, "recording the schema version");
    }
    if (rc == PRIVACY_OK)
        rc = exec(db, "COMMIT", errbuf, errlen, "committing the migration");
    if (rc != PRIVACY_OK && !sqlite3_get_autocommit(db))
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

static int wal_once(sqlite3 *db)
{
    sqlite3_stmt *st = NULL;
    int src = sqlite3_prepare_v2(db, "PRAGMA journal_mode = WAL", -1, &st, NULL);
    if (src == SQLITE_OK && (src = sqlite3_step(st)) == SQLITE_ROW) {
        const unsigned char *mode = sqlite3_column_text(st, 0);
        src = mode != NULL && strcmp((const char *)mode, "wal") == 0 ? SQLITE_OK : SQLITE_CANTOPEN;
    }
    sqlite3_finalize(st);
    return src;
}

/* Switching a file to WAL takes an exclusive lock without calling the busy
 * handler: wait for it here, up to the busy timeout. */
static int switch_to_wal(sqlite3 *db, int timeout_ms)
{
    for (int waited = 0;; waited += 10) {
        int src = wal_once(db);
        if ((src & 0xff) != SQLITE_BUSY || waited >= timeout_ms)
            return src;
        sqlite3_sleep(10);
    }
}

static int set_pragmas(sqlite3 *db, const prv_sqlite_opts *o, char *errbuf, size_t errlen)
{
    int rc = exec(db, o->synchronous_full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL",
                  errbuf, errlen, "setting synchronous");
    if (rc == PRIVACY_OK)
        rc = exec(db, "PRAGMA secure_delete = ON", errbuf, errlen, "setting secure_delete");
    if (rc != PRIVACY_OK || o->memory)
        return rc;
    int src = switch_to_wal(db, o->busy_timeout_ms);
    if (src != SQLITE_OK)
        return fail(errbuf, errlen, src, "switching to WAL", PRIVACY_E_STORAGE);
    return PRIVACY_OK;
}

int prv_sqlite_schema_open(sqlite3 *db, const prv_sqlite_opts *o, char *errbuf, size_t errlen)
{
    sqlite3_busy_timeout(db, o->busy_timeout_ms);
    sqlite3_extended_result_codes(db, 1);
    /* Until the file is known to be ours, closing must not write to it
     * (a checkpoint of a WAL left by another program would). */
    sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
    sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
    sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);

    db_kind kind;
    int64_t version;
    int rc = identify(db, o->path, &kind, &version, errbuf, errlen);
    if (rc != PRIVACY_OK)
        return rc;
    rc = set_pragmas(db, o, errbuf, errlen);
    if (rc == PRIVACY_OK && version < PRV_SQLITE_SCHEMA_VERSION)
        rc = migrate(db, o->path, errbuf, errlen);
    if (rc == PRIVACY_OK)
        sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 0, NULL);
    return rc;
}
