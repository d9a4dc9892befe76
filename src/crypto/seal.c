/* The seal: BLAKE2b-256 keyed with the integrity key over a
 * length-prefixed encoding of every field (so no two records share an
 * encoding), appended to the body with the key's version. */
#include "seal.h"

#include <sodium.h>
#include <string.h>

#include "core/alloc.h"
#include "core/bytes.h"

static void absorb(crypto_generichash_state *h, const void *p, size_t n)
{
    uint8_t len[8];
    prv_put_be(len, n, 8);
    crypto_generichash_update(h, len, sizeof len);
    if (n > 0)
        crypto_generichash_update(h, p, n);
}

static void absorb_i64(crypto_generichash_state *h, int64_t v)
{
    uint8_t b[8];
    prv_put_be(b, (uint64_t)v, 8);
    crypto_generichash_update(h, b, sizeof b);
}

static void compute(const unsigned char *key, const privacy_record *r, size_t body_len,
                    uint8_t mac[32])
{
    static const char label[] = "libprivacy/record/v1";
    crypto_generichash_state h;
    crypto_generichash_init(&h, key, PRV_WORKING_KEY_BYTES, 32);
    absorb(&h, label, sizeof label - 1);
    absorb(&h, r->collection, strlen(r->collection));
    absorb(&h, r->id, strlen(r->id));
    /* "absent" and "empty" differ: a flag before each optional field. */
    absorb_i64(&h, r->subject_id != NULL);
    absorb(&h, r->subject_id, r->subject_id != NULL ? strlen(r->subject_id) : 0);
    absorb_i64(&h, r->index_key != NULL);
    absorb(&h, r->index_key, r->index_key_len);
    absorb_i64(&h, r->created);
    absorb_i64(&h, r->expires);
    absorb(&h, r->body, body_len);
    crypto_generichash_final(&h, mac, 32);
}

int prv_seal_put(prv_store *st, const prv_keystore *ks, const privacy_record *rec, prv_err *err)
{
    int rc = prv_store_check_record(rec, err);
    if (rc != PRIVACY_OK)
        return rc;
    if (rec->body_len > PRIVACY_BODY_MAX - PRV_SEAL_BYTES)
        return prv_err_set(err, PRIVACY_E_INVALID, "store: a record body is at most %d bytes",
                           PRIVACY_BODY_MAX - PRV_SEAL_BYTES);
    uint8_t *body = prv_malloc(rec->body_len + PRV_SEAL_BYTES);
    if (body == NULL)
        return prv_err_set(err, PRIVACY_E_NOMEM, "store: out of memory sealing a record");
    uint32_t version;
    const unsigned char *key = prv_keystore_key(ks, PRV_KEY_INTEGRITY, &version);
    if (rec->body_len > 0)
        memcpy(body, rec->body, rec->body_len);
    uint8_t *trailer = body + rec->body_len;
    prv_put_be(trailer, version, 4);
    compute(key, rec, rec->body_len, trailer + 4);
    privacy_record sealed = *rec;
    sealed.body = body;
    sealed.body_len = rec->body_len + PRV_SEAL_BYTES;
    rc = prv_store_put(st, &sealed);
    prv_free(body);
    return rc;
}

int prv_seal_check(const prv_keystore *ks, const privacy_record *rec, size_t *body_len,
                   prv_err *err)
{
    if (rec->body_len < PRV_SEAL_BYTES)
        return prv_err_set(err, PRIVACY_E_INTEGRITY,
                           "R22: record '%s' of '%s' has no seal: it was altered outside the"
                           " library",
                           rec->id, rec->collection);
    size_t n = rec->body_len - PRV_SEAL_BYTES;
    const uint8_t *trailer = rec->body + n;
    uint32_t version = (uint32_t)prv_get_be(trailer, 4);
    uint32_t current;
    const unsigned char *key = prv_keystore_key(ks, PRV_KEY_INTEGRITY, &current);
    uint8_t mac[32];
    compute(key, rec, n, mac);
    int ok = version == current && sodium_memcmp(mac, trailer + 4, sizeof mac) == 0;
    sodium_memzero(mac, sizeof mac);
    if (!ok)
        return prv_err_set(err, PRIVACY_E_INTEGRITY,
                           "R22: record '%s' of '%s' fails its integrity check: it was altered"
                           " outside the library",
                           rec->id, rec->collection);
    *body_len = n;
    return PRIVACY_OK;
}

int prv_seal_get(prv_store *st, const prv_keystore *ks, const char *collection, const char *id,
                 privacy_record **out, prv_err *err)
{
    privacy_record *rec = NULL;
    int rc = prv_store_get(st, collection, id, &rec);
    size_t n = 0;
    if (rc == PRIVACY_OK)
        rc = prv_seal_check(ks, rec, &n, err);
    if (rc != PRIVACY_OK) {
        prv_free(rec);
        return rc;
    }
    /* The seal stays in the block, wiped with it; callers see the body. */
    rec->body_len = n;
    if (n == 0)
        rec->body = NULL;
    *out = rec;
    return PRIVACY_OK;
}
