/* The records of the record-store benchmarks, shared by bench_store.c
 * (SQLite) and bench_pg_store.c (PostgreSQL): fresh random records made
 * untimed, the ids a get round looks up, the library's side of both
 * figures (prv_store_tx with prv_store_put; prv_store_get), and the raw
 * baseline's transactions through its storage calls (bench_raw_ops).
 * Reading a row back raw is each backend's own and stays in its file. */
#ifndef PRV_BENCH_RECORDS_H
#define PRV_BENCH_RECORDS_H

#include <stddef.h>
#include <stdint.h>

#include "bench.h"

enum {
    BREC_BATCH = 1000,   /* records per transaction of the put figure */
    BREC_BODY_LEN = 128, /* bytes of random body per record */
};

/* The records' collection. */
extern const char BREC_COLLECTION[];

/* Record: id "rec_" + 32 hex, subject "sub_" + 32 hex, created an
 * increasing µs, expires 0, no index key, BREC_BODY_LEN random bytes. */
typedef struct brec {
    bench_id id;
    bench_id subject;
    int64_t created;
    uint8_t body[BREC_BODY_LEN];
} brec;

typedef struct brec_set {
    brec *recs; /* the records the next put round writes (both sides) */
    size_t nrecs, recs_cap;
    int64_t next_created;

    bench_id *ids; /* every id written, on both sides */
    size_t nids, ids_cap;

    size_t *order; /* the ids the next get round looks up (both sides) */
    size_t norder, gets_per_step;

    unsigned sink; /* consumes what the gets read, so nothing is optimized away */
} brec_set;

/* An empty set whose get rounds are get_steps steps of gets_per_step
 * lookups; created times start at the real time. */
void brec_init(brec_set *s, size_t get_steps, size_t gets_per_step);
void brec_free(brec_set *s);

/* Makes n fresh records (untimed), replacing the previous ones, and
 * remembers their ids. */
void brec_make(brec_set *s, size_t n);
/* The row of a record; no index key and expires 0 are bound as NULL. */
privacy_record brec_record(const brec *d);
/* The records of put step k: transaction k of the round. */
const brec *brec_step_records(const brec_set *s, int step);
/* A get round (untimed): a random sequence of the ids written. */
void brec_plan_gets(brec_set *s);
/* The lookups of get step k: chunk k of the round's sequence. */
const size_t *brec_step_order(const brec_set *s, int step);

/* The library's side of a put step: prv_store_tx() whose callback does
 * BREC_BATCH prv_store_put() of recs. err: the store's. */
void brec_lib_put(prv_store *st, const prv_err *err, const brec *recs);
/* The library's side of get step k: prv_store_get() + prv_free() of each
 * id of chunk k of the round's sequence. Returns the lookups. */
uint64_t brec_lib_gets(brec_set *s, prv_store *st, const prv_err *err, int step);

/* The raw side: writes n records in transactions of batch records: begin,
 * the backend's put of each record, commit. */
void brec_raw_put(const bench_raw_ops *raw, const brec *recs, size_t n, size_t batch);

#endif
