# SPDX-License-Identifier: MIT
# Scenario 4: detached LUKS2 headers: the root's header is a file inside the
# initramfs; a data disk's header lives on another disk's filesystem
# (header=PATH:DEVICE). Root given as root=/dev/mapper/root.
# shellcheck shell=sh disable=SC2034,SC1091  # variables read by run.sh; ./vars written here

scn_title="root with a detached header (in the initramfs; and PATH:DEVICE)"
scn_modes=ours
FS_ROOT=0a0e0004-0000-4000-8000-000000000001
FS_HDR=0a0e0004-0000-4000-8000-0000000000ee

# Small detached headers (the initramfs carries one).
HDR_OPTS="--luks2-metadata-size 16k --luks2-keyslots-size 512k"

scn_build() {
    s_rootfs root.img root-04 "$FS_ROOT"
    s_datafs data0.img data0-04 0a0e0004-0000-4000-8000-0000000000d0
    s_key LinuxPassPhraseFileName
    s_key LinuxPassPhraseFileName_1_0
    # shellcheck disable=SC2086  # option lists
    cryptsetup reencrypt --encrypt --type luks2 --header root.hdr $HDR_OPTS $Q_PBKDF \
        --key-file keys/LinuxPassPhraseFileName --batch-mode root.img
    # shellcheck disable=SC2086
    cryptsetup reencrypt --encrypt --type luks2 --header data0.hdr $HDR_OPTS $Q_PBKDF \
        --key-file keys/LinuxPassPhraseFileName_1_0 --batch-mode data0.img
    mkdir -p hdrdir/luks
    cp data0.hdr hdrdir/luks/data0.hdr
    q_mkext4 hdrdisk.img 8 hdrdir "$FS_HDR" headers
    q_mkbek bek.img 2048 keys/*
    mkdir -p overlay/etc/luks
    cp root.hdr overlay/etc/luks/root.hdr
    # The data devices carry no signature: named by their virtio serial.
    s_overlay etc/crypttab << EOF2
root    /dev/disk/by-id/virtio-ade-d0   none    luks,header=/etc/luks/root.hdr
data0   /dev/disk/by-id/virtio-ade-d3   none    luks,nofail,header=/luks/data0.hdr:UUID=$FS_HDR
EOF2
    s_overlay etc/ade-unlock.conf << 'EOF2'
key.root = LinuxPassPhraseFileName
key.data0 = LinuxPassPhraseFileName_1_0
EOF2
}

scn_boot() {
    scn_disks="blk:root.img scsi:bek.img:0:Msft:Virtual_Disk blk:hdrdisk.img blk:data0.img"
    scn_cmdline="root=/dev/mapper/root"
    scn_expect="$(e_opened root)
$(e_opened data0)
ADE-GUEST: mount: /dev/mapper/root on / type ext4
ADE-GUEST: root: holds 'root-04'
ADE-GUEST: dm: dm-[0-9]+ name=root uuid=CRYPT-LUKS2-.* on=vda
ADE-GUEST: data: data0 holds 'data0-04'"
}
