/* Error messages: one fixed buffer per context, one per thread for calls
 * that have no context. Never allocates. */
#ifndef PRV_CORE_ERROR_H
#define PRV_CORE_ERROR_H

#include "privacy/common.h"

typedef struct prv_err {
    char msg[PRIVACY_ERRMSG_MAX];
} prv_err;

#if defined(__GNUC__) || defined(__clang__)
#define PRV_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define PRV_PRINTF(f, a)
#endif

/* Writes the message (truncated to fit) and returns code, so callers can
 * `return prv_err_set(err, PRIVACY_E_INVALID, "...")`. */
int prv_err_set(prv_err *err, int code, const char *fmt, ...) PRV_PRINTF(3, 4);
void prv_err_clear(prv_err *err);
/* Copies a message from a string (a backend's errmsg) with a prefix. */
int prv_err_from(prv_err *err, int code, const char *prefix, const char *msg);
/* The calling thread's buffer for calls without a context. */
prv_err *prv_err_tls(void);

#endif
