/*
 * The "connection" test case of the backend conformance suite: several
 * connections open one store at once and see each other's writes, closing
 * one leaves the others working, an existing store opens again, and
 * errmsg() is never NULL (and not empty after a failure).
 *
 * SPDX-License-Identifier: MIT
 */
#include "conf_internal.h"

START_TEST(test_open_close_and_several_connections_at_once)
{
    void *a = conf_conn_open();
    ck_assert_ptr_nonnull(conf_be->errmsg(a));
    void *b = conf_conn_open();
    ck_assert_ptr_nonnull(conf_be->errmsg(b));
    ck_assert_msg(a != b, "two opens returned the same connection");
    char coll[CONF_COLL_BUF];
    conf_coll_name(coll, "open");
    privacy_record r = conf_mk(coll, "r", NULL, NULL, 0, 1, 0, "b");
    conf_put(a, &r);
    conf_expect_get(b, &r);
    conf_conn_close(b);
    /* Closing one connection leaves the other working. */
    conf_expect_get(a, &r);
    conf_conn_close(a);
    /* A store that exists already opens again. */
    void *c = conf_conn_open();
    conf_expect_get(c, &r);
    conf_conn_close(c);
}
END_TEST

static void expect_errmsg(void *conn, const char *after, int nonempty)
{
    const char *m = conf_be->errmsg(conn);
    ck_assert_msg(m != NULL, "errmsg returned NULL after %s", after);
    ck_assert_msg(!nonempty || m[0] != '\0', "errmsg is empty after %s", after);
}

START_TEST(test_errmsg_never_null)
{
    char coll[CONF_COLL_BUF];
    conf_coll_name(coll, "errmsg");
    void *c = conf_conn_open();
    expect_errmsg(c, "open", 0);
    privacy_record r = conf_mk(coll, "r", NULL, NULL, 0, 1, 0, "b");
    conf_put(c, &r);
    expect_errmsg(c, "put", 0);
    conf_reclist *l = conf_reclist_new();
    int rc = conf_be->get(c, coll, "missing", conf_collect, l);
    ck_assert_int_eq(rc, PRIVACY_E_NOT_FOUND);
    expect_errmsg(c, "a get of a missing record", 1);
    rc = conf_be->scan(c, coll, NULL, NULL, 0, conf_collect, l);
    ck_assert_int_eq(rc, PRIVACY_OK);
    expect_errmsg(c, "scan", 0);
    conf_begin(c);
    expect_errmsg(c, "begin", 0);
    conf_rollback(c);
    expect_errmsg(c, "rollback", 0);
    ck_assert_uint_eq(conf_del(c, coll, "r"), 1);
    expect_errmsg(c, "del", 0);
    conf_conn_close(c);
}
END_TEST

void conf_add_connection_tests(TCase *tc)
{
    tcase_add_test(tc, test_open_close_and_several_connections_at_once);
    tcase_add_test(tc, test_errmsg_never_null);
}
