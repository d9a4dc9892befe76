/* Shared declarations of the subject benchmarks: bench_subject.c (the
 * figures and main) and bench_subject_store.c (the store building and
 * copying, and the raw baseline's byte formats). */
#ifndef PRV_BENCH_SUBJECT_H
#define PRV_BENCH_SUBJECT_H

#include <stddef.h>
#include <stdint.h>

#include "bench.h"
#include "crypto/blind.h"
#include "crypto/keystore.h"
#include "privacy/privacy.h"
#include "subject/email.h"
#include "subject/field.h"

enum {
    ROUNDS = 7, /* timed rounds per figure, plus one warm-up */

    /* blind_index: pure CPU */
    BLIND_STEPS = 16,
    BLIND_PER_STEP = 10000,
    NADDR = 4096, /* distinct addresses, cycled through */

    /* subject_get, subject_set */
    SG_SUBJECTS = 20000, /* subjects in the store */
    WORK = 256,          /* the subjects read and written: distinct cache slots */
    OP_STEPS = 20,       /* steps per side per round */
    OPS_PER_STEP = 25,   /* calls (transactions) per step */

    /* find_by_email_<n> */
    FIND_ROUTINE = 100000,
    FIND_FULL = 1000000,
    FIND_STEPS = 20,
    FINDS_PER_STEP = 50,

    BUILD_TX = 10000, /* subjects per transaction while building a store */
    VALUE_CAP = 128,
    EMAIL_CAP = 96,
    WRAPPED_CAP = 256,
    BODY_CAP = 1024,
    AD_CAP = 512,
    PREFIX_CAP = 96,
};

#define CATEGORY "contact.shipping_address"
#define PURPOSE "billing"
#define ROLE "billing"
#define ACTOR "staff-0042"
#define BUILDER "svc-shop"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ---- the keys, taken from the timed context (the copy has the same) ---- */

typedef struct bs_raw_keys {
    const uint8_t *root; /* the raw root key */
    const unsigned char *integrity, *audit, *blind;
    uint32_t integrity_version, blind_version;
    uint8_t keyset[PRV_KEYSET_BYTES];
    /* The blind index's fixed input: lp(label) | lp(collection) | lp(field). */
    uint8_t prefix[PREFIX_CAP];
    size_t prefix_len;
} bs_raw_keys;

void bs_put_be(uint8_t *p, uint64_t v, int n);

uint64_t bs_get_be(const uint8_t *p, int n);

/* A field's record id: "<subject>.<category>". */
void bs_make_rid(char rid[PRV_FIELD_ID_SIZE], const char *subject, const char *category);

/* Subject i's address, in its normal form already (lower-case ASCII),
 * unique by i. */
size_t bs_email_of(size_t i, char out[EMAIL_CAP]);

/* A shipping address made from seed (UTF-8, 25 to 45 bytes). */
void bs_address_of(uint32_t seed, char out[VALUE_CAP]);

void bs_raw_keys_from(bs_raw_keys *k, privacy_ctx *ctx, const uint8_t *root);

/* The blind index: version byte | keyed BLAKE2b-256 over the input bytes. */
void bs_raw_blind(const bs_raw_keys *k, const char *v, size_t len, uint8_t out[PRV_BLIND_BYTES]);

/* The record seal's MAC over every field of the row (docs/subjects.md:
 * length-prefixed, a flag before each optional field). */
void bs_raw_seal_mac(const bs_raw_keys *k, const char *collection, const char *id,
                     const char *subject, int64_t created, int64_t expires,
                     const uint8_t *body, size_t blen, uint8_t mac[32]);

/* Seals v (no padding) at out; returns the blob's length. */
size_t bs_raw_envelope_seal(const uint8_t *dek, uint32_t version, const char *subject,
                            const char *rid, const char *category, const char *v,
                            size_t len, uint8_t *out);

/* Opens a blob into pt (at least len bytes); returns the value's length,
 * and dies if it does not open. */
size_t bs_raw_envelope_open(const uint8_t *dek, uint32_t version, const char *subject,
                            const char *rid, const char *category, const uint8_t *blob,
                            size_t len, uint8_t *pt);

/* Unwraps a subject's "PKY1" key record (docs/keys.md) under the root key:
 * XChaCha20-Poly1305 with the record's associated data. */
void bs_raw_unwrap(const bs_raw_keys *k, const char *subject, const uint8_t *b, size_t len,
                   uint8_t dek[32], uint32_t *version);

/* Where the envelope starts in a field body "PFD1" | n | n x (len |
 * purpose) | envelope. */
size_t bs_field_blob_at(const uint8_t *b, size_t len);

privacy_actor *bs_new_actor(privacy_ctx *ctx, const char *id);

/* Builds n subjects into the new file at path, each with a contact.email
 * (bs_email_of(i)) and, with addresses, a contact.shipping_address
 * (bs_address_of(i)), collected for billing, BUILD_TX subjects per
 * transaction (privacy_begin .. privacy_commit); then closes the context.
 * Writes the subjects' ids into ids and returns the seconds it took. */
double bs_build_store(const char *path, const uint8_t *root, size_t n, int addresses,
                      bench_id *ids);

/* The two files of a figure: two copies of the store just built, which is
 * then removed, so that both files have the same history. (The library
 * on the built file and the baseline on a copy of it made the library
 * look 3-7% faster than the baseline, and the other way round 10-20%
 * slower: the file that was copied is the faster one to work on.) */
void bs_make_copies(const char *dir, const char *built, const char *ours, const char *raw);

/* The time of the baseline's next audit entry: real time, never going back. */
int64_t bs_next_time(int64_t *clock);

/* Checks that both files' audit logs verify, and that ours holds exactly
 * one entry more (the close entry of its timed context's chain). */
void bs_check_logs(const char *dir, const char *ours, const char *raw,
                   const uint8_t audit_key[32]);

#endif
