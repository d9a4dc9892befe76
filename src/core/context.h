#ifndef PRV_CORE_CONTEXT_H
#define PRV_CORE_CONTEXT_H

#include "error.h"
#include "privacy/context.h"
#include "store/store.h"

struct privacy_ctx {
    prv_err err;              /* the message about the last call */
    unsigned long fork_gen;   /* prv_fork_generation() at open */
    privacy_clock_fn clock;
    void *clock_userdata;
    int64_t keystore_backup_retention_us;
    prv_store *store;
    prv_store *keystore_store; /* NULL: the keys live in store */
    struct prv_keystore *keys; /* the working keys */
    struct prv_audit_log *audit; /* this context's chain */
    struct prv_dek_cache *dek_cache; /* unwrapped data keys, one guarded arena */
    struct prv_policy *policy;   /* the compiled policy document; never NULL once open */
};

/* Every public call on a context starts here: checks the handle and the
 * process, and clears the message. */
int prv_ctx_enter(privacy_ctx *ctx, const char *fn);
/* The context's clock; never negative (a negative reading is an error). */
int prv_ctx_now(privacy_ctx *ctx, int64_t *out);

#endif
