/* Subjects and their encrypted fields: the policy decides (R2, R20), every
 * access is recorded (R21), no plaintext reaches the stored bytes (R19),
 * crypto-shredding makes a subject's data unreadable everywhere at once. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/verify.h"
#include "core/context.h"
#include "crypto/dek.h"
#include "crypto/keystore.h"
#include "subject/shred.h"
#include "testutil.h"

static tu_store S;
static privacy_ctx *ctx;
static privacy_actor *shop, *billing, *marketing, *service;
static char *sub;

static const char *const BILLING[] = { "billing" };
static const char *const ORDER_PURPOSES[] = { "billing", "fulfilment" };

static void setup(void)
{
    tu_store_setup(&S);
    ck_assert_int_eq(tu_open(&ctx, S.uri), PRIVACY_OK);
    ck_assert_int_eq(privacy_actor_new(ctx, "svc-web", "storefront", &shop), PRIVACY_OK);
    ck_assert_int_eq(privacy_actor_new(ctx, "staff-17", "billing", &billing), PRIVACY_OK);
    ck_assert_int_eq(privacy_actor_new(ctx, "staff-42", "marketing", &marketing), PRIVACY_OK);
    ck_assert_int_eq(privacy_actor_new(ctx, "staff-8", "customer_service", &service),
                     PRIVACY_OK);
    ck_assert_int_eq(privacy_subject_create(ctx, shop, "order", &sub), PRIVACY_OK);
}

static void teardown(void)
{
    privacy_free(sub);
    privacy_actor_free(shop);
    privacy_actor_free(billing);
    privacy_actor_free(marketing);
    privacy_actor_free(service);
    privacy_close(ctx);
    tu_store_teardown(&S);
}

static void set_ok(const char *category, const char *value)
{
    int rc = privacy_subject_set(ctx, shop, sub, category, value, ORDER_PURPOSES, 2);
    ck_assert_msg(rc == PRIVACY_OK, "%s: %s", category, privacy_errmsg(ctx));
}

static void assert_get(privacy_actor *who, const char *category, const char *purpose,
                       const char *want)
{
    char *got = NULL;
    int rc = privacy_subject_get(ctx, who, sub, category, purpose, &got);
    ck_assert_msg(rc == PRIVACY_OK, "%s/%s: %s", category, purpose, privacy_errmsg(ctx));
    ck_assert_str_eq(got, want);
    privacy_free(got);
}

static int count_entries(void)
{
    int n = 0;
    ck_assert_int_eq(prv_store_scan(ctx->store, "audit", NULL, NULL, 0, tu_count_cb, &n),
                     PRIVACY_OK);
    return n;
}

START_TEST(test_subject_R1_create_names_its_channel)
{
    char *id = NULL;
    ck_assert(strncmp(sub, "sub_", 4) == 0 && strlen(sub) == 36);
    ck_assert_int_eq(privacy_subject_create(ctx, shop, "telepathy", &id), PRIVACY_E_INVALID);
    ck_assert(strstr(privacy_errmsg(ctx), "R1") != NULL);
    ck_assert_int_eq(privacy_subject_create(ctx, shop, NULL, &id), PRIVACY_E_INVALID);
    ck_assert_int_eq(privacy_subject_create(ctx, NULL, "order", &id), PRIVACY_E_INVALID);
    ck_assert_int_eq(privacy_subject_create(ctx, shop, "order", NULL), PRIVACY_E_INVALID);
    ck_assert_ptr_null(id);
}
END_TEST

START_TEST(test_subject_set_and_get_round_trip)
{
    set_ok("contact.name", "Zoë Ärnbäck-Łukasiewicz");
    set_ok("contact.email", "Zoe@Example.COM");
    set_ok("contact.shipping_address", "Rruga e Kavajës 12, Tiranë");
    assert_get(billing, "contact.name", "billing", "Zoë Ärnbäck-Łukasiewicz");
    assert_get(billing, "contact.email", "billing", "Zoe@Example.COM");
    set_ok("contact.name", "Zoë Ä."); /* set again: replaced */
    assert_get(billing, "contact.name", "billing", "Zoë Ä.");
    ck_assert_int_eq(privacy_audit_verify(ctx, NULL), PRIVACY_OK);
}
END_TEST

START_TEST(test_subject_R20_role_without_need_refused_and_recorded)
{
    set_ok("contact.shipping_address", "Rruga e Kavajës 12, Tiranë");
    int before = count_entries();
    char *got = NULL;
    ck_assert_int_eq(privacy_subject_get(ctx, marketing, sub, "contact.shipping_address",
                                         "fulfilment", &got),
                     PRIVACY_E_DENIED);
    ck_assert_ptr_null(got);
    ck_assert_msg(strstr(privacy_errmsg(ctx), "R20") != NULL, "%s", privacy_errmsg(ctx));
    ck_assert_int_eq(count_entries(), before + 1);
}
END_TEST

START_TEST(test_subject_R2_read_for_uncollected_purpose_refused)
{
    ck_assert_int_eq(privacy_subject_set(ctx, shop, sub, "contact.email", "a@example.com",
                                         BILLING, 1),
                     PRIVACY_OK);
    int before = count_entries();
    char *got = NULL;
    /* order_problem_contact is a purpose of contact.email, but this value
     * was collected for billing only. */
    int rc = privacy_subject_get(ctx, service, sub, "contact.email", "order_problem_contact",
                                 &got);
    ck_assert_msg(rc == PRIVACY_E_DENIED, "%s", privacy_errmsg(ctx));
    ck_assert(strstr(privacy_errmsg(ctx), "R2") != NULL);
    ck_assert_int_eq(count_entries(), before + 1);
}
END_TEST

START_TEST(test_subject_R22_bad_input_changes_nothing)
{
    int before = count_entries();
    const char *const unknown[] = { "resale" };
    char big[PRIVACY_VALUE_MAX + 2];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    ck_assert_int_eq(privacy_subject_set(ctx, shop, sub, "contact.name", "\xc3\x28", BILLING, 1),
                     PRIVACY_E_INVALID);
    ck_assert(strstr(privacy_errmsg(ctx), "UTF-8") != NULL);
    ck_assert_int_eq(privacy_subject_set(ctx, shop, sub, "contact.name", big, BILLING, 1),
                     PRIVACY_E_INVALID);
    ck_assert_int_eq(privacy_subject_set(ctx, shop, sub, "contact.name", "", BILLING, 1),
                     PRIVACY_E_INVALID);
    ck_assert_int_eq(privacy_subject_set(ctx, shop, sub, "contact.fax", "1", BILLING, 1),
                     PRIVACY_E_INVALID);
    ck_assert_int_eq(privacy_subject_set(ctx, shop, sub, "contact.name", "x", unknown, 1),
                     PRIVACY_E_INVALID);
    ck_assert_int_eq(privacy_subject_set(ctx, shop, sub, "contact.name", "x", NULL, 1),
                     PRIVACY_E_INVALID);
    ck_assert_int_eq(privacy_subject_set(ctx, shop, sub, "contact.email", "not an address",
                                         BILLING, 1),
                     PRIVACY_E_INVALID);
    ck_assert(strstr(privacy_errmsg(ctx), "not an address") == NULL);
    ck_assert_int_eq(privacy_subject_set(ctx, shop, "jane@example.com", "contact.name", "x",
                                         BILLING, 1),
                     PRIVACY_E_INVALID);
    ck_assert_int_eq(count_entries(), before);
    ck_assert_int_eq(tu_count_rows(&S, "collection = 'field'"), 0);
}
END_TEST

START_TEST(test_subject_unknown_subject_not_found_and_recorded)
{
    char *other = NULL;
    ck_assert_int_eq(privacy_subject_create(ctx, shop, "web_form", &other), PRIVACY_OK);
    other[10] = other[10] == 'a' ? 'b' : 'a'; /* a well-formed id nobody has */
    ck_assert_int_eq(privacy_subject_set(ctx, shop, other, "contact.name", "x", BILLING, 1),
                     PRIVACY_E_NOT_FOUND);
    char *got = NULL;
    ck_assert_int_eq(privacy_subject_get(ctx, billing, other, "contact.name", "billing", &got),
                     PRIVACY_E_NOT_FOUND);
    privacy_free(other);
}
END_TEST

START_TEST(test_subject_find_by_email_any_spelling)
{
    set_ok("contact.email", "  Zoë@Bücher.Example ");
    char *other = NULL, *found = NULL;
    ck_assert_int_eq(privacy_subject_create(ctx, shop, "web_form", &other), PRIVACY_OK);
    ck_assert_int_eq(privacy_subject_set(ctx, shop, other, "contact.email", "someone@example.org",
                                         ORDER_PURPOSES, 2),
                     PRIVACY_OK);
    /* Lower case, an A-label domain, and a decomposed ë (e + U+0308). */
    static const char *const spellings[] = { "zoë@bücher.example", "ZOË@xn--bcher-kva.example",
                                             "Zoe\xcc\x88@B\xc3\xbc\x63her.example" };
    for (size_t i = 0; i < sizeof spellings / sizeof spellings[0]; i++) {
        int rc = privacy_subject_find_by_email(ctx, billing, spellings[i], "billing", &found);
        ck_assert_msg(rc == PRIVACY_OK, "%zu: %s", i, privacy_errmsg(ctx));
        ck_assert_str_eq(found, sub);
        privacy_free(found);
        found = NULL;
    }
    ck_assert_int_eq(privacy_subject_find_by_email(ctx, billing, "nobody@example.org", "billing",
                                                   &found),
                     PRIVACY_E_NOT_FOUND);
    ck_assert_int_eq(privacy_subject_find_by_email(ctx, marketing, "zoë@bücher.example",
                                                   "fulfilment", &found),
                     PRIVACY_E_DENIED);
    ck_assert_int_eq(privacy_subject_find_by_email(ctx, billing, "no at sign", "billing", &found),
                     PRIVACY_E_INVALID);
    ck_assert_ptr_null(found);
    privacy_free(other);
    ck_assert_int_eq(privacy_audit_verify(ctx, NULL), PRIVACY_OK);
}
END_TEST

/* Regression: lookups once stopped at 8 index hits and at the first
 * confirmed one, so the subject asked for could be missed, or another
 * subject holding the same address returned. */
START_TEST(test_subject_find_by_email_sees_every_hit)
{
    static const char *const marketing_only[] = { "marketing_email" };
    char *ids[10] = { NULL };
    for (int i = 0; i < 9; i++) {
        ck_assert_int_eq(privacy_subject_create(ctx, shop, "web_form", &ids[i]), PRIVACY_OK);
        int rc = privacy_subject_set(ctx, shop, ids[i], "contact.email", "ann@example.org",
                                     marketing_only, 1);
        ck_assert_msg(rc == PRIVACY_OK, "%s", privacy_errmsg(ctx));
    }
    set_ok("contact.email", "Ann@Example.org"); /* the one collected for billing */
    char *found = NULL;
    int rc = privacy_subject_find_by_email(ctx, billing, "ann@example.org", "billing", &found);
    ck_assert_msg(rc == PRIVACY_OK, "%s", privacy_errmsg(ctx));
    ck_assert_str_eq(found, sub);
    privacy_free(found);
    found = NULL;
    /* A second subject with the address for billing: the address alone no
     * longer says who is meant. */
    ck_assert_int_eq(privacy_subject_set(ctx, shop, ids[0], "contact.email", "ann@example.org",
                                         BILLING, 1),
                     PRIVACY_OK);
    ck_assert_int_eq(privacy_subject_find_by_email(ctx, billing, "ann@example.org", "billing",
                                                   &found),
                     PRIVACY_E_EXISTS);
    ck_assert_ptr_null(found);
    ck_assert(strstr(privacy_errmsg(ctx), "2 subjects") != NULL);
    for (int i = 0; i < 9; i++)
        privacy_free(ids[i]);
    ck_assert_int_eq(privacy_audit_verify(ctx, NULL), PRIVACY_OK);
}
END_TEST

typedef struct {
    char seen[8][64];
    int n;
    int stop_after;
} listing;

static int note_category(void *userdata, const char *category)
{
    listing *l = userdata;
    snprintf(l->seen[l->n++], sizeof l->seen[0], "%s", category);
    return l->n == l->stop_after ? PRIVACY_E_EXISTS : 0;
}

START_TEST(test_subject_fields_lists_names_by_purpose_and_role)
{
    set_ok("contact.name", "Zoë");
    set_ok("contact.shipping_address", "Rruga 1");
    static const char *const support[] = { "support_response" };
    ck_assert_int_eq(privacy_subject_set(ctx, service, sub, "contact.phone", "+355 4 123 456",
                                         support, 1),
                     PRIVACY_OK);
    listing l = { .n = 0 };
    int before = count_entries();
    ck_assert_int_eq(privacy_subject_fields(ctx, billing, sub, "billing", note_category, &l),
                     PRIVACY_OK);
    ck_assert_int_eq(l.n, 2); /* the phone was not collected for billing (R2) */
    ck_assert_int_eq(count_entries(), before + 1);
    int has_name = 0, has_address = 0;
    for (int i = 0; i < l.n; i++) {
        has_name |= strcmp(l.seen[i], "contact.name") == 0;
        has_address |= strcmp(l.seen[i], "contact.shipping_address") == 0;
    }
    ck_assert(has_name && has_address);
    l = (listing){ .n = 0 };
    ck_assert_int_eq(privacy_subject_fields(ctx, marketing, sub, "fulfilment", note_category, &l),
                     PRIVACY_OK);
    ck_assert_int_eq(l.n, 0); /* R20: marketing may read none of them */
    l = (listing){ .n = 0, .stop_after = 1 };
    ck_assert_int_eq(privacy_subject_fields(ctx, billing, sub, "billing", note_category, &l),
                     PRIVACY_E_EXISTS);
    ck_assert_int_eq(l.n, 1);
    ck_assert_int_eq(privacy_subject_fields(ctx, billing, sub, "billing", NULL, &l),
                     PRIVACY_E_INVALID);
    ck_assert_int_eq(privacy_subject_fields(ctx, billing, sub, "resale", note_category, &l),
                     PRIVACY_E_INVALID);
}
END_TEST

START_TEST(test_subject_reads_refused_inside_caller_transaction)
{
    set_ok("contact.name", "Zoë");
    char *got = NULL;
    ck_assert_int_eq(privacy_begin(ctx), PRIVACY_OK);
    set_ok("contact.shipping_address", "Rruga 1"); /* writes may be grouped */
    ck_assert_int_eq(privacy_subject_get(ctx, billing, sub, "contact.name", "billing", &got),
                     PRIVACY_E_MISUSE);
    ck_assert_int_eq(privacy_rollback(ctx), PRIVACY_OK);
    ck_assert_int_eq(
        tu_count_rows(&S, "collection = 'field' AND id LIKE '%.contact.shipping_address'"), 0);
}
END_TEST

/* R19: a stolen database reveals no PII — not the SQLite file, its WAL or
 * shm file, not any column of the PostgreSQL tables — while the context
 * is open and after it closed. */
START_TEST(test_subject_R19_no_plaintext_in_storage)
{
    static const char *const pii[] = { "Zoë Ärnbäck-Łukasiewicz", "zoe.arnback@example.com",
                                       "Rruga e Kavajës 12, Tiranë", "+355 69 555 0101" };
    static const char *const cat[] = { "contact.name", "contact.email",
                                       "contact.shipping_address", "contact.phone" };
    for (int i = 0; i < 3; i++)
        set_ok(cat[i], pii[i]);
    static const char *const support[] = { "support_response" };
    ck_assert_int_eq(privacy_subject_set(ctx, service, sub, cat[3], pii[3], support, 1),
                     PRIVACY_OK);
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1) {
            privacy_close(ctx);
            ck_assert_int_eq(tu_open(&ctx, S.uri), PRIVACY_OK);
            privacy_close(ctx);
            ctx = NULL;
        }
        for (int i = 0; i < 4; i++)
            ck_assert_msg(!tu_store_contains(&S, pii[i], strlen(pii[i])), "'%s' stored", cat[i]);
        ck_assert(!tu_store_contains(&S, "zoe.arnback", 11));
    }
    ck_assert_int_eq(tu_open(&ctx, S.uri), PRIVACY_OK);
}
END_TEST

static uint8_t *dek_record(size_t *len)
{
    privacy_record *r = NULL;
    ck_assert_int_eq(prv_store_get(ctx->store, PRV_DEK_COLLECTION, sub, &r), PRIVACY_OK);
    uint8_t *copy = malloc(r->body_len);
    ck_assert_ptr_nonnull(copy);
    memcpy(copy, r->body, r->body_len);
    *len = r->body_len;
    privacy_free(r);
    return copy;
}

/* Crypto-shredding through one context makes the data unreadable in every
 * other at once, cached keys included, and leaves no copy of the wrapped
 * key in the store (on SQLite: the file or its WAL). */
START_TEST(test_subject_shredded_key_unusable_everywhere)
{
    set_ok("contact.name", "Zoë");
    privacy_ctx *other;
    ck_assert_int_eq(tu_open(&other, S.uri), PRIVACY_OK);
    char *got = NULL;
    ck_assert_int_eq(privacy_subject_get(other, billing, sub, "contact.name", "billing", &got),
                     PRIVACY_OK); /* other now caches the key */
    privacy_free(got);
    size_t wlen;
    uint8_t *wrapped = dek_record(&wlen);
    int64_t now, horizon = 0;
    ck_assert_int_eq(privacy_now(ctx, &now), PRIVACY_OK);
    ck_assert_int_eq(prv_subject_shred(ctx, shop, sub, &horizon), PRIVACY_OK);
    /* Without a configured keystore backup retention the horizon is now;
     * with 30 days it is 30 days on (test_subject_erasure_horizon). */
    ck_assert_int_ge(horizon, now);
    ck_assert_int_lt(horizon, now + 60 * INT64_C(1000000));
    got = NULL;
    ck_assert_int_eq(privacy_subject_get(other, billing, sub, "contact.name", "billing", &got),
                     PRIVACY_E_NOT_FOUND);
    ck_assert_int_eq(privacy_subject_get(ctx, billing, sub, "contact.name", "billing", &got),
                     PRIVACY_E_NOT_FOUND);
    ck_assert_ptr_null(got);
    privacy_close(other);
    privacy_close(ctx);
    ctx = NULL;
    ck_assert(!tu_store_contains(&S, wrapped, wlen));
    ck_assert_int_eq(tu_open(&ctx, S.uri), PRIVACY_OK);
    free(wrapped);
}
END_TEST

START_TEST(test_subject_erasure_horizon)
{
    privacy_config *cfg;
    ck_assert_int_eq(tu_config_new(&cfg), PRIVACY_OK);
    ck_assert_int_eq(privacy_config_set_storage(cfg, S.uri), PRIVACY_OK);
    int64_t month = 30 * 86400 * INT64_C(1000000);
    ck_assert_int_eq(privacy_config_set_keystore_backup_retention(cfg, -1), PRIVACY_E_INVALID);
    ck_assert_int_eq(privacy_config_set_keystore_backup_retention(NULL, month),
                     PRIVACY_E_INVALID);
    ck_assert_int_eq(privacy_config_set_keystore_backup_retention(cfg, month), PRIVACY_OK);
    privacy_ctx *other;
    ck_assert_int_eq(privacy_open(&other, cfg), PRIVACY_OK);
    privacy_config_free(cfg);
    int64_t now, horizon = 0;
    ck_assert_int_eq(privacy_now(other, &now), PRIVACY_OK);
    ck_assert_int_eq(prv_subject_shred(other, shop, sub, &horizon), PRIVACY_OK);
    ck_assert_int_ge(horizon, now + month);
    ck_assert_int_lt(horizon, now + month + 60 * INT64_C(1000000));
    /* Again: nothing left to destroy, and recorded as such. */
    ck_assert_int_eq(prv_subject_shred(other, shop, sub, NULL), PRIVACY_E_NOT_FOUND);
    ck_assert_int_eq(privacy_audit_verify(other, NULL), PRIVACY_OK);
    privacy_close(other);
}
END_TEST

START_TEST(test_subject_R22_moved_field_refused)
{
    set_ok("contact.name", "Zoë");
    char *other = NULL;
    ck_assert_int_eq(privacy_subject_create(ctx, shop, "web_form", &other), PRIVACY_OK);
    ck_assert_int_eq(privacy_subject_set(ctx, shop, other, "contact.name", "Someone Else",
                                         BILLING, 1),
                     PRIVACY_OK);
    char sql[512];
    snprintf(sql, sizeof sql,
             "UPDATE records SET body = (SELECT body FROM records WHERE collection = 'field'"
             " AND id = '%s.contact.name') WHERE collection = 'field' AND id = '%s.contact.name'",
             sub, other);
    ck_assert_int_gt(tu_sql(&S, sql), 0);
    char *got = NULL;
    int rc = privacy_subject_get(ctx, billing, other, "contact.name", "billing", &got);
    ck_assert_msg(rc == PRIVACY_E_INTEGRITY || rc == PRIVACY_E_CRYPTO, "%s",
                  privacy_strerror(rc));
    ck_assert_ptr_null(got);
    privacy_free(other);
}
END_TEST

START_TEST(test_subject_delete_field)
{
    static const char *const cat = "contact.shipping_address";
    set_ok(cat, "Rruga e Kavajës 12, Tiranë");
    ck_assert_int_eq(privacy_subject_delete_field(ctx, marketing, sub, cat, "billing"),
                     PRIVACY_E_DENIED);
    ck_assert_int_eq(privacy_subject_delete_field(ctx, shop, sub, cat, "billing"), PRIVACY_OK);
    char *got = NULL;
    ck_assert_int_eq(privacy_subject_get(ctx, billing, sub, cat, "billing", &got),
                     PRIVACY_E_NOT_FOUND);
    ck_assert_int_eq(privacy_subject_delete_field(ctx, shop, sub, cat, "billing"), PRIVACY_OK);
}
END_TEST

static Suite *subject_suite(void)
{
    Suite *s = suite_create("subject");
    TCase *tc = tcase_create("subject");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_subject_R1_create_names_its_channel);
    tcase_add_test(tc, test_subject_set_and_get_round_trip);
    tcase_add_test(tc, test_subject_R20_role_without_need_refused_and_recorded);
    tcase_add_test(tc, test_subject_R2_read_for_uncollected_purpose_refused);
    tcase_add_test(tc, test_subject_R22_bad_input_changes_nothing);
    tcase_add_test(tc, test_subject_unknown_subject_not_found_and_recorded);
    tcase_add_test(tc, test_subject_find_by_email_any_spelling);
    tcase_add_test(tc, test_subject_find_by_email_sees_every_hit);
    tcase_add_test(tc, test_subject_fields_lists_names_by_purpose_and_role);
    tcase_add_test(tc, test_subject_reads_refused_inside_caller_transaction);
    tcase_add_test(tc, test_subject_R19_no_plaintext_in_storage);
    tcase_add_test(tc, test_subject_shredded_key_unusable_everywhere);
    tcase_add_test(tc, test_subject_erasure_horizon);
    tcase_add_test(tc, test_subject_R22_moved_field_refused);
    tcase_add_test(tc, test_subject_delete_field);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(subject_suite());
}
