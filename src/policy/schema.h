/* The closed vocabularies of the policy document and the rules that relate
 * them (docs/policy.md, "Vocabularies"). A document can only name what is
 * listed here: there is no purpose kind for sale, rental or advertising
 * exchange, so R3 cannot be broken by configuration. */
#ifndef PRV_POLICY_SCHEMA_H
#define PRV_POLICY_SCHEMA_H

#include <stddef.h>
#include <stdint.h>

/* Lawful bases of GDPR Art. 6(1), (a) to (f). */
enum prv_basis {
    PRV_BASIS_CONSENT,
    PRV_BASIS_CONTRACT,
    PRV_BASIS_LEGAL_OBLIGATION,
    PRV_BASIS_VITAL_INTERESTS,
    PRV_BASIS_PUBLIC_TASK,
    PRV_BASIS_LEGITIMATE_INTERESTS,
    PRV_BASIS_COUNT
};

enum prv_kind {
    PRV_KIND_SERVICE_DELIVERY,
    PRV_KIND_SUPPORT,
    PRV_KIND_DIRECT_MARKETING,
    PRV_KIND_SERVICE_NOTICE,
    PRV_KIND_SAFETY_NOTICE,
    PRV_KIND_CONTEST,
    PRV_KIND_SITE_IMPROVEMENT,
    PRV_KIND_ANALYTICS,
    PRV_KIND_PERSONALISATION,
    PRV_KIND_SITE_OPERATION,
    PRV_KIND_RIGHTS_HANDLING,
    PRV_KIND_LEGAL_RETENTION,
    PRV_KIND_COUNT
};

enum prv_recipient_type { PRV_RTYPE_PROCESSOR, PRV_RTYPE_PUBLIC_AUTHORITY, PRV_RTYPE_COUNT };

/* A category id is "<class>.<name>"; the class bounds what it may be
 * collected for. */
enum prv_class { PRV_CLASS_CONTACT, PRV_CLASS_DEMOGRAPHIC, PRV_CLASS_SURVEY, PRV_CLASS_ORDER,
                 PRV_CLASS_COUNT };

enum prv_action { PRV_ACTION_READ, PRV_ACTION_WRITE, PRV_ACTION_DISCLOSE, PRV_ACTION_COUNT };

extern const char *const prv_policy_basis_names[PRV_BASIS_COUNT];
extern const char *const prv_policy_kind_names[PRV_KIND_COUNT];
extern const char *const prv_policy_rtype_names[PRV_RTYPE_COUNT];
extern const char *const prv_policy_class_names[PRV_CLASS_COUNT];
extern const char *const prv_policy_action_names[PRV_ACTION_COUNT];

/* The index of the word s (len bytes, not NUL-terminated) in names[0..n),
 * or -1. */
int prv_policy_word(const char *const *names, int n, const char *s, size_t len);
/* 1 if s names a trade in personal data that no kind may express (R3). */
int prv_policy_kind_is_trade(const char *s, size_t len);
/* The class of a category id (its part before the first '.'), or -1. */
int prv_policy_category_class(const char *id, size_t len);

/* Bit sets (1u << enum value) of what may go together. */
unsigned prv_policy_kind_bases(int kind);   /* bases that can apply to a kind */
unsigned prv_policy_class_kinds(int cls);   /* kinds a class may be collected for */
unsigned prv_policy_class_bases(int cls);   /* bases a class may be collected under */
unsigned prv_policy_rtype_bases(int rtype); /* bases a recipient type may receive under */
/* The rule a class's limits come from, e.g. "R15". */
const char *prv_policy_class_rule(int cls);

/* Identifiers: 1 to PRIVACY_POLICY_ID_MAX bytes of a-z 0-9 _ . -, the
 * first a letter. Only such names are ever quoted in a message. */
int prv_policy_id_valid(const char *s, size_t len);
/* A word a message may quote although it is not an identifier (an unknown
 * key, a misspelt enum value): short, and only letters, digits, _ . - */
int prv_policy_quotable(const char *s, size_t len);

#endif
