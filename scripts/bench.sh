#!/bin/sh
# Builds a release build and runs the benchmarks (bench/, format in
# DESIGN.md): one BENCH line per figure.
set -eu
cd "$(dirname "$0")/.."
scripts/deps.sh bench
[ -f _build/release/build.ninja ] || meson setup _build/release --buildtype=release
ninja -C _build/release
meson test -C _build/release --benchmark --verbose
