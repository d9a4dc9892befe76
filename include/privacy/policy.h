/*
 * libprivacy — the policy document and its decisions.
 *
 * Every decision a rule of the shop's privacy policy makes ("may this role
 * read this data for this purpose?", "may it go to this recipient?") is
 * taken from a JSON policy document: purposes with their lawful basis,
 * data categories with the purposes they are collected for, roles with
 * their grants, recipients, cookie categories. The library compiles in a
 * default document that encodes the shop's policy; a configuration or an
 * open context may replace it, so a test suite can load a different
 * document and assert different outcomes. docs/policy.md describes the
 * schema, its limits and the default document.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef PRIVACY_POLICY_H
#define PRIVACY_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The document version this library reads, and the document's limits. */
enum {
    PRIVACY_POLICY_VERSION = 1,                 /**< the only "policy_version" accepted */
    PRIVACY_POLICY_DOC_MAX = 1024 * 1024,       /**< bytes in a document */
    PRIVACY_POLICY_ID_MAX = 64,                 /**< bytes in an identifier */
    PRIVACY_POLICY_PURPOSES_MAX = 64,           /**< entries of "purposes" */
    PRIVACY_POLICY_CATEGORIES_MAX = 128,        /**< entries of "categories" */
    PRIVACY_POLICY_ROLES_MAX = 64,              /**< entries of "roles" */
    PRIVACY_POLICY_GRANTS_MAX = 64,             /**< entries of one role's "grants" */
    PRIVACY_POLICY_RECIPIENTS_MAX = 64,         /**< entries of "recipients" */
    PRIVACY_POLICY_COOKIES_MAX = 32,            /**< entries of "cookies" */
    PRIVACY_POLICY_DESCRIPTION_MAX = 256,       /**< bytes in a purpose's "description" */
    PRIVACY_POLICY_RETENTION_DAYS_MAX = 36500   /**< largest "retention_days" */
};

/**
 * privacy_policy_check - may a role do an action on a data category for a
 * purpose (and, to disclose, to a recipient)?
 *
 * @ctx: the context; its loaded policy decides.
 * @role: a role id of the policy, e.g. "billing".
 * @action: "read", "write" or "disclose".
 * @category: a data category id, e.g. "contact.email".
 * @purpose: a purpose id, e.g. "fulfilment".
 * @recipient: for "disclose", the recipient id (e.g. "carrier"); for
 *             "read" and "write" it must be NULL.
 *
 * Allowed only when all of these hold: @category is collected for
 * @purpose (R2); @role holds a grant covering @action, @category and
 * @purpose (R20); to disclose, @recipient is declared for @purpose (R4).
 * No purpose kind can express sale, rental or advertising exchange, so no
 * policy allows them (R3). Names the policy does not know are refused
 * (fail closed, R22). The check is pure: no I/O, no allocation, nothing
 * written on success. On a refusal privacy_errmsg(@ctx) names the rule and
 * the policy path that decided, e.g. `R20: role "marketing" may not read
 * "contact.shipping_address" for "fulfilment" (no grant in roles[3])`; it
 * quotes only identifiers, never other argument text.
 *
 * Returns PRIVACY_OK (allowed), PRIVACY_E_DENIED (refused),
 * PRIVACY_E_INVALID (@ctx, @role, @action, @category or @purpose NULL or
 * empty; @recipient NULL or empty for "disclose", or not NULL for another
 * action) or PRIVACY_E_MISUSE (after fork).
 */
PRIVACY_EXTERN PRIVACY_WUR int privacy_policy_check(privacy_ctx *ctx, const char *role,
                                                    const char *action, const char *category,
                                                    const char *purpose, const char *recipient);

/**
 * privacy_policy_load_json - replace the policy of an open context.
 *
 * @ctx: the context.
 * @json: a policy document (docs/policy.md), UTF-8; need not be
 *        NUL-terminated. The library keeps no reference to it.
 * @len: its length in bytes, at most PRIVACY_POLICY_DOC_MAX.
 *
 * The document is validated completely before anything changes: a
 * rejected document leaves the context's policy as it was, and
 * privacy_errmsg(@ctx) names the first error with its JSON path, e.g.
 * `roles[2].grants[0].categories[0]: unknown category "contact.fax"`.
 *
 * Returns PRIVACY_OK, PRIVACY_E_INVALID (@ctx or @json NULL),
 * PRIVACY_E_POLICY (the document is malformed or invalid),
 * PRIVACY_E_VERSION ("policy_version" is not PRIVACY_POLICY_VERSION),
 * PRIVACY_E_NOMEM or PRIVACY_E_MISUSE (after fork).
 */
PRIVACY_EXTERN PRIVACY_WUR int privacy_policy_load_json(privacy_ctx *ctx, const char *json,
                                                        size_t len);

/**
 * privacy_config_set_policy_json - open contexts with this policy document
 * instead of the compiled-in default.
 *
 * @cfg: the configuration.
 * @json: the document, as for privacy_policy_load_json(); copied, so the
 *        caller may release it after the call.
 * @len: its length in bytes, at most PRIVACY_POLICY_DOC_MAX.
 *
 * The document is validated here, so a mistake is reported where it was
 * made (read it with privacy_errmsg(NULL)); privacy_open() compiles it.
 * Replaces an earlier privacy_config_set_policy_json() or
 * privacy_config_set_policy_file(); a rejected document leaves the
 * configuration as it was.
 *
 * Returns PRIVACY_OK, PRIVACY_E_INVALID (@cfg or @json NULL),
 * PRIVACY_E_POLICY, PRIVACY_E_VERSION or PRIVACY_E_NOMEM.
 */
PRIVACY_EXTERN PRIVACY_WUR int privacy_config_set_policy_json(privacy_config *cfg,
                                                              const char *json, size_t len);

/**
 * privacy_config_set_policy_file - as privacy_config_set_policy_json(),
 * reading the document from a file.
 *
 * @cfg: the configuration.
 * @path: a regular file holding the document; it is read once, here.
 *
 * Returns PRIVACY_OK, PRIVACY_E_INVALID (@cfg or @path NULL),
 * PRIVACY_E_NOT_FOUND (no such file), PRIVACY_E_STORAGE (the file cannot
 * be read or is not a regular file), PRIVACY_E_POLICY (invalid or larger
 * than PRIVACY_POLICY_DOC_MAX), PRIVACY_E_VERSION or PRIVACY_E_NOMEM.
 * Errors are read with privacy_errmsg(NULL).
 */
PRIVACY_EXTERN PRIVACY_WUR int privacy_config_set_policy_file(privacy_config *cfg,
                                                              const char *path);

#ifdef __cplusplus
}
#endif

#endif /* PRIVACY_POLICY_H */
