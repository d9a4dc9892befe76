#!/bin/sh
# Builds and runs every test twice: a normal build (gcc), and a clang build
# with AddressSanitizer + UndefinedBehaviorSanitizer. Exits non-zero if
# anything failed; the logs are _build/{normal,asan}/meson-logs/testlog.*
# The PostgreSQL tests use the server PRIVACY_TEST_PG names; without one,
# a throwaway server runs for the length of this script
# (scripts/with_postgres.sh), stopped however the script ends.
set -u
cd "$(dirname "$0")/.."
scripts/deps.sh test || exit 1
if [ -z "${PRIVACY_TEST_PG:-}" ]; then
    exec scripts/with_postgres.sh "$0" "$@"
fi
status=0

rm -rf _build/normal _build/asan
if CC=gcc meson setup _build/normal \
    && ninja -C _build/normal; then
    meson test -C _build/normal --print-errorlogs || status=1
else
    echo "normal build failed"; status=1
fi

# UBSan findings are fatal (-fno-sanitize-recover); b_lundef=false because
# clang's sanitizer runtime is linked into executables, not the library.
if CC=clang meson setup _build/asan -Dbench=false -Db_sanitize=address,undefined \
        -Db_lundef=false -Dc_args='-fno-sanitize-recover=all -fno-omit-frame-pointer' \
        && ninja -C _build/asan; then
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:halt_on_error=1 \
    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
        meson test -C _build/asan --print-errorlogs || status=1
else
    echo "sanitizer build failed"; status=1
fi
exit $status
