#!/bin/sh
# SPDX-License-Identifier: MIT
# Installs the Debian packages ade-unlock needs to build and test, and enables
# deb-src for the machine's existing apt sources (needed by `apt-get source`).
# Idempotent: a second run installs nothing and touches no file.
set -eu

PACKAGES="
    build-essential musl-tools pkg-config autoconf automake libtool autopoint
    gettext cmake dpkg-dev file binutils
    libcmocka-dev libcryptsetup-dev libdevmapper-dev libblkid-dev libjson-c-dev libbearssl-dev
    cryptsetup-bin dosfstools mtools util-linux strace
    shellcheck cppcheck clang libclang-rt-14-dev llvm
    python3-jwcrypto
    qemu-system-x86 debootstrap cpio zstd fdisk e2fsprogs
    debhelper lintian rpm scdoc man-db
"

log() { printf 'deps: %s\n' "$*" >&2; }

if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        exec sudo -E sh "$0" "$@"
    fi
    log "must run as root (or with sudo) to install packages"
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive

# deb-src: derive from the deb822 sources that already exist; never invent hosts.
srcs_changed=0
for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    if grep -q '^Types:.*deb-src' "$f"; then
        continue
    fi
    # Only Debian's own archive entries get deb-src (third-party lists are left alone).
    if grep -q '^URIs:.*debian' "$f"; then
        sed -i 's/^Types: *deb *$/Types: deb deb-src/' "$f"
        srcs_changed=1
        log "enabled deb-src in $f"
    fi
done
if [ -f /etc/apt/sources.list ] && grep -q '^deb ' /etc/apt/sources.list &&
    ! grep -q '^deb-src ' /etc/apt/sources.list; then
    lines=$(sed -n 's/^deb \(.*debian.*\)$/deb-src \1/p' /etc/apt/sources.list)
    printf '%s\n' "$lines" >> /etc/apt/sources.list
    srcs_changed=1
    log "enabled deb-src in /etc/apt/sources.list"
fi

missing=
for p in $PACKAGES; do
    st=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
    case "$st" in ii*) ;; *) missing="$missing $p" ;; esac
done
stamp=/var/lib/apt/lists/.ade-unlock-updated
if [ "$srcs_changed" -eq 1 ] || [ -n "$(echo "$missing" | tr -d ' \n')" ] ||
    [ ! -e "$stamp" ] || ! ls /var/lib/apt/lists/*Sources* >/dev/null 2>&1; then
    log "apt-get update"
    apt-get update -qq
    touch "$stamp"
fi
if [ -n "$(echo "$missing" | tr -d ' \n')" ]; then
    # shellcheck disable=SC2086
    log "installing:" $missing
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
log "packages ready"
