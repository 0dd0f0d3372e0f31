#!/bin/sh
# Installs the Debian 12 packages bkp needs to build, test and benchmark.
# Usage: scripts/deps.sh [build|demo|test|bench]
#        (each includes build; test includes demo; bench includes test)
set -eu
what=${1:-test}
build="build-essential autoconf automake libtool pkg-config
       libarchive-dev libzstd-dev libsodium-dev libssh-dev libinih-dev
       libjson-c-dev check"
demo="python3 openssh-server openssh-client"
test="clang libclang-rt-14-dev acl attr strace socat faketime zstd chromium postgresql mariadb-server sqlite3"
bench="restic borgbackup age time"
case "$what" in
build) pkgs=$build ;;
demo) pkgs="$build $demo" ;;
test) pkgs="$build $demo $test" ;;
bench) pkgs="$build $demo $test $bench" ;;
*) echo "usage: $0 [build|demo|test|bench]" >&2; exit 2 ;;
esac
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
missing=
for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
        missing="$missing $p"
done
[ -z "$missing" ] && exit 0
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
