/* The public audit calls. */
#include "core/context.h"
#include "crypto/keystore.h"
#include "privacy/audit.h"
#include "verify.h"

int privacy_audit_verify(privacy_ctx *ctx, const char *checkpoint)
{
    int rc = prv_ctx_enter(ctx, "privacy_audit_verify");
    if (rc != PRIVACY_OK)
        return rc;
    return prv_audit_verify(ctx->store, prv_keystore_key(ctx->keys, PRV_KEY_AUDIT, NULL),
                            checkpoint, NULL, &ctx->err);
}

int privacy_audit_checkpoint(privacy_ctx *ctx, char **out)
{
    int rc = prv_ctx_enter(ctx, "privacy_audit_checkpoint");
    if (rc != PRIVACY_OK)
        return rc;
    if (out == NULL)
        return prv_err_set(&ctx->err, PRIVACY_E_INVALID, "privacy_audit_checkpoint: out is NULL");
    /* It would record entries a rollback may still take back. */
    if (prv_store_in_tx(ctx->store))
        return prv_err_set(&ctx->err, PRIVACY_E_MISUSE,
                           "privacy_audit_checkpoint: not inside privacy_begin()");
    return prv_audit_checkpoint(ctx->store, prv_keystore_key(ctx->keys, PRV_KEY_AUDIT, NULL), out,
                                &ctx->err);
}
