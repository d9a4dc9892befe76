/* A compiled policy: the decision tables privacy_policy_check() reads.
 * Built once by compile.c, then only read, so a context's decisions need
 * no locks and no allocation. Every table is indexed by an entity's
 * position in its section of the document, which is also the index in
 * the policy path a message names. */
#ifndef PRV_POLICY_COMPILED_H
#define PRV_POLICY_COMPILED_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "policy.h"

typedef struct prv_pname {
    const char *s;
    uint32_t len;
} prv_pname;

/* Names of one section, and a hash index over them: open addressing with
 * linear probing, slots[i] = position + 1, 0 for an empty slot; at least
 * half the slots stay empty, so a probe for an unknown name ends soon. */
typedef struct prv_pindex {
    const prv_pname *names; /* in document order */
    const uint16_t *slots;
    uint32_t n;
    uint32_t mask; /* slot count - 1; the count is a power of two */
} prv_pindex;

enum prv_section {
    PRV_SEC_PURPOSES,
    PRV_SEC_CATEGORIES,
    PRV_SEC_ROLES,
    PRV_SEC_RECIPIENTS,
    PRV_SEC_COOKIES,
    PRV_SEC_COUNT
};

struct prv_policy {
    prv_pindex index[PRV_SEC_COUNT];
    /* [category]: the purposes it is collected for, one bit per purpose (R2). */
    uint64_t *collected;
    /* [(role * PRV_ACTION_COUNT + action) * n_categories + category]: the
     * purposes the role's grants cover for that action and category (R20). */
    uint64_t *grants;
    /* [recipient]: the purposes it is declared for (R4). */
    uint64_t *served;
    uint8_t *purpose_basis;     /* [purpose]: enum prv_basis */
    uint8_t *purpose_kind;      /* [purpose]: enum prv_kind */
    int32_t *retention_days;    /* [purpose] */
    uint8_t *recipient_type;    /* [recipient]: enum prv_recipient_type */
    uint8_t *cookie_necessary;  /* [cookie]: 1 for strictly necessary (R11) */
    uint8_t *cookie_purpose;    /* [cookie]: a purpose position */
};

/* FNV-1a, one byte at a time: names are short, and the caller's strings
 * are NUL-terminated, so their length is only known by walking them. */
#define PRV_POLICY_HASH_INIT UINT32_C(2166136261)

static inline uint32_t prv_policy_hash_step(uint32_t h, unsigned char c)
{
    return (h ^ c) * 16777619u;
}

/* The position of the name s (len bytes, hash h) in ix, or -1. */
static inline int prv_pindex_find(const prv_pindex *ix, const char *s, size_t len, uint32_t h)
{
    for (uint32_t i = h & ix->mask;; i = (i + 1) & ix->mask) {
        uint16_t e = ix->slots[i];
        if (e == 0)
            return -1;
        const prv_pname *nm = &ix->names[e - 1];
        if (nm->len == len && memcmp(nm->s, s, len) == 0)
            return e - 1;
    }
}

#endif
