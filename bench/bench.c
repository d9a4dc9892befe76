/* The benchmark harness (see bench.h). */
#include "bench.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit/verify.h"
#include "backend/sqlite/sqlite_backend.h"
#include "crypto/keystore.h"

#ifdef __linux__
#include <linux/magic.h>
#include <sys/vfs.h>
#endif

#ifndef SQLITE_OPEN_EXRESCODE /* SQLite < 3.37, as in the backend */
#define SQLITE_OPEN_EXRESCODE 0
#endif

enum {
    MAX_ROUNDS = 32,
    BUSY_TIMEOUT_MS = 5000, /* the backend's default busy_timeout_ms */
};

void bench_die(const char *fmt, ...)
{
    va_list ap;
    fflush(stdout);
    fputs("bench: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

void *bench_xmalloc(size_t n)
{
    void *p = malloc(n != 0 ? n : 1);
    if (p == NULL)
        bench_die("out of memory (%zu bytes)", n);
    return p;
}

void *bench_xcalloc(size_t count, size_t size)
{
    void *p = calloc(count != 0 ? count : 1, size != 0 ? size : 1);
    if (p == NULL)
        bench_die("out of memory (%zu x %zu bytes)", count, size);
    return p;
}

int64_t bench_now_ns(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        bench_die("clock_gettime(CLOCK_MONOTONIC): %s", strerror(errno));
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Runs and times one step, adding to *ns and *ops. */
static void timed_step(bench_step_fn fn, void *arg, int step, int64_t *ns, uint64_t *ops)
{
    int64_t t0 = bench_now_ns();
    uint64_t n = fn(arg, step);
    int64_t t1 = bench_now_ns();
    *ns += t1 - t0;
    *ops += n;
}

/* Seconds per operation of one side's round. */
static double per_op(int64_t ns, uint64_t ops, const char *name, const char *side)
{
    if (ops == 0)
        bench_die("%s: the %s side did no operations", name, side);
    if (ns <= 0)
        bench_die("%s: the %s side took no measurable time", name, side);
    return (double)ns / 1e9 / (double)ops;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Sorts v in place and returns its median. */
static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof v[0], cmp_double);
    return n % 2 != 0 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void check_shape(const char *name, int rounds, int steps)
{
    if (rounds < 1 || rounds > MAX_ROUNDS)
        bench_die("%s: rounds must be 1..%d, not %d", name, MAX_ROUNDS, rounds);
    if (steps < 1)
        bench_die("%s: steps must be at least 1, not %d", name, steps);
}

void bench_run_pair(const bench_pair *p)
{
    check_shape(p->name, p->rounds, p->steps);
    double ours[MAX_ROUNDS], base[MAX_ROUNDS];
    /* Round 0 is the warm-up: it fills caches and is not counted. */
    for (int r = 0; r <= p->rounds; r++) {
        if (p->prepare != NULL)
            p->prepare(p->arg, r);
        int64_t ons = 0, bns = 0;
        uint64_t oops = 0, bops = 0;
        for (int s = 0; s < p->steps; s++) {
            if ((r + s) % 2 == 0) {
                timed_step(p->ours, p->arg, s, &ons, &oops);
                timed_step(p->base, p->arg, s, &bns, &bops);
            } else {
                timed_step(p->base, p->arg, s, &bns, &bops);
                timed_step(p->ours, p->arg, s, &ons, &oops);
            }
        }
        double o = per_op(ons, oops, p->name, "library");
        double b = per_op(bns, bops, p->name, p->baseline);
        if (r > 0) {
            ours[r - 1] = o;
            base[r - 1] = b;
        }
    }
    /* median() sorts, so [0] and [rounds - 1] are then the extremes. */
    double mo = median(ours, p->rounds), mb = median(base, p->rounds);
    fprintf(stderr,
            "bench: %s: %d rounds of %d steps, median us/op: library %.3f (%.3f..%.3f), "
            "%s %.3f (%.3f..%.3f)\n",
            p->name, p->rounds, p->steps, mo * 1e6, ours[0] * 1e6, ours[p->rounds - 1] * 1e6,
            p->baseline, mb * 1e6, base[0] * 1e6, base[p->rounds - 1] * 1e6);
    printf("BENCH name=%s ops_per_s=%.0f baseline=%s baseline_ops_per_s=%.0f overhead=%.2f\n",
           p->name, 1.0 / mo, p->baseline, 1.0 / mb, mo / mb);
    fflush(stdout);
}

void bench_run_alone(const char *name, int rounds, int steps, void *arg,
                     void (*prepare)(void *, int), bench_step_fn fn)
{
    check_shape(name, rounds, steps);
    double t[MAX_ROUNDS];
    for (int r = 0; r <= rounds; r++) {
        if (prepare != NULL)
            prepare(arg, r);
        int64_t ns = 0;
        uint64_t ops = 0;
        for (int s = 0; s < steps; s++)
            timed_step(fn, arg, s, &ns, &ops);
        double x = per_op(ns, ops, name, "library");
        if (r > 0)
            t[r - 1] = x;
    }
    double m = median(t, rounds);
    fprintf(stderr, "bench: %s: %d rounds of %d steps, median us/op: library %.3f (%.3f..%.3f)\n",
            name, rounds, steps, m * 1e6, t[0] * 1e6, t[rounds - 1] * 1e6);
    printf("BENCH name=%s ops_per_s=%.0f baseline=none baseline_ops_per_s=0 overhead=0\n", name,
           1.0 / m);
    fflush(stdout);
}

void bench_tmpdir(char *buf, size_t len)
{
    const char *base = getenv("BENCH_TMPDIR");
    if (base == NULL || base[0] == '\0')
        base = getenv("TMPDIR");
    if (base == NULL || base[0] == '\0')
        base = "/var/tmp";
    int n = snprintf(buf, len, "%s/libprivacy-bench-XXXXXX", base);
    if (n < 0 || (size_t)n >= len)
        bench_die("temporary directory path too long under '%s'", base);
    if (mkdtemp(buf) == NULL)
        bench_die("cannot create a directory under '%s': %s", base, strerror(errno));
#ifdef __linux__
    struct statfs fs;
    if (statfs(buf, &fs) == 0 && fs.f_type == TMPFS_MAGIC)
        fprintf(stderr,
                "bench: warning: %s is on tmpfs, so fsync costs nothing; set BENCH_TMPDIR to a "
                "directory on disk\n",
                buf);
#endif
}

int64_t bench_realtime_us(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
        bench_die("clock_gettime(CLOCK_REALTIME): %s", strerror(errno));
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ---- ids and files ---- */

void bench_new_id(bench_id out, const char *prefix)
{
    if (strlen(prefix) != 4 || prefix[3] != '_')
        bench_die("bench_new_id: prefix '%s' is not of the form 'xxx_'", prefix);
    unsigned char rnd[16];
    randombytes_buf(rnd, sizeof rnd);
    memcpy(out, prefix, 4);
    if (sodium_bin2hex(out + 4, BENCH_ID_LEN - 4 + 1, rnd, sizeof rnd) == NULL)
        bench_die("sodium_bin2hex failed");
}

void bench_path(char *buf, size_t len, const char *dir, const char *name, const char *suffix)
{
    int n = snprintf(buf, len, "%s/%s%s", dir, name, suffix);
    if (n < 0 || (size_t)n >= len)
        bench_die("path too long in '%s'", dir);
}

void bench_remove_db(const char *dir, const char *name)
{
    static const char *const suffix[] = { "", "-wal", "-shm" };
    char path[4096];
    for (size_t i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
        bench_path(path, sizeof path, dir, name, suffix[i]);
        if (unlink(path) != 0 && (i == 0 || errno != ENOENT))
            bench_die("cannot remove %s: %s", path, strerror(errno));
    }
}

void bench_sqlite_uri(char out[BENCH_URI_CAP], const char *path)
{
    int n = snprintf(out, BENCH_URI_CAP, "sqlite:%s", path);
    if (n < 0 || n >= BENCH_URI_CAP)
        bench_die("path too long: %s", path);
}

void bench_store_open(prv_store **st, const char *path, prv_err *err)
{
    char uri[BENCH_URI_CAP];
    bench_sqlite_uri(uri, path);
    int rc = prv_store_open(st, &prv_sqlite_backend, uri, 1000000, err);
    if (rc != PRIVACY_OK)
        bench_die("prv_store_open(%s): %s (%d)", uri, err->msg, rc);
}

void bench_create_db(const char *path)
{
    prv_err err;
    prv_store *st = NULL;
    bench_store_open(&st, path, &err);
    prv_store_close(st, 0);
}

/* ---- the raw SQLite baseline ---- */

const char BENCH_SQL_BEGIN[] = "BEGIN IMMEDIATE";
const char BENCH_SQL_COMMIT[] = "COMMIT";
const char BENCH_SQL_PUT[] = "INSERT OR REPLACE INTO records"
                             "(collection, id, subject_id, index_key, created, expires, body)"
                             " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
const char BENCH_SQL_GET[] = "SELECT id, subject_id, index_key, created, expires, body"
                             " FROM records WHERE collection = ?1 AND id = ?2";
const char BENCH_SQL_SCAN_INDEX[] = "SELECT id, subject_id, index_key, created, expires, body"
                                    " FROM records WHERE collection = ?1 AND index_key = ?2"
                                    " ORDER BY created, id";

void bench_raw_die(const bench_raw_db *r, int rc, const char *what)
{
    bench_die("sqlite: %s: %s (%d: %s)", what, sqlite3_errstr(rc), rc,
              r->db != NULL ? sqlite3_errmsg(r->db) : "no connection");
}

void bench_raw_exec(bench_raw_db *r, const char *sql)
{
    int rc = sqlite3_exec(r->db, sql, NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        bench_raw_die(r, rc, sql);
}

static sqlite3_stmt *raw_prepare(bench_raw_db *r, const char *sql)
{
    sqlite3_stmt *st = NULL;
    /* The backend prepares once per connection, SQLITE_PREPARE_PERSISTENT. */
    int rc = sqlite3_prepare_v3(r->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
    if (rc != SQLITE_OK)
        bench_raw_die(r, rc, sql);
    return st;
}

void bench_raw_pragma(bench_raw_db *r, const char *sql, char *buf, size_t len)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(r->db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        bench_raw_die(r, rc, sql);
    rc = sqlite3_step(st);
    if (rc != SQLITE_ROW)
        bench_raw_die(r, rc, sql);
    const unsigned char *v = sqlite3_column_text(st, 0);
    snprintf(buf, len, "%s", v != NULL ? (const char *)v : "");
    sqlite3_finalize(st);
}

void bench_raw_open(bench_raw_db *r, const char *path)
{
    memset(r, 0, sizeof *r);
    int rc = sqlite3_open_v2(path, &r->db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE,
                             NULL);
    if (rc != SQLITE_OK)
        bench_raw_die(r, rc, path);
    if ((rc = sqlite3_busy_timeout(r->db, BUSY_TIMEOUT_MS)) != SQLITE_OK)
        bench_raw_die(r, rc, "sqlite3_busy_timeout");
    if ((rc = sqlite3_extended_result_codes(r->db, 1)) != SQLITE_OK)
        bench_raw_die(r, rc, "sqlite3_extended_result_codes");
    if ((rc = sqlite3_db_config(r->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL)) != SQLITE_OK)
        bench_raw_die(r, rc, "SQLITE_DBCONFIG_DEFENSIVE");
    if ((rc = sqlite3_db_config(r->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL)) != SQLITE_OK)
        bench_raw_die(r, rc, "SQLITE_DBCONFIG_TRUSTED_SCHEMA");
    bench_raw_exec(r, "PRAGMA synchronous = FULL");
    bench_raw_exec(r, "PRAGMA secure_delete = ON");
    char v[32];
    bench_raw_pragma(r, "PRAGMA journal_mode = WAL", v, sizeof v);
    if (strcmp(v, "wal") != 0)
        bench_die("sqlite: %s: journal_mode is '%s', not 'wal'", path, v);
    /* Check that it is the library's file and that the settings took. */
    bench_raw_pragma(r, "PRAGMA application_id", v, sizeof v);
    if (strtol(v, NULL, 10) != PRV_SQLITE_APP_ID)
        bench_die("sqlite: %s: application_id %s is not libprivacy's", path, v);
    bench_raw_pragma(r, "PRAGMA synchronous", v, sizeof v);
    if (strcmp(v, "2") != 0)
        bench_die("sqlite: %s: synchronous is %s, not FULL (2)", path, v);
    bench_raw_pragma(r, "PRAGMA secure_delete", v, sizeof v);
    if (strcmp(v, "1") != 0)
        bench_die("sqlite: %s: secure_delete is %s, not ON", path, v);
    r->begin = raw_prepare(r, BENCH_SQL_BEGIN);
    r->commit = raw_prepare(r, BENCH_SQL_COMMIT);
    r->put = raw_prepare(r, BENCH_SQL_PUT);
    r->get = raw_prepare(r, BENCH_SQL_GET);
    r->scan_index = raw_prepare(r, BENCH_SQL_SCAN_INDEX);
}

void bench_raw_close(bench_raw_db *r)
{
    sqlite3_finalize(r->begin);
    sqlite3_finalize(r->commit);
    sqlite3_finalize(r->put);
    sqlite3_finalize(r->get);
    sqlite3_finalize(r->scan_index);
    int rc = sqlite3_close(r->db);
    if (rc != SQLITE_OK)
        bench_raw_die(r, rc, "sqlite3_close");
    memset(r, 0, sizeof *r);
}

void bench_raw_run(bench_raw_db *r, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);
    if (rc != SQLITE_DONE)
        bench_raw_die(r, rc, what);
    if ((rc = sqlite3_reset(st)) != SQLITE_OK)
        bench_raw_die(r, rc, what);
}

void bench_raw_begin(bench_raw_db *r)
{
    bench_raw_run(r, r->begin, BENCH_SQL_BEGIN);
}

void bench_raw_commit(bench_raw_db *r)
{
    bench_raw_run(r, r->commit, BENCH_SQL_COMMIT);
}

void bench_raw_put(bench_raw_db *r, const privacy_record *rec)
{
    sqlite3_stmt *st = r->put;
    int rc = sqlite3_bind_text(st, 1, rec->collection, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_text(st, 2, rec->id, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK)
        rc = rec->subject_id != NULL ? sqlite3_bind_text(st, 3, rec->subject_id, -1, SQLITE_STATIC)
                                     : sqlite3_bind_null(st, 3);
    if (rc == SQLITE_OK)
        rc = rec->index_key != NULL
                 ? sqlite3_bind_blob64(st, 4, rec->index_key, rec->index_key_len, SQLITE_STATIC)
                 : sqlite3_bind_null(st, 4);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(st, 5, rec->created);
    if (rc == SQLITE_OK)
        rc = rec->expires != 0 ? sqlite3_bind_int64(st, 6, rec->expires) : sqlite3_bind_null(st, 6);
    if (rc == SQLITE_OK)
        rc = rec->body_len != 0 ? sqlite3_bind_blob64(st, 7, rec->body, rec->body_len, SQLITE_STATIC)
                                : sqlite3_bind_zeroblob(st, 7, 0);
    if (rc != SQLITE_OK)
        bench_raw_die(r, rc, "binding a record");
    bench_raw_run(r, st, BENCH_SQL_PUT);
}

void bench_raw_reset(bench_raw_db *r, sqlite3_stmt *st)
{
    int rc = sqlite3_reset(st);
    if (rc != SQLITE_OK)
        bench_raw_die(r, rc, "resetting a statement");
}

int bench_raw_get(bench_raw_db *r, const char *collection, const char *id)
{
    sqlite3_stmt *st = r->get;
    int rc = sqlite3_bind_text(st, 1, collection, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
    if (rc != SQLITE_OK)
        bench_raw_die(r, rc, "binding a key");
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        return 1;
    if (rc != SQLITE_DONE)
        bench_raw_die(r, rc, BENCH_SQL_GET);
    bench_raw_reset(r, st);
    return 0;
}

/* The storage calls of raw SQLite (bench_raw_ops). */

static void sqlite_ops_begin(void *db)
{
    bench_raw_begin(db);
}

static void sqlite_ops_commit(void *db)
{
    bench_raw_commit(db);
}

static void sqlite_ops_put(void *db, const privacy_record *rec)
{
    bench_raw_put(db, rec);
}

static int sqlite_ops_get(void *db, const char *collection, const char *id, int whole,
                          bench_row *row)
{
    bench_raw_db *r = db;
    if (!bench_raw_get(r, collection, id))
        return 0;
    sqlite3_stmt *st = r->get;
    if (whole) {
        const char *sub = (const char *)sqlite3_column_text(st, 1);
        row->subject = sub;
        row->subject_len = sub != NULL ? strlen(sub) : 0;
        row->has_index_key = sqlite3_column_type(st, 2) != SQLITE_NULL;
        row->created = sqlite3_column_int64(st, 3);
        row->expires = sqlite3_column_int64(st, 4);
    }
    row->body = sqlite3_column_blob(st, 5);
    row->body_len = (size_t)sqlite3_column_bytes(st, 5);
    return 1;
}

static void sqlite_ops_done(void *db)
{
    bench_raw_db *r = db;
    bench_raw_reset(r, r->get);
}

bench_raw_ops bench_raw_ops_of(bench_raw_db *r)
{
    bench_raw_ops ops = { r, sqlite_ops_begin, sqlite_ops_commit, sqlite_ops_put, sqlite_ops_get,
                          sqlite_ops_done };
    return ops;
}

/* Copies the file at from to the new file at to and fsyncs it; a source
 * that does not exist is skipped when optional. */
static void copy_file(const char *from, const char *to, int optional)
{
    int in = open(from, O_RDONLY | O_CLOEXEC);
    if (in < 0 && optional && errno == ENOENT)
        return;
    if (in < 0)
        bench_die("cannot open %s: %s", from, strerror(errno));
    int out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (out < 0)
        bench_die("cannot create %s: %s", to, strerror(errno));
    enum { CHUNK = 1 << 20 };
    char *buf = bench_xmalloc(CHUNK);
    for (;;) {
        ssize_t n = read(in, buf, CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            bench_die("cannot read %s: %s", from, strerror(errno));
        if (n == 0)
            break;
        for (ssize_t done = 0; done < n;) {
            ssize_t w = write(out, buf + done, (size_t)(n - done));
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0)
                bench_die("cannot write %s: %s", to, strerror(errno));
            done += w;
        }
    }
    free(buf);
    if (fsync(out) != 0)
        bench_die("cannot fsync %s: %s", to, strerror(errno));
    if (close(out) != 0)
        bench_die("cannot close %s: %s", to, strerror(errno));
    close(in);
}

void bench_copy_db(const char *dir, const char *from, const char *to)
{
    char src[4096], dst[4096];
    bench_path(src, sizeof src, dir, from, "");
    bench_path(dst, sizeof dst, dir, to, "");
    copy_file(src, dst, 0);
    bench_path(src, sizeof src, dir, from, "-wal");
    bench_path(dst, sizeof dst, dir, to, "-wal");
    copy_file(src, dst, 1);
    /* The new names themselves are durable too. */
    int d = open(dir, O_RDONLY | O_CLOEXEC);
    if (d < 0 || fsync(d) != 0)
        bench_die("cannot fsync %s: %s", dir, strerror(errno));
    close(d);
}

/* ---- contexts ---- */

void bench_ctx_die(privacy_ctx *ctx, int rc, const char *what)
{
    bench_die("%s: %s (%s)", what, privacy_strerror(rc),
              ctx != NULL ? privacy_errmsg(ctx) : privacy_errmsg(NULL));
}

privacy_ctx *bench_ctx_open_uri(privacy_config **cfg_out, const char *uri,
                                const uint8_t *root_key, privacy_clock_fn clock,
                                void *clock_userdata)
{
    privacy_config *cfg = NULL;
    int rc = privacy_config_new(&cfg);
    if (rc != PRIVACY_OK)
        bench_ctx_die(NULL, rc, "privacy_config_new");
    if ((rc = privacy_config_set_storage(cfg, uri)) != PRIVACY_OK)
        bench_ctx_die(NULL, rc, "privacy_config_set_storage");
    if ((rc = privacy_config_set_root_key(cfg, root_key, PRIVACY_ROOT_KEY_BYTES)) != PRIVACY_OK)
        bench_ctx_die(NULL, rc, "privacy_config_set_root_key");
    if ((rc = privacy_config_set_clock(cfg, clock, clock_userdata)) != PRIVACY_OK)
        bench_ctx_die(NULL, rc, "privacy_config_set_clock");
    privacy_ctx *ctx = NULL;
    if ((rc = privacy_open(&ctx, cfg)) != PRIVACY_OK)
        bench_ctx_die(NULL, rc, "privacy_open");
    *cfg_out = cfg;
    return ctx;
}

privacy_ctx *bench_ctx_open(privacy_config **cfg_out, const char *path, const uint8_t *root_key,
                            privacy_clock_fn clock, void *clock_userdata)
{
    char uri[BENCH_URI_CAP];
    bench_sqlite_uri(uri, path);
    return bench_ctx_open_uri(cfg_out, uri, root_key, clock, clock_userdata);
}

void bench_ctx_close(privacy_ctx *ctx, privacy_config *cfg)
{
    privacy_close(ctx);
    privacy_config_free(cfg);
}

/* ---- audit rows ---- */

/* The label entry.c's MAC starts with, its NUL included (docs/audit.md):
 * mac = BLAKE2b-256(audit key, label | every byte of the entry before the
 * mac). Verifying the baseline's rows checks that it is right. */
static const char AUDIT_MAC_LABEL[] = "libprivacy/audit/v1";

void bench_audit_chain_init(bench_audit_chain *c, const unsigned char *key, const char *chain)
{
    memset(c, 0, sizeof *c);
    c->key = key;
    int n = snprintf(c->chain, sizeof c->chain, "%s", chain);
    if (n <= 0 || (size_t)n >= sizeof c->chain)
        bench_die("unexpected chain id");
    c->chain_len = (size_t)n;
}

size_t bench_audit_plan(bench_audit_chain *c, const prv_audit_event *ev, int64_t time,
                        uint8_t body[PRV_AUDIT_BODY_MAX], char id[PRV_AUDIT_ID_SIZE])
{
    prv_audit_entry e;
    memset(&e, 0, sizeof e);
    memcpy(e.chain, c->chain, c->chain_len + 1);
    e.seq = ++c->seq;
    e.time = time;
    e.outcome = ev->outcome;
    const char *value[PRV_AF_COUNT] = {
        [PRV_AF_ACTOR] = ev->actor,     [PRV_AF_ROLE] = ev->role,
        [PRV_AF_ACTION] = ev->action,   [PRV_AF_CATEGORY] = ev->category,
        [PRV_AF_PURPOSE] = ev->purpose, [PRV_AF_RECIPIENT] = ev->recipient,
        [PRV_AF_SUBJECT] = ev->subject, [PRV_AF_OBJECT] = ev->object,
    };
    for (int f = 0; f < PRV_AF_COUNT; f++) {
        e.field[f] = value[f];
        e.field_len[f] = value[f] != NULL ? strlen(value[f]) : 0;
    }
    if (e.seq == 1)
        prv_audit_genesis(c->key, c->chain, e.prev);
    else
        memcpy(e.prev, c->mac, PRV_AUDIT_MAC);
    size_t len = prv_audit_encode(&e, c->key, body);
    memcpy(c->mac, e.mac, PRV_AUDIT_MAC);
    /* The baseline computes the MAC itself. */
    sodium_memzero(body + len - PRV_AUDIT_MAC, PRV_AUDIT_MAC);
    prv_audit_record_id(id, c->chain, e.seq);
    return len;
}

void bench_audit_mac(const unsigned char *key, uint8_t *body, size_t len)
{
    crypto_generichash_state h;
    if (len < PRV_AUDIT_MAC ||
        crypto_generichash_init(&h, key, PRV_WORKING_KEY_BYTES, PRV_AUDIT_MAC) != 0 ||
        crypto_generichash_update(&h, (const unsigned char *)AUDIT_MAC_LABEL,
                                  sizeof AUDIT_MAC_LABEL) != 0 ||
        crypto_generichash_update(&h, body, len - PRV_AUDIT_MAC) != 0 ||
        crypto_generichash_final(&h, body + len - PRV_AUDIT_MAC, PRV_AUDIT_MAC) != 0)
        bench_die("crypto_generichash failed");
}

privacy_record bench_audit_row(const bench_audit_chain *c, const char *id, const char *subject,
                               int64_t time, const uint8_t *body, size_t len)
{
    /* As prv_audit_record() and prv_audit_put() make it: no expiry. */
    privacy_record rec = {
        .collection = PRV_AUDIT_COLLECTION,
        .id = id,
        .subject_id = subject,
        .index_key = (const uint8_t *)c->chain,
        .index_key_len = c->chain_len,
        .created = time,
        .expires = 0,
        .body = body,
        .body_len = len,
    };
    return rec;
}

uint64_t bench_audit_verify_store(prv_store *st, prv_err *err, const unsigned char *key,
                                  const char *where)
{
    uint64_t n = 0;
    int rc = prv_audit_verify(st, key, NULL, &n, err);
    if (rc != PRIVACY_OK)
        bench_die("prv_audit_verify(%s): %s (%d)", where, err->msg, rc);
    prv_store_close(st, 0);
    return n;
}

uint64_t bench_audit_verify_file(const char *path, const unsigned char *key)
{
    prv_err err;
    prv_store *st = NULL;
    bench_store_open(&st, path, &err);
    return bench_audit_verify_store(st, &err, key, path);
}
