/* Actors and recorded access (R20, R21): every decision, allowed or
 * refused, lands in the audit log with its outcome; bad input records
 * nothing; failing to record refuses the access. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/verify.h"
#include "core/context.h"
#include "crypto/keystore.h"
#include "fault_backend.h"
#include "testutil.h"

static tu_store S;
static privacy_ctx *ctx;
static privacy_actor *billing, *marketing;

static const char SUB_A[] = "sub_0123456789abcdef0123456789abcdef";
static const char SUB_B[] = "sub_fedcba9876543210fedcba9876543210";

static void setup(void)
{
    tu_store_setup(&S);
    fb_reset(S.backend);
    privacy_config *cfg;
    ck_assert_int_eq(tu_config_new(&cfg), PRIVACY_OK);
    ck_assert_int_eq(privacy_config_set_backend(cfg, &fb_backend, S.uri), PRIVACY_OK);
    ck_assert_int_eq(privacy_open(&ctx, cfg), PRIVACY_OK);
    privacy_config_free(cfg);
    ck_assert_int_eq(privacy_actor_new(ctx, "staff-17", "billing", &billing), PRIVACY_OK);
    ck_assert_int_eq(privacy_actor_new(ctx, "staff-42", "marketing", &marketing), PRIVACY_OK);
}

static void teardown(void)
{
    fb_fail(0, 0, 0);
    privacy_actor_free(billing);
    privacy_actor_free(marketing);
    privacy_close(ctx);
    tu_store_teardown(&S);
}

typedef struct {
    int n;
    int32_t last_outcome;
    char last_role[64];
} listed;

static int note(void *userdata, const prv_audit_entry *e)
{
    listed *l = userdata;
    l->n++;
    l->last_outcome = e->outcome;
    snprintf(l->last_role, sizeof l->last_role, "%.*s", (int)e->field_len[PRV_AF_ROLE],
             e->field[PRV_AF_ROLE]);
    return 0;
}

static listed list(const char *subject)
{
    listed l = { 0, 0, "" };
    ck_assert_int_eq(prv_audit_list_subject(ctx->store,
                                            prv_keystore_key(ctx->keys, PRV_KEY_AUDIT, NULL),
                                            subject, note, &l, &ctx->err),
                     PRIVACY_OK);
    return l;
}

START_TEST(test_actor_arguments)
{
    privacy_actor *a = NULL;
    ck_assert_int_eq(privacy_actor_new(NULL, "staff-1", "billing", &a), PRIVACY_E_INVALID);
    ck_assert_int_eq(privacy_actor_new(ctx, NULL, "billing", &a), PRIVACY_E_INVALID);
    ck_assert_int_eq(privacy_actor_new(ctx, "staff-1", NULL, &a), PRIVACY_E_INVALID);
    ck_assert_int_eq(privacy_actor_new(ctx, "staff-1", "billing", NULL), PRIVACY_E_INVALID);
    ck_assert_int_eq(privacy_actor_new(ctx, "", "billing", &a), PRIVACY_E_INVALID);
    ck_assert_int_eq(privacy_actor_new(ctx, "Jane Doe", "billing", &a), PRIVACY_E_INVALID);
    ck_assert(strstr(privacy_errmsg(ctx), "never a name") != NULL);
    ck_assert_int_eq(privacy_actor_new(ctx, "staff-1", "janitor", &a), PRIVACY_E_DENIED);
    ck_assert(strstr(privacy_errmsg(ctx), "R20: the policy has no such role") != NULL);
    ck_assert_ptr_null(a);
    privacy_actor_free(NULL);
}
END_TEST

START_TEST(test_actor_R21_allowed_access_recorded)
{
    ck_assert_int_eq(privacy_authorize(ctx, billing, "read", "contact.email", "billing", SUB_A,
                                       NULL),
                     PRIVACY_OK);
    ck_assert_str_eq(privacy_errmsg(ctx), "");
    listed l = list(SUB_A);
    ck_assert_int_eq(l.n, 1);
    ck_assert_int_eq(l.last_outcome, PRIVACY_OK);
    ck_assert_str_eq(l.last_role, "billing");
    ck_assert_int_eq(list(SUB_B).n, 0);
}
END_TEST

START_TEST(test_actor_R20_R21_refused_access_recorded_with_rule)
{
    ck_assert_int_eq(privacy_authorize(ctx, marketing, "read", "contact.shipping_address",
                                       "fulfilment", SUB_A, NULL),
                     PRIVACY_E_DENIED);
    const char *msg = privacy_errmsg(ctx);
    ck_assert_msg(strstr(msg, "R20") != NULL && strstr(msg, "marketing") != NULL, "%s", msg);
    listed l = list(SUB_A);
    ck_assert_int_eq(l.n, 1);
    ck_assert_int_eq(l.last_outcome, PRIVACY_E_DENIED);
    ck_assert_int_eq(privacy_audit_verify(ctx, NULL), PRIVACY_OK);
}
END_TEST

START_TEST(test_actor_R22_bad_input_records_nothing)
{
    ck_assert_int_eq(privacy_authorize(ctx, NULL, "read", "contact.email", "billing", SUB_A, NULL),
                     PRIVACY_E_INVALID);
    ck_assert_int_eq(privacy_authorize(ctx, billing, "read", "contact.email", "billing",
                                       "jane@example.com", NULL),
                     PRIVACY_E_INVALID);
    ck_assert(strstr(privacy_errmsg(ctx), "jane") == NULL); /* no PII in messages */
    /* Only the policy's actions: "chain.close" would end the chain. */
    ck_assert_int_eq(privacy_authorize(ctx, billing, "chain.close", "contact.email", "billing",
                                       SUB_A, NULL),
                     PRIVACY_E_INVALID);
    /* A recipient for a read does not fit the action: refused, unrecorded. */
    ck_assert_int_eq(privacy_authorize(ctx, billing, "read", "contact.email", "billing", SUB_A,
                                       "carrier"),
                     PRIVACY_E_INVALID);
    ck_assert_int_eq(list(SUB_A).n, 0);
    ck_assert_int_eq(privacy_audit_verify(ctx, NULL), PRIVACY_OK);
}
END_TEST

/* A name the policy does not know is refused (fail closed) and the
 * refusal recorded — with a marker, not the caller's string, which might
 * be personal data. */
START_TEST(test_actor_R21_unknown_names_recorded_as_marker)
{
    ck_assert_int_eq(privacy_authorize(ctx, billing, "read", "alice@example.com",
                                       "bob.smith@example.org", SUB_A, NULL),
                     PRIVACY_E_DENIED);
    ck_assert(strstr(privacy_errmsg(ctx), "example") == NULL);
    listed l = list(SUB_A);
    ck_assert_int_eq(l.n, 1);
    ck_assert_int_eq(l.last_outcome, PRIVACY_E_DENIED);
    privacy_close(ctx);
    ctx = NULL;
    static const char *const pii[] = { "alice@example.com", "bob.smith@example.org" };
    for (int i = 0; i < 2; i++)
        ck_assert(!tu_store_contains(&S, pii[i], strlen(pii[i])));
    privacy_actor *a = NULL;
    ck_assert_int_eq(tu_open(&ctx, S.uri), PRIVACY_OK);
    ck_assert_int_eq(privacy_actor_new(ctx, "jane@example.com", "billing", &a),
                     PRIVACY_E_INVALID);
    ck_assert_int_eq(privacy_audit_verify(ctx, NULL), PRIVACY_OK);
}
END_TEST

START_TEST(test_actor_R21_unrecordable_access_refused)
{
    fb_fail(1, PRIVACY_E_STORAGE, 1);
    ck_assert_int_eq(privacy_authorize(ctx, billing, "read", "contact.email", "billing", SUB_A,
                                       NULL),
                     PRIVACY_E_STORAGE);
    fb_fail(0, 0, 0);
    ck_assert_int_eq(list(SUB_A).n, 0);
    /* The chain goes on where it was: the log still verifies. */
    ck_assert_int_eq(privacy_authorize(ctx, billing, "read", "contact.email", "billing", SUB_A,
                                       NULL),
                     PRIVACY_OK);
    ck_assert_int_eq(privacy_audit_verify(ctx, NULL), PRIVACY_OK);
}
END_TEST

/* An access cannot be rolled back, so neither can its record: inside the
 * caller's transaction the call is refused and nothing is recorded. */
START_TEST(test_actor_R21_not_inside_caller_transaction)
{
    ck_assert_int_eq(privacy_begin(ctx), PRIVACY_OK);
    ck_assert_int_eq(privacy_authorize(ctx, billing, "read", "contact.email", "billing", SUB_A,
                                       NULL),
                     PRIVACY_E_MISUSE);
    char *ckpt = NULL;
    ck_assert_int_eq(privacy_audit_checkpoint(ctx, &ckpt), PRIVACY_E_MISUSE);
    ck_assert_ptr_null(ckpt);
    ck_assert_int_eq(privacy_rollback(ctx), PRIVACY_OK);
    ck_assert_int_eq(list(SUB_A).n, 0);
    ck_assert_int_eq(privacy_authorize(ctx, billing, "read", "contact.email", "billing", SUB_A,
                                       NULL),
                     PRIVACY_OK);
    ck_assert_int_eq(privacy_audit_verify(ctx, NULL), PRIVACY_OK);
}
END_TEST

START_TEST(test_actor_listing_refuses_forged_entry)
{
    ck_assert_int_eq(privacy_authorize(ctx, billing, "read", "contact.email", "billing", SUB_A,
                                       NULL),
                     PRIVACY_OK);
    ck_assert_int_gt(tu_replace_in_bodies(&S, "audit", NULL, "billing", "BILLING"), 0);
    listed l = { 0, 0, "" };
    ck_assert_int_eq(prv_audit_list_subject(ctx->store,
                                            prv_keystore_key(ctx->keys, PRV_KEY_AUDIT, NULL),
                                            SUB_A, note, &l, &ctx->err),
                     PRIVACY_E_INTEGRITY);
    ck_assert_int_eq(l.n, 0);
}
END_TEST

static Suite *actor_suite(void)
{
    Suite *s = suite_create("actor");
    TCase *tc = tcase_create("actor");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_actor_arguments);
    tcase_add_test(tc, test_actor_R21_allowed_access_recorded);
    tcase_add_test(tc, test_actor_R20_R21_refused_access_recorded_with_rule);
    tcase_add_test(tc, test_actor_R22_bad_input_records_nothing);
    tcase_add_test(tc, test_actor_R21_unrecordable_access_refused);
    tcase_add_test(tc, test_actor_R21_unknown_names_recorded_as_marker);
    tcase_add_test(tc, test_actor_R21_not_inside_caller_transaction);
    tcase_add_test(tc, test_actor_listing_refuses_forged_entry);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(actor_suite());
}
