/*
 * The "delete" test case of the backend conformance suite: delete_subject()
 * removes exactly one subject's records in one collection, and
 * purge_expired(coll, now) exactly those with 0 < expires <= now; both
 * count what they removed, and 0 when run again.
 *
 * SPDX-License-Identifier: MIT
 */
#include "conf_internal.h"

#include <stdint.h>

START_TEST(test_delete_subject_removes_only_that_subject)
{
    char coll[CONF_COLL_BUF], other[CONF_COLL_BUF];
    conf_coll_name(coll, "erase");
    conf_coll_name(other, "erase_other");
    void *c = conf_conn_open();
    privacy_record v[] = {
        conf_mk(coll, "a1", "sub_1", NULL, 0, 1, 0, "a1"),
        conf_mk(coll, "a2", "sub_1", NULL, 0, 2, 0, "a2"),
        conf_mk(coll, "a3", "sub_1", (const uint8_t *)"k", 1, 3, 9, "a3"),
        conf_mk(coll, "b1", "sub_10", NULL, 0, 4, 0, "b1"),
        conf_mk(coll, "b2", "sub_2", NULL, 0, 5, 0, "b2"),
        conf_mk(coll, "n1", NULL, (const uint8_t *)"k", 1, 6, 0, "n1"),
        conf_mk(other, "o1", "sub_1", NULL, 0, 7, 0, "o1"),
        conf_mk(other, "o2", "sub_1", NULL, 0, 8, 0, "o2"),
    };
    conf_put_all(c, v, CONF_COUNT(v));
    ck_assert_uint_eq(conf_delete_subject(c, coll, "sub_1"), 3);
    privacy_record want[] = { v[3], v[4], v[5] };
    conf_expect_scan(c, coll, NULL, NULL, 0, want, CONF_COUNT(want), "scan after delete_subject");
    conf_expect_scan(c, coll, "sub_1", NULL, 0, NULL, 0, "scan by the deleted subject");
    privacy_record untouched[] = { v[6], v[7] };
    conf_expect_scan(c, other, NULL, NULL, 0, untouched, CONF_COUNT(untouched),
                     "the subject's records in another collection");
    ck_assert_uint_eq(conf_delete_subject(c, coll, "sub_1"), 0);
    ck_assert_uint_eq(conf_delete_subject(c, coll, "sub_never"), 0);
    conf_expect_scan(c, coll, NULL, NULL, 0, want, CONF_COUNT(want),
                     "scan after a second delete_subject");
    conf_conn_close(c);
}
END_TEST

START_TEST(test_purge_expired_boundary_and_collection)
{
    char coll[CONF_COLL_BUF], other[CONF_COLL_BUF];
    conf_coll_name(coll, "purge");
    conf_coll_name(other, "purge_other");
    void *c = conf_conn_open();
    privacy_record never = conf_mk(coll, "never", NULL, NULL, 0, 1, 0, "expires 0");
    privacy_record past = conf_mk(coll, "past", NULL, NULL, 0, 1, CONF_NOW - 1, "now - 1");
    privacy_record at = conf_mk(coll, "at", NULL, NULL, 0, 1, CONF_NOW, "now");
    privacy_record next = conf_mk(coll, "next", NULL, NULL, 0, 1, CONF_NOW + 1, "now + 1");
    privacy_record one = conf_mk(coll, "one", "sub_p", NULL, 0, 1, 1, "1");
    privacy_record far = conf_mk(coll, "far", NULL, NULL, 0, 1, CONF_FAR, "far");
    privacy_record elsewhere =
        conf_mk(other, "past", NULL, NULL, 0, 1, CONF_NOW - 1, "other collection");
    privacy_record v[] = { never, past, at, next, one, far, elsewhere };
    conf_put_all(c, v, CONF_COUNT(v));

    ck_assert_uint_eq(conf_purge(c, coll, CONF_NOW), 3);
    privacy_record left[] = { far, never, next };
    conf_expect_scan(c, coll, NULL, NULL, 0, left, CONF_COUNT(left), "scan after purge at now");
    conf_expect_get(c, &elsewhere);
    ck_assert_uint_eq(conf_purge(c, coll, CONF_NOW), 0);

    ck_assert_uint_eq(conf_purge(c, coll, CONF_NOW + 1), 1);
    conf_expect_missing(c, coll, "next");
    /* Even at the end of time, expires 0 means never. */
    ck_assert_uint_eq(conf_purge(c, coll, INT64_MAX), 1);
    conf_expect_scan(c, coll, NULL, NULL, 0, &never, 1, "scan after purge at INT64_MAX");
    conf_expect_get(c, &elsewhere);
    ck_assert_uint_eq(conf_purge(c, other, CONF_NOW - 2), 0);
    ck_assert_uint_eq(conf_purge(c, other, CONF_NOW - 1), 1);
    conf_conn_close(c);
}
END_TEST

void conf_add_delete_tests(TCase *tc)
{
    tcase_add_test(tc, test_delete_subject_removes_only_that_subject);
    tcase_add_test(tc, test_purge_expired_boundary_and_collection);
}
