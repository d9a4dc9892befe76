/* What only the PostgreSQL backend does: its URIs and the transport rule
 * (R22), its schema and migrations, and its failures — a lost connection,
 * serialization conflicts. The record contract itself is the conformance
 * suite's (tests/backend), and every domain suite runs on PostgreSQL too.
 * Runs with PRIVACY_TEST_BACKEND=postgres against PRIVACY_TEST_PG. */
#include <check.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backend/postgres/pg_backend.h"
#include "core/config.h"
#include "store/store.h"
#include "testutil.h"

static tu_store S;

static void setup(void)
{
    tu_store_setup(&S);
}

static void teardown(void)
{
    tu_store_teardown(&S);
}

static void assert_failed_with(int rc, int code, const char *needle)
{
    ck_assert_int_eq(rc, code);
    const char *msg = privacy_errmsg(NULL);
    ck_assert_msg(strstr(msg, needle) != NULL, "message '%s' lacks '%s'", msg, needle);
}

/* ---- URIs and the transport rule ---- */

START_TEST(test_uri_forms_are_accepted)
{
    privacy_config *cfg;
    ck_assert_int_eq(privacy_config_new(&cfg), PRIVACY_OK);
    static const char *const good[] = {
        "postgresql://u@localhost/db",
        "postgres:///db?host=/run/postgresql&schema=shop_1&retry_budget_ms=100",
        "postgresql://u@127.0.0.1:5433,[::1]:5434/db?target_session_attrs=read-write",
        "postgresql://u@db.example.com/db?sslmode=verify-full",
        "postgresql://u@db.example.com/db?sslmode=verify-ca&statement_timeout_ms=0",
        "postgresql://u@db.example.com/db?allow_insecure=1",
        "pg:host=/tmp port=5432 dbname=x schema=s",
        "pg:host='db.example.com' sslmode = verify-full  schema = 'a_b'",
        "pg:",
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        ck_assert_msg(privacy_config_set_storage(cfg, good[i]) == PRIVACY_OK, "%s: %s",
                      good[i], privacy_errmsg(NULL));
    privacy_config_free(cfg);
}
END_TEST

START_TEST(test_uri_errors_are_named)
{
    privacy_config *cfg;
    ck_assert_int_eq(privacy_config_new(&cfg), PRIVACY_OK);
    static const struct {
        const char *uri, *msg;
    } bad[] = {
        { "postgresql://u@db.example.com/db", "R22: host 'db.example.com' is not local" },
        { "postgresql://u@db.example.com/db?sslmode=require", "sslmode is 'require'" },
        { "pg:host=/tmp,db.example.com port=1,2", "R22: host 'db.example.com'" },
        { "pg:host=localhost hostaddr=10.0.0.7", "R22: host '10.0.0.7'" },
        { "postgresql://u@db.example.com/db?allow_insecure=2", "allow_insecure must be 0 or 1" },
        { "pg:schema=Shop", "schema must be" },
        { "pg:schema=1shop", "schema must be" },
        { "pg:statement_timeout_ms=soon", "statement_timeout_ms must be" },
        { "postgresql:///db?retry_budget_ms=3600001", "retry_budget_ms must be" },
        { "postgresql:///db?frobnicate=1", "malformed" },
        { "pg:frobnicate=1", "malformed" },
        { "pg:host", "malformed" },
        { "postgresql:///db?schema=%zz", "bad percent-escape" },
        /* an empty entry is the local socket, the next one is not */
        { "pg:host=localhost,,db.example.com port=1,2,3", "R22: host 'db.example.com'" },
        /* a service file's hosts are out of sight */
        { "pg:service=shop dbname=x", "R22: a service's hosts cannot be checked" },
        { "postgresql:///db?service=shop", "R22: a service's hosts cannot be checked" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_failed_with(privacy_config_set_storage(cfg, bad[i].uri), PRIVACY_E_INVALID,
                           bad[i].msg);
    privacy_config_free(cfg);
}
END_TEST

/* libpq quotes the token it cannot parse, which may be a password. */
START_TEST(test_uri_messages_never_quote_a_password)
{
    privacy_config *cfg;
    ck_assert_int_eq(privacy_config_new(&cfg), PRIVACY_OK);
    static const char *const bad[] = {
        "postgresql://u:Sesame42%zz@localhost/db",
        "pg:password=Sesame42 'unterminated",
        "pg:password='Sesame42",
        "pg:host=db.example.com password=Sesame42",
        "pg:host=h password=Ses\"ame42 'unterminated",
        "postgresql://u:pa\"Sesame42@[::1/db",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_int_eq(privacy_config_set_storage(cfg, bad[i]), PRIVACY_E_INVALID);
        ck_assert_msg(strstr(privacy_errmsg(NULL), "Sesame42") == NULL, "%s",
                      privacy_errmsg(NULL));
    }
    privacy_config_free(cfg);
}
END_TEST

/* libpq's environment counts: PGHOST names a remote server here. */
START_TEST(test_environment_host_is_checked)
{
    privacy_config *cfg;
    ck_assert_int_eq(privacy_config_new(&cfg), PRIVACY_OK);
    setenv("PGHOST", "db.example.com", 1);
    assert_failed_with(privacy_config_set_storage(cfg, "pg:dbname=x"), PRIVACY_E_INVALID,
                       "R22");
    setenv("PGSSLMODE", "verify-full", 1);
    ck_assert_int_eq(privacy_config_set_storage(cfg, "pg:dbname=x"), PRIVACY_OK);
    unsetenv("PGHOST");
    unsetenv("PGSSLMODE");
    privacy_config_free(cfg);
}
END_TEST

/* The retry budget: the URI's, else the caller's, else the backend's own
 * (30 s on PostgreSQL: above a failover's time). */
START_TEST(test_retry_budget_defaults)
{
    privacy_config *cfg;
    ck_assert_int_eq(privacy_config_new(&cfg), PRIVACY_OK);
    ck_assert_int_eq(privacy_config_set_storage(cfg, "pg:dbname=x"), PRIVACY_OK);
    ck_assert_int_eq(cfg->retry_budget_us, PRV_PG_RETRY_BUDGET_DEFAULT_US);
    ck_assert_int_eq(privacy_config_set_storage(cfg, "sqlite::memory:"), PRIVACY_OK);
    ck_assert_int_eq(cfg->retry_budget_us, PRV_RETRY_BUDGET_DEFAULT_US);
    ck_assert_int_eq(privacy_config_set_storage(cfg, "pg:dbname=x retry_budget_ms=7"), PRIVACY_OK);
    ck_assert_int_eq(cfg->retry_budget_us, 7000);
    ck_assert_int_eq(privacy_config_set_retry_budget(cfg, 0), PRIVACY_OK);
    ck_assert_int_eq(privacy_config_set_storage(cfg, "pg:dbname=x"), PRIVACY_OK);
    ck_assert_int_eq(cfg->retry_budget_us, 0);
    privacy_config_free(cfg);
}
END_TEST

START_TEST(test_unreachable_server_is_a_storage_error)
{
    privacy_ctx *ctx = NULL;
    assert_failed_with(tu_open(&ctx, "pg:host=/nonexistent-dir port=1 connect_timeout=1"),
                       PRIVACY_E_STORAGE, "cannot connect");
    ck_assert_ptr_null(ctx);
}
END_TEST

/* ---- schema ---- */

START_TEST(test_open_creates_the_schema_once)
{
    ck_assert(!tu_store_exists(&S));
    privacy_ctx *ctx;
    ck_assert_int_eq(tu_open(&ctx, S.uri), PRIVACY_OK);
    privacy_close(ctx);
    char v[32];
    ck_assert(tu_sql_text(&S, "SELECT value FROM privacy_meta WHERE key = 'schema_version'", v,
                          sizeof v));
    ck_assert_str_eq(v, "1");
    ck_assert_int_eq(tu_open(&ctx, S.uri), PRIVACY_OK);
    privacy_close(ctx);
}
END_TEST

/* Many processes opening a new store at once: every one succeeds, and
 * the schema is made exactly once (the advisory lock). */
START_TEST(test_concurrent_first_opens_migrate_once)
{
    enum { N = 8 };
    pid_t pid[N];
    for (int i = 0; i < N; i++) {
        pid[i] = fork();
        ck_assert_int_ge(pid[i], 0);
        if (pid[i] == 0) {
            privacy_ctx *ctx;
            int rc = tu_open(&ctx, S.uri);
            if (rc == PRIVACY_OK)
                privacy_close(ctx);
            else
                fprintf(stderr, "child %d: %s\n", i, privacy_errmsg(NULL));
            tu_child_exit(rc == PRIVACY_OK ? 0 : 1);
        }
    }
    for (int i = 0; i < N; i++) {
        int st;
        ck_assert_int_eq(waitpid(pid[i], &st, 0), pid[i]);
        ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child %d failed", i);
    }
    char v[32];
    ck_assert(tu_sql_text(&S, "SELECT count(*) FROM privacy_meta", v, sizeof v));
    ck_assert_str_eq(v, "1");
    /* One store: one key set, however many opened it first. */
    ck_assert_int_eq(tu_count_rows(&S, "collection = 'keyset'"), 1);
}
END_TEST

START_TEST(test_newer_schema_is_refused_unchanged)
{
    privacy_ctx *ctx;
    ck_assert_int_eq(tu_open(&ctx, S.uri), PRIVACY_OK);
    privacy_close(ctx);
    ck_assert_int_eq(tu_sql(&S, "UPDATE privacy_meta SET value = 99"), 1);
    uint8_t before[32], after[32];
    tu_store_digest(&S, before);
    assert_failed_with(tu_open(&ctx, S.uri), PRIVACY_E_VERSION, "has schema version 99");
    tu_store_digest(&S, after);
    ck_assert_mem_eq(before, after, sizeof before);
}
END_TEST

START_TEST(test_foreign_records_table_is_refused)
{
    ck_assert(!tu_store_exists(&S));
    PGconn *pg = PQconnectdb(getenv("PRIVACY_TEST_PG"));
    ck_assert_int_eq(PQstatus(pg), CONNECTION_OK);
    char sql[256];
    snprintf(sql, sizeof sql, "CREATE SCHEMA \"%s\"; CREATE TABLE \"%s\".records (x int)",
             S.schema, S.schema);
    PGresult *res = PQexec(pg, sql);
    ck_assert_int_eq(PQresultStatus(res), PGRES_COMMAND_OK);
    PQclear(res);
    PQfinish(pg);
    privacy_ctx *ctx;
    assert_failed_with(tu_open(&ctx, S.uri), PRIVACY_E_STORAGE, "is not libprivacy's");
}
END_TEST

/* ---- failures ---- */

/* Ends the server processes of the connections named app. */
static int terminate(const char *app)
{
    PGconn *pg = PQconnectdb(getenv("PRIVACY_TEST_PG"));
    ck_assert_int_eq(PQstatus(pg), CONNECTION_OK);
    const char *params[1] = { app };
    PGresult *res = PQexecParams(pg,
                                 "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                                 " WHERE application_name = $1",
                                 1, NULL, params, NULL, NULL, 0);
    ck_assert_int_eq(PQresultStatus(res), PGRES_TUPLES_OK);
    int n = atoi(PQgetvalue(res, 0, 0));
    PQclear(res);
    PQfinish(pg);
    return n;
}

/* The server ends the library's connection between two calls (a restart,
 * a failover, an idle timeout): the next call re-connects and succeeds. */
START_TEST(test_lost_connection_is_remade)
{
    char app[64], uri[4400];
    snprintf(app, sizeof app, "prvtest_%ld", (long)getpid());
    snprintf(uri, sizeof uri, "%s application_name=%s", S.uri, app);
    privacy_ctx *ctx;
    ck_assert_int_eq(tu_open(&ctx, uri), PRIVACY_OK);
    privacy_actor *actor;
    ck_assert_int_eq(privacy_actor_new(ctx, "svc-web", "storefront", &actor), PRIVACY_OK);
    char *id = NULL;
    for (int round = 0; round < 3; round++) {
        ck_assert_int_ge(terminate(app), 1);
        ck_assert_msg(privacy_subject_create(ctx, actor, "web_form", &id) == PRIVACY_OK, "%s",
                      privacy_errmsg(ctx));
        privacy_free(id);
    }
    ck_assert_int_eq(tu_count_rows(&S, "collection = 'subject'"), 3);
    privacy_actor_free(actor);
    privacy_close(ctx);
}
END_TEST

typedef struct {
    const privacy_backend *be;
    void *a, *b;
} two_conns;

static void open_two(two_conns *t)
{
    char err[256];
    t->be = &prv_pg_backend;
    ck_assert_int_eq(t->be->open(&t->a, S.uri, err, sizeof err), PRIVACY_OK);
    ck_assert_int_eq(t->be->open(&t->b, S.uri, err, sizeof err), PRIVACY_OK);
}

static int put(two_conns *t, void *conn, const char *id)
{
    privacy_record r = { .collection = "c", .id = id, .created = 1,
                         .body = (const uint8_t *)"x", .body_len = 1 };
    return t->be->put(conn, &r);
}

/* Two write transactions that each read what the other writes cannot both
 * commit: the second is a serialization failure, reported as BUSY (re-run
 * it), with a message that says why. */
START_TEST(test_serialization_failure_is_busy)
{
    two_conns t;
    open_two(&t);
    int n = 0;
    ck_assert_int_eq(t.be->begin(t.a), PRIVACY_OK);
    ck_assert_int_eq(t.be->begin(t.b), PRIVACY_OK);
    ck_assert_int_eq(t.be->scan(t.a, "c", NULL, NULL, 0, tu_count_cb, &n), PRIVACY_OK);
    ck_assert_int_eq(t.be->scan(t.b, "c", NULL, NULL, 0, tu_count_cb, &n), PRIVACY_OK);
    ck_assert_int_eq(put(&t, t.a, "a"), PRIVACY_OK);
    ck_assert_int_eq(put(&t, t.b, "b"), PRIVACY_OK);
    ck_assert_int_eq(t.be->commit(t.a), PRIVACY_OK);
    int rc = t.be->commit(t.b);
    ck_assert_int_eq(rc, PRIVACY_E_BUSY);
    ck_assert_ptr_nonnull(strstr(t.be->errmsg(t.b), "40001"));
    ck_assert_int_eq(t.be->rollback(t.b), PRIVACY_OK);
    /* The connection is usable at once. */
    ck_assert_int_eq(put(&t, t.b, "b"), PRIVACY_OK);
    ck_assert_int_eq(tu_count_rows(&S, "collection = 'c'"), 2);
    t.be->close(t.a);
    t.be->close(t.b);
}
END_TEST

/* The store re-runs such a conflict by itself: two stores each counting
 * the collection and writing the count both land, one after the other. */
typedef struct {
    const char *id;
} count_put;

static int count_then_put(prv_store *st, void *ud)
{
    count_put *cp = ud;
    int n = 0;
    int rc = prv_store_scan(st, "c", NULL, NULL, 0, prv_store_count_cb, &n);
    if (rc != PRIVACY_OK)
        return rc;
    char body[16];
    int len = snprintf(body, sizeof body, "%d", n);
    privacy_record r = { .collection = "c", .id = cp->id, .created = 1,
                         .body = (const uint8_t *)body, .body_len = (size_t)len };
    return prv_store_put(st, &r);
}

START_TEST(test_store_reruns_conflicting_transactions)
{
    enum { N = 4, ROUNDS = 25 };
    pid_t pid[N];
    for (int i = 0; i < N; i++) {
        pid[i] = fork();
        ck_assert_int_ge(pid[i], 0);
        if (pid[i] == 0) {
            prv_err err;
            memset(&err, 0, sizeof err);
            prv_store *st = NULL;
            int rc = prv_store_open(&st, &prv_pg_backend, S.uri, 30000000, &err);
            for (int k = 0; rc == PRIVACY_OK && k < ROUNDS; k++) {
                char id[32];
                snprintf(id, sizeof id, "p%d-%d", i, k);
                count_put cp = { id };
                rc = prv_store_tx(st, count_then_put, &cp);
            }
            if (rc != PRIVACY_OK)
                fprintf(stderr, "child %d: %s\n", i, prv_err_msg(&err));
            if (st != NULL)
                prv_store_close(st, 0);
            tu_child_exit(rc == PRIVACY_OK ? 0 : 1);
        }
    }
    for (int i = 0; i < N; i++) {
        int st;
        ck_assert_int_eq(waitpid(pid[i], &st, 0), pid[i]);
        ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child %d failed", i);
    }
    /* Serialisable: the counts are 0, 1, 2, … with none repeated. */
    ck_assert_int_eq(tu_count_rows(&S, "collection = 'c'"), N * ROUNDS);
    char v[32];
    ck_assert(tu_sql_text(&S, "SELECT count(DISTINCT body) FROM records WHERE collection = 'c'",
                          v, sizeof v));
    ck_assert_int_eq(atoi(v), N * ROUNDS);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("postgres");
    TCase *tc = tcase_create("uri");
    tcase_add_test(tc, test_uri_forms_are_accepted);
    tcase_add_test(tc, test_uri_errors_are_named);
    tcase_add_test(tc, test_uri_messages_never_quote_a_password);
    tcase_add_test(tc, test_environment_host_is_checked);
    tcase_add_test(tc, test_retry_budget_defaults);
    tcase_add_test(tc, test_unreachable_server_is_a_storage_error);
    suite_add_tcase(s, tc);
    tc = tcase_create("schema");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_open_creates_the_schema_once);
    tcase_add_test(tc, test_concurrent_first_opens_migrate_once);
    tcase_add_test(tc, test_newer_schema_is_refused_unchanged);
    tcase_add_test(tc, test_foreign_records_table_is_refused);
    suite_add_tcase(s, tc);
    tc = tcase_create("failures");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_lost_connection_is_remade);
    tcase_add_test(tc, test_serialization_failure_is_busy);
    tcase_add_test(tc, test_store_reruns_conflicting_transactions);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(suite());
}
