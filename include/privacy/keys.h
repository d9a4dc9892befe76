/*
 * libprivacy — root keys: where the key that wraps every other key comes
 * from, and their rotation. See docs/keys.md for the key hierarchy.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef PRIVACY_KEYS_H
#define PRIVACY_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Bytes in a root key. */
enum { PRIVACY_ROOT_KEY_BYTES = 32 };

/**
 * privacy_keyfile_create - write a new random root key to a file.
 *
 * @path: the file to create. It must not exist: an existing file is never
 *        overwritten. It is created with mode 0600 and synced to disk.
 *
 * Keep the file apart from the database (R19) and back it up: without it
 * the data is unreadable. Errors are read with privacy_errmsg(NULL).
 *
 * Returns PRIVACY_OK, PRIVACY_E_INVALID (@path is NULL or empty),
 * PRIVACY_E_EXISTS (the file exists) or PRIVACY_E_STORAGE (it cannot be
 * written; nothing is left behind).
 */
PRIVACY_EXTERN PRIVACY_WUR int privacy_keyfile_create(const char *path);

/**
 * privacy_config_add_root_key_file - add a root key read from a key file.
 *
 * @cfg: the configuration.
 * @path: a file made by privacy_keyfile_create(): a regular file (not a
 *        symlink), owned by the process's effective user, not readable or
 *        writable by group or others, of exactly PRIVACY_ROOT_KEY_BYTES.
 *
 * The key is read now into guarded memory. May be called several times:
 * the last key added is the primary one, which wraps new keys; older ones
 * stay usable for unwrapping until a rotation completes.
 *
 * Returns PRIVACY_OK, PRIVACY_E_INVALID (NULL argument, or a file that
 * breaks one of the rules above; privacy_errmsg(NULL) says which, R22),
 * PRIVACY_E_STORAGE (it cannot be read) or PRIVACY_E_NOMEM.
 */
PRIVACY_EXTERN PRIVACY_WUR int privacy_config_add_root_key_file(privacy_config *cfg,
                                                                const char *path);

/**
 * privacy_config_set_root_key - add a root key given as raw bytes.
 *
 * @cfg: the configuration.
 * @key: PRIVACY_ROOT_KEY_BYTES random bytes; copied into guarded memory,
 *       so the caller may wipe its copy at once.
 * @len: must be PRIVACY_ROOT_KEY_BYTES.
 *
 * Like privacy_config_add_root_key_file(): the last key added is primary.
 *
 * Returns PRIVACY_OK, PRIVACY_E_INVALID (NULL or wrong length) or
 * PRIVACY_E_NOMEM.
 */
PRIVACY_EXTERN PRIVACY_WUR int privacy_config_set_root_key(privacy_config *cfg,
                                                           const uint8_t *key, size_t len);

/**
 * privacy_config_set_keystore - keep the wrapped working keys elsewhere.
 *
 * @cfg: the configuration.
 * @uri: a storage URI (as privacy_config_set_storage) for the keys'
 *       collection, or NULL to keep them with the data (the default).
 *
 * A separate keystore lets backups of the data and of the keys expire on
 * different schedules: crypto-shredding reaches a backup of the keystore
 * only when that backup expires.
 *
 * Returns PRIVACY_OK, PRIVACY_E_INVALID or PRIVACY_E_NOMEM.
 */
PRIVACY_EXTERN PRIVACY_WUR int privacy_config_set_keystore(privacy_config *cfg, const char *uri);

/**
 * privacy_config_set_keystore_backup_retention - how long the shop keeps
 * backups of the keystore.
 *
 * @cfg: the configuration.
 * @usec: the longest time, in microseconds, a backup of the keystore (the
 *        store itself, or the one set with privacy_config_set_keystore)
 *        is kept; 0 (the default) if it is never backed up.
 *
 * Crypto-shredding destroys a subject's data key in the keystore, which
 * makes every copy of the subject's ciphertext unreadable at once — except
 * against a backup of the keystore that still holds the key. Erasure
 * therefore reports its horizon: the time after which no such backup
 * exists, the erasure time plus this retention. Say it plainly to the
 * subject (docs/subjects.md).
 *
 * Returns PRIVACY_OK or PRIVACY_E_INVALID (NULL, negative, over 100 years).
 */
PRIVACY_EXTERN PRIVACY_WUR int privacy_config_set_keystore_backup_retention(privacy_config *cfg,
                                                                            int64_t usec);

/**
 * privacy_rotate_cb - progress of privacy_keys_rotate().
 *
 * @userdata: as given to privacy_keys_rotate().
 * @done: keys settled so far by this call.
 * @total: keys that needed re-wrapping when the call began (raised to
 *         @done should other contexts add keys under an old root key
 *         meanwhile).
 *
 * Called once with @done 0 before anything is written, and after each
 * committed batch. Return 0 to go on; any other value stops the rotation
 * (privacy_keys_rotate() returns PRIVACY_E_ABORTED), which a later call
 * resumes. The callback must not call the library on the same context.
 */
typedef int (*privacy_rotate_cb)(void *userdata, uint64_t done, uint64_t total);

/**
 * privacy_keys_rotate - re-wrap every stored key under the primary root key.
 *
 * @ctx: a context opened with the new root key added last (the primary)
 *       and every older root key still configured.
 * @progress_cb: called as privacy_rotate_cb describes, or NULL.
 * @userdata: passed to @progress_cb.
 *
 * Re-wraps the working keys and every subject's data key that an older
 * root key wrapped, so that the older key files can be removed (see
 * docs/keys.md for the procedure). Nothing they encrypt is re-encrypted:
 * only the wrapped keys change. Keys the primary wraps already are
 * skipped, so a second call finds nothing to do.
 *
 * First every stored key is checked, writing nothing: one wrapped by a
 * root key that is not configured refuses the whole rotation. Then keys
 * are re-wrapped in transactions of at most 500. An interruption (a
 * crash, a storage failure, the callback) loses nothing: every key is
 * wrapped either by its old root key or by the primary, and a later call
 * resumes. Other contexts keep working throughout, provided they too have
 * both keys configured; once the rotation completed, a context opened
 * with the new root key alone reads everything. Run it again if contexts
 * whose primary was still the old key added keys meanwhile.
 *
 * A call that completed, or that re-wrapped keys before it stopped or
 * failed, is recorded in the audit log (action "keys.rotate", the primary
 * root key's id, the outcome). A refusal changed nothing and is not.
 *
 * Returns PRIVACY_OK (every key is wrapped by the primary),
 * PRIVACY_E_ABORTED (@progress_cb stopped it; resume with another call),
 * PRIVACY_E_CRYPTO (R22: a key is wrapped by a root key that is not
 * configured; nothing was changed, privacy_errmsg() names the key and its
 * root key's id), PRIVACY_E_INTEGRITY (a stored key is malformed or does
 * not authenticate under its root key), PRIVACY_E_MISUSE (inside
 * privacy_begin(), or after fork), PRIVACY_E_INVALID (NULL @ctx),
 * PRIVACY_E_BUSY (storage busy, or the keys keep changing under the
 * rotation: another rotation to another root key, or contexts still
 * writing keys under an old root key), PRIVACY_E_STORAGE or
 * PRIVACY_E_NOMEM. After any failure the keys re-wrapped so far stay
 * re-wrapped; call it again.
 */
PRIVACY_EXTERN PRIVACY_WUR int privacy_keys_rotate(privacy_ctx *ctx,
                                                   privacy_rotate_cb progress_cb,
                                                   void *userdata);

#ifdef __cplusplus
}
#endif

#endif /* PRIVACY_KEYS_H */
