/*
 * libprivacy — data subjects and their personal data, encrypted field by
 * field under a key of their own (R19), read and written only by a role
 * and for a purpose the policy allows (R2, R20), every access recorded
 * (R21). See docs/subjects.md.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef PRIVACY_SUBJECT_H
#define PRIVACY_SUBJECT_H

#include <stddef.h>
#include <stdint.h>

#include "audit.h"
#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Bytes in a stored value (UTF-8, before encryption). */
enum { PRIVACY_VALUE_MAX = 4096 };

/**
 * privacy_subject_create - record a new data subject (R1).
 *
 * @ctx: the context.
 * @actor: who records it.
 * @channel: where the data comes from: "web_form", "email", "chat",
 *           "phone", "order", "survey", "contest" or "support" (R1:
 *           nothing is collected without a named source).
 * @subject_id_out: receives the new id ("sub_" and 32 hex digits: random,
 *                  no personal data); release it with privacy_free().
 *
 * Makes the subject's data key (random, stored only wrapped by the root
 * key) and records the creation in the audit log, in one transaction.
 *
 * Returns PRIVACY_OK, PRIVACY_E_INVALID (NULL argument, unknown channel),
 * PRIVACY_E_CRYPTO (a keyring could not wrap the new key), PRIVACY_E_MISUSE,
 * PRIVACY_E_NOMEM, PRIVACY_E_BUSY or PRIVACY_E_STORAGE.
 */
PRIVACY_EXTERN PRIVACY_WUR int privacy_subject_create(privacy_ctx *ctx, const privacy_actor *actor,
                                                      const char *channel, char **subject_id_out);

/**
 * privacy_subject_set - store one field of a subject's personal data.
 *
 * @ctx: the context.
 * @actor: who writes it; the policy must let its role write @category for
 *         every one of @purposes (R20).
 * @subject_id: the subject.
 * @category: the field's data category ("contact.email", "contact.name",
 *            "contact.shipping_address", ...).
 * @value: the value, valid UTF-8, 1 to PRIVACY_VALUE_MAX bytes. A
 *         "contact.email" value must be a valid address (docs/email.md).
 * @purposes: the purposes the value is collected for (R2): each must be one
 *            the category is collected for; later reads name one of them.
 * @n_purposes: how many (1 to 16).
 *
 * The value is encrypted under the subject's key, bound to the subject,
 * field and record (docs/envelope.md); an email also gets a blind index so
 * privacy_subject_find_by_email() finds it. A value set again replaces the
 * old one, and so do its purposes: pass every purpose the value is now
 * collected for. Allowed or refused, the write is recorded (R21); inside
 * privacy_begin() the record belongs to that transaction and a rollback
 * takes it back with the write it records (nothing was read or changed).
 *
 * Returns PRIVACY_OK, PRIVACY_E_DENIED (refused by the policy, and
 * recorded), PRIVACY_E_INVALID (NULL or malformed argument, invalid UTF-8,
 * too long, an invalid email: nothing recorded), PRIVACY_E_NOT_FOUND (no
 * such subject, or its key was shredded), PRIVACY_E_INTEGRITY,
 * PRIVACY_E_CRYPTO (the subject's key is wrapped by a root key that is not
 * configured), PRIVACY_E_MISUSE, PRIVACY_E_NOMEM, PRIVACY_E_BUSY,
 * PRIVACY_E_STORAGE or PRIVACY_E_INTERNAL.
 */
PRIVACY_EXTERN PRIVACY_WUR int privacy_subject_set(privacy_ctx *ctx, const privacy_actor *actor,
                                                   const char *subject_id, const char *category,
                                                   const char *value,
                                                   const char *const *purposes,
                                                   size_t n_purposes);

/**
 * privacy_subject_get - read one field of a subject's personal data.
 *
 * @ctx: the context.
 * @actor: who reads it; its role must be allowed to read @category for
 *         @purpose (R20).
 * @subject_id: the subject.
 * @category: the field's category.
 * @purpose: why: one of the purposes the value was collected for (R2).
 * @value_out: receives the value, NUL-terminated; release it with
 *             privacy_free(), which wipes it.
 *
 * Allowed or refused, the read is recorded (R21). Not inside
 * privacy_begin(): a rollback would erase the record of a read that
 * happened.
 *
 * Returns PRIVACY_OK, PRIVACY_E_DENIED (policy or purpose refused, and
 * recorded), PRIVACY_E_NOT_FOUND (no such field or subject, or its key was
 * shredded), PRIVACY_E_CRYPTO (the stored value does not decrypt where it
 * is — it was moved or altered — or the subject's key is wrapped by a root
 * key that is not configured), PRIVACY_E_INTEGRITY, PRIVACY_E_INVALID,
 * PRIVACY_E_MISUSE, PRIVACY_E_NOMEM, PRIVACY_E_BUSY or PRIVACY_E_STORAGE.
 */
PRIVACY_EXTERN PRIVACY_WUR int privacy_subject_get(privacy_ctx *ctx, const privacy_actor *actor,
                                                   const char *subject_id, const char *category,
                                                   const char *purpose, char **value_out);

/**
 * privacy_subject_delete_field - delete one field of a subject's data.
 *
 * @ctx, @actor, @subject_id, @category: as privacy_subject_set().
 * @purpose: the purpose the deletion serves; the role must be allowed to
 *           write @category for it.
 *
 * Deleting a field that is not there succeeds. Recorded (R21).
 *
 * Returns PRIVACY_OK, PRIVACY_E_DENIED, PRIVACY_E_INVALID, PRIVACY_E_MISUSE,
 * PRIVACY_E_NOMEM, PRIVACY_E_BUSY or PRIVACY_E_STORAGE.
 */
PRIVACY_EXTERN PRIVACY_WUR int privacy_subject_delete_field(privacy_ctx *ctx,
                                                            const privacy_actor *actor,
                                                            const char *subject_id,
                                                            const char *category,
                                                            const char *purpose);

/**
 * privacy_subject_find_by_email - find a subject by email address.
 *
 * @ctx: the context.
 * @actor: who looks; its role must be allowed to read "contact.email" for
 *         @purpose.
 * @email: the address, in any spelling that normalises to the stored one
 *         (case, Unicode form, IDN domain: docs/email.md).
 * @purpose: why.
 * @subject_id_out: receives the subject's id; release with privacy_free().
 *
 * Looks the address up by its blind index and confirms every hit by
 * decrypting the stored address and comparing in constant time, so an
 * index collision never returns the wrong subject. Only addresses collected
 * for @purpose count (R2). Recorded (R21).
 *
 * Returns PRIVACY_OK, PRIVACY_E_NOT_FOUND (no subject has it),
 * PRIVACY_E_EXISTS (more than one subject has it: the address alone does not
 * say who is asking; the message says how many), and the codes of
 * privacy_subject_get().
 */
PRIVACY_EXTERN PRIVACY_WUR int privacy_subject_find_by_email(privacy_ctx *ctx,
                                                             const privacy_actor *actor,
                                                             const char *email,
                                                             const char *purpose,
                                                             char **subject_id_out);

/**
 * Called once per field by privacy_subject_fields(), after its transaction
 * (so it may call the library). Return 0 to go on; any other value stops
 * the listing, and privacy_subject_fields() returns it.
 */
typedef int (*privacy_field_cb)(void *userdata, const char *category);

/**
 * privacy_subject_fields - which fields of a subject the actor may read.
 *
 * @ctx: the context.
 * @actor: who asks.
 * @subject_id: the subject.
 * @purpose: why: only fields collected for it (R2) in categories the
 *           actor's role may read for it (R20) are listed.
 * @cb: called with each category name (never a value), in storage order.
 * @userdata: passed to @cb.
 *
 * One access, recorded (R21). Not inside privacy_begin().
 *
 * Returns PRIVACY_OK, what @cb returned to stop, PRIVACY_E_INVALID,
 * PRIVACY_E_INTEGRITY (a field record was altered), PRIVACY_E_MISUSE,
 * PRIVACY_E_NOMEM, PRIVACY_E_BUSY or PRIVACY_E_STORAGE.
 */
PRIVACY_EXTERN PRIVACY_WUR int privacy_subject_fields(privacy_ctx *ctx, const privacy_actor *actor,
                                                      const char *subject_id, const char *purpose,
                                                      privacy_field_cb cb, void *userdata);

#ifdef __cplusplus
}
#endif

#endif /* PRIVACY_SUBJECT_H */
