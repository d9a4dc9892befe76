/*
 * The backend conformance suite's fixture machinery, shared by its test
 * files and declared in conf_internal.h (which says why tests hold what
 * they take): what a test holds and the collections it writes, released
 * and emptied by the teardown; copies of the records a backend hands back;
 * calls that must succeed; comparisons naming the field that differs.
 *
 * Only <privacy/backend.h>, libc and check are used.
 *
 * SPDX-License-Identifier: MIT
 */
#include "conf_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the backend's answers in words ---- */

const char *conf_code_name(int rc)
{
    static const char *const names[] = {
        "PRIVACY_OK",           "PRIVACY_E_INVALID",   "PRIVACY_E_NOMEM",
        "PRIVACY_E_NOT_FOUND",  "PRIVACY_E_EXISTS",    "PRIVACY_E_DENIED",
        "PRIVACY_E_NO_CONSENT", "PRIVACY_E_CRYPTO",    "PRIVACY_E_INTEGRITY",
        "PRIVACY_E_EXPIRED",    "PRIVACY_E_REVOKED",   "PRIVACY_E_STORAGE",
        "PRIVACY_E_BUSY",       "PRIVACY_E_VERSION",   "PRIVACY_E_POLICY",
        "PRIVACY_E_CARD_DATA",  "PRIVACY_E_UNVERIFIED", "PRIVACY_E_MISUSE",
        "PRIVACY_E_INTERNAL",   "PRIVACY_E_ABORTED",
    };
    _Static_assert(sizeof names / sizeof names[0] == 1 - PRIVACY_E_ABORTED,
                   "one name per status code");
    if (rc <= PRIVACY_OK && rc >= PRIVACY_E_ABORTED)
        return names[-rc];
    return "not a status code";
}

const char *conf_errmsg_of(void *conn)
{
    const char *m = conf_be->errmsg(conn);
    return m != NULL ? m : "(errmsg returned NULL)";
}

/* ---- the collections the running test writes, emptied by its teardown ---- */

enum { MAX_COLLS = 8 };
static char g_colls[MAX_COLLS][CONF_COLL_BUF];
static size_t g_ncolls;

const char *conf_coll_name(char *buf, const char *name)
{
    ck_assert_msg(strlen(name) <= CONF_TEST_NAME_MAX, "suite bug: collection name '%s' too long",
                  name);
    ck_assert_msg(g_ncolls < MAX_COLLS, "suite bug: more than %d collections in a test", MAX_COLLS);
    snprintf(buf, CONF_COLL_BUF, "conf_%s_%s", conf_run_id, name);
    memcpy(g_colls[g_ncolls++], buf, CONF_COLL_BUF);
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

void conf_drop(void *p)
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

void conf_setup(void)
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
    if (conf_be->open(&conn, conf_uri, errbuf, sizeof errbuf) != PRIVACY_OK)
        return;
    for (size_t i = 0; i < g_ncolls; i++) {
        id_list l = { NULL, 0, 0 };
        (void)conf_be->scan(conn, g_colls[i], NULL, NULL, 0, collect_id, &l);
        int in_tx = l.n > 1 && conf_be->begin(conn) == PRIVACY_OK;
        for (size_t k = 0; k < l.n; k++) {
            (void)conf_be->del(conn, g_colls[i], l.v[k], NULL);
            free(l.v[k]);
        }
        free(l.v);
        if (in_tx && conf_be->commit(conn) != PRIVACY_OK)
            (void)conf_be->rollback(conn);
    }
    conf_be->close(conn);
    g_ncolls = 0;
}

void conf_teardown(void)
{
    /* Connections first: closing one rolls back its open transaction. */
    while (g_nheld > 0) {
        held h = g_held[--g_nheld];
        h.release(h.p);
    }
    empty_collections();
}

void *conf_xmalloc(size_t n)
{
    void *p = malloc(n != 0 ? n : 1);
    ck_assert_msg(p != NULL, "suite: out of memory (%zu bytes)", n);
    hold(free, p);
    return p;
}

/* ---- connections ---- */

static void close_conn(void *conn)
{
    conf_be->close(conn);
}

void *conf_conn_open(void)
{
    char errbuf[512];
    memset(errbuf, 0, sizeof errbuf);
    void *conn = NULL;
    int rc = conf_be->open(&conn, conf_uri, errbuf, sizeof errbuf);
    errbuf[sizeof errbuf - 1] = '\0';
    ck_assert_msg(rc == PRIVACY_OK, "open: %d %s: %s", rc, conf_code_name(rc), errbuf);
    ck_assert_msg(conn != NULL, "open returned PRIVACY_OK but no connection");
    hold(close_conn, conn);
    return conn;
}

void conf_conn_close(void *conn)
{
    conf_drop(conn);
}

/* ---- records the backend hands back, copied ---- */

static void rec_clear(conf_rec *r)
{
    free(r->collection);
    free(r->id);
    free(r->subject_id);
    free(r->index_key);
    free(r->body);
}

static void reclist_release(void *p)
{
    conf_reclist *l = p;
    for (size_t i = 0; i < l->n; i++)
        rec_clear(&l->v[i]);
    free(l->v);
    free(l);
}

conf_reclist *conf_reclist_new(void)
{
    conf_reclist *l = calloc(1, sizeof *l);
    ck_assert_msg(l != NULL, "suite: out of memory");
    hold(reclist_release, l);
    return l;
}

void conf_reclist_free(conf_reclist *l)
{
    conf_drop(l);
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

static void problem(conf_reclist *l, const char *what)
{
    if (l->problem[0] == '\0')
        snprintf(l->problem, sizeof l->problem, "record %zu: %s", l->calls, what);
}

int conf_collect(void *userdata, const privacy_record *r)
{
    conf_reclist *l = userdata;
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
            conf_rec *v = realloc(l->v, cap * sizeof *v);
            if (v == NULL) {
                problem(l, "suite: out of memory");
                goto out;
            }
            l->v = v;
            l->cap = cap;
        }
        conf_rec *c = &l->v[l->n];
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

privacy_record conf_mk(const char *coll, const char *id, const char *subject,
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

void conf_put(void *conn, const privacy_record *r)
{
    int rc = conf_be->put(conn, r);
    ck_assert_msg(rc == PRIVACY_OK, "put(%s, %.40s): %d %s: %s", r->collection, r->id, rc,
                  conf_code_name(rc), conf_errmsg_of(conn));
}

void conf_put_all(void *conn, const privacy_record *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        conf_put(conn, &v[i]);
}

void conf_begin(void *conn)
{
    int rc = conf_be->begin(conn);
    ck_assert_msg(rc == PRIVACY_OK, "begin: %d %s: %s", rc, conf_code_name(rc),
                  conf_errmsg_of(conn));
}

void conf_commit(void *conn)
{
    int rc = conf_be->commit(conn);
    ck_assert_msg(rc == PRIVACY_OK, "commit: %d %s: %s", rc, conf_code_name(rc),
                  conf_errmsg_of(conn));
}

void conf_rollback(void *conn)
{
    int rc = conf_be->rollback(conn);
    ck_assert_msg(rc == PRIVACY_OK, "rollback: %d %s: %s", rc, conf_code_name(rc),
                  conf_errmsg_of(conn));
}

/* A count the backend must overwrite. */
static const uint64_t UNSET = UINT64_C(0xdeadbeefdeadbeef);

uint64_t conf_del(void *conn, const char *coll, const char *id)
{
    uint64_t n = UNSET;
    int rc = conf_be->del(conn, coll, id, &n);
    ck_assert_msg(rc == PRIVACY_OK, "del(%s, %.40s): %d %s: %s", coll, id, rc, conf_code_name(rc),
                  conf_errmsg_of(conn));
    ck_assert_msg(n != UNSET, "del(%s, %.40s) did not set *deleted", coll, id);
    return n;
}

uint64_t conf_delete_subject(void *conn, const char *coll, const char *subject)
{
    uint64_t n = UNSET;
    int rc = conf_be->delete_subject(conn, coll, subject, &n);
    ck_assert_msg(rc == PRIVACY_OK, "delete_subject(%s, %.40s): %d %s: %s", coll, subject, rc,
                  conf_code_name(rc), conf_errmsg_of(conn));
    ck_assert_msg(n != UNSET, "delete_subject(%s, %.40s) did not set *deleted", coll, subject);
    return n;
}

uint64_t conf_purge(void *conn, const char *coll, int64_t now)
{
    uint64_t n = UNSET;
    int rc = conf_be->purge_expired(conn, coll, now, &n);
    ck_assert_msg(rc == PRIVACY_OK, "purge_expired(%s, %" PRId64 "): %d %s: %s", coll, now, rc,
                  conf_code_name(rc), conf_errmsg_of(conn));
    ck_assert_msg(n != UNSET, "purge_expired(%s) did not set *purged", coll);
    return n;
}

void conf_assert_no_problem(const conf_reclist *l, const char *call)
{
    ck_assert_msg(l->problem[0] == '\0', "%s: %s", call, l->problem);
    ck_assert_msg(l->calls == l->n, "%s: %zu callbacks but %zu records copied", call, l->calls,
                  l->n);
}

conf_reclist *conf_scan(void *conn, const char *coll, const char *subject, const uint8_t *key,
                        size_t key_len)
{
    conf_reclist *l = conf_reclist_new();
    int rc = conf_be->scan(conn, coll, subject, key, key_len, conf_collect, l);
    ck_assert_msg(rc == PRIVACY_OK, "scan(%s): %d %s: %s", coll, rc, conf_code_name(rc),
                  conf_errmsg_of(conn));
    conf_assert_no_problem(l, "scan");
    return l;
}

static conf_reclist *get_one(void *conn, const char *coll, const char *id)
{
    conf_reclist *l = conf_reclist_new();
    int rc = conf_be->get(conn, coll, id, conf_collect, l);
    ck_assert_msg(rc == PRIVACY_OK, "get(%s, %.40s): %d %s: %s", coll, id, rc, conf_code_name(rc),
                  conf_errmsg_of(conn));
    conf_assert_no_problem(l, "get");
    ck_assert_msg(l->n == 1, "get(%s, %.40s) called back %zu times, want 1", coll, id, l->n);
    return l;
}

void conf_expect_missing(void *conn, const char *coll, const char *id)
{
    conf_reclist *l = conf_reclist_new();
    int rc = conf_be->get(conn, coll, id, conf_collect, l);
    ck_assert_msg(rc == PRIVACY_E_NOT_FOUND, "get(%s, %.40s) of a missing record: %d %s, want %s",
                  coll, id, rc, conf_code_name(rc), conf_code_name(PRIVACY_E_NOT_FOUND));
    ck_assert_msg(l->calls == 0, "get(%s, %.40s) of a missing record called back %zu times",
                  coll, id, l->calls);
    conf_reclist_free(l);
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

void conf_expect_rec(const conf_rec *g, const privacy_record *w, const char *what, size_t i)
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

void conf_expect_records(const conf_reclist *got, const privacy_record *want, size_t n,
                         const char *what)
{
    for (size_t i = 0; i < got->n && i < n; i++)
        conf_expect_rec(&got->v[i], &want[i], what, i);
    ck_assert_msg(got->n == n, "%s: %zu records, want %zu (first extra: '%.40s')", what, got->n, n,
                  got->n > n ? got->v[n].id : "-");
}

void conf_expect_scan(void *conn, const char *coll, const char *subject, const uint8_t *key,
                      size_t key_len, const privacy_record *want, size_t n, const char *what)
{
    conf_reclist *l = conf_scan(conn, coll, subject, key, key_len);
    conf_expect_records(l, want, n, what);
    conf_reclist_free(l);
}

void conf_expect_get(void *conn, const privacy_record *want)
{
    conf_reclist *l = get_one(conn, want->collection, want->id);
    conf_expect_records(l, want, 1, "get");
    conf_reclist_free(l);
}

/* The contract's order: created, then id byte by byte. */
static int by_created_id(const void *a, const void *b)
{
    const privacy_record *x = a, *y = b;
    if (x->created != y->created)
        return x->created < y->created ? -1 : 1;
    return strcmp(x->id, y->id);
}

size_t conf_expected(privacy_record *out, const privacy_record *v, size_t n,
                     int (*keep)(const privacy_record *, const void *), const void *arg)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (keep == NULL || keep(&v[i], arg))
            out[m++] = v[i];
    qsort(out, m, sizeof *out, by_created_id);
    return m;
}

void conf_fill_pattern(uint8_t *p, size_t n, uint32_t seed)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t word = (uint32_t)(i & ~(size_t)3) ^ seed;
        p[i] = (uint8_t)(word >> (8 * (i & 3)));
    }
}

