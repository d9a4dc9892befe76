/* The context: open, close, the clock, the caller's transactions. */
#include "context.h"

#include <sodium.h>
#include <string.h>

#include "alloc.h"
#include "clock.h"
#include "config.h"
#include "audit/log.h"
#include "crypto/dek.h"
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
    prv_dek_cache_free(ctx->dek_cache);
    prv_store_close(ctx->keystore_store, forked);
    prv_store_close(ctx->store, forked);
    prv_keystore_free(ctx->keys);
    prv_policy_free(ctx->policy);
    prv_free(ctx);
}

/* A new data store records which key set its data is written under (so
 * that an empty or foreign keystore is never taken for a new one) and
 * starts its audit fold, in one transaction that looks again under the
 * write lock: other processes may be setting it up at the same moment. */
static int set_up_data_store(prv_store *st, void *userdata)
{
    privacy_ctx *ctx = userdata;
    const uint8_t *mine = prv_keystore_keyset(ctx->keys);
    uint8_t marker[PRV_KEYSET_BYTES];
    int marked, folded;
    int rc = prv_keyset_marker_get(st, marker, &marked, &ctx->err);
    if (rc != PRIVACY_OK)
        return rc;
    if (marked)
        return memcmp(marker, mine, PRV_KEYSET_BYTES) == 0
                   ? PRIVACY_OK
                   : prv_err_set(&ctx->err, PRIVACY_E_CRYPTO,
                                 "R22: the keystore's keys belong to another store");
    rc = prv_audit_fold_present(st, &folded);
    if (rc == PRIVACY_OK && folded)
        return prv_err_set(&ctx->err, PRIVACY_E_INTEGRITY,
                           "R22: this store holds an audit log but its key-set marker is"
                           " missing: it was altered outside the library");
    if (rc == PRIVACY_OK)
        rc = prv_keyset_marker_put(st, mine);
    if (rc == PRIVACY_OK)
        rc = prv_audit_fold_init(st, prv_keystore_key(ctx->keys, PRV_KEY_AUDIT, NULL));
    return rc;
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
        rc = prv_dek_cache_new(&ctx->dek_cache, &ctx->err);
    if (rc == PRIVACY_OK)
        rc = prv_store_open(&ctx->store, &cfg->backend, cfg->uri, cfg->retry_budget_us,
                            &ctx->err);
    if (rc == PRIVACY_OK && cfg->keystore_uri != NULL)
        rc = prv_store_open(&ctx->keystore_store, &cfg->keystore_backend, cfg->keystore_uri,
                            cfg->retry_budget_us, &ctx->err);
    uint8_t marker[PRV_KEYSET_BYTES];
    int marked = 0;
    if (rc == PRIVACY_OK)
        rc = prv_keyset_marker_get(ctx->store, marker, &marked, &ctx->err);
    if (rc == PRIVACY_OK)
        rc = prv_keystore_load(ctx->keys,
                               ctx->keystore_store != NULL ? ctx->keystore_store : ctx->store,
                               marked ? marker : NULL, &ctx->err);
    if (rc == PRIVACY_OK && !marked)
        rc = prv_store_tx(ctx->store, set_up_data_store, ctx);
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
    ctx->keystore_backup_retention_us = cfg->keystore_backup_retention_us;
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
    if (in_tx && rc != PRIVACY_OK && prv_store_maybe_landed(ctx->store))
        prv_audit_restart(ctx->audit); /* its entries may be stored, or not */
    else if (in_tx) /* a failed commit rolled back: its entries are gone too */
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
