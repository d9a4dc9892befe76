/* The key record (docs/keys.md):
 *
 *   "PKY1" | key version u32 | root key version u32 | root key id length u8 |
 *   root key id | wrapped length u16 | wrapped                 (big-endian)
 *
 * wrapped under the root key with associated data
 * "libprivacy/key/v1\0" | kind "\0" | name "\0" | key set (16) |
 * key version u32 | root key id length u8 | root key id | root key version. */
#include "keywrap.h"

#include <sodium.h>
#include <string.h>

#include "core/alloc.h"
#include "core/bytes.h"

static const char LABEL[] = "libprivacy/key/v1";

enum {
    OFF_VERSION = 4,
    OFF_KEK_VERSION = 8,
    OFF_IDLEN = 12,
    FIXED = 13,
    KEYNAME_MAX = 128,
    AD_MAX = sizeof LABEL + 2 * (KEYNAME_MAX + 1) + PRV_KEYWRAP_KEYSET_BYTES + 4 + 1 +
             PRIVACY_KEY_ID_MAX + 4
};

static int make_ad(uint8_t ad[AD_MAX], size_t *ad_len, const uint8_t *keyset, const char *kind,
                   const char *name, uint32_t version, const prv_kek *kek)
{
    size_t klen = strlen(kind) + 1, nlen = strlen(name) + 1, idlen = strlen(kek->id);
    if (klen > KEYNAME_MAX + 1 || nlen > KEYNAME_MAX + 1)
        return PRIVACY_E_INVALID;
    size_t n = 0;
    memcpy(ad, LABEL, sizeof LABEL);
    n += sizeof LABEL;
    memcpy(ad + n, kind, klen);
    n += klen;
    memcpy(ad + n, name, nlen);
    n += nlen;
    memcpy(ad + n, keyset, PRV_KEYWRAP_KEYSET_BYTES);
    n += PRV_KEYWRAP_KEYSET_BYTES;
    prv_put_be(ad + n, version, 4);
    n += 4;
    ad[n++] = (uint8_t)idlen;
    memcpy(ad + n, kek->id, idlen);
    n += idlen;
    prv_put_be(ad + n, kek->version, 4);
    *ad_len = n + 4;
    return PRIVACY_OK;
}

int prv_keywrap_seal(const prv_keks *keks, const uint8_t keyset[PRV_KEYWRAP_KEYSET_BYTES],
                     const char *kind, const char *name, uint32_t version,
                     const uint8_t key[PRV_KEYWRAP_KEY_BYTES], uint8_t **body, size_t *len,
                     prv_err *err)
{
    const prv_kek *kek = prv_keks_primary(keks);
    uint8_t ad[AD_MAX];
    size_t ad_len;
    if (make_ad(ad, &ad_len, keyset, kind, name, version, kek) != PRIVACY_OK)
        return prv_err_set(err, PRIVACY_E_INVALID, "keys: a key's name is too long");
    uint8_t *wrapped = NULL;
    size_t wlen = 0;
    int rc = prv_kek_wrap(kek, ad, ad_len, key, PRV_KEYWRAP_KEY_BYTES, &wrapped, &wlen, err);
    if (rc != PRIVACY_OK)
        return rc;
    size_t idlen = strlen(kek->id), n = FIXED + idlen + 2 + wlen;
    uint8_t *b = prv_malloc(n);
    if (b == NULL) {
        prv_free(wrapped);
        return prv_err_set(err, PRIVACY_E_NOMEM, "keys: out of memory");
    }
    memcpy(b, "PKY1", 4);
    prv_put_be(b + OFF_VERSION, version, 4);
    prv_put_be(b + OFF_KEK_VERSION, kek->version, 4);
    b[OFF_IDLEN] = (uint8_t)idlen;
    memcpy(b + FIXED, kek->id, idlen);
    prv_put_be(b + FIXED + idlen, wlen, 2);
    memcpy(b + FIXED + idlen + 2, wrapped, wlen);
    prv_free(wrapped);
    *body = b;
    *len = n;
    return PRIVACY_OK;
}

/* The root key a record names, and where its wrapped bytes are. */
static int parse(const uint8_t *b, size_t len, char kek_id[PRIVACY_KEY_ID_MAX + 1],
                 uint32_t *kek_version, size_t *wrapped_at)
{
    if (len < FIXED + 2 || memcmp(b, "PKY1", 4) != 0)
        return PRIVACY_E_INTEGRITY;
    size_t idlen = b[OFF_IDLEN];
    if (idlen == 0 || idlen > PRIVACY_KEY_ID_MAX || FIXED + idlen + 2 > len)
        return PRIVACY_E_INTEGRITY;
    size_t wlen = (size_t)prv_get_be(b + FIXED + idlen, 2);
    if (FIXED + idlen + 2 + wlen != len)
        return PRIVACY_E_INTEGRITY;
    memcpy(kek_id, b + FIXED, idlen);
    kek_id[idlen] = '\0';
    *kek_version = (uint32_t)prv_get_be(b + OFF_KEK_VERSION, 4);
    *wrapped_at = FIXED + idlen + 2;
    return PRIVACY_OK;
}

int prv_keywrap_wrapped_by(const uint8_t *body, size_t len, char kek_id[PRIVACY_KEY_ID_MAX + 1],
                           uint32_t *kek_version)
{
    size_t at;
    return parse(body, len, kek_id, kek_version, &at);
}

/* The configured root key that wrapped a record, or a failure. */
static int find_kek(const prv_keks *keks, const char *kind, const char *name, const uint8_t *b,
                    size_t len, const prv_kek **kek, size_t *wrapped_at, prv_err *err)
{
    char kek_id[PRIVACY_KEY_ID_MAX + 1];
    uint32_t kek_version;
    if (parse(b, len, kek_id, &kek_version, wrapped_at) != PRIVACY_OK)
        return prv_err_set(err, PRIVACY_E_INTEGRITY, "keys: the %s key of %s is malformed", kind,
                           name);
    *kek = prv_keks_find(keks, kek_id, kek_version);
    if (*kek == NULL)
        return prv_err_set(err, PRIVACY_E_CRYPTO,
                           "R22: the %s key of %s is wrapped by root key %s (version %lu), which"
                           " is not configured",
                           kind, name, kek_id, (unsigned long)kek_version);
    return PRIVACY_OK;
}

int prv_keywrap_open(const prv_keks *keks, const uint8_t keyset[PRV_KEYWRAP_KEYSET_BYTES],
                     const char *kind, const char *name, const uint8_t *b, size_t len,
                     uint32_t *version, uint8_t key_out[PRV_KEYWRAP_KEY_BYTES], prv_err *err)
{
    const prv_kek *kek = NULL;
    size_t at = 0;
    int rc = find_kek(keks, kind, name, b, len, &kek, &at, err);
    if (rc != PRIVACY_OK)
        return rc;
    size_t wlen = len - at;
    uint32_t v = (uint32_t)prv_get_be(b + OFF_VERSION, 4);
    uint8_t ad[AD_MAX];
    size_t ad_len;
    if (make_ad(ad, &ad_len, keyset, kind, name, v, kek) != PRIVACY_OK)
        return prv_err_set(err, PRIVACY_E_INVALID, "keys: a key's name is too long");
    rc = prv_kek_unwrap(kek, ad, ad_len, b + at, wlen, key_out, PRV_KEYWRAP_KEY_BYTES, err);
    if (rc == PRIVACY_E_CRYPTO)
        return prv_err_set(err, PRIVACY_E_INTEGRITY,
                           "keys: the %s key of %s does not authenticate under its root key", kind,
                           name);
    if (rc == PRIVACY_OK)
        *version = v;
    return rc;
}

int prv_keywrap_rewrap(const prv_keks *keks, const uint8_t keyset[PRV_KEYWRAP_KEYSET_BYTES],
                       const char *kind, const char *name, const uint8_t *body, size_t len,
                       uint8_t **out, size_t *out_len, prv_err *err)
{
    const prv_kek *kek = NULL;
    size_t at = 0;
    *out = NULL;
    int rc = find_kek(keks, kind, name, body, len, &kek, &at, err);
    if (rc != PRIVACY_OK || kek == prv_keks_primary(keks))
        return rc;
    uint8_t key[PRV_KEYWRAP_KEY_BYTES];
    uint32_t version = 0;
    rc = prv_keywrap_open(keks, keyset, kind, name, body, len, &version, key, err);
    if (rc == PRIVACY_OK)
        rc = prv_keywrap_seal(keks, keyset, kind, name, version, key, out, out_len, err);
    sodium_memzero(key, sizeof key);
    return rc;
}
