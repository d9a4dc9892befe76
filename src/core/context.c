/* The context: open, close, the clock, the caller's transactions. */
#include "context.h"

#include <sodium.h>

#include "alloc.h"
#include "clock.h"
#include "config.h"
#include "audit/log.h"
#include "crypto/keystore.h"
#include "fork.h"
#include "policy/policy.h"

const char *privacy_version(void)
{
    return PRIVACY_VERSION_STRING;
}

const char *privacy_errmsg(const privacy_ctx *ctx)
{
    /* A policy denial's message is rendered when first read: err.msg is
     * its cache, so writing it here does not change the context. */
    return ctx != NULL ? prv_err_msg((prv_err *)&ctx->err) : prv_err_tls()->msg;
}

int prv_ctx_enter(privacy_ctx *ctx, const char *fn)
{
    if (ctx == NULL)
        return prv_err_set(prv_err_tls(), PRIVACY_E_INVALID, "%s: ctx is NULL", fn);
    if (ctx->fork_gen != prv_fork_generation())
        return prv_err_set(&ctx->err, PRIVACY_E_MISUSE,
                           "%s: this context was opened before fork(); open a new one in the child",
                           fn);
    prv_err_clear(&ctx->err);
    return PRIVACY_OK;
}

/* Releases what a context holds; forked: in a child after fork(), where
 * the storage connections belong to the parent. */
static void ctx_free(privacy_ctx *ctx, int forked)
{
    /* The chain ends with the context. If that cannot be written, the chain
     * stays open: verification accepts that; only a checkpoint shows what
     * came after it. A forked child owns neither chain nor connection. */
    if (ctx->audit != NULL && !forked && ctx->store != NULL) {
        int64_t now = 0;
        if (prv_ctx_now(ctx, &now) == PRIVACY_OK)
            (void)prv_audit_close_chain(ctx->audit, ctx->store, ctx->keys, now, &ctx->err);
    }
    prv_audit_log_free(ctx->audit);
    prv_store_close(ctx->keystore_store, forked);
    prv_store_close(ctx->store, forked);
    prv_keystore_free(ctx->keys);
    prv_policy_free(ctx->policy);
    prv_free(ctx);
}

/* Opening, in an order that keeps failures clean: everything the library
 * allocates (keys to add to a new store included) comes before storage is
 * touched, and storage is written only after the root key is known to
 * match (R22). */
static int open_ctx(privacy_ctx *ctx, const privacy_config *cfg)
{
    int rc = prv_policy_load_config(&ctx->policy, cfg, &ctx->err);
    if (rc == PRIVACY_OK)
        rc = prv_keystore_prepare(&ctx->keys, &cfg->keks, &ctx->err);
    if (rc == PRIVACY_OK)
        rc = prv_audit_log_new(&ctx->audit, &ctx->err);
    if (rc == PRIVACY_OK)
        rc = prv_store_open(&ctx->store, &cfg->backend, cfg->uri, cfg->retry_budget_us,
                            &ctx->err);
    if (rc == PRIVACY_OK && cfg->keystore_uri != NULL)
        rc = prv_store_open(&ctx->keystore_store, &cfg->keystore_backend, cfg->keystore_uri,
                            cfg->retry_budget_us, &ctx->err);
    if (rc == PRIVACY_OK)
        rc = prv_keystore_load(ctx->keys,
                               ctx->keystore_store != NULL ? ctx->keystore_store : ctx->store,
                               &ctx->err);
    return rc;
}

int privacy_open(privacy_ctx **out, const privacy_config *cfg)
{
    prv_err *tls = prv_err_tls();
    prv_err_clear(tls);
    if (out == NULL || cfg == NULL)
        return prv_err_set(tls, PRIVACY_E_INVALID, "privacy_open: out and cfg must not be NULL");
    if (cfg->uri == NULL)
        return prv_err_set(tls, PRIVACY_E_INVALID,
                           "privacy_open: no storage configured (privacy_config_set_storage)");
    if (cfg->keks.n == 0)
        return prv_err_set(tls, PRIVACY_E_INVALID,
                           "privacy_open: R22: no root key configured"
                           " (privacy_config_add_root_key_file)");
    if (sodium_init() < 0)
        return prv_err_set(tls, PRIVACY_E_INTERNAL, "privacy_open: libsodium failed to start");
    privacy_ctx *ctx = prv_calloc(1, sizeof *ctx);
    if (ctx == NULL)
        return prv_err_set(tls, PRIVACY_E_NOMEM, "privacy_open: out of memory");
    ctx->fork_gen = prv_fork_generation();
    ctx->clock = cfg->clock != NULL ? cfg->clock : prv_clock_realtime;
    ctx->clock_userdata = cfg->clock_userdata;
    int rc = open_ctx(ctx, cfg);
    if (rc != PRIVACY_OK) {
        prv_err_set(tls, rc, "privacy_open: %s", ctx->err.msg);
        ctx_free(ctx, 0);
        return rc;
    }
    *out = ctx;
    return PRIVACY_OK;
}

void privacy_close(privacy_ctx *ctx)
{
    if (ctx == NULL)
        return;
    ctx_free(ctx, ctx->fork_gen != prv_fork_generation());
}

int prv_ctx_now(privacy_ctx *ctx, int64_t *out)
{
    int64_t t = ctx->clock(ctx->clock_userdata);
    if (t < 0)
        return prv_err_set(&ctx->err, PRIVACY_E_INTERNAL,
                           "the configured clock returned a negative time");
    *out = t;
    return PRIVACY_OK;
}

int privacy_now(privacy_ctx *ctx, int64_t *out)
{
    int rc = prv_ctx_enter(ctx, "privacy_now");
    if (rc != PRIVACY_OK)
        return rc;
    if (out == NULL)
        return prv_err_set(&ctx->err, PRIVACY_E_INVALID, "privacy_now: out is NULL");
    return prv_ctx_now(ctx, out);
}

int privacy_begin(privacy_ctx *ctx)
{
    int rc = prv_ctx_enter(ctx, "privacy_begin");
    return rc != PRIVACY_OK ? rc : prv_store_begin(ctx->store);
}

int privacy_commit(privacy_ctx *ctx)
{
    int rc = prv_ctx_enter(ctx, "privacy_commit");
    if (rc != PRIVACY_OK)
        return rc;
    int in_tx = prv_store_in_tx(ctx->store);
    rc = prv_store_commit(ctx->store);
    if (in_tx) /* a failed commit rolled back: its entries are gone too */
        prv_audit_txn_end(ctx->audit, rc == PRIVACY_OK);
    return rc;
}

int privacy_rollback(privacy_ctx *ctx)
{
    int rc = prv_ctx_enter(ctx, "privacy_rollback");
    if (rc != PRIVACY_OK)
        return rc;
    if (prv_store_in_tx(ctx->store))
        prv_audit_txn_end(ctx->audit, 0);
    return prv_store_rollback(ctx->store);
}
