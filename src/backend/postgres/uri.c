/* Storage URIs of the PostgreSQL backend: "postgresql://…", "postgres://…"
 * (libpq's URI form) and "pg:" followed by a libpq key/value conninfo.
 * libprivacy's own keys are taken out before libpq sees the rest. */
#include <arpa/inet.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <string.h>

#include "backend/uri_util.h"
#include "core/alloc.h"
#include "pg_backend.h"

enum { DEFAULT_STATEMENT_TIMEOUT_MS = 30000 };

int prv_pg_uri_scheme(const char *uri)
{
    return uri != NULL && (strncmp(uri, "postgresql://", 13) == 0 ||
                           strncmp(uri, "postgres://", 11) == 0 || strncmp(uri, "pg:", 3) == 0);
}

void prv_pg_opts_clear(prv_pg_opts *o)
{
    prv_free(o->conninfo);
    o->conninfo = NULL;
}

static int key_is(const char *k, size_t n, const char *name)
{
    return strlen(name) == n && memcmp(k, name, n) == 0;
}

static int schema_ok(const char *s)
{
    if (!((s[0] >= 'a' && s[0] <= 'z') || s[0] == '_'))
        return 0;
    size_t n = 0;
    for (; s[n] != '\0'; n++)
        if (n >= 63 || !((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= '0' && s[n] <= '9') ||
                         s[n] == '_'))
            return 0;
    return 1;
}

/* Applies one of our keys with its (decoded) value. Returns 1 if the key
 * is ours, 0 if it is libpq's, or a negative code. */
static int own_key(prv_pg_opts *o, const char *k, size_t kn, const char *v, char *errbuf,
                   size_t errlen)
{
    long x;
    size_t vn = strlen(v);
    if (key_is(k, kn, "schema")) {
        if (!schema_ok(v)) {
            snprintf(errbuf, errlen,
                     "postgres: schema must be 1 to 63 of a-z 0-9 _, not starting with a digit");
            return PRIVACY_E_INVALID;
        }
        memcpy(o->schema, v, vn + 1);
        return 1;
    }
    if (key_is(k, kn, "statement_timeout_ms")) {
        if (!prv_uri_int(v, vn, 0, 3600000, &x)) {
            snprintf(errbuf, errlen, "postgres: statement_timeout_ms must be 0..3600000");
            return PRIVACY_E_INVALID;
        }
        o->statement_timeout_ms = (int)x;
        return 1;
    }
    if (key_is(k, kn, "retry_budget_ms")) {
        if (!prv_uri_int(v, vn, 0, 3600000, &x)) {
            snprintf(errbuf, errlen, "postgres: retry_budget_ms must be 0..3600000");
            return PRIVACY_E_INVALID;
        }
        o->retry_budget_us = (int64_t)x * 1000;
        return 1;
    }
    if (key_is(k, kn, "allow_insecure")) {
        if (!prv_uri_int(v, vn, 0, 1, &x)) {
            snprintf(errbuf, errlen, "postgres: allow_insecure must be 0 or 1");
            return PRIVACY_E_INVALID;
        }
        o->allow_insecure = (int)x;
        return 1;
    }
    return 0;
}

/* "postgresql://…?a=b&schema=x": our keys leave the query string. */
static int split_uri(prv_pg_opts *o, const char *uri, char *out, char *errbuf, size_t errlen)
{
    const char *q = strchr(uri, '?');
    size_t base = q != NULL ? (size_t)(q - uri) : strlen(uri);
    memcpy(out, uri, base);
    size_t len = base;
    char sep = '?';
    while (q != NULL) {
        const char *kv = q + 1;
        q = strchr(kv, '&');
        size_t n = q != NULL ? (size_t)(q - kv) : strlen(kv);
        const char *eq = memchr(kv, '=', n);
        int mine = 0;
        if (eq != NULL) {
            char *v;
            int rc = prv_uri_decode("postgres", eq + 1, n - (size_t)(eq - kv) - 1, &v, errbuf,
                                    errlen);
            if (rc != PRIVACY_OK)
                return rc;
            mine = own_key(o, kv, (size_t)(eq - kv), v, errbuf, errlen);
            prv_free(v);
            if (mine < 0)
                return mine;
        }
        if (!mine && n > 0) {
            out[len++] = sep;
            memcpy(out + len, kv, n);
            len += n;
            sep = '&';
        }
    }
    out[len] = '\0';
    return PRIVACY_OK;
}

/* One "key = value" of a key/value conninfo (libpq's quoting: '…' with
 * backslash escapes). Sets *end past it; the value, unquoted, into val.
 * Returns 0 at the end of the string, 1 for a pair, -1 if malformed (then
 * libpq gets the string as it is and says what is wrong). */
static int next_pair(const char *s, const char **key, size_t *klen, char *val, const char **end)
{
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        s++;
    if (*s == '\0')
        return 0;
    *key = s;
    while (*s != '\0' && *s != '=' && *s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
        s++;
    *klen = (size_t)(s - *key);
    while (*s == ' ' || *s == '\t')
        s++;
    if (*s != '=' || *klen == 0)
        return -1;
    s++;
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = 0;
    if (*s == '\'') {
        for (s++; *s != '\''; s++) {
            if (*s == '\\' && s[1] != '\0')
                s++;
            if (*s == '\0')
                return -1;
            val[n++] = *s;
        }
        s++;
    } else {
        for (; *s != '\0' && *s != ' ' && *s != '\t' && *s != '\n' && *s != '\r'; s++) {
            if (*s == '\\' && s[1] != '\0')
                s++;
            val[n++] = *s;
        }
    }
    val[n] = '\0';
    *end = s;
    return 1;
}

/* "pg:host=… schema=x": our pairs are cut out of the string. */
static int split_keyvalue(prv_pg_opts *o, const char *s, char *out, char *val, char *errbuf,
                          size_t errlen)
{
    size_t len = 0;
    const char *p = s, *key, *end;
    size_t klen;
    int r;
    while ((r = next_pair(p, &key, &klen, val, &end)) == 1) {
        int mine = own_key(o, key, klen, val, errbuf, errlen);
        if (mine < 0)
            return mine;
        if (!mine) {
            memcpy(out + len, p, (size_t)(end - p));
            len += (size_t)(end - p);
        }
        p = end;
    }
    if (r < 0) { /* malformed: libpq's parser reports it */
        strcpy(out, s);
        return PRIVACY_OK;
    }
    out[len] = '\0';
    return PRIVACY_OK;
}

/* libpq quotes the offending token of a malformed conninfo, which may be
 * a password (and may itself hold quotes): keep its words up to the first
 * quote, fold its lines. */
static void redacted(char *dst, size_t n, const char *msg)
{
    size_t j = 0;
    for (const char *m = msg; *m != '\0' && *m != '"' && j + 1 < n; m++)
        dst[j++] = *m == '\n' ? ' ' : *m;
    while (j > 0 && (dst[j - 1] == ' ' || dst[j - 1] == ':'))
        j--;
    dst[j] = '\0';
}

/* The value libpq will use: the conninfo's, else the environment's. */
static const char *effective(const PQconninfoOption *given, const PQconninfoOption *defaults,
                             const char *kw)
{
    for (const PQconninfoOption *o = given; o != NULL && o->keyword != NULL; o++)
        if (strcmp(o->keyword, kw) == 0 && o->val != NULL && o->val[0] != '\0')
            return o->val;
    for (const PQconninfoOption *o = defaults; o != NULL && o->keyword != NULL; o++)
        if (strcmp(o->keyword, kw) == 0 && o->val != NULL && o->val[0] != '\0')
            return o->val;
    return NULL;
}

/* The n-th comma-separated entry of list (NULL: none) into out. */
static void nth(const char *list, int i, char *out, size_t outlen)
{
    out[0] = '\0';
    if (list == NULL)
        return;
    for (; i > 0 && list != NULL; i--) {
        list = strchr(list, ',');
        if (list != NULL)
            list++;
    }
    if (list == NULL)
        return;
    size_t n = strcspn(list, ",");
    if (n >= outlen)
        n = outlen - 1;
    memcpy(out, list, n);
    out[n] = '\0';
}

static int count_entries(const char *list)
{
    int n = list != NULL ? 1 : 0;
    for (const char *p = list; p != NULL && *p != '\0'; p++)
        n += *p == ',';
    return n;
}

static int loopback(const char *a)
{
    unsigned char b[16];
    if (inet_pton(AF_INET, a, b) == 1)
        return b[0] == 127;
    if (inet_pton(AF_INET6, a, b) == 1) {
        static const unsigned char one[16] = { [15] = 1 };
        return memcmp(b, one, 16) == 0;
    }
    return 0;
}

/* R22: personal data crosses a network only encrypted to a verified
 * server. A Unix socket or the loopback interface is not a network. */
static int check_transport(const prv_pg_opts *o, const PQconninfoOption *given, char *errbuf,
                           size_t errlen)
{
    PQconninfoOption *defaults = PQconndefaults();
    if (defaults == NULL) {
        snprintf(errbuf, errlen, "postgres: out of memory reading libpq's defaults");
        return PRIVACY_E_NOMEM;
    }
    const char *hosts = effective(given, defaults, "host");
    const char *addrs = effective(given, defaults, "hostaddr");
    const char *mode = effective(given, defaults, "sslmode");
    const char *service = effective(given, defaults, "service");
    int verified = mode != NULL && (strcmp(mode, "verify-full") == 0 ||
                                    strcmp(mode, "verify-ca") == 0);
    int rc = PRIVACY_OK;
    if (service != NULL && !verified && !o->allow_insecure) {
        /* The service file names hosts this check cannot see. */
        snprintf(errbuf, errlen,
                 "postgres: R22: a service's hosts cannot be checked: add sslmode=verify-full"
                 " (or verify-ca) to the URI, or allow_insecure=1");
        rc = PRIVACY_E_INVALID;
    }
    int entries = count_entries(hosts) > count_entries(addrs) ? count_entries(hosts)
                                                              : count_entries(addrs);
    for (int i = 0; rc == PRIVACY_OK && !verified && !o->allow_insecure && i < entries; i++) {
        char host[256], addr[64];
        nth(hosts, i, host, sizeof host);
        nth(addrs, i, addr, sizeof addr);
        /* An empty entry is libpq's default: the local socket. */
        int local = addr[0] != '\0' ? loopback(addr)
                                    : host[0] == '\0' || host[0] == '/' || host[0] == '@' ||
                                          strcmp(host, "localhost") == 0 || loopback(host);
        if (!local) {
            snprintf(errbuf, errlen,
                     "postgres: R22: host '%.64s' is not local and sslmode is '%s': use"
                     " sslmode=verify-full (or verify-ca), or allow_insecure=1 in the URI",
                     addr[0] != '\0' ? addr : host, mode != NULL ? mode : "prefer");
            rc = PRIVACY_E_INVALID;
        }
    }
    PQconninfoFree(defaults);
    return rc;
}

int prv_pg_uri_parse(const char *uri, prv_pg_opts *o, char *errbuf, size_t errlen)
{
    memset(o, 0, sizeof *o);
    strcpy(o->schema, "privacy");
    o->statement_timeout_ms = DEFAULT_STATEMENT_TIMEOUT_MS;
    o->retry_budget_us = -1;
    if (!prv_pg_uri_scheme(uri)) {
        snprintf(errbuf, errlen,
                 "postgres: the storage URI must start with 'postgresql://', 'postgres://' or"
                 " 'pg:'");
        return PRIVACY_E_INVALID;
    }
    o->uri_form = strncmp(uri, "pg:", 3) != 0;
    size_t n = strlen(uri);
    o->conninfo = prv_malloc(n + 1);
    char *val = prv_malloc(n + 1);
    int rc = PRIVACY_OK;
    if (o->conninfo == NULL || val == NULL) {
        snprintf(errbuf, errlen, "postgres: out of memory parsing the URI");
        rc = PRIVACY_E_NOMEM;
    } else if (o->uri_form) {
        rc = split_uri(o, uri, o->conninfo, errbuf, errlen);
    } else {
        rc = split_keyvalue(o, uri + 3, o->conninfo, val, errbuf, errlen);
    }
    prv_free(val);
    PQconninfoOption *given = NULL;
    if (rc == PRIVACY_OK) {
        char *msg = NULL;
        given = PQconninfoParse(o->conninfo, &msg);
        if (given == NULL) {
            char clean[200];
            redacted(clean, sizeof clean, msg != NULL ? msg : "out of memory");
            snprintf(errbuf, errlen, "postgres: the storage URI is malformed: %s", clean);
            rc = msg != NULL ? PRIVACY_E_INVALID : PRIVACY_E_NOMEM;
            PQfreemem(msg);
        }
    }
    if (rc == PRIVACY_OK)
        rc = check_transport(o, given, errbuf, errlen);
    PQconninfoFree(given);
    if (rc != PRIVACY_OK)
        prv_pg_opts_clear(o);
    return rc;
}
