# SPDX-License-Identifier: MIT
# gen-initramfs-tools.sh: ade-unlock-install's initramfs-tools backend: where its files and images live, how to build (mkinitramfs) and list (lsinitramfs) an image.
#
# POSIX sh, installed as /usr/lib/ade-unlock/gen-initramfs-tools.sh (mode
# 0644: sourced, never run). Each function is itools_<what>, called through
# the installer's backend() as `backend <what>`; gen-dracut.sh has the same
# set. The caller sets T, D_LIBDIR, and defines put, die and say.
#
# initramfs-tools runs every hook in /usr/share/initramfs-tools/hooks and
# copies every boot script of /usr/share/initramfs-tools/scripts into each
# image it builds: there is no configuration that adds ours, the files being
# there is what does. So the distribution's own update-initramfs (a kernel
# update, ADE's `update-initramfs -u -k all`) builds images with ade-unlock by
# itself, and --uninstall takes the files away before it rebuilds.
# shellcheck shell=sh
# shellcheck disable=SC2034  # V_ROOT, V_KIND, V_WHY, CHANGED: read by image.sh and the installer

D_ITOOLS=/usr/share/initramfs-tools
# Its files, the same paths under initramfs-tools/ in a source tree and
# under /usr/share/initramfs-tools installed (mode 0755).
IT_FILES="hooks/ade-unlock scripts/init-premount/ade-unlock scripts/init-bottom/ade-unlock"
# The run script (dracut-module/ade-unlock-run.sh, which the hook copies
# into the image as /usr/lib/ade-unlock/ade-unlock-run): read, never run
# on the host (mode 0644).
D_RUN=$D_LIBDIR/ade-unlock-run.sh
# Its configuration: with a key-encryption key in the image, every image
# mkinitramfs writes (update-initramfs's too) is root's only.
D_ITCONF=/etc/initramfs-tools/conf.d/ade-unlock

# Where the backend comes from: itools_payload source SRCDIR | installed.
itools_payload() {
    if [ "$1" = source ]; then
        S_ITOOLS=$2/initramfs-tools
        S_RUN=$2/dracut-module/ade-unlock-run.sh
    else
        S_ITOOLS=$D_ITOOLS
        S_RUN=$D_RUN
    fi
}

# Whether the host uses initramfs-tools: its commands, and its configuration
# directory (which stays behind when the package is removed, not purged).
itools_present() {
    command -v update-initramfs > /dev/null 2>&1 &&
        command -v mkinitramfs > /dev/null 2>&1 && [ -d /etc/initramfs-tools ]
}

# What the host has of it, for the messages of the detection.
itools_evidence() {
    ie_e=
    for ie_c in update-initramfs mkinitramfs; do
        ie_p=$(command -v "$ie_c" 2> /dev/null) && ie_e="${ie_e:+$ie_e, }$ie_p"
    done
    [ -d /etc/initramfs-tools ] && ie_e="${ie_e:+$ie_e, }/etc/initramfs-tools"
    echo "${ie_e:-nothing of it}"
}

# The commands it needs (besides the installer's own).
itools_tools() { echo mkinitramfs lsinitramfs unmkinitramfs; }
itools_tools_hint() { echo "install initramfs-tools"; }

# What builds and what lists an image (for the messages).
itools_builder() { echo mkinitramfs; }
itools_lister() { echo lsinitramfs; }

# The image file of a kernel (update-initramfs's name).
itools_image_of() { echo "/boot/initrd.img-$1"; }

# Files an image is built from, besides the binary, the host's crypttab and
# conf and the libraries (their hashes go into each image's stamp).
itools_inputs() {
    for ii_f in $IT_FILES; do
        echo "$D_ITOOLS/$ii_f"
    done
    for ii_f in /etc/initramfs-tools/initramfs.conf /etc/initramfs-tools/modules \
        /etc/initramfs-tools/conf.d/* /usr/share/initramfs-tools/conf.d/*; do
        [ -f "$ii_f" ] && echo "$ii_f"
    done
}

# The payload is all there ($1: what stays unchanged otherwise).
itools_need_payload() {
    for in_f in $IT_FILES; do
        [ -f "$S_ITOOLS/$in_f" ] ||
            die "the initramfs-tools file $S_ITOOLS/$in_f is missing; $1"
    done
    [ -f "$S_RUN" ] || die "the run script $S_RUN is missing; $1"
}

# Copies the payload into a staging tree laid out as a source tree (--root).
itools_stage() {
    for is_f in $IT_FILES; do
        [ -f "$S_ITOOLS/$is_f" ] || continue
        mkdir -p "$1/initramfs-tools/${is_f%/*}" || return 1
        cp -p "$S_ITOOLS/$is_f" "$1/initramfs-tools/$is_f" || return 1
    done
    if [ -f "$S_RUN" ]; then
        mkdir -p "$1/dracut-module" || return 1
        cp -p "$S_RUN" "$1/dracut-module/ade-unlock-run.sh" || return 1
    fi
    return 0
}

# The configuration (conf.d, sourced by mkinitramfs).
itools_conf() {
    {
        echo "# Written by $PROG. ade-unlock's hook and boot scripts in"
        echo "# $D_ITOOLS are what put it into every image."
        if [ -f "$KEK_SRC" ]; then
            echo "# The images hold the key-encryption key $KEK_SRC: root's only."
            echo "UMASK=0077"
        fi
    } > "$1"
}

# Installs the hook, the boot scripts, the run script and the configuration
# (each only when it differs).
itools_install_files() {
    put "$S_RUN" "$D_RUN" 644
    for if_f in $IT_FILES; do
        put "$S_ITOOLS/$if_f" "$D_ITOOLS/$if_f" 755
    done
    itools_conf "$T/itools.conf"
    gen "$T/itools.conf" "$D_ITCONF" 644
}

# --check: what makes the next update-initramfs add ade-unlock is in place
# (else says what is not and returns 1).
itools_check_files() {
    ic_bad=0
    for ic_f in $IT_FILES; do
        [ -x "$D_ITOOLS/$ic_f" ] && continue
        say "NOT OK: $D_ITOOLS/$ic_f is missing (or not executable): the next update-initramfs leaves ade-unlock out"
        ic_bad=1
    done
    if [ ! -f "$D_RUN" ] || [ ! -f "$D_LIBDIR/crypttab.sh" ]; then
        say "NOT OK: $D_RUN or $D_LIBDIR/crypttab.sh is missing: the next update-initramfs leaves ade-unlock out"
        ic_bad=1
    fi
    return "$ic_bad"
}

# --uninstall: no later update-initramfs adds ade-unlock: the hook and the
# boot scripts go first, kept in $T to be put back should a rebuild fail.
itools_disable() {
    IT_SAVED=
    IT_CONF_SAVED=
    if [ -f "$D_ITCONF" ]; then
        cp -p "$D_ITCONF" "$T/itools.conf.saved" && IT_CONF_SAVED=1
    fi
    for id_f in $IT_FILES; do
        [ -e "$D_ITOOLS/$id_f" ] || continue
        mkdir -p "$T/itools.saved/${id_f%/*}"
        cp -p "$D_ITOOLS/$id_f" "$T/itools.saved/$id_f" || die "cannot keep a copy of $D_ITOOLS/$id_f; nothing changed"
        IT_SAVED="$IT_SAVED $id_f"
    done
    for id_f in $IT_SAVED; do
        rm -f "$D_ITOOLS/$id_f"
    done
    rm -f "$D_ITCONF"
}
itools_restore() {
    for ir_f in $IT_SAVED; do
        cp -p "$T/itools.saved/$ir_f" "$D_ITOOLS/$ir_f"
    done
    [ -n "$IT_CONF_SAVED" ] && cp -p "$T/itools.conf.saved" "$D_ITCONF"
    return 0
}
itools_disabled() {
    for ix_f in $IT_SAVED; do
        say "removed $D_ITOOLS/$ix_f"
    done
    [ -n "$IT_CONF_SAVED" ] && say "removed $D_ITCONF"
    return 0
}
# The directories --uninstall removes when empty (initramfs-tools' own stay).
itools_dirs() { :; }

# Builds an image in the background, as update-initramfs does (mkinitramfs
# -o FILE VERSION): itools_spawn VERSION OUT with|without LOG. Without: the
# files are gone already (itools_disable).
itools_spawn() {
    mkdir -p "$T/mkinitramfs-tmp"
    spawn "$4" env TMPDIR="$T/mkinitramfs-tmp" mkinitramfs -o "$2" "$1"
}

# Lists an image, one path a line (no leading "./"): itools_list IMAGE OUT
itools_list() {
    lsinitramfs "$1" > "$T/lsinitramfs.out" || return 1
    sed -n 's,^\./,,; s,^/,,; /^\.\{0,1\}$/d; p' "$T/lsinitramfs.out" > "$2"
}

# Unpacks an image into DIR (sets V_ROOT, the unpacked root: DIR, or
# DIR/main behind early microcode archives): IMAGE DIR LOG
itools_unpack() {
    V_ROOT=$2
    unmkinitramfs "$1" "$2" > "$3" 2>&1 || return 1
    [ -d "$2/main" ] && V_ROOT=$2/main
    return 0
}

# The boot scripts, in the listing.
itools_check_listed() {
    V_KIND="init-premount script"
    for il_f in scripts/init-premount/ade-unlock scripts/init-bottom/ade-unlock; do
        listed "$il_f" || V_MISS="$V_MISS $il_f"
    done
}

# In the unpacked image (ROOT): init-premount's ORDER runs our script, and
# before ADE's own crypt-ade-boot when that is there too (cryptroot is
# local-top: after every init-premount script).
itools_check_unpacked() {
    ik_o=$1/scripts/init-premount/ORDER
    ik_n=$(grep -n '^/scripts/init-premount/ade-unlock\( \|$\)' "$ik_o" 2> /dev/null | head -n 1 | cut -d : -f 1)
    if [ -z "$ik_n" ]; then
        V_WHY="its scripts/init-premount/ORDER does not run scripts/init-premount/ade-unlock"
        return 1
    fi
    ik_a=$(grep -n '^/scripts/init-premount/crypt-ade-boot\( \|$\)' "$ik_o" | head -n 1 | cut -d : -f 1)
    if [ -n "$ik_a" ] && [ "$ik_a" -lt "$ik_n" ]; then
        V_WHY="its scripts/init-premount/ORDER runs ADE's crypt-ade-boot before ade-unlock"
        return 1
    fi
    return 0
}

# Whether the listing has our boot scripts (a "without" image must not).
itools_has_hook() {
    listed 'scripts/init-premount/ade-unlock' || listed 'scripts/init-bottom/ade-unlock'
}

# Who writes a crypttab into an image that is not ours.
itools_other_crypttab() {
    echo "another hook wrote it; ade-unlock's initramfs-tools hook writes its own"
}

# --print: who opens the other entries.
itools_print_note() {
    echo "# ---- the image's /etc/crypttab (cryptsetup-initramfs keeps its own table,"
    echo "# /cryptroot/crypttab, for the root's devices; its prompt is the fallback)"
}
