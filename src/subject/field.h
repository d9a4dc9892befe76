/* A subject's field record (docs/subjects.md): collection "field", id
 * "<subject>.<category>", body
 *
 *   "PFD1" | purpose count u8 | count x (length u8 | purpose) | envelope
 *
 * sealed for integrity; the envelope (docs/envelope.md) binds the value to
 * the subject, the collection, the record id and the category. */
#ifndef PRV_SUBJECT_FIELD_H
#define PRV_SUBJECT_FIELD_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "core/id.h"
#include "privacy/policy.h"
#include "privacy/subject.h"

#define PRV_SUBJECT_COLLECTION "subject"
#define PRV_FIELD_COLLECTION "field"
#define PRV_EMAIL_CATEGORY "contact.email"

enum {
    PRV_FIELD_PURPOSES_MAX = 16,
    PRV_FIELD_ID_SIZE = PRV_ID_SIZE + 1 + PRIVACY_POLICY_ID_MAX + 1
};

struct privacy_ctx;

/* Checks a category and its purposes against the policy's names (R2: a
 * value names what it is collected for). */
int prv_field_check_purposes(struct privacy_ctx *ctx, const char *fn, const char *category,
                             const char *const *purposes, size_t n_purposes);
/* The record id of a subject's field: "<subject>.<category>". */
void prv_field_record_id(char rid[PRV_FIELD_ID_SIZE], const char *subject, const char *category);
/* Both: checks, then writes the record id. */
int prv_field_check(struct privacy_ctx *ctx, const char *fn, const char *category,
                    const char *const *purposes, size_t n_purposes,
                    char rid[PRV_FIELD_ID_SIZE], const char *subject);

/* Encrypts the value and builds the body (prv_malloc). */
int prv_field_encode(const uint8_t *key, uint32_t version, const char *subject, const char *rid,
                     const char *category, const char *const *purposes, size_t n_purposes,
                     const char *value, size_t len, uint8_t **body, size_t *blen, prv_err *err);

/* A parsed body: the purposes and the envelope point into it. */
typedef struct prv_field_view {
    const uint8_t *purpose[PRV_FIELD_PURPOSES_MAX];
    size_t purpose_len[PRV_FIELD_PURPOSES_MAX];
    size_t n_purposes;
    const uint8_t *blob;
    size_t blob_len;
} prv_field_view;

int prv_field_decode(const uint8_t *body, size_t len, prv_field_view *view);
/* R2: 1 if the value was collected for purpose. */
int prv_field_collected_for(const prv_field_view *view, const char *purpose);
/* Decrypts the value into a NUL-terminated prv_malloc string. */
int prv_field_open(const uint8_t *key, uint32_t version, const char *subject, const char *rid,
                   const char *category, const prv_field_view *view, char **value, size_t *len,
                   prv_err *err);

#endif
