/* The SQLite record store: one table of records, WAL, synchronous=FULL,
 * secure_delete, statements prepared once per connection. */
#include "sqlite_backend.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/alloc.h"
#include "schema.h"

#ifndef SQLITE_OPEN_EXRESCODE /* SQLite < 3.37: extended codes are then off */
#define SQLITE_OPEN_EXRESCODE 0
#endif

enum {
    ST_BEGIN,
    ST_COMMIT,
    ST_ROLLBACK,
    ST_PUT,
    ST_GET,
    ST_DEL,
    ST_SCAN_ALL,
    ST_SCAN_SUBJECT,
    ST_SCAN_INDEX,
    ST_DEL_SUBJECT,
    ST_PURGE,
    ST_COUNT
};

#define COLS "id, subject_id, index_key, created, expires, body"

static const char *const sql_text[ST_COUNT] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_PUT] = "INSERT OR REPLACE INTO records"
               "(collection, id, subject_id, index_key, created, expires, body)"
               " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [ST_GET] = "SELECT " COLS " FROM records WHERE collection = ?1 AND id = ?2",
    [ST_DEL] = "DELETE FROM records WHERE collection = ?1 AND id = ?2",
    [ST_SCAN_ALL] = "SELECT " COLS " FROM records WHERE collection = ?1 ORDER BY created, id",
    [ST_SCAN_SUBJECT] = "SELECT " COLS " FROM records WHERE collection = ?1 AND subject_id = ?2"
                        " ORDER BY created, id",
    [ST_SCAN_INDEX] = "SELECT " COLS " FROM records WHERE collection = ?1 AND index_key = ?2"
                      " ORDER BY created, id",
    [ST_DEL_SUBJECT] = "DELETE FROM records WHERE collection = ?1 AND subject_id = ?2",
    [ST_PURGE] = "DELETE FROM records WHERE collection = ?1 AND expires > 0 AND expires <= ?2",
};

typedef struct sq_conn {
    sqlite3 *db;
    sqlite3_stmt *stmt[ST_COUNT];
    char errmsg[PRIVACY_ERRMSG_MAX];
} sq_conn;

static int map_code(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return PRIVACY_E_BUSY;
    case SQLITE_NOMEM:
        return PRIVACY_E_NOMEM;
    default:
        return PRIVACY_E_STORAGE;
    }
}

/* Records a failure. sqlite3_errstr() gives SQLite's generic text for the
 * code, never row contents. */
static int fail(sq_conn *c, int rc, const char *what)
{
    snprintf(c->errmsg, sizeof c->errmsg, "sqlite: %s: %s", what, sqlite3_errstr(rc));
    return map_code(rc);
}

static int stmt(sq_conn *c, int which, sqlite3_stmt **out)
{
    if (c->stmt[which] == NULL) {
        int rc = sqlite3_prepare_v3(c->db, sql_text[which], -1, SQLITE_PREPARE_PERSISTENT,
                                    &c->stmt[which], NULL);
        if (rc != SQLITE_OK)
            return fail(c, rc, "preparing a statement");
    }
    *out = c->stmt[which];
    return PRIVACY_OK;
}

/* Steps a statement that returns no rows, then resets it. */
static int run(sq_conn *c, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_DONE)
        return fail(c, rc, what);
    return PRIVACY_OK;
}

static int run_counted(sq_conn *c, sqlite3_stmt *st, const char *what, uint64_t *count)
{
    int rc = run(c, st, what);
    if (rc == PRIVACY_OK && count != NULL)
        *count = (uint64_t)sqlite3_changes64(c->db);
    return rc;
}

static int exec_simple(sq_conn *c, int which, const char *what)
{
    sqlite3_stmt *st;
    int rc = stmt(c, which, &st);
    return rc != PRIVACY_OK ? rc : run(c, st, what);
}

static int sq_begin(void *conn)
{
    return exec_simple(conn, ST_BEGIN, "begin");
}

static int sq_commit(void *conn)
{
    return exec_simple(conn, ST_COMMIT, "commit");
}

static int sq_rollback(void *conn)
{
    sq_conn *c = conn;
    /* SQLite rolls back by itself after some errors (SQLITE_FULL, IOERR):
     * then there is nothing left to roll back. */
    if (sqlite3_get_autocommit(c->db))
        return PRIVACY_OK;
    return exec_simple(c, ST_ROLLBACK, "rollback");
}

static int bind_blob(sqlite3_stmt *st, int i, const void *p, size_t n)
{
    /* A NULL pointer would bind SQL NULL: an empty body is an empty blob. */
    if (n == 0)
        return sqlite3_bind_zeroblob(st, i, 0);
    return sqlite3_bind_blob64(st, i, p, n, SQLITE_STATIC);
}

static int sq_put(void *conn, const privacy_record *r)
{
    sq_conn *c = conn;
    sqlite3_stmt *st;
    int rc = stmt(c, ST_PUT, &st);
    if (rc != PRIVACY_OK)
        return rc;
    int b = sqlite3_bind_text(st, 1, r->collection, -1, SQLITE_STATIC);
    if (b == SQLITE_OK)
        b = sqlite3_bind_text(st, 2, r->id, -1, SQLITE_STATIC);
    if (b == SQLITE_OK)
        b = r->subject_id != NULL ? sqlite3_bind_text(st, 3, r->subject_id, -1, SQLITE_STATIC)
                                  : sqlite3_bind_null(st, 3);
    if (b == SQLITE_OK)
        b = r->index_key != NULL ? sqlite3_bind_blob64(st, 4, r->index_key, r->index_key_len,
                                                       SQLITE_STATIC)
                                 : sqlite3_bind_null(st, 4);
    if (b == SQLITE_OK)
        b = sqlite3_bind_int64(st, 5, r->created);
    if (b == SQLITE_OK)
        b = r->expires != 0 ? sqlite3_bind_int64(st, 6, r->expires) : sqlite3_bind_null(st, 6);
    if (b == SQLITE_OK)
        b = bind_blob(st, 7, r->body, r->body_len);
    if (b != SQLITE_OK) {
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
        return fail(c, b, "binding a record");
    }
    return run(c, st, "writing a record");
}

/* Visits the rows of a SELECT of COLS, handing each to cb. */
static int visit(sq_conn *c, sqlite3_stmt *st, const char *collection, privacy_record_cb cb,
                 void *ud, int *found)
{
    int rc, ret = PRIVACY_OK;
    *found = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        privacy_record r = {
            .collection = collection,
            .id = (const char *)sqlite3_column_text(st, 0),
            .subject_id = (const char *)sqlite3_column_text(st, 1),
            .index_key = sqlite3_column_blob(st, 2),
            .index_key_len = (size_t)sqlite3_column_bytes(st, 2),
            .created = sqlite3_column_int64(st, 3),
            .expires = sqlite3_column_int64(st, 4),
            .body = sqlite3_column_blob(st, 5),
            .body_len = (size_t)sqlite3_column_bytes(st, 5),
        };
        if (r.id == NULL || (r.body == NULL && r.body_len != 0)) {
            ret = fail(c, sqlite3_errcode(c->db), "reading a record");
            break;
        }
        *found = 1;
        ret = cb(ud, &r);
        if (ret != 0)
            break;
    }
    if (ret == PRIVACY_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
        ret = fail(c, rc, "reading records");
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return ret;
}

static int sq_get(void *conn, const char *collection, const char *id, privacy_record_cb cb,
                  void *ud)
{
    sq_conn *c = conn;
    sqlite3_stmt *st;
    int rc = stmt(c, ST_GET, &st);
    if (rc != PRIVACY_OK)
        return rc;
    int b = sqlite3_bind_text(st, 1, collection, -1, SQLITE_STATIC);
    if (b == SQLITE_OK)
        b = sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
    if (b != SQLITE_OK) {
        sqlite3_reset(st);
        return fail(c, b, "binding a key");
    }
    int found;
    rc = visit(c, st, collection, cb, ud, &found);
    if (rc == PRIVACY_OK && !found) {
        snprintf(c->errmsg, sizeof c->errmsg, "sqlite: no such record in '%s'", collection);
        return PRIVACY_E_NOT_FOUND;
    }
    return rc;
}

static int sq_scan(void *conn, const char *collection, const char *subject_id,
                   const uint8_t *index_key, size_t index_key_len, privacy_record_cb cb, void *ud)
{
    sq_conn *c = conn;
    int which = subject_id != NULL ? ST_SCAN_SUBJECT : index_key != NULL ? ST_SCAN_INDEX
                                                                          : ST_SCAN_ALL;
    sqlite3_stmt *st;
    int rc = stmt(c, which, &st);
    if (rc != PRIVACY_OK)
        return rc;
    int b = sqlite3_bind_text(st, 1, collection, -1, SQLITE_STATIC);
    if (b == SQLITE_OK && which == ST_SCAN_SUBJECT)
        b = sqlite3_bind_text(st, 2, subject_id, -1, SQLITE_STATIC);
    if (b == SQLITE_OK && which == ST_SCAN_INDEX)
        b = sqlite3_bind_blob64(st, 2, index_key, index_key_len, SQLITE_STATIC);
    if (b != SQLITE_OK) {
        sqlite3_reset(st);
        return fail(c, b, "binding a scan");
    }
    int found;
    return visit(c, st, collection, cb, ud, &found);
}

static int bind_two_text(sq_conn *c, sqlite3_stmt *st, const char *a, const char *b2)
{
    int b = sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
    if (b == SQLITE_OK)
        b = sqlite3_bind_text(st, 2, b2, -1, SQLITE_STATIC);
    if (b != SQLITE_OK) {
        sqlite3_reset(st);
        return fail(c, b, "binding a key");
    }
    return PRIVACY_OK;
}

static int sq_del(void *conn, const char *collection, const char *id, uint64_t *deleted)
{
    sq_conn *c = conn;
    sqlite3_stmt *st;
    int rc = stmt(c, ST_DEL, &st);
    if (rc == PRIVACY_OK)
        rc = bind_two_text(c, st, collection, id);
    return rc != PRIVACY_OK ? rc : run_counted(c, st, "deleting a record", deleted);
}

static int sq_delete_subject(void *conn, const char *collection, const char *subject_id,
                             uint64_t *deleted)
{
    sq_conn *c = conn;
    sqlite3_stmt *st;
    int rc = stmt(c, ST_DEL_SUBJECT, &st);
    if (rc == PRIVACY_OK)
        rc = bind_two_text(c, st, collection, subject_id);
    return rc != PRIVACY_OK ? rc : run_counted(c, st, "deleting a subject's records", deleted);
}

static int sq_purge_expired(void *conn, const char *collection, int64_t now, uint64_t *purged)
{
    sq_conn *c = conn;
    sqlite3_stmt *st;
    int rc = stmt(c, ST_PURGE, &st);
    if (rc != PRIVACY_OK)
        return rc;
    int b = sqlite3_bind_text(st, 1, collection, -1, SQLITE_STATIC);
    if (b == SQLITE_OK)
        b = sqlite3_bind_int64(st, 2, now);
    if (b != SQLITE_OK) {
        sqlite3_reset(st);
        return fail(c, b, "binding a purge");
    }
    return run_counted(c, st, "purging expired records", purged);
}

static const char *sq_errmsg(void *conn)
{
    return ((sq_conn *)conn)->errmsg;
}

static void sq_close(void *conn)
{
    sq_conn *c = conn;
    if (c == NULL)
        return;
    for (int i = 0; i < ST_COUNT; i++)
        sqlite3_finalize(c->stmt[i]);
    /* sqlite3_close_v2 rolls back an open transaction. */
    sqlite3_close_v2(c->db);
    prv_free(c);
}

static int sq_open(void **conn_out, const char *uri, char *errbuf, size_t errlen)
{
    prv_sqlite_opts o;
    int rc = prv_sqlite_uri_parse(uri, &o, errbuf, errlen);
    if (rc != PRIVACY_OK)
        return rc;
    /* Everything the library allocates comes before the file is made, so
     * that an allocation failure leaves no new file behind. */
    sq_conn *c = prv_calloc(1, sizeof *c);
    if (c == NULL) {
        snprintf(errbuf, errlen, "sqlite: out of memory");
        rc = PRIVACY_E_NOMEM;
        goto done;
    }
    struct stat sb;
    if (!o.memory && lstat(o.path, &sb) != 0) {
        if (errno != ENOENT) {
            snprintf(errbuf, errlen, "sqlite: cannot open '%s': %s", o.path, strerror(errno));
            rc = PRIVACY_E_STORAGE;
            goto done;
        }
        rc = prv_sqlite_create(&o, errbuf, errlen);
        if (rc != PRIVACY_OK)
            goto done;
    }
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
    if (o.memory)
        flags |= SQLITE_OPEN_CREATE | SQLITE_OPEN_MEMORY;
    int src = sqlite3_open_v2(o.path, &c->db, flags, NULL);
    if (src != SQLITE_OK) {
        rc = map_code(src);
        snprintf(errbuf, errlen, "sqlite: cannot open '%s': %s", o.path, sqlite3_errstr(src));
        goto done;
    }
    rc = prv_sqlite_schema_open(c->db, &o, errbuf, errlen);
done:
    if (rc != PRIVACY_OK) {
        if (c != NULL) {
            sqlite3_close_v2(c->db);
            prv_free(c);
        }
    } else {
        *conn_out = c;
    }
    prv_sqlite_opts_clear(&o);
    return rc;
}

const privacy_backend prv_sqlite_backend = {
    .version = PRIVACY_BACKEND_VERSION,
    .open = sq_open,
    .close = sq_close,
    .errmsg = sq_errmsg,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .put = sq_put,
    .get = sq_get,
    .del = sq_del,
    .scan = sq_scan,
    .delete_subject = sq_delete_subject,
    .purge_expired = sq_purge_expired,
};
