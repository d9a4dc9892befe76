#!/bin/sh
# Builds libprivacy and runs the demo on the embedded SQLite default.
set -eu
cd "$(dirname "$0")/.."
scripts/deps.sh demo
[ -f _build/demo/build.ninja ] || meson setup _build/demo -Dtests=false -Dbench=false
ninja -C _build/demo
_build/demo/examples/demo
