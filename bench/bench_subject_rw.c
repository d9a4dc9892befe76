/* subject_get and subject_set on either backend: bench_subject.c runs
 * them on SQLite (subject_get, subject_set), bench_pg_subject.c on
 * PostgreSQL (pg_subject_get, pg_subject_set). What both share is here:
 * the library's calls, the raw baseline's crypto (the record seal, the
 * envelope, the audit MAC, the cached data keys) and the plan of the
 * rounds; each backend's file passes in its storage calls
 * (bench_raw_ops), the only part that differs.
 *
 *  <x>subject_get  privacy_subject_get() of a subject's
 *                  contact.shipping_address (warm key cache; one call, one
 *                  transaction), against begin, the field row and the
 *                  wrapped data key row read by key, the record seal
 *                  checked (keyed BLAKE2b), the envelope opened (commitment
 *                  + XChaCha20-Poly1305), the audit entry's MAC and row
 *                  insert, commit. ops = reads.
 *  <x>subject_set  privacy_subject_set() of a new shipping address,
 *                  against begin, the subject row and the wrapped data key
 *                  row read by key, the envelope sealed (randombytes nonce,
 *                  keyed BLAKE2b commitment, XChaCha20-Poly1305 with the
 *                  same associated data), the record seal and the audit MAC
 *                  (keyed BLAKE2b), the field row's and the audit row's
 *                  insert, commit. ops = writes. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "bench_subject.h"
#include "core/context.h"
#include "crypto/dek.h"
#include "crypto/seal.h"

static const bs_op *step_ops(const bs_sg *s, int step)
{
    if (step < 0 || step >= OP_STEPS)
        bench_die("step %d is beyond the round", step);
    return s->plan + (size_t)step * OPS_PER_STEP;
}

/* ---- the library: one public call per operation, each its own transaction ---- */

static uint64_t ours_get(void *arg, int step)
{
    bs_sg *s = arg;
    const bs_op *p = step_ops(s, step);
    for (int i = 0; i < OPS_PER_STEP; i++) {
        const bs_work *w = &s->work[p[i].who];
        char *v = NULL;
        int rc = privacy_subject_get(s->ctx, s->actor, w->id, CATEGORY, PURPOSE, &v);
        if (rc != PRIVACY_OK)
            bench_ctx_die(s->ctx, rc, "privacy_subject_get");
        if (strcmp(v, w->value) != 0)
            bench_die("privacy_subject_get: not the value last written");
        s->sink += (unsigned char)v[0];
        privacy_free(v);
    }
    return OPS_PER_STEP;
}

static uint64_t ours_set(void *arg, int step)
{
    static const char *const why[] = { PURPOSE };
    bs_sg *s = arg;
    const bs_op *p = step_ops(s, step);
    for (int i = 0; i < OPS_PER_STEP; i++) {
        int rc = privacy_subject_set(s->ctx, s->actor, s->work[p[i].who].id, CATEGORY, p[i].value,
                                     why, 1);
        if (rc != PRIVACY_OK)
            bench_ctx_die(s->ctx, rc, "privacy_subject_set");
    }
    return OPS_PER_STEP;
}

/* ---- the baseline: libsodium and the backend's statements ---- */

/* The baseline's audit row of an operation: MAC, then insert. */
static void raw_audit(bs_sg *s, bs_op *p, const char *subject)
{
    bench_audit_mac(s->keys.audit, p->audit_body, p->audit_len);
    privacy_record a =
        bench_audit_row(&s->chain, p->audit_id, subject, p->time, p->audit_body, p->audit_len);
    s->raw.put(s->raw.db, &a);
}

/* Reads the subject's wrapped data key row and checks that it is the one
 * the cached key came from. */
static void raw_dek_check(const bench_raw_ops *raw, const bs_work *w)
{
    bench_row row;
    if (!raw->get(raw->db, PRV_DEK_COLLECTION, w->id, 0, &row))
        bench_die("baseline: no data key for %s", w->id);
    if (row.body == NULL || row.body_len != w->wrapped_len ||
        memcmp(row.body, w->wrapped, w->wrapped_len) != 0)
        bench_die("baseline: the data key of %s changed", w->id);
    raw->done(raw->db);
}

static void raw_get_one(bs_sg *s, bs_op *p)
{
    const bench_raw_ops *raw = &s->raw;
    const bs_work *w = &s->work[p->who];
    char rid[PRV_FIELD_ID_SIZE];
    bs_make_rid(rid, w->id, CATEGORY);
    raw->begin(raw->db);
    bench_row row;
    if (!raw->get(raw->db, PRV_FIELD_COLLECTION, rid, 1, &row))
        bench_die("baseline: no field %s", rid);
    /* The row's columns, copied out as the store copies a record. */
    if (row.subject == NULL || row.subject_len != BENCH_ID_LEN || row.has_index_key ||
        row.body == NULL || row.body_len > BODY_CAP || row.body_len < PRV_SEAL_BYTES)
        bench_die("baseline: the row of %s is not a field row", rid);
    bench_id subject;
    uint8_t body[BODY_CAP];
    size_t blen = row.body_len;
    memcpy(subject, row.subject, BENCH_ID_LEN);
    subject[BENCH_ID_LEN] = '\0';
    memcpy(body, row.body, blen);
    raw->done(raw->db);
    /* The seal. */
    size_t n = blen - PRV_SEAL_BYTES;
    uint8_t mac[32];
    bs_raw_seal_mac(&s->keys, PRV_FIELD_COLLECTION, rid, subject, row.created, row.expires, body,
                    n, mac);
    if (bs_get_be(body + n, 4) != s->keys.integrity_version ||
        sodium_memcmp(mac, body + n + 4, sizeof mac) != 0)
        bench_die("baseline: the seal of %s does not match", rid);
    /* The data key (cached), then the value. */
    raw_dek_check(raw, w);
    size_t at = bs_field_blob_at(body, n);
    uint8_t pt[BODY_CAP];
    size_t len = bs_raw_envelope_open(w->dek, w->dek_version, subject, rid, CATEGORY, body + at,
                                      n - at, pt);
    if (len != strlen(w->value) || memcmp(pt, w->value, len) != 0)
        bench_die("baseline: not the value last written");
    s->sink += pt[0];
    sodium_memzero(pt, len);
    raw_audit(s, p, w->id);
    raw->commit(raw->db);
}

static void raw_set_one(bs_sg *s, bs_op *p)
{
    const bench_raw_ops *raw = &s->raw;
    const bs_work *w = &s->work[p->who];
    raw->begin(raw->db);
    bench_row row;
    if (!raw->get(raw->db, PRV_SUBJECT_COLLECTION, w->id, 0, &row))
        bench_die("baseline: no subject %s", w->id);
    if (row.body_len == 0)
        bench_die("baseline: the subject row of %s is empty", w->id);
    raw->done(raw->db);
    raw_dek_check(raw, w);
    /* The body: "PFD1" | 1 purpose | envelope | seal. */
    char rid[PRV_FIELD_ID_SIZE];
    bs_make_rid(rid, w->id, CATEGORY);
    uint8_t body[BODY_CAP];
    memcpy(body, "PFD1", 4);
    body[4] = 1;
    body[5] = (uint8_t)(sizeof PURPOSE - 1);
    memcpy(body + 6, PURPOSE, sizeof PURPOSE - 1);
    size_t n = 6 + sizeof PURPOSE - 1;
    n += bs_raw_envelope_seal(w->dek, w->dek_version, w->id, rid, CATEGORY, p->value,
                              strlen(p->value), body + n);
    bs_put_be(body + n, s->keys.integrity_version, 4);
    bs_raw_seal_mac(&s->keys, PRV_FIELD_COLLECTION, rid, w->id, p->time, 0, body, n, body + n + 4);
    privacy_record rec = { .collection = PRV_FIELD_COLLECTION, .id = rid, .subject_id = w->id,
                           .created = p->time, .body = body, .body_len = n + PRV_SEAL_BYTES };
    raw->put(raw->db, &rec);
    raw_audit(s, p, w->id);
    raw->commit(raw->db);
}

/* The baseline's side of a step: one (one transaction) per planned op. */
static uint64_t base_ops(void *arg, int step, void (*one)(bs_sg *, bs_op *))
{
    bs_sg *s = arg;
    bs_op *p = (bs_op *)step_ops(s, step);
    for (int i = 0; i < OPS_PER_STEP; i++)
        one(s, &p[i]);
    return OPS_PER_STEP;
}

static uint64_t base_get(void *arg, int step)
{
    return base_ops(arg, step, raw_get_one);
}

static uint64_t base_set(void *arg, int step)
{
    return base_ops(arg, step, raw_set_one);
}

/* ---- planning ---- */

/* After a round of sets, both sides hold its values. */
static void apply_sets(bs_sg *s)
{
    if (!s->sets)
        return;
    for (size_t i = 0; i < (size_t)OP_STEPS * OPS_PER_STEP; i++)
        memcpy(s->work[s->plan[i].who].value, s->plan[i].value, VALUE_CAP);
    s->ops += (size_t)OP_STEPS * OPS_PER_STEP;
    s->sets = 0;
}

/* Plans a round: random subjects of the working set, new values for sets,
 * and the baseline's audit entries (the event the library records). */
static void plan_ops(bs_sg *s, const char *action, int sets)
{
    apply_sets(s);
    for (size_t i = 0; i < (size_t)OP_STEPS * OPS_PER_STEP; i++) {
        bs_op *p = &s->plan[i];
        p->who = randombytes_uniform(WORK);
        if (sets)
            bs_address_of(randombytes_random(), p->value);
        p->time = bs_next_time(&s->clock);
        prv_audit_event ev = { .actor = ACTOR, .role = ROLE, .action = action,
                               .category = CATEGORY, .purpose = PURPOSE,
                               .subject = s->work[p->who].id, .outcome = PRIVACY_OK };
        p->audit_len = bench_audit_plan(&s->chain, &ev, p->time, p->audit_body, p->audit_id);
    }
    s->sets = sets;
}

static void prepare_get(void *arg, int round)
{
    bs_sg *s = arg;
    (void)round;
    plan_ops(s, "read", 0);
    s->ops += (size_t)OP_STEPS * OPS_PER_STEP;
}

static void prepare_set(void *arg, int round)
{
    (void)round;
    plan_ops(arg, "write", 1);
}

/* ---- set-up, figures, checks ---- */

bs_sg *bs_sg_open(const char *uri, const uint8_t *root)
{
    bs_sg *s = bench_xcalloc(1, sizeof *s);
    s->work = bench_xcalloc(WORK, sizeof *s->work);
    s->plan = bench_xcalloc((size_t)OP_STEPS * OPS_PER_STEP, sizeof *s->plan);
    s->ctx = bench_ctx_open_uri(&s->cfg, uri, root, NULL, NULL);
    s->actor = bs_new_actor(s->ctx, ACTOR);
    bs_raw_keys_from(&s->keys, s->ctx, root);
    memcpy(s->audit_key, s->keys.audit, sizeof s->audit_key);
    bench_id chain;
    bench_new_id(chain, "chn_");
    bench_audit_chain_init(&s->chain, s->keys.audit, chain);
    return s;
}

/* The slot is told apart by where prv_dek_get() points: the cache is one
 * array. */
void bs_sg_pick_work(bs_sg *s, bench_id *ids, size_t n)
{
    privacy_ctx *ctx = s->ctx;
    prv_store *ks = ctx->keystore_store != NULL ? ctx->keystore_store : ctx->store;
    const uint8_t *slot[WORK];
    size_t idx[WORK], got = 0;
    for (size_t tries = 0; got < WORK; tries++) {
        if (tries > (size_t)100 * WORK)
            bench_die("no %d subjects with distinct key cache slots", WORK);
        size_t i = randombytes_uniform((uint32_t)n);
        const uint8_t *key = NULL;
        int rc = prv_dek_get(ctx->dek_cache, ctx->keys, ks, ids[i], &key, NULL, &ctx->err);
        if (rc != PRIVACY_OK)
            bench_ctx_die(ctx, rc, "prv_dek_get");
        int taken = 0;
        for (size_t j = 0; j < got && !taken; j++)
            taken = slot[j] == key;
        if (taken)
            continue;
        slot[got] = key;
        idx[got++] = i;
    }
    for (size_t j = 0; j < WORK; j++) {
        bs_work *w = &s->work[j];
        memcpy(w->id, ids[idx[j]], sizeof w->id);
        bs_address_of((uint32_t)idx[j], w->value);
        /* Warm again: a rejected candidate may have evicted it. */
        const uint8_t *key = NULL;
        int rc = prv_dek_get(ctx->dek_cache, ctx->keys, ks, w->id, &key, NULL, &ctx->err);
        if (rc != PRIVACY_OK)
            bench_ctx_die(ctx, rc, "prv_dek_get");
        if (key != slot[j])
            bench_die("the key cache moved a key");
        bench_row row;
        if (!s->raw.get(s->raw.db, PRV_DEK_COLLECTION, w->id, 0, &row))
            bench_die("baseline: no data key for %s", w->id);
        if (row.body == NULL || row.body_len == 0 || row.body_len > sizeof w->wrapped)
            bench_die("baseline: the data key of %s is malformed", w->id);
        memcpy(w->wrapped, row.body, row.body_len);
        w->wrapped_len = row.body_len;
        s->raw.done(s->raw.db);
        bs_raw_unwrap(&s->keys, w->id, w->wrapped, w->wrapped_len, w->dek, &w->dek_version);
        if (sodium_memcmp(w->dek, key, sizeof w->dek) != 0)
            bench_die("baseline: the data key of %s is not the library's", w->id);
    }
}

void bs_sg_run(bs_sg *s, const char *get_name, const char *set_name, const char *baseline)
{
    bench_pair get = {
        .name = get_name,
        .baseline = baseline,
        .rounds = ROUNDS,
        .steps = OP_STEPS,
        .arg = s,
        .prepare = prepare_get,
        .ours = ours_get,
        .base = base_get,
    };
    bench_run_pair(&get);
    bench_pair set = get;
    set.name = set_name;
    set.prepare = prepare_set;
    set.ours = ours_set;
    set.base = base_set;
    bench_run_pair(&set);
    apply_sets(s);
}

void bs_sg_close_ctx(bs_sg *s)
{
    privacy_actor_free(s->actor);
    bench_ctx_close(s->ctx, s->cfg);
    s->actor = NULL;
    s->ctx = NULL;
    s->cfg = NULL;
}

void bs_sg_check_values(const bs_sg *s, const char *uri, const uint8_t *root, const char *where)
{
    privacy_config *cfg = NULL;
    privacy_ctx *ctx = bench_ctx_open_uri(&cfg, uri, root, NULL, NULL);
    privacy_actor *a = bs_new_actor(ctx, ACTOR);
    for (size_t j = 0; j < WORK; j++) {
        char *v = NULL;
        int rc = privacy_subject_get(ctx, a, s->work[j].id, CATEGORY, PURPOSE, &v);
        if (rc != PRIVACY_OK)
            bench_ctx_die(ctx, rc, "privacy_subject_get (check)");
        if (strcmp(v, s->work[j].value) != 0)
            bench_die("%s: subject %zu does not hold the value last written", where, j);
        privacy_free(v);
    }
    privacy_actor_free(a);
    bench_ctx_close(ctx, cfg);
}

void bs_sg_free(bs_sg *s)
{
    sodium_memzero(s->audit_key, sizeof s->audit_key);
    for (size_t j = 0; j < WORK; j++)
        sodium_memzero(s->work[j].dek, sizeof s->work[j].dek);
    free(s->work);
    free(s->plan);
    free(s);
}
