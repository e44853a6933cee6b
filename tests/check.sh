#!/bin/sh
# check.sh - the whole test suite from a clean checkout, as CI runs it (Debian 12, root).
#
#   1. default build (strong warnings, -Werror): every test
#   1b. foodxchange: the PAM-level files about the wire again, in the FoodXchange dialect
#   2. ASan + UBSan build: every test (real sshd/sudo skipped: they cannot load an ASan module)
#   3. valgrind (--leak-check=full, --error-exitcode): unit and PAM-level tests, default build
#   4. fuzz smoke: each libFuzzer target for a few seconds (clang build; `make fuzz` runs long)
#   5. package: build the .deb, install it into an overlayfs sandbox, pam-auth-update,
#      log a user in through the installed stack (tests/deb_install.sh)
#
# Prints one line per pass, and last "N passed, N failed, N skipped" summed over all passes.
# Exits non-zero when anything failed. ALZ_PASSES="default foodxchange asan valgrind fuzz package" picks passes.
set -u
cd "$(dirname "$0")/.."
PASSES=${ALZ_PASSES:-default foodxchange asan valgrind fuzz package}
# Test files in parallel: twice the CPUs, since most of a PAM-level test's time is spent
# waiting (on the mock, a deadline, a stopped process, sshd), and every assertion already has to
# hold beside other work (the suite passes under stress-ng --cpu 2). The valgrind pass is
# CPU-bound: one file per CPU (ALZ_JOBS overrides both).
JOBS=${ALZ_JOBS:-$(( 2 * $(nproc) ))}
VG_JOBS=${ALZ_JOBS:-$(nproc)}
PASS=0 FAIL=0 SKIP=0

finish() {
    echo "$PASS passed, $FAIL failed, $SKIP skipped"
    [ "$FAIL" -eq 0 ]
    exit
}

# count DIR LABEL RC: add DIR/test-suite.log's counts (tap-driver: one per test point)
count() {
    log=$1/test-suite.log
    if [ ! -f "$log" ]; then
        echo "$2: no test-suite.log (build or harness failure); see $1/check.out"
        tail -30 "$1/check.out"
        FAIL=$((FAIL + 1))
        return
    fi
    n() { sed -n "s/^# $1: *\([0-9]*\)$/\1/p" "$log" | head -1; }
    p=$(( $(n PASS) + $(n XFAIL) )); f=$(( $(n FAIL) + $(n XPASS) + $(n ERROR) )); s=$(n SKIP)
    if [ "$3" -ne 0 ] && [ "$f" -eq 0 ]; then
        f=1	# make check failed for a reason the counts do not show
    fi
    echo "$2: $p passed, $f failed, $s skipped ($(( $(date +%s) - T0 )) s)"
    if [ "$f" -ne 0 ]; then
        grep -E '^(FAIL|XPASS|ERROR):' "$1/check.out" | head -40
        for l in "$1"/tests/*.log; do
            grep -E '^(not ok|Bail out)' -A12 "$l" 2>/dev/null | head -60
        done
    fi
    PASS=$((PASS + p)); FAIL=$((FAIL + f)); SKIP=$((SKIP + s))
}

# suite LABEL DIR [VAR=value...] [-- TARGET]: make check (or TARGET) in DIR, JOBS files at once
suite() {
    label=$1 dir=$2 target=check jobs=$JOBS
    shift 2
    vars=""
    while [ $# -gt 0 ] && [ "$1" != "--" ]; do vars="$vars $1"; shift; done
    [ $# -gt 1 ] && target=$2
    [ "$target" = check-valgrind ] && jobs=$VG_JOBS
    rm -f "$dir/test-suite.log"	# a stale one must never be counted
    # shellcheck disable=SC2086
    (cd "$dir" && env $vars make -j"$jobs" "$target") >"$dir/check.out" 2>&1
    count "$dir" "$label" $?
}

# tap LABEL OUT COMMAND...: run a TAP-printing command outside automake and count it
tap() {
    label=$1 out=$2
    shift 2
    "$@" >"$out" 2>&1
    rc=$?
    p=$(grep -c '^ok ' "$out"); f=$(grep -c '^not ok ' "$out")
    s=$(grep -c '^ok .*# SKIP' "$out")
    [ $rc -ne 0 ] && [ "$f" -eq 0 ] && f=1
    echo "$label: $((p - s)) passed, $f failed, $s skipped ($(( $(date +%s) - T0 )) s)"
    if [ "$f" -ne 0 ]; then grep -E '^not ok|^Bail' -A8 "$out" | head -60; tail -20 "$out"; fi
    PASS=$((PASS + p - s)); FAIL=$((FAIL + f)); SKIP=$((SKIP + s))
}

build() { # DIR LABEL [configure flags]
    dir=$1 label=$2
    shift 2
    if ! sh tests/build.sh "$dir" "$@" >"$dir.build.log" 2>&1; then
        echo "$label: build failed"; tail -40 "$dir.build.log"
        FAIL=$((FAIL + 1))
        return 1
    fi
}

if ! sh tests/deps.sh; then
    echo "check.sh: could not install dependencies"
    FAIL=$((FAIL + 1)); finish
fi

for pass in $PASSES; do
    T0=$(date +%s)	# each pass's line ends with its seconds, build included
    case $pass in
    default)
        build build default && suite default build ;;
    foodxchange)
        build build default && suite foodxchange build -- check-fx ;;
    asan)
        build build-asan asan --enable-asan --enable-ubsan &&
            suite "asan+ubsan" build-asan ALZ_SANITIZED=1 \
                ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
                UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ;;
    valgrind)
        build build default &&
            suite valgrind build -- check-valgrind ;;
    fuzz)
        build build-fuzz fuzz --enable-fuzz CC=clang &&
            tap "fuzz smoke" build-fuzz/fuzz-smoke.out sh tests/fuzz/smoke.sh build-fuzz "${ALZ_FUZZ_SECONDS:-10}" ;;
    package)
        build build default &&
            tap package build/deb-install.out env ALZ_BUILDDIR="$PWD/build" sh tests/deb_install.sh ;;
    *)
        echo "check.sh: unknown pass $pass"; FAIL=$((FAIL + 1)) ;;
    esac
done
finish
