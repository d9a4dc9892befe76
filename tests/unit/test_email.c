/* Email normalisation for the blind index (src/subject/email.c): each rule
 * of docs/email.md, its refusals with their messages (which never quote
 * the address), agreement with libunistring and libidn2 where the code
 * takes a shortcut, and allocation failures. */
#include <check.h>
#include <idn2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicase.h>
#include <uninorm.h>

#include "core/alloc.h"
#include "core/error.h"
#include "privacy/privacy.h"
#include "subject/email.h"
#include "testutil.h"

/* Normalises in (len bytes) and returns the normal form (prv_free it), or
 * fails the test naming the message. */
static char *norm_len(const char *in, size_t len)
{
    prv_err err;
    prv_err_clear(&err);
    char *out = NULL;
    size_t out_len = 0;
    int rc = prv_email_normalise(in, len, &out, &out_len, &err);
    ck_assert_msg(rc == PRIVACY_OK, "'%.*s' refused (%d): %s", (int)len, in, rc,
                  prv_err_msg(&err));
    ck_assert_ptr_nonnull(out);
    ck_assert_uint_eq(strlen(out), out_len);
    return out;
}

static char *norm(const char *in)
{
    return norm_len(in, strlen(in));
}

static void expect(const char *in, const char *want)
{
    char *out = norm(in);
    ck_assert_msg(strcmp(out, want) == 0, "'%s' -> '%s', expected '%s'", in, out, want);
    prv_free(out);
}

static void expect_refused_len(const char *in, size_t len, const char *needle)
{
    prv_err err;
    prv_err_clear(&err);
    char *out = (char *)1;
    size_t out_len = 1;
    int rc = prv_email_normalise(in, len, &out, &out_len, &err);
    const char *msg = prv_err_msg(&err);
    ck_assert_msg(rc == PRIVACY_E_INVALID, "'%.*s' gave %d, not PRIVACY_E_INVALID", (int)len, in,
                  rc);
    ck_assert_ptr_null(out);
    ck_assert_uint_eq(out_len, 0);
    ck_assert_msg(strstr(msg, needle) != NULL, "'%.*s': message '%s' lacks '%s'", (int)len, in,
                  msg, needle);
}

static void expect_refused(const char *in, const char *needle)
{
    expect_refused_len(in, strlen(in), needle);
}

/* Writes n copies of unit into buf and returns buf. */
static const char *rep(char *buf, size_t size, const char *unit, int n)
{
    size_t u = strlen(unit), at = 0;
    ck_assert_uint_lt(u * (size_t)n, size);
    for (int i = 0; i < n; i++, at += u)
        memcpy(buf + at, unit, u);
    buf[at] = '\0';
    return buf;
}

START_TEST(test_email_ascii_lowercased_dots_and_tags_kept)
{
    expect("Alice.Smith+Shop@Example.COM", "alice.smith+shop@example.com");
    expect("ALICE@GMAIL.COM", "alice@gmail.com");
    /* Providers differ on dots and +tags (Gmail ignores both, most do not),
     * so they stay: merging them would join different people's mailboxes. */
    expect("a.lice@gmail.com", "a.lice@gmail.com");
    expect("alice+news@gmail.com", "alice+news@gmail.com");
    /* Legacy Japanese carrier addresses break the dot-atom rule; they exist. */
    expect("taro..yamada.@docomo.ne.jp", "taro..yamada.@docomo.ne.jp");
    expect(".a@x.jp", ".a@x.jp");
    expect("!#$%&'*+-/=?^_`{|}~@x.example", "!#$%&'*+-/=?^_`{|}~@x.example");
    expect("user@localhost", "user@localhost");
    expect("x@1.2.3.4", "x@1.2.3.4");
}
END_TEST

START_TEST(test_email_input_is_len_bytes_not_a_c_string)
{
    static const char buf[] = "a@x.comTRAILING";
    char *out = norm_len(buf, 7);
    ck_assert_str_eq(out, "a@x.com");
    prv_free(out);
}
END_TEST

START_TEST(test_email_trims_ascii_and_unicode_white_space)
{
    expect(" \t\r\n\v\fbob@example.org \t\r\n\v\f", "bob@example.org");
    expect("\u00a0bob@example.org\u00a0", "bob@example.org");       /* NO-BREAK SPACE */
    expect("\u3000bob@example.org\u3000", "bob@example.org");       /* IDEOGRAPHIC SPACE */
    expect("\xc2\x85" "bob@example.org\u2028", "bob@example.org"); /* NEL, LINE SEPARATOR */
    expect("\u202f\u2009bob@example.org\u205f\u1680", "bob@example.org");
    /* Not White_Space, so not trimmed: an invisible character is refused. */
    expect_refused("\ufeffbob@example.org", "invisible format character");
    expect_refused("bob@example.org\u200b", "invisible format character");
}
END_TEST

START_TEST(test_email_white_space_inside_refused)
{
    expect_refused("a b@example.org", "the local part contains white space");
    expect_refused("a @example.org", "the local part contains white space");
    expect_refused("a@ example.org", "the domain contains white space");
    expect_refused("a\u00a0b@example.org", "the local part contains white space");
    expect_refused("a@exa\u3000mple.org", "the domain contains white space");
    expect_refused("a\xc2\x85" "b@example.org", "white space");
    expect_refused("Ann Smith <ann@example.org>", "white space");
    expect_refused("   ", "empty or only white space");
}
END_TEST

START_TEST(test_email_nfc_composed_and_decomposed_e_acute_match)
{
    /* U+00E9 and U+0065 U+0301 are canonically equivalent: one mailbox. */
    expect("jos\u00e9@example.org", "jos\u00e9@example.org");
    expect("jose\u0301@example.org", "jos\u00e9@example.org");
    expect("JOSE\u0301@example.org", "jos\u00e9@example.org");
    expect("jos\u00c9@example.org", "jos\u00e9@example.org");
    /* In the domain too, before IDNA. */
    expect("a@caf\u00e9.example", "a@xn--caf-dma.example");
    expect("a@cafe\u0301.example", "a@xn--caf-dma.example");
    /* Hangul: decomposed jamo compose to the syllable. */
    expect("\u1112\u1161\u11ab@example.org", "\ud55c@example.org");
}
END_TEST

START_TEST(test_email_casefold_sharp_s_folds_to_ss)
{
    /* Full case folding: the default caseless match of Unicode. */
    expect("Stra\u00dfe@example.de", "strasse@example.de");
    expect("STRASSE@example.de", "strasse@example.de");
    expect("STRA\u1e9eE@example.de", "strasse@example.de"); /* CAPITAL SHARP S */
    expect("\ufb03@example.org", "ffi@example.org");        /* the ffi ligature */
    /* The domain follows IDNA2008 instead: faß.de is its own name. */
    expect("x@fa\u00df.de", "x@xn--fa-hia.de");
    expect("x@fass.de", "x@fass.de");
}
END_TEST

START_TEST(test_email_casefold_sigma_forms_fold_to_sigma)
{
    expect("\u03a3\u0391\u03a3@example.gr", "\u03c3\u03b1\u03c3@example.gr"); /* ΣΑΣ */
    expect("\u03c3\u03b1\u03c2@example.gr", "\u03c3\u03b1\u03c3@example.gr"); /* σας */
    expect("\u03c3\u03b1\u03c3@example.gr", "\u03c3\u03b1\u03c3@example.gr"); /* σασ */
    /* In a domain, final sigma stays distinct (IDNA2008 non-transitional). */
    expect("x@\u03c3\u03b1\u03c2.gr", "x@xn--mxa8ab.gr");
    expect("x@\u03a3\u0391\u03a3.gr", "x@xn--mxa9ab.gr");
}
END_TEST

START_TEST(test_email_casefold_turkish_dotted_i_is_language_neutral)
{
    /* No language tailoring: İ (U+0130) folds to i + COMBINING DOT ABOVE,
     * I to plain i, and ı (dotless) stays ı. So "İLKER" and "ilker" differ,
     * and "IRMAK" matches "irmak", not "ırmak" (docs/email.md). */
    expect("\u0130lker@example.tr", "i\u0307lker@example.tr");
    expect("ILKER@example.tr", "ilker@example.tr");
    expect("\u0131rmak@example.tr", "\u0131rmak@example.tr");
    expect("IRMAK@example.tr", "irmak@example.tr");
    expect("i\u0307lker@example.tr", "i\u0307lker@example.tr");
}
END_TEST

/* The local part equals libunistring's u8_casefold(..., UNINORM_NFC): the
 * three-call form in email.c and the ASCII shortcut change nothing. */
START_TEST(test_email_local_part_matches_u8_casefold)
{
    static const char *const locals[] = {
        "Alice.Smith+Shop", "!#$%&'*+-/=?^_`{|}~", "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
        "Stra\u00dfe", "\u03a3\u0391\u03a3", "\u0130lker", "jose\u0301", "\u00c5ngstr\u00f6m",
        "\u212a\u212b", "\u1112\u1161\u11ab", "\u0149", "\u0390", "\u1f88", "\u01c5",
        "M\u00dcLLER", "\u7528\u6237", "\u0434\u043e\u043a\u0443\u043c\u0435\u043d\u0442",
        "\uff25\uff38", "\U00010400", "a\u0323\u0307", "a\u0307\u0323",
    };
    for (size_t i = 0; i < sizeof locals / sizeof locals[0]; i++) {
        char in[128];
        snprintf(in, sizeof in, "%s@x.example", locals[i]);
        char *out = norm(in);
        size_t want_len = 0;
        uint8_t *want = u8_casefold((const uint8_t *)locals[i], strlen(locals[i]), NULL,
                                    UNINORM_NFC, NULL, &want_len);
        ck_assert_ptr_nonnull(want);
        char *at = strrchr(out, '@');
        ck_assert_msg((size_t)(at - out) == want_len && memcmp(out, want, want_len) == 0,
                      "'%s': local part '%.*s', u8_casefold gives '%.*s'", locals[i],
                      (int)(at - out), out, (int)want_len, (const char *)want);
        free(want);
        prv_free(out);
    }
}
END_TEST

START_TEST(test_email_idna_unicode_domain_to_a_label)
{
    expect("info@b\u00fccher.example", "info@xn--bcher-kva.example");
    expect("info@B\u00dcCHER.EXAMPLE", "info@xn--bcher-kva.example");
    expect("x@\u4f8b\u5b50.\u5e7f\u544a", "x@xn--fsqu00a.xn--4rr70v");
    expect("x@\u043f\u0440\u0438\u043c\u0435\u0440.\u0440\u0444", "x@xn--e1afmkfd.xn--p1ai");
    /* UTS #46 mapping, as a browser or mail client looks the name up:
     * full-width letters and the ideographic full stop. */
    expect("x@\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45.com", "x@example.com");
    expect("x@example\u3002com", "x@example.com");
    /* Only the domain is mapped: a full-width local part stays (NFC, not NFKC). */
    expect("\uff45\uff58@example.com", "\uff45\uff58@example.com");
}
END_TEST

START_TEST(test_email_idna_uppercase_ascii_domain_lowercased)
{
    expect("x@Example.COM", "x@example.com");
    expect("x@MAIL.EXAMPLE.CO.UK", "x@mail.example.co.uk");
}
END_TEST

START_TEST(test_email_idna_a_label_kept_and_lowercased)
{
    expect("x@xn--bcher-kva.example", "x@xn--bcher-kva.example");
    expect("x@XN--BCHER-KVA.EXAMPLE", "x@xn--bcher-kva.example");
    expect("x@Xn--Bcher-Kva.example", "x@xn--bcher-kva.example");
    /* The Unicode and the A-label spellings are one domain. */
    char *a = norm("x@b\u00fccher.example");
    char *b = norm("x@xn--bcher-kva.example");
    ck_assert_str_eq(a, b);
    prv_free(a);
    prv_free(b);
}
END_TEST

START_TEST(test_email_idna_invalid_punycode_refused)
{
    expect_refused("x@xn--zzzz.example", "IDN2_PUNYCODE_BAD_INPUT");
    expect_refused("x@xn--.example", "not a valid internationalised domain name");
    expect_refused("x@xn--abc-.example", "not a valid internationalised domain name");
    expect_refused("x@xn--a.example", "not a valid internationalised domain name");
    /* Reserved "??--" labels that are not A-labels. */
    expect_refused("x@ab--cd.example", "IDN2_2HYPHEN");
    /* Valid Punycode of a symbol IDNA2008 disallows (an emoji). */
    expect_refused("x@xn--ls8h.example", "IDN2_DISALLOWED");
    /* ZWJ between Latin letters breaks CONTEXTJ. */
    expect_refused("x@a\u200db.example", "IDN2_CONTEXTJ");
    expect_refused("x@b\u00fccher..example", "empty label");
}
END_TEST

/* For ASCII domains without "??--" labels email.c skips libidn2; it must
 * then give exactly what libidn2 gives. */
START_TEST(test_email_ascii_domain_shortcut_matches_libidn2)
{
    static const char *const domains[] = {
        "example.com", "Example.COM", "A.B.C.D.E", "mail-1.example.co.uk", "0.example",
        "x", "localhost", "1.2.3.4", "a-b-c.example", "ab-c.example", "abc--d.example",
        "UPPER-lower-123.EXAMPLE",
    };
    for (size_t i = 0; i < sizeof domains / sizeof domains[0]; i++) {
        char in[300];
        snprintf(in, sizeof in, "x@%s", domains[i]);
        char *out = norm(in);
        uint8_t *ace = NULL;
        int r = idn2_lookup_u8((const uint8_t *)domains[i], &ace,
                               IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
        ck_assert_msg(r == IDN2_OK, "%s: %s", domains[i], idn2_strerror_name(r));
        ck_assert_msg(strcmp(out + 2, (const char *)ace) == 0, "%s: '%s', libidn2 '%s'",
                      domains[i], out + 2, (const char *)ace);
        idn2_free(ace);
        prv_free(out);
    }
}
END_TEST

START_TEST(test_email_domain_host_name_rules)
{
    expect_refused("a@example.com.", "empty label");
    expect_refused("a@.example.com", "empty label");
    expect_refused("a@example..com", "empty label");
    expect_refused("a@-example.com", "begins or ends with '-'");
    expect_refused("a@example-.com", "begins or ends with '-'");
    expect_refused("a@ex_ample.com", "other than letters, digits");
    expect_refused("a@[192.0.2.1]", "address literals are not accepted");
    expect_refused("a@[IPv6:2001:db8::1]", "other than letters, digits");
    expect_refused("a@exa!mple.com", "other than letters, digits");
    /* The same rules after IDNA, which lets '_' through unchanged. */
    expect_refused("a@b\u00fccher_x.example", "other than letters, digits");
}
END_TEST

START_TEST(test_email_domain_label_and_length_limits)
{
    char l63[70], l64[70], a[1100], b[300];
    rep(l63, sizeof l63, "a", 63);
    rep(l64, sizeof l64, "a", 64);
    snprintf(a, sizeof a, "x@%s.example", l63);
    char *out = norm(a);
    prv_free(out);
    snprintf(a, sizeof a, "x@%s.example", l64);
    expect_refused(a, "a label of the domain is longer than 63 bytes");
    /* Through libidn2: 60 x ü is far more than 63 bytes of Punycode. */
    snprintf(a, sizeof a, "x@%s.example", rep(b, sizeof b, "\u00fc", 60));
    expect_refused(a, "a label of the domain is longer than 63 bytes");

    /* 253 bytes: three labels of 63 and one of 61, plus three dots. */
    char d61[70], d62[70];
    rep(d61, sizeof d61, "d", 61);
    rep(d62, sizeof d62, "d", 62);
    snprintf(a, sizeof a, "x@%s.%s.%s.%s", l63, l63, l63, d61);
    out = norm(a);
    ck_assert_uint_eq(strlen(out), 2 + 253);
    prv_free(out);
    snprintf(a, sizeof a, "x@%s.%s.%s.%s", l63, l63, l63, d62);
    expect_refused(a, "the domain is longer than 253 bytes");
    /* And after IDNA: "xn--bcher-kva." is 14 bytes, 14 + 3 * 64 + 47 = 253. */
    char d47[70], d48[70];
    rep(d47, sizeof d47, "d", 47);
    rep(d48, sizeof d48, "d", 48);
    snprintf(a, sizeof a, "x@b\u00fccher.%s.%s.%s.%s", l63, l63, l63, d47);
    out = norm(a);
    ck_assert_uint_eq(strlen(out), 2 + 253);
    prv_free(out);
    snprintf(a, sizeof a, "x@b\u00fccher.%s.%s.%s.%s", l63, l63, l63, d48);
    expect_refused(a, "the domain is longer than 253 bytes");
}
END_TEST

START_TEST(test_email_local_part_limit_is_64_bytes_after_normalisation)
{
    char l[400], a[500];
    snprintf(a, sizeof a, "%s@example.org", rep(l, sizeof l, "A", 64));
    char *out = norm(a);
    ck_assert_uint_eq(strlen(out), 64 + 12);
    prv_free(out);
    snprintf(a, sizeof a, "%s@example.org", rep(l, sizeof l, "a", 65));
    expect_refused(a, "the local part is longer than 64 bytes");
    /* 32 x é is 64 bytes composed, 96 bytes decomposed: counted composed. */
    snprintf(a, sizeof a, "%s@example.org", rep(l, sizeof l, "e\u0301", 32));
    out = norm(a);
    ck_assert_uint_eq(strlen(out), 64 + 12);
    prv_free(out);
    snprintf(a, sizeof a, "%sa@example.org", rep(l, sizeof l, "e\u0301", 32));
    expect_refused(a, "the local part is longer than 64 bytes"); /* 65 bytes */
    /* 32 x ß is 64 bytes and folds to 64 x s; 33 x ß folds to 66. */
    snprintf(a, sizeof a, "%s@example.org", rep(l, sizeof l, "\u00df", 32));
    out = norm(a);
    ck_assert_uint_eq(strlen(out), 64 + 12);
    prv_free(out);
    snprintf(a, sizeof a, "%s@example.org", rep(l, sizeof l, "\u00df", 33));
    expect_refused(a, "the local part is longer than 64 bytes");
    /* Far too long before any normalisation. */
    snprintf(a, sizeof a, "%s@example.org", rep(l, sizeof l, "\u00e9", 129));
    expect_refused(a, "the local part is longer than 64 bytes");
}
END_TEST

START_TEST(test_email_input_over_1024_bytes_refused)
{
    char a[PRV_EMAIL_INPUT_MAX + 2];
    memset(a, ' ', sizeof a - 1);
    a[sizeof a - 1] = '\0';
    memcpy(a + 100, "a@example.org", 13);
    /* 1024 bytes, mostly white space around the address: accepted. */
    char *out = norm_len(a, PRV_EMAIL_INPUT_MAX);
    ck_assert_str_eq(out, "a@example.org");
    prv_free(out);
    expect_refused_len(a, PRV_EMAIL_INPUT_MAX + 1, "longer than 1024 bytes");
}
END_TEST

START_TEST(test_email_invalid_utf8_refused)
{
    static const char *const bad[] = {
        "a\xc0\x80" "b@example.org",      /* overlong NUL */
        "a\xc1\x81" "b@example.org",      /* overlong 'A' */
        "a\xe0\x80\xaf" "b@example.org",  /* overlong '/' in three bytes */
        "a\xf0\x80\x80\xaf" "b@example.org", /* ... and in four */
        "a\xed\xa0\x80" "b@example.org",  /* high surrogate U+D800 */
        "a\xed\xbf\xbf" "b@example.org",  /* low surrogate U+DFFF */
        "a\xf4\x90\x80\x80" "b@example.org", /* U+110000 */
        "a\xe2\x82" "b@example.org",      /* cut sequence inside */
        "a@example.org\xe2\x82",          /* cut sequence at the end */
        "a@exampl\xc3",                   /* cut sequence in the domain */
        "a\x80" "b@example.org",          /* lone continuation byte */
        "a\xff" "b@example.org", "a\xfe" "b@example.org", "a\xf8\x88\x80\x80\x80@x.org",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_refused(bad[i], "not valid UTF-8");
}
END_TEST

START_TEST(test_email_exactly_one_at_sign)
{
    expect_refused("alice.example.org", "has no '@'");
    expect_refused("alice\uff20example.org", "has no '@'"); /* FULLWIDTH COMMERCIAL AT */
    expect_refused("alice@@example.org", "more than one '@'");
    expect_refused("al@ice@example.org", "more than one '@'");
    expect_refused("\"al@ice\"@example.org", "more than one '@'");
}
END_TEST

START_TEST(test_email_empty_parts_refused)
{
    expect_refused("", "empty or only white space");
    expect_refused_len("x", 0, "empty or only white space");
    expect_refused("@", "the local part (before '@') is empty");
    expect_refused("@example.org", "the local part (before '@') is empty");
    expect_refused("alice@", "the domain (after '@') is empty");
    expect_refused(" alice@ ", "the domain (after '@') is empty");
}
END_TEST

START_TEST(test_email_control_characters_refused)
{
    expect_refused_len("a\0b@example.org", 15, "the local part contains a control character");
    expect_refused_len("ab@example.org\0", 15, "the domain contains a control character");
    expect_refused("a\tb@example.org", "the local part contains a control character");
    expect_refused("a\x7f" "b@example.org", "the local part contains a control character");
    expect_refused("a\x1b" "b@example.org", "the local part contains a control character");
    expect_refused("a@exam\nple.org", "the domain contains a control character");
    expect_refused("a\xc2\x80" "b@example.org", "the local part contains a control character");
    expect_refused("a@ex\xc2\x9f" "ample.org", "the domain contains a control character");
}
END_TEST

START_TEST(test_email_invisible_and_unassigned_code_points_refused)
{
    expect_refused("a\u200bb@example.org", "invisible format character"); /* ZWSP */
    expect_refused("a\u00adb@example.org", "invisible format character"); /* SOFT HYPHEN */
    expect_refused("a@ex\u00adample.org", "the domain contains an invisible format character");
    expect_refused("a\u2060b@example.org", "invisible format character"); /* WORD JOINER */
    expect_refused("a\u202eb@example.org", "invisible format character"); /* RLO */
    expect_refused("a\u0378b@example.org", "unassigned code point");
    expect_refused("a\xef\xbf\xbe" "b@example.org", "noncharacter");     /* U+FFFE */
    expect_refused("a\xf3\xa0\x80\x80@example.org", "unassigned code point"); /* U+E0000 */
    /* ZWNJ is part of Persian spelling ("mi-khaham"), and stays. */
    expect("\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645@example.ir",
           "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645@example.ir");
    /* Private use is assigned and has no case or decomposition: kept. */
    expect("a\ue000@example.org", "a\ue000@example.org");
}
END_TEST

START_TEST(test_email_quoted_and_display_name_forms_refused)
{
    expect_refused("\"john doe\"@example.org", "contains '\"'");
    expect_refused("\"john\"@example.org", "contains '\"'");
    expect_refused("<ann@example.org>", "contains '<'");
    expect_refused("ann(comment)@example.org", "contains '('");
    expect_refused("ann,bob@example.org", "contains ','");
    expect_refused("ann;bob@example.org", "contains ';'");
    expect_refused("ann:bob@example.org", "contains ':'");
    expect_refused("ann\\bob@example.org", "contains '\\'");
    expect_refused("[ann]@example.org", "contains '['");
}
END_TEST

START_TEST(test_email_null_arguments_refused)
{
    prv_err err;
    prv_err_clear(&err);
    char *out = (char *)1;
    size_t n = 1;
    ck_assert_int_eq(prv_email_normalise(NULL, 3, &out, &n, &err), PRIVACY_E_INVALID);
    ck_assert_str_eq(prv_err_msg(&err), "email: the address is NULL");
    ck_assert_ptr_null(out);
    ck_assert_uint_eq(n, 0);
    ck_assert_int_eq(prv_email_normalise("a@b", 3, NULL, &n, &err), PRIVACY_E_INVALID);
    ck_assert_str_eq(prv_err_msg(&err), "email: out is NULL");
    out = (char *)1;
    ck_assert_int_eq(prv_email_normalise("a@b", 3, &out, NULL, &err), PRIVACY_E_INVALID);
    ck_assert_str_eq(prv_err_msg(&err), "email: out_len is NULL");
    ck_assert_ptr_null(out);
}
END_TEST

/* Refused inputs with distinctive local parts and domains, for the check
 * that no message repeats any of it. */
static const char *const refused_pii[] = {
    "jane roe@shopper-post.test", "jane.roe@shopper post.test",
    "jane.roe@shopper_post.test", "jane.roe@@shopper-post.test",
    "jane.roe.shopper-post.test", "<jane.roe@shopper-post.test>",
    "\"jane.roe\"@shopper-post.test", "jane.roe@shopper-post.test.",
    "jane.roe@xn--shopper-post.test", "jane.roe@sh--opper-post.test",
    "jane\x01roe@shopper-post.test", "jane\xc0\x80roe@shopper-post.test",
    "jane\u200broe@shopper-post.test", "jane.roe@shopper-p\u0378ost.test",
    "jane.roe@-shopper-post.test", "jane.roe@[shopper-post.test]",
    "jane.roe.jane.roe.jane.roe.jane.roe.jane.roe.jane.roe.jane.roe.jane@shopper-post.test",
    "jane.roe@xn--ls8h.shopper-post.test", "jane.roe@b\u00fccher\u200dpost.test",
};

START_TEST(test_email_messages_never_quote_the_address)
{
    for (size_t i = 0; i < sizeof refused_pii / sizeof refused_pii[0]; i++) {
        const char *in = refused_pii[i];
        prv_err err;
        prv_err_clear(&err);
        char *out;
        size_t n;
        ck_assert_int_eq(prv_email_normalise(in, strlen(in), &out, &n, &err), PRIVACY_E_INVALID);
        const char *msg = prv_err_msg(&err);
        ck_assert_msg(strncmp(msg, "email: ", 7) == 0 && strlen(msg) > 20, "'%s'", msg);
        /* No run of four bytes of the input appears in the message. */
        for (size_t k = 0; k + 4 <= strlen(in); k++) {
            char window[5];
            memcpy(window, in + k, 4);
            window[4] = '\0';
            ck_assert_msg(strstr(msg, window) == NULL, "message '%s' quotes '%s' of '%s'", msg,
                          window, in);
        }
    }
}
END_TEST

/* Every normal form is a fixed point, and NFC. */
START_TEST(test_email_normal_form_is_idempotent)
{
    static const char *const inputs[] = {
        "Alice.Smith+Shop@Example.COM", " Stra\u00dfe@B\u00dcCHER.example ",
        "\u03a3\u0391\u03a3@\u03c3\u03b1\u03c2.gr", "\u0130lker@example.tr",
        "JOSE\u0301@cafe\u0301.example", "\u7528\u6237@\u4f8b\u5b50.\u5e7f\u544a",
        "\u1112\u1161\u11ab@example.kr", "\uff25\uff38@\uff45\uff58.com",
    };
    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
        char *once = norm(inputs[i]);
        char *twice = norm(once);
        ck_assert_str_eq(once, twice);
        size_t nfc_len = 0;
        uint8_t *nfc = u8_normalize(UNINORM_NFC, (const uint8_t *)once, strlen(once), NULL,
                                    &nfc_len);
        ck_assert_ptr_nonnull(nfc);
        ck_assert_msg(nfc_len == strlen(once) && memcmp(nfc, once, nfc_len) == 0,
                      "'%s' is not NFC", once);
        free(nfc);
        prv_free(once);
        prv_free(twice);
    }
}
END_TEST

START_TEST(test_email_result_is_one_prv_malloc_block)
{
    long live = prv_alloc_live();
    long count = prv_alloc_count();
    char *out = norm("Stra\u00dfe@b\u00fccher.example");
    ck_assert_int_eq(prv_alloc_count(), count + 1);
    ck_assert_int_eq(prv_alloc_live(), live + 1);
    privacy_free(out); /* what the public calls will hand on */
    ck_assert_int_eq(prv_alloc_live(), live);
    /* A refusal allocates nothing. */
    expect_refused("a b@example.org", "white space");
    ck_assert_int_eq(prv_alloc_count(), count + 1);
}
END_TEST

/* Fails each allocation of the call in turn (SQLite's faultsim): each
 * gives PRIVACY_E_NOMEM, no result, and no leaked block. */
START_TEST(test_email_alloc_failure_sweep)
{
    static const char *const inputs[] = {
        "Alice@Example.COM", "Stra\u00dfe@example.de", "x@b\u00fccher.example",
        "\u7528\u6237@\u4f8b\u5b50.\u5e7f\u544a",
    };
    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
        long before = prv_alloc_count();
        char *ok = norm(inputs[i]);
        long steps = prv_alloc_count() - before;
        ck_assert_int_ge(steps, 1);
        for (long k = 1; k <= steps; k++) {
            for (int persistent = 0; persistent <= 1; persistent++) {
                long live = prv_alloc_live();
                prv_err err;
                prv_err_clear(&err);
                char *out = (char *)1;
                size_t n = 1;
                prv_alloc_fault(k, persistent);
                int rc = prv_email_normalise(inputs[i], strlen(inputs[i]), &out, &n, &err);
                prv_alloc_fault(0, 0);
                ck_assert_int_eq(rc, PRIVACY_E_NOMEM);
                ck_assert_str_eq(prv_err_msg(&err), "email: out of memory");
                ck_assert_ptr_null(out);
                ck_assert_uint_eq(n, 0);
                ck_assert_int_eq(prv_alloc_live(), live);
            }
        }
        char *again = norm(inputs[i]);
        ck_assert_str_eq(again, ok);
        prv_free(again);
        prv_free(ok);
    }
}
END_TEST

static Suite *email_suite(void)
{
    Suite *s = suite_create("email");
    TCase *tc = tcase_create("email");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_email_ascii_lowercased_dots_and_tags_kept);
    tcase_add_test(tc, test_email_input_is_len_bytes_not_a_c_string);
    tcase_add_test(tc, test_email_trims_ascii_and_unicode_white_space);
    tcase_add_test(tc, test_email_white_space_inside_refused);
    tcase_add_test(tc, test_email_nfc_composed_and_decomposed_e_acute_match);
    tcase_add_test(tc, test_email_casefold_sharp_s_folds_to_ss);
    tcase_add_test(tc, test_email_casefold_sigma_forms_fold_to_sigma);
    tcase_add_test(tc, test_email_casefold_turkish_dotted_i_is_language_neutral);
    tcase_add_test(tc, test_email_local_part_matches_u8_casefold);
    tcase_add_test(tc, test_email_idna_unicode_domain_to_a_label);
    tcase_add_test(tc, test_email_idna_uppercase_ascii_domain_lowercased);
    tcase_add_test(tc, test_email_idna_a_label_kept_and_lowercased);
    tcase_add_test(tc, test_email_idna_invalid_punycode_refused);
    tcase_add_test(tc, test_email_ascii_domain_shortcut_matches_libidn2);
    tcase_add_test(tc, test_email_domain_host_name_rules);
    tcase_add_test(tc, test_email_domain_label_and_length_limits);
    tcase_add_test(tc, test_email_local_part_limit_is_64_bytes_after_normalisation);
    tcase_add_test(tc, test_email_input_over_1024_bytes_refused);
    tcase_add_test(tc, test_email_invalid_utf8_refused);
    tcase_add_test(tc, test_email_exactly_one_at_sign);
    tcase_add_test(tc, test_email_empty_parts_refused);
    tcase_add_test(tc, test_email_control_characters_refused);
    tcase_add_test(tc, test_email_invisible_and_unassigned_code_points_refused);
    tcase_add_test(tc, test_email_quoted_and_display_name_forms_refused);
    tcase_add_test(tc, test_email_null_arguments_refused);
    tcase_add_test(tc, test_email_messages_never_quote_the_address);
    tcase_add_test(tc, test_email_normal_form_is_idempotent);
    tcase_add_test(tc, test_email_result_is_one_prv_malloc_block);
    tcase_add_test(tc, test_email_alloc_failure_sweep);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(email_suite());
}
