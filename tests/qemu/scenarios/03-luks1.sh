# SPDX-License-Identifier: MIT
# Scenario 3: a LUKS1 root (and a LUKS1 data disk, as ADE made them), root
# given as root=UUID= of the opened filesystem.
# shellcheck shell=sh disable=SC2034,SC1091  # variables read by run.sh; ./vars written here

scn_title="LUKS1 root + LUKS1 data disk"
FS_ROOT=0a0e0003-0000-4000-8000-000000000001

scn_build() {
    # One passphrase in every file, as ADE writes them.
    s_key LinuxPassPhraseFileName
    cp keys/LinuxPassPhraseFileName keys/LinuxPassPhraseFileName_1_0
    s_pair 03 0a0e0003-0000-4000-8000-0000000000d0 \
        keys/LinuxPassPhraseFileName keys/LinuxPassPhraseFileName_1_0 luks1
    q_mkbek bek.img 2048 keys/*
}

scn_boot() {
    scn_disks="blk:root.img scsi:bek.img:0:Msft:Virtual_Disk scsi:data0.img:1"
    scn_cmdline="root=UUID=$FS_ROOT"
    s_luks_cmdline "$1" "$2" "$L_ROOT:LinuxPassPhraseFileName" "$L_D0:LinuxPassPhraseFileName_1_0"
    root=root d0=data0
    [ "$1" = stock ] && root=luks-$L_ROOT d0=luks-$L_D0
    scn_expect="ADE-GUEST: mount: /dev/(mapper/$root|dm-[0-9]+) on / type ext4
ADE-GUEST: root: holds 'root-03'
ADE-GUEST: dm: dm-[0-9]+ name=$root uuid=CRYPT-LUKS1-
ADE-GUEST: data: $d0 holds 'data0-03'"
    [ "$1" = ours ] && scn_expect="$scn_expect
ade-unlock: root( \\(.*\\))?: opened as /dev/mapper/root .*LUKS1
ade-unlock: data0( \\(.*\\))?: opened as /dev/mapper/data0 .*LUKS1"
}
