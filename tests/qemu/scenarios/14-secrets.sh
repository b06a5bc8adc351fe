# SPDX-License-Identifier: MIT
# Scenario 14: secrets, measured on a real guest. A LUKS2 root and data disk
# keyed by ADE's 172-character passphrase on the BEK volume. Probes in the
# initramfs (both modes): from pre-udev on, a sampler copies every process's
# /proc/PID/cmdline and environ ten times a second; at pre-pivot a hook
# writes those samples, the processes' cmdline and environ then, and every
# file left in /run to a scratch disk. The guest holds seconds after
# ade-unlock exited (shell kind: in that hook; systemd kind: in an
# ExecStartPost= of ade-unlock.service) and the harness dumps its memory
# through QMP (dump-guest-memory); after switch_root the guest holds again
# (adeguest.hold) for a second dump. The host counts the passphrase in all:
#   ade-unlock: 0 in memory, 0 in cmdline/environ//run, or the boot fails;
#   stock dracut (crypt module, rd.luks.key on the BEK volume): a figure.
# shellcheck shell=sh disable=SC2034,SC1091  # variables read by run.sh; ./vars written here

scn_title="secrets: the passphrase counted in guest memory, /proc and /run"
FS_ROOT=0a0e000e-0000-4000-8000-000000000001

scn_build() {
    s_rootfs root.img root-14 "$FS_ROOT"
    s_datafs data0.img data0-14 0a0e000e-0000-4000-8000-0000000000d0
    # One passphrase in every file, as ADE writes them (stock's shell init
    # can then use it too).
    s_key LinuxPassPhraseFileName
    cp keys/LinuxPassPhraseFileName keys/LinuxPassPhraseFileName_1_0
    q_encrypt_inplace root.img keys/LinuxPassPhraseFileName
    q_encrypt_inplace data0.img keys/LinuxPassPhraseFileName_1_0
    q_mkbek bek.img 2048 keys/*
    s_var L_ROOT "$(q_luks_uuid root.img)"
    s_var L_D0 "$(q_luks_uuid data0.img)"
    . ./vars
    s_overlay etc/crypttab << EOF2
root    UUID=$L_ROOT    none    luks
data0   UUID=$L_D0      none    luks,nofail
EOF2
    s_overlay etc/ade-unlock.conf << 'EOF2'
key.root = LinuxPassPhraseFileName
key.data0 = LinuxPassPhraseFileName_1_0
EOF2
    # Systemd kind: hold as soon as ade-unlock has exited, for the first dump
    # (a busy systemd initramfs soon reuses the pages ade-unlock freed, and
    # a copy it failed to wipe would be gone before pre-pivot).
    s_overlay etc/systemd/system/ade-unlock.service.d/probe-hold.conf << 'EOF2'
[Service]
ExecStartPost=/bin/sh -c 'echo "ade-probe: unlock done; holding 8 s for a memory dump" > /dev/kmsg; sleep 8'
EOF2
    s_overlay_all usr/lib/ade-probe/sample.sh << 'EOF2'
#!/bin/sh
# Copies every process's cmdline and environ to /run/ade-probe/samples ten
# times a second until the pre-pivot hook says stop (or after 2 minutes).
mkdir -p /run/ade-probe
n=0
while [ ! -e /run/ade-probe/stop ] && [ "$n" -lt 1200 ]; do
    # One cat for all (a fork per process is slow under TCG).
    cat /proc/[0-9]*/cmdline /proc/[0-9]*/environ >> /run/ade-probe/samples 2> /dev/null
    n=$((n + 1))
    echo "$n" > /run/ade-probe/count
    sleep 0.1
done
EOF2
    s_overlay_all usr/lib/dracut/hooks/pre-udev/00-ade-probe.sh << 'EOF2'
#!/bin/sh
# Starts the sampler (it outlives this hook: KillMode=process in systemd).
setsid /bin/sh /usr/lib/ade-probe/sample.sh < /dev/null > /dev/null 2>&1 &
EOF2
    s_overlay_all usr/lib/dracut/hooks/pre-pivot/99-ade-probe.sh << 'EOF2'
#!/bin/sh
# Sourced by dracut: writes what the initramfs holds to the scratch disk
# (virtio-blk serial ade-d1): every file left in /run, every process's
# cmdline and environ now, the sampler's copies.
: > /run/ade-probe/stop
sleep 0.3
ade_probe_walk() {
    for ade_probe_f in "$1"/* "$1"/.[!.]*; do
        [ -L "$ade_probe_f" ] && continue
        if [ -d "$ade_probe_f" ]; then
            ade_probe_walk "$ade_probe_f"
        elif [ -f "$ade_probe_f" ] && [ "$ade_probe_f" != /run/ade-probe/samples ]; then
            echo "FILE $ade_probe_f"
            cat "$ade_probe_f" 2> /dev/null
            echo
        fi
    done
}
ade_probe_dev=
for ade_probe_b in /sys/block/vd*; do
    [ "$(cat "$ade_probe_b/serial" 2> /dev/null)" = ade-d1 ] && ade_probe_dev=/dev/${ade_probe_b##*/}
done
if [ -n "$ade_probe_dev" ] && [ -b "$ade_probe_dev" ]; then
    {
        echo "ADE-PROBE-BEGIN"
        ade_probe_walk /run
        echo "ADE-PROBE-PROC"
        for ade_probe_p in /proc/[0-9]*; do
            cat "$ade_probe_p/cmdline" "$ade_probe_p/environ" 2> /dev/null
            echo
        done
        echo "ADE-PROBE-SAMPLES $(cat /run/ade-probe/count 2> /dev/null)"
        cat /run/ade-probe/samples 2> /dev/null
        echo "ADE-PROBE-END"
    } > "$ade_probe_dev"
    echo "ade-probe: /run, /proc and $(cat /run/ade-probe/count 2> /dev/null) samples written to $ade_probe_dev" > /dev/kmsg
else
    echo "ade-probe: no scratch disk" > /dev/kmsg
fi
# Shell kind: the harness dumps the memory of the initramfs here (before
# switch_root frees it), seconds after ade-unlock's exit. (ade-unlock's
# systemd kind holds right after ade-unlock.service's run instead: its
# drop-in; stock's systemd kind holds here, after its cryptsetup units.)
if [ -z "${DRACUT_SYSTEMD:-}" ] || [ ! -e /usr/lib/systemd/system/ade-unlock.service ]; then
    echo "ade-probe: unlock done; holding 8 s for a memory dump" > /dev/kmsg
    sleep 8
fi
EOF2
    chmod 0755 overlay-all/usr/lib/ade-probe/sample.sh overlay-all/usr/lib/dracut/hooks/*/*.sh
}

scn_boot() {
    scn_disks="blk:root.img blkrw:scratch.img scsi:bek.img:0:Msft:Virtual_Disk scsi:data0.img:1"
    # init_on_alloc=0 (Debian's kernel zeroes every page it hands out): the
    # pages a process freed keep their bytes until overwritten, the harder
    # case for a copy that was not wiped.
    scn_cmdline="root=UUID=$FS_ROOT adeguest.hold=15 init_on_alloc=0"
    case "$1/$2" in
        ours/shell) scn_cmdline="$scn_cmdline rd.luks.uuid=luks-$L_ROOT rd.luks.uuid=luks-$L_D0" ;;
        stock/systemd)
            scn_cmdline="$scn_cmdline rd.luks.uuid=$L_ROOT rd.luks.uuid=$L_D0"
            scn_cmdline="$scn_cmdline \"rd.luks.key=$L_ROOT=/LinuxPassPhraseFileName:LABEL=BEK VOLUME\""
            scn_cmdline="$scn_cmdline \"rd.luks.key=$L_D0=/LinuxPassPhraseFileName_1_0:LABEL=BEK VOLUME\""
            ;;
        stock/shell)
            scn_cmdline="$scn_cmdline rd.luks.uuid=luks-$L_ROOT rd.luks.uuid=luks-$L_D0"
            scn_cmdline="$scn_cmdline rd.luks.key=/LinuxPassPhraseFileName:LABEL=BEK_VOLUME"
            ;;
    esac
    # _run: this boot's folder (run.sh), where the QMP socket will be.
    # Two dumps: in the initramfs at pre-pivot, and after switch_root.
    q_dump_on "${_run:?}" 'ade-probe: unlock done; holding' "$_run/mem-initramfs.dump"
    q_dump_on "$_run" 'ADE-GUEST: holding' "$_run/mem.dump"
    root=root d0=data0
    [ "$1" = stock ] && root=luks-$L_ROOT d0=luks-$L_D0
    scn_expect="ade-probe: /run, /proc and [1-9][0-9]* samples written to /dev/vdb
ADE-GUEST: mount: /dev/(mapper/$root|dm-[0-9]+) on / type ext4
ADE-GUEST: root: holds 'root-14'
ADE-GUEST: data: $d0 holds 'data0-14'
ADE-GUEST: holding"
    [ "$1" = ours ] && scn_expect="$scn_expect
$(e_opened root)
$(e_opened data0)"
}

# After the boot: count the passphrase in the dumps and on the scratch disk.
scn_check() {
    _r=$1
    _key=keys/LinuxPassPhraseFileName
    # The dumps are the guest's memory: they hold the kernel command line.
    printf 'root=UUID=%s adeguest.hold=15 init_on_alloc=0' "$FS_ROOT" > "$_r/cmdline.needle"
    _mems=
    for _d in mem-initramfs mem; do
        if [ ! -s "$_r/$_d.dump" ]; then
            echo "no memory dump $_d.dump: $(tail -n 1 "$_r/dump.log" 2> /dev/null)"
            return 0
        fi
        _c=$(q_count "$_r/$_d.dump" "$_key")
        _cl=$(q_count "$_r/$_d.dump" "$_r/cmdline.needle")
        [ "${_cl%% *}" -gt 0 ] || echo "$_d.dump does not hold the guest's command line: not its memory?"
        rm -f "$_r/$_d.dump"
        _mems="$_mems $_c"
        [ "$2" = ours ] && [ "$_c" != "0 0 0" ] &&
            echo "the passphrase is in guest memory ($_d.dump): $_c"
    done
    set -- "$@" $_mems
    _img=$_r/scratch.img
    _run_proc=$(q_count "$_img" "$_key")
    _samples=$(grep -ao 'ADE-PROBE-SAMPLES [0-9]*' "$_img" | cut -d ' ' -f 2)
    echo "figure: $2/$3: passphrase (whole, first 24, last 24 bytes) in guest memory seconds after ade-unlock ran: $4 $5 $6, after switch_root: $7 $8 $9; in /proc/*/cmdline+environ (${_samples:-0} samples) and /run: $_run_proc"
    # The probe must have worked, or its zero means nothing.
    grep -aq 'ADE-PROBE-END' "$_img" || echo "the probe's output is incomplete"
    grep -aq 'PATH=' "$_img" || echo "the probe holds no environment"
    [ "${_samples:-0}" -ge 5 ] || echo "the sampler took ${_samples:-0} samples"
    [ "$2" = ours ] || return 0
    grep -aq '^FILE /run/ade-unlock/status' "$_img" || echo "the probe did not see /run/ade-unlock/status"
    perl -e 'local $/; my $s = <STDIN>; exit(index($s, "/usr/sbin/ade-unlock\0--status") >= 0 ? 0 : 1)' < "$_img" ||
        echo "the sampler never saw ade-unlock running"
    [ "$_run_proc" = "0 0 0" ] || echo "the passphrase is in /proc/*/cmdline, environ or /run: $_run_proc"
}
