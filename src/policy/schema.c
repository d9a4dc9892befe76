/* The closed vocabularies of the policy document and what may go together
 * (docs/policy.md, "Vocabularies"). */
#include "schema.h"

#include <string.h>

#include "privacy/policy.h"

#define BIT(x) (1u << (x))

const char *const prv_policy_basis_names[PRV_BASIS_COUNT] = {
    [PRV_BASIS_CONSENT] = "consent",
    [PRV_BASIS_CONTRACT] = "contract",
    [PRV_BASIS_LEGAL_OBLIGATION] = "legal_obligation",
    [PRV_BASIS_VITAL_INTERESTS] = "vital_interests",
    [PRV_BASIS_PUBLIC_TASK] = "public_task",
    [PRV_BASIS_LEGITIMATE_INTERESTS] = "legitimate_interests",
};

const char *const prv_policy_kind_names[PRV_KIND_COUNT] = {
    [PRV_KIND_SERVICE_DELIVERY] = "service_delivery",
    [PRV_KIND_SUPPORT] = "support",
    [PRV_KIND_DIRECT_MARKETING] = "direct_marketing",
    [PRV_KIND_SERVICE_NOTICE] = "service_notice",
    [PRV_KIND_SAFETY_NOTICE] = "safety_notice",
    [PRV_KIND_CONTEST] = "contest",
    [PRV_KIND_SITE_IMPROVEMENT] = "site_improvement",
    [PRV_KIND_ANALYTICS] = "analytics",
    [PRV_KIND_PERSONALISATION] = "personalisation",
    [PRV_KIND_SITE_OPERATION] = "site_operation",
    [PRV_KIND_RIGHTS_HANDLING] = "rights_handling",
    [PRV_KIND_LEGAL_RETENTION] = "legal_retention",
};

const char *const prv_policy_rtype_names[PRV_RTYPE_COUNT] = {
    [PRV_RTYPE_PROCESSOR] = "processor",
    [PRV_RTYPE_PUBLIC_AUTHORITY] = "public_authority",
};

const char *const prv_policy_class_names[PRV_CLASS_COUNT] = {
    [PRV_CLASS_CONTACT] = "contact",
    [PRV_CLASS_DEMOGRAPHIC] = "demographic",
    [PRV_CLASS_SURVEY] = "survey",
    [PRV_CLASS_ORDER] = "order",
};

const char *const prv_policy_action_names[PRV_ACTION_COUNT] = {
    [PRV_ACTION_READ] = "read",
    [PRV_ACTION_WRITE] = "write",
    [PRV_ACTION_DISCLOSE] = "disclose",
};

/* Words that would name a trade in personal data. None is a kind; naming
 * one gets a message that cites R3 instead of "unknown kind". */
static const char *const trade_words[] = {
    "sale", "sell", "rental", "rent", "advertising_exchange", "data_exchange", "data_brokerage",
};

/* Which lawful bases can carry which kind of purpose. vital_interests fits
 * only a safety notice (a recall of a dangerous product); public_task fits
 * nothing a shop does, so no kind admits it. */
static const unsigned kind_bases[PRV_KIND_COUNT] = {
    [PRV_KIND_SERVICE_DELIVERY] = BIT(PRV_BASIS_CONTRACT) | BIT(PRV_BASIS_LEGITIMATE_INTERESTS),
    [PRV_KIND_SUPPORT] = BIT(PRV_BASIS_CONTRACT) | BIT(PRV_BASIS_LEGITIMATE_INTERESTS)
                         | BIT(PRV_BASIS_CONSENT),
    /* R5: explicit opt-in, or the soft opt-in of an existing customer (R8),
     * which rests on legitimate interests (ePrivacy Directive Art. 13(2)). */
    [PRV_KIND_DIRECT_MARKETING] = BIT(PRV_BASIS_CONSENT) | BIT(PRV_BASIS_LEGITIMATE_INTERESTS),
    [PRV_KIND_SERVICE_NOTICE] = BIT(PRV_BASIS_LEGITIMATE_INTERESTS)
                                | BIT(PRV_BASIS_LEGAL_OBLIGATION) | BIT(PRV_BASIS_CONTRACT),
    [PRV_KIND_SAFETY_NOTICE] = BIT(PRV_BASIS_VITAL_INTERESTS) | BIT(PRV_BASIS_LEGAL_OBLIGATION),
    /* R13: taking part is recorded as consent. */
    [PRV_KIND_CONTEST] = BIT(PRV_BASIS_CONSENT) | BIT(PRV_BASIS_CONTRACT),
    [PRV_KIND_SITE_IMPROVEMENT] = BIT(PRV_BASIS_CONSENT) | BIT(PRV_BASIS_LEGITIMATE_INTERESTS),
    /* R11: only strictly necessary processing goes without consent. */
    [PRV_KIND_ANALYTICS] = BIT(PRV_BASIS_CONSENT),
    [PRV_KIND_PERSONALISATION] = BIT(PRV_BASIS_CONSENT),
    [PRV_KIND_SITE_OPERATION] = BIT(PRV_BASIS_CONTRACT) | BIT(PRV_BASIS_LEGITIMATE_INTERESTS),
    [PRV_KIND_RIGHTS_HANDLING] = BIT(PRV_BASIS_LEGAL_OBLIGATION),
    [PRV_KIND_LEGAL_RETENTION] = BIT(PRV_BASIS_LEGAL_OBLIGATION),
};

/* Which kinds of purpose each class of data may be collected for. */
static const unsigned class_kinds[PRV_CLASS_COUNT] = {
    [PRV_CLASS_CONTACT] = BIT(PRV_KIND_SERVICE_DELIVERY) | BIT(PRV_KIND_SUPPORT)
                          | BIT(PRV_KIND_DIRECT_MARKETING) | BIT(PRV_KIND_SERVICE_NOTICE)
                          | BIT(PRV_KIND_SAFETY_NOTICE) | BIT(PRV_KIND_CONTEST)
                          | BIT(PRV_KIND_RIGHTS_HANDLING),
    /* R15: survey data serves only monitoring and improving the site. */
    [PRV_CLASS_DEMOGRAPHIC] = BIT(PRV_KIND_SITE_IMPROVEMENT) | BIT(PRV_KIND_RIGHTS_HANDLING),
    [PRV_CLASS_SURVEY] = BIT(PRV_KIND_SITE_IMPROVEMENT) | BIT(PRV_KIND_RIGHTS_HANDLING),
    /* R7, R9, R18: order data serves the order, support about it, the
     * legal retention of invoices and the subject's rights. */
    [PRV_CLASS_ORDER] = BIT(PRV_KIND_SERVICE_DELIVERY) | BIT(PRV_KIND_SUPPORT)
                        | BIT(PRV_KIND_LEGAL_RETENTION) | BIT(PRV_KIND_RIGHTS_HANDLING),
};

#define ALL_BASES (BIT(PRV_BASIS_COUNT) - 1u)

static const unsigned class_bases[PRV_CLASS_COUNT] = {
    [PRV_CLASS_CONTACT] = ALL_BASES,
    /* R13: what a survey or contest asks for is given by consent. */
    [PRV_CLASS_DEMOGRAPHIC] = BIT(PRV_BASIS_CONSENT) | BIT(PRV_BASIS_LEGAL_OBLIGATION),
    [PRV_CLASS_SURVEY] = BIT(PRV_BASIS_CONSENT) | BIT(PRV_BASIS_LEGAL_OBLIGATION),
    [PRV_CLASS_ORDER] = ALL_BASES,
};

static const char *const class_rule[PRV_CLASS_COUNT] = {
    [PRV_CLASS_CONTACT] = "R2",
    [PRV_CLASS_DEMOGRAPHIC] = "R15",
    [PRV_CLASS_SURVEY] = "R15",
    [PRV_CLASS_ORDER] = "R2",
};

/* R4: a processor acts for the shop and may receive what a declared
 * purpose needs; a public authority only what the law obliges the shop to
 * hand over. */
static const unsigned rtype_bases[PRV_RTYPE_COUNT] = {
    [PRV_RTYPE_PROCESSOR] = ALL_BASES,
    [PRV_RTYPE_PUBLIC_AUTHORITY] = BIT(PRV_BASIS_LEGAL_OBLIGATION),
};

static int word_eq(const char *word, const char *s, size_t len)
{
    return strlen(word) == len && memcmp(word, s, len) == 0;
}

int prv_policy_word(const char *const *names, int n, const char *s, size_t len)
{
    for (int i = 0; i < n; i++) {
        if (word_eq(names[i], s, len))
            return i;
    }
    return -1;
}

int prv_policy_kind_is_trade(const char *s, size_t len)
{
    return prv_policy_word(trade_words, (int)(sizeof trade_words / sizeof trade_words[0]), s,
                           len) >= 0;
}

int prv_policy_category_class(const char *id, size_t len)
{
    const char *dot = memchr(id, '.', len);
    if (dot == NULL || dot + 1 == id + len)
        return -1;
    return prv_policy_word(prv_policy_class_names, PRV_CLASS_COUNT, id, (size_t)(dot - id));
}

unsigned prv_policy_kind_bases(int kind)
{
    return kind_bases[kind];
}

unsigned prv_policy_class_kinds(int cls)
{
    return class_kinds[cls];
}

unsigned prv_policy_class_bases(int cls)
{
    return class_bases[cls];
}

unsigned prv_policy_rtype_bases(int rtype)
{
    return rtype_bases[rtype];
}

const char *prv_policy_class_rule(int cls)
{
    return class_rule[cls];
}

int prv_policy_id_valid(const char *s, size_t len)
{
    if (len == 0 || len > PRIVACY_POLICY_ID_MAX || s[0] < 'a' || s[0] > 'z')
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.'
              || c == '-'))
            return 0;
    }
    return 1;
}

int prv_policy_quotable(const char *s, size_t len)
{
    if (len == 0 || len > 32)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
              || c == '_' || c == '.' || c == '-'))
            return 0;
    }
    return 1;
}
