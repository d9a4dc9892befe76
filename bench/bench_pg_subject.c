/* Subject benchmarks on PostgreSQL: a field written and read end to end
 * through the public API, with the store on PostgreSQL, against the raw
 * libsodium and libpq work it cannot avoid (bench_subject.c does the same
 * for SQLite, and its raw formats, bench_subject_store.c, are reused).
 *
 *  pg_subject_get  privacy_subject_get() of a subject's
 *                  contact.shipping_address (warm key cache; one call, one
 *                  transaction), against the backend's prepared BEGIN
 *                  ISOLATION LEVEL SERIALIZABLE, the field row and the
 *                  wrapped data key row read by key (binary results), the
 *                  record seal checked (keyed BLAKE2b), the envelope opened
 *                  (commitment + XChaCha20-Poly1305), the audit entry's MAC
 *                  and row insert, COMMIT. ops = reads.
 *  pg_subject_set  privacy_subject_set() of a new shipping address, against
 *                  BEGIN ISOLATION LEVEL SERIALIZABLE, the subject row and
 *                  the wrapped data key row read by key, the envelope
 *                  sealed, the record seal and the audit MAC, the field
 *                  row's and the audit row's INSERT ... ON CONFLICT, COMMIT.
 *                  ops = writes.
 *
 * The store is built untimed through the public API into a schema of its
 * own (SG_SUBJECTS subjects, each with a contact.email and a
 * contact.shipping_address), then copied record for record, in primary key
 * order, into two schemas the library created empty ("ours" and "raw"),
 * and dropped; both copies are vacuumed and analysed. The library then
 * works on one through a context, and the baseline on the other with the
 * backend's statements prepared on the context's own connection
 * (bpg_raw_attach): both sides read the same rows from tables with the
 * same history, through the same server process.
 *
 * Checks: the baseline's unwrapped data keys equal the library's; every
 * read returns the value last written on both sides; at the end the values
 * the baseline wrote are read back through the public API from its schema,
 * both schemas' audit logs verify and hold the same number of entries
 * (ours one more: the close entry of the timed context), and the library
 * has no block left allocated. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/verify.h"
#include "bench_pg.h"
#include "bench_subject.h"
#include "core/alloc.h"
#include "core/context.h"
#include "store/store_internal.h"
#include "crypto/dek.h"
#include "crypto/seal.h"

typedef struct work_subject {
    bench_id id;
    char value[VALUE_CAP]; /* its shipping address now, in both schemas */
    uint8_t dek[32];       /* the baseline's key cache */
    uint32_t dek_version;
    uint8_t wrapped[WRAPPED_CAP];
    size_t wrapped_len;
} work_subject;

typedef struct planned_op {
    size_t who;
    char value[VALUE_CAP];
    int64_t time;
    char audit_id[PRV_AUDIT_ID_SIZE];
    size_t audit_len;
    uint8_t audit_body[PRV_AUDIT_BODY_MAX];
} planned_op;

typedef struct sg_state {
    privacy_config *cfg;
    privacy_ctx *ctx;
    privacy_actor *actor;
    bpg_raw raw;
    bs_raw_keys keys;
    bench_audit_chain chain;
    int64_t clock;
    work_subject *work;
    planned_op *plan;
    int sets;
    uint64_t ops;
    unsigned sink;
} sg_state;

/* ---- contexts on a schema ---- */

static privacy_ctx *ctx_open(privacy_config **cfg_out, const char *schema, const uint8_t *root)
{
    privacy_config *cfg = NULL;
    int rc = privacy_config_new(&cfg);
    if (rc != PRIVACY_OK)
        bench_ctx_die(NULL, rc, "privacy_config_new");
    char uri[BPG_URI_CAP];
    bpg_uri(uri, schema);
    if ((rc = privacy_config_set_storage(cfg, uri)) != PRIVACY_OK)
        bench_ctx_die(NULL, rc, "privacy_config_set_storage");
    if ((rc = privacy_config_set_root_key(cfg, root, PRIVACY_ROOT_KEY_BYTES)) != PRIVACY_OK)
        bench_ctx_die(NULL, rc, "privacy_config_set_root_key");
    privacy_ctx *ctx = NULL;
    if ((rc = privacy_open(&ctx, cfg)) != PRIVACY_OK)
        bench_ctx_die(NULL, rc, "privacy_open");
    *cfg_out = cfg;
    return ctx;
}

/* As bs_build_store, on a schema: n subjects with a contact.email and a
 * contact.shipping_address each, BUILD_TX per transaction. */
static double build_store(const char *schema, const uint8_t *root, size_t n, bench_id *ids)
{
    static const char *const why[] = { PURPOSE };
    int64_t t0 = bench_now_ns();
    privacy_config *cfg = NULL;
    privacy_ctx *ctx = ctx_open(&cfg, schema, root);
    privacy_actor *a = bs_new_actor(ctx, BUILDER);
    char email[EMAIL_CAP], addr[VALUE_CAP];
    for (size_t from = 0; from < n; from += BUILD_TX) {
        size_t end = n - from < BUILD_TX ? n : from + BUILD_TX;
        int rc = privacy_begin(ctx);
        if (rc != PRIVACY_OK)
            bench_ctx_die(ctx, rc, "privacy_begin");
        for (size_t i = from; i < end; i++) {
            char *sub = NULL;
            if ((rc = privacy_subject_create(ctx, a, "order", &sub)) != PRIVACY_OK)
                bench_ctx_die(ctx, rc, "privacy_subject_create");
            if (strlen(sub) != BENCH_ID_LEN)
                bench_die("privacy_subject_create: unexpected id length");
            memcpy(ids[i], sub, BENCH_ID_LEN + 1);
            privacy_free(sub);
            bs_email_of(i, email);
            if ((rc = privacy_subject_set(ctx, a, ids[i], PRV_EMAIL_CATEGORY, email, why, 1)) !=
                PRIVACY_OK)
                bench_ctx_die(ctx, rc, "privacy_subject_set(contact.email)");
            bs_address_of((uint32_t)i, addr);
            if ((rc = privacy_subject_set(ctx, a, ids[i], CATEGORY, addr, why, 1)) != PRIVACY_OK)
                bench_ctx_die(ctx, rc, "privacy_subject_set(" CATEGORY ")");
        }
        if ((rc = privacy_commit(ctx)) != PRIVACY_OK)
            bench_ctx_die(ctx, rc, "privacy_commit");
    }
    privacy_actor_free(a);
    bench_ctx_close(ctx, cfg);
    return (double)(bench_now_ns() - t0) / 1e9;
}

static const planned_op *step_ops(const sg_state *s, int step)
{
    if (step < 0 || step >= OP_STEPS)
        bench_die("step %d is beyond the round", step);
    return s->plan + (size_t)step * OPS_PER_STEP;
}

/* ---- the library ---- */

static uint64_t ours_get(void *arg, int step)
{
    sg_state *s = arg;
    const planned_op *p = step_ops(s, step);
    for (int i = 0; i < OPS_PER_STEP; i++) {
        const work_subject *w = &s->work[p[i].who];
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
    sg_state *s = arg;
    const planned_op *p = step_ops(s, step);
    for (int i = 0; i < OPS_PER_STEP; i++) {
        int rc = privacy_subject_set(s->ctx, s->actor, s->work[p[i].who].id, CATEGORY, p[i].value,
                                     why, 1);
        if (rc != PRIVACY_OK)
            bench_ctx_die(s->ctx, rc, "privacy_subject_set");
    }
    return OPS_PER_STEP;
}

/* ---- the baseline: libsodium + raw libpq ---- */

static void raw_audit(sg_state *s, planned_op *p, const char *subject)
{
    bench_audit_mac(s->keys.audit, p->audit_body, p->audit_len);
    privacy_record a =
        bench_audit_row(&s->chain, p->audit_id, subject, p->time, p->audit_body, p->audit_len);
    bpg_raw_put(&s->raw, &a);
}

/* Reads the subject's wrapped data key row and checks that it is the one
 * the cached key came from. */
static void raw_dek_check(bpg_raw *r, const work_subject *w)
{
    PGresult *res = bpg_raw_get(r, PRV_DEK_COLLECTION, w->id);
    if (PQntuples(res) != 1)
        bench_die("baseline: no data key for %s", w->id);
    const char *b = PQgetvalue(res, 0, BPG_COL_BODY);
    int n = PQgetlength(res, 0, BPG_COL_BODY);
    if ((size_t)n != w->wrapped_len || memcmp(b, w->wrapped, w->wrapped_len) != 0)
        bench_die("baseline: the data key of %s changed", w->id);
    PQclear(res);
}

static void raw_get_one(sg_state *s, planned_op *p)
{
    bpg_raw *r = &s->raw;
    const work_subject *w = &s->work[p->who];
    char rid[PRV_FIELD_ID_SIZE];
    bs_make_rid(rid, w->id, CATEGORY);
    bpg_raw_begin(r);
    PGresult *res = bpg_raw_get(r, PRV_FIELD_COLLECTION, rid);
    if (PQntuples(res) != 1)
        bench_die("baseline: no field %s", rid);
    /* The row's columns, copied out as the store copies a record. */
    const char *sub = PQgetvalue(res, 0, BPG_COL_SUBJECT);
    size_t sub_len = (size_t)PQgetlength(res, 0, BPG_COL_SUBJECT);
    int64_t created = bpg_int8(res, 0, BPG_COL_CREATED);
    int64_t expires = bpg_int8(res, 0, BPG_COL_EXPIRES);
    const char *b = PQgetvalue(res, 0, BPG_COL_BODY);
    size_t blen = (size_t)PQgetlength(res, 0, BPG_COL_BODY);
    if (PQgetisnull(res, 0, BPG_COL_SUBJECT) || sub_len != BENCH_ID_LEN ||
        !PQgetisnull(res, 0, BPG_COL_INDEX_KEY) || blen > BODY_CAP || blen < PRV_SEAL_BYTES)
        bench_die("baseline: the row of %s is not a field row", rid);
    bench_id subject;
    uint8_t body[BODY_CAP];
    memcpy(subject, sub, BENCH_ID_LEN);
    subject[BENCH_ID_LEN] = '\0';
    memcpy(body, b, blen);
    PQclear(res);
    size_t n = blen - PRV_SEAL_BYTES;
    uint8_t mac[32];
    bs_raw_seal_mac(&s->keys, PRV_FIELD_COLLECTION, rid, subject, created, expires, body, n, mac);
    if (bs_get_be(body + n, 4) != s->keys.integrity_version ||
        sodium_memcmp(mac, body + n + 4, sizeof mac) != 0)
        bench_die("baseline: the seal of %s does not match", rid);
    raw_dek_check(r, w);
    size_t at = bs_field_blob_at(body, n);
    uint8_t pt[BODY_CAP];
    size_t len = bs_raw_envelope_open(w->dek, w->dek_version, subject, rid, CATEGORY, body + at,
                                      n - at, pt);
    if (len != strlen(w->value) || memcmp(pt, w->value, len) != 0)
        bench_die("baseline: not the value last written");
    s->sink += pt[0];
    sodium_memzero(pt, len);
    raw_audit(s, p, w->id);
    bpg_raw_commit(r);
}

static void raw_set_one(sg_state *s, planned_op *p)
{
    bpg_raw *r = &s->raw;
    const work_subject *w = &s->work[p->who];
    bpg_raw_begin(r);
    PGresult *res = bpg_raw_get(r, PRV_SUBJECT_COLLECTION, w->id);
    if (PQntuples(res) != 1)
        bench_die("baseline: no subject %s", w->id);
    if (PQgetlength(res, 0, BPG_COL_BODY) <= 0)
        bench_die("baseline: the subject row of %s is empty", w->id);
    PQclear(res);
    raw_dek_check(r, w);
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
    bpg_raw_put(r, &rec);
    raw_audit(s, p, w->id);
    bpg_raw_commit(r);
}

static uint64_t base_ops(void *arg, int step, void (*one)(sg_state *, planned_op *))
{
    sg_state *s = arg;
    planned_op *p = (planned_op *)step_ops(s, step);
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

static void apply_sets(sg_state *s)
{
    if (!s->sets)
        return;
    for (size_t i = 0; i < (size_t)OP_STEPS * OPS_PER_STEP; i++)
        memcpy(s->work[s->plan[i].who].value, s->plan[i].value, VALUE_CAP);
    s->ops += (size_t)OP_STEPS * OPS_PER_STEP;
    s->sets = 0;
}

static void plan_ops(sg_state *s, const char *action, int sets)
{
    apply_sets(s);
    for (size_t i = 0; i < (size_t)OP_STEPS * OPS_PER_STEP; i++) {
        planned_op *p = &s->plan[i];
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
    sg_state *s = arg;
    (void)round;
    plan_ops(s, "read", 0);
    s->ops += (size_t)OP_STEPS * OPS_PER_STEP;
}

static void prepare_set(void *arg, int round)
{
    (void)round;
    plan_ops(arg, "write", 1);
}

/* The working set: WORK random subjects whose data keys sit in distinct
 * slots of the context's key cache (as bench_subject.c picks them), and
 * the baseline's own cache of the same keys, unwrapped by the baseline
 * from its schema and checked against the library's. */
static void pick_work(sg_state *s, bench_id *ids, size_t n)
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
        work_subject *w = &s->work[j];
        memcpy(w->id, ids[idx[j]], sizeof w->id);
        bs_address_of((uint32_t)idx[j], w->value);
        const uint8_t *key = NULL;
        int rc = prv_dek_get(ctx->dek_cache, ctx->keys, ks, w->id, &key, NULL, &ctx->err);
        if (rc != PRIVACY_OK)
            bench_ctx_die(ctx, rc, "prv_dek_get");
        if (key != slot[j])
            bench_die("the key cache moved a key");
        PGresult *res = bpg_raw_get(&s->raw, PRV_DEK_COLLECTION, w->id);
        if (PQntuples(res) != 1)
            bench_die("baseline: no data key for %s", w->id);
        int len = PQgetlength(res, 0, BPG_COL_BODY);
        if (len <= 0 || (size_t)len > sizeof w->wrapped)
            bench_die("baseline: the data key of %s is malformed", w->id);
        memcpy(w->wrapped, PQgetvalue(res, 0, BPG_COL_BODY), (size_t)len);
        w->wrapped_len = (size_t)len;
        PQclear(res);
        bs_raw_unwrap(&s->keys, w->id, w->wrapped, w->wrapped_len, w->dek, &w->dek_version);
        if (sodium_memcmp(w->dek, key, sizeof w->dek) != 0)
            bench_die("baseline: the data key of %s is not the library's", w->id);
    }
}

/* ---- checks ---- */

static void check_values(const char *schema, const uint8_t *root, const sg_state *s)
{
    privacy_config *cfg = NULL;
    privacy_ctx *ctx = ctx_open(&cfg, schema, root);
    privacy_actor *a = bs_new_actor(ctx, ACTOR);
    for (size_t j = 0; j < WORK; j++) {
        char *v = NULL;
        int rc = privacy_subject_get(ctx, a, s->work[j].id, CATEGORY, PURPOSE, &v);
        if (rc != PRIVACY_OK)
            bench_ctx_die(ctx, rc, "privacy_subject_get (check)");
        if (strcmp(v, s->work[j].value) != 0)
            bench_die("schema %s: subject %zu does not hold the value last written", schema, j);
        privacy_free(v);
    }
    privacy_actor_free(a);
    bench_ctx_close(ctx, cfg);
}

static uint64_t verify_log(const char *schema, const unsigned char *key)
{
    prv_err err;
    prv_store *st = NULL;
    bpg_store_open(&st, schema, &err);
    uint64_t n = 0;
    int rc = prv_audit_verify(st, key, NULL, &n, &err);
    if (rc != PRIVACY_OK)
        bench_die("prv_audit_verify(schema %s): %s (%d)", schema, err.msg, rc);
    prv_store_close(st, 0);
    return n;
}

/* ---- the figures ---- */

void bpg_run_subject(const uint8_t *root)
{
    char build[BPG_SCHEMA_CAP], ours[BPG_SCHEMA_CAP], raw[BPG_SCHEMA_CAP];
    bpg_schema_name(build, "sg_build");
    bpg_schema_name(ours, "sg_ours");
    bpg_schema_name(raw, "sg_raw");
    PGconn *admin = bpg_connect();
    bpg_drop_schema(admin, build);
    bpg_drop_schema(admin, ours);
    bpg_drop_schema(admin, raw);

    bench_id *ids = bench_xcalloc(SG_SUBJECTS, sizeof *ids);
    double secs = build_store(build, root, SG_SUBJECTS, ids);
    fprintf(stderr,
            "bench: built %d subjects (contact.email and contact.shipping_address each) "
            "through the public API in %.1f s\n",
            SG_SUBJECTS, secs);
    int64_t t0 = bench_now_ns();
    bpg_create_store(ours);
    bpg_create_store(raw);
    bpg_copy_records(admin, build, ours);
    bpg_copy_records(admin, build, raw);
    bpg_drop_schema(admin, build);
    bpg_settle(admin, ours);
    bpg_settle(admin, raw);
    fprintf(stderr, "bench: copied it into two schemas in %.1f s\n",
            (double)(bench_now_ns() - t0) / 1e9);

    sg_state *s = bench_xcalloc(1, sizeof *s);
    s->work = bench_xcalloc(WORK, sizeof *s->work);
    s->plan = bench_xcalloc((size_t)OP_STEPS * OPS_PER_STEP, sizeof *s->plan);
    s->ctx = ctx_open(&s->cfg, ours, root);
    s->actor = bs_new_actor(s->ctx, ACTOR);
    /* The baseline's statements on the context's own connection: both
     * sides talk to the same server process (bench_pg.h). */
    bpg_raw_attach(&s->raw, bpg_store_pgconn(s->ctx->store), raw, "sg");
    bs_raw_keys_from(&s->keys, s->ctx, root);
    uint8_t audit_key[32];
    memcpy(audit_key, s->keys.audit, sizeof audit_key);
    bench_id chain;
    bench_new_id(chain, "chn_");
    bench_audit_chain_init(&s->chain, s->keys.audit, chain);
    pick_work(s, ids, SG_SUBJECTS);
    free(ids);

    bench_pair get = {
        .name = "pg_subject_get",
        .baseline = "libpq_aead",
        .rounds = ROUNDS,
        .steps = OP_STEPS,
        .arg = s,
        .prepare = prepare_get,
        .ours = ours_get,
        .base = base_get,
    };
    bench_run_pair(&get);
    bench_pair set = {
        .name = "pg_subject_set",
        .baseline = "libpq_aead",
        .rounds = ROUNDS,
        .steps = OP_STEPS,
        .arg = s,
        .prepare = prepare_set,
        .ours = ours_set,
        .base = base_set,
    };
    bench_run_pair(&set);
    apply_sets(s);

    bpg_raw_close(&s->raw);
    privacy_actor_free(s->actor);
    bench_ctx_close(s->ctx, s->cfg);
    check_values(ours, root, s);
    check_values(raw, root, s);
    uint64_t no = verify_log(ours, audit_key), nr = verify_log(raw, audit_key);
    if (no != nr + 1)
        bench_die("audit: %llu entries in %s, %llu in %s: not one apart", (unsigned long long)no,
                  ours, (unsigned long long)nr, raw);
    fprintf(stderr,
            "bench: %llu calls per side, values read back from both schemas, %llu and %llu "
            "audit entries verified (checksum %u)\n",
            (unsigned long long)s->ops, (unsigned long long)no, (unsigned long long)nr, s->sink);
    sodium_memzero(audit_key, sizeof audit_key);
    for (size_t j = 0; j < WORK; j++)
        sodium_memzero(s->work[j].dek, sizeof s->work[j].dek);
    free(s->work);
    free(s->plan);
    free(s);
    bpg_drop_schema(admin, ours);
    bpg_drop_schema(admin, raw);
    PQfinish(admin);
}
