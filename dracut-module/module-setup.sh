#!/bin/bash
# SPDX-License-Identifier: MIT
# dracut module: puts ade-unlock, its configuration and the kernel modules it
# needs into the initramfs, and runs it once before dracut's crypt module asks.
#
# Settings (dracut.conf.d), each with its default:
#   ade_unlock_binary=/usr/sbin/ade-unlock      the static binary
#   ade_unlock_crypttab=/etc/crypttab           copied to /etc/crypttab
#   ade_unlock_conf=/etc/ade-unlock.conf        copied to /etc/ade-unlock.conf
#   ade_unlock_kek=/etc/ade-unlock/kek.jwk      key-encryption key (mode 0600)
# A missing crypttab, configuration or KEK file is left out.
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

# called by dracut
install() {
    local bin crypttab conf kek
    bin=${ade_unlock_binary:-/usr/sbin/ade-unlock}
    crypttab=${ade_unlock_crypttab:-/etc/crypttab}
    conf=${ade_unlock_conf:-/etc/ade-unlock.conf}
    kek=${ade_unlock_kek:-/etc/ade-unlock/kek.jwk}

    inst_binary "$bin" /usr/sbin/ade-unlock || return 1
    inst_script "$moddir/ade-unlock-run.sh" /usr/lib/ade-unlock/ade-unlock-run
    chmod 0755 "$initdir/usr/lib/ade-unlock/ade-unlock-run"
    inst_multiple udevadm dmsetup grep

    # dracut's crypt module (hostonly) has written the host's crypttab
    # already, and dracut-install never replaces a file: ours replaces it.
    if [[ -f $crypttab ]]; then
        rm -f "$initdir/etc/crypttab"
        inst_simple "$crypttab" /etc/crypttab
    fi
    [[ -f $conf ]] && inst_simple "$conf" /etc/ade-unlock.conf
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
