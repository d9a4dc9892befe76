/* Transactions: the re-runnable callback of the store, and the caller's own
 * transaction (privacy_begin/commit/rollback). */
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "store_internal.h"

enum { BACKOFF_FIRST_US = 1000, BACKOFF_MAX_US = 100000 };

/* Rolls back after a failure, keeping the failure's message. */
static void roll_back_quietly(prv_store *st)
{
    (void)st->be.rollback(st->conn);
}

/* Replaces the store's message by lead followed by the failure it had,
 * with code. */
static int restate(prv_store *st, int code, const char *lead)
{
    char last[PRIVACY_ERRMSG_MAX];
    memcpy(last, prv_err_msg(st->err), sizeof last);
    return prv_err_set(st->err, code, "%s: %.180s", lead, last);
}

/* *in_commit is set when the failure came from commit() itself. */
static int run_once(prv_store *st, prv_store_tx_fn fn, void *userdata, int *in_commit)
{
    *in_commit = 0;
    int rc = st->be.begin(st->conn);
    if (rc != PRIVACY_OK)
        return prv_store_fail(st, rc);
    rc = fn(st, userdata);
    if (rc == PRIVACY_OK) {
        rc = st->be.commit(st->conn);
        if (rc != PRIVACY_OK) {
            *in_commit = 1;
            rc = prv_store_fail(st, rc);
        }
    }
    if (rc != PRIVACY_OK)
        roll_back_quietly(st);
    return rc;
}

int prv_store_tx(prv_store *st, prv_store_tx_fn fn, void *userdata)
{
    if (st->in_caller_tx) {
        int rc = prv_store_doomed(st);
        if (rc != PRIVACY_OK)
            return rc;
        rc = fn(st, userdata);
        if (rc != PRIVACY_OK)
            st->doomed = rc;
        return rc;
    }
    int64_t start = prv_clock_monotonic();
    int64_t delay = BACKOFF_FIRST_US;
    /* A commit() that answered BUSY may have landed (a connection lost
     * during COMMIT). Re-running is safe: every write of a transaction
     * replaces by id, so a change that did land is written again, once.
     * But if no later run succeeds, nobody knows whether it landed. */
    st->maybe_landed = 0;
    for (int retried = 0;; retried = 1) {
        int in_commit;
        int rc = run_once(st, fn, userdata, &in_commit);
        if (rc == PRIVACY_OK && retried)
            prv_err_clear(st->err); /* the earlier runs' failure is history */
        if (rc == PRIVACY_OK)
            return rc;
        /* Every run before this one failed with BUSY: an earlier commit
         * may have landed, and this run, failing otherwise, cannot say
         * "nothing was written". */
        if (rc != PRIVACY_E_BUSY && st->maybe_landed)
            return restate(st, PRIVACY_E_STORAGE,
                           "store: the outcome is unknown: an earlier commit may have landed,"
                           " and the re-run failed");
        st->maybe_landed |= in_commit;
        if (rc != PRIVACY_E_BUSY)
            return rc;
        int64_t spent = prv_clock_monotonic() - start;
        if (spent + delay > st->retry_budget_us) {
            char lead[120];
            snprintf(lead, sizeof lead, "store: gave up after %lld ms of retries%s",
                     (long long)(spent / 1000),
                     st->maybe_landed ? "; the outcome is unknown: a commit may have landed"
                                      : "");
            return restate(st, st->maybe_landed ? PRIVACY_E_STORAGE : PRIVACY_E_BUSY, lead);
        }
        prv_sleep_jittered_us(delay);
        delay = delay * 2 > BACKOFF_MAX_US ? BACKOFF_MAX_US : delay * 2;
    }
}

int prv_store_begin(prv_store *st)
{
    if (st->in_caller_tx)
        return prv_err_set(st->err, PRIVACY_E_MISUSE, "a transaction is already open");
    int rc = st->be.begin(st->conn);
    if (rc != PRIVACY_OK)
        return prv_store_fail(st, rc);
    st->in_caller_tx = 1;
    st->doomed = PRIVACY_OK;
    return PRIVACY_OK;
}

int prv_store_commit(prv_store *st)
{
    if (!st->in_caller_tx)
        return prv_err_set(st->err, PRIVACY_E_MISUSE, "no transaction is open");
    st->in_caller_tx = 0;
    st->maybe_landed = 0;
    int doomed = st->doomed;
    st->doomed = PRIVACY_OK;
    if (doomed != PRIVACY_OK) {
        roll_back_quietly(st);
        return prv_err_set(st->err, doomed,
                           "transaction rolled back: a call in it failed (%s)",
                           privacy_strerror(doomed));
    }
    int rc = st->be.commit(st->conn);
    if (rc != PRIVACY_OK) {
        rc = prv_store_fail(st, rc);
        roll_back_quietly(st);
        /* Nothing is re-run here: BUSY from commit() may mean it landed. */
        st->maybe_landed = 1;
        if (rc == PRIVACY_E_BUSY)
            rc = restate(st, PRIVACY_E_STORAGE,
                         "the outcome of the commit is unknown: it may have landed");
    }
    return rc;
}

int prv_store_rollback(prv_store *st)
{
    if (!st->in_caller_tx)
        return prv_err_set(st->err, PRIVACY_E_MISUSE, "no transaction is open");
    st->in_caller_tx = 0;
    st->doomed = PRIVACY_OK;
    int rc = st->be.rollback(st->conn);
    return rc != PRIVACY_OK ? prv_store_fail(st, rc) : PRIVACY_OK;
}

int prv_store_in_tx(const prv_store *st)
{
    return st->in_caller_tx;
}

int prv_store_maybe_landed(const prv_store *st)
{
    return st->maybe_landed;
}
