#include "id.h"

#include <sodium.h>
#include <string.h>

#include "privacy/common.h"

static size_t prefix_len(const char *p)
{
    size_t n = 0;
    while (p[n] >= 'a' && p[n] <= 'z')
        n++;
    return n;
}

int prv_id_new(char out[PRV_ID_SIZE], const char *prefix)
{
    size_t n = prefix != NULL ? prefix_len(prefix) : 0;
    if (n == 0 || n > PRV_ID_PREFIX_MAX || prefix[n] != '\0')
        return PRIVACY_E_INVALID;
    unsigned char rnd[PRV_ID_RANDOM_BYTES];
    randombytes_buf(rnd, sizeof rnd);
    memcpy(out, prefix, n);
    out[n] = '_';
    sodium_bin2hex(out + n + 1, 2 * PRV_ID_RANDOM_BYTES + 1, rnd, sizeof rnd);
    return PRIVACY_OK;
}

int prv_id_valid(const char *id, const char *prefix)
{
    if (id == NULL)
        return 0;
    size_t n = prefix_len(id);
    if (n == 0 || n > PRV_ID_PREFIX_MAX || id[n] != '_')
        return 0;
    if (prefix != NULL && (strlen(prefix) != n || memcmp(id, prefix, n) != 0))
        return 0;
    const char *hex = id + n + 1;
    for (size_t i = 0; i < 2 * PRV_ID_RANDOM_BYTES; i++) {
        char c = hex[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return 0;
    }
    return hex[2 * PRV_ID_RANDOM_BYTES] == '\0';
}
