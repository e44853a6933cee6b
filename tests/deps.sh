#!/bin/sh
# deps.sh [demo|all|bench] - install, with apt-get, what pam_alianza needs (Debian 12).
#   demo  what tests/demo.sh needs: the build tools and libraries, Python and openssl
#         for the mock API (no daemon, no sanitizer toolchain, no packaging tools)
#   all   (default) what the whole test suite needs (tests/check.sh): the demo's list
#         plus real sshd and sudo, paramiko, zbarimg (reads totp enroll's QR code back),
#         valgrind, clang, debhelper and lintian.
#         On a systemd host installing openssh-server also starts Debian's sshd on
#         port 22 (the tests never use it: they start their own on loopback).
#   bench what tests/bench.sh and tests/fleetday.sh need: the suite's list plus gnuplot
#         (the chart) and faketime (libfaketime moves the fleet day's clock).
# deps.sh --list GROUP prints the group's packages and installs nothing.
# Runs apt-get only when something is missing, so a second run costs nothing.
set -eu

DEMO="build-essential autoconf automake libtool pkg-config
libpam0g-dev libpam-modules libcurl4-openssl-dev libssl-dev libcjson-dev liboath-dev libcrypt-dev
libqrencode-dev python3 openssl util-linux mount ca-certificates"
TESTS="curl openssh-server openssh-client sudo passwd python3-paramiko zbar-tools
valgrind clang libclang-rt-14-dev strace
debhelper dpkg-dev lintian"
BENCH="gnuplot-nox faketime"

list=no
if [ "${1:-}" = --list ]; then
    list=yes
    shift
fi
case ${1:-all} in
    demo) PKGS=$DEMO ;;
    all) PKGS="$DEMO $TESTS" ;;
    bench) PKGS="$DEMO $TESTS $BENCH" ;;
    *) echo "usage: deps.sh [--list] [demo|all|bench]" >&2; exit 2 ;;
esac
if [ "$list" = yes ]; then
    # shellcheck disable=SC2086
    printf '%s\n' $PKGS
    exit 0
fi

missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "install ok installed" ||
        missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
    echo "deps.sh: missing packages:$missing (run as root to install them)" >&2
    exit 1
fi
echo "deps.sh: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >&2
