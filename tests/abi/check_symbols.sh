#!/bin/sh
# The exported ABI is exactly what abi/libprivacy.symbols lists: compares it
# with what the built library exports (nm -D), with the names in the version
# script, and with the functions the public headers declare.
# usage: check_symbols.sh LIBRARY.so SYMBOLS_FILE VERSION_SCRIPT INCLUDE_DIR
set -eu
lib=$1 symbols=$2 map=$3 incdir=$4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0

# Defined dynamic symbols other than the version node itself.
nm -D --defined-only "$lib" | awk '$2 != "A" { print $3 }' | sort > "$tmp/exported"
grep -v '^#' "$symbols" | sed '/^$/d' | sort > "$tmp/listed"
if ! diff -u "$tmp/listed" "$tmp/exported" > "$tmp/diff1"; then
    echo "FAIL: exported symbols differ from $symbols (- listed, + exported):"
    cat "$tmp/diff1"
    status=1
fi

sed 's/@.*//' "$tmp/listed" > "$tmp/names"
grep -oE '^[[:space:]]+privacy_[a-z0-9_]+;' "$map" | tr -d ' \t;' | sort > "$tmp/map"
if ! diff -u "$tmp/names" "$tmp/map" > "$tmp/diff2"; then
    echo "FAIL: version script names differ from $symbols:"
    cat "$tmp/diff2"
    status=1
fi

# Every PRIVACY_EXTERN declaration in the public headers.
grep -h 'PRIVACY_EXTERN' "$incdir"/privacy/*.h | grep -v '#' \
    | grep -oE 'privacy_[a-z0-9_]+[[:space:]]*\(' | tr -d ' (' | sort -u > "$tmp/declared"
if ! diff -u "$tmp/names" "$tmp/declared" > "$tmp/diff3"; then
    echo "FAIL: header declarations differ from $symbols:"
    cat "$tmp/diff3"
    status=1
fi

# Nothing outside the privacy_ prefix leaks (internal prv_* stay hidden).
if grep -v '^privacy_' "$tmp/names"; then
    echo "FAIL: exported names without the privacy_ prefix"
    status=1
fi
if [ "$status" -eq 0 ]; then
    echo "ok: $(wc -l < "$tmp/exported") symbols, all listed, declared and versioned"
fi
exit $status
