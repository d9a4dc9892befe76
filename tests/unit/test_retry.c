/* Re-run transactions land exactly once. A commit() that answers
 * PRIVACY_E_BUSY may have landed (a connection lost during COMMIT); the
 * store then runs the transaction again on the committed state. Every
 * public write call is swept over each commit it makes: that commit lands
 * and reports BUSY, and the call must still succeed and leave what a clean
 * run leaves (records per collection, audit entries, a log that verifies).
 * A commit that never lands must end in "the outcome is unknown", with
 * nothing changed. The real backend of the test's store is wrapped in a
 * copy of its vtable whose commit is replaced. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/entry.h"
#include "core/alloc.h"
#include "core/config.h"
#include "core/context.h"
#include "crypto/dek.h"
#include "crypto/keystore.h"
#include "store/store.h"
#include "subject/field.h"
#include "subject/shred.h"
#include "testutil.h"

/* ---- the wrapper: commit lands, then reports BUSY ---- */

static const privacy_backend *real;
static privacy_backend busy_be;
static long commits;  /* commit() calls since busy_reset */
static long arm_at;   /* the commit (by count) that lands and reports BUSY; 0: none */
static int never;     /* every commit rolls back and reports BUSY */
static int always;    /* every commit lands and reports BUSY */
static long injected; /* BUSY answers given */

static int busy_commit(void *conn)
{
    commits++;
    if (never) {
        injected++;
        (void)real->rollback(conn);
        return PRIVACY_E_BUSY;
    }
    int rc = real->commit(conn);
    if (rc == PRIVACY_OK && always) {
        injected++;
        return PRIVACY_E_BUSY;
    }
    if (rc == PRIVACY_OK && arm_at != 0 && commits == arm_at) {
        arm_at = 0;
        injected++;
        return PRIVACY_E_BUSY; /* it landed all the same */
    }
    return rc;
}

static void busy_reset(const privacy_backend *be)
{
    real = be;
    busy_be = *be;
    busy_be.commit = busy_commit;
    commits = arm_at = injected = 0;
    never = always = 0;
}

/* The nth commit from now lands and reports BUSY, once. */
static void busy_arm(long nth)
{
    arm_at = commits + nth;
}

static void busy_off(void)
{
    arm_at = 0;
    never = always = 0;
}

/* ---- the world a call runs in ---- */

static const char *const BILLING[] = { "billing" };
static const char EMAIL[] = "Zo\xc3\xab@B\xc3\xbc\x63her.example";

/* A second root key, for the rotation (tests only: never a fixed key
 * elsewhere). */
static const uint8_t ROOT2[PRIVACY_ROOT_KEY_BYTES] = {
    0x72, 0x65, 0x74, 0x72, 0x79, 0x2d, 0x72, 0x6f, 0x6f, 0x74, 0x2d, 0x6b, 0x65, 0x79, 0x2d, 0x32,
    0x31, 0x5a, 0xc4, 0x09, 0x8e, 0x7f, 0x66, 0x13, 0xd2, 0x40, 0xab, 0x5c, 0x97, 0x0e, 0x28, 0xf1,
};

enum keys_mode { OLD_KEY, BOTH_KEYS, NEW_KEY };

static tu_store S, KS; /* the store, and a separate keystore beside it */

typedef struct world {
    int separate_keystore;
    privacy_ctx *ctx;
    privacy_actor *shop, *clerk;
    char *sub;   /* made by the preparation */
    char *out;   /* a subject id or value the call returned */
    int64_t budget_us;
} world;

static int open_ctx(world *w, enum keys_mode keys, privacy_ctx **out)
{
    privacy_config *cfg;
    ck_assert_int_eq(privacy_config_new(&cfg), PRIVACY_OK);
    ck_assert_int_eq(privacy_config_set_backend(cfg, &busy_be, S.uri), PRIVACY_OK);
    if (w->separate_keystore) {
        ck_assert_int_eq(privacy_config_set_keystore(cfg, KS.uri), PRIVACY_OK);
        cfg->keystore_backend = busy_be; /* no public way: its commits are swept too */
    }
    if (keys != NEW_KEY)
        ck_assert_int_eq(privacy_config_set_root_key(cfg, tu_root_key, sizeof tu_root_key),
                         PRIVACY_OK);
    if (keys != OLD_KEY) /* the last one set is the primary */
        ck_assert_int_eq(privacy_config_set_root_key(cfg, ROOT2, sizeof ROOT2), PRIVACY_OK);
    ck_assert_int_eq(privacy_config_set_retry_budget(cfg, w->budget_us), PRIVACY_OK);
    int rc = privacy_open(out, cfg);
    privacy_config_free(cfg);
    return rc;
}

static void w_open(world *w, enum keys_mode keys)
{
    int rc = open_ctx(w, keys, &w->ctx);
    ck_assert_msg(rc == PRIVACY_OK, "open: %s", privacy_errmsg(NULL));
    ck_assert_int_eq(privacy_actor_new(w->ctx, "svc-web", "storefront", &w->shop), PRIVACY_OK);
    ck_assert_int_eq(privacy_actor_new(w->ctx, "staff-17", "billing", &w->clerk), PRIVACY_OK);
}

static void w_close(world *w)
{
    privacy_actor_free(w->shop);
    privacy_actor_free(w->clerk);
    w->shop = w->clerk = NULL;
    privacy_close(w->ctx);
    w->ctx = NULL;
}

static void w_subject(world *w)
{
    int rc = privacy_subject_create(w->ctx, w->shop, "order", &w->sub);
    ck_assert_msg(rc == PRIVACY_OK, "create: %s", privacy_errmsg(w->ctx));
}

static void w_email(world *w)
{
    int rc = privacy_subject_set(w->ctx, w->shop, w->sub, "contact.email", EMAIL, BILLING, 1);
    ck_assert_msg(rc == PRIVACY_OK, "set: %s", privacy_errmsg(w->ctx));
}

/* ---- what a store holds ---- */

static const char *const COLLECTIONS[] = {
    PRV_KEYS_COLLECTION,    PRV_KEYSET_COLLECTION,  PRV_AUDIT_COLLECTION, PRV_AUDIT_FOLD_COLLECTION,
    PRV_SUBJECT_COLLECTION, PRV_FIELD_COLLECTION,   PRV_DEK_COLLECTION,
};
enum { N_COLL = sizeof COLLECTIONS / sizeof COLLECTIONS[0], AUDIT_AT = 2, MAX_ENTRIES = 64 };

typedef struct {
    int n[N_COLL]; /* records per collection, data store and keystore together */
    int total;     /* every record of both (a collection not listed shows here) */
    int indexed;   /* field records with a blind index */
    /* The audit entries as "action object outcome", sorted: what a clean
     * run records, without its random chain and subject ids. */
    char entry[MAX_ENTRIES][96];
    int entries;
} snap;

typedef struct {
    snap *s;
    int coll;
} snap_scan;

static int note_record(void *userdata, const privacy_record *r)
{
    snap_scan *t = userdata;
    snap *s = t->s;
    s->n[t->coll]++;
    if (strcmp(r->collection, PRV_FIELD_COLLECTION) == 0 && r->index_key_len > 0)
        s->indexed++;
    if (t->coll != AUDIT_AT)
        return 0;
    prv_audit_entry e;
    ck_assert_int_eq(prv_audit_decode(r->body, r->body_len, &e), PRIVACY_OK);
    ck_assert_int_lt(s->entries, MAX_ENTRIES);
    snprintf(s->entry[s->entries++], sizeof s->entry[0], "%.*s %.*s %d",
             (int)e.field_len[PRV_AF_ACTION], e.field[PRV_AF_ACTION],
             e.field[PRV_AF_OBJECT] != NULL ? (int)e.field_len[PRV_AF_OBJECT] : 1,
             e.field[PRV_AF_OBJECT] != NULL ? e.field[PRV_AF_OBJECT] : "-", (int)e.outcome);
    return 0;
}

static int by_text(const void *a, const void *b)
{
    return strcmp(a, b);
}

static void scan_store(const tu_store *ts, snap *s)
{
    if (!tu_store_exists(ts))
        return; /* not made yet: opening it here would make it */
    prv_err err;
    prv_store *st;
    ck_assert_int_eq(prv_store_open(&st, ts->backend, ts->uri, 0, &err), PRIVACY_OK);
    for (int c = 0; c < N_COLL; c++) {
        snap_scan t = { s, c };
        ck_assert_int_eq(prv_store_scan(st, COLLECTIONS[c], NULL, NULL, 0, note_record, &t),
                         PRIVACY_OK);
    }
    prv_store_close(st, 0);
    s->total += tu_count_rows(ts, NULL);
}

static void take_snap(const world *w, snap *s)
{
    memset(s, 0, sizeof *s);
    scan_store(&S, s);
    if (w->separate_keystore)
        scan_store(&KS, s);
    qsort(s->entry, (size_t)s->entries, sizeof s->entry[0], by_text);
}

static void assert_same(const snap *want, const snap *got, const char *what)
{
    for (int c = 0; c < N_COLL; c++)
        ck_assert_msg(got->n[c] == want->n[c], "%s: '%s' holds %d records, a clean run %d", what,
                      COLLECTIONS[c], got->n[c], want->n[c]);
    ck_assert_msg(got->total == want->total, "%s: %d records, a clean run %d", what, got->total,
                  want->total);
    ck_assert_msg(got->indexed == want->indexed, "%s: %d indexed fields, a clean run %d", what,
                  got->indexed, want->indexed);
    ck_assert_int_eq(got->entries, want->entries);
    for (int i = 0; i < got->entries; i++)
        ck_assert_msg(strcmp(got->entry[i], want->entry[i]) == 0,
                      "%s: audit entry '%s', a clean run '%s'", what, got->entry[i],
                      want->entry[i]);
}

/* ---- the calls ---- */

typedef struct scenario {
    const char *name;
    int separate_keystore;
    void (*prep)(world *w);  /* leaves w->ctx NULL for the calls that open */
    int (*call)(world *w);   /* the call under test: its status */
    void (*check)(world *w); /* after a successful call, before closing (may be NULL) */
    int entries;             /* audit entries the call adds */
    enum keys_mode final_keys; /* the root keys that must open the store afterwards */
} scenario;

static void prep_nothing(world *w)
{
    (void)w;
}

static void prep_existing(world *w)
{
    w_open(w, OLD_KEY);
    w_subject(w);
    w_close(w); /* ends its chain */
}

static void prep_open(world *w)
{
    w_open(w, OLD_KEY);
}

static void prep_subject(world *w)
{
    w_open(w, OLD_KEY);
    w_subject(w);
}

static void prep_email(world *w)
{
    prep_subject(w);
    w_email(w);
}

static void prep_rotate(world *w)
{
    prep_email(w);
    w_close(w);
    w_open(w, BOTH_KEYS);
}

static int call_open(world *w)
{
    int rc = open_ctx(w, OLD_KEY, &w->ctx);
    if (rc == PRIVACY_OK) {
        ck_assert_int_eq(privacy_actor_new(w->ctx, "svc-web", "storefront", &w->shop),
                         PRIVACY_OK);
        ck_assert_int_eq(privacy_actor_new(w->ctx, "staff-17", "billing", &w->clerk),
                         PRIVACY_OK);
    }
    return rc;
}

static int call_create(world *w)
{
    return privacy_subject_create(w->ctx, w->shop, "order", &w->out);
}

static int call_set(world *w)
{
    return privacy_subject_set(w->ctx, w->shop, w->sub, "contact.email", EMAIL, BILLING, 1);
}

static int call_get(world *w)
{
    return privacy_subject_get(w->ctx, w->clerk, w->sub, "contact.email", "billing", &w->out);
}

static int call_delete(world *w)
{
    return privacy_subject_delete_field(w->ctx, w->shop, w->sub, "contact.email", "billing");
}

static int call_find(world *w)
{
    return privacy_subject_find_by_email(w->ctx, w->clerk, "zo\xc3\xab@b\xc3\xbc\x63her.example",
                                         "billing", &w->out);
}

static int note_field(void *userdata, const char *category)
{
    ck_assert_str_eq(category, "contact.email");
    ++*(int *)userdata;
    return 0;
}

static int call_fields(world *w)
{
    int n = 0;
    int rc = privacy_subject_fields(w->ctx, w->clerk, w->sub, "billing", note_field, &n);
    if (rc == PRIVACY_OK)
        ck_assert_int_eq(n, 1);
    return rc;
}

static int call_authorize(world *w)
{
    return privacy_authorize(w->ctx, w->clerk, "read", "contact.email", "billing", w->sub, NULL);
}

static int call_rotate(world *w)
{
    return privacy_keys_rotate(w->ctx, NULL, NULL);
}

static int call_close(world *w)
{
    w_close(w);
    return PRIVACY_OK; /* privacy_close has no status: what it left is checked */
}

static int call_shred(world *w)
{
    return prv_subject_shred(w->ctx, w->shop, w->sub, NULL);
}

/* The subject the call made is stored, under the id it returned. */
static void check_created(world *w)
{
    privacy_record *rec = NULL;
    ck_assert_int_eq(prv_store_get(w->ctx->store, PRV_SUBJECT_COLLECTION, w->out, &rec),
                     PRIVACY_OK);
    prv_free(rec);
    char *value = NULL;
    ck_assert_int_eq(privacy_subject_set(w->ctx, w->shop, w->out, "contact.name", "Zo\xc3\xab",
                                         BILLING, 1),
                     PRIVACY_OK);
    ck_assert_int_eq(
        privacy_subject_get(w->ctx, w->clerk, w->out, "contact.name", "billing", &value),
        PRIVACY_OK);
    ck_assert_str_eq(value, "Zo\xc3\xab");
    privacy_free(value);
}

/* The address is stored and found through its blind index. */
static void check_findable(world *w)
{
    char *found = NULL;
    int rc = privacy_subject_find_by_email(w->ctx, w->clerk, EMAIL, "billing", &found);
    ck_assert_msg(rc == PRIVACY_OK, "find: %s", privacy_errmsg(w->ctx));
    ck_assert_str_eq(found, w->sub);
    privacy_free(found);
}

static void check_value(world *w)
{
    ck_assert_str_eq(w->out, EMAIL);
}

static void check_found(world *w)
{
    ck_assert_str_eq(w->out, w->sub);
}

static void check_gone(world *w)
{
    char *value = NULL;
    ck_assert_int_eq(
        privacy_subject_get(w->ctx, w->clerk, w->sub, "contact.email", "billing", &value),
        PRIVACY_E_NOT_FOUND);
    ck_assert_ptr_null(value);
}

/* A context the call opened works: a subject, its address, found. */
static void check_usable(world *w)
{
    w_subject(w);
    w_email(w);
    check_findable(w);
}

static const scenario SCENARIOS[] = {
    { "privacy_open (new store)", 0, prep_nothing, call_open, check_usable, 0, OLD_KEY },
    { "privacy_open (new store, separate keystore)", 1, prep_nothing, call_open, NULL, 0,
      OLD_KEY },
    { "privacy_open (existing store)", 0, prep_existing, call_open, NULL, 0, OLD_KEY },
    { "privacy_subject_create", 0, prep_open, call_create, check_created, 1, OLD_KEY },
    { "privacy_subject_create (separate keystore)", 1, prep_open, call_create, check_created, 1,
      OLD_KEY },
    { "privacy_subject_set (email)", 0, prep_subject, call_set, check_findable, 1, OLD_KEY },
    { "privacy_subject_get", 0, prep_email, call_get, check_value, 1, OLD_KEY },
    { "privacy_subject_delete_field", 0, prep_email, call_delete, check_gone, 1, OLD_KEY },
    { "privacy_subject_find_by_email", 0, prep_email, call_find, check_found, 1, OLD_KEY },
    { "privacy_subject_fields", 0, prep_email, call_fields, NULL, 1, OLD_KEY },
    { "privacy_authorize", 0, prep_subject, call_authorize, NULL, 1, OLD_KEY },
    { "privacy_keys_rotate", 0, prep_rotate, call_rotate, check_findable, 1, NEW_KEY },
    { "privacy_close", 0, prep_subject, call_close, NULL, 1, OLD_KEY },
    { "prv_subject_shred", 0, prep_email, call_shred, check_gone, 1, OLD_KEY },
    { "prv_subject_shred (separate keystore)", 1, prep_email, call_shred, check_gone, 1,
      OLD_KEY },
};
enum { N_SCENARIOS = sizeof SCENARIOS / sizeof SCENARIOS[0] };

/* ---- running one ---- */

typedef struct {
    int rc;
    long made;     /* commits the call made */
    long injected; /* BUSY answers it got */
    snap before, after;
} outcome;

static void world_start(world *w, const scenario *sc, int64_t budget_us)
{
    memset(w, 0, sizeof *w);
    w->separate_keystore = sc->separate_keystore;
    w->budget_us = budget_us;
    tu_store_setup(&S);
    tu_store_sibling(&S, "keys", &KS);
    busy_reset(S.backend);
    sc->prep(w);
}

static void world_end(world *w)
{
    busy_off();
    w_close(w);
    privacy_free(w->sub);
    privacy_free(w->out);
    tu_store_teardown(&S);
}

/* Once the call is done: the store opens with the root keys it should and
 * its whole audit log verifies (after privacy_close: the chain it ended). */
static void verify_log(world *w, const scenario *sc, long nth)
{
    w_close(w);
    privacy_ctx *ctx = NULL;
    int rc = open_ctx(w, sc->final_keys, &ctx);
    ck_assert_msg(rc == PRIVACY_OK, "%s, commit %ld: reopen: %s", sc->name, nth,
                  privacy_errmsg(NULL));
    rc = privacy_audit_verify(ctx, NULL);
    ck_assert_msg(rc == PRIVACY_OK, "%s, commit %ld: %s", sc->name, nth, privacy_errmsg(ctx));
    privacy_close(ctx);
}

/* Runs the call on a new store with its nth commit (0: none) landing and
 * reporting BUSY. */
static outcome run(const scenario *sc, long nth)
{
    world w;
    outcome o;
    world_start(&w, sc, PRV_RETRY_BUDGET_DEFAULT_US);
    take_snap(&w, &o.before);
    long c0 = commits;
    if (nth > 0)
        busy_arm(nth);
    o.rc = sc->call(&w);
    busy_off();
    o.made = commits - c0;
    o.injected = injected;
    ck_assert_msg(o.rc == PRIVACY_OK, "%s, commit %ld of %ld landed, reported busy: %s (%s)",
                  sc->name, nth, o.made, privacy_strerror(o.rc),
                  w.ctx != NULL ? privacy_errmsg(w.ctx) : privacy_errmsg(NULL));
    take_snap(&w, &o.after);
    if (sc->check != NULL)
        sc->check(&w);
    verify_log(&w, sc, nth);
    world_end(&w);
    return o;
}

START_TEST(test_retry_landed_commit_reported_busy_lands_once)
{
    const scenario *sc = &SCENARIOS[_i];
    outcome clean = run(sc, 0);
    ck_assert_int_eq(clean.injected, 0);
    ck_assert_msg(clean.after.n[AUDIT_AT] - clean.before.n[AUDIT_AT] == sc->entries,
                  "%s: a clean run adds %d audit entries, not %d", sc->name,
                  clean.after.n[AUDIT_AT] - clean.before.n[AUDIT_AT], sc->entries);
    /* Sweep every commit the call makes, and one more: then it makes
     * fewer than that, and nothing is injected. */
    for (long nth = 1;; nth++) {
        outcome o = run(sc, nth);
        char what[160];
        snprintf(what, sizeof what, "%s, commit %ld of %ld", sc->name, nth, clean.made);
        if (o.made < nth) {
            ck_assert_msg(nth == clean.made + 1, "%s: the sweep ended early", what);
            ck_assert_int_eq(o.injected, 0);
            break;
        }
        ck_assert_msg(o.injected == 1, "%s: no BUSY was injected", what);
        /* A landed commit re-run is one more commit: nothing else is redone. */
        ck_assert_msg(o.made == clean.made + 1, "%s: %ld commits, a clean run %ld", what, o.made,
                      clean.made);
        assert_same(&clean.before, &o.before, what);
        assert_same(&clean.after, &o.after, what);
        ck_assert_int_eq(o.after.n[AUDIT_AT] - o.before.n[AUDIT_AT], sc->entries);
    }
}
END_TEST

/* Every commit rolls back and answers BUSY: when the budget is spent the
 * call says the outcome is unknown, and nothing it did is stored. */
START_TEST(test_retry_commit_never_lands_outcome_unknown)
{
    const scenario *sc = &SCENARIOS[_i];
    world w;
    world_start(&w, sc, 20000);
    snap before, after;
    take_snap(&w, &before);
    int existed = tu_store_exists(&S);
    uint8_t digest_before[32], digest_after[32];
    if (existed)
        tu_digest_rows(&S, NULL, digest_before);
    long c0 = commits;
    never = 1;
    int rc = sc->call(&w);
    busy_off();
    long made = commits - c0;
    if (made == 0) { /* a call that writes nothing (opening an existing store) */
        ck_assert_int_eq(rc, PRIVACY_OK);
    } else {
        const char *msg = w.ctx != NULL ? privacy_errmsg(w.ctx) : privacy_errmsg(NULL);
        if (sc->call != call_close) {
            ck_assert_msg(rc == PRIVACY_E_STORAGE, "%s: %s (%s)", sc->name, privacy_strerror(rc),
                          msg);
            ck_assert_msg(strstr(msg, "outcome is unknown") != NULL, "%s: %s", sc->name, msg);
        }
        ck_assert_msg(made >= 2, "%s: %ld commits: no retry", sc->name, made);
    }
    if (sc->call == call_open && rc != PRIVACY_OK) {
        /* A new store that could not be set up holds no record. */
        ck_assert_ptr_null(w.ctx);
        if (tu_store_exists(&S))
            ck_assert_int_eq(tu_count_rows(&S, NULL), 0);
        if (w.separate_keystore && tu_store_exists(&KS))
            ck_assert_int_eq(tu_count_rows(&KS, NULL), 0);
    } else {
        take_snap(&w, &after);
        assert_same(&before, &after, sc->name);
        if (existed) {
            tu_digest_rows(&S, NULL, digest_after);
            ck_assert_msg(memcmp(digest_before, digest_after, 32) == 0, "%s: the store changed",
                          sc->name);
        }
    }
    world_end(&w);
}
END_TEST

/* Every commit lands and answers BUSY until the budget is spent: the call
 * says the outcome is unknown — and its audit entry is stored. The next
 * call must not take that entry's place (the chain cannot go on from an
 * entry that may or may not be there: the context starts a new one). In
 * the caller's own transaction the same holds for privacy_commit(). */
START_TEST(test_retry_unknown_outcome_keeps_its_audit_entry)
{
    world w;
    world_start(&w, &SCENARIOS[0], 20000);
    w_open(&w, OLD_KEY);
    snap before, after;
    take_snap(&w, &before);
    char *a = NULL, *b = NULL, *c = NULL;
    always = 1;
    int rc = privacy_subject_create(w.ctx, w.shop, "order", &a);
    always = 0;
    ck_assert_int_eq(rc, PRIVACY_E_STORAGE);
    ck_assert_ptr_nonnull(strstr(privacy_errmsg(w.ctx), "outcome is unknown"));
    ck_assert_int_eq(privacy_subject_create(w.ctx, w.shop, "order", &b), PRIVACY_OK);
    /* The caller's transaction: its commit is not re-run. */
    ck_assert_int_eq(privacy_begin(w.ctx), PRIVACY_OK);
    ck_assert_int_eq(privacy_subject_create(w.ctx, w.shop, "order", &c), PRIVACY_OK);
    always = 1;
    rc = privacy_commit(w.ctx);
    always = 0;
    ck_assert_int_eq(rc, PRIVACY_E_STORAGE);
    ck_assert_ptr_nonnull(strstr(privacy_errmsg(w.ctx), "outcome of the commit is unknown"));
    privacy_free(c);
    c = NULL;
    ck_assert_int_eq(privacy_subject_create(w.ctx, w.shop, "order", &c), PRIVACY_OK);
    take_snap(&w, &after);
    /* Four subjects landed (the first and third "unknown"), each with its
     * own entry. */
    ck_assert_int_eq(tu_count_rows(&S, "collection = 'subject'"), 4);
    ck_assert_int_eq(after.n[AUDIT_AT] - before.n[AUDIT_AT], 4);
    privacy_free(b);
    privacy_free(c);
    verify_log(&w, &SCENARIOS[0], 0);
    world_end(&w);
}
END_TEST

static Suite *retry_suite(void)
{
    Suite *s = suite_create("retry");
    TCase *tc = tcase_create("retry");
    tcase_set_timeout(tc, 600);
    tcase_add_loop_test(tc, test_retry_landed_commit_reported_busy_lands_once, 0, N_SCENARIOS);
    tcase_add_loop_test(tc, test_retry_commit_never_lands_outcome_unknown, 0, N_SCENARIOS);
    tcase_add_test(tc, test_retry_unknown_outcome_keeps_its_audit_entry);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(retry_suite());
}
