/* Data keys and their cache. */
#include "dek.h"

#include <sodium.h>
#include <string.h>

#include "core/alloc.h"
#include "core/id.h"
#include "keywrap.h"

static const char KIND[] = "dek";

typedef struct {
    char subject[PRV_ID_SIZE]; /* "" = empty slot */
    uint8_t digest[16];        /* of the wrapped record the key came from */
    uint32_t version;
} slot_meta;

struct prv_dek_cache {
    unsigned char *keys; /* guarded: PRV_DEK_CACHE_SLOTS keys */
    slot_meta meta[PRV_DEK_CACHE_SLOTS];
};

int prv_dek_cache_new(prv_dek_cache **out, prv_err *err)
{
    prv_dek_cache *c = prv_calloc(1, sizeof *c);
    if (c == NULL)
        return prv_err_set(err, PRIVACY_E_NOMEM, "keys: out of memory");
    /* One guarded arena for every cached key: a sodium_malloc per key would
     * cost ~24 us and four mappings each (DESIGN.md). */
    c->keys = prv_secure_alloc((size_t)PRV_DEK_CACHE_SLOTS * PRV_KEYWRAP_KEY_BYTES);
    if (c->keys == NULL) {
        prv_free(c);
        return prv_err_set(err, PRIVACY_E_NOMEM, "keys: out of guarded memory");
    }
    *out = c;
    return PRIVACY_OK;
}

void prv_dek_cache_free(prv_dek_cache *c)
{
    if (c == NULL)
        return;
    prv_secure_free(c->keys); /* sodium_free wipes the arena */
    prv_free(c);
}

static size_t slot_of(const char *subject)
{
    uint64_t h = 14695981039346656037u;
    for (; *subject != '\0'; subject++)
        h = (h ^ (unsigned char)*subject) * 1099511628211u;
    return (size_t)(h % PRV_DEK_CACHE_SLOTS);
}

static void evict(prv_dek_cache *c, size_t i)
{
    sodium_memzero(c->keys + i * PRV_KEYWRAP_KEY_BYTES, PRV_KEYWRAP_KEY_BYTES);
    memset(&c->meta[i], 0, sizeof c->meta[i]);
}

int prv_dek_prepare(const prv_keystore *ks, const char *subject, uint8_t **body, size_t *len,
                    prv_err *err)
{
    uint8_t key[PRV_KEYWRAP_KEY_BYTES];
    randombytes_buf(key, sizeof key);
    int rc = prv_keywrap_seal(prv_keystore_keks(ks), prv_keystore_keyset(ks), KIND, subject, 1,
                              key, body, len, err);
    sodium_memzero(key, sizeof key);
    return rc;
}

int prv_dek_put(prv_store *keystore, const char *subject, const uint8_t *body, size_t len)
{
    privacy_record r = { .collection = PRV_DEK_COLLECTION, .id = subject, .subject_id = subject,
                         .body = body, .body_len = len };
    return prv_store_put(keystore, &r);
}

int prv_dek_get(prv_dek_cache *c, const prv_keystore *ks, prv_store *keystore,
                const char *subject, const uint8_t **key, uint32_t *version, prv_err *err)
{
    privacy_record *rec = NULL;
    int rc = prv_store_get(keystore, PRV_DEK_COLLECTION, subject, &rec);
    if (rc == PRIVACY_E_NOT_FOUND) {
        /* Shredded through another context: its copy here goes too. */
        size_t i = slot_of(subject);
        if (strcmp(c->meta[i].subject, subject) == 0)
            evict(c, i);
        return prv_err_set(err, rc, "keys: the subject has no data key (shredded or never made)");
    }
    if (rc != PRIVACY_OK)
        return rc;
    uint8_t digest[16];
    crypto_generichash(digest, sizeof digest, rec->body, rec->body_len, NULL, 0);
    size_t i = slot_of(subject);
    unsigned char *slot = c->keys + i * PRV_KEYWRAP_KEY_BYTES;
    if (strcmp(c->meta[i].subject, subject) != 0 ||
        sodium_memcmp(c->meta[i].digest, digest, sizeof digest) != 0) {
        evict(c, i);
        uint32_t v = 0;
        rc = prv_keywrap_open(prv_keystore_keks(ks), prv_keystore_keyset(ks), KIND, subject,
                              rec->body, rec->body_len, &v, slot, err);
        if (rc == PRIVACY_OK) {
            memcpy(c->meta[i].subject, subject, strlen(subject) + 1);
            memcpy(c->meta[i].digest, digest, sizeof digest);
            c->meta[i].version = v;
        } else {
            evict(c, i);
        }
    }
    prv_free(rec);
    if (rc != PRIVACY_OK)
        return rc;
    *key = slot;
    if (version != NULL)
        *version = c->meta[i].version;
    return PRIVACY_OK;
}

int prv_dek_wrapped_by(const char *subject, const uint8_t *body, size_t len,
                       char kek_id[PRIVACY_KEY_ID_MAX + 1], uint32_t *kek_version)
{
    (void)subject; /* the record names its root key; the subject is only in its wrap */
    return prv_keywrap_wrapped_by(body, len, kek_id, kek_version);
}

int prv_dek_rewrap(const prv_keystore *ks, const char *subject, const uint8_t *body, size_t len,
                   uint8_t **out, size_t *out_len, prv_err *err)
{
    return prv_keywrap_rewrap(prv_keystore_keks(ks), prv_keystore_keyset(ks), KIND, subject, body,
                              len, out, out_len, err);
}

int prv_dek_shred(prv_dek_cache *c, prv_store *keystore, const char *subject, uint64_t *deleted,
                  prv_err *err)
{
    size_t i = slot_of(subject);
    if (strcmp(c->meta[i].subject, subject) == 0)
        evict(c, i);
    (void)err;
    return prv_store_del(keystore, PRV_DEK_COLLECTION, subject, deleted);
}
