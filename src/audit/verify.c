/* Verifying the audit log, and checkpoints (docs/audit.md).
 *
 * One scan of the whole log in (time, id) order checks every entry's MAC,
 * that it sits where its chain and sequence number say, and that it chains
 * from its predecessor; the chain closes found on the way must make an
 * unbroken fold chain that ends at the fold record. A checkpoint, exported
 * earlier, adds what a log alone cannot show: that nothing it covered was
 * removed since (newest entries deleted, an older copy restored). */
#include "verify.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/bytes.h"
#include "log.h"

typedef struct {
    char chain[PRV_ID_SIZE]; /* "" = free slot */
    uint64_t seq;
    uint8_t mac[PRV_AUDIT_MAC];
    int closed;
    uint64_t ckpt_seq; /* 0: not named by the checkpoint */
    uint8_t ckpt_mac[PRV_AUDIT_MAC];
    int ckpt_seen;
} chain_state;

typedef struct {
    uint64_t k;
    char chain[PRV_ID_SIZE];
    uint64_t seq;
    uint8_t prev[PRV_AUDIT_MAC];
    uint8_t fold[PRV_AUDIT_MAC];
} close_step;

typedef struct {
    const unsigned char *key;
    prv_err *err;
    chain_state *slot;
    size_t cap, n;
    close_step *close;
    size_t nclose, close_cap;
    uint64_t entries;
} verify_state;

static size_t hash(const char *s)
{
    size_t h = 1469598103934665603u;
    for (; *s != '\0'; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return h;
}

static int grow_map(verify_state *v)
{
    size_t cap = v->cap == 0 ? 64 : v->cap * 2;
    chain_state *slot = prv_calloc(cap, sizeof *slot);
    if (slot == NULL)
        return prv_err_set(v->err, PRIVACY_E_NOMEM, "audit: out of memory verifying");
    for (size_t i = 0; i < v->cap; i++) {
        if (v->slot[i].chain[0] == '\0')
            continue;
        size_t j = hash(v->slot[i].chain) & (cap - 1);
        while (slot[j].chain[0] != '\0')
            j = (j + 1) & (cap - 1);
        slot[j] = v->slot[i];
    }
    prv_free(v->slot);
    v->slot = slot;
    v->cap = cap;
    return PRIVACY_OK;
}

/* The state of a chain, added if new; NULL on allocation failure. */
static chain_state *chain_of(verify_state *v, const char *chain)
{
    if ((v->n + 1) * 2 > v->cap && grow_map(v) != PRIVACY_OK)
        return NULL;
    size_t j = hash(chain) & (v->cap - 1);
    while (v->slot[j].chain[0] != '\0') {
        if (strcmp(v->slot[j].chain, chain) == 0)
            return &v->slot[j];
        j = (j + 1) & (v->cap - 1);
    }
    snprintf(v->slot[j].chain, sizeof v->slot[j].chain, "%s", chain);
    v->n++;
    return &v->slot[j];
}

static int entry_error(prv_err *err, const char *id, const char *what)
{
    return prv_err_set(err, PRIVACY_E_INTEGRITY, "R21: audit entry %s %s", id, what);
}

static int bad(verify_state *v, const char *id, const char *what)
{
    return entry_error(v->err, id, what);
}

static int add_close(verify_state *v, const prv_audit_entry *e)
{
    if (v->nclose == v->close_cap) {
        size_t cap = v->close_cap == 0 ? 16 : v->close_cap * 2;
        close_step *c = prv_realloc(v->close, cap * sizeof *c);
        if (c == NULL)
            return prv_err_set(v->err, PRIVACY_E_NOMEM, "audit: out of memory verifying");
        v->close = c;
        v->close_cap = cap;
    }
    close_step *c = &v->close[v->nclose++];
    c->k = e->fold_index;
    memcpy(c->chain, e->chain, sizeof c->chain);
    c->seq = e->seq;
    memcpy(c->prev, e->prev, PRV_AUDIT_MAC);
    memcpy(c->fold, e->fold, PRV_AUDIT_MAC);
    return PRIVACY_OK;
}

static int is_close(const prv_audit_entry *e)
{
    return e->field[PRV_AF_ACTION] != NULL &&
           e->field_len[PRV_AF_ACTION] == sizeof PRV_AUDIT_CLOSE_ACTION - 1 &&
           memcmp(e->field[PRV_AF_ACTION], PRV_AUDIT_CLOSE_ACTION, e->field_len[PRV_AF_ACTION]) == 0;
}

static int subject_matches(const prv_audit_entry *e, const char *subject_id)
{
    size_t n = e->field[PRV_AF_SUBJECT] != NULL ? e->field_len[PRV_AF_SUBJECT] : 0;
    if (subject_id == NULL)
        return n == 0;
    return strlen(subject_id) == n && memcmp(subject_id, e->field[PRV_AF_SUBJECT], n) == 0;
}

/* What one entry shows on its own: its MAC, and that its row agrees with
 * its sealed body. Shared by verification and by listing. */
static int check_row(const unsigned char *key, prv_err *err, const privacy_record *r,
                     prv_audit_entry *e)
{
    if (prv_audit_decode(r->body, r->body_len, e) != PRIVACY_OK)
        return entry_error(err, r->id, "is malformed");
    if (!prv_audit_mac_ok(key, r->body, r->body_len))
        return entry_error(err, r->id, "was altered (its MAC does not match)");
    char id[PRV_AUDIT_ID_SIZE];
    prv_audit_record_id(id, e->chain, e->seq);
    if (strcmp(id, r->id) != 0)
        return entry_error(err, r->id,
                           "holds the body of another entry (rows were moved or swapped)");
    /* expires too: an entry given an expiry would fall to a purge. */
    if (r->created != e->time || r->expires != 0 || r->index_key_len != strlen(e->chain) ||
        memcmp(r->index_key, e->chain, r->index_key_len) != 0 ||
        !subject_matches(e, r->subject_id))
        return entry_error(err, r->id, "was altered (its columns disagree with its sealed body)");
    return PRIVACY_OK;
}

static int check_entry(void *userdata, const privacy_record *r)
{
    verify_state *v = userdata;
    prv_audit_entry e;
    int rc = check_row(v->key, v->err, r, &e);
    if (rc != PRIVACY_OK)
        return rc;
    chain_state *c = chain_of(v, e.chain);
    if (c == NULL)
        return PRIVACY_E_NOMEM;
    if (c->closed)
        return bad(v, r->id, "follows the end of its chain");
    if (e.seq != c->seq + 1) {
        char missing[PRV_AUDIT_ID_SIZE];
        prv_audit_record_id(missing, e.chain, c->seq + 1);
        return prv_err_set(v->err, PRIVACY_E_INTEGRITY,
                           "R21: audit entry %s is missing (deleted or reordered before %s)",
                           missing, r->id);
    }
    uint8_t expect[PRV_AUDIT_MAC];
    if (c->seq == 0)
        prv_audit_genesis(v->key, e.chain, expect);
    else
        memcpy(expect, c->mac, PRV_AUDIT_MAC);
    if (sodium_memcmp(expect, e.prev, PRV_AUDIT_MAC) != 0)
        return bad(v, r->id, "does not chain from the entry before it");
    if (c->ckpt_seq == e.seq) {
        if (sodium_memcmp(c->ckpt_mac, e.mac, PRV_AUDIT_MAC) != 0)
            return bad(v, r->id, "differs from the entry the checkpoint recorded");
        c->ckpt_seen = 1;
    }
    c->seq = e.seq;
    memcpy(c->mac, e.mac, PRV_AUDIT_MAC);
    v->entries++;
    if (is_close(&e)) {
        c->closed = 1;
        return add_close(v, &e);
    }
    return e.fold_index == 0 ? PRIVACY_OK : bad(v, r->id, "is malformed (fold step on a non-close)");
}

static int by_step(const void *a, const void *b)
{
    const close_step *x = a, *y = b;
    return x->k < y->k ? -1 : x->k > y->k;
}

/* The fold chain: the closes, ordered by step, must be steps 1..n, each
 * value recomputed from the one before, ending at the fold record. The
 * value after step ckpt_k is handed back for a checkpoint to compare. */
static int check_folds(verify_state *v, prv_store *st, uint64_t ckpt_k,
                       uint8_t at_ckpt[PRV_AUDIT_MAC])
{
    if (v->nclose > 0) /* qsort's base must not be NULL, even for no elements */
        qsort(v->close, v->nclose, sizeof *v->close, by_step);
    uint8_t fold[PRV_AUDIT_MAC];
    prv_audit_fold_initial(v->key, fold);
    if (ckpt_k == 0)
        memcpy(at_ckpt, fold, PRV_AUDIT_MAC);
    for (size_t i = 0; i < v->nclose; i++) {
        close_step *c = &v->close[i];
        char id[PRV_AUDIT_ID_SIZE];
        prv_audit_record_id(id, c->chain, c->seq);
        if (c->k != i + 1)
            return prv_err_set(v->err, PRIVACY_E_INTEGRITY,
                               "R21: the end of a chain (fold step %llu) is missing before %s",
                               (unsigned long long)(i + 1), id);
        prv_audit_fold_step(v->key, fold, c->chain, c->seq, c->prev, fold);
        if (sodium_memcmp(fold, c->fold, PRV_AUDIT_MAC) != 0)
            return bad(v, id, "breaks the fold chain");
        if (c->k == ckpt_k)
            memcpy(at_ckpt, fold, PRV_AUDIT_MAC);
    }
    uint64_t k;
    uint8_t stored[PRV_AUDIT_MAC];
    int rc = prv_audit_read_fold(st, &k, stored, v->err);
    if (rc != PRIVACY_OK)
        return rc;
    if (k != v->nclose || sodium_memcmp(stored, fold, PRV_AUDIT_MAC) != 0)
        return prv_err_set(v->err, PRIVACY_E_INTEGRITY,
                           "R21: the audit fold record (step %llu) disagrees with the %zu chain"
                           " ends in the log",
                           (unsigned long long)k, v->nclose);
    return PRIVACY_OK;
}

/* ---- checkpoints: "pckpt1." + hex of
 *   k u64 | fold (32) | n u32 | n x (len u8 | chain | seq u64 | mac (32)) | MAC (32)
 * with the MAC keyed by the audit key. ---- */

static const char CKPT_PREFIX[] = "pckpt1.";
static const char CKPT_LABEL[] = "libprivacy/audit/checkpoint";

static void ckpt_mac(const unsigned char *key, const uint8_t *p, size_t n, uint8_t out[32])
{
    crypto_generichash_state h;
    crypto_generichash_init(&h, key, 32, 32);
    crypto_generichash_update(&h, (const uint8_t *)CKPT_LABEL, sizeof CKPT_LABEL);
    crypto_generichash_update(&h, p, n);
    crypto_generichash_final(&h, out, 32);
}

/* Loads a checkpoint: its open chains go into the map before the scan. */
static int load_checkpoint(verify_state *v, const char *text, uint64_t *k,
                           uint8_t fold[PRV_AUDIT_MAC])
{
    size_t tlen = strlen(text), plen = sizeof CKPT_PREFIX - 1;
    if (tlen < plen || memcmp(text, CKPT_PREFIX, plen) != 0 || (tlen - plen) % 2 != 0)
        return prv_err_set(v->err, PRIVACY_E_INVALID, "audit: not a libprivacy checkpoint");
    size_t n = (tlen - plen) / 2;
    uint8_t *p = prv_malloc(n + 1);
    if (p == NULL)
        return prv_err_set(v->err, PRIVACY_E_NOMEM, "audit: out of memory");
    size_t got = 0;
    int rc = PRIVACY_OK;
    if (sodium_hex2bin(p, n, text + plen, tlen - plen, NULL, &got, NULL) != 0 || got != n ||
        n < 8 + 32 + 4 + 32)
        rc = prv_err_set(v->err, PRIVACY_E_INVALID, "audit: the checkpoint is malformed");
    uint8_t mac[32];
    if (rc == PRIVACY_OK) {
        ckpt_mac(v->key, p, n - 32, mac);
        if (sodium_memcmp(mac, p + n - 32, 32) != 0)
            rc = prv_err_set(v->err, PRIVACY_E_INTEGRITY,
                             "R21: the checkpoint does not authenticate: it was altered, or"
                             " belongs to another store");
    }
    size_t off = 8 + 32 + 4;
    if (rc == PRIVACY_OK) {
        *k = prv_get_be(p, 8);
        memcpy(fold, p + 8, 32);
        uint64_t count = prv_get_be(p + 40, 4);
        for (uint64_t i = 0; rc == PRIVACY_OK && i < count; i++) {
            size_t clen = off < n ? p[off] : 0;
            char chain[PRV_ID_SIZE];
            if (clen == 0 || clen >= PRV_ID_SIZE || off + 1 + clen + 8 + 32 > n - 32) {
                rc = prv_err_set(v->err, PRIVACY_E_INVALID, "audit: the checkpoint is malformed");
                break;
            }
            memcpy(chain, p + off + 1, clen);
            chain[clen] = '\0';
            off += 1 + clen;
            chain_state *c = chain_of(v, chain);
            if (c == NULL) {
                rc = PRIVACY_E_NOMEM;
                break;
            }
            c->ckpt_seq = prv_get_be(p + off, 8);
            memcpy(c->ckpt_mac, p + off + 8, 32);
            off += 8 + 32;
        }
    }
    prv_free(p);
    return rc;
}

static int checkpoint_covered(verify_state *v)
{
    for (size_t i = 0; i < v->cap; i++) {
        chain_state *c = &v->slot[i];
        if (c->chain[0] != '\0' && c->ckpt_seq != 0 && !c->ckpt_seen) {
            char id[PRV_AUDIT_ID_SIZE];
            prv_audit_record_id(id, c->chain, c->ckpt_seq);
            return prv_err_set(v->err, PRIVACY_E_INTEGRITY,
                               "R21: audit entry %s, recorded by the checkpoint, is missing:"
                               " newest entries were deleted or an older copy restored",
                               id);
        }
    }
    return PRIVACY_OK;
}

int prv_audit_verify(prv_store *st, const unsigned char *key, const char *checkpoint,
                     uint64_t *entries, prv_err *err)
{
    verify_state v;
    memset(&v, 0, sizeof v);
    v.key = key;
    v.err = err;
    uint64_t ckpt_k = 0;
    uint8_t ckpt_fold[PRV_AUDIT_MAC], at_ckpt[PRV_AUDIT_MAC];
    int rc = grow_map(&v);
    if (rc == PRIVACY_OK && checkpoint != NULL)
        rc = load_checkpoint(&v, checkpoint, &ckpt_k, ckpt_fold);
    if (rc == PRIVACY_OK)
        rc = prv_store_scan(st, PRV_AUDIT_COLLECTION, NULL, NULL, 0, check_entry, &v);
    if (rc == PRIVACY_OK && checkpoint != NULL && ckpt_k > v.nclose)
        rc = prv_err_set(err, PRIVACY_E_INTEGRITY,
                         "R21: the log holds %zu chain ends but the checkpoint recorded %llu:"
                         " an older copy was restored",
                         v.nclose, (unsigned long long)ckpt_k);
    if (rc == PRIVACY_OK)
        rc = check_folds(&v, st, ckpt_k, at_ckpt);
    if (rc == PRIVACY_OK && checkpoint != NULL &&
        sodium_memcmp(at_ckpt, ckpt_fold, PRV_AUDIT_MAC) != 0)
        rc = prv_err_set(err, PRIVACY_E_INTEGRITY,
                         "R21: the chain ends up to fold step %llu differ from the checkpoint",
                         (unsigned long long)ckpt_k);
    if (rc == PRIVACY_OK && checkpoint != NULL)
        rc = checkpoint_covered(&v);
    if (rc == PRIVACY_OK && entries != NULL)
        *entries = v.entries;
    prv_free(v.slot);
    prv_free(v.close);
    return rc;
}

int prv_audit_checkpoint(prv_store *st, const unsigned char *key, char **out, prv_err *err)
{
    verify_state v;
    memset(&v, 0, sizeof v);
    v.key = key;
    v.err = err;
    uint8_t at[PRV_AUDIT_MAC];
    int rc = grow_map(&v);
    if (rc == PRIVACY_OK)
        rc = prv_store_scan(st, PRV_AUDIT_COLLECTION, NULL, NULL, 0, check_entry, &v);
    if (rc == PRIVACY_OK)
        rc = check_folds(&v, st, v.nclose, at);
    size_t open = 0;
    for (size_t i = 0; i < v.cap; i++)
        open += v.slot[i].chain[0] != '\0' && !v.slot[i].closed;
    size_t n = 8 + 32 + 4 + open * (1 + PRV_ID_SIZE + 8 + 32) + 32;
    uint8_t *p = rc == PRIVACY_OK ? prv_malloc(n) : NULL;
    char *text = NULL;
    if (rc == PRIVACY_OK && p == NULL)
        rc = prv_err_set(err, PRIVACY_E_NOMEM, "audit: out of memory");
    if (rc == PRIVACY_OK) {
        prv_put_be(p, v.nclose, 8);
        memcpy(p + 8, at, 32);
        prv_put_be(p + 40, open, 4);
        size_t off = 44;
        for (size_t i = 0; i < v.cap; i++) {
            chain_state *c = &v.slot[i];
            if (c->chain[0] == '\0' || c->closed)
                continue;
            size_t clen = strlen(c->chain);
            p[off] = (uint8_t)clen;
            memcpy(p + off + 1, c->chain, clen);
            off += 1 + clen;
            prv_put_be(p + off, c->seq, 8);
            memcpy(p + off + 8, c->mac, 32);
            off += 40;
        }
        ckpt_mac(key, p, off, p + off);
        off += 32;
        text = prv_malloc(sizeof CKPT_PREFIX + 2 * off);
        if (text == NULL) {
            rc = prv_err_set(err, PRIVACY_E_NOMEM, "audit: out of memory");
        } else {
            memcpy(text, CKPT_PREFIX, sizeof CKPT_PREFIX - 1);
            sodium_bin2hex(text + sizeof CKPT_PREFIX - 1, 2 * off + 1, p, off);
            *out = text;
        }
    }
    prv_free(p);
    prv_free(v.slot);
    prv_free(v.close);
    return rc;
}

typedef struct {
    const unsigned char *key;
    prv_audit_entry_cb cb;
    void *userdata;
    prv_err *err;
} list_state;

static int list_one(void *userdata, const privacy_record *r)
{
    list_state *l = userdata;
    prv_audit_entry e;
    int rc = check_row(l->key, l->err, r, &e);
    return rc != PRIVACY_OK ? rc : l->cb(l->userdata, &e);
}

int prv_audit_list_subject(prv_store *st, const unsigned char *key, const char *subject_id,
                           prv_audit_entry_cb cb, void *userdata, prv_err *err)
{
    list_state l = { key, cb, userdata, err };
    return prv_store_scan(st, PRV_AUDIT_COLLECTION, subject_id, NULL, 0, list_one, &l);
}
