#!/bin/sh
# demo.sh - build pam_alianza and log a demo user in through a real PAM stack
# against the bundled mock API on loopback, once in each API dialect (Alianza,
# then FoodXchange: tests/demo.py). Leaves the host as it found it: users,
# /etc/pam.d and /dev/log exist only in a private mount namespace.
# Installs only what the demo needs (tests/deps.sh demo): no sshd, no sudo, no
# sanitizer or packaging toolchain; tests/check.sh installs the rest.
set -eu
cd "$(dirname "$0")/.."
sh tests/deps.sh demo
sh tests/build.sh build
ALZ_BUILDDIR="$PWD/build" ALZ_SRCDIR="$PWD" exec /usr/bin/python3 tests/demo.py
