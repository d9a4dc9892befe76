/* Where a policy comes from: a configuration's document (given as text or
 * read from a file), the compiled-in default, or a document loaded into an
 * open context. A document is always compiled completely before it
 * replaces anything, so a rejected one changes nothing (R22). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/config.h"
#include "core/context.h"
#include "policy.h"

int prv_policy_load_config(prv_policy **out, const privacy_config *cfg, prv_err *err)
{
    if (cfg->policy_json != NULL)
        return prv_policy_compile(out, cfg->policy_json, cfg->policy_json_len, err);
    return prv_policy_compile(out, prv_policy_default_json, prv_policy_default_json_len, err);
}

int privacy_policy_load_json(privacy_ctx *ctx, const char *json, size_t len)
{
    int rc = prv_ctx_enter(ctx, "privacy_policy_load_json");
    if (rc != PRIVACY_OK)
        return rc;
    if (json == NULL)
        return prv_err_set(&ctx->err, PRIVACY_E_INVALID, "privacy_policy_load_json: json is NULL");
    prv_policy *pol;
    rc = prv_policy_compile(&pol, json, len, &ctx->err);
    if (rc != PRIVACY_OK)
        return rc;
    prv_policy_free(ctx->policy);
    ctx->policy = pol;
    return PRIVACY_OK;
}

/* Validates a document and keeps a copy of its text in cfg. */
static int set_text(privacy_config *cfg, const char *json, size_t len)
{
    prv_err *tls = prv_err_tls();
    prv_policy *pol;
    int rc = prv_policy_compile(&pol, json, len, tls);
    if (rc != PRIVACY_OK)
        return rc;
    prv_policy_free(pol);
    char *copy = prv_malloc(len);
    if (copy == NULL)
        return prv_err_set(tls, PRIVACY_E_NOMEM, "privacy_config: out of memory");
    memcpy(copy, json, len);
    prv_free(cfg->policy_json);
    cfg->policy_json = copy;
    cfg->policy_json_len = len;
    return PRIVACY_OK;
}

int privacy_config_set_policy_json(privacy_config *cfg, const char *json, size_t len)
{
    prv_err_clear(prv_err_tls());
    if (cfg == NULL || json == NULL)
        return prv_err_set(prv_err_tls(), PRIVACY_E_INVALID,
                           "privacy_config_set_policy_json: cfg and json must not be NULL");
    return set_text(cfg, json, len);
}

/* Reads a whole regular file of at most PRIVACY_POLICY_DOC_MAX bytes. */
static int read_document(const char *path, char **out, size_t *len)
{
    prv_err *tls = prv_err_tls();
    /* O_NONBLOCK: opening a FIFO must not hang; it is refused below. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        int e = errno;
        return prv_err_set(tls, e == ENOENT ? PRIVACY_E_NOT_FOUND : PRIVACY_E_STORAGE,
                           "privacy_config_set_policy_file: cannot open '%s': %s", path,
                           strerror(e));
    }
    struct stat sb;
    int rc = PRIVACY_OK;
    char *buf = NULL;
    size_t got = 0;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        rc = prv_err_set(tls, PRIVACY_E_STORAGE,
                         "privacy_config_set_policy_file: '%s' is not a regular file", path);
        goto done;
    }
    if (sb.st_size > PRIVACY_POLICY_DOC_MAX) {
        rc = prv_err_set(tls, PRIVACY_E_POLICY, "document: larger than %d bytes",
                         PRIVACY_POLICY_DOC_MAX);
        goto done;
    }
    size_t size = (size_t)sb.st_size;
    buf = prv_malloc(size != 0 ? size : 1);
    if (buf == NULL) {
        rc = prv_err_set(tls, PRIVACY_E_NOMEM, "privacy_config: out of memory");
        goto done;
    }
    while (got < size) {
        ssize_t n = read(fd, buf + got, size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = errno;
            rc = prv_err_set(tls, PRIVACY_E_STORAGE,
                             "privacy_config_set_policy_file: cannot read '%s': %s", path,
                             strerror(e));
            goto done;
        }
        if (n == 0)
            break; /* the file shrank: what was read is the document */
        got += (size_t)n;
    }
done:
    close(fd);
    if (rc != PRIVACY_OK) {
        prv_free(buf);
        return rc;
    }
    *out = buf;
    *len = got;
    return PRIVACY_OK;
}

int privacy_config_set_policy_file(privacy_config *cfg, const char *path)
{
    prv_err_clear(prv_err_tls());
    if (cfg == NULL || path == NULL)
        return prv_err_set(prv_err_tls(), PRIVACY_E_INVALID,
                           "privacy_config_set_policy_file: cfg and path must not be NULL");
    char *doc = NULL;
    size_t len = 0;
    int rc = read_document(path, &doc, &len);
    if (rc != PRIVACY_OK)
        return rc;
    rc = set_text(cfg, doc, len);
    prv_free(doc);
    return rc;
}
