/* The PostgreSQL backend (libpq), for shops that outgrow one machine. */
#ifndef PRV_BACKEND_PG_H
#define PRV_BACKEND_PG_H

#include <stddef.h>
#include <stdint.h>

#include "privacy/backend.h"

/* The vtable the "postgresql:", "postgres:" and "pg:" schemes select. */
extern const privacy_backend prv_pg_backend;

/* The schema version this library creates and migrates to. */
enum { PRV_PG_SCHEMA_VERSION = 1 };

/* The retry budget when neither the URI nor the caller sets one: above
 * the time a failover takes (detection and promotion). */
#define PRV_PG_RETRY_BUDGET_DEFAULT_US INT64_C(30000000)

/* What a storage URI says, split into libpq's part and ours. */
typedef struct prv_pg_opts {
    char *conninfo;          /* the URI without our keys, for libpq; prv_free */
    int uri_form;            /* 1: "postgresql://" form, 0: key/value after "pg:" */
    char schema[64];         /* schema=, default "privacy" */
    int statement_timeout_ms; /* statement_timeout_ms=, default 30000; 0 = none */
    int allow_insecure;      /* allow_insecure=1: a remote host without verify-* */
    int64_t retry_budget_us; /* retry_budget_ms=; -1 if not given */
} prv_pg_opts;

/* 1 if uri names the PostgreSQL backend by its scheme. */
int prv_pg_uri_scheme(const char *uri);

/* Parses a storage URI, checks it with libpq and checks the transport rule
 * (R22): a host that is not local needs sslmode=verify-full or verify-ca,
 * unless allow_insecure=1. Messages never quote a password. */
int prv_pg_uri_parse(const char *uri, prv_pg_opts *out, char *errbuf, size_t errbuf_len);
void prv_pg_opts_clear(prv_pg_opts *opts);

#endif
