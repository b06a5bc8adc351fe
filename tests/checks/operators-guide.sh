#!/bin/sh
# SPDX-License-Identifier: MIT
# Every message format ade-unlock can print is explained in docs/operators.md.
set -eu
/usr/bin/python3 scripts/log-formats.py --check docs/operators.md
