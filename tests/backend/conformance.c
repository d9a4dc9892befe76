/*
 * The backend conformance suite: every promise of the contract written at
 * the top of include/privacy/backend.h, as one check test each.
 *
 * Only <privacy/backend.h>, libc, pthread and check are used, and the vtable
 * members are called directly, so a backend outside this tree compiles and
 * runs the same files (docs/backend.md). Every test works in collections of
 * its own, "conf_<run>_<test>" with a random <run> per conformance_run(), so
 * the store may be shared and non-empty; nothing else is read or written,
 * and each test's teardown deletes the records it wrote (best effort).
 *
 * This file is the runner: the run id, the vtable check that decides
 * whether the other tests may run at all (and its test), and the suite's
 * test cases. Each other test case lives in conf_<test case>.c and adds its
 * tests through conf_add_<test case>_tests(); conf_util.c holds the fixture
 * and helpers they share (conf_internal.h).
 *
 * SPDX-License-Identifier: MIT
 */
#include "conf_internal.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

/* ---- the backend under test ---- */

const privacy_backend *conf_be;
const char *conf_uri;
char conf_run_id[17];

/* A random run id, so that runs against a shared store never meet. */
static void make_run_id(void)
{
    uint64_t r = 0;
    FILE *f = fopen("/dev/urandom", "rb");
    if (f != NULL) {
        if (fread(&r, sizeof r, 1, f) != 1)
            r = 0;
        fclose(f);
    }
    if (r == 0) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        r = ((uint64_t)ts.tv_sec * UINT64_C(1000000007)) ^ (uint64_t)ts.tv_nsec ^
            ((uint64_t)getpid() << 40) ^ (uint64_t)(uintptr_t)&r;
    }
    snprintf(conf_run_id, sizeof conf_run_id, "%016" PRIx64, r);
}

/* ---- the vtable ---- */

/* Names what is wrong with the vtable into why; 0 if nothing. */
static int vtable_problem(const privacy_backend *be, char *why, size_t why_len)
{
    if (be->version < 1 || be->version > PRIVACY_BACKEND_VERSION) {
        snprintf(why, why_len, "version %d: this suite knows versions 1 to %d", be->version,
                 PRIVACY_BACKEND_VERSION);
        return 1;
    }
    const struct {
        const char *name;
        int set;
    } m[] = {
        { "open", be->open != NULL },
        { "close", be->close != NULL },
        { "errmsg", be->errmsg != NULL },
        { "begin", be->begin != NULL },
        { "commit", be->commit != NULL },
        { "rollback", be->rollback != NULL },
        { "put", be->put != NULL },
        { "get", be->get != NULL },
        { "del", be->del != NULL },
        { "scan", be->scan != NULL },
        { "delete_subject", be->delete_subject != NULL },
        { "purge_expired", be->purge_expired != NULL },
    };
    for (size_t i = 0; i < CONF_COUNT(m); i++) {
        if (!m[i].set) {
            snprintf(why, why_len, "required member '%s' of version 1 is NULL", m[i].name);
            return 1;
        }
    }
    return 0;
}

START_TEST(test_vtable_declares_a_known_version_and_every_member)
{
    char why[160] = "";
    ck_assert_msg(vtable_problem(conf_be, why, sizeof why) == 0, "%s", why);
}
END_TEST

/* ---- the runner ---- */

/* A test case of s, with the fixture every test relies on. */
static TCase *tcase(Suite *s, const char *name, int timeout)
{
    TCase *tc = tcase_create(name);
    tcase_add_checked_fixture(tc, conf_setup, conf_teardown);
    tcase_set_timeout(tc, timeout);
    suite_add_tcase(s, tc);
    return tc;
}

static Suite *conformance_suite(int vtable_ok)
{
    Suite *s = suite_create("backend-conformance");
    TCase *tc = tcase(s, "vtable", 10);
    tcase_add_test(tc, test_vtable_declares_a_known_version_and_every_member);
    if (!vtable_ok)
        return s; /* calling a NULL member would only crash */

    conf_add_connection_tests(tcase(s, "connection", 30));
    conf_add_record_tests(tcase(s, "record", 30));
    conf_add_scan_tests(tcase(s, "scan", 30));
    conf_add_transaction_tests(tcase(s, "transaction", 30));
    conf_add_delete_tests(tcase(s, "delete", 30));
    conf_add_limits_tests(tcase(s, "limits", 120));
    conf_add_concurrency_tests(tcase(s, "concurrency", 120));
    return s;
}

int conformance_run(const privacy_backend *be, const char *uri)
{
    if (be == NULL || uri == NULL) {
        fprintf(stderr, "conformance_run: the backend and the URI must not be NULL\n");
        return 1;
    }
    conf_be = be;
    conf_uri = uri;
    make_run_id();
    char why[160] = "";
    int vtable_ok = vtable_problem(be, why, sizeof why) == 0;
    /* The URI is not printed: it may hold a password. */
    printf("backend conformance: collections conf_%s_*\n", conf_run_id);
    fflush(stdout);
    SRunner *sr = srunner_create(conformance_suite(vtable_ok));
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    conf_be = NULL;
    conf_uri = NULL;
    return failed;
}
