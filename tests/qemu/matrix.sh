#!/bin/sh
# SPDX-License-Identifier: MIT
# The generations matrix: each Debian suite's own kernel, dracut, systemd,
# cryptsetup and initramfs-tools (run.sh --suite), in each generator kind:
# dracut with systemd, dracut's shell init, initramfs-tools (itools).
#
#   sh tests/qemu/matrix.sh          every cell: scenarios 1, 6, 8 (both
#                                    variants) and 18 (its kinds' variants) on
#                                    bullseye, bookworm, trixie x systemd,
#                                    shell, itools (make test-matrix)
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
printf '%s\n' "$cells" | while IFS=: read -r suite kinds scns; do
    t0=$(date +%s)
    # shellcheck disable=SC2086  # scenario names
    sh "$here/run.sh" --suite "$suite" --kind "$kinds" $scns < /dev/null > "$out.run" 2>&1
    grep -E '^(PASS|FAIL|SKIP): |^    ' "$out.run"
    grep -E '^(PASS|FAIL|SKIP): ' "$out.run" >> "$out"
    grep -q '^qemu: error' "$out.run" && grep '^qemu: error' "$out.run" &&
        echo "FAIL: $suite (inputs: $(grep '^qemu: error' "$out.run" | head -n 1))" | tee -a "$out"
    echo "matrix: $suite ($kinds: $scns) took $(($(date +%s) - t0)) s"
done
rm -f "$out.run"
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
