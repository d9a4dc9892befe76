/* Runs the backend conformance suite against the embedded SQLite backend,
 * on a database file in a fresh temporary directory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend/sqlite/sqlite_backend.h"
#include "conformance.h"

/* Removes the database and the files SQLite keeps beside it. */
static void remove_store(const char *dir)
{
    static const char *const files[] = { "conf.db", "conf.db-wal", "conf.db-shm",
                                         "conf.db-journal" };
    char path[4096];
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        if (snprintf(path, sizeof path, "%s/%s", dir, files[i]) < (int)sizeof path)
            (void)unlink(path);
    }
    if (rmdir(dir) != 0)
        perror("conformance-sqlite: rmdir");
}

int main(void)
{
    const char *tmp = getenv("TMPDIR");
    if (tmp == NULL || tmp[0] == '\0')
        tmp = "/tmp";
    char dir[4096];
    if (snprintf(dir, sizeof dir, "%s/privacy-conf-XXXXXX", tmp) >= (int)sizeof dir) {
        fprintf(stderr, "conformance-sqlite: TMPDIR is too long\n");
        return EXIT_FAILURE;
    }
    if (mkdtemp(dir) == NULL) {
        perror("conformance-sqlite: mkdtemp");
        return EXIT_FAILURE;
    }
    char uri[4200];
    snprintf(uri, sizeof uri, "sqlite:%s/conf.db", dir);
    int failed = conformance_run(&prv_sqlite_backend, uri);
    remove_store(dir);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
