/* Record integrity: every record the domain layer writes carries a keyed
 * MAC over all its fields, so a record edited in the storage (an expiry, a
 * consent body) is refused on read with PRIVACY_E_INTEGRITY. */
#ifndef PRV_CRYPTO_SEAL_H
#define PRV_CRYPTO_SEAL_H

#include "keystore.h"
#include "store/store.h"

/* Bytes the seal adds to a body: integrity key version u32 BE | MAC. */
enum { PRV_SEAL_BYTES = 4 + 32 };

/* Writes rec with its seal appended to the body. */
int prv_seal_put(prv_store *st, const prv_keystore *ks, const privacy_record *rec, prv_err *err);
/* Reads and checks a record; *out (one prv_malloc block, release with
 * prv_free) has the body without the seal. */
int prv_seal_get(prv_store *st, const prv_keystore *ks, const char *collection, const char *id,
                 privacy_record **out, prv_err *err);
/* Checks a sealed record handed over by a scan; on success *body_len is
 * the length of the body without the seal. */
int prv_seal_check(const prv_keystore *ks, const privacy_record *rec, size_t *body_len,
                   prv_err *err);

#endif
