/* Creating a new store file so that no other process ever sees it half
 * made: the store is created and migrated under a private name in the same
 * directory, closed, and linked into place. A process that loses the race
 * (EEXIST) simply opens the winner's file; a failure leaves nothing behind
 * but what the failing call made under its private name. */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "schema.h"

#ifndef SQLITE_OPEN_EXRESCODE
#define SQLITE_OPEN_EXRESCODE 0
#endif

static void remove_private(const char *path)
{
    static const char *const suffix[] = { "", "-wal", "-shm", "-journal" };
    size_t n = strlen(path) + sizeof "-journal";
    char *buf = malloc(n);
    for (size_t i = 0; buf != NULL && i < sizeof suffix / sizeof suffix[0]; i++) {
        snprintf(buf, n, "%s%s", path, suffix[i]);
        unlink(buf);
    }
    if (buf == NULL)
        unlink(path);
    free(buf);
}

/* Some filesystems have no hard links: there the file is created in place
 * (O_EXCL) and migrated under the store's lock like any empty file. */
static int link_unsupported(int err)
{
    return err == EPERM || err == EOPNOTSUPP || err == ENOSYS || err == EMLINK;
}

static int create_in_place(const char *path, char *errbuf, size_t errlen)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd >= 0)
        close(fd);
    else if (errno != EEXIST) {
        snprintf(errbuf, errlen, "sqlite: cannot create '%s': %s", path, strerror(errno));
        return PRIVACY_E_STORAGE;
    }
    return PRIVACY_OK;
}

int prv_sqlite_create(const prv_sqlite_opts *o, char *errbuf, size_t errlen)
{
    size_t n = strlen(o->path);
    char *tmp = prv_malloc(n + sizeof ".new-XXXXXX");
    if (tmp == NULL) {
        snprintf(errbuf, errlen, "sqlite: out of memory");
        return PRIVACY_E_NOMEM;
    }
    snprintf(tmp, n + sizeof ".new-XXXXXX", "%s.new-XXXXXX", o->path);
    int rc = PRIVACY_OK;
    int fd = mkstemp(tmp); /* mode 0600; SQLite gives -wal and -shm the same */
    if (fd < 0) {
        snprintf(errbuf, errlen, "sqlite: cannot create '%s': %s", o->path, strerror(errno));
        prv_free(tmp);
        return PRIVACY_E_STORAGE;
    }
    close(fd);

    sqlite3 *db = NULL;
    int src = sqlite3_open_v2(tmp, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_EXRESCODE, NULL);
    if (src != SQLITE_OK) {
        snprintf(errbuf, errlen, "sqlite: cannot create '%s': %s", o->path, sqlite3_errstr(src));
        rc = src == SQLITE_NOMEM ? PRIVACY_E_NOMEM : PRIVACY_E_STORAGE;
    } else {
        prv_sqlite_opts private_opts = *o;
        private_opts.path = tmp;
        rc = prv_sqlite_schema_open(db, &private_opts, errbuf, errlen);
    }
    /* Closing the only connection checkpoints and removes the WAL. */
    if (sqlite3_close(db) != SQLITE_OK && rc == PRIVACY_OK) {
        snprintf(errbuf, errlen, "sqlite: cannot create '%s': closing failed", o->path);
        rc = PRIVACY_E_STORAGE;
    }
    if (rc == PRIVACY_OK && link(tmp, o->path) != 0 && errno != EEXIST) {
        if (link_unsupported(errno)) {
            rc = create_in_place(o->path, errbuf, errlen);
        } else {
            snprintf(errbuf, errlen, "sqlite: cannot create '%s': %s", o->path, strerror(errno));
            rc = PRIVACY_E_STORAGE;
        }
    }
    remove_private(tmp);
    prv_free(tmp);
    return rc;
}
