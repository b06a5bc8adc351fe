#!/bin/sh
# SPDX-License-Identifier: MIT
# cppcheck finds nothing in the C sources and tests.
set -eu
cppcheck --quiet --error-exitcode=1 --inline-suppr --std=c11 \
    --enable=warning,style,performance,portability \
    --suppress=missingIncludeSystem -Iunlock/src \
    unlock/src unlock/tests
echo "cppcheck clean"
