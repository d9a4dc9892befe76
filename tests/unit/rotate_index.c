/* The blind-index key's versions (test_rotate.c registers these tests): a
 * new version indexes new and updated addresses, while lookups still find
 * what older versions indexed — in this context, after reopening, and in
 * contexts opened before the version was added. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/context.h"
#include "crypto/blind.h"
#include "keys/rotate.h"
#include "rotate_testlib.h"
#include "subject/email.h"
#include "subject/field.h"

static const char *const BILLING[] = { "billing" };
static const int OLD[] = { 0 }, NEW[] = { 1 }, BOTH[] = { 0, 1 };

static prv_store *keystore_of(privacy_ctx *ctx)
{
    return ctx->keystore_store != NULL ? ctx->keystore_store : ctx->store;
}

static uint32_t add_index_version(privacy_ctx *ctx)
{
    uint32_t v = 0;
    int rc = prv_keystore_add_version(ctx->keys, keystore_of(ctx), PRV_KEY_BLIND_INDEX, &v,
                                      &ctx->err);
    ck_assert_msg(rc == PRIVACY_OK, "%s", privacy_errmsg(ctx));
    return v;
}

static uint32_t loaded_versions(privacy_ctx *ctx)
{
    uint32_t n = 0;
    while (prv_keystore_key_nth(ctx->keys, PRV_KEY_BLIND_INDEX, n, NULL) != NULL)
        n++;
    return n;
}

/* The stored index of a subject's email. */
static void stored_index(privacy_ctx *ctx, const char *subject, uint8_t out[PRV_BLIND_BYTES])
{
    char rid[128];
    snprintf(rid, sizeof rid, "%s.%s", subject, PRV_EMAIL_CATEGORY);
    privacy_record *r = NULL;
    ck_assert_int_eq(prv_store_get(ctx->store, PRV_FIELD_COLLECTION, rid, &r), PRIVACY_OK);
    ck_assert_int_eq(r->index_key_len, PRV_BLIND_BYTES);
    memcpy(out, r->index_key, PRV_BLIND_BYTES);
    privacy_free(r);
}

/* The index of an address under the nth newest loaded key. */
static void index_under(privacy_ctx *ctx, size_t nth, const char *email,
                        uint8_t out[PRV_BLIND_BYTES])
{
    char *norm = NULL;
    size_t len = 0;
    ck_assert_int_eq(prv_email_normalise(email, strlen(email), &norm, &len, &ctx->err),
                     PRIVACY_OK);
    ck_assert(prv_blind_index_nth(ctx->keys, nth, PRV_FIELD_COLLECTION, PRV_EMAIL_CATEGORY, norm,
                                  len, out));
    prv_free(norm);
}

static int find(privacy_ctx *ctx, const char *email, char **found)
{
    privacy_actor *clerk;
    ck_assert_int_eq(privacy_actor_new(ctx, "staff-17", "billing", &clerk), PRIVACY_OK);
    *found = NULL;
    int rc = privacy_subject_find_by_email(ctx, clerk, email, "billing", found);
    privacy_actor_free(clerk);
    return rc;
}

static char *new_subject(privacy_ctx *ctx, const char *email)
{
    privacy_actor *shop;
    char *id = NULL;
    ck_assert_int_eq(privacy_actor_new(ctx, "svc-web", "storefront", &shop), PRIVACY_OK);
    ck_assert_int_eq(privacy_subject_create(ctx, shop, "web_form", &id), PRIVACY_OK);
    ck_assert_int_eq(privacy_subject_set(ctx, shop, id, PRV_EMAIL_CATEGORY, email, BILLING, 1),
                     PRIVACY_OK);
    privacy_actor_free(shop);
    return id;
}

static void assert_finds(privacy_ctx *ctx, const char *email, const char *want)
{
    char *found = NULL;
    int rc = find(ctx, email, &found);
    ck_assert_msg(rc == PRIVACY_OK, "%s", privacy_errmsg(ctx));
    ck_assert_str_eq(found, want);
    privacy_free(found);
}

START_TEST(test_rotate_index_new_version_keeps_old_subjects_found)
{
    rt_populate(NULL);
    privacy_ctx *ctx;
    ck_assert_int_eq(rt_open(&ctx, OLD, 1, NULL, NULL), PRIVACY_OK);
    ck_assert_int_eq(add_index_version(ctx), 2);
    uint32_t v_new = 0, v_old = 0;
    const unsigned char *k_new = prv_keystore_key(ctx->keys, PRV_KEY_BLIND_INDEX, &v_new);
    const unsigned char *k_old = prv_keystore_key_nth(ctx->keys, PRV_KEY_BLIND_INDEX, 1, &v_old);
    ck_assert_int_eq(v_new, 2);
    ck_assert_int_eq(v_old, 1);
    ck_assert(memcmp(k_new, k_old, PRV_WORKING_KEY_BYTES) != 0);
    ck_assert_int_eq(loaded_versions(ctx), 2);
    rt_check_reads(ctx); /* every subject indexed under version 1 is found */
    char *x = new_subject(ctx, "New.Customer@example.org");
    uint8_t idx[PRV_BLIND_BYTES], want[PRV_BLIND_BYTES];
    stored_index(ctx, x, idx);
    index_under(ctx, 0, "new.customer@example.org", want);
    ck_assert_int_eq(idx[0], 2);
    ck_assert_mem_eq(idx, want, sizeof idx);
    stored_index(ctx, sub[0], idx);
    ck_assert_int_eq(idx[0], 1);
    assert_finds(ctx, "new.customer@example.org", x);
    privacy_close(ctx);
    /* Reopened: every version loads, the newest is the one written under. */
    ck_assert_int_eq(rt_open(&ctx, OLD, 1, NULL, NULL), PRIVACY_OK);
    ck_assert_int_eq(loaded_versions(ctx), 2);
    rt_check_reads(ctx);
    assert_finds(ctx, "NEW.customer@example.org", x);
    char *none = NULL;
    ck_assert_int_eq(find(ctx, "nobody@example.org", &none), PRIVACY_E_NOT_FOUND);
    ck_assert_ptr_null(none);
    ck_assert_int_eq(privacy_audit_verify(ctx, NULL), PRIVACY_OK);
    privacy_close(ctx);
    privacy_free(x);
}
END_TEST

START_TEST(test_rotate_index_setting_the_email_again_reindexes_it)
{
    rt_populate(NULL);
    privacy_ctx *ctx;
    ck_assert_int_eq(rt_open(&ctx, OLD, 1, NULL, NULL), PRIVACY_OK);
    add_index_version(ctx);
    char email[64];
    rt_email(email, 3);
    uint8_t under_old[PRV_BLIND_BYTES], under_new[PRV_BLIND_BYTES], idx[PRV_BLIND_BYTES];
    index_under(ctx, 1, email, under_old);
    index_under(ctx, 0, email, under_new);
    stored_index(ctx, sub[3], idx);
    ck_assert_mem_eq(idx, under_old, sizeof idx);
    privacy_actor *shop;
    ck_assert_int_eq(privacy_actor_new(ctx, "svc-web", "storefront", &shop), PRIVACY_OK);
    ck_assert_int_eq(privacy_subject_set(ctx, shop, sub[3], PRV_EMAIL_CATEGORY, email, BILLING, 1),
                     PRIVACY_OK);
    privacy_actor_free(shop);
    stored_index(ctx, sub[3], idx);
    ck_assert_mem_eq(idx, under_new, sizeof idx);
    ck_assert_int_eq(idx[0], 2);
    int n = 0;
    ck_assert_int_eq(prv_store_scan(ctx->store, PRV_FIELD_COLLECTION, NULL, under_old,
                                    sizeof under_old, tu_count_cb, &n),
                     PRIVACY_OK);
    ck_assert_int_eq(n, 0); /* the old index went with the old value */
    assert_finds(ctx, email, sub[3]);
    rt_check_reads(ctx); /* the others, still under version 1 */
    privacy_close(ctx);
}
END_TEST

/* A context opened before another one added a version finds what that
 * one indexed under it: a lookup that finds nothing looks for newer
 * versions first. */
START_TEST(test_rotate_index_context_opened_before_finds_new_version)
{
    rt_populate(NULL);
    privacy_ctx *early, *late;
    ck_assert_int_eq(rt_open(&early, OLD, 1, NULL, NULL), PRIVACY_OK);
    ck_assert_int_eq(rt_open(&late, OLD, 1, NULL, NULL), PRIVACY_OK);
    ck_assert_int_eq(add_index_version(late), 2);
    char *x = new_subject(late, "late@example.org");
    ck_assert_int_eq(loaded_versions(early), 1);
    assert_finds(early, "late@example.org", x);
    ck_assert_int_eq(loaded_versions(early), 2);
    rt_check_reads(early);
    char *y = new_subject(early, "early@example.org"); /* now under version 2 */
    uint8_t idx[PRV_BLIND_BYTES];
    stored_index(early, y, idx);
    ck_assert_int_eq(idx[0], 2);
    assert_finds(late, "early@example.org", y);
    /* A third version, seen by the early context only when it misses. */
    ck_assert_int_eq(add_index_version(late), 3);
    char *none = NULL;
    ck_assert_int_eq(find(early, "nobody@example.org", &none), PRIVACY_E_NOT_FOUND);
    ck_assert_int_eq(loaded_versions(early), 3);
    privacy_close(early);
    privacy_close(late);
    privacy_free(x);
    privacy_free(y);
}
END_TEST

/* Two contexts adding a version at once agree on one. */
START_TEST(test_rotate_index_concurrent_additions_agree)
{
    privacy_ctx *a, *b;
    ck_assert_int_eq(rt_open(&a, OLD, 1, NULL, NULL), PRIVACY_OK);
    ck_assert_int_eq(rt_open(&b, OLD, 1, NULL, NULL), PRIVACY_OK);
    ck_assert_int_eq(add_index_version(a), 2);
    ck_assert_int_eq(add_index_version(b), 2); /* a's version 2, loaded */
    ck_assert_mem_eq(prv_keystore_key(a->keys, PRV_KEY_BLIND_INDEX, NULL),
                     prv_keystore_key(b->keys, PRV_KEY_BLIND_INDEX, NULL), PRV_WORKING_KEY_BYTES);
    ck_assert_int_eq(tu_count_rows(&S, "collection = 'keys'"), PRV_KEY_COUNT + 1);
    ck_assert_int_eq(add_index_version(b), 3);
    privacy_close(a);
    privacy_close(b);
}
END_TEST

START_TEST(test_rotate_index_only_the_index_key_takes_versions)
{
    privacy_ctx *ctx;
    ck_assert_int_eq(rt_open(&ctx, OLD, 1, NULL, NULL), PRIVACY_OK);
    for (int p = 0; p < PRV_KEY_COUNT; p++) {
        if (p == PRV_KEY_BLIND_INDEX)
            continue;
        ck_assert_int_eq(prv_keystore_add_version(ctx->keys, ctx->store, p, NULL, &ctx->err),
                         PRIVACY_E_INVALID);
        ck_assert(strstr(privacy_errmsg(ctx), "only the blind-index key") != NULL);
        uint32_t v;
        prv_keystore_key(ctx->keys, p, &v);
        ck_assert_int_eq(v, 1);
    }
    ck_assert_int_eq(tu_count_rows(&S, "collection = 'keys'"), PRV_KEY_COUNT);
    privacy_close(ctx);
}
END_TEST

/* A new version's record altered in the store is refused when a context
 * comes to load it, as at open. */
START_TEST(test_rotate_index_R22_tampered_new_version_refused)
{
    rt_populate(NULL);
    privacy_ctx *early, *late;
    ck_assert_int_eq(rt_open(&early, OLD, 1, NULL, NULL), PRIVACY_OK);
    ck_assert_int_eq(rt_open(&late, OLD, 1, NULL, NULL), PRIVACY_OK);
    add_index_version(late);
    privacy_close(late);
    tu_flip_body_byte(&S, "keys", "wk.blind_index.2", -1);
    char *none = NULL;
    ck_assert_int_eq(find(early, "nobody@example.org", &none), PRIVACY_E_INTEGRITY);
    ck_assert(strstr(privacy_errmsg(early), "'wk.blind_index.2' does not authenticate") != NULL);
    ck_assert_int_eq(loaded_versions(early), 1);
    privacy_close(early);
    ck_assert_int_eq(rt_open(&early, OLD, 1, NULL, NULL), PRIVACY_E_INTEGRITY);
}
END_TEST

/* Every version of the index key is re-wrapped by a root-key rotation. */
START_TEST(test_rotate_index_versions_follow_a_root_key_rotation)
{
    rt_populate(NULL);
    privacy_ctx *ctx;
    ck_assert_int_eq(rt_open(&ctx, OLD, 1, NULL, NULL), PRIVACY_OK);
    add_index_version(ctx);
    char *x = new_subject(ctx, "after@example.org");
    privacy_close(ctx);
    ck_assert_int_eq(rt_open(&ctx, BOTH, 2, NULL, NULL), PRIVACY_OK);
    ck_assert_int_eq(privacy_keys_rotate(ctx, NULL, NULL), PRIVACY_OK);
    privacy_close(ctx);
    ck_assert_int_eq(rt_wraps(&S).by[1], TOTAL_KEYS + 2); /* a key and a data key more */
    ck_assert_int_eq(rt_open(&ctx, NEW, 1, NULL, NULL), PRIVACY_OK);
    ck_assert_int_eq(loaded_versions(ctx), 2);
    rt_check_reads(ctx);
    assert_finds(ctx, "after@example.org", x);
    privacy_close(ctx);
    privacy_free(x);
}
END_TEST

void rt_add_index_tests(TCase *tc)
{
    tcase_add_test(tc, test_rotate_index_new_version_keeps_old_subjects_found);
    tcase_add_test(tc, test_rotate_index_setting_the_email_again_reindexes_it);
    tcase_add_test(tc, test_rotate_index_context_opened_before_finds_new_version);
    tcase_add_test(tc, test_rotate_index_concurrent_additions_agree);
    tcase_add_test(tc, test_rotate_index_only_the_index_key_takes_versions);
    tcase_add_test(tc, test_rotate_index_R22_tampered_new_version_refused);
    tcase_add_test(tc, test_rotate_index_versions_follow_a_root_key_rotation);
}
