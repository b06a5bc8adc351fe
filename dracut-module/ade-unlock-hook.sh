#!/bin/sh
# SPDX-License-Identifier: MIT
# dracut (non-systemd) initqueue/settled and pre-mount hook: runs ade-unlock
# once, after udev has settled and before the crypt module's cryptroot-ask jobs
# (named later). Sourced by dracut's init: no exit, nothing left set.
# ade-unlock itself reads its switches (rd.ade=0, ADE's rd_NO_ADE, its own
# rd.ade.unlock=0) from the command line as dracut's getcmdline builds it, and
# says which one turned it off.
if [ ! -e /run/ade-unlock/ran ]; then
    /usr/lib/ade-unlock/ade-unlock-run
fi
