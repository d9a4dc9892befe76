/* Per-subject data keys (DEKs): random, stored only wrapped by the root key
 * in the keystore's collection "dek", one record per subject; destroying
 * that record crypto-shreds every copy of the subject's ciphertext. A
 * context keeps unwrapped keys in a bounded cache: one guarded arena, made
 * once, wiped slot by slot on eviction and whole on close. */
#ifndef PRV_CRYPTO_DEK_H
#define PRV_CRYPTO_DEK_H

#include <stddef.h>
#include <stdint.h>

#include "keystore.h"
#include "store/store.h"

#define PRV_DEK_COLLECTION "dek"

enum { PRV_DEK_CACHE_SLOTS = 1024 };

typedef struct prv_dek_cache prv_dek_cache;

int prv_dek_cache_new(prv_dek_cache **out, prv_err *err);
void prv_dek_cache_free(prv_dek_cache *cache);

/* A new random data key for subject, wrapped into a record body (prepared
 * before the transaction that puts it; prv_free the body). */
int prv_dek_prepare(const prv_keystore *ks, const char *subject, uint8_t **body, size_t *len,
                    prv_err *err);
int prv_dek_put(prv_store *keystore, const char *subject, const uint8_t *body, size_t len);

/* The subject's data key. Its wrapped record is read every time, in the
 * caller's transaction, and the cached key is used only if that record is
 * exactly the one it was unwrapped from: a key shredded or re-wrapped
 * through any context is never used from a cache. *key points into the
 * cache and stays valid until the next call on it. PRIVACY_E_NOT_FOUND
 * once the key is shredded (or for a subject that never had one). */
int prv_dek_get(prv_dek_cache *cache, const prv_keystore *ks, prv_store *keystore,
                const char *subject, const uint8_t **key, uint32_t *version, prv_err *err);

/* Root-key rotation of a subject's wrapped key record (the "dek"
 * collection): as prv_keywrap_wrapped_by and prv_keywrap_rewrap, for the
 * record stored under the subject's id. */
int prv_dek_wrapped_by(const char *subject, const uint8_t *body, size_t len,
                       char kek_id[PRIVACY_KEY_ID_MAX + 1], uint32_t *kek_version);
int prv_dek_rewrap(const prv_keystore *ks, const char *subject, const uint8_t *body, size_t len,
                   uint8_t **out, size_t *out_len, prv_err *err);

/* Crypto-shredding: destroys the subject's wrapped key record (and the
 * cached copy). Idempotent: *deleted (if not NULL) tells whether there was
 * a key to destroy. */
int prv_dek_shred(prv_dek_cache *cache, prv_store *keystore, const char *subject, uint64_t *deleted,
                  prv_err *err);

#endif
