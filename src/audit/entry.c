/* The audit entry format (docs/audit.md):
 *
 *   "PAE1" | chain id length u8 | chain id | seq u64 | time i64 |
 *   outcome i32 | 8 x (length u8 | bytes; length 0 = absent) |
 *   fold index u64 | fold (32) | prev (32) | mac (32)
 *
 * integers big-endian; mac = BLAKE2b-256 keyed with the audit key over
 * "libprivacy/audit/v1\0" and every byte before it, prev included, so each
 * entry seals the one before it in its chain. */
#include "entry.h"

#include <sodium.h>
#include <string.h>

#include "core/bytes.h"

static const char MAC_LABEL[] = "libprivacy/audit/v1";
static const char GENESIS_LABEL[] = "libprivacy/audit/genesis";

int prv_audit_field_ok(const char *s)
{
    size_t n = 0;
    for (; s[n] != '\0'; n++) {
        if (n >= PRV_AUDIT_FIELD_MAX || (unsigned char)s[n] < 0x21 || (unsigned char)s[n] > 0x7e)
            return 0;
    }
    return n > 0;
}

void prv_audit_genesis(const unsigned char *key, const char *chain, uint8_t out[PRV_AUDIT_MAC])
{
    crypto_generichash_state h;
    crypto_generichash_init(&h, key, 32, PRV_AUDIT_MAC);
    crypto_generichash_update(&h, (const uint8_t *)GENESIS_LABEL, sizeof GENESIS_LABEL);
    crypto_generichash_update(&h, (const uint8_t *)chain, strlen(chain));
    crypto_generichash_final(&h, out, PRV_AUDIT_MAC);
}

static void mac_of(const unsigned char *key, const uint8_t *body, size_t n,
                   uint8_t out[PRV_AUDIT_MAC])
{
    crypto_generichash_state h;
    crypto_generichash_init(&h, key, 32, PRV_AUDIT_MAC);
    crypto_generichash_update(&h, (const uint8_t *)MAC_LABEL, sizeof MAC_LABEL);
    crypto_generichash_update(&h, body, n);
    crypto_generichash_final(&h, out, PRV_AUDIT_MAC);
}

size_t prv_audit_encode(prv_audit_entry *e, const unsigned char *key,
                        uint8_t body[PRV_AUDIT_BODY_MAX])
{
    size_t n = 0, clen = strlen(e->chain);
    memcpy(body, "PAE1", 4);
    n = 4;
    body[n++] = (uint8_t)clen;
    memcpy(body + n, e->chain, clen);
    n += clen;
    prv_put_be(body + n, e->seq, 8);
    prv_put_be(body + n + 8, (uint64_t)e->time, 8);
    n += 16;
    prv_put_be(body + n, (uint32_t)e->outcome, 4);
    n += 4;
    for (int f = 0; f < PRV_AF_COUNT; f++) {
        size_t len = e->field[f] != NULL ? e->field_len[f] : 0;
        body[n++] = (uint8_t)len;
        /* memmove: re-encoding an entry (a chain close adds its fold step)
         * copies fields that already live in this very body. */
        if (len > 0)
            memmove(body + n, e->field[f], len);
        /* From here on the entry's view points into its own body. */
        e->field[f] = len > 0 ? (const char *)body + n : NULL;
        n += len;
    }
    prv_put_be(body + n, e->fold_index, 8);
    n += 8;
    memcpy(body + n, e->fold, PRV_AUDIT_MAC);
    memcpy(body + n + PRV_AUDIT_MAC, e->prev, PRV_AUDIT_MAC);
    n += 2 * PRV_AUDIT_MAC;
    mac_of(key, body, n, e->mac);
    memcpy(body + n, e->mac, PRV_AUDIT_MAC);
    return n + PRV_AUDIT_MAC;
}

int prv_audit_decode(const uint8_t *b, size_t len, prv_audit_entry *e)
{
    memset(e, 0, sizeof *e);
    if (len < 5 || len > PRV_AUDIT_BODY_MAX || memcmp(b, "PAE1", 4) != 0)
        return PRIVACY_E_INTEGRITY;
    size_t n = 4, clen = b[n++];
    if (clen == 0 || clen >= PRV_ID_SIZE || n + clen + 20 > len)
        return PRIVACY_E_INTEGRITY;
    memcpy(e->chain, b + n, clen);
    e->chain[clen] = '\0';
    if (!prv_id_valid(e->chain, "chn"))
        return PRIVACY_E_INTEGRITY;
    n += clen;
    e->seq = prv_get_be(b + n, 8);
    e->time = (int64_t)prv_get_be(b + n + 8, 8);
    n += 16;
    e->outcome = (int32_t)(uint32_t)prv_get_be(b + n, 4);
    n += 4;
    for (int f = 0; f < PRV_AF_COUNT; f++) {
        if (n >= len)
            return PRIVACY_E_INTEGRITY;
        size_t flen = b[n++];
        if (flen > PRV_AUDIT_FIELD_MAX || n + flen > len)
            return PRIVACY_E_INTEGRITY;
        e->field[f] = flen > 0 ? (const char *)b + n : NULL;
        e->field_len[f] = flen;
        n += flen;
    }
    if (n + 8 + 3 * PRV_AUDIT_MAC != len)
        return PRIVACY_E_INTEGRITY;
    e->fold_index = prv_get_be(b + n, 8);
    n += 8;
    memcpy(e->fold, b + n, PRV_AUDIT_MAC);
    memcpy(e->prev, b + n + PRV_AUDIT_MAC, PRV_AUDIT_MAC);
    memcpy(e->mac, b + n + 2 * PRV_AUDIT_MAC, PRV_AUDIT_MAC);
    return e->seq == 0 ? PRIVACY_E_INTEGRITY : PRIVACY_OK;
}

int prv_audit_mac_ok(const unsigned char *key, const uint8_t *body, size_t len)
{
    uint8_t mac[PRV_AUDIT_MAC];
    mac_of(key, body, len - PRV_AUDIT_MAC, mac);
    return sodium_memcmp(mac, body + len - PRV_AUDIT_MAC, PRV_AUDIT_MAC) == 0;
}

void prv_audit_record_id(char out[PRV_AUDIT_ID_SIZE], const char *chain, uint64_t seq)
{
    /* Once per entry written and per entry verified: no snprintf. */
    static const char hex[] = "0123456789abcdef";
    size_t n = strlen(chain);
    memcpy(out, chain, n);
    out[n] = ':';
    for (int i = 0; i < 16; i++)
        out[n + 1 + i] = hex[(seq >> (60 - 4 * i)) & 0xf];
    out[n + 17] = '\0';
}

privacy_record prv_audit_record(const prv_audit_entry *e, const char *id, const uint8_t *body,
                                size_t len)
{
    privacy_record r = {
        .collection = PRV_AUDIT_COLLECTION,
        .id = id,
        .subject_id = NULL, /* set by the caller from its NUL-terminated copy */
        .index_key = (const uint8_t *)e->chain,
        .index_key_len = strlen(e->chain),
        .created = e->time,
        .body = body,
        .body_len = len,
    };
    return r;
}
