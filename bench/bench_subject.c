/* Subject benchmarks (docs/subjects.md): the blind index, a field written
 * and read end to end through the public API, and finding a subject by
 * email in a large store, each against the raw libsodium and SQLite work
 * it cannot avoid, measured in the same run.
 *
 *  blind_index        prv_blind_index() of an already normalised address,
 *                     against one keyed BLAKE2b-256 (crypto_generichash,
 *                     the same index key) over the same input bytes (the
 *                     length-prefixed label, collection, field and value),
 *                     the key version byte in front. ops = addresses.
 *  subject_get        privacy_subject_get() of a subject's
 *                     contact.shipping_address (warm key cache; one call,
 *                     one transaction), against BEGIN IMMEDIATE, the field
 *                     row and the wrapped data key row read by key, the
 *                     record seal checked (keyed BLAKE2b), the envelope
 *                     opened (commitment + XChaCha20-Poly1305), the audit
 *                     entry's MAC and row insert, COMMIT. ops = reads.
 *  subject_set        privacy_subject_set() of a new shipping address,
 *                     against BEGIN IMMEDIATE, the subject row and the
 *                     wrapped data key row read by key, the envelope sealed
 *                     (randombytes nonce, keyed BLAKE2b commitment,
 *                     XChaCha20-Poly1305 with the same associated data),
 *                     the record seal and the audit MAC (keyed BLAKE2b),
 *                     INSERT OR REPLACE of the field row and insert of the
 *                     audit row, COMMIT. ops = writes. Both figures are
 *                     bench_subject_rw.c's, shared with bench_pg_subject.c;
 *                     this file gives them raw SQLite's storage calls.
 *  find_by_email_<n>  privacy_subject_find_by_email() on a store of n
 *                     subjects with a fresh context (cold key cache) and
 *                     addresses in random order, never the same twice,
 *                     against BEGIN IMMEDIATE, the blind index (keyed
 *                     BLAKE2b), the index lookup (the backend's scan by
 *                     index key), the wrapped data key read and unwrapped
 *                     (XChaCha20-Poly1305 under the root key), the stored
 *                     address decrypted and compared (constant time), the
 *                     audit entry's MAC and row insert, COMMIT.
 *                     ops = lookups. n is 100k by default and 1,000,000 with
 *                     BENCH_FULL=1 (see bench/README.md).
 *
 * The stores are built untimed through the public API (privacy_begin,
 * 10,000 subjects per transaction, privacy_subject_create and
 * privacy_subject_set, privacy_commit), closed, and copied twice byte for
 * byte (bs_make_copies): the library then works on one copy through a
 * context and the baseline on the other through a raw connection with the
 * backend's settings and statements (bench_raw_open), so both sides read
 * the same rows from files with the same pages and history, one
 * connection per file.
 * The baseline's audit rows form a chain of its own, planned untimed with
 * the library's encoder (bench_audit_plan); its MACs are computed timed.
 *
 * Checks: the baselines' blind indexes and unwrapped data keys equal the
 * library's; every read and lookup returns the expected value or subject
 * on both sides; at the end the values the baseline wrote are read back
 * through the public API from its file, both files' audit logs verify
 * (prv_audit_verify) and hold the same number of entries (ours one more:
 * the close entry of the timed context), and the library has no block
 * left allocated. */
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_subject.h"
#include "core/alloc.h"
#include "core/context.h"
#include "crypto/dek.h"
#include "crypto/seal.h"

/* ---- blind_index ---- */

typedef struct blind_state {
    const prv_keystore *ks;
    const bs_raw_keys *k;
    char addr[NADDR][EMAIL_CAP];
    size_t len[NADDR];
    uint8_t out[PRV_BLIND_BYTES];
    unsigned sink;
} blind_state;

static uint64_t ours_blind(void *arg, int step)
{
    blind_state *b = arg;
    for (int i = 0; i < BLIND_PER_STEP; i++) {
        size_t a = ((size_t)step * BLIND_PER_STEP + (size_t)i) % NADDR;
        prv_blind_index(b->ks, PRV_FIELD_COLLECTION, PRV_EMAIL_CATEGORY, b->addr[a], b->len[a],
                        b->out);
        b->sink += b->out[1];
    }
    return BLIND_PER_STEP;
}

static uint64_t base_blind(void *arg, int step)
{
    blind_state *b = arg;
    for (int i = 0; i < BLIND_PER_STEP; i++) {
        size_t a = ((size_t)step * BLIND_PER_STEP + (size_t)i) % NADDR;
        bs_raw_blind(b->k, b->addr[a], b->len[a], b->out);
        b->sink += b->out[1];
    }
    return BLIND_PER_STEP;
}

/* Already normalised addresses: 7 in 8 ASCII (email_of), 1 in 8 with a
 * Unicode local part or an internationalised domain, normalised once
 * here by the library (NFC, case folded; the domain's A-label). */
static void run_blind(privacy_ctx *ctx, const bs_raw_keys *k)
{
    static const char *const unicode[] = { "Zoë.Müller%u@Bücher.example", "josé%u@correo.es",
                                           "Søren.Ødegård%u@example.dk", "用户%u@例子.广告",
                                           "δοκιμή%u@παράδειγμα.δοκιμή", "İlker%u@köln-café.de" };
    blind_state *b = bench_xcalloc(1, sizeof *b);
    b->ks = ctx->keys;
    b->k = k;
    prv_err err;
    for (size_t i = 0; i < NADDR; i++) {
        uint32_t r = randombytes_uniform(1000000);
        if (i % 8 != 7) {
            b->len[i] = bs_email_of(r, b->addr[i]);
            continue;
        }
        char raw[EMAIL_CAP * 2];
        snprintf(raw, sizeof raw, unicode[i / 8 % COUNT(unicode)], (unsigned)r);
        char *norm = NULL;
        size_t nlen = 0;
        int rc = prv_email_normalise(raw, strlen(raw), &norm, &nlen, &err);
        if (rc != PRIVACY_OK)
            bench_die("prv_email_normalise: %s (%d)", err.msg, rc);
        if (nlen >= EMAIL_CAP)
            bench_die("normalised address too long");
        memcpy(b->addr[i], norm, nlen + 1);
        b->len[i] = nlen;
        prv_free(norm);
    }
    /* Both sides compute the same index for every address. */
    for (size_t i = 0; i < NADDR; i++) {
        uint8_t x[PRV_BLIND_BYTES], y[PRV_BLIND_BYTES];
        prv_blind_index(ctx->keys, PRV_FIELD_COLLECTION, PRV_EMAIL_CATEGORY, b->addr[i], b->len[i],
                        x);
        bs_raw_blind(k, b->addr[i], b->len[i], y);
        if (memcmp(x, y, sizeof x) != 0)
            bench_die("blind_index: the baseline's index of address %zu is not the library's", i);
    }
    bench_pair p = {
        .name = "blind_index",
        .baseline = "blake2b",
        .rounds = ROUNDS,
        .steps = BLIND_STEPS,
        .arg = b,
        .prepare = NULL,
        .ours = ours_blind,
        .base = base_blind,
    };
    bench_run_pair(&p);
    free(b);
}

/* ---- subject_get, subject_set (bench_subject_rw.c) ---- */

static void run_set_get(const char *dir, const uint8_t *root)
{
    char ours[4096], raw[4096], build_uri[BENCH_URI_CAP];
    bench_path(ours, sizeof ours, dir, "sg-build.db", "");
    bench_sqlite_uri(build_uri, ours);
    bench_id *ids = bs_build_store(build_uri, root, SG_SUBJECTS, 1);
    bs_make_copies(dir, "sg-build.db", "sg-ours.db", "sg-raw.db");
    bench_path(ours, sizeof ours, dir, "sg-ours.db", "");
    bench_path(raw, sizeof raw, dir, "sg-raw.db", "");

    char ours_uri[BENCH_URI_CAP], raw_uri[BENCH_URI_CAP];
    bench_sqlite_uri(ours_uri, ours);
    bench_sqlite_uri(raw_uri, raw);
    bs_sg *s = bs_sg_open(ours_uri, root);
    bench_raw_db db;
    bench_raw_open(&db, raw);
    s->raw = bench_raw_ops_of(&db);
    bs_sg_pick_work(s, ids, SG_SUBJECTS);
    free(ids);

    run_blind(s->ctx, &s->keys);

    bs_sg_run(s, "subject_get", "subject_set", "sqlite_aead");

    bs_sg_close_ctx(s);
    bench_raw_close(&db);
    bs_sg_check_values(s, ours_uri, root, ours);
    bs_sg_check_values(s, raw_uri, root, raw);
    bs_check_logs(dir, "sg-ours.db", "sg-raw.db", s->audit_key);
    fprintf(stderr, "bench: %llu calls per side, values read back from both files (checksum %u)\n",
            (unsigned long long)s->ops, s->sink);
    bs_sg_free(s);
    bench_remove_db(dir, "sg-ours.db");
    bench_remove_db(dir, "sg-raw.db");
}

/* ---- find_by_email_<n> ---- */

typedef struct find_query {
    size_t who; /* the subject's index */
    char email[EMAIL_CAP];
    size_t email_len;
    int64_t time;
    char audit_id[PRV_AUDIT_ID_SIZE];
    size_t audit_len;
    uint8_t audit_body[PRV_AUDIT_BODY_MAX];
} find_query;

typedef struct find_state {
    privacy_config *cfg;
    privacy_ctx *ctx;
    privacy_actor *actor;
    bench_raw_db raw;
    bs_raw_keys keys;
    bench_audit_chain chain;
    int64_t clock;
    bench_id *ids;
    size_t n;
    uint32_t *order; /* a random permutation of the subjects */
    size_t next;     /* the next one to look up */
    find_query *plan;
    uint64_t lookups;
    unsigned sink;
} find_state;

static const find_query *step_queries(const find_state *f, int step)
{
    if (step < 0 || step >= FIND_STEPS)
        bench_die("step %d is beyond the round", step);
    return f->plan + (size_t)step * FINDS_PER_STEP;
}

static uint64_t ours_find(void *arg, int step)
{
    find_state *f = arg;
    const find_query *q = step_queries(f, step);
    for (int i = 0; i < FINDS_PER_STEP; i++) {
        char *found = NULL;
        int rc = privacy_subject_find_by_email(f->ctx, f->actor, q[i].email, PURPOSE, &found);
        if (rc != PRIVACY_OK)
            bench_ctx_die(f->ctx, rc, "privacy_subject_find_by_email");
        if (strcmp(found, f->ids[q[i].who]) != 0)
            bench_die("privacy_subject_find_by_email: found the wrong subject");
        f->sink += (unsigned char)found[BENCH_ID_LEN - 1];
        privacy_free(found);
    }
    return FINDS_PER_STEP;
}

static void raw_find_one(find_state *f, find_query *q)
{
    bench_raw_db *r = &f->raw;
    uint8_t idx[PRV_BLIND_BYTES];
    bs_raw_blind(&f->keys, q->email, q->email_len, idx);
    bench_raw_begin(r);
    sqlite3_stmt *st = r->scan_index;
    int rc = sqlite3_bind_text(st, 1, PRV_FIELD_COLLECTION, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_blob(st, 2, idx, sizeof idx, SQLITE_STATIC);
    if (rc != SQLITE_OK)
        bench_raw_die(r, rc, "binding an index key");
    if ((rc = sqlite3_step(st)) != SQLITE_ROW)
        bench_raw_die(r, rc, "baseline: no row under the blind index");
    /* The hit, used in place while the scan holds it. */
    const char *sub = (const char *)sqlite3_column_text(st, 1);
    const uint8_t *body = sqlite3_column_blob(st, 5);
    size_t blen = (size_t)sqlite3_column_bytes(st, 5);
    if (sub == NULL || strlen(sub) != BENCH_ID_LEN || body == NULL || blen < PRV_SEAL_BYTES)
        bench_die("baseline: the hit is not a field row");
    char rid[PRV_FIELD_ID_SIZE];
    bs_make_rid(rid, sub, PRV_EMAIL_CATEGORY);
    /* The subject's data key, unwrapped under the root key. */
    if (!bench_raw_get(r, PRV_DEK_COLLECTION, sub))
        bench_die("baseline: no data key for %s", sub);
    uint8_t dek[32];
    uint32_t version = 0;
    bs_raw_unwrap(&f->keys, sub, sqlite3_column_blob(r->get, 5),
                  (size_t)sqlite3_column_bytes(r->get, 5), dek, &version);
    bench_raw_reset(r, r->get);
    /* Confirmed by the stored address itself, compared in constant time. */
    size_t n = blen - PRV_SEAL_BYTES, at = bs_field_blob_at(body, n);
    uint8_t pt[BODY_CAP];
    if (n - at > sizeof pt)
        bench_die("baseline: the stored address is too long");
    size_t len =
        bs_raw_envelope_open(dek, version, sub, rid, PRV_EMAIL_CATEGORY, body + at, n - at, pt);
    sodium_memzero(dek, sizeof dek);
    if (len != q->email_len || sodium_memcmp(pt, q->email, len) != 0)
        bench_die("baseline: the stored address is not the one looked up");
    sodium_memzero(pt, len);
    if (strcmp(sub, f->ids[q->who]) != 0)
        bench_die("baseline: found the wrong subject");
    f->sink += (unsigned char)sub[BENCH_ID_LEN - 1];
    if ((rc = sqlite3_step(st)) != SQLITE_DONE)
        bench_raw_die(r, rc, "baseline: more than one row under the blind index");
    bench_raw_reset(r, st);
    bench_audit_mac(f->keys.audit, q->audit_body, q->audit_len);
    privacy_record a = bench_audit_row(&f->chain, q->audit_id, f->ids[q->who], q->time,
                                       q->audit_body, q->audit_len);
    bench_raw_put(r, &a);
    bench_raw_commit(r);
}

static uint64_t base_find(void *arg, int step)
{
    find_state *f = arg;
    find_query *q = (find_query *)step_queries(f, step);
    for (int i = 0; i < FINDS_PER_STEP; i++)
        raw_find_one(f, &q[i]);
    return FINDS_PER_STEP;
}

/* The round's lookups: the next subjects of the permutation (never one
 * looked up before, so the context's key cache cannot hold its key), and
 * the baseline's audit entries. The address is already in its normal
 * form: the baseline uses it as it is, the library normalises it. */
static void prepare_find(void *arg, int round)
{
    find_state *f = arg;
    (void)round;
    prv_err err;
    for (size_t i = 0; i < (size_t)FIND_STEPS * FINDS_PER_STEP; i++) {
        find_query *q = &f->plan[i];
        if (f->next >= f->n)
            bench_die("find: every subject was looked up already");
        q->who = f->order[f->next++];
        q->email_len = bs_email_of(q->who, q->email);
        char *norm = NULL;
        size_t nlen = 0;
        int rc = prv_email_normalise(q->email, q->email_len, &norm, &nlen, &err);
        if (rc != PRIVACY_OK)
            bench_die("prv_email_normalise: %s (%d)", err.msg, rc);
        if (nlen != q->email_len || memcmp(norm, q->email, nlen) != 0)
            bench_die("find: address %zu is not in its normal form", q->who);
        prv_free(norm);
        q->time = bs_next_time(&f->clock);
        prv_audit_event ev = { .actor = ACTOR, .role = ROLE, .action = "find",
                               .category = PRV_EMAIL_CATEGORY, .purpose = PURPOSE,
                               .subject = f->ids[q->who], .outcome = PRIVACY_OK };
        q->audit_len = bench_audit_plan(&f->chain, &ev, q->time, q->audit_body, q->audit_id);
    }
    f->lookups += (size_t)FIND_STEPS * FINDS_PER_STEP;
}

static void run_find(const char *dir, const uint8_t *root, size_t n, const char *name)
{
    char ours[4096], raw[4096], build_uri[BENCH_URI_CAP];
    bench_path(ours, sizeof ours, dir, "find-build.db", "");
    bench_sqlite_uri(build_uri, ours);
    bench_id *ids = bs_build_store(build_uri, root, n, 0);
    int64_t t0 = bench_now_ns();
    bs_make_copies(dir, "find-build.db", "find-ours.db", "find-raw.db");
    fprintf(stderr, "bench: copied it twice in %.1f s\n", (double)(bench_now_ns() - t0) / 1e9);
    bench_path(ours, sizeof ours, dir, "find-ours.db", "");
    bench_path(raw, sizeof raw, dir, "find-raw.db", "");

    find_state *f = bench_xcalloc(1, sizeof *f);
    f->ids = ids;
    f->n = n;
    f->order = bench_xcalloc(n, sizeof *f->order);
    for (size_t i = 0; i < n; i++)
        f->order[i] = (uint32_t)i;
    for (size_t i = n - 1; i > 0; i--) {
        size_t j = randombytes_uniform((uint32_t)(i + 1));
        uint32_t t = f->order[i];
        f->order[i] = f->order[j];
        f->order[j] = t;
    }
    f->plan = bench_xcalloc((size_t)FIND_STEPS * FINDS_PER_STEP, sizeof *f->plan);
    /* A fresh context: its key cache is empty. */
    f->ctx = bench_ctx_open(&f->cfg, ours, root, NULL, NULL);
    f->actor = bs_new_actor(f->ctx, ACTOR);
    bench_raw_open(&f->raw, raw);
    bs_raw_keys_from(&f->keys, f->ctx, root);
    uint8_t audit_key[32];
    memcpy(audit_key, f->keys.audit, sizeof audit_key);
    bench_id chain;
    bench_new_id(chain, "chn_");
    bench_audit_chain_init(&f->chain, f->keys.audit, chain);

    bench_pair p = {
        .name = name,
        .baseline = "sqlite_aead",
        .rounds = ROUNDS,
        .steps = FIND_STEPS,
        .arg = f,
        .prepare = prepare_find,
        .ours = ours_find,
        .base = base_find,
    };
    bench_run_pair(&p);

    privacy_actor_free(f->actor);
    bench_ctx_close(f->ctx, f->cfg);
    bench_raw_close(&f->raw);
    t0 = bench_now_ns();
    bs_check_logs(dir, "find-ours.db", "find-raw.db", audit_key);
    fprintf(stderr, "bench: %llu lookups per side (checksum %u); the logs verified in %.1f s\n",
            (unsigned long long)f->lookups, f->sink, (double)(bench_now_ns() - t0) / 1e9);
    sodium_memzero(audit_key, sizeof audit_key);
    free(f->order);
    free(f->plan);
    free(f);
    free(ids);
    bench_remove_db(dir, "find-ours.db");
    bench_remove_db(dir, "find-raw.db");
}

/* The figure's name from the store's size: find_by_email_100k, _1m. */
static void find_name(char *buf, size_t len, size_t n)
{
    int k;
    if (n % 1000000 == 0)
        k = snprintf(buf, len, "find_by_email_%zum", n / 1000000);
    else if (n % 1000 == 0)
        k = snprintf(buf, len, "find_by_email_%zuk", n / 1000);
    else
        k = snprintf(buf, len, "find_by_email_%zu", n);
    if (k <= 0 || (size_t)k >= len)
        bench_die("figure name too long");
}

int main(void)
{
    if (sodium_init() < 0)
        bench_die("sodium_init failed");
    const char *full = getenv("BENCH_FULL");
    size_t find_n = full != NULL && strcmp(full, "1") == 0 ? FIND_FULL : FIND_ROUTINE;
    if ((size_t)(ROUNDS + 1) * FIND_STEPS * FINDS_PER_STEP > find_n)
        bench_die("the find store is smaller than the lookups");

    char dir[4096];
    bench_tmpdir(dir, sizeof dir);
    uint8_t root[PRIVACY_ROOT_KEY_BYTES];
    randombytes_buf(root, sizeof root);

    run_set_get(dir, root);
    char name[64];
    find_name(name, sizeof name, find_n);
    run_find(dir, root, find_n, name);

    sodium_memzero(root, sizeof root);
    if (prv_alloc_live() != 0)
        bench_die("the library leaked %ld blocks", prv_alloc_live());
    if (rmdir(dir) != 0)
        bench_die("cannot remove %s", dir);
    return 0;
}
