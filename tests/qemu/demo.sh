#!/bin/sh
# SPDX-License-Identifier: MIT
# `make demo`: boots scenario 1 (a LUKS2 root and two LUKS2 data disks keyed
# from the BEK volume) through the test suite's own entry point, run.sh, with
# the serial console shown live; then a table of what was opened and when.
# run.sh builds (or reuses) every input first: the Debian kernel, the dracut
# image with the ade-unlock module, the LUKS disks and the BEK volume.
# Exits non-zero when the boot failed or the table is short of the three
# devices opened and the guest's boot: `make test` runs it and relies on that.
set -u

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck disable=SC1091  # lib.sh is checked on its own
. "$here/lib.sh"
: "${Q_DIR:?}"

usage() {
    cat << 'EOF2'
usage: tests/qemu/demo.sh [--kind systemd|shell]
  (make demo [KIND=systemd|shell])
  Boots scenario 1 (LUKS2 root + two LUKS2 data disks, keys on the BEK volume)
  in QEMU with the console live, then prints what was opened and when.
  --kind KIND    the initramfs: systemd (default) or dracut's shell init
EOF2
}

kind=systemd
while [ $# -gt 0 ]; do
    case "$1" in
        --kind)
            kind=${2:-}
            shift
            ;;
        -h | --help)
            usage
            exit 0
            ;;
        *)
            usage >&2
            exit 2
            ;;
    esac
    shift
done
case "$kind" in systemd | shell) ;; *) q_die "--kind: systemd or shell, not '$kind'" ;; esac

q_need_root --kind "$kind"
scn=01-luks2-data
q_log "step 1/2: tests/qemu/run.sh --kind $kind $scn: inputs (cached under $Q_BUILD;"
q_log "          from nothing a few minutes), then the boot: LUKS2 root + two LUKS2 data"
q_log "          disks, $kind initramfs, QEMU TCG, 1 vCPU, 1 GiB; the serial console follows"
mkdir -p "$Q_BUILD"
out=$Q_BUILD/demo.out
{
    Q_LIVE=1 sh "$here/run.sh" -j 1 --kind "$kind" "$scn"
    echo $? > "$Q_BUILD/demo.rc"
} | tee "$out"
rc=$(cat "$Q_BUILD/demo.rc")
log=$Q_BUILD/runs/$scn-$kind-ours/console.log
echo
q_log "step 2/2: summary"
[ -f "$log" ] || q_die "no console log $log: the boot did not run (exit $rc)"

# The host-side timestamp (seconds since QEMU started) of the first line that
# matches an ERE, and that line.
at() { grep -E -m 1 -- "$1" "$log" | sed -n 's/^\[ *\([0-9.]*\)\] .*/\1/p'; }
line() { grep -E -m 1 -o -- "$1.*" "$log"; }
prev=0
rows=0
# A summary row: what, when, and how long since the previous row.
row() {
    [ -n "$2" ] || return 0
    printf '  %8s s  %7s  %s\n' "$2" "$(awk -v a="$2" -v b="$prev" 'BEGIN { printf "+%.1f s", a - b }')" "$1"
    prev=$2
    rows=$((rows + 1))
}

echo
echo "ade-unlock demo: scenario 1, $kind initramfs, $(sed -n 's/.*Linux version \([^ ]*\).*/\1/p' "$log" | head -n 1)"
echo "  (seconds since QEMU started, from the console's timestamps; then the"
echo "  time since the previous step; ade-unlock's own timings are in its lines)"
row "kernel starts" "$(at 'Linux version')"
row "initramfs /init starts" "$(at 'Run /init as init process')"
row "$(line 'ade-unlock: BEK VOLUME' | sed 's/^ade-unlock: //')" "$(at 'ade-unlock: BEK VOLUME')"
opened=0
for dev in root data0 data1; do
    l=$(line "ade-unlock: $dev \\(")
    [ -n "$l" ] || continue
    row "${l#ade-unlock: }" "$(at "ade-unlock: $dev \\(")"
    case "$l" in *": opened as /dev/mapper/$dev "*) opened=$((opened + 1)) ;; esac
done
row "$(line 'ade-unlock: summary' | sed 's/^ade-unlock: //')" "$(at 'ade-unlock: summary')"
row "root filesystem mounted, switch_root: guest init runs" "$(at 'ADE-GUEST: init started')"
row "guest sees: $(grep -E 'ADE-GUEST: mapper:' "$log" | sed 's/.*mapper: //' | tr '\n' ' ')in /dev/mapper" \
    "$(at 'ADE-GUEST: mapper:')"
for d in data0 data1; do
    row "guest reads $d: $(line "ADE-GUEST: data: $d " | sed 's/.*holds //')" "$(at "ADE-GUEST: data: $d ")"
done
booted=$(at 'ADE-GUEST: booted')
row "guest powers off (boot complete)" "$booted"
echo
grep -E '^(PASS|FAIL|SKIP): ' "$out" | sed 's/^/result: /' | head -n 3
echo "full console: $log"

# The demo's own verdict: the boot passed its checks, and the table shows
# what a newcomer is promised.
why=
[ "$rc" -eq 0 ] || why="run.sh exit $rc"
[ "$opened" -eq 3 ] || why="${why:+$why; }$opened of 3 devices (root, data0, data1) opened"
grep -Eq 'ade-unlock: summary: all devices handled' "$log" ||
    why="${why:+$why; }no 'ade-unlock: summary: all devices handled' line"
[ -n "$booted" ] || why="${why:+$why; }the guest never reached 'ADE-GUEST: booted'"
if [ -n "$why" ]; then
    echo "demo: FAIL ($kind): $why"
    exit 1
fi
echo "demo: OK ($kind): 3 devices opened, booted at $booted s, $rows steps in the table"
