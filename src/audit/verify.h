#ifndef PRV_AUDIT_VERIFY_H
#define PRV_AUDIT_VERIFY_H

#include <stdint.h>

#include "core/error.h"
#include "entry.h"
#include "store/store.h"

/* Verifies the whole log (and, if checkpoint is not NULL, that nothing it
 * covered is gone); names the first bad entry. *entries: how many were
 * checked. */
int prv_audit_verify(prv_store *st, const unsigned char *audit_key, const char *checkpoint,
                     uint64_t *entries, prv_err *err);
/* Verifies the log and exports a checkpoint of it ("pckpt1." + hex),
 * allocated with prv_malloc. */
int prv_audit_checkpoint(prv_store *st, const unsigned char *audit_key, char **out, prv_err *err);

/* Visits a subject's entries in time order, each checked against its MAC
 * (an access export must not repeat a forged entry). */
typedef int (*prv_audit_entry_cb)(void *userdata, const prv_audit_entry *entry);
int prv_audit_list_subject(prv_store *st, const unsigned char *audit_key, const char *subject_id,
                           prv_audit_entry_cb cb, void *userdata, prv_err *err);

#endif
