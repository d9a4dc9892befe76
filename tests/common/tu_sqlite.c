/* tu_query on an SQLite file (tu_driver.h). */
#include <sqlite3.h>
#include <stdio.h>

#include "tu_driver.h"

enum { MAX_COLUMNS = 16 };

static int fail(sqlite3 *h, const char *sql, char *err, size_t errlen)
{
    snprintf(err, errlen, "sqlite: %s: %s", sql, sqlite3_errmsg(h));
    return -1;
}

/* Binds $1 ... $np by name: SQLite numbers named parameters in order of
 * appearance, not by the digits. */
static int bind(sqlite3_stmt *st, const tu_param *p, int np)
{
    for (int i = 0; i < np; i++) {
        char name[16];
        snprintf(name, sizeof name, "$%d", i + 1);
        int at = sqlite3_bind_parameter_index(st, name);
        if (at == 0)
            continue;
        int rc = p[i].blob ? sqlite3_bind_blob(st, at, p[i].p, (int)p[i].n, SQLITE_TRANSIENT)
                           : sqlite3_bind_text(st, at, p[i].p, (int)p[i].n, SQLITE_TRANSIENT);
        if (rc != SQLITE_OK)
            return rc;
    }
    return SQLITE_OK;
}

static void row(sqlite3_stmt *st, tu_row_fn fn, void *userdata)
{
    int ncol = sqlite3_column_count(st);
    const unsigned char *v[MAX_COLUMNS];
    size_t n[MAX_COLUMNS];
    if (ncol > MAX_COLUMNS)
        ncol = MAX_COLUMNS;
    for (int c = 0; c < ncol; c++) {
        switch (sqlite3_column_type(st, c)) {
        case SQLITE_NULL:
            v[c] = NULL;
            break;
        case SQLITE_BLOB:
            v[c] = sqlite3_column_blob(st, c);
            if (v[c] == NULL) /* an empty blob, not SQL NULL */
                v[c] = (const unsigned char *)"";
            break;
        default: /* numbers as their text */
            v[c] = sqlite3_column_text(st, c);
            break;
        }
        n[c] = v[c] != NULL ? (size_t)sqlite3_column_bytes(st, c) : 0;
    }
    fn(userdata, ncol, v, n);
}

long tu_sqlite_query(const char *db, const char *sql, const tu_param *p, int np, tu_row_fn fn,
                     void *userdata, char *err, size_t errlen)
{
    sqlite3 *h;
    if (sqlite3_open(db, &h) != SQLITE_OK) {
        fail(h, sql, err, errlen);
        sqlite3_close(h);
        return -1;
    }
    sqlite3_busy_timeout(h, 10000);
    long rc = 0;
    const char *next = sql;
    while (rc == 0 && next != NULL && *next != '\0') {
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(h, next, -1, &st, &next) != SQLITE_OK) {
            rc = fail(h, sql, err, errlen);
            break;
        }
        if (st == NULL) /* only blanks or a comment left */
            break;
        int step = bind(st, p, np);
        while (step == SQLITE_OK || step == SQLITE_ROW) {
            step = sqlite3_step(st);
            if (step == SQLITE_ROW && fn != NULL)
                row(st, fn, userdata);
        }
        if (step != SQLITE_DONE)
            rc = fail(h, sql, err, errlen);
        sqlite3_finalize(st);
    }
    if (rc == 0)
        rc = sqlite3_total_changes(h);
    if (sqlite3_close(h) != SQLITE_OK && rc >= 0)
        rc = fail(h, sql, err, errlen);
    return rc;
}
