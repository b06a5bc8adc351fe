#!/bin/sh
# SPDX-License-Identifier: MIT
# ADE's crypttab and command-line shapes, each as ADE's own code writes it
# (unlock/tests/fixtures/ade/*/: crypttab, cmdline, source naming the ADE
# file and function, expect), run end to end on real parts: the installer's
# conversion (hook/lib/crypttab.sh) turns the host crypttab
# into the image's, then ade-unlock --dry-run verifies every device on loop
# devices (a GPT OS disk whose LUKS2 header is detached on an ext4 /boot,
# data disks behind /dev/disk/azure/scsi1/lunN links, a vfat BEK volume).
# Runs in a private mount namespace: /boot and /dev/disk are its own.
# Prints one "PASS: ..." or "FAIL: ..." line per fixture.
#
# expect lines: "convert RC" (the conversion's status), "say REGEX" (one of
# its messages), "raw" (no conversion: the crypttab goes to ade-unlock as
# it is), "rc N" (ade-unlock's exit code), "dev NAME STATE [nofail]" (a
# --status line), "absent NAME" (not tried at all), "log REGEX" (a line of
# ade-unlock's output), "maxtime S" (the run took at most S seconds).
# Placeholders: @LABEL@ @OS_PARTUUID@ @BOOT_UUID@ @NVME_UUID@ @GHOST_UUID@.
set -u

top=$(cd "$(dirname "$0")/../../.." && pwd)
bin=${ADE_BIN:-$top/build/host/ade-unlock}
fixtures=$top/unlock/tests/fixtures/ade
[ -x "$bin" ] || { echo "FAIL: $bin not built"; exit 1; }
if [ "$(id -u)" -ne 0 ] || ! losetup -f > /dev/null 2>&1; then
    echo "SKIP: needs root and free loop devices"
    exit 77
fi
for t in cryptsetup mkfs.vfat mcopy losetup sfdisk mkfs.ext4 unshare blkid findmnt; do
    command -v "$t" > /dev/null 2>&1 || { echo "SKIP: $t missing"; exit 77; }
done
if [ "${ADE_SHAPES_NS:-}" != 1 ]; then
    ADE_SHAPES_NS=1 exec unshare --mount --propagation private sh "$0" "$@"
fi

export LSAN_OPTIONS="suppressions=$top/unlock/tests/lsan.supp:print_suppressions=0"
export MTOOLS_SKIP_CHECK=1
work=$(mktemp -d)
made_dev_disk=0
# shellcheck disable=SC2317  # called through the trap
cleanup() {
    umount /boot 2> /dev/null
    umount /dev/disk 2> /dev/null
    [ "$made_dev_disk" -eq 1 ] && rmdir /dev/disk 2> /dev/null
    [ -f "$work/loops" ] && while read -r l; do losetup -d "$l" 2> /dev/null; done < "$work/loops"
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP PIPE
die() {
    echo "FAIL: setup: $*"
    exit 1
}
uuid() { cat /proc/sys/kernel/random/uuid; }
LABEL="ADE$(od -An -N4 -tx4 /dev/urandom | tr -d ' \n' | tr a-f A-F)"
OS_PARTUUID=$(uuid)
NVME_UUID=$(uuid)
GHOST_UUID=$(uuid)

# key FILE: an ADE-shaped key (base64 of 127 random bytes, no newline).
key() { head -c 127 /dev/urandom | base64 -w0 > "$work/$1"; }
# luks IMG KEY [cryptsetup args]: LUKS2, a cheap PBKDF.
luks() {
    l_img=$1 l_key=$2
    shift 2
    cryptsetup luksFormat -q --type luks2 --pbkdf argon2id --pbkdf-force-iterations 4 \
        --pbkdf-memory 32 --key-file "$work/$l_key" "$@" "$l_img" > /dev/null ||
        die "luksFormat $l_img"
}
# attach [losetup args] IMG: prints the loop device (and records it: this
# runs in $(...), so in a file).
attach() {
    a_l=$(losetup -f --show "$@") || die "losetup $*"
    echo "$a_l" >> "$work/loops"
    echo "$a_l"
}

key LinuxPassPhraseFileName
key LinuxPassPhraseFileName_1_0
cp "$work/LinuxPassPhraseFileName_1_0" "$work/LinuxPassPhraseFileName_1_1"

# The OS disk: GPT, one partition, LUKS2 data from offset 0, the header
# detached on /boot (/boot/luks/osluksheader), as ADE lays it out.
truncate -s 24M "$work/os.img"
printf 'label: gpt\nstart=2048, size=32768, uuid=%s\n' "$OS_PARTUUID" |
    sfdisk -q "$work/os.img" > /dev/null || die "sfdisk"
OS_LOOP=$(attach -P "$work/os.img")
i=0
while [ ! -b "${OS_LOOP}p1" ] && [ "$i" -lt 20 ]; do sleep 0.1; i=$((i + 1)); done
if [ -b "${OS_LOOP}p1" ]; then
    OS_PART=${OS_LOOP}p1
    PARTS=1
else
    # A kernel without partition tables (CONFIG_*_PARTITION unset, as on
    # some CI hosts): the OS "partition" is a loop device of its own, found
    # through its /dev/disk/by-partuuid link; the converted PARTUUID= is
    # read through that link, and "partitions:" expectations (a PARTUUID
    # libblkid must find) are not checked, said once below.
    truncate -s 16M "$work/ospart.img"
    OS_PART=$(attach "$work/ospart.img")
    PARTS=0
    echo "note: this kernel reads no partition tables: PARTUUID= is read through /dev/disk/by-partuuid, and the 'partitions:' expectations are not checked"
fi
mkdir -p "$work/bootfs/luks"
truncate -s 16M "$work/bootfs/luks/osluksheader"
luks "$OS_PART" LinuxPassPhraseFileName --header "$work/bootfs/luks/osluksheader"
truncate -s 40M "$work/boot.img"
mkfs.ext4 -q -F -d "$work/bootfs" "$work/boot.img" || die "mkfs.ext4"
BOOT_UUID=$(blkid -s UUID -o value "$work/boot.img")
BOOT_LOOP=$(attach -r "$work/boot.img")
mount -o ro "$BOOT_LOOP" /boot || die "mount /boot"

for d in lun0 lun1 nvme; do truncate -s 20M "$work/$d.img"; done
luks "$work/lun0.img" LinuxPassPhraseFileName_1_0
luks "$work/lun1.img" LinuxPassPhraseFileName_1_1
luks "$work/nvme.img" LinuxPassPhraseFileName_1_0 --uuid "$NVME_UUID"
LUN0=$(attach -r "$work/lun0.img")
LUN1=$(attach -r "$work/lun1.img")
NVME=$(attach -r "$work/nvme.img")

mkfs.vfat -n "$LABEL" -C "$work/bek.img" 4096 > /dev/null || die "mkfs.vfat"
for f in LinuxPassPhraseFileName LinuxPassPhraseFileName_1_0 LinuxPassPhraseFileName_1_1; do
    mcopy -i "$work/bek.img" "$work/$f" "::$f" || die "mcopy"
done
attach -r "$work/bek.img" > /dev/null

# The links Azure's and udev's rules make on a VM, in a /dev/disk of our own.
if [ ! -d /dev/disk ]; then
    mkdir /dev/disk || die "mkdir /dev/disk"
    made_dev_disk=1
fi
mount -t tmpfs -o mode=0755 tmpfs /dev/disk || die "mount /dev/disk"
mkdir -p /dev/disk/by-partuuid /dev/disk/by-uuid /dev/disk/azure/scsi1
ln -s "$OS_PART" "/dev/disk/by-partuuid/$OS_PARTUUID"
ln -s "$LUN0" /dev/disk/azure/scsi1/lun0
ln -s "$LUN1" /dev/disk/azure/scsi1/lun1
ln -s "$NVME" "/dev/disk/by-uuid/$NVME_UUID"

subst() {
    sed -e "s|@LABEL@|$LABEL|g" -e "s|@OS_PARTUUID@|$OS_PARTUUID|g" \
        -e "s|@BOOT_UUID@|$BOOT_UUID|g" -e "s|@NVME_UUID@|$NVME_UUID|g" \
        -e "s|@GHOST_UUID@|$GHOST_UUID|g" "$1"
}

# The conversion, as the installer and the dracut module run it.
convert_fixture() {
    # shellcheck disable=SC2034,SC2317  # read and called by the library
    (
        HOST_CT=$1
        HOST_CONF=$2
        KEK_DEFAULT=/etc/ade-unlock/kek.jwk
        CT_TMP=$3
        ct_say() { printf '%s\n' "$*"; }
        # shellcheck source=hook/lib/crypttab.sh disable=SC1091
        . "$top/hook/lib/crypttab.sh"
        convert "$CT_TMP/out.ct" "$CT_TMP/out.conf"
    )
}

# check FIXTURE: one PASS/FAIL line.
check() {
    fx=$1
    name=${fx##*/}
    w=$work/run-$name
    mkdir -p "$w"
    subst "$fx/crypttab" > "$w/crypttab"
    subst "$fx/cmdline" > "$w/cmdline"
    subst "$fx/expect" > "$w/expect"
    : > "$w/why"
    fail() { printf '%s\n' "$*" >> "$w/why"; }
    if grep -qx raw "$w/expect"; then
        ct=$w/crypttab
        : > "$w/conf"
        conf=$w/conf
        : > "$w/say"
    else
        convert_fixture "$w/crypttab" "$fx/conf" "$w" > "$w/say" 2>&1
        crc=$?
        want=$(sed -n 's/^convert //p' "$w/expect")
        [ "$crc" = "${want:-0}" ] || fail "conversion exit $crc, wanted ${want:-0}"
        ct=$w/out.ct
        conf=$w/out.conf
        if [ "$PARTS" -eq 0 ]; then
            sed -i "s|PARTUUID=$OS_PARTUUID|/dev/disk/by-partuuid/$OS_PARTUUID|" "$ct"
        fi
    fi
    t0=$(date +%s%N)
    "$bin" --no-kmsg --dry-run --cmdline "$w/cmdline" --crypttab "$ct" --conf "$conf" \
        --status "$w/status" > "$w/out" 2>&1 < /dev/null
    rc=$?
    ms=$((($(date +%s%N) - t0) / 1000000))
    [ -f "$w/status" ] || : > "$w/status"
    while IFS= read -r line; do
        case "$line" in
            partitions:*)
                [ "$PARTS" -eq 1 ] || continue
                line=${line#partitions: }
                ;;
        esac
        k=${line%% *}
        v=${line#* }
        case "$k" in
            convert | raw | '') ;;
            say) grep -Eq -- "$v" "$w/say" || fail "no conversion message /$v/" ;;
            rc) [ "$rc" = "$v" ] || fail "ade-unlock exit $rc, wanted $v" ;;
            dev) grep -qx -- "$v" "$w/status" || fail "no status line '$v'" ;;
            absent) ! grep -q "^$v " "$w/status" || fail "'$v' was tried: $(grep "^$v " "$w/status")" ;;
            log) grep -Eq -- "$v" "$w/out" || fail "no output line /$v/" ;;
            maxtime) [ "$ms" -le $((v * 1000)) ] || fail "took $ms ms, more than $v s" ;;
            *) fail "unknown expect line '$line'" ;;
        esac
    done < "$w/expect"
    # No key material in anything printed, ever.
    for f in LinuxPassPhraseFileName LinuxPassPhraseFileName_1_0; do
        if grep -qF -- "$(cat "$work/$f")" "$w/out" "$w/say"; then
            fail "key material in the output"
        fi
    done
    title="ADE shape $name"
    if [ -s "$w/why" ]; then
        echo "--- $name: $(wc -l < "$w/why") problem(s):"
        sed 's/^/    /' "$w/why"
        echo "    --- the shape (source):"
        sed 's/^/    | /' "$fx/source"
        echo "    --- host crypttab:"
        sed 's/^/    | /' "$w/crypttab"
        echo "    --- conversion:"
        sed 's/^/    | /' "$w/say"
        [ -f "$w/out.ct" ] && sed 's/^/    ct| /' "$w/out.ct"
        echo "    --- ade-unlock (exit $rc, $ms ms):"
        sed 's/^/    | /' "$w/out"
        echo "    --- status:"
        sed 's/^/    | /' "$w/status"
        echo "FAIL: $title"
    else
        [ -n "${ADE_SHOW:-}" ] && sed 's/^/    | /' "$w/say" "$w/out"
        echo "PASS: $title (${ms} ms)"
    fi
}

n=0
for fx in "$fixtures"/*/; do
    fx=${fx%/}
    [ -f "$fx/expect" ] || continue
    case " ${*:-all} " in *" all "* | *" ${fx##*/} "*) ;; *) continue ;; esac
    check "$fx"
    n=$((n + 1))
done
[ "$n" -gt 0 ] || echo "FAIL: no fixture in $fixtures"
