/* Audit-log benchmarks: appending entries through the library against the
 * raw work an entry cannot avoid, and verifying a large log.
 *
 *  audit_append         1,000 entries per transaction: privacy_begin(),
 *                       per entry the clock, prv_audit_prepare(),
 *                       prv_store_tx() with prv_audit_put() and
 *                       prv_audit_advance(), privacy_commit(). Against
 *                       BEGIN IMMEDIATE, per entry the keyed BLAKE2b-256 of
 *                       the entry's bytes and the backend's INSERT OR
 *                       REPLACE of its row, COMMIT. ops = entries.
 *  audit_append_single  the same with one entry per transaction, so each
 *                       commit is an fsync on both sides. ops = entries.
 *  audit_verify         prv_audit_verify() over a log of 1,000,000 entries
 *                       (built untimed through the library, 10,000 entries
 *                       per transaction). No raw counterpart.
 *                       ops = entries checked.
 *
 * The two append figures write to ours.db through a context opened with
 * privacy_open() (random root key, this benchmark's clock), and raw.db
 * through a raw connection. Both files are created by the library
 * (bench_create_db), so schema, indexes and persistent settings are the
 * library's; the raw connection sets the backend's per-connection pragmas
 * (bench_raw_open). Before each round the baseline's rows are planned
 * (untimed) with the library's own entry encoder, from the same events, the
 * same chain id, sequence numbers and times that the context then produces,
 * so both files receive the same rows: same collection "audit", record ids
 * (chain ':' sequence), subject ids, index keys (the chain id), created
 * times and body bytes. The baseline computes each entry's MAC itself over
 * exactly the bytes the library hashes. After the figures, both files are
 * verified with the context's audit key: the raw rows must form the same
 * valid chain, and the context must have written what was planned. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit/entry.h"
#include "audit/log.h"
#include "audit/verify.h"
#include "bench.h"
#include "core/alloc.h"
#include "core/context.h"
#include "crypto/keystore.h"
#include "privacy/privacy.h"
#include "store/store.h"

enum {
    ROUNDS = 7,           /* timed rounds per append figure, plus one warm-up */
    BATCH = 1000,         /* entries per transaction in audit_append */
    BATCH_STEPS = 10,     /* transactions per side per round (a step each) */
    SINGLE_STEPS = 20,    /* steps per side per round in audit_append_single */
    SINGLE_PER_STEP = 10, /* one-entry transactions per step */
    MAX_ROUND = BATCH * BATCH_STEPS, /* most entries a round plans */
    VERIFY_ENTRIES = 1000000, /* entries in the log audit_verify checks */
    VERIFY_TX = 10000,        /* entries per transaction while building it */
    VERIFY_ROUNDS = 5,        /* timed verifications, plus one warm-up */
};

/* Realistic values: staff and service accounts, and roles, categories and
 * purposes of the default policy (src/policy/default_policy.json) with its
 * actions (read, write, disclose). */
static const char *const ACTORS[] = { "staff-0017",  "staff-0042",   "staff-0108",
                                      "svc-billing", "svc-shipping", "svc-newsletter" };
static const char *const ROLES[] = { "billing", "customer_service", "fulfilment", "marketing",
                                     "privacy_officer" };
static const char *const ACTIONS[] = { "read", "write", "disclose" };
static const char *const CATEGORIES[] = { "contact.email", "contact.shipping_address",
                                          "contact.phone", "contact.name",
                                          "order.card_summary" };
static const char *const PURPOSES[] = { "billing", "fulfilment", "support_response",
                                        "marketing_email", "subject_rights" };
static const int OUTCOMES[] = { PRIVACY_OK, PRIVACY_OK, PRIVACY_OK, PRIVACY_OK, PRIVACY_OK,
                                PRIVACY_OK, PRIVACY_E_DENIED, PRIVACY_E_NO_CONSENT };

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* An event to record; ev.subject points at subject. */
typedef struct event_slot {
    prv_audit_event ev;
    bench_id subject;
} event_slot;

/* One entry of a round: the event both sides record, and the row the
 * baseline writes for it (its MAC left for the baseline to compute). */
typedef struct planned {
    event_slot what;
    int64_t time;
    char id[PRV_AUDIT_ID_SIZE];
    size_t len;
    uint8_t body[PRV_AUDIT_BODY_MAX];
} planned;

typedef struct bench_state {
    privacy_config *cfg;
    privacy_ctx *ctx;        /* the library's side, on ours.db */
    bench_raw_db raw;        /* raw SQLite on raw.db */
    const unsigned char *key; /* the context's audit key (guarded memory) */
    /* The context's chain as the plan sees it (its id is the rows' index
     * key), with the planned entries' sequence numbers and MACs. */
    bench_audit_chain chain;

    int64_t clock_us; /* the context's clock: each reading returns it and adds 1 */

    /* The round's plan, and where the planned chain stands. */
    planned *plan;
    size_t nplan;
    int per_tx, tx_per_step; /* the figure's shape */
    int64_t plan_clock_end; /* clock_us once the context wrote the round */

    prv_audit_prepared *p; /* the library side's entry being written */
    uint64_t appended;     /* entries written to each file */
    uint64_t body_bytes;   /* their bodies' bytes */
} bench_state;

/* The context's clock: deterministic, so that the plan knows each entry's
 * time. Microseconds from the real time at start, one per reading. */
static int64_t bench_clock(void *userdata)
{
    bench_state *s = userdata;
    return s->clock_us++;
}

/* A random realistic event; the subject id is fresh ("sub_" + 32 hex). */
static void random_event(event_slot *slot)
{
    bench_new_id(slot->subject, "sub_");
    slot->ev = (prv_audit_event){
        .actor = ACTORS[randombytes_uniform(COUNT(ACTORS))],
        .role = ROLES[randombytes_uniform(COUNT(ROLES))],
        .action = ACTIONS[randombytes_uniform(COUNT(ACTIONS))],
        .category = CATEGORIES[randombytes_uniform(COUNT(CATEGORIES))],
        .purpose = PURPOSES[randombytes_uniform(COUNT(PURPOSES))],
        .recipient = NULL,
        .subject = slot->subject,
        .object = NULL,
        .outcome = OUTCOMES[randombytes_uniform(COUNT(OUTCOMES))],
    };
}

/* ---- the library's side ---- */

static int put_entry(prv_store *st, void *userdata)
{
    return prv_audit_put(st, userdata);
}

/* Appends one entry as a domain operation does: reads the clock, prepares
 * the entry before the transaction, writes it in prv_store_tx() (which,
 * inside privacy_begin(), runs the callback once in that transaction), and
 * moves the chain on after it. */
static void append_one(privacy_ctx *ctx, prv_audit_prepared *p, const prv_audit_event *ev)
{
    int64_t now;
    int rc = prv_ctx_now(ctx, &now);
    if (rc != PRIVACY_OK)
        bench_ctx_die(ctx, rc, "prv_ctx_now");
    rc = prv_audit_prepare(ctx->audit, ctx->keys, now, ev, p, &ctx->err);
    if (rc != PRIVACY_OK)
        bench_ctx_die(ctx, rc, "prv_audit_prepare");
    int in_tx = prv_store_in_tx(ctx->store);
    rc = prv_store_tx(ctx->store, put_entry, p);
    if (rc != PRIVACY_OK)
        bench_ctx_die(ctx, rc, "prv_store_tx(prv_audit_put)");
    prv_audit_advance(ctx->audit, p, in_tx);
}

/* Appends n entries, in one transaction of the caller's (privacy_begin,
 * privacy_commit) when there are several, else in the entry's own. */
static void append_tx(privacy_ctx *ctx, prv_audit_prepared *p, const prv_audit_event *const *ev,
                      size_t n)
{
    int rc;
    if (n > 1 && (rc = privacy_begin(ctx)) != PRIVACY_OK)
        bench_ctx_die(ctx, rc, "privacy_begin");
    for (size_t i = 0; i < n; i++)
        append_one(ctx, p, ev[i]);
    if (n > 1 && (rc = privacy_commit(ctx)) != PRIVACY_OK)
        bench_ctx_die(ctx, rc, "privacy_commit");
}

/* The entries of step k of the round. */
static planned *step_plan(bench_state *s, int step)
{
    size_t per_step = (size_t)s->per_tx * (size_t)s->tx_per_step;
    if (step < 0 || (size_t)(step + 1) * per_step > s->nplan)
        bench_die("step %d is beyond the round's %zu entries", step, s->nplan);
    return s->plan + (size_t)step * per_step;
}

static uint64_t ours_append(void *arg, int step)
{
    bench_state *s = arg;
    const planned *pl = step_plan(s, step);
    const prv_audit_event *ev[BATCH];
    if (s->per_tx > BATCH)
        bench_die("at most %d entries per transaction", BATCH);
    for (int t = 0; t < s->tx_per_step; t++) {
        const planned *tx = pl + (size_t)t * (size_t)s->per_tx;
        for (int i = 0; i < s->per_tx; i++)
            ev[i] = &tx[i].what.ev;
        append_tx(s->ctx, s->p, ev, (size_t)s->per_tx);
    }
    return (uint64_t)s->per_tx * (uint64_t)s->tx_per_step;
}

/* ---- the baseline: keyed BLAKE2b-256 and raw SQLite ---- */

static uint64_t base_append(void *arg, int step)
{
    bench_state *s = arg;
    planned *pl = step_plan(s, step);
    for (int t = 0; t < s->tx_per_step; t++) {
        bench_raw_begin(&s->raw);
        for (int i = 0; i < s->per_tx; i++) {
            planned *e = &pl[(size_t)t * (size_t)s->per_tx + (size_t)i];
            bench_audit_mac(s->key, e->body, e->len);
            privacy_record rec =
                bench_audit_row(&s->chain, e->id, e->what.subject, e->time, e->body, e->len);
            bench_raw_put(&s->raw, &rec);
        }
        bench_raw_commit(&s->raw);
    }
    return (uint64_t)s->per_tx * (uint64_t)s->tx_per_step;
}

/* ---- planning a round (untimed) ---- */

/* Checks that the context wrote what the last round planned: its clock was
 * read once per entry, and its chain ends at the planned MAC (which seals
 * every entry before it, so the bodies were the same). */
static void check_round(const bench_state *s)
{
    if (s->chain.seq == 0)
        return;
    if (s->clock_us != s->plan_clock_end)
        bench_die("the context read its clock %+lld times off the plan of one per entry",
                  (long long)(s->clock_us - s->plan_clock_end));
    if (s->p->e.seq != s->chain.seq ||
        sodium_memcmp(s->p->e.mac, s->chain.mac, PRV_AUDIT_MAC) != 0)
        bench_die("the context's entry %llu is not the one planned for it",
                  (unsigned long long)s->p->e.seq);
}

/* Plans the next entry of the chain: what prv_audit_prepare() makes of the
 * same event at the same time, through the library's own encoder. */
static void plan_entry(bench_state *s, planned *pl, int64_t time)
{
    random_event(&pl->what);
    pl->time = time;
    pl->len = bench_audit_plan(&s->chain, &pl->what.ev, time, pl->body, pl->id);
    s->body_bytes += pl->len;
}

static void plan_round(bench_state *s, size_t steps)
{
    check_round(s);
    size_t n = steps * (size_t)s->per_tx * (size_t)s->tx_per_step;
    if (n > MAX_ROUND)
        bench_die("a round of %zu entries is more than the plan holds", n);
    /* The context reads its clock once per entry, in order. */
    for (size_t i = 0; i < n; i++)
        plan_entry(s, &s->plan[i], s->clock_us + (int64_t)i);
    s->nplan = n;
    s->plan_clock_end = s->clock_us + (int64_t)n;
}

static void prepare_batch(void *arg, int round)
{
    (void)round;
    plan_round(arg, BATCH_STEPS);
}

static void prepare_single(void *arg, int round)
{
    (void)round;
    plan_round(arg, SINGLE_STEPS);
}

/* ---- audit_verify ---- */

typedef struct verify_state {
    privacy_ctx *ctx;
    uint64_t expect; /* entries in the log */
} verify_state;

static uint64_t verify_step(void *arg, int step)
{
    verify_state *v = arg;
    privacy_ctx *ctx = v->ctx;
    (void)step;
    uint64_t entries = 0;
    int rc = prv_audit_verify(ctx->store, prv_keystore_key(ctx->keys, PRV_KEY_AUDIT, NULL), NULL,
                              &entries, &ctx->err);
    if (rc != PRIVACY_OK)
        bench_ctx_die(ctx, rc, "prv_audit_verify");
    if (entries != v->expect)
        bench_die("prv_audit_verify checked %llu entries, not %llu", (unsigned long long)entries,
                  (unsigned long long)v->expect);
    return entries;
}

/* Builds a log of VERIFY_ENTRIES entries (plus the close entry of its
 * chain) through the library, VERIFY_TX per transaction, untimed; then
 * times its verification by a context opened afterwards. */
static void run_verify(const char *dir, const uint8_t *root_key, prv_audit_prepared *p)
{
    char path[4096];
    bench_path(path, sizeof path, dir, "verify.db", "");
    privacy_config *cfg = NULL;
    privacy_ctx *ctx = bench_ctx_open(&cfg, path, root_key, NULL, NULL);

    int64_t t0 = bench_now_ns();
    event_slot *ev = bench_xcalloc(VERIFY_TX, sizeof *ev);
    for (size_t done = 0; done < VERIFY_ENTRIES; done += VERIFY_TX) {
        for (size_t i = 0; i < VERIFY_TX; i++)
            random_event(&ev[i]);
        int rc = privacy_begin(ctx);
        if (rc != PRIVACY_OK)
            bench_ctx_die(ctx, rc, "privacy_begin");
        for (size_t i = 0; i < VERIFY_TX; i++)
            append_one(ctx, p, &ev[i].ev);
        if ((rc = privacy_commit(ctx)) != PRIVACY_OK)
            bench_ctx_die(ctx, rc, "privacy_commit");
    }
    free(ev);
    /* The chain ends with its context, as in production: one close entry. */
    bench_ctx_close(ctx, cfg);
    fprintf(stderr, "bench: built an audit log of %d entries (%d per transaction) in %.1f s\n",
            VERIFY_ENTRIES, VERIFY_TX, (double)(bench_now_ns() - t0) / 1e9);

    verify_state v = { bench_ctx_open(&cfg, path, root_key, NULL, NULL), VERIFY_ENTRIES + 1 };
    bench_run_alone("audit_verify", VERIFY_ROUNDS, 1, &v, NULL, verify_step);
    bench_ctx_close(v.ctx, cfg);
    bench_remove_db(dir, "verify.db");
}

/* ---- set-up and checks ---- */

/* raw.db gets the fold record a store set up by privacy_open has, under
 * the same audit key, so that its log verifies the same way. */
static void init_fold(const char *path, const unsigned char *key)
{
    prv_err err;
    prv_store *st = NULL;
    bench_store_open(&st, path, &err);
    int rc = prv_audit_fold_init(st, key);
    if (rc != PRIVACY_OK)
        bench_die("prv_audit_fold_init(%s): %s (%d)", path, err.msg, rc);
    prv_store_close(st, 0);
}

int main(void)
{
    if (sodium_init() < 0)
        bench_die("sodium_init failed");

    char dir[4096];
    bench_tmpdir(dir, sizeof dir);
    char ours_path[4096], raw_path[4096];
    bench_path(ours_path, sizeof ours_path, dir, "ours.db", "");
    bench_path(raw_path, sizeof raw_path, dir, "raw.db", "");

    uint8_t root_key[PRIVACY_ROOT_KEY_BYTES];
    randombytes_buf(root_key, sizeof root_key);

    static bench_state s; /* zeroed */
    s.clock_us = bench_realtime_us();
    s.plan = bench_xcalloc(MAX_ROUND, sizeof *s.plan);
    s.p = bench_xcalloc(1, sizeof *s.p);

    /* ours.db is made by privacy_open (the schema, then the working keys);
     * raw.db by the library's store alone. Each has one connection. */
    s.ctx = bench_ctx_open(&s.cfg, ours_path, root_key, bench_clock, &s);
    s.key = prv_keystore_key(s.ctx->keys, PRV_KEY_AUDIT, NULL);
    bench_create_db(raw_path);
    init_fold(raw_path, s.key);
    bench_raw_open(&s.raw, raw_path);
    bench_audit_chain_init(&s.chain, s.key, prv_audit_chain_id(s.ctx->audit));

    s.per_tx = BATCH;
    s.tx_per_step = 1;
    bench_pair batch = {
        .name = "audit_append",
        .baseline = "sqlite_blake2b",
        .rounds = ROUNDS,
        .steps = BATCH_STEPS,
        .arg = &s,
        .prepare = prepare_batch,
        .ours = ours_append,
        .base = base_append,
    };
    bench_run_pair(&batch);
    check_round(&s);
    s.appended += (uint64_t)(ROUNDS + 1) * BATCH_STEPS * BATCH;

    s.per_tx = 1;
    s.tx_per_step = SINGLE_PER_STEP;
    bench_pair single = {
        .name = "audit_append_single",
        .baseline = "sqlite_blake2b",
        .rounds = ROUNDS,
        .steps = SINGLE_STEPS,
        .arg = &s,
        .prepare = prepare_single,
        .ours = ours_append,
        .base = base_append,
    };
    bench_run_pair(&single);
    check_round(&s);
    s.appended += (uint64_t)(ROUNDS + 1) * SINGLE_STEPS * SINGLE_PER_STEP;

    /* Both files hold the same chain: the raw rows verify with the
     * context's key as the context's own do. */
    bench_raw_close(&s.raw);
    uint64_t in_raw = bench_audit_verify_file(raw_path, s.key);
    uint64_t in_ours = 0;
    int rc = prv_audit_verify(s.ctx->store, s.key, NULL, &in_ours, &s.ctx->err);
    if (rc != PRIVACY_OK)
        bench_ctx_die(s.ctx, rc, "prv_audit_verify(ours.db)");
    if (in_raw != s.appended || in_ours != s.appended)
        bench_die("entries: %llu written to each file, but %llu in ours.db and %llu in raw.db",
                  (unsigned long long)s.appended, (unsigned long long)in_ours,
                  (unsigned long long)in_raw);
    fprintf(stderr, "bench: %llu entries (%.0f body bytes on average) in each file verified alike\n",
            (unsigned long long)s.appended, (double)s.body_bytes / (double)s.appended);
    bench_ctx_close(s.ctx, s.cfg);
    bench_remove_db(dir, "ours.db");
    bench_remove_db(dir, "raw.db");

    run_verify(dir, root_key, s.p);

    sodium_memzero(root_key, sizeof root_key);
    free(s.plan);
    free(s.p);
    if (prv_alloc_live() != 0)
        bench_die("the library leaked %ld blocks", prv_alloc_live());
    if (rmdir(dir) != 0)
        bench_die("cannot remove %s", dir);
    return 0;
}
