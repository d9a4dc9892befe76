/* The field envelope: one PII value sealed under its subject's data key,
 * bound to where it is stored, key-committing (docs/envelope.md).
 *
 *   format u8 (1) | suite u8 (1) | flags u8 | dek version u32 BE | nonce (24)
 *   | commitment (32) | ciphertext | tag (16)
 *
 * The caller owns the key and looks it up itself (prv_envelope_version()
 * says which version a blob needs): these functions never look keys up and
 * never try a second key. Every call needs sodium_init() to have run
 * (privacy_open() does). */
#ifndef PRV_CRYPTO_ENVELOPE_H
#define PRV_CRYPTO_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

enum {
    PRV_ENVELOPE_FORMAT = 1,
    PRV_ENVELOPE_SUITE = 1,       /* XChaCha20-Poly1305 + BLAKE2b-256 key commitment */
    PRV_ENVELOPE_FLAG_PADDED = 1, /* the plaintext carries ISO/IEC 7816-4 padding */
    PRV_ENVELOPE_KEY_BYTES = 32,
    PRV_ENVELOPE_NONCE_BYTES = 24,
    PRV_ENVELOPE_COMMIT_BYTES = 32,
    PRV_ENVELOPE_TAG_BYTES = 16,
    PRV_ENVELOPE_HEADER_BYTES = 1 + 1 + 1 + 4 + PRV_ENVELOPE_NONCE_BYTES, /* 31 */
    /* A blob without padding is exactly this much longer than its value. */
    PRV_ENVELOPE_OVERHEAD =
        PRV_ENVELOPE_HEADER_BYTES + PRV_ENVELOPE_COMMIT_BYTES + PRV_ENVELOPE_TAG_BYTES, /* 79 */
    /* Largest value, in bytes (before padding). */
    PRV_ENVELOPE_VALUE_MAX = 65536,
    /* Largest padding bucket; padding adds 1 to pad_block bytes. */
    PRV_ENVELOPE_PAD_MAX = 4096,
    /* Largest blob that can open. */
    PRV_ENVELOPE_BLOB_MAX = PRV_ENVELOPE_OVERHEAD + PRV_ENVELOPE_VALUE_MAX + PRV_ENVELOPE_PAD_MAX,
    /* Longest string of a binding, in bytes (ids are ~36). */
    PRV_ENVELOPE_NAME_MAX = 255
};

/* Where a value lives. All four are authenticated with it, so a blob copied
 * to another subject, collection, record or field does not open. Each must
 * be a non-empty string of at most PRV_ENVELOPE_NAME_MAX bytes. The field
 * name and collection appear in error messages; none of them may be PII. */
typedef struct prv_envelope_binding {
    const char *subject_id;
    const char *collection;
    const char *record_id;
    const char *field;
} prv_envelope_binding;

/* The exact size of the blob that sealing pt_len bytes with pad_block gives:
 * PRIVACY_E_INVALID if pt_len exceeds PRV_ENVELOPE_VALUE_MAX or pad_block
 * exceeds PRV_ENVELOPE_PAD_MAX (0 = no padding). */
int prv_envelope_sealed_size(size_t pt_len, size_t pad_block, size_t *size, prv_err *err);

/* Seals pt (pt_len bytes; pt may be NULL only when pt_len is 0) under key
 * as version dek_version of its data key, padded to a multiple of
 * pad_block (0 = not padded, the blob then shows the exact length).
 * *out is from prv_malloc (release with prv_free); *out_len its length.
 * PRIVACY_E_INVALID on a bad argument, PRIVACY_E_NOMEM. */
int prv_envelope_seal(const uint8_t key[PRV_ENVELOPE_KEY_BYTES], uint32_t dek_version,
                      const prv_envelope_binding *b, const uint8_t *pt, size_t pt_len,
                      size_t pad_block, uint8_t **out, size_t *out_len, prv_err *err);

/* The same into the caller's buffer out (out_cap bytes, at least
 * prv_envelope_sealed_size(), not overlapping pt); never allocates. */
int prv_envelope_seal_into(const uint8_t key[PRV_ENVELOPE_KEY_BYTES], uint32_t dek_version,
                           const prv_envelope_binding *b, const uint8_t *pt, size_t pt_len,
                           size_t pad_block, uint8_t *out, size_t out_cap, size_t *out_len,
                           prv_err *err);

/* Known-answer tests only: seal_into with the given nonce instead of a
 * random one. Sealing two values under one key with one nonce reveals both
 * (and Poly1305's key): never call this outside a test. */
int prv_envelope_seal_with_nonce(const uint8_t key[PRV_ENVELOPE_KEY_BYTES], uint32_t dek_version,
                                 const prv_envelope_binding *b,
                                 const uint8_t nonce[PRV_ENVELOPE_NONCE_BYTES], const uint8_t *pt,
                                 size_t pt_len, size_t pad_block, uint8_t *out, size_t out_cap,
                                 size_t *out_len, prv_err *err);

/* The data key version a blob was sealed under, read from its header
 * (unauthenticated until the blob opens). b may be NULL; if given, its
 * field names the blob in the message. PRIVACY_E_CRYPTO if the blob is
 * truncated or of an unknown format, suite or flags; PRIVACY_E_INVALID on
 * NULL arguments. */
int prv_envelope_version(const prv_envelope_binding *b, const uint8_t *blob, size_t len,
                         uint32_t *version, prv_err *err);

/* The most plaintext bytes opening a blob of len bytes writes into a
 * caller's buffer (the padded length; the value itself may be shorter),
 * or 0 for a blob too short to open. */
size_t prv_envelope_open_max(size_t len);

/* Opens blob under key, which must be version expect_version of the data
 * key, for the place b. Checks, in this order: the header (length, format,
 * suite, flags), the version, the key commitment (constant time) and only
 * then the AEAD, so a wrong key never reaches decryption. *pt_out is from
 * prv_malloc (release with prv_free, which wipes it) and is not
 * NUL-terminated; *pt_len its length. Any failure of the blob, the key or
 * the binding is PRIVACY_E_CRYPTO with a message naming the field and the
 * check that failed, never the value; PRIVACY_E_INVALID on a bad argument,
 * PRIVACY_E_NOMEM. */
int prv_envelope_open(const uint8_t key[PRV_ENVELOPE_KEY_BYTES], uint32_t expect_version,
                      const prv_envelope_binding *b, const uint8_t *blob, size_t len,
                      uint8_t **pt_out, size_t *pt_len, prv_err *err);

/* The same into the caller's buffer pt (pt_cap bytes, at least
 * prv_envelope_open_max(len); else PRIVACY_E_INVALID); never allocates. On
 * any failure nothing decrypted is left in pt. */
int prv_envelope_open_into(const uint8_t key[PRV_ENVELOPE_KEY_BYTES], uint32_t expect_version,
                           const prv_envelope_binding *b, const uint8_t *blob, size_t len,
                           uint8_t *pt, size_t pt_cap, size_t *pt_len, prv_err *err);

#endif
