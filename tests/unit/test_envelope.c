/* The field envelope (docs/envelope.md): known-answer vectors made by an
 * independent implementation (tests/vectors/envelope_ref.py), round trips,
 * every flipped byte and truncation, blobs moved to another place, wrong
 * keys caught by the commitment before the AEAD, bad arguments, limits,
 * allocation failures, and messages that never carry the value (R19). */
#include <check.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

#include "core/alloc.h"
#include "crypto/envelope.h"
#include "testutil.h"

#ifndef PRV_ENVELOPE_VECTORS
#error "tests/unit/meson.build defines PRV_ENVELOPE_VECTORS, the path of envelope.json"
#endif

enum { OVERHEAD = PRV_ENVELOPE_OVERHEAD, SENTINEL = 0xa5 };

static const prv_envelope_binding B = { "sub_00112233445566778899aabbccddeeff", "subject_fields",
                                        "fld_0123456789abcdef0123456789abcdef", "contact.email" };
static const char EMAIL[] = "alice.liddell@example.com";

static uint8_t key[32];
static prv_err err;
static long live_at_start;
static yajl_val vectors;

static void setup(void)
{
    randombytes_buf(key, sizeof key);
    prv_err_clear(&err);
    live_at_start = prv_alloc_live();
}

static void teardown(void)
{
    prv_alloc_fault(0, 0);
    yajl_tree_free(vectors);
    vectors = NULL;
    ck_assert_int_eq(prv_alloc_live(), live_at_start);
}

/* ---- helpers ---- */

static const char *msg(void)
{
    return prv_err_msg(&err);
}

static void assert_msg_has(const char *needle)
{
    ck_assert_msg(strstr(msg(), needle) != NULL, "'%s' lacks '%s'", msg(), needle);
}

static void assert_invalid(int rc, const char *needle)
{
    ck_assert_int_eq(rc, PRIVACY_E_INVALID);
    assert_msg_has(needle);
}

static void seal_ok(const uint8_t *k, uint32_t version, const prv_envelope_binding *b,
                    const void *pt, size_t n, size_t pad, uint8_t **blob, size_t *len)
{
    int rc = prv_envelope_seal(k, version, b, pt, n, pad, blob, len, &err);
    ck_assert_msg(rc == PRIVACY_OK, "seal: %d %s", rc, msg());
}

/* Opens with both variants and checks the value comes back. */
static void assert_opens(const uint8_t *k, uint32_t version, const prv_envelope_binding *b,
                         const uint8_t *blob, size_t len, const void *want, size_t want_len)
{
    uint8_t *pt = NULL;
    size_t n = 0;
    int rc = prv_envelope_open(k, version, b, blob, len, &pt, &n, &err);
    ck_assert_msg(rc == PRIVACY_OK, "open: %d %s", rc, msg());
    ck_assert_uint_eq(n, want_len);
    ck_assert(n == 0 || memcmp(pt, want, n) == 0);
    prv_free(pt);
    size_t cap = prv_envelope_open_max(len);
    uint8_t *buf = malloc(cap + 1);
    ck_assert_int_eq(prv_envelope_open_into(k, version, b, blob, len, buf, cap, &n, &err),
                     PRIVACY_OK);
    ck_assert_uint_eq(n, want_len);
    ck_assert(n == 0 || memcmp(buf, want, n) == 0);
    free(buf);
}

/* Which check a refusal must name, and whether the AEAD ran before it. */
typedef struct refusal {
    const char *needle;
    int aead_ran;
} refusal;

static refusal refusal_of(const char *kind)
{
    static const struct {
        const char *kind;
        refusal r;
    } map[] = {
        { "truncated", { "truncated", 0 } },     { "format", { "unknown envelope format", 0 } },
        { "suite", { "cipher suite", 0 } },      { "flags", { "unknown envelope flags", 0 } },
        { "too_long", { "too long", 0 } },       { "version", { "data key version", 0 } },
        { "commitment", { "key commitment", 0 } }, { "authentication", { "authenticate", 1 } },
        { "padding", { "padding is malformed", 1 } },
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        if (strcmp(map[i].kind, kind) == 0)
            return map[i].r;
    }
    ck_abort_msg("unknown failure kind '%s'", kind);
    return map[0].r;
}

/* The blob must be refused with PRIVACY_E_CRYPTO by both variants, the
 * message naming the field and the check and never the value; with the
 * caller's buffer, a check before the AEAD leaves it untouched (the AEAD
 * never ran), one after it leaves it zeroed (libsodium wipes on failure). */
static void assert_refused(const uint8_t *k, uint32_t version, const prv_envelope_binding *b,
                           const uint8_t *blob, size_t len, const char *kind, const void *value,
                           size_t value_len)
{
    refusal r = refusal_of(kind);
    uint8_t marker[] = "untouched", *pt = marker;
    size_t n = 12345;
    ck_assert_int_eq(prv_envelope_open(k, version, b, blob, len, &pt, &n, &err),
                     PRIVACY_E_CRYPTO);
    ck_assert_str_eq((const char *)pt, "untouched");
    ck_assert_uint_eq(n, 12345);
    assert_msg_has(r.needle);
    assert_msg_has(b->field);
    ck_assert(!tu_contains(msg(), strlen(msg()), value, value_len));

    size_t cap = prv_envelope_open_max(len);
    uint8_t *buf = malloc(cap + 1);
    memset(buf, SENTINEL, cap + 1);
    ck_assert_int_eq(prv_envelope_open_into(k, version, b, blob, len, buf, cap, &n, &err),
                     PRIVACY_E_CRYPTO);
    assert_msg_has(r.needle);
    for (size_t i = 0; i < cap; i++)
        ck_assert_msg(buf[i] == (r.aead_ran ? 0 : SENTINEL), "%s: byte %zu of the output is %d",
                      kind, i, buf[i]);
    ck_assert_uint_eq(buf[cap], SENTINEL);
    free(buf);
}

/* ---- the known-answer vectors ---- */

static void load_vectors(void)
{
    size_t n = 0;
    unsigned char *text = tu_read_file(PRV_ENVELOPE_VECTORS, &n);
    ck_assert_msg(text != NULL, "cannot read %s", PRV_ENVELOPE_VECTORS);
    char *z = realloc(text, n + 1);
    ck_assert_ptr_nonnull(z);
    z[n] = '\0';
    char ebuf[256];
    vectors = yajl_tree_parse(z, ebuf, sizeof ebuf);
    free(z);
    ck_assert_msg(vectors != NULL, "%s: %s", PRV_ENVELOPE_VECTORS, ebuf);
}

static yajl_val get(yajl_val o, const char *name, yajl_type type)
{
    const char *path[] = { name, NULL };
    yajl_val v = yajl_tree_get(o, path, type);
    ck_assert_msg(v != NULL, "vector member '%s' is missing or of the wrong type", name);
    return v;
}

static const char *str(yajl_val o, const char *name)
{
    return YAJL_GET_STRING(get(o, name, yajl_t_string));
}

static uint32_t u32(yajl_val o, const char *name)
{
    long long v = YAJL_GET_INTEGER(get(o, name, yajl_t_number));
    ck_assert(v >= 0 && v <= (long long)UINT32_MAX);
    return (uint32_t)v;
}

/* Decodes a hex member into a malloc'd buffer (never NULL; free it). */
static uint8_t *hex(yajl_val o, const char *name, size_t *len)
{
    const char *h = str(o, name);
    size_t cap = strlen(h) / 2;
    uint8_t *b = malloc(cap + 1);
    ck_assert_int_eq(sodium_hex2bin(b, cap, h, strlen(h), NULL, len, NULL), 0);
    ck_assert_uint_eq(*len, cap);
    return b;
}

static void hex_key(yajl_val o, const char *name, uint8_t out[32])
{
    size_t n;
    uint8_t *k = hex(o, name, &n);
    ck_assert_uint_eq(n, 32);
    memcpy(out, k, 32);
    free(k);
}

static prv_envelope_binding binding_of(yajl_val o)
{
    prv_envelope_binding b = { str(o, "subject_id"), str(o, "collection"), str(o, "record_id"),
                               str(o, "field") };
    return b;
}

static yajl_val cases(const char *name)
{
    return get(vectors, name, yajl_t_array);
}

/* Exact bytes from a fixed key, nonce, binding and value. */
START_TEST(test_envelope_kat_seal_gives_the_reference_bytes)
{
    load_vectors();
    yajl_val list = cases("seal");
    ck_assert_uint_ge(YAJL_GET_ARRAY(list)->len, 9);
    for (size_t i = 0; i < YAJL_GET_ARRAY(list)->len; i++) {
        yajl_val c = YAJL_GET_ARRAY(list)->values[i];
        uint8_t k[32];
        hex_key(c, "key", k);
        size_t nonce_len, pt_len, want_len, commit_len;
        uint8_t *nonce = hex(c, "nonce", &nonce_len);
        uint8_t *pt = hex(c, "plaintext", &pt_len);
        uint8_t *want = hex(c, "blob", &want_len);
        uint8_t *commit = hex(c, "commitment", &commit_len);
        ck_assert_uint_eq(nonce_len, PRV_ENVELOPE_NONCE_BYTES);
        prv_envelope_binding b = binding_of(c);
        uint32_t version = u32(c, "dek_version");
        size_t pad = u32(c, "pad_block"), size = 0, got_len = 0;
        ck_assert_int_eq(prv_envelope_sealed_size(pt_len, pad, &size, &err), PRIVACY_OK);
        ck_assert_uint_eq(size, want_len);
        uint8_t *got = malloc(want_len);
        ck_assert_int_eq(prv_envelope_seal_with_nonce(k, version, &b, nonce, pt, pt_len, pad, got,
                                                      want_len - 1, &got_len, &err),
                         PRIVACY_E_INVALID);
        int rc = prv_envelope_seal_with_nonce(k, version, &b, nonce, pt, pt_len, pad, got,
                                              want_len, &got_len, &err);
        ck_assert_msg(rc == PRIVACY_OK, "%s: %s", str(c, "name"), msg());
        ck_assert_uint_eq(got_len, want_len);
        ck_assert_msg(memcmp(got, want, want_len) == 0, "vector '%s': different bytes",
                      str(c, "name"));
        ck_assert_uint_eq(commit_len, PRV_ENVELOPE_COMMIT_BYTES);
        ck_assert(memcmp(got + PRV_ENVELOPE_HEADER_BYTES, commit, commit_len) == 0);
        uint32_t v = 0;
        ck_assert_int_eq(prv_envelope_version(&b, got, got_len, &v, &err), PRIVACY_OK);
        ck_assert_uint_eq(v, version);
        assert_opens(k, version, &b, want, want_len, pt, pt_len);
        free(nonce);
        free(pt);
        free(want);
        free(commit);
        free(got);
    }
}
END_TEST

/* Every recorded case, good and bad, gives the reference's result, and
 * the refusals found before the AEAD never reach it. */
START_TEST(test_envelope_kat_open_gives_the_reference_results)
{
    load_vectors();
    yajl_val list = cases("open");
    ck_assert_uint_ge(YAJL_GET_ARRAY(list)->len, 30);
    int refused = 0;
    for (size_t i = 0; i < YAJL_GET_ARRAY(list)->len; i++) {
        yajl_val c = YAJL_GET_ARRAY(list)->values[i];
        uint8_t k[32];
        hex_key(c, "key", k);
        size_t len;
        uint8_t *blob = hex(c, "blob", &len);
        prv_envelope_binding b = binding_of(c);
        uint32_t version = u32(c, "expect_version");
        const char *result = str(c, "result");
        if (strcmp(result, "ok") == 0) {
            size_t n;
            uint8_t *pt = hex(c, "plaintext", &n);
            assert_opens(k, version, &b, blob, len, pt, n);
            free(pt);
        } else {
            assert_refused(k, version, &b, blob, len, result, EMAIL, strlen(EMAIL));
            refused++;
        }
        free(blob);
    }
    ck_assert_int_ge(refused, 30);
}
END_TEST

/* The reason for the commitment: the reference built one ciphertext and
 * tag that XChaCha20-Poly1305 accepts under two keys. Without the
 * commitment, the wrong key would give wrong plaintext; with it, the blob
 * opens only under the key it commits to, and the AEAD is never reached. */
START_TEST(test_envelope_kat_two_key_ciphertext_opens_under_one_key_only)
{
    load_vectors();
    yajl_val t = get(vectors, "two_key", yajl_t_object);
    uint8_t ka[32], kb[32];
    hex_key(t, "key_a", ka);
    hex_key(t, "key_b", kb);
    size_t ad_len, aead_len, la, lb, pa_len, pb_len;
    uint8_t *ad = hex(t, "ad", &ad_len);
    uint8_t *aead = hex(t, "aead", &aead_len);
    uint8_t *blob_a = hex(t, "blob_a", &la);
    uint8_t *blob_b = hex(t, "blob_b", &lb);
    uint8_t *pa = hex(t, "plaintext_a", &pa_len);
    uint8_t *pb = hex(t, "plaintext_b", &pb_len);
    prv_envelope_binding b = binding_of(t);
    const uint8_t *nonce = blob_a + 7;

    uint8_t raw[64];
    unsigned long long raw_len = 0;
    ck_assert_uint_le(aead_len, sizeof raw + PRV_ENVELOPE_TAG_BYTES);
    ck_assert_int_eq(crypto_aead_xchacha20poly1305_ietf_decrypt(raw, &raw_len, NULL, aead,
                                                                aead_len, ad, ad_len, nonce, ka),
                     0);
    ck_assert(raw_len == pa_len && memcmp(raw, pa, pa_len) == 0);
    ck_assert_int_eq(crypto_aead_xchacha20poly1305_ietf_decrypt(raw, &raw_len, NULL, aead,
                                                                aead_len, ad, ad_len, nonce, kb),
                     0);
    ck_assert(raw_len == pb_len && memcmp(raw, pb, pb_len) == 0);
    ck_assert(memcmp(pa, pb, pa_len) != 0);

    assert_opens(ka, 1, &b, blob_a, la, pa, pa_len);
    assert_opens(kb, 1, &b, blob_b, lb, pb, pb_len);
    assert_refused(kb, 1, &b, blob_a, la, "commitment", pb, pb_len);
    assert_refused(ka, 1, &b, blob_b, lb, "commitment", pa, pa_len);
    free(ad);
    free(aead);
    free(blob_a);
    free(blob_b);
    free(pa);
    free(pb);
}
END_TEST

/* ---- the C code alone ---- */

START_TEST(test_envelope_round_trips)
{
    static const char utf8[] = "Zoë Åström, Straße 5, 東京都 🏠";
    static uint8_t big[PRV_ENVELOPE_VALUE_MAX];
    randombytes_buf(big, sizeof big);
    const struct {
        const void *p;
        size_t n;
    } values[] = { { NULL, 0 }, { "", 0 }, { "x", 1 }, { EMAIL, sizeof EMAIL - 1 },
                   { utf8, sizeof utf8 - 1 }, { big, 255 }, { big, sizeof big } };
    const size_t pads[] = { 0, 1, 16, 64, PRV_ENVELOPE_PAD_MAX };
    for (size_t v = 0; v < sizeof values / sizeof values[0]; v++) {
        for (size_t p = 0; p < sizeof pads / sizeof pads[0]; p++) {
            size_t n = values[v].n, pad = pads[p], size = 0, len = 0;
            uint8_t *blob = NULL;
            seal_ok(key, 3, &B, values[v].p, n, pad, &blob, &len);
            ck_assert_int_eq(prv_envelope_sealed_size(n, pad, &size, &err), PRIVACY_OK);
            ck_assert_uint_eq(len, size);
            if (pad == 0) {
                ck_assert_uint_eq(len, OVERHEAD + n);
            } else {
                ck_assert_uint_eq((len - OVERHEAD) % pad, 0);
                ck_assert(len - OVERHEAD > n && len - OVERHEAD <= n + pad);
            }
            assert_opens(key, 3, &B, blob, len, values[v].p, n);
            uint32_t version = 0;
            ck_assert_int_eq(prv_envelope_version(NULL, blob, len, &version, &err), PRIVACY_OK);
            ck_assert_uint_eq(version, 3);

            /* Into the caller's buffer: same length, same value, and a
             * fresh nonce, so never the same bytes twice. */
            uint8_t *blob2 = malloc(size);
            size_t len2 = 0;
            ck_assert_int_eq(prv_envelope_seal_into(key, 3, &B, values[v].p, n, pad, blob2, size,
                                                    &len2, &err),
                             PRIVACY_OK);
            ck_assert_uint_eq(len2, len);
            ck_assert(memcmp(blob + 7, blob2 + 7, PRV_ENVELOPE_NONCE_BYTES) != 0);
            ck_assert(memcmp(blob, blob2, len) != 0);
            assert_opens(key, 3, &B, blob2, len2, values[v].p, n);
            free(blob2);
            prv_free(blob);
        }
    }
}
END_TEST

/* A copy of the test blobs: unpadded, and padded to 32. */
static void two_blobs(uint8_t *blob[2], size_t len[2])
{
    seal_ok(key, 1, &B, EMAIL, strlen(EMAIL), 0, &blob[0], &len[0]);
    seal_ok(key, 1, &B, EMAIL, strlen(EMAIL), 32, &blob[1], &len[1]);
}

/* Which check a flip of byte i (with mask) trips. */
static const char *kind_of_flip(size_t i, uint8_t mask)
{
    if (i == 0)
        return "format";
    if (i == 1)
        return "suite";
    if (i == 2)
        return mask == PRV_ENVELOPE_FLAG_PADDED ? "authentication" : "flags";
    if (i < 7)
        return "version";
    if (i < PRV_ENVELOPE_HEADER_BYTES + PRV_ENVELOPE_COMMIT_BYTES)
        return "commitment"; /* the nonce and the commitment itself */
    return "authentication";
}

START_TEST(test_envelope_every_flipped_byte_refused)
{
    uint8_t *blob[2];
    size_t len[2];
    two_blobs(blob, len);
    const uint8_t masks[] = { 0x01, 0x80, 0xff };
    for (int b = 0; b < 2; b++) {
        for (size_t i = 0; i < len[b]; i++) {
            for (size_t m = 0; m < sizeof masks; m++) {
                blob[b][i] ^= masks[m];
                assert_refused(key, 1, &B, blob[b], len[b], kind_of_flip(i, masks[m]),
                               EMAIL, strlen(EMAIL));
                blob[b][i] ^= masks[m];
            }
        }
        assert_opens(key, 1, &B, blob[b], len[b], EMAIL, strlen(EMAIL));
        prv_free(blob[b]);
    }
}
END_TEST

START_TEST(test_envelope_every_truncation_refused)
{
    uint8_t *blob[2];
    size_t len[2];
    two_blobs(blob, len);
    for (int b = 0; b < 2; b++) {
        for (size_t n = 0; n < len[b]; n++)
            assert_refused(key, 1, &B, blob[b], n, n < OVERHEAD ? "truncated" : "authentication",
                           EMAIL, strlen(EMAIL));
        uint8_t *longer = malloc(len[b] + 1);
        memcpy(longer, blob[b], len[b]);
        longer[len[b]] = 0;
        assert_refused(key, 1, &B, longer, len[b] + 1, "authentication", EMAIL, strlen(EMAIL));
        free(longer);
        prv_free(blob[b]);
    }
}
END_TEST

START_TEST(test_envelope_moved_to_another_place_refused)
{
    uint8_t *blob;
    size_t len;
    seal_ok(key, 1, &B, EMAIL, strlen(EMAIL), 0, &blob, &len);
    prv_envelope_binding moved[] = { B, B, B, B, B };
    moved[0].subject_id = "sub_ffeeddccbbaa99887766554433221100";
    moved[1].collection = "order_fields";
    moved[2].record_id = "fld_fedcba9876543210fedcba9876543210";
    moved[3].field = "contact.phone";
    /* The same bytes cut differently: only the length prefixes differ. */
    moved[4].subject_id = "sub_00112233445566778899aabbccddeeffs";
    moved[4].collection = "ubject_fields";
    for (size_t i = 0; i < sizeof moved / sizeof moved[0]; i++)
        assert_refused(key, 1, &moved[i], blob, len, "authentication", EMAIL, strlen(EMAIL));
    /* Under the right key, but the caller expects another version. */
    assert_refused(key, 2, &B, blob, len, "version", EMAIL, strlen(EMAIL));
    prv_free(blob);
}
END_TEST

/* A wrong key stops at the commitment: the output buffer stays untouched
 * (assert_refused), so the AEAD never ran. And the commitment decides
 * alone: a blob whose AEAD part is valid under the key in hand but whose
 * commitment is another key's is refused. */
START_TEST(test_envelope_wrong_key_stopped_by_commitment_before_aead)
{
    uint8_t *blob;
    size_t len;
    seal_ok(key, 1, &B, EMAIL, strlen(EMAIL), 0, &blob, &len);
    for (int i = 0; i < 1000; i++) {
        uint8_t other[32];
        randombytes_buf(other, sizeof other);
        uint8_t *pt = NULL;
        size_t n = 0;
        ck_assert_int_eq(prv_envelope_open(other, 1, &B, blob, len, &pt, &n, &err),
                         PRIVACY_E_CRYPTO);
        assert_msg_has("key commitment");
    }
    uint8_t other[32];
    randombytes_buf(other, sizeof other);
    assert_refused(other, 1, &B, blob, len, "commitment", EMAIL, strlen(EMAIL));

    /* The same value under `other` with the same nonce, then given the
     * first key's commitment. */
    uint8_t *spliced = malloc(len);
    size_t n = 0;
    ck_assert_int_eq(prv_envelope_seal_with_nonce(other, 1, &B, blob + 7, (const uint8_t *)EMAIL,
                                                  strlen(EMAIL), 0, spliced, len, &n, &err),
                     PRIVACY_OK);
    assert_opens(other, 1, &B, spliced, len, EMAIL, strlen(EMAIL));
    memcpy(spliced + PRV_ENVELOPE_HEADER_BYTES, blob + PRV_ENVELOPE_HEADER_BYTES,
           PRV_ENVELOPE_COMMIT_BYTES);
    uint8_t ad[512];
    size_t ad_len = PRV_ENVELOPE_HEADER_BYTES;
    memcpy(ad, spliced, ad_len);
    const char *pieces[] = { B.subject_id, B.collection, B.record_id, B.field };
    for (int i = 0; i < 4; i++) {
        size_t m = strlen(pieces[i]);
        memset(ad + ad_len, 0, 7);
        ad[ad_len + 7] = (uint8_t)m;
        memcpy(ad + ad_len + 8, pieces[i], m);
        ad_len += 8 + m;
    }
    uint8_t raw[64];
    ck_assert_int_eq(crypto_aead_xchacha20poly1305_ietf_decrypt(
                         raw, NULL, NULL, spliced + OVERHEAD - PRV_ENVELOPE_TAG_BYTES,
                         len - OVERHEAD + PRV_ENVELOPE_TAG_BYTES, ad, ad_len, spliced + 7, other),
                     0);
    assert_refused(other, 1, &B, spliced, len, "commitment", EMAIL, strlen(EMAIL));
    /* Under the first key the commitment matches and the AEAD refuses. */
    assert_refused(key, 1, &B, spliced, len, "authentication", EMAIL, strlen(EMAIL));
    free(spliced);
    prv_free(blob);
}
END_TEST

START_TEST(test_envelope_null_and_bad_arguments)
{
    uint8_t buf[256], *out = NULL, *pto = NULL;
    size_t len = 0, n = 0;
    uint32_t v = 0;
    const uint8_t *pt = (const uint8_t *)EMAIL;
    assert_invalid(prv_envelope_seal(NULL, 1, &B, pt, 5, 0, &out, &len, &err), "data key is NULL");
    assert_invalid(prv_envelope_seal(key, 1, NULL, pt, 5, 0, &out, &len, &err), "binding is NULL");
    assert_invalid(prv_envelope_seal(key, 1, &B, NULL, 5, 0, &out, &len, &err), "value is NULL");
    assert_invalid(prv_envelope_seal(key, 1, &B, pt, 5, 0, NULL, &len, &err), "output is NULL");
    assert_invalid(prv_envelope_seal(key, 1, &B, pt, 5, 0, &out, NULL, &err), "output is NULL");
    assert_invalid(prv_envelope_seal_into(key, 1, &B, pt, 5, 0, NULL, 99, &len, &err), "NULL");
    assert_invalid(prv_envelope_seal_into(key, 1, &B, pt, 5, 0, buf, OVERHEAD + 4, &len, &err),
                   "the envelope needs 84");
    assert_invalid(prv_envelope_seal_with_nonce(key, 1, &B, NULL, pt, 5, 0, buf, sizeof buf, &len,
                                                &err),
                   "nonce is NULL");
    assert_invalid(prv_envelope_sealed_size(5, 0, NULL, &err), "NULL");
    ck_assert_ptr_null(out);

    /* Each binding string: NULL, empty, one byte too long; 255 is fine. */
    char long_name[PRV_ENVELOPE_NAME_MAX + 2];
    memset(long_name, 'n', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    const char *what[] = { "subject id", "collection", "record id", "field name" };
    for (int i = 0; i < 4; i++) {
        prv_envelope_binding b = B;
        const char **slot = i == 0 ? &b.subject_id
                            : i == 1 ? &b.collection
                            : i == 2 ? &b.record_id
                                     : &b.field;
        *slot = NULL;
        assert_invalid(prv_envelope_seal(key, 1, &b, pt, 5, 0, &out, &len, &err), what[i]);
        *slot = "";
        assert_invalid(prv_envelope_seal(key, 1, &b, pt, 5, 0, &out, &len, &err), what[i]);
        assert_invalid(prv_envelope_open(key, 1, &b, buf, sizeof buf, &out, &len, &err), what[i]);
        *slot = long_name;
        assert_invalid(prv_envelope_seal(key, 1, &b, pt, 5, 0, &out, &len, &err),
                       "must be 1 to 255 bytes");
        *slot = long_name + 1;
        seal_ok(key, 1, &b, pt, 5, 0, &out, &len);
        assert_opens(key, 1, &b, out, len, pt, 5);
        /* Long names are cut in messages; the reason still shows. */
        ck_assert_int_eq(prv_envelope_open(key, 2, &b, out, len, &pto, &n, &err),
                         PRIVACY_E_CRYPTO);
        assert_msg_has("data key version 1, not the expected 2");
        prv_free(out);
        out = NULL;
    }

    seal_ok(key, 1, &B, pt, 5, 0, &out, &len);
    assert_invalid(prv_envelope_open(NULL, 1, &B, out, len, &out, &n, &err), "data key is NULL");
    assert_invalid(prv_envelope_open(key, 1, NULL, out, len, &out, &n, &err), "binding is NULL");
    assert_invalid(prv_envelope_open(key, 1, &B, NULL, len, &pto, &n, &err), "envelope is NULL");
    assert_invalid(prv_envelope_open(key, 1, &B, out, len, NULL, &n, &err), "output is NULL");
    assert_invalid(prv_envelope_open(key, 1, &B, out, len, &pto, NULL, &err), "output is NULL");
    assert_invalid(prv_envelope_open_into(key, 1, &B, out, len, NULL, 99, &n, &err), "NULL");
    assert_invalid(prv_envelope_open_into(key, 1, &B, out, len, buf, 4, &n, &err),
                   "the envelope needs 5");
    assert_invalid(prv_envelope_version(&B, NULL, len, &v, &err), "envelope is NULL");
    assert_invalid(prv_envelope_version(&B, out, len, NULL, &err), "version is NULL");
    ck_assert_ptr_null(pto);

    /* The header alone, with and without a binding to name the field. */
    ck_assert_int_eq(prv_envelope_version(NULL, out, OVERHEAD - 1, &v, &err), PRIVACY_E_CRYPTO);
    assert_msg_has("field envelope: envelope truncated");
    ck_assert_int_eq(prv_envelope_version(&B, out, OVERHEAD - 1, &v, &err), PRIVACY_E_CRYPTO);
    assert_msg_has("field 'contact.email' in 'subject_fields': envelope truncated");
    ck_assert_uint_eq(prv_envelope_open_max(OVERHEAD - 1), 0);
    ck_assert_uint_eq(prv_envelope_open_max(len), 5);
    prv_free(out);
}
END_TEST

START_TEST(test_envelope_over_long_values_refused)
{
    enum { MAX = PRV_ENVELOPE_VALUE_MAX, PAD = PRV_ENVELOPE_PAD_MAX };
    size_t size = 0, len = 0;
    uint8_t *blob = NULL;
    uint8_t *big = calloc(1, MAX + PAD + OVERHEAD + 1);
    assert_invalid(prv_envelope_sealed_size(MAX + 1, 0, &size, &err), "at most 65536 bytes");
    assert_invalid(prv_envelope_sealed_size(1, PAD + 1, &size, &err),
                   "padding block is at most 4096 bytes");
    assert_invalid(prv_envelope_seal(key, 1, &B, big, MAX + 1, 0, &blob, &len, &err),
                   "field 'contact.email' in 'subject_fields': a value is at most 65536 bytes");
    assert_invalid(prv_envelope_seal(key, 1, &B, big, 1, PAD + 1, &blob, &len, &err),
                   "padding block");
    assert_invalid(prv_envelope_seal_into(key, 1, &B, big, MAX + 1, 0, big, MAX + PAD + OVERHEAD,
                                          &len, &err),
                   "at most 65536");
    ck_assert_ptr_null(blob);

    /* A blob longer than any seal makes is refused before any work; the
     * longest possible passes the size check and meets the commitment. */
    big[0] = PRV_ENVELOPE_FORMAT;
    big[1] = PRV_ENVELOPE_SUITE;
    assert_refused(key, 0, &B, big, OVERHEAD + MAX + 1, "too_long", EMAIL, strlen(EMAIL));
    assert_refused(key, 0, &B, big, OVERHEAD + MAX, "commitment", EMAIL, strlen(EMAIL));
    big[2] = PRV_ENVELOPE_FLAG_PADDED;
    assert_refused(key, 0, &B, big, OVERHEAD + MAX + PAD + 1, "too_long", EMAIL, strlen(EMAIL));
    assert_refused(key, 0, &B, big, OVERHEAD + MAX + PAD, "commitment", EMAIL, strlen(EMAIL));
    uint32_t v = 1;
    ck_assert_int_eq(prv_envelope_version(&B, big, OVERHEAD + MAX + PAD + 1, &v, &err),
                     PRIVACY_E_CRYPTO);
    assert_msg_has("too long");
    free(big);

    /* The largest value, padded to the largest bucket, round-trips. */
    uint8_t *value = malloc(MAX);
    randombytes_buf(value, MAX);
    seal_ok(key, 1, &B, value, MAX, PAD, &blob, &len);
    ck_assert_uint_eq(len, OVERHEAD + MAX + PAD);
    assert_opens(key, 1, &B, blob, len, value, MAX);
    prv_free(blob);
    free(value);
}
END_TEST

/* Seal, open and release; returns the first failing code. */
static int seal_open_flow(void)
{
    uint8_t *blob = NULL, *pt = NULL;
    size_t len = 0, n = 0;
    const uint8_t *pt_in = (const uint8_t *)EMAIL;
    int rc = prv_envelope_seal(key, 1, &B, pt_in, strlen(EMAIL), 16, &blob, &len, &err);
    if (rc == PRIVACY_OK)
        rc = prv_envelope_open(key, 1, &B, blob, len, &pt, &n, &err);
    if (rc == PRIVACY_OK)
        ck_assert(n == strlen(EMAIL) && memcmp(pt, EMAIL, n) == 0);
    prv_free(pt);
    prv_free(blob);
    return rc;
}

START_TEST(test_envelope_allocation_failures_leak_nothing)
{
    long before = prv_alloc_count();
    ck_assert_int_eq(seal_open_flow(), PRIVACY_OK);
    long steps = prv_alloc_count() - before;
    ck_assert_int_eq(steps, 2); /* the blob and the plaintext, nothing else */
    for (int persistent = 0; persistent < 2; persistent++) {
        for (long i = 1; i <= steps; i++) {
            long live = prv_alloc_live();
            prv_alloc_fault(i, persistent);
            ck_assert_int_eq(seal_open_flow(), PRIVACY_E_NOMEM);
            prv_alloc_fault(0, 0);
            assert_msg_has("out of memory");
            assert_msg_has("contact.email");
            ck_assert_int_eq(prv_alloc_live(), live);
        }
    }
    ck_assert_int_eq(seal_open_flow(), PRIVACY_OK);

    /* The caller-buffer variants never allocate: the hot path cannot fail
     * for memory. */
    uint8_t blob[OVERHEAD + 64], pt[64];
    size_t len = 0, n = 0;
    prv_alloc_fault(1, 1);
    const uint8_t *pt_in = (const uint8_t *)EMAIL;
    ck_assert_int_eq(prv_envelope_seal_into(key, 1, &B, pt_in, strlen(EMAIL), 0, blob, sizeof blob,
                                            &len, &err),
                     PRIVACY_OK);
    ck_assert_int_eq(prv_envelope_open_into(key, 1, &B, blob, len, pt, sizeof pt, &n, &err),
                     PRIVACY_OK);
    prv_alloc_fault(0, 0);
    ck_assert(n == strlen(EMAIL) && memcmp(pt, EMAIL, n) == 0);
}
END_TEST

/* R19: every refusal, for every reason, names the field and never holds
 * the value, nor the key, in any form the tests can spot. */
START_TEST(test_envelope_messages_never_contain_the_value)
{
    static const char value[] = "Zoë Åström <zoe.astrom@example.org>";
    uint8_t *blob;
    size_t len;
    seal_ok(key, 1, &B, value, strlen(value), 0, &blob, &len);
    char value_hex[2 * sizeof value + 1], key_hex[65];
    sodium_bin2hex(value_hex, sizeof value_hex, (const uint8_t *)value, strlen(value));
    sodium_bin2hex(key_hex, sizeof key_hex, key, sizeof key);
    const char *needles[] = { value, "zoe.astrom", value_hex, key_hex };
    int checked = 0;
    for (size_t i = 0; i <= len; i++) {
        uint8_t *pt = NULL;
        size_t n = 0;
        if (i < len)
            blob[i] ^= 0x40;
        int rc = prv_envelope_open(key, i == len ? 2 : 1, &B, blob, i == len ? len - 1 : len, &pt,
                                   &n, &err);
        if (i < len)
            blob[i] ^= 0x40;
        ck_assert_int_eq(rc, PRIVACY_E_CRYPTO);
        assert_msg_has("contact.email");
        for (size_t k = 0; k < sizeof needles / sizeof needles[0]; k++)
            ck_assert_msg(strstr(msg(), needles[k]) == NULL, "'%s' holds '%s'", msg(),
                          needles[k]);
        checked++;
    }
    ck_assert_int_eq(checked, (int)len + 1);
    prv_free(blob);
}
END_TEST

static Suite *envelope_suite(void)
{
    Suite *s = suite_create("envelope");
    TCase *tc = tcase_create("envelope");
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_envelope_kat_seal_gives_the_reference_bytes);
    tcase_add_test(tc, test_envelope_kat_open_gives_the_reference_results);
    tcase_add_test(tc, test_envelope_kat_two_key_ciphertext_opens_under_one_key_only);
    tcase_add_test(tc, test_envelope_round_trips);
    tcase_add_test(tc, test_envelope_every_flipped_byte_refused);
    tcase_add_test(tc, test_envelope_every_truncation_refused);
    tcase_add_test(tc, test_envelope_moved_to_another_place_refused);
    tcase_add_test(tc, test_envelope_wrong_key_stopped_by_commitment_before_aead);
    tcase_add_test(tc, test_envelope_null_and_bad_arguments);
    tcase_add_test(tc, test_envelope_over_long_values_refused);
    tcase_add_test(tc, test_envelope_allocation_failures_leak_nothing);
    tcase_add_test(tc, test_envelope_messages_never_contain_the_value);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    if (sodium_init() < 0)
        return EXIT_FAILURE;
    return tu_run(envelope_suite());
}
