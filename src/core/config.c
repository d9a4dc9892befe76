/* The configuration: typed setters, each checking its argument at once so
 * that a mistake is reported where it was made. */
#include "config.h"

#include <stddef.h>
#include <string.h>

#include "alloc.h"
#include "backend/postgres/pg_backend.h"
#include "backend/sqlite/sqlite_backend.h"
#include "error.h"

/* Where each version of privacy_backend ends. */
#define MEMBER_END(m) (offsetof(privacy_backend, m) + sizeof(((privacy_backend *)0)->m))
static const size_t backend_size[PRIVACY_BACKEND_VERSION + 1] = {
    [1] = MEMBER_END(purge_expired),
};

static int enter(void)
{
    prv_err_clear(prv_err_tls());
    return PRIVACY_OK;
}

static int invalid(const char *msg)
{
    return prv_err_set(prv_err_tls(), PRIVACY_E_INVALID, "%s", msg);
}

int privacy_config_new(privacy_config **out)
{
    enter();
    if (out == NULL)
        return invalid("privacy_config_new: out is NULL");
    privacy_config *cfg = prv_calloc(1, sizeof *cfg);
    if (cfg == NULL)
        return prv_err_set(prv_err_tls(), PRIVACY_E_NOMEM, "privacy_config_new: out of memory");
    cfg->retry_budget_us = PRV_RETRY_BUDGET_DEFAULT_US;
    *out = cfg;
    return PRIVACY_OK;
}

void privacy_config_free(privacy_config *cfg)
{
    if (cfg == NULL)
        return;
    prv_free(cfg->uri);
    prv_free(cfg->keystore_uri);
    prv_free(cfg->policy_json);
    prv_keks_clear(&cfg->keks);
    prv_free(cfg);
}

static int set_uri(privacy_config *cfg, const privacy_backend *be, const char *uri)
{
    char *copy = prv_strdup(uri);
    if (copy == NULL)
        return prv_err_set(prv_err_tls(), PRIVACY_E_NOMEM, "privacy_config: out of memory");
    prv_free(cfg->uri);
    cfg->uri = copy;
    cfg->backend = *be;
    return PRIVACY_OK;
}

/* Finds the built-in backend for a storage URI and checks the URI's form.
 * *retry_us gets the URI's retry budget, or -1 if it sets none;
 * *default_us the backend's own. */
static int builtin_backend(const char *fn, const char *uri, const privacy_backend **be,
                           int64_t *retry_us, int64_t *default_us)
{
    if (strncmp(uri, "sqlite:", 7) == 0) {
        prv_sqlite_opts opts;
        char msg[PRIVACY_ERRMSG_MAX];
        int rc = prv_sqlite_uri_parse(uri, &opts, msg, sizeof msg);
        if (rc != PRIVACY_OK)
            return prv_err_set(prv_err_tls(), rc, "%s: %s", fn, msg);
        prv_sqlite_opts_clear(&opts);
        *be = &prv_sqlite_backend;
        *retry_us = opts.retry_budget_us;
        *default_us = PRV_RETRY_BUDGET_DEFAULT_US;
        return PRIVACY_OK;
    }
    if (prv_pg_uri_scheme(uri)) {
        prv_pg_opts opts;
        char msg[PRIVACY_ERRMSG_MAX];
        int rc = prv_pg_uri_parse(uri, &opts, msg, sizeof msg);
        if (rc != PRIVACY_OK)
            return prv_err_set(prv_err_tls(), rc, "%s: %s", fn, msg);
        prv_pg_opts_clear(&opts);
        *be = &prv_pg_backend;
        *retry_us = opts.retry_budget_us;
        *default_us = PRV_PG_RETRY_BUDGET_DEFAULT_US;
        return PRIVACY_OK;
    }
    return prv_err_set(prv_err_tls(), PRIVACY_E_INVALID,
                       "%s: unsupported storage URI scheme (this build supports \"sqlite:\","
                       " \"postgresql://\", \"postgres://\" and \"pg:\")", fn);
}

int privacy_config_set_storage(privacy_config *cfg, const char *uri)
{
    enter();
    if (cfg == NULL || uri == NULL)
        return invalid("privacy_config_set_storage: cfg and uri must not be NULL");
    const privacy_backend *be;
    int64_t retry_us, default_us;
    int rc = builtin_backend("privacy_config_set_storage", uri, &be, &retry_us, &default_us);
    if (rc == PRIVACY_OK)
        rc = set_uri(cfg, be, uri);
    /* The URI's budget; else the caller's; else the backend's default. */
    if (rc == PRIVACY_OK && retry_us >= 0)
        cfg->retry_budget_us = retry_us;
    else if (rc == PRIVACY_OK && !cfg->retry_budget_set)
        cfg->retry_budget_us = default_us;
    return rc;
}

int privacy_config_set_keystore(privacy_config *cfg, const char *uri)
{
    enter();
    if (cfg == NULL)
        return invalid("privacy_config_set_keystore: cfg is NULL");
    if (uri == NULL) {
        prv_free(cfg->keystore_uri);
        cfg->keystore_uri = NULL;
        memset(&cfg->keystore_backend, 0, sizeof cfg->keystore_backend);
        return PRIVACY_OK;
    }
    const privacy_backend *be;
    int64_t retry_us, default_us;
    int rc = builtin_backend("privacy_config_set_keystore", uri, &be, &retry_us, &default_us);
    if (rc != PRIVACY_OK)
        return rc;
    char *copy = prv_strdup(uri);
    if (copy == NULL)
        return prv_err_set(prv_err_tls(), PRIVACY_E_NOMEM, "privacy_config: out of memory");
    prv_free(cfg->keystore_uri);
    cfg->keystore_uri = copy;
    cfg->keystore_backend = *be;
    return PRIVACY_OK;
}

static const char *missing_member(const privacy_backend *b)
{
#define REQUIRE(m)                                                                              \
    if (b->m == NULL)                                                                          \
        return #m;
    REQUIRE(open)
    REQUIRE(close)
    REQUIRE(errmsg)
    REQUIRE(begin)
    REQUIRE(commit)
    REQUIRE(rollback)
    REQUIRE(put)
    REQUIRE(get)
    REQUIRE(del)
    REQUIRE(scan)
    REQUIRE(delete_subject)
    REQUIRE(purge_expired)
#undef REQUIRE
    return NULL;
}

int privacy_config_set_backend(privacy_config *cfg, const privacy_backend *backend,
                               const char *uri)
{
    enter();
    if (cfg == NULL || backend == NULL || uri == NULL)
        return invalid("privacy_config_set_backend: cfg, backend and uri must not be NULL");
    if (backend->version < 1 || backend->version > PRIVACY_BACKEND_VERSION)
        return prv_err_set(prv_err_tls(), PRIVACY_E_VERSION,
                           "privacy_config_set_backend: backend version %d is not supported;"
                           " this library knows versions 1 to %d",
                           backend->version, PRIVACY_BACKEND_VERSION);
    /* Copy exactly the bytes the declared version defines: a vtable built
     * against an older header is shorter than ours. */
    privacy_backend copy;
    memset(&copy, 0, sizeof copy);
    memcpy(&copy, backend, backend_size[backend->version]);
    const char *missing = missing_member(&copy);
    if (missing != NULL)
        return prv_err_set(prv_err_tls(), PRIVACY_E_INVALID,
                           "privacy_config_set_backend: required member '%s' is NULL", missing);
    return set_uri(cfg, &copy, uri);
}

int privacy_config_set_keystore_backup_retention(privacy_config *cfg, int64_t usec)
{
    enter();
    if (cfg == NULL)
        return invalid("privacy_config_set_keystore_backup_retention: cfg is NULL");
    if (usec < 0 || usec > PRV_BACKUP_RETENTION_MAX_US)
        return invalid("privacy_config_set_keystore_backup_retention: the retention must be 0"
                       " to 100 years in microseconds");
    cfg->keystore_backup_retention_us = usec;
    return PRIVACY_OK;
}

int privacy_config_set_clock(privacy_config *cfg, privacy_clock_fn fn, void *userdata)
{
    enter();
    if (cfg == NULL)
        return invalid("privacy_config_set_clock: cfg is NULL");
    cfg->clock = fn;
    cfg->clock_userdata = fn != NULL ? userdata : NULL;
    return PRIVACY_OK;
}

int privacy_config_set_retry_budget(privacy_config *cfg, int64_t usec)
{
    enter();
    if (cfg == NULL)
        return invalid("privacy_config_set_retry_budget: cfg is NULL");
    if (usec < 0 || usec > PRV_RETRY_BUDGET_MAX_US)
        return invalid("privacy_config_set_retry_budget: the budget must be 0 to 3600000000 us");
    cfg->retry_budget_us = usec;
    cfg->retry_budget_set = 1;
    return PRIVACY_OK;
}
