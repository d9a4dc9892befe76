/* Small pieces shared by the built-in backends' storage URI parsers. */
#include "uri_util.h"

#include <stdio.h>

#include "core/alloc.h"
#include "privacy/common.h"

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int prv_uri_decode(const char *who, const char *s, size_t n, char **out, char *errbuf,
                   size_t errlen)
{
    char *d = prv_malloc(n + 1);
    if (d == NULL) {
        snprintf(errbuf, errlen, "%s: out of memory parsing the URI", who);
        return PRIVACY_E_NOMEM;
    }
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '%') {
            d[j++] = s[i];
            continue;
        }
        int hi = i + 1 < n ? hexval(s[i + 1]) : -1;
        int lo = i + 2 < n ? hexval(s[i + 2]) : -1;
        if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
            prv_free(d);
            snprintf(errbuf, errlen, "%s: bad percent-escape in the storage URI", who);
            return PRIVACY_E_INVALID;
        }
        d[j++] = (char)(hi * 16 + lo);
        i += 2;
    }
    d[j] = '\0';
    *out = d;
    return PRIVACY_OK;
}

int prv_uri_int(const char *v, size_t n, long min, long max, long *out)
{
    if (n == 0 || n > 10)
        return 0;
    long x = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9')
            return 0;
        x = x * 10 + (v[i] - '0');
    }
    if (x < min || x > max)
        return 0;
    *out = x;
    return 1;
}
