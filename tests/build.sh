#!/bin/sh
# build.sh - configure and build pam_alianza in the source tree (after deps.sh).
set -eu
cd "$(dirname "$0")/.."
if [ ! -x configure ] || [ configure.ac -nt configure ] || [ Makefile.am -nt Makefile.in ]; then
    ./autogen.sh >/dev/null 2>&1 || ./autogen.sh
fi
if [ ! -f Makefile ] || [ configure -nt Makefile ]; then
    ./configure --enable-werror ${ALZ_CONFIGURE_FLAGS:-} >/dev/null || {
        tail -30 config.log; exit 1; }
fi
make -j"$(nproc)" >/dev/null
