/* Key records: a 32-byte key wrapped by the primary root key, bound to what
 * it is (kind, name, version) and to the store's key set, so a record moved
 * to another subject, kind, version or store does not unwrap. Used for the
 * per-subject data keys. */
#ifndef PRV_CRYPTO_KEYWRAP_H
#define PRV_CRYPTO_KEYWRAP_H

#include <stddef.h>
#include <stdint.h>

#include "kek.h"

enum { PRV_KEYWRAP_KEY_BYTES = 32, PRV_KEYWRAP_KEYSET_BYTES = 16 };

/* Wraps key into a record body (prv_malloc; release with prv_free). */
int prv_keywrap_seal(const prv_keks *keks, const uint8_t keyset[PRV_KEYWRAP_KEYSET_BYTES],
                     const char *kind, const char *name, uint32_t version,
                     const uint8_t key[PRV_KEYWRAP_KEY_BYTES], uint8_t **body, size_t *len,
                     prv_err *err);
/* Unwraps a record body into key_out. PRIVACY_E_INTEGRITY if it is
 * malformed or does not authenticate, PRIVACY_E_CRYPTO if no configured
 * root key wrapped it, a keyring's own BUSY/STORAGE failure as such. */
int prv_keywrap_open(const prv_keks *keks, const uint8_t keyset[PRV_KEYWRAP_KEYSET_BYTES],
                     const char *kind, const char *name, const uint8_t *body, size_t len,
                     uint32_t *version, uint8_t key_out[PRV_KEYWRAP_KEY_BYTES], prv_err *err);

/* Root-key rotation. wrapped_by reads which root key wrapped a record body
 * (PRIVACY_E_INTEGRITY, no message, if it is malformed). rewrap unwraps it
 * with that key and wraps the same key and version under the primary into
 * *out (prv_free it); *out is NULL when the primary wrapped it already.
 * Codes as prv_keywrap_open. */
int prv_keywrap_wrapped_by(const uint8_t *body, size_t len, char kek_id[PRIVACY_KEY_ID_MAX + 1],
                           uint32_t *kek_version);
int prv_keywrap_rewrap(const prv_keks *keks, const uint8_t keyset[PRV_KEYWRAP_KEYSET_BYTES],
                       const char *kind, const char *name, const uint8_t *body, size_t len,
                       uint8_t **out, size_t *out_len, prv_err *err);

#endif
