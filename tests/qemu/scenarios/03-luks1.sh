# SPDX-License-Identifier: MIT
# Scenario 3: a LUKS1 root (and a LUKS1 data disk, as ADE made them), root
# given as root=UUID= of the opened filesystem.
# shellcheck shell=sh disable=SC2034,SC1091  # variables read by run.sh; ./vars written here

scn_title="LUKS1 root + LUKS1 data disk"
FS_ROOT=0a0e0003-0000-4000-8000-000000000001

scn_build() {
    s_rootfs root.img root-03 "$FS_ROOT"
    s_datafs data0.img data0-03 0a0e0003-0000-4000-8000-0000000000d0
    # One passphrase in every file, as ADE writes them.
    s_key LinuxPassPhraseFileName
    cp keys/LinuxPassPhraseFileName keys/LinuxPassPhraseFileName_1_0
    q_encrypt_inplace root.img keys/LinuxPassPhraseFileName luks1
    q_encrypt_inplace data0.img keys/LinuxPassPhraseFileName_1_0 luks1
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
}

scn_boot() {
    scn_disks="blk:root.img scsi:bek.img:0:Msft:Virtual_Disk scsi:data0.img:1"
    scn_cmdline="root=UUID=$FS_ROOT"
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
