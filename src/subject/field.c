#include "field.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/context.h"
#include "crypto/envelope.h"
#include "policy/policy.h"

int prv_field_check_purposes(struct privacy_ctx *ctx, const char *fn, const char *category,
                             const char *const *purposes, size_t n_purposes)
{
    if (category == NULL || !prv_policy_knows(ctx->policy, PRV_POLICY_CATEGORY, category))
        return prv_err_set(&ctx->err, PRIVACY_E_INVALID, "%s: R2: not a category of the policy",
                           fn);
    if (purposes == NULL || n_purposes == 0 || n_purposes > PRV_FIELD_PURPOSES_MAX)
        return prv_err_set(&ctx->err, PRIVACY_E_INVALID,
                           "%s: R2: a value is collected for 1 to %d purposes", fn,
                           PRV_FIELD_PURPOSES_MAX);
    for (size_t i = 0; i < n_purposes; i++) {
        if (purposes[i] == NULL ||
            !prv_policy_knows(ctx->policy, PRV_POLICY_PURPOSE, purposes[i]))
            return prv_err_set(&ctx->err, PRIVACY_E_INVALID,
                               "%s: R2: a purpose given is not a purpose of the policy", fn);
    }
    return PRIVACY_OK;
}

void prv_field_record_id(char rid[PRV_FIELD_ID_SIZE], const char *subject, const char *category)
{
    snprintf(rid, PRV_FIELD_ID_SIZE, "%s.%s", subject, category);
}

int prv_field_check(struct privacy_ctx *ctx, const char *fn, const char *category,
                    const char *const *purposes, size_t n_purposes,
                    char rid[PRV_FIELD_ID_SIZE], const char *subject)
{
    int rc = prv_field_check_purposes(ctx, fn, category, purposes, n_purposes);
    if (rc == PRIVACY_OK)
        prv_field_record_id(rid, subject, category);
    return rc;
}

static prv_envelope_binding binding(const char *subject, const char *rid, const char *category)
{
    prv_envelope_binding b = { .subject_id = subject, .collection = PRV_FIELD_COLLECTION,
                               .record_id = rid, .field = category };
    return b;
}

int prv_field_encode(const uint8_t *key, uint32_t version, const char *subject, const char *rid,
                     const char *category, const char *const *purposes, size_t n_purposes,
                     const char *value, size_t len, uint8_t **body, size_t *blen, prv_err *err)
{
    size_t head = 4 + 1, sealed;
    for (size_t i = 0; i < n_purposes; i++)
        head += 1 + strlen(purposes[i]);
    prv_envelope_binding b = binding(subject, rid, category);
    int rc = prv_envelope_sealed_size(len, 0, &sealed, err);
    if (rc != PRIVACY_OK)
        return rc;
    uint8_t *out = prv_malloc(head + sealed);
    if (out == NULL)
        return prv_err_set(err, PRIVACY_E_NOMEM, "out of memory");
    memcpy(out, "PFD1", 4);
    out[4] = (uint8_t)n_purposes;
    size_t n = 5;
    for (size_t i = 0; i < n_purposes; i++) {
        size_t plen = strlen(purposes[i]);
        out[n++] = (uint8_t)plen;
        memcpy(out + n, purposes[i], plen);
        n += plen;
    }
    size_t used = 0;
    rc = prv_envelope_seal_into(key, version, &b, (const uint8_t *)value, len, 0, out + n, sealed,
                                &used, err);
    if (rc != PRIVACY_OK) {
        prv_free(out);
        return rc;
    }
    *body = out;
    *blen = n + used;
    return PRIVACY_OK;
}

int prv_field_decode(const uint8_t *body, size_t len, prv_field_view *v)
{
    memset(v, 0, sizeof *v);
    if (len < 5 || memcmp(body, "PFD1", 4) != 0 || body[4] == 0 ||
        body[4] > PRV_FIELD_PURPOSES_MAX)
        return PRIVACY_E_INTEGRITY;
    size_t n = 5;
    v->n_purposes = body[4];
    for (size_t i = 0; i < v->n_purposes; i++) {
        if (n >= len || n + 1 + body[n] > len)
            return PRIVACY_E_INTEGRITY;
        v->purpose_len[i] = body[n];
        v->purpose[i] = body + n + 1;
        n += 1 + body[n];
    }
    v->blob = body + n;
    v->blob_len = len - n;
    return PRIVACY_OK;
}

int prv_field_collected_for(const prv_field_view *v, const char *purpose)
{
    size_t plen = strlen(purpose);
    for (size_t i = 0; i < v->n_purposes; i++)
        if (v->purpose_len[i] == plen && memcmp(v->purpose[i], purpose, plen) == 0)
            return 1;
    return 0;
}

int prv_field_open(const uint8_t *key, uint32_t version, const char *subject, const char *rid,
                   const char *category, const prv_field_view *v, char **value, size_t *len,
                   prv_err *err)
{
    prv_envelope_binding b = binding(subject, rid, category);
    size_t cap = prv_envelope_open_max(v->blob_len);
    char *pt = prv_malloc(cap + 1);
    if (pt == NULL)
        return prv_err_set(err, PRIVACY_E_NOMEM, "out of memory");
    size_t n = 0;
    int rc = prv_envelope_open_into(key, version, &b, v->blob, v->blob_len, (uint8_t *)pt, cap,
                                    &n, err);
    if (rc != PRIVACY_OK) {
        prv_free(pt);
        return rc;
    }
    pt[n] = '\0';
    *value = pt;
    *len = n;
    return PRIVACY_OK;
}
