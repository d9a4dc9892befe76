/*
 * The backend conformance suite: the contract of include/privacy/backend.h
 * as a check test suite that any privacy_backend, ours or a user's, runs.
 *
 * It uses only <privacy/backend.h> (plus libc, pthread and check) and calls
 * the vtable members directly, so it compiles against a backend that lives
 * outside this tree. docs/backend.md says how to run it.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef PRIVACY_CONFORMANCE_H
#define PRIVACY_CONFORMANCE_H

#include <privacy/backend.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * conformance_run - run the whole contract against one backend.
 *
 * @be: the backend's vtable (version 1 .. PRIVACY_BACKEND_VERSION, every
 *      member of that version set).
 * @uri: passed unchanged to @be->open. It must name a store that several
 *      connections can open at the same time (for SQLite a file, not
 *      ":memory:"). The store may already hold data: every test works in
 *      collections named "conf_<random hex>_<test>", new on every run, and
 *      deletes their records when it ends (nothing else in the store is
 *      read or written).
 *
 * Runs a check SRunner (CK_VERBOSITY selects check's output, "normal" by
 * default; CK_FORK=no runs the tests in this process) and prints check's
 * report on stdout.
 *
 * Returns the number of failed tests: 0 when the backend passes. A NULL
 * argument, an unknown version or a NULL member counts as one failure
 * (described on stderr or in check's report) and no other test is run.
 */
int conformance_run(const privacy_backend *be, const char *uri);

#ifdef __cplusplus
}
#endif

#endif /* PRIVACY_CONFORMANCE_H */
