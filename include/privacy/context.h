/*
 * libprivacy — configuration, the context's lifecycle, time, transactions.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef PRIVACY_CONTEXT_H
#define PRIVACY_CONTEXT_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * A clock: returns the current time in microseconds since the Unix epoch,
 * UTC. Must not fail and must not return a negative value. Called from
 * whichever thread is using the context.
 */
typedef int64_t (*privacy_clock_fn)(void *userdata);

/**
 * privacy_config_new - create an empty configuration.
 *
 * @out: receives the configuration; release it with privacy_config_free().
 *
 * A configuration is not tied to a context: privacy_open() copies what it
 * needs, so one configuration may open many contexts and be freed at once.
 * Errors are read with privacy_errmsg(NULL).
 *
 * Returns PRIVACY_OK, PRIVACY_E_INVALID (@out is NULL) or PRIVACY_E_NOMEM.
 */
PRIVACY_EXTERN PRIVACY_WUR int privacy_config_new(privacy_config **out);

/**
 * privacy_config_free - release a configuration. NULL is accepted.
 */
PRIVACY_EXTERN void privacy_config_free(privacy_config *cfg);

/**
 * privacy_config_set_storage - choose where the library keeps its records.
 *
 * @cfg: the configuration.
 * @uri: a storage URI:
 *       "sqlite:/path/shop.db"  an SQLite file, created mode 0600 if missing;
 *       "sqlite::memory:"       a private in-memory database (tests);
 *       options follow a '?', separated by '&':
 *       "busy_timeout_ms=N" (default 5000), "synchronous=full|normal"
 *       (default full: an acknowledged write survives power loss) and
 *       "retry_budget_ms=N" (as privacy_config_set_retry_budget, which
 *       the last of the two calls decides). A '?', '&' or '%' in the path
 *       is written %3F, %26, %25.
 *
 * Replaces an earlier storage or backend choice. The URI is checked here
 * for its form; the store itself is opened by privacy_open().
 *
 * Returns PRIVACY_OK, PRIVACY_E_INVALID (NULL argument, unknown scheme or
 * option, malformed value; privacy_errmsg(NULL) says which) or
 * PRIVACY_E_NOMEM.
 */
PRIVACY_EXTERN PRIVACY_WUR int privacy_config_set_storage(privacy_config *cfg, const char *uri);

/**
 * privacy_config_set_clock - replace the clock the library reads.
 *
 * @cfg: the configuration.
 * @fn: the clock, or NULL for the system's real-time clock.
 * @userdata: passed to @fn unchanged; the caller keeps it alive while any
 *            context opened with this configuration is open.
 *
 * Tests use it to move time deterministically. Waiting between retries
 * uses the system's monotonic clock, never this one.
 *
 * Returns PRIVACY_OK or PRIVACY_E_INVALID (@cfg is NULL).
 */
PRIVACY_EXTERN PRIVACY_WUR int privacy_config_set_clock(privacy_config *cfg, privacy_clock_fn fn,
                                                        void *userdata);

/**
 * privacy_config_set_retry_budget - how long a failed transaction is re-run.
 *
 * @cfg: the configuration.
 * @usec: the total time, in microseconds, the library may spend re-running
 *        a transaction the backend reported as retryable (a lock held by
 *        another writer, a serialization failure, a lost connection).
 *        0 disables re-running. Default: 5,000,000 (5 s). At most one hour.
 *
 * The storage URI may carry the same setting ("retry_budget_ms=N");
 * whichever is set last wins. When the budget runs out the call returns
 * PRIVACY_E_BUSY. Inside a
 * caller's own transaction (privacy_begin) nothing is re-run: the call
 * returns PRIVACY_E_BUSY at once and the caller re-runs its steps.
 *
 * Returns PRIVACY_OK or PRIVACY_E_INVALID (NULL, negative or too large).
 */
PRIVACY_EXTERN PRIVACY_WUR int privacy_config_set_retry_budget(privacy_config *cfg, int64_t usec);

/**
 * privacy_open - open a context: connect to the store, create or migrate
 * its schema.
 *
 * @out: receives the context; release it with privacy_close().
 * @cfg: the configuration; may be freed after the call.
 *
 * A context is used by one thread at a time; many contexts, in many
 * threads or processes, may share one store. A context used in a child
 * process after fork() refuses every call with PRIVACY_E_MISUSE: open a
 * new one in the child.
 *
 * A store that is not a libprivacy store, or one whose schema is newer
 * than this library's, is refused and left byte-for-byte unchanged. A new
 * store appears only complete (docs/storage.md): a failed call leaves no
 * new file behind.
 * Errors are read with privacy_errmsg(NULL).
 *
 * Returns PRIVACY_OK, PRIVACY_E_INVALID (NULL argument, no storage or no
 * root key configured), PRIVACY_E_NOMEM, PRIVACY_E_STORAGE (cannot open or
 * create, not a libprivacy store), PRIVACY_E_VERSION (newer schema),
 * PRIVACY_E_BUSY (the store stayed locked), PRIVACY_E_CRYPTO (a wrong root
 * key; a keystore that is empty or belongs to another store: R22, nothing
 * is written), PRIVACY_E_INTEGRITY (a key record or the store's key-set
 * marker was altered) or PRIVACY_E_POLICY (the configured policy does not
 * compile). A keyring's own failures (BUSY, STORAGE) are passed on.
 */
PRIVACY_EXTERN PRIVACY_WUR int privacy_open(privacy_ctx **out, const privacy_config *cfg);

/**
 * privacy_close - close a context and release everything it holds.
 *
 * @ctx: the context, or NULL (then nothing happens).
 *
 * A transaction still open is rolled back. In a child process after
 * fork() only the library's memory is released: the storage connection
 * belongs to the parent and is left alone.
 */
PRIVACY_EXTERN void privacy_close(privacy_ctx *ctx);

/**
 * privacy_now - the time as the context's clock tells it.
 *
 * @ctx: the context.
 * @out: receives microseconds since the Unix epoch, UTC.
 *
 * Returns PRIVACY_OK, PRIVACY_E_INVALID (NULL argument), PRIVACY_E_MISUSE
 * (after fork) or PRIVACY_E_INTERNAL (the configured clock returned a
 * negative time).
 */
PRIVACY_EXTERN PRIVACY_WUR int privacy_now(privacy_ctx *ctx, int64_t *out);

/**
 * privacy_begin - start a transaction that groups the following calls.
 *
 * @ctx: the context.
 *
 * Until privacy_commit() or privacy_rollback(), the calls on @ctx land
 * together or not at all. A call that fails on the storage inside the
 * transaction dooms it: later calls fail and privacy_commit() rolls back
 * and returns the first failure's code. A retryable storage failure
 * returns PRIVACY_E_BUSY at once; roll back and re-run your steps.
 *
 * Returns PRIVACY_OK, PRIVACY_E_INVALID, PRIVACY_E_MISUSE (a transaction is
 * already open, or after fork), PRIVACY_E_BUSY or PRIVACY_E_STORAGE.
 */
PRIVACY_EXTERN PRIVACY_WUR int privacy_begin(privacy_ctx *ctx);

/**
 * privacy_commit - make the calls since privacy_begin() durable.
 *
 * @ctx: the context.
 *
 * On failure the transaction is rolled back and is over.
 *
 * Returns PRIVACY_OK, PRIVACY_E_INVALID, PRIVACY_E_MISUSE (no transaction
 * is open), PRIVACY_E_BUSY, PRIVACY_E_STORAGE, or the code of the call
 * that doomed the transaction.
 */
PRIVACY_EXTERN PRIVACY_WUR int privacy_commit(privacy_ctx *ctx);

/**
 * privacy_rollback - discard the calls since privacy_begin().
 *
 * @ctx: the context.
 *
 * Returns PRIVACY_OK, PRIVACY_E_INVALID, PRIVACY_E_MISUSE (no transaction
 * is open) or PRIVACY_E_STORAGE (the transaction is over all the same).
 */
PRIVACY_EXTERN PRIVACY_WUR int privacy_rollback(privacy_ctx *ctx);

#ifdef __cplusplus
}
#endif

#endif /* PRIVACY_CONTEXT_H */
