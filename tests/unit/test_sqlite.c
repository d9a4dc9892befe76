/* The SQLite backend: file modes, refusal of foreign and newer files
 * without touching them, migration once under concurrent opens, busy
 * mapping, secure_delete, persistence across contexts. */
#include <check.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backend/sqlite/sqlite_backend.h"
#include "core/clock.h"
#include "core/context.h"
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

static mode_t mode_of(const char *path)
{
    struct stat sb;
    ck_assert_msg(stat(path, &sb) == 0, "%s missing", path);
    return sb.st_mode & 07777;
}

static const uint8_t SECRET[] = "ZZ-distinctive-sealed-body-ZZ";

static void put_one(privacy_ctx *ctx, const char *id)
{
    privacy_record r = { .collection = "thing", .id = id, .created = 1,
                         .body = SECRET, .body_len = sizeof SECRET - 1 };
    ck_assert_int_eq(prv_store_put(ctx->store, &r), PRIVACY_OK);
}

START_TEST(test_sqlite_files_created_0600)
{
    mode_t old = umask(0); /* even a permissive umask must not widen them */
    privacy_ctx *ctx;
    ck_assert_int_eq(tu_open(&ctx, S.uri), PRIVACY_OK);
    put_one(ctx, "r1");
    char *wal = tu_path(S.dir, "shop.db-wal"), *shm = tu_path(S.dir, "shop.db-shm");
    ck_assert_int_eq(mode_of(S.db), 0600);
    ck_assert_int_eq(mode_of(wal), 0600);
    ck_assert_int_eq(mode_of(shm), 0600);
    privacy_close(ctx);
    umask(old);
    free(wal);
    free(shm);
}
END_TEST

START_TEST(test_sqlite_uses_wal_and_marks_file)
{
    privacy_ctx *ctx;
    ck_assert_int_eq(tu_open(&ctx, S.uri), PRIVACY_OK);
    privacy_close(ctx);
    sqlite3 *h;
    ck_assert_int_eq(sqlite3_open(S.db, &h), SQLITE_OK);
    sqlite3_stmt *st;
    ck_assert_int_eq(sqlite3_prepare_v2(h, "SELECT (SELECT journal_mode FROM pragma_journal_mode),"
                                           " (SELECT application_id FROM pragma_application_id),"
                                           " (SELECT value FROM privacy_meta"
                                           "  WHERE key = 'schema_version')",
                                        -1, &st, NULL),
                     SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
    ck_assert_str_eq((const char *)sqlite3_column_text(st, 0), "wal");
    ck_assert_int_eq(sqlite3_column_int(st, 1), PRV_SQLITE_APP_ID);
    ck_assert_int_eq(sqlite3_column_int(st, 2), PRV_SQLITE_SCHEMA_VERSION);
    sqlite3_finalize(st);
    sqlite3_close(h);
}
END_TEST

/* Opening must fail with want/needle and leave path byte-identical. */
static void assert_refused_untouched(int want, const char *needle)
{
    char *copy = tu_path(S.dir, "before");
    ck_assert_int_eq(tu_copy_file(S.db, copy), 0);
    privacy_ctx *ctx = NULL;
    ck_assert_int_eq(tu_open(&ctx, S.uri), want);
    ck_assert_ptr_null(ctx);
    ck_assert_msg(strstr(privacy_errmsg(NULL), needle) != NULL, "'%s' lacks '%s'",
                  privacy_errmsg(NULL), needle);
    ck_assert(tu_same_file(S.db, copy));
    unlink(copy);
    free(copy);
}

START_TEST(test_sqlite_refuses_non_sqlite_file)
{
    FILE *f = fopen(S.db, "w");
    ck_assert_ptr_nonnull(f);
    fputs("this is a shop's order export, not a database\n", f);
    fclose(f);
    assert_refused_untouched(PRIVACY_E_STORAGE, "is not a libprivacy database (not an SQLite file)");
}
END_TEST

START_TEST(test_sqlite_refuses_foreign_database)
{
    tu_sql(&S, "CREATE TABLE orders(id INTEGER PRIMARY KEY, note TEXT);"
               "INSERT INTO orders(note) VALUES ('keep me');");
    assert_refused_untouched(PRIVACY_E_STORAGE, "is not a libprivacy database");
    char *wal = tu_path(S.dir, "shop.db-wal");
    ck_assert(!tu_exists(wal)); /* not switched to WAL either */
    free(wal);
}
END_TEST

START_TEST(test_sqlite_refuses_newer_schema)
{
    privacy_ctx *ctx;
    ck_assert_int_eq(tu_open(&ctx, S.uri), PRIVACY_OK);
    privacy_close(ctx);
    tu_sql(&S, "UPDATE privacy_meta SET value = 99 WHERE key = 'schema_version';"
               "PRAGMA wal_checkpoint(TRUNCATE);");
    assert_refused_untouched(PRIVACY_E_VERSION,
                             "has schema version 99; this library reads versions 1 to 1");
    ck_assert(tu_exists(S.db)); /* a refused existing file is never removed */
}
END_TEST

START_TEST(test_sqlite_refuses_damaged_meta)
{
    privacy_ctx *ctx;
    ck_assert_int_eq(tu_open(&ctx, S.uri), PRIVACY_OK);
    privacy_close(ctx);
    tu_sql(&S, "DELETE FROM privacy_meta; PRAGMA wal_checkpoint(TRUNCATE);");
    assert_refused_untouched(PRIVACY_E_STORAGE, "damaged libprivacy database");
}
END_TEST

START_TEST(test_sqlite_empty_file_is_initialised)
{
    FILE *f = fopen(S.db, "w");
    ck_assert_ptr_nonnull(f);
    fclose(f);
    privacy_ctx *ctx;
    ck_assert_int_eq(tu_open(&ctx, S.uri), PRIVACY_OK);
    put_one(ctx, "r1");
    privacy_close(ctx);
}
END_TEST

START_TEST(test_sqlite_records_persist_across_contexts)
{
    privacy_ctx *a, *b;
    ck_assert_int_eq(tu_open(&a, S.uri), PRIVACY_OK);
    put_one(a, "r1");
    ck_assert_int_eq(tu_open(&b, S.uri), PRIVACY_OK);
    privacy_record *got = NULL;
    ck_assert_int_eq(prv_store_get(b->store, "thing", "r1", &got), PRIVACY_OK);
    ck_assert_mem_eq(got->body, SECRET, sizeof SECRET - 1);
    privacy_free(got);
    privacy_close(a);
    privacy_close(b);
    ck_assert_int_eq(tu_open(&a, S.uri), PRIVACY_OK);
    ck_assert_int_eq(prv_store_get(a->store, "thing", "r1", &got), PRIVACY_OK);
    privacy_free(got);
    privacy_close(a);
}
END_TEST

START_TEST(test_sqlite_concurrent_first_opens_migrate_once)
{
    enum { N = 6 };
    pid_t kids[N];
    for (int i = 0; i < N; i++) {
        kids[i] = fork();
        ck_assert_int_ge(kids[i], 0);
        if (kids[i] == 0) {
            privacy_ctx *ctx;
            int rc = tu_open(&ctx, S.uri);
            if (rc == PRIVACY_OK)
                privacy_close(ctx);
            _exit(rc == PRIVACY_OK ? 0 : 1);
        }
    }
    for (int i = 0; i < N; i++) {
        int status;
        ck_assert_int_eq(waitpid(kids[i], &status, 0), kids[i]);
        ck_assert(WIFEXITED(status));
        ck_assert_int_eq(WEXITSTATUS(status), 0);
    }
    sqlite3 *h;
    ck_assert_int_eq(sqlite3_open(S.db, &h), SQLITE_OK);
    sqlite3_stmt *st;
    ck_assert_int_eq(sqlite3_prepare_v2(h, "SELECT count(*) FROM privacy_meta", -1, &st, NULL),
                     SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
    ck_assert_int_eq(sqlite3_column_int(st, 0), 1);
    sqlite3_finalize(st);
    sqlite3_close(h);
}
END_TEST

enum { RACERS = 8 };

static void *race_open(void *arg)
{
    privacy_ctx *ctx = NULL;
    int rc = tu_open(&ctx, S.uri);
    if (rc == PRIVACY_OK) {
        privacy_record r = { .collection = "thing", .id = arg, .created = 1,
                             .body = SECRET, .body_len = sizeof SECRET - 1 };
        rc = prv_store_put(ctx->store, &r);
    }
    privacy_close(ctx);
    return rc == PRIVACY_OK ? NULL : arg;
}

/* Regression: a failed opener once removed a file that others had already
 * migrated and written to, and a half-migrated file looked foreign. */
START_TEST(test_sqlite_threads_racing_to_create_all_succeed)
{
    for (int round = 0; round < 10; round++) {
        unlink(S.db);
        pthread_t t[RACERS];
        char ids[RACERS][8];
        for (int i = 0; i < RACERS; i++) {
            snprintf(ids[i], sizeof ids[i], "t%d", i);
            ck_assert_int_eq(pthread_create(&t[i], NULL, race_open, ids[i]), 0);
        }
        int failed = 0;
        for (int i = 0; i < RACERS; i++) {
            void *res;
            pthread_join(t[i], &res);
            failed += res != NULL;
        }
        ck_assert_int_eq(failed, 0);
        privacy_ctx *ctx;
        ck_assert_int_eq(tu_open(&ctx, S.uri), PRIVACY_OK);
        int n = 0;
        ck_assert_int_eq(prv_store_scan(ctx->store, "thing", NULL, NULL, 0, tu_count_cb, &n),
                         PRIVACY_OK);
        ck_assert_int_eq(n, RACERS);
        privacy_close(ctx);
        ck_assert_int_eq(tu_count_files(S.dir, "shop.db.new-"), 0);
    }
}
END_TEST

static int tx_calls;

static int put_in_tx(prv_store *st, void *ud)
{
    (void)st;
    (void)ud;
    tx_calls++;
    return PRIVACY_OK;
}

START_TEST(test_sqlite_locked_store_is_busy)
{
    privacy_ctx *ctx;
    ck_assert_int_eq(tu_open(&ctx, S.uri), PRIVACY_OK);
    privacy_close(ctx);
    sqlite3 *h;
    ck_assert_int_eq(sqlite3_open(S.db, &h), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(h, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);

    /* The retry budget from the URI, then from the setter (set last). */
    char u[4400];
    snprintf(u, sizeof u, "%s?busy_timeout_ms=20&retry_budget_ms=0", S.uri);
    ck_assert_int_eq(tu_open(&ctx, u), PRIVACY_OK); /* reading is not blocked */
    ck_assert_int_eq(privacy_begin(ctx), PRIVACY_E_BUSY);
    ck_assert_msg(strstr(privacy_errmsg(ctx), "sqlite: begin: database is locked") != NULL, "%s",
                  privacy_errmsg(ctx));
    privacy_close(ctx);

    privacy_config *cfg;
    ck_assert_int_eq(tu_config_new(&cfg), PRIVACY_OK);
    snprintf(u, sizeof u, "%s?busy_timeout_ms=20&retry_budget_ms=60000", S.uri);
    ck_assert_int_eq(privacy_config_set_storage(cfg, u), PRIVACY_OK);
    ck_assert_int_eq(privacy_config_set_retry_budget(cfg, 30000), PRIVACY_OK);
    ck_assert_int_eq(privacy_open(&ctx, cfg), PRIVACY_OK);
    privacy_config_free(cfg);
    tx_calls = 0;
    int64_t t0 = prv_clock_monotonic();
    ck_assert_int_eq(prv_store_tx(ctx->store, put_in_tx, NULL), PRIVACY_E_BUSY);
    int64_t spent = prv_clock_monotonic() - t0;
    ck_assert_msg(spent < 2000000, "a 30 ms budget took %lld us", (long long)spent);
    ck_assert(strstr(privacy_errmsg(ctx), "gave up after") != NULL);
    ck_assert_int_eq(tx_calls, 0); /* BEGIN IMMEDIATE itself waited: the callback never ran */
    sqlite3_exec(h, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close(h);
    ck_assert_int_eq(privacy_begin(ctx), PRIVACY_OK);
    put_one(ctx, "r1");
    ck_assert_int_eq(privacy_commit(ctx), PRIVACY_OK);
    privacy_close(ctx);
}
END_TEST

START_TEST(test_sqlite_deleted_body_leaves_no_bytes)
{
    privacy_ctx *ctx;
    ck_assert_int_eq(tu_open(&ctx, S.uri), PRIVACY_OK);
    put_one(ctx, "r1");
    put_one(ctx, "r2");
    uint64_t n;
    ck_assert_int_eq(prv_store_del(ctx->store, "thing", "r1", &n), PRIVACY_OK);
    ck_assert_int_eq(prv_store_del(ctx->store, "thing", "r2", &n), PRIVACY_OK);
    privacy_close(ctx); /* the last connection checkpoints and removes the WAL */
    ck_assert(tu_exists(S.db));
    ck_assert_msg(!tu_file_contains(S.db, SECRET, sizeof SECRET - 1),
                  "secure_delete left a deleted body in the file");
}
END_TEST

START_TEST(test_sqlite_memory_stores_are_private)
{
    privacy_ctx *a, *b;
    ck_assert_int_eq(tu_open(&a, "sqlite::memory:"), PRIVACY_OK);
    ck_assert_int_eq(tu_open(&b, "sqlite::memory:"), PRIVACY_OK);
    put_one(a, "r1");
    privacy_record *got = NULL;
    ck_assert_int_eq(prv_store_get(b->store, "thing", "r1", &got), PRIVACY_E_NOT_FOUND);
    privacy_close(a);
    privacy_close(b);
}
END_TEST

static Suite *sqlite_suite(void)
{
    Suite *s = suite_create("sqlite");
    TCase *tc = tcase_create("sqlite");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_sqlite_files_created_0600);
    tcase_add_test(tc, test_sqlite_uses_wal_and_marks_file);
    tcase_add_test(tc, test_sqlite_refuses_non_sqlite_file);
    tcase_add_test(tc, test_sqlite_refuses_foreign_database);
    tcase_add_test(tc, test_sqlite_refuses_newer_schema);
    tcase_add_test(tc, test_sqlite_refuses_damaged_meta);
    tcase_add_test(tc, test_sqlite_empty_file_is_initialised);
    tcase_add_test(tc, test_sqlite_records_persist_across_contexts);
    tcase_add_test(tc, test_sqlite_concurrent_first_opens_migrate_once);
    tcase_add_test(tc, test_sqlite_threads_racing_to_create_all_succeed);
    tcase_add_test(tc, test_sqlite_locked_store_is_busy);
    tcase_add_test(tc, test_sqlite_deleted_body_leaves_no_bytes);
    tcase_add_test(tc, test_sqlite_memory_stores_are_private);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(sqlite_suite());
}
