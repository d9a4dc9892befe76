/*
 * The backend conformance suite's shared machinery, for its files only
 * (conformance.c, conf_util.c and the conf_<test case>.c files): the
 * backend under test, the fixture that releases what a test holds, the
 * collections a test writes, record builders, and calls and comparisons
 * that fail the test with a message naming what went wrong.
 *
 * Include this header first: it selects POSIX before any system header.
 *
 * The suite is compiled into a user's own program beside their backend, so
 * every name shared between its files starts with conf_ (CONF_ for
 * constants): no clash with a backend's names, and none with the
 * library's privacy_ names.
 *
 * Why hold(): with CK_FORK=no the tests run in the runner's process and a
 * failed assertion leaves a test early (a longjmp), so every connection
 * and buffer a test takes through conf_util.c is registered there (hold())
 * and released by the fixture's teardown; then the store is emptied of
 * what the test wrote.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef CONF_INTERNAL_H
#define CONF_INTERNAL_H

#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* nanosleep, getpid, clock_gettime */
#endif

#include <check.h>
#include <stddef.h>
#include <stdint.h>

#include "conformance.h"

/* ---- the backend under test, set by conformance_run() ---- */

extern const privacy_backend *conf_be;
extern const char *conf_uri;
extern char conf_run_id[17]; /* 16 hex digits, new for every conformance_run() */

/* "conf_" + 16 hex + "_" leaves this much of a collection name for a test. */
enum {
    CONF_COLL_BUF = PRIVACY_COLLECTION_MAX + 1,
    CONF_TEST_NAME_MAX = PRIVACY_COLLECTION_MAX - 22
};

/* An example "now": 2023-11-14T22:13:20Z in microseconds. */
#define CONF_NOW INT64_C(1700000000000000)
/* 9999-12-31T23:59:59.999999Z: far future, still a valid timestamp anywhere. */
#define CONF_FAR INT64_C(253402300799999999)

#define CONF_COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* The name of a status code, so the suite needs no libprivacy symbol. */
const char *conf_code_name(int rc);
/* conn's errmsg(), or a note that it returned NULL. */
const char *conf_errmsg_of(void *conn);

/* ---- the fixture ---- */

/* The checked fixture of every test case. */
void conf_setup(void);
void conf_teardown(void);

/* Releases now what a conf_ function took for the test (a buffer, a
 * connection, a record list), instead of at teardown. */
void conf_drop(void *p);

/* malloc(n), held; fails the test when out of memory. */
void *conf_xmalloc(size_t n);

/* The collection "conf_<run>_<name>" into buf[CONF_COLL_BUF]; teardown
 * deletes its records. name has at most CONF_TEST_NAME_MAX bytes. */
const char *conf_coll_name(char *buf, const char *name);

/* A new held connection to conf_uri (the test fails if open fails), and
 * its close. */
void *conf_conn_open(void);
void conf_conn_close(void *conn);

/* ---- records the backend hands back, copied ---- */

typedef struct conf_rec {
    char *collection;
    char *id;
    char *subject_id;
    uint8_t *index_key;
    size_t index_key_len;
    int64_t created;
    int64_t expires;
    uint8_t *body;
    size_t body_len;
} conf_rec;

typedef struct conf_reclist {
    conf_rec *v;
    size_t n, cap;
    size_t calls;
    size_t stop_at; /* if not 0: the call that returns stop_value */
    int stop_value;
    char problem[200]; /* the first broken promise seen in a callback */
} conf_reclist;

/* An empty held list, and its early release. */
conf_reclist *conf_reclist_new(void);
void conf_reclist_free(conf_reclist *l);

/* The record callback, userdata a conf_reclist: checks the record's form
 * and copies it. It never fails an assertion itself (that would jump out
 * through the backend). */
int conf_collect(void *userdata, const privacy_record *r);

/* The callback saw no broken promise and copied every record. */
void conf_assert_no_problem(const conf_reclist *l, const char *call);

/* ---- records to put ---- */

/* A record; body_len is strlen(body), 0 for a NULL body. */
privacy_record conf_mk(const char *coll, const char *id, const char *subject,
                       const uint8_t *key, size_t key_len, int64_t created, int64_t expires,
                       const char *body);

/* A recognisable body: each 4-byte word holds its own offset (little
 * endian) xor seed, so a shifted, truncated or mixed-up body is told apart. */
void conf_fill_pattern(uint8_t *p, size_t n, uint32_t seed);

/* ---- calls that must succeed (the counts are what the backend set) ---- */

void conf_put(void *conn, const privacy_record *r);
void conf_put_all(void *conn, const privacy_record *v, size_t n);
void conf_begin(void *conn);
void conf_commit(void *conn);
void conf_rollback(void *conn);
uint64_t conf_del(void *conn, const char *coll, const char *id);
uint64_t conf_delete_subject(void *conn, const char *coll, const char *subject);
uint64_t conf_purge(void *conn, const char *coll, int64_t now);

/* A scan's records, held. */
conf_reclist *conf_scan(void *conn, const char *coll, const char *subject, const uint8_t *key,
                        size_t key_len);

/* ---- comparisons ---- */

/* get() returns PRIVACY_E_NOT_FOUND without calling back. */
void conf_expect_missing(void *conn, const char *coll, const char *id);

/* Record i of what a call (what) handed back equals w, field by field. */
void conf_expect_rec(const conf_rec *g, const privacy_record *w, const char *what, size_t i);

/* got holds exactly want[0..n), in that order. */
void conf_expect_records(const conf_reclist *got, const privacy_record *want, size_t n,
                         const char *what);

/* The scan visits exactly want[0..n), in that order. */
void conf_expect_scan(void *conn, const char *coll, const char *subject, const uint8_t *key,
                      size_t key_len, const privacy_record *want, size_t n, const char *what);

/* get() hands back exactly *want. */
void conf_expect_get(void *conn, const privacy_record *want);

/* The expected scan result into out: the records of v[0..n) that pass keep
 * (all when keep is NULL), in the contract's (created, id) order. */
size_t conf_expected(privacy_record *out, const privacy_record *v, size_t n,
                     int (*keep)(const privacy_record *, const void *), const void *arg);

/* ---- the test cases, one file each; the runner makes the TCases ---- */

void conf_add_connection_tests(TCase *tc);  /* conf_connection.c */
void conf_add_record_tests(TCase *tc);      /* conf_record.c */
void conf_add_scan_tests(TCase *tc);        /* conf_scan.c */
void conf_add_transaction_tests(TCase *tc); /* conf_transaction.c */
void conf_add_delete_tests(TCase *tc);      /* conf_delete.c */
void conf_add_limits_tests(TCase *tc);      /* conf_limits.c */
void conf_add_concurrency_tests(TCase *tc); /* conf_concurrency.c */

#endif /* CONF_INTERNAL_H */
