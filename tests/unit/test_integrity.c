/* Record integrity (R22): a sealed record edited in the store — its
 * expiry, its body, its subject, or swapped with another — is refused on
 * read with PRIVACY_E_INTEGRITY, naming the record, never its content. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/context.h"
#include "crypto/seal.h"
#include "testutil.h"

static tu_store S;
static privacy_ctx *ctx;

static const uint8_t BODY1[] = "consent:given:marketing_email";
static const uint8_t BODY2[] = "consent:withdrawn:marketing_email";

static void put(const char *id, const uint8_t *body, size_t len)
{
    privacy_record r = { .collection = "consent", .id = id,
                         .subject_id = "sub_0123456789abcdef0123456789abcdef",
                         .created = 1000, .expires = 2000, .body = body, .body_len = len };
    ck_assert_int_eq(prv_seal_put(ctx->store, ctx->keys, &r, &ctx->err), PRIVACY_OK);
}

static void setup(void)
{
    tu_store_setup(&S);
    ck_assert_int_eq(tu_open(&ctx, S.uri), PRIVACY_OK);
    put("c1", BODY1, sizeof BODY1 - 1);
    put("c2", BODY2, sizeof BODY2 - 1);
}

static void teardown(void)
{
    privacy_close(ctx);
    tu_store_teardown(&S);
}

/* Tampers with the store directly; the tampering must touch a row. */
static void tamper(const char *sql)
{
    ck_assert_int_gt(tu_sql(&S, sql), 0);
}

static void assert_refused(const char *id)
{
    privacy_record *got = NULL;
    ck_assert_int_eq(prv_seal_get(ctx->store, ctx->keys, "consent", id, &got, &ctx->err),
                     PRIVACY_E_INTEGRITY);
    ck_assert_ptr_null(got);
    char want[64];
    snprintf(want, sizeof want, "record '%s' of 'consent'", id);
    ck_assert_msg(strstr(ctx->err.msg, want) != NULL, "%s", ctx->err.msg);
    ck_assert(strstr(ctx->err.msg, "marketing") == NULL); /* never the content */
}

START_TEST(test_integrity_sealed_record_reads_back)
{
    privacy_record *got = NULL;
    ck_assert_int_eq(prv_seal_get(ctx->store, ctx->keys, "consent", "c1", &got, &ctx->err),
                     PRIVACY_OK);
    ck_assert_uint_eq(got->body_len, sizeof BODY1 - 1);
    ck_assert_mem_eq(got->body, BODY1, sizeof BODY1 - 1);
    ck_assert_int_eq(got->expires, 2000);
    prv_free(got);
    put("empty", NULL, 0);
    ck_assert_int_eq(prv_seal_get(ctx->store, ctx->keys, "consent", "empty", &got, &ctx->err),
                     PRIVACY_OK);
    ck_assert_uint_eq(got->body_len, 0);
    prv_free(got);
}
END_TEST

START_TEST(test_integrity_R22_edited_expiry_refused)
{
    tamper("UPDATE records SET expires = 9999999 WHERE collection = 'consent' AND id = 'c1'");
    assert_refused("c1");
}
END_TEST

START_TEST(test_integrity_R22_edited_body_refused)
{
    ck_assert_int_eq(tu_replace_in_bodies(&S, "consent", "c1", "given", "GIVEN"), 1);
    assert_refused("c1");
}
END_TEST

START_TEST(test_integrity_R22_edited_subject_refused)
{
    tamper("UPDATE records SET subject_id = 'sub_ffffffffffffffffffffffffffffffff'"
             " WHERE collection = 'consent' AND id = 'c2'");
    assert_refused("c2");
}
END_TEST

START_TEST(test_integrity_R22_swapped_bodies_refused)
{
    tu_swap_bodies(&S, "consent", "c1", "c2");
    assert_refused("c1");
    assert_refused("c2");
}
END_TEST

START_TEST(test_integrity_R22_truncated_seal_refused)
{
    ck_assert_int_eq(tu_set_body(&S, "consent", "c1", "\x01\x02", 2), 1);
    assert_refused("c1");
    ck_assert(strstr(ctx->err.msg, "has no seal") != NULL);
}
END_TEST

static Suite *integrity_suite(void)
{
    Suite *s = suite_create("integrity");
    TCase *tc = tcase_create("integrity");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_integrity_sealed_record_reads_back);
    tcase_add_test(tc, test_integrity_R22_edited_expiry_refused);
    tcase_add_test(tc, test_integrity_R22_edited_body_refused);
    tcase_add_test(tc, test_integrity_R22_edited_subject_refused);
    tcase_add_test(tc, test_integrity_R22_swapped_bodies_refused);
    tcase_add_test(tc, test_integrity_R22_truncated_seal_refused);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(integrity_suite());
}
