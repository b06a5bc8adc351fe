# SPDX-License-Identifier: MIT
# Host helpers shared by the test harnesses (tests/qemu/lib.sh,
# tests/installer/lib.sh) and the benchmarks: the project's packages, Debian
# package versions, cache keys and the machine's own Debian archive.
# Sourced; POSIX sh. A failure here ends the calling script.
# shellcheck shell=sh

: "${HOST_TOP:?set HOST_TOP (the top of the tree) before sourcing tests/host.sh}"

host_die() {
    printf '%s: error: %s\n' "${0##*/}" "$*" >&2
    exit 1
}

# Installs the host packages that are missing: the project's one list
# (scripts/deps.sh; idempotent, nothing to do when all are there).
host_deps() {
    _out=$(sh "$HOST_TOP/scripts/deps.sh" 2>&1) || {
        printf '%s\n' "$_out" >&2
        host_die "scripts/deps.sh failed"
    }
}

# The candidate version of a Debian package (the cache keys are built from these).
host_pkg_version() {
    apt-cache policy "$1" 2> /dev/null | sed -n 's/^ *Candidate: *//p' | head -n 1
}

# A short hash of its arguments (cache keys).
host_hash() { printf '%s\n' "$*" | sha256sum | cut -c 1-12; }

# The Debian archive URI of this machine's apt sources (never a guessed host).
host_mirror() {
    _m=$(cat /etc/apt/sources.list.d/*.sources 2> /dev/null |
        sed -n 's/^URIs: *\([^ ]*debian\)\/* *$/\1/p' | grep -v security | head -n 1)
    [ -n "$_m" ] || _m=$(sed -n 's/^deb \(\[[^]]*\] \)\{0,1\}\([^ ]*debian\)\/* .*/\2/p' \
        /etc/apt/sources.list 2> /dev/null | grep -v security | head -n 1)
    [ -n "$_m" ] || host_die "no Debian archive URI in the apt sources"
    printf '%s\n' "$_m"
}
