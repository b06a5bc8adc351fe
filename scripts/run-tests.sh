#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs ade-unlock's tests and prints one closing line: "N passed, N failed".
#
# usage: run-tests.sh [UNIT_TEST_BINARY...]
# cmocka programs count their own test cases; every other check counts one.
# A program that exits 77 is skipped (with its reason), never counted passed.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
passed=0
failed=0
skipped=0
failures=
out=$(mktemp)
trap 'rm -f "$out"' EXIT

note_fail() { failed=$((failed + $1)); failures="$failures $2"; }

# A cmocka program: its own "[  PASSED  ] N test(s)." and FAILED lines.
for t in "$@"; do
    "$t" > "$out" 2>&1
    rc=$?
    cat "$out"
    if [ "$rc" -eq 77 ]; then
        skipped=$((skipped + 1))
        echo "SKIP: $t"
        continue
    fi
    p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$out" | tail -n 1)
    f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$out" | tail -n 1)
    passed=$((passed + ${p:-0}))
    if [ -n "$f" ]; then
        note_fail "$f" "$(basename "$t")"
    elif [ "$rc" -ne 0 ] || [ -z "$p" ]; then
        # Crashed or died before its summary (sanitizer report, setup failure).
        note_fail 1 "$(basename "$t")(exit $rc)"
    fi
done

# A named check: a command whose exit status is the verdict.
check() {
    name=$1
    shift
    "$@" > "$out" 2>&1
    rc=$?
    if [ "$rc" -eq 0 ]; then
        passed=$((passed + 1))
        echo "PASS: $name"
    elif [ "$rc" -eq 77 ]; then
        skipped=$((skipped + 1))
        echo "SKIP: $name: $(tail -n 1 "$out")"
    else
        sed 's/^/    /' "$out" | tail -n 40
        note_fail 1 "$name"
        echo "FAIL: $name"
    fi
}

for t in tests/checks/*.sh; do
    [ -f "$t" ] || continue
    check "$(basename "$t" .sh)" sh "$t"
done

# A script that prints "PASS: case" / "FAIL: case" / "SKIP: case" lines, each
# counted once (exit 77: the whole script skipped, with its reason); its exit
# status must agree with its lines. tally NAME COMMAND...
tally() {
    name=$1
    shift
    "$@" > "$out" 2>&1
    rc=$?
    cat "$out"
    if [ "$rc" -eq 77 ]; then
        skipped=$((skipped + 1))
        return 0
    fi
    p=$(grep -c '^PASS: ' "$out")
    f=$(grep -c '^FAIL: ' "$out")
    passed=$((passed + p))
    skipped=$((skipped + $(grep -c '^SKIP: ' "$out")))
    if [ "$f" -gt 0 ]; then
        note_fail "$f" "$name"
    elif [ "$rc" -ne 0 ] || [ "$p" -eq 0 ]; then
        note_fail 1 "$name(exit $rc)"
    fi
}

# Integration scripts, the installer and the packages in a Debian chroot.
for t in unlock/tests/integration/*.sh tests/installer/run.sh tests/package/run.sh; do
    [ -f "$t" ] || continue
    tally "$(basename "$t")" sh "$t"
done

# QEMU boots (tests/qemu): ours in both initramfs kinds, then the stock
# baseline; the harness prints PASS:/FAIL:/SKIP: per boot. ADE_QEMU=0 skips.
if [ "${ADE_QEMU:-1}" != 0 ]; then
    tally qemu sh tests/qemu/run.sh
    tally qemu-stock sh tests/qemu/run.sh --stock
else
    echo "SKIP: QEMU boots (ADE_QEMU=0)"
    skipped=$((skipped + 1))
fi

# Fuzz targets: each a bounded run (FUZZ_TIME seconds).
for f in build/fuzz/fuzz_*; do
    [ -x "$f" ] || continue
    check "$(basename "$f")" sh scripts/fuzz.sh "$f" "${FUZZ_TIME:-30}"
    grep '^fuzz ' "$out" || true
done

[ -n "$failures" ] && echo "failed:$failures"
# Skips are never counted as passed; they are named above (SKIP: lines).
[ "$skipped" -gt 0 ] && echo "$skipped skipped (see the SKIP: lines above)"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
