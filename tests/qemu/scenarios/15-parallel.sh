# SPDX-License-Identifier: MIT
# Scenario 15: parallel opens on a 2-vCPU guest. A LUKS2 root and ten data
# disks (four LUKS2 with Argon2id keyslots, two LUKS1, four LUKS2 with fast
# PBKDF2), ade-unlock's default parallelism (one PBKDF per CPU): every device
# opens, exit 0. Its 13 lines all reach the kernel log too (each /dev/kmsg
# open is rate-limited to 10 lines per 5 s outside systemd). libcryptsetup
# reads keyslot material through temporary dm-crypt mappings, from two threads
# at once; their names once collided (a device FAILED, "Resource busy"; see
# scripts/patches/cryptsetup-temporary-name-per-thread.patch).
# shellcheck shell=sh disable=SC2034,SC1091  # variables read by run.sh; ./vars written here

scn_title="parallel opens on 2 vCPUs: every device opens"
scn_modes=ours
FS_ROOT=0a0e000f-0000-4000-8000-000000000001
# Argon2id keyslots that take the guest most of a second each (TCG): the
# threads' keyslot reads overlap.
ARGON="--pbkdf argon2id --pbkdf-memory 16384 --pbkdf-force-iterations 4 --pbkdf-parallel 1"

scn_build() {
    s_rootfs root.img root-15 "$FS_ROOT"
    s_key LinuxPassPhraseFileName
    # shellcheck disable=SC2086  # ARGON is a list of options
    q_encrypt_inplace root.img keys/LinuxPassPhraseFileName luks2 $ARGON
    s_var L_ROOT "$(q_luks_uuid root.img)"
    : > crypttab
    : > conf
    for i in 0 1 2 3 4 5 6 7 8 9; do
        s_datafs "data$i.img" "data$i-15" "0a0e000f-0000-4000-8000-0000000000d$i"
        s_key "LinuxPassPhraseFileName_1_$i"
        if [ "$i" -ge 6 ]; then
            q_encrypt_inplace "data$i.img" "keys/LinuxPassPhraseFileName_1_$i"
        elif [ "$i" -ge 4 ]; then
            q_encrypt_inplace "data$i.img" "keys/LinuxPassPhraseFileName_1_$i" luks1
        else
            # shellcheck disable=SC2086
            q_encrypt_inplace "data$i.img" "keys/LinuxPassPhraseFileName_1_$i" luks2 $ARGON
        fi
        printf 'data%s UUID=%s none luks,nofail\n' "$i" "$(q_luks_uuid "data$i.img")" >> crypttab
        printf 'key.data%s = LinuxPassPhraseFileName_1_%s\n' "$i" "$i" >> conf
    done
    q_mkbek bek.img 2048 keys/*
    . ./vars
    { printf 'root UUID=%s none luks\n' "$L_ROOT"; cat crypttab; } | s_overlay etc/crypttab
    { echo 'key.root = LinuxPassPhraseFileName'; cat conf; } | s_overlay etc/ade-unlock.conf
}

scn_boot() {
    scn_smp=2
    scn_disks="blk:root.img scsi:bek.img:0:Msft:Virtual_Disk"
    for i in 0 1 2 3 4 5 6 7 8 9; do
        scn_disks="$scn_disks scsi:data$i.img:$((i + 1))"
    done
    # No rd.luks.uuid= (as in scenario 12): ade-unlock opens every line.
    scn_cmdline="root=UUID=$FS_ROOT"
    scn_expect="$(e_opened root)
ade-unlock: summary: all devices handled in .*; exit 0
ADE-GUEST: mount: /dev/(mapper/root|dm-[0-9]+) on / type ext4
ADE-GUEST: root: holds 'root-15'"
    # Each line also as the kernel logged it (its stamp has six decimals;
    # the console copy from stderr, three).
    k='[0-9]\.[0-9]{6}\] '
    scn_expect="$scn_expect
${k}ade-unlock: BEK VOLUME: found on
${k}$(e_opened root)
${k}ade-unlock: summary: all devices handled in .*; exit 0"
    for i in 0 1 2 3 4 5 6 7 8 9; do
        scn_expect="$scn_expect
${k}$(e_opened "data$i")
ADE-GUEST: data: data$i holds 'data$i-15'"
    done
    scn_forbid="temporary-cryptsetup.*(failed|busy)
ade-unlock: [0-9]+ output lines suppressed due to ratelimiting"
}
