/* The policy module's interface to the rest of the library: a JSON policy
 * document (docs/policy.md) validated and compiled into decision tables,
 * and the pure decisions over them. */
#ifndef PRV_POLICY_POLICY_H
#define PRV_POLICY_POLICY_H

#include <stddef.h>

#include "core/error.h"
#include "privacy/policy.h"

struct privacy_config;
typedef struct prv_policy prv_policy;

/* Parses, validates and compiles a document. On failure *out is left
 * alone and err holds "<json path>: <problem>" (PRIVACY_E_POLICY,
 * PRIVACY_E_VERSION) or an out-of-memory message (PRIVACY_E_NOMEM). */
int prv_policy_compile(prv_policy **out, const char *json, size_t len, prv_err *err);
/* NULL is accepted. */
void prv_policy_free(prv_policy *pol);

/* The policy a new context starts with: the configuration's document,
 * else the compiled-in default. */
int prv_policy_load_config(prv_policy **out, const struct privacy_config *cfg, prv_err *err);

/* The decision behind privacy_policy_check(), for the domain modules:
 * role, action, category and purpose are non-NULL and non-empty. Returns
 * PRIVACY_OK or PRIVACY_E_DENIED (the message is recorded lazily, see
 * prv_err_set_lazy), or PRIVACY_E_INVALID for a recipient that does not
 * fit the action. Pure: no I/O, no allocation, nothing formatted unless
 * the name of something unknown must be reported. */
int prv_policy_decide(const prv_policy *pol, prv_err *err, const char *role, const char *action,
                      const char *category, const char *purpose, const char *recipient);

/* 1 if name is a role (category, purpose, recipient) of the policy:
 * actors are checked when made, and a refusal of an unknown name records
 * a marker instead of the caller's string, which might be anything. */
enum prv_policy_kind {
    PRV_POLICY_ROLE,
    PRV_POLICY_CATEGORY,
    PRV_POLICY_PURPOSE,
    PRV_POLICY_RECIPIENT
};
int prv_policy_knows(const prv_policy *pol, enum prv_policy_kind kind, const char *name);

/* The default document (src/policy/default_policy.json), embedded at
 * build time by embed_json.py. */
extern const char prv_policy_default_json[];
extern const size_t prv_policy_default_json_len;

#endif
