/* A policy document as the parser read it: structurally valid (closed keys,
 * right types, identifiers well formed, enum words known) but not yet
 * checked across sections. compile.c checks the rest and builds the
 * decision tables from it. Lists keep document order, so an index here is
 * the index in the JSON path of a message. */
#ifndef PRV_POLICY_MODEL_H
#define PRV_POLICY_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

/* A NUL-terminated string in the model's pool. */
typedef struct prv_mstr {
    uint32_t off;
    uint32_t len;
} prv_mstr;

/* A run of consecutive entries of the model's refs. */
typedef struct prv_mlist {
    uint32_t first;
    uint32_t count;
} prv_mlist;

typedef struct prv_mpurpose {
    prv_mstr id;
    int basis; /* enum prv_basis */
    int kind;  /* enum prv_kind */
    int32_t retention_days;
} prv_mpurpose;

typedef struct prv_mcategory {
    prv_mstr id;
    int cls; /* enum prv_class, from the id */
    prv_mlist purposes;
} prv_mcategory;

typedef struct prv_mgrant {
    unsigned actions; /* bit set of enum prv_action; 0: "actions" was empty */
    prv_mlist categories;
    prv_mlist purposes;
} prv_mgrant;

typedef struct prv_mrole {
    prv_mstr id;
    uint32_t first_grant;
    uint32_t n_grants;
} prv_mrole;

typedef struct prv_mrecipient {
    prv_mstr id;
    int type; /* enum prv_recipient_type */
    prv_mlist purposes;
} prv_mrecipient;

typedef struct prv_mcookie {
    prv_mstr id;
    int necessary;
    prv_mstr purpose;
} prv_mcookie;

typedef struct prv_policy_model {
    char *pool;
    size_t pool_len, pool_cap;
    prv_mstr *refs; /* the entries of every list of references */
    size_t n_refs, refs_cap;
    prv_mpurpose *purposes;
    size_t n_purposes, purposes_cap;
    prv_mcategory *categories;
    size_t n_categories, categories_cap;
    prv_mrole *roles;
    size_t n_roles, roles_cap;
    prv_mgrant *grants;
    size_t n_grants, grants_cap;
    prv_mrecipient *recipients;
    size_t n_recipients, recipients_cap;
    prv_mcookie *cookies;
    size_t n_cookies, cookies_cap;
} prv_policy_model;

/* Parses a document into m (zeroed by the caller). On failure err holds
 * the first error with its path; m may hold a partial model either way,
 * and prv_policy_model_clear releases it. */
int prv_policy_parse(prv_policy_model *m, const char *json, size_t len, prv_err *err);
void prv_policy_model_clear(prv_policy_model *m);

static inline const char *prv_mstr_get(const prv_policy_model *m, prv_mstr s)
{
    return m->pool + s.off;
}

#endif
