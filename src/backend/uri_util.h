/* Small pieces shared by the built-in backends' storage URI parsers. */
#ifndef PRV_BACKEND_URI_UTIL_H
#define PRV_BACKEND_URI_UTIL_H

#include <stddef.h>

/* Percent-decodes s[0..n) into a new string (prv_free it); refuses bad
 * escapes and %00. On failure writes "<who>: ..." into errbuf and returns
 * PRIVACY_E_INVALID or PRIVACY_E_NOMEM. */
int prv_uri_decode(const char *who, const char *s, size_t n, char **out, char *errbuf,
                   size_t errlen);

/* Parses the decimal v[0..n) into *out if it is in [min, max]; 1 if so. */
int prv_uri_int(const char *v, size_t n, long min, long max, long *out);

#endif
