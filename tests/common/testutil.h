/* Helpers shared by the test suites: temporary directories, whole-file
 * reads, and a configuration opened on a storage URI. */
#ifndef TESTUTIL_H
#define TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

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
/* Runs SQL on an SQLite file directly (tampering, inspection); fails the
 * test if it fails. Returns the number of rows it changed. */
int tu_sql(const char *db, const char *sql);
/* How many records of an SQLite store match an SQL condition. */
int tu_count_rows(const char *db, const char *where);
/* A record callback that counts: userdata is an int. */
int tu_count_cb(void *userdata, const privacy_record *rec);

/* A fresh directory with a store path in it: "<dir>/shop.db". */
typedef struct tu_store {
    char *dir;
    char *db;
    char uri[4300]; /* "sqlite:<db>" */
} tu_store;
void tu_store_setup(tu_store *s);
void tu_store_teardown(tu_store *s);

/* Runs a check suite; returns the process exit status. */
struct Suite;
int tu_run(struct Suite *suite);

#endif
