#!/bin/sh
# fleetday.sh [OUTDIR] [--users N] [--seed N] [--workers N] [--timeout S] [--connect-timeout S]
#             [--sudo-as-root] - the fleet's day, simulated (Debian 12, as root).
#
# 50 users each log in once by ssh and call sudo 30 times over 8 hours, the clock moved by
# libfaketime (Debian's faketime package) instead of sleeping: cached_auth_timeout off and at
# 15 minutes, the sudo calls in bursts and evenly spread, then the same day with the API down
# (connections refused) 12:00-14:00 and offline_window at 8 hours, and a second episode at
# 15:00-15:40 where the API hangs instead. Prints API calls per ssh login and per sudo (by
# endpoint), how the sudo calls went (online, cached, offline), the issue's three claims on the
# outage with PASS/FAIL and the hang episode's apart, and writes OUTDIR (default BUILDDIR/bench/): fleetday.md, fleetday.json,
# fleetday-events.tsv. Installs what it needs with apt-get (only what is missing), builds in
# build/ (or uses $ALZ_BUILDDIR as built, which is what "make fleetday" passes), then runs
# tests/fleetday.py in a private mount namespace: nothing on the host changes. A few minutes.
set -eu
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
    echo "fleetday.sh: needs root (a private mount namespace with its own /etc/shadow and /dev/log," \
        "a setuid driver)" >&2
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
    echo "fleetday.sh: the load average is $load: the run takes longer (the counts do not change)" >&2
fi
exec /usr/bin/python3 tests/fleetday.py "$@"
