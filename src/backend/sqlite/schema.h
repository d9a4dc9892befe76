#ifndef PRV_BACKEND_SQLITE_SCHEMA_H
#define PRV_BACKEND_SQLITE_SCHEMA_H

#include <sqlite3.h>
#include <stddef.h>

#include "sqlite_backend.h"

/* Checks that db is a libprivacy database this library can use (or an empty
 * one), sets the connection's pragmas and migrates the schema forward.
 * A foreign or newer database is refused before anything is written. */
int prv_sqlite_schema_open(sqlite3 *db, const prv_sqlite_opts *opts, char *errbuf,
                           size_t errbuf_len);

/* Creates a new, migrated, empty store at opts->path, atomically (see
 * create.c). Succeeds too when another process created it meanwhile. */
int prv_sqlite_create(const prv_sqlite_opts *opts, char *errbuf, size_t errbuf_len);

#endif
