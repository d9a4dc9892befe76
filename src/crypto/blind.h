/* Blind indexes: keyed BLAKE2b over a length-prefixed (collection, field,
 * normalised value), with the index key's version in front, so a lookup
 * finds a value without the store holding it in the clear. */
#ifndef PRV_CRYPTO_BLIND_H
#define PRV_CRYPTO_BLIND_H

#include <stddef.h>
#include <stdint.h>

#include "keystore.h"

enum { PRV_BLIND_BYTES = 1 + 32 }; /* key version (low byte) | hash */

/* The index under the newest index key: what a value is stored with. */
void prv_blind_index(const prv_keystore *ks, const char *collection, const char *field,
                     const char *value, size_t len, uint8_t out[PRV_BLIND_BYTES]);
/* The index under the nth newest loaded index key (0: the newest), for a
 * lookup to find values stored before the key was rotated. Returns 0 when
 * fewer versions are loaded (out untouched), else 1. */
int prv_blind_index_nth(const prv_keystore *ks, size_t nth, const char *collection,
                        const char *field, const char *value, size_t len,
                        uint8_t out[PRV_BLIND_BYTES]);

/* 1 if the two byte strings are equal; constant time for equal lengths. */
int prv_ct_equal(const void *a, size_t alen, const void *b, size_t blen);

#endif
