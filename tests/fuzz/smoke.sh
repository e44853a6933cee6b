#!/bin/sh
# smoke.sh BUILD_DIR SECONDS - run each libFuzzer target built in BUILD_DIR (configure
# --enable-fuzz CC=clang) for SECONDS on a copy of its seed corpus; print TAP.
# Corpus copies, logs and crash artifacts stay in BUILD_DIR (fuzz-corpus/, fuzz-logs/,
# fuzz-artifacts/); the source tree is only read. Exits non-zero when a target crashes.
set -u
if [ $# -ne 2 ]; then
    echo "usage: $0 BUILD_DIR SECONDS" >&2
    exit 2
fi
case $2 in
    '' | *[!0-9]* | 0) echo "smoke.sh: SECONDS must be a whole number >= 1" >&2; exit 2 ;;
esac
src=$(cd "$(dirname "$0")" && pwd)
build=$(cd "$1" && pwd) || exit 2
secs=$2
arts=$build/fuzz-artifacts
logs=$build/fuzz-logs
mkdir -p "$arts" "$logs" "$build/fuzz-corpus" || exit 2

n=0
failed=0
# target  -max_len (bytes: a little over the parser's own cap; jptr: a pointer and a reply
# shape, the walker has no cap of its own to pass)  dictionary
for spec in "reply 70000 json.dict" "config 70000 config.dict" "record 100000 json.dict" \
    "jptr 4096 jptr.dict"; do
    # shellcheck disable=SC2086
    set -- $spec
    name=fuzz_$1 maxlen=$2 dict=$src/$3
    n=$((n + 1))
    prog=$build/tests/fuzz/$name
    if [ ! -x "$prog" ]; then
        echo "not ok $n - $name: not built (configure --enable-fuzz CC=clang)"
        failed=1
        continue
    fi
    corpus=$build/fuzz-corpus/$1
    mkdir -p "$corpus"
    cp "$src/corpus/$1/"* "$corpus/"
    # past crashes of this target (crash-NAME-*.bin) run first, as regression inputs
    for f in "$src/crash-$1-"*.bin; do
        [ -f "$f" ] && cp "$f" "$corpus/"
    done
    log=$logs/$name.log
    "$prog" -max_total_time="$secs" -max_len="$maxlen" -timeout=10 -rss_limit_mb=2048 \
        -dict="$dict" -artifact_prefix="$arts/$name-" -print_final_stats=1 \
        "$corpus" >"$log" 2>&1
    rc=$?
    # "Done 123456 runs in 10 second(s)", or the final stats when a crash cut it short
    runs=$(sed -n 's/^Done \([0-9][0-9]*\) runs.*/\1/p' "$log" | tail -n 1)
    [ -n "$runs" ] ||
        runs=$(sed -n 's/^stat::number_of_executed_units: *\([0-9][0-9]*\).*/\1/p' "$log" | tail -n 1)
    last=$(grep -E '^#[0-9]+[[:space:]]' "$log" | tail -n 1)
    if [ $rc -eq 0 ]; then
        echo "ok $n - $name: ${runs:-?} executions, no crash"
    else
        echo "not ok $n - $name: crashed (exit $rc) after ${runs:-?} executions"
        echo "# artifacts: $arts/$name-*  log: $log"
        grep -E '^(SUMMARY|==[0-9]+==ERROR|.*invariant broken|artifact_prefix|Test unit written)' "$log" |
            head -n 10 | sed 's/^/#   /'
        failed=1
    fi
    [ -n "$last" ] && echo "# $name: $(echo "$last" | tr -s ' \t' ' ')"
done
echo "1..$n"
exit $failed
