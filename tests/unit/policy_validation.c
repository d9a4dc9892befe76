/* Policy validation: each class of error in a document, with its exact
 * JSON path and message; malformed, deep and huge documents; messages that
 * never quote anything but identifiers. Part of the policy suite
 * (test_policy.c registers these tests). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "policy/policy.h"
#include "policy_testlib.h"
#include "privacy/privacy.h"

/* A document written with ' for ", in a malloc'd buffer. */
char *doc(const char *s)
{
    char *d = strdup(s);
    ck_assert_ptr_nonnull(d);
    for (char *p = d; *p != '\0'; p++)
        if (*p == '\'')
            *p = '"';
    return d;
}

/* A small valid document the validation tests mutate. */
const char BASE[] =
    "{'policy_version':1,"
    "'purposes':["
    "{'id':'billing','basis':'contract','kind':'service_delivery','retention_days':30,"
    "'description':'Charge for orders.'},"
    "{'id':'news','basis':'consent','kind':'direct_marketing','retention_days':30},"
    "{'id':'session','basis':'legitimate_interests','kind':'site_operation','retention_days':1},"
    "{'id':'stats','basis':'consent','kind':'analytics','retention_days':7},"
    "{'id':'taxes','basis':'legal_obligation','kind':'legal_retention','retention_days':3650}],"
    "'categories':["
    "{'id':'contact.email','purposes':['billing','news']},"
    "{'id':'order.card_summary','purposes':['billing','taxes']}],"
    "'roles':["
    "{'id':'clerk','grants':[{'actions':['read','write'],'categories':['contact.email'],"
    "'purposes':['billing']}]},"
    "{'id':'mailer','grants':[{'actions':['read'],'categories':['contact.email'],"
    "'purposes':['news']}]},"
    "{'id':'cashier','grants':[{'actions':['disclose'],'categories':['order.card_summary'],"
    "'purposes':['billing']}]}],"
    "'recipients':["
    "{'id':'psp','type':'processor','purposes':['billing']},"
    "{'id':'tax_office','type':'public_authority','purposes':['taxes']}],"
    "'cookies':["
    "{'id':'sid','necessary':true,'purpose':'session'},"
    "{'id':'ga','necessary':false,'purpose':'stats'}]}";

/* BASE with its only occurrence of `from` replaced by `to`, as JSON. */
char *mutate(const char *from, const char *to)
{
    const char *at = strstr(BASE, from);
    ck_assert_msg(at != NULL && strstr(at + 1, from) == NULL, "'%s' not unique in BASE", from);
    size_t n = strlen(BASE) - strlen(from) + strlen(to) + 1;
    char *s = malloc(n);
    ck_assert_ptr_nonnull(s);
    snprintf(s, n, "%.*s%s%s", (int)(at - BASE), BASE, to, at + strlen(from));
    char *d = doc(s);
    free(s);
    return d;
}

/* Messages name rules, paths and identifiers: printable ASCII only. */
void assert_plain(const char *msg)
{
    for (const char *p = msg; *p != '\0'; p++)
        ck_assert_msg(*p >= 0x20 && *p < 0x7f, "unprintable byte in '%s'", msg);
}

/* Compiles json (len bytes); returns the code, the message in msg. */
int compile_len(const char *json, size_t len, char *msg)
{
    prv_err err = { 0 };
    prv_policy *pol = NULL;
    long live = prv_alloc_live();
    int rc = prv_policy_compile(&pol, json, len, &err);
    if (rc == PRIVACY_OK)
        prv_policy_free(pol);
    else
        ck_assert_ptr_null(pol);
    ck_assert_int_eq(prv_alloc_live(), live);
    snprintf(msg, PRIVACY_ERRMSG_MAX, "%s", err.msg);
    assert_plain(msg);
    return rc;
}



void expect_cases(const bad_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char *d = mutate(cases[i].from, cases[i].to);
        char msg[PRIVACY_ERRMSG_MAX];
        int rc = compile_len(d, strlen(d), msg);
        ck_assert_msg(rc == cases[i].code, "case %zu: %d (%s)", i, rc, msg);
        ck_assert_msg(strcmp(msg, cases[i].msg) == 0, "case %zu:\n got  '%s'\n want '%s'", i,
                      msg, cases[i].msg);
        free(d);
    }
}

/* ---- validation: one test per class of error ---- */

START_TEST(test_policy_validate_malformed_json)
{
    static const struct {
        const char *json;
        const char *msg;
    } cases[] = {
        { "{\"policy_version\":1,\n \"purposes\": [ , ]}",
          "document: malformed JSON, parsing stopped at line 2, column 17 (byte 37)" },
        { "{\"policy_version\": 1, \"purposes\": [",
          "document: truncated JSON, the document ends inside a value (byte 35)" },
        { "{\"policy_version\": tru", "document: truncated JSON, the document ends inside a value"
                                      " (byte 22)" },
        { "   \n ", "document: empty, no JSON value" },
        { "{'policy_version': 1}", "document: malformed JSON, parsing stopped at line 1, column 3"
                                   " (byte 2)" },
        { "{\"polic\xff\": 1}", "document: malformed JSON, parsing stopped at line 1, column 9"
                                " (byte 8)" },
    };
    char msg[PRIVACY_ERRMSG_MAX];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ck_assert_int_eq(compile_len(cases[i].json, strlen(cases[i].json), msg),
                         PRIVACY_E_POLICY);
        ck_assert_msg(strcmp(msg, cases[i].msg) == 0, "case %zu: '%s'", i, msg);
    }
    /* Anything after the document's object is refused. */
    char *d = doc(BASE), *trail = malloc(strlen(d) + 4), want[120];
    ck_assert_ptr_nonnull(trail);
    snprintf(trail, strlen(d) + 4, "%s {", d);
    ck_assert_int_eq(compile_len(trail, strlen(trail), msg), PRIVACY_E_POLICY);
    snprintf(want, sizeof want, "document: malformed JSON, parsing stopped at line 1, column %zu"
             " (byte %zu)", strlen(d) + 3, strlen(d) + 2);
    ck_assert_str_eq(msg, want);
    free(trail);
    /* A NUL inside the document is not JSON, and the length is what counts. */
    ck_assert_int_eq(compile_len("{\"policy_version\"\0: 1}", 22, msg), PRIVACY_E_POLICY);
    ck_assert(strstr(msg, "malformed JSON") != NULL);
    /* Truncating a valid document anywhere fails cleanly. */
    for (size_t n = 1; n < strlen(d); n += 7)
        ck_assert_int_eq(compile_len(d, n, msg), PRIVACY_E_POLICY);
    free(d);
}
END_TEST

START_TEST(test_policy_validate_unknown_key)
{
    static const bad_case cases[] = {
        { "{'policy_version':1,", "{'policy_version':1,'owner':'x',", PRIVACY_E_POLICY,
          "document: unknown key \"owner\"" },
        { "'retention_days':3650}", "'retention_days':3650,'legal':true}", PRIVACY_E_POLICY,
          "purposes[4]: unknown key \"legal\"" },
        { "'actions':['disclose']", "'actions':['disclose'],'when':'always'", PRIVACY_E_POLICY,
          "roles[2].grants[0]: unknown key \"when\"" },
        /* A key that is not a short plain word is not quoted. */
        { "{'id':'sid'", "{'jane.doe@example.com':1,'id':'sid'", PRIVACY_E_POLICY,
          "cookies[0]: unknown key (not quoted: not a short plain word)" },
    };
    EXPECT_CASES(cases);
}
END_TEST

START_TEST(test_policy_validate_wrong_type)
{
    static const bad_case cases[] = {
        { "'policy_version':1", "'policy_version':'1'", PRIVACY_E_POLICY,
          "policy_version: expected an integer, not a string" },
        { "'purposes':[{'id':'billing'", "'purposes':{'x':[{'id':'billing'", PRIVACY_E_POLICY,
          "purposes: expected an array of objects, not an object" },
        { "'retention_days':7", "'retention_days':'7'", PRIVACY_E_POLICY,
          "purposes[3].retention_days: expected an integer, not a string" },
        { "'purposes':['billing','taxes']", "'purposes':['billing',['taxes']]", PRIVACY_E_POLICY,
          "categories[1].purposes[1]: expected a string, not an array" },
        { "'necessary':true", "'necessary':'yes'", PRIVACY_E_POLICY,
          "cookies[0].necessary: expected true or false, not a string" },
        { "'type':'processor'", "'type':null", PRIVACY_E_POLICY,
          "recipients[0].type: expected a string, not null" },
        { "{'id':'mailer'", "['mailer'", PRIVACY_E_POLICY,
          "roles[1]: expected an object, not an array" },
        { "'grants':[{'actions':['read'],'categories':['contact.email'],'purposes':['news']}]",
          "'grants':[7]", PRIVACY_E_POLICY, "roles[1].grants[0]: expected an object, not a number" },
    };
    EXPECT_CASES(cases);
    char msg[PRIVACY_ERRMSG_MAX];
    ck_assert_int_eq(compile_len("[1]", 3, msg), PRIVACY_E_POLICY);
    ck_assert_str_eq(msg, "document: expected an object, not an array");
}
END_TEST

START_TEST(test_policy_validate_missing_required_key)
{
    static const bad_case cases[] = {
        { "'policy_version':1,", "", PRIVACY_E_POLICY,
          "document: missing required key \"policy_version\"" },
        { "'kind':'analytics',", "", PRIVACY_E_POLICY, "purposes[3]: missing required key \"kind\"" },
        { "'actions':['disclose'],", "", PRIVACY_E_POLICY,
          "roles[2].grants[0]: missing required key \"actions\"" },
        { "{'id':'ga','necessary':false,", "{'id':'ga',", PRIVACY_E_POLICY,
          "cookies[1]: missing required key \"necessary\"" },
    };
    EXPECT_CASES(cases);
}
END_TEST

START_TEST(test_policy_validate_duplicate_key)
{
    static const bad_case cases[] = {
        { "{'id':'tax_office','type':'public_authority'",
          "{'id':'tax_office','type':'public_authority','type':'processor'", PRIVACY_E_POLICY,
          "recipients[1]: duplicate key \"type\"" },
        { "{'policy_version':1,", "{'policy_version':1,'policy_version':1,", PRIVACY_E_POLICY,
          "document: duplicate key \"policy_version\"" },
    };
    EXPECT_CASES(cases);
}
END_TEST

START_TEST(test_policy_validate_duplicate_id)
{
    static const bad_case cases[] = {
        { "{'id':'stats'", "{'id':'news'", PRIVACY_E_POLICY,
          "purposes[3].id: duplicate purpose \"news\" (first at purposes[1])" },
        { "{'id':'order.card_summary'", "{'id':'contact.email'", PRIVACY_E_POLICY,
          "categories[1].id: duplicate category \"contact.email\" (first at categories[0])" },
        { "{'id':'cashier'", "{'id':'clerk'", PRIVACY_E_POLICY,
          "roles[2].id: duplicate role \"clerk\" (first at roles[0])" },
        { "{'id':'tax_office'", "{'id':'psp'", PRIVACY_E_POLICY,
          "recipients[1].id: duplicate recipient \"psp\" (first at recipients[0])" },
        { "{'id':'ga'", "{'id':'sid'", PRIVACY_E_POLICY,
          "cookies[1].id: duplicate cookie \"sid\" (first at cookies[0])" },
    };
    EXPECT_CASES(cases);
}
END_TEST

START_TEST(test_policy_validate_bad_identifier)
{
    static const bad_case cases[] = {
        { "{'id':'clerk'", "{'id':'Clerk'", PRIVACY_E_POLICY,
          "roles[0].id: not a valid identifier (1 to 64 bytes of a-z 0-9 _ . -, starting with a"
          " letter)" },
        { "{'id':'clerk'", "{'id':''", PRIVACY_E_POLICY,
          "roles[0].id: not a valid identifier (1 to 64 bytes of a-z 0-9 _ . -, starting with a"
          " letter)" },
        { "{'id':'contact.email'", "{'id':'email'", PRIVACY_E_POLICY,
          "categories[0].id: \"email\" is not <class>.<name> with class contact, demographic,"
          " survey or order" },
        { "{'id':'contact.email'", "{'id':'account.password'", PRIVACY_E_POLICY,
          "categories[0].id: \"account.password\" is not <class>.<name> with class contact,"
          " demographic, survey or order" },
        { "'purpose':'stats'", "'purpose':'st ats'", PRIVACY_E_POLICY,
          "cookies[1].purpose: not a valid identifier (1 to 64 bytes of a-z 0-9 _ . -, starting"
          " with a letter)" },
        { "'purposes':['news']}]}", "'purposes':['news\\u0000']}]}", PRIVACY_E_POLICY,
          "roles[1].grants[0].purposes[0]: not a valid identifier (1 to 64 bytes of a-z 0-9 _ ."
          " -, starting with a letter)" },
    };
    EXPECT_CASES(cases);
}
END_TEST

START_TEST(test_policy_validate_unknown_words)
{
    static const bad_case cases[] = {
        { "'basis':'contract'", "'basis':'contrct'", PRIVACY_E_POLICY,
          "purposes[0].basis: unknown lawful basis \"contrct\"" },
        { "'basis':'contract'", "'basis':'because I say so'", PRIVACY_E_POLICY,
          "purposes[0].basis: unknown lawful basis (not quoted: not a short plain word)" },
        { "'kind':'analytics'", "'kind':'profiling'", PRIVACY_E_POLICY,
          "purposes[3].kind: unknown purpose kind \"profiling\"" },
        { "'actions':['read','write']", "'actions':['read','erase']", PRIVACY_E_POLICY,
          "roles[0].grants[0].actions[1]: unknown action \"erase\"" },
    };
    EXPECT_CASES(cases);
}
END_TEST

START_TEST(test_policy_validate_dangling_references)
{
    static const bad_case cases[] = {
        { "'categories':['order.card_summary']", "'categories':['contact.fax']", PRIVACY_E_POLICY,
          "roles[2].grants[0].categories[0]: unknown category \"contact.fax\"" },
        { "'purposes':['billing','taxes']", "'purposes':['billing','vat']", PRIVACY_E_POLICY,
          "categories[1].purposes[1]: unknown purpose \"vat\"" },
        { "'purposes':['news']}]}", "'purposes':['newsletter']}]}", PRIVACY_E_POLICY,
          "roles[1].grants[0].purposes[0]: unknown purpose \"newsletter\"" },
        { "'type':'processor','purposes':['billing']", "'type':'processor','purposes':['refunds']",
          PRIVACY_E_POLICY, "recipients[0].purposes[0]: unknown purpose \"refunds\"" },
        { "'purpose':'stats'", "'purpose':'statistics'", PRIVACY_E_POLICY,
          "cookies[1].purpose: unknown purpose \"statistics\"" },
    };
    EXPECT_CASES(cases);
}
END_TEST

START_TEST(test_policy_validate_listed_twice_and_empty_lists)
{
    static const bad_case cases[] = {
        { "'purposes':['billing','news']", "'purposes':['billing','news','billing']",
          PRIVACY_E_POLICY, "categories[0].purposes[2]: \"billing\" is listed twice" },
        { "'actions':['read','write']", "'actions':['read','read']", PRIVACY_E_POLICY,
          "roles[0].grants[0].actions[1]: \"read\" is listed twice" },
        { "'categories':['order.card_summary']",
          "'categories':['order.card_summary','order.card_summary']", PRIVACY_E_POLICY,
          "roles[2].grants[0].categories[1]: \"order.card_summary\" is listed twice" },
        { "'purposes':['billing','news']", "'purposes':[]", PRIVACY_E_POLICY,
          "categories[0].purposes: a category must be collected for at least one purpose (R2)" },
        { "'actions':['read','write']", "'actions':[]", PRIVACY_E_POLICY,
          "roles[0].grants[0].actions: must not be empty" },
        { "'categories':['order.card_summary']", "'categories':[]", PRIVACY_E_POLICY,
          "roles[2].grants[0].categories: must not be empty" },
        { "'purposes':['news']}]}", "'purposes':[]}]}", PRIVACY_E_POLICY,
          "roles[1].grants[0].purposes: must not be empty" },
    };
    EXPECT_CASES(cases);
}
END_TEST

START_TEST(test_policy_R4_recipient_without_purpose_rejected)
{
    static const bad_case cases[] = {
        { "'type':'processor','purposes':['billing']", "'type':'processor','purposes':[]",
          PRIVACY_E_POLICY,
          "recipients[0].purposes: a recipient must serve at least one declared purpose (R4)" },
        { "'type':'processor','purposes':['billing']", "'type':'processor'", PRIVACY_E_POLICY,
          "recipients[0]: missing required key \"purposes\"" },
        { "'type':'public_authority','purposes':['taxes']",
          "'type':'public_authority','purposes':['billing']", PRIVACY_E_POLICY,
          "recipients[1].purposes[0]: a \"public_authority\" recipient cannot receive data for"
          " \"billing\", a purpose with basis \"contract\" (R4)" },
        /* Disclosing for a purpose no recipient serves could never be allowed. */
        { "'type':'processor','purposes':['billing']", "'type':'processor','purposes':['taxes']",
          PRIVACY_E_POLICY,
          "roles[2].grants[0].purposes[0]: \"disclose\" is granted for \"billing\", which no"
          " recipient serves (R4)" },
    };
    EXPECT_CASES(cases);
}
END_TEST

START_TEST(test_policy_validate_basis_or_kind_cannot_apply)
{
    static const bad_case cases[] = {
        { "'basis':'consent','kind':'analytics'", "'basis':'legitimate_interests','kind':'analytics'",
          PRIVACY_E_POLICY,
          "purposes[3].basis: \"legitimate_interests\" cannot apply to a purpose of kind"
          " \"analytics\"" },
        { "'basis':'legal_obligation'", "'basis':'public_task'", PRIVACY_E_POLICY,
          "purposes[4].basis: \"public_task\" cannot apply to a purpose of kind"
          " \"legal_retention\"" },
        { "'purposes':['billing','news']", "'purposes':['billing','stats']", PRIVACY_E_POLICY,
          "categories[0].purposes[1]: a \"contact\" category cannot be collected for \"stats\", a"
          " purpose of kind \"analytics\" (R2)" },
        { "{'id':'order.card_summary'",
          "{'id':'demographic.postcode','purposes':['stats']},{'id':'order.card_summary'",
          PRIVACY_E_POLICY,
          "categories[1].purposes[0]: a \"demographic\" category cannot be collected for"
          " \"stats\", a purpose of kind \"analytics\" (R15)" },
    };
    EXPECT_CASES(cases);
}
END_TEST

START_TEST(test_policy_validate_grant_must_cohere)
{
    static const bad_case cases[] = {
        { "'categories':['contact.email'],'purposes':['news']",
          "'categories':['contact.email'],'purposes':['news','taxes']", PRIVACY_E_POLICY,
          "roles[1].grants[0].purposes[1]: no category of this grant is collected for \"taxes\""
          " (R2)" },
        { "'categories':['contact.email'],'purposes':['news']",
          "'categories':['contact.email','order.card_summary'],'purposes':['news']",
          PRIVACY_E_POLICY,
          "roles[1].grants[0].categories[1]: \"order.card_summary\" is collected for none of this"
          " grant's purposes (R2)" },
    };
    EXPECT_CASES(cases);
}
END_TEST

START_TEST(test_policy_R11_cookie_purposes)
{
    static const bad_case cases[] = {
        { "'necessary':false,'purpose':'stats'", "'necessary':true,'purpose':'stats'",
          PRIVACY_E_POLICY,
          "cookies[1].purpose: a strictly necessary cookie needs a purpose of kind"
          " \"site_operation\" (R11)" },
        { "'necessary':true,'purpose':'session'", "'necessary':false,'purpose':'session'",
          PRIVACY_E_POLICY,
          "cookies[0].purpose: a cookie that is not strictly necessary needs a purpose with basis"
          " \"consent\" (R11)" },
    };
    EXPECT_CASES(cases);
}
END_TEST

START_TEST(test_policy_validate_version)
{
    static const bad_case cases[] = {
        { "'policy_version':1", "'policy_version':2", PRIVACY_E_VERSION,
          "policy_version: version 2 is not supported (this library reads version 1)" },
        { "'policy_version':1", "'policy_version':1.0", PRIVACY_E_POLICY,
          "policy_version: expected the integer 1" },
        { "'policy_version':1", "'policy_version':99999999999999999999999", PRIVACY_E_POLICY,
          "policy_version: expected the integer 1" },
    };
    EXPECT_CASES(cases);
}
END_TEST

/* ---- limits, nesting, size ---- */

/* A document with n purposes p0..p(n-1) and nothing else. */
static char *many_purposes(int n)
{
    size_t cap = 200 + (size_t)n * 100;
    char *s = malloc(cap);
    ck_assert_ptr_nonnull(s);
    size_t k = (size_t)snprintf(s, cap, "{\"policy_version\":1,\"purposes\":[");
    for (int i = 0; i < n; i++)
        k += (size_t)snprintf(s + k, cap - k,
                              "%s{\"id\":\"p%d\",\"basis\":\"consent\",\"kind\":\"analytics\","
                              "\"retention_days\":1}",
                              i ? "," : "", i);
    snprintf(s + k, cap - k, "],\"categories\":[],\"roles\":[],\"recipients\":[],\"cookies\":[]}");
    return s;
}

START_TEST(test_policy_validate_limits)
{
    char msg[PRIVACY_ERRMSG_MAX];
    char *s = many_purposes(PRIVACY_POLICY_PURPOSES_MAX);
    ck_assert_int_eq(compile_len(s, strlen(s), msg), PRIVACY_OK);
    free(s);
    s = many_purposes(PRIVACY_POLICY_PURPOSES_MAX + 1);
    ck_assert_int_eq(compile_len(s, strlen(s), msg), PRIVACY_E_POLICY);
    ck_assert_str_eq(msg, "purposes[64]: too many entries in \"purposes\" (at most 64)");
    free(s);
    char id65[80], from[] = "{'id':'cashier'", to[100];
    memset(id65, 'r', 65);
    id65[65] = '\0';
    snprintf(to, sizeof to, "{'id':'%s'", id65);
    char desc[300];
    memset(desc, 'x', 257);
    desc[257] = '\0';
    char dto[400];
    snprintf(dto, sizeof dto, "'description':'%s'", desc);
    const bad_case cases[] = {
        { from, to, PRIVACY_E_POLICY,
          "roles[2].id: not a valid identifier (1 to 64 bytes of a-z 0-9 _ . -, starting with a"
          " letter)" },
        { "'description':'Charge for orders.'", dto, PRIVACY_E_POLICY,
          "purposes[0].description: longer than 256 bytes" },
        { "'retention_days':7", "'retention_days':0", PRIVACY_E_POLICY,
          "purposes[3].retention_days: must be an integer from 1 to 36500" },
        { "'retention_days':7", "'retention_days':36501", PRIVACY_E_POLICY,
          "purposes[3].retention_days: must be an integer from 1 to 36500" },
        { "'retention_days':7", "'retention_days':7.5", PRIVACY_E_POLICY,
          "purposes[3].retention_days: must be an integer from 1 to 36500" },
    };
    EXPECT_CASES(cases);
    /* 65 grants in one role. */
    size_t cap = 20000;
    char *g = malloc(cap);
    ck_assert_ptr_nonnull(g);
    size_t k = (size_t)snprintf(g, cap, "'grants':[");
    for (int i = 0; i <= PRIVACY_POLICY_GRANTS_MAX; i++)
        k += (size_t)snprintf(g + k, cap - k,
                              "%s{'actions':['read'],'categories':['contact.email'],"
                              "'purposes':['news']}",
                              i ? "," : "");
    snprintf(g + k, cap - k, "]}");
    char *d = mutate("'grants':[{'actions':['read'],'categories':['contact.email'],"
                     "'purposes':['news']}]}",
                     g);
    ck_assert_int_eq(compile_len(d, strlen(d), msg), PRIVACY_E_POLICY);
    ck_assert_str_eq(msg, "roles[1].grants[64]: too many entries in \"grants\" (at most 64)");
    free(d);
    free(g);
}
END_TEST

START_TEST(test_policy_deep_nesting_is_bounded)
{
    enum { DEPTH = 200000 };
    char *s = malloc(DEPTH + 64);
    ck_assert_ptr_nonnull(s);
    char msg[PRIVACY_ERRMSG_MAX];
    memset(s, '[', DEPTH);
    ck_assert_int_eq(compile_len(s, DEPTH, msg), PRIVACY_E_POLICY);
    ck_assert_str_eq(msg, "document: expected an object, not an array");
    int n = snprintf(s, 64, "{\"purposes\":[");
    memset(s + n, '[', DEPTH);
    ck_assert_int_eq(compile_len(s, (size_t)n + DEPTH, msg), PRIVACY_E_POLICY);
    ck_assert_str_eq(msg, "purposes[0]: expected an object, not an array");
    n = snprintf(s, 64, "{\"extra\":");
    memset(s + n, '{', DEPTH);
    ck_assert_int_eq(compile_len(s, (size_t)n + DEPTH, msg), PRIVACY_E_POLICY);
    ck_assert_str_eq(msg, "document: unknown key \"extra\"");
    n = snprintf(s, 64, "{\"roles\":[{\"grants\":[{\"actions\":[");
    memset(s + n, '[', DEPTH);
    ck_assert_int_eq(compile_len(s, (size_t)n + DEPTH, msg), PRIVACY_E_POLICY);
    ck_assert_str_eq(msg, "roles[0].grants[0].actions[0]: expected a string, not an array");
    free(s);
}
END_TEST

START_TEST(test_policy_huge_documents_are_bounded)
{
    char msg[PRIVACY_ERRMSG_MAX];
    size_t big = (size_t)PRIVACY_POLICY_DOC_MAX + 1;
    char *s = malloc(big);
    ck_assert_ptr_nonnull(s);
    memset(s, ' ', big);
    s[0] = '{';
    ck_assert_int_eq(compile_len(s, big, msg), PRIVACY_E_POLICY);
    ck_assert_str_eq(msg, "document: larger than 1048576 bytes");
    /* Within the limit, one string of almost a megabyte (with escapes, so
     * yajl decodes it into its own buffer) fails where it stands. */
    size_t n = (size_t)snprintf(s, big, "{\"policy_version\":1,\"purposes\":[{\"description\":\"");
    for (; n < (size_t)PRIVACY_POLICY_DOC_MAX - 8; n += 2)
        memcpy(s + n, "\\n", 2);
    memcpy(s + n, "\"}]}", 4);
    ck_assert_int_eq(compile_len(s, n + 4, msg), PRIVACY_E_POLICY);
    ck_assert_str_eq(msg, "purposes[0].description: longer than 256 bytes");
    free(s);
}
END_TEST

START_TEST(test_policy_messages_quote_only_identifiers)
{
    /* Personal data put where the schema expects something else. */
    static const char *const pii[][2] = {
        { "'basis':'contract'", "'basis':'Jane Doe, 12 High St'" },
        { "'kind':'analytics'", "'kind':'jane@example.com'" },
        { "'type':'processor'", "'type':'4111 1111 1111 1111'" },
        { "{'id':'clerk'", "{'id':'Jane Doe'" },
        { "{'id':'sid'", "{'Jane Doe +355 69 123 4567':1,'id':'sid'" },
        { "'purposes':['news']}]}", "'purposes':['jane@example.com']}]}" },
        { "'policy_version':1", "'policy_version':'Jane Doe'" },
    };
    for (size_t i = 0; i < sizeof pii / sizeof pii[0]; i++) {
        char *d = mutate(pii[i][0], pii[i][1]);
        char msg[PRIVACY_ERRMSG_MAX];
        ck_assert_int_ne(compile_len(d, strlen(d), msg), PRIVACY_OK);
        ck_assert_msg(strstr(msg, "Jane") == NULL && strstr(msg, "jane") == NULL
                          && strstr(msg, "4111") == NULL,
                      "case %zu quotes data: '%s'", i, msg);
        free(d);
    }
}
END_TEST

void policy_add_validation_tests(TCase *tc)
{
    tcase_add_test(tc, test_policy_validate_malformed_json);
    tcase_add_test(tc, test_policy_validate_unknown_key);
    tcase_add_test(tc, test_policy_validate_wrong_type);
    tcase_add_test(tc, test_policy_validate_missing_required_key);
    tcase_add_test(tc, test_policy_validate_duplicate_key);
    tcase_add_test(tc, test_policy_validate_duplicate_id);
    tcase_add_test(tc, test_policy_validate_bad_identifier);
    tcase_add_test(tc, test_policy_validate_unknown_words);
    tcase_add_test(tc, test_policy_validate_dangling_references);
    tcase_add_test(tc, test_policy_validate_listed_twice_and_empty_lists);
    tcase_add_test(tc, test_policy_R4_recipient_without_purpose_rejected);
    tcase_add_test(tc, test_policy_validate_basis_or_kind_cannot_apply);
    tcase_add_test(tc, test_policy_validate_grant_must_cohere);
    tcase_add_test(tc, test_policy_R11_cookie_purposes);
    tcase_add_test(tc, test_policy_validate_version);
    tcase_add_test(tc, test_policy_validate_limits);
    tcase_add_test(tc, test_policy_deep_nesting_is_bounded);
    tcase_add_test(tc, test_policy_huge_documents_are_bounded);
    tcase_add_test(tc, test_policy_messages_quote_only_identifiers);
}
