#ifndef PRV_SUBJECT_SHRED_H
#define PRV_SUBJECT_SHRED_H

#include <stdint.h>

#include "privacy/audit.h"

/* Destroys the subject's data key (crypto-shredding), recorded in the
 * audit log. *horizon (if not NULL): the time after which no keystore
 * backup holds the key any more — now plus the configured keystore backup
 * retention (privacy_config_set_keystore_backup_retention).
 * PRIVACY_E_NOT_FOUND (recorded as such) when there is no key to destroy:
 * never made, or shredded before. */
int prv_subject_shred(privacy_ctx *ctx, const privacy_actor *actor, const char *subject,
                      int64_t *horizon);

#endif
