#!/bin/sh
# SPDX-License-Identifier: MIT
# Building the binary twice, from the same static libraries, in two
# different directories, gives the same bytes (SOURCE_DATE_EPOCH honoured).
set -eu
top=$(pwd)
[ -f "$top/build/musl/.ready-nettle" ] || { echo "static libraries not built"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for d in a/one b/second-tree; do
    mkdir -p "$work/$d/build"
    # -p keeps mtimes, so make sees the library stamp as up to date.
    cp -pr "$top/Makefile" "$top/VERSION" "$top/unlock" "$top/scripts" "$work/$d/"
    rm -f "$work/$d/unlock/ade-unlock" "$work/$d"/unlock/ade-unlock-*
    ln -s "$top/build/musl" "$work/$d/build/musl"
    ln -s "$top/build/kernel-include" "$work/$d/build/kernel-include"
    SOURCE_DATE_EPOCH=1700000000 make -s -C "$work/$d" unlock/ade-unlock-nettle >/dev/null
done
a=$(sha256sum < "$work/a/one/unlock/ade-unlock-nettle")
b=$(sha256sum < "$work/b/second-tree/unlock/ade-unlock-nettle")
echo "a: $a"
echo "b: $b"
[ "$a" = "$b" ]
