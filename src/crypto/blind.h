/* Blind indexes: keyed BLAKE2b over a length-prefixed (collection, field,
 * normalised value), with the index key's version in front, so a lookup
 * finds a value without the store holding it in the clear. */
#ifndef PRV_CRYPTO_BLIND_H
#define PRV_CRYPTO_BLIND_H

#include <stddef.h>
#include <stdint.h>

#include "keystore.h"

enum { PRV_BLIND_BYTES = 1 + 32 }; /* key version (low byte) | hash */

void prv_blind_index(const prv_keystore *ks, const char *collection, const char *field,
                     const char *value, size_t len, uint8_t out[PRV_BLIND_BYTES]);

/* 1 if the two byte strings are equal; constant time for equal lengths. */
int prv_ct_equal(const void *a, size_t alen, const void *b, size_t blen);

#endif
