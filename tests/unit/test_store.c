/* The record store: record checks, copies, scans, and transactions (the
 * re-runnable callback and the caller's own), over the test's store with
 * the fault-injecting wrapper backend in between. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/clock.h"
#include "fault_backend.h"
#include "store/store.h"
#include "testutil.h"

static tu_store S;
static prv_err err;
static prv_store *st;

static void open_store(int64_t retry_budget_us)
{
    fb_reset(S.backend);
    ck_assert_int_eq(prv_store_open(&st, &fb_backend, S.uri, retry_budget_us, &err), PRIVACY_OK);
}

static void setup(void)
{
    tu_store_setup(&S);
    open_store(2000000);
}

static void teardown(void)
{
    fb_fail(0, 0, 0);
    prv_store_close(st, 0);
    st = NULL;
    tu_store_teardown(&S);
}

static const uint8_t BODY[] = "sealed-bytes";

static privacy_record rec(const char *id)
{
    privacy_record r = {
        .collection = "thing", .id = id, .subject_id = "sub_1", .created = 10,
        .body = BODY, .body_len = sizeof BODY,
    };
    return r;
}

static int count(const char *collection)
{
    int n = 0;
    ck_assert_int_eq(prv_store_scan(st, collection, NULL, NULL, 0, tu_count_cb, &n), PRIVACY_OK);
    return n;
}

static void assert_invalid(privacy_record r, const char *needle)
{
    ck_assert_int_eq(prv_store_put(st, &r), PRIVACY_E_INVALID);
    ck_assert_msg(strstr(err.msg, needle) != NULL, "'%s' lacks '%s'", err.msg, needle);
}

START_TEST(test_store_refuses_malformed_records)
{
    char long_id[PRIVACY_RECORD_ID_MAX + 2];
    memset(long_id, 'a', sizeof long_id - 1);
    long_id[sizeof long_id - 1] = '\0';
    uint8_t key[PRIVACY_INDEX_KEY_MAX + 1] = { 0 };
    privacy_record r = rec("r1");
    ck_assert_int_eq(prv_store_put(st, NULL), PRIVACY_E_INVALID);
    r.collection = NULL;
    assert_invalid(r, "collection name must start");
    r.collection = "Thing";
    assert_invalid(r, "collection name must start");
    r.collection = "thing/../x";
    assert_invalid(r, "may hold only");
    r = rec(NULL);
    assert_invalid(r, "record id is empty");
    r = rec("");
    assert_invalid(r, "record id is empty");
    r = rec("has space");
    assert_invalid(r, "printable ASCII");
    r = rec("caf\xc3\xa9");
    assert_invalid(r, "printable ASCII");
    r = rec(long_id);
    assert_invalid(r, "longer than 127");
    r = rec("r1");
    r.subject_id = "";
    assert_invalid(r, "subject id is empty");
    r = rec("r1");
    r.index_key = key;
    r.index_key_len = sizeof key;
    assert_invalid(r, "index key is 1 to 64");
    r.index_key_len = 0;
    assert_invalid(r, "index key is 1 to 64");
    r = rec("r1");
    r.created = -1;
    assert_invalid(r, "negative");
    r = rec("r1");
    r.expires = -1;
    assert_invalid(r, "negative");
    r = rec("r1");
    r.body = NULL;
    assert_invalid(r, "body is NULL");
    r = rec("r1");
    r.body_len = (size_t)PRIVACY_BODY_MAX + 1;
    assert_invalid(r, "at most 16777216");
    ck_assert_int_eq(fb_calls(), 1); /* only open: nothing reached the backend */
    ck_assert_int_eq(count("thing"), 0);
}
END_TEST

START_TEST(test_store_get_returns_one_block_copy)
{
    uint8_t key[3] = { 1, 2, 3 };
    privacy_record r = rec("r1");
    r.index_key = key;
    r.index_key_len = sizeof key;
    r.expires = 99;
    ck_assert_int_eq(prv_store_put(st, &r), PRIVACY_OK);
    long live = prv_alloc_live();
    privacy_record *got = NULL;
    ck_assert_int_eq(prv_store_get(st, "thing", "r1", &got), PRIVACY_OK);
    ck_assert_int_eq(prv_alloc_live(), live + 1);
    ck_assert_str_eq(got->collection, "thing");
    ck_assert_str_eq(got->id, "r1");
    ck_assert_str_eq(got->subject_id, "sub_1");
    ck_assert_mem_eq(got->index_key, key, sizeof key);
    ck_assert_int_eq(got->created, 10);
    ck_assert_int_eq(got->expires, 99);
    ck_assert_uint_eq(got->body_len, sizeof BODY);
    ck_assert_mem_eq(got->body, BODY, sizeof BODY);
    prv_free(got);
    ck_assert_int_eq(prv_alloc_live(), live);

    ck_assert_int_eq(prv_store_get(st, "thing", "nope", &got), PRIVACY_E_NOT_FOUND);
    ck_assert_str_eq(err.msg, "store: no such record in 'thing'");
    ck_assert_int_eq(prv_store_get(st, "thing", "", &got), PRIVACY_E_INVALID);
}
END_TEST

START_TEST(test_store_get_out_of_memory_leaves_nothing)
{
    privacy_record r = rec("r1");
    ck_assert_int_eq(prv_store_put(st, &r), PRIVACY_OK);
    long live = prv_alloc_live();
    privacy_record *got = NULL;
    prv_alloc_fault(1, 0);
    ck_assert_int_eq(prv_store_get(st, "thing", "r1", &got), PRIVACY_E_NOMEM);
    prv_alloc_fault(0, 0);
    ck_assert_ptr_null(got);
    ck_assert_int_eq(prv_alloc_live(), live);
    ck_assert(strstr(err.msg, "out of memory") != NULL);
}
END_TEST

static int stop_at_two(void *ud, const privacy_record *r)
{
    (void)r;
    return ++*(int *)ud == 2 ? PRIVACY_E_EXISTS : 0;
}

START_TEST(test_store_scan_arguments_and_stop)
{
    for (int i = 0; i < 4; i++) {
        char id[8];
        snprintf(id, sizeof id, "r%d", i);
        privacy_record r = rec(id);
        ck_assert_int_eq(prv_store_put(st, &r), PRIVACY_OK);
    }
    uint8_t key = 7;
    int n = 0;
    ck_assert_int_eq(prv_store_scan(st, "thing", "sub_1", &key, 1, tu_count_cb, &n),
                     PRIVACY_E_INVALID);
    ck_assert(strstr(err.msg, "not both") != NULL);
    ck_assert_int_eq(prv_store_scan(st, "thing", NULL, NULL, 0, NULL, NULL), PRIVACY_E_INVALID);
    ck_assert_int_eq(prv_store_scan(st, "thing", NULL, &key, 0, tu_count_cb, &n), PRIVACY_E_INVALID);
    prv_err_set(&err, PRIVACY_OK, "callback's own message");
    ck_assert_int_eq(prv_store_scan(st, "thing", NULL, NULL, 0, stop_at_two, &n), PRIVACY_E_EXISTS);
    ck_assert_int_eq(n, 2);
    ck_assert_str_eq(err.msg, "callback's own message"); /* the store did not overwrite it */
    ck_assert_int_eq(prv_store_scan(st, "thing", "sub_1", NULL, 0, tu_count_cb, &n), PRIVACY_OK);
    ck_assert_int_eq(n, 6);
}
END_TEST

typedef struct {
    int runs;
    int busy_runs; /* how many runs report PRIVACY_E_BUSY */
    int fail_code; /* a non-retryable failure after the puts */
} tx_plan;

static int write_three(prv_store *s, void *ud)
{
    tx_plan *p = ud;
    p->runs++;
    static const char *const ids[] = { "a", "b", "c" };
    for (int i = 0; i < 3; i++) {
        privacy_record r = rec(ids[i]);
        int rc = prv_store_put(s, &r);
        if (rc != PRIVACY_OK)
            return rc;
    }
    if (p->runs <= p->busy_runs)
        return prv_err_set(&err, PRIVACY_E_BUSY, "simulated lock");
    return p->fail_code;
}

START_TEST(test_store_tx_commits_or_rolls_back_whole)
{
    tx_plan p = { .fail_code = PRIVACY_E_DENIED };
    ck_assert_int_eq(prv_store_tx(st, write_three, &p), PRIVACY_E_DENIED);
    ck_assert_int_eq(p.runs, 1);
    ck_assert_int_eq(count("thing"), 0);
    p = (tx_plan){ 0 };
    ck_assert_int_eq(prv_store_tx(st, write_three, &p), PRIVACY_OK);
    ck_assert_int_eq(count("thing"), 3);
}
END_TEST

START_TEST(test_store_tx_reruns_after_busy)
{
    tx_plan p = { .busy_runs = 3 };
    ck_assert_int_eq(prv_store_tx(st, write_three, &p), PRIVACY_OK);
    ck_assert_int_eq(p.runs, 4);
    ck_assert_int_eq(count("thing"), 3); /* re-runs wrote the same rows once */
}
END_TEST

START_TEST(test_store_tx_reruns_after_backend_busy)
{
    /* Calls from now: begin, put, put, put, commit: the commit fails. */
    tx_plan p = { 0 };
    fb_fail(5, PRIVACY_E_BUSY, 0);
    ck_assert_int_eq(prv_store_tx(st, write_three, &p), PRIVACY_OK);
    ck_assert_int_eq(p.runs, 2);
    ck_assert_int_eq(fb_injected(), 1);
    ck_assert_int_eq(count("thing"), 3);
}
END_TEST

START_TEST(test_store_tx_gives_up_when_budget_runs_out)
{
    prv_store_close(st, 0);
    open_store(50000); /* 50 ms */
    tx_plan p = { .busy_runs = 1000000 };
    int64_t t0 = prv_clock_monotonic();
    ck_assert_int_eq(prv_store_tx(st, write_three, &p), PRIVACY_E_BUSY);
    int64_t spent = prv_clock_monotonic() - t0;
    ck_assert_msg(spent < 1000000, "took %lld us", (long long)spent);
    ck_assert_int_gt(p.runs, 1);
    ck_assert_msg(strstr(err.msg, "gave up after") != NULL && strstr(err.msg, "simulated lock"),
                  "%s", err.msg);
    ck_assert_int_eq(count("thing"), 0);

    prv_store_close(st, 0);
    open_store(0); /* no re-runs at all */
    p = (tx_plan){ .busy_runs = 1 };
    ck_assert_int_eq(prv_store_tx(st, write_three, &p), PRIVACY_E_BUSY);
    ck_assert_int_eq(p.runs, 1);
}
END_TEST

START_TEST(test_store_caller_tx_failure_dooms_it)
{
    ck_assert_int_eq(prv_store_begin(st), PRIVACY_OK);
    privacy_record r = rec("early");
    ck_assert_int_eq(prv_store_put(st, &r), PRIVACY_OK);
    tx_plan p = { .busy_runs = 1 };
    /* Inside the caller's transaction nothing is re-run. */
    ck_assert_int_eq(prv_store_tx(st, write_three, &p), PRIVACY_E_BUSY);
    ck_assert_int_eq(p.runs, 1);
    r = rec("late");
    ck_assert_int_eq(prv_store_put(st, &r), PRIVACY_E_BUSY);
    ck_assert(strstr(err.msg, "roll it back") != NULL);
    ck_assert_int_eq(prv_store_commit(st), PRIVACY_E_BUSY);
    ck_assert(strstr(err.msg, "rolled back") != NULL);
    ck_assert(!prv_store_in_tx(st));
    ck_assert_int_eq(count("thing"), 0);
    /* The next transaction starts clean. */
    ck_assert_int_eq(prv_store_begin(st), PRIVACY_OK);
    ck_assert_int_eq(prv_store_put(st, &r), PRIVACY_OK);
    ck_assert_int_eq(prv_store_commit(st), PRIVACY_OK);
    ck_assert_int_eq(count("thing"), 1);
}
END_TEST

START_TEST(test_store_caller_tx_groups_calls)
{
    ck_assert_int_eq(prv_store_begin(st), PRIVACY_OK);
    tx_plan p = { 0 };
    ck_assert_int_eq(prv_store_tx(st, write_three, &p), PRIVACY_OK);
    privacy_record r = rec("d");
    ck_assert_int_eq(prv_store_put(st, &r), PRIVACY_OK);
    ck_assert_int_eq(prv_store_rollback(st), PRIVACY_OK);
    ck_assert_int_eq(count("thing"), 0);
    ck_assert_int_eq(prv_store_begin(st), PRIVACY_OK);
    ck_assert_int_eq(prv_store_tx(st, write_three, &p), PRIVACY_OK);
    ck_assert_int_eq(prv_store_commit(st), PRIVACY_OK);
    ck_assert_int_eq(count("thing"), 3);
}
END_TEST

START_TEST(test_store_backend_storage_failure_message)
{
    privacy_record r = rec("r1");
    fb_fail(1, PRIVACY_E_STORAGE, 0);
    ck_assert_int_eq(prv_store_put(st, &r), PRIVACY_E_STORAGE);
    ck_assert_str_eq(err.msg, "fault: injected failure of put (call 2)");
    fb_fail(1, 7, 0); /* not a status code: a broken backend */
    ck_assert_int_eq(prv_store_put(st, &r), PRIVACY_E_INTERNAL);
    ck_assert(strstr(err.msg, "returned 7") != NULL);
    ck_assert_int_eq(count("thing"), 0);
}
END_TEST

START_TEST(test_store_delete_and_purge_count)
{
    for (int i = 0; i < 3; i++) {
        char id[8];
        snprintf(id, sizeof id, "r%d", i);
        privacy_record r = rec(id);
        r.expires = i == 0 ? 0 : 100 * i;
        ck_assert_int_eq(prv_store_put(st, &r), PRIVACY_OK);
    }
    uint64_t n = 99;
    ck_assert_int_eq(prv_store_purge_expired(st, "thing", 100, &n), PRIVACY_OK);
    ck_assert_uint_eq(n, 1);
    ck_assert_int_eq(prv_store_purge_expired(st, "thing", -1, &n), PRIVACY_E_INVALID);
    ck_assert_int_eq(prv_store_del(st, "thing", "r0", &n), PRIVACY_OK);
    ck_assert_uint_eq(n, 1);
    ck_assert_int_eq(prv_store_del(st, "thing", "r0", &n), PRIVACY_OK);
    ck_assert_uint_eq(n, 0);
    ck_assert_int_eq(prv_store_delete_subject(st, "thing", "sub_1", &n), PRIVACY_OK);
    ck_assert_uint_eq(n, 1);
    ck_assert_int_eq(prv_store_delete_subject(st, "thing", NULL, &n), PRIVACY_E_INVALID);
    ck_assert_int_eq(count("thing"), 0);
}
END_TEST

static Suite *store_suite(void)
{
    Suite *s = suite_create("store");
    TCase *tc = tcase_create("store");
    tcase_set_timeout(tc, 30);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_store_refuses_malformed_records);
    tcase_add_test(tc, test_store_get_returns_one_block_copy);
    tcase_add_test(tc, test_store_get_out_of_memory_leaves_nothing);
    tcase_add_test(tc, test_store_scan_arguments_and_stop);
    tcase_add_test(tc, test_store_tx_commits_or_rolls_back_whole);
    tcase_add_test(tc, test_store_tx_reruns_after_busy);
    tcase_add_test(tc, test_store_tx_reruns_after_backend_busy);
    tcase_add_test(tc, test_store_tx_gives_up_when_budget_runs_out);
    tcase_add_test(tc, test_store_caller_tx_failure_dooms_it);
    tcase_add_test(tc, test_store_caller_tx_groups_calls);
    tcase_add_test(tc, test_store_backend_storage_failure_message);
    tcase_add_test(tc, test_store_delete_and_purge_count);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(store_suite());
}
