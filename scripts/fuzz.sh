#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs one libFuzzer target for a bounded time on a scratch copy of its seed
# corpus and prints executions, coverage and crashes. Exit 0 only if the run
# found no crash, leak, timeout or out-of-memory.
#
# usage: fuzz.sh BUILD/fuzz/fuzz_NAME SECONDS
set -eu
bin=$1
secs=$2
name=$(basename "$bin")
name=${name#fuzz_}
top=$(cd "$(dirname "$0")/.." && pwd)
seeds="$top/unlock/tests/fuzz/corpus/$name"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/corpus" "$work/artifacts"
if [ -d "$seeds" ]; then cp -r "$seeds"/. "$work/corpus/"; fi
nseeds=$(find "$work/corpus" -type f | wc -l)
set +e
"$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=1048576 \
    -print_final_stats=1 -artifact_prefix="$work/artifacts/" \
    "$work/corpus" > "$work/log" 2>&1
rc=$?
set -e
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log")
cov=$(grep -o 'cov: [0-9]*' "$work/log" | tail -n 1 | cut -d' ' -f2)
crashes=$(find "$work/artifacts" -type f | wc -l)
echo "fuzz $name: ${execs:-0} executions in ${secs} s, coverage ${cov:-0} edges, $nseeds seeds, $crashes crashes"
if [ "$rc" -ne 0 ] || [ "$crashes" -ne 0 ]; then
    tail -n 60 "$work/log"
    # Keep the reproducer where a developer can find it.
    mkdir -p "$top/build/fuzz/crashes"
    cp "$work/artifacts"/* "$top/build/fuzz/crashes/" 2>/dev/null || true
    echo "fuzz $name: FAILED (exit $rc); reproducers in build/fuzz/crashes/"
    exit 1
fi
