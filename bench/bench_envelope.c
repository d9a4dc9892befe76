/* Field envelope benchmarks (docs/envelope.md): sealing and opening one
 * value with a key in hand (a warm key cache: no lookup, no unwrap), no
 * padding, against the raw libsodium calls the format cannot avoid, on
 * the same bytes.
 *
 *  field_encrypt_<n>   prv_envelope_seal_into() of an n-byte value. Against
 *                      (baseline=libsodium) writing the 7 header bytes,
 *                      randombytes_buf() for the nonce, crypto_generichash()
 *                      of the commitment (data key; label | nonce) and
 *                      crypto_aead_xchacha20poly1305_ietf_encrypt() with the
 *                      same associated data (header | binding, the binding
 *                      part encoded once beforehand). ops = values.
 *  field_decrypt_<n>   prv_envelope_open_into() of such a blob. Against the
 *                      commitment recomputed and compared (sodium_memcmp) and
 *                      crypto_aead_xchacha20poly1305_ietf_decrypt() with the
 *                      same associated data. ops = values.
 *  field_*_vs_aead     the same library calls against bare randombytes_buf()
 *                      + XChaCha20-Poly1305 with the same associated data
 *                      (baseline=libsodium_aead): what the key commitment
 *                      costs on top of the AEAD.
 *
 * Both sides use the caller-buffer variants' shape: output buffers made
 * once, no allocation per value (the allocating prv_envelope_seal/open add
 * one prv_malloc and one wiping prv_free). The baselines write the format's
 * exact bytes: a blob sealed by the baseline opens in the library and one
 * sealed by the library opens in the baseline, checked before the figures;
 * every call's result is checked while timing. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "bench.h"
#include "core/alloc.h"
#include "crypto/envelope.h"

enum {
    ROUNDS = 9,        /* timed rounds, plus one warm-up */
    STEPS = 8,         /* steps per side per round */
    PER_STEP = 10000,  /* values per step */
    NVALUES = 1024,    /* distinct values (and blobs) cycled through */
    MAX_VALUE = 256,
    BLOB_CAP = PRV_ENVELOPE_OVERHEAD + MAX_VALUE,
    AD_CAP = PRV_ENVELOPE_HEADER_BYTES + 4 * (8 + PRV_ENVELOPE_NAME_MAX),
    OFF_NONCE = 7,
    OFF_COMMIT = PRV_ENVELOPE_HEADER_BYTES,
    OFF_CT = OFF_COMMIT + PRV_ENVELOPE_COMMIT_BYTES
};

/* The commitment label of docs/envelope.md. */
static const char LABEL[] = "libprivacy/field-envelope/commit/v1";
enum { LABEL_LEN = sizeof LABEL - 1 };

typedef struct state {
    uint8_t key[PRV_ENVELOPE_KEY_BYTES];
    uint32_t version;
    bench_id subject, record;
    prv_envelope_binding b;
    size_t n; /* value length of the current figure */
    uint8_t values[NVALUES][MAX_VALUE];
    uint8_t blobs[NVALUES][BLOB_CAP]; /* sealed by the library, for the decrypt figures */
    uint8_t ours_out[BLOB_CAP], base_out[BLOB_CAP];
    uint8_t ad[AD_CAP]; /* baseline: header (per value) | binding (encoded once) */
    size_t ad_len;
    prv_err err;
    unsigned sink;
} state;

static void put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (56 - 8 * i));
}

/* The binding part of the associated data, once: it is the same for every
 * value of a field, so the baseline does not pay to encode it. */
static void encode_binding(state *s)
{
    const char *pieces[] = { s->b.subject_id, s->b.collection, s->b.record_id, s->b.field };
    size_t n = PRV_ENVELOPE_HEADER_BYTES;
    for (int i = 0; i < 4; i++) {
        size_t m = strlen(pieces[i]);
        put_u64(s->ad + n, m);
        memcpy(s->ad + n + 8, pieces[i], m);
        n += 8 + m;
    }
    s->ad_len = n;
}

/* ---- the library ---- */

static uint64_t ours_encrypt(void *arg, int step)
{
    state *s = arg;
    for (int i = 0; i < PER_STEP; i++) {
        size_t len = 0;
        int rc = prv_envelope_seal_into(s->key, s->version, &s->b,
                                        s->values[(step * PER_STEP + i) % NVALUES], s->n, 0,
                                        s->ours_out, sizeof s->ours_out, &len, &s->err);
        if (rc != PRIVACY_OK)
            bench_die("prv_envelope_seal_into: %s (%d)", prv_err_msg(&s->err), rc);
        s->sink += s->ours_out[len - 1];
    }
    return PER_STEP;
}

static uint64_t ours_decrypt(void *arg, int step)
{
    state *s = arg;
    size_t blob_len = PRV_ENVELOPE_OVERHEAD + s->n;
    for (int i = 0; i < PER_STEP; i++) {
        size_t len = 0;
        int rc = prv_envelope_open_into(s->key, s->version, &s->b,
                                        s->blobs[(step * PER_STEP + i) % NVALUES], blob_len,
                                        s->ours_out, sizeof s->ours_out, &len, &s->err);
        if (rc != PRIVACY_OK || len != s->n)
            bench_die("prv_envelope_open_into: %s (%d)", prv_err_msg(&s->err), rc);
        s->sink += s->ours_out[0];
    }
    return PER_STEP;
}

/* ---- the raw libsodium work ---- */

static void raw_header(const state *s, uint8_t *out)
{
    out[0] = PRV_ENVELOPE_FORMAT;
    out[1] = PRV_ENVELOPE_SUITE;
    out[2] = 0;
    out[3] = (uint8_t)(s->version >> 24);
    out[4] = (uint8_t)(s->version >> 16);
    out[5] = (uint8_t)(s->version >> 8);
    out[6] = (uint8_t)s->version;
}

static void raw_commitment(const uint8_t *key, const uint8_t *nonce, uint8_t *out)
{
    uint8_t in[LABEL_LEN + PRV_ENVELOPE_NONCE_BYTES];
    memcpy(in, LABEL, LABEL_LEN);
    memcpy(in + LABEL_LEN, nonce, PRV_ENVELOPE_NONCE_BYTES);
    crypto_generichash(out, PRV_ENVELOPE_COMMIT_BYTES, in, sizeof in, key,
                       PRV_ENVELOPE_KEY_BYTES);
}

/* One raw seal of value v into out; with_commitment 0 leaves the
 * commitment bytes unwritten (the _vs_aead baseline). */
static void raw_seal(state *s, const uint8_t *v, uint8_t *out, int with_commitment)
{
    raw_header(s, out);
    randombytes_buf(out + OFF_NONCE, PRV_ENVELOPE_NONCE_BYTES);
    if (with_commitment)
        raw_commitment(s->key, out + OFF_NONCE, out + OFF_COMMIT);
    memcpy(s->ad, out, PRV_ENVELOPE_HEADER_BYTES);
    crypto_aead_xchacha20poly1305_ietf_encrypt(out + OFF_CT, NULL, v, s->n, s->ad, s->ad_len,
                                               NULL, out + OFF_NONCE, s->key);
}

static int raw_open(state *s, const uint8_t *blob, uint8_t *out, int with_commitment)
{
    if (with_commitment) {
        uint8_t c[PRV_ENVELOPE_COMMIT_BYTES];
        raw_commitment(s->key, blob + OFF_NONCE, c);
        if (sodium_memcmp(c, blob + OFF_COMMIT, sizeof c) != 0)
            return -1;
    }
    memcpy(s->ad, blob, PRV_ENVELOPE_HEADER_BYTES);
    return crypto_aead_xchacha20poly1305_ietf_decrypt(out, NULL, NULL, blob + OFF_CT,
                                                      s->n + PRV_ENVELOPE_TAG_BYTES, s->ad,
                                                      s->ad_len, blob + OFF_NONCE, s->key);
}

static uint64_t raw_encrypt_steps(state *s, int step, int with_commitment)
{
    for (int i = 0; i < PER_STEP; i++) {
        raw_seal(s, s->values[(step * PER_STEP + i) % NVALUES], s->base_out, with_commitment);
        s->sink += s->base_out[PRV_ENVELOPE_OVERHEAD + s->n - 1];
    }
    return PER_STEP;
}

static uint64_t raw_decrypt_steps(state *s, int step, int with_commitment)
{
    for (int i = 0; i < PER_STEP; i++) {
        if (raw_open(s, s->blobs[(step * PER_STEP + i) % NVALUES], s->base_out,
                     with_commitment) != 0)
            bench_die("raw open: a blob the library sealed does not open");
        s->sink += s->base_out[0];
    }
    return PER_STEP;
}

static uint64_t base_encrypt(void *arg, int step)
{
    return raw_encrypt_steps(arg, step, 1);
}

static uint64_t base_decrypt(void *arg, int step)
{
    return raw_decrypt_steps(arg, step, 1);
}

static uint64_t aead_encrypt(void *arg, int step)
{
    return raw_encrypt_steps(arg, step, 0);
}

static uint64_t aead_decrypt(void *arg, int step)
{
    return raw_decrypt_steps(arg, step, 0);
}

/* ---- figures ---- */

/* Fresh values and their blobs for a figure of n-byte values, and proof
 * that both sides write and read the same format. */
static void prepare_size(state *s, size_t n)
{
    s->n = n;
    randombytes_buf(s->values, sizeof s->values);
    for (int i = 0; i < NVALUES; i++) {
        size_t len = 0;
        if (prv_envelope_seal_into(s->key, s->version, &s->b, s->values[i], n, 0, s->blobs[i],
                                   BLOB_CAP, &len, &s->err) != PRIVACY_OK ||
            len != PRV_ENVELOPE_OVERHEAD + n)
            bench_die("prv_envelope_seal_into: %s", prv_err_msg(&s->err));
        if (raw_open(s, s->blobs[i], s->base_out, 1) != 0 || memcmp(s->base_out, s->values[i], n))
            bench_die("the raw baseline does not open the library's blob");
    }
    raw_seal(s, s->values[0], s->base_out, 1);
    size_t len = 0;
    if (prv_envelope_open_into(s->key, s->version, &s->b, s->base_out,
                               PRV_ENVELOPE_OVERHEAD + n, s->ours_out, sizeof s->ours_out, &len,
                               &s->err) != PRIVACY_OK ||
        len != n || memcmp(s->ours_out, s->values[0], n) != 0)
        bench_die("the library does not open the raw baseline's blob: %s", prv_err_msg(&s->err));
}

static void run(state *s, const char *name, const char *baseline, bench_step_fn ours,
                bench_step_fn base)
{
    bench_pair p = {
        .name = name,
        .baseline = baseline,
        .rounds = ROUNDS,
        .steps = STEPS,
        .arg = s,
        .prepare = NULL,
        .ours = ours,
        .base = base,
    };
    bench_run_pair(&p);
}

int main(void)
{
    if (sodium_init() < 0)
        bench_die("sodium_init failed");
    static state s; /* large, zeroed */
    randombytes_buf(s.key, sizeof s.key);
    s.version = 3;
    bench_new_id(s.subject, "sub_");
    bench_new_id(s.record, "fld_");
    s.b.subject_id = s.subject;
    s.b.collection = "subject_fields";
    s.b.record_id = s.record;
    s.b.field = "contact.email";
    encode_binding(&s);

    static const size_t sizes[] = { 32, 256 };
    char name[64];
    for (size_t i = 0; i < 2; i++) {
        prepare_size(&s, sizes[i]);
        snprintf(name, sizeof name, "field_encrypt_%zu", sizes[i]);
        run(&s, name, "libsodium", ours_encrypt, base_encrypt);
        snprintf(name, sizeof name, "field_decrypt_%zu", sizes[i]);
        run(&s, name, "libsodium", ours_decrypt, base_decrypt);
    }
    for (size_t i = 0; i < 2; i++) {
        prepare_size(&s, sizes[i]);
        snprintf(name, sizeof name, "field_encrypt_%zu_vs_aead", sizes[i]);
        run(&s, name, "libsodium_aead", ours_encrypt, aead_encrypt);
        snprintf(name, sizeof name, "field_decrypt_%zu_vs_aead", sizes[i]);
        run(&s, name, "libsodium_aead", ours_decrypt, aead_decrypt);
    }
    fprintf(stderr, "bench: checksum %u\n", s.sink);
    if (prv_alloc_live() != 0)
        bench_die("the library leaked %ld blocks", prv_alloc_live());
    sodium_memzero(s.key, sizeof s.key);
    return 0;
}
