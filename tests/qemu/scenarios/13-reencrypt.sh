# SPDX-License-Identifier: MIT
# Scenario 13: a LUKS2 root still in online reencryption, as ADE leaves the OS
# disk at its first boot after encryption (encryption initialised, not run).
# shellcheck shell=sh disable=SC2034,SC1091  # variables read by run.sh; ./vars written here

scn_title="LUKS2 root in online reencryption (ADE's first boot)"
FS_ROOT=0a0e000d-0000-4000-8000-000000000001

scn_build() {
    s_rootfs root.img root-13 "$FS_ROOT"
    s_key LinuxPassPhraseFileName
    truncate -s +32M root.img
    # shellcheck disable=SC2086  # option list
    cryptsetup reencrypt --encrypt --init-only --type luks2 --reduce-device-size 32M \
        $Q_PBKDF --key-file keys/LinuxPassPhraseFileName --batch-mode root.img
    cryptsetup luksDump root.img | grep -q 'online-reencrypt' ||
        q_die "root.img is not in reencryption"
    q_mkbek bek.img 2048 keys/*
    s_var L_ROOT "$(q_luks_uuid root.img)"
    . ./vars
    s_overlay etc/crypttab << EOF2
root    UUID=$L_ROOT    none    luks
EOF2
    s_overlay etc/ade-unlock.conf << 'EOF2'
key.root = LinuxPassPhraseFileName
EOF2
}

scn_boot() {
    scn_disks="blk:root.img scsi:bek.img:0:Msft:Virtual_Disk"
    scn_cmdline="root=UUID=$FS_ROOT"
    root=root
    s_luks_cmdline "$1" "$2" "$L_ROOT:LinuxPassPhraseFileName"
    [ "$1" = stock ] && root=luks-$L_ROOT
    scn_expect="ADE-GUEST: mount: /dev/(mapper/$root|dm-[0-9]+) on / type ext4
ADE-GUEST: root: holds 'root-13'
ADE-GUEST: luks: vda reencryption pending"
    [ "$1" = ours ] && scn_expect="$scn_expect
$(e_opened root)"
}
