/* The audit log (R21): chains, closes and the fold, and tampering with the
 * store itself — an edited byte, a deleted row, swapped rows, the newest
 * entries deleted, an older copy restored — each found at the right entry
 * (the last two against an exported checkpoint). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/log.h"
#include "core/context.h"
#include "crypto/keystore.h"
#include "testutil.h"

static tu_store S;

static void setup(void)
{
    tu_store_setup(&S);
}

static void teardown(void)
{
    tu_store_teardown(&S);
}

static privacy_ctx *open_ctx(void)
{
    privacy_ctx *ctx;
    ck_assert_int_eq(tu_open(&ctx, S.uri), PRIVACY_OK);
    return ctx;
}

typedef struct {
    prv_audit_prepared p;
} one_entry;

static int put_entry(prv_store *st, void *ud)
{
    return prv_audit_put(st, &((one_entry *)ud)->p);
}

/* Appends n entries, one transaction each, as an access to subject. */
static void append(privacy_ctx *ctx, int n, const char *subject)
{
    one_entry *e = malloc(sizeof *e);
    ck_assert_ptr_nonnull(e);
    for (int i = 0; i < n; i++) {
        prv_audit_event ev = { .actor = "staff-17", .role = "billing", .action = "read",
                               .category = "contact.email", .purpose = "billing",
                               .subject = subject, .outcome = PRIVACY_OK };
        int64_t now;
        ck_assert_int_eq(privacy_now(ctx, &now), PRIVACY_OK);
        ck_assert_int_eq(prv_audit_prepare(ctx->audit, ctx->keys, now, &ev, &e->p, &ctx->err),
                         PRIVACY_OK);
        int in_tx = prv_store_in_tx(ctx->store);
        ck_assert_int_eq(prv_store_tx(ctx->store, put_entry, e), PRIVACY_OK);
        prv_audit_advance(ctx->audit, &e->p, in_tx);
    }
    free(e);
}

/* Tampers with the store directly; the tampering must touch a row. */
static void tamper(const char *sql)
{
    ck_assert_int_gt(tu_sql(&S, sql), 0);
}

/* The record id of the nth entry (1-based) of the only/first chain. */
static void nth_id(char out[128], int n)
{
    char sql[160];
    snprintf(sql, sizeof sql,
             "SELECT id FROM records WHERE collection = 'audit' ORDER BY created, id"
             " LIMIT 1 OFFSET %d",
             n - 1);
    ck_assert(tu_sql_text(&S, sql, out, 128));
}

static void assert_verify_fails(const char *checkpoint, const char *id, const char *what)
{
    privacy_ctx *ctx = open_ctx();
    int rc = privacy_audit_verify(ctx, checkpoint);
    const char *msg = privacy_errmsg(ctx);
    ck_assert_msg(rc == PRIVACY_E_INTEGRITY, "verify returned %s (%s)", privacy_strerror(rc), msg);
    ck_assert_msg(id == NULL || strstr(msg, id) != NULL, "'%s' does not name %s", msg, id);
    ck_assert_msg(strstr(msg, what) != NULL, "'%s' lacks '%s'", msg, what);
    privacy_close(ctx);
}

static void assert_verifies(const char *checkpoint)
{
    privacy_ctx *ctx = open_ctx();
    ck_assert_msg(privacy_audit_verify(ctx, checkpoint) == PRIVACY_OK, "%s", privacy_errmsg(ctx));
    ck_assert_str_eq(privacy_errmsg(ctx), "");
    privacy_close(ctx);
}

/* A log of 10 entries in one closed chain. */
static void make_log(void)
{
    privacy_ctx *ctx = open_ctx();
    append(ctx, 10, "sub_0123456789abcdef0123456789abcdef");
    privacy_close(ctx);
}

START_TEST(test_audit_R21_untouched_log_verifies)
{
    assert_verifies(NULL);
    make_log();
    privacy_ctx *a = open_ctx(), *b = open_ctx();
    append(a, 3, NULL);
    append(b, 2, "sub_0123456789abcdef0123456789abcdef");
    append(a, 1, NULL);
    ck_assert_int_eq(privacy_audit_verify(a, NULL), PRIVACY_OK);
    char *ckpt = NULL;
    ck_assert_int_eq(privacy_audit_checkpoint(b, &ckpt), PRIVACY_OK);
    ck_assert(strncmp(ckpt, "pckpt1.", 7) == 0);
    privacy_close(a);
    privacy_close(b);
    assert_verifies(ckpt);
    privacy_free(ckpt);
}
END_TEST

START_TEST(test_audit_R21_edited_byte_found)
{
    make_log();
    char id[128];
    nth_id(id, 4);
    tu_flip_body_byte(&S, "audit", id, 60); /* inside the entry's action field area */
    assert_verify_fails(NULL, id, "was altered");
}
END_TEST

START_TEST(test_audit_R21_edited_column_found)
{
    make_log();
    char id[128], sql[512];
    nth_id(id, 6);
    snprintf(sql, sizeof sql,
             "UPDATE records SET subject_id = 'sub_ffffffffffffffffffffffffffffffff'"
             " WHERE collection = 'audit' AND id = '%s'",
             id);
    tamper(sql);
    assert_verify_fails(NULL, id, "columns disagree");
}
END_TEST

START_TEST(test_audit_R21_deleted_row_found)
{
    make_log();
    char gone[128], next[128], sql[512];
    nth_id(gone, 5);
    nth_id(next, 6);
    snprintf(sql, sizeof sql, "DELETE FROM records WHERE collection = 'audit' AND id = '%s'",
             gone);
    tamper(sql);
    assert_verify_fails(NULL, gone, "is missing");
}
END_TEST

START_TEST(test_audit_R21_swapped_rows_found)
{
    make_log();
    char a[128], b[128];
    nth_id(a, 3);
    nth_id(b, 7);
    tu_swap_bodies(&S, "audit", a, b);
    assert_verify_fails(NULL, a, "holds the body of another entry");
}
END_TEST

START_TEST(test_audit_R21_deleted_close_entry_found)
{
    make_log();
    char close_id[128], sql[512];
    nth_id(close_id, 11); /* the chain's end */
    snprintf(sql, sizeof sql, "DELETE FROM records WHERE collection = 'audit' AND id = '%s'",
             close_id);
    tamper(sql);
    assert_verify_fails(NULL, NULL, "fold record (step 1) disagrees with the 0 chain ends");
}
END_TEST

/* Regression: with the fold record gone too, a store emptied of its
 * history once looked like a store where no chain had ended yet. */
START_TEST(test_audit_R21_deleted_history_found)
{
    make_log();
    make_log();
    tamper("DELETE FROM records WHERE collection IN ('audit', 'audit_fold')");
    assert_verify_fails(NULL, NULL, "the audit fold record is missing");
}
END_TEST

START_TEST(test_audit_R21_entry_given_an_expiry_found)
{
    make_log();
    char id[128], sql[512];
    nth_id(id, 2);
    snprintf(sql, sizeof sql,
             "UPDATE records SET expires = 1 WHERE collection = 'audit' AND id = '%s'", id);
    tamper(sql);
    assert_verify_fails(NULL, id, "columns disagree");
}
END_TEST

START_TEST(test_audit_R21_deleted_newest_entries_found_by_checkpoint)
{
    privacy_ctx *ctx = open_ctx();
    append(ctx, 8, NULL);
    char *ckpt = NULL;
    ck_assert_int_eq(privacy_audit_checkpoint(ctx, &ckpt), PRIVACY_OK);
    char kept[128];
    nth_id(kept, 6);
    /* Delete entries 7 and 8 while the chain is still open. */
    tamper("DELETE FROM records WHERE collection = 'audit' AND id IN ("
             "SELECT id FROM records WHERE collection = 'audit'"
             " ORDER BY created DESC, id DESC LIMIT 2)");
    /* On its own the log cannot tell: the chain just looks shorter. */
    ck_assert_int_eq(privacy_audit_verify(ctx, NULL), PRIVACY_OK);
    char last[128];
    snprintf(last, sizeof last, "%.*s0000000000000008", (int)(strlen(kept) - 16), kept);
    ck_assert_int_eq(privacy_audit_verify(ctx, ckpt), PRIVACY_E_INTEGRITY);
    ck_assert_msg(strstr(privacy_errmsg(ctx), last) != NULL &&
                      strstr(privacy_errmsg(ctx), "recorded by the checkpoint, is missing"),
                  "%s", privacy_errmsg(ctx));
    privacy_free(ckpt);
    /* Closing writes entry 9 after the gap: then the log alone shows it,
     * naming the first entry that is gone. */
    privacy_close(ctx);
    char first_gone[128];
    snprintf(first_gone, sizeof first_gone, "%.*s0000000000000007", (int)(strlen(kept) - 16),
             kept);
    assert_verify_fails(NULL, first_gone, "is missing");
}
END_TEST

START_TEST(test_audit_R21_restored_older_copy_found_by_checkpoint)
{
    make_log();
    tu_store_save(&S, "old");
    privacy_ctx *ctx = open_ctx();
    append(ctx, 4, NULL);
    privacy_close(ctx); /* a second chain ends: fold step 2 */
    ctx = open_ctx();
    char *ckpt = NULL;
    ck_assert_int_eq(privacy_audit_checkpoint(ctx, &ckpt), PRIVACY_OK);
    privacy_close(ctx);
    tu_store_restore(&S, "old"); /* the older copy comes back */
    assert_verifies(NULL);
    assert_verify_fails(ckpt, NULL, "an older copy was restored");
    privacy_free(ckpt);
}
END_TEST

START_TEST(test_audit_checkpoint_of_another_store_refused)
{
    make_log();
    privacy_ctx *ctx = open_ctx();
    char *ckpt = NULL;
    ck_assert_int_eq(privacy_audit_checkpoint(ctx, &ckpt), PRIVACY_OK);
    privacy_close(ctx);
    tu_store other_store;
    tu_store_sibling(&S, "other", &other_store);
    privacy_ctx *other;
    ck_assert_int_eq(tu_open(&other, other_store.uri), PRIVACY_OK);
    ck_assert_int_eq(privacy_audit_verify(other, ckpt), PRIVACY_E_INTEGRITY);
    ck_assert(strstr(privacy_errmsg(other), "does not authenticate") != NULL);
    ck_assert_int_eq(privacy_audit_verify(other, "pckpt1.zz"), PRIVACY_E_INVALID);
    ck_assert_int_eq(privacy_audit_verify(other, "hello"), PRIVACY_E_INVALID);
    char *last = &ckpt[strlen(ckpt) - 1];
    *last = *last == '0' ? '1' : '0'; /* still hex: the MAC catches it */
    ck_assert_int_eq(privacy_audit_verify(other, ckpt), PRIVACY_E_INTEGRITY);
    *last = 'z'; /* not hex at all */
    ck_assert_int_eq(privacy_audit_verify(other, ckpt), PRIVACY_E_INVALID);
    ck_assert_int_eq(privacy_audit_checkpoint(other, NULL), PRIVACY_E_INVALID);
    ck_assert_int_eq(privacy_audit_verify(NULL, NULL), PRIVACY_E_INVALID);
    privacy_close(other);
    privacy_free(ckpt);
}
END_TEST

START_TEST(test_audit_caller_rollback_drops_entries_and_chain_goes_on)
{
    privacy_ctx *ctx = open_ctx();
    append(ctx, 2, NULL);
    ck_assert_int_eq(privacy_begin(ctx), PRIVACY_OK);
    append(ctx, 3, NULL);
    ck_assert_int_eq(privacy_rollback(ctx), PRIVACY_OK);
    append(ctx, 1, NULL);
    ck_assert_int_eq(privacy_begin(ctx), PRIVACY_OK);
    append(ctx, 2, NULL);
    ck_assert_int_eq(privacy_commit(ctx), PRIVACY_OK);
    ck_assert_int_eq(privacy_audit_verify(ctx, NULL), PRIVACY_OK);
    privacy_close(ctx);
    assert_verifies(NULL);
}
END_TEST

START_TEST(test_audit_R21_entries_refuse_free_text)
{
    privacy_ctx *ctx = open_ctx();
    prv_audit_prepared *p = malloc(sizeof *p);
    ck_assert_ptr_nonnull(p);
    prv_audit_event ev = { .actor = "Jane Doe", .action = "read" };
    ck_assert_int_eq(prv_audit_prepare(ctx->audit, ctx->keys, 1, &ev, p, &ctx->err),
                     PRIVACY_E_INVALID);
    ck_assert(strstr(ctx->err.msg, "the actor must be") != NULL);
    ev.actor = "staff-1";
    ev.action = NULL;
    ck_assert_int_eq(prv_audit_prepare(ctx->audit, ctx->keys, 1, &ev, p, &ctx->err),
                     PRIVACY_E_INVALID);
    free(p);
    privacy_close(ctx);
}
END_TEST

START_TEST(test_audit_times_never_go_back_in_a_chain)
{
    privacy_ctx *ctx = open_ctx();
    prv_audit_prepared *p = malloc(sizeof *p);
    ck_assert_ptr_nonnull(p);
    prv_audit_event ev = { .action = "read" };
    ck_assert_int_eq(prv_audit_prepare(ctx->audit, ctx->keys, 5000, &ev, p, &ctx->err),
                     PRIVACY_OK);
    prv_audit_advance(ctx->audit, p, 0);
    ck_assert_int_eq(prv_audit_prepare(ctx->audit, ctx->keys, 10, &ev, p, &ctx->err),
                     PRIVACY_OK);
    ck_assert_int_eq(p->e.time, 5000);
    ck_assert_int_eq(p->e.seq, 2);
    free(p);
    privacy_close(ctx);
}
END_TEST

static Suite *audit_suite(void)
{
    Suite *s = suite_create("audit");
    TCase *tc = tcase_create("audit");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_audit_R21_untouched_log_verifies);
    tcase_add_test(tc, test_audit_R21_edited_byte_found);
    tcase_add_test(tc, test_audit_R21_edited_column_found);
    tcase_add_test(tc, test_audit_R21_deleted_row_found);
    tcase_add_test(tc, test_audit_R21_swapped_rows_found);
    tcase_add_test(tc, test_audit_R21_deleted_close_entry_found);
    tcase_add_test(tc, test_audit_R21_deleted_history_found);
    tcase_add_test(tc, test_audit_R21_entry_given_an_expiry_found);
    tcase_add_test(tc, test_audit_R21_deleted_newest_entries_found_by_checkpoint);
    tcase_add_test(tc, test_audit_R21_restored_older_copy_found_by_checkpoint);
    tcase_add_test(tc, test_audit_checkpoint_of_another_store_refused);
    tcase_add_test(tc, test_audit_caller_rollback_drops_entries_and_chain_goes_on);
    tcase_add_test(tc, test_audit_R21_entries_refuse_free_text);
    tcase_add_test(tc, test_audit_times_never_go_back_in_a_chain);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(audit_suite());
}
