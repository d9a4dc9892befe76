/* The context: open, close, the clock, the caller's transactions. */
#include "context.h"

#include <sodium.h>

#include "alloc.h"
#include "clock.h"
#include "config.h"
#include "fork.h"

const char *privacy_version(void)
{
    return PRIVACY_VERSION_STRING;
}

const char *privacy_errmsg(const privacy_ctx *ctx)
{
    return ctx != NULL ? ctx->err.msg : prv_err_tls()->msg;
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

int privacy_open(privacy_ctx **out, const privacy_config *cfg)
{
    prv_err *tls = prv_err_tls();
    prv_err_clear(tls);
    if (out == NULL || cfg == NULL)
        return prv_err_set(tls, PRIVACY_E_INVALID, "privacy_open: out and cfg must not be NULL");
    if (cfg->uri == NULL)
        return prv_err_set(tls, PRIVACY_E_INVALID,
                           "privacy_open: no storage configured (privacy_config_set_storage)");
    if (sodium_init() < 0)
        return prv_err_set(tls, PRIVACY_E_INTERNAL, "privacy_open: libsodium failed to start");
    privacy_ctx *ctx = prv_calloc(1, sizeof *ctx);
    if (ctx == NULL)
        return prv_err_set(tls, PRIVACY_E_NOMEM, "privacy_open: out of memory");
    ctx->fork_gen = prv_fork_generation();
    ctx->clock = cfg->clock != NULL ? cfg->clock : prv_clock_realtime;
    ctx->clock_userdata = cfg->clock_userdata;
    int rc = prv_store_open(&ctx->store, &cfg->backend, cfg->uri, cfg->retry_budget_us, &ctx->err);
    if (rc != PRIVACY_OK) {
        prv_err_set(tls, rc, "privacy_open: %s", ctx->err.msg);
        prv_free(ctx);
        return rc;
    }
    *out = ctx;
    return PRIVACY_OK;
}

void privacy_close(privacy_ctx *ctx)
{
    if (ctx == NULL)
        return;
    prv_store_close(ctx->store, ctx->fork_gen != prv_fork_generation());
    prv_free(ctx);
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
    return rc != PRIVACY_OK ? rc : prv_store_commit(ctx->store);
}

int privacy_rollback(privacy_ctx *ctx)
{
    int rc = prv_ctx_enter(ctx, "privacy_rollback");
    return rc != PRIVACY_OK ? rc : prv_store_rollback(ctx->store);
}
