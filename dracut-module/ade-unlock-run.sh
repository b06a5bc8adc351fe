#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs ade-unlock once in the initramfs, then has udev process the
# device-mapper devices it created (so by-uuid links, LVM and systemd see them).
#
# ade-unlock's libdevmapper has no udev synchronisation: it creates the
# /dev/mapper nodes itself. Its resume ioctl still marks the "change" uevent
# as primary-sourced (DM_COOKIE carries DM_UDEV_PRIMARY_SOURCE_FLAG, which
# libdevmapper sets even without udev sync), so the device-mapper udev rules
# run in full: blkid, /dev/disk/by-uuid, SYSTEMD_READY, LVM scan. Before that
# event is processed, the device's "add" event has left the udev database
# with DM_UDEV_DISABLE_{SUBSYSTEM,DISK,OTHER}_RULES_FLAG=1. So: wait for udev
# to settle, and should a mapping still be flagged (its change event lost or
# not primary-sourced), resume it through dmsetup, which synchronises with
# udev and sends a primary-sourced change event.
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH

# Once per boot, whoever calls (the systemd unit or the dracut hook).
[ -e /run/ade-unlock/ran ] && exit 0
mkdir -p /run/ade-unlock
: > /run/ade-unlock/ran

# The fallback table: for initramfs-tools' cryptroot (its boot script hands
# those devices to cryptroot's prompt); dracut's kinds do not read it.
/usr/sbin/ade-unlock --status /run/ade-unlock/status \
    --fallback-crypttab /run/ade-unlock/fallback.crypttab
rc=$?

# A nofail device ade-unlock could not open is not asked for in the
# initramfs (the boot goes on without it, as nofail says): a marker per name,
# on which the systemd kind's drop-in for systemd-cryptsetup@.service makes
# the unit skip itself. The real root's crypttab handles it after switch_root.
if [ -r /run/ade-unlock/status ]; then
    mkdir -p /run/ade-unlock/nofail-failed
    while read -r name state flag; do
        case "$name" in "" | . | .. | */*) continue ;; esac
        [ "$state $flag" = "failed nofail" ] && : > "/run/ade-unlock/nofail-failed/$name"
    done < /run/ade-unlock/status
fi

udevadm settle --timeout=30 2> /dev/null

# The crypt mappings that udev's rules have still not processed.
pending=
for d in /sys/block/dm-*; do
    [ -r "$d/dm/uuid" ] || continue
    case "$(cat "$d/dm/uuid")" in CRYPT-*) ;; *) continue ;; esac
    if udevadm info --query=property --path="${d#/sys}" 2> /dev/null |
        grep -q '^DM_UDEV_DISABLE_DISK_RULES_FLAG=1$'; then
        pending="$pending $(cat "$d/dm/name")"
    fi
done
for name in $pending; do
    if dmsetup resume "$name" 2> /dev/null; then
        echo "ade-unlock: $name: udev had not processed it; resumed through dmsetup" >&2
    else
        echo "ade-unlock: $name: dmsetup resume failed; udev may not see it" >&2
    fi
done
[ -n "$pending" ] && udevadm settle --timeout=30 2> /dev/null
exit "$rc"
