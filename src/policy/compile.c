/* From a parsed document to decision tables: the checks that span sections
 * (duplicate ids, references, which purposes a category, recipient, grant
 * or cookie may have), in a fixed order so that "the first error" is well
 * defined (docs/policy.md, "Validation"), and the tables themselves, built
 * in one allocation. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "compiled.h"
#include "core/alloc.h"
#include "model.h"
#include "schema.h"

#define BIT(x) (1u << (x))

static const char *const section_names[PRV_SEC_COUNT] = {
    "purposes", "categories", "roles", "recipients", "cookies",
};
static const char *const entity_names[PRV_SEC_COUNT] = {
    "purpose", "category", "role", "recipient", "cookie",
};

typedef struct compiler {
    const prv_policy_model *m;
    prv_policy *pol;
    prv_err *err;
} compiler;

static int invalid(compiler *c, const char *fmt, ...) PRV_PRINTF(2, 3);
static int invalid(compiler *c, const char *fmt, ...)
{
    char msg[PRIVACY_ERRMSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return prv_err_set(c->err, PRIVACY_E_POLICY, "%s", msg);
}

static const char *ref(const compiler *c, uint32_t i)
{
    return prv_mstr_get(c->m, c->m->refs[i]);
}

static int find(const compiler *c, int sec, const char *s)
{
    size_t len = strlen(s);
    uint32_t h = PRV_POLICY_HASH_INIT;
    for (size_t i = 0; i < len; i++)
        h = prv_policy_hash_step(h, (unsigned char)s[i]);
    return prv_pindex_find(&c->pol->index[sec], s, len, h);
}

/* ---- layout: everything in one block ---- */

static size_t slot_count(size_t n)
{
    size_t s = 2;
    while (s < 2 * n)
        s *= 2;
    return s;
}

/* Reserves size bytes at *off (aligned for any type), returns where. */
static size_t reserve(size_t *off, size_t size)
{
    size_t a = _Alignof(max_align_t);
    size_t at = (*off + a - 1) / a * a;
    *off = at + size;
    return at;
}

typedef struct layout {
    size_t n[PRV_SEC_COUNT];
    size_t names[PRV_SEC_COUNT], slots[PRV_SEC_COUNT];
    size_t collected, grants, served, basis, kind, retention, rtype, necessary, cpurpose, pool;
    size_t total;
} layout;

static const prv_mstr *entity_id(const prv_policy_model *m, int sec, size_t i)
{
    switch (sec) {
    case PRV_SEC_PURPOSES: return &m->purposes[i].id;
    case PRV_SEC_CATEGORIES: return &m->categories[i].id;
    case PRV_SEC_ROLES: return &m->roles[i].id;
    case PRV_SEC_RECIPIENTS: return &m->recipients[i].id;
    default: return &m->cookies[i].id;
    }
}

static void plan(layout *l, const prv_policy_model *m)
{
    l->n[PRV_SEC_PURPOSES] = m->n_purposes;
    l->n[PRV_SEC_CATEGORIES] = m->n_categories;
    l->n[PRV_SEC_ROLES] = m->n_roles;
    l->n[PRV_SEC_RECIPIENTS] = m->n_recipients;
    l->n[PRV_SEC_COOKIES] = m->n_cookies;
    size_t off = sizeof(prv_policy), pool = 0;
    for (int s = 0; s < PRV_SEC_COUNT; s++) {
        l->names[s] = reserve(&off, l->n[s] * sizeof(prv_pname));
        l->slots[s] = reserve(&off, slot_count(l->n[s]) * sizeof(uint16_t));
        for (size_t i = 0; i < l->n[s]; i++)
            pool += entity_id(m, s, i)->len + 1;
    }
    size_t ncat = m->n_categories;
    l->collected = reserve(&off, ncat * sizeof(uint64_t));
    l->grants = reserve(&off, m->n_roles * PRV_ACTION_COUNT * ncat * sizeof(uint64_t));
    l->served = reserve(&off, m->n_recipients * sizeof(uint64_t));
    l->basis = reserve(&off, m->n_purposes);
    l->kind = reserve(&off, m->n_purposes);
    l->retention = reserve(&off, m->n_purposes * sizeof(int32_t));
    l->rtype = reserve(&off, m->n_recipients);
    l->necessary = reserve(&off, m->n_cookies);
    l->cpurpose = reserve(&off, m->n_cookies);
    l->pool = reserve(&off, pool);
    l->total = off;
}

static prv_policy *place(const layout *l, unsigned char *b)
{
    prv_policy *pol = (prv_policy *)b;
    for (int s = 0; s < PRV_SEC_COUNT; s++) {
        pol->index[s].names = (const prv_pname *)(b + l->names[s]);
        pol->index[s].slots = (const uint16_t *)(b + l->slots[s]);
        pol->index[s].mask = (uint32_t)slot_count(l->n[s]) - 1;
    }
    pol->collected = (uint64_t *)(b + l->collected);
    pol->grants = (uint64_t *)(b + l->grants);
    pol->served = (uint64_t *)(b + l->served);
    pol->purpose_basis = b + l->basis;
    pol->purpose_kind = b + l->kind;
    pol->retention_days = (int32_t *)(b + l->retention);
    pol->recipient_type = b + l->rtype;
    pol->cookie_necessary = b + l->necessary;
    pol->cookie_purpose = b + l->cpurpose;
    return pol;
}

/* ---- the names of each section (duplicate ids) ---- */

static int index_section(compiler *c, const layout *l, unsigned char *b, size_t *pool, int sec)
{
    prv_pindex *ix = &c->pol->index[sec];
    prv_pname *names = (prv_pname *)(b + l->names[sec]);
    uint16_t *slots = (uint16_t *)(b + l->slots[sec]);
    for (size_t i = 0; i < l->n[sec]; i++) {
        const prv_mstr *id = entity_id(c->m, sec, i);
        const char *s = prv_mstr_get(c->m, *id);
        uint32_t h = PRV_POLICY_HASH_INIT;
        for (size_t k = 0; k < id->len; k++)
            h = prv_policy_hash_step(h, (unsigned char)s[k]);
        int first = prv_pindex_find(ix, s, id->len, h);
        if (first >= 0)
            return invalid(c, "%s[%zu].id: duplicate %s \"%s\" (first at %s[%d])",
                           section_names[sec], i, entity_names[sec], s, section_names[sec],
                           first);
        char *copy = (char *)b + l->pool + *pool;
        memcpy(copy, s, id->len + 1);
        *pool += id->len + 1;
        names[i].s = copy;
        names[i].len = id->len;
        uint32_t at = h & ix->mask;
        while (slots[at] != 0)
            at = (at + 1) & ix->mask;
        slots[at] = (uint16_t)(i + 1);
        ix->n = (uint32_t)(i + 1);
    }
    return PRIVACY_OK;
}

/* ---- purposes ---- */

static int check_purposes(compiler *c)
{
    const prv_policy_model *m = c->m;
    for (size_t i = 0; i < m->n_purposes; i++) {
        const prv_mpurpose *p = &m->purposes[i];
        if (!(prv_policy_kind_bases(p->kind) & BIT(p->basis)))
            return invalid(c, "purposes[%zu].basis: \"%s\" cannot apply to a purpose of kind \"%s\"",
                           i, prv_policy_basis_names[p->basis], prv_policy_kind_names[p->kind]);
        c->pol->purpose_basis[i] = (uint8_t)p->basis;
        c->pol->purpose_kind[i] = (uint8_t)p->kind;
        c->pol->retention_days[i] = p->retention_days;
    }
    return PRIVACY_OK;
}

/* Resolves a list of purpose references at "<path>[j]" into a bit set,
 * refusing unknown and repeated entries. */
static int purpose_set(compiler *c, prv_mlist list, const char *path, uint64_t *out)
{
    uint64_t set = 0;
    for (uint32_t j = 0; j < list.count; j++) {
        const char *name = ref(c, list.first + j);
        int p = find(c, PRV_SEC_PURPOSES, name);
        if (p < 0)
            return invalid(c, "%s[%u]: unknown purpose \"%s\"", path, j, name);
        if (set & ((uint64_t)1 << p))
            return invalid(c, "%s[%u]: \"%s\" is listed twice", path, j, name);
        set |= (uint64_t)1 << p;
    }
    *out = set;
    return PRIVACY_OK;
}

/* ---- categories (R2) ---- */

static int check_categories(compiler *c)
{
    const prv_policy_model *m = c->m;
    char path[64];
    for (size_t i = 0; i < m->n_categories; i++) {
        const prv_mcategory *cat = &m->categories[i];
        const char *cls = prv_policy_class_names[cat->cls];
        snprintf(path, sizeof path, "categories[%zu].purposes", i);
        if (cat->purposes.count == 0)
            return invalid(c, "%s: a category must be collected for at least one purpose (R2)",
                           path);
        uint64_t set;
        int rc = purpose_set(c, cat->purposes, path, &set);
        if (rc != PRIVACY_OK)
            return rc;
        for (uint32_t j = 0; j < cat->purposes.count; j++) {
            const char *name = ref(c, cat->purposes.first + j);
            int p = find(c, PRV_SEC_PURPOSES, name);
            int kind = m->purposes[p].kind, basis = m->purposes[p].basis;
            if (!(prv_policy_class_kinds(cat->cls) & BIT(kind)))
                return invalid(c,
                               "%s[%u]: a \"%s\" category cannot be collected for \"%s\", a"
                               " purpose of kind \"%s\" (%s)",
                               path, j, cls, name, prv_policy_kind_names[kind],
                               prv_policy_class_rule(cat->cls));
            if (!(prv_policy_class_bases(cat->cls) & BIT(basis)))
                return invalid(c,
                               "%s[%u]: a \"%s\" category cannot be collected for \"%s\", a"
                               " purpose with basis \"%s\" (R13)",
                               path, j, cls, name, prv_policy_basis_names[basis]);
        }
        c->pol->collected[i] = set;
    }
    return PRIVACY_OK;
}

/* ---- recipients (R4) ---- */

static int check_recipients(compiler *c)
{
    const prv_policy_model *m = c->m;
    char path[64];
    for (size_t i = 0; i < m->n_recipients; i++) {
        const prv_mrecipient *r = &m->recipients[i];
        snprintf(path, sizeof path, "recipients[%zu].purposes", i);
        if (r->purposes.count == 0)
            return invalid(c, "%s: a recipient must serve at least one declared purpose (R4)",
                           path);
        uint64_t set;
        int rc = purpose_set(c, r->purposes, path, &set);
        if (rc != PRIVACY_OK)
            return rc;
        for (uint32_t j = 0; j < r->purposes.count; j++) {
            const char *name = ref(c, r->purposes.first + j);
            int basis = m->purposes[find(c, PRV_SEC_PURPOSES, name)].basis;
            if (!(prv_policy_rtype_bases(r->type) & BIT(basis)))
                return invalid(c,
                               "%s[%u]: a \"%s\" recipient cannot receive data for \"%s\", a"
                               " purpose with basis \"%s\" (R4)",
                               path, j, prv_policy_rtype_names[r->type], name,
                               prv_policy_basis_names[basis]);
        }
        c->pol->served[i] = set;
        c->pol->recipient_type[i] = (uint8_t)r->type;
    }
    return PRIVACY_OK;
}

/* ---- roles and their grants (R20) ---- */

typedef struct grant_sets {
    int cat[PRIVACY_POLICY_CATEGORIES_MAX]; /* the grant's categories, resolved */
    uint32_t n_cat;
    uint64_t purposes;
} grant_sets;

static int grant_categories(compiler *c, const prv_mgrant *g, const char *path, grant_sets *gs)
{
    unsigned char seen[PRIVACY_POLICY_CATEGORIES_MAX] = { 0 };
    if (g->categories.count == 0)
        return invalid(c, "%s.categories: must not be empty", path);
    gs->n_cat = 0;
    for (uint32_t j = 0; j < g->categories.count; j++) {
        const char *name = ref(c, g->categories.first + j);
        int k = find(c, PRV_SEC_CATEGORIES, name);
        if (k < 0)
            return invalid(c, "%s.categories[%u]: unknown category \"%s\"", path, j, name);
        if (seen[k])
            return invalid(c, "%s.categories[%u]: \"%s\" is listed twice", path, j, name);
        seen[k] = 1;
        gs->cat[gs->n_cat++] = k;
    }
    return PRIVACY_OK;
}

/* A grant must make sense as a whole: each of its purposes is one some of
 * its categories are collected for, and the reverse (R2); a purpose it
 * may disclose for is one some recipient serves (R4). */
static int grant_coherent(compiler *c, const prv_mgrant *g, const char *path, const grant_sets *gs)
{
    const prv_policy *pol = c->pol;
    for (uint32_t j = 0; j < g->purposes.count; j++) {
        const char *name = ref(c, g->purposes.first + j);
        uint64_t bit = (uint64_t)1 << find(c, PRV_SEC_PURPOSES, name);
        uint64_t any = 0;
        for (uint32_t k = 0; k < gs->n_cat; k++)
            any |= pol->collected[gs->cat[k]] & bit;
        if (any == 0)
            return invalid(c, "%s.purposes[%u]: no category of this grant is collected for"
                              " \"%s\" (R2)",
                           path, j, name);
    }
    for (uint32_t k = 0; k < gs->n_cat; k++) {
        if ((pol->collected[gs->cat[k]] & gs->purposes) == 0)
            return invalid(c, "%s.categories[%u]: \"%s\" is collected for none of this"
                              " grant's purposes (R2)",
                           path, k, ref(c, g->categories.first + k));
    }
    if (!(g->actions & BIT(PRV_ACTION_DISCLOSE)))
        return PRIVACY_OK;
    for (uint32_t j = 0; j < g->purposes.count; j++) {
        const char *name = ref(c, g->purposes.first + j);
        uint64_t bit = (uint64_t)1 << find(c, PRV_SEC_PURPOSES, name);
        uint64_t any = 0;
        for (size_t r = 0; r < c->m->n_recipients; r++)
            any |= pol->served[r] & bit;
        if (any == 0)
            return invalid(c, "%s.purposes[%u]: \"disclose\" is granted for \"%s\", which no"
                              " recipient serves (R4)",
                           path, j, name);
    }
    return PRIVACY_OK;
}

static int check_grant(compiler *c, size_t role, const prv_mgrant *g, size_t gi)
{
    char path[64], ppath[80];
    grant_sets gs;
    snprintf(path, sizeof path, "roles[%zu].grants[%zu]", role, gi);
    if (g->actions == 0)
        return invalid(c, "%s.actions: must not be empty", path);
    int rc = grant_categories(c, g, path, &gs);
    if (rc != PRIVACY_OK)
        return rc;
    snprintf(ppath, sizeof ppath, "%s.purposes", path);
    if (g->purposes.count == 0)
        return invalid(c, "%s: must not be empty", ppath);
    rc = purpose_set(c, g->purposes, ppath, &gs.purposes);
    if (rc == PRIVACY_OK)
        rc = grant_coherent(c, g, path, &gs);
    if (rc != PRIVACY_OK)
        return rc;
    size_t ncat = c->m->n_categories;
    for (int a = 0; a < PRV_ACTION_COUNT; a++) {
        if (!(g->actions & BIT(a)))
            continue;
        uint64_t *row = c->pol->grants + (role * PRV_ACTION_COUNT + (size_t)a) * ncat;
        for (uint32_t k = 0; k < gs.n_cat; k++)
            row[gs.cat[k]] |= gs.purposes & c->pol->collected[gs.cat[k]];
    }
    return PRIVACY_OK;
}

static int check_roles(compiler *c)
{
    const prv_policy_model *m = c->m;
    for (size_t r = 0; r < m->n_roles; r++) {
        for (uint32_t g = 0; g < m->roles[r].n_grants; g++) {
            int rc = check_grant(c, r, &m->grants[m->roles[r].first_grant + g], g);
            if (rc != PRIVACY_OK)
                return rc;
        }
    }
    return PRIVACY_OK;
}

/* ---- cookies (R10, R11) ---- */

static int check_cookies(compiler *c)
{
    const prv_policy_model *m = c->m;
    for (size_t i = 0; i < m->n_cookies; i++) {
        const prv_mcookie *k = &m->cookies[i];
        const char *name = prv_mstr_get(m, k->purpose);
        int p = find(c, PRV_SEC_PURPOSES, name);
        if (p < 0)
            return invalid(c, "cookies[%zu].purpose: unknown purpose \"%s\"", i, name);
        if (k->necessary && m->purposes[p].kind != PRV_KIND_SITE_OPERATION)
            return invalid(c,
                           "cookies[%zu].purpose: a strictly necessary cookie needs a purpose"
                           " of kind \"site_operation\" (R11)",
                           i);
        if (!k->necessary && m->purposes[p].basis != PRV_BASIS_CONSENT)
            return invalid(c,
                           "cookies[%zu].purpose: a cookie that is not strictly necessary needs"
                           " a purpose with basis \"consent\" (R11)",
                           i);
        c->pol->cookie_necessary[i] = (uint8_t)(k->necessary != 0);
        c->pol->cookie_purpose[i] = (uint8_t)p;
    }
    return PRIVACY_OK;
}

static int build(prv_policy **out, const prv_policy_model *m, prv_err *err)
{
    layout l;
    plan(&l, m);
    unsigned char *b = prv_calloc(1, l.total);
    if (b == NULL)
        return prv_err_set(err, PRIVACY_E_NOMEM, "out of memory while compiling the policy");
    compiler c = { .m = m, .pol = place(&l, b), .err = err };
    size_t pool = 0;
    int rc = PRIVACY_OK;
    for (int s = 0; s < PRV_SEC_COUNT && rc == PRIVACY_OK; s++)
        rc = index_section(&c, &l, b, &pool, s);
    if (rc == PRIVACY_OK)
        rc = check_purposes(&c);
    if (rc == PRIVACY_OK)
        rc = check_categories(&c);
    if (rc == PRIVACY_OK)
        rc = check_recipients(&c);
    if (rc == PRIVACY_OK)
        rc = check_roles(&c);
    if (rc == PRIVACY_OK)
        rc = check_cookies(&c);
    if (rc != PRIVACY_OK) {
        prv_free(b);
        return rc;
    }
    *out = c.pol;
    return PRIVACY_OK;
}

int prv_policy_compile(prv_policy **out, const char *json, size_t len, prv_err *err)
{
    prv_policy_model m;
    memset(&m, 0, sizeof m);
    int rc = prv_policy_parse(&m, json, len, err);
    if (rc == PRIVACY_OK)
        rc = build(out, &m, err);
    prv_policy_model_clear(&m);
    return rc;
}

void prv_policy_free(prv_policy *pol)
{
    prv_free(pol);
}
