#!/bin/sh
# Runs a command with a PostgreSQL server for it to test against.
#
#   scripts/with_postgres.sh CMD [ARGS...]
#
# With PRIVACY_TEST_PG set (a libpq conninfo), runs CMD as it is. Otherwise
# starts a throwaway server (scripts/pg_server.sh) in a new temporary
# directory, exports PRIVACY_TEST_PG=<its conninfo>, runs CMD, and stops
# the server and removes the directory however CMD ends (also on INT and
# TERM, which are passed on to CMD). Exits with CMD's status.
set -eu

if [ -n "${PRIVACY_TEST_PG:-}" ]; then
    exec "$@"
fi
[ $# -ge 1 ] || {
    echo "usage: $0 CMD [ARGS...]" >&2
    exit 2
}

here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d "${TMPDIR:-/tmp}/privacy-pg-XXXXXX")
child=

# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
    if [ -n "$child" ] && kill -0 "$child" 2>/dev/null; then
        kill -TERM "$child" 2>/dev/null || true
        # Give CMD a moment to end before its server goes away.
        i=0
        while [ "$i" -lt 50 ] && kill -0 "$child" 2>/dev/null; do
            sleep 0.1
            i=$((i + 1))
        done
    fi
    "$here/pg_server.sh" stop "$dir" >/dev/null || echo "$0: could not remove $dir" >&2
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

conninfo=$("$here/pg_server.sh" start "$dir")
PRIVACY_TEST_PG=$conninfo
export PRIVACY_TEST_PG

# CMD runs in the background so that a signal reaches the traps at once;
# it keeps the standard input (an asynchronous command would get /dev/null).
exec 3<&0
"$@" <&3 3<&- &
child=$!
exec 3<&-
status=0
wait "$child" || status=$?
child=
exit "$status"
