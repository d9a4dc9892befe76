/* The rotation suite's shared fixture (rotate_testlib.h). */
#include "rotate_testlib.h"

#include <check.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "audit/entry.h"
#include "core/context.h"
#include "crypto/dek.h"
#include "fault_backend.h"
#include "store/store.h"

tu_store S;
uint8_t K[3][32];
char kek_id[3][PRIVACY_KEY_ID_MAX + 1];
char *sub[N_SUBJECTS];

static const char *const BILLING[] = { "billing" };
static const int OLD[] = { 0 };

void rt_setup(void)
{
    tu_store_setup(&S);
    randombytes_buf(K, sizeof K);
    for (int i = 0; i < 3; i++) {
        prv_keks keks = { NULL, 0 };
        prv_err err;
        ck_assert_int_eq(prv_keks_add_raw(&keks, K[i], &err), PRIVACY_OK);
        memcpy(kek_id[i], keks.v[0].id, sizeof kek_id[i]);
        prv_keks_clear(&keks);
    }
    memset(sub, 0, sizeof sub);
    fb_reset(S.backend);
}

void rt_teardown(void)
{
    fb_fail(0, 0, 0);
    for (int i = 0; i < N_SUBJECTS; i++)
        privacy_free(sub[i]);
    tu_store_teardown(&S);
}

int rt_open(privacy_ctx **ctx, const int *keys, int n, const char *keystore_uri,
            const privacy_backend *be)
{
    privacy_config *cfg;
    ck_assert_int_eq(privacy_config_new(&cfg), PRIVACY_OK);
    ck_assert_int_eq(be != NULL ? privacy_config_set_backend(cfg, be, S.uri)
                                : privacy_config_set_storage(cfg, S.uri),
                     PRIVACY_OK);
    if (keystore_uri != NULL)
        ck_assert_int_eq(privacy_config_set_keystore(cfg, keystore_uri), PRIVACY_OK);
    for (int i = 0; i < n; i++)
        ck_assert_int_eq(privacy_config_set_root_key(cfg, K[keys[i]], 32), PRIVACY_OK);
    int rc = privacy_open(ctx, cfg);
    privacy_config_free(cfg);
    return rc;
}

void rt_email(char out[64], int i)
{
    snprintf(out, 64, "zo\xc3\xab.%d@b\xc3\xbc\x63her.example", i);
}

static void subject_name(char out[64], int i)
{
    snprintf(out, 64, "Zo\xc3\xab \xc3\x84rnb\xc3\xa4\x63k number %d", i);
}

void rt_populate(const char *keystore_uri)
{
    privacy_ctx *ctx;
    privacy_actor *shop;
    ck_assert_int_eq(rt_open(&ctx, OLD, 1, keystore_uri, NULL), PRIVACY_OK);
    ck_assert_int_eq(privacy_actor_new(ctx, "svc-web", "storefront", &shop), PRIVACY_OK);
    for (int i = 0; i < N_SUBJECTS; i++) {
        char name[64], email[64];
        subject_name(name, i);
        rt_email(email, i);
        ck_assert_int_eq(privacy_subject_create(ctx, shop, "order", &sub[i]), PRIVACY_OK);
        ck_assert_int_eq(privacy_subject_set(ctx, shop, sub[i], "contact.name", name, BILLING, 1),
                         PRIVACY_OK);
        ck_assert_int_eq(
            privacy_subject_set(ctx, shop, sub[i], "contact.email", email, BILLING, 1),
            PRIVACY_OK);
    }
    privacy_actor_free(shop);
    privacy_close(ctx);
}

void rt_check_reads(privacy_ctx *ctx)
{
    privacy_actor *clerk;
    ck_assert_int_eq(privacy_actor_new(ctx, "staff-17", "billing", &clerk), PRIVACY_OK);
    for (int i = 0; i < N_SUBJECTS; i++) {
        char name[64], email[64], *got = NULL, *found = NULL;
        subject_name(name, i);
        rt_email(email, i);
        int rc = privacy_subject_get(ctx, clerk, sub[i], "contact.name", "billing", &got);
        ck_assert_msg(rc == PRIVACY_OK, "subject %d: %s", i, privacy_errmsg(ctx));
        ck_assert_str_eq(got, name);
        rc = privacy_subject_find_by_email(ctx, clerk, email, "billing", &found);
        ck_assert_msg(rc == PRIVACY_OK, "subject %d: %s", i, privacy_errmsg(ctx));
        ck_assert_str_eq(found, sub[i]);
        privacy_free(got);
        privacy_free(found);
    }
    privacy_actor_free(clerk);
}

static void tally(wrap_tally *t, int rc, const char *id, uint32_t version)
{
    if (rc != PRIVACY_OK) {
        t->malformed++;
        return;
    }
    for (int i = 0; i < 3; i++) {
        if (version == 1 && strcmp(id, kek_id[i]) == 0) {
            t->by[i]++;
            return;
        }
    }
    t->other++;
}

static int tally_key(void *userdata, const privacy_record *r)
{
    char id[PRIVACY_KEY_ID_MAX + 1];
    uint32_t v = 0;
    int rc = prv_keystore_wrapped_by(r->id, r->body, r->body_len, id, &v);
    tally(userdata, rc, id, v);
    return 0;
}

static int tally_dek(void *userdata, const privacy_record *r)
{
    char id[PRIVACY_KEY_ID_MAX + 1];
    uint32_t v = 0;
    int rc = prv_dek_wrapped_by(r->id, r->body, r->body_len, id, &v);
    tally(userdata, rc, id, v);
    return 0;
}

/* Read through a bare store: looking needs no root key. */
wrap_tally rt_wraps(const tu_store *s)
{
    wrap_tally t;
    memset(&t, 0, sizeof t);
    prv_err err;
    prv_store *st;
    ck_assert_int_eq(prv_store_open(&st, s->backend, s->uri, 0, &err), PRIVACY_OK);
    ck_assert_int_eq(prv_store_scan(st, PRV_KEYS_COLLECTION, NULL, NULL, 0, tally_key, &t),
                     PRIVACY_OK);
    ck_assert_int_eq(prv_store_scan(st, PRV_DEK_COLLECTION, NULL, NULL, 0, tally_dek, &t),
                     PRIVACY_OK);
    prv_store_close(st, 0);
    ck_assert_int_eq(t.malformed, 0);
    ck_assert_int_eq(t.other, 0);
    return t;
}

static int note_entry(void *userdata, const privacy_record *r)
{
    rt_rotate_entries *e = userdata;
    prv_audit_entry a;
    ck_assert_int_eq(prv_audit_decode(r->body, r->body_len, &a), PRIVACY_OK);
    if (a.field_len[PRV_AF_ACTION] != 11 ||
        memcmp(a.field[PRV_AF_ACTION], "keys.rotate", 11) != 0)
        return 0;
    e->n++;
    e->outcome = a.outcome;
    snprintf(e->object, sizeof e->object, "%.*s", (int)a.field_len[PRV_AF_OBJECT],
             a.field[PRV_AF_OBJECT] != NULL ? a.field[PRV_AF_OBJECT] : "");
    return 0;
}

rt_rotate_entries rt_entries(privacy_ctx *ctx)
{
    rt_rotate_entries e;
    memset(&e, 0, sizeof e);
    ck_assert_int_eq(
        prv_store_scan(ctx->store, PRV_AUDIT_COLLECTION, NULL, NULL, 0, note_entry, &e),
        PRIVACY_OK);
    return e;
}
