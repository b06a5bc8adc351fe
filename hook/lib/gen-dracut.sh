# SPDX-License-Identifier: MIT
# gen-dracut.sh: ade-unlock-install's dracut backend: where its files and images live, how to build (dracut) and list (lsinitrd) an image, its configuration.
#
# POSIX sh, installed as /usr/lib/ade-unlock/gen-dracut.sh (mode 0644:
# sourced, never run). Each function is dracut_<what>, called through the
# installer's backend() as `backend <what>`; gen-initramfs-tools.sh has the
# same set. The caller sets T, PROG, HOST_CT, HOST_CONF, KEK_SRC,
# KEK_DEFAULT, and defines put, gen and say.
# shellcheck shell=sh
# shellcheck disable=SC2034  # V_ROOT, V_KIND, V_WHY, CHANGED: read by image.sh and the installer

D_MODDIR=/usr/lib/dracut/modules.d/91ade-unlock
D_DRACUTCONF=/etc/dracut.conf.d/ade-unlock.conf

# Where the module comes from: dracut_payload source SRCDIR | installed.
dracut_payload() {
    if [ "$1" = source ]; then
        S_MODDIR=$2/dracut-module
    else
        S_MODDIR=$D_MODDIR
    fi
}

# Whether the host uses dracut: its command, and its configuration directory.
dracut_present() {
    command -v dracut > /dev/null 2>&1 && [ -d /etc/dracut.conf.d ]
}

# What the host has of it, for the messages of the detection.
dracut_evidence() {
    de_e=
    de_p=$(command -v dracut 2> /dev/null) && de_e="$de_p"
    [ -d /etc/dracut.conf.d ] && de_e="${de_e:+$de_e, }/etc/dracut.conf.d"
    echo "${de_e:-nothing of it}"
}

# The commands it needs (besides the installer's own).
dracut_tools() { echo dracut lsinitrd; }
dracut_tools_hint() { echo "install dracut (dracut-core)"; }

# What builds and what lists an image (for the messages).
dracut_builder() { echo dracut; }
dracut_lister() { echo lsinitrd; }

# The image file of a kernel: the one that exists, else the distribution's name.
dracut_image_of() {
    if [ -e "/boot/initramfs-$1.img" ]; then
        echo "/boot/initramfs-$1.img"
    elif [ -e "/boot/initrd.img-$1" ] || [ -e /etc/debian_version ]; then
        echo "/boot/initrd.img-$1"
    else
        echo "/boot/initramfs-$1.img"
    fi
}

# Files an image is built from, besides the binary, the host's crypttab and
# conf and the libraries (their hashes go into each image's stamp).
dracut_inputs() {
    for di_f in "$D_MODDIR"/* /etc/dracut.conf /etc/dracut.conf.d/*.conf \
        /usr/lib/dracut/dracut.conf.d/*.conf /usr/lib/dracut/dracut-version.sh; do
        [ -f "$di_f" ] && echo "$di_f"
    done
}

# The payload is all there ($1: what stays unchanged otherwise).
dracut_need_payload() {
    [ -f "$S_MODDIR/module-setup.sh" ] ||
        die "the dracut module $S_MODDIR/module-setup.sh is missing; $1"
}

# Copies the payload into a staging tree laid out as a source tree (--root).
dracut_stage() {
    mkdir -p "$1/dracut-module" || return 1
    if [ -d "$S_MODDIR" ]; then
        cp -p "$S_MODDIR"/* "$1/dracut-module/" || return 1
    fi
    return 0
}

# The configuration: our module, and the KEK when it is not at its default place.
dracut_conf() {
    {
        echo "# Written by $PROG: ade-unlock in every initramfs dracut builds."
        echo "# The module derives the image's crypttab and conf from $HOST_CT and"
        echo "# $HOST_CONF at each build; \`$PROG --check\` says whether an image is current."
        echo 'add_dracutmodules+=" ade-unlock "'
        [ "$KEK_SRC" != "$KEK_DEFAULT" ] && echo "ade_unlock_kek=\"$KEK_SRC\""
        return 0
    } > "$1"
}

# Installs the module and the configuration (each file only when it differs).
dracut_install_files() {
    for dif_f in "$S_MODDIR"/*; do
        [ -f "$dif_f" ] || continue
        case "$dif_f" in *.sh) dif_m=755 ;; *) dif_m=644 ;; esac
        put "$dif_f" "$D_MODDIR/${dif_f##*/}" "$dif_m"
    done
    # Files of an older module version that this one no longer has.
    if [ "$S_LAYOUT" = source ] && [ -d "$D_MODDIR" ]; then
        for dif_f in "$D_MODDIR"/*; do
            [ -e "$S_MODDIR/${dif_f##*/}" ] || { rm -f "$dif_f" && say "removed $dif_f" && CHANGED=1; }
        done
    fi
    dracut_conf "$T/dracut.conf"
    gen "$T/dracut.conf" "$D_DRACUTCONF" 644
}

# --check: what makes the next dracut run add ade-unlock is in place (else
# says what is not and returns 1).
dracut_check_files() {
    [ -f "$D_DRACUTCONF" ] && return 0
    say "NOT OK: $D_DRACUTCONF is missing: the next dracut run leaves ade-unlock out"
    return 1
}

# --uninstall: no later dracut run adds the module (the configuration goes
# first, kept in $T to be put back should a rebuild fail).
dracut_disable() {
    DRACUT_SAVED=
    if [ -f "$D_DRACUTCONF" ]; then
        cp -p "$D_DRACUTCONF" "$T/dracut.conf.saved"
        DRACUT_SAVED=$T/dracut.conf.saved
        rm -f "$D_DRACUTCONF"
    fi
}
dracut_restore() {
    [ -n "$DRACUT_SAVED" ] && cp -p "$DRACUT_SAVED" "$D_DRACUTCONF"
    return 0
}
dracut_disabled() {
    [ -n "$DRACUT_SAVED" ] && say "removed $D_DRACUTCONF"
    return 0
}
# The directories --uninstall removes when empty.
dracut_dirs() { echo "$D_MODDIR"; }

# Builds an image in the background: dracut_spawn VERSION OUT with|without LOG
dracut_spawn() {
    mkdir -p "$T/dracut-tmp"
    if [ "$3" = with ]; then
        ds_m=--add
    else
        ds_m=--omit
    fi
    spawn "$4" dracut --force --tmpdir "$T/dracut-tmp" --kver "$1" "$ds_m" ade-unlock "$2" "$1"
}

# Lists an image, one path a line (no leading "./"): dracut_list IMAGE OUT
dracut_list() {
    lsinitrd "$1" > "$T/lsinitrd.out" || return 1
    # cpio -tv lines: mode, links, owner, group, size, three of date, path.
    sed -nE '/^[-dlcbps][-rwxsStT]{9}[[:space:]]/ {
            s/^([^[:space:]]+[[:space:]]+){8}//
            s/ -> .*$//
            s,^\.?/,,
            p
        }' "$T/lsinitrd.out" > "$2"
}

# Unpacks an image into DIR (sets V_ROOT, the unpacked root): IMAGE DIR LOG
dracut_unpack() {
    V_ROOT=$2
    (cd "$2" && lsinitrd --unpack "$1") > "$3" 2>&1
}

# The boot hook, in the listing: the systemd unit or the initqueue hook.
dracut_check_listed() {
    if listed '(usr/)?lib/systemd/systemd'; then
        V_KIND="systemd unit"
        listed '(usr/)?lib/systemd/system/ade-unlock\.service' ||
            V_MISS="$V_MISS ade-unlock.service"
        listed '(usr/)?lib/systemd/system/cryptsetup\.target\.wants/ade-unlock\.service' ||
            V_MISS="$V_MISS cryptsetup.target.wants/ade-unlock.service"
    else
        V_KIND="initqueue hook"
        listed '((usr|var)/)?lib/dracut/hooks/initqueue/settled/[0-9]*-ade-unlock-hook\.sh' ||
            V_MISS="$V_MISS initqueue/settled/*-ade-unlock-hook.sh"
    fi
}

# Nothing more to check in the unpacked image.
dracut_check_unpacked() { return 0; }

# Whether the listing has the module's unit or hook (a "without" image must not).
dracut_has_hook() {
    listed '(usr/)?lib/systemd/system/ade-unlock\.service' ||
        listed '.*/ade-unlock-hook\.sh'
}

# Who writes a crypttab into an image that is not ours.
dracut_other_crypttab() {
    echo "dracut's crypt module writes the host's in hostonly mode; the ade-unlock module must replace it"
}

# --print: who adds the other entries.
dracut_print_note() {
    echo "# ---- the image's /etc/crypttab (dracut's crypt module adds, in host-only"
    echo "# mode, the other entries the root needs after these)"
}
