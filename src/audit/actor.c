/* Actors, and decided-and-recorded access (R20, R21). */
#include <string.h>

#include "core/alloc.h"
#include "core/context.h"
#include "core/id.h"
#include "actor.h"
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
    /* No '@': an email address is the most likely personal data to be
     * passed as an id, and the id is written to the audit log. */
    if (!prv_audit_field_ok(actor_id) || strchr(actor_id, '@') != NULL)
        return prv_err_set(&ctx->err, PRIVACY_E_INVALID,
                           "privacy_actor_new: an actor id is 1 to %d printable ASCII bytes"
                           " without spaces or '@' (an opaque staff id, never a name or an"
                           " email address)",
                           PRV_AUDIT_FIELD_MAX);
    if (!prv_audit_field_ok(role) || !prv_policy_knows(ctx->policy, PRV_POLICY_ROLE, role))
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

const char *prv_actor_id(const privacy_actor *actor)
{
    return actor->id;
}

const char *prv_actor_role(const privacy_actor *actor)
{
    return actor->role;
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
    if (rc == PRIVACY_OK) {
        rc = prv_store_tx(ctx->store, put_entry, p);
        prv_audit_settle(ctx->audit, ctx->store, p, in_tx, rc);
    }
    prv_free(p);
    return rc;
}

/* The name to record: the policy's own name, or a marker for one it does
 * not know — the caller's string might be anything, an email included. */
static const char *recorded(const prv_policy *pol, enum prv_policy_kind kind, const char *name)
{
    if (name == NULL)
        return NULL;
    return prv_policy_knows(pol, kind, name) ? name : PRV_AUDIT_UNKNOWN;
}

static int is_action(const char *a)
{
    return strcmp(a, "read") == 0 || strcmp(a, "write") == 0 || strcmp(a, "disclose") == 0;
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
    /* An access cannot be undone: its record must not be either, so it is
     * never part of a transaction the caller may roll back (R21). */
    if (prv_store_in_tx(ctx->store))
        return prv_err_set(&ctx->err, PRIVACY_E_MISUSE,
                           "privacy_authorize: not inside privacy_begin(): a rollback would"
                           " erase the record of an access that happened");
    if (!is_action(action))
        return prv_err_set(&ctx->err, PRIVACY_E_INVALID,
                           "privacy_authorize: action must be \"read\", \"write\" or"
                           " \"disclose\"");
    /* Subject ids are the library's random ids: never an email or a name. */
    if (subject_id != NULL && !prv_id_valid(subject_id, "sub"))
        return prv_err_set(&ctx->err, PRIVACY_E_INVALID,
                           "privacy_authorize: subject_id is not a subject id (sub_...)");
    int decision = prv_policy_decide(ctx->policy, &ctx->err, actor->role, action, category,
                                     purpose, recipient);
    if (decision != PRIVACY_OK && decision != PRIVACY_E_DENIED)
        return decision; /* malformed: nothing to record */
    prv_audit_event ev = {
        .actor = actor->id,
        .role = recorded(ctx->policy, PRV_POLICY_ROLE, actor->role),
        .action = action,
        .category = recorded(ctx->policy, PRV_POLICY_CATEGORY, category),
        .purpose = recorded(ctx->policy, PRV_POLICY_PURPOSE, purpose),
        .recipient = recorded(ctx->policy, PRV_POLICY_RECIPIENT, recipient),
        .subject = subject_id,
        .outcome = decision,
    };
    rc = prv_audit_write(ctx, &ev);
    if (rc != PRIVACY_OK)
        return rc;
    /* A write that needed a retry left its message behind: the answer's
     * own message (empty, or the refusal's rule) is the one to read. The
     * decision is pure and cheap, so it is simply made again. */
    prv_err_clear(&ctx->err);
    return prv_policy_decide(ctx->policy, &ctx->err, actor->role, action, category, purpose,
                             recipient);
}
