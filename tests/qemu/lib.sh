# SPDX-License-Identifier: MIT
# Shared helpers of the QEMU boot harness: host packages, the cached inputs
# (kernel, builder chroot with dracut, busybox root, initramfs images) and one boot.
# Sourced by run.sh, demo.sh and the scenario files; POSIX sh.
# shellcheck shell=sh

: "${Q_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
# The Debian release the builder chroot and the kernel come from (run.sh
# --suite): the host's own (bookworm) by default; another suite's inputs
# are cached apart, under build/qemu/suite-NAME/, with the apt lists of
# that suite (q_apt).
: "${Q_SUITE:=bookworm}"
Q_HOST_SUITE=$(sed -n 's/^VERSION_CODENAME=//p' /etc/os-release 2> /dev/null)
if [ -z "${Q_BUILD:-}" ]; then
    Q_BUILD=$Q_TOP/build/qemu
    [ "$Q_SUITE" = "${Q_HOST_SUITE:-bookworm}" ] || Q_BUILD=$Q_BUILD/suite-$Q_SUITE
fi
export Q_SUITE Q_BUILD
Q_DIR=$Q_TOP/tests/qemu
# shellcheck disable=SC2034  # read by tests/host.sh
HOST_TOP=$Q_TOP
# shellcheck disable=SC1091  # tests/host.sh is checked on its own
. "$Q_TOP/tests/host.sh"
# Seconds one boot may take before it is killed (TCG, two boots side by side).
: "${Q_BOOT_TIMEOUT:=180}"
# Packages inside the builder chroot: dracut and what it copies into the image.
# initramfs-tools and cryptsetup-initramfs sit beside dracut-core (only the
# "dracut" package conflicts with initramfs-tools): the itools kind's images.
Q_BUILDER_PACKAGES="dracut-core systemd udev cryptsetup lvm2 dmsetup kmod cpio
    systemd-sysv zstd e2fsprogs dosfstools util-linux bash busybox-static
    initramfs-tools cryptsetup-initramfs"
# From trixie on, systemd-cryptsetup (the units dracut's crypt module needs in
# the systemd kind, and cryptsetup.target) is a package of its own.
case "$Q_SUITE" in bullseye | bookworm) ;; *) Q_BUILDER_PACKAGES="$Q_BUILDER_PACKAGES systemd-cryptsetup" ;; esac

q_log() { printf 'qemu: %s\n' "$*" >&2; }
q_die() {
    q_log "error: $*"
    exit 1
}

# Runs as root, or re-runs itself with sudo (loop devices, chroot, apt-get).
q_need_root() {
    [ "$(id -u)" -eq 0 ] && return 0
    command -v sudo > /dev/null 2>&1 || q_die "must run as root (loop devices, chroot)"
    exec sudo -E sh "$0" "$@"
}

# apt-get or apt-cache for Q_SUITE: the host's own when it is the host's
# suite; else with a private state and cache under $Q_BUILD/apt (the host's
# archive mirror and keyring; its lists fetched once a day).
# q_apt apt-get|apt-cache ARGS...
q_apt() {
    _tool=$1
    shift
    if [ "$Q_SUITE" = "${Q_HOST_SUITE:-bookworm}" ]; then
        "$_tool" "$@"
        return
    fi
    _a=$Q_BUILD/apt
    _o="-o Dir::State=$_a/state -o Dir::State::Lists=$_a/lists
        -o Dir::State::status=/dev/null -o Dir::Cache=$_a/cache
        -o Dir::Etc::SourceList=$_a/sources.list -o Dir::Etc::SourceParts=/dev/null"
    if [ -z "$(find "$_a/lists" -maxdepth 1 -name '*Packages*' -mtime -1 2> /dev/null)" ]; then
        mkdir -p "$_a/state" "$_a/lists/partial" "$_a/cache/archives/partial"
        printf 'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s %s main\n' \
            "$(host_mirror)" "$Q_SUITE" > "$_a/sources.list"
        # shellcheck disable=SC2086  # an option list (the cache's paths have no blanks)
        apt-get $_o update > "$_a/update.log" 2>&1 ||
            q_die "apt-get update for $Q_SUITE failed: see $_a/update.log"
    fi
    # shellcheck disable=SC2086
    "$_tool" $_o "$@"
}

# The kernel: linux-image-cloud-amd64 and the image package it depends on,
# downloaded and extracted (never installed on the host), modules indexed.
# Sets (and exports, for the boots run in parallel) Q_KVER, Q_KERNEL_DIR
# (extracted tree) and Q_VMLINUZ.
q_kernel() {
    [ -n "${Q_VMLINUZ:-}" ] && [ -f "$Q_VMLINUZ" ] && return 0
    _ver=$(q_apt apt-cache policy linux-image-cloud-amd64 2> /dev/null |
        sed -n 's/^ *Candidate: *//p' | head -n 1)
    case "$_ver" in "" | "(none)") q_die "apt-cache knows no linux-image-cloud-amd64 in $Q_SUITE (apt-get update?)" ;; esac
    Q_KERNEL_DIR=$Q_BUILD/kernel-$_ver
    if [ ! -e "$Q_KERNEL_DIR/.ready" ]; then
        q_log "kernel: downloading linux-image-cloud-amd64 $_ver"
        rm -rf "$Q_KERNEL_DIR"
        mkdir -p "$Q_KERNEL_DIR/debs"
        (cd "$Q_KERNEL_DIR/debs" && q_apt apt-get download -q "linux-image-cloud-amd64=$_ver") \
            > /dev/null 2>&1 || q_die "apt-get download linux-image-cloud-amd64 failed"
        _dep=$(dpkg-deb -f "$Q_KERNEL_DIR"/debs/linux-image-cloud-amd64_*.deb Depends |
            sed 's/ *(= *\([^)]*\)).*/=\1/')
        (cd "$Q_KERNEL_DIR/debs" && q_apt apt-get download -q "$_dep") > /dev/null 2>&1 ||
            q_die "apt-get download $_dep failed"
        dpkg-deb -x "$Q_KERNEL_DIR"/debs/"${_dep%%=*}"_*.deb "$Q_KERNEL_DIR/root" ||
            q_die "dpkg-deb -x $_dep failed"
        touch "$Q_KERNEL_DIR/.ready"
    fi
    for Q_VMLINUZ in "$Q_KERNEL_DIR"/root/boot/vmlinuz-*; do break; done
    [ -f "$Q_VMLINUZ" ] || q_die "no vmlinuz in $Q_KERNEL_DIR"
    Q_KVER=${Q_VMLINUZ##*/vmlinuz-}
    export Q_KVER Q_KERNEL_DIR Q_VMLINUZ
}

# Runs a command inside the builder chroot, in a private mount namespace
# (proc, sys and dev are mounted there and vanish with it).
q_chroot() {
    _root=$Q_BUILDER
    # shellcheck disable=SC2016  # the inner script expands its own arguments
    unshare --mount --propagation private sh -c '
        r=$1; shift
        mount -t proc proc "$r/proc" && mount -t sysfs sys "$r/sys" &&
            mount --rbind /dev "$r/dev" && mount -t tmpfs tmp "$r/tmp" || exit 1
        exec chroot "$r" "$@"' q_chroot "$_root" "$@"
}

# The builder: a minimal Debian chroot with dracut, systemd, cryptsetup and lvm2,
# plus the kernel's modules, so that dracut copies Debian's own files and nothing
# of the host's configuration. Sets (and exports) Q_BUILDER.
q_builder() {
    q_kernel
    [ -n "${Q_BUILDER:-}" ] && [ -e "$Q_BUILDER/.ready" ] &&
        [ -e "$Q_BUILDER/usr/lib/modules/$Q_KVER/modules.dep" ] && return 0
    # shellcheck disable=SC2086  # one word per package
    _vers=$(q_apt apt-cache policy $Q_BUILDER_PACKAGES 2> /dev/null |
        sed -n 's/^\([^ ].*\):$/\1/p; s/^ *Candidate: *//p' | tr '\n' ' ')
    Q_BUILDER=$Q_BUILD/builder-$(host_hash "$Q_SUITE$_vers")
    if [ ! -e "$Q_BUILDER/.ready" ]; then
        # Builders of other package versions are stale (and large).
        rm -rf "$Q_BUILD"/builder-*
        mkdir -p "$Q_BUILD"
        _inc=
        for _p in $Q_BUILDER_PACKAGES; do _inc=${_inc:+$_inc,}$_p; done
        q_log "builder: debootstrap $Q_SUITE with $_inc (once, about a minute)"
        debootstrap --variant=minbase --include="$_inc" "$Q_SUITE" "$Q_BUILDER" \
            "$(host_mirror)" > "$Q_BUILD/debootstrap.log" 2>&1 ||
            q_die "debootstrap failed: see $Q_BUILD/debootstrap.log"
        touch "$Q_BUILDER/.ready"
    fi
    if [ ! -e "$Q_BUILDER/usr/lib/modules/$Q_KVER/modules.dep" ]; then
        q_log "builder: adding kernel modules $Q_KVER"
        mkdir -p "$Q_BUILDER/usr/lib/modules"
        rm -rf "$Q_BUILDER/usr/lib/modules/$Q_KVER.tmp"
        # (Packages of a merged /usr, trixie's, ship them under usr/lib.)
        _kmd=$Q_KERNEL_DIR/root/lib/modules/$Q_KVER
        [ -d "$_kmd" ] || _kmd=$Q_KERNEL_DIR/root/usr/lib/modules/$Q_KVER
        cp -a "$_kmd" "$Q_BUILDER/usr/lib/modules/$Q_KVER.tmp"
        mv "$Q_BUILDER/usr/lib/modules/$Q_KVER.tmp" "$Q_BUILDER/usr/lib/modules/$Q_KVER"
        cp "$Q_KERNEL_DIR/root/boot/config-$Q_KVER" "$Q_KERNEL_DIR/root/boot/System.map-$Q_KVER" \
            "$Q_BUILDER/boot/"
        q_chroot depmod -a "$Q_KVER" || q_die "depmod failed"
    fi
    export Q_BUILDER
}

# The guest's root filesystem tree: static busybox and the harness's init.
# Sets (and exports) Q_ROOTTREE.
q_roottree() {
    [ -n "${Q_ROOTTREE:-}" ] && [ -e "$Q_ROOTTREE/.ready" ] && return 0
    q_builder
    _bb=$Q_BUILDER/bin/busybox
    [ -x "$_bb" ] || q_die "no static busybox in the builder (busybox-static)"
    Q_ROOTTREE=$Q_BUILD/roottree-$(host_hash "$(sha256sum < "$_bb")" \
        "$(sha256sum < "$Q_DIR/guest-init")")
    if [ -e "$Q_ROOTTREE/.ready" ]; then
        export Q_ROOTTREE
        return 0
    fi
    rm -rf "$Q_BUILD"/roottree-*
    mkdir -p "$Q_ROOTTREE"
    (
        cd "$Q_ROOTTREE" || exit 1
        mkdir -p bin sbin etc proc sys dev run tmp mnt root usr/bin usr/sbin
        cp "$_bb" bin/busybox
        for _a in $(bin/busybox --list); do
            [ "$_a" = busybox ] || [ -e "bin/$_a" ] || ln -s busybox "bin/$_a"
        done
        cp "$Q_DIR/guest-init" sbin/init
        chmod 0755 sbin/init
        printf '%s\n' 'NAME="ade-unlock test guest"' 'ID=ade-guest' \
            'PRETTY_NAME="ade-unlock QEMU test guest (busybox)"' > etc/os-release
        printf 'root:x:0:0:root:/root:/bin/sh\n' > etc/passwd
        : > etc/fstab
    ) || q_die "root tree"
    touch "$Q_ROOTTREE/.ready"
    export Q_ROOTTREE
}

# Makes an ext4 image of SIZE MiB from a directory, with a fixed UUID and label:
# q_mkext4 IMAGE SIZE_MIB DIR UUID LABEL
q_mkext4() {
    rm -f "$1"
    truncate -s "${2}M" "$1"
    mkfs.ext4 -q -F -d "$3" -U "$4" -L "$5" -E root_owner=0:0 "$1" ||
        q_die "mkfs.ext4 $1"
}

# An ADE-style passphrase: base64 of 127 random bytes, 172 characters, no newline.
q_passphrase() {
    head -c 127 /dev/urandom | base64 -w 0
}

# Fast key derivation for test headers (the boots are under TCG).
Q_PBKDF="--pbkdf pbkdf2 --pbkdf-force-iterations 1000"

# Encrypts an image file in place, offline, with the header at its start (the
# file grows by 32 MiB first, so nothing of the filesystem is lost). LUKS1:
# encrypted as LUKS2, then converted (LUKS1 reencryption needs device-mapper).
# q_encrypt_inplace IMAGE KEYFILE [luks1|luks2 [cryptsetup options...]]
q_encrypt_inplace() {
    _img=$1
    _key=$2
    _type=${3:-luks2}
    [ $# -ge 3 ] && shift
    shift 2
    truncate -s +32M "$_img"
    # shellcheck disable=SC2086  # Q_PBKDF is a list of options
    cryptsetup reencrypt --encrypt --type luks2 --reduce-device-size 32M $Q_PBKDF \
        --key-file "$_key" --batch-mode "$@" "$_img" > /dev/null ||
        q_die "cryptsetup reencrypt --encrypt $_img"
    if [ "$_type" = luks1 ]; then
        cryptsetup convert --type luks1 --batch-mode "$_img" > /dev/null ||
            q_die "cryptsetup convert --type luks1 $_img"
    fi
}

# Runs an LVM command of the builder on the host's loop devices: metadata only,
# never activating (the host may have no device-mapper), never asking udev.
q_lvm() {
    q_chroot lvm "$@" --config 'global { activation = 0 }
        devices { obtain_device_list_from_udev = 0 }
        activation { udev_sync = 0 udev_rules = 0 monitoring = 0 }'
}

# The LUKS UUID of an image or header file.
q_luks_uuid() { cryptsetup luksUUID "$1"; }

# A BEK volume image: FAT, label "BEK VOLUME", with the given files copied in:
# q_mkbek IMAGE SIZE_KIB FILE...
q_mkbek() {
    _img=$1
    _kib=$2
    shift 2
    rm -f "$_img"
    mkfs.vfat -n 'BEK VOLUME' -C "$_img" "$_kib" > /dev/null || q_die "mkfs.vfat $_img"
    for _f in "$@"; do
        mcopy -i "$_img" "$_f" "::${_f##*/}" || q_die "mcopy $_f"
    done
}

# A cpio (newc) archive of a directory, to append to an initramfs: the kernel
# unpacks concatenated archives in order, so its files replace the image's.
q_cpio() {
    (cd "$1" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) > "$2" ||
        q_die "cpio $1"
}

# Drivers every image gets (the cloud kernel has them as modules); the stock
# image also gets what mounting the BEK volume needs (its crypt module mounts it).
Q_DRIVERS="virtio_blk virtio_scsi virtio_pci sd_mod dm_crypt"
Q_STOCK_DRIVERS="vfat nls_cp437 nls_iso8859_1 nls_ascii"

# The crypttab library of a source tree (hook/lib/crypttab.sh; before the
# installer's split, dracut-module/ade-unlock-crypttab.sh).
q_crypttab_lib() {
    for _l in "$Q_TOP/hook/lib/crypttab.sh" "$Q_TOP/dracut-module/ade-unlock-crypttab.sh"; do
        [ -f "$_l" ] && echo "$_l" && return 0
    done
    q_die "no crypttab library in $Q_TOP (hook/lib/crypttab.sh)"
}

# Copies the dracut module, the binary and what both generators' pieces source
# (/usr/lib/ade-unlock: crypttab.sh, ade-unlock-run.sh) into the builder,
# where dracut and mkinitramfs find them as an installed system has them. The
# initramfs-tools hook and scripts are not installed there: q_initrd puts them
# in the confdir of the ours images only.
q_install_module() {
    _bin=${ADE_UNLOCK_BIN:-$Q_TOP/unlock/ade-unlock}
    [ -x "$_bin" ] || q_die "no $_bin: run 'make unlock/ade-unlock' first"
    _md=$Q_BUILDER/usr/lib/dracut/modules.d/91ade-unlock
    _lib=$(q_crypttab_lib)
    _ld=$Q_BUILDER/usr/lib/ade-unlock
    # Unchanged: nothing to do (two image builds may run side by side).
    diff -r "$Q_TOP/dracut-module" "$_md" > /dev/null 2>&1 &&
        cmp -s "$_bin" "$Q_BUILDER/usr/sbin/ade-unlock" &&
        cmp -s "$_lib" "$_ld/crypttab.sh" &&
        cmp -s "$Q_TOP/dracut-module/ade-unlock-run.sh" "$_ld/ade-unlock-run.sh" && return 0
    rm -rf "$_md.tmp"
    mkdir -p "$_md.tmp" "$_ld"
    cp "$Q_TOP"/dracut-module/* "$_md.tmp/"
    rm -rf "$_md"
    mv "$_md.tmp" "$_md"
    install -m 0644 "$_lib" "$_ld/crypttab.sh.tmp"
    mv "$_ld/crypttab.sh.tmp" "$_ld/crypttab.sh"
    install -m 0755 "$Q_TOP/dracut-module/ade-unlock-run.sh" "$_ld/ade-unlock-run.sh.tmp"
    mv "$_ld/ade-unlock-run.sh.tmp" "$_ld/ade-unlock-run.sh"
    install -m 0755 "$_bin" "$Q_BUILDER/usr/sbin/ade-unlock.tmp"
    mv "$Q_BUILDER/usr/sbin/ade-unlock.tmp" "$Q_BUILDER/usr/sbin/ade-unlock"
}

# Builds (or reuses) an initramfs: q_initrd MODE KIND
# MODE: ours (the ade-unlock module) or stock (dracut's crypt module alone);
# KIND: systemd or shell (dracut's own init, no systemd). One image per MODE and
# KIND: a scenario appends its crypttab, ade-unlock.conf and header files as a
# second cpio archive (q_overlay). The ours image is built with sample files in
# the module's settings, so that its install() of them runs. Sets Q_INITRD.
q_initrd() {
    _mode=$1
    _kind=$2
    q_builder
    _add="crypt dm lvm rootfs-block"
    _omit=
    _drv=$Q_DRIVERS
    _key="$Q_BUILDER $Q_KVER $_mode $_kind $Q_DRIVERS"
    case "$_mode" in
        ours)
            q_install_module
            _add="ade-unlock $_add"
            _key="$_key $(cat "$Q_TOP"/dracut-module/* "$Q_BUILDER/usr/sbin/ade-unlock" \
                "$Q_BUILDER/usr/lib/ade-unlock/crypttab.sh" | sha256sum)"
            [ "$_kind" = itools ] &&
                _key="$_key $(cd "$Q_TOP" && find initramfs-tools -type f -printf '%m %p\n' -exec cat {} + |
                    sha256sum)"
            ;;
        stock) _drv="$_drv $Q_STOCK_DRIVERS" ;;
        *) q_die "mode must be ours or stock" ;;
    esac
    case "$_kind" in
        systemd) _add="systemd $_add" ;;
        shell) _omit="systemd" ;;
        itools)
            # vfat too, in both modes: the images Ubuntu builds (MODULES=most)
            # carry it, and ADE's own init-premount script mounts the BEK
            # volume (scenario 18's adeboot); ade-unlock itself never needs it.
            case " $_drv " in *" vfat "*) ;; *) _drv="$_drv $Q_STOCK_DRIVERS" ;; esac
            _key="$_key $_drv"
            ;;
        *) q_die "kind must be systemd, shell or itools" ;;
    esac
    _name=$_mode-$_kind-$(host_hash "$_key")
    Q_INITRD=$Q_BUILD/initrd/$_name.img
    [ -f "$Q_INITRD" ] && return 0
    # Older images of this mode and kind are stale.
    rm -f "$Q_BUILD/initrd/$_mode-$_kind"-*
    _stage=/ade-harness/$_name
    rm -rf "$Q_BUILDER$_stage"
    mkdir -p "$Q_BUILDER$_stage/conf.d" "$Q_BUILD/initrd"
    if [ "$_kind" = itools ]; then
        q_initrd_itools "$_mode" "$_name" "$_stage" "$_drv"
        return
    fi
    {
        echo '# dracut configuration of one harness image (nothing from the host)'
        echo 'hostonly="no"'
        echo 'hostonly_cmdline="no"'
        echo 'compress="zstd"'
        if [ "$_mode" = ours ]; then
            printf '# sample: each scenario replaces it\nsample UUID=00000000-0000-0000-0000-000000000000 none luks,noauto\n' \
                > "$Q_BUILDER$_stage/crypttab"
            printf '# sample: each scenario replaces it\ntimeout = 60\n' > "$Q_BUILDER$_stage/ade-unlock.conf"
            printf '{"kty":"oct","k":"c2FtcGxlIG9ubHkgc2FtcGxlIG9ubHkgc2FtcGxlIG9ubHk"}' \
                > "$Q_BUILDER$_stage/kek.jwk"
            echo "ade_unlock_crypttab=\"$_stage/crypttab\""
            echo "ade_unlock_conf=\"$_stage/ade-unlock.conf\""
            echo "ade_unlock_kek=\"$_stage/kek.jwk\""
        fi
    } > "$Q_BUILDER$_stage/dracut.conf"
    q_log "initramfs: dracut $_mode/$_kind ($_name, about 45 s)"
    # shellcheck disable=SC2086  # word lists
    q_chroot dracut --force --quiet --no-hostonly --no-hostonly-cmdline \
        --kver "$Q_KVER" --conf "$_stage/dracut.conf" --confdir "$_stage/conf.d" \
        --add "$_add" ${_omit:+--omit "$_omit"} --add-drivers "$_drv" \
        "$_stage/initrd.img" > "$Q_BUILD/initrd/$_name.log" 2>&1 ||
        q_die "dracut failed: see $Q_BUILD/initrd/$_name.log"
    q_chroot lsinitrd "$_stage/initrd.img" > "$Q_BUILD/initrd/$_name.list" 2>&1
    mv "$Q_BUILDER$_stage/initrd.img" "$Q_INITRD"
    rm -rf "${Q_BUILDER:?}$_stage"
}

# The itools kind: initramfs-tools' mkinitramfs in the builder, with
# cryptsetup-initramfs (its cryptroot hook and local-top script: the fallback
# prompt), from a confdir of the harness's own (nothing of the builder's
# /etc/initramfs-tools): MODULES=list with the drivers DRIVERS, zstd, no
# resume. The ours image has ade-unlock's hook and boot scripts in that
# confdir (hooks/, scripts/), as /usr/share/initramfs-tools has them on a
# host. q_initrd_itools MODE NAME STAGE DRIVERS
q_initrd_itools() {
    _cd=$Q_BUILDER$3/conf
    mkdir -p "$_cd/conf.d" "$_cd/hooks" "$_cd/scripts"
    printf '%s\n' '# initramfs.conf of one harness image' MODULES=list BUSYBOX=auto \
        COMPRESS=zstd > "$_cd/initramfs.conf"
    printf 'RESUME=none\n' > "$_cd/conf.d/resume"
    # shellcheck disable=SC2086  # one module a line
    printf '%s\n' $4 > "$_cd/modules"
    if [ "$1" = ours ]; then
        cp -R "$Q_TOP/initramfs-tools/hooks/." "$_cd/hooks/"
        cp -R "$Q_TOP/initramfs-tools/scripts/." "$_cd/scripts/"
        chmod 0755 "$_cd"/hooks/* "$_cd"/scripts/*/*
    fi
    q_log "initramfs: mkinitramfs $1/itools ($2, about 30 s)"
    q_chroot mkinitramfs -d "$3/conf" -o "$3/initrd.img" "$Q_KVER" \
        > "$Q_BUILD/initrd/$2.log" 2>&1 ||
        q_die "mkinitramfs failed: see $Q_BUILD/initrd/$2.log"
    q_chroot lsinitramfs -l "$3/initrd.img" > "$Q_BUILD/initrd/$2.list" 2>&1
    mv "$Q_BUILDER$3/initrd.img" "$Q_INITRD"
    rm -rf "${Q_BUILDER:?}$3"
}

# The initramfs of one boot: the MODE/KIND image with the scenario's files
# (directory OVERLAY, laid out as in the image) appended as a cpio archive.
# q_overlay BASE OVERLAY OUT
q_overlay() {
    cp "$1" "$3"
    if [ -d "$2" ]; then
        # The kernel reads the next archive at a 4-byte boundary.
        _sz=$(stat -c %s "$3")
        _pad=$(((4 - _sz % 4) % 4))
        [ "$_pad" -gt 0 ] && head -c "$_pad" /dev/zero >> "$3"
        q_cpio "$2" "$3.cpio"
        cat "$3.cpio" >> "$3"
        rm -f "$3.cpio"
    fi
}

# Kernel command line every boot gets: serial console; on a dead end the
# initramfs powers off and a panic reboots (so QEMU, run with -no-reboot, exits).
Q_BASE_CMDLINE="console=ttyS0,115200 panic=-1 rd.shell=0 rd.emergency=poweroff"

# Boots one guest and logs its serial console with per-line timestamps
# (seconds since QEMU started):
#   q_boot RUNDIR INITRD CMDLINE DISK...
# DISK: blk:FILE (virtio-blk), blkrw:FILE (virtio-blk, written through: the
# only exception to -snapshot) or scsi:FILE:LUN[:VENDOR:PRODUCT] (virtio-scsi).
# QEMU runs directly under one `timeout` (which kills its whole process group on
# expiry), -snapshot keeps every image unchanged. Writes RUNDIR/console.log,
# RUNDIR/qemu.rc (0: the guest powered off; 124: timed out) and, with Q_LIVE=1,
# shows the console as it comes. Q_STOP_RE: console text matching this Perl
# regex stops the guest at once (a prompt that no one will answer).
# Q_ANSWER_RE + Q_ANSWER_FILE: console text matching the regex (a passphrase
# prompt) is answered with the file's content and a newline, once per prompt,
# two seconds after it appears (the prompt has turned echo off by then).
# Otherwise the serial line reads Q_STDIN (default /dev/null). QMP listens on
# RUNDIR/qmp.sock.
q_boot() {
    _run=$1
    _initrd=$2
    _cmdline=$3
    shift 3
    q_kernel
    mkdir -p "$_run"
    rm -f "$_run/console.log" "$_run/qemu.rc" "$_run/qemu.pid" "$_run/qmp.sock"
    set -- "$@" END
    _dargs=
    _n=0
    while [ "$1" != END ]; do
        _spec=$1
        shift
        _bus=${_spec%%:*}
        _rest=${_spec#*:}
        _file=${_rest%%:*}
        _dargs="$_dargs -drive file=$_file,if=none,id=d$_n,format=raw"
        case "$_bus" in
            blk) _dargs="$_dargs -device virtio-blk-pci,drive=d$_n,serial=ade-d$_n" ;;
            blkrw)
                # The one disk the guest may write (a probe's output).
                _dargs="$_dargs,snapshot=off -device virtio-blk-pci,drive=d$_n,serial=ade-d$_n"
                ;;
            scsi)
                _rest=${_rest#"$_file"}
                _rest=${_rest#:}
                _lun=${_rest%%:*}
                _vp=
                case "$_rest" in
                    *:*:*) _vp=",vendor=$(echo "$_rest" | cut -d: -f2),product=$(echo "$_rest" | cut -d: -f3)" ;;
                esac
                _dargs="$_dargs -device scsi-hd,bus=scsi0.0,channel=0,scsi-id=0,lun=$_lun,drive=d$_n$_vp"
                ;;
            *) q_die "bad disk spec '$_spec'" ;;
        esac
        _n=$((_n + 1))
    done
    shift
    # A file name with a comma would break -drive: the harness makes none.
    # shellcheck disable=SC2086  # _dargs is a list of options
    set -- qemu-system-x86_64 -accel tcg -m 1024 -smp "${Q_SMP:-1}" -nodefaults -display none \
        -no-reboot -snapshot -serial stdio -pidfile "$_run/qemu.pid" \
        -qmp "unix:$_run/qmp.sock,server=on,wait=off" \
        -kernel "$Q_VMLINUZ" -initrd "$_initrd" -append "$Q_BASE_CMDLINE $_cmdline" \
        -device virtio-scsi-pci,id=scsi0 $_dargs
    printf '%s\n' "$*" > "$_run/qemu.cmd"
    # Answering prompts: the serial line reads a FIFO that the filter writes.
    _fifo=
    _in=${Q_STDIN:-/dev/null}
    if [ -n "${Q_ANSWER_RE:-}" ]; then
        _fifo=$_run/serial.in
        rm -f "$_fifo"
        mkfifo "$_fifo" || q_die "mkfifo $_fifo"
        _in=$_fifo
    fi
    # perl-base is Essential in Debian: timestamps, the early stop, the answers.
    # Prompts end without a newline: the unfinished line is matched too.
    { timeout -k 5 "$Q_BOOT_TIMEOUT" "$@" < "$_in" 2>&1; echo $? > "$_run/qemu.rc"; } |
        Q_PIDFILE="$_run/qemu.pid" Q_FIFO="$_fifo" perl -e '
            use Time::HiRes qw(time);
            $| = 1;
            my $t0 = time;
            my $live = $ENV{Q_LIVE} || "";
            my $stop = $ENV{Q_STOP_RE} || "";
            my $are = $ENV{Q_ANSWER_RE} || "";
            my ($in, $answer, $answered, $buf) = (undef, "", 0, "");
            open(my $log, ">", $ARGV[0]) or die "$ARGV[0]: $!";
            select((select($log), $| = 1)[0]);
            if ($ENV{Q_FIFO} ne "") {
                open($in, ">", $ENV{Q_FIFO}) or die "$ENV{Q_FIFO}: $!";
                select((select($in), $| = 1)[0]);
                if ($are ne "") {
                    open(my $a, "<", $ENV{Q_ANSWER_FILE}) or die "$ENV{Q_ANSWER_FILE}: $!";
                    local $/; $answer = <$a>; close $a;
                }
            }
            sub note { my $s = sprintf("[%8.3f] [harness] %s\n", time - $t0, $_[0]);
                print $log $s; print STDOUT $s if $live; }
            sub look {
                my $text = $_[0];
                if ($stop ne "" && $text =~ /$stop/) {
                    note("stop: a prompt nobody answers, or the emergency shell");
                    if (open(my $p, "<", $ENV{Q_PIDFILE})) { my $pid = <$p>; chomp $pid; kill "TERM", $pid if $pid; }
                    $stop = "";
                }
                if ($are ne "" && !$answered && $text =~ /$are/) {
                    # Let the prompt switch the tty to no-echo first (and
                    # flush, as cryptsetup does with TCSAFLUSH).
                    select(undef, undef, undef, 2.0);
                    print $in $answer, "\n";
                    $answered = 1;
                    note("typed the passphrase at the prompt");
                }
            }
            while (sysread(STDIN, my $chunk, 4096)) {
                $chunk =~ s/\r//g;
                $buf .= $chunk;
                while ($buf =~ s/^([^\n]*)\n//) {
                    my $l = $1;
                    $l =~ s/\e\[[0-9;?]*[A-Za-z]//g;
                    my $s = sprintf("[%8.3f] %s\n", time - $t0, $l);
                    print $log $s; print STDOUT $s if $live;
                    look($l);
                    $answered = 0;
                }
                look($buf) if $buf ne "";
            }
            if ($buf ne "") { printf $log "[%8.3f] %s\n", time - $t0, $buf; }' "$_run/console.log"
    return "$(cat "$_run/qemu.rc")"
}

# ---- helpers of the scenario files (run in the scenario's build directory) ----

# The guest's root filesystem: the busybox tree plus /ADE-DISK naming it.
# s_rootfs IMAGE TEXT FS_UUID [SIZE_MIB]
s_rootfs() {
    q_roottree
    rm -rf rootdir
    cp -a "$Q_ROOTTREE" rootdir
    rm -f rootdir/.ready
    printf '%s\n' "$2" > rootdir/ADE-DISK
    q_mkext4 "$1" "${4:-24}" rootdir "$3" root
    rm -rf rootdir
}

# A data filesystem holding /ADE-DISK with TEXT: s_datafs IMAGE TEXT FS_UUID
s_datafs() {
    rm -rf datadir
    mkdir datadir
    printf '%s\n' "$2" > datadir/ADE-DISK
    q_mkext4 "$1" 8 datadir "$3" data
    rm -rf datadir
}

# A key file in keys/ (an ADE passphrase unless given): s_key NAME [CONTENT]
s_key() {
    mkdir -p keys
    if [ $# -gt 1 ]; then
        printf '%s' "$2" > "keys/$1"
    else
        q_passphrase > "keys/$1"
    fi
}

# Records a shell variable for the boot step: s_var NAME VALUE
s_var() { printf "%s='%s'\n" "$1" "$2" >> vars; }

# One device of the initramfs's crypttab (overlay/etc/crypttab), and its key
# file on the BEK volume in ade-unlock.conf when CONF_KEY is given:
# s_entry NAME DEVICE OPTIONS [CONF_KEY [KEY_FIELD]]  (KEY_FIELD: default none,
# ade-unlock's own entries)
s_entry() {
    mkdir -p overlay/etc
    printf '%-7s %s    %s    %s\n' "$1" "$2" "${5:-none}" "$3" >> overlay/etc/crypttab
    [ -z "${4:-}" ] || printf 'key.%s = %s\n' "$1" "$4" >> overlay/etc/ade-unlock.conf
}

# An encrypted data disk NAME.img holding a filesystem with /ADE-DISK
# "NAME-TAG", encrypted in place with KEYFILE; records its LUKS UUID as VAR
# (and sources ./vars) and adds its s_entry (UUID=, OPTIONS, CONF_KEY).
# s_data NAME TAG FS_UUID KEYFILE VAR OPTIONS CONF_KEY [luks1|luks2]
s_data() {
    s_datafs "$1.img" "$1-$2" "$3"
    q_encrypt_inplace "$1.img" "$4" "${8:-luks2}"
    s_var "$5" "$(q_luks_uuid "$1.img")"
    # shellcheck disable=SC1091  # written by s_var
    . ./vars
    s_entry "$1" "UUID=$(q_luks_uuid "$1.img")" "$6" "$7"
}

# The pair most scenarios boot: an ext4 root ("root-TAG", filesystem UUID
# $FS_ROOT) and one data disk data0 ("data0-TAG", DATA_UUID), each encrypted
# in place with its key file; records L_ROOT and L_D0 (and sources ./vars)
# and writes the overlay's crypttab (root; data0 nofail) and ade-unlock.conf
# (root: LinuxPassPhraseFileName, data0: _1_0). A scenario adds its other
# devices with s_data or s_entry.
# s_pair TAG DATA_UUID ROOT_KEYFILE DATA0_KEYFILE [luks1|luks2]
s_pair() {
    rm -f overlay/etc/crypttab overlay/etc/ade-unlock.conf
    s_rootfs root.img "root-$1" "$FS_ROOT"
    q_encrypt_inplace root.img "$3" "${5:-luks2}"
    s_var L_ROOT "$(q_luks_uuid root.img)"
    # shellcheck disable=SC1091  # written by s_var
    . ./vars
    s_entry root "UUID=$L_ROOT" luks LinuxPassPhraseFileName
    s_data data0 "$1" "$2" "$4" L_D0 luks,nofail LinuxPassPhraseFileName_1_0 "${5:-luks2}"
}

# Adds the LUKS devices' part of the kernel command line for MODE/KIND to
# scn_cmdline; each device is UUID:KEYFILE (its key file on the BEK volume).
#   ours/shell:    rd.luks.uuid=luks-UUID each (dracut's shell init prompts,
#                  the fallback, only for the listed devices)
#   ours/systemd:  nothing (ade-unlock reads the initramfs's crypttab)
#   stock/systemd: rd.luks.uuid=UUID and "rd.luks.key=UUID=/KEYFILE:LABEL=BEK
#                  VOLUME" each (the spelling that works: FACTS)
#   stock/shell:   rd.luks.uuid=luks-UUID each and one rd.luks.key=/KEYFILE:
#                  LABEL=BEK_VOLUME, the first device's (its init reads one
#                  key file per key device: the devices must share it)
# s_luks_cmdline MODE KIND UUID:KEYFILE...
s_luks_cmdline() {
    _lc=$1/$2
    shift 2
    for _dev in "$@"; do
        case "$_lc" in
            ours/shell | stock/shell) scn_cmdline="$scn_cmdline rd.luks.uuid=luks-${_dev%%:*}" ;;
            stock/systemd)
                scn_cmdline="$scn_cmdline rd.luks.uuid=${_dev%%:*}"
                scn_cmdline="$scn_cmdline \"rd.luks.key=${_dev%%:*}=/${_dev#*:}:LABEL=BEK VOLUME\""
                ;;
        esac
    done
    [ "$_lc" = stock/shell ] && scn_cmdline="$scn_cmdline rd.luks.key=/${1#*:}:LABEL=BEK_VOLUME"
    return 0
}

# A file of the initramfs overlay: s_overlay PATH < content
s_overlay() {
    mkdir -p "overlay/$(dirname "$1")"
    cat > "overlay/$1"
}

# A tools disk for the booted guest (whose root is busybox alone): an ext4
# image holding the builder's programs (Debian's own binaries with the shared
# libraries they load, run through the builder's ld.so: bin/NAME wrappers),
# plus the files of directory EXTRA (a scenario's "run" script and its data).
# The guest's init runs /run of the disk named by adeguest.run=.
# s_tools IMAGE SIZE_MIB EXTRA PROGRAM...
s_tools() {
    _ti=$1 _ts=$2 _tx=$3
    shift 3
    q_builder
    rm -rf toolsdir
    mkdir -p toolsdir/bin toolsdir/libexec toolsdir/lib
    for _p in "$@"; do
        # shellcheck disable=SC2016  # expanded by the inner shell
        _pp=$(q_chroot sh -c 'command -v "$1"' sh "$_p") || q_die "no $_p in the builder"
        cp "$Q_BUILDER$_pp" "toolsdir/libexec/$_p"
        q_chroot ldd "$_pp" | sed -n 's/.*=> \(\/[^ ]*\) .*/\1/p; s/^[[:space:]]*\(\/[^ ]*ld-linux[^ ]*\) .*/\1/p' |
            while read -r _l; do
                cp -L "$Q_BUILDER$_l" toolsdir/lib/
            done
        # shellcheck disable=SC2016  # the wrapper's own expansions
        printf '#!/bin/sh\nd=${0%%/bin/*}\nexec "$d/lib/ld-linux-x86-64.so.2" --library-path "$d/lib" "$d/libexec/%s" "$@"\n' \
            "$_p" > "toolsdir/bin/$_p"
        chmod 0755 "toolsdir/bin/$_p"
    done
    [ -e toolsdir/lib/ld-linux-x86-64.so.2 ] || q_die "s_tools: no ld-linux-x86-64.so.2 copied"
    cp -a "$_tx/." toolsdir/
    q_mkext4 "$_ti" "$_ts" toolsdir "$(cat /proc/sys/kernel/random/uuid)" tools
    rm -rf toolsdir
}

# The regular expression of ade-unlock's line for a device it opened.
e_opened() { printf 'ade-unlock: %s( \\(.*\\))?: opened as /dev/mapper/%s' "$1" "$1"; }

# ---- helpers of the failure scenarios (issue 7) ----

# The exit code as systemd saw it (not only as ade-unlock's summary line says):
# in the systemd kind a drop-in of the scenario's overlay reports the
# service's exit status on the kernel log when it stops (at switch_root):
# s_exit_probe
s_exit_probe() {
    s_overlay etc/systemd/system/ade-unlock.service.d/harness-exit.conf << 'EOF2'
[Service]
ExecStopPost=/bin/sh -c 'echo "ade-harness: ade-unlock.service exited, status $EXIT_STATUS" > /dev/kmsg'
EOF2
}

# The regular expression of that report for exit code N: e_exit N
e_exit() { printf 'ade-harness: ade-unlock.service exited, status %s$' "$1"; }

# Sends QMP commands to a running boot, in the background: once the console
# of RUNDIR shows a line matching the Perl regex TRIGGER, waits DELAY seconds,
# connects to RUNDIR/qmp.sock and sends each COMMAND (JSON) in turn, waiting
# for its reply; the last line of RUNDIR/LOG is "done" when the last one
# returned, else why not. Gives up after Q_BOOT_TIMEOUT seconds. Called from
# a scenario's scn_boot (before the boot starts).
# q_qmp_on RUNDIR TRIGGER DELAY LOG COMMAND...
q_qmp_on() {
    _qr=$1 _qt=$2 _qd=$3 _ql=$4
    shift 4
    Q_QMP_RUN=$_qr Q_QMP_TRIGGER=$_qt Q_QMP_DELAY=$_qd Q_QMP_LIMIT=$Q_BOOT_TIMEOUT perl -e '
        use IO::Socket::UNIX;
        use Time::HiRes qw(time sleep);
        my $run = $ENV{Q_QMP_RUN};
        my $t0 = time;
        sub say_ { printf STDERR "[%8.3f] %s\n", time - $t0, $_[0]; }
        my $re = $ENV{Q_QMP_TRIGGER};
        my $hit = 0;
        while (!$hit && time - $t0 < $ENV{Q_QMP_LIMIT}) {
            if (open(my $c, "<", "$run/console.log")) {
                while (<$c>) { if (/$re/) { $hit = 1; last; } }
                close $c;
            }
            sleep 0.2 unless $hit;
        }
        $hit or do { say_("trigger /$re/ never came"); exit 1; };
        say_("trigger seen; sending in $ENV{Q_QMP_DELAY} s");
        sleep $ENV{Q_QMP_DELAY};
        my $s = IO::Socket::UNIX->new(Peer => "$run/qmp.sock") or do { say_("qmp: $!"); exit 1; };
        my $greet = <$s>;
        sub cmd { my $sock = $_[0]; print $sock $_[1], "\n"; say_("> $_[1]");
            while (my $l = <$sock>) { chomp $l; say_("< " . substr($l, 0, 300));
                return $l if $l =~ /"return"|"error"/; } return ""; }
        cmd($s, q({"execute":"qmp_capabilities"}));
        my $r = "";
        $r = cmd($s, $_) for @ARGV;
        say_($r =~ /"return"/ ? "done" : "failed: $ARGV[-1]");
        ' "$@" < /dev/null > /dev/null 2>> "$_qr/$_ql" &
}

# Hot-plugs a virtio-scsi disk into a running boot: once the console shows
# TRIGGER, waits DELAY seconds, then blockdev-add (read-only) and device_add
# scsi-hd at LUN on scsi0.0. Its log: RUNDIR/hotplug.log.
# q_hotplug_scsi RUNDIR FILE LUN VENDOR PRODUCT TRIGGER DELAY
q_hotplug_scsi() {
    q_qmp_on "$1" "$6" "$7" hotplug.log \
        "{\"execute\":\"blockdev-add\",\"arguments\":{\"driver\":\"raw\",\"node-name\":\"hp0\",\"read-only\":true,\"file\":{\"driver\":\"file\",\"filename\":\"$2\",\"read-only\":true}}}" \
        "{\"execute\":\"device_add\",\"arguments\":{\"driver\":\"scsi-hd\",\"id\":\"hp0dev\",\"bus\":\"scsi0.0\",\"channel\":0,\"scsi-id\":0,\"lun\":$3,\"drive\":\"hp0\",\"vendor\":\"$4\",\"product\":\"$5\"}}"
}

# ---- helpers of the secrets scenario (issue 7) ----

# A file of the initramfs overlay of both modes (ours and stock): the probes.
# s_overlay_all PATH < content
s_overlay_all() {
    mkdir -p "overlay-all/$(dirname "$1")"
    cat > "overlay-all/$1"
}

# Dumps the guest's memory through QMP once the console of RUNDIR shows a line
# matching the Perl regex TRIGGER (the guest holds there): dump-guest-memory
# to OUT (ELF, synchronous), in the background; its log: RUNDIR/dump.log.
# q_dump_on RUNDIR TRIGGER OUT
q_dump_on() {
    q_qmp_on "$1" "$2" 0 dump.log \
        "{\"execute\":\"dump-guest-memory\",\"arguments\":{\"paging\":false,\"protocol\":\"file:$3\",\"detach\":false}}"
}

# How often the bytes of NEEDLE (a file) occur in FILE, and how often its
# first and its last 24 bytes do (a copy split across two pages of physical
# memory still shows as one of those): prints "FULL HEAD TAIL", one line per
# needle, in one pass over FILE.
# q_count FILE NEEDLE...
q_count() {
    perl -e '
        my $file = shift @ARGV;
        my (@pat, $keep);
        $keep = 0;
        for my $nf (@ARGV) {
            open(my $n, "<:raw", $nf) or die "$nf: $!"; local $/; my $k = <$n>; close $n;
            length($k) >= 24 or die "$nf: needle shorter than 24 bytes";
            push @pat, [$k, substr($k, 0, 24), substr($k, -24)];
            $keep = length($k) - 1 if length($k) - 1 > $keep;
        }
        my @cnt = map { [0, 0, 0] } @pat;
        open(my $f, "<:raw", $file) or die "$file: $!";
        my ($buf, $carry) = ("", "");
        while (read($f, $buf, 64 << 20)) {
            my $s = $carry . $buf;
            for my $j (0 .. $#pat) {
                for my $i (0 .. 2) {
                    my $p = $pat[$j][$i]; my $pos = 0;
                    # Count matches that end in the new part only (no double count).
                    while (($pos = index($s, $p, $pos)) >= 0) {
                        $cnt[$j][$i]++ if $pos + length($p) > length($carry);
                        $pos++;
                    }
                }
            }
            $carry = length($s) > $keep ? substr($s, -$keep) : $s;
        }
        print "@$_\n" for @cnt;' "$@"
}
