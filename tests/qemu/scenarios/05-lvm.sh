# SPDX-License-Identifier: MIT
# Scenario 5: LVM on a LUKS2 root (the PV inside the encrypted device), root
# given as the LV; plus a LUKS2 data disk.
# shellcheck shell=sh disable=SC2034,SC1091  # variables read by run.sh; ./vars written here

scn_title="LVM on LUKS root (root=/dev/mapper/adevg-root)"
FS_ROOT=0a0e0005-0000-4000-8000-000000000001

# The PV is made offline: LVM metadata written on a loop device by the builder's
# lvm (no activation, no device-mapper), the root filesystem copied to where
# the LV's only segment starts, then the whole PV encrypted in place. The VG
# never autoactivates (a host with lvm2 would otherwise map it from the loop
# device); the initramfs activates it explicitly (rd.lvm.lv=).
scn_build() {
    s_rootfs root.img root-05 "$FS_ROOT"
    s_datafs data0.img data0-05 0a0e0005-0000-4000-8000-0000000000d0
    # One passphrase in every file, as ADE writes them.
    s_key LinuxPassPhraseFileName
    cp keys/LinuxPassPhraseFileName keys/LinuxPassPhraseFileName_1_0
    truncate -s 48M pv.img
    loop=$(losetup -f --show pv.img) || exit 1
    {
        q_lvm pvcreate -y "$loop" &&
            q_lvm vgcreate --setautoactivation n adevg "$loop" &&
            q_lvm lvcreate -an -Zn -y -L 32M -n root adevg &&
            pe_start=$(q_lvm pvs --noheadings --units b --nosuffix -o pe_start "$loop" | tr -d ' ') &&
            seg=$(q_lvm lvs --noheadings -o seg_pe_ranges adevg/root | tr -d ' ')
    } 3>&- 4>&-
    rc=$?
    losetup -d "$loop"
    [ "$rc" -eq 0 ] || q_die "LVM metadata on $loop"
    case "$seg" in *:0-*) ;; *) q_die "LV root does not start at extent 0 ($seg)" ;; esac
    dd if=root.img of=pv.img bs=1M seek=$((pe_start / 1048576)) conv=notrunc status=none
    rm -f root.img
    q_encrypt_inplace pv.img keys/LinuxPassPhraseFileName
    q_encrypt_inplace data0.img keys/LinuxPassPhraseFileName_1_0
    q_mkbek bek.img 2048 keys/*
    s_var L_PV "$(q_luks_uuid pv.img)"
    s_var L_D0 "$(q_luks_uuid data0.img)"
    . ./vars
    s_overlay etc/crypttab << EOF2
osencrypt UUID=$L_PV    none    luks
data0     UUID=$L_D0    none    luks,nofail
EOF2
    s_overlay etc/ade-unlock.conf << 'EOF2'
key.osencrypt = LinuxPassPhraseFileName
key.data0 = LinuxPassPhraseFileName_1_0
EOF2
}

scn_boot() {
    scn_disks="blk:pv.img scsi:bek.img:0:Msft:Virtual_Disk scsi:data0.img:1"
    scn_cmdline="root=/dev/mapper/adevg-root rd.lvm.lv=adevg/root"
    pv=osencrypt d0=data0
    s_luks_cmdline "$1" "$2" "$L_PV:LinuxPassPhraseFileName" "$L_D0:LinuxPassPhraseFileName_1_0"
    [ "$1" = stock ] && pv=luks-$L_PV d0=luks-$L_D0
    scn_expect="ADE-GUEST: mount: /dev/(mapper/adevg-root|dm-[0-9]+) on / type ext4
ADE-GUEST: root: holds 'root-05'
ADE-GUEST: dm: dm-[0-9]+ name=adevg-root uuid=LVM-
ADE-GUEST: mapper: $pv\$
ADE-GUEST: data: $d0 holds 'data0-05'"
    [ "$1" = ours ] && scn_expect="$scn_expect
$(e_opened osencrypt)
$(e_opened data0)"
}
