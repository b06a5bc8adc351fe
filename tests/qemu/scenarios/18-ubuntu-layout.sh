# SPDX-License-Identifier: MIT
# Scenario 18: ADE's Ubuntu layout (ubuntu_2004 PatchBootSystemState,
# 91adeOnlineUbu): the OS disk's root partition encrypted with its LUKS2
# header detached at /boot/luks/osluksheader on an ext2 /boot, osencrypt
# declared in crypttab by its PARTUUID (no LUKS signature on the partition),
# the command line holding only root=/dev/mapper/osencrypt. The image's
# crypttab is the one the conversion writes from ADE's line (header as
# PATH:UUID= of /boot, key none, the key file in ade-unlock.conf).
# Variants:
#   bek      the BEK volume attached: osencrypt and a data disk open;
#   nobek    no BEK volume: the prompt of the generator's own tool asks for
#            osencrypt (itools: cryptsetup-initramfs's cryptroot, handed the
#            device with its header on the read-only mounted /boot; systemd:
#            systemd-cryptsetup, header=PATH:DEVICE), the harness answers,
#            the boot completes; the nofail data disk is not asked for;
#   adeboot  (itools) ADE's own init-premount script runs first, as ADE
#            installs it (crypt-ade-boot: mount /boot and the BEK volume,
#            cryptsetup luksOpen osencrypt); ade-unlock finds osencrypt open
#            and leaves it, opens the data disk.
# shellcheck shell=sh disable=SC2034,SC1091,SC2154  # variables read and set (scn_variant) by run.sh; ./vars written here

scn_title="ADE's Ubuntu layout: ext2 /boot, osencrypt by PARTUUID in crypttab, root= only"
scn_variants="bek nobek adeboot"
scn_modes=ours
# dracut's shell init prompts only for rd.luks.uuid= devices, and osencrypt's
# partition has no LUKS UUID: its fallback is not this layout's.
scn_kinds="systemd itools"
scn_kinds_adeboot="itools"
FS_ROOT=0a0e0018-0000-4000-8000-000000000001
FS_BOOT=0a0e0018-0000-4000-8000-0000000000b0
PART_BOOT=0a0e0018-0000-4000-8000-00000000b001
PART_ROOT=0a0e0018-0000-4000-8000-00000000b002

scn_build() {
    s_key LinuxPassPhraseFileName
    cp keys/LinuxPassPhraseFileName keys/LinuxPassPhraseFileName_1_0

    # OS disk: GPT, p1 /boot (ext2, the header at luks/osluksheader), p2 root.
    s_rootfs root.img root-18 "$FS_ROOT"
    # shellcheck disable=SC2086  # option list
    cryptsetup reencrypt --encrypt --type luks2 --header osluksheader $Q_PBKDF \
        --key-file keys/LinuxPassPhraseFileName --batch-mode root.img
    mkdir -p bootdir/luks
    cp osluksheader bootdir/luks/osluksheader
    rm -f boot.img
    truncate -s 40M boot.img
    mkfs.ext2 -q -F -d bootdir -U "$FS_BOOT" -L boot boot.img
    rm -rf bootdir
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

    q_mkbek bek.img 2048 keys/LinuxPassPhraseFileName keys/LinuxPassPhraseFileName_1_0
    s_datafs data0.img data0-18 0a0e0018-0000-4000-8000-0000000000d0
    q_encrypt_inplace data0.img keys/LinuxPassPhraseFileName_1_0
    s_var L_D0 "$(q_luks_uuid data0.img)"
    . ./vars
    # The image's crypttab as the conversion writes it from ADE's lines
    # ("osencrypt /dev/disk/by-partuuid/... /mnt/azure_bek_disk/LinuxPassPhraseFileName
    # luks,discard,header=/boot/luks/osluksheader" and the data disk's).
    s_overlay etc/crypttab << EOF2
osencrypt PARTUUID=$PART_ROOT none luks,discard,header=/luks/osluksheader:UUID=$FS_BOOT
data0 UUID=$L_D0 none luks,nofail
EOF2
    s_overlay etc/ade-unlock.conf << 'EOF2'
key.osencrypt = LinuxPassPhraseFileName
key.data0 = LinuxPassPhraseFileName_1_0
EOF2
    [ "$scn_variant" = adeboot ] || return 0
    # ADE's crypt-ade-boot as it behaves (the harness's own words): mounts
    # /boot and the BEK volume, opens osencrypt with the header there, exits
    # 0 whatever happened. Run first: the ORDER file (initramfs-tools'
    # order of the init-premount scripts, fixed when the image was built)
    # lists it before ade-unlock. The itools image carries vfat for it.
    s_overlay scripts/init-premount/crypt-ade-boot << EOF2
#!/bin/sh
PREREQ="udev"
case "\$1" in prereqs) echo "\$PREREQ"; exit 0 ;; esac
mkdir -p /boot /mnt/azure_bek_disk
mount -r /dev/disk/by-uuid/$FS_BOOT /boot
mount -r -t vfat "/dev/disk/by-label/BEK\\x20VOLUME" /mnt/azure_bek_disk
cryptsetup luksOpen /dev/disk/by-partuuid/$PART_ROOT osencrypt --header /boot/luks/osluksheader -d /mnt/azure_bek_disk/LinuxPassPhraseFileName
echo "ade-harness: crypt-ade-boot ran (cryptsetup exit \$?)"
exit 0
EOF2
    chmod 0755 overlay/scripts/init-premount/crypt-ade-boot
    s_overlay scripts/init-premount/ORDER << 'EOF2'
/scripts/init-premount/crypt-ade-boot "$@"
[ -e /conf/param.conf ] && . /conf/param.conf
/scripts/init-premount/ade-unlock "$@"
[ -e /conf/param.conf ] && . /conf/param.conf
EOF2
}

scn_boot() {
    scn_cmdline="root=/dev/mapper/osencrypt"
    scn_disks="blk:os.img scsi:bek.img:0:Msft:Virtual_Disk scsi:data0.img:1"
    scn_expect="ADE-GUEST: mount: /dev/mapper/osencrypt on / type ext4
ADE-GUEST: root: holds 'root-18'
ADE-GUEST: dm: dm-[0-9]+ name=osencrypt uuid=CRYPT-LUKS2-.* on=vda2"
    case "$scn_variant" in
        bek)
            scn_expect="$scn_expect
$(e_opened osencrypt)
$(e_opened data0)
ADE-GUEST: data: data0 holds 'data0-18'"
            ;;
        nobek)
            scn_disks="blk:os.img scsi:data0.img:1"
            scn_cmdline="$scn_cmdline rd.ade.timeout=3"
            scn_answer=keys/LinuxPassPhraseFileName
            scn_allow="ade-unlock: osencrypt \\(PARTUUID=$PART_ROOT\\): FAILED \\(BEK volume not found\\); left to the passphrase prompt
ade-unlock: data0 \\(UUID=$L_D0\\): FAILED \\(BEK volume not found\\); nofail: the boot goes on without it"
            scn_expect="$scn_expect
$scn_allow
\\[harness\\] typed the passphrase"
            scn_forbid="Please (enter passphrase for|unlock) disk .*data0
ADE-GUEST: data: data0"
            [ "$2" = itools ] && scn_expect="$scn_expect
ade-unlock: left to cryptsetup's passphrase prompt: osencrypt\$
Please unlock disk osencrypt"
            ;;
        adeboot)
            scn_expect="$scn_expect
ade-harness: crypt-ade-boot ran \\(cryptsetup exit 0\\)
ade-unlock: osencrypt \\(PARTUUID=$PART_ROOT\\): already-open \\(/dev/mapper/osencrypt exists; left alone\\)
$(e_opened data0)
ADE-GUEST: data: data0 holds 'data0-18'"
            ;;
    esac
}
