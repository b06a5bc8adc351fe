#!/bin/sh
# SPDX-License-Identifier: MIT
# Every shell script in the tree passes shellcheck: those with a #! line and
# the sourced ones that name their shell (# shellcheck shell=sh).
set -eu
files=$(git ls-files -co --exclude-standard 2>/dev/null | while read -r f; do
    [ -f "$f" ] || continue
    case "$f" in build/*) continue ;; esac
    if head -c 64 "$f" | grep -q "^#!.*sh" ||
        grep -q '^# shellcheck shell=' "$f"; then echo "$f"; fi
done)
[ -n "$files" ] || { echo "no shell scripts found"; exit 1; }
# shellcheck disable=SC2086  # one word per file
shellcheck $files
echo "$(echo "$files" | wc -l) scripts clean"
