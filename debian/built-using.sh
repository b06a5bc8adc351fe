#!/bin/sh
# SPDX-License-Identifier: MIT
# Prints the Built-Using field of the binary package: the Debian source
# packages whose code is linked into the static ade-unlock. The static
# libraries are built by scripts/build-libs.sh, which marks each one in
# build/musl/ as .built-NAME-VERSION-RECIPE; musl comes from musl-dev.
#
# usage: debian/built-using.sh [BACKEND]    (libcryptsetup's crypto backend, default nettle)
set -eu

backend=${1:-nettle}
musl=build/musl
out=
add() { out="${out:+$out, }$1 (= $2)"; }

# marker SOURCE NAME: the version recorded by the marker of NAME.
marker() {
    set -- "$1" "$2" "$musl"/.built-"$2"-*
    if [ $# -ne 3 ] || [ ! -e "$3" ]; then
        echo "built-using: no single $musl/.built-$2-* marker (run make first)" >&2
        exit 1
    fi
    m=${3##*/.built-"$2"-}
    # The version, without the recipe hash after its last '-'.
    add "$1" "${m%-*}"
}

marker bearssl bearssl
marker cryptsetup "cryptsetup-$backend"
marker json-c json-c
marker lvm2 lvm2
[ "$backend" = nettle ] && marker nettle nettle
marker util-linux util-linux
add musl "$(dpkg-query -W -f='${source:Version}' musl-dev)"
printf '%s\n' "$out"
