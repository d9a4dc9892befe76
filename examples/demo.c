/* libprivacy demo: what the library does so far. Later versions extend it
 * as capabilities land (consent, subjects, cookies, orders, requests).
 *
 *   demo [DIRECTORY]   keeps its files in DIRECTORY (default: a new
 *                      temporary directory, removed at the end)
 */
#define _POSIX_C_SOURCE 200809L /* mkdtemp, unlink, rmdir */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <privacy/privacy.h>

static int check(int rc, const privacy_ctx *ctx, const char *what)
{
    if (rc != PRIVACY_OK)
        fprintf(stderr, "demo: %s failed: %s\n      %s\n", what, privacy_strerror(rc),
                privacy_errmsg(ctx));
    return rc;
}

/* Shows a refusal: the code, and the message that says what was wrong. */
static void show_refusal(const char *what, int rc, const privacy_ctx *ctx)
{
    printf("  %-44s -> %s\n  %-44s    \"%s\"\n", what, privacy_strerror(rc), "",
           privacy_errmsg(ctx));
}

/* A subject whose email is stored encrypted (R19), found again by email,
 * read by a role that may (billing) while one that may not (marketing) is
 * refused with its rule (R20); every access recorded and the audit log
 * verified (R21). */
static int show_subjects_and_audit(privacy_ctx *ctx)
{
    privacy_actor *shop = NULL, *clerk = NULL, *marketer = NULL;
    char *sub = NULL, *found = NULL, *email = NULL, *refused = NULL, *checkpoint = NULL;
    const char *const why[] = { "billing", "fulfilment" };
    int rc = check(privacy_actor_new(ctx, "svc-web", "storefront", &shop), ctx, "actor");
    if (rc == PRIVACY_OK)
        rc = check(privacy_actor_new(ctx, "staff-17", "billing", &clerk), ctx, "actor");
    if (rc == PRIVACY_OK)
        rc = check(privacy_actor_new(ctx, "staff-42", "marketing", &marketer), ctx, "actor");
    if (rc == PRIVACY_OK)
        rc = check(privacy_subject_create(ctx, shop, "order", &sub), ctx,
                   "privacy_subject_create");
    if (rc == PRIVACY_OK)
        rc = check(privacy_subject_set(ctx, shop, sub, "contact.email", "Zo\xc3\xab@B\xc3\xbc"
                                       "cher.example", why, 2),
                   ctx, "privacy_subject_set");
    if (rc != PRIVACY_OK)
        goto done;
    printf("subjects (R19: each field encrypted under the subject's own key):\n");
    printf("  %s created from an order; its email stored for billing and fulfilment\n", sub);
    if ((rc = check(privacy_subject_find_by_email(ctx, clerk, "ZOE\xcc\x88@xn--bcher-kva.example",
                                                  "billing", &found),
                    ctx, "privacy_subject_find_by_email")) != PRIVACY_OK)
        goto done;
    printf("  found again by another spelling of the address: %s\n", found);
    if ((rc = check(privacy_subject_get(ctx, clerk, sub, "contact.email", "billing", &email), ctx,
                    "privacy_subject_get")) != PRIVACY_OK)
        goto done;
    printf("  staff-17 (billing) reads it for billing: %s\n", email);
    show_refusal("staff-42 (marketing) reads it for fulfilment",
                 privacy_subject_get(ctx, marketer, sub, "contact.email", "fulfilment", &refused),
                 ctx);
    printf("  policy alone: may marketing read contact.shipping_address for fulfilment? %s\n",
           privacy_policy_check(ctx, "marketing", "read", "contact.shipping_address",
                                "fulfilment", NULL) == PRIVACY_OK ? "yes" : "no");
    if ((rc = check(privacy_audit_checkpoint(ctx, &checkpoint), ctx,
                    "privacy_audit_checkpoint")) != PRIVACY_OK)
        goto done;
    if ((rc = check(privacy_audit_verify(ctx, checkpoint), ctx, "privacy_audit_verify")) !=
        PRIVACY_OK)
        goto done;
    printf("audit log (R21): every access above recorded, allowed or refused; verified against"
           " checkpoint %.20s...\n\n",
           checkpoint);
done:
    privacy_free(checkpoint);
    privacy_free(email);
    privacy_free(refused);
    privacy_free(found);
    privacy_free(sub);
    privacy_actor_free(shop);
    privacy_actor_free(clerk);
    privacy_actor_free(marketer);
    return rc;
}

int main(int argc, char **argv)
{
    char tmpl[] = "/tmp/privacy-demo-XXXXXX";
    const char *dir = argc > 1 ? argv[1] : mkdtemp(tmpl);
    if (dir == NULL) {
        perror("demo: mkdtemp");
        return 1;
    }
    char uri[4200], foreign[4200], keyfile[4200], otherkey[4200];
    snprintf(uri, sizeof uri, "sqlite:%s/shop.db", dir);
    snprintf(foreign, sizeof foreign, "%s/orders.csv", dir);
    snprintf(keyfile, sizeof keyfile, "%s/root.key", dir);
    snprintf(otherkey, sizeof otherkey, "%s/other.key", dir);

    printf("libprivacy %s\n\n", privacy_version());

    /* 1. A root key in a file of its own (mode 0600), kept apart from the
     *    data (R19). A real shop makes it once: privacyctl keyfile create. */
    privacy_config *cfg = NULL;
    privacy_ctx *ctx = NULL;
    int rc = access(keyfile, F_OK) == 0 ? PRIVACY_OK
                                        : check(privacy_keyfile_create(keyfile), NULL,
                                                "privacy_keyfile_create");

    /* 2. Configure and open: the store is created (mode 0600, WAL,
     *    synchronous=FULL), its schema migrated, and its working keys made
     *    and stored wrapped by the root key. */
    if (rc == PRIVACY_OK)
        rc = check(privacy_config_new(&cfg), NULL, "privacy_config_new");
    if (rc == PRIVACY_OK)
        rc = check(privacy_config_set_storage(cfg, uri), NULL, "privacy_config_set_storage");
    if (rc == PRIVACY_OK)
        rc = check(privacy_config_add_root_key_file(cfg, keyfile), NULL,
                   "privacy_config_add_root_key_file");
    if (rc == PRIVACY_OK)
        rc = check(privacy_open(&ctx, cfg), NULL, "privacy_open");
    if (rc != PRIVACY_OK)
        goto done;
    printf("opened %s\n", uri);

    int64_t now = 0;
    if ((rc = check(privacy_now(ctx, &now), ctx, "privacy_now")) != PRIVACY_OK)
        goto done;
    printf("the context's clock reads %lld us since the epoch\n", (long long)now);

    /* 3. A transaction groups calls: all land or none. */
    if ((rc = check(privacy_begin(ctx), ctx, "privacy_begin")) != PRIVACY_OK)
        goto done;
    if ((rc = check(privacy_commit(ctx), ctx, "privacy_commit")) != PRIVACY_OK)
        goto done;
    printf("a transaction began and committed\n\n");

    if ((rc = show_subjects_and_audit(ctx)) != PRIVACY_OK)
        goto done;

    /* 5. Bad input gets a code and a message, and changes nothing. */
    printf("refusals (R22: fail closed, clear error, nothing changed):\n");
    show_refusal("commit with no transaction open", privacy_commit(ctx), ctx);
    show_refusal("storage URI with an unknown option",
                 privacy_config_set_storage(cfg, "sqlite:/tmp/x.db?journal=off"), NULL);
    show_refusal("storage scheme this build lacks",
                 privacy_config_set_storage(cfg, "mysql://shop"), NULL);
    FILE *f = fopen(foreign, "w");
    if (f != NULL) {
        fputs("order,total\n1001,19.90\n", f);
        fclose(f);
        char furi[4300];
        snprintf(furi, sizeof furi, "sqlite:%s", foreign);
        privacy_ctx *other = NULL;
        rc = privacy_config_set_storage(cfg, furi);
        if (rc == PRIVACY_OK)
            rc = privacy_open(&other, cfg);
        show_refusal("open a file that is not a libprivacy store", rc, NULL);
        privacy_close(other);
        unlink(foreign);
    }
    show_refusal("a NULL context", privacy_begin(NULL), NULL);

    /* Keys (R22): open fails closed without the right root key. */
    privacy_config *bare = NULL;
    if (privacy_config_new(&bare) == PRIVACY_OK &&
        privacy_config_set_storage(bare, uri) == PRIVACY_OK) {
        privacy_ctx *other = NULL;
        show_refusal("open without a root key", privacy_open(&other, bare), NULL);
        if (privacy_keyfile_create(otherkey) == PRIVACY_OK &&
            privacy_config_add_root_key_file(bare, otherkey) == PRIVACY_OK)
            show_refusal("open with another store's root key", privacy_open(&other, bare),
                         NULL);
        privacy_close(other);
        chmod(otherkey, 0644);
        show_refusal("a root key file others can read",
                     privacy_config_add_root_key_file(bare, otherkey), NULL);
        unlink(otherkey);
    }
    privacy_config_free(bare);
    rc = PRIVACY_OK;

done:
    privacy_close(ctx);
    privacy_config_free(cfg);
    if (argc <= 1) {
        char path[4300];
        static const char *const files[] = { "shop.db", "shop.db-wal", "shop.db-shm",
                                             "root.key" };
        for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
            snprintf(path, sizeof path, "%s/%s", dir, files[i]);
            unlink(path);
        }
        rmdir(dir);
    }
    printf("\n%s\n", rc == PRIVACY_OK ? "demo finished" : "demo FAILED");
    return rc == PRIVACY_OK ? 0 : 1;
}
