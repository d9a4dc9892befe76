/* The store and raw-baseline machinery of the subject benchmarks
 * (bench_subject.c, bench_pg_subject.c): the byte formats recomputed with
 * libsodium, the test data, the stores built through the public API and
 * copied, and the audit log checks. */
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_subject.h"
#include "core/context.h"
#include "crypto/envelope.h"

/* The labels of the formats (docs/envelope.md, docs/keys.md,
 * docs/subjects.md); the checks before and after the figures show that
 * the baselines compute the library's exact bytes. */
static const char BLIND_LABEL[] = "libprivacy/blind-index/v1";
static const char SEAL_LABEL[] = "libprivacy/record/v1";
static const char COMMIT_LABEL[] = "libprivacy/field-envelope/commit/v1";
static const char KEYWRAP_LABEL[] = "libprivacy/key/v1"; /* NUL included in the AD */

/* ---- byte helpers of the formats ---- */

void bs_put_be(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

uint64_t bs_get_be(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

/* Appends u64 BE length | bytes at buf + n; returns the new length. */
static size_t lp(uint8_t *buf, size_t n, const void *p, size_t len)
{
    bs_put_be(buf + n, len, 8);
    if (len > 0)
        memcpy(buf + n + 8, p, len);
    return n + 8 + len;
}

/* A field's record id: "<subject>.<category>". */
void bs_make_rid(char rid[PRV_FIELD_ID_SIZE], const char *subject, const char *category)
{
    size_t s = strlen(subject), c = strlen(category);
    if (s + 1 + c >= PRV_FIELD_ID_SIZE)
        bench_die("record id too long");
    memcpy(rid, subject, s);
    rid[s] = '.';
    memcpy(rid + s + 1, category, c + 1);
}

/* ---- test data ---- */

static const char *const FIRST[] = { "anna",   "ben",   "chloe", "david",    "emma",  "felix",
                                     "george", "hannah", "isaac", "jan",      "kim",   "laura",
                                     "mohammed", "nina", "oliver", "paula" };
static const char *const LAST[] = { "smith", "garcia", "muller", "nowak",
                                    "devries", "rossi", "dubois", "jensen" };
static const char *const DOMAIN[] = { "gmail.com",   "outlook.com", "yahoo.co.uk",
                                      "web.de",      "example.org", "gmx.net",
                                      "mail.example.net", "shop.example.com" };
static const char *const STREET[] = { "Main Street", "Königstraße", "Rue de la Paix",
                                      "High Street", "Kalverstraat", "Via Roma",
                                      "Storgatan",   "Calle Mayor" };
static const char *const CITY[] = { "Berlin", "Paris", "London", "München",
                                    "Zürich", "Amsterdam", "Göteborg", "Madrid" };

/* Subject i's address, in its normal form already (lower-case ASCII),
 * unique by i. */
size_t bs_email_of(size_t i, char out[EMAIL_CAP])
{
    int n = snprintf(out, EMAIL_CAP, "%s.%s%zu@%s", FIRST[i % COUNT(FIRST)],
                     LAST[(i / COUNT(FIRST)) % COUNT(LAST)], i,
                     DOMAIN[(i / (COUNT(FIRST) * COUNT(LAST))) % COUNT(DOMAIN)]);
    if (n <= 0 || n >= EMAIL_CAP)
        bench_die("email too long");
    return (size_t)n;
}

/* A shipping address made from seed (UTF-8, 25 to 45 bytes). */
void bs_address_of(uint32_t seed, char out[VALUE_CAP])
{
    int n = snprintf(out, VALUE_CAP, "%u %s, %05u %s", (unsigned)(seed % 197 + 1),
                     STREET[(seed >> 8) % COUNT(STREET)], (unsigned)((seed >> 4) % 99999),
                     CITY[(seed >> 16) % COUNT(CITY)]);
    if (n <= 0 || n >= VALUE_CAP)
        bench_die("address too long");
}


void bs_raw_keys_from(bs_raw_keys *k, privacy_ctx *ctx, const uint8_t *root)
{
    memset(k, 0, sizeof *k);
    k->root = root;
    k->integrity = prv_keystore_key(ctx->keys, PRV_KEY_INTEGRITY, &k->integrity_version);
    k->audit = prv_keystore_key(ctx->keys, PRV_KEY_AUDIT, NULL);
    k->blind = prv_keystore_key(ctx->keys, PRV_KEY_BLIND_INDEX, &k->blind_version);
    memcpy(k->keyset, prv_keystore_keyset(ctx->keys), PRV_KEYSET_BYTES);
    size_t n = lp(k->prefix, 0, BLIND_LABEL, sizeof BLIND_LABEL - 1);
    n = lp(k->prefix, n, PRV_FIELD_COLLECTION, strlen(PRV_FIELD_COLLECTION));
    k->prefix_len = lp(k->prefix, n, PRV_EMAIL_CATEGORY, strlen(PRV_EMAIL_CATEGORY));
}

/* ---- the raw work ---- */

/* The blind index: version byte | keyed BLAKE2b-256 over the input bytes. */
void bs_raw_blind(const bs_raw_keys *k, const char *v, size_t len, uint8_t out[PRV_BLIND_BYTES])
{
    uint8_t in[PREFIX_CAP + 8 + EMAIL_CAP * 4];
    if (len > EMAIL_CAP * 4)
        bench_die("address too long");
    memcpy(in, k->prefix, k->prefix_len);
    size_t n = lp(in, k->prefix_len, v, len);
    out[0] = (uint8_t)k->blind_version;
    if (crypto_generichash(out + 1, PRV_BLIND_BYTES - 1, in, n, k->blind,
                           PRV_WORKING_KEY_BYTES) != 0)
        bench_die("crypto_generichash failed");
}

/* The record seal's MAC over every field of the row (docs/subjects.md:
 * length-prefixed, a flag before each optional field). */
void bs_raw_seal_mac(const bs_raw_keys *k, const char *collection, const char *id,
                     const char *subject, int64_t created, int64_t expires,
                     const uint8_t *body, size_t blen, uint8_t mac[32])
{
    uint8_t in[BODY_CAP + 512];
    size_t cl = strlen(collection), il = strlen(id), sl = strlen(subject);
    if (cl + il + sl + blen + 200 > sizeof in)
        bench_die("record too large to seal");
    size_t n = lp(in, 0, SEAL_LABEL, sizeof SEAL_LABEL - 1);
    n = lp(in, n, collection, cl);
    n = lp(in, n, id, il);
    bs_put_be(in + n, 1, 8); /* a subject */
    n = lp(in, n + 8, subject, sl);
    bs_put_be(in + n, 0, 8); /* no index key */
    n = lp(in, n + 8, NULL, 0);
    bs_put_be(in + n, (uint64_t)created, 8);
    bs_put_be(in + n + 8, (uint64_t)expires, 8);
    n = lp(in, n + 16, body, blen);
    if (crypto_generichash(mac, 32, in, n, k->integrity, PRV_WORKING_KEY_BYTES) != 0)
        bench_die("crypto_generichash failed");
}

/* The envelope's associated data: header | lp(subject) | lp(collection) |
 * lp(record id) | lp(field). */
static size_t envelope_ad(uint8_t ad[AD_CAP], const uint8_t *header, const char *subject,
                          const char *rid, const char *category)
{
    memcpy(ad, header, PRV_ENVELOPE_HEADER_BYTES);
    size_t n = lp(ad, PRV_ENVELOPE_HEADER_BYTES, subject, strlen(subject));
    n = lp(ad, n, PRV_FIELD_COLLECTION, strlen(PRV_FIELD_COLLECTION));
    n = lp(ad, n, rid, strlen(rid));
    return lp(ad, n, category, strlen(category));
}

/* The key commitment: keyed BLAKE2b-256(data key, label | nonce). */
static void raw_commitment(const uint8_t *dek, const uint8_t *nonce, uint8_t out[32])
{
    uint8_t in[sizeof COMMIT_LABEL - 1 + PRV_ENVELOPE_NONCE_BYTES];
    memcpy(in, COMMIT_LABEL, sizeof COMMIT_LABEL - 1);
    memcpy(in + sizeof COMMIT_LABEL - 1, nonce, PRV_ENVELOPE_NONCE_BYTES);
    if (crypto_generichash(out, PRV_ENVELOPE_COMMIT_BYTES, in, sizeof in, dek,
                           PRV_ENVELOPE_KEY_BYTES) != 0)
        bench_die("crypto_generichash failed");
}

enum {
    ENV_NONCE = 7,
    ENV_COMMIT = PRV_ENVELOPE_HEADER_BYTES,
    ENV_CT = ENV_COMMIT + PRV_ENVELOPE_COMMIT_BYTES,
};

/* Seals v (no padding) at out; returns the blob's length. */
size_t bs_raw_envelope_seal(const uint8_t *dek, uint32_t version, const char *subject,
                            const char *rid, const char *category, const char *v,
                            size_t len, uint8_t *out)
{
    out[0] = PRV_ENVELOPE_FORMAT;
    out[1] = PRV_ENVELOPE_SUITE;
    out[2] = 0;
    bs_put_be(out + 3, version, 4);
    randombytes_buf(out + ENV_NONCE, PRV_ENVELOPE_NONCE_BYTES);
    raw_commitment(dek, out + ENV_NONCE, out + ENV_COMMIT);
    uint8_t ad[AD_CAP];
    size_t ad_len = envelope_ad(ad, out, subject, rid, category);
    unsigned long long clen = 0;
    if (crypto_aead_xchacha20poly1305_ietf_encrypt(out + ENV_CT, &clen, (const uint8_t *)v, len,
                                                   ad, ad_len, NULL, out + ENV_NONCE, dek) != 0)
        bench_die("crypto_aead_xchacha20poly1305_ietf_encrypt failed");
    return ENV_CT + (size_t)clen;
}

/* Opens a blob into pt (at least len bytes); returns the value's length,
 * and dies if it does not open. */
size_t bs_raw_envelope_open(const uint8_t *dek, uint32_t version, const char *subject,
                            const char *rid, const char *category, const uint8_t *blob,
                            size_t len, uint8_t *pt)
{
    if (len < PRV_ENVELOPE_OVERHEAD || blob[0] != PRV_ENVELOPE_FORMAT ||
        blob[1] != PRV_ENVELOPE_SUITE || blob[2] != 0 || bs_get_be(blob + 3, 4) != version)
        bench_die("baseline: field '%s': not an envelope of data key version %u", category,
                  (unsigned)version);
    uint8_t c[PRV_ENVELOPE_COMMIT_BYTES];
    raw_commitment(dek, blob + ENV_NONCE, c);
    if (sodium_memcmp(c, blob + ENV_COMMIT, sizeof c) != 0)
        bench_die("baseline: field '%s': the key commitment does not match", category);
    uint8_t ad[AD_CAP];
    size_t ad_len = envelope_ad(ad, blob, subject, rid, category);
    unsigned long long n = 0;
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(pt, &n, NULL, blob + ENV_CT, len - ENV_CT, ad,
                                                   ad_len, blob + ENV_NONCE, dek) != 0)
        bench_die("baseline: field '%s' does not decrypt", category);
    return (size_t)n;
}

/* Unwraps a subject's "PKY1" key record (docs/keys.md) under the root key:
 * XChaCha20-Poly1305 with the record's associated data. */
void bs_raw_unwrap(const bs_raw_keys *k, const char *subject, const uint8_t *b, size_t len,
                   uint8_t dek[32], uint32_t *version)
{
    enum { FIXED = 13, WRAPPED = 24 + 32 + 16 };
    if (len < FIXED + 2 || memcmp(b, "PKY1", 4) != 0)
        bench_die("baseline: the data key of %s is malformed", subject);
    size_t idlen = b[12];
    if (FIXED + idlen + 2 > len || FIXED + idlen + 2 + bs_get_be(b + FIXED + idlen, 2) != len ||
        len - (FIXED + idlen + 2) != WRAPPED)
        bench_die("baseline: the data key of %s is malformed", subject);
    uint8_t ad[AD_CAP];
    size_t sl = strlen(subject), n = 0;
    memcpy(ad, KEYWRAP_LABEL, sizeof KEYWRAP_LABEL);
    n += sizeof KEYWRAP_LABEL;
    memcpy(ad + n, "dek", 4);
    n += 4;
    memcpy(ad + n, subject, sl + 1);
    n += sl + 1;
    memcpy(ad + n, k->keyset, PRV_KEYSET_BYTES);
    n += PRV_KEYSET_BYTES;
    memcpy(ad + n, b + 4, 4); /* the key's version */
    n += 4;
    ad[n++] = (uint8_t)idlen;
    memcpy(ad + n, b + FIXED, idlen); /* the root key's id */
    n += idlen;
    memcpy(ad + n, b + 8, 4); /* and version */
    n += 4;
    const uint8_t *w = b + FIXED + idlen + 2;
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(dek, NULL, NULL, w + 24, WRAPPED - 24, ad, n,
                                                   w, k->root) != 0)
        bench_die("baseline: the data key of %s does not unwrap", subject);
    *version = (uint32_t)bs_get_be(b + 4, 4);
}

/* Where the envelope starts in a field body "PFD1" | n | n x (len |
 * purpose) | envelope. */
size_t bs_field_blob_at(const uint8_t *b, size_t len)
{
    if (len < 5 || memcmp(b, "PFD1", 4) != 0 || b[4] == 0)
        bench_die("baseline: a field body is malformed");
    size_t n = 5;
    for (size_t i = 0; i < b[4]; i++) {
        if (n >= len || n + 1 + b[n] > len)
            bench_die("baseline: a field body is malformed");
        n += 1 + b[n];
    }
    return n;
}

/* ---- building a store through the public API (untimed) ---- */

privacy_actor *bs_new_actor(privacy_ctx *ctx, const char *id)
{
    privacy_actor *a = NULL;
    int rc = privacy_actor_new(ctx, id, ROLE, &a);
    if (rc != PRIVACY_OK)
        bench_ctx_die(ctx, rc, "privacy_actor_new");
    return a;
}

/* Builds n subjects into the new store at the storage URI (a file, a
 * schema), each with a contact.email (bs_email_of(i)) and, with
 * addresses, a contact.shipping_address (bs_address_of(i)), collected for
 * billing, BUILD_TX subjects per transaction (privacy_begin ..
 * privacy_commit), through a context of its own, closed at the end.
 * Says on stderr how long it took; returns the subjects' ids (free them). */
bench_id *bs_build_store(const char *uri, const uint8_t *root, size_t n, int addresses)
{
    static const char *const why[] = { PURPOSE };
    bench_id *ids = bench_xcalloc(n, sizeof *ids);
    int64_t t0 = bench_now_ns(), last = t0;
    privacy_config *cfg = NULL;
    privacy_ctx *ctx = bench_ctx_open_uri(&cfg, uri, root, NULL, NULL);
    privacy_actor *a = bs_new_actor(ctx, BUILDER);
    char email[EMAIL_CAP], addr[VALUE_CAP];
    for (size_t from = 0; from < n; from += BUILD_TX) {
        size_t end = n - from < BUILD_TX ? n : from + BUILD_TX;
        int rc = privacy_begin(ctx);
        if (rc != PRIVACY_OK)
            bench_ctx_die(ctx, rc, "privacy_begin");
        for (size_t i = from; i < end; i++) {
            char *sub = NULL;
            if ((rc = privacy_subject_create(ctx, a, "order", &sub)) != PRIVACY_OK)
                bench_ctx_die(ctx, rc, "privacy_subject_create");
            if (strlen(sub) != BENCH_ID_LEN)
                bench_die("privacy_subject_create: unexpected id length");
            memcpy(ids[i], sub, BENCH_ID_LEN + 1);
            privacy_free(sub);
            bs_email_of(i, email);
            if ((rc = privacy_subject_set(ctx, a, ids[i], PRV_EMAIL_CATEGORY, email, why, 1)) !=
                PRIVACY_OK)
                bench_ctx_die(ctx, rc, "privacy_subject_set(contact.email)");
            if (addresses) {
                bs_address_of((uint32_t)i, addr);
                if ((rc = privacy_subject_set(ctx, a, ids[i], CATEGORY, addr, why, 1)) !=
                    PRIVACY_OK)
                    bench_ctx_die(ctx, rc, "privacy_subject_set(" CATEGORY ")");
            }
        }
        if ((rc = privacy_commit(ctx)) != PRIVACY_OK)
            bench_ctx_die(ctx, rc, "privacy_commit");
        if (end % 100000 == 0 && end < n) {
            int64_t now = bench_now_ns();
            fprintf(stderr, "bench: ... %zu subjects, %.1f s, last 100,000 at %.0f us each\n",
                    end, (double)(now - t0) / 1e9, (double)(now - last) / 1e3 / 100000);
            last = now;
        }
    }
    privacy_actor_free(a);
    bench_ctx_close(ctx, cfg);
    double secs = (double)(bench_now_ns() - t0) / 1e9;
    fprintf(stderr,
            "bench: built %zu subjects (%s each) through the public API in %.1f s (%.0f us per "
            "subject)\n",
            n, addresses ? "contact.email and " CATEGORY : "contact.email", secs,
            secs * 1e6 / (double)n);
    return ids;
}

/* The two files of a figure: two copies of the store just built, which is
 * then removed, so that both files have the same history. (The library
 * on the built file and the baseline on a copy of it made the library
 * look 3-7% faster than the baseline, and the other way round 10-20%
 * slower: the file that was copied is the faster one to work on.) */
void bs_make_copies(const char *dir, const char *built, const char *ours, const char *raw)
{
    bench_copy_db(dir, built, ours);
    bench_copy_db(dir, built, raw);
    bench_remove_db(dir, built);
}

/* The time of the baseline's next audit entry: real time, never going back. */
int64_t bs_next_time(int64_t *clock)
{
    int64_t now = bench_realtime_us();
    *clock = now > *clock ? now : *clock + 1;
    return *clock;
}

/* Checks that both files' audit logs verify, and that ours holds exactly
 * one entry more (the close entry of its timed context's chain). */
void bs_check_logs(const char *dir, const char *ours, const char *raw,
                   const uint8_t audit_key[32])
{
    char po[4096], pr[4096];
    bench_path(po, sizeof po, dir, ours, "");
    bench_path(pr, sizeof pr, dir, raw, "");
    uint64_t no = bench_audit_verify_file(po, audit_key);
    uint64_t nr = bench_audit_verify_file(pr, audit_key);
    bs_check_log_counts(ours, no, raw, nr);
}

void bs_check_log_counts(const char *ours, uint64_t no, const char *raw, uint64_t nr)
{
    if (no != nr + 1)
        bench_die("audit: %llu entries in %s, %llu in %s: not one apart", (unsigned long long)no,
                  ours, (unsigned long long)nr, raw);
    fprintf(stderr, "bench: %s and %s: %llu and %llu audit entries, verified\n", ours, raw,
            (unsigned long long)no, (unsigned long long)nr);
}
