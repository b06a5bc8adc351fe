# SPDX-License-Identifier: MIT
# Scenario 9: a wrong key for one data disk: data1's header has another
# passphrase than its file on the BEK volume. The root and data0 open; data1 is
# named FAILED (no keyslot accepted the key), exit 4.
#   prompt: data1 is not nofail: the normal prompt asks for data1 only, and
#           the harness types data1's real passphrase.
#   nofail: data1 is nofail: the boot goes on without any prompt (in the
#           systemd kind the module's drop-in keeps systemd-cryptsetup@data1
#           from asking), and the log still names data1.
# shellcheck shell=sh disable=SC2034,SC1091,SC2154  # variables read and set (scn_variant) by run.sh; ./vars written here

scn_title="wrong key for one data disk: FAILED, exit 4; prompt for it only, or none with nofail"
scn_variants="prompt nofail"
scn_modes=ours
FS_ROOT=0a0e0009-0000-4000-8000-000000000001
D1_OPTS=luks
[ "$scn_variant" = nofail ] && D1_OPTS=luks,nofail

scn_build() {
    s_key LinuxPassPhraseFileName
    s_key LinuxPassPhraseFileName_1_0
    s_key LinuxPassPhraseFileName_1_1
    # data1's real passphrase is not on the BEK volume.
    mkdir -p other
    q_passphrase > other/data1
    s_pair 09 0a0e0009-0000-4000-8000-0000000000d0 \
        keys/LinuxPassPhraseFileName keys/LinuxPassPhraseFileName_1_0
    s_data data1 09 0a0e0009-0000-4000-8000-0000000000d1 other/data1 \
        L_D1 "$D1_OPTS" LinuxPassPhraseFileName_1_1
    q_mkbek bek.img 2048 keys/*
}

scn_boot() {
    scn_disks="blk:root.img scsi:bek.img:0:Msft:Virtual_Disk scsi:data0.img:1 blk:data1.img"
    scn_cmdline="root=UUID=$FS_ROOT"
    scn_expect="$(e_opened root)
$(e_opened data0)
ADE-GUEST: mount: /dev/(mapper/root|dm-[0-9]+) on / type ext4
ADE-GUEST: root: holds 'root-09'
ADE-GUEST: data: data0 holds 'data0-09'"
    if [ "$scn_variant" = nofail ]; then
        # No rd.luks.uuid= (as in scenario 12): dracut's shell init would ask
        # for every listed device it finds closed, nofail or not.
        scn_allow="ade-unlock: data1 \\(UUID=$L_D1\\): FAILED \\(no keyslot accepted the key\\); nofail: the boot goes on without it
ade-unlock: summary: some devices FAILED in .*; exit 4"
        scn_expect="$scn_expect
$scn_allow"
        scn_forbid="ADE-GUEST: mapper: data1
ADE-GUEST: data: data1"
        return 0
    fi
    [ "$2" = shell ] &&
        scn_cmdline="$scn_cmdline rd.luks.uuid=luks-$L_ROOT rd.luks.uuid=luks-$L_D0 rd.luks.uuid=luks-$L_D1"
    scn_allow="ade-unlock: data1 \\(UUID=$L_D1\\): FAILED \\(no keyslot accepted the key\\); left to the passphrase prompt
ade-unlock: summary: some devices FAILED in .*; exit 4"
    scn_answer=other/data1
    scn_expect="$scn_expect
$scn_allow
\\[harness\\] typed the passphrase
ADE-GUEST: data: data1 holds 'data1-09'"
    # The prompt asks for data1 only (virtio-blk: vdb; the SCSI names vary).
    if [ "$2" = shell ]; then
        scn_expect="$scn_expect
Enter passphrase for /dev/vdb"
        scn_forbid="Enter passphrase for /dev/(vda|sd[a-z]+)"
    else
        scn_expect="$scn_expect
Please enter passphrase for disk .*data1"
        scn_forbid="Please enter passphrase for disk .*(root|data0)"
    fi
    scn_forbid="$scn_forbid
$(e_opened data1)"
}
