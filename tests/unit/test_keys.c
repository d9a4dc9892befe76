/* Root keys and working keys: key files and their refusals (R22), wrong
 * root keys, rotation order, keyrings, a separate keystore, and that no
 * key is ever stored unwrapped (R19). */
#include <check.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/context.h"
#include "crypto/keystore.h"
#include "test_keyring.h"
#include "testutil.h"

static tu_store S;
static char *keyfile;

static void setup(void)
{
    tu_store_setup(&S);
    keyfile = tu_path(S.dir, "root.key");
}

static void teardown(void)
{
    free(keyfile);
    tu_store_teardown(&S);
}

static void assert_msg(int rc, int want, const char *needle)
{
    ck_assert_int_eq(rc, want);
    ck_assert_msg(strstr(privacy_errmsg(NULL), needle) != NULL, "'%s' lacks '%s'",
                  privacy_errmsg(NULL), needle);
}

/* Opens uri with the given root keys (raw), in order. */
static int open_with_keys(privacy_ctx **ctx, uint8_t (*keys)[32], int n)
{
    privacy_config *cfg;
    ck_assert_int_eq(privacy_config_new(&cfg), PRIVACY_OK);
    ck_assert_int_eq(privacy_config_set_storage(cfg, S.uri), PRIVACY_OK);
    for (int i = 0; i < n; i++)
        ck_assert_int_eq(privacy_config_set_root_key(cfg, keys[i], 32), PRIVACY_OK);
    int rc = privacy_open(ctx, cfg);
    privacy_config_free(cfg);
    return rc;
}

static void write_file(const char *path, const void *data, size_t n, mode_t mode)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(data, 1, n, f), n);
    fclose(f);
    ck_assert_int_eq(chmod(path, mode), 0);
}

START_TEST(test_keys_keyfile_create_is_0600_random_and_never_overwrites)
{
    ck_assert_int_eq(privacy_keyfile_create(keyfile), PRIVACY_OK);
    struct stat sb;
    ck_assert_int_eq(stat(keyfile, &sb), 0);
    ck_assert_int_eq(sb.st_mode & 07777, 0600);
    ck_assert_int_eq(sb.st_size, PRIVACY_ROOT_KEY_BYTES);
    char *copy = tu_path(S.dir, "copy");
    ck_assert_int_eq(tu_copy_file(keyfile, copy), 0);
    assert_msg(privacy_keyfile_create(keyfile), PRIVACY_E_EXISTS, "never overwritten");
    ck_assert(tu_same_file(keyfile, copy));
    char *second = tu_path(S.dir, "second.key");
    ck_assert_int_eq(privacy_keyfile_create(second), PRIVACY_OK);
    ck_assert(!tu_same_file(keyfile, second));
    assert_msg(privacy_keyfile_create(NULL), PRIVACY_E_INVALID, "NULL or empty");
    assert_msg(privacy_keyfile_create(""), PRIVACY_E_INVALID, "NULL or empty");
    assert_msg(privacy_keyfile_create("/nonexistent-dir/k"), PRIVACY_E_STORAGE, "cannot create");
    free(copy);
    free(second);
}
END_TEST

/* Every refused key file leaves the configuration without a root key. */
static void assert_keyfile_refused(const char *path, const char *needle)
{
    privacy_config *cfg;
    ck_assert_int_eq(privacy_config_new(&cfg), PRIVACY_OK);
    ck_assert_int_eq(privacy_config_set_storage(cfg, S.uri), PRIVACY_OK);
    assert_msg(privacy_config_add_root_key_file(cfg, path), PRIVACY_E_INVALID, needle);
    privacy_ctx *ctx = NULL;
    assert_msg(privacy_open(&ctx, cfg), PRIVACY_E_INVALID, "R22: no root key configured");
    ck_assert(!tu_store_exists(&S));
    privacy_config_free(cfg);
}

START_TEST(test_keys_R22_unsafe_key_files_refused)
{
    uint8_t key[33];
    randombytes_buf(key, sizeof key);
    char *p = tu_path(S.dir, "k");
    assert_keyfile_refused(p, "cannot open key file");
    write_file(p, key, 32, 0640);
    assert_keyfile_refused(p, "accessible to group or others (mode 0640)");
    ck_assert_int_eq(chmod(p, 0604), 0);
    assert_keyfile_refused(p, "accessible to group or others (mode 0604)");
    write_file(p, key, 31, 0600);
    assert_keyfile_refused(p, "holds 31 bytes; a root key is 32 bytes");
    write_file(p, key, 33, 0600);
    assert_keyfile_refused(p, "holds 33 bytes");
    write_file(p, key, 0, 0600);
    assert_keyfile_refused(p, "holds 0 bytes");
    write_file(p, key, 32, 0600);
    char *link = tu_path(S.dir, "link");
    ck_assert_int_eq(symlink(p, link), 0);
    assert_keyfile_refused(link, "is a symlink");
    assert_keyfile_refused(S.dir, "not a regular file");
    if (geteuid() == 0) {
        ck_assert_int_eq(chown(p, 65534, 65534), 0);
        assert_keyfile_refused(p, "owned by another user");
    } else {
        assert_keyfile_refused("/etc/passwd", "owned by another user");
    }
    free(p);
    free(link);
}
END_TEST

START_TEST(test_keys_config_arguments)
{
    uint8_t key[32] = { 1 };
    privacy_config *cfg;
    ck_assert_int_eq(privacy_config_new(&cfg), PRIVACY_OK);
    assert_msg(privacy_config_set_root_key(NULL, key, 32), PRIVACY_E_INVALID, "NULL");
    assert_msg(privacy_config_set_root_key(cfg, NULL, 32), PRIVACY_E_INVALID, "NULL");
    assert_msg(privacy_config_set_root_key(cfg, key, 16), PRIVACY_E_INVALID, "32 bytes, not 16");
    assert_msg(privacy_config_add_root_key_file(cfg, NULL), PRIVACY_E_INVALID, "NULL");
    assert_msg(privacy_config_add_root_key_file(NULL, keyfile), PRIVACY_E_INVALID, "NULL");
    assert_msg(privacy_config_set_keystore(NULL, S.uri), PRIVACY_E_INVALID, "NULL");
    assert_msg(privacy_config_set_keystore(cfg, "mysql://k"), PRIVACY_E_INVALID, "unsupported");
    ck_assert_int_eq(privacy_config_set_keystore(cfg, NULL), PRIVACY_OK);
    privacy_config_free(cfg);
}
END_TEST

START_TEST(test_keys_key_file_opens_the_store)
{
    ck_assert_int_eq(privacy_keyfile_create(keyfile), PRIVACY_OK);
    for (int round = 0; round < 2; round++) { /* create, then reopen */
        privacy_config *cfg;
        ck_assert_int_eq(privacy_config_new(&cfg), PRIVACY_OK);
        ck_assert_int_eq(privacy_config_set_storage(cfg, S.uri), PRIVACY_OK);
        ck_assert_int_eq(privacy_config_add_root_key_file(cfg, keyfile), PRIVACY_OK);
        privacy_ctx *ctx;
        ck_assert_int_eq(privacy_open(&ctx, cfg), PRIVACY_OK);
        privacy_close(ctx);
        privacy_config_free(cfg);
    }
}
END_TEST

START_TEST(test_keys_R22_wrong_root_key_refused_untouched)
{
    uint8_t keys[2][32];
    randombytes_buf(keys, sizeof keys);
    privacy_ctx *ctx;
    ck_assert_int_eq(open_with_keys(&ctx, &keys[0], 1), PRIVACY_OK);
    privacy_close(ctx);
    uint8_t before[32], after[32];
    tu_store_digest(&S, before);
    ctx = NULL;
    assert_msg(open_with_keys(&ctx, &keys[1], 1), PRIVACY_E_CRYPTO, "R22: wrong root key");
    ck_assert_ptr_null(ctx);
    tu_store_digest(&S, after);
    ck_assert_mem_eq(before, after, sizeof before);
}
END_TEST

START_TEST(test_keys_last_added_root_key_is_primary)
{
    uint8_t keys[2][32];
    randombytes_buf(keys, sizeof keys);
    privacy_ctx *ctx;
    ck_assert_int_eq(open_with_keys(&ctx, keys, 2), PRIVACY_OK); /* wraps with keys[1] */
    privacy_close(ctx);
    ck_assert_int_eq(open_with_keys(&ctx, &keys[1], 1), PRIVACY_OK);
    privacy_close(ctx);
    assert_msg(open_with_keys(&ctx, &keys[0], 1), PRIVACY_E_CRYPTO, "wrong root key");
}
END_TEST

/* The working keys are random per store, shared by every context of one
 * store, and never stored in the clear; neither is the root key. */
START_TEST(test_keys_R19_working_keys_stored_only_wrapped)
{
    privacy_ctx *a, *b, *other;
    ck_assert_int_eq(tu_open(&a, S.uri), PRIVACY_OK);
    ck_assert_int_eq(tu_open(&b, S.uri), PRIVACY_OK);
    tu_store other_store;
    tu_store_sibling(&S, "other", &other_store);
    ck_assert_int_eq(tu_open(&other, other_store.uri), PRIVACY_OK);
    uint8_t seen[PRV_KEY_COUNT][PRV_WORKING_KEY_BYTES];
    for (int p = 0; p < PRV_KEY_COUNT; p++) {
        uint32_t va, vb;
        const unsigned char *ka = prv_keystore_key(a->keys, p, &va);
        ck_assert_mem_eq(ka, prv_keystore_key(b->keys, p, &vb), PRV_WORKING_KEY_BYTES);
        ck_assert_int_eq(va, 1);
        ck_assert_int_eq(vb, 1);
        ck_assert(memcmp(ka, prv_keystore_key(other->keys, p, NULL), PRV_WORKING_KEY_BYTES) != 0);
        memcpy(seen[p], ka, PRV_WORKING_KEY_BYTES);
        for (int q = 0; q < p; q++)
            ck_assert(memcmp(seen[q], ka, PRV_WORKING_KEY_BYTES) != 0);
    }
    /* Check the store while the contexts are open (on SQLite the WAL still
     * holds the writes), then after. */
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1) {
            privacy_close(a);
            privacy_close(b);
        }
        for (int p = 0; p < PRV_KEY_COUNT; p++)
            ck_assert(!tu_store_contains(&S, seen[p], PRV_WORKING_KEY_BYTES));
        ck_assert(!tu_store_contains(&S, tu_root_key, sizeof tu_root_key));
    }
    privacy_close(other);
}
END_TEST

START_TEST(test_keys_R22_tampered_key_record_refused)
{
    privacy_ctx *ctx;
    ck_assert_int_eq(tu_open(&ctx, S.uri), PRIVACY_OK);
    privacy_close(ctx);
    /* Flip the last byte (inside the tag) of the audit key's record. */
    tu_flip_body_byte(&S, "keys", "wk.audit.1", -1);
    ctx = NULL;
    assert_msg(tu_open(&ctx, S.uri), PRIVACY_E_INTEGRITY, "'wk.audit.1' does not authenticate");
    ck_assert_int_eq(tu_set_body(&S, "keys", "wk.audit.1", "", 1), 1); /* one zero byte */
    assert_msg(tu_open(&ctx, S.uri), PRIVACY_E_INTEGRITY, "'wk.audit.1' is malformed");
    ck_assert_int_eq(
        tu_sql(&S, "DELETE FROM records WHERE collection = 'keys' AND id = 'wk.audit.1'"), 1);
    /* A lost key is never replaced silently: a new audit or integrity key
     * would hide tampering with what the old one protected. */
    assert_msg(tu_open(&ctx, S.uri), PRIVACY_E_INTEGRITY,
               "the audit key is missing from the keystore");
}
END_TEST

START_TEST(test_keys_separate_keystore_holds_the_keys)
{
    tu_store keystore;
    tu_store_sibling(&S, "keys", &keystore);
    privacy_config *cfg;
    ck_assert_int_eq(tu_config_new(&cfg), PRIVACY_OK);
    ck_assert_int_eq(privacy_config_set_storage(cfg, S.uri), PRIVACY_OK);
    ck_assert_int_eq(privacy_config_set_keystore(cfg, keystore.uri), PRIVACY_OK);
    privacy_ctx *ctx;
    ck_assert_int_eq(privacy_open(&ctx, cfg), PRIVACY_OK);
    privacy_close(ctx);
    ck_assert_int_eq(tu_count_rows(&keystore, "collection = 'keys'"), PRV_KEY_COUNT);
    ck_assert_int_eq(tu_count_rows(&S, "collection = 'keys'"), 0);
    ck_assert_int_eq(privacy_open(&ctx, cfg), PRIVACY_OK); /* and reopens */
    privacy_close(ctx);
    privacy_config_free(cfg);
}
END_TEST

/* ---- a keyring: the root key held by "someone else" ---- */

static int open_with_ring(privacy_ctx **ctx, tu_ring *r)
{
    privacy_keyring kr = tu_keyring(r);
    privacy_config *cfg;
    ck_assert_int_eq(privacy_config_new(&cfg), PRIVACY_OK);
    ck_assert_int_eq(privacy_config_set_storage(cfg, S.uri), PRIVACY_OK);
    int rc = privacy_config_set_keyring(cfg, &kr);
    if (rc == PRIVACY_OK)
        rc = privacy_open(ctx, cfg);
    privacy_config_free(cfg);
    return rc;
}

START_TEST(test_keys_keyring_wraps_and_unwraps)
{
    tu_ring r = { .id = "kms:shop/root", .version = 7 };
    randombytes_buf(r.key, sizeof r.key);
    privacy_ctx *ctx;
    /* An unreachable key service is an outage, not tampering; and a store
     * whose keys could not be wrapped holds none. */
    r.fail_wrap = 1;
    assert_msg(open_with_ring(&ctx, &r), PRIVACY_E_STORAGE, "keyring: wrap failed");
    ck_assert_int_eq(tu_count_rows(&S, "collection = 'keys'"), 0);
    r.fail_wrap = 0;
    ck_assert_int_eq(open_with_ring(&ctx, &r), PRIVACY_OK);
    privacy_close(ctx);
    /* An existing store needs no wrapping: no remote call per open. */
    r.wraps = 0;
    ck_assert_int_eq(open_with_ring(&ctx, &r), PRIVACY_OK);
    privacy_close(ctx);
    ck_assert_int_eq(r.wraps, 0);
    r.fail_unwrap = 1;
    assert_msg(open_with_ring(&ctx, &r), PRIVACY_E_STORAGE, "keyring: unwrap failed");
    r.fail_unwrap = 0;
    tu_ring other = r;
    other.id = "kms:shop/other";
    assert_msg(open_with_ring(&ctx, &other), PRIVACY_E_CRYPTO, "wrong root key");
    tu_ring liar = r; /* same id, different key: the wrap does not authenticate */
    randombytes_buf(liar.key, sizeof liar.key);
    assert_msg(open_with_ring(&ctx, &liar), PRIVACY_E_INTEGRITY, "does not authenticate");
}
END_TEST

/* Regression: an emptied or mistaken keystore once passed for a new one,
 * accepting any root key and silently replacing every working key. */
START_TEST(test_keys_R22_emptied_keystore_refused)
{
    uint8_t other[1][32];
    randombytes_buf(other, sizeof other);
    privacy_ctx *ctx;
    ck_assert_int_eq(tu_open(&ctx, S.uri), PRIVACY_OK);
    privacy_close(ctx);
    ck_assert_int_gt(tu_sql(&S, "DELETE FROM records WHERE collection = 'keys'"), 0);
    assert_msg(open_with_keys(&ctx, other, 1), PRIVACY_E_CRYPTO, "the keystore holds no keys");
    assert_msg(tu_open(&ctx, S.uri), PRIVACY_E_CRYPTO, "the keystore holds no keys");
    ck_assert_int_eq(tu_count_rows(&S, "collection = 'keys'"), 0);
}
END_TEST

START_TEST(test_keys_R22_wrong_keystore_refused)
{
    tu_store k1, k2, other;
    tu_store_sibling(&S, "keys1", &k1);
    tu_store_sibling(&S, "keys2", &k2);
    tu_store_sibling(&S, "other", &other);
    privacy_config *cfg;
    privacy_ctx *ctx;
    ck_assert_int_eq(tu_config_new(&cfg), PRIVACY_OK);
    ck_assert_int_eq(privacy_config_set_storage(cfg, S.uri), PRIVACY_OK);
    ck_assert_int_eq(privacy_config_set_keystore(cfg, k1.uri), PRIVACY_OK);
    ck_assert_int_eq(privacy_open(&ctx, cfg), PRIVACY_OK);
    privacy_close(ctx);
    /* A mistyped keystore path: a new, empty keystore. */
    ck_assert_int_eq(privacy_config_set_keystore(cfg, k2.uri), PRIVACY_OK);
    assert_msg(privacy_open(&ctx, cfg), PRIVACY_E_CRYPTO, "the keystore holds no keys");
    /* Another store's keystore (same root key): its keys are not ours. */
    ck_assert_int_eq(privacy_config_set_storage(cfg, other.uri), PRIVACY_OK);
    ck_assert_int_eq(privacy_open(&ctx, cfg), PRIVACY_OK); /* other with keys2 */
    privacy_close(ctx);
    ck_assert_int_eq(privacy_config_set_storage(cfg, S.uri), PRIVACY_OK);
    assert_msg(privacy_open(&ctx, cfg), PRIVACY_E_CRYPTO, "belong to another store");
    privacy_config_free(cfg);
}
END_TEST

/* A key record copied from another store (same root key) does not unwrap:
 * the key set is bound into the wrap. */
START_TEST(test_keys_R22_key_from_another_store_refused)
{
    tu_store other;
    tu_store_sibling(&S, "other", &other);
    privacy_ctx *ctx;
    ck_assert_int_eq(tu_open(&ctx, S.uri), PRIVACY_OK);
    privacy_close(ctx);
    ck_assert_int_eq(tu_open(&ctx, other.uri), PRIVACY_OK);
    privacy_close(ctx);
    size_t len;
    uint8_t *theirs = tu_body(&other, "keys", "wk.audit.1", &len);
    ck_assert_ptr_nonnull(theirs);
    ck_assert_int_eq(tu_set_body(&S, "keys", "wk.audit.1", theirs, len), 1);
    free(theirs);
    assert_msg(tu_open(&ctx, S.uri), PRIVACY_E_INTEGRITY, "another store's key set");
}
END_TEST

START_TEST(test_keys_fifo_key_file_refused_without_hanging)
{
    char *p = tu_path(S.dir, "fifo");
    ck_assert_int_eq(mkfifo(p, 0600), 0);
    assert_keyfile_refused(p, "not a regular file");
    free(p);
}
END_TEST

START_TEST(test_keys_keyring_registration_rules)
{
    tu_ring r = { .id = "kms:shop/root" };
    privacy_keyring kr = tu_keyring(&r);
    kr.version = 2;
    privacy_config *cfg;
    ck_assert_int_eq(privacy_config_new(&cfg), PRIVACY_OK);
    assert_msg(privacy_config_set_keyring(cfg, &kr), PRIVACY_E_VERSION,
               "keyring version 2 is not supported; this library knows versions 1 to 1");
    kr.version = 1;
    privacy_keyring full = kr;
    kr.unwrap = NULL;
    assert_msg(privacy_config_set_keyring(cfg, &kr), PRIVACY_E_INVALID, "member 'unwrap' is NULL");
    kr.unwrap = full.unwrap;
    r.id = "has space";
    assert_msg(privacy_config_set_keyring(cfg, &kr), PRIVACY_E_INVALID, "printable ASCII");
    assert_msg(privacy_config_set_keyring(NULL, &kr), PRIVACY_E_INVALID, "NULL");
    assert_msg(privacy_config_set_keyring(cfg, NULL), PRIVACY_E_INVALID, "NULL");
    privacy_config_free(cfg);
}
END_TEST

static Suite *keys_suite(void)
{
    Suite *s = suite_create("keys");
    TCase *tc = tcase_create("keys");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_keys_keyfile_create_is_0600_random_and_never_overwrites);
    tcase_add_test(tc, test_keys_R22_unsafe_key_files_refused);
    tcase_add_test(tc, test_keys_config_arguments);
    tcase_add_test(tc, test_keys_key_file_opens_the_store);
    tcase_add_test(tc, test_keys_R22_wrong_root_key_refused_untouched);
    tcase_add_test(tc, test_keys_last_added_root_key_is_primary);
    tcase_add_test(tc, test_keys_R19_working_keys_stored_only_wrapped);
    tcase_add_test(tc, test_keys_R22_tampered_key_record_refused);
    tcase_add_test(tc, test_keys_separate_keystore_holds_the_keys);
    tcase_add_test(tc, test_keys_keyring_wraps_and_unwraps);
    tcase_add_test(tc, test_keys_keyring_registration_rules);
    tcase_add_test(tc, test_keys_R22_emptied_keystore_refused);
    tcase_add_test(tc, test_keys_R22_wrong_keystore_refused);
    tcase_add_test(tc, test_keys_R22_key_from_another_store_refused);
    tcase_add_test(tc, test_keys_fifo_key_file_refused_without_hanging);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(keys_suite());
}
