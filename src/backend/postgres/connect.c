/* Connecting to PostgreSQL, and telling retryable failures from others. */
#include <stdio.h>
#include <string.h>

#include "pg_internal.h"

/* Copies a libpq message into c->errmsg after a prefix, on one line. */
static void set_msg(pg_conn *c, const char *prefix, const char *msg)
{
    int n = snprintf(c->errmsg, sizeof c->errmsg, "postgres: %s: ", prefix);
    if (n < 0 || (size_t)n >= sizeof c->errmsg)
        return;
    size_t j = (size_t)n;
    for (; msg != NULL && *msg != '\0' && j + 1 < sizeof c->errmsg; msg++)
        c->errmsg[j++] = *msg == '\n' || *msg == '\t' ? ' ' : *msg;
    while (j > (size_t)n && c->errmsg[j - 1] == ' ')
        j--;
    c->errmsg[j] = '\0';
}

/* SQLSTATEs after which the same transaction may succeed when re-run. */
static int retryable(const char *state, int *conn_gone)
{
    static const char *const again[] = {
        "40001", /* serialization_failure */
        "40P01", /* deadlock_detected */
        "55P03", /* lock_not_available */
        "57014", /* query_canceled: statement_timeout, e.g. waiting on a lock */
        "53300", /* too_many_connections */
    };
    static const char *const gone[] = {
        "57P01", /* admin_shutdown */
        "57P02", /* crash_shutdown */
        "57P03", /* cannot_connect_now: starting up, or in recovery */
        "25006", /* read_only_sql_transaction: a standby (after a failover) */
        "57P05", /* idle_session_timeout */
        "25P03", /* idle_in_transaction_session_timeout */
    };
    *conn_gone = 0;
    if (state == NULL)
        return 0;
    if (strncmp(state, "08", 2) == 0) { /* connection_exception */
        *conn_gone = 1;
        return 1;
    }
    for (size_t i = 0; i < sizeof gone / sizeof gone[0]; i++)
        if (strcmp(state, gone[i]) == 0) {
            *conn_gone = 1;
            return 1;
        }
    for (size_t i = 0; i < sizeof again / sizeof again[0]; i++)
        if (strcmp(state, again[i]) == 0)
            return 1;
    return 0;
}

int prv_pg_sql(const char *tmpl, const char *schema, char *out, size_t n)
{
    size_t j = 0, sl = strlen(schema);
    for (const char *p = tmpl; *p != '\0'; p++) {
        if (p[0] == '@' && p[1] == 'S') {
            if (j + sl + 3 >= n)
                return 0;
            out[j++] = '"';
            memcpy(out + j, schema, sl);
            j += sl;
            out[j++] = '"';
            p++;
        } else {
            if (j + 1 >= n)
                return 0;
            out[j++] = *p;
        }
    }
    out[j] = '\0';
    return 1;
}

int prv_pg_lost(const pg_conn *c, const PGresult *res)
{
    if (c->pg == NULL || PQstatus(c->pg) != CONNECTION_OK || res == NULL)
        return 1;
    ExecStatusType st = PQresultStatus(res);
    /* Errors the server sends carry an SQLSTATE; libpq's own do not
     * ("server closed the connection unexpectedly"), and libpq 15 may still
     * call the connection OK until its next use. */
    return (st == PGRES_FATAL_ERROR || st == PGRES_BAD_RESPONSE) &&
           PQresultErrorField(res, PG_DIAG_SQLSTATE) == NULL;
}

int prv_pg_fail(pg_conn *c, const PGresult *res, const char *what)
{
    /* The connection's state first: a dead server can hide behind a
     * result that carries no SQLSTATE, or a later one. */
    if (prv_pg_lost(c, res)) {
        c->broken = 1;
        char prefix[120];
        snprintf(prefix, sizeof prefix, "connection lost %s", what);
        set_msg(c, prefix, c->pg != NULL ? PQerrorMessage(c->pg) : "");
        return PRIVACY_E_BUSY;
    }
    const char *state = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *primary = res != NULL ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    if (primary == NULL)
        primary = PQerrorMessage(c->pg);
    int gone;
    int again = retryable(state, &gone);
    if (gone)
        c->broken = 1;
    char prefix[120];
    snprintf(prefix, sizeof prefix, "%s: SQLSTATE %s", what, state != NULL ? state : "none");
    set_msg(c, prefix, primary);
    return again ? PRIVACY_E_BUSY : PRIVACY_E_STORAGE;
}

int prv_pg_result(pg_conn *c, PGresult *res, const char *what, PGresult **out)
{
    ExecStatusType st = PQresultStatus(res);
    if (prv_pg_lost(c, res) || (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)) {
        int rc = prv_pg_fail(c, res, what);
        PQclear(res);
        return rc;
    }
    if (out != NULL)
        *out = res;
    else
        PQclear(res);
    return PRIVACY_OK;
}

/* Warnings during COMMIT mean it is not what it seems: the wait for a
 * synchronous standby was cancelled, so the change is committed on this
 * server only. Other notices are dropped: never printed, never logged. */
static void on_notice(void *arg, const PGresult *res)
{
    pg_conn *c = arg;
    const char *sev = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
    if (c->in_commit && sev != NULL && strcmp(sev, "WARNING") == 0 &&
        c->warn_state[0] == '\0') {
        const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
        snprintf(c->warn_state, sizeof c->warn_state, "%s", state != NULL ? state : "01000");
    }
}

/* libpq's "options" with ours appended (the environment's PGOPTIONS
 * counts as given). */
static int startup_options(const pg_conn *c, char *out, size_t n)
{
    char *err = NULL;
    PQconninfoOption *given = PQconninfoParse(c->opts.conninfo, &err);
    PQfreemem(err);
    PQconninfoOption *defaults = PQconndefaults();
    const char *user = NULL;
    for (PQconninfoOption *o = given; o != NULL && o->keyword != NULL; o++)
        if (strcmp(o->keyword, "options") == 0 && o->val != NULL)
            user = o->val;
    for (PQconninfoOption *o = defaults; user == NULL && o != NULL && o->keyword != NULL; o++)
        if (strcmp(o->keyword, "options") == 0 && o->val != NULL)
            user = o->val;
    int w = snprintf(out, n, "%s%s-c statement_timeout=%d", user != NULL ? user : "",
                     user != NULL && user[0] != '\0' ? " " : "", c->opts.statement_timeout_ms);
    PQconninfoFree(given);
    PQconninfoFree(defaults);
    return w > 0 && (size_t)w < n;
}

int prv_pg_connect(pg_conn *c)
{
    if (c->pg != NULL) {
        PQfinish(c->pg);
        c->pg = NULL;
    }
    c->prepared = 0;
    c->in_tx = 0;
    c->broken = 1;
    char options[1024];
    if (!startup_options(c, options, sizeof options)) {
        snprintf(c->errmsg, sizeof c->errmsg, "postgres: the conninfo's options are too long");
        return PRIVACY_E_INVALID;
    }
    /* Later keywords win: our defaults come before the user's conninfo
     * (expanded from "dbname"), the options we add after it. */
    const char *kw[] = { "connect_timeout", "keepalives_idle", "keepalives_interval",
                         "keepalives_count", "fallback_application_name", "dbname",
                         "options", NULL };
    const char *val[] = { "10", "10", "5", "3", "libprivacy", c->opts.conninfo, options, NULL };
    c->pg = PQconnectdbParams(kw, val, 1);
    if (c->pg == NULL) {
        snprintf(c->errmsg, sizeof c->errmsg, "postgres: out of memory connecting");
        return PRIVACY_E_NOMEM;
    }
    if (PQstatus(c->pg) != CONNECTION_OK) {
        set_msg(c, "cannot connect", PQerrorMessage(c->pg));
        return PRIVACY_E_BUSY;
    }
    PQsetNoticeReceiver(c->pg, on_notice, c);
    c->broken = 0;
    return PRIVACY_OK;
}
