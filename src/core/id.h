/* Text identifiers: a type prefix, '_', and 128 random bits as 32 lowercase
 * hex digits ("sub_3f2a..."). They carry no personal data. */
#ifndef PRV_CORE_ID_H
#define PRV_CORE_ID_H

#include <stddef.h>

enum {
    PRV_ID_PREFIX_MAX = 8,
    PRV_ID_RANDOM_BYTES = 16,
    /* prefix + '_' + hex + NUL */
    PRV_ID_SIZE = PRV_ID_PREFIX_MAX + 1 + 2 * PRV_ID_RANDOM_BYTES + 1
};

/* Writes a new id with the given prefix (1..8 lowercase letters) into out,
 * which holds PRV_ID_SIZE bytes. Returns PRIVACY_OK or PRIVACY_E_INVALID. */
int prv_id_new(char out[PRV_ID_SIZE], const char *prefix);
/* 1 if id is a well-formed id with this prefix (any prefix if NULL). */
int prv_id_valid(const char *id, const char *prefix);

#endif
