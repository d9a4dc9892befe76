/* Helpers shared by the test suites: temporary directories, whole-file
 * reads, a configuration opened on a storage URI, and the test's store on
 * the backend it runs against (tu_store.c). */
#ifndef TESTUTIL_H
#define TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

#include <privacy/backend.h>
#include <privacy/privacy.h>

/* Creates a fresh temporary directory; returns its path (static buffer per
 * call site is not needed: the result is malloc'd, free it). */
char *tu_tmpdir(void);
/* Removes a directory and the files directly inside it. */
void tu_rmdir(const char *dir);
/* Joins dir and name into a malloc'd path. */
char *tu_path(const char *dir, const char *name);
/* Reads a whole file into a malloc'd buffer; NULL if missing. */
unsigned char *tu_read_file(const char *path, size_t *len);
/* 1 if the two files exist and have the same bytes. */
int tu_same_file(const char *a, const char *b);
/* Copies a file. Returns 0 on success. */
int tu_copy_file(const char *from, const char *to);
/* The fixed root key of the tests (never use a fixed key elsewhere). */
extern const uint8_t tu_root_key[PRIVACY_ROOT_KEY_BYTES];
/* A new configuration holding tu_root_key. */
int tu_config_new(privacy_config **out);
/* Opens a context on uri with tu_root_key; returns the status code. */
int tu_open(privacy_ctx **out, const char *uri);

/* 1 if needle (m bytes) occurs in hay (n bytes). */
int tu_contains(const void *hay, size_t n, const void *needle, size_t m);
/* 1 if the file exists and holds needle somewhere. */
int tu_file_contains(const char *path, const void *needle, size_t m);
/* Ends a forked child with this status without a leak check: by exec, not
 * _exit, for children that abandon what the parent owns on purpose (under
 * valgrind a child's exit is leak-checked and sets its exit code). */
void tu_child_exit(int status);
/* How many entries of dir have names starting with prefix. */
int tu_count_files(const char *dir, const char *prefix);
/* 1 if path exists. */
int tu_exists(const char *path);
/* A record callback that counts: userdata is an int. */
int tu_count_cb(void *userdata, const privacy_record *rec);

/* ---- the backend a test runs against ---- */

/* The environment chooses it: PRIVACY_TEST_BACKEND=sqlite (the default) or
 * postgres, which needs PRIVACY_TEST_PG, a libpq key/value conninfo of a
 * server the tests may create schemas on (scripts/with_postgres.sh starts
 * one). Anything else ends the process with a message: never a skip. */
int tu_backend_is_sqlite(void);

/* The test's store: a fresh temporary directory (for key files, policy
 * files, ...) and a new, empty store on the test's backend: the SQLite
 * file "<dir>/shop.db", or on PostgreSQL a schema of its own,
 * "t_<pid>_<n>_<random>", on the server of PRIVACY_TEST_PG. */
typedef struct tu_store {
    char dir[4096];
    char db[4200];     /* SQLite: the file; "" on PostgreSQL */
    char schema[64];   /* PostgreSQL: the schema; "" on SQLite */
    char uri[4300];    /* "sqlite:<db>" or "pg:<PRIVACY_TEST_PG> schema=<schema>" */
    const privacy_backend *backend; /* &prv_sqlite_backend or &prv_pg_backend */
} tu_store;
void tu_store_setup(tu_store *s);
/* Removes the store, its siblings and the directory. */
void tu_store_teardown(tu_store *s);
/* Another store beside s, on the same backend ("<dir>/<name>.db", or the
 * schema "<schema>_<name>"), for a second store or a separate keystore;
 * removed with s, so it needs no teardown of its own. */
void tu_store_sibling(const tu_store *s, const char *name, tu_store *out);
/* 1 if anything of the store exists: on SQLite any file named after it
 * (the file, its -wal, -journal, a private ".new-" file), on PostgreSQL
 * its schema. */
int tu_store_exists(const tu_store *s);
/* Removes the store: the next open creates it afresh. */
void tu_store_reset(const tu_store *s);

/* What the tests read and tamper with, on either backend. Each fails the
 * test if the store cannot be read or written. No context of the store
 * may be in a transaction meanwhile. */

/* Runs SQL on the store's tables (records, privacy_meta), in the dialect
 * both backends share; returns the number of rows it changed (on
 * PostgreSQL, by its last statement). */
int tu_sql(const tu_store *s, const char *sql);
/* How many records match an SQL condition (NULL: all of them). */
int tu_count_rows(const tu_store *s, const char *where);
/* The first column of the first row of a query as text into out (n
 * bytes); 0 if the query returned no row. */
int tu_sql_text(const tu_store *s, const char *sql, char *out, size_t n);
/* 1 if the stored bytes hold needle anywhere (the plaintext and key-bytes
 * check, R19): on SQLite the database file, its -wal and -shm files; on
 * PostgreSQL every column of every row of records and privacy_meta, read
 * through SQL. */
int tu_store_contains(const tu_store *s, const void *needle, size_t len);

/* A record's body, malloc'd; NULL if there is no such record. */
uint8_t *tu_body(const tu_store *s, const char *collection, const char *id, size_t *len);
/* Sets a record's body to len bytes; returns the rows changed (0 or 1). */
int tu_set_body(const tu_store *s, const char *collection, const char *id, const void *body,
                size_t len);
/* Changes one byte of a record's body (pos < 0 counts from its end). */
void tu_flip_body_byte(const tu_store *s, const char *collection, const char *id, long pos);
/* Replaces every occurrence of from by to in the bodies of a collection's
 * records (id NULL) or of one record; returns how many bodies changed. */
int tu_replace_in_bodies(const tu_store *s, const char *collection, const char *id,
                         const char *from, const char *to);
/* Swaps the bodies of two records of a collection. */
void tu_swap_bodies(const tu_store *s, const char *collection, const char *a, const char *b);

/* A digest of every column of the records matching an SQL condition (NULL:
 * all, and privacy_meta too), in (collection, id) order: equal digests,
 * those rows unchanged. Fails the test if no record matches. */
void tu_digest_rows(const tu_store *s, const char *where, uint8_t out[32]);
/* A digest of the whole store, to prove it untouched: on SQLite the
 * database file's bytes, on PostgreSQL tu_digest_rows(s, NULL). */
void tu_store_digest(const tu_store *s, uint8_t out[32]);
/* Saves what the store holds under a name, and puts it back later, as
 * restoring a backup would (SQLite: a copy of the file; PostgreSQL: copies
 * of the tables in the schema). Only with no context of the store open. */
void tu_store_save(const tu_store *s, const char *name);
void tu_store_restore(const tu_store *s, const char *name);

/* Runs a check suite; returns the process exit status. */
struct Suite;
int tu_run(struct Suite *suite);

#endif
