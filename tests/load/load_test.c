/* Load test on PostgreSQL: several processes, each with several contexts
 * on one store, create subjects and write and read their encrypted fields
 * for a while; then every write that was acknowledged must be there, read
 * back through the library, and the audit log must verify.
 *
 *   load_test [SECONDS]
 *
 * The server is $PRIVACY_TEST_PG (a libpq key/value conninfo; run through
 * scripts/with_postgres.sh, which starts a throwaway server when it is
 * unset). Without it the test fails: it never skips. The store is a fresh
 * schema "load_<pid>", dropped at the end (kept when LOAD_KEEP=1 or when a
 * check failed, so it can be looked at).
 *
 * Settings (environment): LOAD_SECONDS (default 30; an argument wins),
 * LOAD_PROCS (4 processes, fork), LOAD_CTXS (2 contexts per process, each
 * privacy_open on the same URI and used by a thread of its own),
 * LOAD_VERIFY_THREADS (4 contexts reading back in parallel).
 *
 * Each worker thread loops until the deadline: 15% create a subject (and
 * remember it), 45% write a field of one of its subjects (contact.email or
 * contact.shipping_address, a new unique value), 40% read one back (which
 * must be the value last written). Every acknowledged create and write is
 * appended to the thread's log file (write(2) per line, before the next
 * call), so a worker that dies still leaves the record of what it was told.
 * A write that fails may or may not have landed: it is logged as
 * uncertain, and that field is left alone afterwards.
 *
 * Checks, in the parent: every worker exited 0 and had no failed call;
 * every subject created exists (its subject and data key records); every
 * field holds the last value written, or its uncertain value; the audit
 * log holds at least one entry per acknowledged call and
 * privacy_audit_verify passes. Throughput (calls per second by kind and in
 * all) goes to stdout. */
#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <privacy/privacy.h>

#include "core/alloc.h"
#include "core/context.h"
#include "crypto/dek.h"
#include "store/store.h"
#include "subject/field.h"
#include "testutil.h"

enum {
    ID_CAP = 64,
    VALUE_CAP = 160,
    LINE_CAP = 512,
    NCAT = 2,
    MAX_PROCS = 64,
    MAX_CTXS = 16,
};

static const char *const CATEGORY[NCAT] = { "contact.email", "contact.shipping_address" };
static const char *const PURPOSES[] = { "billing" };
#define PURPOSE "billing"
#define ROLE "billing"

static const char *const STREET[] = { "Main Street", "Königstraße", "Rue de la Paix",
                                      "Kalverstraat", "Via Roma", "Calle Mayor" };

/* ---- small helpers ---- */

static void die(const char *fmt, ...)
{
    va_list ap;
    fflush(stdout);
    fputs("load: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long env_long(const char *name, long def, long lo, long hi)
{
    const char *v = getenv(name);
    if (v == NULL || v[0] == '\0')
        return def;
    char *end = NULL;
    long x = strtol(v, &end, 10);
    if (*end != '\0' || x < lo || x > hi)
        die("%s must be a number from %ld to %ld", name, lo, hi);
    return x;
}

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n != 0 ? n : 1, size);
    if (p == NULL)
        die("out of memory");
    return p;
}

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p == NULL)
        die("out of memory");
    memcpy(p, s, n);
    return p;
}

/* The run's settings, the same in every process (set before fork). */
static struct {
    char conninfo[4096];
    char schema[64];
    char uri[4400];
    char dir[4096]; /* the workers' log files */
    double seconds;
    int procs, ctxs, verify_threads;
} R;

static privacy_ctx *open_ctx(void)
{
    privacy_ctx *ctx = NULL;
    int rc = tu_open(&ctx, R.uri);
    if (rc != PRIVACY_OK)
        die("privacy_open: %s (%s)", privacy_strerror(rc), privacy_errmsg(NULL));
    return ctx;
}

static privacy_actor *new_actor(privacy_ctx *ctx, const char *id)
{
    privacy_actor *a = NULL;
    int rc = privacy_actor_new(ctx, id, ROLE, &a);
    if (rc != PRIVACY_OK)
        die("privacy_actor_new: %s (%s)", privacy_strerror(rc), privacy_errmsg(ctx));
    return a;
}

/* ---- the workers ---- */

typedef struct own_subject {
    char id[ID_CAP];
    char value[NCAT][VALUE_CAP]; /* last acknowledged; "" if never written */
    int frozen[NCAT];            /* a write failed: its outcome is unknown */
} own_subject;

typedef struct worker {
    int proc, thread;
    privacy_ctx *ctx;
    int fd; /* the log */
    double deadline;
    own_subject *subs;
    size_t nsubs, cap;
    uint64_t seq;
    /* results */
    uint64_t creates, sets, gets, failures;
    double elapsed;
    char first_failure[400];
} worker;

static void log_line(worker *w, const char *fmt, ...)
{
    char line[LINE_CAP];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n <= 0 || (size_t)n >= sizeof line)
        die("log line too long");
    for (size_t done = 0; done < (size_t)n;) {
        ssize_t k = write(w->fd, line + done, (size_t)n - done);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            die("writing the log: %s", strerror(errno));
        done += (size_t)k;
    }
}

static void failed(worker *w, const char *what, int rc)
{
    if (w->failures++ == 0)
        snprintf(w->first_failure, sizeof w->first_failure, "%s: %s (%s)", what,
                 privacy_strerror(rc), privacy_errmsg(w->ctx));
}

/* A new value, unique in the run; valid for the category. */
static void make_value(worker *w, int cat, char out[VALUE_CAP])
{
    uint64_t n = ++w->seq;
    uint32_t r = randombytes_random();
    if (cat == 0)
        snprintf(out, VALUE_CAP, "p%dt%dn%llu.r%u@example.org", w->proc, w->thread,
                 (unsigned long long)n, (unsigned)(r % 100000));
    else
        snprintf(out, VALUE_CAP, "%u %s, %05u Berlin (p%d t%d n%llu)", (unsigned)(r % 197 + 1),
                 STREET[r % (sizeof STREET / sizeof STREET[0])], (unsigned)(r % 99999), w->proc,
                 w->thread, (unsigned long long)n);
}

static void do_create(worker *w, privacy_actor *a)
{
    char *id = NULL;
    int rc = privacy_subject_create(w->ctx, a, "order", &id);
    if (rc != PRIVACY_OK) {
        failed(w, "privacy_subject_create", rc);
        return;
    }
    if (strlen(id) >= ID_CAP)
        die("subject id too long");
    if (w->nsubs == w->cap) {
        size_t cap = w->cap != 0 ? w->cap * 2 : 1024;
        own_subject *s = realloc(w->subs, cap * sizeof *s);
        if (s == NULL)
            die("out of memory");
        w->subs = s;
        w->cap = cap;
    }
    own_subject *s = &w->subs[w->nsubs++];
    memset(s, 0, sizeof *s);
    memcpy(s->id, id, strlen(id) + 1);
    privacy_free(id);
    log_line(w, "C %s\n", s->id);
    w->creates++;
}

static void do_set(worker *w, privacy_actor *a, own_subject *s, int cat)
{
    char v[VALUE_CAP];
    make_value(w, cat, v);
    int rc = privacy_subject_set(w->ctx, a, s->id, CATEGORY[cat], v, PURPOSES, 1);
    if (rc != PRIVACY_OK) {
        failed(w, "privacy_subject_set", rc);
        s->frozen[cat] = 1;
        log_line(w, "U %s %d %s\n", s->id, cat, v);
        return;
    }
    memcpy(s->value[cat], v, sizeof v);
    log_line(w, "S %s %d %s\n", s->id, cat, v);
    w->sets++;
}

static void do_get(worker *w, privacy_actor *a, own_subject *s, int cat)
{
    char *v = NULL;
    int rc = privacy_subject_get(w->ctx, a, s->id, CATEGORY[cat], PURPOSE, &v);
    if (rc != PRIVACY_OK) {
        failed(w, "privacy_subject_get", rc);
        return;
    }
    if (strcmp(v, s->value[cat]) != 0) {
        if (w->failures++ == 0)
            snprintf(w->first_failure, sizeof w->first_failure,
                     "privacy_subject_get of %s %s: not the value this context last wrote",
                     s->id, CATEGORY[cat]);
    }
    privacy_free(v);
    w->gets++;
}

static void *work(void *arg)
{
    worker *w = arg;
    char actor_id[64];
    snprintf(actor_id, sizeof actor_id, "svc-load-%d-%d", w->proc, w->thread);
    privacy_actor *a = new_actor(w->ctx, actor_id);
    double t0 = now_s();
    while (now_s() < w->deadline) {
        uint32_t r = randombytes_uniform(100);
        if (w->nsubs == 0 || r < 15) {
            do_create(w, a);
            continue;
        }
        own_subject *s = &w->subs[randombytes_uniform((uint32_t)w->nsubs)];
        int cat = (int)randombytes_uniform(NCAT);
        if (s->frozen[cat])
            continue;
        if (r < 60 || s->value[cat][0] == '\0')
            do_set(w, a, s, cat);
        else
            do_get(w, a, s, cat);
    }
    w->elapsed = now_s() - t0;
    privacy_actor_free(a);
    return NULL;
}

static void log_path(char *buf, size_t len, int proc, int thread)
{
    snprintf(buf, len, "%s/p%d-t%d.log", R.dir, proc, thread);
}

/* One process: R.ctxs contexts, a thread each; its summary line ends each
 * thread's log. Exits 0, or 1 if anything failed. */
static void run_child(int proc, double deadline)
{
    worker *w = xcalloc((size_t)R.ctxs, sizeof *w);
    pthread_t *t = xcalloc((size_t)R.ctxs, sizeof *t);
    for (int i = 0; i < R.ctxs; i++) {
        w[i].proc = proc;
        w[i].thread = i;
        w[i].deadline = deadline;
        char path[4200];
        log_path(path, sizeof path, proc, i);
        w[i].fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
        if (w[i].fd < 0)
            die("cannot create %s: %s", path, strerror(errno));
        w[i].ctx = open_ctx(); /* privacy_open on the same URI, once per thread */
    }
    for (int i = 0; i < R.ctxs; i++)
        if (pthread_create(&t[i], NULL, work, &w[i]) != 0)
            die("pthread_create failed");
    int status = 0;
    for (int i = 0; i < R.ctxs; i++) {
        pthread_join(t[i], NULL);
        privacy_close(w[i].ctx); /* ends the context's audit chain */
        log_line(&w[i], "T %llu %llu %llu %llu %.3f\n", (unsigned long long)w[i].creates,
                 (unsigned long long)w[i].sets, (unsigned long long)w[i].gets,
                 (unsigned long long)w[i].failures, w[i].elapsed);
        if (w[i].failures != 0) {
            fprintf(stderr, "load: process %d context %d: %llu failed calls; the first: %s\n",
                    proc, i, (unsigned long long)w[i].failures, w[i].first_failure);
            status = 1;
        }
        close(w[i].fd);
        free(w[i].subs);
    }
    free(w);
    free(t);
    fflush(stderr);
    _exit(status);
}

/* ---- the parent's checks ---- */

typedef struct field {
    char *subject;
    int cat;
    char *value;     /* last acknowledged, or NULL */
    char *uncertain; /* a failed write's value, or NULL */
} field;

typedef struct expected {
    char **subjects;
    size_t nsubjects, subjects_cap;
    field *fields;
    size_t nfields, fields_cap;
    /* field index by (subject, cat): an open-addressing table */
    size_t *slot;
    size_t nslots;
    uint64_t creates, sets, gets, failures;
    double elapsed_max;
} expected;

static uint64_t hash(const char *s, int cat)
{
    uint64_t h = 1469598103934665603ULL ^ (uint64_t)cat;
    for (; *s != '\0'; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static void grow_slots(expected *e)
{
    size_t n = e->nslots != 0 ? e->nslots * 2 : 1 << 14;
    size_t *slot = xcalloc(n, sizeof *slot); /* 0: empty, else index + 1 */
    for (size_t i = 0; i < e->nfields; i++) {
        size_t j = hash(e->fields[i].subject, e->fields[i].cat) & (n - 1);
        while (slot[j] != 0)
            j = (j + 1) & (n - 1);
        slot[j] = i + 1;
    }
    free(e->slot);
    e->slot = slot;
    e->nslots = n;
}

static field *find_field(expected *e, const char *subject, int cat)
{
    if ((e->nfields + 1) * 2 > e->nslots)
        grow_slots(e);
    size_t j = hash(subject, cat) & (e->nslots - 1);
    while (e->slot[j] != 0) {
        field *f = &e->fields[e->slot[j] - 1];
        if (f->cat == cat && strcmp(f->subject, subject) == 0)
            return f;
        j = (j + 1) & (e->nslots - 1);
    }
    if (e->nfields == e->fields_cap) {
        e->fields_cap = e->fields_cap != 0 ? e->fields_cap * 2 : 4096;
        field *nf = realloc(e->fields, e->fields_cap * sizeof *nf);
        if (nf == NULL)
            die("out of memory");
        e->fields = nf;
    }
    field *f = &e->fields[e->nfields++];
    f->subject = xstrdup(subject);
    f->cat = cat;
    f->value = NULL;
    f->uncertain = NULL;
    e->slot[j] = e->nfields;
    return f;
}

/* Reads one worker's log. Returns 0 if its summary line is missing. */
static int read_log(expected *e, int proc, int thread)
{
    char path[4200];
    log_path(path, sizeof path, proc, thread);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        die("no log %s: %s", path, strerror(errno));
    char line[LINE_CAP + 2];
    int summary = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        size_t n = strlen(line);
        if (n == 0 || line[n - 1] != '\n')
            die("%s: a truncated line", path);
        line[--n] = '\0';
        char sub[ID_CAP];
        int cat = 0, off = 0;
        if (line[0] == 'C') {
            if (sscanf(line, "C %63s", sub) != 1)
                die("%s: bad line", path);
            if (e->nsubjects == e->subjects_cap) {
                e->subjects_cap = e->subjects_cap != 0 ? e->subjects_cap * 2 : 4096;
                char **ns = realloc(e->subjects, e->subjects_cap * sizeof *ns);
                if (ns == NULL)
                    die("out of memory");
                e->subjects = ns;
            }
            e->subjects[e->nsubjects++] = xstrdup(sub);
        } else if (line[0] == 'S' || line[0] == 'U') {
            if (sscanf(line + 2, "%63s %d %n", sub, &cat, &off) != 2 || off == 0 || cat < 0 ||
                cat >= NCAT)
                die("%s: bad line", path);
            field *fl = find_field(e, sub, cat);
            if (fl->uncertain != NULL)
                die("%s: a write after an uncertain one", path);
            char **to = line[0] == 'S' ? &fl->value : &fl->uncertain;
            free(*to);
            *to = xstrdup(line + 2 + off);
        } else if (line[0] == 'T') {
            unsigned long long c, s, g, x;
            double el;
            if (sscanf(line, "T %llu %llu %llu %llu %lf", &c, &s, &g, &x, &el) != 5)
                die("%s: bad summary line", path);
            e->creates += c;
            e->sets += s;
            e->gets += g;
            e->failures += x;
            if (el > e->elapsed_max)
                e->elapsed_max = el;
            summary = 1;
        } else {
            die("%s: bad line", path);
        }
    }
    fclose(f);
    return summary;
}

typedef struct verifier {
    expected *e;
    int index;
    uint64_t reads, bad, checked_subjects;
    char first_bad[400];
} verifier;

static void bad(verifier *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void bad(verifier *v, const char *fmt, ...)
{
    if (v->bad++ == 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(v->first_bad, sizeof v->first_bad, fmt, ap);
        va_end(ap);
    }
}

/* Reads back its share of the fields (index i of every verify_threads),
 * and checks that its share of the subjects exist. */
static void *verify(void *arg)
{
    verifier *v = arg;
    expected *e = v->e;
    privacy_ctx *ctx = open_ctx();
    privacy_actor *a = new_actor(ctx, "staff-verify");
    for (size_t i = (size_t)v->index; i < e->nfields; i += (size_t)R.verify_threads) {
        const field *f = &e->fields[i];
        char *got = NULL;
        int rc = privacy_subject_get(ctx, a, f->subject, CATEGORY[f->cat], PURPOSE, &got);
        v->reads++;
        if (rc == PRIVACY_E_NOT_FOUND && f->value == NULL)
            continue; /* only an uncertain write, which did not land */
        if (rc != PRIVACY_OK) {
            bad(v, "%s %s: privacy_subject_get: %s (%s)", f->subject, CATEGORY[f->cat],
                privacy_strerror(rc), privacy_errmsg(ctx));
            continue;
        }
        int ok = (f->value != NULL && strcmp(got, f->value) == 0) ||
                 (f->uncertain != NULL && strcmp(got, f->uncertain) == 0);
        if (!ok)
            bad(v, "%s %s: holds a value that is not the last acknowledged write%s", f->subject,
                CATEGORY[f->cat], f->uncertain != NULL ? " (nor the uncertain one)" : "");
        privacy_free(got);
    }
    /* Every subject acknowledged as created: its record and its data key
     * are in the store (read through the library's store). */
    for (size_t i = (size_t)v->index; i < e->nsubjects; i += (size_t)R.verify_threads) {
        privacy_record *rec = NULL;
        int rc = prv_store_get(ctx->store, PRV_SUBJECT_COLLECTION, e->subjects[i], &rec);
        prv_free(rec);
        if (rc == PRIVACY_OK) {
            prv_store *ks = ctx->keystore_store != NULL ? ctx->keystore_store : ctx->store;
            rec = NULL;
            rc = prv_store_get(ks, PRV_DEK_COLLECTION, e->subjects[i], &rec);
            prv_free(rec);
        }
        if (rc != PRIVACY_OK)
            bad(v, "subject %s, acknowledged as created: %s", e->subjects[i],
                privacy_strerror(rc));
        v->checked_subjects++;
    }
    privacy_actor_free(a);
    privacy_close(ctx);
    return NULL;
}

/* ---- libpq: the schema's audit rows, and dropping it ---- */

static void no_notice(void *arg, const PGresult *res)
{
    (void)arg;
    (void)res;
}

static PGconn *pg_connect(void)
{
    PGconn *c = PQconnectdb(R.conninfo);
    if (c == NULL || PQstatus(c) != CONNECTION_OK)
        die("cannot connect to PRIVACY_TEST_PG: %s", c != NULL ? PQerrorMessage(c) : "no memory");
    PQsetNoticeReceiver(c, no_notice, NULL); /* "drop cascades to ..." */
    return c;
}

static long long audit_rows(void)
{
    PGconn *c = pg_connect();
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM \"%s\".records WHERE collection = 'audit'",
             R.schema);
    PGresult *res = PQexec(c, sql);
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
        die("counting the audit rows: %s", PQerrorMessage(c));
    long long n = atoll(PQgetvalue(res, 0, 0));
    PQclear(res);
    PQfinish(c);
    return n;
}

/* The database's committed and rolled-back transactions so far (the
 * library re-runs a transaction the server failed with a serialization
 * failure: each such run is a rollback). */
static void xact_counts(long long *commits, long long *rollbacks)
{
    PGconn *c = pg_connect();
    PGresult *res = PQexec(c, "SELECT xact_commit, xact_rollback"
                              " FROM pg_stat_database WHERE datname = current_database()");
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
        die("reading pg_stat_database: %s", PQerrorMessage(c));
    *commits = atoll(PQgetvalue(res, 0, 0));
    *rollbacks = atoll(PQgetvalue(res, 0, 1));
    PQclear(res);
    PQfinish(c);
}

static void drop_schema(void)
{
    PGconn *c = pg_connect();
    char sql[256];
    snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS \"%s\" CASCADE", R.schema);
    PGresult *res = PQexec(c, sql);
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        die("dropping schema %s: %s", R.schema, PQerrorMessage(c));
    PQclear(res);
    PQfinish(c);
}

static void remove_logs(void)
{
    for (int p = 0; p < R.procs; p++)
        for (int t = 0; t < R.ctxs; t++) {
            char path[4200];
            log_path(path, sizeof path, p, t);
            unlink(path);
        }
    rmdir(R.dir);
}

int main(int argc, char **argv)
{
    if (sodium_init() < 0)
        die("sodium_init failed");
    const char *pg = getenv("PRIVACY_TEST_PG");
    if (pg == NULL || pg[0] == '\0')
        die("FAILED: PRIVACY_TEST_PG is not set: this test needs a PostgreSQL server. Run it "
            "through scripts/with_postgres.sh (meson test does), or set PRIVACY_TEST_PG to a "
            "libpq key/value conninfo (host=/path/to/socket port=N user=... dbname=...)");
    if (strlen(pg) >= sizeof R.conninfo || strstr(pg, "://") != NULL)
        die("PRIVACY_TEST_PG must be a libpq key/value conninfo");
    memcpy(R.conninfo, pg, strlen(pg) + 1);
    R.seconds = (double)env_long("LOAD_SECONDS", 30, 1, 86400);
    if (argc > 1) {
        char *end = NULL;
        R.seconds = strtod(argv[1], &end);
        if (*end != '\0' || !(R.seconds > 0 && R.seconds <= 86400))
            die("usage: %s [SECONDS]", argv[0]);
    }
    R.procs = (int)env_long("LOAD_PROCS", 4, 1, MAX_PROCS);
    R.ctxs = (int)env_long("LOAD_CTXS", 2, 1, MAX_CTXS);
    R.verify_threads = (int)env_long("LOAD_VERIFY_THREADS", 4, 1, 64);
    snprintf(R.schema, sizeof R.schema, "load_%ld", (long)getpid());
    snprintf(R.uri, sizeof R.uri, "pg:%s schema=%s", R.conninfo, R.schema);

    /* The server must be reachable over a Unix socket only. */
    PGconn *c = pg_connect();
    const char *host = PQhost(c);
    if (host == NULL || host[0] != '/')
        die("PRIVACY_TEST_PG must name a Unix socket directory (host=/...), not '%s'",
            host != NULL ? host : "");
    PQfinish(c);

    const char *tmp = getenv("TMPDIR");
    snprintf(R.dir, sizeof R.dir, "%s/privacy-load-XXXXXX",
             tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
    if (mkdtemp(R.dir) == NULL)
        die("mkdtemp: %s", strerror(errno));

    /* The store (schema, tables, keys) is made once, before the workers. */
    drop_schema();
    privacy_close(open_ctx());

    fprintf(stderr, "load: %d processes x %d contexts for %.0f s on schema %s\n", R.procs,
            R.ctxs, R.seconds, R.schema);
    fflush(stdout);
    fflush(stderr);
    long long commits0, rollbacks0, commits1, rollbacks1;
    xact_counts(&commits0, &rollbacks0);
    double t0 = now_s(), deadline = t0 + R.seconds;
    pid_t pid[MAX_PROCS];
    for (int p = 0; p < R.procs; p++) {
        pid[p] = fork();
        if (pid[p] < 0)
            die("fork: %s", strerror(errno));
        if (pid[p] == 0)
            run_child(p, deadline);
    }
    int failed_procs = 0;
    for (int p = 0; p < R.procs; p++) {
        int st = 0;
        if (waitpid(pid[p], &st, 0) != pid[p])
            die("waitpid: %s", strerror(errno));
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            fprintf(stderr, "load: process %d %s %d\n", p,
                    WIFEXITED(st) ? "exited with status" : "was killed by signal",
                    WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
            failed_procs++;
        }
    }
    double wall = now_s() - t0;
    /* The statistics reach the view within ~0.5 s (PGSTAT_MIN_INTERVAL). */
    nanosleep(&(struct timespec){ .tv_sec = 1 }, NULL);
    xact_counts(&commits1, &rollbacks1);

    expected e;
    memset(&e, 0, sizeof e);
    int missing = 0;
    for (int p = 0; p < R.procs; p++)
        for (int t = 0; t < R.ctxs; t++)
            if (!read_log(&e, p, t)) {
                fprintf(stderr, "load: process %d context %d left no summary\n", p, t);
                missing++;
            }

    double el = e.elapsed_max > 0 ? e.elapsed_max : wall;
    uint64_t total = e.creates + e.sets + e.gets;
    printf("load: %d processes x %d contexts, %.1f s (wall %.1f s)\n", R.procs, R.ctxs, el,
           wall);
    printf("load: privacy_subject_create %llu (%.0f/s)\n", (unsigned long long)e.creates,
           (double)e.creates / el);
    printf("load: privacy_subject_set %llu (%.0f/s)\n", (unsigned long long)e.sets,
           (double)e.sets / el);
    printf("load: privacy_subject_get %llu (%.0f/s)\n", (unsigned long long)e.gets,
           (double)e.gets / el);
    printf("load: total %llu calls (%.0f/s), %llu failed\n", (unsigned long long)total,
           (double)total / el, (unsigned long long)e.failures);
    printf("load: server: %lld transactions committed, %lld rolled back (re-run by the "
           "library after a serialization failure, or ended by a failed call)\n",
           commits1 - commits0, rollbacks1 - rollbacks0);

    /* Read every field back, in parallel contexts. */
    double v0 = now_s();
    verifier *v = xcalloc((size_t)R.verify_threads, sizeof *v);
    pthread_t *vt = xcalloc((size_t)R.verify_threads, sizeof *vt);
    for (int i = 0; i < R.verify_threads; i++) {
        v[i].e = &e;
        v[i].index = i;
        if (pthread_create(&vt[i], NULL, verify, &v[i]) != 0)
            die("pthread_create failed");
    }
    uint64_t reads = 0, bads = 0, checked = 0;
    for (int i = 0; i < R.verify_threads; i++) {
        pthread_join(vt[i], NULL);
        reads += v[i].reads;
        checked += v[i].checked_subjects;
        if (v[i].bad != 0)
            fprintf(stderr, "load: verify: %llu problems; the first: %s\n",
                    (unsigned long long)v[i].bad, v[i].first_bad);
        bads += v[i].bad;
    }
    size_t uncertain = 0;
    for (size_t i = 0; i < e.nfields; i++)
        uncertain += e.fields[i].uncertain != NULL;
    printf("load: check: %zu subjects exist, %zu fields read back (%zu after an uncertain "
           "write): %llu wrong, in %.1f s\n",
           (size_t)checked, e.nfields, uncertain, (unsigned long long)bads, now_s() - v0);

    /* The audit log: an entry per acknowledged call at least, and it
     * verifies. */
    long long rows = audit_rows();
    int audit_short = rows < (long long)(total + reads);
    printf("load: check: %lld audit entries (acknowledged calls and read-backs: %llu)%s\n", rows,
           (unsigned long long)(total + reads), audit_short ? ": TOO FEW" : "");
    privacy_ctx *ctx = open_ctx();
    double a0 = now_s();
    int vrc = privacy_audit_verify(ctx, NULL);
    printf("load: check: privacy_audit_verify: %s%s%s (%.1f s)\n", privacy_strerror(vrc),
           vrc != PRIVACY_OK ? ": " : "", vrc != PRIVACY_OK ? privacy_errmsg(ctx) : "",
           now_s() - a0);
    privacy_close(ctx);

    int ok = failed_procs == 0 && missing == 0 && e.failures == 0 && bads == 0 &&
             !audit_short && vrc == PRIVACY_OK && total > 0;
    const char *keep = getenv("LOAD_KEEP");
    if (ok && !(keep != NULL && strcmp(keep, "1") == 0)) {
        drop_schema();
        remove_logs();
    } else {
        fprintf(stderr, "load: kept schema %s and the logs in %s\n", R.schema, R.dir);
    }
    for (size_t i = 0; i < e.nfields; i++) {
        free(e.fields[i].subject);
        free(e.fields[i].value);
        free(e.fields[i].uncertain);
    }
    for (size_t i = 0; i < e.nsubjects; i++)
        free(e.subjects[i]);
    free(e.fields);
    free(e.subjects);
    free(e.slot);
    free(v);
    free(vt);
    printf("load: %s\n", ok ? "PASS" : "FAIL");
    return ok ? 0 : 1;
}
