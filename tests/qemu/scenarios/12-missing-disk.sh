# SPDX-License-Identifier: MIT
# Scenario 12: a nofail crypttab entry whose disk never appears, listed
# before the root, as ADE writes it (luks,nofail: the default 30 s device
# wait): the root and the other data disk open first, the missing disk's
# wait ends 2 s after them and it is reported FAILED (left to the host after
# switch_root), exit 4; the boot is not held (no prompt; ade-unlock's whole
# run stays under 20 s, where it took 30 s before nofail was released).
# shellcheck shell=sh disable=SC2034,SC1091  # variables read by run.sh; ./vars written here

scn_title="a nofail disk that never appears, listed first: never delays the root, reported, boot goes on"
scn_modes=ours
FS_ROOT=0a0e000c-0000-4000-8000-000000000001
# The LUKS UUID of a disk that is never attached.
L_GONE=0a0e000c-dead-4000-8000-0000000000d1

scn_build() {
    s_key LinuxPassPhraseFileName
    s_key LinuxPassPhraseFileName_1_0
    s_key LinuxPassPhraseFileName_1_1
    s_pair 12 0a0e000c-0000-4000-8000-0000000000d0 \
        keys/LinuxPassPhraseFileName keys/LinuxPassPhraseFileName_1_0
    q_mkbek bek.img 2048 keys/*
    s_entry data1 "UUID=$L_GONE" luks,nofail LinuxPassPhraseFileName_1_1
    # The missing disk first, as a crypttab ADE appended to can have it.
    { grep '^data1 ' overlay/etc/crypttab && grep -v '^data1 ' overlay/etc/crypttab; } > crypttab.new
    mv crypttab.new overlay/etc/crypttab
}

scn_boot() {
    scn_disks="blk:root.img scsi:bek.img:0:Msft:Virtual_Disk scsi:data0.img:1"
    # No rd.luks.uuid= in either kind: with one, ade-unlock would open only
    # the listed devices, and dracut's shell init would itself wait for the
    # missing one (its own behaviour, not ade-unlock's).
    scn_cmdline="root=UUID=$FS_ROOT"
    scn_allow="ade-unlock: data1 \\(UUID=$L_GONE\\): FAILED \\(device not found by the time the devices the boot needs were done \\(waited [0-9]+\\.[0-9] s\\); left to the host after switch_root\\); nofail: the boot goes on without it
ade-unlock: summary: some devices FAILED in 1?[0-9]\\.[0-9] s; exit 4"
    scn_expect="$(e_opened root)
$(e_opened data0)
$scn_allow
ADE-GUEST: mount: /dev/(mapper/root|dm-[0-9]+) on / type ext4
ADE-GUEST: root: holds 'root-12'
ADE-GUEST: data: data0 holds 'data0-12'"
}
