/*
 * The "record" test case of the backend conformance suite: put() and get()
 * of single records. Every field round-trips exactly (NULLs as NULLs,
 * binary bytes as bytes), (collection, id) is the identity, put() inserts
 * or replaces the whole record, get() of a missing id is
 * PRIVACY_E_NOT_FOUND, and del() counts 1 then 0.
 *
 * SPDX-License-Identifier: MIT
 */
#include "conf_internal.h"

#include <stdint.h>
#include <string.h>

/* ---- put and get ---- */

START_TEST(test_put_then_get_returns_every_field_exactly)
{
    char coll[CONF_COLL_BUF];
    conf_coll_name(coll, "fields");
    static const uint8_t key32[32] = { 0x00, 0x01, 0xff, 0x80, 0x7f, 0x00, 0xc3, 0x28, 0x10,
                                       0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19,
                                       0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0xa0, 0xa1, 0xa2,
                                       0xa3, 0xa4, 0xa5, 0xa6, 0x00 };
    static const uint8_t key3[3] = { 'k', 0x00, 'y' };
    static const uint8_t bin[8] = { 0x00, 0x01, 0xfe, 0xff, 0x00, '\'', '"', 0x00 };
    uint8_t *b300 = conf_xmalloc(300);
    conf_fill_pattern(b300, 300, 0x5eed0001u);
    void *c = conf_conn_open();
    privacy_record v[] = {
        conf_mk(coll, "plain", NULL, NULL, 0, 0, 0, NULL),
        conf_mk(coll, "full", "sub_0123456789abcdef", key32, sizeof key32,
                INT64_C(1700000000123456), INT64_C(1800000000654321), NULL),
        conf_mk(coll, "subject-only", "sub_x", NULL, 0, 42, CONF_FAR, NULL),
        conf_mk(coll, "key-only", NULL, key3, sizeof key3, CONF_FAR, 0, NULL),
    };
    v[0].body = bin;
    v[0].body_len = sizeof bin;
    v[1].body = b300;
    v[1].body_len = 300;
    v[2].body = (const uint8_t *)"{\"json\": \"body\"}";
    v[2].body_len = strlen((const char *)v[2].body);
    v[3].body = bin + 1;
    v[3].body_len = 1;
    conf_put_all(c, v, CONF_COUNT(v));
    for (size_t i = 0; i < CONF_COUNT(v); i++)
        conf_expect_get(c, &v[i]);
    /* And the same from a connection that did not write them. */
    void *d = conf_conn_open();
    for (size_t i = 0; i < CONF_COUNT(v); i++)
        conf_expect_get(d, &v[i]);
    conf_conn_close(d);
    conf_conn_close(c);
}
END_TEST

START_TEST(test_same_id_in_two_collections_is_two_records)
{
    char c1[CONF_COLL_BUF], c2[CONF_COLL_BUF];
    conf_coll_name(c1, "twin_a");
    conf_coll_name(c2, "twin_b");
    void *c = conf_conn_open();
    privacy_record a = conf_mk(c1, "same", "sub_a", NULL, 0, 1, 0, "in a");
    privacy_record b = conf_mk(c2, "same", "sub_b", NULL, 0, 2, 5, "in b, longer");
    conf_put(c, &a);
    conf_put(c, &b);
    conf_expect_get(c, &a);
    conf_expect_get(c, &b);
    ck_assert_uint_eq(conf_del(c, c1, "same"), 1);
    conf_expect_missing(c, c1, "same");
    conf_expect_get(c, &b);
    conf_conn_close(c);
}
END_TEST

START_TEST(test_get_missing_id_returns_not_found)
{
    char coll[CONF_COLL_BUF], empty[CONF_COLL_BUF];
    conf_coll_name(coll, "missing");
    conf_coll_name(empty, "missing_never_written");
    void *c = conf_conn_open();
    privacy_record r = conf_mk(coll, "present", NULL, NULL, 0, 1, 0, "x");
    conf_put(c, &r);
    conf_expect_missing(c, coll, "absent");
    conf_expect_missing(c, coll, "presen");   /* a prefix of an id */
    conf_expect_missing(c, coll, "present2"); /* an id it is a prefix of */
    conf_expect_missing(c, empty, "present");
    conf_expect_get(c, &r);
    conf_conn_close(c);
}
END_TEST

START_TEST(test_put_twice_leaves_one_record)
{
    char coll[CONF_COLL_BUF];
    conf_coll_name(coll, "put_twice");
    void *c = conf_conn_open();
    privacy_record r = conf_mk(coll, "once", "sub_1", (const uint8_t *)"k", 1, 7, CONF_NOW, "body");
    conf_put(c, &r);
    conf_put(c, &r);
    conf_expect_scan(c, coll, NULL, NULL, 0, &r, 1, "scan after two identical puts");
    conf_expect_scan(c, coll, "sub_1", NULL, 0, &r, 1, "scan by subject after two identical puts");
    conf_expect_scan(c, coll, NULL, (const uint8_t *)"k", 1, &r, 1, "scan by key after two puts");
    conf_expect_get(c, &r);
    conf_conn_close(c);
}
END_TEST

START_TEST(test_put_replaces_body_and_every_field)
{
    char coll[CONF_COLL_BUF];
    conf_coll_name(coll, "replace");
    static const uint8_t k1[4] = { 1, 2, 3, 4 }, k2[4] = { 5, 6, 7, 8 };
    void *c = conf_conn_open();
    privacy_record old = conf_mk(coll, "r", "sub_old", k1, sizeof k1, 10, 100, "old body");
    privacy_record neu =
        conf_mk(coll, "r", "sub_new", k2, sizeof k2, 20, 0, "a new and longer body");
    conf_put(c, &old);
    conf_put(c, &neu);
    conf_expect_get(c, &neu);
    conf_expect_scan(c, coll, NULL, NULL, 0, &neu, 1, "scan after replace");
    conf_expect_scan(c, coll, "sub_old", NULL, 0, NULL, 0, "scan by the replaced subject");
    conf_expect_scan(c, coll, "sub_new", NULL, 0, &neu, 1, "scan by the new subject");
    conf_expect_scan(c, coll, NULL, k1, sizeof k1, NULL, 0, "scan by the replaced index key");
    conf_expect_scan(c, coll, NULL, k2, sizeof k2, &neu, 1, "scan by the new index key");
    /* expires went from 100 to 0 (never): nothing to purge. */
    ck_assert_uint_eq(conf_purge(c, coll, CONF_NOW), 0);
    conf_expect_get(c, &neu);
    /* A shorter body replaces a longer one whole; NULLs replace values. */
    privacy_record shorter = conf_mk(coll, "r", NULL, NULL, 0, 30, 50, "s");
    conf_put(c, &shorter);
    conf_expect_get(c, &shorter);
    conf_expect_scan(c, coll, "sub_new", NULL, 0, NULL, 0, "scan by a subject replaced by NULL");
    conf_expect_scan(c, coll, NULL, k2, sizeof k2, NULL, 0, "scan by a key replaced by NULL");
    ck_assert_uint_eq(conf_purge(c, coll, 50), 1);
    conf_expect_missing(c, coll, "r");
    conf_conn_close(c);
}
END_TEST

/* ---- del ---- */

START_TEST(test_del_counts_one_then_zero)
{
    char coll[CONF_COLL_BUF], other[CONF_COLL_BUF];
    conf_coll_name(coll, "del");
    conf_coll_name(other, "del_other");
    void *c = conf_conn_open();
    privacy_record a = conf_mk(coll, "a", NULL, NULL, 0, 1, 0, "a");
    privacy_record b = conf_mk(coll, "b", NULL, NULL, 0, 2, 0, "b");
    privacy_record a2 = conf_mk(other, "a", NULL, NULL, 0, 1, 0, "other a");
    conf_put(c, &a);
    conf_put(c, &b);
    conf_put(c, &a2);
    ck_assert_uint_eq(conf_del(c, coll, "a"), 1);
    conf_expect_missing(c, coll, "a");
    ck_assert_uint_eq(conf_del(c, coll, "a"), 0);
    ck_assert_uint_eq(conf_del(c, coll, "never-there"), 0);
    /* deleted may be NULL. */
    int rc = conf_be->del(c, coll, "b", NULL);
    ck_assert_msg(rc == PRIVACY_OK, "del with deleted == NULL: %d %s: %s", rc, conf_code_name(rc),
                  conf_errmsg_of(c));
    conf_expect_missing(c, coll, "b");
    conf_expect_scan(c, coll, NULL, NULL, 0, NULL, 0, "scan after deleting everything");
    conf_expect_get(c, &a2);
    conf_conn_close(c);
}
END_TEST

void conf_add_record_tests(TCase *tc)
{
    tcase_add_test(tc, test_put_then_get_returns_every_field_exactly);
    tcase_add_test(tc, test_same_id_in_two_collections_is_two_records);
    tcase_add_test(tc, test_get_missing_id_returns_not_found);
    tcase_add_test(tc, test_put_twice_leaves_one_record);
    tcase_add_test(tc, test_put_replaces_body_and_every_field);
    tcase_add_test(tc, test_del_counts_one_then_zero);
}
