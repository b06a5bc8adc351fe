#!/bin/sh
# SPDX-License-Identifier: MIT
# Builds ade-unlock's packages in a copy of the tree under build/package/: the
# .deb with dpkg-buildpackage, the RPM with rpmbuild. A copy, because
# dpkg-buildpackage cleans the tree it builds in and writes beside it.
#
# usage: tests/package/build.sh deb|rpm
# Results in build/package/out/ (ade-unlock_VERSION_amd64.deb and its
# .changes and .buildinfo; ade-unlock-VERSION-1.x86_64.rpm), logs in
# build/package/logs/. Environment: PK_BUILD (default build/package),
# PK_BIN (the static binary the RPM packages, default unlock/ade-unlock).
#
# The .deb runs the project's own build (`make all man`) in the copy; the
# static libraries come from a copy of build/musl/ when it is there (so
# nothing is rebuilt from source), else scripts/build-libs.sh builds them.
# The RPM packages the static binary built already (it is the same on every
# distribution): it goes into the source tarball as unlock/ade-unlock, and
# the spec's %build then only makes the man pages.
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
: "${PK_BUILD:=$top/build/package}"
version=$(cat "$top/VERSION")
out=$PK_BUILD/out
logs=$PK_BUILD/logs

say() { printf 'package-build: %s\n' "$*" >&2; }
die() {
    say "error: $*"
    exit 1
}

# What a package is built from: the tree's files (tracked, or new and not
# ignored), not its build outputs.
PK_PATHS="Makefile VERSION README.md ade-unlock.spec debian docs dracut-module hook initramfs-tools man
    scripts unlock"

# copy_tree DEST: the tree's files into DEST, modification times kept (so
# that make sees the cached libraries as up to date, as in the tree).
copy_tree() {
    rm -rf "$1"
    mkdir -p "$1"
    _list=$PK_BUILD/files.list
    # shellcheck disable=SC2086  # one word per path
    if ! (cd "$top" && git ls-files -co --exclude-standard -- $PK_PATHS) > "$_list.all" 2> /dev/null; then
        # Not a git checkout (a release tarball): everything under those paths.
        # shellcheck disable=SC2086
        (cd "$top" && find $PK_PATHS -type f ! -path 'unlock/ade-unlock*' ! -name '*.o') > "$_list.all"
    fi
    (cd "$top" && while IFS= read -r _f; do [ -f "$_f" ] && printf '%s\n' "$_f"; done) \
        < "$_list.all" > "$_list"
    (cd "$top" && tar -cf - --verbatim-files-from -T "$_list") | tar -xf - -C "$1" ||
        die "cannot copy the tree to $1"
    rm -f "$_list.all"
}

build_deb() {
    _src=$PK_BUILD/deb/ade-unlock-$version
    say "copying the tree to $_src"
    copy_tree "$_src"
    # The cached static libraries (and the kernel header links they use).
    if [ -f "$top/build/musl/.ready-nettle" ]; then
        mkdir -p "$_src/build"
        cp -a "$top/build/musl" "$top/build/kernel-include" "$_src/build/" ||
            die "cannot copy build/musl"
    else
        say "no build/musl/.ready-nettle: the static libraries are built from source (minutes)"
    fi
    say "dpkg-buildpackage -us -uc -b (log: $logs/deb.log)"
    if ! (cd "$_src" && DEB_BUILD_OPTIONS="parallel=2 ${DEB_BUILD_OPTIONS:-}" \
        dpkg-buildpackage -us -uc -b) > "$logs/deb.log" 2>&1; then
        tail -n 30 "$logs/deb.log" >&2
        die "dpkg-buildpackage failed (log: $logs/deb.log)"
    fi
    for _f in "ade-unlock_${version}_amd64.deb" "ade-unlock_${version}_amd64.changes" \
        "ade-unlock_${version}_amd64.buildinfo"; do
        mv -f "$PK_BUILD/deb/$_f" "$out/" || die "dpkg-buildpackage made no $_f"
    done
    say "built $out/ade-unlock_${version}_amd64.deb"
}

build_rpm() {
    _bin=${PK_BIN:-$top/unlock/ade-unlock}
    [ -x "$_bin" ] || die "no $_bin: run 'make' first"
    _spec_v=$(sed -n 's/^Version:[[:space:]]*//p' "$top/ade-unlock.spec")
    [ "$_spec_v" = "$version" ] || die "ade-unlock.spec says Version: $_spec_v, VERSION says $version"
    _tree=$PK_BUILD/rpm/tree/ade-unlock-$version
    _top=$PK_BUILD/rpm/top
    say "source tarball (the tree and the static binary $_bin)"
    copy_tree "$_tree"
    cp -p "$_bin" "$_tree/unlock/ade-unlock"
    rm -rf "$_top"
    mkdir -p "$_top/SOURCES"
    tar -czf "$_top/SOURCES/ade-unlock-$version.tar.gz" -C "$(dirname "$_tree")" "ade-unlock-$version" ||
        die "cannot make the source tarball"
    # --nodeps: rpmbuild checks BuildRequires against the RPM database, which
    # is empty on Debian (scdoc and make come from dpkg here).
    say "rpmbuild -bb (log: $logs/rpm.log)"
    if ! rpmbuild -bb --nodeps --define "_topdir $_top" "$top/ade-unlock.spec" \
        > "$logs/rpm.log" 2>&1; then
        tail -n 30 "$logs/rpm.log" >&2
        die "rpmbuild failed (log: $logs/rpm.log)"
    fi
    _rpm=$(find "$_top/RPMS" -name "ade-unlock-$version-*.rpm" | head -n 1)
    [ -n "$_rpm" ] || die "rpmbuild made no ade-unlock-$version-*.rpm"
    mv -f "$_rpm" "$out/"
    say "built $out/${_rpm##*/}"
}

mkdir -p "$out" "$logs"
case "${1:-}" in
    deb) build_deb ;;
    rpm) build_rpm ;;
    *)
        echo "usage: $0 deb|rpm" >&2
        exit 2
        ;;
esac
