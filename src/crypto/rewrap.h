/* Root-key rotation's engine: re-wraps every wrapped key of a keystore
 * (working keys in "keys", data keys in "dek") that the primary root key
 * did not wrap, under the primary. Keys are unwrapped and wrapped again;
 * nothing they encrypt is touched. */
#ifndef PRV_CRYPTO_REWRAP_H
#define PRV_CRYPTO_REWRAP_H

#include <stddef.h>
#include <stdint.h>

#include "keystore.h"
#include "privacy/keys.h"
#include "store/store.h"

typedef struct prv_rewrap_limits {
    size_t batch;  /* records per transaction */
    size_t window; /* record ids read ahead per scan of a collection */
} prv_rewrap_limits;

/* 500 records a transaction keeps the write lock short; a window of
 * 16,384 ids (under 1 MiB) keeps the rescans of a large store few. */
extern const prv_rewrap_limits prv_rewrap_default_limits;

/* Counts first: a record wrapped by a root key that is not configured
 * (PRIVACY_E_CRYPTO) or a malformed one (PRIVACY_E_INTEGRITY) refuses the
 * whole run before anything is written. Then re-wraps in transactions of
 * at most limits->batch records, each record compared, under the write
 * lock, with what was read when its new wrap was made: a record changed
 * meanwhile (re-wrapped or shredded by another context) is left to it.
 * Every record is wrapped at every moment either by its old root key or
 * by the primary, so an interrupted run loses nothing and a later run
 * resumes. progress (may be NULL) is called with (0, total) before the
 * first batch and (done, total) after each; non-zero stops the run
 * (PRIVACY_E_ABORTED). PRIVACY_E_BUSY when the keys keep changing under
 * the run (another rotation to another primary, or contexts writing keys
 * under an old root key faster than it re-wraps them). *rewrapped: records
 * written by this run. */
int prv_rewrap_all(const prv_keystore *ks, prv_store *st, const prv_rewrap_limits *limits,
                   privacy_rotate_cb progress, void *userdata, uint64_t *rewrapped,
                   prv_err *err);

#endif
