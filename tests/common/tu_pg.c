/* tu_query on the PostgreSQL server of PRIVACY_TEST_PG (tu_driver.h): a
 * connection per call, so the helpers hold no lock between calls. */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tu_driver.h"

enum { MAX_COLUMNS = 16, MAX_PARAMS = 8, BYTEA_OID = 17 };

const char *tu_pg_conninfo(void)
{
    const char *c = getenv("PRIVACY_TEST_PG");
    return c != NULL ? c : "";
}

static void quiet(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

static long fail(PGconn *c, const char *sql, char *err, size_t errlen)
{
    snprintf(err, errlen, "postgres: %s: %s", sql, PQerrorMessage(c));
    return -1;
}

/* Hands each row to fn; bytea columns decoded from libpq's text form. */
static int rows(const PGresult *r, tu_row_fn fn, void *userdata)
{
    int ncol = PQnfields(r);
    if (ncol > MAX_COLUMNS)
        ncol = MAX_COLUMNS;
    for (int i = 0; i < PQntuples(r); i++) {
        const unsigned char *v[MAX_COLUMNS];
        unsigned char *decoded[MAX_COLUMNS] = { NULL };
        size_t n[MAX_COLUMNS];
        int ok = 1;
        for (int c = 0; c < ncol; c++) {
            v[c] = NULL;
            n[c] = 0;
            if (PQgetisnull(r, i, c))
                continue;
            if (PQftype(r, c) == BYTEA_OID) {
                decoded[c] = PQunescapeBytea((const unsigned char *)PQgetvalue(r, i, c), &n[c]);
                ok &= decoded[c] != NULL;
                v[c] = decoded[c];
            } else {
                v[c] = (const unsigned char *)PQgetvalue(r, i, c);
                n[c] = (size_t)PQgetlength(r, i, c);
            }
        }
        if (ok)
            fn(userdata, ncol, v, n);
        for (int c = 0; c < ncol; c++)
            PQfreemem(decoded[c]);
        if (!ok)
            return -1;
    }
    return 0;
}

long tu_pg_query(const char *schema, const char *sql, const tu_param *p, int np, tu_row_fn fn,
                 void *userdata, char *err, size_t errlen)
{
    if (np > MAX_PARAMS) {
        snprintf(err, errlen, "postgres: %s: more than %d parameters", sql, MAX_PARAMS);
        return -1;
    }
    PGconn *c = PQconnectdb(tu_pg_conninfo());
    if (PQstatus(c) != CONNECTION_OK) {
        long rc = fail(c, "connect", err, errlen);
        PQfinish(c);
        return rc;
    }
    PQsetNoticeProcessor(c, quiet, NULL);
    /* A lock some context still holds fails the call instead of hanging. */
    char setup[160];
    snprintf(setup, sizeof setup, "SET lock_timeout = '20s'; SET search_path TO \"%s\"", schema);
    PGresult *r = PQexec(c, setup);
    long rc = PQresultStatus(r) == PGRES_COMMAND_OK ? 0 : fail(c, setup, err, errlen);
    PQclear(r);
    if (rc == 0) {
        const char *values[MAX_PARAMS];
        int lengths[MAX_PARAMS], formats[MAX_PARAMS];
        for (int i = 0; i < np; i++) {
            values[i] = p[i].p;
            lengths[i] = (int)p[i].n;
            formats[i] = p[i].blob; /* bytes in binary; text as text, NUL-terminated */
        }
        r = np == 0 ? PQexec(c, sql)
                    : PQexecParams(c, sql, np, NULL, values, lengths, formats, 0);
        ExecStatusType status = PQresultStatus(r);
        if (status == PGRES_TUPLES_OK && fn != NULL && rows(r, fn, userdata) != 0)
            rc = fail(c, sql, err, errlen);
        else if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK)
            rc = fail(c, sql, err, errlen);
        else
            rc = atol(PQcmdTuples(r));
        PQclear(r);
    }
    PQfinish(c);
    return rc;
}
