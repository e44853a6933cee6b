#!/bin/sh
# check.sh - the whole test suite from a clean checkout: deps, build, make check, one summary line.
# Prints "N passed, N failed[, N skipped]" last; exits non-zero when anything failed.
set -u
cd "$(dirname "$0")/.."

summary() {
    echo "$1 passed, $2 failed${3:+, $3 skipped}"
}

if ! sh tests/deps.sh; then
    echo "check.sh: could not install dependencies" >&2
    summary 0 1
    exit 1
fi
if ! sh tests/build.sh; then
    echo "check.sh: build failed" >&2
    summary 0 1
    exit 1
fi
rm -f test-suite.log	# a stale one must never be counted
make -j"$(nproc)" check >tests/check.out 2>&1
rc=$?
# per-test results as the TAP driver counted them
# per-file results; individual test points only when they did not pass
grep -E '^(FAIL|XPASS|ERROR|SKIP):' tests/check.out || true
if [ $rc -ne 0 ] && [ ! -f test-suite.log ]; then
    tail -40 tests/check.out
    summary 0 1
    exit 1
fi
count() { sed -n "s/^# $1: *\([0-9]*\)$/\1/p" test-suite.log | head -1; }
pass=$(count PASS); fail=$(count FAIL); xpass=$(count XPASS); err=$(count ERROR)
xfail=$(count XFAIL); skip=$(count SKIP)
failed=$(( ${fail:-0} + ${xpass:-0} + ${err:-0} ))
if [ "$failed" -ne 0 ]; then
    # show what failed, without the noise of what passed
    grep -E '^(not ok|# |ERROR)' tests/*.log 2>/dev/null | grep -v '^[^:]*:# SKIP' | head -100
fi
if [ $rc -ne 0 ] && [ "$failed" -eq 0 ]; then
    failed=1	# make check failed for a reason the counts do not show
fi
summary $(( ${pass:-0} + ${xfail:-0} )) "$failed" "${skip:-0}"
[ "$failed" -eq 0 ]
