#!/bin/sh
# SPDX-License-Identifier: MIT
# dracut (non-systemd) initqueue/settled and pre-mount hook: runs ade-unlock
# once, after udev has settled and before the crypt module's cryptroot-ask jobs
# (named later). Sourced by dracut's init: no exit, nothing left set.
if ! getargbool 1 rd.ade; then
    if [ ! -e /run/ade-unlock/ran ]; then
        echo "ade-unlock: config: disabled by rd.ade=0: nothing done" >&2
        mkdir -p /run/ade-unlock
        : > /run/ade-unlock/ran
    fi
elif [ ! -e /run/ade-unlock/ran ]; then
    /usr/lib/ade-unlock/ade-unlock-run
fi
