/* failover_client: the C side of tests/failover/failover_test.sh. It uses
 * the public API only, plus libpq for what the API does not show (the
 * rows themselves).
 *
 *   failover_client write URI ACKFILE SECONDS [PAUSE_MS]
 *       creates subjects and sets a field of each until SECONDS have passed
 *       (or SIGINT/SIGTERM); appends a line to ACKFILE, fsynced, for each
 *       call that returned PRIVACY_OK, and only then:
 *         "S <subject id>"            privacy_subject_create
 *         "F <subject id> <value>"    privacy_subject_set of contact.name
 *       Failures go to stderr. Exit 0 if anything was acknowledged.
 *   failover_client check CONNINFO ACKFILE
 *       on the server CONNINFO (libpq key/value) names: every acknowledged
 *       subject exists, every acknowledged field reads back (through the
 *       library), no record is stored twice, and privacy_audit_verify
 *       passes. Prints one summary line. Exit 0: all held; 1: something
 *       acknowledged is missing or wrong; 2: the check could not run.
 *   failover_client cancel URI READYFILE GOFILE
 *       opens the store and writes once, creates READYFILE, waits for GOFILE
 *       (the driver makes every commit wait for a standby that never comes),
 *       then writes once more: the write must fail with PRIVACY_E_STORAGE
 *       once statement_timeout_ms cancels the wait, never PRIVACY_OK.
 *       Exit 0 if so.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <privacy/privacy.h>

/* A fixed test key: every run opens the same store with the same key. */
static const uint8_t root_key[PRIVACY_ROOT_KEY_BYTES] = {
    0x66, 0x61, 0x69, 0x6c, 0x6f, 0x76, 0x65, 0x72, 0x2d, 0x74, 0x65, 0x73, 0x74, 0x2d, 0x6b, 0x31,
    0x3a, 0x91, 0x5e, 0x07, 0xc4, 0x28, 0xbd, 0x6f, 0x10, 0xe2, 0x73, 0x4a, 0x99, 0x0d, 0xf6, 0x35,
};

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR && !stop_requested)
        ;
}

static int open_ctx(const char *uri, privacy_ctx **ctx)
{
    privacy_config *cfg = NULL;
    int rc = privacy_config_new(&cfg);
    if (rc == PRIVACY_OK)
        rc = privacy_config_set_storage(cfg, uri);
    if (rc == PRIVACY_OK)
        rc = privacy_config_set_root_key(cfg, root_key, sizeof root_key);
    if (rc == PRIVACY_OK)
        rc = privacy_open(ctx, cfg);
    if (rc != PRIVACY_OK)
        fprintf(stderr, "failover_client: open: %s: %s\n", privacy_strerror(rc),
                privacy_errmsg(NULL));
    privacy_config_free(cfg);
    return rc;
}

/* One acknowledged call: a line in the file, on disk before the next call. */
static int ack(int fd, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof line)
        return -1;
    for (size_t off = 0; off < (size_t)n;) {
        ssize_t w = write(fd, line + off, (size_t)n - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        off += (size_t)w;
    }
    return fsync(fd);
}

/* ---- write ---- */

static int run_write(const char *uri, const char *ackfile, double seconds, long pause_ms)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    int fd = open(ackfile, O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (fd < 0) {
        perror(ackfile);
        return 2;
    }
    privacy_ctx *ctx = NULL;
    privacy_actor *actor = NULL;
    if (open_ctx(uri, &ctx) != PRIVACY_OK) {
        close(fd);
        return 2;
    }
    int rc = privacy_actor_new(ctx, "svc-failover", "storefront", &actor);
    if (rc != PRIVACY_OK) {
        fprintf(stderr, "failover_client: actor: %s: %s\n", privacy_strerror(rc),
                privacy_errmsg(ctx));
        privacy_close(ctx);
        close(fd);
        return 2;
    }
    static const char *const purposes[] = { "billing" };
    const double t0 = mono_s(), deadline = t0 + seconds;
    unsigned long subjects = 0, fields = 0, errors = 0, n = 0;
    double slowest = 0;
    int status = 0;
    while (!stop_requested && mono_s() < deadline) {
        char *id = NULL;
        double c0 = mono_s();
        rc = privacy_subject_create(ctx, actor, "web_form", &id);
        double took = mono_s() - c0;
        slowest = took > slowest ? took : slowest;
        if (took > 0.5)
            fprintf(stderr, "%7.3f s: privacy_subject_create took %.3f s, returned %s\n", c0 - t0, took,
                    privacy_strerror(rc));
        if (rc != PRIVACY_OK) {
            fprintf(stderr, "%7.3f s: privacy_subject_create: %s: %s\n", mono_s() - t0,
                    privacy_strerror(rc), privacy_errmsg(ctx));
            errors++;
            sleep_ms(50);
            continue;
        }
        if (ack(fd, "S %s\n", id) != 0) {
            perror("failover_client: ack file");
            privacy_free(id);
            status = 2;
            break;
        }
        subjects++;
        char value[64];
        snprintf(value, sizeof value, "name-%lu", ++n);
        c0 = mono_s();
        rc = privacy_subject_set(ctx, actor, id, "contact.name", value, purposes, 1);
        took = mono_s() - c0;
        slowest = took > slowest ? took : slowest;
        if (took > 0.5)
            fprintf(stderr, "%7.3f s: privacy_subject_set took %.3f s, returned %s\n", c0 - t0, took,
                    privacy_strerror(rc));
        if (rc == PRIVACY_OK) {
            if (ack(fd, "F %s %s\n", id, value) != 0) {
                perror("failover_client: ack file");
                privacy_free(id);
                status = 2;
                break;
            }
            fields++;
        } else {
            fprintf(stderr, "%7.3f s: privacy_subject_set: %s: %s\n", mono_s() - t0,
                    privacy_strerror(rc), privacy_errmsg(ctx));
            errors++;
        }
        privacy_free(id);
        if (pause_ms > 0)
            sleep_ms(pause_ms);
    }
    privacy_actor_free(actor);
    double c0 = mono_s();
    privacy_close(ctx);
    if (close(fd) != 0)
        status = 2;
    printf("write: subjects=%lu fields=%lu errors=%lu slowest_call_ms=%.0f close_ms=%.0f "
           "seconds=%.1f\n",
           subjects, fields, errors, slowest * 1000, (mono_s() - c0) * 1000, mono_s() - t0);
    if (status == 0 && subjects == 0)
        status = 1;
    return status;
}

/* ---- check ---- */

typedef struct {
    char kind; /* 'S' or 'F' */
    char *id;
    char *value; /* 'F' only */
} ack_line;

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static ack_line *read_acks(const char *path, size_t *count)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        perror(path);
        return NULL;
    }
    size_t cap = 256, n = 0;
    ack_line *v = malloc(cap * sizeof *v);
    char line[512];
    while (v != NULL && fgets(line, sizeof line, f) != NULL) {
        line[strcspn(line, "\n")] = '\0';
        char *kind = strtok(line, " "), *id = strtok(NULL, " "), *value = strtok(NULL, " ");
        if (kind == NULL || id == NULL || (kind[0] != 'S' && kind[0] != 'F') ||
            (kind[0] == 'F' && value == NULL)) {
            /* A torn last line is a write that was never acknowledged. */
            continue;
        }
        if (n == cap) {
            ack_line *nv = realloc(v, (cap *= 2) * sizeof *v);
            if (nv == NULL) {
                free(v);
                v = NULL;
                break;
            }
            v = nv;
        }
        v[n].kind = kind[0];
        v[n].id = strdup(id);
        v[n].value = value != NULL ? strdup(value) : NULL;
        n++;
    }
    fclose(f);
    if (v == NULL) {
        fprintf(stderr, "failover_client: out of memory\n");
        return NULL;
    }
    *count = n;
    return v;
}

static int check_acks(const char *conninfo, const ack_line *acks, size_t n_acks)
{
    PGconn *db = PQconnectdb(conninfo);
    if (PQstatus(db) != CONNECTION_OK) {
        fprintf(stderr, "failover_client: check: %s", PQerrorMessage(db));
        PQfinish(db);
        return 2;
    }
    int status = 0;

    /* No record stored twice: subjects, fields, audit entries (whose ids
     * are chain:seq), keys. The table's key forbids it; this shows it. */
    PGresult *res = PQexec(db, "SELECT collection, id, count(*) FROM privacy.records "
                               "GROUP BY collection, id HAVING count(*) > 1");
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        fprintf(stderr, "failover_client: check: %s", PQerrorMessage(db));
        PQclear(res);
        PQfinish(db);
        return 2;
    }
    int duplicates = PQntuples(res);
    for (int i = 0; i < duplicates && i < 10; i++)
        fprintf(stderr, "check: stored %s times: %s %s\n", PQgetvalue(res, i, 2),
                PQgetvalue(res, i, 0), PQgetvalue(res, i, 1));
    PQclear(res);
    if (duplicates > 0)
        status = 1;

    /* Every acknowledged subject is stored. */
    res = PQexec(db, "SELECT id FROM privacy.records WHERE collection = 'subject'");
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        fprintf(stderr, "failover_client: check: %s", PQerrorMessage(db));
        PQclear(res);
        PQfinish(db);
        return 2;
    }
    size_t n_stored = (size_t)PQntuples(res);
    char **stored = malloc((n_stored + 1) * sizeof *stored);
    for (size_t i = 0; stored != NULL && i < n_stored; i++)
        stored[i] = PQgetvalue(res, (int)i, 0);
    if (stored == NULL) {
        PQclear(res);
        PQfinish(db);
        return 2;
    }
    qsort(stored, n_stored, sizeof *stored, cmp_str);
    size_t subjects = 0, missing = 0, first_missing = (size_t)-1, last_missing = 0;
    for (size_t i = 0; i < n_acks; i++) {
        if (acks[i].kind != 'S')
            continue;
        subjects++;
        if (bsearch(&acks[i].id, stored, n_stored, sizeof *stored, cmp_str) == NULL) {
            if (missing < 5)
                fprintf(stderr, "check: acknowledged subject missing: %s (ack line %zu)\n",
                        acks[i].id, i + 1);
            missing++;
            first_missing = i < first_missing ? i : first_missing;
            last_missing = i;
        }
    }
    free(stored);
    PQclear(res);
    PQfinish(db);
    if (missing > 0)
        status = 1;

    /* Every acknowledged field reads back through the library, and the
     * audit log verifies. */
    privacy_ctx *ctx = NULL;
    privacy_actor *reader = NULL;
    size_t uri_len = strlen(conninfo) + 4;
    char *uri = malloc(uri_len);
    if (uri == NULL)
        return 2;
    snprintf(uri, uri_len, "pg:%s", conninfo);
    int rc = open_ctx(uri, &ctx);
    free(uri);
    if (rc != PRIVACY_OK)
        return 2;
    rc = privacy_actor_new(ctx, "svc-failover-check", "billing", &reader);
    if (rc != PRIVACY_OK) {
        fprintf(stderr, "failover_client: actor: %s: %s\n", privacy_strerror(rc),
                privacy_errmsg(ctx));
        privacy_close(ctx);
        return 2;
    }
    size_t fields = 0, unreadable = 0;
    for (size_t i = 0; i < n_acks; i++) {
        if (acks[i].kind != 'F')
            continue;
        fields++;
        char *value = NULL;
        rc = privacy_subject_get(ctx, reader, acks[i].id, "contact.name", "billing", &value);
        if (rc != PRIVACY_OK || strcmp(value, acks[i].value) != 0) {
            if (unreadable < 5)
                fprintf(stderr, "check: acknowledged field of %s: %s%s%s\n", acks[i].id,
                        rc != PRIVACY_OK ? privacy_strerror(rc) : "another value",
                        rc != PRIVACY_OK ? ": " : "", rc != PRIVACY_OK ? privacy_errmsg(ctx) : "");
            unreadable++;
        }
        privacy_free(value);
    }
    if (unreadable > 0)
        status = 1;
    rc = privacy_audit_verify(ctx, NULL);
    char audit[PRIVACY_ERRMSG_MAX + 32];
    if (rc == PRIVACY_OK) {
        snprintf(audit, sizeof audit, "ok");
    } else {
        snprintf(audit, sizeof audit, "FAILED (%s: %s)", privacy_strerror(rc),
                 privacy_errmsg(ctx));
        status = rc == PRIVACY_E_INTEGRITY ? (status != 0 ? status : 1) : 2;
    }
    privacy_actor_free(reader);
    privacy_close(ctx);
    printf("check: subjects acked=%zu missing=%zu fields acked=%zu unreadable=%zu "
           "duplicates=%d audit=%s",
           subjects, missing, fields, unreadable, duplicates, audit);
    if (missing > 0)
        printf(" missing_ack_lines=%zu..%zu", first_missing + 1, last_missing + 1);
    printf("\n");
    return status;
}

static int run_check(const char *conninfo, const char *ackfile)
{
    size_t n_acks = 0;
    ack_line *acks = read_acks(ackfile, &n_acks);
    if (acks == NULL)
        return 2;
    int status = check_acks(conninfo, acks, n_acks);
    for (size_t i = 0; i < n_acks; i++) {
        free(acks[i].id);
        free(acks[i].value);
    }
    free(acks);
    return status;
}

/* ---- cancel ---- */

static int run_cancel(const char *uri, const char *readyfile, const char *gofile)
{
    privacy_ctx *ctx = NULL;
    privacy_actor *actor = NULL;
    if (open_ctx(uri, &ctx) != PRIVACY_OK)
        return 2;
    char *id = NULL;
    int rc = privacy_actor_new(ctx, "svc-failover", "storefront", &actor);
    if (rc == PRIVACY_OK)
        rc = privacy_subject_create(ctx, actor, "web_form", &id);
    privacy_free(id);
    id = NULL;
    if (rc != PRIVACY_OK) {
        fprintf(stderr, "failover_client: cancel: the first write failed: %s: %s\n",
                privacy_strerror(rc), privacy_errmsg(ctx));
        privacy_actor_free(actor);
        privacy_close(ctx);
        return 2;
    }
    int fd = open(readyfile, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || close(fd) != 0) {
        perror(readyfile);
        privacy_actor_free(actor);
        privacy_close(ctx);
        return 2;
    }
    double t0 = mono_s();
    while (access(gofile, F_OK) != 0) {
        if (mono_s() - t0 > 30) {
            fprintf(stderr, "failover_client: cancel: no %s after 30 s\n", gofile);
            privacy_actor_free(actor);
            privacy_close(ctx);
            return 2;
        }
        sleep_ms(20);
    }
    t0 = mono_s();
    rc = privacy_subject_create(ctx, actor, "web_form", &id);
    double took = mono_s() - t0;
    printf("cancel: privacy_subject_create returned %s after %.0f ms: %s\n",
           privacy_strerror(rc), took * 1000, rc == PRIVACY_OK ? id : privacy_errmsg(ctx));
    privacy_free(id);
    int status = rc == PRIVACY_E_STORAGE ? 0 : 1;
    if (status == 0 && took < 0.8) {
        printf("cancel: but too soon: the commit did not wait for the standby\n");
        status = 1;
    }
    privacy_actor_free(actor);
    t0 = mono_s();
    privacy_close(ctx);
    printf("cancel: privacy_close took %.0f ms\n", (mono_s() - t0) * 1000);
    return status;
}

static int usage(void)
{
    fprintf(stderr, "usage: failover_client write URI ACKFILE SECONDS [PAUSE_MS]\n"
                    "       failover_client check CONNINFO ACKFILE\n"
                    "       failover_client cancel URI READYFILE GOFILE\n");
    return 2;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc >= 5 && argc <= 6 && strcmp(argv[1], "write") == 0) {
        double seconds = atof(argv[4]);
        long pause_ms = argc == 6 ? atol(argv[5]) : 0;
        if (seconds <= 0 || pause_ms < 0)
            return usage();
        return run_write(argv[2], argv[3], seconds, pause_ms);
    }
    if (argc == 4 && strcmp(argv[1], "check") == 0)
        return run_check(argv[2], argv[3]);
    if (argc == 5 && strcmp(argv[1], "cancel") == 0)
        return run_cancel(argv[2], argv[3], argv[4]);
    return usage();
}
