/* Root keys: ids, copies, wrapping. Raw keys wrap with XChaCha20-Poly1305
 * (nonce | ciphertext | tag); a keyring wraps with whatever it holds. */
#include "kek.h"

#include <sodium.h>
#include <string.h>

#include "core/alloc.h"

enum { WRAP_NONCE = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
       WRAP_TAG = crypto_aead_xchacha20poly1305_ietf_ABYTES };

/* A raw key's id: keyed BLAKE2b-128 of a constant under the key. It tells
 * keys apart and detects a wrong key at open without revealing the key. */
static void raw_key_id(const unsigned char *key, char id[PRIVACY_KEY_ID_MAX + 1])
{
    static const char label[] = "libprivacy root key id v1";
    unsigned char h[16];
    crypto_generichash(h, sizeof h, (const unsigned char *)label, sizeof label - 1, key,
                       PRIVACY_ROOT_KEY_BYTES);
    sodium_bin2hex(id, PRIVACY_KEY_ID_MAX + 1, h, sizeof h);
}

static int grow(prv_keks *keks, prv_err *err)
{
    prv_kek *v = prv_realloc(keks->v, (keks->n + 1) * sizeof *v);
    if (v == NULL)
        return prv_err_set(err, PRIVACY_E_NOMEM, "root keys: out of memory");
    keks->v = v;
    memset(&v[keks->n], 0, sizeof v[keks->n]);
    return PRIVACY_OK;
}

int prv_keks_add_raw(prv_keks *keks, const uint8_t key[PRIVACY_ROOT_KEY_BYTES], prv_err *err)
{
    int rc = grow(keks, err);
    if (rc != PRIVACY_OK)
        return rc;
    prv_kek *k = &keks->v[keks->n];
    k->key = prv_secure_alloc(PRIVACY_ROOT_KEY_BYTES);
    if (k->key == NULL)
        return prv_err_set(err, PRIVACY_E_NOMEM, "root keys: out of guarded memory");
    memcpy(k->key, key, PRIVACY_ROOT_KEY_BYTES);
    raw_key_id(k->key, k->id);
    k->version = 1;
    keks->n++;
    return PRIVACY_OK;
}

static int valid_id(const char *id)
{
    size_t n = 0;
    for (; id[n] != '\0'; n++) {
        if (n >= PRIVACY_KEY_ID_MAX || (unsigned char)id[n] < 0x21 || (unsigned char)id[n] > 0x7e)
            return 0;
    }
    return n > 0;
}

int prv_keks_add_ring(prv_keks *keks, const privacy_keyring *ring, prv_err *err)
{
    char id[PRIVACY_KEY_ID_MAX + 2];
    uint32_t version = 0;
    memset(id, 0, sizeof id);
    int rc = ring->key_id(ring->userdata, id, PRIVACY_KEY_ID_MAX + 1, &version);
    if (rc != PRIVACY_OK)
        return prv_err_set(err, rc < 0 && prv_is_status(rc) ? rc : PRIVACY_E_INTERNAL,
                           "keyring: key_id failed (%s)", privacy_strerror(rc));
    if (!valid_id(id))
        return prv_err_set(err, PRIVACY_E_INVALID,
                           "keyring: key_id must give 1 to %d printable ASCII bytes",
                           PRIVACY_KEY_ID_MAX);
    rc = grow(keks, err);
    if (rc != PRIVACY_OK)
        return rc;
    prv_kek *k = &keks->v[keks->n];
    memcpy(k->id, id, sizeof k->id);
    k->version = version;
    k->ring = *ring;
    keks->n++;
    return PRIVACY_OK;
}

void prv_keks_clear(prv_keks *keks)
{
    for (size_t i = 0; i < keks->n; i++)
        prv_secure_free(keks->v[i].key);
    prv_free(keks->v);
    keks->v = NULL;
    keks->n = 0;
}

int prv_keks_copy(prv_keks *dst, const prv_keks *src, prv_err *err)
{
    prv_keks out = { NULL, 0 };
    for (size_t i = 0; i < src->n; i++) {
        const prv_kek *k = &src->v[i];
        int rc;
        if (k->key != NULL) {
            rc = prv_keks_add_raw(&out, k->key, err);
        } else {
            rc = grow(&out, err);
            if (rc == PRIVACY_OK)
                out.v[out.n++] = *k;
        }
        if (rc != PRIVACY_OK) {
            prv_keks_clear(&out);
            return rc;
        }
    }
    *dst = out;
    return PRIVACY_OK;
}

const prv_kek *prv_keks_primary(const prv_keks *keks)
{
    return keks->n > 0 ? &keks->v[keks->n - 1] : NULL;
}

const prv_kek *prv_keks_find(const prv_keks *keks, const char *id, uint32_t version)
{
    for (size_t i = keks->n; i-- > 0;) {
        if (keks->v[i].version == version && strcmp(keks->v[i].id, id) == 0)
            return &keks->v[i];
    }
    return NULL;
}

/* What a keyring's failure means to the caller: an unreachable key
 * service (BUSY, STORAGE) or no memory is not tampering, and must not be
 * reported as such; anything else is a failed cryptographic check. */
static int ring_code(int rc)
{
    switch (rc) {
    case PRIVACY_E_BUSY:
    case PRIVACY_E_STORAGE:
    case PRIVACY_E_NOMEM:
        return rc;
    default:
        return PRIVACY_E_CRYPTO;
    }
}

static void *ring_alloc(size_t n)
{
    return prv_malloc(n);
}

int prv_kek_wrap(const prv_kek *kek, const uint8_t *ad, size_t ad_len, const uint8_t *key,
                 size_t key_len, uint8_t **out, size_t *out_len, prv_err *err)
{
    if (kek->key == NULL) {
        uint8_t *w = NULL;
        size_t wlen = 0;
        int rc = kek->ring.wrap(kek->ring.userdata, ad, ad_len, key, key_len, ring_alloc, &w,
                                &wlen);
        if (rc != PRIVACY_OK || w == NULL || wlen == 0 || wlen > PRIVACY_WRAPPED_MAX) {
            prv_free(w);
            return prv_err_set(err, ring_code(rc), "keyring: wrap failed (%s)",
                               rc != PRIVACY_OK ? privacy_strerror(rc) : "bad output length");
        }
        *out = w;
        *out_len = wlen;
        return PRIVACY_OK;
    }
    size_t n = WRAP_NONCE + key_len + WRAP_TAG;
    uint8_t *w = prv_malloc(n);
    if (w == NULL)
        return prv_err_set(err, PRIVACY_E_NOMEM, "root key: out of memory wrapping a key");
    randombytes_buf(w, WRAP_NONCE);
    crypto_aead_xchacha20poly1305_ietf_encrypt(w + WRAP_NONCE, NULL, key, key_len, ad, ad_len,
                                               NULL, w, kek->key);
    *out = w;
    *out_len = n;
    return PRIVACY_OK;
}

int prv_kek_unwrap(const prv_kek *kek, const uint8_t *ad, size_t ad_len, const uint8_t *wrapped,
                   size_t wrapped_len, uint8_t *key_out, size_t key_len, prv_err *err)
{
    if (kek->key == NULL) {
        int rc = kek->ring.unwrap(kek->ring.userdata, ad, ad_len, wrapped, wrapped_len, key_out,
                                  key_len);
        if (rc != PRIVACY_OK) {
            sodium_memzero(key_out, key_len);
            return prv_err_set(err, ring_code(rc), "keyring: unwrap failed (%s)",
                               privacy_strerror(rc));
        }
        return PRIVACY_OK;
    }
    if (wrapped_len != WRAP_NONCE + key_len + WRAP_TAG ||
        crypto_aead_xchacha20poly1305_ietf_decrypt(key_out, NULL, NULL, wrapped + WRAP_NONCE,
                                                   wrapped_len - WRAP_NONCE, ad, ad_len, wrapped,
                                                   kek->key) != 0) {
        sodium_memzero(key_out, key_len);
        return prv_err_set(err, PRIVACY_E_CRYPTO, "root key: a wrapped key does not authenticate");
    }
    return PRIVACY_OK;
}
