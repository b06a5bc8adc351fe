#!/bin/sh
# SPDX-License-Identifier: MIT
# Tests of the packages: the .deb built with dpkg-buildpackage, its contents and lintian; installed with dpkg -i in a Debian 12 chroot, a kernel update, a removal that cannot rebuild, dpkg -r and -P; installed with apt in an initramfs-tools chroot (no dracut pulled in); the RPM built with rpmbuild and its files against the .deb's.
#
# usage: tests/package/run.sh [CASE...]    (default: every case, in order)
# Prints "PASS: case (N s)" / "FAIL: case" per case and "N passed, N failed"
# last; exits 1 on any failure, 77 (with the reason) when it cannot run.
# Needs root. The chroot is an overlay of the installer tests' cached Debian
# 12 root (tests/installer/lib.sh, build/installer/), in a private mount
# namespace: every mount vanishes with it. Builds go to build/package/ (a
# copy of the tree, the static libraries copied from build/musl/).
set -u

here=$(cd "$(dirname "$0")" && pwd)
T_TOP=$(cd "$here/../.." && pwd)
if [ "$(id -u)" -ne 0 ]; then
    echo "package-tests: needs root (dpkg -i in a chroot, mounts): not run"
    exit 77
fi
if [ "$(dpkg --print-architecture 2> /dev/null)" != amd64 ]; then
    echo "package-tests: the package is amd64 only (the static binary is x86-64): not run"
    exit 77
fi
if [ "${T_IN_NS:-}" != 1 ]; then
    T_IN_NS=1 exec unshare --mount --propagation private sh "$0" "$@"
fi

# shellcheck disable=SC1091  # lib.sh is checked on its own
. "$T_TOP/tests/installer/lib.sh"
t_log() { printf 'package-tests: %s\n' "$*" >&2; }

PK_BUILD=$T_TOP/build/package
PK_LOGS=$PK_BUILD/logs
# shellcheck disable=SC2034  # read by tcase (lib.sh)
T_CASE_LOGS=$PK_LOGS
VERSION=$(cat "$T_TOP/VERSION")
DEB=$PK_BUILD/out/ade-unlock_${VERSION}_amd64.deb
RPM=$PK_BUILD/out/ade-unlock-$VERSION-1.x86_64.rpm
# The tree the .deb was built from (tests/package/build.sh's copy).
DEBSRC=$PK_BUILD/deb/ade-unlock-$VERSION
passed=0
failed=0
skipped=0
failures=

# Paths that differ between the .deb and the RPM by design, "DEB RPM" ("-"
# where the other package has none). Man pages are compared without ".gz"
# (whether rpmbuild compresses them depends on its host's macros).
# The kernel hooks: each package ships its distribution's only (Debian's
# kernel packages run /etc/kernel/post*.d, Fedora's kernel-install; on
# Debian both would run), and ade-unlock-install, installed, uses those.
PK_MAP="
/usr/share/doc/ade-unlock/changelog.gz -
/usr/share/doc/ade-unlock/copyright -
/usr/share/lintian/overrides/ade-unlock -
/etc/kernel/postinst.d/zz-ade-unlock -
/etc/kernel/postrm.d/zz-ade-unlock -
/usr/share/initramfs-tools/hooks/ade-unlock -
/usr/share/initramfs-tools/scripts/init-premount/ade-unlock -
/usr/share/initramfs-tools/scripts/init-bottom/ade-unlock -
/usr/lib/ade-unlock/ade-unlock-run.sh -
- /usr/lib/kernel/install.d/60-ade-unlock.install
"

# ---- helpers ---------------------------------------------------------------------
sha() { sha256sum < "$1" | cut -d ' ' -f 1; }
lsi() { t_in "$T_ROOT" lsinitrd "$1"; }
has_module() { lsi "$1" 2> /dev/null | grep -Eq ' usr/sbin/ade-unlock$'; }
# The kernels of the chroot, and their images.
kernels() { for _k in "$T_ROOT"/lib/modules/*; do [ -d "$_k" ] && echo "${_k##*/}"; done; }
expect_msg() {
    if ! grep -Eq -- "$2" "$1"; then
        echo "expected a line matching /$2/ in the output:"
        sed 's/^/    > /' "$1" | tail -n 30
        return 1
    fi
}
# The .deb's files (not directories), one "MODE PATH" a line, sorted.
deb_files() { dpkg-deb -c "$DEB" | awk '$1 !~ /^d/ { p = $6; sub(/^\./, "", p); print $1, p }' | sort; }
# The package's state in the chroot (dpkg-query's "Status").
# shellcheck disable=SC2016  # dpkg-query's format, not the shell's
pkg_status() { t_in "$T_ROOT" dpkg-query -W -f='${Status}' ade-unlock 2> /dev/null; }

need_deb() {
    [ -f "$DEB" ] || {
        echo "no $DEB (build-deb failed)"
        return 1
    }
}

# ---- the cases ---------------------------------------------------------------------
c_build_deb() {
    rm -f "$DEB"
    sh "$here/build.sh" deb || return 1
    need_deb || return 1
    _v=$(dpkg-deb -f "$DEB" Version)
    [ "$_v" = "$VERSION" ] || {
        echo "the .deb is version $_v, VERSION says $VERSION"
        return 1
    }
    # The static libraries' Debian sources, as Debian's policy asks.
    _bu=$(dpkg-deb -f "$DEB" Built-Using)
    echo "Built-Using: $_bu"
    for _s in cryptsetup lvm2 json-c util-linux bearssl musl; do
        printf '%s\n' "$_bu" | grep -q "\\b$_s (= " || {
            echo "Built-Using lacks $_s"
            return 1
        }
    done
}

c_deb_contents() {
    need_deb || return 1
    # What the package must hold: the binary, the installer and its sourced
    # libraries (hook/lib/, mode 0644), the dracut
    # module (every file of dracut-module/, scripts executable), the Debian
    # kernel hooks (not the kernel-install plugin, the RPM's), the man pages
    # and the documentation.
    {
        echo "-rwxr-xr-x /usr/sbin/ade-unlock"
        echo "-rwxr-xr-x /usr/sbin/ade-unlock-install"
        for _f in "$DEBSRC"/hook/lib/*.sh; do
            echo "-rw-r--r-- /usr/lib/ade-unlock/${_f##*/}"
        done
        # The initramfs-tools hook and boot scripts, and the run script its
        # hook copies into the image (read, never run on the host).
        echo "-rw-r--r-- /usr/lib/ade-unlock/ade-unlock-run.sh"
        for _f in hooks/ade-unlock scripts/init-premount/ade-unlock scripts/init-bottom/ade-unlock; do
            echo "-rwxr-xr-x /usr/share/initramfs-tools/$_f"
        done
        for _f in "$DEBSRC"/dracut-module/*; do
            case "$_f" in *.sh) _m=-rwxr-xr-x ;; *) _m=-rw-r--r-- ;; esac
            echo "$_m /usr/lib/dracut/modules.d/91ade-unlock/${_f##*/}"
        done
        echo "-rwxr-xr-x /etc/kernel/postinst.d/zz-ade-unlock"
        echo "-rwxr-xr-x /etc/kernel/postrm.d/zz-ade-unlock"
        echo "-rw-r--r-- /usr/share/man/man8/ade-unlock.8.gz"
        echo "-rw-r--r-- /usr/share/man/man8/ade-unlock-install.8.gz"
        for _f in README.md operators.md changelog.gz copyright; do
            echo "-rw-r--r-- /usr/share/doc/ade-unlock/$_f"
        done
        echo "-rw-r--r-- /usr/share/lintian/overrides/ade-unlock"
    } | sort > "$PK_BUILD/deb.expected"
    deb_files > "$PK_BUILD/deb.files"
    echo "---- dpkg -c (files):"
    cat "$PK_BUILD/deb.files"
    if ! cmp -s "$PK_BUILD/deb.expected" "$PK_BUILD/deb.files"; then
        echo "---- not as expected (< expected, > in the .deb):"
        diff "$PK_BUILD/deb.expected" "$PK_BUILD/deb.files"
        return 1
    fi
    # The hooks in /etc are configuration files (kept on dpkg -r, gone on -P).
    _cf=$(dpkg-deb -I "$DEB" conffiles | sort | tr '\n' ' ')
    [ "$_cf" = "/etc/kernel/postinst.d/zz-ade-unlock /etc/kernel/postrm.d/zz-ade-unlock " ] || {
        echo "conffiles: $_cf"
        return 1
    }
    # The files are the tree's, the binary the one the build made.
    rm -rf "$PK_BUILD/deb.x"
    dpkg-deb -x "$DEB" "$PK_BUILD/deb.x" || return 1
    for _p in "unlock/ade-unlock /usr/sbin/ade-unlock" "hook/ade-unlock-install /usr/sbin/ade-unlock-install" \
        "hook/kernel-postinst.d/zz-ade-unlock /etc/kernel/postinst.d/zz-ade-unlock" \
        "hook/kernel-postrm.d/zz-ade-unlock /etc/kernel/postrm.d/zz-ade-unlock"; do
        cmp "$DEBSRC/${_p% *}" "$PK_BUILD/deb.x${_p#* }" || return 1
    done
    "$PK_BUILD/deb.x/usr/sbin/ade-unlock" --version | grep -q "^ade-unlock $VERSION\$" || return 1
    "$PK_BUILD/deb.x/usr/sbin/ade-unlock" --self-check || return 1
    # Both man pages render without a warning of man(1).
    for _m in ade-unlock ade-unlock-install; do
        _w=$(MANWIDTH=80 man --warnings -l "$PK_BUILD/deb.x/usr/share/man/man8/$_m.8.gz" 2>&1 > /dev/null)
        [ -z "$_w" ] || {
            echo "man $_m: $_w"
            return 1
        }
    done
    echo "conffiles: $_cf; files as in the tree; --self-check passed; man pages render"
}

c_lintian() {
    need_deb || return 1
    # Each override says why, in the comment above it.
    for _o in "$T_TOP"/debian/*lintian-overrides "$T_TOP"/debian/source/lintian-overrides; do
        [ -f "$_o" ] || continue
        awk -v f="${_o#"$T_TOP"/}" '
            /^[ \t]*$/ { why = 0; next }
            /^[ \t]*#/ { why = 1; next }
            !why { printf "%s:%d: override without a reason: %s\n", f, NR, $0; bad = 1 }
            END { exit bad }' "$_o" || return 1
    done
    # Every tag, the overridden ones (O:) with their reasons (N:). With
    # --show-overrides lintian's --fail-on counts overridden tags too: the
    # verdict is read from the tags (E: and W: are the ones not overridden).
    lintian -I -E --pedantic --show-overrides --fail-on error,warning "$DEB" \
        > "$PK_BUILD/lintian.log" 2>&1
    _rc=$?
    grep -v 'running with root privileges' "$PK_BUILD/lintian.log"
    echo "lintian exit status: $_rc"
    [ "$_rc" -eq 0 ] || [ "$_rc" -eq 2 ] || return 1
    if grep -Eq '^[EW]: |mismatched-override|unused-override' "$PK_BUILD/lintian.log"; then
        echo "errors, warnings or stale overrides"
        return 1
    fi
}

c_install() {
    need_deb || return 1
    # The VM's crypttab: an ADE data disk by UUID (resolved without the disk).
    echo "data0 UUID=0a0e0000-0000-4000-8000-00000000d0d0 /mnt/azure_bek_disk/LinuxPassPhraseFileName_1_0 luks,nofail" \
        > "$T_ROOT/etc/crypttab"
    cp "$DEB" "$T_ROOT/var/tmp/" || return 1
    t_in "$T_ROOT" dpkg -i "/var/tmp/${DEB##*/}" > "$PK_BUILD/run/install.log" 2>&1
    _rc=$?
    rm -f "$T_ROOT/var/tmp/${DEB##*/}"
    cat "$PK_BUILD/run/install.log"
    [ "$_rc" -eq 0 ] || return 1
    [ "$(pkg_status)" = "install ok installed" ] || {
        echo "dpkg says: $(pkg_status)"
        return 1
    }
    # The postinst ran the installer: the image has the module, --check agrees.
    expect_msg "$PK_BUILD/run/install.log" "ade-unlock-install: $K1: /boot/initrd.img-$K1 replaced" || return 1
    has_module "/boot/initrd.img-$K1" || {
        echo "/boot/initrd.img-$K1 has no ade-unlock"
        return 1
    }
    t_in "$T_ROOT" ade-unlock-install --check > "$PK_BUILD/run/check.log" 2>&1
    _rc=$?
    cat "$PK_BUILD/run/check.log"
    [ "$_rc" -eq 0 ] && expect_msg "$PK_BUILD/run/check.log" "^$K1: OK: the next boot unlocks data0"
}

c_hooks_missing() {
    need_deb || return 1
    # Installed, ade-unlock-install needs the hooks its package ships, not
    # the RPM's plugin: with only postinst.d (postrm.d moved away) it runs;
    # with neither postinst.d nor the plugin it names both and stops first.
    _hd=$T_ROOT/etc/kernel
    [ ! -e "$T_ROOT/usr/lib/kernel/install.d/60-ade-unlock.install" ] || {
        echo "the kernel-install plugin is installed"
        return 1
    }
    for _k in $(kernels); do sha "$T_ROOT/boot/initrd.img-$_k"; done > "$PK_BUILD/run/images.before"
    mv "$_hd/postrm.d/zz-ade-unlock" "$PK_BUILD/run/postrm.hook" || return 1
    t_in "$T_ROOT" ade-unlock-install > "$PK_BUILD/run/hooks1.log" 2>&1
    _rc1=$?
    mv "$_hd/postinst.d/zz-ade-unlock" "$PK_BUILD/run/postinst.hook" || return 1
    t_in "$T_ROOT" ade-unlock-install --force > "$PK_BUILD/run/hooks2.log" 2>&1
    _rc2=$?
    mv "$PK_BUILD/run/postinst.hook" "$_hd/postinst.d/zz-ade-unlock"
    mv "$PK_BUILD/run/postrm.hook" "$_hd/postrm.d/zz-ade-unlock"
    for _k in $(kernels); do sha "$T_ROOT/boot/initrd.img-$_k"; done > "$PK_BUILD/run/images.after"
    echo "---- without postrm.d (exit status $_rc1):"
    cat "$PK_BUILD/run/hooks1.log"
    echo "---- without postinst.d and postrm.d (exit status $_rc2):"
    cat "$PK_BUILD/run/hooks2.log"
    [ "$_rc1" -eq 0 ] && [ "$_rc2" -eq 1 ] || return 1
    expect_msg "$PK_BUILD/run/hooks1.log" "$K1: /boot/initrd.img-$K1 is up to date" || return 1
    expect_msg "$PK_BUILD/run/hooks2.log" \
        "error: no kernel hook is installed: both /etc/kernel/postinst.d/zz-ade-unlock .* and /usr/lib/kernel/install.d/60-ade-unlock.install .* are missing.*no image changed" ||
        return 1
    cmp -s "$PK_BUILD/run/images.before" "$PK_BUILD/run/images.after" || {
        echo "an image changed"
        return 1
    }
}

c_root_from_package() {
    need_deb || return 1
    # The installed package's ade-unlock-install --root DIR: it stages its
    # payload in DIR and runs there as from a source tree, with the hooks
    # the package has (the Debian ones), not all three.
    _tr=$T_ROOT/mnt/target
    mkdir -p "$_tr" "$PK_BUILD/run/target-upper" "$PK_BUILD/run/target-work"
    mount -t overlay overlay -o "lowerdir=$T_PRISTINE,upperdir=$PK_BUILD/run/target-upper,workdir=$PK_BUILD/run/target-work" \
        "$_tr" || return 1
    cp "$T_ROOT/etc/crypttab" "$_tr/etc/crypttab" || return 1
    t_in "$T_ROOT" ade-unlock-install --root /mnt/target --kernel "$K1" > "$PK_BUILD/run/root.log" 2>&1
    _rc=$?
    cat "$PK_BUILD/run/root.log"
    echo "exit status $_rc"
    _bad=
    [ "$_rc" -eq 0 ] || _bad=1
    for _f in /usr/sbin/ade-unlock-install /etc/kernel/postinst.d/zz-ade-unlock /etc/kernel/postrm.d/zz-ade-unlock; do
        cmp "$T_ROOT$_f" "$_tr$_f" || _bad=1
    done
    [ ! -e "$_tr/usr/lib/kernel/install.d/60-ade-unlock.install" ] || {
        echo "the kernel-install plugin was installed in the target"
        _bad=1
    }
    has_module "/mnt/target/boot/initrd.img-$K1" || {
        echo "the target's /boot/initrd.img-$K1 has no ade-unlock"
        _bad=1
    }
    _left=$(find "$_tr/var/tmp" -mindepth 1 -maxdepth 1 -name 'ade-unlock-install.*')
    [ -z "$_left" ] || {
        echo "left in the target: $_left"
        _bad=1
    }
    umount "$_tr" && rmdir "$_tr"
    [ -z "$_bad" ]
}

c_kernel_update() {
    need_deb || return 1
    t_in "$T_ROOT" apt-get install -y --no-install-recommends linux-image-cloud-amd64 \
        > "$PK_BUILD/run/kernel.log" 2>&1
    _rc=$?
    cat "$PK_BUILD/run/kernel.log"
    [ "$_rc" -eq 0 ] || return 1
    expect_msg "$PK_BUILD/run/kernel.log" "ade-unlock-install: $K2: /boot/initrd.img-$K2 .*(verified|replaced)" ||
        return 1
    has_module "/boot/initrd.img-$K2" || {
        echo "/boot/initrd.img-$K2 has no ade-unlock"
        return 1
    }
    t_in "$T_ROOT" ade-unlock-install --check --kernel "$K2" > "$PK_BUILD/run/check2.log" 2>&1
    _rc=$?
    cat "$PK_BUILD/run/check2.log"
    [ "$_rc" -eq 0 ] && expect_msg "$PK_BUILD/run/check2.log" "^$K2: OK: the next boot unlocks data0"
}

c_remove_fails_safe() {
    need_deb || return 1
    # A dracut that cannot build an image without the module: the removal
    # must stop, the package stay, and every image keep its unlock.
    mkdir -p "$T_ROOT/usr/local/sbin"
    cat > "$T_ROOT/usr/local/sbin/dracut" << 'EOF'
#!/bin/sh
# test shim: fails every build that omits ade-unlock
prev=
for a in "$@"; do
    if [ "$prev" = --omit ] && [ "$a" = ade-unlock ]; then
        echo "test shim: dracut fails" >&2
        exit 1
    fi
    prev=$a
done
exec /usr/bin/dracut "$@"
EOF
    chmod 755 "$T_ROOT/usr/local/sbin/dracut"
    for _k in $(kernels); do sha "$T_ROOT/boot/initrd.img-$_k"; done > "$PK_BUILD/run/images.before"
    t_in "$T_ROOT" dpkg -r ade-unlock > "$PK_BUILD/run/remove-fail.log" 2>&1
    _rc=$?
    rm -f "$T_ROOT/usr/local/sbin/dracut"
    for _k in $(kernels); do sha "$T_ROOT/boot/initrd.img-$_k"; done > "$PK_BUILD/run/images.after"
    cat "$PK_BUILD/run/remove-fail.log"
    echo "dpkg -r: exit status $_rc; the package: $(pkg_status)"
    [ "$_rc" -ne 0 ] || return 1
    # (dpkg keeps the selection "deinstall"; the state is what counts.)
    case "$(pkg_status)" in *" ok installed") ;; *) return 1 ;; esac
    expect_msg "$PK_BUILD/run/remove-fail.log" "uninstall stopped: .*ade-unlock stays installed" || return 1
    cmp -s "$PK_BUILD/run/images.before" "$PK_BUILD/run/images.after" || {
        echo "an image changed"
        return 1
    }
    [ -f "$T_ROOT/etc/dracut.conf.d/ade-unlock.conf" ] || {
        echo "/etc/dracut.conf.d/ade-unlock.conf is gone"
        return 1
    }
    t_in "$T_ROOT" ade-unlock-install --check || return 1
}

c_remove() {
    need_deb || return 1
    t_in "$T_ROOT" dpkg -r ade-unlock > "$PK_BUILD/run/remove.log" 2>&1
    _rc=$?
    cat "$PK_BUILD/run/remove.log"
    [ "$_rc" -eq 0 ] || return 1
    [ "$(pkg_status)" = "deinstall ok config-files" ] || {
        echo "dpkg says: $(pkg_status)"
        return 1
    }
    # Every image rebuilt without the module (by the prerm, before the files went).
    for _k in $(kernels); do
        if has_module "/boot/initrd.img-$_k"; then
            echo "/boot/initrd.img-$_k still has ade-unlock"
            return 1
        fi
        echo "/boot/initrd.img-$_k: no ade-unlock"
    done
    # The package's files are gone but for its configuration files (the
    # hooks in /etc), which do nothing without the installer.
    deb_files | while read -r _m _f; do
        case "$_f" in
            /etc/*) [ -f "$T_ROOT$_f" ] || echo "conffile gone early: $_f" ;;
            *) [ ! -e "$T_ROOT$_f" ] || echo "left behind: $_f" ;;
        esac
    done > "$PK_BUILD/run/left.txt"
    for _f in /etc/dracut.conf.d/ade-unlock.conf /etc/ade-unlock/initramfs /var/lib/ade-unlock \
        /boot/initrd.img-"$K1".ade-bak /boot/initrd.img-"$K2".ade-bak; do
        [ ! -e "$T_ROOT$_f" ] || echo "left behind: $_f"
    done >> "$PK_BUILD/run/left.txt"
    if [ -s "$PK_BUILD/run/left.txt" ]; then
        cat "$PK_BUILD/run/left.txt"
        return 1
    fi
    _before=$(sha "$T_ROOT/boot/initrd.img-$K2")
    t_in "$T_ROOT" /etc/kernel/postinst.d/zz-ade-unlock "$K2" "/boot/vmlinuz-$K2" || return 1
    [ "$(sha "$T_ROOT/boot/initrd.img-$K2")" = "$_before" ] || {
        echo "the left-behind postinst.d hook changed /boot/initrd.img-$K2"
        return 1
    }
    echo "package files gone, conffiles kept and inert, generated files and backups gone"
}

c_purge() {
    need_deb || return 1
    t_in "$T_ROOT" dpkg -P ade-unlock > "$PK_BUILD/run/purge.log" 2>&1
    _rc=$?
    cat "$PK_BUILD/run/purge.log"
    [ "$_rc" -eq 0 ] || return 1
    case "$(pkg_status)" in "" | "unknown ok not-installed") ;; *)
        echo "dpkg says: $(pkg_status)"
        return 1
        ;;
    esac
    _left=$(cd "$T_ROOT" && find . -xdev \( -path ./proc -o -path ./sys -o -path ./dev \) -prune -o \
        \( -name '*ade-unlock*' -o -name '*.ade-bak' -o -name '*.ade-new' -o -name '*.ade-tmp' \) -print)
    if [ -n "$_left" ]; then
        echo "left behind:"
        echo "$_left"
        return 1
    fi
    for _k in $(kernels); do
        if has_module "/boot/initrd.img-$_k"; then
            echo "/boot/initrd.img-$_k has ade-unlock"
            return 1
        fi
    done
    echo "no file named *ade-unlock*, *.ade-bak, *.ade-new or *.ade-tmp is left; images without ade-unlock"
}

# The .deb on an initramfs-tools system (Debian's and Ubuntu's default): apt
# installs it without pulling in dracut, its postinst builds verified images
# with mkinitramfs, ADE's own update-initramfs keeps ade-unlock in them.
c_it_install() {
    need_deb || return 1
    t_pristine initramfs-tools
    _dr=$T_ROOT
    t_workroot run-it
    IT_ROOT=$T_ROOT
    T_ROOT=$_dr
    t_mount_api "$IT_ROOT" || return 1
    echo "data0 UUID=0a0e0000-0000-4000-8000-00000000d0d0 /mnt/azure_bek_disk/LinuxPassPhraseFileName_1_0 luks,nofail" \
        > "$IT_ROOT/etc/crypttab"
    cp "$DEB" "$IT_ROOT/var/tmp/" || return 1
    t_in "$IT_ROOT" apt-get install -y --no-install-recommends "/var/tmp/${DEB##*/}" \
        > "$PK_BUILD/run/it-install.log" 2>&1
    _rc=$?
    rm -f "$IT_ROOT/var/tmp/${DEB##*/}"
    cat "$PK_BUILD/run/it-install.log"
    [ "$_rc" -eq 0 ] || return 1
    _dracut=$(t_in "$IT_ROOT" dpkg -l | grep dracut)
    echo "---- dpkg -l | grep dracut:"
    echo "$_dracut"
    [ -z "$_dracut" ] || {
        echo "apt pulled in dracut"
        return 1
    }
    t_in "$IT_ROOT" dpkg -l initramfs-tools | grep -q '^ii' || {
        echo "initramfs-tools is no longer installed"
        return 1
    }
    expect_msg "$PK_BUILD/run/it-install.log" "ade-unlock-install: $K1: /boot/initrd.img-$K1 replaced.*init-premount script" || return 1
    t_in "$IT_ROOT" lsinitramfs "/boot/initrd.img-$K1" | grep -qx 'usr/sbin/ade-unlock' || {
        echo "/boot/initrd.img-$K1 has no ade-unlock"
        return 1
    }
    t_in "$IT_ROOT" update-initramfs -u -k all > "$PK_BUILD/run/it-update.log" 2>&1 || {
        cat "$PK_BUILD/run/it-update.log"
        return 1
    }
    t_in "$IT_ROOT" ade-unlock-install --check > "$PK_BUILD/run/it-check.log" 2>&1
    _rc=$?
    cat "$PK_BUILD/run/it-update.log" "$PK_BUILD/run/it-check.log"
    [ "$_rc" -eq 0 ] && expect_msg "$PK_BUILD/run/it-check.log" "^$K1: OK: the next boot unlocks data0"
}

c_it_remove() {
    need_deb || return 1
    [ -n "${IT_ROOT:-}" ] || {
        echo "no initramfs-tools chroot (it-install did not run)"
        return 1
    }
    t_in "$IT_ROOT" dpkg -P ade-unlock > "$PK_BUILD/run/it-remove.log" 2>&1
    _rc=$?
    cat "$PK_BUILD/run/it-remove.log"
    [ "$_rc" -eq 0 ] || return 1
    if t_in "$IT_ROOT" lsinitramfs "/boot/initrd.img-$K1" | grep -Eq 'ade-unlock'; then
        echo "/boot/initrd.img-$K1 still has ade-unlock"
        return 1
    fi
    _left=$(cd "$IT_ROOT" && find . -xdev \( -path ./proc -o -path ./sys -o -path ./dev \) -prune -o \
        \( -name '*ade-unlock*' -o -name '*.ade-bak' \) -print)
    [ -z "$_left" ] || {
        echo "left behind: $_left"
        return 1
    }
    echo "purged; the image has no ade-unlock, no file of it is left"
}

c_build_rpm() {
    rm -f "$RPM"
    # The static binary the .deb holds (the project's build, in build.sh's copy).
    PK_BIN=$DEBSRC/unlock/ade-unlock sh "$here/build.sh" rpm || return 1
    [ -f "$RPM" ] || {
        echo "no $RPM"
        return 1
    }
    [ "$(rpm -qp --qf '%{VERSION}' "$RPM")" = "$VERSION" ] || return 1
    echo "---- rpm -qlpv:"
    rpm -qlpv "$RPM"
    echo "---- rpm -qp --scripts:"
    rpm -qp --scripts "$RPM" | tee "$PK_BUILD/rpm.scripts"
    grep -q '^/usr/sbin/ade-unlock-install$' "$PK_BUILD/rpm.scripts" &&
        grep -q 'ade-unlock-install --uninstall' "$PK_BUILD/rpm.scripts"
}

c_rpm_vs_deb() {
    need_deb || return 1
    [ -f "$RPM" ] || {
        echo "no $RPM (build-rpm failed)"
        return 1
    }
    # "MODE PATH" of each file, man pages without .gz, the .deb's mapped;
    # each path of the map must be in its package (only the map's paths
    # differ), the RPM-only ones executable (the kernel-install plugin).
    deb_files | sed 's/\.8\.gz$/.8/' | sort > "$PK_BUILD/deb.plain"
    rpm -qp --qf '[%{FILEMODES:perms} %{FILENAMES}\n]' "$RPM" | awk '$1 !~ /^d/' |
        sed 's/\.8\.gz$/.8/' | sort > "$PK_BUILD/rpm.files"
    echo "---- the RPM's files:"
    cat "$PK_BUILD/rpm.files"
    printf '%s\n' "$PK_MAP" | while read -r _d _r; do
        [ -n "$_d" ] || continue
        if [ "$_d" != - ] && ! cut -d ' ' -f 2 "$PK_BUILD/deb.plain" | grep -qxF -- "$_d"; then
            echo "the .deb has no $_d"
        fi
        if [ "$_d" = - ] && ! grep -qxF -- "-rwxr-xr-x $_r" "$PK_BUILD/rpm.files"; then
            echo "the RPM has no executable $_r"
        elif [ "$_r" != - ] && ! cut -d ' ' -f 2 "$PK_BUILD/rpm.files" | grep -qxF -- "$_r"; then
            echo "the RPM has no $_r"
        fi
    done > "$PK_BUILD/map.missing"
    if [ -s "$PK_BUILD/map.missing" ]; then
        cat "$PK_BUILD/map.missing"
        return 1
    fi
    awk -v map="$PK_MAP" '
        BEGIN { n = split(map, l, "\n"); for (i = 1; i <= n; i++) if (split(l[i], f, " ") == 2) m[f[1]] = f[2] }
        { if ($2 in m) { if (m[$2] != "-") print $1, m[$2] } else print }' \
        "$PK_BUILD/deb.plain" | sort > "$PK_BUILD/deb.mapped"
    awk -v map="$PK_MAP" '
        BEGIN { n = split(map, l, "\n"); for (i = 1; i <= n; i++) if (split(l[i], f, " ") == 2 && f[1] == "-") o[f[2]] = 1 }
        !($2 in o)' "$PK_BUILD/rpm.files" > "$PK_BUILD/rpm.common"
    if ! cmp -s "$PK_BUILD/deb.mapped" "$PK_BUILD/rpm.common"; then
        echo "---- differ (< the .deb's, mapped; > the RPM's but for its own):"
        diff "$PK_BUILD/deb.mapped" "$PK_BUILD/rpm.common"
        return 1
    fi
    # Neither package carries the other's kernel hooks; the RPM no
    # configuration file (its only hook is the plugin in /usr/lib).
    _cf=$(rpm -qp --configfiles "$RPM" | grep -v '^(contains no files)$')
    [ -z "$_cf" ] || {
        echo "the RPM's configuration files: $_cf"
        return 1
    }
    # The same binary, byte for byte (neither package strips it again).
    rm -rf "$PK_BUILD/rpm.x" "$PK_BUILD/deb.x"
    dpkg-deb -x "$DEB" "$PK_BUILD/deb.x" || return 1
    mkdir -p "$PK_BUILD/rpm.x"
    (cd "$PK_BUILD/rpm.x" && rpm2cpio "$RPM" | cpio -idm --quiet ./usr/sbin/ade-unlock) || return 1
    cmp "$PK_BUILD/rpm.x/usr/sbin/ade-unlock" "$PK_BUILD/deb.x/usr/sbin/ade-unlock" || return 1
    echo "same files as the .deb (mapped: $(printf '%s' "$PK_MAP" | grep -c .) paths, the kernel hooks each its own), same binary"
}

# ---- main ------------------------------------------------------------------------------
missing=
for _t in dpkg-buildpackage dh lintian rpmbuild rpm2cpio scdoc; do
    command -v "$_t" > /dev/null 2>&1 || missing="$missing $_t"
done
if [ -n "$missing" ]; then
    t_log "missing:$missing: installing the project's build dependencies (scripts/deps.sh)"
    sh "$T_TOP/scripts/deps.sh" > /dev/null 2>&1
    for _t in $missing; do
        command -v "$_t" > /dev/null 2>&1 || {
            echo "package-tests: $_t is not installed and scripts/deps.sh could not install it: not run"
            exit 77
        }
    done
fi
mkdir -p "$PK_LOGS" "$PK_BUILD/out"
start=$(date +%s)
host_deps
# The installer tests' cached root (build/installer), under our own overlay.
t_pristine dracut
# shellcheck disable=SC2034  # read by lib.sh's t_workroot
T_BUILD=$PK_BUILD
t_workroot run
K1=$T_K1VER
K2=$T_K2VER
t_mount_api "$T_ROOT" || t_die "cannot mount proc/sys/dev in $T_ROOT"
t_log "inputs ready after $(($(date +%s) - start)) s (root $T_ROOT, kernels $K1 and $K2)"

all="build-deb deb-contents lintian install hooks-missing root-from-package kernel-update
    remove-fails-safe remove purge it-install it-remove build-rpm rpm-vs-deb"
cases=${*:-$all}
for c in $cases; do
    f=c_$(echo "$c" | tr - _)
    command -v "$f" > /dev/null 2>&1 || t_die "no case '$c' (cases: $(printf '%s' "$all" | tr -s ' \n' '  '))"
    tcase "$c" "$f"
done

t_log "package tests took $(($(date +%s) - start)) s"
# A passing run leaves the packages (build/package/out/) and the logs, not
# the chroot's overlay (its mounts first: they vanish with the namespace
# anyway, but rm must not walk into them).
if [ "$failed" -eq 0 ]; then
    awk -v w="$PK_BUILD/run" 'index($2, w) == 1 { print $2 }' /proc/mounts | sort -r |
        while read -r _m; do umount -l "$_m" 2> /dev/null; done
    rm -rf --one-file-system "$PK_BUILD/run" "$PK_BUILD/run-it" "$PK_BUILD/deb.x" "$PK_BUILD/rpm.x"
fi
[ -n "$failures" ] && echo "failed:$failures"
if [ "$skipped" -gt 0 ]; then
    echo "$passed passed, $failed failed, $skipped skipped"
else
    echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
