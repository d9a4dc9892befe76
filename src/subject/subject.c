/* Data subjects and their fields (docs/subjects.md). Every call is decided
 * by the policy for the actor's role (R2, R20) and recorded in the audit
 * log in the transaction of the change, allowed or refused (R21). Values
 * are encrypted under the subject's own key (R19), so destroying that key
 * makes every copy of them unreadable. */
#include <string.h>
#include <unistr.h>

#include "audit/actor.h"
#include "audit/log.h"
#include "core/alloc.h"
#include "core/context.h"
#include "core/id.h"
#include "crypto/blind.h"
#include "crypto/dek.h"
#include "crypto/envelope.h"
#include "crypto/seal.h"
#include "email.h"
#include "field.h"
#include "policy/policy.h"
#include "privacy/subject.h"
#include "subject_internal.h"

static const char *const CHANNELS[] = { "web_form", "email", "chat",    "phone",
                                        "order",    "survey", "contest", "support" };

/* ---- create ---- */

typedef struct {
    prv_subject_op o;
    char id[PRV_ID_SIZE];
    const char *channel;
    uint8_t *dek;
    size_t dek_len;
} create_op;

static int create_tx(prv_store *st, void *userdata)
{
    create_op *c = userdata;
    uint8_t body[4 + 16];
    size_t clen = strlen(c->channel);
    memcpy(body, "PSB1", 4);
    body[4] = (uint8_t)clen;
    memcpy(body + 5, c->channel, clen);
    privacy_record r = { .collection = PRV_SUBJECT_COLLECTION, .id = c->id, .subject_id = c->id,
                         .created = c->o.now, .body = body, .body_len = 5 + clen };
    int rc = prv_seal_put(st, c->o.ctx->keys, &r, &c->o.ctx->err);
    if (rc == PRIVACY_OK && prv_subject_keystore(c->o.ctx) == st)
        rc = prv_dek_put(st, c->id, c->dek, c->dek_len);
    return rc != PRIVACY_OK ? rc : prv_subject_op_record(&c->o, st, PRIVACY_OK);
}

static int dek_tx(prv_store *st, void *userdata)
{
    create_op *c = userdata;
    return prv_dek_put(st, c->id, c->dek, c->dek_len);
}

int privacy_subject_create(privacy_ctx *ctx, const privacy_actor *actor, const char *channel,
                           char **subject_id_out)
{
    int rc = prv_subject_enter(ctx, "privacy_subject_create", actor, 0);
    if (rc != PRIVACY_OK)
        return rc;
    if (channel == NULL || subject_id_out == NULL)
        return prv_err_set(&ctx->err, PRIVACY_E_INVALID,
                           "privacy_subject_create: channel and subject_id_out must not be NULL");
    const char *known = NULL;
    for (size_t i = 0; i < sizeof CHANNELS / sizeof CHANNELS[0]; i++)
        if (strcmp(channel, CHANNELS[i]) == 0)
            known = CHANNELS[i];
    if (known == NULL)
        return prv_err_set(&ctx->err, PRIVACY_E_INVALID,
                           "privacy_subject_create: R1: unknown channel (web_form, email, chat,"
                           " phone, order, survey, contest, support)");
    create_op c;
    memset(&c, 0, sizeof c);
    prv_id_new(c.id, "sub");
    c.channel = known;
    char *out = prv_strdup(c.id);
    rc = out == NULL ? prv_err_set(&ctx->err, PRIVACY_E_NOMEM, "out of memory") : PRIVACY_OK;
    if (rc == PRIVACY_OK)
        rc = prv_subject_op_begin(&c.o, ctx, actor, "subject.create", NULL, NULL, c.id);
    c.o.ev.object = known;
    if (rc == PRIVACY_OK)
        rc = prv_dek_prepare(ctx->keys, c.id, &c.dek, &c.dek_len, &ctx->err);
    /* A separate keystore gets the key first: a key without a subject is
     * harmless, a subject without a key is not. */
    if (rc == PRIVACY_OK && prv_subject_keystore(ctx) != ctx->store)
        rc = prv_store_tx(prv_subject_keystore(ctx), dek_tx, &c);
    if (rc == PRIVACY_OK)
        rc = prv_subject_op_run(&c.o, create_tx);
    prv_free(c.dek);
    prv_subject_op_end(&c.o);
    if (rc != PRIVACY_OK) {
        prv_free(out);
        return rc;
    }
    *subject_id_out = out;
    return PRIVACY_OK;
}

/* ---- set ---- */

typedef struct {
    prv_subject_op o;
    const char *subject, *category;
    char rid[PRV_FIELD_ID_SIZE];
    const char *value;
    size_t len;
    const char *const *purposes;
    size_t n_purposes;
    uint8_t index[PRV_BLIND_BYTES];
    int indexed;
    int outcome;
} set_op;

static int set_tx(prv_store *st, void *userdata)
{
    set_op *s = userdata;
    privacy_ctx *ctx = s->o.ctx;
    privacy_record *subj = NULL;
    int rc = prv_seal_get(st, ctx->keys, PRV_SUBJECT_COLLECTION, s->subject, &subj, &ctx->err);
    prv_free(subj);
    const uint8_t *key = NULL;
    uint32_t version = 0;
    if (rc == PRIVACY_OK)
        rc = prv_dek_get(ctx->dek_cache, ctx->keys, prv_subject_keystore(ctx), s->subject, &key, &version,
                         &ctx->err);
    if (rc == PRIVACY_E_NOT_FOUND) {
        s->outcome = rc;
        return prv_subject_op_record(&s->o, st, rc);
    }
    uint8_t *body = NULL;
    size_t blen = 0;
    if (rc == PRIVACY_OK)
        rc = prv_field_encode(key, version, s->subject, s->rid, s->category, s->purposes,
                              s->n_purposes, s->value, s->len, &body, &blen, &ctx->err);
    if (rc == PRIVACY_OK) {
        privacy_record r = { .collection = PRV_FIELD_COLLECTION, .id = s->rid,
                             .subject_id = s->subject,
                             .index_key = s->indexed ? s->index : NULL,
                             .index_key_len = s->indexed ? sizeof s->index : 0,
                             .created = s->o.now, .body = body, .body_len = blen };
        rc = prv_seal_put(st, ctx->keys, &r, &ctx->err);
    }
    prv_free(body);
    s->outcome = rc;
    return rc != PRIVACY_OK ? rc : prv_subject_op_record(&s->o, st, PRIVACY_OK);
}

static int check_value(privacy_ctx *ctx, const char *value, size_t *len)
{
    size_t n = value != NULL ? strnlen(value, PRIVACY_VALUE_MAX + 1) : 0;
    if (n == 0 || n > PRIVACY_VALUE_MAX)
        return prv_err_set(&ctx->err, PRIVACY_E_INVALID,
                           "privacy_subject_set: a value is 1 to %d bytes", PRIVACY_VALUE_MAX);
    if (u8_check((const uint8_t *)value, n) != NULL)
        return prv_err_set(&ctx->err, PRIVACY_E_INVALID,
                           "privacy_subject_set: the value is not valid UTF-8");
    *len = n;
    return PRIVACY_OK;
}

int privacy_subject_set(privacy_ctx *ctx, const privacy_actor *actor, const char *subject_id,
                        const char *category, const char *value, const char *const *purposes,
                        size_t n_purposes)
{
    static const char fn[] = "privacy_subject_set";
    int rc = prv_subject_enter(ctx, fn, actor, 0);
    if (rc == PRIVACY_OK)
        rc = prv_subject_check_id(ctx, fn, subject_id);
    if (rc != PRIVACY_OK)
        return rc;
    set_op s;
    memset(&s, 0, sizeof s);
    s.subject = subject_id;
    s.category = category;
    s.value = value;
    s.purposes = purposes;
    s.n_purposes = n_purposes;
    rc = prv_field_check(ctx, fn, category, purposes, n_purposes, s.rid, subject_id);
    if (rc == PRIVACY_OK)
        rc = check_value(ctx, value, &s.len);
    char *norm = NULL;
    size_t norm_len = 0;
    if (rc == PRIVACY_OK && strcmp(category, PRV_EMAIL_CATEGORY) == 0) {
        rc = prv_email_normalise(value, s.len, &norm, &norm_len, &ctx->err);
        if (rc == PRIVACY_OK) {
            prv_blind_index(ctx->keys, PRV_FIELD_COLLECTION, category, norm, norm_len, s.index);
            s.indexed = 1;
        }
        prv_free(norm);
    }
    if (rc != PRIVACY_OK)
        return rc;
    /* R2, R20: the role may write this category for every purpose given,
     * and each is a purpose the category is collected for. */
    size_t denied = n_purposes;
    for (size_t i = 0; i < n_purposes && denied == n_purposes; i++)
        if (prv_policy_decide(ctx->policy, &ctx->err, prv_actor_role(actor), "write", category,
                              purposes[i], NULL) != PRIVACY_OK)
            denied = i;
    prv_err_clear(&ctx->err);
    rc = prv_subject_op_begin(&s.o, ctx, actor, "write", category,
                  denied < n_purposes ? purposes[denied] : purposes[0], subject_id);
    if (rc == PRIVACY_OK && denied < n_purposes)
        rc = prv_subject_refuse(&s.o, prv_actor_role(actor), "write", category, purposes[denied]);
    else if (rc == PRIVACY_OK) {
        rc = prv_subject_op_run(&s.o, set_tx);
        if (rc == PRIVACY_OK && s.outcome == PRIVACY_E_NOT_FOUND)
            rc = prv_err_set(&ctx->err, PRIVACY_E_NOT_FOUND,
                             "privacy_subject_set: no such subject, or its key was shredded");
    }
    prv_subject_op_end(&s.o);
    return rc;
}
