#!/bin/sh
# SPDX-License-Identifier: MIT
# Scenario 11 of the generations matrix, per Debian suite and generator kind:
# the installer in a chroot of that suite that has no kernel yet, then the
# kernel update (apt-get install linux-image-cloud-amd64 from that suite's
# archive: the distribution's kernel hooks build the image, ade-unlock's
# zz-ade-unlock verifies it), `ade-unlock-install --check`, and a QEMU boot of
# the image it made, with that suite's kernel, on scenario 1's disks.
#
# usage: tests/installer/suite.sh [--suite bullseye|bookworm|trixie]...
#                                 [--generator dracut|dracut-shell|initramfs-tools]...
# (default: every suite x every generator). dracut: the chroot has systemd,
# so dracut builds its systemd kind; dracut-shell: the same chroot with
# `omit_dracutmodules+=" systemd "` (dracut's shell init) and
# `hostonly_cmdline="no"` (su_cell says why) in a dracut.conf.d snippet;
# initramfs-tools: initramfs-tools with cryptsetup-initramfs, no dracut.
# Prints "PASS: 11-kernel-update/SUITE-KIND (N s)" (N: the boot's time, QEMU
# start to the guest's marker; KIND systemd, shell or itools, as the QEMU
# harness labels them) or "FAIL: ..." per cell, an indented line of figures
# under it, and "N passed, N failed" last; exits 1 on any failure.
# The boot is judged by boot_image (lib.sh), as tests/installer/run.sh's
# qemu-boot judges bookworm's: every device opened by ade-unlock, no prompt,
# the guest booted.
# Caches: build/installer/suite-SUITE/ (the roots: debootstrap minbase of the
# generator's packages, no kernel, keyed by the suite, the mirror and the
# packages' versions; the kernel packages apt downloads), the QEMU harness's
# build/qemu[/suite-SUITE]/ (kernel, scenario 1's disks, shared with
# tests/qemu/run.sh). Runs as root in a private mount namespace, as run.sh.
set -u
# As run.sh: a VM's kernel hooks run without make's SOURCE_DATE_EPOCH.
unset SOURCE_DATE_EPOCH

here=$(cd "$(dirname "$0")" && pwd)
T_TOP=$(cd "$here/../.." && pwd)
usage() {
    cat << 'EOF'
usage: tests/installer/suite.sh [--suite bullseye|bookworm|trixie]...
                                [--generator dracut|dracut-shell|initramfs-tools]...
  default: every suite x every generator (scenario 11 of the generations matrix)
EOF
}
args=$*
suites=
gens=
while [ $# -gt 0 ]; do
    case "$1" in
        --suite)
            case "${2:-}" in bullseye | bookworm | trixie) ;; *)
                usage >&2
                exit 2
                ;;
            esac
            suites="$suites $2"
            shift
            ;;
        --generator)
            case "${2:-}" in dracut | dracut-shell | initramfs-tools) ;; *)
                usage >&2
                exit 2
                ;;
            esac
            gens="$gens $2"
            shift
            ;;
        -h | --help)
            usage
            exit 0
            ;;
        *)
            usage >&2
            exit 2
            ;;
    esac
    shift
done
: "${suites:=bullseye bookworm trixie}"
: "${gens:=dracut dracut-shell initramfs-tools}"
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo > /dev/null 2>&1 || {
        echo "installer-tests: must run as root (chroot, loop devices, mounts)" >&2
        exit 1
    }
    # shellcheck disable=SC2086  # the options, one word each
    exec sudo -E sh "$0" $args
fi
if [ "${T_IN_NS:-}" != 1 ]; then
    # shellcheck disable=SC2086
    T_IN_NS=1 exec unshare --mount --propagation private sh "$0" $args
fi

# shellcheck disable=SC1091  # lib.sh is checked on its own
. "$here/lib.sh"
: "${T_BUILD:?}"
SU_TOP=$T_BUILD
BIN=${ADE_UNLOCK_BIN:-$T_TOP/unlock/ade-unlock}
# Bump when the recipe of the cached roots changes (part of their cache key).
SU_RECIPE=1
SU_LOGS=$SU_TOP/logs/suite
# The loop devices attached (one a line); a killed earlier run's are
# detached at the start.
LOOPS=$SU_TOP/suite-loops
su_detach() {
    [ -f "$LOOPS" ] || return 0
    while read -r _l; do
        losetup -d "$_l" 2> /dev/null
    done < "$LOOPS"
    rm -f "$LOOPS"
}
trap su_detach EXIT
trap 'exit 130' INT TERM HUP

# ---- helpers (as run.sh's) ----------------------------------------------------------
attach() {
    _l=$(losetup -f --show -r "$1") || t_die "losetup $1"
    echo "$_l" >> "$LOOPS"
    t_devsync "$T_ROOT"
    echo "$_l"
}
inst() { sh "$INSTALLER" --root "$T_ROOT"; }
inst_in() { t_in "$T_ROOT" /usr/sbin/ade-unlock-install "$@"; }
lsi() {
    if [ -x "$T_ROOT/usr/bin/lsinitrd" ]; then
        t_in "$T_ROOT" lsinitrd "$1"
    else
        t_in "$T_ROOT" lsinitramfs "$1"
    fi
}
has_module() { lsi "$1" 2> /dev/null | grep -Eq '(^| )usr/sbin/ade-unlock$'; }
expect_msg() {
    if ! grep -Eq -- "$2" "$1"; then
        echo "expected a line matching /$2/ in the output:"
        sed 's/^/    > /' "$1"
        return 1
    fi
}
# A figure for the cell's summary line: fig TEXT
fig() { printf '%s\n' "$*" >> "$T_BUILD/figures"; }

# The packages of a generator's root in SUITE: su_packages SUITE GENERATOR
su_packages() {
    case "$2" in
        initramfs-tools) echo "$T_IT_PACKAGES" ;;
        *)
            # From trixie on, the systemd-cryptsetup units (dracut's crypt
            # module in the systemd kind) are a package of their own.
            case "$1" in
                bullseye | bookworm) echo "$T_ROOT_PACKAGES" ;;
                *) echo "$T_ROOT_PACKAGES systemd-cryptsetup" ;;
            esac
            ;;
    esac
}

# The cached root of SUITE and GENERATOR: debootstrap minbase with the
# generator's packages and no kernel; its apt lists fetched. The host's own
# suite gets the host's Debian sources (as tests/installer's bookworm roots:
# the cloud kernel may be bookworm-security's, and the QEMU harness boots the
# host apt's candidate); another suite keeps debootstrap's sources.list (that
# suite's main: what the harness's q_apt reads). Never modified once ready.
# su_root SUITE GENERATOR (Q_SUITE set and tests/qemu/lib.sh sourced). Sets
# SU_PRISTINE.
su_root() {
    _pk=$(su_packages "$1" "$2")
    _rn=dracut-root
    [ "$2" = initramfs-tools ] && _rn=itools-root
    # shellcheck disable=SC2086  # one word per package
    _vers=$(q_apt apt-cache policy $_pk 2> /dev/null |
        awk '/^[^ ]/ { p = $1 } /^ *Candidate:/ { printf "%s%s ", p, $2 }')
    _base=$SU_TOP/suite-$1
    SU_PRISTINE=$_base/$_rn-$(host_hash "$SU_RECIPE $1 $(host_mirror) $_vers")
    if [ -e "$SU_PRISTINE/.ready" ]; then
        fig "root cached"
        return 0
    fi
    for _d in "$_base/$_rn"-*; do
        [ -d "$_d" ] && [ "$_d" != "$SU_PRISTINE" ] && rm -rf "$_d"
    done
    rm -rf "$SU_PRISTINE"
    mkdir -p "$_base"
    _log=$_base/$_rn-build.log
    _rt0=$(date +%s)
    _inc=$(printf '%s\n' "$_pk" | tr -s ' \n' ',,' | sed 's/^,//; s/,$//')
    t_log "root: debootstrap $1 minbase with $_inc (no kernel; once, a few minutes)"
    debootstrap --variant=minbase --include="$_inc" "$1" "$SU_PRISTINE" \
        "$(host_mirror)" > "$_log" 2>&1 || t_die "debootstrap $1 failed: see $_log"
    if [ "$1" = "${Q_HOST_SUITE:-bookworm}" ]; then
        rm -f "$SU_PRISTINE/etc/apt/sources.list"
        for _f in /etc/apt/sources.list.d/*.sources; do
            [ -f "$_f" ] || continue
            sed 's/^Types:.*/Types: deb/' "$_f" > "$SU_PRISTINE/etc/apt/sources.list.d/${_f##*/}"
        done
    fi
    cp /etc/resolv.conf "$SU_PRISTINE/etc/resolv.conf" 2> /dev/null || true
    printf 'path-exclude /usr/share/doc/*\npath-exclude /usr/share/man/*\n' \
        > "$SU_PRISTINE/etc/dpkg/dpkg.cfg.d/01-nodoc"
    echo 'ade-test-vm' > "$SU_PRISTINE/etc/hostname"
    t_in "$SU_PRISTINE" apt-get update -qq >> "$_log" 2>&1 ||
        t_die "apt-get update in the $1 root failed: see $_log"
    for _m in dev/shm dev/pts dev tmp sys proc; do
        umount -l "$SU_PRISTINE/$_m" 2> /dev/null
    done
    touch "$SU_PRISTINE/.ready"
    fig "root debootstrapped in $(($(date +%s) - _rt0)) s"
}

# Scenario 1's disks of the harness's suite, where tests/qemu/run.sh keeps
# them and keyed as its scn_prepare keys them (so both use the same ones):
# $Q_BUILD/scen/01-luks2-data-HASH. Sets S_DIR and scenario 1's variables.
su_scen1() {
    q_roottree > "$T_BUILD/qemu-inputs.log" 2>&1 ||
        t_die "QEMU harness inputs: see $T_BUILD/qemu-inputs.log"
    # shellcheck disable=SC2153  # Q_DIR, Q_BUILD: set by the harness's lib.sh
    _sf=$Q_DIR/scenarios/01-luks2-data.sh
    [ -f "$_sf" ] || t_die "no $_sf (the QEMU harness's scenario 1)"
    # shellcheck disable=SC2153
    S_DIR=$Q_BUILD/scen/01-luks2-data-$(host_hash "$(sha256sum < "$_sf")" \
        "$(sha256sum < "$Q_DIR/lib.sh")" "$Q_ROOTTREE" "$(cryptsetup --version)")
    if [ ! -e "$S_DIR/.ready" ]; then
        t_log "disks of scenario 1 for $Q_SUITE (once)"
        rm -rf "$Q_BUILD/scen/01-luks2-data"-*
        mkdir -p "$S_DIR"
        (
            cd "$S_DIR" || exit 1
            : > vars
            # shellcheck disable=SC1090
            . "$_sf"
            scn_build
        ) > "$S_DIR/build.log" 2>&1 || t_die "building scenario 1's disks failed: see $S_DIR/build.log"
        touch "$S_DIR/.ready"
    fi
    # shellcheck disable=SC1090
    . "$_sf"
    # shellcheck disable=SC1091
    . "$S_DIR/vars"
    : "${L_ROOT:?}" "${L_D0:?}" "${L_D1:?}" "${FS_ROOT:?}"
}

# ---- one cell: su_cell SUITE KIND (in a subshell: its own harness state) ----------
su_cell() (
    suite=$1
    kind=$2
    gen=dracut
    [ "$kind" = itools ] && gen=initramfs-tools
    # The QEMU harness of that suite (its cache, its kernel, its apt lists).
    unset Q_BUILD Q_VMLINUZ Q_KVER Q_KERNEL_DIR Q_BUILDER Q_ROOTTREE Q_LIB_SUM
    Q_SUITE=$suite
    Q_TOP=$T_TOP
    export Q_SUITE Q_TOP
    # shellcheck disable=SC1091  # the harness's lib.sh is checked on its own
    . "$T_TOP/tests/qemu/lib.sh"
    T_BUILD=$SU_TOP/suite-$suite/$kind
    mkdir -p "$T_BUILD"
    : > "$T_BUILD/figures"
    q_kernel
    su_root "$suite" "$gen"
    # shellcheck disable=SC2034  # read by t_workroot (lib.sh)
    T_PRISTINE=$SU_PRISTINE
    t_workroot run
    su_scen1
    t_mount_api "$T_ROOT" || t_die "cannot mount proc/sys/dev in $T_ROOT"
    # The kernel packages apt downloads, kept for the next run.
    mkdir -p "$SU_TOP/suite-$suite/apt-archives/partial"
    mount --bind "$SU_TOP/suite-$suite/apt-archives" "$T_ROOT/var/cache/apt/archives" ||
        t_die "cannot bind the apt archive cache"
    # The VM: scenario 1's data disks at Azure's links, ADE's crypttab, a KEK.
    azure_link scsi1/lun1 "$(attach "$S_DIR/data0.img")"
    azure_link scsi1/lun2 "$(attach "$S_DIR/data1.img")"
    vm_crypttab > "$T_ROOT/etc/crypttab"
    mkdir -m 0700 "$T_ROOT/etc/ade-unlock"
    printf '{"kty":"oct","k":"c2FtcGxlIG9ubHkgc2FtcGxlIG9ubHkgc2FtcGxlIG9ubHk"}' \
        > "$T_ROOT/etc/ade-unlock/kek.jwk"
    chmod 0600 "$T_ROOT/etc/ade-unlock/kek.jwk"
    if [ "$kind" = shell ]; then
        # dracut's shell init although systemd is installed (the operator's
        # choice, as on a host that builds without systemd in the image).
        # hostonly_cmdline="no": dracut (host-only) writes the mount of the
        # / it builds on into the image (etc/cmdline.d/95root-dev.conf:
        # rootfstype=, rootflags=), and the shell init mounts the root with
        # them; this chroot's / is an overlay (rootflags=lowerdir=...), a VM's
        # its disk's filesystem. (The systemd kind boots either way.)
        printf '%s\n' '# ade-unlock tests: dracut shell init' 'omit_dracutmodules+=" systemd "' \
            'hostonly_cmdline="no"' > "$T_ROOT/etc/dracut.conf.d/10-ade-test-shell.conf"
    fi
    _vs=
    for _p in dracut-core systemd cryptsetup-bin initramfs-tools; do
        # shellcheck disable=SC2016  # dpkg-query's format
        _v=$(t_in "$T_ROOT" dpkg-query -W -f '${Version}' "$_p" 2> /dev/null) && [ -n "$_v" ] &&
            _vs="$_vs $_p $_v,"
    done
    echo "---- $suite chroot ($gen, kind $kind):${_vs%,}"
    fig "${_vs# }"

    # 1. The installer, on a system without a kernel: nothing to build yet.
    _t=$(date +%s)
    echo "---- ade-unlock-install --root (no kernel installed)"
    inst > "$T_BUILD/install.log" 2>&1
    _rc=$?
    cat "$T_BUILD/install.log"
    [ "$_rc" -eq 0 ] || {
        echo "the installer failed (exit $_rc)"
        exit 1
    }
    expect_msg "$T_BUILD/install.log" "no kernel installed: no image to build" || exit 1
    fig "install $(($(date +%s) - _t)) s"

    # 2. The kernel update, from that suite's archive.
    _t=$(date +%s)
    _tr=$T_BUILD/kernel-update-transcript.txt
    {
        echo "# chroot $T_ROOT (Debian $suite, $gen, no kernel, ade-unlock installed)"
        echo "# apt-get update && apt-get install linux-image-cloud-amd64"
        t_in "$T_ROOT" apt-get update -q 2>&1 &&
            t_in "$T_ROOT" apt-get install -y --no-install-recommends linux-image-cloud-amd64 2>&1
        echo "# exit status: $?"
    } > "$_tr"
    cat "$_tr"
    grep -q '^# exit status: 0$' "$_tr" || exit 1
    K2=
    for _k in "$T_ROOT"/lib/modules/*; do
        [ -d "$_k" ] && K2="$K2 ${_k##*/}"
    done
    K2=${K2# }
    case "$K2" in
        "" | *" "*)
            echo "expected one kernel in /lib/modules, found: '${K2}'"
            exit 1
            ;;
    esac
    # K2 in a regular expression (trixie's is 6.12.117+deb13-cloud-amd64).
    # shellcheck disable=SC2016  # a sed expression
    _kre=$(printf '%s' "$K2" | sed 's/[].+*?^$()[{}|\\]/\\&/g')
    [ -f "$T_ROOT/boot/initrd.img-$K2" ] || {
        echo "no /boot/initrd.img-$K2"
        exit 1
    }
    expect_msg "$_tr" "ade-unlock-install: $_kre: /boot/initrd\\.img-$_kre .*(verified|replaced)" || exit 1
    # The generator's own kernel hook built it (ours in it); ours, last, verified it.
    if [ "$gen" = dracut ]; then
        _gre="dracut.*(Generating|Creating).*/boot/initrd\\.img-$_kre"
    else
        _gre="update-initramfs: Generating /boot/initrd\\.img-$_kre"
    fi
    _d=$(grep -nE "$_gre" "$_tr" | head -n 1 | cut -d : -f 1)
    _o=$(grep -nF "ade-unlock-install: $K2: /boot/initrd.img-$K2" "$_tr" | tail -n 1 | cut -d : -f 1)
    if [ -z "$_d" ] || [ -z "$_o" ] || [ "$_d" -ge "$_o" ]; then
        echo "the hooks did not run in order ($gen's /$_gre/, then ours)"
        exit 1
    fi
    has_module "/boot/initrd.img-$K2" || {
        echo "/boot/initrd.img-$K2 has no usr/sbin/ade-unlock"
        exit 1
    }
    fig "kernel update $(($(date +%s) - _t)) s ($K2)"

    # 3. --check, as an operator runs it before the reboot.
    echo "---- ade-unlock-install --check"
    inst_in --check > "$T_BUILD/check.log" 2>&1
    _rc=$?
    cat "$T_BUILD/check.log"
    [ "$_rc" -eq 0 ] || {
        echo "--check exited $_rc"
        exit 1
    }
    expect_msg "$T_BUILD/check.log" "^$_kre: OK: the next boot unlocks root data0 data1" || exit 1
    if [ "$kind" = shell ]; then
        expect_msg "$T_BUILD/check.log" "^$_kre: OK: .*initqueue" || exit 1
    elif [ "$kind" = systemd ]; then
        expect_msg "$T_BUILD/check.log" "^$_kre: OK: .*systemd unit" || exit 1
    fi

    # 4. The boot of that image, with the suite's kernel as the harness has it.
    if [ "$Q_KVER" != "$K2" ]; then
        echo "the chroot's kernel is $K2, the QEMU harness's ($Q_SUITE, $Q_KERNEL_DIR) is $Q_KVER: their apt lists differ; cannot boot the image"
        exit 1
    fi
    boot_image "$gen" || exit 1
    _bt=$(sed -n 's/^\[ *\([0-9]*\)\.[0-9]*\] ADE-GUEST: booted.*/\1/p' "$T_BUILD/boot/console.log")
    echo "${_bt:-?}" > "$T_BUILD/boot-time"
    fig "boot ${_bt:-?} s"
)

# ---- main ------------------------------------------------------------------------------
host_deps
su_detach
[ -x "$BIN" ] || t_die "no $BIN: run 'make unlock/ade-unlock' first"
mkdir -p "$SU_LOGS"
start=$(date +%s)
# The installer, modules and binary as they are now (the tree may change
# while the cells run).
SRC=$SU_TOP/suite-src
rm -rf "$SRC"
mkdir -p "$SRC/hook" "$SRC/dracut-module" "$SRC/initramfs-tools" "$SRC/unlock"
if ! cp -a "$T_TOP/hook/." "$SRC/hook/" || ! cp -a "$T_TOP/dracut-module/." "$SRC/dracut-module/" ||
    ! cp -a "$T_TOP/initramfs-tools/." "$SRC/initramfs-tools/" ||
    ! cp -p "$BIN" "$SRC/unlock/ade-unlock"; then
    t_die "cannot copy the tree to $SRC"
fi
INSTALLER=$SRC/hook/ade-unlock-install
unset ADE_UNLOCK_BIN
passed=0
failed=0
for suite in $suites; do
    for g in $gens; do
        case "$g" in
            dracut) kind=systemd ;;
            dracut-shell) kind=shell ;;
            *) kind=itools ;;
        esac
        label=11-kernel-update/$suite-$kind
        log=$SU_LOGS/11-kernel-update-$suite-$kind.log
        cb=$SU_TOP/suite-$suite/$kind
        rm -f "$cb/boot-time" "$cb/figures"
        t0=$(date +%s)
        su_cell "$suite" "$kind" > "$log" 2>&1
        rc=$?
        su_detach
        t=$(($(date +%s) - t0))
        figs=
        [ -f "$cb/figures" ] && figs=$(tr '\n' ';' < "$cb/figures" | sed 's/;$//; s/;/; /g')
        if [ "$rc" -eq 0 ]; then
            passed=$((passed + 1))
            echo "PASS: $label ($(cat "$cb/boot-time") s)"
        else
            failed=$((failed + 1))
            tail -n 30 "$log" | sed 's/^/    | /'
            echo "FAIL: $label ($t s; log: $log)"
        fi
        echo "    cell $t s: $figs"
    done
done
t_log "scenario 11 per suite took $(($(date +%s) - start)) s"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
