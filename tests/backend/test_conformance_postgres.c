/* Runs the backend conformance suite against the PostgreSQL backend, in a
 * fresh schema of the server that PRIVACY_TEST_PG names (a libpq key/value
 * conninfo; scripts/with_postgres.sh starts a throwaway server and sets it).
 * The schema is dropped afterwards. */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend/postgres/pg_backend.h"
#include "conformance.h"

int main(void)
{
    const char *base = getenv("PRIVACY_TEST_PG");
    if (base == NULL || base[0] == '\0') {
        fprintf(stderr, "conformance-postgres: PRIVACY_TEST_PG is not set: run it through"
                        " scripts/with_postgres.sh (or scripts/test.sh)\n");
        return EXIT_FAILURE;
    }
    char schema[64], uri[4200];
    snprintf(schema, sizeof schema, "conf_%ld", (long)getpid());
    if (snprintf(uri, sizeof uri, "pg:%s schema=%s", base, schema) >= (int)sizeof uri) {
        fprintf(stderr, "conformance-postgres: PRIVACY_TEST_PG is too long\n");
        return EXIT_FAILURE;
    }
    int failed = conformance_run(&prv_pg_backend, uri);
    PGconn *pg = PQconnectdb(base);
    PQclear(PQexec(pg, "SET client_min_messages = warning"));
    char sql[128];
    snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS \"%s\" CASCADE", schema);
    PGresult *res = PQexec(pg, sql);
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        fprintf(stderr, "conformance-postgres: dropping the schema: %s", PQerrorMessage(pg));
        failed++;
    }
    PQclear(res);
    PQfinish(pg);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
