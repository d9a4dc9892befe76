/* The embedded SQLite backend, the default store. */
#ifndef PRV_BACKEND_SQLITE_H
#define PRV_BACKEND_SQLITE_H

#include <stddef.h>
#include <stdint.h>

#include "privacy/backend.h"

/* The vtable the "sqlite:" storage scheme selects. */
extern const privacy_backend prv_sqlite_backend;

/* The options a "sqlite:" URI carries. */
typedef struct prv_sqlite_opts {
    char *path;           /* decoded path, or ":memory:"; release with prv_free */
    int memory;           /* 1 for sqlite::memory: */
    int busy_timeout_ms;  /* default 5000 */
    int synchronous_full; /* 1: FULL (default), 0: NORMAL */
    int64_t retry_budget_us; /* the store's re-run budget; -1 if not given */
} prv_sqlite_opts;

/* Parses a "sqlite:" URI. On failure writes a message into errbuf and
 * returns PRIVACY_E_INVALID or PRIVACY_E_NOMEM. */
int prv_sqlite_uri_parse(const char *uri, prv_sqlite_opts *out, char *errbuf, size_t errbuf_len);
void prv_sqlite_opts_clear(prv_sqlite_opts *opts);

/* The application_id libprivacy writes into the SQLite header ("PRVY"),
 * and the schema version this library creates and migrates to. */
enum { PRV_SQLITE_APP_ID = 0x50525659, PRV_SQLITE_SCHEMA_VERSION = 1 };

#endif
