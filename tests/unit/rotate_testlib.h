/* Shared by the rotation suite's files (test_rotate.c registers the tests
 * of rotate_index.c; rotate_testlib.c holds these helpers): a store of
 * subjects under a first root key, contexts opened with chosen root keys,
 * and views of the stored keys. */
#ifndef ROTATE_TESTLIB_H
#define ROTATE_TESTLIB_H

#include <check.h>
#include <stdint.h>

#include "crypto/keystore.h"
#include "testutil.h"

enum { N_SUBJECTS = 10, TOTAL_KEYS = PRV_KEY_COUNT + N_SUBJECTS };

extern tu_store S;
/* Random root keys, new for each test: K[0] the old, K[1] the new, K[2]
 * an unrelated one; and their ids as stored in key records. */
extern uint8_t K[3][32];
extern char kek_id[3][PRIVACY_KEY_ID_MAX + 1];
/* The subjects rt_populate made. */
extern char *sub[N_SUBJECTS];

void rt_setup(void);
void rt_teardown(void);
/* Opens S with the root keys K[keys[0]], ..., K[keys[n-1]] (the last is
 * primary), the keys in keystore_uri if not NULL, through be if not NULL. */
int rt_open(privacy_ctx **ctx, const int *keys, int n, const char *keystore_uri,
            const privacy_backend *be);
/* N_SUBJECTS subjects with a name and an email, all under K[0]. */
void rt_populate(const char *keystore_uri);
void rt_email(char out[64], int i);
/* Every subject's name reads back and every email finds its subject. */
void rt_check_reads(privacy_ctx *ctx);

/* Which root key wrapped the key records of a store: by[i] for K[i];
 * fails the test on any record no K[i] wrapped or a malformed one. */
typedef struct {
    int by[3], other, malformed;
} wrap_tally;
wrap_tally rt_wraps(const tu_store *s);

/* The audit entries with action "keys.rotate": how many, and the last
 * one's outcome and object. */
typedef struct {
    int n;
    int outcome;
    char object[PRIVACY_RECORD_ID_MAX + 1];
} rt_rotate_entries;
rt_rotate_entries rt_entries(privacy_ctx *ctx);

/* Adds the tests of rotate_index.c. */
void rt_add_index_tests(TCase *tc);

#endif
