/* Working keys. Each is random (never derived from the root key or from
 * ids), has a version, and is stored only wrapped by a root key, in a
 * record of the collection "keys" (docs/keys.md):
 *
 *   "PWK1" | purpose u8 | key version u32 | key set (16) |
 *   root key version u32 | root key id length u8 | root key id |
 *   wrapped length u16 | wrapped                       (big-endian)
 *
 * The wrap binds, as associated data, "libprivacy/working-key/v1\0" | key
 * set | purpose | key version | id length | root key id | root key version,
 * so a wrapped key moved to another purpose, version or store does not
 * unwrap. The key set is a random id given to a store's keys when they are
 * made; the data store records it (the marker), so an empty or foreign
 * keystore is told from a new one. */
#include "keystore.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/bytes.h"

static const char *const purpose_name[PRV_KEY_COUNT] = {
    [PRV_KEY_BLIND_INDEX] = "blind_index", [PRV_KEY_COOKIE] = "cookie",
    [PRV_KEY_AUDIT] = "audit",             [PRV_KEY_SUPPRESSION] = "suppression",
    [PRV_KEY_INTEGRITY] = "integrity",
};

static const char AD_LABEL[] = "libprivacy/working-key/v1";
static const char MARKER_ID[] = "marker";

enum {
    OFF_PURPOSE = 4,
    OFF_VERSION = 5,
    OFF_KEYSET = 9,
    OFF_KEK_VERSION = OFF_KEYSET + PRV_KEYSET_BYTES,
    OFF_KEK_IDLEN = OFF_KEK_VERSION + 4,
    HEADER_FIXED = OFF_KEK_IDLEN + 1,
    RECORD_MAX = HEADER_FIXED + PRIVACY_KEY_ID_MAX + 2 + PRIVACY_WRAPPED_MAX,
    AD_MAX = sizeof AD_LABEL + PRV_KEYSET_BYTES + 1 + 4 + 1 + PRIVACY_KEY_ID_MAX + 4
};

struct prv_keystore {
    prv_keks keks;
    unsigned char *keys;              /* guarded: PRV_KEY_COUNT keys */
    uint32_t version[PRV_KEY_COUNT];  /* 0: not loaded */
    uint8_t keyset[PRV_KEYSET_BYTES]; /* the new set's id, then the loaded one */
    uint8_t *prepared[PRV_KEY_COUNT]; /* record bodies of the new keys */
    size_t prepared_len[PRV_KEY_COUNT];
};

static size_t make_ad(uint8_t ad[AD_MAX], const uint8_t keyset[PRV_KEYSET_BYTES],
                      unsigned purpose, uint32_t version, const char *kek_id,
                      uint32_t kek_version)
{
    size_t idlen = strlen(kek_id), n = sizeof AD_LABEL; /* with its NUL */
    memcpy(ad, AD_LABEL, sizeof AD_LABEL);
    memcpy(ad + n, keyset, PRV_KEYSET_BYTES);
    n += PRV_KEYSET_BYTES;
    ad[n++] = (uint8_t)purpose;
    prv_put_be(ad + n, version, 4);
    n += 4;
    ad[n++] = (uint8_t)idlen;
    memcpy(ad + n, kek_id, idlen);
    n += idlen;
    prv_put_be(ad + n, kek_version, 4);
    return n + 4;
}

static void record_id(char out[32], unsigned purpose, uint32_t version)
{
    snprintf(out, 32, "wk.%s.%lu", purpose_name[purpose], (unsigned long)version);
}

/* Wraps the key in slot purpose (version 1) into a record body. */
static int prepare_one(prv_keystore *ks, unsigned purpose, prv_err *err)
{
    const prv_kek *kek = prv_keks_primary(&ks->keks);
    uint8_t ad[AD_MAX];
    size_t ad_len = make_ad(ad, ks->keyset, purpose, 1, kek->id, kek->version);
    uint8_t *wrapped = NULL;
    size_t wlen = 0;
    int rc = prv_kek_wrap(kek, ad, ad_len, ks->keys + purpose * PRV_WORKING_KEY_BYTES,
                          PRV_WORKING_KEY_BYTES, &wrapped, &wlen, err);
    if (rc != PRIVACY_OK)
        return rc;
    size_t idlen = strlen(kek->id);
    size_t n = HEADER_FIXED + idlen + 2 + wlen;
    uint8_t *b = prv_malloc(n);
    if (b == NULL) {
        prv_free(wrapped);
        return prv_err_set(err, PRIVACY_E_NOMEM, "keys: out of memory");
    }
    memcpy(b, "PWK1", 4);
    b[OFF_PURPOSE] = (uint8_t)purpose;
    prv_put_be(b + OFF_VERSION, 1, 4);
    memcpy(b + OFF_KEYSET, ks->keyset, PRV_KEYSET_BYTES);
    prv_put_be(b + OFF_KEK_VERSION, kek->version, 4);
    b[OFF_KEK_IDLEN] = (uint8_t)idlen;
    memcpy(b + HEADER_FIXED, kek->id, idlen);
    prv_put_be(b + HEADER_FIXED + idlen, wlen, 2);
    memcpy(b + HEADER_FIXED + idlen + 2, wrapped, wlen);
    prv_free(wrapped);
    ks->prepared[purpose] = b;
    ks->prepared_len[purpose] = n;
    return PRIVACY_OK;
}

static int prepare_all(prv_keystore *ks, prv_err *err)
{
    int rc = PRIVACY_OK;
    for (unsigned p = 0; rc == PRIVACY_OK && p < PRV_KEY_COUNT; p++)
        if (ks->prepared[p] == NULL)
            rc = prepare_one(ks, p, err);
    return rc;
}

int prv_keystore_prepare(prv_keystore **out, const prv_keks *keks, prv_err *err)
{
    prv_keystore *ks = prv_calloc(1, sizeof *ks);
    if (ks == NULL)
        return prv_err_set(err, PRIVACY_E_NOMEM, "keys: out of memory");
    int rc = prv_keks_copy(&ks->keks, keks, err);
    if (rc == PRIVACY_OK) {
        ks->keys = prv_secure_alloc(PRV_KEY_COUNT * PRV_WORKING_KEY_BYTES);
        if (ks->keys == NULL)
            rc = prv_err_set(err, PRIVACY_E_NOMEM, "keys: out of guarded memory");
    }
    if (rc == PRIVACY_OK) {
        randombytes_buf(ks->keys, PRV_KEY_COUNT * PRV_WORKING_KEY_BYTES);
        randombytes_buf(ks->keyset, sizeof ks->keyset);
    }
    /* A raw root key wraps now, so that a new store's open allocates
     * nothing once storage is touched. A keyring wraps only if the store
     * turns out to be new: it may be a remote service, not worth five
     * calls on every open. */
    if (rc == PRIVACY_OK && prv_keks_primary(&ks->keks)->key != NULL)
        rc = prepare_all(ks, err);
    if (rc != PRIVACY_OK) {
        prv_keystore_free(ks);
        return rc;
    }
    *out = ks;
    return PRIVACY_OK;
}

typedef struct {
    prv_keystore *ks;
    prv_err *err;
    int records, matched;
    int have_keyset;
    uint8_t keyset[PRV_KEYSET_BYTES]; /* the set the records belong to */
    char unmatched[32]; /* the first record no configured root key wrapped */
} load_state;

static int malformed(load_state *s, const char *id)
{
    return prv_err_set(s->err, PRIVACY_E_INTEGRITY, "keys: key record '%s' is malformed", id);
}

static int load_one(void *userdata, const privacy_record *r)
{
    load_state *s = userdata;
    const uint8_t *b = r->body;
    s->records++;
    if (r->body_len < HEADER_FIXED + 2 || r->body_len > RECORD_MAX || memcmp(b, "PWK1", 4) != 0 ||
        b[OFF_PURPOSE] >= PRV_KEY_COUNT)
        return malformed(s, r->id);
    unsigned purpose = b[OFF_PURPOSE], idlen = b[OFF_KEK_IDLEN];
    uint32_t version = (uint32_t)prv_get_be(b + OFF_VERSION, 4);
    uint32_t kek_version = (uint32_t)prv_get_be(b + OFF_KEK_VERSION, 4);
    if (idlen == 0 || idlen > PRIVACY_KEY_ID_MAX || HEADER_FIXED + idlen + 2 > r->body_len)
        return malformed(s, r->id);
    size_t wlen = (size_t)prv_get_be(b + HEADER_FIXED + idlen, 2);
    char expect_id[32];
    record_id(expect_id, purpose, version);
    if (HEADER_FIXED + idlen + 2 + wlen != r->body_len || version == 0 ||
        strcmp(expect_id, r->id) != 0)
        return malformed(s, r->id);
    if (s->have_keyset && memcmp(s->keyset, b + OFF_KEYSET, PRV_KEYSET_BYTES) != 0)
        return prv_err_set(s->err, PRIVACY_E_INTEGRITY,
                           "keys: key record '%s' belongs to another store's key set", r->id);
    memcpy(s->keyset, b + OFF_KEYSET, PRV_KEYSET_BYTES);
    s->have_keyset = 1;
    char kek_id[PRIVACY_KEY_ID_MAX + 1];
    memcpy(kek_id, b + HEADER_FIXED, idlen);
    kek_id[idlen] = '\0';
    const prv_kek *kek = prv_keks_find(&s->ks->keks, kek_id, kek_version);
    if (kek == NULL) {
        if (s->unmatched[0] == '\0')
            snprintf(s->unmatched, sizeof s->unmatched, "%s", r->id);
        return 0;
    }
    s->matched++;
    if (version <= s->ks->version[purpose])
        return 0;
    uint8_t ad[AD_MAX];
    size_t ad_len = make_ad(ad, s->keyset, purpose, version, kek->id, kek->version);
    int rc = prv_kek_unwrap(kek, ad, ad_len, b + HEADER_FIXED + idlen + 2, wlen,
                            s->ks->keys + purpose * PRV_WORKING_KEY_BYTES, PRV_WORKING_KEY_BYTES,
                            s->err);
    if (rc == PRIVACY_E_CRYPTO)
        return prv_err_set(s->err, PRIVACY_E_INTEGRITY,
                           "keys: working key '%s' does not authenticate under its root key", r->id);
    if (rc != PRIVACY_OK)
        return rc; /* a keyring that could not answer: its own message */
    s->ks->version[purpose] = version;
    return 0;
}

static int scan_keys(prv_keystore *ks, prv_store *st, load_state *s, prv_err *err)
{
    memset(s, 0, sizeof *s);
    s->ks = ks;
    s->err = err;
    return prv_store_scan(st, PRV_KEYS_COLLECTION, NULL, NULL, 0, load_one, s);
}

/* Inside one transaction: another process may have made the keys
 * meanwhile; then this one adds nothing and loads those. */
static int insert_new(prv_store *st, void *userdata)
{
    prv_keystore *ks = userdata;
    int n = 0;
    int rc = prv_store_scan(st, PRV_KEYS_COLLECTION, NULL, NULL, 0, prv_store_count_cb, &n);
    for (unsigned p = 0; rc == PRIVACY_OK && n == 0 && p < PRV_KEY_COUNT; p++) {
        char id[32];
        record_id(id, p, 1);
        privacy_record r = { .collection = PRV_KEYS_COLLECTION, .id = id,
                             .body = ks->prepared[p], .body_len = ks->prepared_len[p] };
        rc = prv_store_put(st, &r);
    }
    return rc;
}

static int check_loaded(const load_state *s, const uint8_t *expected, prv_err *err)
{
    if (s->records > 0 && s->matched == 0)
        return prv_err_set(err, PRIVACY_E_CRYPTO,
                           "R22: wrong root key: none of the %zu configured root keys wrapped"
                           " this store's keys",
                           s->ks->keks.n);
    if (s->unmatched[0] != '\0')
        return prv_err_set(err, PRIVACY_E_CRYPTO,
                           "R22: key '%s' is wrapped by a root key that is not configured",
                           s->unmatched);
    if (expected != NULL && s->records == 0)
        return prv_err_set(err, PRIVACY_E_CRYPTO,
                           "R22: the keystore holds no keys, but this store's data was written"
                           " under keys it recorded: wrong keystore, or its keys were deleted");
    if (expected != NULL && memcmp(expected, s->keyset, PRV_KEYSET_BYTES) != 0)
        return prv_err_set(err, PRIVACY_E_CRYPTO,
                           "R22: the keystore's keys belong to another store");
    return PRIVACY_OK;
}

int prv_keystore_load(prv_keystore *ks, prv_store *st, const uint8_t *expected, prv_err *err)
{
    sodium_mprotect_readwrite(ks->keys);
    load_state s;
    int rc = scan_keys(ks, st, &s, err);
    if (rc == PRIVACY_OK)
        rc = check_loaded(&s, expected, err);
    /* Only a keystore without any key, for a store that recorded none, is
     * new: a store that lost one of its keys must not get a fresh one
     * silently (a new audit or integrity key would hide tampering). */
    if (rc == PRIVACY_OK && s.records == 0) {
        rc = prepare_all(ks, err);
        if (rc == PRIVACY_OK)
            rc = prv_store_tx(st, insert_new, ks);
        if (rc == PRIVACY_OK)
            rc = scan_keys(ks, st, &s, err);
        if (rc == PRIVACY_OK)
            rc = check_loaded(&s, expected, err);
    }
    for (unsigned p = 0; rc == PRIVACY_OK && p < PRV_KEY_COUNT; p++) {
        if (ks->version[p] == 0)
            rc = prv_err_set(err, PRIVACY_E_INTEGRITY,
                             "keys: the %s key is missing from the keystore", purpose_name[p]);
    }
    if (rc == PRIVACY_OK)
        memcpy(ks->keyset, s.keyset, PRV_KEYSET_BYTES);
    for (unsigned p = 0; p < PRV_KEY_COUNT; p++) {
        prv_free(ks->prepared[p]);
        ks->prepared[p] = NULL;
    }
    sodium_mprotect_readonly(ks->keys);
    return rc;
}

const uint8_t *prv_keystore_keyset(const prv_keystore *ks)
{
    return ks->keyset;
}

const prv_keks *prv_keystore_keks(const prv_keystore *ks)
{
    return &ks->keks;
}

const unsigned char *prv_keystore_key(const prv_keystore *ks, enum prv_key_purpose purpose,
                                      uint32_t *version)
{
    if (version != NULL)
        *version = ks->version[purpose];
    return ks->keys + (size_t)purpose * PRV_WORKING_KEY_BYTES;
}

void prv_keystore_free(prv_keystore *ks)
{
    if (ks == NULL)
        return;
    for (unsigned p = 0; p < PRV_KEY_COUNT; p++)
        prv_free(ks->prepared[p]);
    prv_secure_free(ks->keys);
    prv_keks_clear(&ks->keks);
    prv_free(ks);
}

/* ---- the marker: the data store's record of its key set ---- */

int prv_keyset_marker_get(prv_store *st, uint8_t keyset[PRV_KEYSET_BYTES], int *present,
                          prv_err *err)
{
    privacy_record *rec = NULL;
    int rc = prv_store_get(st, PRV_KEYSET_COLLECTION, MARKER_ID, &rec);
    *present = 0;
    if (rc == PRIVACY_E_NOT_FOUND) {
        prv_err_clear(err);
        return PRIVACY_OK;
    }
    if (rc != PRIVACY_OK)
        return rc;
    if (rec->body_len != 4 + PRV_KEYSET_BYTES || memcmp(rec->body, "PKS1", 4) != 0)
        rc = prv_err_set(err, PRIVACY_E_INTEGRITY, "keys: the key-set marker is malformed");
    else {
        memcpy(keyset, rec->body + 4, PRV_KEYSET_BYTES);
        *present = 1;
    }
    prv_free(rec);
    return rc;
}

int prv_keyset_marker_put(prv_store *st, const uint8_t keyset[PRV_KEYSET_BYTES])
{
    uint8_t body[4 + PRV_KEYSET_BYTES];
    memcpy(body, "PKS1", 4);
    memcpy(body + 4, keyset, PRV_KEYSET_BYTES);
    privacy_record r = { .collection = PRV_KEYSET_COLLECTION, .id = MARKER_ID, .body = body,
                         .body_len = sizeof body };
    return prv_store_put(st, &r);
}
