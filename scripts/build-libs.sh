#!/bin/sh
# SPDX-License-Identifier: MIT
# Builds the static musl libraries ade-unlock links (libcryptsetup, libdevmapper,
# json-c, libblkid/libuuid, BearSSL, nettle) from Debian's source packages, with
# Debian's patches applied, into build/musl/. Each library is cached by its
# Debian source version and by this script's own hash: a second run builds nothing.
#
# usage: build-libs.sh [BACKEND...]     (cryptsetup crypto backends; default: kernel)
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
build="$top/build"
src="$build/src"
prefix="$build/musl"
jobs=$(nproc 2>/dev/null || echo 2)
backends=${*:-kernel}

log() { printf 'build-libs: %s\n' "$*" >&2; }

# The recipe's own identity: a change to this script or a patch rebuilds.
recipe=$(cat "$0" "$top"/scripts/patches/* 2>/dev/null | sha256sum | cut -c1-12)

# musl-gcc's specs use -nostdinc: give it the kernel UAPI headers it needs
# (linux/if_alg.h for cryptsetup's kernel backend, linux/dm-ioctl.h, ...).
kinc="$build/kernel-include"
mkdir -p "$kinc"
for d in linux asm-generic mtd; do
    [ -e "$kinc/$d" ] || ln -s "/usr/include/$d" "$kinc/$d"
done
[ -e "$kinc/asm" ] || ln -s /usr/include/x86_64-linux-gnu/asm "$kinc/asm"

# A wrapper so that every build system (autoconf, cmake, lvm2's own make
# rules that call $(CC) -E) sees the kernel headers, whatever flags it drops.
mkdir -p "$build/bin"
cat > "$build/bin/musl-cc" <<WRAP
#!/bin/sh
exec musl-gcc -isystem $kinc "\$@"
WRAP
chmod +x "$build/bin/musl-cc"
export CC="$build/bin/musl-cc"
export AR=ar RANLIB=ranlib
# -fPIE so that the final binary can be a static PIE; sections so --gc-sections
# can drop what is unused; the file-prefix map keeps build paths out of objects.
export CFLAGS="-Os -fPIE -ffunction-sections -fdata-sections -fstack-protector-strong -D_FORTIFY_SOURCE=0 -isystem $kinc -ffile-prefix-map=$build=/build"
export CPPFLAGS="-isystem $kinc -I$prefix/include"
export LDFLAGS="-L$prefix/lib"
export PKG_CONFIG_LIBDIR="$prefix/lib/pkgconfig"
export PKG_CONFIG_PATH=
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-1700000000}"

mkdir -p "$src" "$prefix/lib/pkgconfig" "$prefix/include"

# srcver PKG: the Debian source version apt would fetch now.
srcver() {
    apt-cache showsrc "$1" 2>/dev/null | awk '/^Version:/ { print $2 }' | sort -V | tail -n 1
}

# fetch PKG: unpacks Debian source PKG (patches applied) once; prints its directory.
fetch() {
    pkg=$1
    ver=$(srcver "$pkg")
    [ -n "$ver" ] || { log "no source package '$pkg' (is deb-src enabled? run make deps)"; exit 1; }
    upver=${ver#*:}
    upver=${upver%-*}
    dir="$src/$pkg-$upver"
    if [ ! -f "$dir/.ade-fetched-$ver" ]; then
        rm -rf "$dir"
        (cd "$src" && apt-get source -qq -o APT::Sandbox::User=root "$pkg=$ver") >&2
        touch "$dir/.ade-fetched-$ver"
    fi
    echo "$dir"
}

# cached NAME VERSION: true if NAME at VERSION was built by this recipe.
cached() { [ -f "$prefix/.built-$1-$2-$recipe" ]; }
mark() { rm -f "$prefix/.built-$1-"*; touch "$prefix/.built-$1-$2-$recipe"; }

build_bearssl() {
    ver=$(srcver bearssl); cached bearssl "$ver" && return 0
    log "BearSSL $ver"
    d=$(fetch bearssl)
    (cd "$d" && { make -s clean || true; } &&
     make -s -j"$jobs" CC="$CC" CFLAGS="$CFLAGS" LD="$CC" LDDLL="$CC" DLL=no TOOLS=no TESTS=no lib)
    cp "$d/build/libbearssl.a" "$prefix/lib/"
    cp "$d"/inc/*.h "$prefix/include/"
    mark bearssl "$ver"
}

build_jsonc() {
    ver=$(srcver json-c); cached json-c "$ver" && return 0
    log "json-c $ver"
    d=$(fetch json-c)
    rm -rf "$d/_musl"
    mkdir -p "$d/_musl"
    (cd "$d/_musl" && cmake -S .. -B . -DCMAKE_C_COMPILER="$CC" -DCMAKE_BUILD_TYPE=MinSizeRel \
        -DCMAKE_C_FLAGS="$CFLAGS" -DCMAKE_INSTALL_PREFIX="$prefix" -DCMAKE_INSTALL_LIBDIR=lib \
        -DBUILD_SHARED_LIBS=OFF -DBUILD_STATIC_LIBS=ON -DBUILD_TESTING=OFF -DBUILD_APPS=OFF \
        -DDISABLE_WERROR=ON -DENABLE_THREADING=OFF -DDISABLE_EXTRA_LIBS=ON &&
     make -s -j"$jobs" && make -s install)
    mark json-c "$ver"
}

build_utillinux() {
    ver=$(srcver util-linux); cached util-linux "$ver" && return 0
    log "util-linux $ver (libblkid, libuuid)"
    d=$(fetch util-linux)
    (cd "$d" && GTKDOCIZE=true autoreconf -fi &&
     ./configure -q --host=x86_64-linux-musl --prefix="$prefix" --libdir="$prefix/lib" \
        --disable-all-programs --enable-libblkid --enable-libuuid \
        --disable-shared --enable-static --disable-nls --without-udev --without-systemd \
        --without-python --without-readline --without-ncurses --without-ncursesw \
        --without-tinfo --without-selinux --without-audit --without-smack \
        --without-libmagic --without-cap-ng --without-btrfs --without-econf \
        --without-user --disable-bash-completion --disable-asciidoc \
        --disable-poman &&
     make -s -j"$jobs" libblkid.la libuuid.la &&
     make -s install-nodist_blkidincHEADERS install-uuidincHEADERS \
        install-usrlib_execLTLIBRARIES install-pkgconfigDATA)
    mark util-linux "$ver"
}

build_devmapper() {
    ver=$(srcver lvm2); cached lvm2 "$ver" && return 0
    log "lvm2 $ver (libdevmapper only)"
    d=$(fetch lvm2)
    (cd "$d" && ac_cv_func_malloc_0_nonnull=yes ac_cv_func_realloc_0_nonnull=yes \
     ./configure -q --host=x86_64-linux-musl --prefix="$prefix" --libdir="$prefix/lib" \
        --enable-static_link --disable-shared --disable-selinux --disable-readline \
        --disable-nls --disable-blkid_wiping --disable-dmeventd --disable-cmdlib \
        --disable-udev_sync --disable-udev_rules --disable-use-lvmlockd \
        --disable-use-lvmpolld --with-thin=none --with-cache=none \
        --with-vdo=none --with-writecache=none --with-integrity=none &&
     make -s -j"$jobs" device-mapper &&
     make -s -C libdm install_static install_include || exit 1
     make -s -C libdm install_pkgconfig || true)
    mark lvm2 "$ver"
}

build_nettle() {
    ver=$(srcver nettle); cached nettle "$ver" && return 0
    log "nettle $ver"
    d=$(fetch nettle)
    (cd "$d" && ./configure -q --host=x86_64-linux-musl --prefix="$prefix" --libdir="$prefix/lib" \
        --disable-shared --enable-static --disable-public-key --disable-openssl \
        --disable-documentation --disable-gcov --enable-x86-aesni --enable-x86-sha-ni \
        --enable-fat &&
     make -s -j"$jobs" libnettle.a &&
     make -s install-headers install-static install-pkgconfig)
    mark nettle "$ver"
}

# cryptsetup BACKEND: libcryptsetup.a for one crypto backend, in its own prefix.
build_cryptsetup() {
    be=$1
    ver=$(srcver cryptsetup); cached "cryptsetup-$be" "$ver" && return 0
    log "cryptsetup $ver (libcryptsetup, $be backend)"
    d=$(fetch cryptsetup)
    # Our patches (scripts/patches/cryptsetup-*.patch), each applied once.
    for p in "$top"/scripts/patches/cryptsetup-*.patch; do
        [ -f "$p" ] || continue
        if ! (cd "$d" && patch -p1 -R -s -f --dry-run < "$p") > /dev/null 2>&1; then
            (cd "$d" && patch -p1 -s -f < "$p") || { log "patch ${p##*/} failed"; exit 1; }
        fi
    done
    bdir="$d/_musl-$be"
    cp="$prefix/cryptsetup-$be"
    rm -rf "$bdir" "$cp"
    mkdir -p "$bdir"
    [ -x "$d/configure" ] || (cd "$d" && ./autogen.sh)
    (cd "$bdir" && ac_cv_lib_popt_poptConfigFileToString=yes \
     ../configure -q --host=x86_64-linux-musl --prefix="$cp" --libdir="$cp/lib" \
        --disable-shared --enable-static --disable-cryptsetup --disable-veritysetup \
        --disable-integritysetup --disable-ssh-token --disable-external-tokens \
        --disable-selinux --disable-nls --disable-asciidoc --disable-udev \
        --disable-kernel_crypto --disable-fips --disable-pwquality --disable-passwdqc \
        --enable-blkid --disable-libargon2 --with-crypto_backend="$be" \
        --with-tmpfilesdir=no &&
     make -s -j"$jobs" libcryptsetup.la &&
     make -s install-libLTLIBRARIES install-includeHEADERS install-pkgconfigDATA)
    mark "cryptsetup-$be" "$ver"
}

# step NAME FUNCTION [ARG]: runs one library build with its output in a log,
# shown (tail) only when it fails.
logs="$build/logs"
mkdir -p "$logs"
step() {
    name=$1; shift
    # Not in an `if`: there `set -e` would be ignored inside the build.
    set +e
    ( set -e; "$@" ) > "$logs/$name.log" 2>&1
    rc=$?
    set -e
    if [ "$rc" -ne 0 ]; then
        tail -n 30 "$logs/$name.log" >&2
        log "building $name failed; full log: ${logs#"$top"/}/$name.log"
        exit 1
    fi
    grep '^build-libs:' "$logs/$name.log" >&2 || true
}

step bearssl build_bearssl
step json-c build_jsonc
step util-linux build_utillinux
step lvm2 build_devmapper
for be in $backends; do
    if [ "$be" = nettle ]; then step nettle build_nettle; fi
    step "cryptsetup-$be" build_cryptsetup "$be"
done

# What the binary's --version reports: the Debian source versions built here.
musl_ver=$(dpkg-query -W -f='${Version}' musl-dev 2>/dev/null || echo '?')
cs_ver=$(srcver cryptsetup)
cs_up=${cs_ver#*:}
bs_ver=$(srcver bearssl)
bs_up=${bs_ver%%+*}
vh="$prefix/include/ade-lib-versions.h"
cat > "$vh.tmp" <<VERS
/* Generated by scripts/build-libs.sh: Debian source versions built. */
#define ADE_V_CRYPTSETUP "${cs_up%%-*}"
#define ADE_DEB_CRYPTSETUP "Debian $cs_ver"
#define ADE_DEB_LVM2 "Debian lvm2 $(srcver lvm2)"
#define ADE_DEB_JSONC "Debian $(srcver json-c)"
#define ADE_DEB_UTILLINUX "Debian util-linux $(srcver util-linux)"
#define ADE_V_BEARSSL "${bs_up%%-*}"
#define ADE_DEB_BEARSSL "Debian $bs_ver"
#define ADE_V_LIBC "musl ${musl_ver%%-*} (Debian $musl_ver)"
VERS
if cmp -s "$vh.tmp" "$vh"; then rm -f "$vh.tmp"; else mv "$vh.tmp" "$vh"; fi
log "static musl libraries ready in ${prefix#"$top"/}"
