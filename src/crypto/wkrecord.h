/* The stored form of a working key: a "PWK1" record of the collection
 * "keys" (docs/keys.md), wrapped by a root key. The keystore keeps the
 * unwrapped keys; this is only their record format. */
#ifndef PRV_CRYPTO_WKRECORD_H
#define PRV_CRYPTO_WKRECORD_H

#include <stddef.h>
#include <stdint.h>

#include "kek.h"

enum { PRV_WK_KEY_BYTES = 32, PRV_WK_KEYSET_BYTES = 16, PRV_WK_ID_SIZE = 32 };
/* The purposes the record names, in the order of enum prv_key_purpose
 * (keystore.h checks that the counts agree). */
enum { PRV_WK_PURPOSES = 5 };

/* A parsed record; the pointers point into the body it came from. */
typedef struct prv_wk_record {
    unsigned purpose;
    uint32_t version;
    const uint8_t *keyset;
    char kek_id[PRIVACY_KEY_ID_MAX + 1];
    uint32_t kek_version;
    const uint8_t *wrapped;
    size_t wrapped_len;
} prv_wk_record;

/* "wk.<purpose name>.<version>". */
void prv_wk_record_id(char out[PRV_WK_ID_SIZE], unsigned purpose, uint32_t version);
const char *prv_wk_purpose_name(unsigned purpose);

/* Parses a record stored under id; PRIVACY_E_INTEGRITY (no message) if it
 * is malformed or its id does not name its purpose and version.
 * n_purposes: how many purposes exist (purpose must be below it). */
int prv_wk_record_parse(const char *id, const uint8_t *body, size_t len, unsigned n_purposes,
                        prv_wk_record *out);
/* Wraps key under kek into a new record body (prv_malloc; prv_free it). */
int prv_wk_record_seal(const prv_kek *kek, const uint8_t keyset[PRV_WK_KEYSET_BYTES],
                       unsigned purpose, uint32_t version, const uint8_t key[PRV_WK_KEY_BYTES],
                       uint8_t **body, size_t *len, prv_err *err);
/* Unwraps a parsed record with kek, the root key it names. On failure
 * key_out is wiped: PRIVACY_E_INTEGRITY if it does not authenticate, a
 * keyring's own BUSY, STORAGE or NOMEM as such. */
int prv_wk_record_open(const prv_kek *kek, const prv_wk_record *r, const char *id,
                       uint8_t key_out[PRV_WK_KEY_BYTES], prv_err *err);

#endif
