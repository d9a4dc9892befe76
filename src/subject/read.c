/* Reading a subject's fields, finding a subject by email, deleting a field.
 * Each call is decided by the policy, checked against the purposes the
 * value was collected for (R2), and recorded allowed or refused (R21). */
#include <stdint.h>
#include <string.h>

#include "audit/actor.h"
#include "core/alloc.h"
#include "core/context.h"
#include "crypto/blind.h"
#include "crypto/dek.h"
#include "crypto/seal.h"
#include "email.h"
#include "field.h"
#include "policy/policy.h"
#include "privacy/subject.h"
#include "subject_internal.h"

/* ---- get ---- */

typedef struct {
    prv_subject_op o;
    const char *subject, *category, *purpose;
    char rid[PRV_FIELD_ID_SIZE];
    char *value;
    int outcome;
} get_op;

/* Checks and decrypts one field record whose seal was checked (body is
 * its body without the seal). outcome: PRIVACY_OK with *value, or a
 * refusal that is recorded (R2's DENIED, a shredded key's NOT_FOUND); any
 * other failure aborts the transaction. */
static int open_field(privacy_ctx *ctx, const char *subject, const char *rid,
                      const char *category, const char *purpose, const uint8_t *body,
                      size_t body_len, char **value, size_t *len, int *outcome)
{
    prv_field_view v;
    *outcome = PRIVACY_OK;
    if (prv_field_decode(body, body_len, &v) != PRIVACY_OK)
        return prv_err_set(&ctx->err, PRIVACY_E_INTEGRITY, "R22: field '%s' is malformed",
                           category);
    if (!prv_field_collected_for(&v, purpose)) {
        *outcome = PRIVACY_E_DENIED; /* R2 */
        return PRIVACY_OK;
    }
    const uint8_t *key = NULL;
    uint32_t version = 0;
    int rc = prv_dek_get(ctx->dek_cache, ctx->keys, prv_subject_keystore(ctx), subject, &key,
                         &version, &ctx->err);
    if (rc == PRIVACY_E_NOT_FOUND) {
        *outcome = rc; /* shredded: recorded as an access that found nothing */
        return PRIVACY_OK;
    }
    return rc != PRIVACY_OK ? rc
                            : prv_field_open(key, version, subject, rid, category, &v, value, len,
                                             &ctx->err);
}

/* Reads one field by id, then as open_field. */
static int read_field(privacy_ctx *ctx, prv_store *st, const char *subject, const char *rid,
                      const char *category, const char *purpose, char **value, size_t *len,
                      int *outcome)
{
    privacy_record *rec = NULL;
    int rc = prv_seal_get(st, ctx->keys, PRV_FIELD_COLLECTION, rid, &rec, &ctx->err);
    *outcome = rc;
    if (rc == PRIVACY_E_NOT_FOUND)
        return PRIVACY_OK;
    if (rc != PRIVACY_OK)
        return rc;
    if (strcmp(rec->subject_id != NULL ? rec->subject_id : "", subject) != 0)
        rc = prv_err_set(&ctx->err, PRIVACY_E_INTEGRITY, "R22: field '%s' is malformed",
                         category);
    else
        rc = open_field(ctx, subject, rid, category, purpose, rec->body, rec->body_len, value,
                        len, outcome);
    prv_free(rec);
    return rc;
}

static int get_tx(prv_store *st, void *userdata)
{
    get_op *g = userdata;
    prv_free(g->value); /* a re-run starts afresh */
    g->value = NULL;
    size_t len;
    int rc = read_field(g->o.ctx, st, g->subject, g->rid, g->category, g->purpose, &g->value,
                        &len, &g->outcome);
    return rc != PRIVACY_OK ? rc : prv_subject_op_record(&g->o, st, g->outcome);
}

/* The caller-facing message for a recorded refusal. */
static int refusal(privacy_ctx *ctx, const char *fn, int outcome, const char *category,
                   const char *purpose)
{
    if (outcome == PRIVACY_E_DENIED)
        return prv_err_set(&ctx->err, outcome,
                           "%s: R2: the value of '%s' was not collected for \"%s\"", fn,
                           category, purpose);
    return prv_err_set(&ctx->err, outcome,
                       "%s: no '%s' for this subject (never set, deleted, or its key shredded)",
                       fn, category);
}

int privacy_subject_get(privacy_ctx *ctx, const privacy_actor *actor, const char *subject_id,
                        const char *category, const char *purpose, char **value_out)
{
    static const char fn[] = "privacy_subject_get";
    int rc = prv_subject_enter(ctx, fn, actor, 1);
    if (rc == PRIVACY_OK)
        rc = prv_subject_check_id(ctx, fn, subject_id);
    if (rc != PRIVACY_OK)
        return rc;
    if (value_out == NULL)
        return prv_err_set(&ctx->err, PRIVACY_E_INVALID, "%s: value_out is NULL", fn);
    get_op g;
    memset(&g, 0, sizeof g);
    g.subject = subject_id;
    g.category = category;
    g.purpose = purpose;
    rc = prv_field_check(ctx, fn, category, &purpose, 1, g.rid, subject_id);
    if (rc != PRIVACY_OK)
        return rc;
    rc = prv_subject_op_begin(&g.o, ctx, actor, "read", category, purpose, subject_id);
    if (rc == PRIVACY_OK &&
        prv_policy_decide(ctx->policy, &ctx->err, prv_actor_role(actor), "read", category,
                          purpose, NULL) != PRIVACY_OK)
        rc = prv_subject_refuse(&g.o, prv_actor_role(actor), "read", category, purpose);
    else if (rc == PRIVACY_OK) {
        rc = prv_subject_op_run(&g.o, get_tx);
        if (rc == PRIVACY_OK && g.outcome != PRIVACY_OK)
            rc = refusal(ctx, fn, g.outcome, category, purpose);
    }
    prv_subject_op_end(&g.o);
    if (rc != PRIVACY_OK) {
        prv_free(g.value);
        return rc;
    }
    *value_out = g.value;
    return PRIVACY_OK;
}

/* ---- delete a field ---- */

typedef struct {
    prv_subject_op o;
    char rid[PRV_FIELD_ID_SIZE];
} del_op;

static int del_tx(prv_store *st, void *userdata)
{
    del_op *d = userdata;
    int rc = prv_store_del(st, PRV_FIELD_COLLECTION, d->rid, NULL);
    return rc != PRIVACY_OK ? rc : prv_subject_op_record(&d->o, st, PRIVACY_OK);
}

int privacy_subject_delete_field(privacy_ctx *ctx, const privacy_actor *actor,
                                 const char *subject_id, const char *category,
                                 const char *purpose)
{
    static const char fn[] = "privacy_subject_delete_field";
    int rc = prv_subject_enter(ctx, fn, actor, 0);
    if (rc == PRIVACY_OK)
        rc = prv_subject_check_id(ctx, fn, subject_id);
    del_op d;
    memset(&d, 0, sizeof d);
    if (rc == PRIVACY_OK)
        rc = prv_field_check(ctx, fn, category, &purpose, 1, d.rid, subject_id);
    if (rc != PRIVACY_OK)
        return rc;
    rc = prv_subject_op_begin(&d.o, ctx, actor, "delete", category, purpose, subject_id);
    if (rc == PRIVACY_OK &&
        prv_policy_decide(ctx->policy, &ctx->err, prv_actor_role(actor), "write", category,
                          purpose, NULL) != PRIVACY_OK)
        rc = prv_subject_refuse(&d.o, prv_actor_role(actor), "write", category, purpose);
    else if (rc == PRIVACY_OK)
        rc = prv_subject_op_run(&d.o, del_tx);
    prv_subject_op_end(&d.o);
    return rc;
}

/* ---- find by email ---- */

/* One index hit: the row as the scan handed it, seal checked, so that
 * confirming it needs no second read. */
typedef struct {
    char subject[PRV_ID_SIZE];
    char rid[PRV_FIELD_ID_SIZE];
    uint8_t *body; /* without the seal */
    size_t len;
} find_hit;

typedef struct {
    prv_subject_op o;
    const char *purpose;
    uint8_t index[PRV_BLIND_BYTES];
    const char *norm;
    size_t norm_len;
    find_hit *hit; /* the hits of one index scan */
    size_t n_hits, cap;
    size_t matches;          /* subjects whose stored address is this one */
    char found[PRV_ID_SIZE]; /* the first of them */
} find_op;

static void drop_hits(find_op *f)
{
    for (size_t i = 0; i < f->n_hits; i++)
        prv_free(f->hit[i].body);
    f->n_hits = 0;
}

/* Notes every hit (no cap: a dropped hit could hide the subject asked
 * for), with a copy of its body; they are opened after the scan, which
 * must not call back into the store. */
static int note_hit(void *userdata, const privacy_record *r)
{
    find_op *f = userdata;
    privacy_ctx *ctx = f->o.ctx;
    if (r->subject_id == NULL || !prv_id_valid(r->subject_id, "sub"))
        return 0;
    size_t len;
    int rc = prv_seal_check(ctx->keys, r, &len, &ctx->err);
    if (rc != PRIVACY_OK)
        return rc;
    find_hit h;
    memcpy(h.subject, r->subject_id, strlen(r->subject_id) + 1);
    prv_field_record_id(h.rid, h.subject, PRV_EMAIL_CATEGORY);
    /* The index key points at an email field of its own subject, or the
     * row was moved. */
    if (strcmp(h.rid, r->id) != 0)
        return prv_err_set(&ctx->err, PRIVACY_E_INTEGRITY, "R22: field '%s' is malformed",
                           PRV_EMAIL_CATEGORY);
    if (f->n_hits == f->cap) {
        size_t cap = f->cap == 0 ? 4 : f->cap * 2;
        find_hit *hit = prv_realloc(f->hit, cap * sizeof *hit);
        if (hit == NULL)
            return prv_err_set(&ctx->err, PRIVACY_E_NOMEM, "out of memory");
        f->hit = hit;
        f->cap = cap;
    }
    h.len = len;
    h.body = prv_malloc(len > 0 ? len : 1);
    if (h.body == NULL)
        return prv_err_set(&ctx->err, PRIVACY_E_NOMEM, "out of memory");
    if (len > 0)
        memcpy(h.body, r->body, len);
    f->hit[f->n_hits++] = h;
    return 0;
}

/* Opens and confirms every hit of one index scan. */
static int confirm_hits(find_op *f)
{
    privacy_ctx *ctx = f->o.ctx;
    int rc = PRIVACY_OK;
    for (size_t i = 0; rc == PRIVACY_OK && i < f->n_hits; i++) {
        find_hit *h = &f->hit[i];
        char *value = NULL, *norm = NULL;
        size_t len = 0, norm_len = 0;
        int outcome = PRIVACY_OK;
        rc = open_field(ctx, h->subject, h->rid, PRV_EMAIL_CATEGORY, f->purpose, h->body, h->len,
                        &value, &len, &outcome);
        /* A hit is confirmed only by the decrypted address itself, compared
         * in constant time: an index collision never finds the wrong one.
         * A stored address that no longer normalises is no match; any other
         * failure (memory) is the call's failure, never "not found". */
        if (rc == PRIVACY_OK && outcome == PRIVACY_OK) {
            int nrc = prv_email_normalise(value, len, &norm, &norm_len, &ctx->err);
            if (nrc == PRIVACY_OK && prv_ct_equal(norm, norm_len, f->norm, f->norm_len)) {
                if (f->matches++ == 0)
                    memcpy(f->found, h->subject, sizeof f->found);
            } else if (nrc != PRIVACY_OK && nrc != PRIVACY_E_INVALID) {
                rc = nrc;
            }
        }
        if (rc == PRIVACY_OK)
            prv_err_clear(&ctx->err);
        prv_free(value);
        prv_free(norm);
    }
    return rc;
}

/* Looks the address up under the count newest loaded index keys, all of
 * them: a subject indexed under an older key is found as well. */
static int lookup(find_op *f, prv_store *st, size_t count)
{
    int rc = PRIVACY_OK;
    for (size_t nth = 0; rc == PRIVACY_OK && nth < count; nth++) {
        if (!prv_blind_index_nth(f->o.ctx->keys, nth, PRV_FIELD_COLLECTION, PRV_EMAIL_CATEGORY,
                                 f->norm, f->norm_len, f->index))
            break;
        drop_hits(f);
        rc = prv_store_scan(st, PRV_FIELD_COLLECTION, NULL, f->index, sizeof f->index, note_hit,
                            f);
        if (rc == PRIVACY_OK)
            rc = confirm_hits(f);
        drop_hits(f);
    }
    return rc;
}

/* The outcome recorded: one subject, none, or several — the address alone
 * then does not say who is asking, and no subject is named. */
static int find_outcome(const find_op *f)
{
    return f->matches == 1 ? PRIVACY_OK : f->matches == 0 ? PRIVACY_E_NOT_FOUND : PRIVACY_E_EXISTS;
}

static int find_tx(prv_store *st, void *userdata)
{
    find_op *f = userdata;
    privacy_ctx *ctx = f->o.ctx;
    f->found[0] = '\0';
    f->matches = 0;
    /* Under every loaded index key, newest first, so that an address
     * indexed before the key was rotated is still found. Only when none
     * finds it, versions that another context added since this one
     * opened are looked for (one point read) and tried too. */
    int added = 0;
    int rc = lookup(f, st, SIZE_MAX);
    if (rc == PRIVACY_OK && f->matches == 0)
        rc = prv_keystore_refresh(ctx->keys, prv_subject_keystore(ctx), PRV_KEY_BLIND_INDEX,
                                  &added, &ctx->err);
    if (rc == PRIVACY_OK && added > 0)
        rc = lookup(f, st, (size_t)added);
    if (rc != PRIVACY_OK)
        return rc;
    f->o.ev.subject = find_outcome(f) == PRIVACY_OK ? f->found : NULL;
    return prv_subject_op_record(&f->o, st, find_outcome(f));
}

int privacy_subject_find_by_email(privacy_ctx *ctx, const privacy_actor *actor,
                                  const char *email, const char *purpose, char **subject_id_out)
{
    static const char fn[] = "privacy_subject_find_by_email";
    int rc = prv_subject_enter(ctx, fn, actor, 1);
    if (rc != PRIVACY_OK)
        return rc;
    if (email == NULL || purpose == NULL || subject_id_out == NULL)
        return prv_err_set(&ctx->err, PRIVACY_E_INVALID,
                           "%s: email, purpose and subject_id_out must not be NULL", fn);
    /* The answer's memory is taken before the access is recorded: once it
     * is, the call must not fail. */
    find_op *f = prv_calloc(1, sizeof *f);
    char *out = prv_malloc(PRV_ID_SIZE);
    if (f == NULL || out == NULL) {
        prv_free(f);
        prv_free(out);
        return prv_err_set(&ctx->err, PRIVACY_E_NOMEM, "%s: out of memory", fn);
    }
    f->purpose = purpose;
    char *norm = NULL;
    rc = prv_field_check_purposes(ctx, fn, PRV_EMAIL_CATEGORY, &purpose, 1);
    if (rc == PRIVACY_OK)
        rc = prv_email_normalise(email, strnlen(email, PRV_EMAIL_INPUT_MAX + 1), &norm,
                                 &f->norm_len, &ctx->err);
    if (rc == PRIVACY_OK) {
        f->norm = norm;
        rc = prv_subject_op_begin(&f->o, ctx, actor, "find", PRV_EMAIL_CATEGORY, purpose, NULL);
        if (rc == PRIVACY_OK &&
            prv_policy_decide(ctx->policy, &ctx->err, prv_actor_role(actor), "read",
                              PRV_EMAIL_CATEGORY, purpose, NULL) != PRIVACY_OK)
            rc = prv_subject_refuse(&f->o, prv_actor_role(actor), "read", PRV_EMAIL_CATEGORY,
                                    purpose);
        else if (rc == PRIVACY_OK) {
            rc = prv_subject_op_run(&f->o, find_tx);
            if (rc == PRIVACY_OK && find_outcome(f) == PRIVACY_E_NOT_FOUND)
                rc = prv_err_set(&ctx->err, PRIVACY_E_NOT_FOUND,
                                 "%s: no subject has this address (for this purpose)", fn);
            else if (rc == PRIVACY_OK && find_outcome(f) == PRIVACY_E_EXISTS)
                rc = prv_err_set(&ctx->err, PRIVACY_E_EXISTS,
                                 "%s: %zu subjects have this address: it does not say which"
                                 " one is meant",
                                 fn, f->matches);
        }
        prv_subject_op_end(&f->o);
    }
    if (rc == PRIVACY_OK)
        memcpy(out, f->found, PRV_ID_SIZE);
    prv_free(norm);
    drop_hits(f);
    prv_free(f->hit);
    prv_free(f);
    if (rc != PRIVACY_OK) {
        prv_free(out);
        return rc;
    }
    *subject_id_out = out;
    return PRIVACY_OK;
}
