# SPDX-License-Identifier: MIT
# Scenario 1: a LUKS2 root and two LUKS2 data disks named in crypttab, each
# keyed by its own file on the BEK volume; root given as root=UUID=.
# shellcheck shell=sh disable=SC2034,SC1091  # variables read by run.sh; ./vars written here

scn_title="LUKS2 root + two LUKS2 data disks from crypttab"
FS_ROOT=0a0e0001-0000-4000-8000-000000000001

scn_build() {
    s_key LinuxPassPhraseFileName
    s_key LinuxPassPhraseFileName_1_0
    s_key LinuxPassPhraseFileName_1_1
    s_pair 01 0a0e0001-0000-4000-8000-0000000000d0 \
        keys/LinuxPassPhraseFileName keys/LinuxPassPhraseFileName_1_0
    s_data data1 01 0a0e0001-0000-4000-8000-0000000000d1 keys/LinuxPassPhraseFileName_1_1 \
        L_D1 luks,nofail LinuxPassPhraseFileName_1_1
    q_mkbek bek.img 2048 keys/*
}

# Sets scn_cmdline, scn_disks and scn_expect (EREs, one a line) for MODE KIND.
scn_boot() {
    scn_disks="blk:root.img scsi:bek.img:0:Msft:Virtual_Disk scsi:data0.img:1 scsi:data1.img:2"
    scn_cmdline="root=UUID=$FS_ROOT"
    case "$1/$2" in
        ours/shell | stock/systemd)
            s_luks_cmdline "$1" "$2" "$L_ROOT:LinuxPassPhraseFileName" \
                "$L_D0:LinuxPassPhraseFileName_1_0" "$L_D1:LinuxPassPhraseFileName_1_1"
            ;;
        stock/shell)
            # Its probe-keydev job is unique per key device: one key file
            # serves every disk (scenarios 3, 5: ADE's one passphrase).
            scn_skip="stock dracut's shell init reads one key file per key device; here each disk has its own"
            ;;
    esac
    if [ "$1" = ours ]; then
        root=root d0=data0 d1=data1
        scn_expect="$(e_opened root)
$(e_opened data0)
$(e_opened data1)"
    else
        root=luks-$L_ROOT d0=luks-$L_D0 d1=luks-$L_D1
        scn_expect=
    fi
    scn_expect="$scn_expect
ADE-GUEST: mount: /dev/(mapper/$root|dm-[0-9]+) on / type ext4
ADE-GUEST: root: holds 'root-01'
ADE-GUEST: mapper: $d0\$
ADE-GUEST: mapper: $d1\$
ADE-GUEST: data: $d0 holds 'data0-01'
ADE-GUEST: data: $d1 holds 'data1-01'
ADE-GUEST: by-uuid: $FS_ROOT -> ../../dm-"
}
