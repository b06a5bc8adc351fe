# SPDX-License-Identifier: MIT
# Scenario 8: no BEK volume attached. After rd.ade.timeout (variant t5: 5 s;
# t0: 0, no wait at all) ade-unlock says once what it looked for, how long and
# which devices it saw, names every device FAILED (left to the prompt) and
# exits 2; the normal passphrase prompt asks for the root (the harness types
# the passphrase) and the boot completes. The nofail data disk: not asked for
# in the systemd kind; asked for in the shell kind (it is in rd.luks.uuid=).
# shellcheck shell=sh disable=SC2034,SC1091,SC2154  # variables read and set (scn_variant) by run.sh; ./vars written here

scn_title="BEK volume absent: exit 2, prompt, harness answers"
scn_variants="t5 t0"
scn_modes=ours
FS_ROOT=0a0e0008-0000-4000-8000-000000000001
ADE_TIMEOUT=${scn_variant#t}

scn_build() {
    # One passphrase for both (as ADE writes them): one answer fits every prompt.
    s_key LinuxPassPhraseFileName
    cp keys/LinuxPassPhraseFileName keys/LinuxPassPhraseFileName_1_0
    s_pair 08 0a0e0008-0000-4000-8000-0000000000d0 \
        keys/LinuxPassPhraseFileName keys/LinuxPassPhraseFileName_1_0
    s_exit_probe
}

scn_boot() {
    # No BEK disk: the root disk and one data disk only.
    scn_disks="blk:root.img scsi:data0.img:1"
    scn_cmdline="root=UUID=$FS_ROOT rd.ade.timeout=$ADE_TIMEOUT"
    [ "$2" = shell ] && scn_cmdline="$scn_cmdline rd.luks.uuid=luks-$L_ROOT rd.luks.uuid=luks-$L_D0"
    scn_answer=keys/LinuxPassPhraseFileName
    scn_allow="ade-unlock: root \\(UUID=$L_ROOT\\): FAILED \\(BEK volume not found\\); left to the passphrase prompt
ade-unlock: data0 \\(UUID=$L_D0\\): FAILED \\(BEK volume not found\\); nofail: the boot goes on without it"
    # Without a wait the disks may not all be there yet: any device list.
    _seen='[1-9][0-9]* block devices: [^)]*vda[^)]*'
    [ "$ADE_TIMEOUT" = 0 ] && _seen='[0-9]+ block devices: [^)]*'
    scn_expect="ade-unlock: BEK VOLUME: not found after $ADE_TIMEOUT s \\(checked $_seen\\); falling back to passphrase prompt
$scn_allow
ade-unlock: summary: BEK volume not usable in [0-9.]+ s; exit 2
\\[harness\\] typed the passphrase
ADE-GUEST: mount: /dev/(mapper/root|dm-[0-9]+) on / type ext4
ADE-GUEST: root: holds 'root-08'"
    scn_forbid="ade-unlock: .*opened as
ade-unlock: BEK VOLUME: found on"
    case "$2" in
        systemd) scn_expect="$scn_expect
$(e_exit 2)" ;;
        itools) scn_expect="$scn_expect
ade-unlock: left to cryptsetup's passphrase prompt: root\$" ;;
    esac
    if [ "$2" != shell ]; then
        # data0 is nofail: no prompt for it (systemd: the module's drop-in;
        # itools: the boot script hands cryptroot only what the boot
        # needs), the boot goes on without it.
        scn_forbid="$scn_forbid
Please (enter passphrase for|unlock) disk .*data0
ADE-GUEST: data: data0"
    else
        # dracut's shell init asks for every rd.luks.uuid= device it finds
        # closed, nofail or not.
        scn_expect="$scn_expect
ADE-GUEST: data: data0 holds 'data0-08'"
    fi
}
