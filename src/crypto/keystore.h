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

enum { PRV_WORKING_KEY_BYTES = 32 };

#define PRV_KEYS_COLLECTION "keys"

typedef struct prv_keystore prv_keystore;

/* Before any storage is touched: copies the root keys, and makes new
 * working keys and their wrapped records ready in case the store has none,
 * so that every allocation of open comes before a file can exist. */
int prv_keystore_prepare(prv_keystore **out, const prv_keks *keks, prv_err *err);
/* Loads the store's working keys, adding the missing ones from the
 * prepared ones in one transaction. A store whose keys no configured root
 * key wrapped is refused (PRIVACY_E_CRYPTO) without a write. */
int prv_keystore_load(prv_keystore *ks, prv_store *st, prv_err *err);
/* The current key for a purpose (read-only guarded memory). */
const unsigned char *prv_keystore_key(const prv_keystore *ks, enum prv_key_purpose purpose,
                                      uint32_t *version);
void prv_keystore_free(prv_keystore *ks);

#endif
