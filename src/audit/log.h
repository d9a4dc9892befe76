/* The audit log's writing side: each context appends to a chain of its own
 * (no writer waits on a global row), in the transaction of the change it
 * records; a context's chain ends when it closes and is folded into the
 * fold chain that checkpoints summarise (docs/audit.md). */
#ifndef PRV_AUDIT_LOG_H
#define PRV_AUDIT_LOG_H

#include "crypto/keystore.h"
#include "entry.h"
#include "store/store.h"

/* What happened: ids and names only (each 1..127 printable ASCII bytes
 * without spaces, or NULL when it does not apply). */
typedef struct prv_audit_event {
    const char *actor, *role, *action, *category, *purpose, *recipient, *subject, *object;
    int outcome;
} prv_audit_event;

/* An entry ready to be written: decided before its transaction runs, so a
 * re-run writes exactly the same row. */
typedef struct prv_audit_prepared {
    prv_audit_entry e;
    char id[PRV_AUDIT_ID_SIZE];
    char subject[PRV_AUDIT_FIELD_MAX + 1];
    uint8_t body[PRV_AUDIT_BODY_MAX];
    size_t len;
} prv_audit_prepared;

typedef struct prv_audit_log prv_audit_log;

int prv_audit_log_new(prv_audit_log **out, prv_err *err);
void prv_audit_log_free(prv_audit_log *log);
const char *prv_audit_chain_id(const prv_audit_log *log);

/* Makes the chain's next entry (time: now, or the chain's last time if the
 * clock went back, so a chain's times never decrease). */
int prv_audit_prepare(prv_audit_log *log, const prv_keystore *ks, int64_t now,
                      const prv_audit_event *ev, prv_audit_prepared *p, prv_err *err);
/* Writes a prepared entry; call inside the transaction of the change. */
int prv_audit_put(prv_store *st, const prv_audit_prepared *p);
/* After the entry's transaction: the chain moves on. in_caller_tx: the
 * caller's own transaction holds it, so it counts only once that commits. */
void prv_audit_advance(prv_audit_log *log, const prv_audit_prepared *p, int in_caller_tx);
/* After an entry's call returned rc: the chain moves on (PRIVACY_OK), or
 * stays (the entry did not land), or — when the call failed after a
 * commit that may have landed — the context starts a new chain, so that
 * no later entry can take the id of one that is stored. */
void prv_audit_settle(prv_audit_log *log, const prv_store *st, const prv_audit_prepared *p,
                      int in_caller_tx, int rc);
/* Starts a new chain (see prv_audit_settle). */
void prv_audit_restart(prv_audit_log *log);
/* The caller's transaction ended: keep (committed) or drop its entries. */
void prv_audit_txn_end(prv_audit_log *log, int committed);
/* Ends the chain: a close entry and one step of the fold chain, in one
 * transaction. Nothing to do for a chain without entries. */
int prv_audit_close_chain(prv_audit_log *log, prv_store *st, const prv_keystore *ks, int64_t now,
                          prv_err *err);

/* Writes one entry in a transaction of its own (or the caller's). */
struct privacy_ctx;
int prv_audit_write(struct privacy_ctx *ctx, const prv_audit_event *ev);

/* One step of the fold chain: fold_k = BLAKE2b(audit key, label | fold_k-1 |
 * chain | seq of the close entry | its prev). fold_0 = BLAKE2b(key, label). */
void prv_audit_fold_step(const unsigned char *key, const uint8_t prev_fold[PRV_AUDIT_MAC],
                         const char *chain, uint64_t seq, const uint8_t prev[PRV_AUDIT_MAC],
                         uint8_t out[PRV_AUDIT_MAC]);
void prv_audit_fold_initial(const unsigned char *key, uint8_t out[PRV_AUDIT_MAC]);
/* Writes the fold record at step 0, when a store is set up; and tells
 * whether a store has one. */
int prv_audit_fold_init(prv_store *st, const unsigned char *audit_key);
int prv_audit_fold_present(prv_store *st, int *present);
/* Reads the fold record: the steps taken so far (k) and the latest value
 * (fold_0 when no chain has ended yet). */
int prv_audit_read_fold(prv_store *st, uint64_t *k,
                        uint8_t fold[PRV_AUDIT_MAC], prv_err *err);

#endif
