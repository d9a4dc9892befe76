/*
 * The "limits" test case of the backend conformance suite: a backend must
 * accept every record within the limits of include/privacy/backend.h and
 * hand it back exactly. Empty bodies and bodies up to PRIVACY_BODY_MAX,
 * index keys of 1 and PRIVACY_INDEX_KEY_MAX bytes, ids of
 * PRIVACY_RECORD_ID_MAX bytes and a collection name of
 * PRIVACY_COLLECTION_MAX bytes.
 *
 * Large bodies carry conf_fill_pattern(), so a failure names the first
 * byte that differs.
 *
 * SPDX-License-Identifier: MIT
 */
#include "conf_internal.h"

#include <stdint.h>
#include <string.h>

/* Puts v[0..n) of collection coll, listed in (created, id) order; gets each
 * back, then scans the collection for exactly those. */
static void expect_round_trips(void *conn, const char *coll, const privacy_record *v, size_t n,
                               const char *what)
{
    conf_put_all(conn, v, n);
    for (size_t i = 0; i < n; i++)
        conf_expect_get(conn, &v[i]);
    conf_expect_scan(conn, coll, NULL, NULL, 0, v, n, what);
}

START_TEST(test_empty_body_round_trips)
{
    char coll[CONF_COLL_BUF];
    conf_coll_name(coll, "empty_body");
    void *c = conf_conn_open();
    privacy_record null_body = conf_mk(coll, "null", NULL, NULL, 0, 1, 0, NULL);
    privacy_record empty = conf_mk(coll, "empty", NULL, NULL, 0, 2, 0, "");
    privacy_record both[] = { null_body, empty };
    expect_round_trips(c, coll, both, 2, "scan of empty bodies");
    /* An empty body replaces a non-empty one. */
    privacy_record full = conf_mk(coll, "was_full", NULL, NULL, 0, 3, 0, "not empty");
    privacy_record emptied = conf_mk(coll, "was_full", NULL, NULL, 0, 3, 0, "");
    conf_put(c, &full);
    conf_put(c, &emptied);
    conf_expect_get(c, &emptied);
    conf_conn_close(c);
}
END_TEST

static void big_body_round_trip(const char *name, size_t size, uint32_t seed)
{
    char coll[CONF_COLL_BUF];
    conf_coll_name(coll, name);
    uint8_t *body = conf_xmalloc(size);
    conf_fill_pattern(body, size, seed);
    void *c = conf_conn_open();
    privacy_record r = conf_mk(coll, "big", "sub_big", NULL, 0, 1, 0, NULL);
    r.body = body;
    r.body_len = size;
    privacy_record small = conf_mk(coll, "small", NULL, NULL, 0, 2, 0, "after the big one");
    conf_put(c, &r);
    conf_put(c, &small);
    conf_expect_get(c, &r);
    privacy_record both[] = { r, small };
    conf_expect_scan(c, coll, NULL, NULL, 0, both, 2, "scan with a large body");
    void *d = conf_conn_open();
    conf_expect_get(d, &r);
    conf_conn_close(d);
    ck_assert_uint_eq(conf_del(c, coll, "big"), 1);
    conf_conn_close(c);
    conf_drop(body);
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
    char coll[CONF_COLL_BUF];
    conf_coll_name(coll, "key_sizes");
    static const uint8_t zero[1] = { 0x00 }, one[1] = { 0x01 };
    uint8_t max[PRIVACY_INDEX_KEY_MAX], max2[PRIVACY_INDEX_KEY_MAX];
    conf_fill_pattern(max, sizeof max, 0xff00ff00u);
    memcpy(max2, max, sizeof max);
    max2[0] ^= 0x80;
    void *c = conf_conn_open();
    privacy_record v[] = {
        conf_mk(coll, "k0", NULL, zero, 1, 1, 0, "0"),
        conf_mk(coll, "k1", NULL, one, 1, 2, 0, "1"),
        conf_mk(coll, "kmax", NULL, max, sizeof max, 3, 0, "max"),
        conf_mk(coll, "kmax2", NULL, max2, sizeof max2, 4, 0, "max2"),
    };
    conf_put_all(c, v, CONF_COUNT(v));
    for (size_t i = 0; i < CONF_COUNT(v); i++) {
        conf_expect_get(c, &v[i]);
        conf_expect_scan(c, coll, NULL, v[i].index_key, v[i].index_key_len, &v[i], 1,
                         "scan by a 1-byte or maximal index key");
    }
    conf_conn_close(c);
}
END_TEST

START_TEST(test_ids_of_max_length_round_trip)
{
    char coll[CONF_COLL_BUF];
    conf_coll_name(coll, "long_ids");
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
    void *c = conf_conn_open();
    privacy_record r = conf_mk(coll, id, subject, NULL, 0, 1, 0, "longest id");
    privacy_record s = conf_mk(coll, id_short, NULL, NULL, 0, 2, 0, "one byte shorter");
    privacy_record both[] = { r, s };
    expect_round_trips(c, coll, both, 2, "scan of maximal ids");
    conf_expect_scan(c, coll, subject, NULL, 0, &r, 1, "scan by a maximal subject id");
    ck_assert_uint_eq(conf_delete_subject(c, coll, subject), 1);
    conf_expect_missing(c, coll, id);
    ck_assert_uint_eq(conf_del(c, coll, id_short), 1);
    conf_conn_close(c);
}
END_TEST

/* A collection name of PRIVACY_COLLECTION_MAX bytes. */
START_TEST(test_collection_name_of_max_length_round_trips)
{
    char coll[CONF_COLL_BUF];
    char name[CONF_TEST_NAME_MAX + 1];
    memset(name, 'x', CONF_TEST_NAME_MAX);
    name[CONF_TEST_NAME_MAX] = '\0';
    conf_coll_name(coll, name);
    ck_assert_uint_eq(strlen(coll), PRIVACY_COLLECTION_MAX);
    void *c = conf_conn_open();
    privacy_record r = conf_mk(coll, "r", "sub_c", NULL, 0, 1, 2, "b");
    conf_put(c, &r);
    conf_expect_get(c, &r);
    conf_expect_scan(c, coll, NULL, NULL, 0, &r, 1, "scan of a maximal collection name");
    ck_assert_uint_eq(conf_purge(c, coll, 2), 1);
    conf_conn_close(c);
}
END_TEST

void conf_add_limits_tests(TCase *tc)
{
    tcase_add_test(tc, test_empty_body_round_trips);
    tcase_add_test(tc, test_body_of_1mib_round_trips_byte_exact);
    tcase_add_test(tc, test_body_of_max_size_round_trips_byte_exact);
    tcase_add_test(tc, test_index_keys_of_1_and_max_bytes_round_trip);
    tcase_add_test(tc, test_ids_of_max_length_round_trip);
    tcase_add_test(tc, test_collection_name_of_max_length_round_trips);
}
