#!/bin/sh
# deb_install.sh [DEB] - the Debian package, installed and used as an admin would (Debian 12, root).
#
# Without DEB: copies the source tree to a temp dir and builds libpam-alianza's
# .deb there with `dpkg-buildpackage -us -uc -b` (the checkout is not touched),
# checks the build log has no warning and lintian reports no error or warning.
# Then tests/deb_install.py installs it into an overlayfs sandbox in a private
# mount namespace, enables the pam-auth-update profile, logs users in through
# the installed common-* stack against the mock API with a driver and with a
# real sshd (Debian's sshd_config plus the package's drop-in; keyboard-interactive
# and keys) and sudo, tries the sample stacks, removes and purges it, and checks
# the host is exactly as before. Prints TAP; exits non-zero on a failure.
#
# Needs: the build dependencies of debian/control plus debhelper (Rules-Requires-Root: no,
# so no fakeroot) (dpkg-checkbuilddeps names what is missing), lintian, and for the
# real-daemon checks openssh-server, sudo and python3-paramiko (tests/deps.sh all);
# with DEB, only a build of tests/alz-pamdrive (ALZ_BUILDDIR, default build/; made
# with tests/build.sh).
set -eu
cd "$(dirname "$0")/.."
src=$(pwd)

if [ "$(id -u)" -ne 0 ]; then
    echo "1..0 # SKIP needs root (mount namespace, dpkg -i into an overlay)"
    exit 0
fi
t0=$(date +%s)
n=2 fail=0	# the next TAP number; 1 is the build (or the given .deb)
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
    # a clean copy, as a fresh clone has it: in a git checkout the tracked files and
    # the new ones git does not ignore (no m4/ droppings, no build trees); else the
    # tree without build trees, in-tree debhelper products and VCS
    tree="$work/pam-alianza-0.1.0"
    mkdir -p "$tree"
    if git -C "$src" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
        git -C "$src" ls-files -z -co --exclude-standard |
            (cd "$src" && xargs -0 tar --no-recursion -cf - ) | tar -C "$tree" -ixf -
    else
    tar -C "$src" --exclude-vcs --exclude=./build --exclude='./build-*' --exclude=./tests/tmp \
        --exclude=__pycache__ --exclude=./autom4te.cache --exclude=.libs --exclude=.deps \
        --exclude='*.o' --exclude='*.lo' --exclude='*.la' \
        --exclude=./config.status --exclude=./config.log --exclude=./config.h --exclude=./libtool \
        --exclude=./stamp-h1 --exclude=./Makefile \
        --exclude=./debian/build --exclude=./debian/.debhelper --exclude=./debian/libpam-alianza \
        --exclude=./debian/files --exclude='./debian/*.substvars' --exclude='./debian/*.debhelper' \
        --exclude='./debian/*.debhelper.log' --exclude=./debian/debhelper-build-stamp \
        --exclude='./debian/autoreconf.*' -cf - . | tar -C "$tree" -xf -
    fi
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
    # a quiet build: no compiler, linker or debhelper warning in the whole log
    warn=$(grep -iE 'warning[: ]' "$work/dpkg-buildpackage.log" |
        grep -vE '^(PASS|ok |# )|no-warning|-Wwarn' || true)
    if [ -z "$warn" ]; then
        echo "ok $n - the build log has no warning"
    else
        echo "not ok $n - the build log has no warning"
        echo "$warn" | head -20 | sed 's/^/# /'
        fail=1
    fi
    n=$((n + 1))
fi

if command -v lintian >/dev/null; then
    changes=$(ls "$(dirname "$deb")"/pam-alianza_*.changes 2>/dev/null | head -1)
    if tags=$(lintian --fail-on error,warning "${changes:-$deb}" 2>&1); then
        echo "ok $n - lintian $(basename "${changes:-$deb}"): no error or warning"
    else
        echo "not ok $n - lintian $(basename "${changes:-$deb}"): no error or warning"
        fail=1
    fi
    # (lintian's own note that it runs as root is no tag)
    echo "$tags" | grep . | grep -v 'running with root privileges' | head -20 | sed 's/^/# /'
else
    echo "ok $n - lintian # SKIP lintian is not installed"
fi

rc=0
ALZ_BUILDDIR=$builddir ALZ_SRCDIR=$src ALZ_TAP_START=$n \
    /usr/bin/python3 tests/deb_install.py "$deb" || rc=$?
[ "$fail" -eq 0 ] || rc=1
echo "# deb_install.sh: $(($(date +%s) - t0)) s"
exit $rc
