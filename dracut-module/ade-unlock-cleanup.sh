#!/bin/sh
# SPDX-License-Identifier: MIT
# dracut pre-pivot hook (both initramfs kinds): the unlocking is over, so the
# key-encryption key leaves the initramfs before switch_root. tmpfs hands a
# deleted file's pages back unwiped, so the file is overwritten in place
# first (<> opens it without truncating; writing past its end only grows it),
# then removed. Sourced by dracut's init: no exit, nothing left set.
if [ -f /etc/ade-unlock/kek.jwk ]; then
    # 8 KiB: more than any KEK file ade-unlock accepts.
    printf '%8192s' '' 1<> /etc/ade-unlock/kek.jwk 2> /dev/null
    rm -f /etc/ade-unlock/kek.jwk
fi
