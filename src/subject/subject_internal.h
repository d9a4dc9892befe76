/* What the subject calls share: an operation that is decided, run in a
 * transaction, and recorded in the audit log inside it. */
#ifndef PRV_SUBJECT_INTERNAL_H
#define PRV_SUBJECT_INTERNAL_H

#include "audit/log.h"
#include "core/context.h"
#include "privacy/audit.h"

typedef struct prv_subject_op {
    privacy_ctx *ctx;
    int64_t now;
    prv_audit_event ev;
    prv_audit_prepared *entry;
} prv_subject_op;

/* Checks the context and actor; reads refuse inside privacy_begin(). */
int prv_subject_enter(privacy_ctx *ctx, const char *fn, const privacy_actor *actor, int reads);
int prv_subject_check_id(privacy_ctx *ctx, const char *fn, const char *id);
prv_store *prv_subject_keystore(privacy_ctx *ctx);

int prv_subject_op_begin(prv_subject_op *o, privacy_ctx *ctx, const privacy_actor *actor,
                         const char *action, const char *category, const char *purpose,
                         const char *subject);
/* Inside the transaction, last: prepares and writes the entry (a re-run
 * prepares the same bytes: the chain moves on only after a commit). */
int prv_subject_op_record(prv_subject_op *o, prv_store *st, int outcome);
/* Runs fn in a transaction, then moves the chain on. */
int prv_subject_op_run(prv_subject_op *o, prv_store_tx_fn fn);
void prv_subject_op_end(prv_subject_op *o);
/* Records a policy refusal on its own and returns it with its message. */
int prv_subject_refuse(prv_subject_op *o, const char *role, const char *action,
                       const char *category, const char *purpose);

#endif
