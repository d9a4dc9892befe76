#!/bin/sh
# Installs the Debian 12 packages that libprivacy needs and that are
# missing. usage: scripts/deps.sh demo|test|bench
# As root it runs apt-get; otherwise it prints the command to run.
set -eu
what=${1:-test}
pkgs="gcc libc6-dev pkg-config meson ninja-build libsodium-dev libsqlite3-dev libyajl-dev libunistring-dev libidn2-dev libpq-dev"
case "$what" in
    demo) ;;
    test) pkgs="$pkgs check clang libclang-rt-14-dev g++ binutils python3-nacl postgresql-15" ;;
    bench) pkgs="$pkgs check postgresql-15" ;;
    *) echo "usage: $0 demo|test|bench" >&2; exit 2 ;;
esac
missing=
for p in $pkgs; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
    echo "missing Debian packages:$missing" >&2
    echo "install them as root: apt-get install -y$missing" >&2
    exit 1
fi
echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086 # the list is meant to split into words
apt-get install -y -qq --no-install-recommends $missing
