/* Key rotation. The root key: privacy_keys_rotate re-wraps every working
 * key and data key under the primary without touching data, resumes after
 * any interruption (the callback, a backend failure at every step, a
 * killed process) with nothing lost, refuses when an old root key is
 * missing (R22), leaves no key in the clear (R19), and is recorded in a
 * log that still verifies (R21). The blind-index key: rotate_index.c. */
#include <check.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/alloc.h"
#include "test_keyring.h"
#include "core/context.h"
#include "crypto/dek.h"
#include "crypto/keywrap.h"
#include "fault_backend.h"
#include "keys/rotate.h"
#include "rotate_testlib.h"

static const char *const BILLING[] = { "billing" };
static const int OLD[] = { 0 }, NEW[] = { 1 }, BOTH[] = { 0, 1 };

/* Opens the store with the new root key alone (and keystore_uri, or
 * NULL), checks that every value reads and that the audit log verifies,
 * and closes it: a rotation that is done. */
static void reopen_new_and_check(const char *keystore_uri)
{
    privacy_ctx *ctx;
    ck_assert_int_eq(rt_open(&ctx, NEW, 1, keystore_uri, NULL), PRIVACY_OK);
    rt_check_reads(ctx);
    ck_assert_int_eq(privacy_audit_verify(ctx, NULL), PRIVACY_OK);
    privacy_close(ctx);
}
/* Batches of 4 and windows of 6 ids: several of each for a small store. */
static const prv_rewrap_limits SMALL = { 4, 6 };

/* ---- the progress callback ---- */

enum { CALLS_MAX = 64 };

typedef struct {
    int calls;
    uint64_t done[CALLS_MAX], total[CALLS_MAX];
    int64_t stop_at; /* stop once done reaches it; -1: never */
    int kill;        /* ... by killing the process: a crash between batches */
} progress;

static int on_progress(void *userdata, uint64_t done, uint64_t total)
{
    progress *p = userdata;
    if (p->calls < CALLS_MAX) {
        p->done[p->calls] = done;
        p->total[p->calls] = total;
    }
    p->calls++;
    if (p->stop_at < 0 || done < (uint64_t)p->stop_at)
        return 0;
    if (p->kill)
        raise(SIGKILL);
    return 1;
}

/* ---- tests ---- */

START_TEST(test_rotate_rewraps_working_and_data_keys_under_new_root_key)
{
    rt_populate(NULL);
    ck_assert_int_eq(rt_wraps(&S).by[0], TOTAL_KEYS);
    privacy_ctx *ctx;
    ck_assert_int_eq(rt_open(&ctx, BOTH, 2, NULL, NULL), PRIVACY_OK);
    uint8_t data_before[32], data_after[32];
    tu_digest_rows(&S, "collection IN ('field', 'subject')", data_before);
    progress p = { .stop_at = -1 };
    int rc = privacy_keys_rotate(ctx, on_progress, &p);
    ck_assert_msg(rc == PRIVACY_OK, "%s", privacy_errmsg(ctx));
    ck_assert_str_eq(privacy_errmsg(ctx), "");
    /* Once before anything is written, then after each batch: the
     * working keys', and the data keys'. */
    ck_assert_int_eq(p.calls, 3);
    static const uint64_t want[] = { 0, PRV_KEY_COUNT, TOTAL_KEYS };
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(p.done[i], want[i]);
        ck_assert_int_eq(p.total[i], TOTAL_KEYS);
    }
    wrap_tally t = rt_wraps(&S);
    ck_assert_int_eq(t.by[1], TOTAL_KEYS);
    ck_assert_int_eq(t.by[0], 0);
    /* No value was re-encrypted: the fields are byte for byte the same. */
    tu_digest_rows(&S, "collection IN ('field', 'subject')", data_after);
    ck_assert_mem_eq(data_before, data_after, sizeof data_before);
    rt_check_reads(ctx);
    privacy_close(ctx);
    /* The old key file can go: the new key alone opens and reads it all. */
    ck_assert_int_eq(rt_open(&ctx, NEW, 1, NULL, NULL), PRIVACY_OK);
    rt_check_reads(ctx);
    rt_rotate_entries e = rt_entries(ctx);
    ck_assert_int_eq(e.n, 1);
    ck_assert_int_eq(e.outcome, PRIVACY_OK);
    ck_assert_str_eq(e.object, kek_id[1]);
    ck_assert_int_eq(privacy_audit_verify(ctx, NULL), PRIVACY_OK);
    privacy_close(ctx);
    ctx = NULL;
    ck_assert_int_eq(rt_open(&ctx, OLD, 1, NULL, NULL), PRIVACY_E_CRYPTO);
}
END_TEST

START_TEST(test_rotate_second_run_changes_nothing)
{
    rt_populate(NULL);
    privacy_ctx *ctx;
    ck_assert_int_eq(rt_open(&ctx, BOTH, 2, NULL, NULL), PRIVACY_OK);
    ck_assert_int_eq(privacy_keys_rotate(ctx, NULL, NULL), PRIVACY_OK);
    uint8_t before[32], after[32];
    tu_digest_rows(&S, "collection IN ('keys', 'dek')", before);
    progress p = { .stop_at = -1 };
    ck_assert_int_eq(privacy_keys_rotate(ctx, on_progress, &p), PRIVACY_OK);
    ck_assert_int_eq(p.calls, 1);
    ck_assert_int_eq(p.total[0], 0);
    tu_digest_rows(&S, "collection IN ('keys', 'dek')", after);
    ck_assert_mem_eq(before, after, sizeof before);
    ck_assert_int_eq(rt_entries(ctx).n, 2); /* each completed run is recorded */
    ck_assert_int_eq(privacy_audit_verify(ctx, NULL), PRIVACY_OK);
    privacy_close(ctx);
}
END_TEST

START_TEST(test_rotate_progress_counts_every_batch)
{
    rt_populate(NULL);
    privacy_ctx *ctx;
    ck_assert_int_eq(rt_open(&ctx, BOTH, 2, NULL, NULL), PRIVACY_OK);
    progress p = { .stop_at = -1 };
    ck_assert_int_eq(prv_keys_rotate(ctx, on_progress, &p, &SMALL), PRIVACY_OK);
    /* Windows: the 5 working keys (batches of 4 and 1), then 6 data keys
     * (4 and 2), then the last 4. */
    static const uint64_t want[] = { 0, 4, 5, 9, 11, 15 };
    ck_assert_int_eq(TOTAL_KEYS, 15);
    ck_assert_int_eq(p.calls, sizeof want / sizeof want[0]);
    for (int i = 0; i < p.calls; i++) {
        ck_assert_int_eq(p.done[i], want[i]);
        ck_assert_int_eq(p.total[i], TOTAL_KEYS);
    }
    ck_assert_int_eq(rt_wraps(&S).by[1], TOTAL_KEYS);
    privacy_close(ctx);
}
END_TEST

/* Stopped by the callback after k keys, for every k at which it is
 * called: the keys so far are under the new root key, the rest under the
 * old, everything reads in a new context, and a later call finishes. */
START_TEST(test_rotate_resumes_after_callback_stops_it)
{
    static const int64_t stops[] = { 0, 4, 5, 9, 11, 15 };
    for (size_t k = 0; k < sizeof stops / sizeof stops[0]; k++) {
        if (k > 0) {
            rt_teardown();
            rt_setup();
        }
        rt_populate(NULL);
        privacy_ctx *ctx;
        ck_assert_int_eq(rt_open(&ctx, BOTH, 2, NULL, NULL), PRIVACY_OK);
        progress p = { .stop_at = stops[k] };
        ck_assert_int_eq(prv_keys_rotate(ctx, on_progress, &p, &SMALL), PRIVACY_E_ABORTED);
        ck_assert_msg(strstr(privacy_errmsg(ctx), "stopped by the progress callback") != NULL,
                      "%s", privacy_errmsg(ctx));
        wrap_tally t = rt_wraps(&S);
        ck_assert_int_eq(t.by[1], stops[k]);
        ck_assert_int_eq(t.by[0], TOTAL_KEYS - stops[k]);
        /* A stop that changed keys is recorded; one before any is not. */
        rt_rotate_entries e = rt_entries(ctx);
        ck_assert_int_eq(e.n, stops[k] > 0);
        if (stops[k] > 0)
            ck_assert_int_eq(e.outcome, PRIVACY_E_ABORTED);
        privacy_close(ctx);
        ck_assert_int_eq(rt_open(&ctx, BOTH, 2, NULL, NULL), PRIVACY_OK);
        rt_check_reads(ctx);
        ck_assert_int_eq(privacy_keys_rotate(ctx, NULL, NULL), PRIVACY_OK);
        ck_assert_int_eq(rt_wraps(&S).by[1], TOTAL_KEYS);
        privacy_close(ctx);
        reopen_new_and_check(NULL);
    }
}
END_TEST

/* A backend failure at each step of a rotation, once or from then on (the
 * storage gone until the process restarts): a failure is reported, the
 * keys are each under one root key or the other, everything reads, and
 * the rotation finishes when run again. */
START_TEST(test_rotate_resumes_after_backend_failure_at_every_step)
{
    rt_populate(NULL);
    tu_store_save(&S, "base");
    privacy_ctx *ctx;
    ck_assert_int_eq(rt_open(&ctx, BOTH, 2, NULL, &fb_backend), PRIVACY_OK);
    long before = fb_calls();
    ck_assert_int_eq(prv_keys_rotate(ctx, NULL, NULL, &SMALL), PRIVACY_OK);
    long steps = fb_calls() - before;
    privacy_close(ctx);
    ck_assert_int_gt(steps, 20);
    for (long i = 1; i <= steps; i++) {
        for (int persistent = 0; persistent < 2; persistent++) {
            tu_store_restore(&S, "base");
            ck_assert_int_eq(rt_open(&ctx, BOTH, 2, NULL, &fb_backend), PRIVACY_OK);
            fb_fail(i, PRIVACY_E_STORAGE, persistent);
            int rc = prv_keys_rotate(ctx, NULL, NULL, &SMALL);
            fb_fail(0, 0, 0);
            /* Every step is on the path: each failure reaches the caller,
             * the audit entry's included. */
            ck_assert_msg(rc == PRIVACY_E_STORAGE, "step %ld: %s", i, privacy_strerror(rc));
            ck_assert_msg(privacy_errmsg(ctx)[0] != '\0', "step %ld: no message", i);
            wrap_tally t = rt_wraps(&S);
            ck_assert_int_eq(t.by[0] + t.by[1], TOTAL_KEYS);
            if (!persistent) /* the same context goes on */
                ck_assert_int_eq(privacy_keys_rotate(ctx, NULL, NULL), PRIVACY_OK);
            privacy_close(ctx);
            ck_assert_int_eq(rt_open(&ctx, BOTH, 2, NULL, NULL), PRIVACY_OK);
            if (i % 7 == 1)
                rt_check_reads(ctx);
            ck_assert_int_eq(privacy_keys_rotate(ctx, NULL, NULL), PRIVACY_OK);
            ck_assert_int_eq(rt_wraps(&S).by[1], TOTAL_KEYS);
            ck_assert_int_eq(privacy_audit_verify(ctx, NULL), PRIVACY_OK);
            privacy_close(ctx);
        }
    }
    ck_assert_int_eq(rt_open(&ctx, NEW, 1, NULL, NULL), PRIVACY_OK);
    rt_check_reads(ctx);
    privacy_close(ctx);
}
END_TEST

/* An allocation failure at each step: PRIVACY_E_NOMEM with a message,
 * nothing leaked, the keys each under one root key or the other, and the
 * same context finishes the rotation. */
START_TEST(test_rotate_resumes_after_allocation_failure_at_every_step)
{
    rt_populate(NULL);
    tu_store_save(&S, "base");
    privacy_ctx *ctx;
    ck_assert_int_eq(rt_open(&ctx, BOTH, 2, NULL, NULL), PRIVACY_OK);
    long before = prv_alloc_count();
    ck_assert_int_eq(prv_keys_rotate(ctx, NULL, NULL, &SMALL), PRIVACY_OK);
    long steps = prv_alloc_count() - before;
    privacy_close(ctx);
    ck_assert_int_gt(steps, 20);
    for (long i = 1; i <= steps; i++) {
        tu_store_restore(&S, "base");
        ck_assert_int_eq(rt_open(&ctx, BOTH, 2, NULL, NULL), PRIVACY_OK);
        long live = prv_alloc_live();
        prv_alloc_fault(i, 0);
        int rc = prv_keys_rotate(ctx, NULL, NULL, &SMALL);
        prv_alloc_fault(0, 0);
        ck_assert_msg(rc == PRIVACY_E_NOMEM, "step %ld: %s", i, privacy_strerror(rc));
        ck_assert_msg(privacy_errmsg(ctx)[0] != '\0', "step %ld: no message", i);
        ck_assert_msg(prv_alloc_live() == live, "step %ld leaked %ld blocks", i,
                      prv_alloc_live() - live);
        wrap_tally t = rt_wraps(&S);
        ck_assert_int_eq(t.by[0] + t.by[1], TOTAL_KEYS);
        ck_assert_int_eq(privacy_keys_rotate(ctx, NULL, NULL), PRIVACY_OK);
        ck_assert_int_eq(rt_wraps(&S).by[1], TOTAL_KEYS);
        if (i % 9 == 1)
            rt_check_reads(ctx);
        privacy_close(ctx);
    }
}
END_TEST

/* A process killed between two batches (kill -9: no close, no rollback of
 * anything committed) leaves a store that the next process reads and
 * finishes rotating. */
START_TEST(test_rotate_resumes_after_process_killed)
{
    rt_populate(NULL);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        privacy_ctx *ctx;
        progress p = { .stop_at = 5, .kill = 1 };
        if (rt_open(&ctx, BOTH, 2, NULL, NULL) == PRIVACY_OK)
            (void)prv_keys_rotate(ctx, on_progress, &p, &SMALL);
        tu_child_exit(1); /* not reached when the callback kills */
    }
    int status = 0;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    wrap_tally t = rt_wraps(&S);
    ck_assert_int_eq(t.by[1], 5);
    ck_assert_int_eq(t.by[0], TOTAL_KEYS - 5);
    privacy_ctx *ctx;
    ck_assert_int_eq(rt_open(&ctx, BOTH, 2, NULL, NULL), PRIVACY_OK);
    rt_check_reads(ctx);
    ck_assert_int_eq(privacy_keys_rotate(ctx, NULL, NULL), PRIVACY_OK);
    privacy_close(ctx);
    reopen_new_and_check(NULL);
}
END_TEST

/* R22: data keys still under a root key that is no longer configured are
 * not skipped: the rotation refuses, names the key and its root key, and
 * changes nothing; with the old key added back it completes. */
START_TEST(test_rotate_R22_refused_without_an_old_root_key)
{
    rt_populate(NULL);
    privacy_ctx *ctx;
    ck_assert_int_eq(rt_open(&ctx, BOTH, 2, NULL, NULL), PRIVACY_OK);
    progress p = { .stop_at = 5 }; /* the working keys only */
    ck_assert_int_eq(prv_keys_rotate(ctx, on_progress, &p, &SMALL), PRIVACY_E_ABORTED);
    privacy_close(ctx);
    /* The old key file removed too early: the store opens (its working
     * keys are under the new key), but its data keys are not. */
    static const int wrong[][2] = { { 1, 1 }, { 2, 1 } };
    for (int w = 0; w < 2; w++) {
        ck_assert_int_eq(rt_open(&ctx, wrong[w], 2, NULL, NULL), PRIVACY_OK);
        uint8_t before[32], after[32];
        tu_digest_rows(&S, NULL, before);
        ck_assert_int_eq(privacy_keys_rotate(ctx, NULL, NULL), PRIVACY_E_CRYPTO);
        const char *msg = privacy_errmsg(ctx);
        ck_assert_msg(strstr(msg, "R22: stored keys wrapped by a root key that is not"
                                  " configured: 10, first the data key 'sub_") != NULL,
                      "%s", msg);
        ck_assert_msg(strstr(msg, "nothing was re-wrapped") != NULL, "%s", msg);
        ck_assert_msg(strstr(msg, kek_id[0]) != NULL, "%s", msg);
        tu_digest_rows(&S, NULL, after);
        ck_assert_mem_eq(before, after, sizeof before);
        privacy_close(ctx);
    }
    ck_assert_int_eq(rt_wraps(&S).by[0], N_SUBJECTS);
    ck_assert_int_eq(rt_open(&ctx, BOTH, 2, NULL, NULL), PRIVACY_OK);
    ck_assert_int_eq(privacy_keys_rotate(ctx, NULL, NULL), PRIVACY_OK);
    privacy_close(ctx);
    ck_assert_int_eq(rt_open(&ctx, NEW, 1, NULL, NULL), PRIVACY_OK);
    rt_check_reads(ctx);
    privacy_close(ctx);
}
END_TEST

/* A data key record damaged in the store: malformed, the rotation refuses
 * before writing; well formed but not authentic, it stops at that key
 * with the keys before it re-wrapped, and names it either way. */
START_TEST(test_rotate_R22_damaged_data_key_refused)
{
    rt_populate(NULL);
    ck_assert_int_eq(tu_set_body(&S, "dek", sub[4], "", 1), 1); /* one zero byte */
    privacy_ctx *ctx;
    ck_assert_int_eq(rt_open(&ctx, BOTH, 2, NULL, NULL), PRIVACY_OK);
    uint8_t before[32], after[32];
    tu_digest_rows(&S, NULL, before);
    ck_assert_int_eq(privacy_keys_rotate(ctx, NULL, NULL), PRIVACY_E_INTEGRITY);
    ck_assert_msg(strstr(privacy_errmsg(ctx), "is malformed; nothing was re-wrapped") != NULL,
                  "%s", privacy_errmsg(ctx));
    ck_assert(strstr(privacy_errmsg(ctx), sub[4]) != NULL);
    tu_digest_rows(&S, NULL, after);
    ck_assert_mem_eq(before, after, sizeof before);
    privacy_close(ctx);
    /* Now a flipped last byte (the tag): well formed, not authentic. */
    rt_teardown();
    rt_setup();
    rt_populate(NULL);
    tu_flip_body_byte(&S, "dek", sub[4], -1);
    ck_assert_int_eq(rt_open(&ctx, BOTH, 2, NULL, NULL), PRIVACY_OK);
    ck_assert_int_eq(privacy_keys_rotate(ctx, NULL, NULL), PRIVACY_E_INTEGRITY);
    ck_assert_msg(strstr(privacy_errmsg(ctx), "does not authenticate") != NULL, "%s",
                  privacy_errmsg(ctx));
    ck_assert(strstr(privacy_errmsg(ctx), sub[4]) != NULL);
    wrap_tally t = rt_wraps(&S);
    ck_assert_int_eq(t.by[0] + t.by[1], TOTAL_KEYS);
    ck_assert_int_ge(t.by[0], 1); /* the damaged one at least */
    rt_rotate_entries e = rt_entries(ctx);
    ck_assert_int_eq(e.n, 1); /* the working keys were re-wrapped: recorded */
    ck_assert_int_eq(e.outcome, PRIVACY_E_INTEGRITY);
    privacy_close(ctx);
}
END_TEST

/* R19: after a rotation no root key, working key or data key is stored
 * (on SQLite: in the database file or its WAL), nor any wrap made by the
 * old root key (a stolen old key file then opens nothing), nor any value. */
START_TEST(test_rotate_R19_no_key_in_the_clear_in_storage)
{
    rt_populate(NULL);
    privacy_ctx *ctx;
    ck_assert_int_eq(rt_open(&ctx, BOTH, 2, NULL, NULL), PRIVACY_OK);
    enum { MAX = PRV_KEY_COUNT + 2 * N_SUBJECTS };
    uint8_t secret[MAX][32];
    int n = 0;
    for (int p = 0; p < PRV_KEY_COUNT; p++)
        memcpy(secret[n++], prv_keystore_key(ctx->keys, p, NULL), 32);
    for (int i = 0; i < N_SUBJECTS; i++) {
        const uint8_t *key;
        ck_assert_int_eq(prv_dek_get(ctx->dek_cache, ctx->keys, ctx->store, sub[i], &key, NULL,
                                     &ctx->err),
                         PRIVACY_OK);
        memcpy(secret[n++], key, 32);
    }
    privacy_record *old = NULL;
    ck_assert_int_eq(prv_store_get(ctx->store, PRV_DEK_COLLECTION, sub[0], &old), PRIVACY_OK);
    ck_assert_int_eq(privacy_keys_rotate(ctx, NULL, NULL), PRIVACY_OK);
    privacy_record *rewrapped = NULL;
    ck_assert_int_eq(prv_store_get(ctx->store, PRV_DEK_COLLECTION, sub[0], &rewrapped),
                     PRIVACY_OK);
    privacy_close(ctx);
    for (int i = 0; i < n; i++)
        ck_assert_msg(!tu_store_contains(&S, secret[i], 32), "key %d stored", i);
    for (int k = 0; k < 2; k++)
        ck_assert(!tu_store_contains(&S, K[k], 32));
    for (int i = 0; i < N_SUBJECTS; i++) {
        char email[64];
        rt_email(email, i);
        ck_assert(!tu_store_contains(&S, email, strlen(email)));
    }
    /* The old wrap is gone (on SQLite: secure_delete); the new one is
     * there, which shows that the search sees what the store holds. */
    ck_assert(!tu_store_contains(&S, old->body, old->body_len));
    ck_assert(tu_store_contains(&S, rewrapped->body, rewrapped->body_len));
    privacy_free(old);
    privacy_free(rewrapped);
}
END_TEST

/* A context opened before the rotation caches data keys; the rotation in
 * another context changes their wrapped records, so the cache unwraps them
 * again (under the new root key) and keeps reading; a context opened after
 * with only the new key reads too. */
START_TEST(test_rotate_cached_data_keys_follow_the_rewrap)
{
    rt_populate(NULL);
    privacy_ctx *before, *rotator, *after;
    ck_assert_int_eq(rt_open(&before, BOTH, 2, NULL, NULL), PRIVACY_OK);
    rt_check_reads(before); /* every data key now cached */
    ck_assert_int_eq(rt_open(&rotator, BOTH, 2, NULL, NULL), PRIVACY_OK);
    ck_assert_int_eq(privacy_keys_rotate(rotator, NULL, NULL), PRIVACY_OK);
    privacy_close(rotator);
    rt_check_reads(before);
    ck_assert_int_eq(rt_open(&after, NEW, 1, NULL, NULL), PRIVACY_OK);
    rt_check_reads(after);
    /* A subject the earlier context adds now is wrapped by its primary,
     * the new key, so the later context reads it. */
    privacy_actor *shop;
    char *extra = NULL, *got = NULL;
    ck_assert_int_eq(privacy_actor_new(before, "svc-web", "storefront", &shop), PRIVACY_OK);
    ck_assert_int_eq(privacy_subject_create(before, shop, "order", &extra), PRIVACY_OK);
    ck_assert_int_eq(privacy_subject_set(before, shop, extra, "contact.name", "Late", BILLING, 1),
                     PRIVACY_OK);
    privacy_actor_free(shop);
    privacy_actor *clerk;
    ck_assert_int_eq(privacy_actor_new(after, "staff-17", "billing", &clerk), PRIVACY_OK);
    ck_assert_int_eq(privacy_subject_get(after, clerk, extra, "contact.name", "billing", &got),
                     PRIVACY_OK);
    ck_assert_str_eq(got, "Late");
    ck_assert_int_eq(rt_wraps(&S).by[1], TOTAL_KEYS + 1);
    privacy_free(got);
    privacy_free(extra);
    privacy_actor_free(clerk);
    privacy_close(before);
    privacy_close(after);
}
END_TEST

/* ---- other contexts changing keys while a rotation runs ---- */

/* The test's backend with a hook run as each transaction begins: what
 * another process does between a batch's reads and its transaction. */
static privacy_backend hooked;
static long begins;
static void (*on_begin)(void);
static privacy_ctx *other;

static uint8_t others_deks[32]; /* the data keys as the other context left them */

static int hooked_begin(void *conn)
{
    begins++;
    if (on_begin != NULL)
        on_begin();
    return S.backend->begin(conn);
}

static int open_hooked(privacy_ctx **ctx)
{
    hooked = *S.backend;
    hooked.begin = hooked_begin;
    begins = 0;
    return rt_open(ctx, BOTH, 2, NULL, &hooked);
}

/* Before the first batch of data keys (batches 1 and 2 hold the working
 * keys): the other context shreds the first of them and re-wraps the rest. */
static void shred_and_rotate(void)
{
    if (begins != 3)
        return;
    const char *first = sub[0];
    for (int i = 1; i < N_SUBJECTS; i++)
        if (strcmp(sub[i], first) < 0)
            first = sub[i];
    ck_assert_int_eq(prv_dek_shred(other->dek_cache, other->store, first, NULL, &other->err),
                     PRIVACY_OK);
    ck_assert_int_eq(privacy_keys_rotate(other, NULL, NULL), PRIVACY_OK);
    tu_digest_rows(&S, "collection = 'dek'", others_deks);
}

START_TEST(test_rotate_leaves_keys_changed_meanwhile_to_the_other_context)
{
    rt_populate(NULL);
    privacy_ctx *ctx;
    ck_assert_int_eq(rt_open(&other, BOTH, 2, NULL, NULL), PRIVACY_OK);
    ck_assert_int_eq(open_hooked(&ctx), PRIVACY_OK);
    on_begin = shred_and_rotate;
    int rc = prv_keys_rotate(ctx, NULL, NULL, &SMALL);
    on_begin = NULL;
    ck_assert_msg(rc == PRIVACY_OK, "%s", privacy_errmsg(ctx));
    ck_assert_int_ge(begins, 3);
    wrap_tally t = rt_wraps(&S);
    ck_assert_int_eq(t.by[1], TOTAL_KEYS - 1); /* the shredded key stays shredded */
    ck_assert_int_eq(t.by[0], 0);
    uint8_t now[32]; /* and the other's wraps were not overwritten */
    tu_digest_rows(&S, "collection = 'dek'", now);
    ck_assert_mem_eq(now, others_deks, sizeof now);
    rt_rotate_entries e = rt_entries(ctx);
    ck_assert_int_eq(e.n, 2);
    ck_assert_int_eq(e.outcome, PRIVACY_OK);
    privacy_close(other);
    privacy_close(ctx);
}
END_TEST

/* The other context rotates to the other root key before every batch. */
static void rotate_back(void)
{
    if (begins >= 2)
        ck_assert_int_eq(privacy_keys_rotate(other, NULL, NULL), PRIVACY_OK);
}

START_TEST(test_rotate_two_rotations_to_different_keys_stop)
{
    static const int reversed[] = { 1, 0 };
    rt_populate(NULL);
    privacy_ctx *ctx;
    ck_assert_int_eq(rt_open(&other, reversed, 2, NULL, NULL), PRIVACY_OK);
    ck_assert_int_eq(open_hooked(&ctx), PRIVACY_OK);
    on_begin = rotate_back;
    int rc = prv_keys_rotate(ctx, NULL, NULL, &SMALL);
    on_begin = NULL;
    ck_assert_int_eq(rc, PRIVACY_E_BUSY);
    ck_assert_msg(strstr(privacy_errmsg(ctx), "run it again") != NULL, "%s",
                  privacy_errmsg(ctx));
    wrap_tally t = rt_wraps(&S);
    ck_assert_int_eq(t.by[0] + t.by[1], TOTAL_KEYS);
    privacy_close(other);
    rt_check_reads(ctx);
    ck_assert_int_eq(privacy_keys_rotate(ctx, NULL, NULL), PRIVACY_OK);
    ck_assert_int_eq(rt_wraps(&S).by[1], TOTAL_KEYS);
    ck_assert_int_eq(privacy_audit_verify(ctx, NULL), PRIVACY_OK);
    privacy_close(ctx);
}
END_TEST

/* Before each batch of data keys, every data key gets a fresh wrap by the
 * old root key (a writer this run cannot outpace): no batch can write,
 * and the run stops instead of trying for ever. */
static void rewrap_all_again(void)
{
    if (begins < 3)
        return;
    for (int i = 0; i < N_SUBJECTS; i++) {
        const uint8_t *key;
        uint8_t *body = NULL;
        size_t len = 0;
        ck_assert_int_eq(prv_dek_get(other->dek_cache, other->keys, other->store, sub[i], &key,
                                     NULL, &other->err),
                         PRIVACY_OK);
        ck_assert_int_eq(prv_keywrap_seal(prv_keystore_keks(other->keys),
                                          prv_keystore_keyset(other->keys), "dek", sub[i], 1, key,
                                          &body, &len, &other->err),
                         PRIVACY_OK);
        ck_assert_int_eq(prv_dek_put(other->store, sub[i], body, len), PRIVACY_OK);
        prv_free(body);
    }
}

START_TEST(test_rotate_stops_when_every_key_keeps_changing)
{
    rt_populate(NULL);
    privacy_ctx *ctx;
    ck_assert_int_eq(rt_open(&other, OLD, 1, NULL, NULL), PRIVACY_OK);
    ck_assert_int_eq(open_hooked(&ctx), PRIVACY_OK);
    on_begin = rewrap_all_again;
    int rc = prv_keys_rotate(ctx, NULL, NULL, &SMALL);
    on_begin = NULL;
    ck_assert_int_eq(rc, PRIVACY_E_BUSY);
    ck_assert_msg(strstr(privacy_errmsg(ctx), "keep changing") != NULL, "%s",
                  privacy_errmsg(ctx));
    wrap_tally t = rt_wraps(&S);
    ck_assert_int_eq(t.by[1], PRV_KEY_COUNT);
    ck_assert_int_eq(t.by[0], N_SUBJECTS);
    privacy_close(other);
    ck_assert_int_eq(privacy_keys_rotate(ctx, NULL, NULL), PRIVACY_OK);
    rt_check_reads(ctx);
    privacy_close(ctx);
}
END_TEST

START_TEST(test_rotate_separate_keystore)
{
    tu_store keystore;
    tu_store_sibling(&S, "keys", &keystore);
    rt_populate(keystore.uri);
    ck_assert_int_eq(rt_wraps(&keystore).by[0], TOTAL_KEYS);
    privacy_ctx *ctx;
    ck_assert_int_eq(rt_open(&ctx, BOTH, 2, keystore.uri, NULL), PRIVACY_OK);
    ck_assert_int_eq(prv_keys_rotate(ctx, NULL, NULL, &SMALL), PRIVACY_OK);
    ck_assert_int_eq(rt_entries(ctx).n, 1); /* recorded with the data */
    privacy_close(ctx);
    ck_assert_int_eq(rt_wraps(&keystore).by[1], TOTAL_KEYS);
    ck_assert_int_eq(tu_count_rows(&S, "collection IN ('keys', 'dek')"), 0);
    reopen_new_and_check(keystore.uri);
}
END_TEST

START_TEST(test_rotate_bad_calls_change_nothing)
{
    rt_populate(NULL);
    ck_assert_int_eq(privacy_keys_rotate(NULL, NULL, NULL), PRIVACY_E_INVALID);
    ck_assert(strstr(privacy_errmsg(NULL), "ctx is NULL") != NULL);
    privacy_ctx *ctx;
    ck_assert_int_eq(rt_open(&ctx, BOTH, 2, NULL, NULL), PRIVACY_OK);
    ck_assert_int_eq(privacy_begin(ctx), PRIVACY_OK);
    ck_assert_int_eq(privacy_keys_rotate(ctx, NULL, NULL), PRIVACY_E_MISUSE);
    ck_assert(strstr(privacy_errmsg(ctx), "privacy_begin") != NULL);
    ck_assert_int_eq(privacy_rollback(ctx), PRIVACY_OK);
    ck_assert_int_eq(rt_wraps(&S).by[0], TOTAL_KEYS);
    /* Stopped before the first batch: nothing written, nothing recorded. */
    progress p = { .stop_at = 0 };
    ck_assert_int_eq(privacy_keys_rotate(ctx, on_progress, &p), PRIVACY_E_ABORTED);
    ck_assert_int_eq(rt_wraps(&S).by[0], TOTAL_KEYS);
    ck_assert_int_eq(rt_entries(ctx).n, 0);
    privacy_close(ctx);
}
END_TEST

/* ---- from a key file to a key service ---- */

static int open_ring(privacy_ctx **ctx, tu_ring *ring, int with_old)
{
    privacy_keyring kr = tu_keyring(ring);
    privacy_config *cfg;
    ck_assert_int_eq(privacy_config_new(&cfg), PRIVACY_OK);
    ck_assert_int_eq(privacy_config_set_storage(cfg, S.uri), PRIVACY_OK);
    if (with_old)
        ck_assert_int_eq(privacy_config_set_root_key(cfg, K[0], 32), PRIVACY_OK);
    ck_assert_int_eq(privacy_config_set_keyring(cfg, &kr), PRIVACY_OK);
    int rc = privacy_open(ctx, cfg);
    privacy_config_free(cfg);
    return rc;
}

START_TEST(test_rotate_from_key_file_to_keyring)
{
    rt_populate(NULL);
    tu_ring ring = { .version = 3 };
    randombytes_buf(ring.key, sizeof ring.key);
    privacy_ctx *ctx;
    ck_assert_int_eq(open_ring(&ctx, &ring, 1), PRIVACY_OK);
    ck_assert_int_eq(privacy_keys_rotate(ctx, NULL, NULL), PRIVACY_OK);
    ck_assert_str_eq(rt_entries(ctx).object, "kms:shop/root");
    privacy_close(ctx);
    ck_assert_int_eq(open_ring(&ctx, &ring, 0), PRIVACY_OK);
    rt_check_reads(ctx);
    ck_assert_int_eq(privacy_audit_verify(ctx, NULL), PRIVACY_OK);
    privacy_close(ctx);
    ck_assert_int_eq(rt_open(&ctx, OLD, 1, NULL, NULL), PRIVACY_E_CRYPTO);
}
END_TEST

static Suite *rotate_suite(void)
{
    Suite *s = suite_create("rotate");
    TCase *tc = tcase_create("root");
    tcase_set_timeout(tc, 300);
    tcase_add_checked_fixture(tc, rt_setup, rt_teardown);
    tcase_add_test(tc, test_rotate_rewraps_working_and_data_keys_under_new_root_key);
    tcase_add_test(tc, test_rotate_second_run_changes_nothing);
    tcase_add_test(tc, test_rotate_progress_counts_every_batch);
    tcase_add_test(tc, test_rotate_resumes_after_callback_stops_it);
    tcase_add_test(tc, test_rotate_resumes_after_backend_failure_at_every_step);
    tcase_add_test(tc, test_rotate_resumes_after_allocation_failure_at_every_step);
    tcase_add_test(tc, test_rotate_resumes_after_process_killed);
    tcase_add_test(tc, test_rotate_R22_refused_without_an_old_root_key);
    tcase_add_test(tc, test_rotate_R22_damaged_data_key_refused);
    tcase_add_test(tc, test_rotate_R19_no_key_in_the_clear_in_storage);
    tcase_add_test(tc, test_rotate_cached_data_keys_follow_the_rewrap);
    tcase_add_test(tc, test_rotate_leaves_keys_changed_meanwhile_to_the_other_context);
    tcase_add_test(tc, test_rotate_two_rotations_to_different_keys_stop);
    tcase_add_test(tc, test_rotate_stops_when_every_key_keeps_changing);
    tcase_add_test(tc, test_rotate_separate_keystore);
    tcase_add_test(tc, test_rotate_bad_calls_change_nothing);
    tcase_add_test(tc, test_rotate_from_key_file_to_keyring);
    suite_add_tcase(s, tc);
    TCase *ix = tcase_create("index");
    tcase_set_timeout(ix, 120);
    tcase_add_checked_fixture(ix, rt_setup, rt_teardown);
    rt_add_index_tests(ix);
    suite_add_tcase(s, ix);
    return s;
}

int main(void)
{
    return tu_run(rotate_suite());
}
