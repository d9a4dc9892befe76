/* The decisions: "may role R do action A on category C for purpose P (to
 * recipient X)?" answered from the compiled tables. This is the library's
 * hottest path (every read and write of personal data asks it), so it
 * neither allocates nor formats: a refusal records which rule refused and
 * the positions involved, and the message is rendered only if someone
 * reads it (prv_err_set_lazy). */
#include <stdio.h>
#include <string.h>

#include "compiled.h"
#include "core/context.h"
#include "schema.h"

enum { DENY_R2 = 1, DENY_R20 = 2, DENY_R4 = 3 };

/* The position of a caller's name in a section, or -1. The walk stops
 * after PRIVACY_POLICY_ID_MAX bytes: a longer string is no name. */
static int find_name(const prv_pindex *ix, const char *s)
{
    uint32_t h = PRV_POLICY_HASH_INIT;
    size_t n = 0;
    for (; s[n] != '\0'; n++) {
        if (n == PRIVACY_POLICY_ID_MAX)
            return -1;
        h = prv_policy_hash_step(h, (unsigned char)s[n]);
    }
    return prv_pindex_find(ix, s, n, h);
}

static int find_action(const char *s)
{
    switch (s[0]) {
    case 'r': return strcmp(s, "read") == 0 ? PRV_ACTION_READ : -1;
    case 'w': return strcmp(s, "write") == 0 ? PRV_ACTION_WRITE : -1;
    case 'd': return strcmp(s, "disclose") == 0 ? PRV_ACTION_DISCLOSE : -1;
    default: return -1;
    }
}

/* R22 (fail closed): a name the policy does not know is refused. The name
 * is quoted only if it has the form of an identifier, so a caller's stray
 * text (an email address passed as a category) never reaches a message. */
static int unknown(prv_err *err, const char *rule, const char *what, const char *s,
                   const char *where)
{
    size_t n = strnlen(s, PRIVACY_POLICY_ID_MAX + 1);
    if (prv_policy_id_valid(s, n))
        return prv_err_set(err, PRIVACY_E_DENIED, "%s: unknown %s \"%s\" (%s)", rule, what, s,
                           where);
    return prv_err_set(err, PRIVACY_E_DENIED, "%s: unknown %s (not a policy identifier)", rule,
                       what);
}

/* A refusal, packed: rule, action, role, category, purpose, recipient, one
 * byte each (every section's limit is below 256). */
static uint64_t pack(int rule, int action, int role, int cat, int purpose, int recipient)
{
    return (uint64_t)rule | (uint64_t)action << 8 | (uint64_t)role << 16 | (uint64_t)cat << 24
           | (uint64_t)purpose << 32 | (uint64_t)(recipient & 0xff) << 40;
}

static void render_denial(char *buf, size_t len, const void *ptr, uint64_t w)
{
    const prv_policy *pol = ptr;
    int rule = (int)(w & 0xff), action = (int)(w >> 8 & 0xff), role = (int)(w >> 16 & 0xff);
    int cat = (int)(w >> 24 & 0xff), purpose = (int)(w >> 32 & 0xff);
    int recipient = (int)(w >> 40 & 0xff);
    const char *c = pol->index[PRV_SEC_CATEGORIES].names[cat].s;
    const char *p = pol->index[PRV_SEC_PURPOSES].names[purpose].s;
    switch (rule) {
    case DENY_R2:
        snprintf(buf, len, "R2: \"%s\" is not collected for \"%s\" (categories[%d].purposes)", c,
                 p, cat);
        break;
    case DENY_R20:
        snprintf(buf, len, "R20: role \"%s\" may not %s \"%s\" for \"%s\" (no grant in roles[%d])",
                 pol->index[PRV_SEC_ROLES].names[role].s, prv_policy_action_names[action], c, p,
                 role);
        break;
    default:
        snprintf(buf, len, "R4: recipient \"%s\" is not declared for \"%s\" (recipients[%d].purposes)",
                 pol->index[PRV_SEC_RECIPIENTS].names[recipient].s, p, recipient);
        break;
    }
}

int prv_policy_decide(const prv_policy *pol, prv_err *err, const char *role, const char *action,
                      const char *category, const char *purpose, const char *recipient)
{
    int a = find_action(action);
    if (a < 0)
        return unknown(err, "R22", "action", action, "not read, write or disclose");
    if (a == PRV_ACTION_DISCLOSE && (recipient == NULL || recipient[0] == '\0'))
        return prv_err_set(err, PRIVACY_E_INVALID, "a recipient is required to disclose");
    if (a != PRV_ACTION_DISCLOSE && recipient != NULL)
        return prv_err_set(err, PRIVACY_E_INVALID, "a recipient applies only to \"disclose\"");
    int r = find_name(&pol->index[PRV_SEC_ROLES], role);
    if (r < 0)
        return unknown(err, "R22", "role", role, "not in roles");
    int c = find_name(&pol->index[PRV_SEC_CATEGORIES], category);
    if (c < 0)
        return unknown(err, "R22", "category", category, "not in categories");
    int p = find_name(&pol->index[PRV_SEC_PURPOSES], purpose);
    if (p < 0)
        return unknown(err, "R22", "purpose", purpose, "not in purposes");
    int x = -1;
    if (a == PRV_ACTION_DISCLOSE) {
        x = find_name(&pol->index[PRV_SEC_RECIPIENTS], recipient);
        if (x < 0)
            return unknown(err, "R4", "recipient", recipient, "not in recipients");
    }
    uint64_t bit = (uint64_t)1 << p;
    size_t ncat = pol->index[PRV_SEC_CATEGORIES].n;
    if (!(pol->collected[c] & bit))
        return prv_err_set_lazy(err, PRIVACY_E_DENIED, render_denial, pol,
                                pack(DENY_R2, a, r, c, p, x));
    if (!(pol->grants[((size_t)r * PRV_ACTION_COUNT + (size_t)a) * ncat + (size_t)c] & bit))
        return prv_err_set_lazy(err, PRIVACY_E_DENIED, render_denial, pol,
                                pack(DENY_R20, a, r, c, p, x));
    /* R3 needs no test here: no purpose kind can express a sale. */
    if (x >= 0 && !(pol->served[x] & bit))
        return prv_err_set_lazy(err, PRIVACY_E_DENIED, render_denial, pol,
                                pack(DENY_R4, a, r, c, p, x));
    return PRIVACY_OK;
}

int prv_policy_knows(const prv_policy *pol, enum prv_policy_kind kind, const char *name)
{
    static const enum prv_section section[] = {
        [PRV_POLICY_ROLE] = PRV_SEC_ROLES,
        [PRV_POLICY_CATEGORY] = PRV_SEC_CATEGORIES,
        [PRV_POLICY_PURPOSE] = PRV_SEC_PURPOSES,
        [PRV_POLICY_RECIPIENT] = PRV_SEC_RECIPIENTS,
    };
    return find_name(&pol->index[section[kind]], name) >= 0;
}

static int arg_missing(privacy_ctx *ctx, const char *name, const char *value)
{
    return prv_err_set(&ctx->err, PRIVACY_E_INVALID, "privacy_policy_check: %s is %s", name,
                       value == NULL ? "NULL" : "empty");
}

int privacy_policy_check(privacy_ctx *ctx, const char *role, const char *action,
                         const char *category, const char *purpose, const char *recipient)
{
    int rc = prv_ctx_enter(ctx, "privacy_policy_check");
    if (rc != PRIVACY_OK)
        return rc;
    if (role == NULL || role[0] == '\0')
        return arg_missing(ctx, "role", role);
    if (action == NULL || action[0] == '\0')
        return arg_missing(ctx, "action", action);
    if (category == NULL || category[0] == '\0')
        return arg_missing(ctx, "category", category);
    if (purpose == NULL || purpose[0] == '\0')
        return arg_missing(ctx, "purpose", purpose);
    return prv_policy_decide(ctx->policy, &ctx->err, role, action, category, purpose, recipient);
}
