/* One audit entry: its fields, its byte format and its MAC (docs/audit.md).
 * Entries hold ids, roles, purposes, actions and outcomes — never PII. */
#ifndef PRV_AUDIT_ENTRY_H
#define PRV_AUDIT_ENTRY_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "core/id.h"
#include "privacy/backend.h"

#define PRV_AUDIT_COLLECTION "audit"
#define PRV_AUDIT_FOLD_COLLECTION "audit_fold"
#define PRV_AUDIT_CLOSE_ACTION "chain.close"
/* Recorded in place of a name the policy does not know. */
#define PRV_AUDIT_UNKNOWN "?"

/* The text fields of an entry, in their order in the format. */
enum prv_audit_field {
    PRV_AF_ACTOR,
    PRV_AF_ROLE,
    PRV_AF_ACTION,
    PRV_AF_CATEGORY,
    PRV_AF_PURPOSE,
    PRV_AF_RECIPIENT,
    PRV_AF_SUBJECT,
    PRV_AF_OBJECT,
    PRV_AF_COUNT
};

enum {
    PRV_AUDIT_FIELD_MAX = PRIVACY_RECORD_ID_MAX, /* bytes in one text field */
    PRV_AUDIT_MAC = 32,
    /* record id: chain id ':' 16 hex digits of the sequence number */
    PRV_AUDIT_ID_SIZE = PRV_ID_SIZE + 1 + 16,
    PRV_AUDIT_BODY_MAX = 4 + 1 + PRV_ID_SIZE + 8 + 8 + 4 + PRV_AF_COUNT * (1 + PRV_AUDIT_FIELD_MAX) +
                         8 + 3 * PRV_AUDIT_MAC
};

typedef struct prv_audit_entry {
    char chain[PRV_ID_SIZE];
    uint64_t seq;
    int64_t time;
    int32_t outcome; /* PRIVACY_OK or the PRIVACY_E_* the access ended with */
    const char *field[PRV_AF_COUNT]; /* NULL: absent */
    size_t field_len[PRV_AF_COUNT];
    uint64_t fold_index; /* close entries: the fold step they made; else 0 */
    uint8_t fold[PRV_AUDIT_MAC];
    uint8_t prev[PRV_AUDIT_MAC];
    uint8_t mac[PRV_AUDIT_MAC];
} prv_audit_entry;

/* 1 if s is a valid field value: 1..PRV_AUDIT_FIELD_MAX printable ASCII
 * bytes without spaces (ids and names, so never free text). */
int prv_audit_field_ok(const char *s);

/* The MAC a chain's first entry chains from. */
void prv_audit_genesis(const unsigned char *key, const char *chain, uint8_t out[PRV_AUDIT_MAC]);
/* Serialises e and computes its MAC into e->mac; returns the body length.
 * Afterwards e's fields point into body. */
size_t prv_audit_encode(prv_audit_entry *e, const unsigned char *key,
                        uint8_t body[PRV_AUDIT_BODY_MAX]);
/* Parses a body; fields point into it. PRIVACY_E_INTEGRITY if malformed. */
int prv_audit_decode(const uint8_t *body, size_t len, prv_audit_entry *e);
/* 1 if e->mac is right for the body it was decoded from. */
int prv_audit_mac_ok(const unsigned char *key, const uint8_t *body, size_t len);
/* The record id of (chain, seq). */
void prv_audit_record_id(char out[PRV_AUDIT_ID_SIZE], const char *chain, uint64_t seq);
/* The record that carries an encoded entry. */
privacy_record prv_audit_record(const prv_audit_entry *e, const char *id, const uint8_t *body,
                                size_t len);

#endif
