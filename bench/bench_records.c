/* The records of the record-store benchmarks (see bench_records.h). */
#include "bench_records.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"

const char BREC_COLLECTION[] = "bench";

void brec_init(brec_set *s, size_t get_steps, size_t gets_per_step)
{
    memset(s, 0, sizeof *s);
    s->next_created = bench_realtime_us();
    s->gets_per_step = gets_per_step;
    s->norder = get_steps * gets_per_step;
    s->order = bench_xcalloc(s->norder, sizeof *s->order);
}

void brec_free(brec_set *s)
{
    free(s->recs);
    free(s->ids);
    free(s->order);
    memset(s, 0, sizeof *s);
}

void brec_make(brec_set *s, size_t n)
{
    if (n > s->recs_cap) {
        free(s->recs);
        s->recs = bench_xmalloc(n * sizeof *s->recs);
        s->recs_cap = n;
    }
    if (s->nids + n > s->ids_cap) {
        size_t cap = s->ids_cap != 0 ? s->ids_cap : 4096;
        while (cap < s->nids + n)
            cap *= 2;
        bench_id *ids = realloc(s->ids, cap * sizeof *ids);
        if (ids == NULL)
            bench_die("out of memory for %zu ids", cap);
        s->ids = ids;
        s->ids_cap = cap;
    }
    for (size_t i = 0; i < n; i++) {
        brec *d = &s->recs[i];
        bench_new_id(d->id, "rec_");
        bench_new_id(d->subject, "sub_");
        d->created = s->next_created++;
        randombytes_buf(d->body, sizeof d->body);
        memcpy(s->ids[s->nids + i], d->id, sizeof(bench_id));
    }
    s->nrecs = n;
    s->nids += n;
}

privacy_record brec_record(const brec *d)
{
    privacy_record r = {
        .collection = BREC_COLLECTION,
        .id = d->id,
        .subject_id = d->subject,
        .index_key = NULL,
        .index_key_len = 0,
        .created = d->created,
        .expires = 0,
        .body = d->body,
        .body_len = BREC_BODY_LEN,
    };
    return r;
}

const brec *brec_step_records(const brec_set *s, int step)
{
    if (step < 0 || (size_t)(step + 1) * BREC_BATCH > s->nrecs)
        bench_die("put step %d is beyond the round's %zu records", step, s->nrecs);
    return s->recs + (size_t)step * BREC_BATCH;
}

const size_t *brec_step_order(const brec_set *s, int step)
{
    if (step < 0 || (size_t)(step + 1) * s->gets_per_step > s->norder)
        bench_die("get step %d is beyond the round's %zu lookups", step, s->norder);
    return s->order + (size_t)step * s->gets_per_step;
}

void brec_plan_gets(brec_set *s)
{
    if (s->nids > UINT32_MAX)
        bench_die("too many ids");
    for (size_t i = 0; i < s->norder; i++)
        s->order[i] = randombytes_uniform((uint32_t)s->nids);
}

/* ---- the library's side ---- */

static int put_batch(prv_store *st, void *userdata)
{
    const brec *recs = userdata;
    for (size_t i = 0; i < BREC_BATCH; i++) {
        privacy_record r = brec_record(&recs[i]);
        int rc = prv_store_put(st, &r);
        if (rc != PRIVACY_OK)
            return rc;
    }
    return PRIVACY_OK;
}

void brec_lib_put(prv_store *st, const prv_err *err, const brec *recs)
{
    int rc = prv_store_tx(st, put_batch, (void *)recs);
    if (rc != PRIVACY_OK)
        bench_die("prv_store_tx: %s (%d)", err->msg, rc);
}

uint64_t brec_lib_gets(brec_set *s, prv_store *st, const prv_err *err, int step)
{
    const size_t *order = brec_step_order(s, step);
    for (size_t i = 0; i < s->gets_per_step; i++) {
        const char *id = s->ids[order[i]];
        privacy_record *rec = NULL;
        int rc = prv_store_get(st, BREC_COLLECTION, id, &rec);
        if (rc != PRIVACY_OK)
            bench_die("prv_store_get(%s): %s (%d)", id, err->msg, rc);
        if (rec->body_len != BREC_BODY_LEN || rec->body == NULL)
            bench_die("prv_store_get(%s): body of %zu bytes, not %d", id, rec->body_len,
                      BREC_BODY_LEN);
        s->sink += rec->body[i % BREC_BODY_LEN];
        prv_free(rec);
    }
    return s->gets_per_step;
}

/* ---- the raw side ---- */

void brec_raw_put(const bench_raw_ops *raw, const brec *recs, size_t n, size_t batch)
{
    for (size_t from = 0; from < n; from += batch) {
        size_t end = n - from < batch ? n : from + batch;
        raw->begin(raw->db);
        for (size_t i = from; i < end; i++) {
            privacy_record rec = brec_record(&recs[i]);
            raw->put(raw->db, &rec);
        }
        raw->commit(raw->db);
    }
}
