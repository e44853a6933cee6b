#!/bin/sh
# deps.sh - install, with apt-get, what building and testing pam_alianza needs (Debian 12).
# Runs apt-get only when something is missing, so a second run costs nothing.
set -eu

PKGS="build-essential autoconf automake libtool pkg-config
libpam0g-dev libpam-modules libcurl4-openssl-dev libssl-dev libcjson-dev liboath-dev libcrypt-dev
python3 openssl curl util-linux mount ca-certificates
openssh-server openssh-client sudo python3-paramiko
valgrind clang libclang-rt-14-dev
debhelper dpkg-dev lintian"

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
