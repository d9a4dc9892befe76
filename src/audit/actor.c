/* Actors, and decided-and-recorded access (R20, R21). */
#include <string.h>

#include "core/alloc.h"
#include "core/context.h"
#include "core/id.h"
#include "log.h"
#include "policy/policy.h"
#include "privacy/audit.h"

struct privacy_actor {
    char id[PRV_AUDIT_FIELD_MAX + 1];
    char role[PRV_AUDIT_FIELD_MAX + 1];
};

int privacy_actor_new(privacy_ctx *ctx, const char *actor_id, const char *role,
                      privacy_actor **out)
{
    int rc = prv_ctx_enter(ctx, "privacy_actor_new");
    if (rc != PRIVACY_OK)
        return rc;
    if (actor_id == NULL || role == NULL || out == NULL)
        return prv_err_set(&ctx->err, PRIVACY_E_INVALID,
                           "privacy_actor_new: actor_id, role and out must not be NULL");
    if (!prv_audit_field_ok(actor_id))
        return prv_err_set(&ctx->err, PRIVACY_E_INVALID,
                           "privacy_actor_new: an actor id is 1 to %d printable ASCII bytes"
                           " without spaces (an opaque staff id, never a name)",
                           PRV_AUDIT_FIELD_MAX);
    if (!prv_audit_field_ok(role) || !prv_policy_has_role(ctx->policy, role))
        return prv_err_set(&ctx->err, PRIVACY_E_DENIED,
                           "privacy_actor_new: R20: the policy has no such role");
    privacy_actor *a = prv_calloc(1, sizeof *a);
    if (a == NULL)
        return prv_err_set(&ctx->err, PRIVACY_E_NOMEM, "privacy_actor_new: out of memory");
    memcpy(a->id, actor_id, strlen(actor_id) + 1);
    memcpy(a->role, role, strlen(role) + 1);
    *out = a;
    return PRIVACY_OK;
}

void privacy_actor_free(privacy_actor *actor)
{
    prv_free(actor);
}

static int put_entry(prv_store *st, void *userdata)
{
    return prv_audit_put(st, userdata);
}

int prv_audit_write(privacy_ctx *ctx, const prv_audit_event *ev)
{
    int64_t now;
    int rc = prv_ctx_now(ctx, &now);
    if (rc != PRIVACY_OK)
        return rc;
    prv_audit_prepared *p = prv_malloc(sizeof *p);
    if (p == NULL)
        return prv_err_set(&ctx->err, PRIVACY_E_NOMEM, "audit: out of memory");
    rc = prv_audit_prepare(ctx->audit, ctx->keys, now, ev, p, &ctx->err);
    int in_tx = prv_store_in_tx(ctx->store);
    if (rc == PRIVACY_OK)
        rc = prv_store_tx(ctx->store, put_entry, p);
    if (rc == PRIVACY_OK)
        prv_audit_advance(ctx->audit, p, in_tx);
    prv_free(p);
    return rc;
}

int privacy_authorize(privacy_ctx *ctx, const privacy_actor *actor, const char *action,
                      const char *category, const char *purpose, const char *subject_id,
                      const char *recipient)
{
    int rc = prv_ctx_enter(ctx, "privacy_authorize");
    if (rc != PRIVACY_OK)
        return rc;
    if (actor == NULL || action == NULL || category == NULL || purpose == NULL)
        return prv_err_set(&ctx->err, PRIVACY_E_INVALID,
                           "privacy_authorize: actor, action, category and purpose must not be"
                           " NULL");
    /* Subject ids are the library's random ids: never an email or a name. */
    if (subject_id != NULL && !prv_id_valid(subject_id, "sub"))
        return prv_err_set(&ctx->err, PRIVACY_E_INVALID,
                           "privacy_authorize: subject_id is not a subject id (sub_...)");
    if (!prv_audit_field_ok(action) || !prv_audit_field_ok(category) ||
        !prv_audit_field_ok(purpose) || (recipient != NULL && !prv_audit_field_ok(recipient)))
        return prv_err_set(&ctx->err, PRIVACY_E_INVALID,
                           "privacy_authorize: action, category, purpose and recipient are"
                           " policy names (1 to %d printable ASCII bytes, no spaces)",
                           PRV_AUDIT_FIELD_MAX);
    int decision = prv_policy_decide(ctx->policy, &ctx->err, actor->role, action, category,
                                     purpose, recipient);
    if (decision != PRIVACY_OK && decision != PRIVACY_E_DENIED)
        return decision; /* malformed: nothing to record */
    prv_audit_event ev = { .actor = actor->id, .role = actor->role, .action = action,
                           .category = category, .purpose = purpose, .recipient = recipient,
                           .subject = subject_id, .outcome = decision };
    /* The denial's message is recorded lazily and survives a successful
     * write: the store touches the message only when it fails. */
    rc = prv_audit_write(ctx, &ev);
    return rc != PRIVACY_OK ? rc : decision;
}
