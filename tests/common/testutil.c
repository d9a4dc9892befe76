#include "testutil.h"

#include <check.h>
#include <dirent.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char *tu_tmpdir(void)
{
    const char *base = getenv("TMPDIR");
    char *tmpl = tu_path(base != NULL && base[0] != '\0' ? base : "/tmp", "privacy-test-XXXXXX");
    if (mkdtemp(tmpl) == NULL) {
        perror("mkdtemp");
        abort();
    }
    return tmpl;
}

void tu_rmdir(const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char *p = tu_path(dir, e->d_name);
        unlink(p);
        free(p);
    }
    closedir(d);
    rmdir(dir);
}

char *tu_path(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p == NULL)
        abort();
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

unsigned char *tu_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t cap = 4096, n = 0;
    unsigned char *buf = malloc(cap);
    size_t r;
    while (buf != NULL && (r = fread(buf + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap) {
            unsigned char *nb = realloc(buf, cap *= 2);
            if (nb == NULL)
                free(buf);
            buf = nb;
        }
    }
    fclose(f);
    if (buf == NULL)
        abort();
    *len = n;
    return buf;
}

int tu_same_file(const char *a, const char *b)
{
    size_t la, lb;
    unsigned char *da = tu_read_file(a, &la), *db = tu_read_file(b, &lb);
    int same = da != NULL && db != NULL && la == lb && memcmp(da, db, la) == 0;
    free(da);
    free(db);
    return same;
}

int tu_copy_file(const char *from, const char *to)
{
    size_t n;
    unsigned char *d = tu_read_file(from, &n);
    if (d == NULL)
        return -1;
    FILE *f = fopen(to, "wb");
    int rc = f != NULL && fwrite(d, 1, n, f) == n ? 0 : -1;
    if (f != NULL && fclose(f) != 0)
        rc = -1;
    free(d);
    return rc;
}

const uint8_t tu_root_key[PRIVACY_ROOT_KEY_BYTES] = {
    0x74, 0x65, 0x73, 0x74, 0x2d, 0x72, 0x6f, 0x6f, 0x74, 0x2d, 0x6b, 0x65, 0x79, 0x2d, 0x30, 0x31,
    0x9e, 0x41, 0x0c, 0x7d, 0x22, 0xb3, 0x58, 0xe6, 0x11, 0x8a, 0xf0, 0x3c, 0x6b, 0x95, 0xd4, 0x27,
};

int tu_config_new(privacy_config **out)
{
    int rc = privacy_config_new(out);
    if (rc == PRIVACY_OK) {
        rc = privacy_config_set_root_key(*out, tu_root_key, sizeof tu_root_key);
        if (rc != PRIVACY_OK) {
            privacy_config_free(*out);
            *out = NULL;
        }
    }
    return rc;
}

int tu_open(privacy_ctx **out, const char *uri)
{
    privacy_config *cfg = NULL;
    int rc = tu_config_new(&cfg);
    if (rc == PRIVACY_OK)
        rc = privacy_config_set_storage(cfg, uri);
    if (rc == PRIVACY_OK)
        rc = privacy_open(out, cfg);
    privacy_config_free(cfg);
    return rc;
}

/* 0 for SQLite, 1 for PostgreSQL; ends the process on a bad choice. */
static int backend_choice(void)
{
    const char *b = getenv("PRIVACY_TEST_BACKEND");
    if (b == NULL || b[0] == '\0' || strcmp(b, "sqlite") == 0)
        return 0;
    if (strcmp(b, "postgres") != 0) {
        fprintf(stderr, "PRIVACY_TEST_BACKEND='%s': expected 'sqlite' or 'postgres'\n", b);
        exit(EXIT_FAILURE);
    }
    const char *pg = getenv("PRIVACY_TEST_PG");
    if (pg == NULL || pg[0] == '\0') {
        fprintf(stderr, "PRIVACY_TEST_BACKEND=postgres needs PRIVACY_TEST_PG, the conninfo of a"
                        " PostgreSQL server for the tests: run them through"
                        " scripts/with_postgres.sh or scripts/test.sh\n");
        exit(EXIT_FAILURE);
    }
    return 1;
}

int tu_backend_is_sqlite(void)
{
    return backend_choice() == 0;
}

int tu_run(Suite *suite)
{
    (void)backend_choice(); /* a bad choice fails before any test runs */
    SRunner *sr = srunner_create(suite);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

int tu_contains(const void *hay, size_t n, const void *needle, size_t m)
{
    const unsigned char *h = hay;
    if (m == 0)
        return 1;
    for (size_t i = 0; i + m <= n; i++) {
        if (h[i] == *(const unsigned char *)needle && memcmp(h + i, needle, m) == 0)
            return 1;
    }
    return 0;
}

int tu_file_contains(const char *path, const void *needle, size_t m)
{
    size_t n;
    unsigned char *d = tu_read_file(path, &n);
    int found = d != NULL && tu_contains(d, n, needle, m);
    free(d);
    return found;
}

void tu_child_exit(int status)
{
    char cmd[32];
    snprintf(cmd, sizeof cmd, "exit %d", status & 0xff);
    execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
    _exit(status);
}

int tu_count_files(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        n += strncmp(e->d_name, prefix, strlen(prefix)) == 0;
    closedir(d);
    return n;
}

int tu_exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

int tu_count_cb(void *userdata, const privacy_record *rec)
{
    (void)rec;
    ++*(int *)userdata;
    return 0;
}
