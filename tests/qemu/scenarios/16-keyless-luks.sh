# SPDX-License-Identifier: MIT
# Scenario 16: a disk whose LUKS2 header needs no key. Someone who can write
# the disk's blocks formats it with a key of their own, then rewrites keyslot
# 0 as cipher_null-ecb holding the plain AF-split volume key
# (unlock/tests/integration/make-plain-keyslot.py): libcryptsetup before 2.8.1
# opens it with any passphrase, the BEK volume's key included. ade-unlock
# refuses it before any key derivation: FAILED (keyslot 0 does not encrypt:
# refused).
#   data: data1 is such a disk (nofail): root and data0 open, data1 is
#         refused and never mapped, the boot goes on without it (exit 4).
#   root: the OS disk itself is replaced, with a root filesystem of the
#         attacker's own (the same filesystem UUID): refused, left to the
#         prompt, which nobody answers (the distribution's cryptsetup would
#         open it with any passphrase typed there): the guest must never
#         switch_root into it (scn_halt).
# shellcheck shell=sh disable=SC2034,SC1091,SC2154  # variables read and set (scn_variant) by run.sh; ./vars written here

scn_title="keyless LUKS2 header (cipher_null keyslot): refused, never opened"
scn_variants="data root"
scn_modes=ours
FS_ROOT=0a0e0016-0000-4000-8000-000000000001

# hostile IMAGE: IMAGE (a filesystem) encrypted with a key that is not on the
# BEK volume, then its keyslot 0 stored in plain.
hostile() {
    mkdir -p evil
    q_passphrase > evil/attacker.key
    head -c 64 /dev/urandom > evil/volume.key
    q_encrypt_inplace "$1" evil/attacker.key luks2 --volume-key-file evil/volume.key
    /usr/bin/python3 "$Q_TOP/unlock/tests/integration/make-plain-keyslot.py" \
        "$1" evil/volume.key || q_die "make-plain-keyslot.py $1"
}

scn_build() {
    s_key LinuxPassPhraseFileName
    s_key LinuxPassPhraseFileName_1_0
    s_key LinuxPassPhraseFileName_1_1
    s_pair 16 0a0e0016-0000-4000-8000-0000000000d0 \
        keys/LinuxPassPhraseFileName keys/LinuxPassPhraseFileName_1_0
    if [ "$scn_variant" = root ]; then
        # The real root replaced by the attacker's, its LUKS UUID kept.
        s_rootfs root.img "root-16-attacker" "$FS_ROOT"
        hostile root.img
        cryptsetup luksUUID -q --uuid "$L_ROOT" root.img ||
            q_die "luksUUID root.img"
    else
        s_datafs data1.img data1-16-attacker 0a0e0016-0000-4000-8000-0000000000d1
        hostile data1.img
        s_var L_D1 "$(q_luks_uuid data1.img)"
        . ./vars
        s_entry data1 "UUID=$L_D1" luks,nofail LinuxPassPhraseFileName_1_1
    fi
    q_mkbek bek.img 2048 keys/*
}

scn_boot() {
    scn_cmdline="root=UUID=$FS_ROOT"
    if [ "$scn_variant" = data ]; then
        # No rd.luks.uuid= (as in scenario 9's nofail): dracut's shell init
        # would ask for every listed device it finds closed, nofail or not.
        scn_disks="blk:root.img scsi:bek.img:0:Msft:Virtual_Disk scsi:data0.img:1 blk:data1.img"
        scn_allow="ade-unlock: data1 \\(UUID=$L_D1\\): FAILED \\(keyslot 0 does not encrypt: refused\\); nofail: the boot goes on without it
ade-unlock: summary: some devices FAILED in .*; exit 4"
        scn_expect="$(e_opened root)
$(e_opened data0)
$scn_allow
ADE-GUEST: root: holds 'root-16'
ADE-GUEST: data: data0 holds 'data0-16'"
        scn_forbid="$(e_opened data1)
ADE-GUEST: mapper: data1
ADE-GUEST: data: data1"
        return 0
    fi
    scn_disks="blk:root.img scsi:bek.img:0:Msft:Virtual_Disk scsi:data0.img:1"
    [ "$2" = shell ] &&
        scn_cmdline="$scn_cmdline rd.luks.uuid=luks-$L_ROOT rd.luks.uuid=luks-$L_D0"
    scn_halt=1
    scn_allow="ade-unlock: root \\(UUID=$L_ROOT\\): FAILED \\(keyslot 0 does not encrypt: refused\\); left to the passphrase prompt
ade-unlock: summary: some devices FAILED in .*; exit 4
Please enter passphrase|Enter passphrase for"
    scn_expect="$scn_allow
$(e_opened data0)"
    scn_forbid="$(e_opened root)"
}
