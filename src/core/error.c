#include "error.h"

#include <stdarg.h>
#include <stdio.h>

static _Thread_local prv_err tls_err;

prv_err *prv_err_tls(void)
{
    return &tls_err;
}

void prv_err_clear(prv_err *err)
{
    err->msg[0] = '\0';
    err->render = NULL;
}

int prv_err_set(prv_err *err, int code, const char *fmt, ...)
{
    va_list ap;
    err->render = NULL;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return code;
}

int prv_err_set_lazy(prv_err *err, int code, prv_err_render_fn fn, const void *ptr,
                     uint64_t word)
{
    err->render = fn;
    err->render_ptr = ptr;
    err->render_word = word;
    return code;
}

const char *prv_err_msg(prv_err *err)
{
    if (err->render != NULL) {
        err->render(err->msg, sizeof err->msg, err->render_ptr, err->render_word);
        err->render = NULL;
    }
    return err->msg;
}

int prv_err_from(prv_err *err, int code, const char *prefix, const char *msg)
{
    return prv_err_set(err, code, "%s%s", prefix, msg != NULL ? msg : "");
}

const char *privacy_strerror(int code)
{
    switch (code) {
    case PRIVACY_OK: return "PRIVACY_OK: success";
    case PRIVACY_E_INVALID: return "PRIVACY_E_INVALID: invalid argument";
    case PRIVACY_E_NOMEM: return "PRIVACY_E_NOMEM: out of memory";
    case PRIVACY_E_NOT_FOUND: return "PRIVACY_E_NOT_FOUND: not found";
    case PRIVACY_E_EXISTS: return "PRIVACY_E_EXISTS: already exists";
    case PRIVACY_E_DENIED: return "PRIVACY_E_DENIED: refused by policy";
    case PRIVACY_E_NO_CONSENT: return "PRIVACY_E_NO_CONSENT: no consent or lawful basis on record";
    case PRIVACY_E_CRYPTO: return "PRIVACY_E_CRYPTO: decryption or authentication failed";
    case PRIVACY_E_INTEGRITY: return "PRIVACY_E_INTEGRITY: stored data was altered";
    case PRIVACY_E_EXPIRED: return "PRIVACY_E_EXPIRED: expired";
    case PRIVACY_E_REVOKED: return "PRIVACY_E_REVOKED: revoked";
    case PRIVACY_E_STORAGE: return "PRIVACY_E_STORAGE: storage failure";
    case PRIVACY_E_BUSY: return "PRIVACY_E_BUSY: storage busy, retry later";
    case PRIVACY_E_VERSION: return "PRIVACY_E_VERSION: unsupported version or schema";
    case PRIVACY_E_POLICY: return "PRIVACY_E_POLICY: invalid policy document";
    case PRIVACY_E_CARD_DATA: return "PRIVACY_E_CARD_DATA: card data refused";
    case PRIVACY_E_UNVERIFIED: return "PRIVACY_E_UNVERIFIED: identity not verified";
    case PRIVACY_E_MISUSE: return "PRIVACY_E_MISUSE: call not valid in this state";
    case PRIVACY_E_INTERNAL: return "PRIVACY_E_INTERNAL: internal error";
    case PRIVACY_E_ABORTED: return "PRIVACY_E_ABORTED: stopped by the caller's callback";
    default: return "unknown status code";
    }
}
