/* The working-key record (docs/keys.md):
 *
 *   "PWK1" | purpose u8 | key version u32 | key set (16) |
 *   root key version u32 | root key id length u8 | root key id |
 *   wrapped length u16 | wrapped                       (big-endian)
 *
 * The wrap binds, as associated data, "libprivacy/working-key/v1\0" | key
 * set | purpose | key version | id length | root key id | root key version,
 * so a wrapped key moved to another purpose, version or store does not
 * unwrap, and a re-wrap under another root key is bound to that key. */
#include "wkrecord.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/bytes.h"

static const char AD_LABEL[] = "libprivacy/working-key/v1";

static const char *const purpose_name[PRV_WK_PURPOSES] = { "blind_index", "cookie", "audit",
                                                           "suppression", "integrity" };

enum {
    OFF_PURPOSE = 4,
    OFF_VERSION = 5,
    OFF_KEYSET = 9,
    OFF_KEK_VERSION = OFF_KEYSET + PRV_WK_KEYSET_BYTES,
    OFF_KEK_IDLEN = OFF_KEK_VERSION + 4,
    HEADER_FIXED = OFF_KEK_IDLEN + 1,
    RECORD_MAX = HEADER_FIXED + PRIVACY_KEY_ID_MAX + 2 + PRIVACY_WRAPPED_MAX,
    AD_MAX = sizeof AD_LABEL + PRV_WK_KEYSET_BYTES + 1 + 4 + 1 + PRIVACY_KEY_ID_MAX + 4
};

const char *prv_wk_purpose_name(unsigned purpose)
{
    return purpose < PRV_WK_PURPOSES ? purpose_name[purpose] : "?";
}

void prv_wk_record_id(char out[PRV_WK_ID_SIZE], unsigned purpose, uint32_t version)
{
    snprintf(out, PRV_WK_ID_SIZE, "wk.%s.%lu", prv_wk_purpose_name(purpose),
             (unsigned long)version);
}

static size_t make_ad(uint8_t ad[AD_MAX], const uint8_t keyset[PRV_WK_KEYSET_BYTES],
                      unsigned purpose, uint32_t version, const char *kek_id,
                      uint32_t kek_version)
{
    size_t idlen = strlen(kek_id), n = sizeof AD_LABEL; /* with its NUL */
    memcpy(ad, AD_LABEL, sizeof AD_LABEL);
    memcpy(ad + n, keyset, PRV_WK_KEYSET_BYTES);
    n += PRV_WK_KEYSET_BYTES;
    ad[n++] = (uint8_t)purpose;
    prv_put_be(ad + n, version, 4);
    n += 4;
    ad[n++] = (uint8_t)idlen;
    memcpy(ad + n, kek_id, idlen);
    n += idlen;
    prv_put_be(ad + n, kek_version, 4);
    return n + 4;
}

int prv_wk_record_parse(const char *id, const uint8_t *b, size_t len, unsigned n_purposes,
                        prv_wk_record *out)
{
    if (len < HEADER_FIXED + 2 || len > RECORD_MAX || memcmp(b, "PWK1", 4) != 0 ||
        b[OFF_PURPOSE] >= n_purposes)
        return PRIVACY_E_INTEGRITY;
    size_t idlen = b[OFF_KEK_IDLEN];
    if (idlen == 0 || idlen > PRIVACY_KEY_ID_MAX || HEADER_FIXED + idlen + 2 > len)
        return PRIVACY_E_INTEGRITY;
    out->purpose = b[OFF_PURPOSE];
    out->version = (uint32_t)prv_get_be(b + OFF_VERSION, 4);
    out->keyset = b + OFF_KEYSET;
    out->kek_version = (uint32_t)prv_get_be(b + OFF_KEK_VERSION, 4);
    memcpy(out->kek_id, b + HEADER_FIXED, idlen);
    out->kek_id[idlen] = '\0';
    out->wrapped_len = (size_t)prv_get_be(b + HEADER_FIXED + idlen, 2);
    out->wrapped = b + HEADER_FIXED + idlen + 2;
    char expect[PRV_WK_ID_SIZE];
    prv_wk_record_id(expect, out->purpose, out->version);
    if (HEADER_FIXED + idlen + 2 + out->wrapped_len != len || out->version == 0 ||
        strcmp(expect, id) != 0)
        return PRIVACY_E_INTEGRITY;
    return PRIVACY_OK;
}

int prv_wk_record_seal(const prv_kek *kek, const uint8_t keyset[PRV_WK_KEYSET_BYTES],
                       unsigned purpose, uint32_t version, const uint8_t key[PRV_WK_KEY_BYTES],
                       uint8_t **body, size_t *len, prv_err *err)
{
    uint8_t ad[AD_MAX];
    size_t ad_len = make_ad(ad, keyset, purpose, version, kek->id, kek->version);
    uint8_t *wrapped = NULL;
    size_t wlen = 0;
    int rc = prv_kek_wrap(kek, ad, ad_len, key, PRV_WK_KEY_BYTES, &wrapped, &wlen, err);
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
    prv_put_be(b + OFF_VERSION, version, 4);
    memcpy(b + OFF_KEYSET, keyset, PRV_WK_KEYSET_BYTES);
    prv_put_be(b + OFF_KEK_VERSION, kek->version, 4);
    b[OFF_KEK_IDLEN] = (uint8_t)idlen;
    memcpy(b + HEADER_FIXED, kek->id, idlen);
    prv_put_be(b + HEADER_FIXED + idlen, wlen, 2);
    memcpy(b + HEADER_FIXED + idlen + 2, wrapped, wlen);
    prv_free(wrapped);
    *body = b;
    *len = n;
    return PRIVACY_OK;
}

int prv_wk_record_open(const prv_kek *kek, const prv_wk_record *r, const char *id,
                       uint8_t key_out[PRV_WK_KEY_BYTES], prv_err *err)
{
    uint8_t ad[AD_MAX];
    size_t ad_len = make_ad(ad, r->keyset, r->purpose, r->version, kek->id, kek->version);
    int rc = prv_kek_unwrap(kek, ad, ad_len, r->wrapped, r->wrapped_len, key_out,
                            PRV_WK_KEY_BYTES, err);
    if (rc == PRIVACY_E_CRYPTO)
        return prv_err_set(err, PRIVACY_E_INTEGRITY,
                           "keys: working key '%s' does not authenticate under its root key", id);
    return rc; /* a keyring that could not answer: its own message */
}
