/* The policy document's parser: yajl's callback parser, driven by the
 * schema tables below, fills a prv_policy_model. It checks everything one
 * object can show on its own (closed keys, types, required keys,
 * identifiers, enum words, limits) and stops at the first error, which it
 * reports with its JSON path. Nothing from the document is quoted in a
 * message except identifiers and short plain words. */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <yajl/yajl_parse.h>

#include "core/alloc.h"
#include "model.h"
#include "privacy/policy.h"
#include "schema.h"

typedef enum { V_INT, V_STR, V_BOOL, V_STRS, V_OBJS, V_OBJ } vtype;

typedef enum { O_ROOT, O_PURPOSE, O_CATEGORY, O_ROLE, O_GRANT, O_RECIPIENT, O_COOKIE } okind;

typedef enum {
    F_VERSION, F_PURPOSES, F_CATEGORIES, F_ROLES, F_RECIPIENTS, F_COOKIES,
    F_ID, F_BASIS, F_KIND, F_RETENTION, F_DESCRIPTION, F_GRANTS, F_ACTIONS,
    F_PURPOSE_REFS, F_CATEGORY_REFS, F_TYPE, F_NECESSARY, F_PURPOSE
} field;

typedef struct keyspec {
    const char *name;
    vtype type;
    field f;
    okind child; /* V_OBJS: the kind of its elements */
    int limit;   /* V_OBJS: most elements */
    int required;
} keyspec;

static const keyspec root_keys[] = {
    { "policy_version", V_INT, F_VERSION, O_ROOT, 0, 1 },
    { "purposes", V_OBJS, F_PURPOSES, O_PURPOSE, PRIVACY_POLICY_PURPOSES_MAX, 1 },
    { "categories", V_OBJS, F_CATEGORIES, O_CATEGORY, PRIVACY_POLICY_CATEGORIES_MAX, 1 },
    { "roles", V_OBJS, F_ROLES, O_ROLE, PRIVACY_POLICY_ROLES_MAX, 1 },
    { "recipients", V_OBJS, F_RECIPIENTS, O_RECIPIENT, PRIVACY_POLICY_RECIPIENTS_MAX, 1 },
    { "cookies", V_OBJS, F_COOKIES, O_COOKIE, PRIVACY_POLICY_COOKIES_MAX, 1 },
};
static const keyspec purpose_keys[] = {
    { "id", V_STR, F_ID, O_ROOT, 0, 1 },
    { "basis", V_STR, F_BASIS, O_ROOT, 0, 1 },
    { "kind", V_STR, F_KIND, O_ROOT, 0, 1 },
    { "retention_days", V_INT, F_RETENTION, O_ROOT, 0, 1 },
    { "description", V_STR, F_DESCRIPTION, O_ROOT, 0, 0 },
};
static const keyspec category_keys[] = {
    { "id", V_STR, F_ID, O_ROOT, 0, 1 },
    { "purposes", V_STRS, F_PURPOSE_REFS, O_ROOT, 0, 1 },
};
static const keyspec role_keys[] = {
    { "id", V_STR, F_ID, O_ROOT, 0, 1 },
    { "grants", V_OBJS, F_GRANTS, O_GRANT, PRIVACY_POLICY_GRANTS_MAX, 1 },
};
static const keyspec grant_keys[] = {
    { "actions", V_STRS, F_ACTIONS, O_ROOT, 0, 1 },
    { "categories", V_STRS, F_CATEGORY_REFS, O_ROOT, 0, 1 },
    { "purposes", V_STRS, F_PURPOSE_REFS, O_ROOT, 0, 1 },
};
static const keyspec recipient_keys[] = {
    { "id", V_STR, F_ID, O_ROOT, 0, 1 },
    { "type", V_STR, F_TYPE, O_ROOT, 0, 1 },
    { "purposes", V_STRS, F_PURPOSE_REFS, O_ROOT, 0, 1 },
};
static const keyspec cookie_keys[] = {
    { "id", V_STR, F_ID, O_ROOT, 0, 1 },
    { "necessary", V_BOOL, F_NECESSARY, O_ROOT, 0, 1 },
    { "purpose", V_STR, F_PURPOSE, O_ROOT, 0, 1 },
};

#define KEYS(k) { k, (int)(sizeof k / sizeof k[0]) }
static const struct {
    const keyspec *keys;
    int n;
} objects[] = {
    [O_ROOT] = KEYS(root_keys),       [O_PURPOSE] = KEYS(purpose_keys),
    [O_CATEGORY] = KEYS(category_keys), [O_ROLE] = KEYS(role_keys),
    [O_GRANT] = KEYS(grant_keys),     [O_RECIPIENT] = KEYS(recipient_keys),
    [O_COOKIE] = KEYS(cookie_keys),
};

/* The deepest the schema goes: root, roles, a role, grants, a grant, its
 * actions. A container anywhere else is a type error before it is
 * entered, so a deeply nested document costs nothing. */
enum { MAX_DEPTH = 6 };

typedef struct frame {
    int is_array;
    okind obj;           /* an object's kind */
    const keyspec *key;  /* object: the key whose value is open, or NULL;
                            array: the key that holds it */
    uint32_t seen;       /* object: one bit per key of its table */
    uint32_t index;      /* array: the element being read */
    size_t entity;       /* object: its index in its model list */
} frame;

/* yajl 2.1 writes through the result of its allocator without checking it
 * (yajl_buf.c, yajl_bytestack.h), so a NULL would crash inside yajl.
 * Instead an allocation failure unwinds from the allocator to the parse's
 * entry with longjmp, and the blocks yajl held, which we track on a list,
 * are released there. yajl holds nothing else (no locks, no files). */
typedef union yblock {
    struct {
        union yblock *prev, *next;
    } link;
    max_align_t align; /* keeps the block's payload aligned for anything */
} yblock;

typedef struct parser {
    prv_policy_model *m;
    prv_err *err;
    int rc;
    int started; /* the root object was opened */
    frame stack[MAX_DEPTH];
    int depth;
    yajl_alloc_funcs afs;
    yajl_handle yajl;
    yblock *blocks; /* every block yajl holds */
    jmp_buf oom;
} parser;

/* ---- errors ---- */

static int nomem(parser *p)
{
    p->rc = prv_err_set(p->err, PRIVACY_E_NOMEM, "out of memory while reading the policy");
    return 0;
}

/* The JSON path of the position the parser is at: an object contributes
 * the key whose value is open, an array the index of its open element. */
static void render_path(const parser *p, char *buf, size_t len)
{
    size_t n = 0;
    buf[0] = '\0';
    for (int i = 0; i < p->depth && n < len; i++) {
        const frame *f = &p->stack[i];
        int w = 0;
        if (f->is_array)
            w = snprintf(buf + n, len - n, "[%u]", (unsigned)f->index);
        else if (f->key != NULL)
            w = snprintf(buf + n, len - n, "%s%s", n == 0 ? "" : ".", f->key->name);
        if (w > 0)
            n += (size_t)w;
    }
    if (buf[0] == '\0')
        snprintf(buf, len, "document");
}

/* Records "<path>: <message>" and returns 0, which stops yajl. */
static int fail(parser *p, int code, const char *fmt, ...) PRV_PRINTF(3, 4);
static int fail(parser *p, int code, const char *fmt, ...)
{
    char path[128], msg[PRIVACY_ERRMSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    render_path(p, path, sizeof path);
    p->rc = prv_err_set(p->err, code, "%s: %s", path, msg);
    return 0;
}

static const char *vtype_name(vtype t)
{
    switch (t) {
    case V_INT: return "an integer";
    case V_STR: return "a string";
    case V_BOOL: return "true or false";
    case V_STRS: return "an array of strings";
    case V_OBJS: return "an array of objects";
    case V_OBJ: return "an object";
    }
    return "a value";
}

/* What the position the parser is at takes. */
static vtype expected(const parser *p)
{
    if (p->depth == 0)
        return V_OBJ;
    const frame *f = &p->stack[p->depth - 1];
    if (f->is_array)
        return f->key->type == V_OBJS ? V_OBJ : V_STR;
    return f->key->type;
}

static int type_error(parser *p, const char *found)
{
    return fail(p, PRIVACY_E_POLICY, "expected %s, not %s", vtype_name(expected(p)), found);
}

/* "unknown <what> "word"", quoting the word only if it is short and plain. */
static int unknown_word(parser *p, const char *what, const char *s, size_t len)
{
    if (prv_policy_quotable(s, len))
        return fail(p, PRIVACY_E_POLICY, "unknown %s \"%.*s\"", what, (int)len, s);
    return fail(p, PRIVACY_E_POLICY, "unknown %s (not quoted: not a short plain word)", what);
}

/* ---- the model ---- */

static int grow(parser *p, void **v, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return 1;
    size_t ncap = *cap != 0 ? *cap * 2 : 8;
    void *nv = prv_realloc(*v, ncap * size);
    if (nv == NULL)
        return nomem(p);
    *v = nv;
    *cap = ncap;
    return 1;
}

#define GROW(p, vec, n, cap) grow((p), (void **)&(vec), &(cap), (n), sizeof *(vec))

static int pool_add(parser *p, const char *s, size_t len, prv_mstr *out)
{
    prv_policy_model *m = p->m;
    while (m->pool_len + len + 1 > m->pool_cap) {
        size_t ncap = m->pool_cap != 0 ? m->pool_cap * 2 : 1024;
        char *np = prv_realloc(m->pool, ncap);
        if (np == NULL)
            return nomem(p);
        m->pool = np;
        m->pool_cap = ncap;
    }
    memcpy(m->pool + m->pool_len, s, len);
    m->pool[m->pool_len + len] = '\0';
    out->off = (uint32_t)m->pool_len;
    out->len = (uint32_t)len;
    m->pool_len += len + 1;
    return 1;
}

/* A new, zeroed entity of kind k; its index goes to *index. */
static int new_entity(parser *p, okind k, size_t *index)
{
    prv_policy_model *m = p->m;
    switch (k) {
    case O_PURPOSE:
        if (!GROW(p, m->purposes, m->n_purposes, m->purposes_cap))
            return 0;
        *index = m->n_purposes++;
        memset(&m->purposes[*index], 0, sizeof m->purposes[0]);
        return 1;
    case O_CATEGORY:
        if (!GROW(p, m->categories, m->n_categories, m->categories_cap))
            return 0;
        *index = m->n_categories++;
        memset(&m->categories[*index], 0, sizeof m->categories[0]);
        return 1;
    case O_ROLE:
        if (!GROW(p, m->roles, m->n_roles, m->roles_cap))
            return 0;
        *index = m->n_roles++;
        memset(&m->roles[*index], 0, sizeof m->roles[0]);
        m->roles[*index].first_grant = (uint32_t)m->n_grants;
        return 1;
    case O_GRANT:
        if (!GROW(p, m->grants, m->n_grants, m->grants_cap))
            return 0;
        /* A role's grants are read one after the other, so they are
         * consecutive in m->grants. */
        m->roles[p->stack[p->depth - 2].entity].n_grants++;
        *index = m->n_grants++;
        memset(&m->grants[*index], 0, sizeof m->grants[0]);
        return 1;
    case O_RECIPIENT:
        if (!GROW(p, m->recipients, m->n_recipients, m->recipients_cap))
            return 0;
        *index = m->n_recipients++;
        memset(&m->recipients[*index], 0, sizeof m->recipients[0]);
        return 1;
    case O_COOKIE:
        if (!GROW(p, m->cookies, m->n_cookies, m->cookies_cap))
            return 0;
        *index = m->n_cookies++;
        memset(&m->cookies[*index], 0, sizeof m->cookies[0]);
        return 1;
    case O_ROOT:
        break;
    }
    *index = 0;
    return 1;
}

/* The list of references an object's key fills. */
static prv_mlist *list_of(parser *p, const frame *obj, field f)
{
    prv_policy_model *m = p->m;
    switch (obj->obj) {
    case O_CATEGORY: return &m->categories[obj->entity].purposes;
    case O_RECIPIENT: return &m->recipients[obj->entity].purposes;
    case O_GRANT:
        return f == F_CATEGORY_REFS ? &m->grants[obj->entity].categories
                                    : &m->grants[obj->entity].purposes;
    default: return NULL;
    }
}

static int push(parser *p, frame f)
{
    if (p->depth == MAX_DEPTH) /* unreachable: the schema is shallower */
        return fail(p, PRIVACY_E_INTERNAL, "nesting deeper than the schema");
    p->stack[p->depth++] = f;
    return 1;
}

/* A value is complete: an array moves to its next element, an object
 * waits for its next key. */
static void value_done(parser *p)
{
    if (p->depth == 0)
        return;
    frame *f = &p->stack[p->depth - 1];
    if (f->is_array)
        f->index++;
    else
        f->key = NULL;
}

/* ---- scalar values ---- */

static int check_id(parser *p, const char *s, size_t len)
{
    if (prv_policy_id_valid(s, len))
        return 1;
    return fail(p, PRIVACY_E_POLICY,
                "not a valid identifier (1 to %d bytes of a-z 0-9 _ . -, starting with a letter)",
                PRIVACY_POLICY_ID_MAX);
}

static int set_id(parser *p, const frame *obj, const char *s, size_t len)
{
    prv_policy_model *m = p->m;
    if (!check_id(p, s, len))
        return 0;
    prv_mstr id;
    if (obj->obj == O_CATEGORY) {
        int cls = prv_policy_category_class(s, len);
        if (cls < 0)
            return fail(p, PRIVACY_E_POLICY,
                        "\"%.*s\" is not <class>.<name> with class contact, demographic, survey"
                        " or order",
                        (int)len, s);
        m->categories[obj->entity].cls = cls;
    }
    if (!pool_add(p, s, len, &id))
        return 0;
    switch (obj->obj) {
    case O_PURPOSE: m->purposes[obj->entity].id = id; break;
    case O_CATEGORY: m->categories[obj->entity].id = id; break;
    case O_ROLE: m->roles[obj->entity].id = id; break;
    case O_RECIPIENT: m->recipients[obj->entity].id = id; break;
    case O_COOKIE: m->cookies[obj->entity].id = id; break;
    default: break;
    }
    return 1;
}

static int on_string_field(parser *p, frame *obj, const char *s, size_t len)
{
    prv_policy_model *m = p->m;
    int v;
    switch (obj->key->f) {
    case F_ID:
        return set_id(p, obj, s, len);
    case F_BASIS:
        v = prv_policy_word(prv_policy_basis_names, PRV_BASIS_COUNT, s, len);
        if (v < 0)
            return unknown_word(p, "lawful basis", s, len);
        m->purposes[obj->entity].basis = v;
        return 1;
    case F_KIND:
        if (prv_policy_kind_is_trade(s, len))
            return fail(p, PRIVACY_E_POLICY,
                        "\"%.*s\" cannot be expressed: personal data is never sold, rented or"
                        " exchanged for advertising (R3)",
                        (int)len, s);
        v = prv_policy_word(prv_policy_kind_names, PRV_KIND_COUNT, s, len);
        if (v < 0)
            return unknown_word(p, "purpose kind", s, len);
        m->purposes[obj->entity].kind = v;
        return 1;
    case F_DESCRIPTION:
        if (len > PRIVACY_POLICY_DESCRIPTION_MAX)
            return fail(p, PRIVACY_E_POLICY, "longer than %d bytes",
                        PRIVACY_POLICY_DESCRIPTION_MAX);
        return 1;
    case F_TYPE:
        v = prv_policy_word(prv_policy_rtype_names, PRV_RTYPE_COUNT, s, len);
        if (v < 0)
            return unknown_word(p, "recipient type", s, len);
        m->recipients[obj->entity].type = v;
        return 1;
    case F_PURPOSE:
        return check_id(p, s, len) && pool_add(p, s, len, &m->cookies[obj->entity].purpose);
    default:
        return fail(p, PRIVACY_E_INTERNAL, "no string field");
    }
}

static int on_list_string(parser *p, frame *arr, const char *s, size_t len)
{
    prv_policy_model *m = p->m;
    frame *obj = &p->stack[p->depth - 2];
    if (arr->key->f == F_ACTIONS) {
        int a = prv_policy_word(prv_policy_action_names, PRV_ACTION_COUNT, s, len);
        if (a < 0)
            return unknown_word(p, "action", s, len);
        prv_mgrant *g = &m->grants[obj->entity];
        if (g->actions & (1u << a))
            return fail(p, PRIVACY_E_POLICY, "\"%s\" is listed twice", prv_policy_action_names[a]);
        g->actions |= 1u << a;
        return 1;
    }
    if (!check_id(p, s, len) || !GROW(p, m->refs, m->n_refs, m->refs_cap)
        || !pool_add(p, s, len, &m->refs[m->n_refs]))
        return 0;
    m->n_refs++;
    list_of(p, obj, arr->key->f)->count++;
    return 1;
}

static int on_string(void *ctx, const unsigned char *str, size_t len)
{
    parser *p = ctx;
    const char *s = (const char *)str;
    if (expected(p) != V_STR)
        return type_error(p, "a string");
    frame *top = &p->stack[p->depth - 1];
    int ok = top->is_array ? on_list_string(p, top, s, len) : on_string_field(p, top, s, len);
    if (ok)
        value_done(p);
    return ok;
}

/* An integer in plain notation (-?[0-9]+) that fits in *out. */
static int parse_int(const char *s, size_t len, long long *out)
{
    size_t i = 0;
    int neg = 0;
    if (len > 0 && s[0] == '-') {
        neg = 1;
        i = 1;
    }
    if (i == len)
        return 0;
    long long v = 0;
    for (; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        if (v > (LLONG_MAX - (s[i] - '0')) / 10)
            return 0;
        v = v * 10 + (s[i] - '0');
    }
    *out = neg ? -v : v;
    return 1;
}

static int on_number(void *ctx, const char *s, size_t len)
{
    parser *p = ctx;
    if (expected(p) != V_INT)
        return type_error(p, "a number");
    frame *obj = &p->stack[p->depth - 1];
    long long v = 0;
    int is_int = parse_int(s, len, &v);
    if (obj->key->f == F_VERSION) {
        if (!is_int)
            return fail(p, PRIVACY_E_POLICY, "expected the integer %d", PRIVACY_POLICY_VERSION);
        if (v != PRIVACY_POLICY_VERSION)
            return fail(p, PRIVACY_E_VERSION,
                        "version %lld is not supported (this library reads version %d)", v,
                        PRIVACY_POLICY_VERSION);
    } else {
        if (!is_int || v < 1 || v > PRIVACY_POLICY_RETENTION_DAYS_MAX)
            return fail(p, PRIVACY_E_POLICY, "must be an integer from 1 to %d",
                        PRIVACY_POLICY_RETENTION_DAYS_MAX);
        p->m->purposes[obj->entity].retention_days = (int32_t)v;
    }
    value_done(p);
    return 1;
}

static int on_boolean(void *ctx, int value)
{
    parser *p = ctx;
    if (expected(p) != V_BOOL)
        return type_error(p, "true or false");
    frame *obj = &p->stack[p->depth - 1];
    p->m->cookies[obj->entity].necessary = value != 0;
    value_done(p);
    return 1;
}

static int on_null(void *ctx)
{
    return type_error(ctx, "null");
}

/* ---- containers ---- */

static int on_start_map(void *ctx)
{
    parser *p = ctx;
    if (expected(p) != V_OBJ)
        return type_error(p, "an object");
    frame f = { 0 };
    if (p->depth == 0) {
        p->started = 1;
        f.obj = O_ROOT;
        return push(p, f);
    }
    frame *arr = &p->stack[p->depth - 1];
    if (arr->index >= (uint32_t)arr->key->limit)
        return fail(p, PRIVACY_E_POLICY, "too many entries in \"%s\" (at most %d)",
                    arr->key->name, arr->key->limit);
    f.obj = arr->key->child;
    return new_entity(p, f.obj, &f.entity) && push(p, f);
}

static int on_map_key(void *ctx, const unsigned char *key, size_t len)
{
    parser *p = ctx;
    frame *f = &p->stack[p->depth - 1];
    const keyspec *keys = objects[f->obj].keys;
    for (int i = 0; i < objects[f->obj].n; i++) {
        if (strlen(keys[i].name) != len || memcmp(keys[i].name, key, len) != 0)
            continue;
        if (f->seen & (1u << i))
            return fail(p, PRIVACY_E_POLICY, "duplicate key \"%s\"", keys[i].name);
        f->seen |= 1u << i;
        f->key = &keys[i];
        return 1;
    }
    return unknown_word(p, "key", (const char *)key, len);
}

static int on_end_map(void *ctx)
{
    parser *p = ctx;
    frame *f = &p->stack[p->depth - 1];
    const keyspec *keys = objects[f->obj].keys;
    for (int i = 0; i < objects[f->obj].n; i++) {
        if (keys[i].required && !(f->seen & (1u << i)))
            return fail(p, PRIVACY_E_POLICY, "missing required key \"%s\"", keys[i].name);
    }
    p->depth--;
    value_done(p);
    return 1;
}

static int on_start_array(void *ctx)
{
    parser *p = ctx;
    vtype want = expected(p);
    if (want != V_STRS && want != V_OBJS)
        return type_error(p, "an array");
    frame *obj = &p->stack[p->depth - 1];
    frame f = { 0 };
    f.is_array = 1;
    f.key = obj->key;
    prv_mlist *list = want == V_STRS ? list_of(p, obj, f.key->f) : NULL;
    if (list != NULL)
        list->first = (uint32_t)p->m->n_refs;
    return push(p, f);
}

static int on_end_array(void *ctx)
{
    parser *p = ctx;
    p->depth--;
    value_done(p);
    return 1;
}

static const yajl_callbacks callbacks = {
    .yajl_null = on_null,
    .yajl_boolean = on_boolean,
    .yajl_number = on_number,
    .yajl_string = on_string,
    .yajl_start_map = on_start_map,
    .yajl_map_key = on_map_key,
    .yajl_end_map = on_end_map,
    .yajl_start_array = on_start_array,
    .yajl_end_array = on_end_array,
};

/* ---- yajl's memory ---- */

static _Noreturn void yajl_out_of_memory(parser *p)
{
    longjmp(p->oom, 1);
}

static void link_block(parser *p, yblock *b)
{
    b->link.prev = NULL;
    b->link.next = p->blocks;
    if (p->blocks != NULL)
        p->blocks->link.prev = b;
    p->blocks = b;
}

static void unlink_block(parser *p, yblock *b)
{
    if (b->link.prev != NULL)
        b->link.prev->link.next = b->link.next;
    else
        p->blocks = b->link.next;
    if (b->link.next != NULL)
        b->link.next->link.prev = b->link.prev;
}

static void *y_malloc(void *ctx, size_t n)
{
    parser *p = ctx;
    yblock *b = n <= SIZE_MAX - sizeof(yblock) ? prv_malloc(sizeof(yblock) + n) : NULL;
    if (b == NULL)
        yajl_out_of_memory(p);
    link_block(p, b);
    return b + 1;
}

static void *y_realloc(void *ctx, void *ptr, size_t n)
{
    parser *p = ctx;
    if (ptr == NULL)
        return y_malloc(ctx, n);
    yblock *old = (yblock *)ptr - 1;
    /* On failure the old block stays on the list and is released with the
     * rest. */
    yblock *b = n <= SIZE_MAX - sizeof(yblock) ? prv_realloc(old, sizeof(yblock) + n) : NULL;
    if (b == NULL)
        yajl_out_of_memory(p);
    /* The block moved with its links: point its neighbours at it. */
    if (b->link.prev != NULL)
        b->link.prev->link.next = b;
    else
        p->blocks = b;
    if (b->link.next != NULL)
        b->link.next->link.prev = b;
    return b + 1;
}

static void y_free(void *ctx, void *ptr)
{
    if (ptr == NULL)
        return;
    yblock *b = (yblock *)ptr - 1;
    unlink_block(ctx, b);
    prv_free(b);
}

/* ---- driving yajl ---- */

/* yajl's own complaint, told without yajl's text (which may quote the
 * document): where it happened. */
static void syntax_error(parser *p, const char *json, size_t len, int at_end, size_t offset)
{
    if (!p->started && at_end) {
        p->rc = prv_err_set(p->err, PRIVACY_E_POLICY, "document: empty, no JSON value");
        return;
    }
    if (at_end) {
        p->rc = prv_err_set(p->err, PRIVACY_E_POLICY,
                            "document: truncated JSON, the document ends inside a value"
                            " (byte %zu)",
                            len);
        return;
    }
    size_t line = 1, col = 1;
    for (size_t i = 0; i < offset && i < len; i++) {
        if (json[i] == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    p->rc = prv_err_set(p->err, PRIVACY_E_POLICY,
                        "document: malformed JSON, parsing stopped at line %zu, column %zu (byte %zu)", line, col,
                        offset);
}

static int drive_yajl(parser *p, const char *json, size_t len)
{
    p->yajl = yajl_alloc(&callbacks, &p->afs, p);
    yajl_status st = yajl_parse(p->yajl, (const unsigned char *)json, len);
    int at_end = 0;
    if (st == yajl_status_ok) {
        st = yajl_complete_parse(p->yajl);
        at_end = 1;
    }
    if (st != yajl_status_ok && p->rc == PRIVACY_OK)
        syntax_error(p, json, len, at_end, yajl_get_bytes_consumed(p->yajl));
    yajl_free(p->yajl);
    p->yajl = NULL;
    return p->rc;
}

static int run_yajl(parser *p, const char *json, size_t len)
{
    if (setjmp(p->oom) != 0) {
        /* yajl ran out of memory: abandon its state, release its blocks. */
        while (p->blocks != NULL) {
            yblock *b = p->blocks;
            p->blocks = b->link.next;
            prv_free(b);
        }
        p->yajl = NULL;
        nomem(p);
        return p->rc;
    }
    return drive_yajl(p, json, len);
}

int prv_policy_parse(prv_policy_model *m, const char *json, size_t len, prv_err *err)
{
    parser p;
    memset(&p, 0, sizeof p);
    p.m = m;
    p.err = err;
    p.rc = PRIVACY_OK;
    p.afs.malloc = y_malloc;
    p.afs.realloc = y_realloc;
    p.afs.free = y_free;
    p.afs.ctx = &p;
    if (len == 0)
        return prv_err_set(err, PRIVACY_E_POLICY, "document: empty, no JSON value");
    if (len > PRIVACY_POLICY_DOC_MAX)
        return prv_err_set(err, PRIVACY_E_POLICY, "document: larger than %d bytes",
                           PRIVACY_POLICY_DOC_MAX);
    return run_yajl(&p, json, len);
}

void prv_policy_model_clear(prv_policy_model *m)
{
    prv_free(m->pool);
    prv_free(m->refs);
    prv_free(m->purposes);
    prv_free(m->categories);
    prv_free(m->roles);
    prv_free(m->grants);
    prv_free(m->recipients);
    prv_free(m->cookies);
    memset(m, 0, sizeof *m);
}
