/*
 * The "transaction" test case of the backend conformance suite: all of a
 * transaction lands on commit() and none of it on rollback() or close();
 * another connection sees none of it before commit() (a read there shows
 * the committed state or fails with PRIVACY_E_BUSY); outside a transaction
 * each call stands alone; and a committed transaction run again changes
 * nothing more, as the library's re-run after PRIVACY_E_BUSY needs.
 *
 * SPDX-License-Identifier: MIT
 */
#include "conf_internal.h"

#include <stdint.h>
#include <stdio.h>

START_TEST(test_rollback_leaves_nothing)
{
    char coll[CONF_COLL_BUF];
    conf_coll_name(coll, "rollback");
    void *c = conf_conn_open();
    privacy_record pre[] = {
        conf_mk(coll, "p_del", NULL, NULL, 0, 1, 0, "deleted, then rolled back"),
        conf_mk(coll, "p_sub", "sub_gone", NULL, 0, 2, 0, "subject deleted, then rolled back"),
        conf_mk(coll, "p_exp", NULL, NULL, 0, 3, 10, "purged, then rolled back"),
        conf_mk(coll, "p_rep", NULL, NULL, 0, 4, 0, "original"),
    };
    conf_put_all(c, pre, CONF_COUNT(pre));
    conf_begin(c);
    char ids[5][8];
    for (int i = 0; i < 5; i++) {
        snprintf(ids[i], sizeof ids[i], "new%d", i);
        privacy_record r = conf_mk(coll, ids[i], "sub_gone", NULL, 0, 100 + i, 0, "uncommitted");
        conf_put(c, &r);
    }
    privacy_record rep = conf_mk(coll, "p_rep", "sub_gone", NULL, 0, 5, 0, "replaced");
    conf_put(c, &rep);
    ck_assert_uint_eq(conf_del(c, coll, "p_del"), 1);
    ck_assert_uint_eq(conf_purge(c, coll, 10), 1);
    ck_assert_uint_eq(conf_delete_subject(c, coll, "sub_gone"), 7);
    conf_rollback(c);
    conf_expect_scan(c, coll, NULL, NULL, 0, pre, CONF_COUNT(pre), "scan after rollback");
    for (int i = 0; i < 5; i++)
        conf_expect_missing(c, coll, ids[i]);
    void *d = conf_conn_open();
    conf_expect_scan(d, coll, NULL, NULL, 0, pre, CONF_COUNT(pre),
                     "scan after rollback, other connection");
    conf_conn_close(d);
    /* The connection takes a new transaction after a rollback. */
    conf_begin(c);
    privacy_record after = conf_mk(coll, "after", NULL, NULL, 0, 50, 0, "after");
    conf_put(c, &after);
    conf_commit(c);
    conf_expect_get(c, &after);
    conf_conn_close(c);
}
END_TEST

START_TEST(test_commit_lands_all_changes)
{
    char coll[CONF_COLL_BUF];
    conf_coll_name(coll, "commit");
    void *c = conf_conn_open();
    privacy_record pre[] = {
        conf_mk(coll, "p_del", NULL, NULL, 0, 1, 0, "goes"),
        conf_mk(coll, "p_sub", "sub_gone", NULL, 0, 2, 0, "goes"),
        conf_mk(coll, "p_exp", NULL, NULL, 0, 3, 10, "goes"),
        conf_mk(coll, "p_keep", NULL, NULL, 0, 4, 11, "stays"),
    };
    conf_put_all(c, pre, CONF_COUNT(pre));
    privacy_record v[11];
    char ids[10][8];
    conf_begin(c);
    for (int i = 0; i < 10; i++) {
        snprintf(ids[i], sizeof ids[i], "n%02d", i);
        v[i] = conf_mk(coll, ids[i], (i & 1) ? "sub_odd" : NULL, NULL, 0, 100 - i, 0, "committed");
        conf_put(c, &v[i]);
    }
    ck_assert_uint_eq(conf_del(c, coll, "p_del"), 1);
    ck_assert_uint_eq(conf_delete_subject(c, coll, "sub_gone"), 1);
    ck_assert_uint_eq(conf_purge(c, coll, 10), 1);
    conf_commit(c);
    v[10] = pre[3];
    privacy_record want[CONF_COUNT(v)];
    size_t n = conf_expected(want, v, CONF_COUNT(v), NULL, NULL);
    conf_expect_scan(c, coll, NULL, NULL, 0, want, n, "scan after commit");
    void *d = conf_conn_open();
    conf_expect_scan(d, coll, NULL, NULL, 0, want, n, "scan after commit, other connection");
    conf_conn_close(d);
    conf_conn_close(c);
}
END_TEST

/* While another connection holds uncommitted changes, a read must show the
 * committed state or fail with PRIVACY_E_BUSY. */
static void expect_get_old(void *conn, const char *coll, const char *id,
                           const privacy_record *old)
{
    conf_reclist *l = conf_reclist_new();
    int rc = conf_be->get(conn, coll, id, conf_collect, l);
    if (rc != PRIVACY_E_BUSY) {
        if (old == NULL) {
            ck_assert_msg(rc == PRIVACY_E_NOT_FOUND,
                          "get of '%s' while another connection's insert is uncommitted: %d %s, "
                          "want NOT_FOUND or BUSY",
                          id, rc, conf_code_name(rc));
        } else {
            ck_assert_msg(rc == PRIVACY_OK,
                          "get of '%s' while another connection's change is uncommitted: %d %s: %s",
                          id, rc, conf_code_name(rc), conf_errmsg_of(conn));
            conf_assert_no_problem(l, "get");
            conf_expect_records(l, old, 1, "get while another connection's change is uncommitted");
        }
    }
    conf_reclist_free(l);
}

static void expect_scan_old(void *conn, const char *coll, const char *subject,
                            const privacy_record *old, size_t n)
{
    conf_reclist *l = conf_reclist_new();
    int rc = conf_be->scan(conn, coll, subject, NULL, 0, conf_collect, l);
    if (rc != PRIVACY_E_BUSY) {
        ck_assert_msg(rc == PRIVACY_OK,
                      "scan while another connection's change is uncommitted: %d %s: %s", rc,
                      conf_code_name(rc), conf_errmsg_of(conn));
        conf_assert_no_problem(l, "scan");
        conf_expect_records(l, old, n, "scan while another connection's change is uncommitted");
    }
    conf_reclist_free(l);
}

START_TEST(test_uncommitted_writes_invisible_to_other_connection)
{
    char coll[CONF_COLL_BUF];
    conf_coll_name(coll, "isolation");
    void *a = conf_conn_open();
    void *b = conf_conn_open();
    privacy_record old = conf_mk(coll, "old", "sub_i", NULL, 0, 1, 0, "v1");
    conf_put(a, &old);
    conf_expect_get(b, &old);

    conf_begin(a);
    privacy_record neu = conf_mk(coll, "new", "sub_i", NULL, 0, 2, 0, "uncommitted insert");
    privacy_record old2 = conf_mk(coll, "old", "sub_i", NULL, 0, 1, 0, "v2 (uncommitted)");
    conf_put(a, &neu);
    conf_put(a, &old2);
    expect_get_old(b, coll, "new", NULL);
    expect_get_old(b, coll, "old", &old);
    expect_scan_old(b, coll, NULL, &old, 1);
    expect_scan_old(b, coll, "sub_i", &old, 1);
    conf_commit(a);
    conf_expect_get(b, &neu);
    conf_expect_get(b, &old2);

    /* An uncommitted delete is invisible too. */
    conf_begin(a);
    ck_assert_uint_eq(conf_del(a, coll, "old"), 1);
    ck_assert_uint_eq(conf_delete_subject(a, coll, "sub_i"), 1);
    expect_get_old(b, coll, "old", &old2);
    expect_get_old(b, coll, "new", &neu);
    conf_rollback(a);
    conf_expect_get(b, &old2);
    conf_expect_get(b, &neu);
    conf_conn_close(b);
    conf_conn_close(a);
}
END_TEST

START_TEST(test_close_rolls_back_open_transaction)
{
    char coll[CONF_COLL_BUF];
    conf_coll_name(coll, "close_rollback");
    void *a = conf_conn_open();
    privacy_record kept = conf_mk(coll, "kept", NULL, NULL, 0, 1, 0, "kept");
    conf_put(a, &kept);
    conf_begin(a);
    privacy_record r = conf_mk(coll, "lost", NULL, NULL, 0, 2, 0, "never committed");
    conf_put(a, &r);
    ck_assert_uint_eq(conf_del(a, coll, "kept"), 1);
    conf_conn_close(a);
    void *b = conf_conn_open();
    conf_expect_missing(b, coll, "lost");
    conf_expect_get(b, &kept);
    /* The lock, if any, went with the connection: b can write. */
    conf_begin(b);
    conf_put(b, &r);
    conf_commit(b);
    conf_expect_get(b, &r);
    conf_conn_close(b);
}
END_TEST

START_TEST(test_write_outside_transaction_is_visible_at_once)
{
    char coll[CONF_COLL_BUF];
    conf_coll_name(coll, "autocommit");
    void *a = conf_conn_open();
    void *b = conf_conn_open();
    privacy_record r = conf_mk(coll, "r", "sub_auto", NULL, 0, 1, 5, "standalone");
    conf_put(a, &r);
    conf_expect_get(b, &r);
    ck_assert_uint_eq(conf_del(a, coll, "r"), 1);
    conf_expect_missing(b, coll, "r");
    conf_put(a, &r);
    ck_assert_uint_eq(conf_delete_subject(a, coll, "sub_auto"), 1);
    conf_expect_missing(b, coll, "r");
    conf_put(a, &r);
    ck_assert_uint_eq(conf_purge(a, coll, 5), 1);
    conf_expect_missing(b, coll, "r");
    conf_conn_close(b);
    conf_conn_close(a);
}
END_TEST

typedef struct rerun_counts {
    uint64_t del, subject, purged;
} rerun_counts;

/* One transaction as the store would re-run it: every value fixed beforehand. */
static rerun_counts rerun_tx(void *conn, const char *coll)
{
    rerun_counts n;
    conf_begin(conn);
    privacy_record a = conf_mk(coll, "a", "sub_keep", NULL, 0, 1, 0, "a");
    privacy_record b = conf_mk(coll, "b", NULL, (const uint8_t *)"kb", 2, 2, CONF_NOW + 1, "b");
    conf_put(conn, &a);
    conf_put(conn, &b);
    n.del = conf_del(conn, coll, "p_del");
    n.subject = conf_delete_subject(conn, coll, "sub_gone");
    n.purged = conf_purge(conn, coll, CONF_NOW);
    conf_commit(conn);
    return n;
}

START_TEST(test_rerun_of_committed_transaction_changes_nothing)
{
    char coll[CONF_COLL_BUF];
    conf_coll_name(coll, "rerun");
    void *c = conf_conn_open();
    privacy_record pre[] = {
        conf_mk(coll, "p_del", NULL, NULL, 0, 1, 0, "x"),
        conf_mk(coll, "p_sub1", "sub_gone", NULL, 0, 1, 0, "x"),
        conf_mk(coll, "p_sub2", "sub_gone", NULL, 0, 1, 0, "x"),
        conf_mk(coll, "p_exp", NULL, NULL, 0, 1, CONF_NOW, "x"),
    };
    conf_put_all(c, pre, CONF_COUNT(pre));
    rerun_counts first = rerun_tx(c, coll);
    ck_assert_uint_eq(first.del, 1);
    ck_assert_uint_eq(first.subject, 2);
    ck_assert_uint_eq(first.purged, 1);
    privacy_record want[] = {
        conf_mk(coll, "a", "sub_keep", NULL, 0, 1, 0, "a"),
        conf_mk(coll, "b", NULL, (const uint8_t *)"kb", 2, 2, CONF_NOW + 1, "b"),
    };
    conf_expect_scan(c, coll, NULL, NULL, 0, want, CONF_COUNT(want), "scan after the transaction");
    rerun_counts second = rerun_tx(c, coll);
    ck_assert_uint_eq(second.del, 0);
    ck_assert_uint_eq(second.subject, 0);
    ck_assert_uint_eq(second.purged, 0);
    conf_expect_scan(c, coll, NULL, NULL, 0, want, CONF_COUNT(want), "scan after the re-run");
    conf_conn_close(c);
}
END_TEST

void conf_add_transaction_tests(TCase *tc)
{
    tcase_add_test(tc, test_rollback_leaves_nothing);
    tcase_add_test(tc, test_commit_lands_all_changes);
    tcase_add_test(tc, test_uncommitted_writes_invisible_to_other_connection);
    tcase_add_test(tc, test_close_rolls_back_open_transaction);
    tcase_add_test(tc, test_write_outside_transaction_is_visible_at_once);
    tcase_add_test(tc, test_rerun_of_committed_transaction_changes_nothing);
}
