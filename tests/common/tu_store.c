/* The test's store on the test's backend (testutil.h): making and removing
 * it, and reading and tampering with what it holds directly, in SQL both
 * engines share (the engines themselves: tu_sqlite.c, tu_pg.c). */
#include <check.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend/postgres/pg_backend.h"
#include "backend/sqlite/sqlite_backend.h"
#include "testutil.h"
#include "tu_driver.h"

#define TEXT(s) { (s), strlen(s), 0 }
#define BYTES(b, n) { (b), (n), 1 }

/* Every column of a record, in this order (tu_digest_rows, contains). */
#define RECORD_COLUMNS "collection, id, subject_id, index_key, created, expires, body"

static int on_pg(const tu_store *s)
{
    return s->schema[0] != '\0';
}

/* Runs sql on the store's engine; fails the test on an error. */
static long run(const tu_store *s, const char *sql, const tu_param *p, int np, tu_row_fn fn,
                void *userdata)
{
    char err[1024];
    long rc = on_pg(s) ? tu_pg_query(s->schema, sql, p, np, fn, userdata, err, sizeof err)
                       : tu_sqlite_query(s->db, sql, p, np, fn, userdata, err, sizeof err);
    ck_assert_msg(rc >= 0, "%s", err);
    return rc;
}

/* ---- setting up and removing ---- */

void tu_store_setup(tu_store *s)
{
    static unsigned counter;
    memset(s, 0, sizeof *s);
    char *dir = tu_tmpdir();
    snprintf(s->dir, sizeof s->dir, "%s", dir);
    free(dir);
    if (tu_backend_is_sqlite()) {
        tu_store_sibling(s, "shop", s);
        return;
    }
    ck_assert_int_ge(sodium_init(), 0);
    snprintf(s->schema, sizeof s->schema, "t_%ld_%u_%08x", (long)getpid(), ++counter,
             (unsigned)randombytes_random());
    snprintf(s->uri, sizeof s->uri, "pg:%s schema=%s", tu_pg_conninfo(), s->schema);
    s->backend = &prv_pg_backend;
}

void tu_store_sibling(const tu_store *s, const char *name, tu_store *out)
{
    if (out != s)
        *out = *s;
    if (on_pg(s)) {
        char schema[2 * sizeof out->schema];
        int n = snprintf(schema, sizeof schema, "%s_%s", s->schema, name);
        ck_assert_msg(n > 0 && (size_t)n < sizeof out->schema, "schema name too long: %s", schema);
        memcpy(out->schema, schema, (size_t)n + 1);
        snprintf(out->uri, sizeof out->uri, "pg:%s schema=%s", tu_pg_conninfo(), out->schema);
        out->backend = &prv_pg_backend;
    } else {
        snprintf(out->db, sizeof out->db, "%s/%s.db", s->dir, name);
        snprintf(out->uri, sizeof out->uri, "sqlite:%s", out->db);
        out->backend = &prv_sqlite_backend;
    }
}

typedef struct {
    char names[16][64];
    int n;
} schema_list;

static void note_schema(void *userdata, int ncol, const unsigned char *const *v, const size_t *n)
{
    schema_list *l = userdata;
    if (ncol == 1 && l->n < 16)
        snprintf(l->names[l->n++], sizeof l->names[0], "%.*s", (int)n[0], (const char *)v[0]);
}

/* The store's schema and its siblings'. */
static schema_list schemas(const tu_store *s)
{
    schema_list l = { .n = 0 };
    tu_param p[] = { TEXT(s->schema) };
    run(s, "SELECT nspname FROM pg_namespace"
           " WHERE nspname = $1 OR starts_with(nspname, $1::text || '_')",
        p, 1, note_schema, &l);
    return l;
}

static void drop_schema(const tu_store *s, const char *name)
{
    char sql[128];
    snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS \"%s\" CASCADE", name);
    run(s, sql, NULL, 0, NULL, NULL);
}

void tu_store_teardown(tu_store *s)
{
    if (on_pg(s)) {
        schema_list l = schemas(s);
        for (int i = 0; i < l.n; i++)
            drop_schema(s, l.names[i]);
    }
    tu_rmdir(s->dir);
    memset(s, 0, sizeof *s);
}

static const char *base_name(const tu_store *s)
{
    const char *slash = strrchr(s->db, '/');
    return slash != NULL ? slash + 1 : s->db;
}

int tu_store_exists(const tu_store *s)
{
    if (!on_pg(s))
        return tu_count_files(s->dir, base_name(s)) > 0;
    schema_list l = schemas(s);
    for (int i = 0; i < l.n; i++)
        if (strcmp(l.names[i], s->schema) == 0)
            return 1;
    return 0;
}

void tu_store_reset(const tu_store *s)
{
    if (on_pg(s)) {
        drop_schema(s, s->schema);
        return;
    }
    static const char *const suffix[] = { "", "-wal", "-shm", "-journal" };
    for (size_t i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
        char path[sizeof s->db + 16];
        snprintf(path, sizeof path, "%s%s", s->db, suffix[i]);
        unlink(path);
    }
}

/* ---- reading ---- */

int tu_sql(const tu_store *s, const char *sql)
{
    return (int)run(s, sql, NULL, 0, NULL, NULL);
}

typedef struct {
    char *out;
    size_t n;
    int rows;
} first_text;

static void note_first(void *userdata, int ncol, const unsigned char *const *v, const size_t *n)
{
    first_text *f = userdata;
    if (f->rows++ > 0 || ncol < 1)
        return;
    size_t k = v[0] != NULL ? n[0] : 0;
    if (k >= f->n)
        k = f->n - 1;
    if (k > 0)
        memcpy(f->out, v[0], k);
    f->out[k] = '\0';
}

int tu_sql_text(const tu_store *s, const char *sql, char *out, size_t n)
{
    first_text f = { out, n, 0 };
    out[0] = '\0';
    run(s, sql, NULL, 0, note_first, &f);
    return f.rows > 0;
}

int tu_count_rows(const tu_store *s, const char *where)
{
    char sql[1024], n[32];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM records%s%s", where != NULL ? " WHERE " : "",
             where != NULL ? where : "");
    ck_assert(tu_sql_text(s, sql, n, sizeof n));
    return atoi(n);
}

typedef struct {
    const void *needle;
    size_t len;
    int found;
} search;

static void search_row(void *userdata, int ncol, const unsigned char *const *v, const size_t *n)
{
    search *q = userdata;
    for (int c = 0; c < ncol; c++)
        q->found |= v[c] != NULL && tu_contains(v[c], n[c], q->needle, q->len);
}

int tu_store_contains(const tu_store *s, const void *needle, size_t len)
{
    if (!on_pg(s)) {
        static const char *const suffix[] = { "", "-wal", "-shm" };
        int found = 0;
        for (size_t i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
            char path[sizeof s->db + 16];
            snprintf(path, sizeof path, "%s%s", s->db, suffix[i]);
            found |= tu_file_contains(path, needle, len);
        }
        return found;
    }
    search q = { needle, len, 0 };
    run(s, "SELECT " RECORD_COLUMNS " FROM records", NULL, 0, search_row, &q);
    run(s, "SELECT * FROM privacy_meta", NULL, 0, search_row, &q);
    return q.found;
}

/* ---- tampering ---- */

typedef struct {
    uint8_t *body;
    size_t len;
    int rows;
} body_copy;

static void copy_body(void *userdata, int ncol, const unsigned char *const *v, const size_t *n)
{
    body_copy *b = userdata;
    if (b->rows++ > 0 || ncol < 1 || v[0] == NULL)
        return;
    b->body = malloc(n[0] > 0 ? n[0] : 1);
    if (b->body == NULL)
        abort();
    memcpy(b->body, v[0], n[0]);
    b->len = n[0];
}

uint8_t *tu_body(const tu_store *s, const char *collection, const char *id, size_t *len)
{
    body_copy b = { NULL, 0, 0 };
    tu_param p[] = { TEXT(collection), TEXT(id) };
    run(s, "SELECT body FROM records WHERE collection = $1 AND id = $2", p, 2, copy_body, &b);
    *len = b.len;
    return b.body;
}

int tu_set_body(const tu_store *s, const char *collection, const char *id, const void *body,
                size_t len)
{
    tu_param p[] = { TEXT(collection), TEXT(id), BYTES(body != NULL ? body : "", len) };
    return (int)run(s, "UPDATE records SET body = $3 WHERE collection = $1 AND id = $2", p, 3,
                    NULL, NULL);
}

void tu_flip_body_byte(const tu_store *s, const char *collection, const char *id, long pos)
{
    size_t len;
    uint8_t *b = tu_body(s, collection, id, &len);
    ck_assert_msg(b != NULL, "no record '%s' in '%s'", id, collection);
    long at = pos < 0 ? (long)len + pos : pos;
    ck_assert_msg(at >= 0 && (size_t)at < len, "byte %ld of a %zu-byte body", pos, len);
    b[at] ^= 0x01;
    int changed = tu_set_body(s, collection, id, b, len);
    free(b);
    ck_assert_int_eq(changed, 1);
}

typedef struct {
    struct row {
        char id[PRIVACY_RECORD_ID_MAX + 1];
        uint8_t *body;
        size_t len;
    } *v;
    int n;
} id_bodies;

static void note_body(void *userdata, int ncol, const unsigned char *const *v, const size_t *n)
{
    id_bodies *l = userdata;
    if (ncol != 2 || v[0] == NULL || v[1] == NULL)
        return;
    struct row *grown = realloc(l->v, (size_t)(l->n + 1) * sizeof *grown);
    if (grown == NULL)
        abort();
    l->v = grown;
    struct row *r = &l->v[l->n++];
    snprintf(r->id, sizeof r->id, "%.*s", (int)n[0], (const char *)v[0]);
    r->body = malloc(n[1] > 0 ? n[1] : 1);
    if (r->body == NULL)
        abort();
    memcpy(r->body, v[1], n[1]);
    r->len = n[1];
}

/* body with every from replaced by to, malloc'd; NULL if from is absent. */
static uint8_t *replaced(const uint8_t *body, size_t len, const char *from, const char *to,
                         size_t *out_len)
{
    size_t fl = strlen(from), tl = strlen(to), hits = 0;
    if (fl == 0)
        return NULL;
    for (size_t i = 0; i + fl <= len; i++)
        if (memcmp(body + i, from, fl) == 0)
            hits++, i += fl - 1;
    if (hits == 0)
        return NULL;
    uint8_t *out = malloc(len - hits * fl + hits * tl + 1);
    if (out == NULL)
        abort();
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        if (i + fl <= len && memcmp(body + i, from, fl) == 0) {
            memcpy(out + o, to, tl);
            o += tl;
            i += fl;
        } else {
            out[o++] = body[i++];
        }
    }
    *out_len = o;
    return out;
}

int tu_replace_in_bodies(const tu_store *s, const char *collection, const char *id,
                         const char *from, const char *to)
{
    id_bodies l = { NULL, 0 };
    tu_param p[] = { TEXT(collection), TEXT(id != NULL ? id : "") };
    run(s, id != NULL ? "SELECT id, body FROM records WHERE collection = $1 AND id = $2"
                      : "SELECT id, body FROM records WHERE collection = $1",
        p, id != NULL ? 2 : 1, note_body, &l);
    int changed = 0;
    for (int i = 0; i < l.n; i++) {
        size_t len;
        uint8_t *b = replaced(l.v[i].body, l.v[i].len, from, to, &len);
        if (b != NULL)
            changed += tu_set_body(s, collection, l.v[i].id, b, len);
        free(b);
        free(l.v[i].body);
    }
    free(l.v);
    return changed;
}

void tu_swap_bodies(const tu_store *s, const char *collection, const char *a, const char *b)
{
    size_t la, lb;
    uint8_t *ba = tu_body(s, collection, a, &la), *bb = tu_body(s, collection, b, &lb);
    ck_assert_msg(ba != NULL && bb != NULL, "'%s' or '%s' missing from '%s'", a, b, collection);
    int changed = tu_set_body(s, collection, a, bb, lb) + tu_set_body(s, collection, b, ba, la);
    free(ba);
    free(bb);
    ck_assert_int_eq(changed, 2);
}

/* ---- digests, backups ---- */

typedef struct {
    crypto_generichash_state g;
    int rows;
} digest;

static void hash_row(void *userdata, int ncol, const unsigned char *const *v, const size_t *n)
{
    digest *d = userdata;
    d->rows++;
    for (int c = 0; c < ncol; c++) {
        uint8_t len[9] = { v[c] == NULL }; /* NULL apart from empty */
        for (int i = 0; i < 8; i++)
            len[1 + i] = (uint8_t)((uint64_t)n[c] >> (56 - 8 * i));
        crypto_generichash_update(&d->g, len, sizeof len);
        if (n[c] > 0)
            crypto_generichash_update(&d->g, v[c], n[c]);
    }
}

void tu_digest_rows(const tu_store *s, const char *where, uint8_t out[32])
{
    char sql[1024];
    snprintf(sql, sizeof sql, "SELECT " RECORD_COLUMNS " FROM records%s%s ORDER BY collection, id",
             where != NULL ? " WHERE " : "", where != NULL ? where : "");
    digest d;
    d.rows = 0;
    crypto_generichash_init(&d.g, NULL, 0, 32);
    run(s, sql, NULL, 0, hash_row, &d);
    ck_assert_msg(d.rows > 0, "no record matches %s", where != NULL ? where : "(all)");
    if (where == NULL)
        run(s, "SELECT * FROM privacy_meta ORDER BY 1", NULL, 0, hash_row, &d);
    crypto_generichash_final(&d.g, out, 32);
}

void tu_store_digest(const tu_store *s, uint8_t out[32])
{
    if (on_pg(s)) {
        tu_digest_rows(s, NULL, out);
        return;
    }
    size_t n;
    unsigned char *bytes = tu_read_file(s->db, &n);
    ck_assert_msg(bytes != NULL, "%s missing", s->db);
    crypto_generichash(out, 32, bytes, n, NULL, 0);
    free(bytes);
}

static void saved_path(const tu_store *s, const char *name, char *out, size_t n)
{
    snprintf(out, n, "%s/saved-%s-%s", s->dir, base_name(s), name);
}

void tu_store_save(const tu_store *s, const char *name)
{
    if (!on_pg(s)) {
        char path[sizeof s->dir + sizeof s->db + 64];
        saved_path(s, name, path, sizeof path);
        ck_assert_int_eq(tu_copy_file(s->db, path), 0);
        return;
    }
    char sql[512];
    snprintf(sql, sizeof sql,
             "DROP TABLE IF EXISTS tu_saved_%s_records; DROP TABLE IF EXISTS tu_saved_%s_meta;"
             "CREATE TABLE tu_saved_%s_records AS SELECT * FROM records;"
             "CREATE TABLE tu_saved_%s_meta AS SELECT * FROM privacy_meta",
             name, name, name, name);
    tu_sql(s, sql);
}

void tu_store_restore(const tu_store *s, const char *name)
{
    if (!on_pg(s)) {
        char path[sizeof s->dir + sizeof s->db + 64];
        saved_path(s, name, path, sizeof path);
        tu_store_reset(s);
        ck_assert_int_eq(tu_copy_file(path, s->db), 0);
        return;
    }
    char sql[512];
    snprintf(sql, sizeof sql,
             "BEGIN; DELETE FROM records; INSERT INTO records SELECT * FROM tu_saved_%s_records;"
             "DELETE FROM privacy_meta; INSERT INTO privacy_meta SELECT * FROM tu_saved_%s_meta;"
             "COMMIT",
             name, name);
    tu_sql(s, sql);
}
