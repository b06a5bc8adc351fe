#!/bin/sh
# SPDX-License-Identifier: MIT
# The generations matrix: each Debian suite's own kernel, dracut, systemd,
# cryptsetup and initramfs-tools (run.sh --suite), in each generator kind:
# dracut with systemd, dracut's shell init, initramfs-tools (itools).
#
#   sh tests/qemu/matrix.sh          every cell: scenarios 1, 6, 8 (both
#                                    variants) and 18 (its kinds' variants) on
#                                    bullseye, bookworm, trixie x systemd,
#                                    shell, itools, then scenario 11 (the
#                                    installer after a kernel update in each
#                                    suite's chroot, tests/installer/suite.sh)
#                                    (make test-matrix)
#   sh tests/qemu/matrix.sh --ci     the subset make test runs beside the full
#                                    bookworm set of run.sh: bookworm itools
#                                    1, 6, 8, 18; bullseye and trixie, every
#                                    kind, 1 and 8.t5
#
# Prints run.sh's PASS:/FAIL:/SKIP: lines (labels name the suite when it is
# not bookworm), the time each suite took, and "N passed, N failed" last.
# Each suite's inputs are cached apart (build/qemu/suite-NAME/).
set -u
here=$(cd "$(dirname "$0")" && pwd)

ci=0
case "${1:-}" in
    --ci) ci=1 ;;
    "") ;;
    -h | --help)
        echo "usage: tests/qemu/matrix.sh [--ci]   (every suite x kind; --ci: make test's subset)"
        exit 0
        ;;
    *)
        echo "usage: tests/qemu/matrix.sh [--ci]" >&2
        exit 2
        ;;
esac

out=$(mktemp)
trap 'rm -f "$out"' EXIT
# suite: kinds | scenarios
if [ "$ci" -eq 1 ]; then
    cells="bookworm:itools:1 6 8 18
bullseye:systemd shell itools:1 8.t5
trixie:systemd shell itools:1 8.t5"
else
    cells="bullseye:systemd shell itools:1 6 8 18
bookworm:systemd shell itools:1 6 8 18
trixie:systemd shell itools:1 6 8 18"
fi
rc=0
# One cell: its run.sh, its lines kept in $out.SUITE. cell SUITE KINDS SCNS JOBS
cell() {
    c_t0=$(date +%s)
    # shellcheck disable=SC2086  # scenario names
    sh "$here/run.sh" --suite "$1" --kind "$2" -j "$4" $3 < /dev/null > "$out.$1" 2>&1
    grep -q '^qemu: error' "$out.$1" &&
        echo "FAIL: $1 (inputs: $(grep '^qemu: error' "$out.$1" | head -n 1))" >> "$out.$1"
    echo "matrix: $1 ($2: $3) took $(($(date +%s) - c_t0)) s" >> "$out.$1"
}
# Show one finished cell and count its verdicts.
show() {
    grep -E '^(PASS|FAIL|SKIP): |^    |^matrix: ' "$out.$1"
    grep -E '^(PASS|FAIL|SKIP): ' "$out.$1" >> "$out"
    rm -f "$out.$1"
}
# The CI subset: bookworm's cell with both cores, then the other two suites
# side by side with one core each, so that one suite's debootstrap, kernel
# download and image builds overlap the other's boots.
first=1
printf '%s\n' "$cells" | {
    while IFS=: read -r suite kinds scns; do
        if [ "$ci" -eq 1 ] && [ "$first" -eq 0 ]; then
            cell "$suite" "$kinds" "$scns" 1 &
        else
            cell "$suite" "$kinds" "$scns" 2
            show "$suite"
        fi
        first=0
    done
    wait
}
for s in bullseye bookworm trixie; do
    [ -f "$out.$s" ] && show "$s"
done
# The full matrix only (no room in make test's budget): scenario 11, the
# installer after a kernel update in each suite's chroot and a boot of the
# image it made (tests/installer/suite.sh, every suite x generator).
if [ "$ci" -eq 0 ]; then
    c_t0=$(date +%s)
    sh "$here/../installer/suite.sh" < /dev/null > "$out.11" 2>&1
    grep -Eq '^[0-9]+ passed, [0-9]+ failed$' "$out.11" ||
        echo "FAIL: 11-kernel-update (suite.sh ended early: $(tail -n 1 "$out.11"))" >> "$out.11"
    echo "matrix: scenario 11 (tests/installer/suite.sh) took $(($(date +%s) - c_t0)) s" >> "$out.11"
    show 11
fi
passed=$(grep -c '^PASS: ' "$out")
failed=$(grep -c '^FAIL: ' "$out")
skipped=$(grep -c '^SKIP: ' "$out")
[ "$failed" -gt 0 ] && rc=1
[ "$passed" -gt 0 ] || rc=1
if [ "$skipped" -gt 0 ]; then
    echo "$passed passed, $failed failed, $skipped skipped"
else
    echo "$passed passed, $failed failed"
fi
exit "$rc"
