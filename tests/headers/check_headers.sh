#!/bin/sh
# Each public header compiles alone: as C11 with -pedantic, and as C++,
# with every warning an error (libgit2's headertest).
# usage: check_headers.sh INCLUDE_DIR CC CXX
set -eu
incdir=$1 cc=$2 cxx=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0 n=0
for h in "$incdir"/privacy/*.h; do
    name=privacy/$(basename "$h")
    printf '#include <%s>\nint privacy_headertest_anchor;\n' "$name" > "$tmp/t.c"
    cp "$tmp/t.c" "$tmp/t.cpp"
    if ! $cc -std=c11 -pedantic -Wall -Wextra -Werror -I"$incdir" -c "$tmp/t.c" -o "$tmp/t.o"; then
        echo "FAIL: $name does not compile alone as C11"; status=1
    fi
    if ! $cxx -std=c++11 -pedantic -Wall -Wextra -Werror -I"$incdir" -c "$tmp/t.cpp" -o "$tmp/t.o"; then
        echo "FAIL: $name does not compile alone as C++"; status=1
    fi
    # Only <stddef.h>, <stdint.h> and sibling privacy headers may be included.
    if grep -E '^[[:space:]]*#[[:space:]]*include' "$h" \
        | grep -vE '<stddef\.h>|<stdint\.h>|"[a-z_]+\.h"' ; then
        echo "FAIL: $name includes more than <stddef.h>, <stdint.h> and privacy headers"; status=1
    fi
    n=$((n + 1))
done
[ "$status" -eq 0 ] && echo "ok: $n headers compile alone as C11 and C++"
exit $status
