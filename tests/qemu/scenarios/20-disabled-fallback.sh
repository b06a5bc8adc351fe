# SPDX-License-Identifier: MIT
# Scenario 20: switched off, ade-unlock does nothing and the normal path asks
# for every device of the initramfs crypttab, including an entry whose key
# file is written ADE's way (on the BEK mount, absent in the initramfs):
# proves that the crypttab copy leaves the fallback prompt working. The
# harness types the passphrase on the serial console. Variants: "ade",
# rd.ade=0 (ADE's own switch: no ADE unlock at all); "own", rd.ade.unlock=0
# (ade-unlock's switch: it alone steps aside, and says so).
# shellcheck shell=sh disable=SC2034,SC1091,SC2154  # variables read and set (scn_variant) by run.sh; ./vars written here

scn_title="rd.ade=0 / rd.ade.unlock=0: the stock prompts ask for every device; harness answers"
scn_modes=ours
scn_variants="ade own"
FS_ROOT=0a0e0014-0000-4000-8000-000000000001

scn_build() {
    s_rootfs root.img root-20 "$FS_ROOT"
    s_datafs data0.img data0-20 0a0e0014-0000-4000-8000-0000000000d0
    s_datafs data1.img data1-20 0a0e0014-0000-4000-8000-0000000000d1
    # One passphrase for all (as ADE writes them): one answer fits every prompt.
    s_key LinuxPassPhraseFileName
    cp keys/LinuxPassPhraseFileName keys/LinuxPassPhraseFileName_1_0
    cp keys/LinuxPassPhraseFileName keys/LinuxPassPhraseFileName_1_1
    for d in root data0 data1; do
        q_encrypt_inplace "$d.img" keys/LinuxPassPhraseFileName
    done
    q_mkbek bek.img 2048 keys/*
    s_var L_ROOT "$(q_luks_uuid root.img)"
    s_var L_D0 "$(q_luks_uuid data0.img)"
    s_var L_D1 "$(q_luks_uuid data1.img)"
    . ./vars
    s_entry root "UUID=$L_ROOT" luks LinuxPassPhraseFileName
    # data0: ADE's key path in crypttab, no line in ade-unlock.conf.
    s_entry data0 "UUID=$L_D0" luks,nofail "" /mnt/azure_bek_disk/LinuxPassPhraseFileName_1_0
    s_entry data1 "UUID=$L_D1" luks,nofail LinuxPassPhraseFileName_1_1
}

scn_boot() {
    scn_disks="blk:root.img scsi:bek.img:0:Msft:Virtual_Disk scsi:data0.img:1 scsi:data1.img:2"
    _off=rd.ade=0
    [ "$scn_variant" = own ] && _off=rd.ade.unlock=0
    scn_cmdline="root=UUID=$FS_ROOT $_off"
    [ "$2" = shell ] &&
        scn_cmdline="$scn_cmdline rd.luks.uuid=luks-$L_ROOT rd.luks.uuid=luks-$L_D0 rd.luks.uuid=luks-$L_D1"
    scn_answer=keys/LinuxPassPhraseFileName
    scn_expect="\\[harness\\] typed the passphrase
ADE-GUEST: mount: /dev/(mapper/root|dm-[0-9]+) on / type ext4
ADE-GUEST: root: holds 'root-20'
ADE-GUEST: data: data0 holds 'data0-20'
ADE-GUEST: data: data1 holds 'data1-20'"
    # The systemd unit is skipped by its condition on rd.ade=0 itself.
    if [ "$2" = shell ] || [ "$_off" != rd.ade=0 ]; then
        scn_expect="$scn_expect
ade-unlock: config: disabled by $_off: nothing done"
    fi
    scn_forbid="ade-unlock: .*opened as"
}
