# SPDX-License-Identifier: MIT
# Scenario 6: Azure Disk Encryption's own layout (DESIGN 4.1): the OS disk's
# root partition encrypted in place with its LUKS2 header detached at
# /boot/luks/osluksheader on the ext4 boot partition, opened as osencrypt via
# rd.luks.ade.partuuid=/rd.luks.ade.bootuuid=; the BEK volume as the partition
# of a 48 MiB disk with ADE's files; data disks keyed by their _1_N files, one
# of them in the middle of a key rotation (old and new keyslots).
# shellcheck shell=sh disable=SC2034,SC1091  # variables read by run.sh; ./vars written here

scn_title="ADE layout: osencrypt via rd.luks.ade.*, BEK partition, rotated data disk"
scn_modes=ours
FS_ROOT=0a0e0006-0000-4000-8000-000000000001
FS_BOOT=0a0e0006-0000-4000-8000-0000000000b0
PART_BOOT=0a0e0006-0000-4000-8000-00000000b001
PART_ROOT=0a0e0006-0000-4000-8000-00000000b002

scn_build() {
    # ADE writes one passphrase into every file; the rotated disk's old one is
    # no longer on the BEK volume.
    s_key LinuxPassPhraseFileName
    cp keys/LinuxPassPhraseFileName keys/LinuxPassPhraseFileName_1_0
    cp keys/LinuxPassPhraseFileName keys/LinuxPassPhraseFileName_1_1
    mkdir -p old
    q_passphrase > old/passphrase
    printf '%s\n' 'This disk holds the keys of encrypted disks (test copy).' \
        > keys/CRITICAL_DATA_WARNING_README.txt

    # OS disk: GPT, p1 boot (ext4, header at luks/osluksheader), p2 root.
    s_rootfs root.img root-06 "$FS_ROOT"
    # shellcheck disable=SC2086  # option list
    cryptsetup reencrypt --encrypt --type luks2 --header osluksheader $Q_PBKDF \
        --key-file keys/LinuxPassPhraseFileName --batch-mode root.img
    mkdir -p bootdir/luks
    cp osluksheader bootdir/luks/osluksheader
    q_mkext4 boot.img 40 bootdir "$FS_BOOT" boot
    truncate -s 66M os.img
    sfdisk -q os.img << EOF2
label: gpt
unit: sectors
start=2048, size=81920, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, uuid=$PART_BOOT, name=boot
start=83968, size=49152, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, uuid=$PART_ROOT, name=root
EOF2
    dd if=boot.img of=os.img bs=1M seek=1 conv=notrunc status=none
    dd if=root.img of=os.img bs=1M seek=41 conv=notrunc status=none
    rm -f boot.img root.img

    # BEK disk: 48 MiB, one FAT partition labelled "BEK VOLUME".
    truncate -s 48M bek.img
    printf 'label: dos\nstart=2048, type=c\n' | sfdisk -q bek.img
    q_mkbek bekpart.img 48128 keys/*
    dd if=bekpart.img of=bek.img bs=1M seek=1 conv=notrunc status=none
    rm -f bekpart.img

    s_datafs data0.img data0-06 0a0e0006-0000-4000-8000-0000000000d0
    s_datafs data1.img data1-06 0a0e0006-0000-4000-8000-0000000000d1
    q_encrypt_inplace data0.img keys/LinuxPassPhraseFileName_1_0
    q_encrypt_inplace data1.img old/passphrase
    # shellcheck disable=SC2086
    cryptsetup luksAddKey $Q_PBKDF --key-file old/passphrase --batch-mode \
        data1.img keys/LinuxPassPhraseFileName_1_1
    s_var L_OS "$(q_luks_uuid osluksheader)"
    s_var L_D0 "$(q_luks_uuid data0.img)"
    s_var L_D1 "$(q_luks_uuid data1.img)"
    . ./vars
    # data0 as ADE's host crypttab names it (key file on the BEK mount, the
    # device resolved to UUID= as the installer writes it); data1 as the
    # installer writes the initramfs copy (key none, ownership in the config).
    s_overlay etc/crypttab << EOF2
data0   UUID=$L_D0  /mnt/azure_bek_disk/LinuxPassPhraseFileName_1_0  luks,nofail
data1   UUID=$L_D1  none  luks,nofail
EOF2
    s_overlay etc/ade-unlock.conf << 'EOF2'
key.data1 = LinuxPassPhraseFileName_1_1
EOF2
}

scn_boot() {
    scn_disks="blk:os.img scsi:bek.img:0:Msft:Virtual_Disk scsi:data0.img:1 scsi:data1.img:2"
    # A hardened image may blacklist vfat: the BEK volume is read without it.
    scn_cmdline="root=/dev/mapper/osencrypt rd.luks.ade.partuuid=$PART_ROOT rd.luks.ade.bootuuid=$FS_BOOT"
    scn_cmdline="$scn_cmdline module_blacklist=vfat"
    # No rd.luks.uuid= here, in either kind: once one is given, ade-unlock
    # opens only the listed devices, and osencrypt (no LUKS signature on its
    # partition) is listed by no UUID a host's dracut would write.
    scn_expect="$(e_opened osencrypt)
$(e_opened data0)
$(e_opened data1) .*keyslot 1
ADE-GUEST: mount: /dev/mapper/osencrypt on / type ext4
ADE-GUEST: root: holds 'root-06'
ADE-GUEST: dm: dm-[0-9]+ name=osencrypt uuid=CRYPT-LUKS2-.* on=vda2
ADE-GUEST: data: data0 holds 'data0-06'
ADE-GUEST: data: data1 holds 'data1-06'"
}
