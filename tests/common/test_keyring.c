#include "test_keyring.h"

#include <stdio.h>

static int ring_key_id(void *ud, char *id, size_t n, uint32_t *version)
{
    tu_ring *r = ud;
    snprintf(id, n, "%s", r->id != NULL ? r->id : "kms:shop/root");
    *version = r->version;
    return PRIVACY_OK;
}

/* secretbox under a key bound to the associated data, as the contract
 * asks: other associated data does not unwrap. */
static void ring_subkey(const tu_ring *r, const uint8_t *ad, size_t ad_len,
                        uint8_t k[crypto_secretbox_KEYBYTES])
{
    crypto_generichash(k, crypto_secretbox_KEYBYTES, ad, ad_len, r->key, sizeof r->key);
}

static int ring_wrap(void *ud, const uint8_t *ad, size_t ad_len, const uint8_t *key,
                     size_t key_len, privacy_alloc_fn alloc, uint8_t **out, size_t *out_len)
{
    tu_ring *r = ud;
    r->wraps++;
    if (r->fail_wrap)
        return PRIVACY_E_STORAGE;
    uint8_t k[crypto_secretbox_KEYBYTES];
    ring_subkey(r, ad, ad_len, k);
    size_t n = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + key_len;
    uint8_t *w = alloc(n);
    if (w == NULL)
        return PRIVACY_E_NOMEM;
    randombytes_buf(w, crypto_secretbox_NONCEBYTES);
    crypto_secretbox_easy(w + crypto_secretbox_NONCEBYTES, key, key_len, w, k);
    sodium_memzero(k, sizeof k);
    *out = w;
    *out_len = n;
    return PRIVACY_OK;
}

static int ring_unwrap(void *ud, const uint8_t *ad, size_t ad_len, const uint8_t *w, size_t n,
                       uint8_t *key_out, size_t key_len)
{
    tu_ring *r = ud;
    if (r->fail_unwrap)
        return PRIVACY_E_STORAGE;
    uint8_t k[crypto_secretbox_KEYBYTES];
    ring_subkey(r, ad, ad_len, k);
    int ok = n == crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + key_len &&
             crypto_secretbox_open_easy(key_out, w + crypto_secretbox_NONCEBYTES,
                                        n - crypto_secretbox_NONCEBYTES, w, k) == 0;
    sodium_memzero(k, sizeof k);
    return ok ? PRIVACY_OK : PRIVACY_E_CRYPTO;
}

privacy_keyring tu_keyring(tu_ring *r)
{
    privacy_keyring kr = { .version = PRIVACY_KEYRING_VERSION, .userdata = r,
                           .key_id = ring_key_id, .wrap = ring_wrap, .unwrap = ring_unwrap };
    return kr;
}
