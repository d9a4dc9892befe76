/* The PostgreSQL record store: one table of records per schema, write
 * transactions SERIALIZABLE, statements prepared once per connection,
 * parameters and results in binary, a lost connection re-made on the next
 * transaction (docs/postgres.md). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/bytes.h"
#include "core/clock.h"
#include "pg_internal.h"

/* How long a cancelled COMMIT may take to answer before the connection is
 * given up. */
#define CANCEL_GRACE_US INT64_C(10000000)

#define COLS "id, subject_id, index_key, created, expires, body"
#define ORDER " ORDER BY created, id"

static const char *const sql_tmpl[PS_COUNT] = {
    [PS_PUT] = "INSERT INTO @S.records"
               " (collection, id, subject_id, index_key, created, expires, body)"
               " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (collection, id) DO UPDATE SET"
               " subject_id = EXCLUDED.subject_id, index_key = EXCLUDED.index_key,"
               " created = EXCLUDED.created, expires = EXCLUDED.expires, body = EXCLUDED.body",
    [PS_GET] = "SELECT " COLS " FROM @S.records WHERE collection = $1 AND id = $2",
    [PS_DEL] = "DELETE FROM @S.records WHERE collection = $1 AND id = $2",
    [PS_SCAN_ALL] = "SELECT " COLS " FROM @S.records WHERE collection = $1" ORDER,
    /* Parenthesised: one string each, not a missing comma. */
    [PS_SCAN_SUBJECT] = ("SELECT " COLS " FROM @S.records WHERE collection = $1"
                         " AND subject_id = $2" ORDER),
    [PS_SCAN_INDEX] = ("SELECT " COLS " FROM @S.records WHERE collection = $1"
                       " AND index_key = $2" ORDER),
    [PS_DEL_SUBJECT] = "DELETE FROM @S.records WHERE collection = $1 AND subject_id = $2",
    [PS_PURGE] = "DELETE FROM @S.records WHERE collection = $1 AND expires > 0"
                 " AND expires <= $2",
};

static const char *const ps_name[PS_COUNT] = {
    "prv_put", "prv_get", "prv_del", "prv_scan_all", "prv_scan_subject", "prv_scan_index",
    "prv_del_subject", "prv_purge",
};

/* Up to seven parameters of one statement. */
typedef struct {
    int n;
    const char *val[7];
    int len[7];
    int fmt[7];
    uint8_t i64[2][8];
} params;

static void p_text(params *p, const char *s)
{
    p->val[p->n] = s;
    p->len[p->n] = 0;
    p->fmt[p->n++] = 0;
}

static void p_bytes(params *p, const uint8_t *b, size_t n)
{
    /* NULL is SQL NULL; an empty value needs a pointer. */
    p->val[p->n] = b != NULL ? (const char *)b : n == 0 ? "" : NULL;
    p->len[p->n] = (int)n;
    p->fmt[p->n++] = 1;
}

static void p_null(params *p)
{
    p->val[p->n] = NULL;
    p->len[p->n] = 0;
    p->fmt[p->n++] = 1;
}

static void p_int64(params *p, int which, int64_t v)
{
    prv_put_be(p->i64[which], (uint64_t)v, 8);
    p_bytes(p, p->i64[which], 8);
}

/* Makes sure the connection is usable: re-made after a loss, but only
 * between transactions (a transaction cut off is the store's to re-run). */
static int usable(pg_conn *c)
{
    if (!c->broken)
        return PRIVACY_OK;
    if (c->in_tx) {
        snprintf(c->errmsg, sizeof c->errmsg,
                 "postgres: the connection was lost in this transaction; re-run it");
        return PRIVACY_E_BUSY;
    }
    return prv_pg_connect(c);
}

static int prepare(pg_conn *c, int which)
{
    if (c->prepared & (1u << which))
        return PRIVACY_OK;
    int rc = prv_pg_result(c, PQprepare(c->pg, ps_name[which], c->sql[which], 0, NULL),
                           "preparing a statement", NULL);
    if (rc == PRIVACY_OK)
        c->prepared |= 1u << which;
    return rc;
}

/* Runs a prepared statement; *out gets its result when it succeeded. */
static int exec(pg_conn *c, int which, const params *p, const char *what, PGresult **out)
{
    int rc = usable(c);
    if (rc == PRIVACY_OK)
        rc = prepare(c, which);
    if (rc != PRIVACY_OK)
        return rc;
    return prv_pg_result(c, PQexecPrepared(c->pg, ps_name[which], p->n, p->val, p->len, p->fmt, 1),
                         what, out);
}

static int exec_counted(pg_conn *c, int which, const params *p, const char *what, uint64_t *n)
{
    PGresult *res;
    int rc = exec(c, which, p, what, &res);
    if (rc != PRIVACY_OK)
        return rc;
    if (n != NULL) {
        unsigned long long x = 0;
        if (sscanf(PQcmdTuples(res), "%llu", &x) != 1)
            x = 0;
        *n = x;
    }
    PQclear(res);
    return PRIVACY_OK;
}

/* A command outside the prepared set (BEGIN, ROLLBACK). */
static int command(pg_conn *c, const char *sql, const char *what)
{
    return prv_pg_result(c, PQexec(c->pg, sql), what, NULL);
}

static int pg_begin(void *conn)
{
    pg_conn *c = conn;
    int rc = usable(c);
    if (rc == PRIVACY_OK)
        /* Warnings must reach us (a cancelled wait for a standby is one),
         * whatever the role or PGOPTIONS set; SET LOCAL also holds behind
         * PgBouncer. Still one round trip. */
        rc = command(c, "BEGIN ISOLATION LEVEL SERIALIZABLE;"
                        " SET LOCAL client_min_messages = warning", "begin");
    if (rc == PRIVACY_OK)
        c->in_tx = 1;
    return rc;
}

/* COMMIT with a deadline of its own: the server switches statement_timeout
 * off for COMMIT, so a wait for a synchronous standby that never answers
 * would block for ever. At the deadline the library cancels the wait; the
 * server then answers with a warning that it was cancelled (committed here,
 * not known to be durable). Returns the result, or NULL if none came. */
static PGresult *commit_bounded(pg_conn *c)
{
    if (!PQsendQuery(c->pg, "COMMIT"))
        return NULL;
    int64_t limit = (int64_t)c->opts.statement_timeout_ms * 1000;
    int64_t deadline = limit > 0 ? prv_clock_monotonic() + limit : -1;
    int cancelled = 0;
    while (PQisBusy(c->pg)) {
        int wait_ms = -1;
        if (deadline >= 0) {
            int64_t left = deadline - prv_clock_monotonic();
            wait_ms = left > 0 ? (int)((left + 999) / 1000) : 0;
        }
        struct pollfd p = { .fd = PQsocket(c->pg), .events = POLLIN };
        int n = poll(&p, 1, wait_ms);
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0 && !cancelled) {
            char buf[256];
            PGcancel *cn = PQgetCancel(c->pg);
            if (cn != NULL) {
                (void)PQcancel(cn, buf, sizeof buf);
                PQfreeCancel(cn);
            }
            cancelled = 1;
            deadline = prv_clock_monotonic() + CANCEL_GRACE_US;
            continue;
        }
        if (n <= 0 || !PQconsumeInput(c->pg)) {
            /* No answer even to the cancel, or the connection failed. */
            c->broken = 1;
            return NULL;
        }
    }
    PGresult *res = PQgetResult(c->pg), *more;
    while ((more = PQgetResult(c->pg)) != NULL)
        PQclear(more);
    return res;
}

static int pg_commit(void *conn)
{
    pg_conn *c = conn;
    if (c->broken) {
        c->in_tx = 0;
        snprintf(c->errmsg, sizeof c->errmsg,
                 "postgres: the connection was lost in this transaction; re-run it");
        return PRIVACY_E_BUSY;
    }
    /* A re-run after a COMMIT of unknown outcome may write nothing new
     * (its rows are there): without a transaction id PostgreSQL would not
     * wait for the standby, and success would not mean the earlier commit
     * is replicated. Taking an id makes this COMMIT wait. */
    if (c->force_xid) {
        int rc = prv_pg_result(c, PQexec(c->pg, "SELECT pg_current_xact_id()"),
                               "taking a transaction id", NULL);
        if (rc != PRIVACY_OK)
            return rc;
    }
    c->in_commit = 1;
    c->warn_state[0] = '\0';
    PGresult *res = commit_bounded(c);
    c->in_commit = 0;
    c->in_tx = 0;
    int rc = PRIVACY_OK;
    /* A shutdown's warning (57P01 …) says the connection is closing, not
     * that the wait for a standby was cancelled: an outcome to re-learn. */
    if (prv_pg_lost(c, res) || strncmp(c->warn_state, "57", 2) == 0) {
        /* Sent, and no sure answer: it may or may not have landed. */
        (void)prv_pg_fail(c, res, "during COMMIT");
        c->broken = 1;
        c->force_xid = 1;
        rc = PRIVACY_E_BUSY;
        snprintf(c->errmsg, sizeof c->errmsg,
                 "postgres: connection lost during COMMIT: the outcome is unknown");
    } else if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        rc = prv_pg_fail(c, res, "commit");
    } else if (strcmp(PQcmdStatus(res), "COMMIT") != 0) {
        /* COMMIT of a failed transaction answers ROLLBACK. */
        snprintf(c->errmsg, sizeof c->errmsg,
                 "postgres: the server rolled the transaction back instead of committing it");
        rc = PRIVACY_E_STORAGE;
    } else if (c->warn_state[0] != '\0') {
        snprintf(c->errmsg, sizeof c->errmsg,
                 "postgres: COMMIT returned a warning (SQLSTATE %s; e.g. the wait for"
                 " synchronous replication was cancelled): the change is committed on the"
                 " primary but not known to be durable",
                 c->warn_state);
        rc = PRIVACY_E_STORAGE;
    }
    PQclear(res);
    if (rc == PRIVACY_OK)
        c->force_xid = 0;
    return rc;
}

static int pg_rollback(void *conn)
{
    pg_conn *c = conn;
    int was = c->in_tx;
    c->in_tx = 0;
    /* A lost connection took its transaction with it. */
    if (c->broken || c->pg == NULL)
        return PRIVACY_OK;
    if (!was && PQtransactionStatus(c->pg) == PQTRANS_IDLE)
        return PRIVACY_OK;
    return command(c, "ROLLBACK", "rollback");
}

static int pg_put(void *conn, const privacy_record *r)
{
    params p = { 0 };
    p_text(&p, r->collection);
    p_text(&p, r->id);
    if (r->subject_id != NULL)
        p_text(&p, r->subject_id);
    else
        p_null(&p);
    if (r->index_key != NULL)
        p_bytes(&p, r->index_key, r->index_key_len);
    else
        p_null(&p);
    p_int64(&p, 0, r->created);
    if (r->expires != 0)
        p_int64(&p, 1, r->expires);
    else
        p_null(&p);
    p_bytes(&p, r->body, r->body_len);
    return exec_counted(conn, PS_PUT, &p, "writing a record", NULL);
}

static int64_t col_int64(const PGresult *res, int row, int col)
{
    if (PQgetisnull(res, row, col) || PQgetlength(res, row, col) != 8)
        return 0;
    return (int64_t)prv_get_be((const uint8_t *)PQgetvalue(res, row, col), 8);
}

/* Hands one row of a SELECT of COLS to cb. */
static int deliver(const PGresult *res, int row, const char *collection, privacy_record_cb cb,
                   void *ud)
{
    int has_key = !PQgetisnull(res, row, 2) && PQgetlength(res, row, 2) > 0;
    privacy_record r = {
        .collection = collection,
        .id = PQgetvalue(res, row, 0),
        .subject_id = PQgetisnull(res, row, 1) ? NULL : PQgetvalue(res, row, 1),
        .index_key = has_key ? (const uint8_t *)PQgetvalue(res, row, 2) : NULL,
        .index_key_len = has_key ? (size_t)PQgetlength(res, row, 2) : 0,
        .created = col_int64(res, row, 3),
        .expires = col_int64(res, row, 4),
        .body = (const uint8_t *)PQgetvalue(res, row, 5),
        .body_len = (size_t)PQgetlength(res, row, 5),
    };
    return cb(ud, &r);
}

static int pg_get(void *conn, const char *collection, const char *id, privacy_record_cb cb,
                  void *ud)
{
    pg_conn *c = conn;
    params p = { 0 };
    p_text(&p, collection);
    p_text(&p, id);
    PGresult *res;
    int rc = exec(c, PS_GET, &p, "reading a record", &res);
    if (rc != PRIVACY_OK)
        return rc;
    if (PQntuples(res) == 0) {
        snprintf(c->errmsg, sizeof c->errmsg, "postgres: no such record in '%s'", collection);
        rc = PRIVACY_E_NOT_FOUND;
    } else {
        rc = deliver(res, 0, collection, cb, ud);
    }
    PQclear(res);
    return rc;
}

/* Streams the rows one at a time (single-row mode): a scan of a large
 * collection never holds it all in memory. A callback that stops the
 * visit leaves the rest to be read and dropped: the connection must be
 * ready for the next statement of the transaction. */
static int pg_scan(void *conn, const char *collection, const char *subject_id,
                   const uint8_t *index_key, size_t index_key_len, privacy_record_cb cb, void *ud)
{
    pg_conn *c = conn;
    int which = subject_id != NULL ? PS_SCAN_SUBJECT : index_key != NULL ? PS_SCAN_INDEX
                                                                          : PS_SCAN_ALL;
    params p = { 0 };
    p_text(&p, collection);
    if (which == PS_SCAN_SUBJECT)
        p_text(&p, subject_id);
    else if (which == PS_SCAN_INDEX)
        p_bytes(&p, index_key, index_key_len);
    int rc = usable(c);
    if (rc == PRIVACY_OK)
        rc = prepare(c, which);
    if (rc != PRIVACY_OK)
        return rc;
    if (!PQsendQueryPrepared(c->pg, ps_name[which], p.n, p.val, p.len, p.fmt, 1))
        return prv_pg_fail(c, NULL, "scanning records");
    /* Without single-row mode (it cannot fail here) the rows come in one
     * result: the loop reads them the same way. */
    (void)PQsetSingleRowMode(c->pg);
    int ret = PRIVACY_OK, failed = 0;
    PGresult *res;
    while ((res = PQgetResult(c->pg)) != NULL) {
        ExecStatusType st = PQresultStatus(res);
        if (st == PGRES_SINGLE_TUPLE || st == PGRES_TUPLES_OK) {
            for (int row = 0; ret == PRIVACY_OK && !failed && row < PQntuples(res); row++)
                ret = deliver(res, row, collection, cb, ud);
        } else if (!failed) {
            failed = 1;
            /* A callback that stopped the visit has its value returned. */
            int why = prv_pg_fail(c, res, "scanning records");
            if (ret == PRIVACY_OK)
                ret = why;
        }
        PQclear(res);
    }
    if (!failed && PQstatus(c->pg) != CONNECTION_OK)
        ret = prv_pg_fail(c, NULL, "scanning records");
    return ret;
}

static int two_text(void *conn, int which, const char *a, const char *b, const char *what,
                    uint64_t *n)
{
    params p = { 0 };
    p_text(&p, a);
    p_text(&p, b);
    return exec_counted(conn, which, &p, what, n);
}

static int pg_del(void *conn, const char *collection, const char *id, uint64_t *deleted)
{
    return two_text(conn, PS_DEL, collection, id, "deleting a record", deleted);
}

static int pg_delete_subject(void *conn, const char *collection, const char *subject_id,
                             uint64_t *deleted)
{
    return two_text(conn, PS_DEL_SUBJECT, collection, subject_id,
                    "deleting a subject's records", deleted);
}

static int pg_purge_expired(void *conn, const char *collection, int64_t now, uint64_t *purged)
{
    params p = { 0 };
    p_text(&p, collection);
    p_int64(&p, 0, now);
    return exec_counted(conn, PS_PURGE, &p, "purging expired records", purged);
}

static const char *pg_errmsg(void *conn)
{
    return ((pg_conn *)conn)->errmsg;
}

static void pg_close(void *conn)
{
    pg_conn *c = conn;
    if (c == NULL)
        return;
    /* Closing the connection rolls back what it left open. */
    PQfinish(c->pg);
    prv_pg_opts_clear(&c->opts);
    prv_free(c);
}

static int pg_open(void **conn_out, const char *uri, char *errbuf, size_t errlen)
{
    pg_conn *c = prv_calloc(1, sizeof *c);
    if (c == NULL) {
        snprintf(errbuf, errlen, "postgres: out of memory");
        return PRIVACY_E_NOMEM;
    }
    int rc = prv_pg_uri_parse(uri, &c->opts, errbuf, errlen);
    if (rc != PRIVACY_OK) {
        prv_free(c);
        return rc;
    }
    for (int i = 0; rc == PRIVACY_OK && i < PS_COUNT; i++)
        if (!prv_pg_sql(sql_tmpl[i], c->opts.schema, c->sql[i], sizeof c->sql[i])) {
            /* A schema name is at most 63 bytes: sql[] always has room. */
            snprintf(c->errmsg, sizeof c->errmsg, "postgres: internal: a statement is too long");
            rc = PRIVACY_E_INTERNAL;
        }
    if (rc == PRIVACY_OK)
        rc = prv_pg_connect(c);
    /* Unlike a reconnect in a transaction, a first connection that fails
     * is not a conflict to retry: the caller sees why. */
    if (rc == PRIVACY_E_BUSY)
        rc = PRIVACY_E_STORAGE;
    if (rc == PRIVACY_OK)
        rc = prv_pg_schema_open(c);
    if (rc != PRIVACY_OK) {
        snprintf(errbuf, errlen, "%s", c->errmsg);
        pg_close(c);
        return rc;
    }
    *conn_out = c;
    return PRIVACY_OK;
}

const privacy_backend prv_pg_backend = {
    .version = PRIVACY_BACKEND_VERSION,
    .open = pg_open,
    .close = pg_close,
    .errmsg = pg_errmsg,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .put = pg_put,
    .get = pg_get,
    .del = pg_del,
    .scan = pg_scan,
    .delete_subject = pg_delete_subject,
    .purge_expired = pg_purge_expired,
};
