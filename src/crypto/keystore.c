/* Working keys. Each is random (never derived from the root key or from
 * ids), has a version, and is stored only wrapped by a root key, in a
 * record of the collection "keys":
 *
 *   "PWK1" | purpose u8 | key version u32be | root key version u32be |
 *   root key id length u8 | root key id | wrapped length u16be | wrapped
 *
 * The wrap binds, as associated data, "libprivacy/working-key/v1\0" |
 * purpose | key version | id length | root key id | root key version, so a
 * wrapped key moved to another purpose or version does not unwrap. */
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

enum { AD_MAX = 32 + 1 + 4 + 1 + PRIVACY_KEY_ID_MAX + 4, HEADER_FIXED = 14,
       RECORD_MAX = HEADER_FIXED + PRIVACY_KEY_ID_MAX + 2 + PRIVACY_WRAPPED_MAX };

struct prv_keystore {
    prv_keks keks;
    unsigned char *keys;              /* guarded: PRV_KEY_COUNT keys */
    uint32_t version[PRV_KEY_COUNT];  /* 0: not loaded */
    uint8_t *prepared[PRV_KEY_COUNT]; /* record bodies of the new keys */
    size_t prepared_len[PRV_KEY_COUNT];
};

static size_t make_ad(uint8_t ad[AD_MAX], unsigned purpose, uint32_t version, const char *kek_id,
                      uint32_t kek_version)
{
    static const char label[] = "libprivacy/working-key/v1";
    size_t idlen = strlen(kek_id), n = sizeof label; /* with its NUL */
    memcpy(ad, label, sizeof label);
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
    size_t ad_len = make_ad(ad, purpose, 1, kek->id, kek->version);
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
    b[4] = (uint8_t)purpose;
    prv_put_be(b + 5, 1, 4);
    prv_put_be(b + 9, kek->version, 4);
    b[13] = (uint8_t)idlen;
    memcpy(b + 14, kek->id, idlen);
    b[14 + idlen] = (uint8_t)(wlen >> 8);
    b[15 + idlen] = (uint8_t)wlen;
    memcpy(b + 16 + idlen, wrapped, wlen);
    prv_free(wrapped);
    ks->prepared[purpose] = b;
    ks->prepared_len[purpose] = n;
    return PRIVACY_OK;
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
    if (rc == PRIVACY_OK)
        randombytes_buf(ks->keys, PRV_KEY_COUNT * PRV_WORKING_KEY_BYTES);
    for (unsigned p = 0; rc == PRIVACY_OK && p < PRV_KEY_COUNT; p++)
        rc = prepare_one(ks, p, err);
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
    char unmatched[32]; /* the first record no configured root key wrapped */
    int present[PRV_KEY_COUNT];
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
        b[4] >= PRV_KEY_COUNT)
        return malformed(s, r->id);
    unsigned purpose = b[4], idlen = b[13];
    uint32_t version = (uint32_t)prv_get_be(b + 5, 4), kek_version = (uint32_t)prv_get_be(b + 9, 4);
    if (idlen == 0 || idlen > PRIVACY_KEY_ID_MAX || HEADER_FIXED + idlen + 2 > r->body_len)
        return malformed(s, r->id);
    size_t wlen = (size_t)b[14 + idlen] << 8 | b[15 + idlen];
    char expect_id[32];
    record_id(expect_id, purpose, version);
    if (HEADER_FIXED + idlen + 2 + wlen != r->body_len || version == 0 ||
        strcmp(expect_id, r->id) != 0)
        return malformed(s, r->id);
    char kek_id[PRIVACY_KEY_ID_MAX + 1];
    memcpy(kek_id, b + 14, idlen);
    kek_id[idlen] = '\0';
    s->present[purpose] = 1;
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
    size_t ad_len = make_ad(ad, purpose, version, kek->id, kek->version);
    int rc = prv_kek_unwrap(kek, ad, ad_len, b + 16 + idlen, wlen,
                            s->ks->keys + purpose * PRV_WORKING_KEY_BYTES, PRV_WORKING_KEY_BYTES,
                            s->err);
    if (rc != PRIVACY_OK)
        return prv_err_set(s->err, PRIVACY_E_INTEGRITY,
                           "keys: working key '%s' does not authenticate under its root key", r->id);
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

typedef struct {
    prv_keystore *ks;
    prv_err *err;
} insert_state;

static int note_present(void *userdata, const privacy_record *r)
{
    int *present = userdata;
    if (r->body_len > 4 && r->body[4] < PRV_KEY_COUNT)
        present[r->body[4]] = 1;
    return 0;
}

/* Inside one transaction: another process may have added keys meanwhile,
 * so look again and add only what is still missing. */
static int insert_missing(prv_store *st, void *userdata)
{
    insert_state *s = userdata;
    int present[PRV_KEY_COUNT] = { 0 };
    int rc = prv_store_scan(st, PRV_KEYS_COLLECTION, NULL, NULL, 0, note_present, present);
    for (unsigned p = 0; rc == PRIVACY_OK && p < PRV_KEY_COUNT; p++) {
        if (present[p])
            continue;
        char id[32];
        record_id(id, p, 1);
        privacy_record r = { .collection = PRV_KEYS_COLLECTION, .id = id,
                             .body = s->ks->prepared[p], .body_len = s->ks->prepared_len[p] };
        rc = prv_store_put(st, &r);
    }
    return rc;
}

static int check_loaded(const load_state *s, prv_err *err)
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
    return PRIVACY_OK;
}

int prv_keystore_load(prv_keystore *ks, prv_store *st, prv_err *err)
{
    sodium_mprotect_readwrite(ks->keys);
    load_state s;
    int rc = scan_keys(ks, st, &s, err);
    if (rc == PRIVACY_OK)
        rc = check_loaded(&s, err);
    /* Only a store without any key is new: a store that lost one of its
     * keys must not get a fresh one silently (a new audit or integrity key
     * would hide tampering), so that is refused below. */
    if (rc == PRIVACY_OK && s.records == 0) {
        insert_state is = { ks, err };
        rc = prv_store_tx(st, insert_missing, &is);
        if (rc == PRIVACY_OK)
            rc = scan_keys(ks, st, &s, err);
        if (rc == PRIVACY_OK)
            rc = check_loaded(&s, err);
    }
    for (unsigned p = 0; rc == PRIVACY_OK && p < PRV_KEY_COUNT; p++) {
        if (ks->version[p] == 0)
            rc = prv_err_set(err, PRIVACY_E_INTEGRITY,
                             "keys: the %s key is missing from the keystore", purpose_name[p]);
    }
    for (unsigned p = 0; p < PRV_KEY_COUNT; p++) {
        prv_free(ks->prepared[p]);
        ks->prepared[p] = NULL;
    }
    sodium_mprotect_readonly(ks->keys);
    return rc;
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
