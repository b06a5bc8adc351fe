#!/bin/sh
# SPDX-License-Identifier: MIT
# The whole unlock path on this host, with real parts: a BEK volume made by
# mkfs.vfat/mcopy and LUKS1/LUKS2 images made by Debian's cryptsetup, all on
# loop devices, found by libblkid, the key read by our FAT reader, verified
# by libcryptsetup (--dry-run: this host has no device-mapper to activate).
# Prints one "PASS: case" or "FAIL: case" line per case.
set -u

top=$(cd "$(dirname "$0")/../../.." && pwd)
bin=${ADE_BIN:-$top/build/host/ade-unlock}
[ -x "$bin" ] || { echo "FAIL: $bin not built"; exit 1; }
if [ "$(id -u)" -ne 0 ] || ! losetup -f >/dev/null 2>&1; then
    echo "SKIP: needs root and free loop devices"
    exit 77
fi
for t in cryptsetup mkfs.vfat mcopy losetup; do
    command -v "$t" >/dev/null 2>&1 || { echo "SKIP: $t missing"; exit 77; }
done

# OpenSSL-internal thread state of the host build's libcryptsetup: see the file.
export LSAN_OPTIONS="suppressions=$top/unlock/tests/lsan.supp:print_suppressions=0"
work=$(mktemp -d)
loops=""
# shellcheck disable=SC2317  # called through the trap
cleanup() {
    for m in "$work/crmnt" "$work/ramfs" "$work/mnt-boot" "$work/kekfs"; do
        umount "$m" 2>/dev/null
    done
    for l in $loops; do losetup -d "$l" 2>/dev/null; done
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP PIPE
export MTOOLS_SKIP_CHECK=1
# A label no real machine here has, so that the host's own disks never match,
# and random (8 hex digits), so that two runs side by side never see each
# other's volumes (a PID cut to FAT's 11 characters once collided).
LABEL="ADE$(od -An -N4 -tx4 /dev/urandom | tr -d ' \n' | tr a-f A-F)"

# key NAME SEED: an ADE-shaped key: base64 of 127 bytes, 172 chars, no newline.
key() {
    head -c 127 /dev/urandom | base64 -w0 > "$work/$1"
    [ "$(wc -c < "$work/$1")" -eq 172 ] || { echo "FAIL: key size"; exit 1; }
}

attach() {
    l=$(losetup -f --show -r "$1") || { echo "FAIL: losetup $1"; exit 1; }
    loops="$loops $l"
    echo "$l"
}

# luks NAME TYPE UUID KEYFILE [extra cryptsetup args...]
luks() {
    n=$1 t=$2 u=$3 k=$4
    shift 4
    truncate -s 20M "$work/$n.img"
    if [ "$t" = luks1 ]; then
        set -- --pbkdf pbkdf2 --pbkdf-force-iterations 1000 "$@"
    else
        set -- --pbkdf argon2id --pbkdf-force-iterations 4 --pbkdf-memory 32 "$@"
    fi
    cryptsetup luksFormat -q --type "$t" --uuid "$u" --key-file "$work/$k" \
        "$@" "$work/$n.img" || { echo "FAIL: luksFormat $n"; exit 1; }
}

# bek IMG FILE...: a FAT volume labelled $LABEL holding the named key files.
bek() {
    img=$1
    shift
    rm -f "$work/$img"
    mkfs.vfat -n "$LABEL" -C "$work/$img" 4096 >/dev/null || exit 1
    for f in "$@"; do mcopy -i "$work/$img" "$work/$f" "::$f" || exit 1; done
    echo "CRITICAL DATA" > "$work/README"
    mcopy -i "$work/$img" "$work/README" ::CRITICAL_DATA_WARNING_README.txt
}

printf 'rd.ade.timeout=3 rd.ade.label="%s"\n' "$LABEL" > "$work/cmdline"
: > "$work/noconf"

# expect CASE WANT_RC PATTERN... -- ARGS: runs the binary, checks exit code
# and that each pattern (grep -E) is in its output.
expect() {
    name=$1 want=$2
    shift 2
    pats=""
    while [ "$1" != "--" ]; do pats="$pats
$1"; shift; done
    shift
    # EXPECT_LIVE=1: a real run (only where activating cannot happen or
    # is the point: this host has no device-mapper).
    if [ -n "${EXPECT_LIVE:-}" ]; then
        "$bin" --no-kmsg ${ADE_DEBUG:+--debug} "$@" > "$work/out" 2>&1
    else
        "$bin" --no-kmsg --dry-run "$@" > "$work/out" 2>&1
    fi
    rc=$?
    [ -n "${ADE_SHOW:-}" ] && cat "$work/out"
    ok=1
    [ "$rc" -eq "$want" ] || ok=0
    printf '%s\n' "$pats" | while IFS= read -r p; do
        [ -n "$p" ] || continue
        grep -Eq -- "$p" "$work/out" || { echo "missing: $p"; exit 1; }
    done || ok=0
    # No key material in the output, ever.
    for k in "$work"/k_*; do
        grep -qF -- "$(cat "$k")" "$work/out" && { echo "key in output!"; ok=0; }
    done
    if [ "$ok" -eq 1 ]; then
        echo "PASS: $name"
    else
        echo "--- output of $name (exit $rc, wanted $want):"
        sed 's/^/    /' "$work/out"
        echo "FAIL: $name"
    fi
}

key k_os; key k_data; key k_old; key k_wrong
# Fresh UUIDs each run: a stale loop device elsewhere can never match.
uuid() { cat /proc/sys/kernel/random/uuid; }
U_OS=$(uuid) U_D0=$(uuid) U_D1=$(uuid) U_HD=$(uuid) U_AH=$(uuid)
luks os luks2 "$U_OS" k_os
luks d0 luks1 "$U_D0" k_data
luks d1 luks2 "$U_D1" k_old
# Key rotation as ADE does it: the new key added to the header beside the old.
cryptsetup luksAddKey -q --pbkdf pbkdf2 --pbkdf-force-iterations 1000 \
    --key-file "$work/k_old" "$work/d1.img" "$work/k_data" || exit 1
truncate -s 8M "$work/hd.img"
truncate -s 4M "$work/hdr.img"
luks hd luks2 "$U_HD" k_data --header "$work/hdr.img"
# ADE's OS disk: header detached on an ext4 boot filesystem, as
# /luks/osluksheader there (/boot/luks/osluksheader on the host).
truncate -s 8M "$work/ah.img"
mkdir -p "$work/bootfs/luks"
truncate -s 16M "$work/bootfs/luks/osluksheader"
luks ah luks2 "$U_AH" k_os --header "$work/bootfs/luks/osluksheader"
truncate -s 40M "$work/boot.img"
mkfs.ext4 -q -F -d "$work/bootfs" "$work/boot.img" || { echo "FAIL: mkfs.ext4"; exit 1; }
U_BOOT=$(blkid -s UUID -o value "$work/boot.img")
cp "$work/k_os" "$work/LinuxPassPhraseFileName"
cp "$work/k_data" "$work/LinuxPassPhraseFileName_1_0"
cp "$work/k_data" "$work/LinuxPassPhraseFileName_1_1"
bek bek.img LinuxPassPhraseFileName LinuxPassPhraseFileName_1_0 LinuxPassPhraseFileName_1_1

for n in os d0 d1 hd ah boot; do attach "$work/$n.img" > "$work/$n.loop"; done
attach "$work/bek.img" > "$work/bek.loop"
HD_LOOP=$(cat "$work/hd.loop")

cat > "$work/crypttab" <<EOF
# ADE's own lines, device paths as the installer resolves them
osencrypt UUID=$U_OS /mnt/azure_bek_disk/LinuxPassPhraseFileName discard
data0 UUID=$U_D0 /mnt/azure_bek_disk/LinuxPassPhraseFileName_1_0 luks,nofail
# systemd's spelling of a key on the BEK volume
data1	UUID=$U_D1	/LinuxPassPhraseFileName_1_1:LABEL=$LABEL	luks
# detached header inside the initramfs
datah $HD_LOOP /LinuxPassPhraseFileName_1_0:LABEL=$LABEL header=$work/hdr.img
swap /dev/zero /dev/urandom swap
EOF

expect "all devices verified (LUKS1, LUKS2, rotated, detached header)" 0 \
    "osencrypt \(UUID=$U_OS\): verified: would open as /dev/mapper/osencrypt \(keyslot 0, LUKS2, key file 'LinuxPassPhraseFileName'\)" \
    "data0 .*verified.*keyslot 0, LUKS1, key file 'LinuxPassPhraseFileName_1_0'" \
    "data1 .*verified.*keyslot 1, LUKS2, key file 'LinuxPassPhraseFileName_1_1'" \
    "datah .*verified.*LUKS2" \
    "swap: not ours" \
    "$LABEL: found on loop" \
    -- --cmdline "$work/cmdline" --crypttab "$work/crypttab" --conf "$work/noconf"

AH_LOOP=$(cat "$work/ah.loop")
cat > "$work/crypttab-ade" <<EOF
osencrypt $AH_LOOP /bek/LinuxPassPhraseFileName timeout=10,discard,header=/boot/luks/osluksheader:UUID=$U_BOOT
EOF
expect "ADE OS disk: detached header read from the boot filesystem" 0 \
    "osencrypt \\($AH_LOOP\\): verified.*LUKS2, key file 'LinuxPassPhraseFileName'" \
    -- --cmdline "$work/cmdline" --crypttab "$work/crypttab-ade" --conf "$work/noconf"
if grep -q "$work/" /proc/mounts; then
    echo "FAIL: the boot filesystem is still mounted"
else
    echo "PASS: the boot filesystem is unmounted after"
fi
# rd.luks.uuid= naming the detached-header OS disk's UUID: the luks-UUID
# device never appears as such; it is reported as opened under its name.
printf 'rd.ade.timeout=3 rd.ade.label=%s rd.luks.uuid=%s\n' "$LABEL" "$U_AH" > "$work/cmdline-ah"
printf 'device-timeout = 1\n' > "$work/conf-ah"
expect "rd.luks.uuid= of a detached-header disk opened under its crypttab name" 0 \
    "osencrypt \\($AH_LOOP\\): verified" \
    "luks-$U_AH \\(UUID=$U_AH\\): skipped \\(its header is detached: opened as 'osencrypt'\\)" \
    -- --cmdline "$work/cmdline-ah" --crypttab "$work/crypttab-ade" --conf "$work/conf-ah"
# Two entries naming one LUKS device: one mapping, the other skipped.
cat > "$work/crypttab-dup" <<EOF
data0 UUID=$U_D0 /mnt/azure_bek_disk/LinuxPassPhraseFileName_1_0
data0b $(cat "$work/d0.loop") /mnt/azure_bek_disk/LinuxPassPhraseFileName_1_0
EOF
expect "two entries for one LUKS device: one opens, one skipped" 0 \
    "data0b? .*verified" \
    "data0b? .*skipped \\(same LUKS device as 'data0b?'\\)" \
    -- --cmdline "$work/cmdline" --crypttab "$work/crypttab-dup" --conf "$work/noconf"

# The boot filesystem mounted read-write already (systemd's generator mounts
# a header= device itself): the header is read where it is mounted.
losetup -d "$(cat "$work/boot.loop")"
l=$(losetup -f --show "$work/boot.img") && loops="$loops $l"
mkdir -p "$work/mnt-boot"
mount "$l" "$work/mnt-boot"
expect "ADE OS disk: header read from the boot filesystem mounted rw elsewhere" 0 \
    "osencrypt \\($AH_LOOP\\): verified" \
    -- --cmdline "$work/cmdline" --crypttab "$work/crypttab-ade" --conf "$work/noconf"
umount "$work/mnt-boot"
losetup -d "$l"
# A symbolic link on the way to the header (a planted /luks -> elsewhere on
# the unencrypted boot filesystem) is never followed.
mkdir -p "$work/linkfs/real"
cp "$work/bootfs/luks/osluksheader" "$work/linkfs/real/osluksheader"
ln -s real "$work/linkfs/luks"
truncate -s 40M "$work/link.img"
mkfs.ext4 -q -F -d "$work/linkfs" "$work/link.img" || echo "FAIL: mkfs.ext4 (symlink case)"
attach "$work/link.img" > "$work/link.loop"
LINK_LOOP=$(cat "$work/link.loop")
echo "osencrypt $AH_LOOP /bek/LinuxPassPhraseFileName header=/boot/luks/osluksheader:UUID=$(blkid -s UUID -o value "$work/link.img")" \
    > "$work/crypttab-link"
expect "detached header behind a symbolic link: not followed" 5 \
    "osencrypt \\($AH_LOOP\\): FAILED \\(cannot read header '/boot/luks/osluksheader' from ${LINK_LOOP#/dev/} \\(ext4\\): a symbolic link on its path \\(never followed\\)\\)" \
    -- --cmdline "$work/cmdline" --crypttab "$work/crypttab-link" --conf "$work/noconf"

# Headers that need no key, made by make-plain-keyslot.py (an attacker who
# can write the disk's blocks formats it with a key of their own, then
# stores the keyslot with cipher_null: any passphrase "decrypts" it). Each is
# refused before any key derivation, under the BEK key file; a real header
# beside them still verifies (exit 4: some FAILED).
# plain NAME VOLUME_KEY_BYTES TYPE UUID KEYFILE [cryptsetup args]: prints its loop.
plain() {
    n=$1
    head -c "$2" /dev/urandom > "$work/vk_$n"
    shift 2
    luks "$n" "$@" --volume-key-file "$work/vk_$n" > /dev/null
    /usr/bin/python3 "$top/unlock/tests/integration/make-plain-keyslot.py" \
        "$work/$n.img" "$work/vk_$n" >&2 || echo "FAIL: make-plain-keyslot.py $n" >&2
    attach "$work/$n.img"
}
key k_attacker
U_N2=$(uuid) U_N1=$(uuid) U_NS=$(uuid) U_RE=$(uuid)
plain n2 64 luks2 "$U_N2" k_attacker > "$work/n2.loop"
plain n1 32 luks1 "$U_N1" k_attacker --key-size 256 > "$work/n1.loop"
N2_LOOP=$(cat "$work/n2.loop") N1_LOOP=$(cat "$work/n1.loop")
# A real keyslot (the BEK key opens it) over a data segment rewritten as
# cipher_null: the mapping would show bytes anybody wrote, in plain.
luks ns luks2 "$U_NS" k_data
/usr/bin/python3 "$top/unlock/tests/integration/make-plain-keyslot.py" \
    --segment "$work/ns.img" || echo "FAIL: make-plain-keyslot.py --segment"
attach "$work/ns.img" > "$work/ns.loop"
NS_LOOP=$(cat "$work/ns.loop")
cat > "$work/crypttab-plain" <<EOF
null2 $N2_LOOP /LinuxPassPhraseFileName_1_1:LABEL=$LABEL luks
null1 $N1_LOOP /LinuxPassPhraseFileName_1_1:LABEL=$LABEL luks
nullseg $NS_LOOP /LinuxPassPhraseFileName_1_1:LABEL=$LABEL luks
data1 UUID=$U_D1 /LinuxPassPhraseFileName_1_1:LABEL=$LABEL luks
EOF
expect "keyless headers refused: cipher_null keyslot (LUKS2, LUKS1), plain segment" 4 \
    "null2 \\($N2_LOOP\\): FAILED \\(keyslot 0 does not encrypt: refused\\)" \
    "null1 \\($N1_LOOP\\): FAILED \\(keyslot 0 does not encrypt: refused\\)" \
    "nullseg \\($NS_LOOP\\): FAILED \\(data segment is not encrypted: refused\\)" \
    "data1 .*verified.*keyslot 1, LUKS2" \
    -- --cmdline "$work/cmdline" --crypttab "$work/crypttab-plain" --conf "$work/noconf"
# An online encryption begun by cryptsetup (ADE's first boot: --init-only,
# header detached) has plain segments by design: it still verifies.
truncate -s 20M "$work/re.img"
truncate -s 16M "$work/rehdr.img"
cryptsetup reencrypt -q --encrypt --init-only --type luks2 --uuid "$U_RE" \
    --pbkdf argon2id --pbkdf-force-iterations 4 --pbkdf-memory 32 \
    --key-file "$work/k_data" --header "$work/rehdr.img" "$work/re.img" ||
    echo "FAIL: reencrypt --encrypt --init-only"
attach "$work/re.img" > "$work/re.loop"
RE_LOOP=$(cat "$work/re.loop")
cat > "$work/crypttab-re" <<EOF
encrypting $RE_LOOP /LinuxPassPhraseFileName_1_1:LABEL=$LABEL luks,header=$work/rehdr.img
EOF
expect "online encryption in progress (plain segments, detached header): verified" 0 \
    "encrypting \\($RE_LOOP\\): verified.*LUKS2" \
    "encrypting: LUKS2 header in reencryption" \
    -- --cmdline "$work/cmdline" --crypttab "$work/crypttab-re" --conf "$work/noconf"
# The same header as cryptsetup before 2.3.7 wrote it (RHEL 8.1-8.5: an ADE
# online encryption begun there and still running): no digest over the
# reencryption metadata, which 2.6.1 refuses. Named, with what to run.
cp "$work/rehdr.img" "$work/oldhdr.img"
/usr/bin/python3 "$top/unlock/tests/integration/make-plain-keyslot.py" \
    --old-reencrypt "$work/oldhdr.img" || echo "FAIL: make-plain-keyslot.py --old-reencrypt"
sed "s|$work/rehdr.img|$work/oldhdr.img|" "$work/crypttab-re" > "$work/crypttab-old"
expect "online encryption begun before cryptsetup 2.3.7 (no metadata digest): refused with the repair command" 5 \
    "encrypting \\($RE_LOOP\\): FAILED \\(its reencryption metadata has no digest \\(written by cryptsetup before 2\\.3\\.7\\): run 'cryptsetup repair --header $work/oldhdr.img $RE_LOOP' with its passphrase, then resume the encryption\\); left to the passphrase prompt" \
    -- --cmdline "$work/cmdline" --crypttab "$work/crypttab-old" --conf "$work/noconf"
# An online encryption interrupted mid-step (cryptsetup killed right after
# writing a hotzone, before recording it: what a power cut leaves), header
# detached on an ext4 boot filesystem as ADE keeps the OS disk's. --dry-run
# says so and writes nothing; a real run loads the real header, the boot
# filesystem mounted read-write for that step only. (The recovery itself runs
# in the activation, which needs device-mapper: tests/qemu scenario 17
# proves it.)
if command -v strace > /dev/null 2>&1; then
    head -c 40M /dev/urandom > "$work/cr.img"
    mkdir -p "$work/crbootfs/luks" "$work/crmnt"
    truncate -s 16M "$work/crbootfs/luks/osluksheader"
    cryptsetup reencrypt -q --encrypt --init-only --type luks2 \
        --pbkdf pbkdf2 --pbkdf-force-iterations 1000 --key-file "$work/k_data" \
        --header "$work/crbootfs/luks/osluksheader" "$work/cr.img" ||
        echo "FAIL: reencrypt --init-only (crash case)"
    CR_LOOP=$(losetup -f --show "$work/cr.img") && loops="$loops $CR_LOOP"
    # SIGKILL at the second data-device fdatasync: the first hotzone is
    # recorded, the second written and not.
    strace -f -o /dev/null -e trace=fdatasync -e inject=fdatasync:signal=SIGKILL:when=2 \
        cryptsetup reencrypt --resume-only --resilience journal --key-file "$work/k_data" \
        --header "$work/crbootfs/luks/osluksheader" "$CR_LOOP" 2> /dev/null
    truncate -s 40M "$work/crboot.img"
    mkfs.ext4 -q -F -d "$work/crbootfs" "$work/crboot.img" || echo "FAIL: mkfs.ext4 (crash case)"
    U_CRBOOT=$(blkid -s UUID -o value "$work/crboot.img")
    CRB_LOOP=$(losetup -f --show "$work/crboot.img") && loops="$loops $CRB_LOOP"
    crashed() {
        mount -o ro "$CRB_LOOP" "$work/crmnt" || return 2
        cryptsetup luksDump "$work/crmnt/luks/osluksheader" > "$work/crdump" 2>&1
        umount "$work/crmnt"
        grep -q 'in-reencryption' "$work/crdump"
    }
    if crashed; then
        echo "PASS: crash case: cryptsetup killed mid-step leaves the header in crash state"
    else
        echo "FAIL: crash case: cryptsetup killed mid-step leaves the header in crash state"
    fi
    echo "osencrypt $CR_LOOP /bek/LinuxPassPhraseFileName_1_0 header=/boot/luks/osluksheader:UUID=$U_CRBOOT" \
        > "$work/crypttab-crash"
    sha_boot=$(sha256sum < "$work/crboot.img")
    expect "interrupted encryption, --dry-run: named, nothing written" 0 \
        "osencrypt: its reencryption was interrupted: opening it recovers it on /boot/luks/osluksheader" \
        "osencrypt \\($CR_LOOP\\): verified" \
        -- --cmdline "$work/cmdline" --crypttab "$work/crypttab-crash" --conf "$work/noconf"
    if [ "$(sha256sum < "$work/crboot.img")" = "$sha_boot" ]; then
        echo "PASS: interrupted encryption, --dry-run: the boot filesystem unchanged"
    else
        echo "FAIL: interrupted encryption, --dry-run: the boot filesystem unchanged"
    fi
    EXPECT_LIVE=1
    expect "interrupted encryption: the real header loaded, its filesystem mounted read-write for the step" 5 \
        "osencrypt: its reencryption was interrupted: recovering it against the real header '/boot/luks/osluksheader' on ${CRB_LOOP#/dev/} \\(mounted read-write for this step\\)" \
        -- --cmdline "$work/cmdline" --crypttab "$work/crypttab-crash" --conf "$work/noconf"
    EXPECT_LIVE=
    if grep -q "$work/" /proc/mounts || ls -d /run/ade-unlock-hdr* /tmp/ade-unlock-hdr* 2> /dev/null; then
        echo "FAIL: interrupted encryption: the boot filesystem unmounted after"
    else
        echo "PASS: interrupted encryption: the boot filesystem unmounted after"
    fi
    # The boot filesystem mounted read-only already (systemd mounts a header=
    # device itself): bound, made writable for the step, read-only again after.
    mount -o ro "$CRB_LOOP" "$work/crmnt"
    EXPECT_LIVE=1
    expect "interrupted encryption, boot filesystem mounted read-only elsewhere: made writable for the step" 5 \
        "osencrypt: its reencryption was interrupted: recovering it against the real header '/boot/luks/osluksheader' on ${CRB_LOOP#/dev/}" \
        -- --cmdline "$work/cmdline" --crypttab "$work/crypttab-crash" --conf "$work/noconf"
    EXPECT_LIVE=
    if [ "$(grep -c "$work/" /proc/mounts)" -ne 1 ] ||
        ! grep -q "$work/crmnt ext4 ro," /proc/mounts || touch "$work/crmnt/x" 2> /dev/null; then
        grep "$work/" /proc/mounts | sed 's/^/    /'
        echo "FAIL: interrupted encryption: the other mount read-only again after, nothing left mounted"
    else
        echo "PASS: interrupted encryption: the other mount read-only again after, nothing left mounted"
    fi
    umount "$work/crmnt"
    # The header a copy in the initramfs (a tmpfs): refused, never recovered there.
    mkdir -p "$work/ramfs"
    mount -t tmpfs -o size=32M tmpfs "$work/ramfs"
    cp "$work/rehdr.img" "$work/ramfs/hdr.img"
    cp "$work/re.img" "$work/re2.img"
    RE2_LOOP=$(losetup -f --show "$work/re2.img") && loops="$loops $RE2_LOOP"
    strace -f -o /dev/null -e trace=fdatasync -e inject=fdatasync:signal=SIGKILL:when=1 \
        cryptsetup reencrypt --resume-only --resilience journal --key-file "$work/k_data" \
        --header "$work/ramfs/hdr.img" "$RE2_LOOP" 2> /dev/null
    sha_copy=$(sha256sum < "$work/ramfs/hdr.img")
    echo "encrypting $RE2_LOOP /LinuxPassPhraseFileName_1_1:LABEL=$LABEL luks,header=$work/ramfs/hdr.img" \
        > "$work/crypttab-copy"
    EXPECT_LIVE=1
    expect "interrupted encryption, header a copy in the initramfs: refused" 5 \
        "encrypting \\($RE2_LOOP\\): FAILED \\(its reencryption was interrupted, and its header '$work/ramfs/hdr.img' is a copy inside the initramfs: a recovery written there would be lost; open it once with the real header \\(cryptsetup open --header\\) to recover it\\)" \
        -- --cmdline "$work/cmdline" --crypttab "$work/crypttab-copy" --conf "$work/noconf"
    EXPECT_LIVE=
    if [ "$(sha256sum < "$work/ramfs/hdr.img")" = "$sha_copy" ]; then
        echo "PASS: interrupted encryption, header a copy in the initramfs: not written"
    else
        echo "FAIL: interrupted encryption, header a copy in the initramfs: not written"
    fi
    umount "$work/ramfs"
else
    echo "SKIP: interrupted encryption cases (no strace to kill cryptsetup mid-step)"
fi

if ls -d /run/ade-unlock* /tmp/ade-unlock* 2>/dev/null; then
    echo "FAIL: private directories left behind"
else
    echo "PASS: no private directory left behind"
fi

# keyfile-offset= and keyfile-size= pick the key out of the file's bytes.
tail -c +3 "$work/k_data" | head -c 100 > "$work/k_part"
luks part luks2 "$(uuid)" k_part
attach "$work/part.img" > "$work/part.loop"
cat > "$work/crypttab-part" <<EOF
part $(cat "$work/part.loop") /mnt/azure_bek_disk/LinuxPassPhraseFileName_1_0 keyfile-offset=2,keyfile-size=100
EOF
cat > "$work/crypttab-whole" <<EOF
whole $(cat "$work/part.loop") /mnt/azure_bek_disk/LinuxPassPhraseFileName_1_0 keyfile-offset=2
EOF
expect "keyfile-offset= and keyfile-size= select the key bytes" 0 \
    "part .*verified.*key file 'LinuxPassPhraseFileName_1_0'" \
    -- --cmdline "$work/cmdline" --crypttab "$work/crypttab-part" --conf "$work/noconf"
expect "keyfile-offset= alone: the rest of the file is a different key" 5 \
    "whole .*FAILED \\(no keyslot accepted the key\\)" \
    -- --cmdline "$work/cmdline" --crypttab "$work/crypttab-whole" --conf "$work/noconf"

# A device whose own file is missing falls back to LinuxPassPhraseFileName*.
cat > "$work/crypttab2" <<EOF
data0 UUID=$U_D0 /mnt/azure_bek_disk/LinuxPassPhraseFileName_1_7 luks
EOF
expect "fallback to the other LinuxPassPhraseFileName files" 0 \
    "data0 .*verified.*key file 'LinuxPassPhraseFileName_1_0'" \
    -- --cmdline "$work/cmdline" --crypttab "$work/crypttab2" --conf "$work/noconf"

# Wrong key for one device: the others verify, that one FAILED, exit 4.
cat > "$work/crypttab3" <<EOF
osencrypt UUID=$U_OS /mnt/azure_bek_disk/LinuxPassPhraseFileName
data0 UUID=$U_D0 /mnt/azure_bek_disk/LinuxPassPhraseFileName_1_0 luks
EOF
cp "$work/k_wrong" "$work/LinuxPassPhraseFileName_1_0"
cp "$work/k_os" "$work/LinuxPassPhraseFileName"
bek bek2.img LinuxPassPhraseFileName LinuxPassPhraseFileName_1_0
losetup -d "$(cat "$work/bek.loop")"
attach "$work/bek2.img" > "$work/bek.loop"
# Only the k_os file and the wrong one: data0 is LUKS1 with k_data.
expect "wrong key on one device: FAILED, exit 4" 4 \
    "osencrypt .*verified" \
    "data0 \(UUID=$U_D0\): FAILED \(no keyslot accepted the key\)" \
    -- --cmdline "$work/cmdline" --crypttab "$work/crypttab3" --conf "$work/noconf" \
    --fallback-crypttab "$work/fallback"
# --fallback-crypttab: the device the boot needs that was not opened, as a
# crypttab line for cryptsetup-initramfs's prompt (initramfs-tools).
printf 'data0 UUID=%s none luks\n' "$U_D0" > "$work/fallback.want"
if cmp -s "$work/fallback" "$work/fallback.want" && [ ! -e "$work/fallback.tmp" ]; then
    echo "PASS: --fallback-crypttab names the device that failed"
else
    echo "--- --fallback-crypttab wrote:"
    sed 's/^/    /' "$work/fallback" 2>&1
    echo "FAIL: --fallback-crypttab names the device that failed"
fi

# A data disk that never appears: reported after its bounded wait
# (x-systemd.device-timeout=, crypttab(5)'s device wait; timeout= is the
# password prompt's and no wait at all here).
cat > "$work/crypttab4" <<EOF
osencrypt UUID=$U_OS /mnt/azure_bek_disk/LinuxPassPhraseFileName
ghost UUID=99999999-9999-4999-8999-999999999999 /mnt/azure_bek_disk/LinuxPassPhraseFileName timeout=600,x-systemd.device-timeout=1,nofail
EOF
expect "missing device: FAILED after its timeout, others open" 4 \
    "ghost .*FAILED \(device not found after 1 s\); nofail" \
    "osencrypt .*verified" \
    -- --cmdline "$work/cmdline" --crypttab "$work/crypttab4" --conf "$work/noconf" \
    --status "$work/status" --fallback-crypttab "$work/fallback4"
# A nofail device that failed is nobody's prompt: an empty fallback table.
if [ -f "$work/fallback4" ] && [ ! -s "$work/fallback4" ]; then
    echo "PASS: --fallback-crypttab leaves a nofail device out"
else
    echo "FAIL: --fallback-crypttab leaves a nofail device out"
fi
# --status: each device's outcome, the dracut module's input (a nofail
# device that failed is not prompted for in the initramfs).
printf 'osencrypt verified\nghost failed nofail\n' > "$work/status.want"
if cmp -s "$work/status" "$work/status.want" && [ ! -e "$work/status.tmp" ]; then
    echo "PASS: --status names each device's outcome"
else
    echo "--- --status wrote:"
    sed 's/^/    /' "$work/status" 2>&1
    echo "FAIL: --status names each device's outcome"
fi

# No BEK volume: exit 2 with the one clear line.
printf 'rd.ade.timeout=1 rd.ade.label=NOSUCHBEK\n' > "$work/cmdline-nobek"
expect "BEK volume absent: exit 2" 2 \
    "NOSUCHBEK: not found after 1 s \(checked [0-9]+ block devices: .*\); falling back to passphrase prompt" \
    -- --cmdline "$work/cmdline-nobek" --crypttab "$work/crypttab3" --conf "$work/noconf"
printf 'rd.ade.timeout=0 rd.ade.label=NOSUCHBEK\n' > "$work/cmdline-nobek0"
expect "BEK volume absent, rd.ade.timeout=0: exit 2" 2 \
    "NOSUCHBEK: not found after 0 s" \
    -- --cmdline "$work/cmdline-nobek0" --crypttab "$work/crypttab3" --conf "$work/noconf"

# A BEK volume without any key file: exit 3.
bek bek3.img
losetup -d "$(cat "$work/bek.loop")"
attach "$work/bek3.img" > "$work/bek.loop"
expect "BEK volume without key files: exit 3" 3 \
    "no usable key file" \
    -- --cmdline "$work/cmdline" --crypttab "$work/crypttab3" --conf "$work/noconf"

# Two volumes with the label: an error naming both, exit 2.
attach "$work/bek.img" > "$work/bek-second.loop"
expect "two BEK volumes: exit 2 naming both" 2 \
    "$LABEL: found on both loop[0-9]+ and loop[0-9]+" \
    -- --cmdline "$work/cmdline" --crypttab "$work/crypttab3" --conf "$work/noconf"

# A labelled volume resized while ade-unlock still looks for a second one
# (250 ms after the first match): probed again, it is still one volume. The
# resize happens as soon as the debug output shows the first probe.
losetup -d "$(cat "$work/bek-second.loop")"
losetup -d "$(cat "$work/bek.loop")"
cp "$work/bek.img" "$work/bek-grow.img"
attach "$work/bek-grow.img" > "$work/bek.loop"
GROW=$(cat "$work/bek.loop")
rm -f "$work/grown"
"$bin" --no-kmsg --dry-run --debug --cmdline "$work/cmdline" --crypttab "$work/crypttab3" \
    --conf "$work/noconf" 2>&1 | while IFS= read -r l; do
    printf '%s\n' "$l"
    case "$l" in
        *"${GROW#/dev/}: type 'vfat' label '$LABEL'"*)
            if [ ! -e "$work/grown" ]; then
                : > "$work/grown"
                truncate -s +1M "$work/bek-grow.img"
                losetup -c "$GROW"
            fi
            ;;
    esac
done > "$work/out-grow"
probes=$(grep -c "${GROW#/dev/}: type 'vfat' label '$LABEL'" "$work/out-grow")
if [ "$probes" -lt 2 ]; then
    echo "FAIL: BEK volume resized while confirming: the resize was not seen (probed $probes times)"
elif grep -q "found on both" "$work/out-grow" ||
    ! grep -q "summary: all devices handled in .*; exit 0" "$work/out-grow"; then
    sed 's/^/    /' "$work/out-grow"
    echo "FAIL: BEK volume resized while confirming: counted twice"
else
    echo "PASS: BEK volume resized while confirming: probed $probes times, one volume"
fi
# Back as before: bek.img on a loop device, the later cases' BEK volume.
attach "$work/bek.img" > "$work/bek-second.loop"

# rd.ade=0: nothing done, exit 0.
printf 'quiet rd.ade=0\n' > "$work/cmdline-off"
expect "rd.ade=0 disables" 0 "disabled by rd.ade=0: nothing done" \
    -- --cmdline "$work/cmdline-off" --crypttab "$work/crypttab3" --conf "$work/noconf"

# A broken crypttab: exit 1, naming file and line, nothing tried.
printf 'data0\n' > "$work/crypttab-bad"
expect "bad crypttab: exit 1 naming the line" 1 "crypttab-bad.*line 1" \
    -- --cmdline "$work/cmdline" --crypttab "$work/crypttab-bad" --conf "$work/noconf"

losetup -d "$(cat "$work/bek.loop")"

# rd.luks.uuid=: crypttab entries not listed are skipped; a listed UUID that
# crypttab does not name is opened as luks-UUID (or rd.luks.name=) with ADE's
# key files.
printf 'rd.ade.timeout=3 rd.ade.label=%s rd.luks.uuid=luks-%s rd.luks.uuid=%s rd.luks.name=%s=rootfs\n' \
    "$LABEL" "$U_D1" "$U_OS" "$U_OS" > "$work/cmdline-uuid"
cat > "$work/crypttab-uuid" <<EOF
data0 UUID=$U_D0 /mnt/azure_bek_disk/LinuxPassPhraseFileName_1_0 luks
data1 UUID=$U_D1 /mnt/azure_bek_disk/LinuxPassPhraseFileName_1_0 luks
EOF
expect "rd.luks.uuid= and rd.luks.name= limit and add devices" 0 \
    "data0 .*skipped \\(UUID $U_D0 not in rd.luks.uuid=\\)" \
    "data1 .*verified.*keyslot 1" \
    "rootfs \\(UUID=$U_OS\\): verified.*key file 'LinuxPassPhraseFileName'" \
    -- --cmdline "$work/cmdline-uuid" --crypttab "$work/crypttab-uuid" --conf "$work/noconf"
# noauto: not opened at boot (as systemd), unless rd.luks.uuid= names it.
cat > "$work/crypttab-noauto" <<EOF
data0 UUID=$U_D0 /mnt/azure_bek_disk/LinuxPassPhraseFileName_1_0 luks,noauto
data1 UUID=$U_D1 /mnt/azure_bek_disk/LinuxPassPhraseFileName_1_0 luks
EOF
printf 'rd.ade.timeout=3 rd.ade.label=%s\n' "$LABEL" > "$work/cmdline-plain"
expect "noauto: skipped, the others opened" 0 \
    "data0 .*skipped \\(noauto: not opened at boot\\)" \
    "data1 .*verified.*keyslot 1" \
    -- --cmdline "$work/cmdline-plain" --crypttab "$work/crypttab-noauto" --conf "$work/noconf"
printf 'rd.ade.timeout=3 rd.ade.label=%s rd.luks.uuid=%s\n' "$LABEL" "$U_D0" > "$work/cmdline-noauto"
expect "noauto named by rd.luks.uuid=: opened" 0 \
    "data0 .*verified" \
    "data1 .*skipped \\(UUID $U_D1 not in rd.luks.uuid=\\)" \
    -- --cmdline "$work/cmdline-noauto" --crypttab "$work/crypttab-noauto" --conf "$work/noconf"
printf 'rd.ade.timeout=3 rd.ade.label=%s rd.luks=0\n' "$LABEL" > "$work/cmdline-noluks"
expect "rd.luks=0 skips every device" 0 \
    "data0 .*skipped \\(rd.luks=0\\)" \
    -- --cmdline "$work/cmdline-noluks" --crypttab "$work/crypttab-uuid" --conf "$work/noconf"

# The conf marks an entry with key "none" as ours (the installer's form).
cat > "$work/crypttab5" <<EOF
data0 UUID=$U_D0 none luks
EOF
cat > "$work/conf5" <<EOF
label = $LABEL
key.data0 = LinuxPassPhraseFileName_1_1
EOF
printf 'rd.ade.timeout=3\n' > "$work/cmdline5"
expect "conf key.NAME owns a crypttab entry" 0 \
    "data0 .*verified.*LinuxPassPhraseFileName_1_1" \
    -- --cmdline "$work/cmdline5" --crypttab "$work/crypttab5" --conf "$work/conf5"

# Hostile BEK volumes: each a clear line, no crash, no hang, exit 3 or 2.
corpus="$top/unlock/tests/fuzz/corpus/fat"
printf 'rd.ade.timeout=2 rd.ade.label="BEK VOLUME"\n' > "$work/cmdline-real"
hostile() {
    name=$1 img=$2
    shift 2
    attach "$img" > "$work/hostile.loop"
    expect "$name" "$@" -- --cmdline "$work/cmdline-real" \
        --crypttab "$work/crypttab3" --conf "$work/noconf"
    losetup -d "$(cat "$work/hostile.loop")"
}
hostile "hostile BEK: cluster loop in the key file" "$corpus/fat16-cluster-loop.img" 3 \
    "key file 'LinuxPassPhraseFileName': .*loop" "no usable key file"
hostile "hostile BEK: chain past the end of the volume" "$corpus/fat12-chain-past-end.img" 3 \
    "key file 'LinuxPassPhraseFileName': .*past the (end|last cluster)" "no usable key file"
hostile "hostile BEK: size field larger than the volume" "$corpus/fat16-size-lies.img" 3 \
    "key file 'LinuxPassPhraseFileName': larger than 8 KiB: refused" "no usable key file"
hostile "hostile BEK: directory without end" "$corpus/fat12-endless-dir.img" 3 \
    "no usable key file"
: > "$work/LinuxPassPhraseFileName"
mkfs.vfat -n "BEK VOLUME" -C "$work/empty.img" 2048 >/dev/null
mcopy -i "$work/empty.img" "$work/LinuxPassPhraseFileName" ::LinuxPassPhraseFileName
hostile "hostile BEK: empty key file" "$work/empty.img" 3 \
    "key file 'LinuxPassPhraseFileName': the file is empty"
truncate -s 120M "$work/big.img"
mkfs.vfat -n "BEK VOLUME" "$work/big.img" >/dev/null
head -c 100M /dev/zero > "$work/LinuxPassPhraseFileName"
mcopy -i "$work/big.img" "$work/LinuxPassPhraseFileName" ::LinuxPassPhraseFileName
rm -f "$work/LinuxPassPhraseFileName"
hostile "hostile BEK: 100 MiB key file refused unread" "$work/big.img" 3 \
    "key file 'LinuxPassPhraseFileName': larger than 8 KiB: refused"
rm -f "$work/big.img"
# A sparse 2 GiB FAT32 volume whose 65 key files share one chain through all
# its 4 M clusters (make-long-chain.py): each small file is read at once, but
# telling that its chain does not end there costs a FAT read per cluster, for
# every file (before the work budget: over a minute). The run must end inside
# its deadline (rd.ade.timeout=2, at least 10 s for reading keys), exit 3,
# and say why it stopped.
truncate -s 2G "$work/chain.img"
mkfs.vfat -F 32 -S 512 -s 1 -n "BEK VOLUME" "$work/chain.img" >/dev/null
for i in $(seq 0 63); do printf 'x%.0s' $(seq 172) > "$work/LinuxPassPhraseFileName_1_$i"; done
cp "$work/LinuxPassPhraseFileName_1_0" "$work/LinuxPassPhraseFileName"
mcopy -i "$work/chain.img" "$work"/LinuxPassPhraseFileName* ::/
/usr/bin/python3 "$top/unlock/tests/integration/make-long-chain.py" "$work/chain.img" > /dev/null ||
    echo "FAIL: make-long-chain.py"
t0=$(date +%s%N)
hostile "hostile BEK: 65 files on one 4 M-link chain stop at the work budget" "$work/chain.img" 3 \
    "stopped reading at key file 'LinuxPassPhraseFileName': more reading than any BEK volume needs" \
    "no usable key file"
ms=$((($(date +%s%N) - t0) / 1000000))
if [ "$ms" -le 12000 ]; then
    echo "PASS: hostile long chain: the run ended in $ms ms (deadline 12000)"
else
    echo "FAIL: hostile long chain: the run took $ms ms, past its 12000 ms deadline"
fi
rm -f "$work/chain.img" "$work"/LinuxPassPhraseFileName_1_*
truncate -s 8M "$work/ext.img"
mkfs.ext4 -q -F -L "BEK VOLUME" "$work/ext.img"
hostile "hostile BEK: the label on a non-FAT filesystem" "$work/ext.img" 2 \
    "BEK VOLUME: label found on loop[0-9]+, but it holds 'ext4', not FAT"

# A wrapped key file (JWE A256KW + A256GCM made by python3-jwcrypto) and the
# key-encryption key in a root-only JWK file named by the conf.
if /usr/bin/python3 -c 'import jwcrypto' 2>/dev/null; then
    kek_hex=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
    kek_b64=$(printf '%s' "$kek_hex" | xxd -r -p | base64 -w0 | tr '+/' '-_' | tr -d '=')
    (umask 077; printf '{"kty":"oct","k":"%s"}' "$kek_b64" > "$work/kek.jwk")
    /usr/bin/python3 "$top/unlock/tests/unit/make-jwe.py" --alg A256KW \
        --kek "$kek_hex" --plaintext "$work/k_os" \
        --out "$work/LinuxPassPhraseFileName" || echo "FAIL: make-jwe.py"
    bek bek4.img LinuxPassPhraseFileName
    losetup -d "$(cat "$work/bek-second.loop")"
    attach "$work/bek4.img" > "$work/bek.loop"
    cat > "$work/crypttab6" <<EOF
osencrypt UUID=$U_OS /mnt/azure_bek_disk/LinuxPassPhraseFileName
EOF
    printf 'label = %s\nkek = %s\n' "$LABEL" "$work/kek.jwk" > "$work/conf6"
    expect "JWE-wrapped key file unwrapped with the KEK" 0 \
        "osencrypt .*verified.*key file 'LinuxPassPhraseFileName'" \
        -- --cmdline "$work/cmdline5" --crypttab "$work/crypttab6" --conf "$work/conf6"
    head -c 32 /dev/urandom | base64 -w0 | tr '+/' '-_' | tr -d '=' > "$work/b"
    (umask 077; printf '{"kty":"oct","k":"%s"}' "$(cat "$work/b")" > "$work/kek-wrong.jwk")
    printf 'label = %s\nkek = %s\n' "$LABEL" "$work/kek-wrong.jwk" > "$work/conf7"
    printf 'label = %s\nkek = %s\n' "$LABEL" "$work/kek-none.jwk" > "$work/conf8"
    expect "JWE with the wrong KEK: exit 3, never tried as plain" 3 \
        "key file 'LinuxPassPhraseFileName': the key-encryption key is not the one" \
        -- --cmdline "$work/cmdline5" --crypttab "$work/crypttab6" --conf "$work/conf7"
    expect "JWE without a KEK file: exit 3" 3 \
        "kek-none.jwk: cannot load the key-encryption key" \
        "no usable key file" \
        -- --cmdline "$work/cmdline5" --crypttab "$work/crypttab6" --conf "$work/conf8"
    # A 128-bit JWK: named as such, not "integrity check failed".
    (umask 077; printf '{"kty":"oct","k":"%s"}' "$(head -c 16 /dev/urandom | base64 -w0 | tr '+/' '-_' | tr -d '=')" \
        > "$work/kek-128.jwk")
    printf 'label = %s\nkek = %s\n' "$LABEL" "$work/kek-128.jwk" > "$work/conf9"
    expect "JWE with a 128-bit KEK: refused as such, exit 3" 3 \
        "kek-128.jwk: cannot load the key-encryption key: the key-encryption key is a 128- or 192-bit AES key: A256KW and A256GCM need a 256-bit one" \
        -- --cmdline "$work/cmdline5" --crypttab "$work/crypttab6" --conf "$work/conf9"
    # A real run with the KEK in the initramfs (a tmpfs): ade-unlock itself
    # overwrites and removes it once loaded (activating fails here: no
    # device-mapper). A dry run (every case above) leaves it.
    mkdir -p "$work/kekfs"
    mount -t tmpfs -o size=1M tmpfs "$work/kekfs"
    cp -p "$work/kek.jwk" "$work/kekfs/kek.jwk"
    printf 'label = %s\nkek = %s\n' "$LABEL" "$work/kekfs/kek.jwk" > "$work/conf10"
    EXPECT_LIVE=1
    expect "KEK in the initramfs: unwrapped with it (a real run)" 5 \
        "osencrypt .*FAILED \\(activation failed" \
        -- --cmdline "$work/cmdline5" --crypttab "$work/crypttab6" --conf "$work/conf10"
    EXPECT_LIVE=
    if [ -e "$work/kekfs/kek.jwk" ]; then
        echo "FAIL: KEK in the initramfs: overwritten and removed by ade-unlock once loaded"
    else
        echo "PASS: KEK in the initramfs: overwritten and removed by ade-unlock once loaded"
    fi
    umount "$work/kekfs"
else
    echo "SKIP: python3-jwcrypto missing: JWE cases not run"
fi
exit 0
