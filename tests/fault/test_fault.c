/* Fault injection: fail the Nth allocation of the library's allocator, or
 * the Nth call of the backend, at every step of opening a context and of
 * writing records, and check each time: the documented code, a message, no
 * leaked allocation, and storage unchanged. Stores are the test's
 * (testutil.h): an SQLite file in a temporary directory (tmpfs when TMPDIR
 * points there), or a PostgreSQL schema. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/context.h"
#include "fault_backend.h"
#include "store/store.h"
#include "testutil.h"

static tu_store S;
static void setup(void)
{
    tu_store_setup(&S);
    fb_reset(S.backend);
}

static void teardown(void)
{
    prv_alloc_fault(0, 0);
    fb_fail(0, 0, 0);
    tu_store_teardown(&S);
}

static int open_with(privacy_ctx **ctx, const privacy_backend *be)
{
    privacy_config *cfg = NULL;
    int rc = tu_config_new(&cfg);
    if (rc == PRIVACY_OK)
        rc = be != NULL ? privacy_config_set_backend(cfg, be, S.uri)
                        : privacy_config_set_storage(cfg, S.uri);
    if (rc == PRIVACY_OK)
        rc = privacy_open(ctx, cfg);
    privacy_config_free(cfg);
    return rc;
}

/* Allocations a successful open makes, counted by running it once. */
static long count_open_allocations(void)
{
    privacy_ctx *ctx;
    long before = prv_alloc_count();
    ck_assert_int_eq(open_with(&ctx, NULL), PRIVACY_OK);
    long n = prv_alloc_count() - before;
    privacy_close(ctx);
    return n;
}

static void sweep_open_allocations(int new_store)
{
    long steps = count_open_allocations();
    ck_assert_int_gt(steps, 0);
    uint8_t before[32], after[32];
    for (long i = 1; i <= steps; i++) {
        if (new_store)
            tu_store_reset(&S);
        else
            tu_store_digest(&S, before);
        long live = prv_alloc_live();
        privacy_ctx *ctx = NULL;
        prv_alloc_fault(i, 0);
        int rc = open_with(&ctx, NULL);
        prv_alloc_fault(0, 0);
        if (rc == PRIVACY_OK) { /* the failed allocation was not on the open path */
            privacy_close(ctx);
            continue;
        }
        ck_assert_msg(rc == PRIVACY_E_NOMEM, "step %ld: %s", i, privacy_strerror(rc));
        ck_assert_msg(privacy_errmsg(NULL)[0] != '\0', "step %ld: no message", i);
        ck_assert_ptr_null(ctx);
        ck_assert_msg(prv_alloc_live() == live, "step %ld leaked %ld blocks", i,
                      prv_alloc_live() - live);
        if (new_store) {
            ck_assert_msg(!tu_store_exists(&S), "step %ld left a new store behind", i);
        } else {
            tu_store_digest(&S, after);
            ck_assert_msg(memcmp(before, after, sizeof before) == 0,
                          "step %ld changed the store", i);
        }
    }
}

START_TEST(test_fault_open_new_store_every_allocation)
{
    sweep_open_allocations(1);
}
END_TEST

START_TEST(test_fault_open_existing_store_every_allocation)
{
    privacy_ctx *ctx;
    ck_assert_int_eq(open_with(&ctx, NULL), PRIVACY_OK);
    privacy_close(ctx);
    sweep_open_allocations(0);
}
END_TEST

START_TEST(test_fault_open_persistent_allocation_failure)
{
    long live = prv_alloc_live();
    privacy_ctx *ctx = NULL;
    privacy_config *cfg;
    ck_assert_int_eq(tu_config_new(&cfg), PRIVACY_OK);
    ck_assert_int_eq(privacy_config_set_storage(cfg, S.uri), PRIVACY_OK);
    prv_alloc_fault(1, 1);
    ck_assert_int_eq(privacy_open(&ctx, cfg), PRIVACY_E_NOMEM);
    prv_alloc_fault(0, 0);
    ck_assert_str_eq(privacy_errmsg(NULL), "privacy_open: out of memory");
    privacy_config_free(cfg);
    ck_assert_int_eq(prv_alloc_live(), live);
    ck_assert(!tu_store_exists(&S));
}
END_TEST

START_TEST(test_fault_open_backend_failure_codes)
{
    static const int codes[] = { PRIVACY_E_STORAGE, PRIVACY_E_BUSY, PRIVACY_E_NOMEM,
                                 PRIVACY_E_VERSION };
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        long live = prv_alloc_live();
        privacy_ctx *ctx = NULL;
        fb_fail(1, codes[i], 0);
        ck_assert_int_eq(open_with(&ctx, &fb_backend), codes[i]);
        ck_assert_ptr_null(ctx);
        ck_assert(strstr(privacy_errmsg(NULL), "injected failure of open") != NULL);
        ck_assert_int_eq(prv_alloc_live(), live);
        ck_assert(!tu_store_exists(&S));
    }
}
END_TEST

static int count_keys_cb(void *ud, const privacy_record *r)
{
    (void)r;
    ++*(int *)ud;
    return 0;
}

/* A new store: opening makes the store, its schema and the working keys in
 * several backend calls. Failing any one of them leaves either no keys or
 * all of them, never a partial set, and the next open succeeds. */
START_TEST(test_fault_open_new_store_every_backend_call)
{
    privacy_ctx *ctx;
    long before = fb_calls();
    ck_assert_int_eq(open_with(&ctx, &fb_backend), PRIVACY_OK);
    long steps = fb_calls() - before;
    privacy_close(ctx);
    ck_assert_int_ge(steps, 4); /* open, scan, begin ... commit, scan */
    for (long i = 1; i <= steps; i++) {
        tu_store_reset(&S);
        long live = prv_alloc_live();
        ctx = NULL;
        fb_fail(i, PRIVACY_E_STORAGE, 0);
        int rc = open_with(&ctx, &fb_backend);
        fb_fail(0, 0, 0);
        ck_assert_msg(rc == PRIVACY_E_STORAGE, "step %ld: %s", i, privacy_strerror(rc));
        ck_assert_ptr_null(ctx);
        ck_assert_int_eq(prv_alloc_live(), live);
        ck_assert_msg(strstr(privacy_errmsg(NULL), "injected failure") != NULL, "step %ld: %s",
                      i, privacy_errmsg(NULL));
        if (!tu_store_exists(&S))
            continue;
        ck_assert_int_eq(open_with(&ctx, NULL), PRIVACY_OK);
        int n = 0;
        ck_assert_int_eq(prv_store_scan(ctx->store, "keys", NULL, NULL, 0, count_keys_cb, &n),
                         PRIVACY_OK);
        ck_assert_msg(n == 5, "step %ld left %d keys", i, n);
        privacy_close(ctx);
    }
}
END_TEST

/* ---- record writes ---- */

enum { NREC = 3 };

static int write_batch(prv_store *st, void *ud)
{
    const char *tag = ud;
    for (int i = 0; i < NREC; i++) {
        char id[32];
        snprintf(id, sizeof id, "%s%d", tag, i);
        privacy_record r = { .collection = "thing", .id = id, .subject_id = "sub_1",
                             .created = i, .body = (const uint8_t *)tag,
                             .body_len = strlen(tag) };
        int rc = prv_store_put(st, &r);
        if (rc != PRIVACY_OK)
            return rc;
    }
    return PRIVACY_OK;
}

static int count_records(privacy_ctx *ctx)
{
    int n = 0;
    ck_assert_int_eq(prv_store_scan(ctx->store, "thing", NULL, NULL, 0, tu_count_cb, &n), PRIVACY_OK);
    return n;
}

static privacy_ctx *open_faulty(int64_t retry_budget_us)
{
    privacy_config *cfg;
    ck_assert_int_eq(tu_config_new(&cfg), PRIVACY_OK);
    ck_assert_int_eq(privacy_config_set_backend(cfg, &fb_backend, S.uri), PRIVACY_OK);
    ck_assert_int_eq(privacy_config_set_retry_budget(cfg, retry_budget_us), PRIVACY_OK);
    privacy_ctx *ctx;
    ck_assert_int_eq(privacy_open(&ctx, cfg), PRIVACY_OK);
    privacy_config_free(cfg);
    return ctx;
}

START_TEST(test_fault_write_every_backend_call_storage)
{
    privacy_ctx *ctx = open_faulty(0);
    ck_assert_int_eq(prv_store_tx(ctx->store, write_batch, "base"), PRIVACY_OK);
    long before = fb_calls();
    ck_assert_int_eq(prv_store_tx(ctx->store, write_batch, "new"), PRIVACY_OK);
    long steps = fb_calls() - before; /* begin, puts, commit */
    ck_assert_int_eq(steps, NREC + 2);
    ck_assert_int_eq(count_records(ctx), 2 * NREC);
    for (long i = 1; i <= steps; i++) {
        char tag[32];
        snprintf(tag, sizeof tag, "f%ld_", i);
        long live = prv_alloc_live();
        fb_fail(i, PRIVACY_E_STORAGE, 0);
        int rc = prv_store_tx(ctx->store, write_batch, tag);
        fb_fail(0, 0, 0);
        ck_assert_msg(rc == PRIVACY_E_STORAGE, "step %ld: %s", i, privacy_strerror(rc));
        ck_assert_msg(strstr(ctx->err.msg, "injected failure") != NULL, "step %ld: '%s'", i,
                      ctx->err.msg);
        ck_assert_int_eq(prv_alloc_live(), live);
        ck_assert_msg(count_records(ctx) == 2 * NREC, "step %ld left a partial write", i);
    }
    privacy_close(ctx);
}
END_TEST

START_TEST(test_fault_write_every_backend_call_busy_reruns)
{
    privacy_ctx *ctx = open_faulty(5000000);
    long before = fb_calls();
    ck_assert_int_eq(prv_store_tx(ctx->store, write_batch, "base"), PRIVACY_OK);
    long steps = fb_calls() - before;
    for (long i = 1; i <= steps; i++) {
        char tag[32];
        snprintf(tag, sizeof tag, "b%ld_", i);
        fb_fail(i, PRIVACY_E_BUSY, 0);
        ck_assert_int_eq(prv_store_tx(ctx->store, write_batch, tag), PRIVACY_OK);
        fb_fail(0, 0, 0);
        ck_assert_int_eq(count_records(ctx), (int)(i + 1) * NREC);
    }
    privacy_close(ctx);
}
END_TEST

START_TEST(test_fault_write_in_caller_transaction)
{
    privacy_ctx *ctx = open_faulty(0);
    for (long i = 1; i <= NREC; i++) {
        ck_assert_int_eq(privacy_begin(ctx), PRIVACY_OK);
        ck_assert_int_eq(prv_store_tx(ctx->store, write_batch, "ok"), PRIVACY_OK);
        fb_fail(i, PRIVACY_E_STORAGE, 0);
        ck_assert_int_eq(prv_store_tx(ctx->store, write_batch, "bad"), PRIVACY_E_STORAGE);
        fb_fail(0, 0, 0);
        ck_assert_int_eq(privacy_commit(ctx), PRIVACY_E_STORAGE);
        ck_assert(strstr(privacy_errmsg(ctx), "rolled back") != NULL);
        ck_assert_int_eq(count_records(ctx), 0);
    }
    /* A failing commit of the caller's transaction lands nothing either. */
    ck_assert_int_eq(privacy_begin(ctx), PRIVACY_OK);
    ck_assert_int_eq(prv_store_tx(ctx->store, write_batch, "ok"), PRIVACY_OK);
    fb_fail(1, PRIVACY_E_STORAGE, 0);
    ck_assert_int_eq(privacy_commit(ctx), PRIVACY_E_STORAGE);
    fb_fail(0, 0, 0);
    ck_assert_int_eq(count_records(ctx), 0);
    privacy_close(ctx);
}
END_TEST

START_TEST(test_fault_write_and_read_every_allocation)
{
    privacy_ctx *ctx;
    ck_assert_int_eq(open_with(&ctx, NULL), PRIVACY_OK);
    long before = prv_alloc_count();
    ck_assert_int_eq(prv_store_tx(ctx->store, write_batch, "w"), PRIVACY_OK);
    privacy_record *got = NULL;
    ck_assert_int_eq(prv_store_get(ctx->store, "thing", "w0", &got), PRIVACY_OK);
    privacy_free(got);
    long steps = prv_alloc_count() - before;
    ck_assert_int_ge(steps, 1); /* at least the record handed back */
    for (long i = 1; i <= steps; i++) {
        long live = prv_alloc_live();
        got = NULL;
        prv_alloc_fault(i, 0);
        int rc = prv_store_tx(ctx->store, write_batch, "w");
        if (rc == PRIVACY_OK)
            rc = prv_store_get(ctx->store, "thing", "w0", &got);
        prv_alloc_fault(0, 0);
        if (rc == PRIVACY_OK) {
            privacy_free(got);
            continue;
        }
        ck_assert_int_eq(rc, PRIVACY_E_NOMEM);
        ck_assert_ptr_null(got);
        ck_assert_int_eq(prv_alloc_live(), live);
        ck_assert_int_eq(count_records(ctx), NREC);
    }
    privacy_close(ctx);
}
END_TEST

/* ---- recorded access (R21): failing to record refuses the access ---- */

static const char SUB[] = "sub_0123456789abcdef0123456789abcdef";

static int count_audit(privacy_ctx *ctx)
{
    int n = 0;
    ck_assert_int_eq(prv_store_scan(ctx->store, "audit", NULL, NULL, 0, tu_count_cb, &n),
                     PRIVACY_OK);
    return n;
}

START_TEST(test_fault_authorize_every_step)
{
    privacy_ctx *ctx = open_faulty(0);
    privacy_actor *clerk;
    ck_assert_int_eq(privacy_actor_new(ctx, "staff-17", "billing", &clerk), PRIVACY_OK);
    long a0 = prv_alloc_count(), b0 = fb_calls();
    ck_assert_int_eq(privacy_authorize(ctx, clerk, "read", "contact.email", "billing", SUB, NULL),
                     PRIVACY_OK);
    long allocs = prv_alloc_count() - a0, calls = fb_calls() - b0;
    ck_assert_int_ge(allocs, 1);
    ck_assert_int_eq(calls, 3); /* begin, put, commit */
    int entries = count_audit(ctx);
    for (long i = 1; i <= allocs + calls; i++) {
        long live = prv_alloc_live();
        int via_alloc = i <= allocs;
        if (via_alloc)
            prv_alloc_fault(i, 0);
        else
            fb_fail(i - allocs, PRIVACY_E_STORAGE, 0);
        int rc = privacy_authorize(ctx, clerk, "read", "contact.email", "billing", SUB, NULL);
        prv_alloc_fault(0, 0);
        fb_fail(0, 0, 0);
        ck_assert_msg(rc == (via_alloc ? PRIVACY_E_NOMEM : PRIVACY_E_STORAGE), "step %ld: %s", i,
                      privacy_strerror(rc));
        ck_assert(privacy_errmsg(ctx)[0] != '\0');
        ck_assert_int_eq(prv_alloc_live(), live);
        ck_assert_int_eq(count_audit(ctx), entries); /* nothing recorded, access refused */
    }
    /* The chain was never broken by the failures. */
    ck_assert_int_eq(privacy_authorize(ctx, clerk, "read", "contact.email", "billing", SUB, NULL),
                     PRIVACY_OK);
    ck_assert_int_eq(privacy_audit_verify(ctx, NULL), PRIVACY_OK);
    privacy_actor_free(clerk);
    privacy_close(ctx);
}
END_TEST

/* ---- subjects: a failed write leaves no field and no entry; a failed
 * read returns nothing and records nothing ---- */

static int count_fields(privacy_ctx *ctx)
{
    int n = 0;
    ck_assert_int_eq(prv_store_scan(ctx->store, "field", NULL, NULL, 0, tu_count_cb, &n),
                     PRIVACY_OK);
    return n;
}

typedef int (*subject_step)(privacy_ctx *ctx, privacy_actor *a, const char *sub, char **out);

static int set_email(privacy_ctx *ctx, privacy_actor *a, const char *sub, char **out)
{
    static const char *const why[] = { "billing" };
    (void)out;
    return privacy_subject_set(ctx, a, sub, "contact.email", "Zo\xc3\xab@example.com", why, 1);
}

static int get_email(privacy_ctx *ctx, privacy_actor *a, const char *sub, char **out)
{
    return privacy_subject_get(ctx, a, sub, "contact.email", "billing", out);
}

static int find_email(privacy_ctx *ctx, privacy_actor *a, const char *sub, char **out)
{
    (void)sub;
    return privacy_subject_find_by_email(ctx, a, "zo\xc3\xab@EXAMPLE.com", "billing", out);
}

/* Runs step once to count its allocations and backend calls, then fails
 * each in turn: the documented code, no leaked block, no output, and the
 * store as before (fields and audit entries counted). */
static void sweep_subject_step(subject_step step, int writes)
{
    privacy_ctx *ctx = open_faulty(0);
    privacy_actor *shop, *clerk;
    char *sub = NULL, *out = NULL;
    ck_assert_int_eq(privacy_actor_new(ctx, "svc-web", "storefront", &shop), PRIVACY_OK);
    ck_assert_int_eq(privacy_actor_new(ctx, "staff-17", "billing", &clerk), PRIVACY_OK);
    ck_assert_int_eq(privacy_subject_create(ctx, shop, "order", &sub), PRIVACY_OK);
    if (!writes)
        ck_assert_int_eq(set_email(ctx, shop, sub, NULL), PRIVACY_OK);
    privacy_actor *who = writes ? shop : clerk;
    long a0 = prv_alloc_count(), b0 = fb_calls();
    ck_assert_int_eq(step(ctx, who, sub, &out), PRIVACY_OK);
    privacy_free(out);
    out = NULL;
    long allocs = prv_alloc_count() - a0, calls = fb_calls() - b0;
    if (writes) { /* start again from a store without the field */
        ck_assert_int_eq(privacy_subject_delete_field(ctx, shop, sub, "contact.email", "billing"),
                         PRIVACY_OK);
    }
    int fields = count_fields(ctx), entries = count_audit(ctx);
    for (long i = 1; i <= allocs + calls; i++) {
        long live = prv_alloc_live();
        int via_alloc = i <= allocs;
        if (via_alloc)
            prv_alloc_fault(i, 0);
        else
            fb_fail(i - allocs, PRIVACY_E_STORAGE, 0);
        int rc = step(ctx, who, sub, &out);
        prv_alloc_fault(0, 0);
        fb_fail(0, 0, 0);
        ck_assert_msg(rc == (via_alloc ? PRIVACY_E_NOMEM : PRIVACY_E_STORAGE), "step %ld: %s (%s)",
                      i, privacy_strerror(rc), privacy_errmsg(ctx));
        ck_assert_ptr_null(out);
        ck_assert_msg(prv_alloc_live() == live, "step %ld leaked", i);
        ck_assert_int_eq(count_fields(ctx), fields);
        ck_assert_int_eq(count_audit(ctx), entries);
    }
    ck_assert_int_eq(privacy_audit_verify(ctx, NULL), PRIVACY_OK);
    privacy_free(sub);
    privacy_actor_free(shop);
    privacy_actor_free(clerk);
    privacy_close(ctx);
}

START_TEST(test_fault_subject_set_every_step)
{
    sweep_subject_step(set_email, 1);
}
END_TEST

START_TEST(test_fault_subject_get_every_step)
{
    sweep_subject_step(get_email, 0);
}
END_TEST

START_TEST(test_fault_subject_find_every_step)
{
    sweep_subject_step(find_email, 0);
}
END_TEST

static Suite *fault_suite(void)
{
    Suite *s = suite_create("fault");
    TCase *tc = tcase_create("fault");
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_fault_open_new_store_every_allocation);
    tcase_add_test(tc, test_fault_open_existing_store_every_allocation);
    tcase_add_test(tc, test_fault_open_persistent_allocation_failure);
    tcase_add_test(tc, test_fault_open_backend_failure_codes);
    tcase_add_test(tc, test_fault_open_new_store_every_backend_call);
    tcase_add_test(tc, test_fault_write_every_backend_call_storage);
    tcase_add_test(tc, test_fault_write_every_backend_call_busy_reruns);
    tcase_add_test(tc, test_fault_write_in_caller_transaction);
    tcase_add_test(tc, test_fault_write_and_read_every_allocation);
    tcase_add_test(tc, test_fault_authorize_every_step);
    tcase_add_test(tc, test_fault_subject_set_every_step);
    tcase_add_test(tc, test_fault_subject_get_every_step);
    tcase_add_test(tc, test_fault_subject_find_every_step);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(fault_suite());
}
