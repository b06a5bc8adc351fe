# SPDX-License-Identifier: MIT
# Helpers of the installer tests: the cached Debian 12 roots (debootstrap, a
# first kernel, and dracut in one, initramfs-tools in the other), the per-run
# copies of them and commands inside them.
# shellcheck shell=sh
# Sourced by tests/installer/run.sh, which runs in a private mount namespace
# (every mount made here vanishes with it, even on failure).

: "${T_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${T_BUILD:=$T_TOP/build/installer}"
# shellcheck disable=SC2034  # read by tests/host.sh
HOST_TOP=$T_TOP
# shellcheck disable=SC1091  # tests/host.sh is checked on its own
. "$T_TOP/tests/host.sh"
T_SUITE=bookworm
# Bump when the recipe of the cached root changes (part of its cache key).
T_RECIPE=1
# Packages of the cached root: dracut and what it copies into an image, what
# the installer uses (cryptsetup for luksUUID, findmnt/blkid of util-linux).
T_ROOT_PACKAGES="dracut dracut-core systemd systemd-sysv udev cryptsetup cryptsetup-bin
    dmsetup kmod cpio zstd e2fsprogs util-linux"
# The initramfs-tools root (Debian's and Ubuntu's default generator, no
# dracut): cryptsetup-initramfs is the fallback prompt, busybox its shell.
T_IT_PACKAGES="initramfs-tools cryptsetup-initramfs busybox systemd systemd-sysv udev
    cryptsetup cryptsetup-bin dmsetup kmod cpio zstd e2fsprogs util-linux"

t_log() { printf 'installer-tests: %s\n' "$*" >&2; }
t_die() {
    t_log "error: $*"
    exit 1
}

# The two kernels: T_K2PKG is what `apt-get install linux-image-cloud-amd64`
# brings (the QEMU harness boots that kernel too); T_K1PKG is an older cloud
# kernel of the archive (the one the main suite's metapackage depends on, or
# failing that any other linux-image-*-cloud-amd64). Sets T_K1PKG, T_K1VER
# (its version string), T_K2PKG, T_K2VER, T_K2DEB (package version).
t_kernels() {
    _show=$(apt-cache show linux-image-cloud-amd64 2> /dev/null)
    T_K2DEB=$(host_pkg_version linux-image-cloud-amd64)
    [ -n "$T_K2DEB" ] || t_die "apt-cache knows no linux-image-cloud-amd64 (apt-get update?)"
    # "version package" of each linux-image-cloud-amd64 the archive has.
    _deps=$(printf '%s\n' "$_show" | awk '
        /^Version:/ { v = $2 }
        /^Depends:/ { d = $2; sub(/,.*/, "", d) }
        /^$/ { if (v != "") print v, d; v = "" }
        END { if (v != "") print v, d }')
    T_K2PKG=$(printf '%s\n' "$_deps" | awk -v c="$T_K2DEB" '$1 == c { print $2; exit }')
    T_K1PKG=$(printf '%s\n' "$_deps" | awk -v k="$T_K2PKG" '$2 != k { print $2; exit }')
    if [ -z "$T_K1PKG" ]; then
        T_K1PKG=$(apt-cache search --names-only '^linux-image-[0-9].*-cloud-amd64$' |
            cut -d ' ' -f 1 | grep -vx "$T_K2PKG" | sort -V | tail -n 1)
    fi
    if [ -z "$T_K1PKG" ] || [ -z "$T_K2PKG" ]; then
        t_die "cannot find two cloud kernels in the archive"
    fi
    T_K1VER=${T_K1PKG#linux-image-}
    # shellcheck disable=SC2034  # read by run.sh
    T_K2VER=${T_K2PKG#linux-image-}
}

# Copies the host's device nodes into a root's private /dev (a tmpfs): the
# nodes made since (loop devices attached later) are added by calling it again.
t_devsync() {
    for _n in /dev/* /dev/mapper/control; do
        [ -c "$_n" ] || [ -b "$_n" ] || continue
        case "${_n##*/}" in ptmx | tty[0-9]* | vcs*) continue ;; esac
        _t=$1/dev/${_n#/dev/}
        [ -e "$_t" ] && continue
        mkdir -p "$(dirname "$_t")"
        cp -a "$_n" "$_t" || return 1
    done
}

# Mounts proc, sys, a private /dev (a tmpfs with copies of the host's nodes,
# so the tests can add /dev/disk/azure/... links without touching the host's
# /dev) and a tmpfs /tmp into a root, once per mount namespace.
t_mount_api() {
    _r=$1
    mountpoint -q "$_r/proc" || mount -t proc proc "$_r/proc" || return 1
    mountpoint -q "$_r/sys" || mount -t sysfs sys "$_r/sys" || return 1
    if ! mountpoint -q "$_r/dev"; then
        mount -t tmpfs -o mode=0755,nosuid dev "$_r/dev" || return 1
        t_devsync "$_r" || return 1
        mkdir -p "$_r/dev/pts" "$_r/dev/shm"
        mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts "$_r/dev/pts" || return 1
        ln -sf pts/ptmx "$_r/dev/ptmx"
        mount -t tmpfs -o mode=1777,nosuid,nodev shm "$_r/dev/shm" || return 1
        ln -sf /proc/self/fd "$_r/dev/fd"
        ln -sf /proc/self/fd/0 "$_r/dev/stdin"
        ln -sf /proc/self/fd/1 "$_r/dev/stdout"
        ln -sf /proc/self/fd/2 "$_r/dev/stderr"
    fi
    mountpoint -q "$_r/tmp" || mount -t tmpfs tmp "$_r/tmp" || return 1
}

# Runs a command in a root: t_in ROOT COMMAND...
t_in() {
    _r=$1
    shift
    t_mount_api "$_r" || t_die "cannot mount proc/sys/dev in $_r"
    LC_ALL=C DEBIAN_FRONTEND=noninteractive \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        chroot "$_r" "$@"
}

# The cached root: debootstrap minbase with the generator and the first
# kernel installed (its postinst hook built the first image), the second
# kernel's packages downloaded (no network needed by the tests). Never
# modified after it is ready: each run works on an overlay of it.
# t_pristine [dracut|initramfs-tools] (default dracut). Sets T_PRISTINE.
t_pristine() {
    _gen=${1:-dracut}
    t_kernels
    if [ "$_gen" = dracut ]; then
        _pkgs=$T_ROOT_PACKAGES
        _rname=root
    else
        _pkgs=$T_IT_PACKAGES
        _rname=itools-root
    fi
    # shellcheck disable=SC2086  # one word per package
    _vers=$(apt-cache policy $_pkgs "$T_K1PKG" 2> /dev/null |
        awk '/^[^ ]/ { p = $1 } /^ *Candidate:/ { printf "%s%s ", p, $2 }')
    _key=$(host_hash "$T_RECIPE $T_SUITE $(host_mirror) $_vers" "$T_K2PKG=$T_K2DEB")
    T_PRISTINE=$T_BUILD/$_rname-$_key
    [ -e "$T_PRISTINE/.ready" ] && return 0
    # Older cached roots of this generator (other keys) are of no use any more.
    for _d in "$T_BUILD/$_rname"-*; do
        [ -d "$_d" ] && [ "$_d" != "$T_PRISTINE" ] && rm -rf "$_d"
    done
    rm -rf "$T_PRISTINE"
    mkdir -p "$T_BUILD"
    _log=$T_BUILD/$_rname-build.log
    _rt0=$(date +%s)
    _inc=$(printf '%s\n' "$_pkgs" | tr -s ' \n' ',,' | sed 's/^,//; s/,$//')
    t_log "root: debootstrap $T_SUITE minbase with $_inc (once, about 3 minutes)"
    debootstrap --variant=minbase --include="$_inc" "$T_SUITE" "$T_PRISTINE" \
        "$(host_mirror)" > "$_log" 2>&1 || t_die "debootstrap failed: see $_log"
    # The machine's own Debian sources (binary packages only): the second
    # kernel may come from the security suite.
    rm -f "$T_PRISTINE/etc/apt/sources.list"
    for _f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$_f" ] || continue
        sed 's/^Types:.*/Types: deb/' "$_f" > "$T_PRISTINE/etc/apt/sources.list.d/${_f##*/}"
    done
    cp /etc/resolv.conf "$T_PRISTINE/etc/resolv.conf" 2> /dev/null || true
    # Like a cloud image: no prompts, no documentation.
    printf 'path-exclude /usr/share/doc/*\npath-exclude /usr/share/man/*\n' \
        > "$T_PRISTINE/etc/dpkg/dpkg.cfg.d/01-nodoc"
    echo 'ade-test-vm' > "$T_PRISTINE/etc/hostname"
    (
        t_in "$T_PRISTINE" apt-get update -qq &&
            t_log "root: installing $T_K1PKG (its postinst hook runs $_gen)" &&
            t_in "$T_PRISTINE" apt-get install -y -q --no-install-recommends "$T_K1PKG" &&
            t_log "root: downloading linux-image-cloud-amd64=$T_K2DEB ($T_K2PKG)" &&
            t_in "$T_PRISTINE" apt-get install -y -q --no-install-recommends --download-only \
                linux-image-cloud-amd64
    ) >> "$_log" 2>&1 || t_die "preparing the root failed: see $_log"
    [ -f "$T_PRISTINE/boot/initrd.img-$T_K1VER" ] ||
        t_die "no /boot/initrd.img-$T_K1VER after installing $T_K1PKG: see $_log"
    for _m in dev/shm dev/pts dev tmp sys proc; do
        umount -l "$T_PRISTINE/$_m" 2> /dev/null
    done
    touch "$T_PRISTINE/.ready"
    t_log "root: ready after $(($(date +%s) - _rt0)) s ($T_PRISTINE)"
}

# This run's root: an overlay of the cached root (a copy where overlayfs is
# missing), in $T_BUILD/NAME (default run). Sets T_ROOT.
t_workroot() {
    _w=$T_BUILD/${1:-run}
    awk -v w="$_w/" 'index($2, w) == 1 { print $2 }' /proc/mounts | sort -r |
        while read -r _m; do umount -l "$_m" 2> /dev/null; done
    rm -rf "$_w"
    mkdir -p "$_w/upper" "$_w/work" "$_w/root"
    T_ROOT=$_w/root
    if ! mount -t overlay overlay \
        -o "lowerdir=$T_PRISTINE,upperdir=$_w/upper,workdir=$_w/work" "$T_ROOT" 2> /dev/null; then
        t_log "no overlayfs: copying the cached root"
        rmdir "$T_ROOT"
        cp -a "$T_PRISTINE" "$T_ROOT" || t_die "cannot copy $T_PRISTINE"
    fi
}

# Runs one case of a suite: tcase NAME FUNCTION. Its output goes to
# $T_CASE_LOGS/NAME.log, and its last 40 lines to the terminal on failure;
# exit code 77 is a skip (the log's last line says why). Counts in the
# caller's passed, failed and skipped; failed names in failures.
tcase() {
    _name=$1
    _t0=$(date +%s)
    "$2" > "$T_CASE_LOGS/$_name.log" 2>&1
    _rc=$?
    _t=$(($(date +%s) - _t0))
    if [ "$_rc" -eq 0 ]; then
        passed=$((passed + 1))
        echo "PASS: $_name ($_t s)"
    elif [ "$_rc" -eq 77 ]; then
        skipped=$((skipped + 1))
        echo "SKIP: $_name: $(tail -n 1 "$T_CASE_LOGS/$_name.log")"
    else
        failed=$((failed + 1))
        failures="$failures $_name"
        sed 's/^/    /' "$T_CASE_LOGS/$_name.log" | tail -n 40
        echo "FAIL: $_name ($_t s; log: $T_CASE_LOGS/$_name.log)"
    fi
}

# ---- scenario 1's VM and the boot of a chroot-made image (run.sh, suite.sh) ----
# They read L_ROOT, L_D0, L_D1, FS_ROOT and S_DIR (scenario 1's disks and
# vars), T_ROOT, K2 (the kernel whose image boots), T_BUILD; boot_image
# calls the QEMU harness (tests/qemu/lib.sh, sourced by the caller first).

# The VM's own /etc/crypttab, as ADE writes it: the root by UUID, data disks
# by Azure's /dev/disk/azure/scsi1/lunN links (here: to loop devices of the
# scenario's data disks, in the chroot's private /dev), keys on the BEK volume
# in ADE's and in systemd's syntax. Two entries that are not ade-unlock's and
# must stay out of the image (each would prompt there, its key file being on
# the root): a Confidential VM disk (ADE keys it from its config directory)
# and a disk being decrypted (cleartext_key<name>); they name disks that do
# exist at boot, so that a prompt for them would show.
# shellcheck disable=SC2153  # L_ROOT, L_D0, L_D1: scenario 1's vars, sourced by the caller
vm_crypttab() {
    cat << EOF
# <name> <device> <key file> <options>
root    UUID=$L_ROOT    /mnt/azure_bek_disk/LinuxPassPhraseFileName   luks
data0   /dev/disk/azure/scsi1/lun1    /mnt/azure_bek_disk/LinuxPassPhraseFileName_1_0    luks,nofail
data1   /dev/disk/azure/scsi1/lun2    /LinuxPassPhraseFileName_1_1:LABEL=BEK\\x20VOLUME  luks,nofail,discard
cvmdata UUID=$L_D0 /var/lib/azure_disk_encryption_config/cvm_passphrase luks,nofail
dec1    UUID=$L_D1 /var/lib/azure_disk_encryption_config/cleartext_keydec1 luks,nofail
EOF
}

# azure_link NAME DEVICE: /dev/disk/azure/NAME -> DEVICE in the chroot, as
# Azure's udev rules make them (scsi1/lunN, root, root-partN).
azure_link() {
    mkdir -p "$(dirname "$T_ROOT/dev/disk/azure/$1")"
    ln -sfn "$2" "$T_ROOT/dev/disk/azure/$1"
}

# Boots the chroot's image of the second kernel on scenario 1's disks:
# boot_image WHAT (the generator, for the messages). Every device must open
# by ade-unlock, no prompt may show, the guest must boot.
boot_image() {
    if [ "${T_NO_QEMU:-}" = 1 ]; then
        echo "T_NO_QEMU=1"
        return 77
    fi
    q_kernel
    if [ "$Q_KVER" != "$K2" ]; then
        echo "the QEMU harness boots $Q_KVER, the second kernel is $K2: cannot boot its image"
        return 1
    fi
    _run=$T_BUILD/boot
    rm -rf "$_run"
    mkdir -p "$_run"
    cp "$T_ROOT/boot/initrd.img-$K2" "$_run/initrd.img"
    _disks=
    for _d in blk:root.img scsi:bek.img:0:Msft:Virtual_Disk scsi:data0.img:1 scsi:data1.img:2; do
        _disks="$_disks ${_d%%:*}:$S_DIR/${_d#*:}"
    done
    echo "booting $Q_VMLINUZ with the $1 chroot's /boot/initrd.img-$K2 (no overlay) and scenario 1's disks"
    # shellcheck disable=SC2086  # one word per disk
    Q_STOP_RE='Please enter passphrase|Enter passphrase for|Password \(|Please unlock disk|Entering emergency mode|\(initramfs\)' \
        q_boot "$_run" "$_run/initrd.img" "root=UUID=$FS_ROOT" $_disks
    _rc=$?
    rm -f "$_run/initrd.img"
    grep -E 'ade-unlock|ADE-GUEST' "$_run/console.log"
    _why=
    [ "$_rc" -eq 0 ] || _why="QEMU exit $_rc"
    for _re in "$(e_opened root)" "$(e_opened data0)" "$(e_opened data1)" \
        "ADE-GUEST: root: holds 'root-01'" "ADE-GUEST: data: data0 holds 'data0-01'" \
        "ADE-GUEST: data: data1 holds 'data1-01'" 'ADE-GUEST: booted'; do
        grep -Eq -- "$_re" "$_run/console.log" || _why="$_why; missing /$_re/"
    done
    for _re in 'ade-unlock: .*(FAILED|skipped)' 'Please enter passphrase|Enter passphrase for|Please unlock disk' \
        'Kernel panic|Failed to start|Entering emergency mode|\(initramfs\)'; do
        _hit=$(grep -E -m 1 -- "$_re" "$_run/console.log") && _why="$_why; unexpected: $_hit"
    done
    [ -z "$_why" ] && return 0
    echo "boot failed:$_why (console: $_run/console.log)"
    tail -n 30 "$_run/console.log"
    return 1
}
