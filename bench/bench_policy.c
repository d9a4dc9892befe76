/* Policy decisions: privacy_policy_check() with string arguments, as the
 * public call takes them (nothing pre-interned: every call hashes and
 * compares its strings), over the compiled-in default policy, half of the
 * calls refused (by R2, R20, R4 and unknown names alike). A decision has no
 * raw counterpart, so the figure prints baseline=none (DESIGN.md).
 *
 *  policy_decision  one privacy_policy_check() call. ops = decisions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "privacy/privacy.h"

enum {
    ROUNDS = 9,             /* timed rounds, plus one warm-up */
    STEPS = 4,              /* steps per round */
    CALLS_PER_STEP = 500000 /* decisions per step */
};

typedef struct query {
    char role[32], action[16], category[32], purpose[32], recipient[32];
    int has_recipient;
    int want; /* PRIVACY_OK or PRIVACY_E_DENIED */
} query;

static const struct {
    const char *role, *action, *category, *purpose, *recipient;
    int want;
} spec[] = {
    { "billing", "read", "contact.shipping_address", "billing", NULL, PRIVACY_OK },
    { "marketing", "read", "contact.shipping_address", "fulfilment", NULL, PRIVACY_E_DENIED },
    { "customer_service", "read", "contact.phone", "support_response", NULL, PRIVACY_OK },
    { "analyst", "read", "survey.answers", "marketing_email", NULL, PRIVACY_E_DENIED },
    { "fulfilment", "disclose", "contact.shipping_address", "fulfilment", "carrier",
      PRIVACY_OK },
    { "fulfilment", "disclose", "contact.shipping_address", "fulfilment", "payment_processor",
      PRIVACY_E_DENIED },
    { "marketing", "read", "contact.email", "product_follow_up", NULL, PRIVACY_OK },
    { "marketing", "read", "contact.email", "policy_change_notice", NULL, PRIVACY_E_DENIED },
    { "privacy_officer", "write", "order.card_summary", "subject_rights", NULL, PRIVACY_OK },
    { "storefront", "read", "contact.email", "billing", NULL, PRIVACY_E_DENIED },
    { "analyst", "read", "demographic.age_band", "survey_improvement", NULL, PRIVACY_OK },
    { "intern", "read", "contact.email", "billing", NULL, PRIVACY_E_DENIED },
    { "storefront", "write", "contact.email", "marketing_email", NULL, PRIVACY_OK },
    { "billing", "read", "contact.fax", "billing", NULL, PRIVACY_E_DENIED },
    { "billing", "disclose", "order.card_summary", "billing", "payment_processor", PRIVACY_OK },
    { "billing", "read", "order.card_summary", "analytics", NULL, PRIVACY_E_DENIED },
};

enum { NQ = sizeof spec / sizeof spec[0] };

typedef struct state {
    privacy_ctx *ctx;
    query q[NQ];
} state;

static uint64_t step(void *arg, int s)
{
    (void)s;
    state *st = arg;
    unsigned denied = 0;
    for (int i = 0; i < CALLS_PER_STEP; i++) {
        const query *q = &st->q[i % NQ];
        int rc = privacy_policy_check(st->ctx, q->role, q->action, q->category, q->purpose,
                                      q->has_recipient ? q->recipient : NULL);
        if (rc != q->want)
            bench_die("%s %s %s for %s: %d, expected %d (%s)", q->role, q->action, q->category,
                      q->purpose, rc, q->want, privacy_errmsg(st->ctx));
        denied += rc != PRIVACY_OK;
    }
    if (denied != CALLS_PER_STEP / 2)
        bench_die("policy_decision: %u of %d calls denied, not half", denied, CALLS_PER_STEP);
    return CALLS_PER_STEP;
}

int main(void)
{
    static state st;
    static uint8_t key[PRIVACY_ROOT_KEY_BYTES] = { 1 };
    privacy_config *cfg;
    if (privacy_config_new(&cfg) != PRIVACY_OK
        || privacy_config_set_storage(cfg, "sqlite::memory:") != PRIVACY_OK
        || privacy_config_set_root_key(cfg, key, sizeof key) != PRIVACY_OK
        || privacy_open(&st.ctx, cfg) != PRIVACY_OK)
        bench_die("open: %s", privacy_errmsg(NULL));
    privacy_config_free(cfg);
    /* The arguments live in buffers of their own, like a caller's strings. */
    for (int i = 0; i < NQ; i++) {
        query *q = &st.q[i];
        snprintf(q->role, sizeof q->role, "%s", spec[i].role);
        snprintf(q->action, sizeof q->action, "%s", spec[i].action);
        snprintf(q->category, sizeof q->category, "%s", spec[i].category);
        snprintf(q->purpose, sizeof q->purpose, "%s", spec[i].purpose);
        q->has_recipient = spec[i].recipient != NULL;
        if (q->has_recipient)
            snprintf(q->recipient, sizeof q->recipient, "%s", spec[i].recipient);
        q->want = spec[i].want;
    }
    bench_run_alone("policy_decision", ROUNDS, STEPS, &st, NULL, step);
    privacy_close(st.ctx);
    return 0;
}
