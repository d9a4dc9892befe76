/* Key files: 32 random bytes in a file only its owner can read. Reading
 * refuses anything else (R22) before a byte of key is used. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sodium.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/alloc.h"
#include "kek.h"

static int write_all(int fd, const unsigned char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int sync_parent(const char *path)
{
    const char *slash = strrchr(path, '/');
    char dir[4096];
    if (slash == NULL)
        snprintf(dir, sizeof dir, ".");
    else if (slash == path)
        snprintf(dir, sizeof dir, "/");
    else if ((size_t)(slash - path) < sizeof dir)
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    else
        return 0; /* too long to name here; the file itself is synced */
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

int privacy_keyfile_create(const char *path)
{
    prv_err *err = prv_err_tls();
    prv_err_clear(err);
    if (path == NULL || path[0] == '\0')
        return prv_err_set(err, PRIVACY_E_INVALID, "privacy_keyfile_create: path is NULL or empty");
    if (sodium_init() < 0)
        return prv_err_set(err, PRIVACY_E_INTERNAL, "privacy_keyfile_create: libsodium failed");
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        int e = errno;
        return prv_err_set(err, e == EEXIST ? PRIVACY_E_EXISTS : PRIVACY_E_STORAGE,
                           "privacy_keyfile_create: cannot create '%s': %s%s", path, strerror(e),
                           e == EEXIST ? " (a key file is never overwritten)" : "");
    }
    unsigned char key[PRIVACY_ROOT_KEY_BYTES];
    randombytes_buf(key, sizeof key);
    int ok = write_all(fd, key, sizeof key) == 0 && fsync(fd) == 0;
    int e = ok ? 0 : errno;
    sodium_memzero(key, sizeof key);
    if (close(fd) != 0 && ok) {
        ok = 0;
        e = errno;
    }
    /* The file's directory entry must survive a power loss too, or data
     * written under the key could outlive the key. */
    if (ok && sync_parent(path) != 0) {
        ok = 0;
        e = errno;
    }
    if (!ok) {
        unlink(path);
        return prv_err_set(err, PRIVACY_E_STORAGE, "privacy_keyfile_create: cannot write '%s': %s",
                           path, strerror(e));
    }
    return PRIVACY_OK;
}

int prv_keyfile_read(const char *path, unsigned char **key_out, prv_err *err)
{
    /* O_NONBLOCK: a FIFO must be refused below, not block the open. */
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        int e = errno;
        if (e == ELOOP)
            return prv_err_set(err, PRIVACY_E_INVALID,
                               "R22: key file '%s' is a symlink; give the file itself", path);
        return prv_err_set(err, e == ENOENT ? PRIVACY_E_INVALID : PRIVACY_E_STORAGE,
                           "R22: cannot open key file '%s': %s", path, strerror(e));
    }
    struct stat sb;
    int rc = PRIVACY_OK;
    if (fstat(fd, &sb) != 0)
        rc = prv_err_set(err, PRIVACY_E_STORAGE, "R22: cannot stat key file '%s'", path);
    else if (!S_ISREG(sb.st_mode))
        rc = prv_err_set(err, PRIVACY_E_INVALID, "R22: key file '%s' is not a regular file", path);
    else if (sb.st_uid != geteuid())
        rc = prv_err_set(err, PRIVACY_E_INVALID,
                         "R22: key file '%s' is owned by another user (uid %ld, not %ld)", path,
                         (long)sb.st_uid, (long)geteuid());
    else if ((sb.st_mode & 077) != 0)
        rc = prv_err_set(err, PRIVACY_E_INVALID,
                         "R22: key file '%s' is accessible to group or others (mode %04o);"
                         " chmod 600 it",
                         path, (unsigned)(sb.st_mode & 07777));
    else if (sb.st_size != PRIVACY_ROOT_KEY_BYTES)
        rc = prv_err_set(err, PRIVACY_E_INVALID,
                         "R22: key file '%s' holds %lld bytes; a root key is %d bytes", path,
                         (long long)sb.st_size, PRIVACY_ROOT_KEY_BYTES);
    unsigned char *key = NULL;
    if (rc == PRIVACY_OK) {
        key = prv_secure_alloc(PRIVACY_ROOT_KEY_BYTES);
        if (key == NULL)
            rc = prv_err_set(err, PRIVACY_E_NOMEM, "R22: out of guarded memory for a root key");
    }
    if (rc == PRIVACY_OK) {
        size_t got = 0;
        while (got < PRIVACY_ROOT_KEY_BYTES) {
            ssize_t r = read(fd, key + got, PRIVACY_ROOT_KEY_BYTES - got);
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0)
                break;
            got += (size_t)r;
        }
        if (got != PRIVACY_ROOT_KEY_BYTES)
            rc = prv_err_set(err, PRIVACY_E_STORAGE, "R22: cannot read key file '%s'", path);
    }
    close(fd);
    if (rc != PRIVACY_OK) {
        prv_secure_free(key);
        return rc;
    }
    *key_out = key;
    return PRIVACY_OK;
}
