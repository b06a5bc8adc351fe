#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs ade-unlock's tests and prints one closing line: "N passed, N failed".
#
# usage: run-tests.sh [UNIT_TEST_BINARY...]
# cmocka programs count their own test cases, scripts their PASS:/FAIL:/SKIP:
# lines, every other check counts one. A program that exits 77 is skipped
# (with its reason), never counted passed.
# ADE_QEMU=0 skips the QEMU boots and the demo (each named as skipped).
# ADE_TEST_PARTS="demo checks ..." runs only those parts (unit, checks,
# integration, qemu, demo, fuzz); each other part is named as skipped.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
passed=0
failed=0
skipped=0
failures=
out=$(mktemp)
trap 'rm -f "$out"' EXIT

# run HOW NAME COMMAND...: runs one test program and counts what it says.
# HOW is how its output is read:
#   cmocka  its "[  PASSED  ] N test(s)." and "[  FAILED  ] N test(s)." lines
#   lines   one case per "PASS: " / "FAIL: " / "SKIP: " line
#   status  its exit status is the one verdict (the output is shown on failure)
# Exit 77 skips the whole program; a program that fails without saying
# which case (a crash, exit != 0 with no FAIL, or no case at all) counts one
# failure under its name.
run() {
    _how=$1
    _name=$2
    shift 2
    "$@" > "$out" 2>&1
    _rc=$?
    [ "$_how" = status ] || cat "$out"
    if [ "$_rc" -eq 77 ]; then
        skipped=$((skipped + 1))
        echo "SKIP: $_name: $(tail -n 1 "$out")"
        return 0
    fi
    case "$_how" in
        cmocka)
            _p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$out" | tail -n 1)
            _f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$out" | tail -n 1)
            _s=0
            ;;
        lines)
            _p=$(grep -c '^PASS: ' "$out")
            _f=$(grep -c '^FAIL: ' "$out")
            _s=$(grep -c '^SKIP: ' "$out")
            ;;
        status)
            _p=0 _f=0 _s=0
            if [ "$_rc" -eq 0 ]; then
                _p=1
                echo "PASS: $_name"
            else
                sed 's/^/    /' "$out" | tail -n 40
                _f=1
                echo "FAIL: $_name"
            fi
            ;;
    esac
    passed=$((passed + ${_p:-0}))
    skipped=$((skipped + _s))
    if [ "${_f:-0}" -gt 0 ]; then
        failed=$((failed + _f))
        failures="$failures $_name"
    elif [ "$_rc" -ne 0 ] || [ "${_p:-0}" -eq 0 ]; then
        failed=$((failed + 1))
        failures="$failures $_name(exit $_rc)"
    fi
}

# part NAME: whether this run includes that part (ADE_TEST_PARTS), else
# says it is skipped.
part() {
    case " ${ADE_TEST_PARTS:-all} " in
        *" all "* | *" $1 "*) return 0 ;;
    esac
    echo "SKIP: $1 (not in ADE_TEST_PARTS)"
    skipped=$((skipped + 1))
    return 1
}

# Unit tests (cmocka, ASan + UBSan).
part unit && for t in "$@"; do
    run cmocka "$(basename "$t")" "$t"
done

# Whole-tree checks: static binary, reproducibility, linters, the documented
# commands.
part checks && for t in tests/checks/*.sh; do
    [ -f "$t" ] || continue
    run status "$(basename "$t" .sh)" sh "$t"
done

# Integration scripts, the installer and the packages in a Debian chroot.
part integration && for t in unlock/tests/integration/*.sh tests/installer/run.sh tests/package/run.sh; do
    [ -f "$t" ] || continue
    run lines "$(basename "$t")" sh "$t"
done

# QEMU boots (tests/qemu): ours in both dracut kinds, then the stock
# baseline, then the generations matrix's CI subset (matrix.sh --ci); the harness prints PASS:/FAIL:/SKIP: per boot. Then the README's
# first command as a newcomer types it, on the inputs the boots just cached
# (one boot): it fails when its summary lacks the three opened devices.
if [ "${ADE_QEMU:-1}" != 0 ]; then
    if part qemu; then
        run lines qemu sh tests/qemu/run.sh
        run lines qemu-stock sh tests/qemu/run.sh --stock
        # initramfs-tools on bookworm, and the other suites' stacks.
        run lines qemu-matrix sh tests/qemu/matrix.sh --ci
    fi
    if part demo; then
        run status "make demo" make --no-print-directory demo
        sed -n '/^ade-unlock demo: /,/^demo: /p' "$out"
    fi
else
    for t in "QEMU boots" "make demo"; do
        echo "SKIP: $t (ADE_QEMU=0)"
        skipped=$((skipped + 1))
    done
fi

# Fuzz targets: each a bounded run (FUZZ_TIME seconds).
part fuzz && for f in build/fuzz/fuzz_*; do
    [ -x "$f" ] || continue
    run status "$(basename "$f")" sh scripts/fuzz.sh "$f" "${FUZZ_TIME:-30}"
    grep '^fuzz ' "$out" || true
done

[ -n "$failures" ] && echo "failed:$failures"
# Skips are never counted as passed; they are named above (SKIP: lines).
[ "$skipped" -gt 0 ] && echo "$skipped skipped (see the SKIP: lines above)"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
