/* Error messages: one fixed buffer per context, one per thread for calls
 * that have no context. Never allocates. */
#ifndef PRV_CORE_ERROR_H
#define PRV_CORE_ERROR_H

#include "privacy/common.h"

/* A message may also be recorded lazily: a hot path that refuses (a policy
 * denial) stores a renderer and a few bytes instead of formatting, and the
 * text is written into msg when it is read (prv_err_msg). msg is then only
 * a cache of the message, so rendering it into a const context is not a
 * change of the context. */
typedef void (*prv_err_render_fn)(char *buf, size_t len, const void *ptr, uint64_t word);

typedef struct prv_err {
    char msg[PRIVACY_ERRMSG_MAX];
    prv_err_render_fn render; /* non-NULL: msg is not written yet */
    const void *render_ptr;   /* must outlive the message (until the next call) */
    uint64_t render_word;
} prv_err;

#if defined(__GNUC__) || defined(__clang__)
#define PRV_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define PRV_PRINTF(f, a)
#endif

/* 1 if rc is PRIVACY_OK or one of the PRIVACY_E_* codes (a plug-in may
 * return anything: what is not a status code is a broken plug-in). */
static inline int prv_is_status(int rc)
{
    return rc <= PRIVACY_OK && rc >= PRIVACY_E_ABORTED;
}

/* Writes the message (truncated to fit) and returns code, so callers can
 * `return prv_err_set(err, PRIVACY_E_INVALID, "...")`. */
int prv_err_set(prv_err *err, int code, const char *fmt, ...) PRV_PRINTF(3, 4);
void prv_err_clear(prv_err *err);
/* Copies a message from a string (a backend's errmsg) with a prefix. */
int prv_err_from(prv_err *err, int code, const char *prefix, const char *msg);
/* Records a message to be rendered by fn(msg, size, ptr, word) when read. */
int prv_err_set_lazy(prv_err *err, int code, prv_err_render_fn fn, const void *ptr,
                     uint64_t word);
/* The message, rendered first if it was recorded lazily. Read messages
 * through this, not err->msg. */
const char *prv_err_msg(prv_err *err);
/* The calling thread's buffer for calls without a context. */
prv_err *prv_err_tls(void);

#endif
