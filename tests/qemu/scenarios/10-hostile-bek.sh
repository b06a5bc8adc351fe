# SPDX-License-Identifier: MIT
# Scenario 10: a hostile BEK volume attached as the BEK disk. ade-unlock says
# what is wrong in one clear line, crashes or hangs on nothing, and leaves the
# root to the fallback prompt: the harness types the root's passphrase.
#   loop, chain, size, endless: images of the FAT fuzz corpus (a cluster loop
#     in the key file, a chain past the end of the volume, a size field larger
#     than the volume, a directory without end): exit 3
#   empty: an empty key file; big: a 100 MiB key file, refused unread: exit 3
#   nonfat: the label on an ext4 filesystem; two: two FAT volumes with the
#     label: exit 2
# shellcheck shell=sh disable=SC2034,SC1091,SC2154  # variables read and set (scn_variant) by run.sh; ./vars written here

scn_title="hostile BEK volumes: clear line, exit 2 or 3, no crash, no hang, prompt"
scn_variants="loop chain size endless empty big nonfat two"
scn_modes=ours
FS_ROOT=0a0e000a-0000-4000-8000-000000000001
# BEK_IMG: from the corpus; KEY_RE: the line naming the key file's fault.
BEK_IMG='' KEY_RE=''
case "$scn_variant" in
    loop) BEK_IMG=fat16-cluster-loop.img KEY_RE='.*loop' ;;
    chain) BEK_IMG=fat12-chain-past-end.img KEY_RE='.*past the (end|last cluster)' ;;
    size) BEK_IMG=fat16-size-lies.img KEY_RE='larger than 8 KiB: refused' ;;
    endless) BEK_IMG=fat12-endless-dir.img ;;
    empty) KEY_RE='the file is empty' ;;
    big) KEY_RE='larger than 8 KiB: refused' ;;
esac

scn_build() {
    s_rootfs root.img root-10 "$FS_ROOT"
    s_key LinuxPassPhraseFileName
    q_encrypt_inplace root.img keys/LinuxPassPhraseFileName
    mkdir -p bad
    case "$scn_variant" in
        empty)
            : > bad/LinuxPassPhraseFileName
            q_mkbek bek.img 2048 bad/LinuxPassPhraseFileName
            ;;
        big)
            head -c 100M /dev/zero > bad/LinuxPassPhraseFileName
            q_mkbek bek.img 122880 bad/LinuxPassPhraseFileName
            rm -f bad/LinuxPassPhraseFileName
            ;;
        nonfat)
            truncate -s 8M bek.img
            mkfs.ext4 -q -F -L 'BEK VOLUME' bek.img || q_die "mkfs.ext4"
            ;;
        two)
            # Both hold the right key: ade-unlock still must not guess.
            q_mkbek bek.img 2048 keys/LinuxPassPhraseFileName
            q_mkbek bek2.img 2048 keys/LinuxPassPhraseFileName
            ;;
        *) cp "$Q_TOP/unlock/tests/fuzz/corpus/fat/$BEK_IMG" bek.img || q_die "no $BEK_IMG" ;;
    esac
    s_var L_ROOT "$(q_luks_uuid root.img)"
    . ./vars
    s_overlay etc/crypttab << EOF2
root    UUID=$L_ROOT    none    luks
EOF2
    s_exit_probe
    s_overlay etc/ade-unlock.conf << 'EOF2'
key.root = LinuxPassPhraseFileName
EOF2
}

scn_boot() {
    scn_disks="blk:root.img scsi:bek.img:0:Msft:Virtual_Disk"
    [ "$scn_variant" = two ] && scn_disks="$scn_disks scsi:bek2.img:1:Msft:Virtual_Disk"
    scn_cmdline="root=UUID=$FS_ROOT rd.ade.timeout=20"
    [ "$2" = shell ] && scn_cmdline="$scn_cmdline rd.luks.uuid=luks-$L_ROOT"
    scn_answer=keys/LinuxPassPhraseFileName
    case "$scn_variant" in
        nonfat | two)
            _code=2
            if [ "$scn_variant" = nonfat ]; then
                _why='BEK volume is not FAT'
                _line="BEK VOLUME: label found on sd[a-z]+, but it holds 'ext4', not FAT; falling back to passphrase prompt"
            else
                _why='BEK volume ambiguous'
                _line='BEK VOLUME: found on both sd[a-z]+ and sd[a-z]+: refusing to guess; falling back to passphrase prompt'
            fi
            scn_allow="ade-unlock: root \\(UUID=$L_ROOT\\): FAILED \\($_why\\); left to the passphrase prompt"
            scn_expect="ade-unlock: $_line
ade-unlock: summary: BEK volume not usable in [0-9.]+ s; exit 2"
            ;;
        *)
            _code=3
            scn_allow="ade-unlock: root \\(UUID=$L_ROOT\\): FAILED \\(no usable key file on the BEK volume\\); left to the passphrase prompt"
            scn_expect="ade-unlock: BEK VOLUME: found on sd[a-z]+ after
ade-unlock: BEK VOLUME: sd[a-z]+: no usable key file \\(
ade-unlock: summary: no usable key file in [0-9.]+ s; exit 3"
            [ -n "$KEY_RE" ] && scn_expect="$scn_expect
ade-unlock: BEK VOLUME: key file 'LinuxPassPhraseFileName': $KEY_RE"
            ;;
    esac
    scn_expect="$scn_expect
$scn_allow
\\[harness\\] typed the passphrase
ADE-GUEST: mount: /dev/(mapper/root|dm-[0-9]+) on / type ext4
ADE-GUEST: root: holds 'root-10'"
    # The exit code as systemd saw it, too.
    [ "$2" = systemd ] && scn_expect="$scn_expect
$(e_exit "$_code")"
    scn_forbid="ade-unlock: .*opened as
Segmentation fault|core dumped|ade-unlock.*(killed|signal|SIG[A-Z]+)|AddressSanitizer"
}
