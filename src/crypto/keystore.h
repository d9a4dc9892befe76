/* Working keys: random, versioned, stored only wrapped by a root key in the
 * collection "keys" (DESIGN.md, "Keys and formats"). */
#ifndef PRV_CRYPTO_KEYSTORE_H
#define PRV_CRYPTO_KEYSTORE_H

#include <stddef.h>
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
/* The newest loaded key for a purpose (read-only guarded memory): the one
 * new data is written under. Key pointers stay valid until the keystore
 * gains a version (prv_keystore_add_version, prv_keystore_refresh): do not
 * keep one across those. */
const unsigned char *prv_keystore_key(const prv_keystore *ks, enum prv_key_purpose purpose,
                                      uint32_t *version);
/* The nth newest loaded version (0: the newest), or NULL (version 0) when
 * fewer are loaded: to look up what older versions wrote. */
const unsigned char *prv_keystore_key_nth(const prv_keystore *ks, enum prv_key_purpose purpose,
                                          size_t nth, uint32_t *version);
void prv_keystore_free(prv_keystore *ks);

/* Adds version n+1 of a purpose's key (n: the newest loaded): random,
 * wrapped by the primary root key, written in a transaction of its own,
 * and loaded; the older versions stay loaded. If another context added
 * n+1 at the same moment, that one is kept and loaded instead. *version:
 * the newest version now loaded. Only the blind-index key takes new
 * versions (PRIVACY_E_INVALID for the others, whose users check only the
 * newest). */
int prv_keystore_add_version(prv_keystore *ks, prv_store *st, enum prv_key_purpose purpose,
                             uint32_t *version, prv_err *err);
/* Loads the versions of a purpose newer than the newest loaded that
 * another context added since this one loaded (*added: how many); one
 * point read when there are none. err must be the store's own. */
int prv_keystore_refresh(prv_keystore *ks, prv_store *st, enum prv_key_purpose purpose,
                         int *added, prv_err *err);

/* Root-key rotation of the "keys" records. wrapped_by reads which root key
 * wrapped a record (PRIVACY_E_INTEGRITY, no message, if it is malformed).
 * rewrap unwraps a record with the root key that wrapped it and wraps the
 * same key, purpose and version under the primary into *out (prv_free
 * it); *out is NULL when the primary wrapped it already. PRIVACY_E_CRYPTO
 * if its root key is not configured, PRIVACY_E_INTEGRITY if it is
 * malformed, of another key set, or does not authenticate. */
int prv_keystore_wrapped_by(const char *id, const uint8_t *body, size_t len,
                            char kek_id[PRIVACY_KEY_ID_MAX + 1], uint32_t *kek_version);
int prv_keystore_rewrap(const prv_keystore *ks, const char *id, const uint8_t *body, size_t len,
                        uint8_t **out, size_t *out_len, prv_err *err);

#endif
