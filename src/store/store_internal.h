#ifndef PRV_STORE_INTERNAL_H
#define PRV_STORE_INTERNAL_H

#include "store.h"

struct prv_store {
    privacy_backend be; /* a private copy: the caller's vtable may go away */
    void *conn;
    prv_err *err;
    int64_t retry_budget_us;
    int in_caller_tx; /* privacy_begin() is in effect */
    int doomed;       /* the first failure inside the caller's transaction */
    int maybe_landed; /* the last transaction failed, but a commit of it may have landed */
};

int prv_store_fail(prv_store *st, int rc);
/* PRIVACY_OK, or the code (and message) of an earlier failure that doomed
 * the caller's transaction. */
int prv_store_doomed(prv_store *st);

#endif
