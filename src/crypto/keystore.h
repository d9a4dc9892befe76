/* Working keys: random, versioned, stored only wrapped by a root key in the
 * collection "keys" (DESIGN.md, "Keys and formats"). */
#ifndef PRV_CRYPTO_KEYSTORE_H
#define PRV_CRYPTO_KEYSTORE_H

#include <stdint.h>

#include "kek.h"
#include "store/store.h"

enum prv_key_purpose {
    PRV_KEY_BLIND_INDEX,
    PRV_KEY_COOKIE,
    PRV_KEY_AUDIT,
    PRV_KEY_SUPPRESSION,
    PRV_KEY_INTEGRITY,
    PRV_KEY_COUNT
};

enum { PRV_WORKING_KEY_BYTES = 32, PRV_KEYSET_BYTES = 16 };

#define PRV_KEYS_COLLECTION "keys"
#define PRV_KEYSET_COLLECTION "keyset"

typedef struct prv_keystore prv_keystore;

/* Before any storage is touched: copies the root keys, and makes new
 * working keys and their wrapped records ready in case the store has none,
 * so that every allocation of open comes before a file can exist. */
int prv_keystore_prepare(prv_keystore **out, const prv_keks *keks, prv_err *err);
/* Loads the keystore's working keys, or makes a new set in one
 * transaction when it holds none. expected: the key set the data store
 * recorded (its marker), or NULL for a data store that recorded none.
 * Refused without a write (PRIVACY_E_CRYPTO): keys no configured root key
 * wrapped, an empty keystore for a store that recorded a key set, a
 * keystore of another key set. */
int prv_keystore_load(prv_keystore *ks, prv_store *st, const uint8_t *expected, prv_err *err);
/* The loaded key set's id, and the root keys. */
const uint8_t *prv_keystore_keyset(const prv_keystore *ks);
const prv_keks *prv_keystore_keks(const prv_keystore *ks);
/* The data store's marker of its key set: read (present 0 if none), and
 * written inside the transaction that sets the store up. */
int prv_keyset_marker_get(prv_store *st, uint8_t keyset[PRV_KEYSET_BYTES], int *present,
                          prv_err *err);
int prv_keyset_marker_put(prv_store *st, const uint8_t keyset[PRV_KEYSET_BYTES]);
/* The current key for a purpose (read-only guarded memory). */
const unsigned char *prv_keystore_key(const prv_keystore *ks, enum prv_key_purpose purpose,
                                      uint32_t *version);
void prv_keystore_free(prv_keystore *ks);

#endif
