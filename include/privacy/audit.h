/*
 * libprivacy — the tamper-evident audit log (R21).
 *
 * Every access to personal data that the library performs or decides is
 * recorded, allowed or refused, in the same transaction as the change:
 * failing to record fails the access. Entries hold ids, roles, purposes,
 * actions and outcomes, never personal data, and erasure never removes them.
 * Each context writes a hash chain of its own; docs/audit.md gives the
 * exact scheme.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef PRIVACY_AUDIT_H
#define PRIVACY_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Who is acting: a staff member or a system, in one role of the policy. */
typedef struct privacy_actor privacy_actor;

/**
 * privacy_actor_new - name who is acting, and in which role.
 *
 * @ctx: the context whose policy knows the role.
 * @actor_id: the actor's id as the shop knows it ("staff-17",
 *            "svc-fulfilment"): 1 to 127 printable ASCII bytes without
 *            spaces. It is written to the audit log: use an opaque staff
 *            id, never a name or an email address.
 * @role: a role of the policy ("billing", "customer_service", ...).
 * @out: receives the actor; release it with privacy_actor_free(). It does
 *       not refer to @ctx: it may be used with any context whose policy
 *       knows the role (each decision looks the role up again).
 *
 * Every read or write of personal data takes an actor and a purpose, and
 * is decided by the policy for the actor's role (R20) and recorded (R21).
 *
 * Returns PRIVACY_OK, PRIVACY_E_INVALID (NULL or malformed argument; an id
 * with '@' is refused as the likeliest personal data), PRIVACY_E_DENIED
 * (the policy has no such role), PRIVACY_E_MISUSE (after fork) or
 * PRIVACY_E_NOMEM.
 */
PRIVACY_EXTERN PRIVACY_WUR int privacy_actor_new(privacy_ctx *ctx, const char *actor_id,
                                                 const char *role, privacy_actor **out);

/** privacy_actor_free - release an actor. NULL is accepted. */
PRIVACY_EXTERN void privacy_actor_free(privacy_actor *actor);

/**
 * privacy_authorize - decide an access to personal data, and record it.
 *
 * @ctx: the context.
 * @actor: who acts (privacy_actor_new).
 * @action: "read", "write" or "disclose".
 * @category: the data category ("contact.email", ...).
 * @purpose: why ("billing", "support_response", ...).
 * @subject_id: the data subject concerned, or NULL.
 * @recipient: for "disclose", the recipient of the policy; else NULL.
 *
 * For access to personal data the shop holds outside the library (its own
 * order screens, exports): the decision of privacy_policy_check() for the
 * actor's role, written to the audit log with its outcome — allowed or
 * refused — in a transaction of its own. If the entry cannot be written the
 * access is refused too (R21: fail closed). On a refusal privacy_errmsg()
 * names the rule and policy path. A name the policy does not know is
 * refused and recorded as "?": the caller's string is never stored, as it
 * might be personal data.
 *
 * Returns PRIVACY_OK (allowed and recorded), PRIVACY_E_DENIED (refused and
 * recorded), PRIVACY_E_INVALID (NULL or malformed argument, an action other
 * than read, write or disclose: nothing is recorded), PRIVACY_E_MISUSE
 * (inside privacy_begin(): an access cannot be rolled back, so its record
 * must not be; or after fork), PRIVACY_E_BUSY, PRIVACY_E_STORAGE or
 * PRIVACY_E_NOMEM (nothing recorded, access refused).
 */
PRIVACY_EXTERN PRIVACY_WUR int privacy_authorize(privacy_ctx *ctx, const privacy_actor *actor,
                                                 const char *action, const char *category,
                                                 const char *purpose, const char *subject_id,
                                                 const char *recipient);

/**
 * privacy_audit_verify - check the whole audit log.
 *
 * @ctx: the context.
 * @checkpoint: a checkpoint exported earlier by privacy_audit_checkpoint()
 *              and kept elsewhere, or NULL. With it, the check also finds
 *              the newest entries deleted and an older copy of the store
 *              restored, which a log cannot show about itself.
 *
 * Reads every entry once (it is not a hot-path call). On failure
 * privacy_errmsg() names the first bad entry ("R21: audit entry
 * chn_...:0000000000000007 was altered ...").
 *
 * Returns PRIVACY_OK, PRIVACY_E_INTEGRITY (the log, or the log against the
 * checkpoint, shows tampering), PRIVACY_E_INVALID (NULL @ctx, a malformed
 * checkpoint), PRIVACY_E_MISUSE (after fork), PRIVACY_E_NOMEM or
 * PRIVACY_E_STORAGE.
 */
PRIVACY_EXTERN PRIVACY_WUR int privacy_audit_verify(privacy_ctx *ctx, const char *checkpoint);

/**
 * privacy_audit_checkpoint - verify the log and export a checkpoint of it.
 *
 * @ctx: the context.
 * @out: receives a NUL-terminated text ("pckpt1." and hex digits) to keep
 *       outside the store; release it with privacy_free(). It holds the
 *       heads of the chains still open and a digest of the ended ones, so
 *       its size does not grow with the log. It is authenticated with the
 *       store's audit key: it shows nothing without it, and cannot be forged.
 *
 * Returns PRIVACY_OK, PRIVACY_E_INTEGRITY (the log is already damaged: no
 * checkpoint is made), PRIVACY_E_INVALID, PRIVACY_E_MISUSE (inside
 * privacy_begin(), whose entries a rollback may still take back; or after
 * fork), PRIVACY_E_NOMEM or PRIVACY_E_STORAGE.
 */
PRIVACY_EXTERN PRIVACY_WUR int privacy_audit_checkpoint(privacy_ctx *ctx, char **out);

#ifdef __cplusplus
}
#endif

#endif /* PRIVACY_AUDIT_H */
