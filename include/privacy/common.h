/*
 * libprivacy — common definitions: version, status codes, error messages,
 * and the release of memory the library hands out.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef PRIVACY_COMMON_H
#define PRIVACY_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Symbol visibility: the shared library exports only what is marked. */
#ifndef PRIVACY_EXTERN
#  if defined(__GNUC__) || defined(__clang__)
#    define PRIVACY_EXTERN __attribute__((visibility("default")))
#  else
#    define PRIVACY_EXTERN
#  endif
#endif

/* Fallible calls: ignoring their result is a bug the compiler should name. */
#ifndef PRIVACY_WUR
#  if defined(__GNUC__) || defined(__clang__)
#    define PRIVACY_WUR __attribute__((warn_unused_result))
#  else
#    define PRIVACY_WUR
#  endif
#endif

/** The library's version, for callers that cannot read macros (FFI). */
enum {
    PRIVACY_VERSION_MAJOR = 0,
    PRIVACY_VERSION_MINOR = 1,
    PRIVACY_VERSION_PATCH = 0
};

/** The same version as a string, for C callers only. */
#define PRIVACY_VERSION_STRING "0.1.0"

/**
 * Status codes. Every fallible call returns PRIVACY_OK (0) or one of the
 * negative codes below. Values are never renumbered; new codes are appended.
 */
enum {
    PRIVACY_OK = 0,
    PRIVACY_E_INVALID = -1,     /**< an argument is NULL, empty, too long or malformed */
    PRIVACY_E_NOMEM = -2,       /**< an allocation failed; nothing was changed */
    PRIVACY_E_NOT_FOUND = -3,   /**< the record, subject or key does not exist */
    PRIVACY_E_EXISTS = -4,      /**< the thing to create exists already */
    PRIVACY_E_DENIED = -5,      /**< the policy refuses this role, purpose or recipient */
    PRIVACY_E_NO_CONSENT = -6,  /**< no consent or lawful basis on record */
    PRIVACY_E_CRYPTO = -7,      /**< decryption or authentication failed, or a wrong key */
    PRIVACY_E_INTEGRITY = -8,   /**< stored data was altered outside the library */
    PRIVACY_E_EXPIRED = -9,     /**< a token, request or record has expired */
    PRIVACY_E_REVOKED = -10,    /**< a token or consent was revoked */
    PRIVACY_E_STORAGE = -11,    /**< the storage backend failed */
    PRIVACY_E_BUSY = -12,       /**< storage is locked or the retry budget ran out; retry later */
    PRIVACY_E_VERSION = -13,    /**< a version or schema this library does not support */
    PRIVACY_E_POLICY = -14,     /**< the policy document is invalid */
    PRIVACY_E_CARD_DATA = -15,  /**< card data where none is allowed, or an invalid card */
    PRIVACY_E_UNVERIFIED = -16, /**< the requester's identity is not verified */
    PRIVACY_E_MISUSE = -17,     /**< the call is not valid in this state (after fork, no transaction, ...) */
    PRIVACY_E_INTERNAL = -18,   /**< a bug in libprivacy: please report it */
    PRIVACY_E_ABORTED = -19     /**< the caller's callback stopped the call; it can be resumed */
};

/** Largest length, including the terminating NUL, of an error message. */
enum { PRIVACY_ERRMSG_MAX = 256 };

/** Opaque handles. */
typedef struct privacy_ctx privacy_ctx;
typedef struct privacy_config privacy_config;

/**
 * privacy_version - the library's version string, "MAJOR.MINOR.PATCH".
 *
 * Returns a static string; never NULL. Thread-safe.
 */
PRIVACY_EXTERN const char *privacy_version(void);

/**
 * privacy_strerror - the name and a short description of a status code.
 *
 * @code: a PRIVACY_OK or PRIVACY_E_* value.
 *
 * Returns a static string such as "PRIVACY_E_DENIED: refused by policy";
 * for an unknown code, "unknown status code". Never NULL. Thread-safe.
 */
PRIVACY_EXTERN const char *privacy_strerror(int code);

/**
 * privacy_errmsg - what went wrong in the most recent call.
 *
 * @ctx: the context whose most recent call is described, or NULL to read
 *       the calling thread's message about calls that have no context
 *       (privacy_config_* and a failed privacy_open).
 *
 * Every call that takes a context resets its message on entry, so the
 * message is empty ("") after a success. A message names the rule, the
 * argument or the record's collection, never personal data, key material
 * or card digits. The string belongs to the library and stays valid until
 * the next call on the same context (or, for NULL, in the same thread).
 * Never NULL. Never allocates, so it works after PRIVACY_E_NOMEM.
 */
PRIVACY_EXTERN const char *privacy_errmsg(const privacy_ctx *ctx);

/**
 * privacy_free - release memory the library returned to the caller.
 *
 * @p: memory returned by a libprivacy call, or NULL (then nothing happens).
 *
 * The memory is wiped before it is released. Use only on memory that a
 * libprivacy call documents as "release with privacy_free()".
 */
PRIVACY_EXTERN void privacy_free(void *p);

#ifdef __cplusplus
}
#endif

#endif /* PRIVACY_COMMON_H */
