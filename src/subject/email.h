/* Email addresses in the canonical form that the blind index hashes
 * (DESIGN.md, "Keys and formats"), so that one mailbox typed differently
 * (case, Unicode composition, surrounding white space, a Unicode or an
 * ASCII domain) finds the same subject. The rules, each with its reason
 * and examples, are in docs/email.md; in short:
 *
 *   local part: Unicode NFC of the full default case folding
 *               (NFC(toCasefold(NFD(x))), no language tailoring), dots
 *               and +tags kept, at most 64 bytes;
 *   domain:     the ASCII (A-label) form of a UTS #46 non-transitional
 *               lookup (libidn2), lower-case letters, digits and '-',
 *               labels of 1..63 bytes, at most 253 bytes.
 *
 * Every refusal is PRIVACY_E_INVALID with a message that names the rule
 * broken and the part (local part or domain), never the address: it is
 * personal data. */
#ifndef PRV_SUBJECT_EMAIL_H
#define PRV_SUBJECT_EMAIL_H

#include <stddef.h>

#include "core/error.h"

enum {
    /* Inputs longer than this are refused before any other work: the
     * longest normal form is PRV_EMAIL_MAX (318) bytes, and spelling it
     * with decomposed or full-width characters takes at most about three
     * times as many, so this bounds the work and the stack of one call
     * without refusing an address that can be valid. */
    PRV_EMAIL_INPUT_MAX = 1024,
    PRV_EMAIL_LOCAL_MAX = 64,   /* RFC 5321 4.5.3.1.1, in bytes of the normal form */
    PRV_EMAIL_DOMAIN_MAX = 253, /* a DNS name in text form, without a final dot */
    PRV_EMAIL_LABEL_MAX = 63,   /* RFC 1035 2.3.4 */
    /* The longest normal form, without its terminating NUL. */
    PRV_EMAIL_MAX = PRV_EMAIL_LOCAL_MAX + 1 + PRV_EMAIL_DOMAIN_MAX
};

/* Normalises the len bytes at in (UTF-8, not necessarily NUL-terminated;
 * a NUL byte inside is a control character and refused). On success *out
 * is the normal form, NUL-terminated, in one prv_malloc block (release it
 * with prv_free, which wipes it), and *out_len its length without the NUL.
 * On failure *out is NULL and *out_len 0 (when they are not NULL).
 *
 * Returns PRIVACY_OK; PRIVACY_E_INVALID for a NULL in, out or out_len and
 * for every address the rules refuse; PRIVACY_E_NOMEM when an allocation
 * (the library's, libunistring's or libidn2's) fails; PRIVACY_E_INTERNAL
 * if libunistring refuses input that was already validated. err must not
 * be NULL. Thread-safe: no state outside the call.
 *
 * There is no variant writing into a caller's buffer: the result's
 * allocation costs ~30 ns, under 1% of a lookup by email (docs/email.md). */
int prv_email_normalise(const char *in, size_t len, char **out, size_t *out_len, prv_err *err);

#endif
