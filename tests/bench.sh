#!/bin/sh
# bench.sh [OUTDIR] [--runs N] [--rtt-runs N] [--no-profile] - what a login through pam_alianza
# costs, side by side with the curl CLI, a pam_exec + curl script and pam_unix, and over a link
# with a known RTT (20 and 100 ms, through tests/bench_relay.py) (Debian 12, as root).
#
# Installs what it needs with apt-get (only what is missing), builds in build/ (or uses
# $ALZ_BUILDDIR as built, which is what "make bench" passes), then runs tests/bench.py:
# the mock API on loopback and every case in a private mount namespace, so nothing on
# the host changes. Prints the targets of issue 16 (met / NOT MET; the fleet-day figure
# from OUTDIR/fleetday.json when "make fleetday" wrote one) and the tables, and writes
# OUTDIR (default BUILDDIR/bench/): results.md, latency.png, the raw latencies and callgrind
# profiles. About a minute on an idle 2-CPU machine. Other work on the machine shows in the
# numbers: run it when the load is low.
set -eu
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
    echo "bench.sh: needs root (a private mount namespace with its own /etc/shadow and /dev/log)" >&2
    exit 1
fi
sh tests/deps.sh bench

if [ -z "${ALZ_BUILDDIR:-}" ]; then
    sh tests/build.sh build
    ALZ_BUILDDIR="$PWD/build"
fi
ALZ_SRCDIR=${ALZ_SRCDIR:-$PWD}
export ALZ_BUILDDIR ALZ_SRCDIR

load=$(cut -d' ' -f1 /proc/loadavg)
if awk "BEGIN { exit !($load > 1.0) }"; then
    echo "bench.sh: the load average is $load: other work will show in the numbers" >&2
fi
exec /usr/bin/python3 tests/bench.py "$@"
