/* The shared machinery of the subject calls. */
#include <string.h>

#include "audit/actor.h"
#include "core/alloc.h"
#include "core/id.h"
#include "policy/policy.h"
#include "subject_internal.h"

int prv_subject_op_begin(prv_subject_op *o, privacy_ctx *ctx, const privacy_actor *actor,
                         const char *action, const char *category, const char *purpose,
                         const char *subject)
{
    memset(o, 0, sizeof *o);
    o->ctx = ctx;
    o->ev = (prv_audit_event){ .actor = prv_actor_id(actor), .role = prv_actor_role(actor),
                               .action = action, .category = category, .purpose = purpose,
                               .subject = subject };
    int rc = prv_ctx_now(ctx, &o->now);
    if (rc != PRIVACY_OK)
        return rc;
    o->entry = prv_malloc(sizeof *o->entry);
    if (o->entry == NULL)
        return prv_err_set(&ctx->err, PRIVACY_E_NOMEM, "out of memory");
    return PRIVACY_OK;
}

int prv_subject_op_record(prv_subject_op *o, prv_store *st, int outcome)
{
    o->ev.outcome = outcome;
    int rc = prv_audit_prepare(o->ctx->audit, o->ctx->keys, o->now, &o->ev, o->entry,
                               &o->ctx->err);
    return rc != PRIVACY_OK ? rc : prv_audit_put(st, o->entry);
}

int prv_subject_op_run(prv_subject_op *o, prv_store_tx_fn fn)
{
    int in_tx = prv_store_in_tx(o->ctx->store);
    int rc = prv_store_tx(o->ctx->store, fn, o);
    prv_audit_settle(o->ctx->audit, o->ctx->store, o->entry, in_tx, rc);
    return rc;
}

void prv_subject_op_end(prv_subject_op *o)
{
    prv_free(o->entry);
    o->entry = NULL;
}

static int refusal_tx(prv_store *st, void *userdata)
{
    return prv_subject_op_record(userdata, st, PRIVACY_E_DENIED);
}

int prv_subject_refuse(prv_subject_op *o, const char *role, const char *action,
                       const char *category, const char *purpose)
{
    int rc = prv_subject_op_run(o, refusal_tx);
    if (rc != PRIVACY_OK)
        return rc;
    /* The decision is pure and cheap: made again, its message (the rule
     * and the policy path) is the one the caller reads. */
    prv_err_clear(&o->ctx->err);
    return prv_policy_decide(o->ctx->policy, &o->ctx->err, role, action, category, purpose,
                             NULL);
}

int prv_subject_enter(privacy_ctx *ctx, const char *fn, const privacy_actor *actor, int reads)
{
    int rc = prv_ctx_enter(ctx, fn);
    if (rc != PRIVACY_OK)
        return rc;
    if (actor == NULL)
        return prv_err_set(&ctx->err, PRIVACY_E_INVALID, "%s: actor is NULL", fn);
    /* A read cannot be undone, so its record must not be either (R21). */
    if (reads && prv_store_in_tx(ctx->store))
        return prv_err_set(&ctx->err, PRIVACY_E_MISUSE,
                           "%s: not inside privacy_begin(): a rollback would erase the record"
                           " of a read that happened",
                           fn);
    return PRIVACY_OK;
}

int prv_subject_check_id(privacy_ctx *ctx, const char *fn, const char *id)
{
    if (id == NULL || !prv_id_valid(id, "sub"))
        return prv_err_set(&ctx->err, PRIVACY_E_INVALID, "%s: not a subject id (sub_...)", fn);
    return PRIVACY_OK;
}

prv_store *prv_subject_keystore(privacy_ctx *ctx)
{
    return ctx->keystore_store != NULL ? ctx->keystore_store : ctx->store;
}
