/* Inside the test helpers: running SQL on a store's own engine, directly
 * (not through the backend under test). tu_sqlite.c and tu_pg.c each
 * implement tu_query; tu_store.c builds the helpers of testutil.h on it. */
#ifndef TU_DRIVER_H
#define TU_DRIVER_H

#include <stddef.h>

/* A statement parameter, $1, $2, ... in the SQL: text or bytes. */
typedef struct tu_param {
    const void *p;
    size_t n;
    int blob;
} tu_param;

/* Called for each row: v[i] is column i (NULL for SQL NULL), n[i] bytes;
 * bytes columns raw, numbers as decimal text. */
typedef void (*tu_row_fn)(void *userdata, int ncol, const unsigned char *const *v,
                          const size_t *n);

/* Runs sql on the SQLite file db (several statements, separated by ';',
 * when np is 0). Returns the rows changed, or -1 with a message in err. */
long tu_sqlite_query(const char *db, const char *sql, const tu_param *p, int np, tu_row_fn fn,
                     void *userdata, char *err, size_t errlen);
/* The same on the server of PRIVACY_TEST_PG with schema (which need not
 * exist) as the search path; rows changed by the last statement. */
long tu_pg_query(const char *schema, const char *sql, const tu_param *p, int np, tu_row_fn fn,
                 void *userdata, char *err, size_t errlen);
/* PRIVACY_TEST_PG. */
const char *tu_pg_conninfo(void);

#endif
