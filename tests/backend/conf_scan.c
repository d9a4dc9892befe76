/*
 * The "scan" test case of the backend conformance suite: a scan visits the
 * records of one collection and no other (whole, by subject id, or by the
 * exact bytes of an index key) in (created, id) order with ids compared
 * byte by byte, and a callback returning non-zero stops the visit and is
 * what the call returns.
 *
 * Expected results are computed from the records put (conf_expected()),
 * and the order is also spelled out, so a wrong comparator cannot hide a
 * wrong order.
 *
 * SPDX-License-Identifier: MIT
 */
#include "conf_internal.h"

#include <stdint.h>
#include <string.h>

/* Filters for conf_expected(): what each kind of scan must visit. */

static int in_collection(const privacy_record *r, const void *coll)
{
    return strcmp(r->collection, coll) == 0;
}

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

START_TEST(test_scan_returns_whole_collection_and_no_other)
{
    /* Neighbours whose names share a prefix, or would match a LIKE pattern. */
    char coll[CONF_COLL_BUF], longer[CONF_COLL_BUF], shorter[CONF_COLL_BUF], wild[CONF_COLL_BUF];
    conf_coll_name(coll, "scan");
    conf_coll_name(longer, "scan2");
    conf_coll_name(shorter, "sca");
    conf_coll_name(wild, "scan-");
    static const uint8_t k[2] = { 0xab, 0xcd };
    void *c = conf_conn_open();
    privacy_record v[] = {
        conf_mk(coll, "r3", "sub_a", k, 2, 30, 0, "3"),
        conf_mk(coll, "r1", NULL, NULL, 0, 10, 0, "1"),
        conf_mk(longer, "x1", NULL, NULL, 0, 5, 0, "x"),
        conf_mk(coll, "r2", "sub_b", NULL, 0, 20, 9, "2"),
        conf_mk(shorter, "y1", "sub_a", k, 2, 15, 0, "y"),
        conf_mk(wild, "z1", NULL, NULL, 0, 25, 0, "z"),
        conf_mk(coll, "r4", NULL, k, 2, 40, 0, ""),
        conf_mk(longer, "r5", NULL, NULL, 0, 35, 0, "x"),
    };
    conf_put_all(c, v, CONF_COUNT(v));
    privacy_record want[CONF_COUNT(v)];
    const char *colls[] = { coll, longer, shorter, wild };
    for (size_t i = 0; i < CONF_COUNT(colls); i++) {
        size_t n = conf_expected(want, v, CONF_COUNT(v), in_collection, colls[i]);
        conf_expect_scan(c, colls[i], NULL, NULL, 0, want, n, "scan of a whole collection");
    }
    conf_conn_close(c);
}
END_TEST

START_TEST(test_scan_orders_by_created_then_id)
{
    char coll[CONF_COLL_BUF];
    conf_coll_name(coll, "order");
    static const uint8_t k[1] = { 7 };
    const char *s = "sub_order";
    void *c = conf_conn_open();
    /* Inserted out of order, with ties on created. */
    privacy_record v[] = {
        conf_mk(coll, "m", s, k, 1, 5, 0, "m"),       conf_mk(coll, "b", s, k, 1, 1000, 0, "b"),
        conf_mk(coll, "c", s, k, 1, 5, 0, "c"),       conf_mk(coll, "z", s, k, 1, 0, 0, "z"),
        conf_mk(coll, "a", s, k, 1, 5, 0, "a"),       conf_mk(coll, "k", s, k, 1, CONF_FAR, 0, "k"),
        conf_mk(coll, "y", s, k, 1, 1, 0, "y"),       conf_mk(coll, "d10", s, k, 1, 1000, 0, "d10"),
        conf_mk(coll, "d9", s, k, 1, 1000, 0, "d9"),  conf_mk(coll, "x", s, k, 1, CONF_NOW, 0, "x"),
        conf_mk(coll, "aa", s, k, 1, 5, 0, "aa"),     conf_mk(coll, "e", s, k, 1, 999, 0, "e"),
        conf_mk(coll, "d1", s, k, 1, 1000, 0, "d1"),  conf_mk(coll, "n", s, k, 1, 4, 0, "n"),
    };
    conf_put_all(c, v, CONF_COUNT(v));
    privacy_record want[CONF_COUNT(v)];
    size_t n = conf_expected(want, v, CONF_COUNT(v), NULL, NULL);
    /* Spell the order out too, so the comparator cannot hide a mistake. */
    static const char *const order[] = { "z", "y", "n", "a", "aa", "c", "m",
                                         "e", "b", "d1", "d10", "d9", "x", "k" };
    ck_assert_uint_eq(n, CONF_COUNT(order));
    for (size_t i = 0; i < n; i++)
        ck_assert_str_eq(want[i].id, order[i]);
    conf_expect_scan(c, coll, NULL, NULL, 0, want, n, "scan of the collection");
    conf_expect_scan(c, coll, s, NULL, 0, want, n, "scan by subject");
    conf_expect_scan(c, coll, NULL, k, 1, want, n, "scan by index key");
    conf_conn_close(c);
}
END_TEST

START_TEST(test_scan_orders_id_ties_bytewise)
{
    char coll[CONF_COLL_BUF];
    conf_coll_name(coll, "order_bytes");
    void *c = conf_conn_open();
    /* Ids compare as bytes (C/POSIX collation): '0' < 'B' < 'Z' < '_' < 'a' < '~'.
     * A locale-aware comparison would order these differently. */
    privacy_record v[] = {
        conf_mk(coll, "a", NULL, NULL, 0, 3, 0, "1"),
        conf_mk(coll, "_x", NULL, NULL, 0, 3, 0, "2"),
        conf_mk(coll, "B", NULL, NULL, 0, 3, 0, "3"),
        conf_mk(coll, "~", NULL, NULL, 0, 3, 0, "4"),
        conf_mk(coll, "Z", NULL, NULL, 0, 3, 0, "5"),
        conf_mk(coll, "0", NULL, NULL, 0, 3, 0, "6"),
        conf_mk(coll, "a-b", NULL, NULL, 0, 3, 0, "7"),
        conf_mk(coll, "aB", NULL, NULL, 0, 3, 0, "8"),
    };
    conf_put_all(c, v, CONF_COUNT(v));
    privacy_record want[CONF_COUNT(v)];
    size_t n = conf_expected(want, v, CONF_COUNT(v), NULL, NULL);
    static const char *const order[] = { "0", "B", "Z", "_x", "a", "a-b", "aB", "~" };
    ck_assert_uint_eq(n, CONF_COUNT(order));
    for (size_t i = 0; i < n; i++)
        ck_assert_str_eq(want[i].id, order[i]);
    conf_expect_scan(c, coll, NULL, NULL, 0, want, n, "scan with ties on created");
    conf_conn_close(c);
}
END_TEST

START_TEST(test_scan_by_subject_returns_only_that_subject)
{
    char coll[CONF_COLL_BUF], other[CONF_COLL_BUF];
    conf_coll_name(coll, "by_subject");
    conf_coll_name(other, "by_subject_other");
    void *c = conf_conn_open();
    privacy_record v[] = {
        conf_mk(coll, "s1c", "sub_1", NULL, 0, 30, 0, "1c"),
        conf_mk(coll, "s10", "sub_10", NULL, 0, 5, 0, "x"),
        conf_mk(coll, "s1a", "sub_1", NULL, 0, 10, 0, "1a"),
        conf_mk(coll, "n1", NULL, NULL, 0, 1, 0, "n"),
        conf_mk(coll, "s2a", "sub_2", NULL, 0, 10, 0, "2a"),
        conf_mk(coll, "s1b", "sub_1", NULL, 0, 10, 0, "1b"),
        conf_mk(coll, "s_", "sub_", NULL, 0, 11, 0, "_"),
        conf_mk(other, "o1", "sub_1", NULL, 0, 2, 0, "o"),
        conf_mk(coll, "s2b", "sub_2", NULL, 0, 40, 0, "2b"),
    };
    conf_put_all(c, v, CONF_COUNT(v));
    privacy_record want[CONF_COUNT(v)], in_coll[CONF_COUNT(v)];
    size_t m = conf_expected(in_coll, v, CONF_COUNT(v), in_collection, coll);
    const char *subjects[] = { "sub_1", "sub_10", "sub_2", "sub_" };
    for (size_t i = 0; i < CONF_COUNT(subjects); i++) {
        size_t n = conf_expected(want, in_coll, m, has_subject, subjects[i]);
        conf_expect_scan(c, coll, subjects[i], NULL, 0, want, n, "scan by subject");
    }
    size_t n = conf_expected(want, v, CONF_COUNT(v), in_collection, other);
    conf_expect_scan(c, other, "sub_1", NULL, 0, want, n,
                     "scan by subject in the other collection");
    conf_expect_scan(c, coll, "sub_unknown", NULL, 0, NULL, 0, "scan by an unknown subject");
    conf_conn_close(c);
}
END_TEST

START_TEST(test_scan_by_index_key_matches_exact_bytes)
{
    char coll[CONF_COLL_BUF], other[CONF_COLL_BUF];
    conf_coll_name(coll, "by_key");
    conf_coll_name(other, "by_key_other");
    uint8_t k1[32], prefix[16], longer[33], k2[32];
    for (size_t i = 0; i < sizeof k1; i++)
        k1[i] = (uint8_t)(i * 37 + 0xf0); /* starts 0xf0, holds 0x00 and non-UTF-8 bytes */
    k1[3] = 0x00;
    memcpy(prefix, k1, sizeof prefix);
    memcpy(longer, k1, sizeof k1);
    longer[32] = 0x00;
    memcpy(k2, k1, sizeof k1);
    k2[31] ^= 0x01;
    void *c = conf_conn_open();
    privacy_record v[] = {
        conf_mk(coll, "k1b", "sub_a", k1, sizeof k1, 20, 0, "1b"),
        conf_mk(coll, "pre", NULL, prefix, sizeof prefix, 10, 0, "p"),
        conf_mk(coll, "k1a", NULL, k1, sizeof k1, 20, 0, "1a"),
        conf_mk(coll, "lng", NULL, longer, sizeof longer, 5, 0, "l"),
        conf_mk(coll, "k2", NULL, k2, sizeof k2, 1, 0, "2"),
        conf_mk(coll, "none", "sub_a", NULL, 0, 1, 0, "n"),
        conf_mk(other, "o1", NULL, k1, sizeof k1, 1, 0, "o"),
        conf_mk(coll, "k1c", NULL, k1, sizeof k1, 3, 0, "1c"),
    };
    conf_put_all(c, v, CONF_COUNT(v));
    privacy_record want[CONF_COUNT(v)];
    const struct {
        const uint8_t *key;
        size_t len;
    } keys[] = { { k1, sizeof k1 }, { prefix, sizeof prefix }, { longer, sizeof longer },
                 { k2, sizeof k2 } };
    for (size_t i = 0; i < CONF_COUNT(keys); i++) {
        key_arg a = { coll, keys[i].key, keys[i].len };
        size_t n = conf_expected(want, v, CONF_COUNT(v), has_key, &a);
        ck_assert_uint_ge(n, 1);
        conf_expect_scan(c, coll, NULL, keys[i].key, keys[i].len, want, n, "scan by index key");
    }
    static const uint8_t unknown[32] = { 0 };
    conf_expect_scan(c, coll, NULL, unknown, sizeof unknown, NULL, 0, "scan by an unknown key");
    conf_conn_close(c);
}
END_TEST

START_TEST(test_scan_of_empty_collection_visits_nothing)
{
    char coll[CONF_COLL_BUF];
    conf_coll_name(coll, "never_written");
    void *c = conf_conn_open();
    conf_expect_scan(c, coll, NULL, NULL, 0, NULL, 0, "scan of an empty collection");
    conf_expect_scan(c, coll, "sub_x", NULL, 0, NULL, 0, "scan by subject of an empty collection");
    conf_expect_scan(c, coll, NULL, (const uint8_t *)"k", 1, NULL, 0,
                     "scan by key, empty collection");
    conf_conn_close(c);
}
END_TEST

/* Runs a scan (or get, when id is set) whose callback returns value at
 * call stop_at; checks the backend stops there and returns exactly value. */
static void expect_stop(void *conn, const char *coll, const char *subject, const char *id,
                        size_t stop_at, int value)
{
    conf_reclist *l = conf_reclist_new();
    l->stop_at = stop_at;
    l->stop_value = value;
    int rc = id != NULL ? conf_be->get(conn, coll, id, conf_collect, l)
                        : conf_be->scan(conn, coll, subject, NULL, 0, conf_collect, l);
    ck_assert_msg(rc == value, "%s whose callback returned %d: returned %d (%s)",
                  id != NULL ? "get" : "scan", value, rc, conf_errmsg_of(conn));
    ck_assert_msg(l->calls == stop_at,
                  "%s went on after its callback returned %d: %zu calls, want %zu",
                  id != NULL ? "get" : "scan", value, l->calls, stop_at);
    conf_assert_no_problem(l, "stopped visit");
    conf_reclist_free(l);
}

START_TEST(test_callback_nonzero_stops_the_visit_and_is_returned)
{
    char coll[CONF_COLL_BUF];
    conf_coll_name(coll, "stop");
    void *c = conf_conn_open();
    privacy_record v[] = {
        conf_mk(coll, "a", "sub_s", NULL, 0, 1, 0, "a"),
        conf_mk(coll, "b", "sub_s", NULL, 0, 2, 0, "b"),
        conf_mk(coll, "c", "sub_s", NULL, 0, 3, 0, "c"),
        conf_mk(coll, "d", "sub_s", NULL, 0, 4, 0, "d"),
        conf_mk(coll, "e", "sub_s", NULL, 0, 5, 0, "e"),
    };
    conf_put_all(c, v, CONF_COUNT(v));
    expect_stop(c, coll, NULL, NULL, 3, 42);
    expect_stop(c, coll, NULL, NULL, 1, -1000); /* not a status code: still returned as is */
    expect_stop(c, coll, NULL, NULL, 5, 1);
    expect_stop(c, coll, NULL, NULL, 2, PRIVACY_E_NOMEM);
    expect_stop(c, coll, "sub_s", NULL, 2, 7);
    expect_stop(c, coll, NULL, "c", 1, 99);
    /* A stopped visit leaves the connection usable, for reads and writes. */
    privacy_record f = conf_mk(coll, "f", "sub_s", NULL, 0, 6, 0, "f");
    conf_put(c, &f);
    conf_begin(c);
    expect_stop(c, coll, NULL, NULL, 1, 5);
    conf_put(c, &f);
    conf_commit(c);
    privacy_record all[CONF_COUNT(v) + 1];
    memcpy(all, v, sizeof v);
    all[CONF_COUNT(v)] = f;
    conf_expect_scan(c, coll, NULL, NULL, 0, all, CONF_COUNT(all), "scan after stopped visits");
    conf_conn_close(c);
}
END_TEST

void conf_add_scan_tests(TCase *tc)
{
    tcase_add_test(tc, test_scan_returns_whole_collection_and_no_other);
    tcase_add_test(tc, test_scan_orders_by_created_then_id);
    tcase_add_test(tc, test_scan_orders_id_ties_bytewise);
    tcase_add_test(tc, test_scan_by_subject_returns_only_that_subject);
    tcase_add_test(tc, test_scan_by_index_key_matches_exact_bytes);
    tcase_add_test(tc, test_scan_of_empty_collection_visits_nothing);
    tcase_add_test(tc, test_callback_nonzero_stops_the_visit_and_is_returned);
}
