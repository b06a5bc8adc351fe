# SPDX-License-Identifier: MIT
# Scenario 7: the BEK volume attached late: the boot starts without it, and
# the harness hot-plugs it through QMP (blockdev-add + device_add scsi-hd)
# several seconds after ade-unlock has started waiting; ade-unlock finds it,
# opens everything, and its "found on ... after N s" shows the wait.
# shellcheck shell=sh disable=SC2034,SC1091  # variables read by run.sh; ./vars written here

scn_title="BEK volume hot-plugged late through QMP: ade-unlock waits, then opens all"
scn_modes=ours
FS_ROOT=0a0e0007-0000-4000-8000-000000000001

scn_build() {
    s_key LinuxPassPhraseFileName
    s_key LinuxPassPhraseFileName_1_0
    s_pair 07 0a0e0007-0000-4000-8000-0000000000d0 \
        keys/LinuxPassPhraseFileName keys/LinuxPassPhraseFileName_1_0
    q_mkbek bek.img 2048 keys/*
}

scn_boot() {
    # The BEK disk is not on the command line: hot-plugged at LUN 0 below.
    scn_disks="blk:root.img scsi:data0.img:1"
    scn_cmdline="root=UUID=$FS_ROOT rd.ade.timeout=120"
    if [ "$2" = shell ]; then
        scn_cmdline="$scn_cmdline rd.luks.uuid=luks-$L_ROOT rd.luks.uuid=luks-$L_D0"
        # dracut's shell init runs ade-unlock once udev has settled, a few
        # seconds after udevd starts (it prints nothing before the volume).
        trigger='Starting systemd-udevd'
        delay=14
    else
        trigger='Starting ade-unlock'
        delay=8
    fi
    # _run: this boot's folder (run.sh), where the QMP socket will be.
    q_hotplug_scsi "${_run:?}" "$PWD/bek.img" 0 Msft Virtual_Disk "$trigger" "$delay"
    scn_expect="scsi [0-9]+:0:0:0: Direct-Access +Msft +Virtual_Disk
ade-unlock: BEK VOLUME: found on sd[a-z]+ after ([1-9]|[1-9][0-9]+)\\.[0-9] s \\(checked
$(e_opened root)
$(e_opened data0)
ade-unlock: summary: all devices handled in .*; exit 0
ADE-GUEST: mount: /dev/(mapper/root|dm-[0-9]+) on / type ext4
ADE-GUEST: root: holds 'root-07'
ADE-GUEST: data: data0 holds 'data0-07'"
}
