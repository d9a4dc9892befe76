/* The record store: checks every record against the limits of backend.h
 * before a backend sees it, and turns backend failures into messages. */
#include "store.h"

#include <string.h>

#include "core/alloc.h"
#include "store_internal.h"

static int is_lower(char c)
{
    return c >= 'a' && c <= 'z';
}

static int check_collection(const char *c, prv_err *err)
{
    if (c == NULL || !is_lower(c[0]))
        return prv_err_set(err, PRIVACY_E_INVALID,
                           "store: a collection name must start with a letter a-z");
    size_t n = 0;
    for (; c[n] != '\0'; n++) {
        char ch = c[n];
        if (n >= PRIVACY_COLLECTION_MAX)
            return prv_err_set(err, PRIVACY_E_INVALID,
                               "store: a collection name is at most %d bytes",
                               PRIVACY_COLLECTION_MAX);
        if (!is_lower(ch) && !(ch >= '0' && ch <= '9') && ch != '_' && ch != '.' && ch != '-')
            return prv_err_set(err, PRIVACY_E_INVALID,
                               "store: a collection name may hold only a-z 0-9 _ . -");
    }
    return PRIVACY_OK;
}

/* Ids are printable ASCII without spaces, so that they can never carry
 * arbitrary text (R12: ids carry no personal data). */
static int check_id(const char *id, const char *what, prv_err *err)
{
    if (id == NULL || id[0] == '\0')
        return prv_err_set(err, PRIVACY_E_INVALID, "store: the %s is empty", what);
    for (size_t n = 0; id[n] != '\0'; n++) {
        if (n >= PRIVACY_RECORD_ID_MAX)
            return prv_err_set(err, PRIVACY_E_INVALID, "store: the %s is longer than %d bytes",
                               what, PRIVACY_RECORD_ID_MAX);
        if ((unsigned char)id[n] < 0x21 || (unsigned char)id[n] > 0x7e)
            return prv_err_set(err, PRIVACY_E_INVALID,
                               "store: the %s may hold only printable ASCII without spaces", what);
    }
    return PRIVACY_OK;
}

static int check_index_key(const uint8_t *key, size_t len, prv_err *err)
{
    if (key == NULL && len == 0)
        return PRIVACY_OK;
    if (key == NULL || len == 0 || len > PRIVACY_INDEX_KEY_MAX)
        return prv_err_set(err, PRIVACY_E_INVALID,
                           "store: an index key is 1 to %d bytes, or NULL with length 0",
                           PRIVACY_INDEX_KEY_MAX);
    return PRIVACY_OK;
}

int prv_store_check_record(const privacy_record *r, prv_err *err)
{
    if (r == NULL)
        return prv_err_set(err, PRIVACY_E_INVALID, "store: the record is NULL");
    int rc = check_collection(r->collection, err);
    if (rc == PRIVACY_OK)
        rc = check_id(r->id, "record id", err);
    if (rc == PRIVACY_OK && r->subject_id != NULL)
        rc = check_id(r->subject_id, "subject id", err);
    if (rc == PRIVACY_OK)
        rc = check_index_key(r->index_key, r->index_key_len, err);
    if (rc != PRIVACY_OK)
        return rc;
    if (r->created < 0 || r->expires < 0)
        return prv_err_set(err, PRIVACY_E_INVALID, "store: record times must not be negative");
    if (r->body_len > PRIVACY_BODY_MAX)
        return prv_err_set(err, PRIVACY_E_INVALID, "store: a record body is at most %d bytes",
                           PRIVACY_BODY_MAX);
    if (r->body == NULL && r->body_len != 0)
        return prv_err_set(err, PRIVACY_E_INVALID, "store: the record body is NULL");
    return PRIVACY_OK;
}

/* Describes a backend failure. A code outside the documented range is a
 * broken backend: it becomes PRIVACY_E_INTERNAL. */
int prv_store_fail(prv_store *st, int rc)
{
    if (!prv_is_status(rc)) {
        return prv_err_set(st->err, PRIVACY_E_INTERNAL,
                           "store: the backend returned %d, which is not a status code", rc);
    }
    const char *msg = st->be.errmsg(st->conn);
    return prv_err_from(st->err, rc, "", msg != NULL && msg[0] != '\0' ? msg : privacy_strerror(rc));
}

int prv_store_doomed(prv_store *st)
{
    if (st->doomed == PRIVACY_OK)
        return PRIVACY_OK;
    return prv_err_set(st->err, st->doomed,
                       "store: an earlier call in this transaction failed (%s); roll it back",
                       privacy_strerror(st->doomed));
}

/* What every call that names records checks first: the caller's
 * transaction is not doomed, and the collection and id are well formed. */
static int check_target(prv_store *st, const char *collection, const char *id, const char *what)
{
    int rc = prv_store_doomed(st);
    if (rc == PRIVACY_OK)
        rc = check_collection(collection, st->err);
    if (rc == PRIVACY_OK)
        rc = check_id(id, what, st->err);
    return rc;
}

#define BACKEND(st, call)                                                                       \
    do {                                                                                       \
        int rc_ = (call);                                                                      \
        if (rc_ != PRIVACY_OK)                                                                 \
            return prv_store_fail((st), rc_);                                                  \
    } while (0)

int prv_store_put(prv_store *st, const privacy_record *rec)
{
    int rc = prv_store_doomed(st);
    if (rc == PRIVACY_OK)
        rc = prv_store_check_record(rec, st->err);
    if (rc != PRIVACY_OK)
        return rc;
    BACKEND(st, st->be.put(st->conn, rec));
    return PRIVACY_OK;
}

/* Copies a record into one allocation: the struct, then the strings, the
 * index key and the body. */
static int copy_record(void *userdata, const privacy_record *r)
{
    privacy_record **out = userdata;
    size_t clen = strlen(r->collection) + 1, ilen = strlen(r->id) + 1;
    size_t slen = r->subject_id != NULL ? strlen(r->subject_id) + 1 : 0;
    size_t total = sizeof(privacy_record) + clen + ilen + slen + r->index_key_len + r->body_len;
    privacy_record *c = prv_malloc(total);
    if (c == NULL)
        return PRIVACY_E_NOMEM;
    unsigned char *p = (unsigned char *)(c + 1);
    *c = *r;
    c->collection = memcpy(p, r->collection, clen);
    p += clen;
    c->id = memcpy(p, r->id, ilen);
    p += ilen;
    if (slen != 0) {
        c->subject_id = memcpy(p, r->subject_id, slen);
        p += slen;
    }
    c->index_key = r->index_key_len != 0 ? memcpy(p, r->index_key, r->index_key_len) : NULL;
    p += r->index_key_len;
    c->body = r->body_len != 0 ? memcpy(p, r->body, r->body_len) : NULL;
    *out = c;
    return PRIVACY_OK;
}

int prv_store_get(prv_store *st, const char *collection, const char *id, privacy_record **out)
{
    int rc = check_target(st, collection, id, "record id");
    if (rc != PRIVACY_OK)
        return rc;
    privacy_record *rec = NULL;
    rc = st->be.get(st->conn, collection, id, copy_record, &rec);
    if (rc == PRIVACY_E_NOMEM && rec == NULL)
        return prv_err_set(st->err, rc, "store: out of memory reading a record of '%s'",
                           collection);
    if (rc != PRIVACY_OK) {
        prv_free(rec);
        if (rc == PRIVACY_E_NOT_FOUND)
            return prv_err_set(st->err, rc, "store: no such record in '%s'", collection);
        return prv_store_fail(st, rc);
    }
    *out = rec;
    return PRIVACY_OK;
}

int prv_store_del(prv_store *st, const char *collection, const char *id, uint64_t *deleted)
{
    int rc = check_target(st, collection, id, "record id");
    if (rc != PRIVACY_OK)
        return rc;
    uint64_t n = 0;
    BACKEND(st, st->be.del(st->conn, collection, id, &n));
    if (deleted != NULL)
        *deleted = n;
    return PRIVACY_OK;
}

int prv_store_count_cb(void *userdata, const privacy_record *rec)
{
    (void)rec;
    ++*(int *)userdata;
    return 0;
}

typedef struct {
    privacy_record_cb cb;
    void *userdata;
    int stopped; /* the callback's own code, which it has described */
} scan_state;

static int scan_one(void *userdata, const privacy_record *r)
{
    scan_state *s = userdata;
    int rc = s->cb(s->userdata, r);
    if (rc != 0)
        s->stopped = rc;
    return rc;
}

int prv_store_scan(prv_store *st, const char *collection, const char *subject_id,
                   const uint8_t *index_key, size_t index_key_len, privacy_record_cb cb,
                   void *userdata)
{
    int rc = prv_store_doomed(st);
    if (rc == PRIVACY_OK)
        rc = check_collection(collection, st->err);
    if (rc == PRIVACY_OK && subject_id != NULL)
        rc = check_id(subject_id, "subject id", st->err);
    if (rc == PRIVACY_OK)
        rc = check_index_key(index_key, index_key_len, st->err);
    if (rc == PRIVACY_OK && subject_id != NULL && index_key != NULL)
        rc = prv_err_set(st->err, PRIVACY_E_INVALID,
                         "store: a scan filters by subject or by index key, not both");
    if (rc == PRIVACY_OK && cb == NULL)
        rc = prv_err_set(st->err, PRIVACY_E_INVALID, "store: the scan callback is NULL");
    if (rc != PRIVACY_OK)
        return rc;
    scan_state s = { cb, userdata, 0 };
    rc = st->be.scan(st->conn, collection, subject_id, index_key, index_key_len, scan_one, &s);
    if (rc != PRIVACY_OK && s.stopped == rc)
        return rc;
    if (rc != PRIVACY_OK)
        return prv_store_fail(st, rc);
    return PRIVACY_OK;
}

int prv_store_delete_subject(prv_store *st, const char *collection, const char *subject_id,
                             uint64_t *deleted)
{
    int rc = check_target(st, collection, subject_id, "subject id");
    if (rc != PRIVACY_OK)
        return rc;
    uint64_t n = 0;
    BACKEND(st, st->be.delete_subject(st->conn, collection, subject_id, &n));
    if (deleted != NULL)
        *deleted = n;
    return PRIVACY_OK;
}

int prv_store_purge_expired(prv_store *st, const char *collection, int64_t now, uint64_t *purged)
{
    int rc = prv_store_doomed(st);
    if (rc == PRIVACY_OK)
        rc = check_collection(collection, st->err);
    if (rc == PRIVACY_OK && now < 0)
        rc = prv_err_set(st->err, PRIVACY_E_INVALID, "store: the time must not be negative");
    if (rc != PRIVACY_OK)
        return rc;
    uint64_t n = 0;
    BACKEND(st, st->be.purge_expired(st->conn, collection, now, &n));
    if (purged != NULL)
        *purged = n;
    return PRIVACY_OK;
}

int prv_store_open(prv_store **out, const privacy_backend *be, const char *uri,
                   int64_t retry_budget_us, prv_err *err)
{
    prv_store *st = prv_calloc(1, sizeof *st);
    if (st == NULL)
        return prv_err_set(err, PRIVACY_E_NOMEM, "store: out of memory");
    st->be = *be;
    st->err = err;
    st->retry_budget_us = retry_budget_us;
    char msg[PRIVACY_ERRMSG_MAX] = "";
    int rc = be->open(&st->conn, uri, msg, sizeof msg);
    if (rc != PRIVACY_OK) {
        prv_free(st);
        if (!prv_is_status(rc))
            return prv_err_set(err, PRIVACY_E_INTERNAL,
                               "store: the backend's open returned %d, which is not a status code",
                               rc);
        return prv_err_from(err, rc, "", msg[0] != '\0' ? msg : privacy_strerror(rc));
    }
    *out = st;
    return PRIVACY_OK;
}

void prv_store_close(prv_store *st, int forked)
{
    if (st == NULL)
        return;
    if (!forked)
        st->be.close(st->conn);
    prv_free(st);
}
