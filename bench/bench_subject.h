/* Shared declarations of the subject benchmarks: bench_subject.c (the
 * figures on SQLite and main), bench_pg_subject.c (subject_get and
 * subject_set on PostgreSQL), bench_subject_store.c (the store building
 * and copying, and the raw baseline's byte formats) and
 * bench_subject_rw.c (subject_get and subject_set on either backend). */
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

/* Builds n subjects into the new store at the storage URI (a file, a
 * schema), each with a contact.email (bs_email_of(i)) and, with
 * addresses, a contact.shipping_address (bs_address_of(i)), collected for
 * billing, BUILD_TX subjects per transaction (privacy_begin ..
 * privacy_commit), through a context of its own, closed at the end.
 * Says on stderr how long it took; returns the subjects' ids (free them). */
bench_id *bs_build_store(const char *uri, const uint8_t *root, size_t n, int addresses);

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
/* The check of the counts: no entries verified in ours, nr in raw. */
void bs_check_log_counts(const char *ours, uint64_t no, const char *raw, uint64_t nr);

/* ---- subject_get and subject_set, on either backend (bench_subject_rw.c) ---- */

/* A subject of the working set. */
typedef struct bs_work {
    bench_id id;
    char value[VALUE_CAP]; /* its shipping address now, on both sides */
    /* The baseline's key cache: the data key, and the wrapped record it
     * was unwrapped from. */
    uint8_t dek[32];
    uint32_t dek_version;
    uint8_t wrapped[WRAPPED_CAP];
    size_t wrapped_len;
} bs_work;

/* An operation of a round, planned untimed. */
typedef struct bs_op {
    size_t who;            /* index into work */
    char value[VALUE_CAP]; /* what a set writes */
    int64_t time;          /* of the baseline's row and entry */
    char audit_id[PRV_AUDIT_ID_SIZE];
    size_t audit_len;
    uint8_t audit_body[PRV_AUDIT_BODY_MAX];
} bs_op;

/* The two figures: the library through a context on one copy of the
 * store, the baseline through its storage calls (raw) on the other. */
typedef struct bs_sg {
    privacy_config *cfg;
    privacy_ctx *ctx;
    privacy_actor *actor;
    bench_raw_ops raw;
    bs_raw_keys keys;
    uint8_t audit_key[32]; /* a copy, for the log checks after the context */
    bench_audit_chain chain; /* the baseline's */
    int64_t clock;
    bs_work *work;
    bs_op *plan;
    int sets;     /* the plan is of sets: apply its values after the round */
    uint64_t ops; /* calls made on each side */
    unsigned sink;
} bs_sg;

/* Opens the library's context on the storage URI (its copy of the store)
 * with the root key, and takes the baseline's keys from it. The caller
 * then sets raw (the baseline's storage calls on the other copy) and
 * calls bs_sg_pick_work. */
bs_sg *bs_sg_open(const char *uri, const uint8_t *root);
/* The working set: WORK of the n subjects ids, each with its data key in
 * a slot of the context's key cache of its own, warm; the baseline's own
 * cache gets the same keys, read and unwrapped through raw and checked
 * against the library's. */
void bs_sg_pick_work(bs_sg *s, bench_id *ids, size_t n);
/* Runs the figures get_name, then set_name, against baseline. */
void bs_sg_run(bs_sg *s, const char *get_name, const char *set_name, const char *baseline);
/* Closes the library's context (the baseline's storage is the caller's). */
void bs_sg_close_ctx(bs_sg *s);
/* Reads every working subject's value through the public API from the
 * store at the storage URI (a context of its own; where names it in a
 * failure): the values each side wrote, in the library's format. */
void bs_sg_check_values(const bs_sg *s, const char *uri, const uint8_t *root, const char *where);
void bs_sg_free(bs_sg *s);

#endif
