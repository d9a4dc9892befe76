/* Root-key rotation as the library's callers see it: checks, the engine
 * (crypto/rewrap.c), and the audit entry. */
#ifndef PRV_KEYS_ROTATE_H
#define PRV_KEYS_ROTATE_H

#include "core/context.h"
#include "crypto/rewrap.h"

/* privacy_keys_rotate() with other batch and window sizes (tests). */
int prv_keys_rotate(privacy_ctx *ctx, privacy_rotate_cb progress_cb, void *userdata,
                    const prv_rewrap_limits *limits);

#endif
