/* Root-key rotation's engine (rewrap.h). A run makes three kinds of pass:
 *
 *   survey   one scan of each collection, writing nothing: how many records
 *            to re-wrap, and whether every one can be (its root key is
 *            configured, its record well formed);
 *   window   a scan that notes the ids of up to limits->window records the
 *            primary did not wrap, and stops;
 *   batch    for up to limits->batch of those ids: read each record and
 *            wrap its key anew outside any transaction (a keyring may be a
 *            remote service: its calls never hold the write lock), then
 *            one transaction that writes each new wrap if the record is
 *            still the one read.
 *
 * Windows repeat until a scan finds nothing left. No cursor is kept: a
 * record re-wrapped is skipped by its content, so the run depends on no
 * order of ids in a backend, and a record another context changed
 * meanwhile is simply looked at again. */
#include "rewrap.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "dek.h"

const prv_rewrap_limits prv_rewrap_default_limits = { 500, 16384 };

typedef struct {
    const char *collection;
    const char *what; /* in messages */
    int (*wrapped_by)(const char *id, const uint8_t *body, size_t len,
                      char kek_id[PRIVACY_KEY_ID_MAX + 1], uint32_t *kek_version);
    int (*rewrap)(const prv_keystore *ks, const char *id, const uint8_t *body, size_t len,
                  uint8_t **out, size_t *out_len, prv_err *err);
} wrapped_kind;

static const wrapped_kind KINDS[] = {
    { PRV_KEYS_COLLECTION, "working key", prv_keystore_wrapped_by, prv_keystore_rewrap },
    { PRV_DEK_COLLECTION, "data key", prv_dek_wrapped_by, prv_dek_rewrap },
};
enum { N_KINDS = sizeof KINDS / sizeof KINDS[0] };

enum { WINDOW_FULL = 1, ID_AVG = 48 };

/* The configured root key that wrapped a record: NULL when none did, or
 * when the record cannot be read (then *malformed is 1). */
static const prv_kek *wrapper(const prv_keks *keks, const wrapped_kind *k,
                              const privacy_record *r, char kek_id[PRIVACY_KEY_ID_MAX + 1],
                              uint32_t *kek_version, int *malformed)
{
    *malformed = k->wrapped_by(r->id, r->body, r->body_len, kek_id, kek_version) != PRIVACY_OK;
    return *malformed ? NULL : prv_keks_find(keks, kek_id, *kek_version);
}

/* ---- survey ---- */

typedef struct {
    const prv_keks *keks;
    const wrapped_kind *kind;
    prv_err *err;
    uint64_t todo, missing;
    char first[PRIVACY_RECORD_ID_MAX + 1];   /* the first record of a missing root key */
    char first_kek[PRIVACY_KEY_ID_MAX + 1];
    uint32_t first_kek_version;
    const char *first_what;
} survey_state;

static int survey_one(void *userdata, const privacy_record *r)
{
    survey_state *s = userdata;
    char kek_id[PRIVACY_KEY_ID_MAX + 1];
    uint32_t kek_version = 0;
    int malformed;
    const prv_kek *kek = wrapper(s->keks, s->kind, r, kek_id, &kek_version, &malformed);
    if (malformed)
        return prv_err_set(s->err, PRIVACY_E_INTEGRITY,
                           "privacy_keys_rotate: the %s record '%s' is malformed; nothing was"
                           " re-wrapped",
                           s->kind->what, r->id);
    if (kek == prv_keks_primary(s->keks))
        return 0;
    if (kek != NULL) {
        s->todo++;
        return 0;
    }
    if (s->missing++ == 0) {
        snprintf(s->first, sizeof s->first, "%s", r->id);
        memcpy(s->first_kek, kek_id, sizeof kek_id);
        s->first_kek_version = kek_version;
        s->first_what = s->kind->what;
    }
    return 0;
}

static int survey(const prv_keystore *ks, prv_store *st, uint64_t *total, prv_err *err)
{
    survey_state s;
    memset(&s, 0, sizeof s);
    s.keks = prv_keystore_keks(ks);
    s.err = err;
    for (size_t k = 0; k < N_KINDS; k++) {
        s.kind = &KINDS[k];
        int rc = prv_store_scan(st, KINDS[k].collection, NULL, NULL, 0, survey_one, &s);
        if (rc != PRIVACY_OK)
            return rc;
    }
    /* R22: a key whose root key is gone cannot be re-wrapped; rotating the
     * rest would hide that until the old key file is deleted for good. */
    if (s.missing > 0)
        return prv_err_set(err, PRIVACY_E_CRYPTO,
                           "R22: stored keys wrapped by a root key that is not configured: %llu,"
                           " first the %s '%s' (root key %s version %lu); add that key;"
                           " nothing was re-wrapped",
                           (unsigned long long)s.missing, s.first_what, s.first, s.first_kek,
                           (unsigned long)s.first_kek_version);
    *total = s.todo;
    return PRIVACY_OK;
}

/* ---- window ---- */

typedef struct {
    const prv_keks *keks;
    const wrapped_kind *kind;
    char *arena; /* ids, NUL-terminated, one after the other */
    size_t used, cap;
    size_t *at; /* where each id starts */
    size_t n, max;
} window_state;

static int note_one(void *userdata, const privacy_record *r)
{
    window_state *w = userdata;
    char kek_id[PRIVACY_KEY_ID_MAX + 1];
    uint32_t kek_version;
    int malformed;
    /* A record that became malformed since the survey is noted too (no
     * root key wrapped it): its batch then names it. */
    if (wrapper(w->keks, w->kind, r, kek_id, &kek_version, &malformed) ==
        prv_keks_primary(w->keks))
        return 0;
    size_t len = strlen(r->id) + 1;
    if (w->n == w->max || w->used + len > w->cap)
        return WINDOW_FULL;
    memcpy(w->arena + w->used, r->id, len);
    w->at[w->n++] = w->used;
    w->used += len;
    return 0;
}

/* Notes the next records to re-wrap, from the first collection that has
 * any left; w->n is 0 when none has. */
static int fill_window(window_state *w, prv_store *st)
{
    for (size_t k = 0; k < N_KINDS; k++) {
        w->kind = &KINDS[k];
        w->n = w->used = 0;
        int rc = prv_store_scan(st, KINDS[k].collection, NULL, NULL, 0, note_one, w);
        if (rc != PRIVACY_OK && rc != WINDOW_FULL)
            return rc;
        if (w->n > 0)
            return PRIVACY_OK;
    }
    return PRIVACY_OK;
}

/* ---- batch ---- */

typedef struct {
    const char *id;
    privacy_record *old; /* as read when the new wrap was made */
    uint8_t *body;       /* the new wrap's record body; NULL: nothing to write */
    size_t len;
} item;

typedef struct {
    const wrapped_kind *kind;
    item *items;
    size_t n;
    prv_err *err;
    uint64_t written, gone, contested; /* by the transaction's last run */
} batch_state;

static void clear_batch(batch_state *b)
{
    for (size_t i = 0; i < b->n; i++) {
        prv_free(b->items[i].old);
        prv_free(b->items[i].body);
    }
    memset(b->items, 0, b->n * sizeof b->items[0]);
    b->n = 0;
}

/* Outside any transaction: reads each record and wraps its key anew.
 * *settled: records needing nothing more (gone, or wrapped by the primary
 * meanwhile). */
static int prepare_batch(batch_state *b, const prv_keystore *ks, prv_store *st,
                         uint64_t *settled)
{
    for (size_t i = 0; i < b->n; i++) {
        item *it = &b->items[i];
        int rc = prv_store_get(st, b->kind->collection, it->id, &it->old);
        if (rc == PRIVACY_E_NOT_FOUND) { /* shredded since it was noted */
            prv_err_clear(b->err);
            ++*settled;
            continue;
        }
        if (rc == PRIVACY_OK)
            rc = b->kind->rewrap(ks, it->id, it->old->body, it->old->body_len, &it->body,
                                 &it->len, b->err);
        if (rc != PRIVACY_OK)
            return rc;
        if (it->body == NULL)
            ++*settled;
    }
    return PRIVACY_OK;
}

static int same_body(const privacy_record *a, const privacy_record *b)
{
    return a->body_len == b->body_len &&
           (a->body_len == 0 || memcmp(a->body, b->body, a->body_len) == 0);
}

/* The transaction; a re-run decides everything again from what it reads,
 * and writes only the wraps made before it began. */
static int batch_tx(prv_store *st, void *userdata)
{
    batch_state *b = userdata;
    b->written = b->gone = b->contested = 0;
    for (size_t i = 0; i < b->n; i++) {
        item *it = &b->items[i];
        if (it->body == NULL)
            continue;
        privacy_record *cur = NULL;
        int rc = prv_store_get(st, b->kind->collection, it->id, &cur);
        if (rc == PRIVACY_E_NOT_FOUND) {
            prv_err_clear(b->err);
            b->gone++;
            continue;
        }
        if (rc != PRIVACY_OK)
            return rc;
        if (same_body(cur, it->old)) {
            privacy_record r = *cur; /* its subject, index key and times stay */
            r.body = it->body;
            r.body_len = it->len;
            rc = prv_store_put(st, &r);
            b->written++;
        } else if (cur->body_len == it->len && memcmp(cur->body, it->body, it->len) == 0) {
            /* This batch's own new wrap (its nonce is fresh: no one else
             * writes these bytes): a re-run after a commit that landed but
             * answered BUSY. Written once, so counted, not contested. */
            b->written++;
        } else {
            b->contested++;
        }
        prv_free(cur);
        if (rc != PRIVACY_OK)
            return rc;
    }
    return PRIVACY_OK;
}

/* ---- the run ---- */

typedef struct {
    privacy_rotate_cb progress;
    void *userdata;
    uint64_t done, total;
    prv_err *err;
} progress_state;

static int report(progress_state *p)
{
    if (p->done > p->total) /* records another context added meanwhile */
        p->total = p->done;
    if (p->progress == NULL || p->progress(p->userdata, p->done, p->total) == 0)
        return PRIVACY_OK;
    return prv_err_set(p->err, PRIVACY_E_ABORTED,
                       "privacy_keys_rotate: stopped by the progress callback after %llu of %llu"
                       " keys; call it again to resume",
                       (unsigned long long)p->done, (unsigned long long)p->total);
}

/* Re-wraps one window's records, batch by batch. *progress_made: records
 * settled or written, so that a window where every record was contested
 * is told apart. */
static int run_window(const prv_keystore *ks, prv_store *st, window_state *w, batch_state *b,
                      size_t batch, progress_state *p, uint64_t *rewrapped,
                      uint64_t *progress_made)
{
    for (size_t start = 0; start < w->n; start += batch) {
        b->kind = w->kind;
        b->n = w->n - start < batch ? w->n - start : batch;
        for (size_t i = 0; i < b->n; i++)
            b->items[i].id = w->arena + w->at[start + i];
        uint64_t settled = 0;
        int rc = prepare_batch(b, ks, st, &settled);
        if (rc == PRIVACY_OK)
            rc = prv_store_tx(st, batch_tx, b);
        if (rc == PRIVACY_OK) {
            *rewrapped += b->written;
            *progress_made += settled + b->written + b->gone;
            p->done += settled + b->written + b->gone;
        }
        clear_batch(b);
        if (rc == PRIVACY_OK)
            rc = report(p);
        if (rc != PRIVACY_OK)
            return rc;
    }
    return PRIVACY_OK;
}

int prv_rewrap_all(const prv_keystore *ks, prv_store *st, const prv_rewrap_limits *limits,
                   privacy_rotate_cb progress, void *userdata, uint64_t *rewrapped,
                   prv_err *err)
{
    progress_state p = { progress, userdata, 0, 0, err };
    window_state w = { prv_keystore_keks(ks), NULL, NULL, 0, 0, NULL, 0, limits->window };
    batch_state b = { NULL, NULL, 0, err, 0, 0, 0 };
    *rewrapped = 0;
    if (limits->batch == 0 || limits->window == 0)
        return prv_err_set(err, PRIVACY_E_INVALID, "privacy_keys_rotate: empty batches");
    int rc = survey(ks, st, &p.total, err);
    if (rc != PRIVACY_OK)
        return rc;
    w.cap = limits->window * ID_AVG;
    w.arena = prv_malloc(w.cap);
    w.at = prv_calloc(limits->window, sizeof *w.at);
    b.items = prv_calloc(limits->batch, sizeof *b.items);
    if (w.arena == NULL || w.at == NULL || b.items == NULL)
        rc = prv_err_set(err, PRIVACY_E_NOMEM, "privacy_keys_rotate: out of memory");
    if (rc == PRIVACY_OK)
        rc = report(&p);
    uint64_t at_start = p.total;
    while (rc == PRIVACY_OK) {
        rc = fill_window(&w, st);
        if (rc != PRIVACY_OK || w.n == 0)
            break;
        uint64_t made = 0;
        rc = run_window(ks, st, &w, &b, limits->batch, &p, rewrapped, &made);
        /* Another rotation, to another primary, re-wrapping the same keys
         * at once: every record of a window changed under this run, or
         * this run keeps finding keys it re-wrapped already. Either would
         * go on for ever. */
        if (rc == PRIVACY_OK && made == 0)
            rc = prv_err_set(err, PRIVACY_E_BUSY,
                             "privacy_keys_rotate: the keys keep changing under this rotation"
                             " (another process rotating to another root key?); run it again");
        else if (rc == PRIVACY_OK && p.done > at_start + limits->window)
            rc = prv_err_set(err, PRIVACY_E_BUSY,
                             "privacy_keys_rotate: far more keys to re-wrap than the %llu found"
                             " at the start: other contexts write keys under another root key;"
                             " make the new key their primary too, then run it again",
                             (unsigned long long)at_start);
    }
    prv_free(w.arena);
    prv_free(w.at);
    prv_free(b.items);
    return rc;
}
