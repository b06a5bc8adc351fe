#!/bin/bash
# SPDX-License-Identifier: MIT
# dracut module: puts ade-unlock, its configuration and the kernel modules it
# needs into the initramfs, and runs it once before dracut's crypt module asks.
#
# The image's /etc/crypttab and /etc/ade-unlock.conf are derived from the
# host's at every build (/usr/lib/ade-unlock/crypttab.sh): the entries ade-unlock
# opens, then the lines dracut's crypt module keeps in host-only mode (the
# root's devices), nothing else: entries keyed from the root filesystem
# would prompt forever in the initramfs.
#
# Settings (dracut.conf.d), each with its default:
#   ade_unlock_binary=/usr/sbin/ade-unlock      the static binary
#   ade_unlock_kek=/etc/ade-unlock/kek.jwk      key-encryption key (mode 0600)
#   ade_unlock_crypttab=, ade_unlock_conf=      files copied as they are
#                                               instead (no derivation)
#   ade_unlock_libdir=/usr/lib/ade-unlock       where crypttab.sh (the
#                                               conversion) is
# A missing KEK file is left out.
# shellcheck disable=SC2154  # moddir, initdir, systemdsystemunitdir: set by dracut

# called by dracut
check() {
    require_binaries "${ade_unlock_binary:-/usr/sbin/ade-unlock}" || return 1
    # Only when asked for (add_dracutmodules+=" ade-unlock ").
    return 255
}

# called by dracut
depends() {
    # crypt, dm and the systemd-cryptsetup units (or cryptroot-ask) stay the
    # fallback for whatever ade-unlock does not open.
    echo crypt dm rootfs-block
    return 0
}

# called by dracut
installkernel() {
    # Storage a cloud VM's disks and the BEK volume sit on (Azure: hv_storvsc,
    # sd_mod; KVM: virtio; NVMe). No vfat or nls_*: ade-unlock reads FAT itself.
    hostonly='' instmods virtio_blk virtio_scsi virtio_pci sd_mod hv_vmbus hv_storvsc nvme
    # device-mapper and dm-crypt; libcryptsetup decrypts keyslots through
    # AF_ALG skcipher (or a temporary dm-crypt mapping), so the user crypto API
    # and the ciphers and hashes of LUKS headers (names that are built into a
    # kernel are skipped).
    hostonly='' instmods dm_mod dm_crypt af_alg algif_skcipher algif_hash \
        aes aesni_intel xts ecb cbc essiv sha1 sha256 sha256_ssse3 sha512 \
        crypto-aes crypto-xts crypto-ecb crypto-cbc crypto-sha256 crypto-sha512
    return 0
}

# ade-unlock's /etc/crypttab and /etc/ade-unlock.conf in the image.
ade_unlock_config() {
    local CT_TMP kept fstypes
    # dracut's crypt module (host-only) has written its crypttab already,
    # and dracut-install never replaces a file: ours replaces it.
    kept=$initdir/etc/crypttab.dracut-crypt
    rm -f "$kept"
    [[ -f $initdir/etc/crypttab ]] && mv -f "$initdir/etc/crypttab" "$kept"
    if [[ $ade_unlock_crypttab || $ade_unlock_conf ]]; then
        [[ -f $ade_unlock_crypttab ]] && inst_simple "$ade_unlock_crypttab" /etc/crypttab
        [[ -f $ade_unlock_conf ]] && inst_simple "$ade_unlock_conf" /etc/ade-unlock.conf
        rm -f "$kept"
        return 0
    fi
    CT_TMP=$(mktemp -d "${DRACUT_TMPDIR:-/var/tmp}/ade-unlock.XXXXXX") || return 1
    # In a subshell: the library's functions stay out of dracut's namespace.
    # shellcheck disable=SC2034,SC2317  # read and called by the library
    (
        HOST_CT=${dracutsysrootdir-}/etc/crypttab
        HOST_CONF=${dracutsysrootdir-}/etc/ade-unlock.conf
        KEK_DEFAULT=/etc/ade-unlock/kek.jwk
        ct_say() { dinfo "ade-unlock: $*"; }
        # shellcheck source=hook/lib/crypttab.sh disable=SC1091
        . "${ade_unlock_libdir:-/usr/lib/ade-unlock}/crypttab.sh" || {
            derror "ade-unlock: ${ade_unlock_libdir:-/usr/lib/ade-unlock}/crypttab.sh is missing: reinstall ade-unlock"
            exit 1
        }
        # An entry that cannot be resolved now is left out (named above):
        # the image still builds, so that whoever runs dracut (ADE itself, a
        # kernel update) is never stopped here; ade-unlock-install refuses it.
        convert "$CT_TMP/crypttab" "$CT_TMP/conf" ||
            derror "ade-unlock: $HOST_CT has entries ade-unlock cannot open (above): left out of this image; run ade-unlock-install --check"
        {
            cat "$CT_TMP/crypttab"
            echo "$STOCK_MARK"
            stock_lines "$kept" "$OWNED $HOSTED"
        } > "$CT_TMP/crypttab.image"
        printf '%s\n' "$R_FSTYPES" > "$CT_TMP/fstypes"
    ) || return 1
    inst_simple "$CT_TMP/crypttab.image" /etc/crypttab
    inst_simple "$CT_TMP/conf" /etc/ade-unlock.conf
    # ade-unlock mounts the filesystems of detached headers itself.
    fstypes=$(cat "$CT_TMP/fstypes")
    # shellcheck disable=SC2086  # a word list
    [[ $fstypes ]] && hostonly='' instmods $fstypes
    rm -f "$kept"
    rm -rf "$CT_TMP"
    return 0
}

# called by dracut
install() {
    local bin kek
    bin=${ade_unlock_binary:-/usr/sbin/ade-unlock}
    kek=${ade_unlock_kek:-/etc/ade-unlock/kek.jwk}

    inst_binary "$bin" /usr/sbin/ade-unlock || return 1
    inst_script "$moddir/ade-unlock-run.sh" /usr/lib/ade-unlock/ade-unlock-run
    chmod 0755 "$initdir/usr/lib/ade-unlock/ade-unlock-run"
    inst_multiple udevadm dmsetup grep

    ade_unlock_config || return 1
    if [[ -f $kek ]]; then
        inst_simple "$kek" /etc/ade-unlock/kek.jwk
        chmod 0700 "$initdir/etc/ade-unlock"
        chmod 0600 "$initdir/etc/ade-unlock/kek.jwk"
        # Both kinds: overwritten and removed before switch_root.
        inst_hook pre-pivot 10 "$moddir/ade-unlock-cleanup.sh"
    fi

    if dracut_module_included "systemd"; then
        # systemd initramfs: a oneshot unit ordered before cryptsetup-pre.target.
        inst_simple "$moddir/ade-unlock.service" "$systemdsystemunitdir/ade-unlock.service"
        mkdir -p "$initdir$systemdsystemunitdir/cryptsetup.target.wants"
        ln_r "$systemdsystemunitdir/ade-unlock.service" \
            "$systemdsystemunitdir/cryptsetup.target.wants/ade-unlock.service"
        inst_simple "$moddir/systemd-cryptsetup-ade.conf" \
            "$systemdsystemunitdir/systemd-cryptsetup@.service.d/ade-unlock.conf"
    else
        # dracut's shell init: the first settled initqueue job. udev has
        # settled (disks enumerated); cryptroot-ask and lvm_scan jobs sort after
        # "00" and run after it in the same pass. Should the initqueue finish
        # before any settled pass (root not encrypted), pre-mount runs it
        # instead, for the data disks. The hook runs ade-unlock once.
        inst_hook initqueue/settled 00 "$moddir/ade-unlock-hook.sh"
        inst_hook pre-mount 00 "$moddir/ade-unlock-hook.sh"
        dracut_need_initqueue
    fi
}
