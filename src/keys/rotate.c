/* privacy_keys_rotate: re-wrapping every stored key under the primary root
 * key (docs/keys.md, "Rotating the root key"), recorded in the audit log. */
#include "rotate.h"

#include "audit/log.h"
#include "privacy/keys.h"

static const char FN[] = "privacy_keys_rotate";

/* The entry: which root key now wraps the keys, and how the run ended. A
 * failure's own message is kept for the caller. */
static int record(privacy_ctx *ctx, int outcome)
{
    prv_audit_event ev = { .action = "keys.rotate",
                           .object = prv_keks_primary(prv_keystore_keks(ctx->keys))->id,
                           .outcome = outcome };
    if (outcome == PRIVACY_OK)
        return prv_audit_write(ctx, &ev);
    prv_err kept = ctx->err;
    (void)prv_audit_write(ctx, &ev);
    ctx->err = kept;
    return outcome;
}

int prv_keys_rotate(privacy_ctx *ctx, privacy_rotate_cb progress_cb, void *userdata,
                    const prv_rewrap_limits *limits)
{
    int rc = prv_ctx_enter(ctx, FN);
    if (rc != PRIVACY_OK)
        return rc;
    /* Batches must commit on their own so an interruption keeps them, and
     * a caller's rollback must not take back a record of keys re-wrapped. */
    if (prv_store_in_tx(ctx->store))
        return prv_err_set(&ctx->err, PRIVACY_E_MISUSE,
                           "%s: not inside privacy_begin(): it commits in batches of its own",
                           FN);
    prv_store *keystore = ctx->keystore_store != NULL ? ctx->keystore_store : ctx->store;
    uint64_t rewrapped = 0;
    rc = prv_rewrap_all(ctx->keys, keystore, limits, progress_cb, userdata, &rewrapped,
                        &ctx->err);
    /* A refusal changed nothing and is not recorded; a run that changed
     * keys is, however it ended. */
    if (rc == PRIVACY_OK || rewrapped > 0)
        rc = record(ctx, rc);
    return rc;
}

int privacy_keys_rotate(privacy_ctx *ctx, privacy_rotate_cb progress_cb, void *userdata)
{
    return prv_keys_rotate(ctx, progress_cb, userdata, &prv_rewrap_default_limits);
}
