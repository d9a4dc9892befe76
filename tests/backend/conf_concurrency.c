/*
 * The "concurrency" test case of the backend conformance suite: two
 * threads, each with its own connection, write records in transactions at
 * the same time and re-run a transaction after PRIVACY_E_BUSY as the
 * library does; afterwards every record is there exactly once, intact.
 *
 * The threads make no check assertion (a failed one would jump out of the
 * wrong thread): a worker reports its failure back, and the test asserts
 * after joining them.
 *
 * SPDX-License-Identifier: MIT
 */
#include "conf_internal.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

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
    int rc = conf_be->begin(conn);
    if (rc != PRIVACY_OK) {
        w->what = "begin";
        return rc;
    }
    for (int i = first; i < first + CC_BATCH && rc == PRIVACY_OK; i++) {
        char id[32], body[64];
        cc_id(id, sizeof id, w->n, i);
        cc_body(body, sizeof body, w->n, i);
        privacy_record r = conf_mk(w->coll, id, NULL, NULL, 0, i, 0, body);
        rc = conf_be->put(conn, &r);
        w->what = "put";
    }
    if (rc == PRIVACY_OK) {
        rc = conf_be->commit(conn);
        w->what = "commit";
    }
    if (rc != PRIVACY_OK) {
        snprintf(w->msg, sizeof w->msg, "%s", conf_errmsg_of(conn));
        (void)conf_be->rollback(conn);
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
    w->rc = conf_be->open(&conn, conf_uri, errbuf, sizeof errbuf);
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
    conf_be->close(conn);
    return NULL;
}

START_TEST(test_two_threads_commit_every_record_exactly_once)
{
    char coll[CONF_COLL_BUF];
    conf_coll_name(coll, "threads");
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
                      t, w[t].what, w[t].rc, conf_code_name(w[t].rc), w[t].msg, w[t].busy,
                      CC_TRIES);

    void *c = conf_conn_open();
    conf_reclist *l = conf_scan(c, coll, NULL, NULL, 0);
    int seen[CC_THREADS][CC_RECORDS];
    memset(seen, 0, sizeof seen);
    for (size_t i = 0; i < l->n; i++) {
        const conf_rec *r = &l->v[i];
        int t = -1, k = -1;
        char tail;
        ck_assert_msg(sscanf(r->id, "t%d_%d%c", &t, &k, &tail) == 2 && t >= 0 &&
                          t < CC_THREADS && k >= 0 && k < CC_RECORDS,
                      "a record nobody wrote: '%.40s'", r->id);
        seen[t][k]++;
        char id[32], body[64];
        cc_id(id, sizeof id, t, k);
        cc_body(body, sizeof body, t, k);
        privacy_record want = conf_mk(coll, id, NULL, NULL, 0, k, 0, body);
        conf_expect_rec(r, &want, "record written by a thread", i);
    }
    for (int t = 0; t < CC_THREADS; t++)
        for (int k = 0; k < CC_RECORDS; k++)
            ck_assert_msg(seen[t][k] == 1, "record t%d_%03d is there %d times, want once", t, k,
                          seen[t][k]);
    ck_assert_uint_eq(l->n, CC_THREADS * CC_RECORDS);
    conf_reclist_free(l);
    conf_conn_close(c);
}
END_TEST

void conf_add_concurrency_tests(TCase *tc)
{
    tcase_add_test(tc, test_two_threads_commit_every_record_exactly_once);
}
