#include "fault_backend.h"

#include <stdio.h>

static const privacy_backend *inner;
static long calls, fail_at, injected;
static int fail_code, fail_persistent, last_injected;
static char msg[160];

void fb_reset(const privacy_backend *wrapped)
{
    inner = wrapped;
    calls = fail_at = injected = 0;
    last_injected = 0;
}

void fb_fail(long nth, int code, int persistent)
{
    fail_at = nth > 0 ? calls + nth : 0;
    fail_code = code;
    fail_persistent = persistent;
}

long fb_calls(void)
{
    return calls;
}

long fb_injected(void)
{
    return injected;
}

/* 1 if this call is to fail. */
static int inject(const char *member)
{
    calls++;
    last_injected = fail_at != 0 && (calls == fail_at || (fail_persistent && calls > fail_at));
    if (last_injected) {
        injected++;
        snprintf(msg, sizeof msg, "fault: injected failure of %s (call %ld)", member, calls);
    }
    return last_injected;
}

static int fb_open(void **conn, const char *uri, char *errbuf, size_t len)
{
    if (inject("open")) {
        snprintf(errbuf, len, "%s", msg);
        return fail_code;
    }
    return inner->open(conn, uri, errbuf, len);
}

static void fb_close(void *conn)
{
    inner->close(conn);
}

static const char *fb_errmsg(void *conn)
{
    return last_injected ? msg : inner->errmsg(conn);
}

static int fb_begin(void *conn)
{
    return inject("begin") ? fail_code : inner->begin(conn);
}

static int fb_commit(void *conn)
{
    return inject("commit") ? fail_code : inner->commit(conn);
}

static int fb_rollback(void *conn)
{
    /* An injected rollback failure still rolls back, as a real backend
     * must end the transaction whatever it reports. */
    if (inject("rollback")) {
        (void)inner->rollback(conn);
        return fail_code;
    }
    return inner->rollback(conn);
}

static int fb_put(void *conn, const privacy_record *r)
{
    return inject("put") ? fail_code : inner->put(conn, r);
}

static int fb_get(void *conn, const char *c, const char *id, privacy_record_cb cb, void *ud)
{
    return inject("get") ? fail_code : inner->get(conn, c, id, cb, ud);
}

static int fb_del(void *conn, const char *c, const char *id, uint64_t *n)
{
    return inject("del") ? fail_code : inner->del(conn, c, id, n);
}

static int fb_scan(void *conn, const char *c, const char *s, const uint8_t *k, size_t kl,
                   privacy_record_cb cb, void *ud)
{
    return inject("scan") ? fail_code : inner->scan(conn, c, s, k, kl, cb, ud);
}

static int fb_delete_subject(void *conn, const char *c, const char *s, uint64_t *n)
{
    return inject("delete_subject") ? fail_code : inner->delete_subject(conn, c, s, n);
}

static int fb_purge_expired(void *conn, const char *c, int64_t now, uint64_t *n)
{
    return inject("purge_expired") ? fail_code : inner->purge_expired(conn, c, now, n);
}

const privacy_backend fb_backend = {
    .version = PRIVACY_BACKEND_VERSION,
    .open = fb_open,
    .close = fb_close,
    .errmsg = fb_errmsg,
    .begin = fb_begin,
    .commit = fb_commit,
    .rollback = fb_rollback,
    .put = fb_put,
    .get = fb_get,
    .del = fb_del,
    .scan = fb_scan,
    .delete_subject = fb_delete_subject,
    .purge_expired = fb_purge_expired,
};
