/*
 * libprivacy — the keyring plug-in interface: a root key held outside the
 * process (a KMS, an HSM) that wraps and unwraps the library's working keys
 * with its own cipher.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef PRIVACY_KEYRING_H
#define PRIVACY_KEYRING_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

enum {
    PRIVACY_KEYRING_VERSION = 1, /**< the newest vtable version */
    PRIVACY_KEY_ID_MAX = 64,     /**< bytes in a root key id: printable ASCII, no space */
    PRIVACY_WRAPPED_MAX = 4096   /**< bytes a wrapped key may take */
};

/** The host's allocator, handed to wrap(): what it returns is freed by
 *  the library with privacy_free(), which wipes it first. */
typedef void *(*privacy_alloc_fn)(size_t size);

/**
 * The keyring vtable. Members are only ever appended; each version ends
 * where its comment says. Register it with privacy_config_set_keyring(),
 * which copies the members of the version you declare.
 */
typedef struct privacy_keyring {
    /** PRIVACY_KEYRING_VERSION as your code was compiled against it. */
    int version;

    /* ---- version 1 ---- */

    /** Passed unchanged to every callback. */
    void *userdata;

    /**
     * The root key's id (1 to PRIVACY_KEY_ID_MAX printable ASCII bytes,
     * NUL-terminated into @id_out of @id_out_len bytes) and version. The
     * library stores them with every key it wraps and asks this keyring to
     * unwrap only what carries the same id.
     */
    int (*key_id)(void *userdata, char *id_out, size_t id_out_len, uint32_t *version_out);

    /**
     * Wrap @key_len bytes of @key, binding @ad (@ad_len bytes) as associated
     * data: unwrapping with any other @ad must fail. Return the wrapped
     * bytes (at most PRIVACY_WRAPPED_MAX) in *@out, allocated with @alloc,
     * and their length in *@out_len. Returns PRIVACY_OK or a PRIVACY_E_*.
     */
    int (*wrap)(void *userdata, const uint8_t *ad, size_t ad_len, const uint8_t *key,
                size_t key_len, privacy_alloc_fn alloc, uint8_t **out, size_t *out_len);

    /**
     * Unwrap @wrapped into exactly @key_len bytes at @key_out, checking @ad.
     * Returns PRIVACY_OK, or PRIVACY_E_CRYPTO when the bytes or @ad do not
     * authenticate.
     */
    int (*unwrap)(void *userdata, const uint8_t *ad, size_t ad_len, const uint8_t *wrapped,
                  size_t wrapped_len, uint8_t *key_out, size_t key_len);

    /* ---- end of version 1 ---- */
} privacy_keyring;

/**
 * privacy_config_set_keyring - use a caller's keyring as a root key.
 *
 * @cfg: the configuration.
 * @keyring: the vtable; its declared version's members are copied, so it
 *           may be freed after the call (its @userdata must stay valid
 *           while contexts opened with @cfg are open). Every member but
 *           @userdata is required.
 *
 * Adds the keyring to the root keys, as privacy_config_add_root_key_file()
 * does: the last root key added is the primary one.
 *
 * Calls @keyring->key_id once, now.
 *
 * Returns PRIVACY_OK, PRIVACY_E_INVALID (NULL argument or member, a bad key
 * id; privacy_errmsg(NULL) names it), PRIVACY_E_VERSION, PRIVACY_E_NOMEM,
 * or the code key_id returned (PRIVACY_E_INTERNAL if it is not a status
 * code).
 */
PRIVACY_EXTERN PRIVACY_WUR int privacy_config_set_keyring(privacy_config *cfg,
                                                          const privacy_keyring *keyring);

#ifdef __cplusplus
}
#endif

#endif /* PRIVACY_KEYRING_H */
