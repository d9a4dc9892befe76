/* Core: version, status codes and messages, configuration, the context's
 * lifecycle, the clock, fork detection, identifiers, the allocator. The
 * tests that open a context use the test's store (testutil.h); SQLite's
 * storage URIs are checked on the SQLite run only. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "backend/sqlite/sqlite_backend.h"
#include "core/alloc.h"
#include "core/id.h"
#include "privacy/privacy.h"
#include "testutil.h"

/* A storage URI for calls refused before any store is opened. */
#define MEM "sqlite::memory:"

static tu_store S;

static void setup(void)
{
    tu_store_setup(&S);
}

static void teardown(void)
{
    tu_store_teardown(&S);
}

static void assert_failed_with(int rc, int want, const privacy_ctx *ctx, const char *needle)
{
    ck_assert_int_eq(rc, want);
    const char *msg = privacy_errmsg(ctx);
    ck_assert_ptr_nonnull(msg);
    ck_assert_msg(strstr(msg, needle) != NULL, "message '%s' lacks '%s'", msg, needle);
}

START_TEST(test_version_matches_enums)
{
    char want[32];
    snprintf(want, sizeof want, "%d.%d.%d", PRIVACY_VERSION_MAJOR, PRIVACY_VERSION_MINOR,
             PRIVACY_VERSION_PATCH);
    ck_assert_str_eq(privacy_version(), want);
    ck_assert_str_eq(privacy_version(), PRIVACY_VERSION_STRING);
}
END_TEST

START_TEST(test_strerror_names_every_code)
{
    static const struct {
        int code;
        const char *name;
    } codes[] = {
        { PRIVACY_OK, "PRIVACY_OK" }, { PRIVACY_E_INVALID, "PRIVACY_E_INVALID" },
        { PRIVACY_E_NOMEM, "PRIVACY_E_NOMEM" }, { PRIVACY_E_NOT_FOUND, "PRIVACY_E_NOT_FOUND" },
        { PRIVACY_E_EXISTS, "PRIVACY_E_EXISTS" }, { PRIVACY_E_DENIED, "PRIVACY_E_DENIED" },
        { PRIVACY_E_NO_CONSENT, "PRIVACY_E_NO_CONSENT" }, { PRIVACY_E_CRYPTO, "PRIVACY_E_CRYPTO" },
        { PRIVACY_E_INTEGRITY, "PRIVACY_E_INTEGRITY" }, { PRIVACY_E_EXPIRED, "PRIVACY_E_EXPIRED" },
        { PRIVACY_E_REVOKED, "PRIVACY_E_REVOKED" }, { PRIVACY_E_STORAGE, "PRIVACY_E_STORAGE" },
        { PRIVACY_E_BUSY, "PRIVACY_E_BUSY" }, { PRIVACY_E_VERSION, "PRIVACY_E_VERSION" },
        { PRIVACY_E_POLICY, "PRIVACY_E_POLICY" }, { PRIVACY_E_CARD_DATA, "PRIVACY_E_CARD_DATA" },
        { PRIVACY_E_UNVERIFIED, "PRIVACY_E_UNVERIFIED" }, { PRIVACY_E_MISUSE, "PRIVACY_E_MISUSE" },
        { PRIVACY_E_INTERNAL, "PRIVACY_E_INTERNAL" }, { PRIVACY_E_ABORTED, "PRIVACY_E_ABORTED" },
    };
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        const char *s = privacy_strerror(codes[i].code);
        size_t n = strlen(codes[i].name);
        ck_assert_msg(strncmp(s, codes[i].name, n) == 0 && s[n] == ':', "%d -> %s",
                      codes[i].code, s);
        /* Codes are never renumbered: they are consecutive from 0 down. */
        ck_assert_int_eq(codes[i].code, -(int)i);
    }
    ck_assert_str_eq(privacy_strerror(1), "unknown status code");
    ck_assert_str_eq(privacy_strerror(-999), "unknown status code");
}
END_TEST

START_TEST(test_errmsg_null_context_is_thread_message)
{
    assert_failed_with(privacy_config_new(NULL), PRIVACY_E_INVALID, NULL, "out is NULL");
    privacy_config *cfg;
    ck_assert_int_eq(tu_config_new(&cfg), PRIVACY_OK);
    ck_assert_str_eq(privacy_errmsg(NULL), ""); /* reset by the successful call */
    privacy_config_free(cfg);
}
END_TEST

START_TEST(test_config_setters_refuse_null)
{
    assert_failed_with(privacy_config_set_storage(NULL, MEM), PRIVACY_E_INVALID, NULL, "NULL");
    assert_failed_with(privacy_config_set_clock(NULL, NULL, NULL), PRIVACY_E_INVALID, NULL,
                       "NULL");
    assert_failed_with(privacy_config_set_retry_budget(NULL, 1), PRIVACY_E_INVALID, NULL, "NULL");
    assert_failed_with(privacy_config_set_backend(NULL, &prv_sqlite_backend, MEM),
                       PRIVACY_E_INVALID, NULL, "NULL");
    privacy_config *cfg;
    ck_assert_int_eq(tu_config_new(&cfg), PRIVACY_OK);
    assert_failed_with(privacy_config_set_storage(cfg, NULL), PRIVACY_E_INVALID, NULL, "NULL");
    assert_failed_with(privacy_config_set_backend(cfg, NULL, MEM), PRIVACY_E_INVALID, NULL,
                       "NULL");
    assert_failed_with(privacy_config_set_backend(cfg, &prv_sqlite_backend, NULL),
                       PRIVACY_E_INVALID, NULL, "NULL");
    privacy_config_free(cfg);
    privacy_config_free(NULL);
}
END_TEST

START_TEST(test_config_storage_uri_errors)
{
    static const struct {
        const char *uri;
        const char *needle;
    } bad[] = {
        { "", "unsupported storage URI scheme" },
        { "mysql://x", "unsupported storage URI scheme" },
        { "sqlite:", "names no file" },
        { "sqlite:?busy_timeout_ms=1", "names no file" },
        { "sqlite:/tmp/x.db?frobnicate=1", "unknown storage URI option 'frobnicate'" },
        { "sqlite:/tmp/x.db?busy_timeout_ms", "has no '=value'" },
        { "sqlite:/tmp/x.db?busy_timeout_ms=-1", "busy_timeout_ms must be" },
        { "sqlite:/tmp/x.db?busy_timeout_ms=99999999999", "busy_timeout_ms must be" },
        { "sqlite:/tmp/x.db?synchronous=off", "synchronous must be" },
        { "sqlite:/tmp/x.db?retry_budget_ms=3600001", "retry_budget_ms must be" },
        { "sqlite:/tmp/x%2.db", "bad percent-escape" },
        { "sqlite:/tmp/x%00.db", "bad percent-escape" },
    };
    privacy_config *cfg;
    ck_assert_int_eq(tu_config_new(&cfg), PRIVACY_OK);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_failed_with(privacy_config_set_storage(cfg, bad[i].uri), PRIVACY_E_INVALID, NULL,
                           bad[i].needle);
    ck_assert_int_eq(privacy_config_set_storage(cfg, "sqlite:/tmp/x%3F.db?busy_timeout_ms=10"
                                                     "&synchronous=normal"),
                     PRIVACY_OK);
    privacy_config_free(cfg);
}
END_TEST

START_TEST(test_config_retry_budget_range)
{
    privacy_config *cfg;
    ck_assert_int_eq(tu_config_new(&cfg), PRIVACY_OK);
    assert_failed_with(privacy_config_set_retry_budget(cfg, -1), PRIVACY_E_INVALID, NULL, "0 to");
    assert_failed_with(privacy_config_set_retry_budget(cfg, INT64_C(3600000001)),
                       PRIVACY_E_INVALID, NULL, "0 to");
    ck_assert_int_eq(privacy_config_set_retry_budget(cfg, 0), PRIVACY_OK);
    privacy_config_free(cfg);
}
END_TEST

START_TEST(test_config_backend_version_and_members)
{
    privacy_config *cfg;
    ck_assert_int_eq(tu_config_new(&cfg), PRIVACY_OK);
    privacy_backend be = prv_sqlite_backend;
    be.version = 0;
    assert_failed_with(privacy_config_set_backend(cfg, &be, MEM), PRIVACY_E_VERSION, NULL,
                       "backend version 0 is not supported; this library knows versions 1 to 1");
    be.version = PRIVACY_BACKEND_VERSION + 1;
    assert_failed_with(privacy_config_set_backend(cfg, &be, MEM), PRIVACY_E_VERSION, NULL,
                       "backend version 2");
    be = prv_sqlite_backend;
    be.scan = NULL;
    assert_failed_with(privacy_config_set_backend(cfg, &be, MEM), PRIVACY_E_INVALID, NULL,
                       "member 'scan' is NULL");
    privacy_config_free(cfg);
}
END_TEST

START_TEST(test_config_backend_is_copied)
{
    privacy_config *cfg;
    ck_assert_int_eq(tu_config_new(&cfg), PRIVACY_OK);
    privacy_backend *be = malloc(sizeof *be);
    ck_assert_ptr_nonnull(be);
    *be = *S.backend;
    ck_assert_int_eq(privacy_config_set_backend(cfg, be, S.uri), PRIVACY_OK);
    memset(be, 0, sizeof *be);
    free(be);
    privacy_ctx *ctx;
    ck_assert_int_eq(privacy_open(&ctx, cfg), PRIVACY_OK);
    privacy_config_free(cfg); /* the context keeps what it needs */
    ck_assert_int_eq(privacy_begin(ctx), PRIVACY_OK);
    ck_assert_int_eq(privacy_commit(ctx), PRIVACY_OK);
    privacy_close(ctx);
}
END_TEST

START_TEST(test_open_refuses_bad_arguments)
{
    privacy_ctx *ctx = NULL;
    privacy_config *cfg;
    ck_assert_int_eq(tu_config_new(&cfg), PRIVACY_OK);
    assert_failed_with(privacy_open(NULL, cfg), PRIVACY_E_INVALID, NULL, "must not be NULL");
    assert_failed_with(privacy_open(&ctx, NULL), PRIVACY_E_INVALID, NULL, "must not be NULL");
    assert_failed_with(privacy_open(&ctx, cfg), PRIVACY_E_INVALID, NULL, "no storage configured");
    ck_assert_ptr_null(ctx);
    privacy_config_free(cfg);
    ck_assert_int_eq(privacy_config_new(&cfg), PRIVACY_OK); /* storage, but no root key */
    ck_assert_int_eq(privacy_config_set_storage(cfg, S.uri), PRIVACY_OK);
    assert_failed_with(privacy_open(&ctx, cfg), PRIVACY_E_INVALID, NULL,
                       "R22: no root key configured");
    ck_assert_ptr_null(ctx);
    ck_assert(!tu_store_exists(&S));
    privacy_config_free(cfg);
}
END_TEST

START_TEST(test_open_sqlite_file_that_cannot_be_created)
{
    privacy_ctx *ctx = NULL;
    assert_failed_with(tu_open(&ctx, "sqlite:/nonexistent-dir/x.db"), PRIVACY_E_STORAGE, NULL,
                       "cannot create '/nonexistent-dir/x.db'");
    ck_assert_ptr_null(ctx);
}
END_TEST

START_TEST(test_context_calls_refuse_null)
{
    int64_t t;
    assert_failed_with(privacy_now(NULL, &t), PRIVACY_E_INVALID, NULL, "privacy_now: ctx is NULL");
    assert_failed_with(privacy_begin(NULL), PRIVACY_E_INVALID, NULL, "ctx is NULL");
    assert_failed_with(privacy_commit(NULL), PRIVACY_E_INVALID, NULL, "ctx is NULL");
    assert_failed_with(privacy_rollback(NULL), PRIVACY_E_INVALID, NULL, "ctx is NULL");
    privacy_close(NULL);
    privacy_free(NULL);
    privacy_ctx *ctx;
    ck_assert_int_eq(tu_open(&ctx, S.uri), PRIVACY_OK);
    assert_failed_with(privacy_now(ctx, NULL), PRIVACY_E_INVALID, ctx, "out is NULL");
    privacy_close(ctx);
}
END_TEST

START_TEST(test_transaction_state_errors)
{
    privacy_ctx *ctx;
    ck_assert_int_eq(tu_open(&ctx, S.uri), PRIVACY_OK);
    assert_failed_with(privacy_commit(ctx), PRIVACY_E_MISUSE, ctx, "no transaction is open");
    assert_failed_with(privacy_rollback(ctx), PRIVACY_E_MISUSE, ctx, "no transaction is open");
    ck_assert_int_eq(privacy_begin(ctx), PRIVACY_OK);
    ck_assert_str_eq(privacy_errmsg(ctx), "");
    assert_failed_with(privacy_begin(ctx), PRIVACY_E_MISUSE, ctx, "already open");
    ck_assert_int_eq(privacy_rollback(ctx), PRIVACY_OK);
    ck_assert_str_eq(privacy_errmsg(ctx), "");
    ck_assert_int_eq(privacy_begin(ctx), PRIVACY_OK);
    privacy_close(ctx); /* closing with an open transaction rolls it back */
}
END_TEST

typedef struct {
    int64_t now;
    int calls;
} fake_clock;

static int64_t read_fake(void *userdata)
{
    fake_clock *c = userdata;
    c->calls++;
    return c->now;
}

START_TEST(test_clock_is_replaceable)
{
    fake_clock fc = { .now = INT64_C(1700000000000000), .calls = 0 };
    privacy_config *cfg;
    ck_assert_int_eq(tu_config_new(&cfg), PRIVACY_OK);
    ck_assert_int_eq(privacy_config_set_storage(cfg, S.uri), PRIVACY_OK);
    ck_assert_int_eq(privacy_config_set_clock(cfg, read_fake, &fc), PRIVACY_OK);
    privacy_ctx *ctx;
    ck_assert_int_eq(privacy_open(&ctx, cfg), PRIVACY_OK);
    int64_t t = 0;
    ck_assert_int_eq(privacy_now(ctx, &t), PRIVACY_OK);
    ck_assert_int_eq(t, fc.now);
    fc.now += 86400 * INT64_C(1000000);
    ck_assert_int_eq(privacy_now(ctx, &t), PRIVACY_OK);
    ck_assert_int_eq(t, fc.now);
    ck_assert_int_eq(fc.calls, 2);
    fc.now = -5;
    assert_failed_with(privacy_now(ctx, &t), PRIVACY_E_INTERNAL, ctx, "negative time");
    privacy_close(ctx);

    /* NULL restores the system clock. */
    ck_assert_int_eq(privacy_config_set_clock(cfg, NULL, &fc), PRIVACY_OK);
    ck_assert_int_eq(privacy_open(&ctx, cfg), PRIVACY_OK);
    ck_assert_int_eq(privacy_now(ctx, &t), PRIVACY_OK);
    int64_t sys = (int64_t)time(NULL) * 1000000;
    ck_assert_msg(t > sys - 5000000 && t < sys + 5000000, "system clock off: %lld",
                  (long long)t);
    privacy_close(ctx);
    privacy_config_free(cfg);
}
END_TEST

START_TEST(test_fork_child_is_refused)
{
    const char *uri = S.uri;
    privacy_ctx *ctx;
    ck_assert_int_eq(tu_open(&ctx, uri), PRIVACY_OK);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        /* The exit status names the first check that failed. */
        int64_t t;
        if (privacy_now(ctx, &t) != PRIVACY_E_MISUSE)
            tu_child_exit(2);
        if (strstr(privacy_errmsg(ctx), "fork") == NULL)
            tu_child_exit(3);
        if (privacy_begin(ctx) != PRIVACY_E_MISUSE)
            tu_child_exit(4);
        privacy_close(ctx); /* releases memory only; the parent's connection stays */
        privacy_ctx *fresh = NULL;
        int rc = tu_open(&fresh, uri);
        if (rc != PRIVACY_OK)
            tu_child_exit(10 - rc);
        if (privacy_now(fresh, &t) != PRIVACY_OK)
            tu_child_exit(5);
        privacy_close(fresh);
        tu_child_exit(0);
    }
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status));
    ck_assert_int_eq(WEXITSTATUS(status), 0);
    int64_t t;
    ck_assert_int_eq(privacy_now(ctx, &t), PRIVACY_OK); /* the parent is unaffected */
    ck_assert_int_eq(privacy_begin(ctx), PRIVACY_OK);
    ck_assert_int_eq(privacy_commit(ctx), PRIVACY_OK);
    privacy_close(ctx);
}
END_TEST

START_TEST(test_ids_have_prefix_and_128_random_bits)
{
    char a[PRV_ID_SIZE], b[PRV_ID_SIZE];
    ck_assert_int_eq(prv_id_new(a, "sub"), PRIVACY_OK);
    ck_assert_int_eq(prv_id_new(b, "sub"), PRIVACY_OK);
    ck_assert_uint_eq(strlen(a), 4 + 32);
    ck_assert(strncmp(a, "sub_", 4) == 0);
    ck_assert_str_ne(a, b);
    ck_assert(prv_id_valid(a, "sub"));
    ck_assert(prv_id_valid(a, NULL));
    ck_assert(!prv_id_valid(a, "ord"));
    ck_assert(!prv_id_valid(a, "su"));
    ck_assert(!prv_id_valid(NULL, NULL));
    ck_assert(!prv_id_valid("sub_", NULL));
    ck_assert(!prv_id_valid("sub_0123456789abcdef0123456789ABCDEF", NULL));
    ck_assert(!prv_id_valid("sub_0123456789abcdef0123456789abcdef0", NULL));
    ck_assert(prv_id_valid("sub_0123456789abcdef0123456789abcdef", "sub"));
    ck_assert_int_eq(prv_id_new(a, ""), PRIVACY_E_INVALID);
    ck_assert_int_eq(prv_id_new(a, NULL), PRIVACY_E_INVALID);
    ck_assert_int_eq(prv_id_new(a, "toolongpre"), PRIVACY_E_INVALID);
    ck_assert_int_eq(prv_id_new(a, "Sub"), PRIVACY_E_INVALID);
}
END_TEST

START_TEST(test_alloc_fault_injection_and_wipe)
{
    long live = prv_alloc_live();
    prv_alloc_fault(2, 0);
    void *p1 = prv_malloc(8);
    void *p2 = prv_malloc(8);
    void *p3 = prv_malloc(8);
    ck_assert_ptr_nonnull(p1);
    ck_assert_ptr_null(p2);
    ck_assert_ptr_nonnull(p3);
    prv_alloc_fault(1, 1);
    ck_assert_ptr_null(prv_malloc(1));
    ck_assert_ptr_null(prv_strdup("x"));
    prv_alloc_fault(0, 0);
    char *s = prv_strdup("hello");
    ck_assert_str_eq(s, "hello");
    s = prv_realloc(s, 64);
    ck_assert_str_eq(s, "hello");
    ck_assert_int_eq(prv_alloc_live(), live + 3);
    prv_free(p1);
    prv_free(p3);
    privacy_free(s);
    ck_assert_int_eq(prv_alloc_live(), live);
    ck_assert_ptr_null(prv_calloc(SIZE_MAX / 2, 4));
}
END_TEST

static Suite *core_suite(void)
{
    Suite *s = suite_create("core");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_version_matches_enums);
    tcase_add_test(tc, test_strerror_names_every_code);
    tcase_add_test(tc, test_errmsg_null_context_is_thread_message);
    tcase_add_test(tc, test_config_setters_refuse_null);
    tcase_add_test(tc, test_config_retry_budget_range);
    tcase_add_test(tc, test_config_backend_version_and_members);
    tcase_add_test(tc, test_ids_have_prefix_and_128_random_bits);
    tcase_add_test(tc, test_alloc_fault_injection_and_wipe);
    if (tu_backend_is_sqlite()) { /* SQLite's URIs and files */
        tcase_add_test(tc, test_config_storage_uri_errors);
        tcase_add_test(tc, test_open_sqlite_file_that_cannot_be_created);
    }
    suite_add_tcase(s, tc);
    TCase *ctx = tcase_create("context"); /* on the test's store */
    tcase_set_timeout(ctx, 30);
    tcase_add_checked_fixture(ctx, setup, teardown);
    tcase_add_test(ctx, test_config_backend_is_copied);
    tcase_add_test(ctx, test_open_refuses_bad_arguments);
    tcase_add_test(ctx, test_context_calls_refuse_null);
    tcase_add_test(ctx, test_transaction_state_errors);
    tcase_add_test(ctx, test_clock_is_replaceable);
    tcase_add_test(ctx, test_fork_child_is_refused);
    suite_add_tcase(s, ctx);
    return s;
}

int main(void)
{
    return tu_run(core_suite());
}
