#!/bin/sh
# A user's two ways in: after `meson install`, `cc app.c $(pkg-config
# --cflags --libs libprivacy)` builds and runs; and a meson project that
# uses libprivacy as a subproject builds and runs.
# usage: check_install.sh BUILD_DIR SOURCE_DIR CC SANITIZE
# (SANITIZE: the build's b_sanitize value, "none" or e.g. "address,undefined":
# a sanitized library links only into sanitized programs)
set -eu
build=$1 src=$2 cc=$3 sanitize=$4
san_flags= san_opts=
if [ "$sanitize" != none ]; then
    san_flags="-fsanitize=$sanitize"
    san_opts="-Db_sanitize=$sanitize -Db_lundef=false"
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

meson install -C "$build" --destdir "$tmp/root" --no-rebuild >"$tmp/install.log" 2>&1 \
    || { cat "$tmp/install.log"; exit 1; }
pc=$(find "$tmp/root" -name libprivacy.pc | head -n 1)
[ -n "$pc" ] || { echo "FAIL: no libprivacy.pc installed"; exit 1; }
export PKG_CONFIG_PATH="$(dirname "$pc")" PKG_CONFIG_SYSROOT_DIR="$tmp/root"
# shellcheck disable=SC2046 # pkg-config output is meant to split
$cc -std=c11 -Wall -Werror $san_flags -o "$tmp/app" "$src/examples/demo.c" \
    $(pkg-config --cflags --libs libprivacy)
libdir=$(dirname "$(find "$tmp/root" -name libprivacy.so.1 | head -n 1)")
LD_LIBRARY_PATH="$libdir" "$tmp/app" >"$tmp/app.log" \
    || { cat "$tmp/app.log"; echo "FAIL: the pkg-config build does not run"; exit 1; }
echo "ok: installed headers, library and libprivacy.pc build and run the demo"

mkdir -p "$tmp/proj/subprojects"
ln -s "$src" "$tmp/proj/subprojects/libprivacy"
cp "$src/examples/demo.c" "$tmp/proj/app.c"
cat > "$tmp/proj/meson.build" <<'MESON'
project('uses-libprivacy', 'c', default_options: ['c_std=c11'])
sub = subproject('libprivacy', default_options: ['tests=false', 'bench=false', 'demo=false'])
executable('app', 'app.c', dependencies: dependency('libprivacy'))
MESON
# The subproject builds against the system's libraries, not the install
# root above.
unset PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR
# shellcheck disable=SC2086 # san_opts is meant to split
CC=$cc meson setup $san_opts "$tmp/proj/build" "$tmp/proj" >"$tmp/sub.log" 2>&1 \
    && ninja -C "$tmp/proj/build" >>"$tmp/sub.log" 2>&1 \
    && "$tmp/proj/build/app" >>"$tmp/sub.log" 2>&1 \
    || { cat "$tmp/sub.log"; echo "FAIL: the subproject build"; exit 1; }
echo "ok: usable as a meson subproject"
