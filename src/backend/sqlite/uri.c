/* Parsing of "sqlite:PATH[?key=value&...]" storage URIs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/uri_util.h"
#include "core/alloc.h"
#include "sqlite_backend.h"

static int option(prv_sqlite_opts *o, const char *kv, size_t n, char *errbuf, size_t errlen)
{
    const char *eq = memchr(kv, '=', n);
    if (eq == NULL) {
        snprintf(errbuf, errlen, "sqlite: storage URI option '%.*s' has no '=value'", (int)n, kv);
        return PRIVACY_E_INVALID;
    }
    size_t klen = (size_t)(eq - kv);
    const char *v = eq + 1;
    size_t vlen = n - klen - 1;
    long x;
    if (klen == 15 && memcmp(kv, "busy_timeout_ms", 15) == 0) {
        if (!prv_uri_int(v, vlen, 0, 3600000, &x)) {
            snprintf(errbuf, errlen, "sqlite: busy_timeout_ms must be 0..3600000");
            return PRIVACY_E_INVALID;
        }
        o->busy_timeout_ms = (int)x;
        return PRIVACY_OK;
    }
    if (klen == 15 && memcmp(kv, "retry_budget_ms", 15) == 0) {
        if (!prv_uri_int(v, vlen, 0, 3600000, &x)) {
            snprintf(errbuf, errlen, "sqlite: retry_budget_ms must be 0..3600000");
            return PRIVACY_E_INVALID;
        }
        o->retry_budget_us = (int64_t)x * 1000;
        return PRIVACY_OK;
    }
    if (klen == 11 && memcmp(kv, "synchronous", 11) == 0) {
        if (vlen == 4 && memcmp(v, "full", 4) == 0)
            o->synchronous_full = 1;
        else if (vlen == 6 && memcmp(v, "normal", 6) == 0)
            o->synchronous_full = 0;
        else {
            snprintf(errbuf, errlen, "sqlite: synchronous must be 'full' or 'normal'");
            return PRIVACY_E_INVALID;
        }
        return PRIVACY_OK;
    }
    snprintf(errbuf, errlen, "sqlite: unknown storage URI option '%.*s'", (int)(klen > 32 ? 32 : klen),
             kv);
    return PRIVACY_E_INVALID;
}

void prv_sqlite_opts_clear(prv_sqlite_opts *o)
{
    prv_free(o->path);
    o->path = NULL;
}

int prv_sqlite_uri_parse(const char *uri, prv_sqlite_opts *o, char *errbuf, size_t errlen)
{
    memset(o, 0, sizeof *o);
    o->busy_timeout_ms = 5000;
    o->synchronous_full = 1;
    o->retry_budget_us = -1;
    if (uri == NULL || strncmp(uri, "sqlite:", 7) != 0) {
        snprintf(errbuf, errlen, "sqlite: the storage URI must start with 'sqlite:'");
        return PRIVACY_E_INVALID;
    }
    const char *path = uri + 7;
    const char *q = strchr(path, '?');
    size_t plen = q != NULL ? (size_t)(q - path) : strlen(path);
    if (plen == 0) {
        snprintf(errbuf, errlen, "sqlite: the storage URI names no file (sqlite:/path/file.db)");
        return PRIVACY_E_INVALID;
    }
    int rc = prv_uri_decode("sqlite", path, plen, &o->path, errbuf, errlen);
    if (rc != PRIVACY_OK)
        return rc;
    o->memory = strcmp(o->path, ":memory:") == 0;
    while (q != NULL) {
        const char *kv = q + 1;
        q = strchr(kv, '&');
        size_t n = q != NULL ? (size_t)(q - kv) : strlen(kv);
        rc = option(o, kv, n, errbuf, errlen);
        if (rc != PRIVACY_OK) {
            prv_sqlite_opts_clear(o);
            return rc;
        }
    }
    return PRIVACY_OK;
}
