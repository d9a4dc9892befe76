/* Subject benchmarks on PostgreSQL: a field written and read end to end
 * through the public API, with the store on PostgreSQL, against the raw
 * libsodium and libpq work it cannot avoid. The figures are
 * bench_subject_rw.c's, shared with bench_subject.c (SQLite), as are the
 * raw formats (bench_subject_store.c); this file gives them the schemas
 * and raw libpq's storage calls.
 *
 *  pg_subject_get  privacy_subject_get() of a subject's
 *                  contact.shipping_address (warm key cache; one call, one
 *                  transaction), against the backend's prepared BEGIN
 *                  ISOLATION LEVEL SERIALIZABLE, the field row and the
 *                  wrapped data key row read by key (binary results), the
 *                  record seal checked (keyed BLAKE2b), the envelope opened
 *                  (commitment + XChaCha20-Poly1305), the audit entry's MAC
 *                  and row insert, COMMIT. ops = reads.
 *  pg_subject_set  privacy_subject_set() of a new shipping address, against
 *                  BEGIN ISOLATION LEVEL SERIALIZABLE, the subject row and
 *                  the wrapped data key row read by key, the envelope
 *                  sealed, the record seal and the audit MAC, the field
 *                  row's and the audit row's INSERT ... ON CONFLICT, COMMIT.
 *                  ops = writes.
 *
 * The store is built untimed through the public API into a schema of its
 * own (SG_SUBJECTS subjects, each with a contact.email and a
 * contact.shipping_address), then copied record for record, in primary key
 * order, into two schemas the library created empty ("ours" and "raw"),
 * and dropped; both copies are vacuumed and analysed. The library then
 * works on one through a context, and the baseline on the other with the
 * backend's statements prepared on the context's own connection
 * (bpg_raw_attach): both sides read the same rows from tables with the
 * same history, through the same server process.
 *
 * Checks: the baseline's unwrapped data keys equal the library's; every
 * read returns the value last written on both sides; at the end the values
 * the baseline wrote are read back through the public API from its schema,
 * both schemas' audit logs verify and hold the same number of entries
 * (ours one more: the close entry of the timed context), and the library
 * has no block left allocated. */
#include <stdio.h>
#include <stdlib.h>

#include "bench_pg.h"
#include "bench_subject.h"
#include "core/context.h"

/* The entries of a schema's audit log, verified (prv_audit_verify). */
static uint64_t verify_log(const char *schema, const unsigned char *key)
{
    prv_err err;
    prv_store *st = NULL;
    bpg_store_open(&st, schema, &err);
    return bench_audit_verify_store(st, &err, key, schema);
}

void bpg_run_subject(const uint8_t *root)
{
    char build[BPG_SCHEMA_CAP], ours[BPG_SCHEMA_CAP], raw[BPG_SCHEMA_CAP];
    bpg_schema_name(build, "sg_build");
    bpg_schema_name(ours, "sg_ours");
    bpg_schema_name(raw, "sg_raw");
    PGconn *admin = bpg_connect();
    bpg_drop_schema(admin, build);
    bpg_drop_schema(admin, ours);
    bpg_drop_schema(admin, raw);

    char uri[BPG_URI_CAP];
    bpg_uri(uri, build);
    bench_id *ids = bs_build_store(uri, root, SG_SUBJECTS, 1);
    int64_t t0 = bench_now_ns();
    bpg_create_store(ours);
    bpg_create_store(raw);
    bpg_copy_records(admin, build, ours);
    bpg_copy_records(admin, build, raw);
    bpg_drop_schema(admin, build);
    bpg_settle(admin, ours);
    bpg_settle(admin, raw);
    fprintf(stderr, "bench: copied it into two schemas in %.1f s\n",
            (double)(bench_now_ns() - t0) / 1e9);

    char ours_uri[BPG_URI_CAP], raw_uri[BPG_URI_CAP];
    bpg_uri(ours_uri, ours);
    bpg_uri(raw_uri, raw);
    bs_sg *s = bs_sg_open(ours_uri, root);
    /* The baseline's statements on the context's own connection: both
     * sides talk to the same server process (bench_pg.h). */
    bpg_raw r;
    bpg_raw_attach(&r, bpg_store_pgconn(s->ctx->store), raw, "sg");
    s->raw = bpg_raw_ops_of(&r);
    bs_sg_pick_work(s, ids, SG_SUBJECTS);
    free(ids);

    bs_sg_run(s, "pg_subject_get", "pg_subject_set", "libpq_aead");

    bpg_raw_close(&r);
    bs_sg_close_ctx(s);
    bs_sg_check_values(s, ours_uri, root, ours);
    bs_sg_check_values(s, raw_uri, root, raw);
    uint64_t no = verify_log(ours, s->audit_key);
    uint64_t nr = verify_log(raw, s->audit_key);
    bs_check_log_counts(ours, no, raw, nr);
    fprintf(stderr, "bench: %llu calls per side, values read back from both schemas (checksum %u)\n",
            (unsigned long long)s->ops, s->sink);
    bs_sg_free(s);
    bpg_drop_schema(admin, ours);
    bpg_drop_schema(admin, raw);
    PQfinish(admin);
}
