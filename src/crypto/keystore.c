/* Working keys. Each is random (never derived from the root key or from
 * ids), has a version, and is stored only wrapped by a root key, in a
 * "PWK1" record of the collection "keys" (wkrecord.c, docs/keys.md). The
 * key set is a random id given to a store's keys when they are made; the
 * data store records it (the marker), so an empty or foreign keystore is
 * told from a new one.
 *
 * A purpose may have several versions: every loaded version stays usable
 * (a blind index written under an older one is still found), and the
 * newest is the one new data is written under. */
#include "keystore.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "wkrecord.h"

_Static_assert((int)PRV_WORKING_KEY_BYTES == (int)PRV_WK_KEY_BYTES, "one key size");
_Static_assert((int)PRV_KEYSET_BYTES == (int)PRV_WK_KEYSET_BYTES, "one key-set size");
_Static_assert((int)PRV_KEY_COUNT == (int)PRV_WK_PURPOSES, "a record name per purpose");

static const char MARKER_ID[] = "marker";

typedef struct {
    uint8_t purpose;
    uint32_t version;
} key_slot;

struct prv_keystore {
    prv_keks keks;
    /* Guarded, read-only between changes: cap keys. Slot i's key is at
     * i * PRV_WORKING_KEY_BYTES; the slots are sorted by purpose, newest
     * version first. Before loading, the first PRV_KEY_COUNT hold the
     * random keys a new store would get, one per purpose. */
    unsigned char *keys;
    key_slot *slot;
    size_t n, cap;
    size_t first[PRV_KEY_COUNT];      /* a purpose's newest slot; SIZE_MAX: none */
    uint8_t keyset[PRV_KEYSET_BYTES]; /* the new set's id, then the loaded one */
    uint8_t *prepared[PRV_KEY_COUNT]; /* record bodies of the new keys */
    size_t prepared_len[PRV_KEY_COUNT];
};

/* ---- the loaded keys ---- */

static void unlock(prv_keystore *ks)
{
    sodium_mprotect_readwrite(ks->keys);
}

static void lock(prv_keystore *ks)
{
    sodium_mprotect_readonly(ks->keys);
}

static void index_slots(prv_keystore *ks)
{
    for (unsigned p = 0; p < PRV_KEY_COUNT; p++)
        ks->first[p] = SIZE_MAX;
    for (size_t i = ks->n; i-- > 0;)
        ks->first[ks->slot[i].purpose] = i;
}

/* Room for one more key (unlocked: the new block is writable). */
static int grow(prv_keystore *ks, prv_err *err)
{
    size_t cap = ks->cap * 2;
    unsigned char *keys = prv_secure_alloc(cap * PRV_WORKING_KEY_BYTES);
    if (keys == NULL)
        return prv_err_set(err, PRIVACY_E_NOMEM, "keys: out of guarded memory");
    key_slot *slot = prv_realloc(ks->slot, cap * sizeof *slot);
    if (slot == NULL) {
        prv_secure_free(keys);
        return prv_err_set(err, PRIVACY_E_NOMEM, "keys: out of memory");
    }
    memcpy(keys, ks->keys, ks->n * PRV_WORKING_KEY_BYTES);
    prv_secure_free(ks->keys); /* sodium_free wipes it */
    ks->keys = keys;
    ks->slot = slot;
    ks->cap = cap;
    return PRIVACY_OK;
}

/* Adds a key in its place (call unlocked). A version loaded already is
 * left as it is. */
static int insert(prv_keystore *ks, unsigned purpose, uint32_t version,
                  const uint8_t key[PRV_WORKING_KEY_BYTES], prv_err *err)
{
    size_t i = 0;
    while (i < ks->n && (ks->slot[i].purpose < purpose ||
                         (ks->slot[i].purpose == purpose && ks->slot[i].version > version)))
        i++;
    if (i < ks->n && ks->slot[i].purpose == purpose && ks->slot[i].version == version)
        return PRIVACY_OK;
    if (ks->n == ks->cap) {
        int rc = grow(ks, err);
        if (rc != PRIVACY_OK)
            return rc;
    }
    unsigned char *at = ks->keys + i * PRV_WORKING_KEY_BYTES;
    memmove(at + PRV_WORKING_KEY_BYTES, at, (ks->n - i) * PRV_WORKING_KEY_BYTES);
    memmove(&ks->slot[i + 1], &ks->slot[i], (ks->n - i) * sizeof ks->slot[i]);
    memcpy(at, key, PRV_WORKING_KEY_BYTES);
    ks->slot[i] = (key_slot){ (uint8_t)purpose, version };
    ks->n++;
    index_slots(ks);
    return PRIVACY_OK;
}

static uint32_t newest_version(const prv_keystore *ks, unsigned purpose)
{
    size_t i = ks->first[purpose];
    return i == SIZE_MAX ? 0 : ks->slot[i].version;
}

/* Unwraps a parsed record with the root key it names and adds the key
 * (call unlocked). The key passes through a wiped stack temporary. */
static int unwrap_into(prv_keystore *ks, const prv_kek *kek, const prv_wk_record *r,
                       const char *id, prv_err *err)
{
    uint8_t key[PRV_WORKING_KEY_BYTES];
    int rc = prv_wk_record_open(kek, r, id, key, err);
    if (rc == PRIVACY_OK)
        rc = insert(ks, r->purpose, r->version, key, err);
    sodium_memzero(key, sizeof key);
    return rc;
}

/* ---- a new store's keys ---- */

/* Wraps the new key of slot purpose (version 1) into a record body. */
static int prepare_one(prv_keystore *ks, unsigned purpose, prv_err *err)
{
    return prv_wk_record_seal(prv_keks_primary(&ks->keks), ks->keyset, purpose, 1,
                              ks->keys + purpose * PRV_WORKING_KEY_BYTES, &ks->prepared[purpose],
                              &ks->prepared_len[purpose], err);
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
    ks->cap = PRV_KEY_COUNT;
    index_slots(ks);
    int rc = prv_keks_copy(&ks->keks, keks, err);
    if (rc == PRIVACY_OK) {
        ks->slot = prv_calloc(ks->cap, sizeof *ks->slot);
        ks->keys = prv_secure_alloc(ks->cap * PRV_WORKING_KEY_BYTES);
        if (ks->slot == NULL || ks->keys == NULL)
            rc = prv_err_set(err, PRIVACY_E_NOMEM, "keys: out of memory");
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

/* ---- loading ---- */

typedef struct {
    prv_keystore *ks;
    prv_err *err;
    int records, matched;
    int have_keyset;
    uint8_t keyset[PRV_KEYSET_BYTES]; /* the set the records belong to */
    char unmatched[PRV_WK_ID_SIZE];   /* the first record no configured root key wrapped */
} load_state;

static int load_one(void *userdata, const privacy_record *r)
{
    load_state *s = userdata;
    prv_wk_record w;
    s->records++;
    if (prv_wk_record_parse(r->id, r->body, r->body_len, PRV_KEY_COUNT, &w) != PRIVACY_OK)
        return prv_err_set(s->err, PRIVACY_E_INTEGRITY, "keys: key record '%s' is malformed",
                           r->id);
    if (s->have_keyset && memcmp(s->keyset, w.keyset, PRV_KEYSET_BYTES) != 0)
        return prv_err_set(s->err, PRIVACY_E_INTEGRITY,
                           "keys: key record '%s' belongs to another store's key set", r->id);
    memcpy(s->keyset, w.keyset, PRV_KEYSET_BYTES);
    s->have_keyset = 1;
    const prv_kek *kek = prv_keks_find(&s->ks->keks, w.kek_id, w.kek_version);
    if (kek == NULL) {
        if (s->unmatched[0] == '\0')
            snprintf(s->unmatched, sizeof s->unmatched, "%s", r->id);
        return 0;
    }
    s->matched++;
    return unwrap_into(s->ks, kek, &w, r->id, s->err);
}

static int scan_keys(prv_keystore *ks, prv_store *st, load_state *s, prv_err *err)
{
    memset(s, 0, sizeof *s);
    s->ks = ks;
    s->err = err;
    ks->n = 0;
    index_slots(ks);
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
        char id[PRV_WK_ID_SIZE];
        prv_wk_record_id(id, p, 1);
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
    unlock(ks);
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
        if (ks->first[p] == SIZE_MAX)
            rc = prv_err_set(err, PRIVACY_E_INTEGRITY,
                             "keys: the %s key is missing from the keystore",
                             prv_wk_purpose_name(p));
    }
    if (rc == PRIVACY_OK)
        memcpy(ks->keyset, s.keyset, PRV_KEYSET_BYTES);
    for (unsigned p = 0; p < PRV_KEY_COUNT; p++) {
        prv_free(ks->prepared[p]);
        ks->prepared[p] = NULL;
    }
    lock(ks);
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
    return prv_keystore_key_nth(ks, purpose, 0, version);
}

const unsigned char *prv_keystore_key_nth(const prv_keystore *ks, enum prv_key_purpose purpose,
                                          size_t nth, uint32_t *version)
{
    size_t i = ks->first[purpose];
    if (i == SIZE_MAX || nth >= ks->n - i || ks->slot[i + nth].purpose != purpose) {
        if (version != NULL)
            *version = 0;
        return NULL;
    }
    if (version != NULL)
        *version = ks->slot[i + nth].version;
    return ks->keys + (i + nth) * PRV_WORKING_KEY_BYTES;
}

void prv_keystore_free(prv_keystore *ks)
{
    if (ks == NULL)
        return;
    for (unsigned p = 0; p < PRV_KEY_COUNT; p++)
        prv_free(ks->prepared[p]);
    prv_secure_free(ks->keys);
    prv_free(ks->slot);
    prv_keks_clear(&ks->keks);
    prv_free(ks);
}

/* ---- new versions ---- */

/* Parses a record read for ks and finds the root key that wrapped it. */
static int check_record(const prv_keystore *ks, const char *id, const uint8_t *body, size_t len,
                        prv_wk_record *w, const prv_kek **kek, prv_err *err)
{
    if (prv_wk_record_parse(id, body, len, PRV_KEY_COUNT, w) != PRIVACY_OK)
        return prv_err_set(err, PRIVACY_E_INTEGRITY, "keys: key record '%s' is malformed", id);
    if (memcmp(w->keyset, ks->keyset, PRV_KEYSET_BYTES) != 0)
        return prv_err_set(err, PRIVACY_E_INTEGRITY,
                           "keys: key record '%s' belongs to another store's key set", id);
    *kek = prv_keks_find(&ks->keks, w->kek_id, w->kek_version);
    if (*kek == NULL)
        return prv_err_set(err, PRIVACY_E_CRYPTO,
                           "R22: key '%s' is wrapped by root key %s (version %lu), which is not"
                           " configured",
                           id, w->kek_id, (unsigned long)w->kek_version);
    return PRIVACY_OK;
}

int prv_keystore_refresh(prv_keystore *ks, prv_store *st, enum prv_key_purpose purpose,
                         int *added, prv_err *err)
{
    *added = 0;
    for (;;) {
        uint32_t v = newest_version(ks, purpose);
        if (v == UINT32_MAX)
            return PRIVACY_OK;
        char id[PRV_WK_ID_SIZE];
        prv_wk_record_id(id, purpose, v + 1);
        privacy_record *rec = NULL;
        int rc = prv_store_get(st, PRV_KEYS_COLLECTION, id, &rec);
        if (rc == PRIVACY_E_NOT_FOUND) {
            prv_err_clear(err); /* the usual answer: nothing new */
            return PRIVACY_OK;
        }
        if (rc != PRIVACY_OK)
            return rc;
        prv_wk_record w;
        const prv_kek *kek = NULL;
        rc = check_record(ks, rec->id, rec->body, rec->body_len, &w, &kek, err);
        if (rc == PRIVACY_OK) {
            unlock(ks);
            rc = unwrap_into(ks, kek, &w, rec->id, err);
            lock(ks);
        }
        prv_free(rec);
        if (rc != PRIVACY_OK)
            return rc;
        ++*added;
    }
}

typedef struct {
    const char *id;
    const uint8_t *body;
    size_t len;
} new_version;

/* Under the write lock: a version another context added at the same
 * moment stays, and this one is dropped (the caller then loads theirs). */
static int put_version(prv_store *st, void *userdata)
{
    const new_version *nv = userdata;
    privacy_record *rec = NULL;
    int rc = prv_store_get(st, PRV_KEYS_COLLECTION, nv->id, &rec);
    prv_free(rec);
    if (rc != PRIVACY_E_NOT_FOUND)
        return rc;
    privacy_record r = { .collection = PRV_KEYS_COLLECTION, .id = nv->id, .body = nv->body,
                         .body_len = nv->len };
    return prv_store_put(st, &r);
}

int prv_keystore_add_version(prv_keystore *ks, prv_store *st, enum prv_key_purpose purpose,
                             uint32_t *version, prv_err *err)
{
    /* The other keys' users (seals, the audit chain, tokens) check only
     * the newest version: a new one would make what the old one protects
     * fail its check. */
    if (purpose != PRV_KEY_BLIND_INDEX)
        return prv_err_set(err, PRIVACY_E_INVALID,
                           "keys: only the blind-index key takes new versions, not the %s key",
                           prv_wk_purpose_name(purpose));
    uint32_t v = newest_version(ks, purpose);
    if (v == UINT32_MAX)
        return prv_err_set(err, PRIVACY_E_INVALID, "keys: the %s key has no version left",
                           prv_wk_purpose_name(purpose));
    char id[PRV_WK_ID_SIZE];
    prv_wk_record_id(id, purpose, v + 1);
    uint8_t key[PRV_WORKING_KEY_BYTES];
    randombytes_buf(key, sizeof key);
    new_version nv = { id, NULL, 0 };
    uint8_t *body = NULL;
    int rc = prv_wk_record_seal(prv_keks_primary(&ks->keks), ks->keyset, purpose, v + 1, key,
                                &body, &nv.len, err);
    sodium_memzero(key, sizeof key);
    nv.body = body;
    if (rc == PRIVACY_OK)
        rc = prv_store_tx(st, put_version, &nv);
    prv_free(body);
    int added = 0;
    if (rc == PRIVACY_OK)
        rc = prv_keystore_refresh(ks, st, purpose, &added, err);
    if (rc == PRIVACY_OK && newest_version(ks, purpose) <= v)
        rc = prv_err_set(err, PRIVACY_E_INTERNAL, "keys: the new %s key did not load",
                         prv_wk_purpose_name(purpose));
    if (rc == PRIVACY_OK && version != NULL)
        *version = newest_version(ks, purpose);
    return rc;
}

/* ---- rotation of the root key ---- */

int prv_keystore_wrapped_by(const char *id, const uint8_t *body, size_t len,
                            char kek_id[PRIVACY_KEY_ID_MAX + 1], uint32_t *kek_version)
{
    prv_wk_record w;
    int rc = prv_wk_record_parse(id, body, len, PRV_KEY_COUNT, &w);
    if (rc != PRIVACY_OK)
        return rc;
    memcpy(kek_id, w.kek_id, sizeof w.kek_id);
    *kek_version = w.kek_version;
    return PRIVACY_OK;
}

int prv_keystore_rewrap(const prv_keystore *ks, const char *id, const uint8_t *body, size_t len,
                        uint8_t **out, size_t *out_len, prv_err *err)
{
    prv_wk_record w;
    const prv_kek *kek = NULL;
    *out = NULL;
    int rc = check_record(ks, id, body, len, &w, &kek, err);
    const prv_kek *primary = prv_keks_primary(&ks->keks);
    if (rc != PRIVACY_OK || kek == primary)
        return rc;
    uint8_t key[PRV_WORKING_KEY_BYTES];
    rc = prv_wk_record_open(kek, &w, id, key, err);
    if (rc == PRIVACY_OK)
        rc = prv_wk_record_seal(primary, w.keyset, w.purpose, w.version, key, out, out_len, err);
    sodium_memzero(key, sizeof key);
    return rc;
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
