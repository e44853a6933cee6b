#!/bin/sh
# build.sh [DIR [CONFIGURE-FLAGS...]] - configure and build pam_alianza out of tree in DIR
# (default: build/). Several flavours (build/, build-asan/) live side by side.
set -eu
cd "$(dirname "$0")/.."
dir=${1:-build}
[ $# -gt 0 ] && shift
if [ ! -x configure ] || [ configure.ac -nt configure ] || [ Makefile.am -nt Makefile.in ]; then
    ./autogen.sh >/dev/null 2>&1 || ./autogen.sh
fi
mkdir -p "$dir"
cd "$dir"
if [ ! -f Makefile ] || [ ../configure -nt Makefile ] || [ "$(cat .flags 2>/dev/null)" != "$*" ]; then
    ../configure --enable-werror "$@" >/dev/null || { tail -30 config.log; exit 1; }
    echo "$*" > .flags
fi
make -j"$(nproc)" >/dev/null
