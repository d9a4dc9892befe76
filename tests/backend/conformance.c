/*
 * The backend conformance suite: every promise of the contract written at
 * the top of include/privacy/backend.h, as one check test each.
 *
 * Only <privacy/backend.h>, libc, pthread and check are used, and the vtable
 * members are called directly, so a backend outside this tree compiles and
 * runs the same file (docs/backend.md). Every test works in collections of
 * its own, "conf_<run>_<test>" with a random <run> per conformance_run(), so
 * the store may be shared and non-empty; nothing else is read or written,
 * and each test's teardown deletes the records it wrote (best effort).
 *
 * The tests run in the runner's process when CK_FORK=no: a failed assertion
 * then leaves the test early, so every connection and buffer a test takes is
 * registered with hold() and released by the fixture's teardown.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* nanosleep, getpid */
#endif

#include "conformance.h"

#include <check.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- the backend under test ---- */

static const privacy_backend *g_be;
static const char *g_uri;
static char g_run[17]; /* 16 hex digits, new for every conformance_run() */

/* "conf_" + 16 hex + "_" leaves this much of a collection name for a test. */
enum { COLL_BUF = PRIVACY_COLLECTION_MAX + 1, TEST_NAME_MAX = PRIVACY_COLLECTION_MAX - 22 };

/* An example "now": 2023-11-14T22:13:20Z in microseconds. */
static const int64_t NOW = INT64_C(1700000000000000);
/* 9999-12-31T23:59:59.999999Z: far future, still a valid timestamp anywhere. */
static const int64_t FAR = INT64_C(253402300799999999);

/* The names of the status codes, so the suite needs no libprivacy symbol. */
static const char *code_name(int rc)
{
    static const char *const names[] = {
        "PRIVACY_OK",           "PRIVACY_E_INVALID",   "PRIVACY_E_NOMEM",
        "PRIVACY_E_NOT_FOUND",  "PRIVACY_E_EXISTS",    "PRIVACY_E_DENIED",
        "PRIVACY_E_NO_CONSENT", "PRIVACY_E_CRYPTO",    "PRIVACY_E_INTEGRITY",
        "PRIVACY_E_EXPIRED",    "PRIVACY_E_REVOKED",   "PRIVACY_E_STORAGE",
        "PRIVACY_E_BUSY",       "PRIVACY_E_VERSION",   "PRIVACY_E_POLICY",
        "PRIVACY_E_CARD_DATA",  "PRIVACY_E_UNVERIFIED", "PRIVACY_E_MISUSE",
        "PRIVACY_E_INTERNAL",
    };
    _Static_assert(sizeof names / sizeof names[0] == 1 - PRIVACY_E_INTERNAL,
                   "one name per status code");
    if (rc <= PRIVACY_OK && rc >= PRIVACY_E_INTERNAL)
        return names[-rc];
    return "not a status code";
}

static const char *errmsg_of(void *conn)
{
    const char *m = g_be->errmsg(conn);
    return m != NULL ? m : "(errmsg returned NULL)";
}

static void make_run_id(void)
{
    uint64_t r = 0;
    FILE *f = fopen("/dev/urandom", "rb");
    if (f != NULL) {
        if (fread(&r, sizeof r, 1, f) != 1)
            r = 0;
        fclose(f);
    }
    if (r == 0) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        r = ((uint64_t)ts.tv_sec * UINT64_C(1000000007)) ^ (uint64_t)ts.tv_nsec ^
            ((uint64_t)getpid() << 40) ^ (uint64_t)(uintptr_t)&r;
    }
    snprintf(g_run, sizeof g_run, "%016" PRIx64, r);
}

/* The collections the running test writes, emptied by its teardown. */
enum { MAX_COLLS = 8 };
static char g_colls[MAX_COLLS][COLL_BUF];
static size_t g_ncolls;

/* The collection "conf_<run>_<name>" into buf[COLL_BUF]. */
static const char *coll_name(char *buf, const char *name)
{
    ck_assert_msg(strlen(name) <= TEST_NAME_MAX, "suite bug: collection name '%s' too long", name);
    ck_assert_msg(g_ncolls < MAX_COLLS, "suite bug: more than %d collections in a test", MAX_COLLS);
    snprintf(buf, COLL_BUF, "conf_%s_%s", g_run, name);
    memcpy(g_colls[g_ncolls++], buf, COLL_BUF);
    return buf;
}

/* ---- resources a test holds, released by teardown after a failure ---- */

enum { MAX_HELD = 64 };

typedef struct held {
    void (*release)(void *);
    void *p;
} held;

static held g_held[MAX_HELD];
static size_t g_nheld;

static void hold(void (*release)(void *), void *p)
{
    if (g_nheld == MAX_HELD) {
        release(p);
        ck_abort_msg("suite bug: more than %d resources held at once", MAX_HELD);
    }
    g_held[g_nheld].release = release;
    g_held[g_nheld].p = p;
    g_nheld++;
}

/* Releases p now. */
static void drop(void *p)
{
    for (size_t i = g_nheld; i-- > 0;) {
        if (g_held[i].p != p)
            continue;
        held h = g_held[i];
        memmove(&g_held[i], &g_held[i + 1], (g_nheld - i - 1) * sizeof g_held[0]);
        g_nheld--;
        h.release(h.p);
        return;
    }
    ck_abort_msg("suite bug: releasing a resource that is not held");
}

static void setup(void)
{
    g_nheld = 0;
    g_ncolls = 0;
}

typedef struct id_list {
    char **v;
    size_t n, cap;
} id_list;

static int collect_id(void *userdata, const privacy_record *r)
{
    id_list *l = userdata;
    if (r == NULL || r->id == NULL)
        return 0;
    if (l->n == l->cap) {
        size_t cap = l->cap != 0 ? l->cap * 2 : 64;
        char **v = realloc(l->v, cap * sizeof *v);
        if (v == NULL)
            return 1; /* delete what was collected */
        l->v = v;
        l->cap = cap;
    }
    size_t len = strlen(r->id) + 1;
    char *id = malloc(len);
    if (id == NULL)
        return 1;
    l->v[l->n++] = memcpy(id, r->id, len);
    return 0;
}

/* Deletes what the test wrote, so that runs against a shared store leave
 * nothing behind. Best effort: no assertion, failures are ignored. */
static void empty_collections(void)
{
    if (g_ncolls == 0)
        return;
    char errbuf[256];
    void *conn = NULL;
    if (g_be->open(&conn, g_uri, errbuf, sizeof errbuf) != PRIVACY_OK)
        return;
    for (size_t i = 0; i < g_ncolls; i++) {
        id_list l = { NULL, 0, 0 };
        (void)g_be->scan(conn, g_colls[i], NULL, NULL, 0, collect_id, &l);
        int in_tx = l.n > 1 && g_be->begin(conn) == PRIVACY_OK;
        for (size_t k = 0; k < l.n; k++) {
            (void)g_be->del(conn, g_colls[i], l.v[k], NULL);
            free(l.v[k]);
        }
        free(l.v);
        if (in_tx && g_be->commit(conn) != PRIVACY_OK)
            (void)g_be->rollback(conn);
    }
    g_be->close(conn);
    g_ncolls = 0;
}

static void teardown(void)
{
    /* Connections first: closing one rolls back its open transaction. */
    while (g_nheld > 0) {
        held h = g_held[--g_nheld];
        h.release(h.p);
    }
    empty_collections();
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n != 0 ? n : 1);
    ck_assert_msg(p != NULL, "suite: out of memory (%zu bytes)", n);
    hold(free, p);
    return p;
}

/* ---- connections ---- */

static void close_conn(void *conn)
{
    g_be->close(conn);
}

static void *conn_open(void)
{
    char errbuf[512];
    memset(errbuf, 0, sizeof errbuf);
    void *conn = NULL;
    int rc = g_be->open(&conn, g_uri, errbuf, sizeof errbuf);
    errbuf[sizeof errbuf - 1] = '\0';
    ck_assert_msg(rc == PRIVACY_OK, "open: %d %s: %s", rc, code_name(rc), errbuf);
    ck_assert_msg(conn != NULL, "open returned PRIVACY_OK but no connection");
    hold(close_conn, conn);
    return conn;
}

static void conn_close(void *conn)
{
    drop(conn);
}

/* ---- records the backend hands back, copied ---- */

typedef struct rec {
    char *collection;
    char *id;
    char *subject_id;
    uint8_t *index_key;
    size_t index_key_len;
    int64_t created;
    int64_t expires;
    uint8_t *body;
    size_t body_len;
} rec;

typedef struct reclist {
    rec *v;
    size_t n, cap;
    size_t calls;
    size_t stop_at;   /* if not 0: the call that returns stop_value */
    int stop_value;
    char problem[200]; /* the first broken promise seen in a callback */
} reclist;

static void rec_clear(rec *r)
{
    free(r->collection);
    free(r->id);
    free(r->subject_id);
    free(r->index_key);
    free(r->body);
}

static void reclist_release(void *p)
{
    reclist *l = p;
    for (size_t i = 0; i < l->n; i++)
        rec_clear(&l->v[i]);
    free(l->v);
    free(l);
}

static reclist *reclist_new(void)
{
    reclist *l = calloc(1, sizeof *l);
    ck_assert_msg(l != NULL, "suite: out of memory");
    hold(reclist_release, l);
    return l;
}

static void reclist_free(reclist *l)
{
    drop(l);
}

static void *dup_bytes(const void *p, size_t n, int nul)
{
    uint8_t *d = malloc(n + (size_t)nul + 1);
    if (d == NULL)
        return NULL;
    if (n != 0)
        memcpy(d, p, n);
    if (nul)
        d[n] = '\0';
    return d;
}

static void problem(reclist *l, const char *what)
{
    if (l->problem[0] == '\0')
        snprintf(l->problem, sizeof l->problem, "record %zu: %s", l->calls, what);
}

/* The record callback: checks the record's form and copies it. It never
 * fails an assertion itself (that would jump out through the backend). */
static int collect(void *userdata, const privacy_record *r)
{
    reclist *l = userdata;
    l->calls++;
    if (r == NULL) {
        problem(l, "the callback got a NULL record");
        return 0;
    }
    if (r->collection == NULL || r->id == NULL)
        problem(l, "collection or id is NULL");
    else if ((r->index_key == NULL) != (r->index_key_len == 0))
        problem(l, "index_key must be NULL exactly when index_key_len is 0");
    else if (r->body == NULL && r->body_len != 0)
        problem(l, "body is NULL but body_len is not 0");
    else if (l->n == l->cap && l->cap > SIZE_MAX / 2 / sizeof *l->v)
        problem(l, "too many records");
    else {
        if (l->n == l->cap) {
            size_t cap = l->cap != 0 ? l->cap * 2 : 16;
            rec *v = realloc(l->v, cap * sizeof *v);
            if (v == NULL) {
                problem(l, "suite: out of memory");
                goto out;
            }
            l->v = v;
            l->cap = cap;
        }
        rec *c = &l->v[l->n];
        memset(c, 0, sizeof *c);
        c->collection = dup_bytes(r->collection, strlen(r->collection), 1);
        c->id = dup_bytes(r->id, strlen(r->id), 1);
        c->subject_id = r->subject_id != NULL ? dup_bytes(r->subject_id, strlen(r->subject_id), 1)
                                              : NULL;
        c->index_key = r->index_key != NULL ? dup_bytes(r->index_key, r->index_key_len, 0) : NULL;
        c->index_key_len = r->index_key_len;
        c->created = r->created;
        c->expires = r->expires;
        c->body = dup_bytes(r->body, r->body_len, 0);
        c->body_len = r->body_len;
        if (c->collection == NULL || c->id == NULL || c->body == NULL ||
            (r->subject_id != NULL && c->subject_id == NULL) ||
            (r->index_key != NULL && c->index_key == NULL)) {
            rec_clear(c);
            problem(l, "suite: out of memory");
            goto out;
        }
        l->n++;
    }
out:
    if (l->stop_at != 0 && l->calls == l->stop_at)
        return l->stop_value;
    return 0;
}

/* ---- calls that must succeed ---- */

static privacy_record mk(const char *coll, const char *id, const char *subject,
                         const uint8_t *key, size_t key_len, int64_t created, int64_t expires,
                         const char *body)
{
    privacy_record r = {
        .collection = coll,
        .id = id,
        .subject_id = subject,
        .index_key = key,
        .index_key_len = key_len,
        .created = created,
        .expires = expires,
        .body = (const uint8_t *)body,
        .body_len = body != NULL ? strlen(body) : 0,
    };
    return r;
}

static void be_put(void *conn, const privacy_record *r)
{
    int rc = g_be->put(conn, r);
    ck_assert_msg(rc == PRIVACY_OK, "put(%s, %.40s): %d %s: %s", r->collection, r->id, rc,
                  code_name(rc), errmsg_of(conn));
}

static void be_put_all(void *conn, const privacy_record *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        be_put(conn, &v[i]);
}

static void be_begin(void *conn)
{
    int rc = g_be->begin(conn);
    ck_assert_msg(rc == PRIVACY_OK, "begin: %d %s: %s", rc, code_name(rc), errmsg_of(conn));
}

static void be_commit(void *conn)
{
    int rc = g_be->commit(conn);
    ck_assert_msg(rc == PRIVACY_OK, "commit: %d %s: %s", rc, code_name(rc), errmsg_of(conn));
}

static void be_rollback(void *conn)
{
    int rc = g_be->rollback(conn);
    ck_assert_msg(rc == PRIVACY_OK, "rollback: %d %s: %s", rc, code_name(rc), errmsg_of(conn));
}

/* A count the backend must overwrite. */
static const uint64_t UNSET = UINT64_C(0xdeadbeefdeadbeef);

static uint64_t be_del(void *conn, const char *coll, const char *id)
{
    uint64_t n = UNSET;
    int rc = g_be->del(conn, coll, id, &n);
    ck_assert_msg(rc == PRIVACY_OK, "del(%s, %.40s): %d %s: %s", coll, id, rc, code_name(rc),
                  errmsg_of(conn));
    ck_assert_msg(n != UNSET, "del(%s, %.40s) did not set *deleted", coll, id);
    return n;
}

static uint64_t be_delete_subject(void *conn, const char *coll, const char *subject)
{
    uint64_t n = UNSET;
    int rc = g_be->delete_subject(conn, coll, subject, &n);
    ck_assert_msg(rc == PRIVACY_OK, "delete_subject(%s, %.40s): %d %s: %s", coll, subject, rc,
                  code_name(rc), errmsg_of(conn));
    ck_assert_msg(n != UNSET, "delete_subject(%s, %.40s) did not set *deleted", coll, subject);
    return n;
}

static uint64_t be_purge(void *conn, const char *coll, int64_t now)
{
    uint64_t n = UNSET;
    int rc = g_be->purge_expired(conn, coll, now, &n);
    ck_assert_msg(rc == PRIVACY_OK, "purge_expired(%s, %" PRId64 "): %d %s: %s", coll, now, rc,
                  code_name(rc), errmsg_of(conn));
    ck_assert_msg(n != UNSET, "purge_expired(%s) did not set *purged", coll);
    return n;
}

static void assert_no_problem(const reclist *l, const char *call)
{
    ck_assert_msg(l->problem[0] == '\0', "%s: %s", call, l->problem);
    ck_assert_msg(l->calls == l->n, "%s: %zu callbacks but %zu records copied", call, l->calls,
                  l->n);
}

static reclist *be_scan(void *conn, const char *coll, const char *subject, const uint8_t *key,
                        size_t key_len)
{
    reclist *l = reclist_new();
    int rc = g_be->scan(conn, coll, subject, key, key_len, collect, l);
    ck_assert_msg(rc == PRIVACY_OK, "scan(%s): %d %s: %s", coll, rc, code_name(rc),
                  errmsg_of(conn));
    assert_no_problem(l, "scan");
    return l;
}

static reclist *be_get(void *conn, const char *coll, const char *id)
{
    reclist *l = reclist_new();
    int rc = g_be->get(conn, coll, id, collect, l);
    ck_assert_msg(rc == PRIVACY_OK, "get(%s, %.40s): %d %s: %s", coll, id, rc, code_name(rc),
                  errmsg_of(conn));
    assert_no_problem(l, "get");
    ck_assert_msg(l->n == 1, "get(%s, %.40s) called back %zu times, want 1", coll, id, l->n);
    return l;
}

static void expect_missing(void *conn, const char *coll, const char *id)
{
    reclist *l = reclist_new();
    int rc = g_be->get(conn, coll, id, collect, l);
    ck_assert_msg(rc == PRIVACY_E_NOT_FOUND, "get(%s, %.40s) of a missing record: %d %s, want %s",
                  coll, id, rc, code_name(rc), code_name(PRIVACY_E_NOT_FOUND));
    ck_assert_msg(l->calls == 0, "get(%s, %.40s) of a missing record called back %zu times",
                  coll, id, l->calls);
    reclist_free(l);
}

/* ---- comparisons ---- */

static size_t first_difference(const uint8_t *a, const uint8_t *b, size_t n)
{
    if (memcmp(a, b, n) == 0)
        return n;
    size_t i = 0;
    while (a[i] == b[i])
        i++;
    return i;
}

static void expect_rec(const rec *g, const privacy_record *w, const char *what, size_t i)
{
    ck_assert_msg(strcmp(g->collection, w->collection) == 0,
                  "%s: record %zu: collection '%s', want '%s'", what, i, g->collection,
                  w->collection);
    ck_assert_msg(strcmp(g->id, w->id) == 0, "%s: record %zu: id '%.130s', want '%.130s'", what,
                  i, g->id, w->id);
    if (w->subject_id == NULL)
        ck_assert_msg(g->subject_id == NULL, "%s: record '%.40s': subject_id '%.40s', want NULL",
                      what, w->id, g->subject_id);
    else
        ck_assert_msg(g->subject_id != NULL && strcmp(g->subject_id, w->subject_id) == 0,
                      "%s: record '%.40s': subject_id '%.130s', want '%.130s'", what, w->id,
                      g->subject_id != NULL ? g->subject_id : "(NULL)", w->subject_id);
    if (w->index_key == NULL)
        ck_assert_msg(g->index_key == NULL && g->index_key_len == 0,
                      "%s: record '%.40s': an index key of %zu bytes, want NULL", what, w->id,
                      g->index_key_len);
    else
        ck_assert_msg(g->index_key != NULL && g->index_key_len == w->index_key_len &&
                          memcmp(g->index_key, w->index_key, w->index_key_len) == 0,
                      "%s: record '%.40s': index key of %zu bytes differs from the %zu put", what,
                      w->id, g->index_key_len, w->index_key_len);
    ck_assert_msg(g->created == w->created,
                  "%s: record '%.40s': created %" PRId64 ", want %" PRId64, what, w->id,
                  g->created, w->created);
    ck_assert_msg(g->expires == w->expires,
                  "%s: record '%.40s': expires %" PRId64 ", want %" PRId64, what, w->id,
                  g->expires, w->expires);
    ck_assert_msg(g->body_len == w->body_len, "%s: record '%.40s': body of %zu bytes, want %zu",
                  what, w->id, g->body_len, w->body_len);
    if (w->body_len != 0) {
        size_t d = first_difference(g->body, w->body, w->body_len);
        ck_assert_msg(d == w->body_len,
                      "%s: record '%.40s': body differs at byte %zu of %zu (0x%02x, want 0x%02x)",
                      what, w->id, d, w->body_len, d < w->body_len ? g->body[d] : 0,
                      d < w->body_len ? w->body[d] : 0);
    }
}

/* got must hold exactly want[0..n), in that order. */
static void expect_records(const reclist *got, const privacy_record *want, size_t n,
                           const char *what)
{
    for (size_t i = 0; i < got->n && i < n; i++)
        expect_rec(&got->v[i], &want[i], what, i);
    ck_assert_msg(got->n == n, "%s: %zu records, want %zu (first extra: '%.40s')", what, got->n, n,
                  got->n > n ? got->v[n].id : "-");
}

static void expect_scan(void *conn, const char *coll, const char *subject, const uint8_t *key,
                        size_t key_len, const privacy_record *want, size_t n, const char *what)
{
    reclist *l = be_scan(conn, coll, subject, key, key_len);
    expect_records(l, want, n, what);
    reclist_free(l);
}

static void expect_get(void *conn, const privacy_record *want)
{
    reclist *l = be_get(conn, want->collection, want->id);
    expect_records(l, want, 1, "get");
    reclist_free(l);
}

/* The contract's order: created, then id byte by byte. */
static int by_created_id(const void *a, const void *b)
{
    const privacy_record *x = a, *y = b;
    if (x->created != y->created)
        return x->created < y->created ? -1 : 1;
    return strcmp(x->id, y->id);
}

/* The expected scan result: the records of v[0..n) that pass keep, sorted. */
static size_t expected(privacy_record *out, const privacy_record *v, size_t n,
                       int (*keep)(const privacy_record *, const void *), const void *arg)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (keep == NULL || keep(&v[i], arg))
            out[m++] = v[i];
    qsort(out, m, sizeof *out, by_created_id);
    return m;
}

static int in_collection(const privacy_record *r, const void *coll)
{
    return strcmp(r->collection, coll) == 0;
}

/* A recognisable body: each 4-byte word holds its own offset (little
 * endian) xor seed, so a shifted, truncated or mixed-up body is told apart. */
static void fill_pattern(uint8_t *p, size_t n, uint32_t seed)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t word = (uint32_t)(i & ~(size_t)3) ^ seed;
        p[i] = (uint8_t)(word >> (8 * (i & 3)));
    }
}

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ---- the vtable ---- */

/* Names what is wrong with the vtable into why; 0 if nothing. */
static int vtable_problem(const privacy_backend *be, char *why, size_t why_len)
{
    if (be->version < 1 || be->version > PRIVACY_BACKEND_VERSION) {
        snprintf(why, why_len, "version %d: this suite knows versions 1 to %d", be->version,
                 PRIVACY_BACKEND_VERSION);
        return 1;
    }
    const struct {
        const char *name;
        int set;
    } m[] = {
        { "open", be->open != NULL },
        { "close", be->close != NULL },
        { "errmsg", be->errmsg != NULL },
        { "begin", be->begin != NULL },
        { "commit", be->commit != NULL },
        { "rollback", be->rollback != NULL },
        { "put", be->put != NULL },
        { "get", be->get != NULL },
        { "del", be->del != NULL },
        { "scan", be->scan != NULL },
        { "delete_subject", be->delete_subject != NULL },
        { "purge_expired", be->purge_expired != NULL },
    };
    for (size_t i = 0; i < COUNT(m); i++) {
        if (!m[i].set) {
            snprintf(why, why_len, "required member '%s' of version 1 is NULL", m[i].name);
            return 1;
        }
    }
    return 0;
}

START_TEST(test_vtable_declares_a_known_version_and_every_member)
{
    char why[160] = "";
    ck_assert_msg(vtable_problem(g_be, why, sizeof why) == 0, "%s", why);
}
END_TEST

/* ---- connections ---- */

START_TEST(test_open_close_and_several_connections_at_once)
{
    void *a = conn_open();
    ck_assert_ptr_nonnull(g_be->errmsg(a));
    void *b = conn_open();
    ck_assert_ptr_nonnull(g_be->errmsg(b));
    ck_assert_msg(a != b, "two opens returned the same connection");
    char coll[COLL_BUF];
    coll_name(coll, "open");
    privacy_record r = mk(coll, "r", NULL, NULL, 0, 1, 0, "b");
    be_put(a, &r);
    expect_get(b, &r);
    conn_close(b);
    /* Closing one connection leaves the other working. */
    expect_get(a, &r);
    conn_close(a);
    /* A store that exists already opens again. */
    void *c = conn_open();
    expect_get(c, &r);
    conn_close(c);
}
END_TEST

/* ---- put and get ---- */

START_TEST(test_put_then_get_returns_every_field_exactly)
{
    char coll[COLL_BUF];
    coll_name(coll, "fields");
    static const uint8_t key32[32] = { 0x00, 0x01, 0xff, 0x80, 0x7f, 0x00, 0xc3, 0x28, 0x10,
                                       0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19,
                                       0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0xa0, 0xa1, 0xa2,
                                       0xa3, 0xa4, 0xa5, 0xa6, 0x00 };
    static const uint8_t key3[3] = { 'k', 0x00, 'y' };
    static const uint8_t bin[8] = { 0x00, 0x01, 0xfe, 0xff, 0x00, '\'', '"', 0x00 };
    uint8_t *b300 = xmalloc(300);
    fill_pattern(b300, 300, 0x5eed0001u);
    void *c = conn_open();
    privacy_record v[] = {
        mk(coll, "plain", NULL, NULL, 0, 0, 0, NULL),
        mk(coll, "full", "sub_0123456789abcdef", key32, sizeof key32,
           INT64_C(1700000000123456), INT64_C(1800000000654321), NULL),
        mk(coll, "subject-only", "sub_x", NULL, 0, 42, FAR, NULL),
        mk(coll, "key-only", NULL, key3, sizeof key3, FAR, 0, NULL),
    };
    v[0].body = bin;
    v[0].body_len = sizeof bin;
    v[1].body = b300;
    v[1].body_len = 300;
    v[2].body = (const uint8_t *)"{\"json\": \"body\"}";
    v[2].body_len = strlen((const char *)v[2].body);
    v[3].body = bin + 1;
    v[3].body_len = 1;
    be_put_all(c, v, COUNT(v));
    for (size_t i = 0; i < COUNT(v); i++)
        expect_get(c, &v[i]);
    /* And the same from a connection that did not write them. */
    void *d = conn_open();
    for (size_t i = 0; i < COUNT(v); i++)
        expect_get(d, &v[i]);
    conn_close(d);
    conn_close(c);
}
END_TEST

START_TEST(test_same_id_in_two_collections_is_two_records)
{
    char c1[COLL_BUF], c2[COLL_BUF];
    coll_name(c1, "twin_a");
    coll_name(c2, "twin_b");
    void *c = conn_open();
    privacy_record a = mk(c1, "same", "sub_a", NULL, 0, 1, 0, "in a");
    privacy_record b = mk(c2, "same", "sub_b", NULL, 0, 2, 5, "in b, longer");
    be_put(c, &a);
    be_put(c, &b);
    expect_get(c, &a);
    expect_get(c, &b);
    ck_assert_uint_eq(be_del(c, c1, "same"), 1);
    expect_missing(c, c1, "same");
    expect_get(c, &b);
    conn_close(c);
}
END_TEST

START_TEST(test_get_missing_id_returns_not_found)
{
    char coll[COLL_BUF], empty[COLL_BUF];
    coll_name(coll, "missing");
    coll_name(empty, "missing_never_written");
    void *c = conn_open();
    privacy_record r = mk(coll, "present", NULL, NULL, 0, 1, 0, "x");
    be_put(c, &r);
    expect_missing(c, coll, "absent");
    expect_missing(c, coll, "presen");   /* a prefix of an id */
    expect_missing(c, coll, "present2"); /* an id it is a prefix of */
    expect_missing(c, empty, "present");
    expect_get(c, &r);
    conn_close(c);
}
END_TEST

START_TEST(test_put_twice_leaves_one_record)
{
    char coll[COLL_BUF];
    coll_name(coll, "put_twice");
    void *c = conn_open();
    privacy_record r = mk(coll, "once", "sub_1", (const uint8_t *)"k", 1, 7, NOW, "body");
    be_put(c, &r);
    be_put(c, &r);
    expect_scan(c, coll, NULL, NULL, 0, &r, 1, "scan after two identical puts");
    expect_scan(c, coll, "sub_1", NULL, 0, &r, 1, "scan by subject after two identical puts");
    expect_scan(c, coll, NULL, (const uint8_t *)"k", 1, &r, 1, "scan by key after two puts");
    expect_get(c, &r);
    conn_close(c);
}
END_TEST

START_TEST(test_put_replaces_body_and_every_field)
{
    char coll[COLL_BUF];
    coll_name(coll, "replace");
    static const uint8_t k1[4] = { 1, 2, 3, 4 }, k2[4] = { 5, 6, 7, 8 };
    void *c = conn_open();
    privacy_record old = mk(coll, "r", "sub_old", k1, sizeof k1, 10, 100, "old body");
    privacy_record neu = mk(coll, "r", "sub_new", k2, sizeof k2, 20, 0, "a new and longer body");
    be_put(c, &old);
    be_put(c, &neu);
    expect_get(c, &neu);
    expect_scan(c, coll, NULL, NULL, 0, &neu, 1, "scan after replace");
    expect_scan(c, coll, "sub_old", NULL, 0, NULL, 0, "scan by the replaced subject");
    expect_scan(c, coll, "sub_new", NULL, 0, &neu, 1, "scan by the new subject");
    expect_scan(c, coll, NULL, k1, sizeof k1, NULL, 0, "scan by the replaced index key");
    expect_scan(c, coll, NULL, k2, sizeof k2, &neu, 1, "scan by the new index key");
    /* expires went from 100 to 0 (never): nothing to purge. */
    ck_assert_uint_eq(be_purge(c, coll, NOW), 0);
    expect_get(c, &neu);
    /* A shorter body replaces a longer one whole; NULLs replace values. */
    privacy_record shorter = mk(coll, "r", NULL, NULL, 0, 30, 50, "s");
    be_put(c, &shorter);
    expect_get(c, &shorter);
    expect_scan(c, coll, "sub_new", NULL, 0, NULL, 0, "scan by a subject replaced by NULL");
    expect_scan(c, coll, NULL, k2, sizeof k2, NULL, 0, "scan by a key replaced by NULL");
    ck_assert_uint_eq(be_purge(c, coll, 50), 1);
    expect_missing(c, coll, "r");
    conn_close(c);
}
END_TEST

/* ---- del ---- */

START_TEST(test_del_counts_one_then_zero)
{
    char coll[COLL_BUF], other[COLL_BUF];
    coll_name(coll, "del");
    coll_name(other, "del_other");
    void *c = conn_open();
    privacy_record a = mk(coll, "a", NULL, NULL, 0, 1, 0, "a");
    privacy_record b = mk(coll, "b", NULL, NULL, 0, 2, 0, "b");
    privacy_record a2 = mk(other, "a", NULL, NULL, 0, 1, 0, "other a");
    be_put(c, &a);
    be_put(c, &b);
    be_put(c, &a2);
    ck_assert_uint_eq(be_del(c, coll, "a"), 1);
    expect_missing(c, coll, "a");
    ck_assert_uint_eq(be_del(c, coll, "a"), 0);
    ck_assert_uint_eq(be_del(c, coll, "never-there"), 0);
    /* deleted may be NULL. */
    int rc = g_be->del(c, coll, "b", NULL);
    ck_assert_msg(rc == PRIVACY_OK, "del with deleted == NULL: %d %s: %s", rc, code_name(rc),
                  errmsg_of(c));
    expect_missing(c, coll, "b");
    expect_scan(c, coll, NULL, NULL, 0, NULL, 0, "scan after deleting everything");
    expect_get(c, &a2);
    conn_close(c);
}
END_TEST

/* ---- scans ---- */

START_TEST(test_scan_returns_whole_collection_and_no_other)
{
    /* Neighbours whose names share a prefix, or would match a LIKE pattern. */
    char coll[COLL_BUF], longer[COLL_BUF], shorter[COLL_BUF], wild[COLL_BUF];
    coll_name(coll, "scan");
    coll_name(longer, "scan2");
    coll_name(shorter, "sca");
    coll_name(wild, "scan-");
    static const uint8_t k[2] = { 0xab, 0xcd };
    void *c = conn_open();
    privacy_record v[] = {
        mk(coll, "r3", "sub_a", k, 2, 30, 0, "3"),  mk(coll, "r1", NULL, NULL, 0, 10, 0, "1"),
        mk(longer, "x1", NULL, NULL, 0, 5, 0, "x"), mk(coll, "r2", "sub_b", NULL, 0, 20, 9, "2"),
        mk(shorter, "y1", "sub_a", k, 2, 15, 0, "y"), mk(wild, "z1", NULL, NULL, 0, 25, 0, "z"),
        mk(coll, "r4", NULL, k, 2, 40, 0, ""),      mk(longer, "r5", NULL, NULL, 0, 35, 0, "x"),
    };
    be_put_all(c, v, COUNT(v));
    privacy_record want[COUNT(v)];
    const char *colls[] = { coll, longer, shorter, wild };
    for (size_t i = 0; i < COUNT(colls); i++) {
        size_t n = expected(want, v, COUNT(v), in_collection, colls[i]);
        expect_scan(c, colls[i], NULL, NULL, 0, want, n, "scan of a whole collection");
    }
    conn_close(c);
}
END_TEST

static int has_subject(const privacy_record *r, const void *subject)
{
    return r->subject_id != NULL && strcmp(r->subject_id, subject) == 0;
}

typedef struct key_arg {
    const char *coll;
    const uint8_t *key;
    size_t len;
} key_arg;

static int has_key(const privacy_record *r, const void *arg)
{
    const key_arg *k = arg;
    return strcmp(r->collection, k->coll) == 0 && r->index_key != NULL &&
           r->index_key_len == k->len && memcmp(r->index_key, k->key, k->len) == 0;
}

START_TEST(test_scan_orders_by_created_then_id)
{
    char coll[COLL_BUF];
    coll_name(coll, "order");
    static const uint8_t k[1] = { 7 };
    const char *s = "sub_order";
    void *c = conn_open();
    /* Inserted out of order, with ties on created. */
    privacy_record v[] = {
        mk(coll, "m", s, k, 1, 5, 0, "m"),       mk(coll, "b", s, k, 1, 1000, 0, "b"),
        mk(coll, "c", s, k, 1, 5, 0, "c"),       mk(coll, "z", s, k, 1, 0, 0, "z"),
        mk(coll, "a", s, k, 1, 5, 0, "a"),       mk(coll, "k", s, k, 1, FAR, 0, "k"),
        mk(coll, "y", s, k, 1, 1, 0, "y"),       mk(coll, "d10", s, k, 1, 1000, 0, "d10"),
        mk(coll, "d9", s, k, 1, 1000, 0, "d9"),  mk(coll, "x", s, k, 1, NOW, 0, "x"),
        mk(coll, "aa", s, k, 1, 5, 0, "aa"),     mk(coll, "e", s, k, 1, 999, 0, "e"),
        mk(coll, "d1", s, k, 1, 1000, 0, "d1"),  mk(coll, "n", s, k, 1, 4, 0, "n"),
    };
    be_put_all(c, v, COUNT(v));
    privacy_record want[COUNT(v)];
    size_t n = expected(want, v, COUNT(v), NULL, NULL);
    /* Spell the order out too, so the comparator cannot hide a mistake. */
    static const char *const order[] = { "z", "y", "n", "a", "aa", "c", "m",
                                         "e", "b", "d1", "d10", "d9", "x", "k" };
    ck_assert_uint_eq(n, COUNT(order));
    for (size_t i = 0; i < n; i++)
        ck_assert_str_eq(want[i].id, order[i]);
    expect_scan(c, coll, NULL, NULL, 0, want, n, "scan of the collection");
    expect_scan(c, coll, s, NULL, 0, want, n, "scan by subject");
    expect_scan(c, coll, NULL, k, 1, want, n, "scan by index key");
    conn_close(c);
}
END_TEST

START_TEST(test_scan_orders_id_ties_bytewise)
{
    char coll[COLL_BUF];
    coll_name(coll, "order_bytes");
    void *c = conn_open();
    /* Ids compare as bytes (C/POSIX collation): '0' < 'B' < 'Z' < '_' < 'a' < '~'.
     * A locale-aware comparison would order these differently. */
    privacy_record v[] = {
        mk(coll, "a", NULL, NULL, 0, 3, 0, "1"),   mk(coll, "_x", NULL, NULL, 0, 3, 0, "2"),
        mk(coll, "B", NULL, NULL, 0, 3, 0, "3"),   mk(coll, "~", NULL, NULL, 0, 3, 0, "4"),
        mk(coll, "Z", NULL, NULL, 0, 3, 0, "5"),   mk(coll, "0", NULL, NULL, 0, 3, 0, "6"),
        mk(coll, "a-b", NULL, NULL, 0, 3, 0, "7"), mk(coll, "aB", NULL, NULL, 0, 3, 0, "8"),
    };
    be_put_all(c, v, COUNT(v));
    privacy_record want[COUNT(v)];
    size_t n = expected(want, v, COUNT(v), NULL, NULL);
    static const char *const order[] = { "0", "B", "Z", "_x", "a", "a-b", "aB", "~" };
    ck_assert_uint_eq(n, COUNT(order));
    for (size_t i = 0; i < n; i++)
        ck_assert_str_eq(want[i].id, order[i]);
    expect_scan(c, coll, NULL, NULL, 0, want, n, "scan with ties on created");
    conn_close(c);
}
END_TEST

START_TEST(test_scan_by_subject_returns_only_that_subject)
{
    char coll[COLL_BUF], other[COLL_BUF];
    coll_name(coll, "by_subject");
    coll_name(other, "by_subject_other");
    void *c = conn_open();
    privacy_record v[] = {
        mk(coll, "s1c", "sub_1", NULL, 0, 30, 0, "1c"),
        mk(coll, "s10", "sub_10", NULL, 0, 5, 0, "x"),
        mk(coll, "s1a", "sub_1", NULL, 0, 10, 0, "1a"),
        mk(coll, "n1", NULL, NULL, 0, 1, 0, "n"),
        mk(coll, "s2a", "sub_2", NULL, 0, 10, 0, "2a"),
        mk(coll, "s1b", "sub_1", NULL, 0, 10, 0, "1b"),
        mk(coll, "s_", "sub_", NULL, 0, 11, 0, "_"),
        mk(other, "o1", "sub_1", NULL, 0, 2, 0, "o"),
        mk(coll, "s2b", "sub_2", NULL, 0, 40, 0, "2b"),
    };
    be_put_all(c, v, COUNT(v));
    privacy_record want[COUNT(v)], in_coll[COUNT(v)];
    size_t m = expected(in_coll, v, COUNT(v), in_collection, coll);
    const char *subjects[] = { "sub_1", "sub_10", "sub_2", "sub_" };
    for (size_t i = 0; i < COUNT(subjects); i++) {
        size_t n = expected(want, in_coll, m, has_subject, subjects[i]);
        expect_scan(c, coll, subjects[i], NULL, 0, want, n, "scan by subject");
    }
    size_t n = expected(want, v, COUNT(v), in_collection, other);
    expect_scan(c, other, "sub_1", NULL, 0, want, n, "scan by subject in the other collection");
    expect_scan(c, coll, "sub_unknown", NULL, 0, NULL, 0, "scan by an unknown subject");
    conn_close(c);
}
END_TEST

START_TEST(test_scan_by_index_key_matches_exact_bytes)
{
    char coll[COLL_BUF], other[COLL_BUF];
    coll_name(coll, "by_key");
    coll_name(other, "by_key_other");
    uint8_t k1[32], prefix[16], longer[33], k2[32];
    for (size_t i = 0; i < sizeof k1; i++)
        k1[i] = (uint8_t)(i * 37 + 0xf0); /* starts 0xf0, holds 0x00 and non-UTF-8 bytes */
    k1[3] = 0x00;
    memcpy(prefix, k1, sizeof prefix);
    memcpy(longer, k1, sizeof k1);
    longer[32] = 0x00;
    memcpy(k2, k1, sizeof k1);
    k2[31] ^= 0x01;
    void *c = conn_open();
    privacy_record v[] = {
        mk(coll, "k1b", "sub_a", k1, sizeof k1, 20, 0, "1b"),
        mk(coll, "pre", NULL, prefix, sizeof prefix, 10, 0, "p"),
        mk(coll, "k1a", NULL, k1, sizeof k1, 20, 0, "1a"),
        mk(coll, "lng", NULL, longer, sizeof longer, 5, 0, "l"),
        mk(coll, "k2", NULL, k2, sizeof k2, 1, 0, "2"),
        mk(coll, "none", "sub_a", NULL, 0, 1, 0, "n"),
        mk(other, "o1", NULL, k1, sizeof k1, 1, 0, "o"),
        mk(coll, "k1c", NULL, k1, sizeof k1, 3, 0, "1c"),
    };
    be_put_all(c, v, COUNT(v));
    privacy_record want[COUNT(v)];
    const struct {
        const uint8_t *key;
        size_t len;
    } keys[] = { { k1, sizeof k1 }, { prefix, sizeof prefix }, { longer, sizeof longer },
                 { k2, sizeof k2 } };
    for (size_t i = 0; i < COUNT(keys); i++) {
        key_arg a = { coll, keys[i].key, keys[i].len };
        size_t n = expected(want, v, COUNT(v), has_key, &a);
        ck_assert_uint_ge(n, 1);
        expect_scan(c, coll, NULL, keys[i].key, keys[i].len, want, n, "scan by index key");
    }
    static const uint8_t unknown[32] = { 0 };
    expect_scan(c, coll, NULL, unknown, sizeof unknown, NULL, 0, "scan by an unknown key");
    conn_close(c);
}
END_TEST

START_TEST(test_scan_of_empty_collection_visits_nothing)
{
    char coll[COLL_BUF];
    coll_name(coll, "never_written");
    void *c = conn_open();
    expect_scan(c, coll, NULL, NULL, 0, NULL, 0, "scan of an empty collection");
    expect_scan(c, coll, "sub_x", NULL, 0, NULL, 0, "scan by subject of an empty collection");
    expect_scan(c, coll, NULL, (const uint8_t *)"k", 1, NULL, 0, "scan by key, empty collection");
    conn_close(c);
}
END_TEST

/* Runs a scan (or get, when id is set) whose callback returns value at
 * call stop_at; checks the backend stops there and returns exactly value. */
static void expect_stop(void *conn, const char *coll, const char *subject, const char *id,
                        size_t stop_at, int value)
{
    reclist *l = reclist_new();
    l->stop_at = stop_at;
    l->stop_value = value;
    int rc = id != NULL ? g_be->get(conn, coll, id, collect, l)
                        : g_be->scan(conn, coll, subject, NULL, 0, collect, l);
    ck_assert_msg(rc == value, "%s whose callback returned %d: returned %d (%s)",
                  id != NULL ? "get" : "scan", value, rc, errmsg_of(conn));
    ck_assert_msg(l->calls == stop_at,
                  "%s went on after its callback returned %d: %zu calls, want %zu",
                  id != NULL ? "get" : "scan", value, l->calls, stop_at);
    assert_no_problem(l, "stopped visit");
    reclist_free(l);
}

START_TEST(test_callback_nonzero_stops_the_visit_and_is_returned)
{
    char coll[COLL_BUF];
    coll_name(coll, "stop");
    void *c = conn_open();
    privacy_record v[] = {
        mk(coll, "a", "sub_s", NULL, 0, 1, 0, "a"), mk(coll, "b", "sub_s", NULL, 0, 2, 0, "b"),
        mk(coll, "c", "sub_s", NULL, 0, 3, 0, "c"), mk(coll, "d", "sub_s", NULL, 0, 4, 0, "d"),
        mk(coll, "e", "sub_s", NULL, 0, 5, 0, "e"),
    };
    be_put_all(c, v, COUNT(v));
    expect_stop(c, coll, NULL, NULL, 3, 42);
    expect_stop(c, coll, NULL, NULL, 1, -1000); /* not a status code: still returned as is */
    expect_stop(c, coll, NULL, NULL, 5, 1);
    expect_stop(c, coll, NULL, NULL, 2, PRIVACY_E_NOMEM);
    expect_stop(c, coll, "sub_s", NULL, 2, 7);
    expect_stop(c, coll, NULL, "c", 1, 99);
    /* A stopped visit leaves the connection usable, for reads and writes. */
    privacy_record f = mk(coll, "f", "sub_s", NULL, 0, 6, 0, "f");
    be_put(c, &f);
    be_begin(c);
    expect_stop(c, coll, NULL, NULL, 1, 5);
    be_put(c, &f);
    be_commit(c);
    privacy_record all[COUNT(v) + 1];
    memcpy(all, v, sizeof v);
    all[COUNT(v)] = f;
    expect_scan(c, coll, NULL, NULL, 0, all, COUNT(all), "scan after stopped visits");
    conn_close(c);
}
END_TEST

/* ---- transactions ---- */

START_TEST(test_rollback_leaves_nothing)
{
    char coll[COLL_BUF];
    coll_name(coll, "rollback");
    void *c = conn_open();
    privacy_record pre[] = {
        mk(coll, "p_del", NULL, NULL, 0, 1, 0, "deleted, then rolled back"),
        mk(coll, "p_sub", "sub_gone", NULL, 0, 2, 0, "subject deleted, then rolled back"),
        mk(coll, "p_exp", NULL, NULL, 0, 3, 10, "purged, then rolled back"),
        mk(coll, "p_rep", NULL, NULL, 0, 4, 0, "original"),
    };
    be_put_all(c, pre, COUNT(pre));
    be_begin(c);
    char ids[5][8];
    for (int i = 0; i < 5; i++) {
        snprintf(ids[i], sizeof ids[i], "new%d", i);
        privacy_record r = mk(coll, ids[i], "sub_gone", NULL, 0, 100 + i, 0, "uncommitted");
        be_put(c, &r);
    }
    privacy_record rep = mk(coll, "p_rep", "sub_gone", NULL, 0, 5, 0, "replaced");
    be_put(c, &rep);
    ck_assert_uint_eq(be_del(c, coll, "p_del"), 1);
    ck_assert_uint_eq(be_purge(c, coll, 10), 1);
    ck_assert_uint_eq(be_delete_subject(c, coll, "sub_gone"), 7);
    be_rollback(c);
    expect_scan(c, coll, NULL, NULL, 0, pre, COUNT(pre), "scan after rollback");
    for (int i = 0; i < 5; i++)
        expect_missing(c, coll, ids[i]);
    void *d = conn_open();
    expect_scan(d, coll, NULL, NULL, 0, pre, COUNT(pre), "scan after rollback, other connection");
    conn_close(d);
    /* The connection takes a new transaction after a rollback. */
    be_begin(c);
    privacy_record after = mk(coll, "after", NULL, NULL, 0, 50, 0, "after");
    be_put(c, &after);
    be_commit(c);
    expect_get(c, &after);
    conn_close(c);
}
END_TEST

START_TEST(test_commit_lands_all_changes)
{
    char coll[COLL_BUF];
    coll_name(coll, "commit");
    void *c = conn_open();
    privacy_record pre[] = {
        mk(coll, "p_del", NULL, NULL, 0, 1, 0, "goes"),
        mk(coll, "p_sub", "sub_gone", NULL, 0, 2, 0, "goes"),
        mk(coll, "p_exp", NULL, NULL, 0, 3, 10, "goes"),
        mk(coll, "p_keep", NULL, NULL, 0, 4, 11, "stays"),
    };
    be_put_all(c, pre, COUNT(pre));
    privacy_record v[11];
    char ids[10][8];
    be_begin(c);
    for (int i = 0; i < 10; i++) {
        snprintf(ids[i], sizeof ids[i], "n%02d", i);
        v[i] = mk(coll, ids[i], (i & 1) ? "sub_odd" : NULL, NULL, 0, 100 - i, 0, "committed");
        be_put(c, &v[i]);
    }
    ck_assert_uint_eq(be_del(c, coll, "p_del"), 1);
    ck_assert_uint_eq(be_delete_subject(c, coll, "sub_gone"), 1);
    ck_assert_uint_eq(be_purge(c, coll, 10), 1);
    be_commit(c);
    v[10] = pre[3];
    privacy_record want[COUNT(v)];
    size_t n = expected(want, v, COUNT(v), NULL, NULL);
    expect_scan(c, coll, NULL, NULL, 0, want, n, "scan after commit");
    void *d = conn_open();
    expect_scan(d, coll, NULL, NULL, 0, want, n, "scan after commit, other connection");
    conn_close(d);
    conn_close(c);
}
END_TEST

/* While another connection holds uncommitted changes, a read must show the
 * committed state or fail with PRIVACY_E_BUSY. */
static void expect_get_old(void *conn, const char *coll, const char *id,
                           const privacy_record *old)
{
    reclist *l = reclist_new();
    int rc = g_be->get(conn, coll, id, collect, l);
    if (rc != PRIVACY_E_BUSY) {
        if (old == NULL) {
            ck_assert_msg(rc == PRIVACY_E_NOT_FOUND,
                          "get of '%s' while another connection's insert is uncommitted: %d %s, "
                          "want NOT_FOUND or BUSY",
                          id, rc, code_name(rc));
        } else {
            ck_assert_msg(rc == PRIVACY_OK,
                          "get of '%s' while another connection's change is uncommitted: %d %s: %s",
                          id, rc, code_name(rc), errmsg_of(conn));
            assert_no_problem(l, "get");
            expect_records(l, old, 1, "get while another connection's change is uncommitted");
        }
    }
    reclist_free(l);
}

static void expect_scan_old(void *conn, const char *coll, const char *subject,
                            const privacy_record *old, size_t n)
{
    reclist *l = reclist_new();
    int rc = g_be->scan(conn, coll, subject, NULL, 0, collect, l);
    if (rc != PRIVACY_E_BUSY) {
        ck_assert_msg(rc == PRIVACY_OK,
                      "scan while another connection's change is uncommitted: %d %s: %s", rc,
                      code_name(rc), errmsg_of(conn));
        assert_no_problem(l, "scan");
        expect_records(l, old, n, "scan while another connection's change is uncommitted");
    }
    reclist_free(l);
}

START_TEST(test_uncommitted_writes_invisible_to_other_connection)
{
    char coll[COLL_BUF];
    coll_name(coll, "isolation");
    void *a = conn_open();
    void *b = conn_open();
    privacy_record old = mk(coll, "old", "sub_i", NULL, 0, 1, 0, "v1");
    be_put(a, &old);
    expect_get(b, &old);

    be_begin(a);
    privacy_record neu = mk(coll, "new", "sub_i", NULL, 0, 2, 0, "uncommitted insert");
    privacy_record old2 = mk(coll, "old", "sub_i", NULL, 0, 1, 0, "v2 (uncommitted)");
    be_put(a, &neu);
    be_put(a, &old2);
    expect_get_old(b, coll, "new", NULL);
    expect_get_old(b, coll, "old", &old);
    expect_scan_old(b, coll, NULL, &old, 1);
    expect_scan_old(b, coll, "sub_i", &old, 1);
    be_commit(a);
    expect_get(b, &neu);
    expect_get(b, &old2);

    /* An uncommitted delete is invisible too. */
    be_begin(a);
    ck_assert_uint_eq(be_del(a, coll, "old"), 1);
    ck_assert_uint_eq(be_delete_subject(a, coll, "sub_i"), 1);
    expect_get_old(b, coll, "old", &old2);
    expect_get_old(b, coll, "new", &neu);
    be_rollback(a);
    expect_get(b, &old2);
    expect_get(b, &neu);
    conn_close(b);
    conn_close(a);
}
END_TEST

START_TEST(test_close_rolls_back_open_transaction)
{
    char coll[COLL_BUF];
    coll_name(coll, "close_rollback");
    void *a = conn_open();
    privacy_record kept = mk(coll, "kept", NULL, NULL, 0, 1, 0, "kept");
    be_put(a, &kept);
    be_begin(a);
    privacy_record r = mk(coll, "lost", NULL, NULL, 0, 2, 0, "never committed");
    be_put(a, &r);
    ck_assert_uint_eq(be_del(a, coll, "kept"), 1);
    conn_close(a);
    void *b = conn_open();
    expect_missing(b, coll, "lost");
    expect_get(b, &kept);
    /* The lock, if any, went with the connection: b can write. */
    be_begin(b);
    be_put(b, &r);
    be_commit(b);
    expect_get(b, &r);
    conn_close(b);
}
END_TEST

START_TEST(test_write_outside_transaction_is_visible_at_once)
{
    char coll[COLL_BUF];
    coll_name(coll, "autocommit");
    void *a = conn_open();
    void *b = conn_open();
    privacy_record r = mk(coll, "r", "sub_auto", NULL, 0, 1, 5, "standalone");
    be_put(a, &r);
    expect_get(b, &r);
    ck_assert_uint_eq(be_del(a, coll, "r"), 1);
    expect_missing(b, coll, "r");
    be_put(a, &r);
    ck_assert_uint_eq(be_delete_subject(a, coll, "sub_auto"), 1);
    expect_missing(b, coll, "r");
    be_put(a, &r);
    ck_assert_uint_eq(be_purge(a, coll, 5), 1);
    expect_missing(b, coll, "r");
    conn_close(b);
    conn_close(a);
}
END_TEST

typedef struct rerun_counts {
    uint64_t del, subject, purged;
} rerun_counts;

/* One transaction as the store would re-run it: every value fixed beforehand. */
static rerun_counts rerun_tx(void *conn, const char *coll)
{
    rerun_counts n;
    be_begin(conn);
    privacy_record a = mk(coll, "a", "sub_keep", NULL, 0, 1, 0, "a");
    privacy_record b = mk(coll, "b", NULL, (const uint8_t *)"kb", 2, 2, NOW + 1, "b");
    be_put(conn, &a);
    be_put(conn, &b);
    n.del = be_del(conn, coll, "p_del");
    n.subject = be_delete_subject(conn, coll, "sub_gone");
    n.purged = be_purge(conn, coll, NOW);
    be_commit(conn);
    return n;
}

START_TEST(test_rerun_of_committed_transaction_changes_nothing)
{
    char coll[COLL_BUF];
    coll_name(coll, "rerun");
    void *c = conn_open();
    privacy_record pre[] = {
        mk(coll, "p_del", NULL, NULL, 0, 1, 0, "x"),
        mk(coll, "p_sub1", "sub_gone", NULL, 0, 1, 0, "x"),
        mk(coll, "p_sub2", "sub_gone", NULL, 0, 1, 0, "x"),
        mk(coll, "p_exp", NULL, NULL, 0, 1, NOW, "x"),
    };
    be_put_all(c, pre, COUNT(pre));
    rerun_counts first = rerun_tx(c, coll);
    ck_assert_uint_eq(first.del, 1);
    ck_assert_uint_eq(first.subject, 2);
    ck_assert_uint_eq(first.purged, 1);
    privacy_record want[] = {
        mk(coll, "a", "sub_keep", NULL, 0, 1, 0, "a"),
        mk(coll, "b", NULL, (const uint8_t *)"kb", 2, 2, NOW + 1, "b"),
    };
    expect_scan(c, coll, NULL, NULL, 0, want, COUNT(want), "scan after the transaction");
    rerun_counts second = rerun_tx(c, coll);
    ck_assert_uint_eq(second.del, 0);
    ck_assert_uint_eq(second.subject, 0);
    ck_assert_uint_eq(second.purged, 0);
    expect_scan(c, coll, NULL, NULL, 0, want, COUNT(want), "scan after the re-run");
    conn_close(c);
}
END_TEST

/* ---- delete_subject and purge_expired ---- */

START_TEST(test_delete_subject_removes_only_that_subject)
{
    char coll[COLL_BUF], other[COLL_BUF];
    coll_name(coll, "erase");
    coll_name(other, "erase_other");
    void *c = conn_open();
    privacy_record v[] = {
        mk(coll, "a1", "sub_1", NULL, 0, 1, 0, "a1"),
        mk(coll, "a2", "sub_1", NULL, 0, 2, 0, "a2"),
        mk(coll, "a3", "sub_1", (const uint8_t *)"k", 1, 3, 9, "a3"),
        mk(coll, "b1", "sub_10", NULL, 0, 4, 0, "b1"),
        mk(coll, "b2", "sub_2", NULL, 0, 5, 0, "b2"),
        mk(coll, "n1", NULL, (const uint8_t *)"k", 1, 6, 0, "n1"),
        mk(other, "o1", "sub_1", NULL, 0, 7, 0, "o1"),
        mk(other, "o2", "sub_1", NULL, 0, 8, 0, "o2"),
    };
    be_put_all(c, v, COUNT(v));
    ck_assert_uint_eq(be_delete_subject(c, coll, "sub_1"), 3);
    privacy_record want[] = { v[3], v[4], v[5] };
    expect_scan(c, coll, NULL, NULL, 0, want, COUNT(want), "scan after delete_subject");
    expect_scan(c, coll, "sub_1", NULL, 0, NULL, 0, "scan by the deleted subject");
    privacy_record untouched[] = { v[6], v[7] };
    expect_scan(c, other, NULL, NULL, 0, untouched, COUNT(untouched),
                "the subject's records in another collection");
    ck_assert_uint_eq(be_delete_subject(c, coll, "sub_1"), 0);
    ck_assert_uint_eq(be_delete_subject(c, coll, "sub_never"), 0);
    expect_scan(c, coll, NULL, NULL, 0, want, COUNT(want), "scan after a second delete_subject");
    conn_close(c);
}
END_TEST

START_TEST(test_purge_expired_boundary_and_collection)
{
    char coll[COLL_BUF], other[COLL_BUF];
    coll_name(coll, "purge");
    coll_name(other, "purge_other");
    void *c = conn_open();
    privacy_record never = mk(coll, "never", NULL, NULL, 0, 1, 0, "expires 0");
    privacy_record past = mk(coll, "past", NULL, NULL, 0, 1, NOW - 1, "now - 1");
    privacy_record at = mk(coll, "at", NULL, NULL, 0, 1, NOW, "now");
    privacy_record next = mk(coll, "next", NULL, NULL, 0, 1, NOW + 1, "now + 1");
    privacy_record one = mk(coll, "one", "sub_p", NULL, 0, 1, 1, "1");
    privacy_record far = mk(coll, "far", NULL, NULL, 0, 1, FAR, "far");
    privacy_record elsewhere = mk(other, "past", NULL, NULL, 0, 1, NOW - 1, "other collection");
    privacy_record v[] = { never, past, at, next, one, far, elsewhere };
    be_put_all(c, v, COUNT(v));

    ck_assert_uint_eq(be_purge(c, coll, NOW), 3);
    privacy_record left[] = { far, never, next };
    expect_scan(c, coll, NULL, NULL, 0, left, COUNT(left), "scan after purge at now");
    expect_get(c, &elsewhere);
    ck_assert_uint_eq(be_purge(c, coll, NOW), 0);

    ck_assert_uint_eq(be_purge(c, coll, NOW + 1), 1);
    expect_missing(c, coll, "next");
    /* Even at the end of time, expires 0 means never. */
    ck_assert_uint_eq(be_purge(c, coll, INT64_MAX), 1);
    expect_scan(c, coll, NULL, NULL, 0, &never, 1, "scan after purge at INT64_MAX");
    expect_get(c, &elsewhere);
    ck_assert_uint_eq(be_purge(c, other, NOW - 2), 0);
    ck_assert_uint_eq(be_purge(c, other, NOW - 1), 1);
    conn_close(c);
}
END_TEST

/* ---- sizes ---- */

START_TEST(test_empty_body_round_trips)
{
    char coll[COLL_BUF];
    coll_name(coll, "empty_body");
    void *c = conn_open();
    privacy_record null_body = mk(coll, "null", NULL, NULL, 0, 1, 0, NULL);
    privacy_record empty = mk(coll, "empty", NULL, NULL, 0, 2, 0, "");
    be_put(c, &null_body);
    be_put(c, &empty);
    expect_get(c, &null_body);
    expect_get(c, &empty);
    privacy_record both[] = { null_body, empty };
    expect_scan(c, coll, NULL, NULL, 0, both, 2, "scan of empty bodies");
    /* An empty body replaces a non-empty one. */
    privacy_record full = mk(coll, "was_full", NULL, NULL, 0, 3, 0, "not empty");
    privacy_record emptied = mk(coll, "was_full", NULL, NULL, 0, 3, 0, "");
    be_put(c, &full);
    be_put(c, &emptied);
    expect_get(c, &emptied);
    conn_close(c);
}
END_TEST

static void big_body_round_trip(const char *name, size_t size, uint32_t seed)
{
    char coll[COLL_BUF];
    coll_name(coll, name);
    uint8_t *body = xmalloc(size);
    fill_pattern(body, size, seed);
    void *c = conn_open();
    privacy_record r = mk(coll, "big", "sub_big", NULL, 0, 1, 0, NULL);
    r.body = body;
    r.body_len = size;
    privacy_record small = mk(coll, "small", NULL, NULL, 0, 2, 0, "after the big one");
    be_put(c, &r);
    be_put(c, &small);
    expect_get(c, &r);
    privacy_record both[] = { r, small };
    expect_scan(c, coll, NULL, NULL, 0, both, 2, "scan with a large body");
    void *d = conn_open();
    expect_get(d, &r);
    conn_close(d);
    ck_assert_uint_eq(be_del(c, coll, "big"), 1);
    conn_close(c);
    drop(body);
}

START_TEST(test_body_of_1mib_round_trips_byte_exact)
{
    big_body_round_trip("body_1mib", (size_t)1 << 20, 0x1a2b3c4du);
}
END_TEST

START_TEST(test_body_of_max_size_round_trips_byte_exact)
{
    big_body_round_trip("body_max", PRIVACY_BODY_MAX, 0xfeedf00du);
}
END_TEST

START_TEST(test_index_keys_of_1_and_max_bytes_round_trip)
{
    char coll[COLL_BUF];
    coll_name(coll, "key_sizes");
    static const uint8_t zero[1] = { 0x00 }, one[1] = { 0x01 };
    uint8_t max[PRIVACY_INDEX_KEY_MAX], max2[PRIVACY_INDEX_KEY_MAX];
    fill_pattern(max, sizeof max, 0xff00ff00u);
    memcpy(max2, max, sizeof max);
    max2[0] ^= 0x80;
    void *c = conn_open();
    privacy_record v[] = {
        mk(coll, "k0", NULL, zero, 1, 1, 0, "0"),
        mk(coll, "k1", NULL, one, 1, 2, 0, "1"),
        mk(coll, "kmax", NULL, max, sizeof max, 3, 0, "max"),
        mk(coll, "kmax2", NULL, max2, sizeof max2, 4, 0, "max2"),
    };
    be_put_all(c, v, COUNT(v));
    for (size_t i = 0; i < COUNT(v); i++) {
        expect_get(c, &v[i]);
        expect_scan(c, coll, NULL, v[i].index_key, v[i].index_key_len, &v[i], 1,
                    "scan by a 1-byte or maximal index key");
    }
    conn_close(c);
}
END_TEST

START_TEST(test_ids_of_max_length_round_trip)
{
    char coll[COLL_BUF];
    coll_name(coll, "long_ids");
    /* Every printable ASCII byte but space ('\'', '"', '\\', '%', '_', ...). */
    char id[PRIVACY_RECORD_ID_MAX + 1], id_short[PRIVACY_RECORD_ID_MAX],
        subject[PRIVACY_RECORD_ID_MAX + 1];
    for (size_t i = 0; i < PRIVACY_RECORD_ID_MAX; i++) {
        id[i] = (char)(0x21 + i % 94);
        subject[i] = (char)(0x7e - i % 94);
    }
    id[PRIVACY_RECORD_ID_MAX] = '\0';
    subject[PRIVACY_RECORD_ID_MAX] = '\0';
    memcpy(id_short, id, PRIVACY_RECORD_ID_MAX - 1);
    id_short[PRIVACY_RECORD_ID_MAX - 1] = '\0';
    ck_assert_uint_eq(strlen(id), PRIVACY_RECORD_ID_MAX);
    void *c = conn_open();
    privacy_record r = mk(coll, id, subject, NULL, 0, 1, 0, "longest id");
    privacy_record s = mk(coll, id_short, NULL, NULL, 0, 2, 0, "one byte shorter");
    be_put(c, &r);
    be_put(c, &s);
    expect_get(c, &r);
    expect_get(c, &s);
    privacy_record both[] = { r, s };
    expect_scan(c, coll, NULL, NULL, 0, both, 2, "scan of maximal ids");
    expect_scan(c, coll, subject, NULL, 0, &r, 1, "scan by a maximal subject id");
    ck_assert_uint_eq(be_delete_subject(c, coll, subject), 1);
    expect_missing(c, coll, id);
    ck_assert_uint_eq(be_del(c, coll, id_short), 1);
    conn_close(c);
}
END_TEST

/* A collection name of PRIVACY_COLLECTION_MAX bytes. */
START_TEST(test_collection_name_of_max_length_round_trips)
{
    char coll[COLL_BUF];
    char name[TEST_NAME_MAX + 1];
    memset(name, 'x', TEST_NAME_MAX);
    name[TEST_NAME_MAX] = '\0';
    coll_name(coll, name);
    ck_assert_uint_eq(strlen(coll), PRIVACY_COLLECTION_MAX);
    void *c = conn_open();
    privacy_record r = mk(coll, "r", "sub_c", NULL, 0, 1, 2, "b");
    be_put(c, &r);
    expect_get(c, &r);
    expect_scan(c, coll, NULL, NULL, 0, &r, 1, "scan of a maximal collection name");
    ck_assert_uint_eq(be_purge(c, coll, 2), 1);
    conn_close(c);
}
END_TEST

/* ---- errmsg ---- */

static void expect_errmsg(void *conn, const char *after, int nonempty)
{
    const char *m = g_be->errmsg(conn);
    ck_assert_msg(m != NULL, "errmsg returned NULL after %s", after);
    ck_assert_msg(!nonempty || m[0] != '\0', "errmsg is empty after %s", after);
}

START_TEST(test_errmsg_never_null)
{
    char coll[COLL_BUF];
    coll_name(coll, "errmsg");
    void *c = conn_open();
    expect_errmsg(c, "open", 0);
    privacy_record r = mk(coll, "r", NULL, NULL, 0, 1, 0, "b");
    be_put(c, &r);
    expect_errmsg(c, "put", 0);
    reclist *l = reclist_new();
    int rc = g_be->get(c, coll, "missing", collect, l);
    ck_assert_int_eq(rc, PRIVACY_E_NOT_FOUND);
    expect_errmsg(c, "a get of a missing record", 1);
    rc = g_be->scan(c, coll, NULL, NULL, 0, collect, l);
    ck_assert_int_eq(rc, PRIVACY_OK);
    expect_errmsg(c, "scan", 0);
    be_begin(c);
    expect_errmsg(c, "begin", 0);
    be_rollback(c);
    expect_errmsg(c, "rollback", 0);
    ck_assert_uint_eq(be_del(c, coll, "r"), 1);
    expect_errmsg(c, "del", 0);
    conn_close(c);
}
END_TEST

/* ---- concurrency ---- */

enum { CC_THREADS = 2, CC_RECORDS = 200, CC_BATCH = 20, CC_TRIES = 100 };

typedef struct worker {
    int n;
    const char *coll;
    pthread_t thread;
    int rc;           /* PRIVACY_OK or the failure */
    const char *what; /* the failing call */
    char msg[PRIVACY_ERRMSG_MAX];
    int busy; /* transactions re-run after PRIVACY_E_BUSY */
} worker;

static void cc_id(char *buf, size_t len, int thread, int i)
{
    snprintf(buf, len, "t%d_%03d", thread, i);
}

static void cc_body(char *buf, size_t len, int thread, int i)
{
    snprintf(buf, len, "thread %d record %d", thread, i);
}

/* One transaction of CC_BATCH puts; rolled back after any failure. */
static int cc_batch(void *conn, worker *w, int first)
{
    int rc = g_be->begin(conn);
    if (rc != PRIVACY_OK) {
        w->what = "begin";
        return rc;
    }
    for (int i = first; i < first + CC_BATCH && rc == PRIVACY_OK; i++) {
        char id[32], body[64];
        cc_id(id, sizeof id, w->n, i);
        cc_body(body, sizeof body, w->n, i);
        privacy_record r = mk(w->coll, id, NULL, NULL, 0, i, 0, body);
        rc = g_be->put(conn, &r);
        w->what = "put";
    }
    if (rc == PRIVACY_OK) {
        rc = g_be->commit(conn);
        w->what = "commit";
    }
    if (rc != PRIVACY_OK) {
        snprintf(w->msg, sizeof w->msg, "%s", errmsg_of(conn));
        (void)g_be->rollback(conn);
    }
    return rc;
}

static void cc_sleep(uint32_t *seed)
{
    *seed ^= *seed << 13;
    *seed ^= *seed >> 17;
    *seed ^= *seed << 5;
    struct timespec ts = { 0, (long)(1000000 + *seed % 9000000) }; /* 1-10 ms */
    nanosleep(&ts, NULL);
}

/* A thread's work. No check assertion here: a failure is reported back. */
static void *cc_worker(void *arg)
{
    worker *w = arg;
    char errbuf[PRIVACY_ERRMSG_MAX];
    memset(errbuf, 0, sizeof errbuf);
    void *conn = NULL;
    w->rc = g_be->open(&conn, g_uri, errbuf, sizeof errbuf);
    if (w->rc != PRIVACY_OK) {
        w->what = "open";
        errbuf[sizeof errbuf - 1] = '\0';
        snprintf(w->msg, sizeof w->msg, "%s", errbuf);
        return NULL;
    }
    uint32_t seed = 0x9e3779b9u * (uint32_t)(w->n + 1);
    for (int first = 0; first < CC_RECORDS && w->rc == PRIVACY_OK; first += CC_BATCH) {
        int tries = 0;
        for (;;) {
            w->rc = cc_batch(conn, w, first);
            if (w->rc != PRIVACY_E_BUSY || ++tries == CC_TRIES)
                break;
            w->busy++;
            cc_sleep(&seed);
        }
    }
    g_be->close(conn);
    return NULL;
}

START_TEST(test_two_threads_commit_every_record_exactly_once)
{
    char coll[COLL_BUF];
    coll_name(coll, "threads");
    worker w[CC_THREADS];
    memset(w, 0, sizeof w);
    int started = 0;
    for (int t = 0; t < CC_THREADS; t++) {
        w[t].n = t;
        w[t].coll = coll;
        if (pthread_create(&w[t].thread, NULL, cc_worker, &w[t]) != 0)
            break;
        started++;
    }
    for (int t = 0; t < started; t++)
        pthread_join(w[t].thread, NULL);
    ck_assert_int_eq(started, CC_THREADS);
    for (int t = 0; t < CC_THREADS; t++)
        ck_assert_msg(w[t].rc == PRIVACY_OK,
                      "thread %d: %s: %d %s: %s (after %d busy re-runs; %d tries per transaction)",
                      t, w[t].what, w[t].rc, code_name(w[t].rc), w[t].msg, w[t].busy, CC_TRIES);

    void *c = conn_open();
    reclist *l = be_scan(c, coll, NULL, NULL, 0);
    int seen[CC_THREADS][CC_RECORDS];
    memset(seen, 0, sizeof seen);
    for (size_t i = 0; i < l->n; i++) {
        const rec *r = &l->v[i];
        int t = -1, k = -1;
        char tail;
        ck_assert_msg(sscanf(r->id, "t%d_%d%c", &t, &k, &tail) == 2 && t >= 0 &&
                          t < CC_THREADS && k >= 0 && k < CC_RECORDS,
                      "a record nobody wrote: '%.40s'", r->id);
        seen[t][k]++;
        char id[32], body[64];
        cc_id(id, sizeof id, t, k);
        cc_body(body, sizeof body, t, k);
        privacy_record want = mk(coll, id, NULL, NULL, 0, k, 0, body);
        expect_rec(r, &want, "record written by a thread", i);
    }
    for (int t = 0; t < CC_THREADS; t++)
        for (int k = 0; k < CC_RECORDS; k++)
            ck_assert_msg(seen[t][k] == 1, "record t%d_%03d is there %d times, want once", t, k,
                          seen[t][k]);
    ck_assert_uint_eq(l->n, CC_THREADS * CC_RECORDS);
    reclist_free(l);
    conn_close(c);
}
END_TEST

/* ---- the runner ---- */

static TCase *tcase(Suite *s, const char *name, int timeout)
{
    TCase *tc = tcase_create(name);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, timeout);
    suite_add_tcase(s, tc);
    return tc;
}

static Suite *conformance_suite(int vtable_ok)
{
    Suite *s = suite_create("backend-conformance");
    TCase *tc = tcase(s, "vtable", 10);
    tcase_add_test(tc, test_vtable_declares_a_known_version_and_every_member);
    if (!vtable_ok)
        return s; /* calling a NULL member would only crash */

    tc = tcase(s, "connection", 30);
    tcase_add_test(tc, test_open_close_and_several_connections_at_once);
    tcase_add_test(tc, test_errmsg_never_null);

    tc = tcase(s, "record", 30);
    tcase_add_test(tc, test_put_then_get_returns_every_field_exactly);
    tcase_add_test(tc, test_same_id_in_two_collections_is_two_records);
    tcase_add_test(tc, test_get_missing_id_returns_not_found);
    tcase_add_test(tc, test_put_twice_leaves_one_record);
    tcase_add_test(tc, test_put_replaces_body_and_every_field);
    tcase_add_test(tc, test_del_counts_one_then_zero);

    tc = tcase(s, "scan", 30);
    tcase_add_test(tc, test_scan_returns_whole_collection_and_no_other);
    tcase_add_test(tc, test_scan_orders_by_created_then_id);
    tcase_add_test(tc, test_scan_orders_id_ties_bytewise);
    tcase_add_test(tc, test_scan_by_subject_returns_only_that_subject);
    tcase_add_test(tc, test_scan_by_index_key_matches_exact_bytes);
    tcase_add_test(tc, test_scan_of_empty_collection_visits_nothing);
    tcase_add_test(tc, test_callback_nonzero_stops_the_visit_and_is_returned);

    tc = tcase(s, "transaction", 30);
    tcase_add_test(tc, test_rollback_leaves_nothing);
    tcase_add_test(tc, test_commit_lands_all_changes);
    tcase_add_test(tc, test_uncommitted_writes_invisible_to_other_connection);
    tcase_add_test(tc, test_close_rolls_back_open_transaction);
    tcase_add_test(tc, test_write_outside_transaction_is_visible_at_once);
    tcase_add_test(tc, test_rerun_of_committed_transaction_changes_nothing);

    tc = tcase(s, "delete", 30);
    tcase_add_test(tc, test_delete_subject_removes_only_that_subject);
    tcase_add_test(tc, test_purge_expired_boundary_and_collection);

    tc = tcase(s, "limits", 120);
    tcase_add_test(tc, test_empty_body_round_trips);
    tcase_add_test(tc, test_body_of_1mib_round_trips_byte_exact);
    tcase_add_test(tc, test_body_of_max_size_round_trips_byte_exact);
    tcase_add_test(tc, test_index_keys_of_1_and_max_bytes_round_trip);
    tcase_add_test(tc, test_ids_of_max_length_round_trip);
    tcase_add_test(tc, test_collection_name_of_max_length_round_trips);

    tc = tcase(s, "concurrency", 120);
    tcase_add_test(tc, test_two_threads_commit_every_record_exactly_once);
    return s;
}

int conformance_run(const privacy_backend *be, const char *uri)
{
    if (be == NULL || uri == NULL) {
        fprintf(stderr, "conformance_run: the backend and the URI must not be NULL\n");
        return 1;
    }
    g_be = be;
    g_uri = uri;
    make_run_id();
    char why[160] = "";
    int vtable_ok = vtable_problem(be, why, sizeof why) == 0;
    /* The URI is not printed: it may hold a password. */
    printf("backend conformance: collections conf_%s_*\n", g_run);
    fflush(stdout);
    SRunner *sr = srunner_create(conformance_suite(vtable_ok));
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    g_be = NULL;
    g_uri = NULL;
    return failed;
}
