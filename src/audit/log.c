/* Appending to a context's chain, and ending it. */
#include "log.h"

#include <sodium.h>
#include <string.h>

#include "core/alloc.h"
#include "core/bytes.h"

static const char FOLD_LABEL[] = "libprivacy/audit/fold";
static const char FOLD_ID[] = "fold";

typedef struct {
    uint64_t seq;
    int64_t time;
    uint8_t mac[PRV_AUDIT_MAC]; /* meaningful once seq > 0 */
} chain_head;

struct prv_audit_log {
    char chain[PRV_ID_SIZE];
    chain_head tip;       /* with entries of an open caller transaction */
    chain_head committed; /* what storage holds for certain */
};

int prv_audit_log_new(prv_audit_log **out, prv_err *err)
{
    prv_audit_log *log = prv_calloc(1, sizeof *log);
    if (log == NULL)
        return prv_err_set(err, PRIVACY_E_NOMEM, "audit: out of memory");
    prv_id_new(log->chain, "chn");
    *out = log;
    return PRIVACY_OK;
}

void prv_audit_log_free(prv_audit_log *log)
{
    prv_free(log);
}

const char *prv_audit_chain_id(const prv_audit_log *log)
{
    return log->chain;
}

static const char *const field_name[PRV_AF_COUNT] = {
    "actor", "role", "action", "category", "purpose", "recipient", "subject", "object",
};

static int prepare_entry(prv_audit_log *log, const prv_keystore *ks, int64_t now,
                         const prv_audit_event *ev, prv_audit_prepared *p, prv_err *err)
{
    const char *value[PRV_AF_COUNT] = { ev->actor,   ev->role,      ev->action,  ev->category,
                                        ev->purpose, ev->recipient, ev->subject, ev->object };
    prv_audit_entry *e = &p->e;
    memset(e, 0, sizeof *e);
    for (int f = 0; f < PRV_AF_COUNT; f++) {
        if (value[f] == NULL)
            continue;
        if (!prv_audit_field_ok(value[f]))
            return prv_err_set(err, PRIVACY_E_INVALID,
                               "audit: the %s must be 1 to %d printable ASCII bytes without"
                               " spaces",
                               field_name[f], PRV_AUDIT_FIELD_MAX);
        e->field[f] = value[f];
        e->field_len[f] = strlen(value[f]);
    }
    if (ev->action == NULL)
        return prv_err_set(err, PRIVACY_E_INVALID, "audit: an entry needs an action");
    const unsigned char *key = prv_keystore_key(ks, PRV_KEY_AUDIT, NULL);
    memcpy(e->chain, log->chain, sizeof e->chain);
    e->seq = log->tip.seq + 1;
    e->time = now > log->tip.time ? now : log->tip.time;
    e->outcome = ev->outcome;
    if (log->tip.seq == 0)
        prv_audit_genesis(key, log->chain, e->prev);
    else
        memcpy(e->prev, log->tip.mac, PRV_AUDIT_MAC);
    p->len = prv_audit_encode(e, key, p->body);
    prv_audit_record_id(p->id, log->chain, e->seq);
    p->subject[0] = '\0';
    if (ev->subject != NULL)
        memcpy(p->subject, ev->subject, e->field_len[PRV_AF_SUBJECT] + 1);
    return PRIVACY_OK;
}

int prv_audit_prepare(prv_audit_log *log, const prv_keystore *ks, int64_t now,
                      const prv_audit_event *ev, prv_audit_prepared *p, prv_err *err)
{
    /* Only the log itself ends a chain: an entry that claimed to would
     * make every later verification fail. */
    if (ev->action != NULL && strcmp(ev->action, PRV_AUDIT_CLOSE_ACTION) == 0)
        return prv_err_set(err, PRIVACY_E_INVALID, "audit: \"%s\" is reserved",
                           PRV_AUDIT_CLOSE_ACTION);
    return prepare_entry(log, ks, now, ev, p, err);
}

int prv_audit_put(prv_store *st, const prv_audit_prepared *p)
{
    privacy_record r = prv_audit_record(&p->e, p->id, p->body, p->len);
    r.subject_id = p->subject[0] != '\0' ? p->subject : NULL;
    return prv_store_put(st, &r);
}

void prv_audit_advance(prv_audit_log *log, const prv_audit_prepared *p, int in_caller_tx)
{
    log->tip.seq = p->e.seq;
    log->tip.time = p->e.time;
    memcpy(log->tip.mac, p->e.mac, PRV_AUDIT_MAC);
    if (!in_caller_tx)
        log->committed = log->tip;
}

void prv_audit_restart(prv_audit_log *log)
{
    /* The old chain stays as it is, open, as a crashed context leaves its
     * own; nothing can ever be appended to it again. */
    prv_id_new(log->chain, "chn");
    memset(&log->tip, 0, sizeof log->tip);
    log->committed = log->tip;
}

void prv_audit_settle(prv_audit_log *log, const prv_store *st, const prv_audit_prepared *p,
                      int in_caller_tx, int rc)
{
    if (rc == PRIVACY_OK)
        prv_audit_advance(log, p, in_caller_tx);
    else if (!in_caller_tx && prv_store_maybe_landed(st))
        prv_audit_restart(log);
}

void prv_audit_txn_end(prv_audit_log *log, int committed)
{
    if (committed)
        log->committed = log->tip;
    else
        log->tip = log->committed;
}

void prv_audit_fold_initial(const unsigned char *key, uint8_t out[PRV_AUDIT_MAC])
{
    crypto_generichash(out, PRV_AUDIT_MAC, (const uint8_t *)FOLD_LABEL, sizeof FOLD_LABEL, key,
                       32);
}

void prv_audit_fold_step(const unsigned char *key, const uint8_t prev_fold[PRV_AUDIT_MAC],
                         const char *chain, uint64_t seq, const uint8_t prev[PRV_AUDIT_MAC],
                         uint8_t out[PRV_AUDIT_MAC])
{
    uint8_t s[8];
    prv_put_be(s, seq, 8);
    crypto_generichash_state h;
    crypto_generichash_init(&h, key, 32, PRV_AUDIT_MAC);
    crypto_generichash_update(&h, (const uint8_t *)FOLD_LABEL, sizeof FOLD_LABEL);
    crypto_generichash_update(&h, prev_fold, PRV_AUDIT_MAC);
    crypto_generichash_update(&h, (const uint8_t *)chain, strlen(chain) + 1);
    crypto_generichash_update(&h, s, sizeof s);
    crypto_generichash_update(&h, prev, PRV_AUDIT_MAC);
    crypto_generichash_final(&h, out, PRV_AUDIT_MAC);
}

typedef struct {
    prv_audit_log *log;
    const prv_keystore *ks;
    int64_t now;
    prv_err *err;
    prv_audit_prepared p;
} close_state;

typedef struct {
    uint64_t k;
    uint8_t fold[PRV_AUDIT_MAC];
} fold_value;

static int put_fold(prv_store *st, uint64_t k, const uint8_t fold[PRV_AUDIT_MAC], int64_t time)
{
    uint8_t body[4 + 8 + PRV_AUDIT_MAC];
    memcpy(body, "PAF1", 4);
    prv_put_be(body + 4, k, 8);
    memcpy(body + 12, fold, PRV_AUDIT_MAC);
    privacy_record r = { .collection = PRV_AUDIT_FOLD_COLLECTION, .id = FOLD_ID,
                         .created = time, .body = body, .body_len = sizeof body };
    return prv_store_put(st, &r);
}

int prv_audit_fold_init(prv_store *st, const unsigned char *key)
{
    uint8_t fold[PRV_AUDIT_MAC];
    prv_audit_fold_initial(key, fold);
    return put_fold(st, 0, fold, 0);
}

int prv_audit_fold_present(prv_store *st, int *present)
{
    int n = 0;
    int rc = prv_store_scan(st, PRV_AUDIT_FOLD_COLLECTION, NULL, NULL, 0, prv_store_count_cb, &n);
    *present = n > 0;
    return rc;
}

static int read_fold(void *userdata, const privacy_record *r)
{
    fold_value *f = userdata;
    if (r->body_len != 4 + 8 + PRV_AUDIT_MAC || memcmp(r->body, "PAF1", 4) != 0)
        return PRIVACY_E_INTEGRITY;
    f->k = prv_get_be(r->body + 4, 8);
    memcpy(f->fold, r->body + 12, PRV_AUDIT_MAC);
    return PRIVACY_OK;
}

int prv_audit_read_fold(prv_store *st, uint64_t *k,
                        uint8_t fold[PRV_AUDIT_MAC], prv_err *err)
{
    fold_value f = { 0, { 0 } };
    privacy_record *rec = NULL;
    int rc = prv_store_get(st, PRV_AUDIT_FOLD_COLLECTION, FOLD_ID, &rec);
    /* Written when the store is set up: without it, deleting every ended
     * chain would look like a store where none ended yet. */
    if (rc == PRIVACY_E_NOT_FOUND)
        return prv_err_set(err, PRIVACY_E_INTEGRITY, "R21: the audit fold record is missing");
    if (rc == PRIVACY_OK)
        rc = read_fold(&f, rec);
    prv_free(rec);
    if (rc == PRIVACY_E_INTEGRITY)
        return prv_err_set(err, rc, "R21: the audit fold record is malformed");
    if (rc != PRIVACY_OK)
        return rc;
    *k = f.k;
    memcpy(fold, f.fold, PRV_AUDIT_MAC);
    return PRIVACY_OK;
}

static int close_tx(prv_store *st, void *userdata)
{
    close_state *s = userdata;
    /* A re-run after a commit that landed finds its own close entry. */
    privacy_record *mine = NULL;
    int rc = prv_store_get(st, PRV_AUDIT_COLLECTION, s->p.id, &mine);
    prv_free(mine);
    if (rc == PRIVACY_OK)
        return PRIVACY_OK;
    if (rc != PRIVACY_E_NOT_FOUND)
        return rc;
    const unsigned char *key = prv_keystore_key(s->ks, PRV_KEY_AUDIT, NULL);
    uint64_t k;
    uint8_t fold[PRV_AUDIT_MAC];
    rc = prv_audit_read_fold(st, &k, fold, s->err);
    if (rc != PRIVACY_OK)
        return rc;
    prv_audit_entry *e = &s->p.e;
    e->fold_index = k + 1;
    prv_audit_fold_step(key, fold, e->chain, e->seq, e->prev, e->fold);
    s->p.len = prv_audit_encode(e, key, s->p.body);
    rc = prv_audit_put(st, &s->p);
    if (rc != PRIVACY_OK)
        return rc;
    return put_fold(st, e->fold_index, e->fold, e->time);
}

int prv_audit_close_chain(prv_audit_log *log, prv_store *st, const prv_keystore *ks, int64_t now,
                          prv_err *err)
{
    if (log->committed.seq == 0)
        return PRIVACY_OK;
    close_state *s = prv_malloc(sizeof *s);
    if (s == NULL)
        return prv_err_set(err, PRIVACY_E_NOMEM, "audit: out of memory closing the chain");
    s->log = log;
    s->ks = ks;
    s->now = now;
    s->err = err;
    prv_audit_event ev = { .action = PRV_AUDIT_CLOSE_ACTION, .outcome = PRIVACY_OK };
    log->tip = log->committed;
    int rc = prepare_entry(log, ks, now, &ev, &s->p, err);
    if (rc == PRIVACY_OK)
        rc = prv_store_tx(st, close_tx, s);
    if (rc == PRIVACY_OK)
        prv_audit_advance(log, &s->p, 0);
    prv_free(s);
    return rc;
}
