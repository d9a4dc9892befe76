/* Listing a subject's fields: which categories are stored that the actor
 * may read for a purpose — names only, never values. One access, recorded.
 * The caller's callback runs after the transaction, so it may call the
 * library (privacy_subject_get, say). */
#include <string.h>

#include "audit/actor.h"
#include "core/alloc.h"
#include "crypto/seal.h"
#include "field.h"
#include "policy/policy.h"
#include "privacy/subject.h"
#include "subject_internal.h"

typedef struct {
    prv_subject_op o;
    const char *subject, *purpose, *role;
    char (*category)[PRIVACY_POLICY_ID_MAX + 1];
    size_t n, cap;
} list_op;

/* Notes each field the role may read for the purpose and that was
 * collected for it (R2, R20); the scan must not call back into the store. */
static int note_field(void *userdata, const privacy_record *r)
{
    list_op *l = userdata;
    privacy_ctx *ctx = l->o.ctx;
    size_t body_len;
    int rc = prv_seal_check(ctx->keys, r, &body_len, &ctx->err);
    if (rc != PRIVACY_OK)
        return rc;
    prv_field_view v;
    size_t slen = strlen(l->subject);
    /* The id is "<subject>.<category>": checked before it is cut. */
    if (strncmp(r->id, l->subject, slen) != 0 || r->id[slen] != '.' ||
        strlen(r->id + slen + 1) > PRIVACY_POLICY_ID_MAX ||
        prv_field_decode(r->body, body_len, &v) != PRIVACY_OK)
        return prv_err_set(&ctx->err, PRIVACY_E_INTEGRITY, "R22: a field record is malformed");
    const char *category = r->id + slen + 1;
    if (!prv_field_collected_for(&v, l->purpose) ||
        prv_policy_decide(ctx->policy, &ctx->err, l->role, "read", category, l->purpose, NULL) !=
            PRIVACY_OK) {
        prv_err_clear(&ctx->err);
        return 0;
    }
    if (l->n == l->cap) {
        size_t cap = l->cap == 0 ? 8 : l->cap * 2;
        char(*c)[PRIVACY_POLICY_ID_MAX + 1] = prv_realloc(l->category, cap * sizeof *c);
        if (c == NULL)
            return prv_err_set(&ctx->err, PRIVACY_E_NOMEM, "out of memory");
        l->category = c;
        l->cap = cap;
    }
    memcpy(l->category[l->n++], category, strlen(category) + 1);
    return 0;
}

static int list_tx(prv_store *st, void *userdata)
{
    list_op *l = userdata;
    l->n = 0; /* a re-run starts afresh */
    int rc = prv_store_scan(st, PRV_FIELD_COLLECTION, l->subject, NULL, 0, note_field, l);
    return rc != PRIVACY_OK ? rc : prv_subject_op_record(&l->o, st, PRIVACY_OK);
}

int privacy_subject_fields(privacy_ctx *ctx, const privacy_actor *actor, const char *subject_id,
                           const char *purpose, privacy_field_cb cb, void *userdata)
{
    static const char fn[] = "privacy_subject_fields";
    int rc = prv_subject_enter(ctx, fn, actor, 1);
    if (rc == PRIVACY_OK)
        rc = prv_subject_check_id(ctx, fn, subject_id);
    if (rc != PRIVACY_OK)
        return rc;
    if (cb == NULL || purpose == NULL ||
        !prv_policy_knows(ctx->policy, PRV_POLICY_PURPOSE, purpose))
        return prv_err_set(&ctx->err, PRIVACY_E_INVALID,
                           "%s: cb must not be NULL, and purpose must be a purpose of the policy",
                           fn);
    list_op l;
    memset(&l, 0, sizeof l);
    l.subject = subject_id;
    l.purpose = purpose;
    l.role = prv_actor_role(actor);
    rc = prv_subject_op_begin(&l.o, ctx, actor, "list", NULL, purpose, subject_id);
    if (rc == PRIVACY_OK)
        rc = prv_subject_op_run(&l.o, list_tx);
    prv_subject_op_end(&l.o);
    for (size_t i = 0; rc == PRIVACY_OK && i < l.n; i++)
        rc = cb(userdata, l.category[i]);
    prv_free(l.category);
    return rc;
}
