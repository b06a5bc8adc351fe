# SPDX-License-Identifier: MIT
# Scenario 17: an online encryption interrupted mid-step, then recovered by
# ade-unlock at the next boot, against the real header. ADE's way: the disk
# initialised for encryption (reencrypt --encrypt --init-only), the encryption
# resumed in the booted system (--resilience journal for a detached header,
# the header's datashift for an attached one, as ADE does). Three boots on disks
# that keep what the guest wrote (blkw:):
#   crash:   ade-unlock opens the disk; the guest resumes the encryption and,
#            once the header shows a step in flight (a hotzone "in-reencryption"),
#            stops cryptsetup there and kills it (SIGKILL: variants kill-*) or
#            has the harness cut the power (QMP quit: variants quit-*);
#   recover: ade-unlock opens the disk, which recovers the step; the guest
#            checks that the header it reads now (on /boot, where ADE keeps it)
#            is no longer "crashed", checks the data written before, writes 8
#            MiB of known data and resumes the encryption to its end;
#   verify:  ade-unlock opens the finished disk; the guest checks the header
#            (no reencryption left), the filesystem (e2fsck -n) and every
#            checksum.
# Header attached (variants *-attached, ADE's data disks) or detached on an
# ext4 boot disk (*-detached, ADE's OS disk: /boot/luks/osluksheader).
# A recovery written to a copy of a detached header (what ade-unlock did before)
# leaves the header on /boot "crashed": the recover step fails there.
# shellcheck shell=sh disable=SC2034,SC1091,SC2154  # variables read and set (scn_variant, scn_step) by run.sh; ./vars written here

scn_title="online encryption killed mid-step: recovered at boot on the real header, resumed, verified"
scn_variants="kill-attached kill-detached quit-attached quit-detached"
# make test boots the diagonal of the matrix (both headers, both ways to
# crash, both kinds); make qemu-test (run.sh --long) all four.
scn_long="kill-attached quit-detached"
scn_steps="crash recover verify"
scn_modes=ours
FS_ROOT=0a0e0011-0000-4000-8000-000000000001
FS_DATA=0a0e0011-0000-4000-8000-0000000000d0
FS_BOOT=0a0e0011-0000-4000-8000-0000000000b0

scn_build() {
    s_rootfs root.img root-17 "$FS_ROOT"
    s_key LinuxPassPhraseFileName_1_0
    # The data filesystem: 16 MiB of random data written before encryption.
    rm -rf datadir tools
    mkdir -p datadir tools
    printf 'crdata-17\n' > datadir/ADE-DISK
    head -c 16M /dev/urandom > datadir/before.bin
    (cd datadir && sha256sum before.bin) > tools/before.sha
    q_mkext4 crdata.img 48 datadir "$FS_DATA" crdata
    rm -rf datadir
    cp keys/LinuxPassPhraseFileName_1_0 tools/key
    case "$scn_variant" in
        *-detached)
            truncate -s 16M crdata.hdr
            # shellcheck disable=SC2086  # option list
            cryptsetup reencrypt --encrypt --init-only --type luks2 --header crdata.hdr \
                $Q_PBKDF --key-file keys/LinuxPassPhraseFileName_1_0 --batch-mode crdata.img ||
                q_die "reencrypt --init-only"
            mkdir -p bootdir/luks
            mv crdata.hdr bootdir/luks/crdata.hdr
            q_mkext4 boot.img 40 bootdir "$FS_BOOT" boot
            rm -rf bootdir
            : > tools/detached
            # No signature on the data disk: named by its virtio serial.
            s_entry crdata /dev/disk/by-id/virtio-ade-d1 "luks,header=/luks/crdata.hdr:UUID=$FS_BOOT" \
                LinuxPassPhraseFileName_1_0
            ;;
        *)
            truncate -s +32M crdata.img
            # shellcheck disable=SC2086  # option list
            cryptsetup reencrypt --encrypt --init-only --type luks2 --reduce-device-size 32M \
                $Q_PBKDF --key-file keys/LinuxPassPhraseFileName_1_0 --batch-mode crdata.img ||
                q_die "reencrypt --init-only"
            s_entry crdata "UUID=$(q_luks_uuid crdata.img)" luks LinuxPassPhraseFileName_1_0
            ;;
    esac
    cat > tools/run << 'EOF2'
#!/bin/sh
# The guest's part (guest-init runs it with the tools disk at /tmp/tools).
T=/tmp/tools
PATH=$T/bin:$PATH
# No udev in this busybox root: libdevmapper makes its nodes itself.
export DM_DISABLE_UDEV=1
say() { echo "ADE-GUEST: run: $*"; }
step=
read -r cmdline < /proc/cmdline
for a in $cmdline; do
    case "$a" in adeguest.step=*) step=${a#*=} ;; esac
done
if [ -e $T/detached ]; then
    # ADE's /boot: the boot disk (vdd), the header file on it.
    mkdir -p /tmp/boot
    mount /dev/vdd /tmp/boot || say "cannot mount /boot"
    HDR=/tmp/boot/luks/crdata.hdr
    # ADE resumes a detached-header disk with --resilience journal.
    set -- --header "$HDR" --resilience journal
else
    # Attached (--reduce-device-size): ADE resumes with the header's own
    # resilience, datashift (the data moved by 32 MiB as it is encrypted).
    HDR=/dev/vdb
    set --
fi
# crashed: a step in flight; encrypting: between steps; encrypted: done.
state() {
    # --disable-locks: cryptsetup may be stopped holding the metadata lock.
    cryptsetup --disable-locks luksDump "$HDR" > /tmp/dump 2>&1 || { echo "unreadable"; return; }
    if grep -q 'in-reencryption' /tmp/dump; then
        echo crashed
    elif grep -q 'online-reencrypt' /tmp/dump; then
        echo encrypting
    else
        echo encrypted
    fi
}
say "step $step: header $(state)"
case "$step" in
    crash)
        # Resume as ADE does, and catch cryptsetup with a step in flight:
        # stopped (SIGSTOP) there, the header read again to be sure.
        cryptsetup reencrypt --resume-only --active-name crdata "$@" \
            --key-file $T/key > /tmp/resume.log 2>&1 &
        pid=$!
        caught=
        n=0
        while [ -z "$caught" ] && [ "$n" -lt 600 ] && kill -0 "$pid" 2> /dev/null; do
            if [ "$(state)" = crashed ]; then
                kill -STOP "$pid"
                if [ "$(state)" = crashed ]; then
                    caught=1
                else
                    kill -CONT "$pid"
                fi
            fi
            n=$((n + 1))
        done
        if [ -z "$caught" ]; then
            say "never caught a step in flight ($(state)); cryptsetup: $(tail -n 1 /tmp/resume.log)"
        elif [ -e $T/quit ]; then
            # The harness cuts the power now (QMP quit), cryptsetup stopped.
            sync
            say "caught a step in flight: cut the power"
            sleep 60
        else
            kill -KILL "$pid"
            wait "$pid" 2> /dev/null
            say "caught a step in flight: cryptsetup killed; header $(state)"
        fi
        ;;
    recover)
        mkdir -p /tmp/cr
        mount /dev/mapper/crdata /tmp/cr || say "cannot mount crdata"
        (cd /tmp/cr && sha256sum -c $T/before.sha > /dev/null 2>&1) && say "before.bin intact"
        head -c 8M /dev/urandom > /tmp/cr/after.bin
        (cd /tmp/cr && sha256sum after.bin) > $T/after.sha
        sync
        # ADE resumes with the filesystem in use.
        if cryptsetup reencrypt --resume-only --active-name crdata "$@" \
            --key-file $T/key > /tmp/resume.log 2>&1; then
            say "encryption resumed to its end: header $(state)"
        else
            say "resume failed: $(tail -n 2 /tmp/resume.log | tr '\n' ' ')"
        fi
        umount /tmp/cr
        ;;
    verify)
        if e2fsck -n /dev/mapper/crdata > /tmp/fsck.log 2>&1; then
            say "e2fsck -n: clean"
        else
            say "e2fsck -n: $(tail -n 3 /tmp/fsck.log | tr '\n' ' ')"
        fi
        mkdir -p /tmp/cr
        mount -o ro /dev/mapper/crdata /tmp/cr || say "cannot mount crdata"
        (cd /tmp/cr && sha256sum -c $T/before.sha $T/after.sha > /tmp/sums 2>&1) &&
            say "every checksum matches ($(wc -l < /tmp/sums) files)"
        umount /tmp/cr
        ;;
esac
[ -e $T/detached ] && umount /tmp/boot
EOF2
    case "$scn_variant" in quit-*) : > tools/quit ;; esac
    s_tools tools.img 48 tools cryptsetup e2fsck
    rm -rf tools
    q_mkbek bek.img 2048 keys/*
}

scn_boot() {
    scn_disks="blk:root.img blkw:crdata.img blkw:tools.img"
    case "$scn_variant" in *-detached) scn_disks="$scn_disks blkw:boot.img" ;; esac
    scn_disks="$scn_disks scsi:bek.img:0:Msft:Virtual_Disk"
    scn_cmdline="root=UUID=$FS_ROOT adeguest.run=vdc adeguest.step=$scn_step"
    # Encrypting 48 MiB under TCG, besides the boot.
    scn_timeout=400
    scn_expect="$(e_opened crdata)
ADE-GUEST: mount: /dev/vda on / type ext4"
    case "$scn_variant" in
        *-detached) where="against the real header '/luks/crdata.hdr' on vdd \\(mounted read-write for this step\\)" ;;
        *) where="opening it now recovers it on the device's own header" ;;
    esac
    case "$scn_step" in
        crash)
            scn_expect="$scn_expect
ADE-GUEST: run: step crash: header encrypting"
            case "$scn_variant" in
                quit-*)
                    scn_cut=1
                    # _run: this boot's folder (run.sh), where the QMP socket will be.
                    # (This subshell's own: the watcher waits as long as the boot.)
                    Q_BOOT_TIMEOUT=$scn_timeout
                    q_qmp_on "${_run:?}" 'ADE-GUEST: run: caught a step in flight: cut the power' 1 \
                        quit.log '{"execute":"quit"}'
                    scn_expect="$scn_expect
ADE-GUEST: run: caught a step in flight: cut the power"
                    ;;
                *)
                    scn_expect="$scn_expect
ADE-GUEST: run: caught a step in flight: cryptsetup killed; header crashed"
                    ;;
            esac
            ;;
        recover)
            scn_expect="$scn_expect
ade-unlock: crdata: its reencryption was interrupted: .*$where
ADE-GUEST: run: step recover: header encrypting
ADE-GUEST: run: before.bin intact
ADE-GUEST: run: encryption resumed to its end: header encrypted"
            case "$scn_variant" in
                *-detached) scn_expect="$scn_expect
ade-unlock: crdata: reencryption recovered; the header '/luks/crdata.hdr' written back and vdd unmounted" ;;
            esac
            ;;
        verify)
            scn_expect="$scn_expect
ADE-GUEST: run: step verify: header encrypted
ADE-GUEST: run: e2fsck -n: clean
ADE-GUEST: run: every checksum matches \\(2 files\\)"
            ;;
    esac
}
