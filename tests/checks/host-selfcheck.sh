#!/bin/sh
# SPDX-License-Identifier: MIT
# The ASan/UBSan host build runs its userspace self-check cleanly.
set -eu
build/host/ade-unlock --self-check
build/host/ade-unlock --version | grep -q '^ade-unlock '
