/* Root keys (key-encryption keys): raw 32-byte keys in guarded memory, or a
 * caller's keyring. They only ever wrap and unwrap working keys. */
#ifndef PRV_CRYPTO_KEK_H
#define PRV_CRYPTO_KEK_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "privacy/keyring.h"
#include "privacy/keys.h"

typedef struct prv_kek {
    char id[PRIVACY_KEY_ID_MAX + 1]; /* a raw key's id is a keyed-hash check value */
    uint32_t version;
    unsigned char *key;              /* guarded; NULL for a keyring */
    privacy_keyring ring;            /* used when key is NULL */
} prv_kek;

/* An ordered list: the last entry is the primary key. */
typedef struct prv_keks {
    prv_kek *v;
    size_t n;
} prv_keks;

int prv_keks_add_raw(prv_keks *keks, const uint8_t key[PRIVACY_ROOT_KEY_BYTES], prv_err *err);
int prv_keks_add_ring(prv_keks *keks, const privacy_keyring *ring, prv_err *err);
int prv_keks_copy(prv_keks *dst, const prv_keks *src, prv_err *err);
void prv_keks_clear(prv_keks *keks);
const prv_kek *prv_keks_primary(const prv_keks *keks);
const prv_kek *prv_keks_find(const prv_keks *keks, const char *id, uint32_t version);

/* Wraps key under kek, binding ad; *out is from prv_malloc. */
int prv_kek_wrap(const prv_kek *kek, const uint8_t *ad, size_t ad_len, const uint8_t *key,
                 size_t key_len, uint8_t **out, size_t *out_len, prv_err *err);
/* Unwraps into key_out (key_len bytes); PRIVACY_E_CRYPTO if it does not
 * authenticate under ad. */
int prv_kek_unwrap(const prv_kek *kek, const uint8_t *ad, size_t ad_len, const uint8_t *wrapped,
                   size_t wrapped_len, uint8_t *key_out, size_t key_len, prv_err *err);

/* Reads a key file into guarded memory after checking it (R22). */
int prv_keyfile_read(const char *path, unsigned char **key_out, prv_err *err);

#endif
