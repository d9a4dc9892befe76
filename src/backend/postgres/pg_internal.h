/* Inside the PostgreSQL backend: the connection and its failure handling. */
#ifndef PRV_BACKEND_PG_INTERNAL_H
#define PRV_BACKEND_PG_INTERNAL_H

#include <libpq-fe.h>

#include "pg_backend.h"

enum {
    PS_PUT,
    PS_GET,
    PS_DEL,
    PS_SCAN_ALL,
    PS_SCAN_SUBJECT,
    PS_SCAN_INDEX,
    PS_DEL_SUBJECT,
    PS_PURGE,
    PS_COUNT
};

typedef struct pg_conn {
    PGconn *pg;
    prv_pg_opts opts;
    unsigned prepared;   /* bit i: statement i is prepared on this connection */
    int in_tx;           /* between begin() and commit()/rollback() */
    int broken;          /* the connection is gone: reconnect before the next use */
    int in_commit;       /* a COMMIT is running: warnings matter */
    int force_xid;       /* a COMMIT's outcome was unknown: the next one must wait for standbys */
    char warn_state[6];  /* SQLSTATE of a WARNING during the COMMIT, or "" */
    char sql[PS_COUNT][400];
    char errmsg[PRIVACY_ERRMSG_MAX];
} pg_conn;

/* Copies the statement tmpl into out (n bytes) with every "@S" replaced by
 * the quoted schema name (checked: a-z 0-9 _). 0 if it does not fit. */
int prv_pg_sql(const char *tmpl, const char *schema, char *out, size_t n);

/* Records a failure of a call (res may be NULL), deciding first on the
 * connection's state, then on the SQLSTATE: a lost connection, a
 * serialization failure or deadlock, a server shutting down or read-only
 * are PRIVACY_E_BUSY (re-run the transaction); the rest PRIVACY_E_STORAGE.
 * Never quotes row contents. */
int prv_pg_fail(pg_conn *c, const PGresult *res, const char *what);

/* 1 if the connection is gone: libpq says so, or res (NULL: nothing came
 * back) is an error that libpq made up rather than the server's. */
int prv_pg_lost(const pg_conn *c, const PGresult *res);

/* Checks the result of a statement run on c: on success hands it to *out
 * (or clears it when out is NULL); on failure clears it and returns
 * prv_pg_fail's code. */
int prv_pg_result(pg_conn *c, PGresult *res, const char *what, PGresult **out);

/* Connects (or reconnects) c->pg from c->opts; on failure the message is
 * in c->errmsg and the code is PRIVACY_E_BUSY (the server may come back:
 * a failover) or PRIVACY_E_STORAGE/NOMEM. */
int prv_pg_connect(pg_conn *c);

/* Creates or migrates the schema (schema.c): many processes opening at
 * once migrate exactly once, under an advisory lock. */
int prv_pg_schema_open(pg_conn *c);

#endif
