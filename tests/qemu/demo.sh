#!/bin/sh
# SPDX-License-Identifier: MIT
# `make demo`: builds what the boot needs (Debian kernel, dracut image with the
# ade-unlock module, LUKS disks, BEK volume), boots scenario 1 in QEMU with the
# console shown live, then summarises what was opened and how long each step took.
set -u

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck disable=SC1091  # lib.sh is checked on its own
. "$here/lib.sh"
: "${Q_DIR:?}"

kind=systemd
case "${1:-}" in
    --kind)
        kind=${2:-systemd}
        ;;
    -h | --help)
        echo "usage: tests/qemu/demo.sh [--kind systemd|shell]"
        exit 0
        ;;
esac
case "$kind" in systemd | shell) ;; *) q_die "--kind: systemd or shell" ;; esac

q_need_root "$@"
q_host_deps
bin=${ADE_UNLOCK_BIN:-$Q_TOP/unlock/ade-unlock}
[ -x "$bin" ] || q_die "no $bin: run 'make unlock/ade-unlock' first"

scn=$Q_DIR/scenarios/01-luks2-data.sh
q_log "step 1/3: inputs (cached under $Q_BUILD; the first time takes a few minutes)"
q_builder
q_roottree
q_initrd ours "$kind"
q_log "step 2/3: booting scenario 1 (LUKS2 root + two LUKS2 data disks, $kind initramfs)"
q_log "          QEMU, TCG, 1 vCPU, 1 GiB; the serial console follows"
echo
{
    Q_LIVE=1 sh "$here/run.sh" --boot-one "$scn" "$kind" ours
    echo $? > "$Q_BUILD/demo.rc"
} | tee "$Q_BUILD/demo.out"
rc=$(cat "$Q_BUILD/demo.rc")
log=$Q_BUILD/runs/01-luks2-data-$kind-ours/console.log
echo
q_log "step 3/3: summary"

# The host-side timestamp (seconds since QEMU started) of the first line that
# matches an ERE, and that line.
at() { grep -E -m 1 -- "$1" "$log" | sed -n 's/^\[ *\([0-9.]*\)\] .*/\1/p'; }
line() { grep -E -m 1 -o -- "$1.*" "$log"; }
prev=0
# A summary row: what, when, and how long since the previous row.
row() {
    [ -n "$2" ] || return 0
    printf '  %8s s  %7s  %s\n' "$2" "$(awk -v a="$2" -v b="$prev" 'BEGIN { printf "+%.1f s", a - b }')" "$1"
    prev=$2
}

echo
echo "ade-unlock demo: scenario 1, $kind initramfs, $(sed -n 's/.*Linux version \([^ ]*\).*/\1/p' "$log" | head -n 1)"
echo "  (seconds since QEMU started, from the console's timestamps; then the"
echo "  time since the previous step; ade-unlock's own timings are in its lines)"
row "kernel starts" "$(at 'Linux version')"
row "initramfs /init starts" "$(at 'Run /init as init process')"
row "$(line 'ade-unlock: BEK VOLUME' | sed 's/^ade-unlock: //')" "$(at 'ade-unlock: BEK VOLUME')"
for dev in root data0 data1; do
    l=$(line "ade-unlock: $dev \\(")
    [ -n "$l" ] && row "${l#ade-unlock: }" "$(at "ade-unlock: $dev \\(")"
done
row "$(line 'ade-unlock: summary' | sed 's/^ade-unlock: //')" "$(at 'ade-unlock: summary')"
row "root filesystem mounted, switch_root: guest init runs" "$(at 'ADE-GUEST: init started')"
row "guest sees: $(grep -E 'ADE-GUEST: mapper:' "$log" | sed 's/.*mapper: //' | tr '\n' ' ')in /dev/mapper" \
    "$(at 'ADE-GUEST: mapper:')"
for d in data0 data1; do
    row "guest reads $d: $(line "ADE-GUEST: data: $d " | sed 's/.*holds //')" "$(at "ADE-GUEST: data: $d ")"
done
row "guest powers off (boot complete)" "$(at 'ADE-GUEST: booted')"
echo
sed -n 's/^\(PASS\|FAIL\): /result: \1: /p' "$Q_BUILD/demo.out" | head -n 3
echo "full console: $log"
exit "$rc"
