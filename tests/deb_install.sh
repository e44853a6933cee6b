#!/bin/sh
# deb_install.sh [DEB] - the Debian package, installed and used (Debian 12, root).
#
# Without DEB: copies the source tree to a temp dir and builds libpam-alianza's
# .deb there with `dpkg-buildpackage -us -uc -b` (the checkout is not touched).
# Then tests/deb_install.py installs it into an overlayfs sandbox in a private
# mount namespace, enables the pam-auth-update profile, logs alice in through
# the installed common-* stack against the mock API, removes and purges it, and
# checks the host is exactly as before. Prints TAP; exits non-zero on a failure.
#
# Needs: the build dependencies of debian/control plus debhelper (Rules-Requires-Root: no,
# so no fakeroot)
# (dpkg-checkbuilddeps names what is missing); with DEB, only a build of
# tests/alz-pamdrive (ALZ_BUILDDIR, default build/; made with tests/build.sh).
set -eu
cd "$(dirname "$0")/.."
src=$(pwd)

if [ "$(id -u)" -ne 0 ]; then
    echo "1..0 # SKIP needs root (mount namespace, dpkg -i into an overlay)"
    exit 0
fi
t0=$(date +%s)
work=$(mktemp -d /tmp/alz-debtest.XXXXXX)
trap 'rm -rf "$work"' EXIT
trap 'exit 1' INT TERM HUP

if [ $# -ge 1 ]; then
    deb=$(readlink -f "$1")
    builddir=${ALZ_BUILDDIR:-$src/build}
    if [ ! -x "$builddir/tests/alz-pamdrive" ]; then
        sh tests/build.sh "$builddir" >"$work/build.log" 2>&1 ||
            { echo "Bail out! could not build $builddir (tests/alz-pamdrive)"; tail -30 "$work/build.log"; exit 1; }
    fi
    echo "ok 1 - using $deb"
else
    for tool in dpkg-buildpackage dh; do
        command -v "$tool" >/dev/null ||
            { echo "Bail out! $tool is missing (apt-get install debhelper dpkg-dev)"; exit 1; }
    done
    if ! missing=$(dpkg-checkbuilddeps 2>&1); then
        echo "Bail out! $missing"
        exit 1
    fi
    # a clean copy: no build trees, no in-tree debhelper products, no VCS
    tree="$work/pam-alianza-0.1.0"
    mkdir -p "$tree"
    tar -C "$src" --exclude-vcs --exclude=./build --exclude='./build-*' --exclude=./tests/tmp \
        --exclude=__pycache__ --exclude=./autom4te.cache --exclude=.libs --exclude=.deps \
        --exclude='*.o' --exclude='*.lo' --exclude='*.la' \
        --exclude=./config.status --exclude=./config.log --exclude=./config.h --exclude=./libtool \
        --exclude=./stamp-h1 --exclude=./Makefile \
        --exclude=./debian/build --exclude=./debian/.debhelper --exclude=./debian/libpam-alianza \
        --exclude=./debian/files --exclude='./debian/*.substvars' --exclude='./debian/*.debhelper' \
        --exclude='./debian/*.debhelper.log' --exclude=./debian/debhelper-build-stamp \
        --exclude='./debian/autoreconf.*' -cf - . | tar -C "$tree" -xf -
    b0=$(date +%s)
    if (cd "$tree" && dpkg-buildpackage -us -uc -b) >"$work/dpkg-buildpackage.log" 2>&1; then
        deb=$(ls "$work"/libpam-alianza_*_*.deb)
        echo "ok 1 - dpkg-buildpackage -us -uc -b: $(basename "$deb") ($(($(date +%s) - b0)) s)"
    else
        echo "not ok 1 - dpkg-buildpackage -us -uc -b"
        tail -40 "$work/dpkg-buildpackage.log" | sed 's/^/# /'
        echo "1..1"
        exit 1
    fi
    builddir="$tree/debian/build"	# has tests/alz-pamdrive (noinst_PROGRAMS)
fi

rc=0
ALZ_BUILDDIR=$builddir ALZ_SRCDIR=$src ALZ_TAP_START=1 \
    /usr/bin/python3 tests/deb_install.py "$deb" || rc=$?
echo "# deb_install.sh: $(($(date +%s) - t0)) s"
exit $rc
