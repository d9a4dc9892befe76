/* The test helpers themselves, on each backend: what the other suites
 * check with them (no plaintext stored, a store unchanged, a record
 * tampered with) holds only if they see what the store holds. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "core/context.h"
#include "store/store.h"
#include "testutil.h"

static tu_store S;
static privacy_ctx *ctx;

static const uint8_t BODY[] = "ZZ-distinctive\x00\xff\x01-body-ZZ";
static const uint8_t KEY[] = { 0x00, 0xfe, 0x42, 0x00 };

static void put(const char *id, const uint8_t *body, size_t len)
{
    privacy_record r = { .collection = "thing", .id = id, .subject_id = "sub_zz-subject",
                         .index_key = KEY, .index_key_len = sizeof KEY, .created = 7,
                         .expires = 99, .body = body, .body_len = len };
    ck_assert_int_eq(prv_store_put(ctx->store, &r), PRIVACY_OK);
}

static void setup(void)
{
    tu_store_setup(&S);
    ck_assert(!tu_store_exists(&S));
    ck_assert_int_eq(tu_open(&ctx, S.uri), PRIVACY_OK);
    put("a", BODY, sizeof BODY - 1);
    put("b", (const uint8_t *)"other", 5);
}

static void teardown(void)
{
    privacy_close(ctx);
    tu_store_teardown(&S);
}

/* The body of a record as the library reads it back. */
static void assert_body(const char *id, const void *want, size_t len)
{
    privacy_record *got = NULL;
    ck_assert_int_eq(prv_store_get(ctx->store, "thing", id, &got), PRIVACY_OK);
    ck_assert_uint_eq(got->body_len, len);
    if (len > 0) /* an empty body may come back as NULL */
        ck_assert_mem_eq(got->body, want, len);
    privacy_free(got);
}

START_TEST(test_testutil_sees_every_column)
{
    ck_assert(tu_store_exists(&S));
    ck_assert(tu_store_contains(&S, BODY, sizeof BODY - 1));
    ck_assert(tu_store_contains(&S, "\x00\xff\x01", 3));
    ck_assert(tu_store_contains(&S, KEY, sizeof KEY));
    ck_assert(tu_store_contains(&S, "zz-subject", 10));
    ck_assert(tu_store_contains(&S, "thing", 5));
    ck_assert(!tu_store_contains(&S, "ZZ-not-stored-ZZ", 16));
    privacy_close(ctx); /* and after the last context closed */
    ctx = NULL;
    ck_assert(tu_store_contains(&S, BODY, sizeof BODY - 1));
    ck_assert_int_eq(tu_count_rows(&S, "collection = 'thing'"), 2);
    ck_assert_int_gt(tu_count_rows(&S, NULL), 2); /* the store's keys too */
    char id[16];
    ck_assert(tu_sql_text(&S, "SELECT id FROM records WHERE collection = 'thing' ORDER BY id",
                          id, sizeof id));
    ck_assert_str_eq(id, "a");
    ck_assert(!tu_sql_text(&S, "SELECT id FROM records WHERE collection = 'none'", id, sizeof id));
    size_t len;
    uint8_t *b = tu_body(&S, "thing", "a", &len);
    ck_assert_uint_eq(len, sizeof BODY - 1);
    ck_assert_mem_eq(b, BODY, len);
    free(b);
    ck_assert_ptr_null(tu_body(&S, "thing", "none", &len));
    ck_assert_int_eq(tu_open(&ctx, S.uri), PRIVACY_OK);
}
END_TEST

START_TEST(test_testutil_tampering_reaches_the_library)
{
    ck_assert_int_eq(tu_set_body(&S, "thing", "a", "\x00\x01", 2), 1);
    assert_body("a", "\x00\x01", 2);
    tu_flip_body_byte(&S, "thing", "a", -1);
    assert_body("a", "\x00\x00", 2);
    ck_assert_int_eq(tu_set_body(&S, "thing", "a", "", 0), 1);
    assert_body("a", "", 0);
    ck_assert_int_eq(tu_replace_in_bodies(&S, "thing", NULL, "th", "TTH"), 1);
    assert_body("b", "oTTHer", 6);
    ck_assert_int_eq(tu_replace_in_bodies(&S, "thing", "b", "nowhere", "x"), 0);
    tu_swap_bodies(&S, "thing", "a", "b");
    assert_body("a", "oTTHer", 6);
    assert_body("b", "", 0);
    ck_assert_int_eq(tu_sql(&S, "DELETE FROM records WHERE collection = 'thing'"), 2);
    ck_assert_int_eq(tu_count_rows(&S, "collection = 'thing'"), 0);
}
END_TEST

START_TEST(test_testutil_digests_change_with_any_column)
{
    privacy_close(ctx);
    ctx = NULL;
    uint8_t store0[32], rows0[32], d[32];
    tu_store_digest(&S, store0);
    tu_digest_rows(&S, "collection = 'thing'", rows0);
    tu_store_digest(&S, d);
    ck_assert_mem_eq(d, store0, 32); /* reading changed nothing */
    static const char *const edits[] = {
        "UPDATE records SET expires = 100 WHERE collection = 'thing' AND id = 'a'",
        "UPDATE records SET created = 8 WHERE collection = 'thing' AND id = 'a'",
        "UPDATE records SET subject_id = NULL WHERE collection = 'thing' AND id = 'a'",
        "UPDATE records SET index_key = NULL WHERE collection = 'thing' AND id = 'a'",
        "UPDATE records SET id = 'c' WHERE collection = 'thing' AND id = 'a'",
    };
    tu_store_save(&S, "before");
    for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
        ck_assert_int_eq(tu_sql(&S, edits[i]), 1);
        tu_digest_rows(&S, "collection = 'thing'", d);
        ck_assert_msg(memcmp(d, rows0, 32) != 0, "%s: same digest", edits[i]);
        tu_store_digest(&S, d);
        ck_assert_msg(memcmp(d, store0, 32) != 0, "%s: same store digest", edits[i]);
        tu_store_restore(&S, "before");
        tu_digest_rows(&S, "collection = 'thing'", d);
        ck_assert_mem_eq(d, rows0, 32);
    }
    ck_assert_int_eq(tu_open(&ctx, S.uri), PRIVACY_OK);
    assert_body("a", BODY, sizeof BODY - 1);
}
END_TEST

START_TEST(test_testutil_reset_and_siblings)
{
    tu_store other;
    tu_store_sibling(&S, "other", &other);
    ck_assert_str_ne(other.uri, S.uri);
    ck_assert(!tu_store_exists(&other));
    privacy_ctx *octx;
    ck_assert_int_eq(tu_open(&octx, other.uri), PRIVACY_OK);
    privacy_close(octx);
    ck_assert(tu_store_exists(&other));
    ck_assert_int_eq(tu_count_rows(&other, "collection = 'thing'"), 0);
    privacy_close(ctx);
    ctx = NULL;
    tu_store_reset(&S);
    ck_assert(!tu_store_exists(&S));
    ck_assert(tu_store_exists(&other)); /* removed by the teardown of S */
    ck_assert_int_eq(tu_open(&ctx, S.uri), PRIVACY_OK);
    ck_assert_int_eq(tu_count_rows(&S, "collection = 'thing'"), 0);
}
END_TEST

static Suite *testutil_suite(void)
{
    Suite *s = suite_create("testutil");
    TCase *tc = tcase_create("testutil");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_testutil_sees_every_column);
    tcase_add_test(tc, test_testutil_tampering_reaches_the_library);
    tcase_add_test(tc, test_testutil_digests_change_with_any_column);
    tcase_add_test(tc, test_testutil_reset_and_siblings);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(testutil_suite());
}
