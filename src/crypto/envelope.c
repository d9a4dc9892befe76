/* The field envelope (docs/envelope.md). One value, one data key, one
 * nonce: the key commitment is checked before the AEAD, so a blob opens
 * under at most one key, and the binding in the associated data makes a
 * blob moved to another place fail instead of yielding wrong plaintext. */
#include "envelope.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/bytes.h"

_Static_assert(PRV_ENVELOPE_KEY_BYTES == crypto_aead_xchacha20poly1305_ietf_KEYBYTES,
               "the data key is an XChaCha20-Poly1305 key");
_Static_assert(PRV_ENVELOPE_NONCE_BYTES == crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
               "the nonce is XChaCha20's");
_Static_assert(PRV_ENVELOPE_TAG_BYTES == crypto_aead_xchacha20poly1305_ietf_ABYTES,
               "the tag is Poly1305's");
_Static_assert(PRV_ENVELOPE_KEY_BYTES >= crypto_generichash_KEYBYTES_MIN &&
                   PRV_ENVELOPE_KEY_BYTES <= crypto_generichash_KEYBYTES_MAX,
               "the data key keys BLAKE2b");

/* The commitment's input is this label and the nonce: the label keeps the
 * value apart from any other keyed BLAKE2b a data key might ever compute. */
static const char COMMIT_LABEL[] = "libprivacy/field-envelope/commit/v1";

/* The start of every message about one field; its arguments are the field
 * and the collection, cut at 64 bytes so that the reason always fits. */
#define WHERE "field '%.64s' in '%.64s': "

enum {
    OFF_FORMAT = 0,
    OFF_SUITE = 1,
    OFF_FLAGS = 2,
    OFF_VERSION = 3,
    OFF_NONCE = 7,
    OFF_COMMIT = PRV_ENVELOPE_HEADER_BYTES,
    OFF_CT = OFF_COMMIT + PRV_ENVELOPE_COMMIT_BYTES,
    COMMIT_INPUT = sizeof COMMIT_LABEL - 1 + PRV_ENVELOPE_NONCE_BYTES,
    NPIECES = 4,
    AD_MAX = PRV_ENVELOPE_HEADER_BYTES + NPIECES * (8 + PRV_ENVELOPE_NAME_MAX)
};

_Static_assert(OFF_NONCE + PRV_ENVELOPE_NONCE_BYTES == PRV_ENVELOPE_HEADER_BYTES,
               "the nonce ends the header");

/* A checked binding: its strings in associated-data order, with lengths. */
typedef struct bound {
    const char *s[NPIECES];
    size_t n[NPIECES];
} bound;

/* A parsed header (not authenticated until the AEAD accepts the blob). */
typedef struct header {
    uint8_t flags;
    uint32_t version;
    size_t ct_len;
} header;

/* Every failure of a blob is PRIVACY_E_CRYPTO and names the field, never
 * the value; b may be NULL (prv_envelope_version without a binding). */
PRV_PRINTF(3, 4)
static int fail(prv_err *err, const prv_envelope_binding *b, const char *fmt, ...)
{
    char what[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (b == NULL)
        return prv_err_set(err, PRIVACY_E_CRYPTO, "field envelope: %s", what);
    return prv_err_set(err, PRIVACY_E_CRYPTO, WHERE "%s", b->field,
                       b->collection, what);
}

static int check_binding(const prv_envelope_binding *b, bound *bd, prv_err *err)
{
    static const char *const names[NPIECES] = { "subject id", "collection", "record id",
                                                "field name" };
    if (b == NULL)
        return prv_err_set(err, PRIVACY_E_INVALID, "field envelope: the binding is NULL");
    bd->s[0] = b->subject_id;
    bd->s[1] = b->collection;
    bd->s[2] = b->record_id;
    bd->s[3] = b->field;
    for (int i = 0; i < NPIECES; i++) {
        /* The value is not quoted: a malformed one may be anything. */
        if (bd->s[i] == NULL)
            return prv_err_set(err, PRIVACY_E_INVALID, "field envelope: the %s is NULL",
                               names[i]);
        bd->n[i] = strnlen(bd->s[i], PRV_ENVELOPE_NAME_MAX + 1);
        if (bd->n[i] == 0 || bd->n[i] > PRV_ENVELOPE_NAME_MAX)
            return prv_err_set(err, PRIVACY_E_INVALID,
                               "field envelope: the %s must be 1 to %d bytes", names[i],
                               PRV_ENVELOPE_NAME_MAX);
    }
    return PRIVACY_OK;
}

/* header | (u64 BE length | bytes) for subject, collection, record, field:
 * length prefixes make the encoding injective, so no two places share it. */
static size_t encode_ad(uint8_t ad[AD_MAX], const uint8_t *hdr, const bound *bd)
{
    memcpy(ad, hdr, PRV_ENVELOPE_HEADER_BYTES);
    size_t n = PRV_ENVELOPE_HEADER_BYTES;
    for (int i = 0; i < NPIECES; i++) {
        prv_put_be(ad + n, bd->n[i], 8);
        memcpy(ad + n + 8, bd->s[i], bd->n[i]);
        n += 8 + bd->n[i];
    }
    return n;
}

/* keyed BLAKE2b-256(key = data key, label | nonce). BLAKE2b is collision
 * resistant in its key too, so no second key gives the same value: the
 * blob commits to exactly one key. */
static void commitment(uint8_t out[PRV_ENVELOPE_COMMIT_BYTES], const uint8_t *key,
                       const uint8_t *nonce)
{
    uint8_t in[COMMIT_INPUT];
    memcpy(in, COMMIT_LABEL, sizeof COMMIT_LABEL - 1);
    memcpy(in + sizeof COMMIT_LABEL - 1, nonce, PRV_ENVELOPE_NONCE_BYTES);
    crypto_generichash(out, PRV_ENVELOPE_COMMIT_BYTES, in, sizeof in, key,
                       PRV_ENVELOPE_KEY_BYTES);
}

static size_t padded_len(size_t pt_len, size_t pad_block)
{
    /* ISO/IEC 7816-4 always adds the 0x80 byte: 1 to pad_block bytes. */
    return pad_block == 0 ? pt_len : pt_len + (pad_block - pt_len % pad_block);
}

int prv_envelope_sealed_size(size_t pt_len, size_t pad_block, size_t *size, prv_err *err)
{
    if (size == NULL)
        return prv_err_set(err, PRIVACY_E_INVALID, "field envelope: the size is NULL");
    if (pt_len > PRV_ENVELOPE_VALUE_MAX)
        return prv_err_set(err, PRIVACY_E_INVALID,
                           "field envelope: a value is at most %d bytes, not %zu",
                           PRV_ENVELOPE_VALUE_MAX, pt_len);
    if (pad_block > PRV_ENVELOPE_PAD_MAX)
        return prv_err_set(err, PRIVACY_E_INVALID,
                           "field envelope: the padding block is at most %d bytes, not %zu",
                           PRV_ENVELOPE_PAD_MAX, pad_block);
    *size = PRV_ENVELOPE_OVERHEAD + padded_len(pt_len, pad_block);
    return PRIVACY_OK;
}

/* The checks every seal shares; *size is the blob's length. */
static int check_seal(const uint8_t *key, const prv_envelope_binding *b, const uint8_t *pt,
                      size_t pt_len, size_t pad_block, bound *bd, size_t *size, prv_err *err)
{
    if (key == NULL)
        return prv_err_set(err, PRIVACY_E_INVALID, "field envelope: the data key is NULL");
    int rc = check_binding(b, bd, err);
    if (rc != PRIVACY_OK)
        return rc;
    if (pt == NULL && pt_len != 0)
        return prv_err_set(err, PRIVACY_E_INVALID,
                           WHERE "the value is NULL but its length is %zu", b->field,
                           b->collection, pt_len);
    if (pt_len > PRV_ENVELOPE_VALUE_MAX)
        return prv_err_set(err, PRIVACY_E_INVALID,
                           WHERE "a value is at most %d bytes, not %zu", b->field,
                           b->collection, PRV_ENVELOPE_VALUE_MAX, pt_len);
    return prv_envelope_sealed_size(pt_len, pad_block, size, err);
}

/* Writes the blob (size bytes) into out; nonce NULL draws a random one. */
static int seal_checked(const uint8_t *key, uint32_t version, const bound *bd,
                        const uint8_t *nonce, const uint8_t *pt, size_t pt_len, size_t pad_block,
                        uint8_t *out, size_t size)
{
    size_t ct_len = size - PRV_ENVELOPE_OVERHEAD;
    out[OFF_FORMAT] = PRV_ENVELOPE_FORMAT;
    out[OFF_SUITE] = PRV_ENVELOPE_SUITE;
    out[OFF_FLAGS] = pad_block != 0 ? PRV_ENVELOPE_FLAG_PADDED : 0;
    prv_put_be(out + OFF_VERSION, version, 4);
    if (nonce == NULL)
        randombytes_buf(out + OFF_NONCE, PRV_ENVELOPE_NONCE_BYTES);
    else
        memcpy(out + OFF_NONCE, nonce, PRV_ENVELOPE_NONCE_BYTES);
    commitment(out + OFF_COMMIT, key, out + OFF_NONCE);
    /* Only the header and ids, which are stored beside the blob anyway:
     * nothing secret to wipe. */
    uint8_t ad[AD_MAX];
    size_t ad_len = encode_ad(ad, out, bd);
    uint8_t *ct = out + OFF_CT;
    const uint8_t *m = pt;
    if (pad_block != 0) {
        /* Padded in place in the output and encrypted in place there, so
         * no temporary copy of the value exists. */
        if (pt_len > 0)
            memcpy(ct, pt, pt_len);
        size_t got = 0;
        if (sodium_pad(&got, ct, pt_len, pad_block, ct_len) != 0 || got != ct_len) {
            sodium_memzero(out, size);
            return PRIVACY_E_INTERNAL;
        }
        m = ct;
    }
    crypto_aead_xchacha20poly1305_ietf_encrypt(ct, NULL, m, ct_len, ad, ad_len, NULL,
                                               out + OFF_NONCE, key);
    return PRIVACY_OK;
}

static int seal_into(const uint8_t *key, uint32_t dek_version, const prv_envelope_binding *b,
                     const uint8_t *nonce, const uint8_t *pt, size_t pt_len, size_t pad_block,
                     uint8_t *out, size_t out_cap, size_t *out_len, prv_err *err)
{
    bound bd;
    size_t size = 0;
    int rc = check_seal(key, b, pt, pt_len, pad_block, &bd, &size, err);
    if (rc != PRIVACY_OK)
        return rc;
    if (out == NULL || out_len == NULL)
        return prv_err_set(err, PRIVACY_E_INVALID, WHERE "an output is NULL",
                           b->field, b->collection);
    if (out_cap < size)
        return prv_err_set(err, PRIVACY_E_INVALID,
                           WHERE "the output holds %zu bytes, the envelope needs %zu",
                           b->field, b->collection, out_cap, size);
    rc = seal_checked(key, dek_version, &bd, nonce, pt, pt_len, pad_block, out, size);
    if (rc != PRIVACY_OK)
        return prv_err_set(err, rc, WHERE "padding the value failed", b->field,
                           b->collection);
    *out_len = size;
    return PRIVACY_OK;
}

int prv_envelope_seal_into(const uint8_t key[PRV_ENVELOPE_KEY_BYTES], uint32_t dek_version,
                           const prv_envelope_binding *b, const uint8_t *pt, size_t pt_len,
                           size_t pad_block, uint8_t *out, size_t out_cap, size_t *out_len,
                           prv_err *err)
{
    return seal_into(key, dek_version, b, NULL, pt, pt_len, pad_block, out, out_cap, out_len,
                     err);
}

int prv_envelope_seal_with_nonce(const uint8_t key[PRV_ENVELOPE_KEY_BYTES], uint32_t dek_version,
                                 const prv_envelope_binding *b,
                                 const uint8_t nonce[PRV_ENVELOPE_NONCE_BYTES], const uint8_t *pt,
                                 size_t pt_len, size_t pad_block, uint8_t *out, size_t out_cap,
                                 size_t *out_len, prv_err *err)
{
    if (nonce == NULL)
        return prv_err_set(err, PRIVACY_E_INVALID, "field envelope: the nonce is NULL");
    return seal_into(key, dek_version, b, nonce, pt, pt_len, pad_block, out, out_cap, out_len,
                     err);
}

int prv_envelope_seal(const uint8_t key[PRV_ENVELOPE_KEY_BYTES], uint32_t dek_version,
                      const prv_envelope_binding *b, const uint8_t *pt, size_t pt_len,
                      size_t pad_block, uint8_t **out, size_t *out_len, prv_err *err)
{
    bound bd;
    size_t size = 0;
    int rc = check_seal(key, b, pt, pt_len, pad_block, &bd, &size, err);
    if (rc != PRIVACY_OK)
        return rc;
    if (out == NULL || out_len == NULL)
        return prv_err_set(err, PRIVACY_E_INVALID, WHERE "an output is NULL",
                           b->field, b->collection);
    uint8_t *blob = prv_malloc(size);
    if (blob == NULL)
        return prv_err_set(err, PRIVACY_E_NOMEM, WHERE "out of memory sealing",
                           b->field, b->collection);
    rc = seal_checked(key, dek_version, &bd, NULL, pt, pt_len, pad_block, blob, size);
    if (rc != PRIVACY_OK) {
        prv_free(blob);
        return prv_err_set(err, rc, WHERE "padding the value failed", b->field,
                           b->collection);
    }
    *out = blob;
    *out_len = size;
    return PRIVACY_OK;
}

/* The header checks, cheapest first; they decide nothing about the key. */
static int parse(const prv_envelope_binding *b, const uint8_t *blob, size_t len, header *h,
                 prv_err *err)
{
    if (len < PRV_ENVELOPE_OVERHEAD)
        return fail(err, b, "envelope truncated: %zu bytes, at least %d", len,
                    PRV_ENVELOPE_OVERHEAD);
    if (blob[OFF_FORMAT] != PRV_ENVELOPE_FORMAT)
        return fail(err, b, "unknown envelope format %u", (unsigned)blob[OFF_FORMAT]);
    if (blob[OFF_SUITE] != PRV_ENVELOPE_SUITE)
        return fail(err, b, "unknown envelope cipher suite %u", (unsigned)blob[OFF_SUITE]);
    if ((blob[OFF_FLAGS] & ~PRV_ENVELOPE_FLAG_PADDED) != 0)
        return fail(err, b, "unknown envelope flags 0x%02x", (unsigned)blob[OFF_FLAGS]);
    h->flags = blob[OFF_FLAGS];
    h->ct_len = len - PRV_ENVELOPE_OVERHEAD;
    /* Longer than any seal makes: refused before any work on it. */
    size_t max = PRV_ENVELOPE_VALUE_MAX + (h->flags != 0 ? PRV_ENVELOPE_PAD_MAX : 0);
    if (h->ct_len > max)
        return fail(err, b, "envelope too long: %zu bytes, at most %zu", len,
                    max + PRV_ENVELOPE_OVERHEAD);
    h->version = (uint32_t)prv_get_be(blob + OFF_VERSION, 4);
    return PRIVACY_OK;
}

int prv_envelope_version(const prv_envelope_binding *b, const uint8_t *blob, size_t len,
                         uint32_t *version, prv_err *err)
{
    if (blob == NULL || version == NULL)
        return prv_err_set(err, PRIVACY_E_INVALID, "field envelope: the %s is NULL",
                           blob == NULL ? "envelope" : "version");
    bound bd;
    if (b != NULL) {
        int rc = check_binding(b, &bd, err);
        if (rc != PRIVACY_OK)
            return rc;
    }
    header h = { 0, 0, 0 };
    int rc = parse(b, blob, len, &h, err);
    if (rc != PRIVACY_OK)
        return rc;
    *version = h.version;
    return PRIVACY_OK;
}

size_t prv_envelope_open_max(size_t len)
{
    return len < PRV_ENVELOPE_OVERHEAD ? 0 : len - PRV_ENVELOPE_OVERHEAD;
}

/* Everything before decryption: arguments, header, version and the key
 * commitment. After it, the key in hand is the one the blob was made
 * with, or the blob was altered. */
static int open_check(const uint8_t *key, uint32_t expect_version, const prv_envelope_binding *b,
                      const uint8_t *blob, size_t len, const void *pt_out, const size_t *pt_len,
                      bound *bd, header *h, prv_err *err)
{
    if (key == NULL)
        return prv_err_set(err, PRIVACY_E_INVALID, "field envelope: the data key is NULL");
    int rc = check_binding(b, bd, err);
    if (rc != PRIVACY_OK)
        return rc;
    if (blob == NULL || pt_out == NULL || pt_len == NULL)
        return prv_err_set(err, PRIVACY_E_INVALID, WHERE "%s is NULL", b->field,
                           b->collection, blob == NULL ? "the envelope" : "an output");
    rc = parse(b, blob, len, h, err);
    if (rc != PRIVACY_OK)
        return rc;
    if (h->version != expect_version)
        return fail(err, b, "envelope is under data key version %" PRIu32
                    ", not the expected %" PRIu32, h->version, expect_version);
    uint8_t c[PRV_ENVELOPE_COMMIT_BYTES];
    commitment(c, key, blob + OFF_NONCE);
    int same = sodium_memcmp(c, blob + OFF_COMMIT, sizeof c) == 0;
    sodium_memzero(c, sizeof c);
    /* Exactly one key is ever tried: a mismatch ends here, before the
     * AEAD, so no other key is looked for and nothing is decrypted. */
    if (!same)
        return fail(err, b, "key commitment does not match: wrong data key, or a damaged "
                            "envelope");
    return PRIVACY_OK;
}

/* Decrypts into pt (at least h->ct_len bytes) and removes the padding. */
static int open_decrypt(const uint8_t *key, const prv_envelope_binding *b, const bound *bd,
                        const header *h, const uint8_t *blob, uint8_t *pt, size_t *pt_len,
                        prv_err *err)
{
    uint8_t ad[AD_MAX];
    size_t ad_len = encode_ad(ad, blob, bd);
    /* On failure libsodium zeroes pt: no unauthenticated plaintext. */
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(
            pt, NULL, NULL, blob + OFF_CT, h->ct_len + PRV_ENVELOPE_TAG_BYTES, ad, ad_len,
            blob + OFF_NONCE, key) != 0)
        return fail(err, b, "envelope does not authenticate: damaged, or moved from another "
                            "subject, record or field");
    size_t n = h->ct_len;
    if (h->flags & PRV_ENVELOPE_FLAG_PADDED) {
        /* The whole value is the block: the bucket size need not be known,
         * and the scan takes the same time whatever the value's length. */
        if (sodium_unpad(&n, pt, h->ct_len, h->ct_len) != 0 || n > PRV_ENVELOPE_VALUE_MAX) {
            sodium_memzero(pt, h->ct_len);
            return fail(err, b, "envelope padding is malformed");
        }
    }
    *pt_len = n;
    return PRIVACY_OK;
}

int prv_envelope_open_into(const uint8_t key[PRV_ENVELOPE_KEY_BYTES], uint32_t expect_version,
                           const prv_envelope_binding *b, const uint8_t *blob, size_t len,
                           uint8_t *pt, size_t pt_cap, size_t *pt_len, prv_err *err)
{
    bound bd;
    header h = { 0, 0, 0 };
    int rc = open_check(key, expect_version, b, blob, len, pt, pt_len, &bd, &h, err);
    if (rc != PRIVACY_OK)
        return rc;
    if (pt_cap < h.ct_len)
        return prv_err_set(err, PRIVACY_E_INVALID,
                           WHERE "the output holds %zu bytes, the envelope needs %zu",
                           b->field, b->collection, pt_cap, h.ct_len);
    return open_decrypt(key, b, &bd, &h, blob, pt, pt_len, err);
}

int prv_envelope_open(const uint8_t key[PRV_ENVELOPE_KEY_BYTES], uint32_t expect_version,
                      const prv_envelope_binding *b, const uint8_t *blob, size_t len,
                      uint8_t **pt_out, size_t *pt_len, prv_err *err)
{
    bound bd;
    header h = { 0, 0, 0 };
    int rc = open_check(key, expect_version, b, blob, len, pt_out, pt_len, &bd, &h, err);
    if (rc != PRIVACY_OK)
        return rc;
    /* prv_malloc(0) still gives a block: an empty value is a pointer the
     * caller frees like any other. */
    uint8_t *pt = prv_malloc(h.ct_len);
    if (pt == NULL)
        return prv_err_set(err, PRIVACY_E_NOMEM, WHERE "out of memory opening",
                           b->field, b->collection);
    size_t n = 0;
    rc = open_decrypt(key, b, &bd, &h, blob, pt, &n, err);
    if (rc != PRIVACY_OK) {
        prv_free(pt);
        return rc;
    }
    *pt_out = pt;
    *pt_len = n;
    return PRIVACY_OK;
}
