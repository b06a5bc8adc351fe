# SPDX-License-Identifier: MIT
# Scenario 14: secrets, measured on a real guest. A LUKS2 root and data disk
# keyed by ADE's 172-character passphrase on the BEK volume. Probes in the
# initramfs (both modes): from pre-udev on, a sampler copies every process's
# /proc/PID/cmdline and environ ten times a second; at pre-pivot a hook
# writes those samples, the processes' cmdline and environ then, and every
# file left in /run to a scratch disk. The guest holds seconds after
# ade-unlock exited (shell kind: in that hook; systemd kind: in an
# ExecStartPost= of ade-unlock.service) and the harness dumps its memory
# through QMP (dump-guest-memory); after switch_root the guest holds again
# (adeguest.hold) for a second dump. The host counts the passphrase in all:
#   ade-unlock: 0 in memory, 0 in cmdline/environ//run, or the boot fails;
#   stock dracut (crypt module, rd.luks.key on the BEK volume): a figure.
#   plain:   the key files hold the passphrase (ADE), both modes;
#   wrapped: the key files hold it wrapped (JWE, A256KW + A256GCM) under a
#            key-encryption key in the initramfs (/etc/ade-unlock/kek.jwk);
#            counted too: the KEK's 32 raw bytes and the content-encryption
#            key unwrapped from the token (0 for ade-unlock, or the boot
#            fails), and the JWK's base64url text (the file is in
#            the initramfs by design, until the module's pre-pivot hook
#            overwrites it: none may be left after switch_root). Stock dracut
#            cannot unwrap: ours only.
# shellcheck shell=sh disable=SC2034,SC1091,SC2154  # variables read and set (scn_variant) by run.sh; ./vars written here

scn_title="secrets: the passphrase (and a wrapped file's keys) counted in guest memory, /proc and /run"
scn_variants="plain wrapped"
scn_modes_wrapped=ours
FS_ROOT=0a0e000e-0000-4000-8000-000000000001

scn_build() {
    # One passphrase in every file, as ADE writes them (stock's shell init
    # can then use it too). The secrets counted after the boot are in other/
    # (the harness's console check forbids them too).
    mkdir -p other keys
    q_passphrase > other/passphrase
    if [ "$scn_variant" = wrapped ]; then
        head -c 32 /dev/urandom > other/kek
        /usr/bin/python3 - other/kek other/kek.b64url << 'EOF2'
import base64, sys
k = open(sys.argv[1], "rb").read()
open(sys.argv[2], "w").write(base64.urlsafe_b64encode(k).rstrip(b"=").decode())
EOF2
        /usr/bin/python3 "$Q_TOP/unlock/tests/unit/make-jwe.py" --alg A256KW \
            --kek "$(od -An -tx1 -v other/kek | tr -d ' \n')" \
            --plaintext other/passphrase --out keys/LinuxPassPhraseFileName
        # The token's content-encryption key, unwrapped here independently.
        /usr/bin/python3 - other/kek keys/LinuxPassPhraseFileName other/cek << 'EOF2'
import base64, sys
from cryptography.hazmat.primitives.keywrap import aes_key_unwrap
kek = open(sys.argv[1], "rb").read()
part = open(sys.argv[2]).read().split(".")[1]
wrapped = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
open(sys.argv[3], "wb").write(aes_key_unwrap(kek, wrapped))
EOF2
        # The forms the two AES keys take inside BearSSL's aes_ct64 (ade-unlock's
        # key unwrap and GCM): a context's bitsliced subkeys, and the
        # expanded subkeys each block call builds on the stack.
        cc -O1 -o aes-ct64-keys "$Q_DIR/aes-ct64-keys.c" /usr/lib/x86_64-linux-gnu/libbearssl.a ||
            q_die "cannot build aes-ct64-keys (libbearssl-dev)"
        for _k in kek cek; do
            ./aes-ct64-keys "other/$_k" "other/$_k.skey" "other/$_k.skx" || q_die "aes-ct64-keys $_k"
        done
        rm -f aes-ct64-keys
        printf '{"kty":"oct","k":"%s"}' "$(cat other/kek.b64url)" | s_overlay etc/ade-unlock/kek.jwk
        chmod 0600 overlay/etc/ade-unlock/kek.jwk
    else
        cp other/passphrase keys/LinuxPassPhraseFileName
    fi
    cp keys/LinuxPassPhraseFileName keys/LinuxPassPhraseFileName_1_0
    s_pair 14 0a0e000e-0000-4000-8000-0000000000d0 other/passphrase other/passphrase
    q_mkbek bek.img 2048 keys/*
    # Systemd kind: hold as soon as ade-unlock has exited, for the first dump
    # (a busy systemd initramfs soon reuses the pages ade-unlock freed, and
    # a copy it failed to wipe would be gone before pre-pivot).
    s_overlay etc/systemd/system/ade-unlock.service.d/probe-hold.conf << 'EOF2'
[Service]
ExecStartPost=/bin/sh -c 'echo "ade-probe: unlock done; holding 8 s for a memory dump" > /dev/kmsg; sleep 8'
EOF2
    s_overlay_all usr/lib/ade-probe/sample.sh << 'EOF2'
#!/bin/sh
# Copies every process's cmdline and environ to /run/ade-probe/samples ten
# times a second until the pre-pivot hook says stop (or after 2 minutes).
mkdir -p /run/ade-probe
n=0
while [ ! -e /run/ade-probe/stop ] && [ "$n" -lt 1200 ]; do
    # One cat for all (a fork per process is slow under TCG).
    cat /proc/[0-9]*/cmdline /proc/[0-9]*/environ >> /run/ade-probe/samples 2> /dev/null
    n=$((n + 1))
    echo "$n" > /run/ade-probe/count
    sleep 0.1
done
EOF2
    s_overlay_all usr/lib/dracut/hooks/pre-udev/00-ade-probe.sh << 'EOF2'
#!/bin/sh
# Starts the sampler (it outlives this hook: KillMode=process in systemd).
setsid /bin/sh /usr/lib/ade-probe/sample.sh < /dev/null > /dev/null 2>&1 &
EOF2
    s_overlay_all usr/lib/dracut/hooks/pre-pivot/99-ade-probe.sh << 'EOF2'
#!/bin/sh
# Sourced by dracut: writes what the initramfs holds to the scratch disk
# (virtio-blk serial ade-d1): every file left in /run, every process's
# cmdline and environ now, the sampler's copies.
: > /run/ade-probe/stop
sleep 0.3
ade_probe_walk() {
    for ade_probe_f in "$1"/* "$1"/.[!.]*; do
        [ -L "$ade_probe_f" ] && continue
        if [ -d "$ade_probe_f" ]; then
            ade_probe_walk "$ade_probe_f"
        elif [ -f "$ade_probe_f" ] && [ "$ade_probe_f" != /run/ade-probe/samples ]; then
            echo "FILE $ade_probe_f"
            cat "$ade_probe_f" 2> /dev/null
            echo
        fi
    done
}
ade_probe_dev=
for ade_probe_b in /sys/block/vd*; do
    [ "$(cat "$ade_probe_b/serial" 2> /dev/null)" = ade-d1 ] && ade_probe_dev=/dev/${ade_probe_b##*/}
done
if [ -n "$ade_probe_dev" ] && [ -b "$ade_probe_dev" ]; then
    {
        echo "ADE-PROBE-BEGIN"
        ade_probe_walk /run
        echo "ADE-PROBE-PROC"
        for ade_probe_p in /proc/[0-9]*; do
            cat "$ade_probe_p/cmdline" "$ade_probe_p/environ" 2> /dev/null
            echo
        done
        echo "ADE-PROBE-SAMPLES $(cat /run/ade-probe/count 2> /dev/null)"
        cat /run/ade-probe/samples 2> /dev/null
        echo "ADE-PROBE-END"
    } > "$ade_probe_dev"
    echo "ade-probe: /run, /proc and $(cat /run/ade-probe/count 2> /dev/null) samples written to $ade_probe_dev" > /dev/kmsg
else
    echo "ade-probe: no scratch disk" > /dev/kmsg
fi
# Shell kind: the harness dumps the memory of the initramfs here (before
# switch_root frees it), seconds after ade-unlock's exit. (ade-unlock's
# systemd kind holds right after ade-unlock.service's run instead: its
# drop-in; stock's systemd kind holds here, after its cryptsetup units.)
if [ -z "${DRACUT_SYSTEMD:-}" ] || [ ! -e /usr/lib/systemd/system/ade-unlock.service ]; then
    echo "ade-probe: unlock done; holding 8 s for a memory dump" > /dev/kmsg
    sleep 8
fi
EOF2
    chmod 0755 overlay-all/usr/lib/ade-probe/sample.sh overlay-all/usr/lib/dracut/hooks/*/*.sh
}

scn_boot() {
    scn_disks="blk:root.img blkrw:scratch.img scsi:bek.img:0:Msft:Virtual_Disk scsi:data0.img:1"
    # init_on_alloc=0 (Debian's kernel zeroes every page it hands out): the
    # pages a process freed keep their bytes until overwritten, the harder
    # case for a copy that was not wiped.
    scn_cmdline="root=UUID=$FS_ROOT adeguest.hold=15 init_on_alloc=0"
    s_luks_cmdline "$1" "$2" "$L_ROOT:LinuxPassPhraseFileName" "$L_D0:LinuxPassPhraseFileName_1_0"
    # _run: this boot's folder (run.sh), where the QMP socket will be.
    # Two dumps: in the initramfs at pre-pivot, and after switch_root.
    q_dump_on "${_run:?}" 'ade-probe: unlock done; holding' "$_run/mem-initramfs.dump"
    q_dump_on "$_run" 'ADE-GUEST: holding' "$_run/mem.dump"
    root=root d0=data0
    [ "$1" = stock ] && root=luks-$L_ROOT d0=luks-$L_D0
    scn_expect="ade-probe: /run, /proc and [1-9][0-9]* samples written to /dev/vdb
ADE-GUEST: mount: /dev/(mapper/$root|dm-[0-9]+) on / type ext4
ADE-GUEST: root: holds 'root-14'
ADE-GUEST: data: $d0 holds 'data0-14'
ADE-GUEST: holding"
    [ "$1" = ours ] && scn_expect="$scn_expect
$(e_opened root)
$(e_opened data0)"
}

# After the boot: count the secrets in the dumps and on the scratch disk.
# Each: name, file, and what ade-unlock must leave: none at all ("must"),
# or none after switch_root and in /proc, /run ("after": the KEK's file is in
# the initramfs by design, until the module's pre-pivot hook wipes it).
scn_check() {
    _r=$1 _mode=$2 _kind=$3
    _specs="passphrase other/passphrase must"
    [ "$scn_variant" = wrapped ] && _specs="$_specs
KEK(raw) other/kek must
CEK(raw) other/cek must
KEK(AES-subkeys) other/kek.skey must
KEK(AES-expanded) other/kek.skx must
CEK(AES-subkeys) other/cek.skey must
CEK(AES-expanded) other/cek.skx must
KEK(JWK-text) other/kek.b64url after"
    _needles=$(echo "$_specs" | cut -d ' ' -f 2)
    # The dumps are the guest's memory: they hold the kernel command line.
    printf 'root=UUID=%s adeguest.hold=15 init_on_alloc=0' "$FS_ROOT" > "$_r/cmdline.needle"
    for _d in mem-initramfs mem; do
        if [ ! -s "$_r/$_d.dump" ]; then
            echo "no memory dump $_d.dump: $(tail -n 1 "$_r/dump.log" 2> /dev/null)"
            return 0
        fi
        # shellcheck disable=SC2086  # a list of files
        q_count "$_r/$_d.dump" "$_r/cmdline.needle" $_needles > "$_r/$_d.counts"
        rm -f "$_r/$_d.dump"
        [ "$(head -n 1 "$_r/$_d.counts" | cut -d ' ' -f 1)" -gt 0 ] ||
            echo "$_d.dump does not hold the guest's command line: not its memory?"
    done
    # shellcheck disable=SC2086
    q_count "$_r/scratch.img" $_needles > "$_r/scratch.counts"
    _samples=$(grep -ao 'ADE-PROBE-SAMPLES [0-9]*' "$_r/scratch.img" | cut -d ' ' -f 2)
    _fig=
    _i=1
    while read -r _name _file _how; do
        _i=$((_i + 1))
        _m1=$(sed -n "${_i}p" "$_r/mem-initramfs.counts")
        _m2=$(sed -n "${_i}p" "$_r/mem.counts")
        _p=$(sed -n "$((_i - 1))p" "$_r/scratch.counts")
        _fig="$_fig; $_name $_m1, $_m2, $_p"
        [ "$_mode" = ours ] || continue
        [ "$_how" = must ] && [ "$_m1 $_m2 $_p" != "0 0 0 0 0 0 0 0 0" ] &&
            echo "the $_name ($_file) is in guest memory (after the unlock: $_m1; after switch_root: $_m2) or /proc, /run: $_p"
        [ "$_how" = after ] && [ "$_m2 $_p" != "0 0 0 0 0 0" ] &&
            echo "the $_name ($_file) outlived the initramfs (after switch_root: $_m2) or is in /proc, /run: $_p"
    done << EOF2
$_specs
EOF2
    echo "figure: $_mode/$_kind${scn_variant:+ ($scn_variant)}: counts (whole, first 24, last 24 bytes) in guest memory seconds after the unlock, after switch_root, and in /proc/*/cmdline+environ (${_samples:-0} samples) and /run${_fig}"
    _img=$_r/scratch.img
    # The probe must have worked, or its zero means nothing.
    grep -aq 'ADE-PROBE-END' "$_img" || echo "the probe's output is incomplete"
    grep -aq 'PATH=' "$_img" || echo "the probe holds no environment"
    [ "${_samples:-0}" -ge 5 ] || echo "the sampler took ${_samples:-0} samples"
    [ "$_mode" = ours ] || return 0
    grep -aq '^FILE /run/ade-unlock/status' "$_img" || echo "the probe did not see /run/ade-unlock/status"
    perl -e 'local $/; my $s = <STDIN>; exit(index($s, "/usr/sbin/ade-unlock\0--status") >= 0 ? 0 : 1)' < "$_img" ||
        echo "the sampler never saw ade-unlock running"
}
