/* The record store: validated records over a backend, and transactions
 * run as re-runnable callbacks (DESIGN.md, "Storage backend interface"). */
#ifndef PRV_STORE_H
#define PRV_STORE_H

#include <stdint.h>

#include "core/error.h"
#include "privacy/backend.h"

typedef struct prv_store prv_store;

/* Opens a connection through a copy of be. Failures are described in err,
 * which the store keeps using for every later call. */
int prv_store_open(prv_store **out, const privacy_backend *be, const char *uri,
                   int64_t retry_budget_us, prv_err *err);
/* Closes the store. With forked set (a child after fork()) the connection
 * is abandoned, not closed: it belongs to the parent process. */
void prv_store_close(prv_store *st, int forked);

int prv_store_put(prv_store *st, const privacy_record *rec);
/* *out is one allocation holding the record and all it points to; release
 * it with prv_free(). PRIVACY_E_NOT_FOUND if absent. */
int prv_store_get(prv_store *st, const char *collection, const char *id, privacy_record **out);
int prv_store_del(prv_store *st, const char *collection, const char *id, uint64_t *deleted);
/* In (created, id) order: all records of the collection, or those of one
 * subject, or those with one index key (at most one filter). */
int prv_store_scan(prv_store *st, const char *collection, const char *subject_id,
                   const uint8_t *index_key, size_t index_key_len, privacy_record_cb cb,
                   void *userdata);
int prv_store_delete_subject(prv_store *st, const char *collection, const char *subject_id,
                             uint64_t *deleted);
int prv_store_purge_expired(prv_store *st, const char *collection, int64_t now,
                            uint64_t *purged);

/* Runs fn in a write transaction. Outside a caller's transaction, a
 * PRIVACY_E_BUSY from the backend (or from fn) rolls back and re-runs fn
 * with back-off until the retry budget runs out, so fn must decide nothing
 * new on a re-run: ids, times and audit values are chosen before the call.
 * Inside a caller's transaction fn runs once, and a failure dooms the
 * caller's transaction. */
typedef int (*prv_store_tx_fn)(prv_store *st, void *userdata);
int prv_store_tx(prv_store *st, prv_store_tx_fn fn, void *userdata);

/* The caller's own transaction (privacy_begin/commit/rollback). */
int prv_store_begin(prv_store *st);
int prv_store_commit(prv_store *st);
int prv_store_rollback(prv_store *st);
int prv_store_in_tx(const prv_store *st);
/* 1 if the last prv_store_tx() or prv_store_commit() failed after a
 * commit() that may have landed (a lost connection during COMMIT, a COMMIT
 * with a warning): what it wrote may or may not be stored. */
int prv_store_maybe_landed(const prv_store *st);

/* A scan callback that counts records into the int at userdata. */
int prv_store_count_cb(void *userdata, const privacy_record *rec);

/* Checks the form of a record against the limits of backend.h. */
int prv_store_check_record(const privacy_record *rec, prv_err *err);

#endif
