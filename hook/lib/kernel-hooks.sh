# SPDX-License-Identifier: MIT
# kernel-hooks.sh: ade-unlock-install's registration for kernel updates: /etc/kernel/postinst.d and postrm.d (Debian, Ubuntu), the kernel-install plugin (Fedora, RHEL, Azure Linux).
#
# POSIX sh, installed as /usr/lib/ade-unlock/kernel-hooks.sh (mode 0644:
# sourced, never run). The hooks themselves (hook/kernel-*.d/) only call
# ade-unlock-install; they are the same for dracut and initramfs-tools (on
# initramfs-tools the distribution's own postinst.d hook builds the image and
# ours, sorting last, verifies it). The caller defines put and die.
# shellcheck shell=sh
# shellcheck disable=SC2034  # KH_PATHS_RE: read by the installer

D_POSTINST=/etc/kernel/postinst.d/zz-ade-unlock
D_POSTRM=/etc/kernel/postrm.d/zz-ade-unlock
D_KINSTALL=/usr/lib/kernel/install.d/60-ade-unlock.install
# The installed files that are kernel hooks (--uninstall removes them first,
# so that a kernel update meanwhile never calls a half-removed installer).
KH_PATHS_RE='/(postinst|postrm|install)\.d/'

# Where the hooks come from: kh_payload source SRCDIR | installed. A source
# tree has all three (S_HOOKS=all); a package ships only its distribution's
# (S_HOOKS=packaged), and so does a tree that --root staged from one.
kh_payload() {
    if [ "$1" = source ]; then
        S_POSTINST=$2/hook/kernel-postinst.d/zz-ade-unlock
        S_POSTRM=$2/hook/kernel-postrm.d/zz-ade-unlock
        S_KINSTALL=$2/hook/kernel-install.d/60-ade-unlock.install
        S_HOOKS=all
        [ -f "$2/.staged-from-package" ] && S_HOOKS=packaged
    else
        S_POSTINST=$D_POSTINST
        S_POSTRM=$D_POSTRM
        S_KINSTALL=$D_KINSTALL
        S_HOOKS=packaged
    fi
}

# The kernel hooks the payload must have, checked before anything changes
# ($1: what stays unchanged). A source tree has all three. A package ships
# only its distribution's: the Debian one /etc/kernel/postinst.d and
# postrm.d (what Debian's kernel packages run; the kernel-install plugin
# would run beside them there), the RPM the kernel-install plugin. So at
# least one hook that rebuilds a new kernel's image; only those present are
# installed.
need_hooks() {
    if [ "$S_HOOKS" = all ]; then
        for nh_h in "$S_POSTINST" "$S_POSTRM" "$S_KINSTALL"; do
            [ -f "$nh_h" ] || die "$nh_h is missing; $1"
        done
    elif [ ! -f "$S_POSTINST" ] && [ ! -f "$S_KINSTALL" ]; then
        die "no kernel hook is installed: both $S_POSTINST (Debian, Ubuntu) and $S_KINSTALL (kernel-install: Fedora, RHEL, Azure Linux) are missing, so a kernel update would not rebuild its image: reinstall ade-unlock; $1"
    fi
}

# Copies the hooks the payload has into a staging tree laid out as a source
# tree (--root), marked as a package's when they are.
kh_stage() {
    mkdir -p "$1/hook/kernel-postinst.d" "$1/hook/kernel-postrm.d" "$1/hook/kernel-install.d" ||
        return 1
    if [ "$S_HOOKS" = packaged ]; then
        : > "$1/.staged-from-package" || return 1
    fi
    for ks_p in "$S_POSTINST:kernel-postinst.d" "$S_POSTRM:kernel-postrm.d" \
        "$S_KINSTALL:kernel-install.d"; do
        if [ -f "${ks_p%:*}" ]; then
            cp -p "${ks_p%:*}" "$1/hook/${ks_p##*:}/" || return 1
        fi
    done
    return 0
}

# Installs the hooks the payload has (all three from a source tree).
kh_install() {
    [ -f "$S_POSTINST" ] && put "$S_POSTINST" "$D_POSTINST" 755
    [ -f "$S_POSTRM" ] && put "$S_POSTRM" "$D_POSTRM" 755
    [ -f "$S_KINSTALL" ] && put "$S_KINSTALL" "$D_KINSTALL" 755
    return 0
}
