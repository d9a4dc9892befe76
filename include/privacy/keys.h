/*
 * libprivacy — root keys: where the key that wraps every other key comes
 * from. See docs/keys.md for the key hierarchy.
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

#ifdef __cplusplus
}
#endif

#endif /* PRIVACY_KEYS_H */
