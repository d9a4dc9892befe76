/* Shared by the policy suite's two files (test_policy.c registers the
 * tests of policy_validation.c): documents written with single quotes, and
 * the small valid document BASE that validation tests mutate. */
#ifndef POLICY_TESTLIB_H
#define POLICY_TESTLIB_H

#include <check.h>
#include <stddef.h>

extern const char BASE[];

/* A document written with ' for ", in a malloc'd buffer. */
char *doc(const char *s);
/* BASE with its only occurrence of `from` replaced by `to`, as JSON. */
char *mutate(const char *from, const char *to);
/* Fails unless msg is printable ASCII (messages name rules, paths, ids). */
void assert_plain(const char *msg);
/* Compiles json (len bytes) and checks nothing leaked; returns the code,
 * the message in msg (PRIVACY_ERRMSG_MAX bytes). */
int compile_len(const char *json, size_t len, char *msg);

typedef struct bad_case {
    const char *from, *to; /* a mutation of BASE */
    int code;
    const char *msg;       /* the exact message */
} bad_case;

/* Each case must fail with its code and exact message. */
void expect_cases(const bad_case *cases, size_t n);
#define EXPECT_CASES(c) expect_cases(c, sizeof c / sizeof c[0])

/* Adds the tests of policy_validation.c. */
void policy_add_validation_tests(TCase *tc);

#endif
