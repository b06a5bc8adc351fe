#!/bin/sh
# SPDX-License-Identifier: MIT
# Tests of hook/ade-unlock-install in Debian 12 chroots, one with dracut, one with initramfs-tools: install, kernel update through the postinst hook (then a QEMU boot of that image), faults, --check, --uninstall, crypttab conversion, the choice of generator.
#
# usage: tests/installer/run.sh [CASE...]    (default: every case, in order;
# the it-* cases run in the initramfs-tools chroot, the others in dracut's)
# Prints "PASS: case (N s)" / "FAIL: case" per case and "N passed, N failed"
# last; exits 1 on any failure. Environment: T_NO_QEMU=1 skips the boot,
# T_BUILD (cache, default build/installer), ADE_UNLOCK_BIN (the binary).
# Runs as root in a private mount namespace: every mount it makes (the
# chroot's proc, sys, dev, the overlay of the cached root, the small /boot
# filesystems) vanishes with it, whatever happens; the loop devices it
# attaches are detached on exit.
set -u
# make exports SOURCE_DATE_EPOCH (the reproducible build); a VM's
# update-initramfs and dracut run without it. With it, mkinitramfs makes the
# same bytes twice, and a rebuilt image cannot be told from the one before.
unset SOURCE_DATE_EPOCH

here=$(cd "$(dirname "$0")" && pwd)
T_TOP=$(cd "$here/../.." && pwd)
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo > /dev/null 2>&1 || {
        echo "installer-tests: must run as root (chroot, loop devices, mounts)" >&2
        exit 1
    }
    exec sudo -E sh "$0" "$@"
fi
if [ "${T_IN_NS:-}" != 1 ]; then
    T_IN_NS=1 exec unshare --mount --propagation private sh "$0" "$@"
fi

# shellcheck disable=SC1091  # lib.sh is checked on its own
. "$here/lib.sh"
: "${T_BUILD:?}"

BIN=${ADE_UNLOCK_BIN:-$T_TOP/unlock/ade-unlock}
INSTALLER=$T_TOP/hook/ade-unlock-install
T_LOGS=$T_BUILD/logs
# shellcheck disable=SC2034  # read by tcase (lib.sh)
T_CASE_LOGS=$T_LOGS
passed=0
failed=0
skipped=0
failures=

# The loop devices this run attached, one a line (attach runs in $(...), so
# a file, not a variable).
LOOPS=$T_BUILD/loops.$$
cleanup() {
    if [ -f "$LOOPS" ]; then
        while read -r _l; do
            losetup -d "$_l" 2> /dev/null
        done < "$LOOPS"
        rm -f "$LOOPS"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# ---- helpers ---------------------------------------------------------------------
sha() { sha256sum < "$1" | cut -d ' ' -f 1; }
attach() {
    _l=$(losetup -f --show -r "$1") || t_die "losetup $1"
    echo "$_l" >> "$LOOPS"
    t_devsync "$T_ROOT"
    echo "$_l"
}
# The installer from the source tree, on the chroot (as an image builder runs it).
inst() { sh "$INSTALLER" --root "$T_ROOT" "$@"; }
# The installed installer inside the chroot (as the kernel hooks run it).
inst_in() { t_in "$T_ROOT" /usr/sbin/ade-unlock-install "$@"; }
# The image's listing, by the chroot's generator's own lister.
lsi() {
    if [ -x "$T_ROOT/usr/bin/lsinitrd" ]; then
        t_in "$T_ROOT" lsinitrd "$1"
    else
        t_in "$T_ROOT" lsinitramfs "$1"
    fi
}
# The listing of /boot (names, sizes, hashes): faults must leave it as it was.
boot_state() {
    for _f in "$T_ROOT"/boot/* "$T_ROOT"/boot/.[!.]*; do
        [ -f "$_f" ] || continue
        printf '%s %s %s\n' "${_f##*/}" "$(stat -c %s "$_f")" "$(sha "$_f")"
    done
}
# Every file the installer installs or writes, with hash and mtime.
installed_state() {
    for _f in /usr/sbin/ade-unlock /usr/sbin/ade-unlock-install /usr/lib/ade-unlock/* \
        /usr/lib/dracut/modules.d/91ade-unlock/* /etc/dracut.conf.d/ade-unlock.conf \
        /usr/share/initramfs-tools/hooks/ade-unlock /usr/share/initramfs-tools/scripts/*/ade-unlock \
        /var/lib/ade-unlock/generator \
        /etc/kernel/postinst.d/zz-ade-unlock /etc/kernel/postrm.d/zz-ade-unlock \
        /usr/lib/kernel/install.d/60-ade-unlock.install /etc/ade-unlock/initramfs/* \
        /var/lib/ade-unlock/installed-files /var/lib/ade-unlock/images/* /boot/*; do
        for _p in "$T_ROOT"$_f; do
            [ -f "$_p" ] || continue
            printf '%s %s %s\n' "${_p#"$T_ROOT"}" "$(stat -c '%Y %a' "$_p")" "$(sha "$_p")"
        done
    done
}
# expect_msg LOG REGEX: the installer's output names the cause.
expect_msg() {
    if ! grep -Eq -- "$2" "$1"; then
        echo "expected a line matching /$2/ in the output:"
        sed 's/^/    > /' "$1"
        return 1
    fi
}
has_module() { lsi "$1" 2> /dev/null | grep -Eq '(^| )usr/sbin/ade-unlock$'; }
# A fault case: FAULT_RC and FAULT_LOG from running "$@" with /boot watched;
# fails unless it exited non-zero, left /boot as it was and said REGEX.
fault() {
    _re=$1
    shift
    boot_state > "$T_BUILD/run/boot.before"
    "$@" > "$T_BUILD/run/fault.log" 2>&1
    FAULT_RC=$?
    boot_state > "$T_BUILD/run/boot.after"
    cat "$T_BUILD/run/fault.log"
    echo "exit status: $FAULT_RC"
    [ "$FAULT_RC" -ne 0 ] || {
        echo "it exited 0"
        return 1
    }
    if ! cmp -s "$T_BUILD/run/boot.before" "$T_BUILD/run/boot.after"; then
        echo "/boot changed:"
        diff "$T_BUILD/run/boot.before" "$T_BUILD/run/boot.after"
        return 1
    fi
    echo "/boot unchanged: $(wc -l < "$T_BUILD/run/boot.after") files, same sha256"
    expect_msg "$T_BUILD/run/fault.log" "$_re"
}

# ---- fixtures ------------------------------------------------------------------------
# Scenario 1 of the QEMU harness (LUKS2 root + two data disks, a BEK volume):
# built with the harness's own helpers and scenario file, in our cache.
scenario1() {
    # shellcheck disable=SC2034  # read by the harness's lib.sh
    Q_TOP=$T_TOP
    # shellcheck disable=SC1091  # the harness's lib.sh is checked on its own
    . "$T_TOP/tests/qemu/lib.sh"
    : "${Q_DIR:?}"
    S_FILE=$Q_DIR/scenarios/01-luks2-data.sh
    [ -f "$S_FILE" ] || t_die "no $S_FILE (the QEMU harness's scenario 1)"
    # Keyed by what makes the disks (the harness's root tree, from
    # guest-init and busybox, is only looked up when they are built).
    S_DIR=$T_BUILD/scen1-$(host_hash "$(cat "$S_FILE" "$Q_DIR/lib.sh" "$Q_DIR/guest-init" | sha256sum)" \
        "$(cryptsetup --version)")
    if [ ! -e "$S_DIR/.ready" ]; then
        t_log "disks of scenario 1 (once)"
        host_deps
        q_roottree > "$T_LOGS/qemu-inputs.log" 2>&1 ||
            t_die "QEMU harness inputs: see $T_LOGS/qemu-inputs.log"
        rm -rf "$T_BUILD"/scen1-*
        mkdir -p "$S_DIR"
        (
            cd "$S_DIR" || exit 1
            : > vars
            # shellcheck disable=SC1090
            . "$S_FILE"
            scn_build
        ) > "$S_DIR/build.log" 2>&1 || t_die "building scenario 1's disks failed: see $S_DIR/build.log"
        touch "$S_DIR/.ready"
    fi
    # shellcheck disable=SC1090
    . "$S_FILE"
    # shellcheck disable=SC1091
    . "$S_DIR/vars"
    : "${L_ROOT:?}" "${L_D0:?}" "${L_D1:?}" "${FS_ROOT:?}"
}

# vm_crypttab, azure_link (the VM) and boot_image (its boot) are in lib.sh,
# shared with suite.sh.

# ---- the cases -------------------------------------------------------------------------
c_install() {
    _before=$(sha "$T_ROOT/boot/initrd.img-$K1")
    # A key-encryption key (for wrapped key files), the operator's file.
    mkdir -m 0700 "$T_ROOT/etc/ade-unlock"
    printf '{"kty":"oct","k":"c2FtcGxlIG9ubHkgc2FtcGxlIG9ubHkgc2FtcGxlIG9ubHk"}' \
        > "$T_ROOT/etc/ade-unlock/kek.jwk"
    chmod 0600 "$T_ROOT/etc/ade-unlock/kek.jwk"
    inst || return 1
    lsi "/boot/initrd.img-$K1" | grep -E '^-rw------- .* etc/ade-unlock/kek\.jwk$' || {
        echo "the image has no etc/ade-unlock/kek.jwk of mode 0600"
        return 1
    }
    [ "$(stat -c %a "$T_ROOT/boot/initrd.img-$K1")" = 600 ] || {
        echo "the image (it holds the KEK) is readable by others than root"
        return 1
    }
    has_module "/boot/initrd.img-$K1" || {
        echo "the image has no /usr/sbin/ade-unlock"
        return 1
    }
    [ "$(sha "$T_ROOT/boot/initrd.img-$K1.ade-bak")" = "$_before" ] || {
        echo "no backup of the previous image"
        return 1
    }
    for _f in /usr/sbin/ade-unlock /usr/sbin/ade-unlock-install \
        /usr/lib/dracut/modules.d/91ade-unlock/module-setup.sh /etc/dracut.conf.d/ade-unlock.conf \
        /etc/kernel/postinst.d/zz-ade-unlock /etc/kernel/postrm.d/zz-ade-unlock \
        /usr/lib/kernel/install.d/60-ade-unlock.install \
        /usr/lib/ade-unlock/crypttab.sh; do
        [ -f "$T_ROOT$_f" ] || {
            echo "missing: $_f"
            return 1
        }
    done
    echo "---- the image's /etc/crypttab and /etc/ade-unlock.conf:"
    t_in "$T_ROOT" sh -c "rm -rf /tmp/u && mkdir /tmp/u && cd /tmp/u &&
        lsinitrd --unpack /boot/initrd.img-$K1 etc/crypttab etc/ade-unlock.conf" || return 1
    cat "$T_ROOT/tmp/u/etc/crypttab" "$T_ROOT/tmp/u/etc/ade-unlock.conf"
    if ! grep -q "^data0 UUID=$L_D0 none luks,nofail$" "$T_ROOT/tmp/u/etc/crypttab" ||
        ! grep -q "^data1 UUID=$L_D1 none luks,nofail,discard$" "$T_ROOT/tmp/u/etc/crypttab" ||
        ! grep -q "^root UUID=$L_ROOT none luks$" "$T_ROOT/tmp/u/etc/crypttab" ||
        ! grep -q '^key.data1 = LinuxPassPhraseFileName_1_1$' "$T_ROOT/tmp/u/etc/ade-unlock.conf" ||
        ! grep -q "^# ---- kept as dracut's crypt module keeps them" "$T_ROOT/tmp/u/etc/crypttab" ||
        grep -Eq '^(cvmdata|dec1) ' "$T_ROOT/tmp/u/etc/crypttab"; then
        echo "the image's crypttab or conf is not as expected"
        return 1
    fi
    # No snapshot: the module derives both files at each build.
    [ ! -e "$T_ROOT/etc/ade-unlock/initramfs" ] || {
        echo "/etc/ade-unlock/initramfs exists: a snapshot the module would not follow"
        return 1
    }
}

# Whoever builds the image (ADE runs a plain `dracut -f` itself), its crypttab
# follows the host's as it is then: an entry added, then one removed.
c_dracut_follows_crypttab() {
    cp -p "$T_ROOT/etc/crypttab" "$T_BUILD/run/crypttab.saved"
    # The backup image is the pre-install one, which later cases use.
    cp -p "$T_ROOT/boot/initrd.img-$K1.ade-bak" "$T_BUILD/run/bak.saved"
    echo "data9 UUID=$L_D1 /mnt/azure_bek_disk/LinuxPassPhraseFileName_1_9 luks,nofail" >> "$T_ROOT/etc/crypttab"
    sed -i '/^data1 /d' "$T_ROOT/etc/crypttab"
    t_in "$T_ROOT" dracut -f "/boot/initrd.img-$K1" "$K1" > "$T_BUILD/run/dracut-f.log" 2>&1
    _rc=$?
    cp -p "$T_BUILD/run/crypttab.saved" "$T_ROOT/etc/crypttab"
    [ "$_rc" -eq 0 ] || {
        tail -n 20 "$T_BUILD/run/dracut-f.log"
        return 1
    }
    t_in "$T_ROOT" sh -c "rm -rf /tmp/u && mkdir /tmp/u && cd /tmp/u &&
        lsinitrd --unpack /boot/initrd.img-$K1 etc/crypttab etc/ade-unlock.conf" || return 1
    echo "---- the image's /etc/crypttab and /etc/ade-unlock.conf after a plain dracut -f:"
    cat "$T_ROOT/tmp/u/etc/crypttab" "$T_ROOT/tmp/u/etc/ade-unlock.conf"
    if ! grep -q "^data9 UUID=$L_D1 none luks,nofail$" "$T_ROOT/tmp/u/etc/crypttab" ||
        ! grep -q '^key.data9 = LinuxPassPhraseFileName_1_9$' "$T_ROOT/tmp/u/etc/ade-unlock.conf" ||
        grep -q '^data1 ' "$T_ROOT/tmp/u/etc/crypttab"; then
        echo "the image's crypttab did not follow the host's"
        return 1
    fi
    # --check now says the image is stale (the host's crypttab is back).
    inst --check > "$T_BUILD/run/check-f.log" 2>&1
    _rc=$?
    cat "$T_BUILD/run/check-f.log"
    [ "$_rc" -eq 1 ] || return 1
    expect_msg "$T_BUILD/run/check-f.log" "^$K1: NOT OK: .*/etc/crypttab is stale" || return 1
    inst > "$T_BUILD/run/reinst-f.log" 2>&1 || {
        cat "$T_BUILD/run/reinst-f.log"
        return 1
    }
    mv -f "$T_BUILD/run/bak.saved" "$T_ROOT/boot/initrd.img-$K1.ade-bak"
}

c_idempotent() {
    installed_state > "$T_BUILD/run/state.1"
    inst > "$T_BUILD/run/second.log" 2>&1
    _rc=$?
    cat "$T_BUILD/run/second.log"
    installed_state > "$T_BUILD/run/state.2"
    [ "$_rc" -eq 0 ] || return 1
    if ! cmp -s "$T_BUILD/run/state.1" "$T_BUILD/run/state.2"; then
        echo "the second run changed files:"
        diff "$T_BUILD/run/state.1" "$T_BUILD/run/state.2"
        return 1
    fi
    if grep -Eq 'installed /|wrote /|building ' "$T_BUILD/run/second.log"; then
        echo "the second run says it changed something"
        return 1
    fi
    echo "second run: $(wc -l < "$T_BUILD/run/state.2") files, same hashes and mtimes"
    expect_msg "$T_BUILD/run/second.log" "$K1: /boot/initrd.img-$K1 is up to date"
}

# The lock, against an unprivileged user: one who holds a lock in the
# world-writable /run/lock (where the installer kept it) and plants a symlink
# there must neither block the installer nor have it truncate a file.
c_lock_unprivileged() {
    mkdir -p "$T_ROOT/run/lock"
    chmod 1777 "$T_ROOT/run/lock"
    rm -f "$T_ROOT/run/lock/ade-unlock-install.lock"
    echo "precious" > "$T_ROOT/etc/ade-victim"
    # As nobody: the symlink planted, and a lock held on a file of its own.
    t_in "$T_ROOT" setpriv --reuid 65534 --regid 65534 --clear-groups \
        ln -s /etc/ade-victim /run/lock/ade-unlock-install.lock || { echo "cannot plant the symlink"; return 1; }
    t_in "$T_ROOT" setpriv --reuid 65534 --regid 65534 --clear-groups \
        sh -c 'exec 8> /run/lock/ade-held; flock 8; sleep 30' &
    _holder=$!
    inst --check > "$T_BUILD/run/lock.log" 2>&1
    _rc=$?
    kill "$_holder" 2> /dev/null
    wait "$_holder" 2> /dev/null
    cat "$T_BUILD/run/lock.log"
    _bad=
    [ "$_rc" -eq 0 ] || _bad="--check exit $_rc"
    [ "$(cat "$T_ROOT/etc/ade-victim")" = precious ] || _bad="${_bad:+$_bad; }the planted symlink's target was written"
    [ "$(stat -c '%u %a' "$T_ROOT/run/ade-unlock-install")" = "0 700" ] ||
        _bad="${_bad:+$_bad; }/run/ade-unlock-install is $(stat -c '%U %a' "$T_ROOT/run/ade-unlock-install")"
    # nobody cannot reach the lock the installer takes.
    if t_in "$T_ROOT" setpriv --reuid 65534 --regid 65534 --clear-groups \
        sh -c 'exec 8> /run/ade-unlock-install/lock' 2> /dev/null; then
        _bad="${_bad:+$_bad; }an unprivileged user can open the lock"
    fi
    rm -f "$T_ROOT/run/lock/ade-unlock-install.lock" "$T_ROOT/run/lock/ade-held" "$T_ROOT/etc/ade-victim"
    [ -z "$_bad" ] || { echo "$_bad"; return 1; }
    echo "the symlink's target untouched; the lock in a root-only directory, out of nobody's reach"
}

c_check_good() {
    inst --check > "$T_BUILD/run/check.log" 2>&1
    _rc=$?
    cat "$T_BUILD/run/check.log"
    [ "$_rc" -eq 0 ] && expect_msg "$T_BUILD/run/check.log" "^$K1: OK: the next boot unlocks root data0 data1"
}

c_kernel_update() {
    _tr=$T_LOGS/kernel-update-transcript.txt
    {
        echo "# chroot $T_ROOT (Debian 12 with $T_K1PKG and ade-unlock installed)"
        echo "# apt-get install linux-image-cloud-amd64   (brings $T_K2PKG $T_K2DEB)"
        t_in "$T_ROOT" apt-get install -y --no-install-recommends linux-image-cloud-amd64 2>&1
        echo "# exit status: $?"
    } > "$_tr"
    cat "$_tr"
    grep -q '^# exit status: 0$' "$_tr" || return 1
    [ -f "$T_ROOT/boot/initrd.img-$K2" ] || {
        echo "no image for $K2"
        return 1
    }
    expect_msg "$_tr" "ade-unlock-install: $K2: /boot/initrd.img-$K2 .*(verified|replaced)" || return 1
    # dracut's own hook ran first; ours, last, verified its result.
    _d=$(grep -n "dracut: Generating /boot/initrd.img-$K2" "$_tr" | head -n 1 | cut -d : -f 1)
    _o=$(grep -n "ade-unlock-install: $K2: /boot/initrd.img-$K2" "$_tr" | tail -n 1 | cut -d : -f 1)
    if [ -z "$_d" ] || [ -z "$_o" ] || [ "$_d" -ge "$_o" ]; then
        echo "the hooks did not run in order (dracut's, then ours)"
        return 1
    fi
    has_module "/boot/initrd.img-$K2" || return 1
    inst_in --check --kernel "$K2" || return 1
    echo "---- the new image's ade-unlock files (lsinitrd):"
    lsi "/boot/initrd.img-$K2" | grep -E 'ade-unlock|etc/crypttab|dm-crypt\.ko'
}

c_kernel_install_plugin() {
    # kernel-install's call (Fedora/RHEL/Azure Linux); here Debian's image name.
    t_in "$T_ROOT" /usr/lib/kernel/install.d/60-ade-unlock.install add "$K2" \
        "/boot/efi/fake/$K2" "/boot/vmlinuz-$K2" > "$T_BUILD/run/plugin.log" 2>&1
    _rc=$?
    cat "$T_BUILD/run/plugin.log"
    [ "$_rc" -eq 0 ] && expect_msg "$T_BUILD/run/plugin.log" "$K2: /boot/initrd.img-$K2 is up to date"
}

c_qemu_boot() { boot_image dracut; }

shim_dracut() {
    mkdir -p "$T_ROOT/usr/local/sbin"
    cat > "$T_ROOT/usr/local/sbin/dracut"
    chmod 755 "$T_ROOT/usr/local/sbin/dracut"
}

c_fault_dracut_killed() {
    shim_dracut << 'EOF'
#!/bin/sh
# test shim: records its pid, then is the real dracut
echo $$ > /run/ade-test-dracut.pid
exec /usr/bin/dracut "$@"
EOF
    rm -f "$T_ROOT/run/ade-test-dracut.pid"
    (
        # Kills the real dracut 5 s into its run.
        _i=0
        while [ ! -s "$T_ROOT/run/ade-test-dracut.pid" ] && [ "$_i" -lt 600 ]; do
            sleep 0.1
            _i=$((_i + 1))
        done
        sleep 5
        _p=$(cat "$T_ROOT/run/ade-test-dracut.pid" 2> /dev/null)
        [ -n "$_p" ] && kill -KILL "$_p" && echo "test: killed dracut (pid $_p) with SIGKILL" >&2
    ) &
    _killer=$!
    fault "dracut was killed by signal KILL.*left unchanged" inst_in --kernel "$K1" --force
    _rc=$?
    wait "$_killer"
    _d=$(cat "$T_ROOT/run/ade-test-dracut.pid" 2> /dev/null)
    rm -f "$T_ROOT/usr/local/sbin/dracut" "$T_ROOT/run/ade-test-dracut.pid"
    [ "$_rc" -eq 0 ] || return 1
    # What the killed dracut had started was stopped with it.
    _i=0
    while [ -n "$_d" ] && kill -s 0 -- "-$_d" 2> /dev/null; do
        _i=$((_i + 1))
        if [ "$_i" -gt 20 ]; then
            echo "processes of the killed dracut still run:"
            ps -o pid,stat,etimes,args -g "$_d"
            return 1
        fi
        sleep 0.25
    done
    for _f in "$T_ROOT"/boot/.*.ade-new "$T_ROOT"/var/tmp/ade-unlock-install.*; do
        [ -e "$_f" ] || continue
        echo "left behind: $_f"
        return 1
    done
}

c_fault_interrupted() {
    # The installer itself stopped (SIGTERM) while dracut runs: dracut and
    # its children stop too, nothing is left behind.
    shim_dracut << 'EOF'
#!/bin/sh
# test shim: records its pid, then is the real dracut
echo $$ > /run/ade-test-dracut.pid
exec /usr/bin/dracut "$@"
EOF
    rm -f "$T_ROOT/run/ade-test-dracut.pid"
    boot_state > "$T_BUILD/run/boot.before"
    LC_ALL=C PATH=/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin \
        chroot "$T_ROOT" /usr/sbin/ade-unlock-install --kernel "$K1" --force \
        > "$T_BUILD/run/fault.log" 2>&1 &
    _inst=$!
    _i=0
    while [ ! -s "$T_ROOT/run/ade-test-dracut.pid" ] && [ "$_i" -lt 600 ]; do
        sleep 0.1
        _i=$((_i + 1))
    done
    sleep 4
    _d=$(cat "$T_ROOT/run/ade-test-dracut.pid" 2> /dev/null)
    kill -TERM "$_inst" && echo "test: sent SIGTERM to the installer (pid $_inst) while dracut (pid $_d) runs"
    wait "$_inst"
    _rc=$?
    boot_state > "$T_BUILD/run/boot.after"
    rm -f "$T_ROOT/usr/local/sbin/dracut" "$T_ROOT/run/ade-test-dracut.pid"
    cat "$T_BUILD/run/fault.log"
    echo "exit status: $_rc"
    [ "$_rc" -eq 130 ] || return 1
    expect_msg "$T_BUILD/run/fault.log" "interrupted" || return 1
    cmp -s "$T_BUILD/run/boot.before" "$T_BUILD/run/boot.after" || {
        echo "/boot changed"
        return 1
    }
    # (Its last children may be zombies for a moment, until init reaps them.)
    _i=0
    while [ -n "$_d" ] && kill -s 0 -- "-$_d" 2> /dev/null; do
        _i=$((_i + 1))
        if [ "$_i" -gt 20 ]; then
            echo "dracut's processes still run:"
            ps -o pid,stat,etimes,args -g "$_d"
            return 1
        fi
        sleep 0.25
    done
    for _f in "$T_ROOT"/boot/.*.ade-new "$T_ROOT"/var/tmp/ade-unlock-install.* "$T_ROOT"/var/tmp/dracut.*; do
        [ -e "$_f" ] || continue
        echo "left behind: $_f"
        return 1
    done
    echo "/boot unchanged, dracut's process group gone, no temporary file left"
}

c_fault_disk_full() {
    _copy=$T_BUILD/run/bootcopy
    rm -rf "$_copy"
    cp -a "$T_ROOT/boot" "$_copy" || return 1
    _used=$(du -sk "$_copy" | cut -f 1)
    # Room for what is there and 4 MiB more: not for a second image.
    mount -t tmpfs -o "size=$((_used + 4096))k" boot-full "$T_ROOT/boot" || return 1
    cp -a "$_copy/." "$T_ROOT/boot/"
    echo "/boot: a tmpfs of $((_used + 4096)) KiB, $(df -Pk "$T_ROOT/boot" | awk 'NR == 2 { print $4 }') KiB free"
    fault "no space left on device.*left unchanged" inst_in --kernel "$K1" --force
    _rc=$?
    _left=0
    for _f in "$T_ROOT"/boot/.*.ade-new; do
        [ -e "$_f" ] && _left=1 && echo "left behind: $_f"
    done
    umount "$T_ROOT/boot"
    rm -rf "$_copy"
    [ "$_rc" -eq 0 ] && [ "$_left" -eq 0 ]
}

c_fault_binary_missing() {
    mv "$T_ROOT/usr/sbin/ade-unlock" "$T_ROOT/usr/sbin/ade-unlock.moved"
    fault "binary /usr/sbin/ade-unlock is missing" inst_in --kernel "$K1" --force
    _rc=$?
    mv "$T_ROOT/usr/sbin/ade-unlock.moved" "$T_ROOT/usr/sbin/ade-unlock"
    [ "$_rc" -eq 0 ] || return 1
    # From the source tree: the binary not built.
    ADE_UNLOCK_BIN=$T_BUILD/run/no-such-binary \
        fault "binary .*no-such-binary is missing: run 'make unlock/ade-unlock' first" inst --kernel "$K1"
}

c_fault_selfcheck() {
    mv "$T_ROOT/usr/sbin/ade-unlock" "$T_ROOT/usr/sbin/ade-unlock.real"
    printf '#!/bin/sh\necho "ade-unlock: self-check: PBKDF2-SHA256: FAILED (test shim)" >&2\nexit 1\n' \
        > "$T_ROOT/usr/sbin/ade-unlock"
    chmod 755 "$T_ROOT/usr/sbin/ade-unlock"
    fault "binary /usr/sbin/ade-unlock fails --self-check" inst_in --kernel "$K1" --force
    _rc=$?
    mv -f "$T_ROOT/usr/sbin/ade-unlock.real" "$T_ROOT/usr/sbin/ade-unlock"
    [ "$_rc" -eq 0 ]
}

c_fault_image_selfcheck() {
    # The installed copy works, the image's copy (run from the unpacked
    # image) does not: only the verification of the new image can see it.
    mv "$T_ROOT/usr/sbin/ade-unlock" "$T_ROOT/usr/sbin/ade-unlock.real"
    cat > "$T_ROOT/usr/sbin/ade-unlock" << 'EOF'
#!/bin/sh
# test shim: the real binary only when run from where it is installed
[ "$0" = /usr/sbin/ade-unlock ] && exec /usr/sbin/ade-unlock.real "$@"
echo "ade-unlock: self-check: AES-256-GCM: FAILED (test shim outside /usr/sbin)" >&2
exit 1
EOF
    chmod 755 "$T_ROOT/usr/sbin/ade-unlock"
    fault "new image fails verification: its ade-unlock fails --self-check" inst_in --kernel "$K1" --force
    _rc=$?
    mv -f "$T_ROOT/usr/sbin/ade-unlock.real" "$T_ROOT/usr/sbin/ade-unlock"
    [ "$_rc" -eq 0 ]
}

c_fault_image_lacks_module() {
    shim_dracut << 'EOF'
#!/bin/sh
# test shim: a dracut that leaves the module out
exec /usr/bin/dracut --omit ade-unlock "$@"
EOF
    fault "new image fails verification: it lacks /usr/sbin/ade-unlock" inst_in --kernel "$K1" --force
    _rc=$?
    rm -f "$T_ROOT/usr/local/sbin/dracut"
    [ "$_rc" -eq 0 ]
}

c_check_broken() {
    _img=$T_ROOT/boot/initrd.img-$K1
    cp -p "$_img" "$T_BUILD/run/good.img"
    # The image from before the install (no ade-unlock), then a truncated one.
    cp "$_img.ade-bak" "$_img"
    inst --check > "$T_BUILD/run/check1.log" 2>&1
    _rc1=$?
    head -c 1000000 "$T_BUILD/run/good.img" > "$_img"
    inst --check > "$T_BUILD/run/check2.log" 2>&1
    _rc2=$?
    cp -p "$T_BUILD/run/good.img" "$_img"
    rm -f "$T_BUILD/run/good.img"
    cat "$T_BUILD/run/check1.log" "$T_BUILD/run/check2.log"
    echo "exit status: $_rc1, $_rc2"
    [ "$_rc1" -eq 1 ] && [ "$_rc2" -eq 1 ] &&
        expect_msg "$T_BUILD/run/check1.log" "^$K1: NOT OK: .*lacks /usr/sbin/ade-unlock" &&
        expect_msg "$T_BUILD/run/check1.log" "^$K2: OK: the next boot unlocks" &&
        expect_msg "$T_BUILD/run/check2.log" "^$K1: NOT OK: .*(cannot read|lacks)"
}

c_postinst_rebuilds() {
    # Another tool left an image without ade-unlock (here: the image from
    # before the install); the Debian kernel hook, run last, rebuilds it.
    cp "$T_ROOT/boot/initrd.img-$K1.ade-bak" "$T_ROOT/boot/initrd.img-$K1"
    t_in "$T_ROOT" /etc/kernel/postinst.d/zz-ade-unlock "$K1" "/boot/vmlinuz-$K1" \
        > "$T_BUILD/run/hook.log" 2>&1
    _rc=$?
    cat "$T_BUILD/run/hook.log"
    [ "$_rc" -eq 0 ] &&
        expect_msg "$T_BUILD/run/hook.log" "$K1: rebuilding /boot/initrd.img-$K1: it lacks /usr/sbin/ade-unlock" &&
        expect_msg "$T_BUILD/run/hook.log" "$K1: /boot/initrd.img-$K1 replaced" &&
        has_module "/boot/initrd.img-$K1"
}

c_check_stale() {
    # The VM's crypttab changed after the install: --check says so.
    cp -p "$T_ROOT/etc/crypttab" "$T_BUILD/run/crypttab.saved"
    echo "data2 /dev/disk/azure/scsi1/lun1 /mnt/azure_bek_disk/LinuxPassPhraseFileName_1_2 luks,nofail" \
        >> "$T_ROOT/etc/crypttab"
    inst --check > "$T_BUILD/run/check3.log" 2>&1
    _rc=$?
    cp -p "$T_BUILD/run/crypttab.saved" "$T_ROOT/etc/crypttab"
    cat "$T_BUILD/run/check3.log"
    [ "$_rc" -eq 1 ] && expect_msg "$T_BUILD/run/check3.log" "^$K1: NOT OK: .*/etc/crypttab is stale"
}

c_hostonly() {
    # dracut's hostonly mode (the default of Fedora, RHEL, Azure Linux): its
    # crypt module writes the host's crypttab into the image first; the image
    # must still get ade-unlock's copy.
    echo 'hostonly="yes"' > "$T_ROOT/etc/dracut.conf.d/00-test-hostonly.conf"
    inst --kernel "$K2" > "$T_BUILD/run/hostonly.log" 2>&1
    _rc=$?
    rm -f "$T_ROOT/etc/dracut.conf.d/00-test-hostonly.conf"
    cat "$T_BUILD/run/hostonly.log"
    [ "$_rc" -eq 0 ] && expect_msg "$T_BUILD/run/hostonly.log" "$K2: /boot/initrd.img-$K2 replaced"
}

c_kernel_remove() {
    t_in "$T_ROOT" apt-get remove -y "$T_K1PKG" > "$T_BUILD/run/remove.log" 2>&1
    _rc=$?
    cat "$T_BUILD/run/remove.log"
    [ "$_rc" -eq 0 ] || return 1
    for _f in "$T_ROOT/boot/initrd.img-$K1" "$T_ROOT/boot/initrd.img-$K1.ade-bak" \
        "$T_ROOT/var/lib/ade-unlock/images/$K1"; do
        [ -e "$_f" ] && {
            echo "left behind: $_f"
            return 1
        }
    done
    expect_msg "$T_BUILD/run/remove.log" "$K1: removed /boot/initrd.img-$K1.ade-bak"
}

c_uninstall() {
    inst --uninstall > "$T_BUILD/run/uninstall.log" 2>&1
    _rc=$?
    cat "$T_BUILD/run/uninstall.log"
    [ "$_rc" -eq 0 ] || return 1
    for _k in "$T_ROOT"/lib/modules/*; do
        _k=${_k##*/}
        [ -f "$T_ROOT/boot/initrd.img-$_k" ] || continue
        if has_module "/boot/initrd.img-$_k"; then
            echo "/boot/initrd.img-$_k still has ade-unlock"
            return 1
        fi
        echo "/boot/initrd.img-$_k: no ade-unlock"
    done
    # The operator's KEK is not the installer's to delete.
    [ -f "$T_ROOT/etc/ade-unlock/kek.jwk" ] || {
        echo "the operator's /etc/ade-unlock/kek.jwk was removed"
        return 1
    }
    _left=$(cd "$T_ROOT" && find . -xdev \( -path ./proc -o -path ./sys -o -path ./dev \) -prune -o \
        \( -name '*ade-unlock*' -o -name '*.ade-bak' -o -name '*.ade-new' -o -name '*.ade-tmp' \) -print |
        grep -vx './etc/ade-unlock')
    if [ -n "$_left" ]; then
        echo "left behind:"
        echo "$_left"
        return 1
    fi
    echo "no file named *ade-unlock*, *.ade-bak, *.ade-new or *.ade-tmp is left"
}

# Unit-style cases of the crypttab conversion (--print: nothing is written).
# conv NAME CRYPTTAB [CONF]: sets CONV_RC and CONV_OUT (stdout+stderr).
conv() {
    cp -p "$T_ROOT/etc/crypttab" "$T_BUILD/run/crypttab.saved"
    printf '%s\n' "$1" > "$T_ROOT/etc/crypttab"
    rm -f "$T_ROOT/etc/ade-unlock.conf"
    [ -n "${2:-}" ] && printf '%s\n' "$2" > "$T_ROOT/etc/ade-unlock.conf"
    CONV_OUT=$(inst --print 2>&1)
    CONV_RC=$?
    cp -p "$T_BUILD/run/crypttab.saved" "$T_ROOT/etc/crypttab"
    rm -f "$T_ROOT/etc/ade-unlock.conf"
    echo "---- /etc/crypttab:"
    printf '%s\n' "$1"
    [ -n "${2:-}" ] && printf -- '---- /etc/ade-unlock.conf:\n%s\n' "$2"
    printf -- '---- ade-unlock-install --print (exit %s):\n%s\n' "$CONV_RC" "$CONV_OUT"
}
out_has() {
    printf '%s\n' "$CONV_OUT" | grep -Eq -- "$1" || {
        echo "expected /$1/"
        return 1
    }
}

c_conv_ade_data() {
    conv "data0 /dev/disk/azure/scsi1/lun1 /mnt/azure_bek_disk/LinuxPassPhraseFileName_1_0 luks,nofail,timeout=30
data5 /dev/disk/azure/scsi1/lun2 /bek/LinuxPassPhraseFileName_1_5 luks,discard,nofail"
    [ "$CONV_RC" -eq 0 ] &&
        out_has "^data0 UUID=$L_D0 none luks,nofail,timeout=30$" &&
        out_has "^data5 UUID=$L_D1 none luks,discard,nofail$" &&
        out_has '^key\.data0 = LinuxPassPhraseFileName_1_0$' &&
        out_has '^key\.data5 = LinuxPassPhraseFileName_1_5$'
}

c_conv_systemd_style() {
    conv "data1 /dev/disk/azure/scsi1/lun2 /keys/data1.key:LABEL=BEK\\x20VOLUME luks,nofail
other UUID=$L_D0 /k:LABEL=OTHER luks" "label = BEK VOLUME"
    [ "$CONV_RC" -eq 0 ] && out_has "^data1 UUID=$L_D1 none luks,nofail$" &&
        out_has '^key\.data1 = keys/data1\.key$' &&
        ! printf '%s\n' "$CONV_OUT" | grep -q '^other ' && out_has '^label = BEK VOLUME$'
}

# Entries that are not ade-unlock's are not in its part of the image's
# crypttab (dracut's crypt module adds what the root needs): keys on the root
# filesystem, ADE's Confidential VM keys and its decryption (cleartext) keys.
c_conv_not_ours_left_out() {
    conv "swap /dev/sdz9 /dev/urandom swap,cipher=aes-xts-plain64,size=256
home UUID=0a0e0000-0000-4000-8000-00000000000f /etc/keys/home.key luks,tries=3
cryptlvm /dev/disk/by-id/scsi-foo none luks,x-systemd.device-timeout=0
5d3b7a9e-0c43-4a6f-9b9f-1f2e3d4c5b6a /dev/disk/azure/scsi1/lun1 /var/lib/azure_disk_encryption_config/os_encryption_markers/keyfile luks,nofail
dec0 /dev/disk/azure/scsi1/lun2 /var/lib/azure_disk_encryption_config/cleartext_keydec0 luks,nofail"
    [ "$CONV_RC" -eq 0 ] && ! printf '%s\n' "$CONV_OUT" | grep -Eq '^(swap|home|cryptlvm|5d3b7a9e-[0-9a-f-]*|dec0) '
}

c_conv_conf_key() {
    # Ours through the conf's key.<name>, device given by UUID: kept; no second key line.
    conv "vault UUID=$L_D0 none luks
data0 /dev/disk/azure/scsi1/lun1 /mnt/azure_bek_disk/LinuxPassPhraseFileName_1_0 luks" \
        "key.vault = LinuxPassPhraseFileName_1_0
key.data0 = custom_name
timeout = 90
kek = /root/keys/kek.jwk"
    # The KEK goes to the module's place in the image, whatever its host path.
    [ "$CONV_RC" -eq 0 ] && out_has "^vault UUID=$L_D0 none luks$" &&
        out_has '^kek = /etc/ade-unlock/kek\.jwk$' &&
        out_has "^data0 UUID=$L_D0 none luks$" && out_has '^key\.data0 = custom_name$' &&
        out_has '^timeout = 90$' &&
        [ "$(printf '%s\n' "$CONV_OUT" | grep -c '^key\.data0')" -eq 1 ]
}

c_conv_detached_header() {
    # ADE's OS disk: the header on the (unencrypted) /boot filesystem.
    _b=$T_BUILD/run/boot-ext4.img
    rm -rf "$T_BUILD/run/bootfs"
    mkdir -p "$T_BUILD/run/bootfs/luks"
    head -c 65536 /dev/zero > "$T_BUILD/run/bootfs/luks/osluksheader"
    _fsuuid=0a0e00b0-0000-4000-8000-0000000000b0
    rm -f "$_b"
    truncate -s 16M "$_b"
    mkfs.ext4 -q -F -d "$T_BUILD/run/bootfs" -U "$_fsuuid" -L boot "$_b" || return 1
    _lb=$(attach "$_b")
    # The OS partition: no LUKS signature (its header is detached), on a
    # whole loop device here (no partition UUID: an error, named), and the
    # same with the device given by PARTUUID (kept).
    _raw=$T_BUILD/run/osdisk.img
    truncate -s 8M "$_raw"
    _lr=$(attach "$_raw")
    azure_link root-part2 "$_lr"
    mount -o ro "$_lb" "$T_ROOT/boot" || return 1
    conv "osencrypt PARTUUID=0a0e00c0-0000-4000-8000-0000000000c0 /mnt/azure_bek_disk/LinuxPassPhraseFileName luks,discard,header=/boot/luks/osluksheader,timeout=10
data0 /dev/disk/azure/scsi1/lun1 /mnt/azure_bek_disk/LinuxPassPhraseFileName_1_0 luks,header=/luks/d0.hdr:UUID=$_fsuuid"
    _rc1=$CONV_RC
    _out1=$CONV_OUT
    conv "osencrypt /dev/disk/azure/root-part2 /mnt/azure_bek_disk/LinuxPassPhraseFileName luks,header=/boot/luks/osluksheader"
    _rc2=$CONV_RC
    _out2=$CONV_OUT
    umount "$T_ROOT/boot"
    CONV_OUT=$_out1
    [ "$_rc1" -eq 0 ] &&
        out_has "^osencrypt PARTUUID=0a0e00c0-0000-4000-8000-0000000000c0 none luks,discard,header=/luks/osluksheader:UUID=$_fsuuid,timeout=10$" &&
        out_has "^data0 UUID=$L_D0 none luks,header=/luks/d0\\.hdr:UUID=$_fsuuid$" || return 1
    CONV_OUT=$_out2
    [ "$_rc2" -eq 1 ] &&
        out_has "/etc/crypttab:1 .*/dev/disk/azure/root-part2 \\(/dev/loop[0-9]+\\) has no LUKS header \\(it is detached\\) and no partition UUID"
}

c_conv_header_on_root() {
    # A header on the root filesystem of the chroot (an overlay here): refused.
    echo hdr > "$T_ROOT/etc/os.hdr"
    conv "data0 /dev/disk/azure/scsi1/lun1 /mnt/azure_bek_disk/LinuxPassPhraseFileName_1_0 luks,header=/etc/os.hdr"
    rm -f "$T_ROOT/etc/os.hdr"
    [ "$CONV_RC" -eq 1 ] && out_has "/etc/crypttab:1 .*header /etc/os.hdr is on a 'overlay' filesystem"
}

c_conv_unresolvable() {
    conv "# comment
data0 /dev/disk/azure/scsi1/lun1 /mnt/azure_bek_disk/LinuxPassPhraseFileName_1_0 luks

data7 /dev/disk/azure/scsi1/lun7 /mnt/azure_bek_disk/LinuxPassPhraseFileName_1_7 luks"
    [ "$CONV_RC" -eq 1 ] &&
        out_has "error: /etc/crypttab:4 \\('data7 /dev/disk/azure/scsi1/lun7 .*'\\): /dev/disk/azure/scsi1/lun7 does not exist on this system" ||
        return 1
    # The same with nofail: a warning, and the entry is left out.
    conv "data7 /dev/disk/azure/scsi1/lun7 /mnt/azure_bek_disk/LinuxPassPhraseFileName_1_7 luks,nofail"
    [ "$CONV_RC" -eq 0 ] && out_has "warning: /etc/crypttab:1 .*left out of the initramfs \\(nofail\\)" &&
        ! printf '%s\n' "$CONV_OUT" | grep -q '^data7 '
}

c_conv_not_luks() {
    _f=$T_BUILD/run/plain.img
    rm -f "$_f"
    truncate -s 4M "$_f"
    mkfs.ext4 -q -F "$_f" || return 1
    azure_link scsi1/lun9 "$(attach "$_f")"
    conv "data9 /dev/disk/azure/scsi1/lun9 /mnt/azure_bek_disk/LinuxPassPhraseFileName_1_9 luks"
    [ "$CONV_RC" -eq 1 ] && out_has "/etc/crypttab:1 .*/dev/disk/azure/scsi1/lun9 \\(/dev/loop[0-9]+\\) holds no LUKS header \\(blkid: ext4\\)"
}

c_rejected_config() {
    # A line ade-unlock's own parser refuses: nothing is installed or rebuilt.
    cp -p "$T_ROOT/etc/crypttab" "$T_BUILD/run/crypttab.saved"
    echo "data3 UUID=$L_D1 /mnt/azure_bek_disk/LinuxPassPhraseFileName_1_3 luks,tries=lots" >> "$T_ROOT/etc/crypttab"
    fault "ade-unlock rejects the configuration" inst
    _rc=$?
    cp -p "$T_BUILD/run/crypttab.saved" "$T_ROOT/etc/crypttab"
    [ "$_rc" -eq 0 ]
}

# ---- the initramfs-tools chroot (Debian's and Ubuntu's default generator) ------------
# The same VM (crypttab, disks, KEK) on bookworm with initramfs-tools and
# cryptsetup-initramfs, no dracut: the installer detects it, installs the
# hook and boot scripts, builds with mkinitramfs, lists with lsinitramfs.
IT_FILES="/usr/share/initramfs-tools/hooks/ade-unlock /usr/share/initramfs-tools/scripts/init-premount/ade-unlock
    /usr/share/initramfs-tools/scripts/init-bottom/ade-unlock"

# Unpacks an image of the chroot into its /tmp/u: it_unpack IMAGE (sets
# IT_U, the unpacked root: behind early microcode archives, main/).
it_unpack() {
    t_in "$T_ROOT" sh -c "rm -rf /tmp/u && unmkinitramfs '$1' /tmp/u" || return 1
    IT_U=$T_ROOT/tmp/u
    [ -d "$IT_U/main" ] && IT_U=$IT_U/main
    return 0
}

# A dracut command and /etc/dracut.conf.d beside initramfs-tools (dracut-core
# installed on an initramfs-tools system): it_both on|off.
it_both() {
    if [ "$1" = on ]; then
        shim_dracut << 'EOF'
#!/bin/sh
# test shim: a dracut command (dracut-core beside initramfs-tools)
exit 1
EOF
        mkdir -p "$T_ROOT/etc/dracut.conf.d"
    else
        rm -f "$T_ROOT/usr/local/sbin/dracut"
        rmdir "$T_ROOT/etc/dracut.conf.d"
    fi
}

# Neither generator (update-initramfs hidden), then both: no guess, nothing
# installed, /boot untouched.
c_it_generator_refused() {
    mv "$T_ROOT/usr/sbin/update-initramfs" "$T_ROOT/usr/sbin/update-initramfs.hidden" || return 1
    fault "this system has no initramfs generator: neither dracut .* nor initramfs-tools .*--generator" inst
    _rc=$?
    mv "$T_ROOT/usr/sbin/update-initramfs.hidden" "$T_ROOT/usr/sbin/update-initramfs"
    [ "$_rc" -eq 0 ] || return 1
    it_both on
    fault "two initramfs generators, dracut \(/usr/local/sbin/dracut, /etc/dracut.conf.d\) and initramfs-tools \(.*update-initramfs.*\): not guessing.*--generator dracut or --generator initramfs-tools" inst
    _rc=$?
    it_both off
    [ "$_rc" -eq 0 ] || return 1
    [ ! -e "$T_ROOT/usr/sbin/ade-unlock" ] || {
        echo "something was installed"
        return 1
    }
}

c_it_install() {
    _img=$T_ROOT/boot/initrd.img-$K1
    _before=$(sha "$_img")
    mkdir -m 0700 "$T_ROOT/etc/ade-unlock"
    printf '{"kty":"oct","k":"c2FtcGxlIG9ubHkgc2FtcGxlIG9ubHkgc2FtcGxlIG9ubHk"}' \
        > "$T_ROOT/etc/ade-unlock/kek.jwk"
    chmod 0600 "$T_ROOT/etc/ade-unlock/kek.jwk"
    inst > "$T_BUILD/run/it-install.log" 2>&1
    _rc=$?
    cat "$T_BUILD/run/it-install.log"
    [ "$_rc" -eq 0 ] || return 1
    expect_msg "$T_BUILD/run/it-install.log" "$K1: building /boot/initrd.img-$K1 with mkinitramfs" || return 1
    expect_msg "$T_BUILD/run/it-install.log" "$K1: /boot/initrd.img-$K1 replaced \(previous image kept as /boot/initrd.img-$K1\.ade-bak\): ade-unlock \(init-premount script\) for root data0 data1" || return 1
    has_module "/boot/initrd.img-$K1" || {
        echo "the image has no usr/sbin/ade-unlock"
        return 1
    }
    [ "$(sha "$_img.ade-bak")" = "$_before" ] || {
        echo "no backup of the previous image"
        return 1
    }
    [ "$(stat -c %a "$_img")" = 600 ] || {
        echo "the image (it holds the KEK) is readable by others than root"
        return 1
    }
    for _f in /usr/sbin/ade-unlock /usr/sbin/ade-unlock-install /usr/lib/ade-unlock/crypttab.sh \
        /usr/lib/ade-unlock/image.sh /usr/lib/ade-unlock/ade-unlock-run.sh $IT_FILES \
        /etc/kernel/postinst.d/zz-ade-unlock /etc/kernel/postrm.d/zz-ade-unlock; do
        [ -f "$T_ROOT$_f" ] || {
            echo "missing: $_f"
            return 1
        }
    done
    # dracut's files are for dracut hosts only.
    for _f in /usr/lib/dracut/modules.d/91ade-unlock /etc/dracut.conf.d/ade-unlock.conf; do
        [ ! -e "$T_ROOT$_f" ] || {
            echo "installed on an initramfs-tools host: $_f"
            return 1
        }
    done
    it_unpack "/boot/initrd.img-$K1" || return 1
    echo "---- the image's /etc/crypttab, /etc/ade-unlock.conf, init-premount ORDER:"
    cat "$IT_U/etc/crypttab" "$IT_U/etc/ade-unlock.conf" "$IT_U/scripts/init-premount/ORDER"
    if ! grep -q "^data0 UUID=$L_D0 none luks,nofail$" "$IT_U/etc/crypttab" ||
        ! grep -q "^root UUID=$L_ROOT none luks$" "$IT_U/etc/crypttab" ||
        ! grep -q '^key.data1 = LinuxPassPhraseFileName_1_1$' "$IT_U/etc/ade-unlock.conf" ||
        grep -Eq '^(cvmdata|dec1) ' "$IT_U/etc/crypttab" ||
        [ "$(stat -c %a "$IT_U/etc/ade-unlock/kek.jwk")" != 600 ]; then
        echo "the image's crypttab, conf or KEK is not as expected"
        return 1
    fi
}

c_it_idempotent() {
    installed_state > "$T_BUILD/run/state.1"
    inst > "$T_BUILD/run/second.log" 2>&1
    _rc=$?
    cat "$T_BUILD/run/second.log"
    installed_state > "$T_BUILD/run/state.2"
    [ "$_rc" -eq 0 ] || return 1
    if ! cmp -s "$T_BUILD/run/state.1" "$T_BUILD/run/state.2"; then
        echo "the second run changed files:"
        diff "$T_BUILD/run/state.1" "$T_BUILD/run/state.2"
        return 1
    fi
    expect_msg "$T_BUILD/run/second.log" "$K1: /boot/initrd.img-$K1 is up to date"
}

c_it_check_good() {
    inst --check > "$T_BUILD/run/check.log" 2>&1
    _rc=$?
    cat "$T_BUILD/run/check.log"
    [ "$_rc" -eq 0 ] &&
        expect_msg "$T_BUILD/run/check.log" "^$K1: OK: the next boot unlocks root data0 data1 .*init-premount script"
}

# ADE's own call (key rotation, OS encryption): update-initramfs rebuilds
# every image with our hook by itself; the result verifies.
c_it_update_initramfs() {
    t_in "$T_ROOT" update-initramfs -u -k all > "$T_BUILD/run/update.log" 2>&1
    _rc=$?
    cat "$T_BUILD/run/update.log"
    [ "$_rc" -eq 0 ] || return 1
    expect_msg "$T_BUILD/run/update.log" "update-initramfs: Generating /boot/initrd.img-$K1" || return 1
    inst_in --check > "$T_BUILD/run/check-u.log" 2>&1
    _rc=$?
    cat "$T_BUILD/run/check-u.log"
    [ "$_rc" -eq 0 ] || return 1
    expect_msg "$T_BUILD/run/check-u.log" "^$K1: OK: the next boot unlocks root data0 data1" || return 1
    inst_in > "$T_BUILD/run/after-u.log" 2>&1
    _rc=$?
    cat "$T_BUILD/run/after-u.log"
    [ "$_rc" -eq 0 ] &&
        expect_msg "$T_BUILD/run/after-u.log" "$K1: /boot/initrd.img-$K1 \(made by another hook or tool\) verified"
}

# Both generators: --generator decides, and is kept for the kernel hooks.
c_it_generator_option() {
    it_both on
    inst --generator initramfs-tools > "$T_BUILD/run/gen.log" 2>&1
    _rc1=$?
    inst_in --check > "$T_BUILD/run/gen-check.log" 2>&1
    _rc2=$?
    it_both off
    cat "$T_BUILD/run/gen.log" "$T_BUILD/run/gen-check.log"
    echo "exit status: $_rc1, $_rc2"
    [ "$_rc1" -eq 0 ] && [ "$_rc2" -eq 0 ] || return 1
    [ "$(cat "$T_ROOT/var/lib/ade-unlock/generator")" = initramfs-tools ] || return 1
    expect_msg "$T_BUILD/run/gen.log" "$K1: /boot/initrd.img-$K1 is up to date" &&
        expect_msg "$T_BUILD/run/gen-check.log" "^$K1: OK: "
}

c_it_kernel_update() {
    _tr=$T_LOGS/it-kernel-update-transcript.txt
    {
        echo "# chroot $T_ROOT (Debian 12, initramfs-tools, $T_K1PKG and ade-unlock installed)"
        echo "# apt-get install linux-image-cloud-amd64   (brings $T_K2PKG $T_K2DEB)"
        t_in "$T_ROOT" apt-get install -y --no-install-recommends linux-image-cloud-amd64 2>&1
        echo "# exit status: $?"
    } > "$_tr"
    cat "$_tr"
    grep -q '^# exit status: 0$' "$_tr" || return 1
    expect_msg "$_tr" "ade-unlock-install: $K2: /boot/initrd.img-$K2 .*(verified|replaced)" || return 1
    # initramfs-tools' own hook built it (with ours in it); ours, last, verified it.
    _d=$(grep -n "update-initramfs: Generating /boot/initrd.img-$K2" "$_tr" | head -n 1 | cut -d : -f 1)
    _o=$(grep -n "ade-unlock-install: $K2: /boot/initrd.img-$K2" "$_tr" | tail -n 1 | cut -d : -f 1)
    if [ -z "$_d" ] || [ -z "$_o" ] || [ "$_d" -ge "$_o" ]; then
        echo "the hooks did not run in order (initramfs-tools', then ours)"
        return 1
    fi
    has_module "/boot/initrd.img-$K2" || return 1
    inst_in --check --kernel "$K2"
}

c_it_qemu_boot() { boot_image initramfs-tools; }

c_it_postinst_rebuilds() {
    # An image without ade-unlock (the one from before the install): the
    # kernel hook, run last, rebuilds it.
    cp "$T_ROOT/boot/initrd.img-$K1.ade-bak" "$T_ROOT/boot/initrd.img-$K1"
    t_in "$T_ROOT" /etc/kernel/postinst.d/zz-ade-unlock "$K1" "/boot/vmlinuz-$K1" \
        > "$T_BUILD/run/hook.log" 2>&1
    _rc=$?
    cat "$T_BUILD/run/hook.log"
    [ "$_rc" -eq 0 ] &&
        expect_msg "$T_BUILD/run/hook.log" "$K1: rebuilding /boot/initrd.img-$K1: it lacks /usr/sbin/ade-unlock" &&
        expect_msg "$T_BUILD/run/hook.log" "$K1: /boot/initrd.img-$K1 replaced" &&
        has_module "/boot/initrd.img-$K1"
}

c_it_uninstall() {
    inst --uninstall > "$T_BUILD/run/uninstall.log" 2>&1
    _rc=$?
    cat "$T_BUILD/run/uninstall.log"
    [ "$_rc" -eq 0 ] || return 1
    for _k in "$T_ROOT"/lib/modules/*; do
        _k=${_k##*/}
        [ -f "$T_ROOT/boot/initrd.img-$_k" ] || continue
        if has_module "/boot/initrd.img-$_k" ||
            lsi "/boot/initrd.img-$_k" | grep -q 'scripts/init-premount/ade-unlock'; then
            echo "/boot/initrd.img-$_k still has ade-unlock"
            return 1
        fi
        echo "/boot/initrd.img-$_k: no ade-unlock"
    done
    [ -f "$T_ROOT/etc/ade-unlock/kek.jwk" ] || {
        echo "the operator's /etc/ade-unlock/kek.jwk was removed"
        return 1
    }
    _left=$(cd "$T_ROOT" && find . -xdev \( -path ./proc -o -path ./sys -o -path ./dev \) -prune -o \
        \( -name '*ade-unlock*' -o -name '*.ade-bak' -o -name '*.ade-new' -o -name '*.ade-tmp' \) -print |
        grep -vx './etc/ade-unlock')
    if [ -n "$_left" ]; then
        echo "left behind:"
        echo "$_left"
        return 1
    fi
    # A later update-initramfs (ADE's) builds without it too.
    t_in "$T_ROOT" update-initramfs -u -k "$K1" > "$T_BUILD/run/update2.log" 2>&1 || {
        cat "$T_BUILD/run/update2.log"
        return 1
    }
    if has_module "/boot/initrd.img-$K1"; then
        echo "update-initramfs after --uninstall put ade-unlock back"
        return 1
    fi
    echo "no file named *ade-unlock*, *.ade-bak, *.ade-new or *.ade-tmp is left; update-initramfs builds without it"
}

# ---- main ------------------------------------------------------------------------------
host_deps
# Loop devices a killed earlier run left attached (backed by files of ours).
losetup -l -n -O NAME,BACK-FILE 2> /dev/null | awk -v b="$T_BUILD/" 'index($2, b) == 1 { print $1 }' |
    while read -r _l; do losetup -d "$_l" 2> /dev/null && t_log "detached $_l (left by an earlier run)"; done
[ -x "$BIN" ] || t_die "no $BIN: run 'make unlock/ade-unlock' first"
mkdir -p "$T_LOGS"
start=$(date +%s)
t_pristine dracut
t_workroot run
# The installer, module and binary as they are now: the tree may change
# while the tests run (idempotence compares two runs of the same files).
SRC=$T_BUILD/run/src
mkdir -p "$SRC/hook" "$SRC/dracut-module" "$SRC/initramfs-tools" "$SRC/unlock"
if ! cp -a "$T_TOP/hook/." "$SRC/hook/" || ! cp -a "$T_TOP/dracut-module/." "$SRC/dracut-module/" ||
    ! cp -a "$T_TOP/initramfs-tools/." "$SRC/initramfs-tools/" ||
    ! cp -p "$BIN" "$SRC/unlock/ade-unlock"; then
    t_die "cannot copy the tree to $SRC"
fi
INSTALLER=$SRC/hook/ade-unlock-install
unset ADE_UNLOCK_BIN
K1=$T_K1VER
K2=$T_K2VER
scenario1
t_mount_api "$T_ROOT" || t_die "cannot mount proc/sys/dev in $T_ROOT"
LUN1=$(attach "$S_DIR/data0.img")
LUN2=$(attach "$S_DIR/data1.img")
azure_link scsi1/lun1 "$LUN1"
azure_link scsi1/lun2 "$LUN2"
vm_crypttab > "$T_ROOT/etc/crypttab"
DR_ROOT=$T_ROOT
t_log "inputs ready after $(($(date +%s) - start)) s (root $T_ROOT, kernels $K1 and $K2)"

all="conv-ade-data conv-systemd-style conv-not-ours-left-out conv-conf-key conv-detached-header
    conv-header-on-root conv-unresolvable conv-not-luks install dracut-follows-crypttab idempotent check-good lock-unprivileged
    rejected-config kernel-update kernel-install-plugin qemu-boot fault-dracut-killed
    fault-interrupted fault-disk-full fault-binary-missing fault-selfcheck fault-image-lacks-module
    fault-image-selfcheck check-broken postinst-rebuilds check-stale hostonly kernel-remove
    uninstall
    it-generator-refused it-install it-idempotent it-check-good it-update-initramfs
    it-generator-option it-kernel-update it-qemu-boot it-postinst-rebuilds it-uninstall"
cases=${*:-$all}
for c in $cases; do
    f=c_$(echo "$c" | tr - _)
    command -v "$f" > /dev/null 2>&1 || t_die "no case '$c' (cases: $(printf '%s' "$all" | tr -s ' \n' '  '))"
done
# The initramfs-tools chroot, when an it-* case runs: the same VM there.
IT_ROOT=
case " $(printf '%s' "$cases" | tr -s ' \n' '  ') " in
    *" it-"*)
        _t0=$(date +%s)
        t_pristine initramfs-tools
        t_workroot run-it
        IT_ROOT=$T_ROOT
        t_mount_api "$IT_ROOT" || t_die "cannot mount proc/sys/dev in $IT_ROOT"
        azure_link scsi1/lun1 "$LUN1"
        azure_link scsi1/lun2 "$LUN2"
        vm_crypttab > "$IT_ROOT/etc/crypttab"
        t_log "initramfs-tools root ready after $(($(date +%s) - _t0)) s ($IT_ROOT)"
        ;;
esac
for c in $cases; do
    f=c_$(echo "$c" | tr - _)
    case "$c" in
        it-*) T_ROOT=$IT_ROOT ;;
        *) T_ROOT=$DR_ROOT ;;
    esac
    tcase "$c" "$f"
done

t_log "installer tests took $(($(date +%s) - start)) s"
[ -n "$failures" ] && echo "failed:$failures"
if [ "$skipped" -gt 0 ]; then
    echo "$passed passed, $failed failed, $skipped skipped"
else
    echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
