#!/bin/sh
# SPDX-License-Identifier: MIT
# The shipped binary is static, stripped, hardened, and proves itself.
set -eu
bin=${ADE_BIN:-unlock/ade-unlock}
fail() { echo "static-binary: $*"; exit 1; }

[ -x "$bin" ] || fail "$bin missing (run make)"
desc=$(file -b "$bin")
echo "$desc"
case "$desc" in
*"static-pie linked"*|*"statically linked"*) ;;
*) fail "not static: $desc" ;;
esac
case "$desc" in *", stripped"*) ;; *) fail "not stripped" ;; esac
# ldd must find no shared library.
if ldd "$bin" 2>&1 | grep -q '=>'; then fail "ldd lists shared libraries"; fi
readelf -lW "$bin" | grep -q INTERP && fail "has an ELF interpreter"
readelf -dW "$bin" | grep -q 'FLAGS.*BIND_NOW\|FLAGS_1.*NOW' || fail "no BIND_NOW (-z now)"
readelf -lW "$bin" | grep -q GNU_RELRO || fail "no RELRO segment"
readelf -lW "$bin" | grep GNU_STACK | grep -q RWE && fail "executable stack"
readelf -hW "$bin" | grep -q 'DYN' || fail "not position independent"
"$bin" --version | grep -q '^ade-unlock ' || fail "--version"
"$bin" --version | grep -q 'libc musl' || fail "--version does not name musl"
"$bin" --self-check || fail "--self-check failed"
# A bad option is a usage error (exit 1).
set +e
"$bin" --no-such-option >/dev/null 2>&1
rc=$?
set -e
[ "$rc" -eq 1 ] || fail "bad option exited $rc, not 1"
echo "size: $(stat -c %s "$bin") bytes"
