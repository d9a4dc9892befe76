/* Policy: the compiled-in default document's decisions for every role,
 * the rules they encode, argument checks, lazily rendered refusals,
 * allocation failures at every step of compiling a document, and replacing
 * a context's or a configuration's policy. The validation tests live in
 * policy_validation.c and run in this suite. Documents are written with
 * single quotes (doc() turns them into JSON). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/context.h"
#include "policy/compiled.h"
#include "policy/policy.h"
#include "privacy/privacy.h"
#include "policy_testlib.h"
#include "testutil.h"

static tu_store S;
static privacy_ctx *ctx;

static void setup(void)
{
    tu_store_setup(&S);
    ck_assert_int_eq(tu_open(&ctx, S.uri), PRIVACY_OK);
}

static void teardown(void)
{
    prv_alloc_fault(0, 0);
    privacy_close(ctx);
    ctx = NULL;
    tu_store_teardown(&S);
}

static int check(const char *role, const char *action, const char *cat, const char *purpose,
                 const char *recipient)
{
    return privacy_policy_check(ctx, role, action, cat, purpose, recipient);
}

static void denied_with(const char *msg, const char *role, const char *action, const char *cat,
                        const char *purpose, const char *recipient)
{
    ck_assert_int_eq(check(role, action, cat, purpose, recipient), PRIVACY_E_DENIED);
    ck_assert_str_eq(privacy_errmsg(ctx), msg);
}

/* ---- the default document (POLICY.md) ---- */

START_TEST(test_policy_base_document_is_valid)
{
    char msg[PRIVACY_ERRMSG_MAX];
    char *d = doc(BASE);
    ck_assert_int_eq(compile_len(d, strlen(d), msg), PRIVACY_OK);
    ck_assert_str_eq(msg, "");
    free(d);
}
END_TEST

START_TEST(test_policy_default_document_encodes_policy_md)
{
    static const char *const need[][16] = {
        { "contact.name", "contact.email", "contact.phone", "contact.shipping_address",
          "demographic.postcode", "demographic.age_band", "survey.answers",
          "order.card_summary" },
        { "billing", "customer_service", "fulfilment", "marketing", "analyst",
          "privacy_officer" },
        { "billing", "fulfilment", "order_problem_contact", "support_response", "marketing_email",
          "product_follow_up", "policy_change_notice", "contest_prize", "survey_improvement",
          "analytics", "targeting", "subject_rights", "legal_retention" },
        { "carrier", "payment_processor" },
        { "session", "preferences", "analytics", "targeting" }, /* R10 */
    };
    static const int sec[] = { PRV_SEC_CATEGORIES, PRV_SEC_ROLES, PRV_SEC_PURPOSES,
                               PRV_SEC_RECIPIENTS, PRV_SEC_COOKIES };
    const prv_policy *pol = ctx->policy;
    for (size_t s = 0; s < 5; s++) {
        for (size_t i = 0; need[s][i] != NULL; i++) {
            const prv_pindex *ix = &pol->index[sec[s]];
            int found = 0;
            for (uint32_t k = 0; k < ix->n; k++)
                found |= strcmp(ix->names[k].s, need[s][i]) == 0;
            ck_assert_msg(found, "default document lacks '%s'", need[s][i]);
        }
    }
    /* R11: only the session cookie goes without consent. */
    const prv_pindex *ck = &pol->index[PRV_SEC_COOKIES];
    for (uint32_t k = 0; k < ck->n; k++)
        ck_assert_int_eq(pol->cookie_necessary[k], strcmp(ck->names[k].s, "session") == 0);
    /* R4: both recipients are processors. */
    for (uint32_t k = 0; k < pol->index[PRV_SEC_RECIPIENTS].n; k++)
        ck_assert_int_eq(pol->recipient_type[k], 0);
}
END_TEST

/* What POLICY.md lets each role do (R20), as rows of the cross product
 * actions x categories x purposes (x recipient, to disclose). */
typedef struct allow_row {
    const char *role, *actions; /* "r", "w", "d" */
    const char *cats[9];
    const char *purposes[4];
    const char *recipient;
} allow_row;

#define NAME "contact.name"
#define EMAIL "contact.email"
#define PHONE "contact.phone"
#define SHIP "contact.shipping_address"
#define CARD "order.card_summary"
#define SURVEY "demographic.postcode", "demographic.age_band", "survey.answers"

static const allow_row allowed[] = {
    { "billing", "rw", { NAME, EMAIL, SHIP, CARD }, { "billing" }, NULL },
    { "billing", "r", { CARD }, { "legal_retention" }, NULL },                  /* R18 */
    { "billing", "d", { NAME, CARD }, { "billing" }, "payment_processor" },     /* R4 */
    { "customer_service", "rw", { NAME, EMAIL, PHONE }, { "support_response" }, NULL },
    { "customer_service", "r", { NAME, EMAIL, SHIP }, { "order_problem_contact" }, NULL }, /* R7 */
    { "customer_service", "r", { NAME, EMAIL }, { "contest_prize" }, NULL },   /* R14 */
    { "fulfilment", "r", { NAME, EMAIL, SHIP }, { "fulfilment" }, NULL },
    { "fulfilment", "r", { NAME, SHIP }, { "contest_prize" }, NULL },          /* R14 */
    { "fulfilment", "d", { NAME, SHIP }, { "fulfilment", "contest_prize" }, "carrier" }, /* R4 */
    { "marketing", "r", { EMAIL }, { "marketing_email", "product_follow_up" }, NULL }, /* R5, R8 */
    { "analyst", "r", { SURVEY }, { "survey_improvement" }, NULL },            /* R15 */
    { "privacy_officer", "rw", { NAME, EMAIL, PHONE, SHIP, SURVEY, CARD }, { "subject_rights" },
      NULL },                                                                  /* R16-R18 */
    { "privacy_officer", "r", { EMAIL }, { "policy_change_notice" }, NULL },   /* R5 */
    { "storefront", "w", { NAME, EMAIL, SHIP }, { "billing", "fulfilment", "order_problem_contact" },
      NULL },                                                                  /* R1, R7 */
    { "storefront", "w", { CARD }, { "billing", "legal_retention" }, NULL },   /* R9 */
    { "storefront", "w", { EMAIL }, { "marketing_email", "product_follow_up", "policy_change_notice" },
      NULL },                                                                  /* R5, R8 */
    { "storefront", "w", { NAME, EMAIL, PHONE }, { "support_response" }, NULL },
    { "storefront", "w", { NAME, EMAIL, SHIP }, { "contest_prize" }, NULL },   /* R13 */
    { "storefront", "w", { SURVEY }, { "survey_improvement" }, NULL },         /* R13 */
};

static int in_list(const char *const *list, size_t n, const char *s)
{
    for (size_t i = 0; i < n && list[i] != NULL; i++)
        if (strcmp(list[i], s) == 0)
            return 1;
    return 0;
}

static int expect_allowed(const char *role, char act, const char *cat, const char *purpose,
                          const char *recipient)
{
    for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++) {
        const allow_row *r = &allowed[i];
        if (strcmp(r->role, role) == 0 && strchr(r->actions, act) != NULL
            && in_list(r->cats, 9, cat) && in_list(r->purposes, 4, purpose)
            && (act != 'd' || strcmp(r->recipient, recipient) == 0))
            return 1;
    }
    return 0;
}

START_TEST(test_policy_R20_need_to_know_matrix_of_default_roles)
{
    static const char *const roles[] = { "billing", "customer_service", "fulfilment",
                                         "marketing", "analyst", "privacy_officer",
                                         "storefront" };
    static const char *const actions[] = { "read", "write", "disclose" };
    static const char *const recipients[] = { "carrier", "payment_processor" };
    const prv_policy *pol = ctx->policy;
    const prv_pindex *cats = &pol->index[PRV_SEC_CATEGORIES], *purs = &pol->index[PRV_SEC_PURPOSES];
    int n_allowed = 0, n_checked = 0;
    for (size_t r = 0; r < 7; r++)
        for (size_t a = 0; a < 3; a++)
            for (uint32_t c = 0; c < cats->n; c++)
                for (uint32_t p = 0; p < purs->n; p++)
                    for (size_t x = 0; x < (a == 2 ? 2u : 1u); x++) {
                        const char *rec = a == 2 ? recipients[x] : NULL;
                        const char *cn = cats->names[c].s, *pn = purs->names[p].s;
                        int want = expect_allowed(roles[r], actions[a][0], cn, pn, rec);
                        int rc = check(roles[r], actions[a], cn, pn, rec);
                        ck_assert_msg(rc == (want ? PRIVACY_OK : PRIVACY_E_DENIED),
                                      "%s %s %s for %s to %s: %d (%s)", roles[r], actions[a], cn,
                                      pn, rec ? rec : "-", rc, privacy_errmsg(ctx));
                        const char *msg = privacy_errmsg(ctx);
                        ck_assert(want ? msg[0] == '\0'
                                       : strncmp(msg, "R2: ", 4) == 0
                                             || strncmp(msg, "R20: ", 5) == 0
                                             || strncmp(msg, "R4: ", 4) == 0);
                        n_allowed += want;
                        n_checked++;
                    }
    ck_assert_int_eq(n_checked, 7 * 8 * 15 * 4);
    ck_assert_int_eq(n_allowed, 76);
}
END_TEST

START_TEST(test_policy_R20_marketing_cannot_read_shipping_address)
{
    denied_with("R20: role \"marketing\" may not read \"contact.shipping_address\" for"
                " \"fulfilment\" (no grant in roles[3])",
                "marketing", "read", SHIP, "fulfilment", NULL);
    denied_with("R20: role \"analyst\" may not read \"contact.email\" for \"marketing_email\""
                " (no grant in roles[4])",
                "analyst", "read", EMAIL, "marketing_email", NULL);
    denied_with("R20: role \"storefront\" may not read \"contact.email\" for \"billing\""
                " (no grant in roles[6])",
                "storefront", "read", EMAIL, "billing", NULL);
    ck_assert_int_eq(check("billing", "read", SHIP, "billing", NULL), PRIVACY_OK);
    ck_assert_str_eq(privacy_errmsg(ctx), "");
}
END_TEST

START_TEST(test_policy_R2_read_for_uncollected_purpose_denied)
{
    denied_with("R2: \"survey.answers\" is not collected for \"marketing_email\""
                " (categories[6].purposes)",
                "privacy_officer", "read", "survey.answers", "marketing_email", NULL);
    denied_with("R2: \"contact.phone\" is not collected for \"marketing_email\""
                " (categories[2].purposes)",
                "marketing", "read", PHONE, "marketing_email", NULL);
    /* R2 decides before R20, whoever asks. */
    denied_with("R2: \"order.card_summary\" is not collected for \"analytics\""
                " (categories[7].purposes)",
                "analyst", "read", CARD, "analytics", NULL);
}
END_TEST

START_TEST(test_policy_R4_disclose_only_to_declared_processor)
{
    ck_assert_int_eq(check("fulfilment", "disclose", SHIP, "fulfilment", "carrier"), PRIVACY_OK);
    ck_assert_int_eq(check("billing", "disclose", CARD, "billing", "payment_processor"),
                     PRIVACY_OK);
    denied_with("R4: recipient \"payment_processor\" is not declared for \"fulfilment\""
                " (recipients[1].purposes)",
                "fulfilment", "disclose", SHIP, "fulfilment", "payment_processor");
    denied_with("R20: role \"fulfilment\" may not disclose \"contact.email\" for \"fulfilment\""
                " (no grant in roles[2])",
                "fulfilment", "disclose", EMAIL, "fulfilment", "carrier");
    denied_with("R4: unknown recipient \"data_broker\" (not in recipients)", "billing",
                "disclose", CARD, "billing", "data_broker");
}
END_TEST

START_TEST(test_policy_R3_no_kind_for_sale)
{
    static const bad_case cases[] = {
        { "'kind':'direct_marketing'", "'kind':'sale'", PRIVACY_E_POLICY,
          "purposes[1].kind: \"sale\" cannot be expressed: personal data is never sold, rented"
          " or exchanged for advertising (R3)" },
        { "'kind':'direct_marketing'", "'kind':'rental'", PRIVACY_E_POLICY,
          "purposes[1].kind: \"rental\" cannot be expressed: personal data is never sold,"
          " rented or exchanged for advertising (R3)" },
        { "'kind':'direct_marketing'", "'kind':'advertising_exchange'", PRIVACY_E_POLICY,
          "purposes[1].kind: \"advertising_exchange\" cannot be expressed: personal data is"
          " never sold, rented or exchanged for advertising (R3)" },
        { "'type':'processor'", "'type':'buyer'", PRIVACY_E_POLICY,
          "recipients[0].type: unknown recipient type \"buyer\"" },
    };
    EXPECT_CASES(cases);
    /* Nor can the default policy be asked to sell. */
    denied_with("R22: unknown purpose \"sale\" (not in purposes)", "marketing", "disclose", EMAIL,
                "sale", "carrier");
}
END_TEST

START_TEST(test_policy_R5_R8_marketing_and_notices)
{
    ck_assert_int_eq(check("marketing", "read", EMAIL, "product_follow_up", NULL), PRIVACY_OK);
    ck_assert_int_eq(check("storefront", "write", EMAIL, "product_follow_up", NULL), PRIVACY_OK);
    ck_assert_int_eq(check("privacy_officer", "read", EMAIL, "policy_change_notice", NULL),
                     PRIVACY_OK);
    denied_with("R20: role \"marketing\" may not read \"contact.email\" for"
                " \"policy_change_notice\" (no grant in roles[3])",
                "marketing", "read", EMAIL, "policy_change_notice", NULL);
    denied_with("R2: \"contact.name\" is not collected for \"marketing_email\""
                " (categories[0].purposes)",
                "marketing", "read", NAME, "marketing_email", NULL);
    /* Direct marketing needs consent or a soft opt-in, nothing else. */
    static const bad_case cases[] = {
        { "'id':'news','basis':'consent'", "'id':'news','basis':'contract'", PRIVACY_E_POLICY,
          "purposes[1].basis: \"contract\" cannot apply to a purpose of kind \"direct_marketing\"" },
    };
    EXPECT_CASES(cases);
}
END_TEST

START_TEST(test_policy_R14_R15_contest_and_survey_data_bound)
{
    ck_assert_int_eq(check("fulfilment", "read", SHIP, "contest_prize", NULL), PRIVACY_OK);
    denied_with("R20: role \"marketing\" may not read \"contact.email\" for \"contest_prize\""
                " (no grant in roles[3])",
                "marketing", "read", EMAIL, "contest_prize", NULL);
    ck_assert_int_eq(check("analyst", "read", "survey.answers", "survey_improvement", NULL),
                     PRIVACY_OK);
    denied_with("R2: \"demographic.postcode\" is not collected for \"analytics\""
                " (categories[4].purposes)",
                "analyst", "read", "demographic.postcode", "analytics", NULL);
    static const bad_case cases[] = {
        { "{'id':'order.card_summary'", "{'id':'survey.answers','purposes':['news']},"
          "{'id':'order.card_summary'", PRIVACY_E_POLICY,
          "categories[1].purposes[0]: a \"survey\" category cannot be collected for \"news\", a"
          " purpose of kind \"direct_marketing\" (R15)" },
    };
    EXPECT_CASES(cases);
}
END_TEST

START_TEST(test_policy_R22_unknown_names_fail_closed)
{
    denied_with("R22: unknown role \"intern\" (not in roles)", "intern", "read", EMAIL,
                "billing", NULL);
    denied_with("R22: unknown action \"delete\" (not read, write or disclose)", "billing",
                "delete", EMAIL, "billing", NULL);
    denied_with("R22: unknown category \"contact.fax\" (not in categories)", "billing", "read",
                "contact.fax", "billing", NULL);
    denied_with("R22: unknown purpose \"resale\" (not in purposes)", "billing", "read", EMAIL,
                "resale", NULL);
    /* Text that is not an identifier is never quoted. */
    denied_with("R22: unknown category (not a policy identifier)", "billing", "read",
                "jane.doe@example.com", "billing", NULL);
    denied_with("R22: unknown role (not a policy identifier)", "Billing Dept", "read", EMAIL,
                "billing", NULL);
    char longname[300];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    denied_with("R22: unknown purpose (not a policy identifier)", "billing", "read", EMAIL,
                longname, NULL);
    longname[PRIVACY_POLICY_ID_MAX] = '\0'; /* the longest identifier */
    ck_assert_int_eq(check("billing", "read", EMAIL, longname, NULL), PRIVACY_E_DENIED);
    ck_assert(strstr(privacy_errmsg(ctx), longname) != NULL);
}
END_TEST

START_TEST(test_policy_check_null_and_empty_arguments)
{
    static const char *const msgs[] = { "role", "action", "category", "purpose" };
    for (int i = 0; i < 4; i++) {
        for (int empty = 0; empty < 2; empty++) {
            const char *v[4] = { "billing", "read", EMAIL, "billing" };
            v[i] = empty ? "" : NULL;
            ck_assert_int_eq(check(v[0], v[1], v[2], v[3], NULL), PRIVACY_E_INVALID);
            char want[80];
            snprintf(want, sizeof want, "privacy_policy_check: %s is %s", msgs[i],
                     empty ? "empty" : "NULL");
            ck_assert_str_eq(privacy_errmsg(ctx), want);
        }
    }
    ck_assert_int_eq(check("billing", "disclose", CARD, "billing", NULL), PRIVACY_E_INVALID);
    ck_assert_str_eq(privacy_errmsg(ctx), "a recipient is required to disclose");
    ck_assert_int_eq(check("billing", "disclose", CARD, "billing", ""), PRIVACY_E_INVALID);
    ck_assert_int_eq(check("billing", "read", CARD, "billing", "payment_processor"),
                     PRIVACY_E_INVALID);
    ck_assert_str_eq(privacy_errmsg(ctx), "a recipient applies only to \"disclose\"");
    ck_assert_int_eq(privacy_policy_check(NULL, "billing", "read", EMAIL, "billing", NULL),
                     PRIVACY_E_INVALID);
    ck_assert_str_eq(privacy_errmsg(NULL), "privacy_policy_check: ctx is NULL");
    ck_assert_int_eq(privacy_policy_load_json(NULL, "{}", 2), PRIVACY_E_INVALID);
    ck_assert_int_eq(privacy_policy_load_json(ctx, NULL, 2), PRIVACY_E_INVALID);
    ck_assert_str_eq(privacy_errmsg(ctx), "privacy_policy_load_json: json is NULL");
    ck_assert_int_eq(privacy_policy_load_json(ctx, "", 0), PRIVACY_E_POLICY);
    ck_assert_str_eq(privacy_errmsg(ctx), "document: empty, no JSON value");
    ck_assert_int_eq(check("billing", "read", EMAIL, "billing", NULL), PRIVACY_OK);
}
END_TEST

START_TEST(test_policy_denial_message_is_rendered_lazily)
{
    ck_assert_int_eq(check("marketing", "read", SHIP, "fulfilment", NULL), PRIVACY_E_DENIED);
    ck_assert(ctx->err.render != NULL); /* recorded, not yet written */
    const char *m1 = privacy_errmsg(ctx);
    ck_assert(ctx->err.render == NULL);
    ck_assert(strncmp(m1, "R20: ", 5) == 0);
    ck_assert_str_eq(privacy_errmsg(ctx), m1); /* the cache answers the second read */
    ck_assert_int_eq(check("marketing", "read", SHIP, "fulfilment", NULL), PRIVACY_E_DENIED);
    ck_assert_int_eq(check("billing", "read", SHIP, "billing", NULL), PRIVACY_OK);
    ck_assert(ctx->err.render == NULL); /* a success clears a pending message */
    ck_assert_str_eq(privacy_errmsg(ctx), "");
}
END_TEST

/* ---- allocation failures ---- */

/* Fails each allocation of compile(json) in turn: every step must give
 * PRIVACY_E_NOMEM with a message and leave no block behind. */
static void sweep_compile(const char *json, size_t len)
{
    prv_err err = { 0 };
    prv_policy *pol = NULL;
    long before = prv_alloc_count();
    ck_assert_int_eq(prv_policy_compile(&pol, json, len, &err), PRIVACY_OK);
    long steps = prv_alloc_count() - before;
    prv_policy_free(pol);
    ck_assert_int_gt(steps, 5);
    for (long i = 1; i <= steps; i++) {
        long live = prv_alloc_live();
        pol = NULL;
        prv_alloc_fault(i, 0);
        int rc = prv_policy_compile(&pol, json, len, &err);
        prv_alloc_fault(0, 0);
        ck_assert_msg(rc == PRIVACY_E_NOMEM, "step %ld of %ld: %d", i, steps, rc);
        ck_assert_ptr_null(pol);
        ck_assert_msg(strstr(err.msg, "out of memory") != NULL, "step %ld: '%s'", i, err.msg);
        ck_assert_msg(prv_alloc_live() == live, "step %ld leaked %ld blocks", i,
                      prv_alloc_live() - live);
    }
}

START_TEST(test_policy_alloc_failure_sweep_default_document)
{
    sweep_compile(prv_policy_default_json, prv_policy_default_json_len);
    /* With escapes and a trailing number yajl allocates more buffers. */
    const char *esc = "{\"policy_version\":1,\"purposes\":[{\"id\":\"a\",\"basis\":\"consent\","
                      "\"kind\":\"analytics\",\"description\":\"x\\ny\","
                      "\"retention_days\":1}],\"categories\":[],\"roles\":[],\"recipients\":[],"
                      "\"cookies\":[]}";
    sweep_compile(esc, strlen(esc));
}
END_TEST

START_TEST(test_policy_alloc_failure_in_load_json_keeps_policy)
{
    char *d = doc(BASE);
    long before = prv_alloc_count();
    ck_assert_int_eq(privacy_policy_load_json(ctx, prv_policy_default_json,
                                              prv_policy_default_json_len),
                     PRIVACY_OK);
    long steps = prv_alloc_count() - before;
    for (long i = 1; i <= steps; i++) {
        long live = prv_alloc_live();
        prv_alloc_fault(i, 0);
        int rc = privacy_policy_load_json(ctx, d, strlen(d));
        prv_alloc_fault(0, 0);
        if (rc == PRIVACY_OK) /* BASE needs fewer steps than the default */
            break;
        ck_assert_int_eq(rc, PRIVACY_E_NOMEM);
        ck_assert(strstr(privacy_errmsg(ctx), "out of memory") != NULL);
        ck_assert_int_eq(prv_alloc_live(), live);
        /* The default policy still decides. */
        ck_assert_int_eq(check("billing", "read", CARD, "billing", NULL), PRIVACY_OK);
        ck_assert_int_eq(check("clerk", "read", EMAIL, "billing", NULL), PRIVACY_E_DENIED);
    }
    ck_assert_int_eq(check("clerk", "read", EMAIL, "billing", NULL), PRIVACY_OK);
    free(d);
}
END_TEST

/* ---- replacing the policy ---- */

START_TEST(test_policy_load_json_replaces_policy)
{
    ck_assert_int_eq(check("marketing", "read", EMAIL, "marketing_email", NULL), PRIVACY_OK);
    char *d = doc(BASE);
    ck_assert_int_eq(privacy_policy_load_json(ctx, d, strlen(d)), PRIVACY_OK);
    ck_assert_str_eq(privacy_errmsg(ctx), "");
    /* Different document, different outcomes. */
    denied_with("R22: unknown role \"marketing\" (not in roles)", "marketing", "read", EMAIL,
                "marketing_email", NULL);
    ck_assert_int_eq(check("mailer", "read", EMAIL, "news", NULL), PRIVACY_OK);
    ck_assert_int_eq(check("cashier", "disclose", CARD, "billing", "psp"), PRIVACY_OK);
    denied_with("R4: recipient \"tax_office\" is not declared for \"billing\""
                " (recipients[1].purposes)",
                "cashier", "disclose", CARD, "billing", "tax_office");
    free(d);
}
END_TEST

START_TEST(test_policy_rejected_document_changes_nothing)
{
    char *bad = mutate("'categories':['order.card_summary']", "'categories':['contact.fax']");
    ck_assert_int_eq(privacy_policy_load_json(ctx, bad, strlen(bad)), PRIVACY_E_POLICY);
    ck_assert_str_eq(privacy_errmsg(ctx),
                     "roles[2].grants[0].categories[0]: unknown category \"contact.fax\"");
    ck_assert_int_eq(check("marketing", "read", EMAIL, "marketing_email", NULL), PRIVACY_OK);
    char *d = doc(BASE);
    ck_assert_int_eq(privacy_policy_load_json(ctx, d, strlen(d)), PRIVACY_OK);
    ck_assert_int_eq(privacy_policy_load_json(ctx, bad, strlen(bad)), PRIVACY_E_POLICY);
    ck_assert_int_eq(check("clerk", "write", EMAIL, "billing", NULL), PRIVACY_OK);
    ck_assert_int_eq(privacy_policy_load_json(ctx, "{\"policy_version\":2}", 20),
                     PRIVACY_E_VERSION);
    ck_assert_int_eq(check("clerk", "write", EMAIL, "billing", NULL), PRIVACY_OK);
    free(d);
    free(bad);
}
END_TEST

START_TEST(test_policy_config_set_policy_json)
{
    privacy_config *cfg;
    ck_assert_int_eq(tu_config_new(&cfg), PRIVACY_OK);
    ck_assert_int_eq(privacy_config_set_storage(cfg, S.uri), PRIVACY_OK);
    ck_assert_int_eq(privacy_config_set_policy_json(NULL, "{}", 2), PRIVACY_E_INVALID);
    ck_assert_int_eq(privacy_config_set_policy_json(cfg, NULL, 2), PRIVACY_E_INVALID);
    ck_assert_str_eq(privacy_errmsg(NULL),
                     "privacy_config_set_policy_json: cfg and json must not be NULL");
    ck_assert_int_eq(privacy_config_set_policy_json(cfg, "", 0), PRIVACY_E_POLICY);
    ck_assert_str_eq(privacy_errmsg(NULL), "document: empty, no JSON value");
    char *d = doc(BASE);
    ck_assert_int_eq(privacy_config_set_policy_json(cfg, d, strlen(d)), PRIVACY_OK);
    ck_assert_str_eq(privacy_errmsg(NULL), "");
    memset(d, 0, strlen(d)); /* the configuration keeps its own copy */
    free(d);
    char *bad = mutate("'policy_version':1", "'policy_version':'one'");
    ck_assert_int_eq(privacy_config_set_policy_json(cfg, bad, strlen(bad)), PRIVACY_E_POLICY);
    ck_assert_str_eq(privacy_errmsg(NULL), "policy_version: expected an integer, not a string");
    free(bad);
    privacy_ctx *c2;
    ck_assert_int_eq(privacy_open(&c2, cfg), PRIVACY_OK);
    ck_assert_int_eq(privacy_policy_check(c2, "clerk", "read", EMAIL, "billing", NULL),
                     PRIVACY_OK); /* the accepted document, not the rejected one */
    ck_assert_int_eq(privacy_policy_check(c2, "billing", "read", EMAIL, "billing", NULL),
                     PRIVACY_E_DENIED);
    privacy_close(c2);
    privacy_config_free(cfg);
}
END_TEST

START_TEST(test_policy_config_set_policy_file)
{
    char *dir = tu_tmpdir();
    char *path = tu_path(dir, "policy.json");
    privacy_config *cfg;
    ck_assert_int_eq(tu_config_new(&cfg), PRIVACY_OK);
    ck_assert_int_eq(privacy_config_set_storage(cfg, S.uri), PRIVACY_OK);
    ck_assert_int_eq(privacy_config_set_policy_file(cfg, NULL), PRIVACY_E_INVALID);
    ck_assert_int_eq(privacy_config_set_policy_file(NULL, path), PRIVACY_E_INVALID);
    ck_assert_int_eq(privacy_config_set_policy_file(cfg, path), PRIVACY_E_NOT_FOUND);
    ck_assert_int_eq(privacy_config_set_policy_file(cfg, ""), PRIVACY_E_NOT_FOUND);
    ck_assert(strstr(privacy_errmsg(NULL), "cannot open") != NULL);
    ck_assert_int_eq(privacy_config_set_policy_file(cfg, dir), PRIVACY_E_STORAGE);
    ck_assert(strstr(privacy_errmsg(NULL), "not a regular file") != NULL);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    char *d = mutate("{'id':'cashier'", "{'id':'till'");
    fputs(d, f);
    fclose(f);
    free(d);
    ck_assert_int_eq(privacy_config_set_policy_file(cfg, path), PRIVACY_OK);
    privacy_ctx *c2;
    ck_assert_int_eq(privacy_open(&c2, cfg), PRIVACY_OK);
    ck_assert_int_eq(privacy_policy_check(c2, "till", "disclose", CARD, "billing", "psp"),
                     PRIVACY_OK);
    privacy_close(c2);
    f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("{\"policy_version\":1,", f);
    fclose(f);
    ck_assert_int_eq(privacy_config_set_policy_file(cfg, path), PRIVACY_E_POLICY);
    ck_assert_str_eq(privacy_errmsg(NULL),
                     "document: truncated JSON, the document ends inside a value (byte 20)");
    ck_assert_int_eq(truncate(path, PRIVACY_POLICY_DOC_MAX + 1), 0);
    ck_assert_int_eq(privacy_config_set_policy_file(cfg, path), PRIVACY_E_POLICY);
    ck_assert_str_eq(privacy_errmsg(NULL), "document: larger than 1048576 bytes");
    ck_assert_int_eq(privacy_open(&c2, cfg), PRIVACY_OK); /* still the accepted file */
    ck_assert_int_eq(privacy_policy_check(c2, "till", "disclose", CARD, "billing", "psp"),
                     PRIVACY_OK);
    privacy_close(c2);
    privacy_config_free(cfg);
    tu_rmdir(dir);
    free(path);
    free(dir);
}
END_TEST

static Suite *policy_suite(void)
{
    Suite *s = suite_create("policy");
    TCase *tc = tcase_create("policy");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_policy_base_document_is_valid);
    tcase_add_test(tc, test_policy_default_document_encodes_policy_md);
    tcase_add_test(tc, test_policy_R20_need_to_know_matrix_of_default_roles);
    tcase_add_test(tc, test_policy_R20_marketing_cannot_read_shipping_address);
    tcase_add_test(tc, test_policy_R2_read_for_uncollected_purpose_denied);
    tcase_add_test(tc, test_policy_R4_disclose_only_to_declared_processor);
    tcase_add_test(tc, test_policy_R3_no_kind_for_sale);
    tcase_add_test(tc, test_policy_R5_R8_marketing_and_notices);
    tcase_add_test(tc, test_policy_R14_R15_contest_and_survey_data_bound);
    tcase_add_test(tc, test_policy_R22_unknown_names_fail_closed);
    tcase_add_test(tc, test_policy_check_null_and_empty_arguments);
    tcase_add_test(tc, test_policy_denial_message_is_rendered_lazily);
    tcase_add_test(tc, test_policy_alloc_failure_sweep_default_document);
    tcase_add_test(tc, test_policy_alloc_failure_in_load_json_keeps_policy);
    tcase_add_test(tc, test_policy_load_json_replaces_policy);
    tcase_add_test(tc, test_policy_rejected_document_changes_nothing);
    tcase_add_test(tc, test_policy_config_set_policy_json);
    tcase_add_test(tc, test_policy_config_set_policy_file);
    policy_add_validation_tests(tc);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(policy_suite());
}
