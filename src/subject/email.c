/* Email normalisation for the blind index. docs/email.md gives each rule
 * with its reason and examples; the checks below run in the order it
 * lists them (rules 5 and 6 character by character), so the first rule
 * broken is the one named.
 *
 * The address is personal data, so every copy of it this file makes or
 * receives is wiped before release: our stack buffers, and the buffers
 * that libunistring and libidn2 malloc and hand back (sodium_memzero,
 * then free). Messages name the rule and the part, never the address. */
#include "email.h"

#include <errno.h>
#include <idn2.h>
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unicase.h>
#include <unictype.h>
#include <uninorm.h>
#include <unistr.h>

#include "core/alloc.h"
#include "privacy/common.h"

enum {
    /* A local part longer than this before normalisation cannot come down
     * to PRV_EMAIL_LOCAL_MAX bytes: NFD, case folding and NFC shrink UTF-8
     * by at most a factor of three (a decomposed Hangul syllable, U+212A
     * KELVIN SIGN). Refusing it first keeps the forms below in our
     * buffers. */
    LOCAL_RAW_MAX = 4 * PRV_EMAIL_LOCAL_MAX,
    /* NFD and full case folding each grow UTF-8 by at most a factor of
     * three, so with these sizes libunistring never has to malloc (and
     * realloc, leaving unwiped copies behind) for a local part that passed
     * LOCAL_RAW_MAX. */
    NFD_BUF = 3 * LOCAL_RAW_MAX,
    FOLD_BUF = 3 * NFD_BUF,
    ZWNJ = 0x200C, /* ZERO WIDTH NON-JOINER */
    ZWJ = 0x200D   /* ZERO WIDTH JOINER */
};

/* RFC 5322 "specials" other than '.' and '@': they only occur in quoted
 * local parts, comments, display names ("Ann <ann@example.org>") and lists,
 * none of which is an address on its own. (A switch, not strchr: this runs
 * for every byte of every address.) */
static int is_special(ucs4_t c)
{
    switch (c) {
    case '(': case ')': case '<': case '>': case '[': case ']':
    case ':': case ';': case '\\': case ',': case '"':
        return 1;
    default:
        return 0;
    }
}

static int is_ascii(const uint8_t *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] >= 0x80)
            return 0;
    return 1;
}

static uint8_t ascii_lower(uint8_t c)
{
    return c >= 'A' && c <= 'Z' ? (uint8_t)(c - 'A' + 'a') : c;
}

/* The ASCII characters with the Unicode White_Space property. */
static int ascii_space(uint8_t c)
{
    return c == ' ' || (c >= '\t' && c <= '\r');
}

/* Strips Unicode White_Space (which includes ASCII space, TAB, CR, LF, VT
 * and FF) from both ends: what a form field or a CSV cell adds around an
 * address is not part of it. The input is valid UTF-8 already. */
static void trim(const uint8_t **s, size_t *n)
{
    const uint8_t *p = *s, *end = *s + *n;
    while (p < end) {
        ucs4_t uc;
        if (*p < 0x80) {
            if (!ascii_space(*p))
                break;
            p++;
            continue;
        }
        int k = u8_mbtouc(&uc, p, (size_t)(end - p));
        if (!uc_is_property_white_space(uc))
            break;
        p += k;
    }
    while (end > p) {
        ucs4_t uc;
        if (end[-1] < 0x80) {
            if (!ascii_space(end[-1]))
                break;
            end--;
            continue;
        }
        const uint8_t *q = u8_prev(&uc, end, p);
        if (q == NULL || !uc_is_property_white_space(uc))
            break;
        end = q;
    }
    *s = p;
    *n = (size_t)(end - p);
}

/* The characters that no part of an address may hold (its ends are
 * trimmed already). part is "local part" or "domain", for the message. */
static int check_chars(const uint8_t *s, size_t n, const char *part, int local, prv_err *err)
{
    size_t i = 0;
    while (i < n) {
        ucs4_t uc = s[i];
        i += uc < 0x80 ? 1 : (size_t)u8_mbtouc(&uc, s + i, n - i);
        if (uc < 0x80) {
            if (uc < 0x20 || uc == 0x7F)
                return prv_err_set(err, PRIVACY_E_INVALID,
                                   "email: the %s contains a control character", part);
            if (uc == ' ')
                return prv_err_set(err, PRIVACY_E_INVALID, "email: the %s contains white space",
                                   part);
            /* One of a closed list of eleven characters: naming it reveals
             * nothing of the address. */
            if (local && is_special(uc))
                return prv_err_set(err, PRIVACY_E_INVALID,
                                   "email: the local part contains '%c' (quoted local parts, "
                                   "comments and display names are not accepted)",
                                   (char)uc);
            continue;
        }
        if (uc_is_property_white_space(uc))
            return prv_err_set(err, PRIVACY_E_INVALID, "email: the %s contains white space",
                               part);
        if (uc_is_general_category(uc, UC_CATEGORY_Cc))
            return prv_err_set(err, PRIVACY_E_INVALID,
                               "email: the %s contains a control character", part);
        /* Invisible: two addresses that look the same would index apart.
         * ZWNJ and ZWJ stay, as Persian and Indic words need them (IDNA2008
         * allows them in domains under its CONTEXTJ rules). */
        if (uc_is_general_category(uc, UC_CATEGORY_Cf) && uc != ZWNJ && uc != ZWJ)
            return prv_err_set(err, PRIVACY_E_INVALID,
                               "email: the %s contains an invisible format character", part);
        /* Unicode may give an unassigned code point a case folding or a
         * decomposition when it assigns it, which would change the normal
         * form of a stored address under a newer libunistring. */
        if (uc_is_general_category(uc, UC_CATEGORY_Cn))
            return prv_err_set(err, PRIVACY_E_INVALID,
                               "email: the %s contains an unassigned code point or a "
                               "noncharacter",
                               part);
    }
    return PRIVACY_OK;
}

static int lib_failed(prv_err *err)
{
    if (errno == ENOMEM)
        return prv_err_set(err, PRIVACY_E_NOMEM, "email: out of memory");
    return prv_err_set(err, PRIVACY_E_INTERNAL, "email: libunistring refused valid UTF-8");
}

/* Releases a result of libunistring: r is either buf, or a block that it
 * malloc'd because buf was too small. */
static void release_result(uint8_t *r, size_t r_len, const uint8_t *buf)
{
    if (r != NULL && r != buf) {
        sodium_memzero(r, r_len);
        free(r);
    }
}

static int local_too_long(prv_err *err)
{
    return prv_err_set(err, PRIVACY_E_INVALID,
                       "email: the local part is longer than %d bytes after normalisation",
                       (int)PRV_EMAIL_LOCAL_MAX);
}

/* dst (PRV_EMAIL_LOCAL_MAX bytes) = NFC(toCasefold(NFD(s))): Unicode's
 * canonical caseless match (D145), the form u8_casefold(..., UNINORM_NFC)
 * computes. It is done here in three calls so that every intermediate
 * form lies in buffers this function wipes; u8_casefold would keep them
 * in its own. */
static int fold_local(const uint8_t *s, size_t n, char *dst, size_t *dst_len, prv_err *err)
{
    if (n > LOCAL_RAW_MAX)
        return local_too_long(err);
    if (is_ascii(s, n)) {
        /* For ASCII, NFD and NFC change nothing and case folding maps
         * exactly A-Z to a-z (test_email checks this against libunistring). */
        if (n > PRV_EMAIL_LOCAL_MAX)
            return local_too_long(err);
        for (size_t i = 0; i < n; i++)
            dst[i] = (char)ascii_lower(s[i]);
        *dst_len = n;
        return PRIVACY_OK;
    }
    uint8_t nfd_buf[NFD_BUF], fold_buf[FOLD_BUF];
    size_t nfd_n = sizeof nfd_buf, fold_n = sizeof fold_buf, nfc_n = sizeof nfd_buf;
    uint8_t *fold = NULL, *nfc = NULL;
    int rc = PRIVACY_OK;
    uint8_t *nfd = u8_normalize(UNINORM_NFD, s, n, nfd_buf, &nfd_n);
    if (nfd == NULL) {
        rc = lib_failed(err);
        goto done;
    }
    /* No language: the index cannot know the subject's language, and the
     * same address must fold the same way for every caller. */
    fold = u8_casefold(nfd, nfd_n, NULL, NULL, fold_buf, &fold_n);
    if (fold == NULL) {
        rc = lib_failed(err);
        goto done;
    }
    release_result(nfd, nfd_n, nfd_buf);
    nfd = NULL;
    nfc = u8_normalize(UNINORM_NFC, fold, fold_n, nfd_buf, &nfc_n);
    if (nfc == NULL) {
        rc = lib_failed(err);
        goto done;
    }
    if (nfc_n > PRV_EMAIL_LOCAL_MAX) {
        rc = local_too_long(err);
        goto done;
    }
    memcpy(dst, nfc, nfc_n);
    *dst_len = nfc_n;
done:
    release_result(nfc, nfc_n, nfd_buf);
    release_result(fold, fold_n, fold_buf);
    release_result(nfd, nfd_n, nfd_buf);
    sodium_memzero(nfd_buf, sizeof nfd_buf);
    sodium_memzero(fold_buf, sizeof fold_buf);
    return rc;
}

/* Checks an ASCII domain against the host name rules (RFC 5321 "Domain":
 * letters, digits and '-' in dot-separated labels, no label beginning or
 * ending with '-'; RFC 1035 lengths) and writes it lower-cased into dst
 * (PRV_EMAIL_DOMAIN_MAX bytes). */
static int check_domain(const uint8_t *s, size_t n, char *dst, size_t *dst_len, prv_err *err)
{
    if (n > PRV_EMAIL_DOMAIN_MAX)
        return prv_err_set(err, PRIVACY_E_INVALID, "email: the domain is longer than %d bytes",
                           (int)PRV_EMAIL_DOMAIN_MAX);
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && s[i] != '.') {
            uint8_t c = ascii_lower(s[i]);
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
                return prv_err_set(err, PRIVACY_E_INVALID,
                                   "email: the domain contains a character other than letters, "
                                   "digits, '-' and '.' (address literals are not accepted)");
            dst[i] = (char)c;
            continue;
        }
        size_t label = i - start;
        if (label == 0)
            return prv_err_set(err, PRIVACY_E_INVALID,
                               "email: the domain has an empty label (a dot at an end or two "
                               "dots in a row)");
        if (label > PRV_EMAIL_LABEL_MAX)
            return prv_err_set(err, PRIVACY_E_INVALID,
                               "email: a label of the domain is longer than %d bytes",
                               (int)PRV_EMAIL_LABEL_MAX);
        if (s[start] == '-' || s[i - 1] == '-')
            return prv_err_set(err, PRIVACY_E_INVALID,
                               "email: a label of the domain begins or ends with '-'");
        if (i < n)
            dst[i] = '.';
        start = i + 1;
    }
    *dst_len = n;
    return PRIVACY_OK;
}

/* 1 if IDNA would only lower-case this domain: ASCII, and no label with
 * "--" in its third and fourth places (the "xn--" of an A-label, whose
 * Punycode libidn2 must check, and the other reserved "??--" labels, which
 * IDNA2008 refuses). test_email compares both ways on such domains. */
static int idna_is_lowercase(const uint8_t *s, size_t n)
{
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] >= 0x80)
            return 0;
        if (s[i] == '.')
            start = i + 1;
        else if (i == start + 3 && s[i] == '-' && s[i - 1] == '-')
            return 0;
    }
    return 1;
}

static int idna_failed(int r, prv_err *err)
{
    switch (r) {
    case IDN2_MALLOC: return prv_err_set(err, PRIVACY_E_NOMEM, "email: out of memory");
    case IDN2_TOO_BIG_DOMAIN:
        return prv_err_set(err, PRIVACY_E_INVALID, "email: the domain is longer than %d bytes",
                           (int)PRV_EMAIL_DOMAIN_MAX);
    case IDN2_TOO_BIG_LABEL:
    case IDN2_PUNYCODE_BIG_OUTPUT: /* the Punycode of one label passed 63 bytes */
        return prv_err_set(err, PRIVACY_E_INVALID,
                           "email: a label of the domain is longer than %d bytes",
                           (int)PRV_EMAIL_LABEL_MAX);
    default:
        /* libidn2's texts for its codes are fixed and quote nothing. */
        return prv_err_set(err, PRIVACY_E_INVALID,
                           "email: the domain is not a valid internationalised domain name "
                           "(%s: %s)",
                           idn2_strerror_name(r), idn2_strerror(r));
    }
}

/* dst (PRV_EMAIL_DOMAIN_MAX bytes) = the domain's ASCII form: the A-labels
 * of a UTS #46 non-transitional lookup, as browsers and mail software
 * resolve the name, so "ß" stays distinct from "ss" (IDNA2008). */
static int domain_to_ascii(const uint8_t *s, size_t n, char *dst, size_t *dst_len,
                           prv_err *err)
{
    if (idna_is_lowercase(s, n))
        return check_domain(s, n, dst, dst_len, err);
    char in[PRV_EMAIL_INPUT_MAX + 1]; /* libidn2 wants a NUL-terminated string */
    memcpy(in, s, n);
    in[n] = '\0';
    uint8_t *ace = NULL;
    /* Not IDN2_USE_STD3_ASCII_RULES: libidn2 2.3 then silently drops
     * characters such as '_' ("a_b.example" -> "ab.example", another
     * domain); check_domain refuses them instead. */
    int r = idn2_lookup_u8((const uint8_t *)in, &ace, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
    sodium_memzero(in, n);
    if (r != IDN2_OK)
        return idna_failed(r, err);
    size_t ace_n = strlen((const char *)ace);
    int rc = check_domain(ace, ace_n, dst, dst_len, err);
    sodium_memzero(ace, ace_n);
    idn2_free(ace);
    return rc;
}

int prv_email_normalise(const char *in, size_t len, char **out, size_t *out_len, prv_err *err)
{
    if (out != NULL)
        *out = NULL;
    if (out_len != NULL)
        *out_len = 0;
    if (in == NULL || out == NULL || out_len == NULL)
        return prv_err_set(err, PRIVACY_E_INVALID, "email: %s is NULL",
                           in == NULL ? "the address" : out == NULL ? "out" : "out_len");
    if (len > PRV_EMAIL_INPUT_MAX)
        return prv_err_set(err, PRIVACY_E_INVALID,
                           "email: the address is longer than %d bytes",
                           (int)PRV_EMAIL_INPUT_MAX);
    const uint8_t *s = (const uint8_t *)in;
    /* Overlong forms, surrogates, code points past U+10FFFF and cut
     * sequences: the same address could otherwise be spelt in many byte
     * strings. */
    if (!is_ascii(s, len) && u8_check(s, len) != NULL)
        return prv_err_set(err, PRIVACY_E_INVALID, "email: the address is not valid UTF-8");
    trim(&s, &len);
    if (len == 0)
        return prv_err_set(err, PRIVACY_E_INVALID,
                           "email: the address is empty or only white space");
    const uint8_t *at = memchr(s, '@', len);
    if (at == NULL)
        return prv_err_set(err, PRIVACY_E_INVALID, "email: the address has no '@'");
    const uint8_t *dom = at + 1;
    size_t local_n = (size_t)(at - s), dom_n = len - local_n - 1;
    if (memchr(dom, '@', dom_n) != NULL)
        return prv_err_set(err, PRIVACY_E_INVALID,
                           "email: the address has more than one '@' (quoted local parts are "
                           "not accepted)");
    if (local_n == 0)
        return prv_err_set(err, PRIVACY_E_INVALID, "email: the local part (before '@') is empty");
    if (dom_n == 0)
        return prv_err_set(err, PRIVACY_E_INVALID, "email: the domain (after '@') is empty");
    int rc = check_chars(s, local_n, "local part", 1, err);
    if (rc == PRIVACY_OK)
        rc = check_chars(dom, dom_n, "domain", 0, err);
    if (rc != PRIVACY_OK)
        return rc;

    char local[PRV_EMAIL_LOCAL_MAX], domain[PRV_EMAIL_DOMAIN_MAX];
    size_t ln = 0, dn = 0;
    rc = fold_local(s, local_n, local, &ln, err);
    if (rc != PRIVACY_OK)
        goto done;
    rc = domain_to_ascii(dom, dom_n, domain, &dn, err);
    if (rc != PRIVACY_OK)
        goto done;
    char *buf = prv_malloc(ln + 1 + dn + 1);
    if (buf == NULL) {
        rc = prv_err_set(err, PRIVACY_E_NOMEM, "email: out of memory");
        goto done;
    }
    memcpy(buf, local, ln);
    buf[ln] = '@';
    memcpy(buf + ln + 1, domain, dn);
    buf[ln + 1 + dn] = '\0';
    *out = buf;
    *out_len = ln + 1 + dn;
done:
    /* Whole buffers: a check that failed halfway has written part of one. */
    sodium_memzero(local, sizeof local);
    sodium_memzero(domain, sizeof domain);
    return rc;
}
