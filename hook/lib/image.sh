# SPDX-License-Identifier: MIT
# image.sh: ade-unlock-install's initramfs images: which kernels, verifying an image, stamps, building one atomically (old one kept as IMAGE.ade-bak).
#
# POSIX sh, installed as /usr/lib/ade-unlock/image.sh (mode 0644: sourced,
# never run). What differs per generator (the command that builds, the one
# that lists, where the boot hook sits in the image) is the backend's:
# gen-dracut.sh, gen-initramfs-tools.sh, reached through backend() (the
# installer's main script), which names the chosen one.
#
# The caller sets T (a private temporary directory), D_BIN, D_STAMPS,
# HOST_CT, HOST_CONF, KEK_SRC, INPUTS (before stamp_put), BACKUP_SUFFIX,
# image (--image, or empty), and defines say.
# shellcheck shell=sh

# Kernel modules an image must carry when the kernel has them as modules.
NEED_MODULES="dm_mod dm_crypt af_alg algif_skcipher sd_mod virtio_blk virtio_scsi
    hv_storvsc nvme"
# The BEK label the build-time dry run looks for: one that cannot exist, so
# that the run parses the whole configuration and stops there.
VERIFY_LABEL=ade-unlock-install-verify
# The generator's process group while it builds (cleanup stops it).
BUILD_PID=
# The half-built image while it is built (cleanup removes it).
NEW_IMAGE=

sha() { sha256sum < "$1" | cut -d ' ' -f 1; }

# ---- the binary's own parser over a configuration ------------------------------------
# Runs a binary's own parser over a crypttab and conf: check_config BIN CT CONF
# A dry run with a BEK label that does not exist and no wait: it reads every
# file, then stops at "not found". Exit status 1 is a configuration error.
check_config() {
    printf 'rd.ade.timeout=0 rd.ade.label=%s\n' "$VERIFY_LABEL" > "$T/cmdline"
    "$1" --dry-run --no-kmsg --cmdline "$T/cmdline" --crypttab "$2" --conf "$3" \
        > "$T/dryrun.log" 2>&1 < /dev/null
    [ $? -ne 1 ]
}

# The dry run's complaints, each crypttab line number traced back to the
# line of the host's crypttab it was written from (crypttab.sh's conv.map).
explain_reject() {
    while IFS= read -r er_l; do
        printf '    | %s\n' "$er_l"
        er_n=$(printf '%s\n' "$er_l" | sed -n 's/.*crypttab: line \([0-9]*\):.*/\1/p')
        [ -n "$er_n" ] || continue
        er_h=$(awk -v n="$er_n" '$1 == n { print $2 }' "$CT_TMP/conv.map")
        [ -n "$er_h" ] &&
            printf '    | (written from %s:%s: %s)\n' "$HOST_CT" "$er_h" "$(sed -n "${er_h}p" "$HOST_CT")"
    done < "$T/dryrun.log"
}

# ---- kernels and images ------------------------------------------------------------
kernels() {
    for ks_d in /lib/modules/* /usr/lib/modules/*; do
        [ -d "$ks_d" ] || continue
        ks_v=${ks_d##*/}
        [ -e "/boot/vmlinuz-$ks_v" ] || [ -e "$ks_d/vmlinuz" ] || continue
        echo "$ks_v"
    done | sort -u
}

# The initramfs file of a kernel: --image, else the generator's name for it.
image_of() {
    if [ -n "$image" ]; then
        echo "$image"
    else
        backend image_of "$1"
    fi
}

# Whether module M is built into kernel V (no file needed in the image).
builtin_mod() {
    for bm_b in "/lib/modules/$2/modules.builtin" "/usr/lib/modules/$2/modules.builtin"; do
        [ -f "$bm_b" ] || continue
        sed 's,.*/,,; s/\.ko.*//; s/-/_/g' "$bm_b" | grep -qx "$1" && return 0
    done
    return 1
}

# Whether kernel V has module M as a loadable module.
loadable_mod() {
    for lm_b in "/lib/modules/$2/modules.dep" "/usr/lib/modules/$2/modules.dep"; do
        [ -f "$lm_b" ] || continue
        cut -d : -f 1 "$lm_b" | sed 's,.*/,,; s/\.ko.*//; s/-/_/g' | grep -qx "$1" && return 0
    done
    return 1
}

# Whether the image's listing ($T/image.list: one path a line, no leading
# "/" or "./") has a path matching the extended regex $1, whole.
listed() { grep -Eqx -- "$1" "$T/image.list"; }

# ---- verifying an image --------------------------------------------------------------
# Verifies an image: verify IMAGE VERSION with|without [CRYPTTAB CONF]
# with: what ade-unlock needs at boot is all there (the generator's lister
# shows the binary, the boot hook, crypttab, the kernel modules), the files
# are the ones this system has (binary, crypttab, conf, KEK), and the image's
# copy of the binary passes --self-check and accepts the image's
# configuration. without: a readable image without ade-unlock.
# Sets V_WHY (failure) or V_WHAT.
verify() {
    v_img=$1
    v_ver=$2
    v_want=$3
    v_ect=${4:-$T/crypttab}
    v_ecf=${5:-$T/conf}
    V_WHY=
    V_WHAT=
    v_u=$T/unpacked
    rm -rf "$v_u"
    mkdir -p "$v_u"
    if ! backend list "$v_img" "$T/image.list" 2> "$T/list.err" || ! listed '(usr|etc)/.*'; then
        V_WHY="$(backend lister) cannot read it ($(tail -n 1 "$T/list.err"))"
        return 1
    fi
    if [ "$v_want" = without ]; then
        if listed 'usr/sbin/ade-unlock' || backend has_hook; then
            V_WHY="it still has ade-unlock"
            return 1
        fi
        V_WHAT="readable, without ade-unlock"
        return 0
    fi
    V_MISS=
    listed 'usr/sbin/ade-unlock' || V_MISS="$V_MISS /usr/sbin/ade-unlock"
    listed 'etc/crypttab' || V_MISS="$V_MISS /etc/crypttab"
    listed 'etc/ade-unlock\.conf' || V_MISS="$V_MISS /etc/ade-unlock.conf"
    listed 'usr/lib/ade-unlock/ade-unlock-run' || V_MISS="$V_MISS /usr/lib/ade-unlock/ade-unlock-run"
    # The boot hook (adds to V_MISS, sets V_KIND).
    backend check_listed
    v_mods=0
    for v_m in $NEED_MODULES; do
        builtin_mod "$v_m" "$v_ver" && continue
        loadable_mod "$v_m" "$v_ver" || continue
        v_f=$(printf '%s' "$v_m" | sed 's/_/[-_]/g')
        if grep -Eq "/$v_f\.ko(\.[a-z]+)?$" "$T/image.list"; then
            v_mods=$((v_mods + 1))
        else
            V_MISS="$V_MISS $v_m.ko"
        fi
    done
    if ! builtin_mod dm_crypt "$v_ver" && ! loadable_mod dm_crypt "$v_ver"; then
        V_MISS="$V_MISS dm_crypt(not in kernel $v_ver)"
    fi
    if [ -n "$V_MISS" ]; then
        V_WHY="it lacks$V_MISS"
        return 1
    fi
    # The files themselves, from an unpacked copy (V_ROOT: its root).
    if ! backend unpack "$v_img" "$v_u" "$T/unpack.log" || [ ! -f "$V_ROOT/usr/sbin/ade-unlock" ]; then
        V_WHY="$(backend lister) could not unpack it ($(tail -n 1 "$T/unpack.log"))"
        return 1
    fi
    v_r=$V_ROOT
    if ! cmp -s "$v_r/usr/sbin/ade-unlock" "$D_BIN"; then
        if [ "$("$v_r/usr/sbin/ade-unlock" --version 2>&1)" != "$("$D_BIN" --version 2>&1)" ]; then
            V_WHY="its /usr/sbin/ade-unlock is not $D_BIN ($("$v_r/usr/sbin/ade-unlock" --version 2>&1 | head -n 1))"
            return 1
        fi
    fi
    # ade-unlock's entries come first; what dracut's crypt module kept follows.
    sed "/^$STOCK_MARK/,\$d" "$v_r/etc/crypttab" > "$T/image-ours.ct"
    if ! cmp -s "$T/image-ours.ct" "$v_ect"; then
        if grep -q "the entries ade-unlock opens, written" "$v_r/etc/crypttab"; then
            V_WHY="its /etc/crypttab is stale (not what $HOST_CT converts to now: rebuild it)"
        else
            V_WHY="its /etc/crypttab is not ade-unlock's copy but another one ($(backend other_crypttab))"
        fi
        return 1
    fi
    if ! cmp -s "$v_r/etc/ade-unlock.conf" "$v_ecf"; then
        V_WHY="its /etc/ade-unlock.conf is stale (not what $HOST_CT and $HOST_CONF convert to now)"
        return 1
    fi
    if [ -f "$KEK_SRC" ] && ! cmp -s "$v_r/etc/ade-unlock/kek.jwk" "$KEK_SRC"; then
        V_WHY="its /etc/ade-unlock/kek.jwk is not $KEK_SRC"
        return 1
    fi
    # What only an unpacked image shows (the boot script's order).
    backend check_unpacked "$v_r" || return 1
    if ! "$v_r/usr/sbin/ade-unlock" --self-check > "$T/selfcheck.log" 2>&1 < /dev/null; then
        V_WHY="its ade-unlock fails --self-check: $(grep -v '^ *$' "$T/selfcheck.log" | tail -n 1)"
        return 1
    fi
    if ! check_config "$v_r/usr/sbin/ade-unlock" "$v_r/etc/crypttab" "$v_r/etc/ade-unlock.conf"; then
        V_WHY="its ade-unlock rejects its configuration: $(grep -v '^ *$' "$T/dryrun.log" | head -n 1)"
        return 1
    fi
    v_names=$(sed -n 's/^[[:space:]]*key\.\([^[:space:]=]*\)[[:space:]]*=.*/\1/p' "$v_r/etc/ade-unlock.conf" |
        tr '\n' ' ' | sed 's/ $//')
    V_WHAT="ade-unlock ($V_KIND) for ${v_names:-no crypttab entry}, $v_mods kernel modules, --self-check passed"
    rm -rf "$v_u"
    return 0
}

# Whether an image holds the KEK and others than root can read it (an image
# the generator rebuilt by itself without a umask that keeps it private).
kek_exposed() {
    [ -f "$KEK_SRC" ] || return 1
    case "$(stat -c %a "$1")" in
        [0-7]00) return 1 ;;
    esac
    return 0
}

# ---- stamps: what each image was built from ---------------------------------------------
# The hash of everything an image is built from, apart from the kernel: the
# binary, the host's files, the libraries, and the generator's own inputs.
inputs_hash() {
    {
        echo "generator $GEN"
        for ih_f in "$D_BIN" "$HOST_CT" "$HOST_CONF" "$KEK_SRC" "$D_LIBDIR"/* $(backend inputs); do
            [ -f "$ih_f" ] || continue
            printf '%s %s\n' "$ih_f" "$(sha "$ih_f")"
        done
    } | sha256sum | cut -d ' ' -f 1
}

stamp_get() { [ -f "$D_STAMPS/$1" ] && sed -n "s/^$2 //p" "$D_STAMPS/$1"; }

stamp_put() {
    mkdir -p "$D_STAMPS"
    printf 'inputs %s\nimage %s\n' "$INPUTS" "$2" > "$T/stamp"
    cmp -s "$T/stamp" "$D_STAMPS/$1" || mv -f "$T/stamp" "$D_STAMPS/$1"
}

# ---- building ---------------------------------------------------------------------------
# Free space (KiB) of the filesystem holding a directory.
free_kib() { df -Pk "$1" 2> /dev/null | awk 'NR == 2 { print $4 }'; }

# Runs a generator in the background, in its own process group (setsid), so
# that an interruption stops all of it: spawn LOG COMMAND... (sets BUILD_PID).
spawn() {
    sp_log=$1
    shift
    if command -v setsid > /dev/null 2>&1; then
        setsid "$@" > "$sp_log" 2>&1 < /dev/null 9>&- &
    else
        "$@" > "$sp_log" 2>&1 < /dev/null 9>&- &
    fi
    BUILD_PID=$!
}

# An interrupted build: the generator and all it started (its process
# group) stop before their files are removed; killed if not gone in 5 s.
# Called by the installer's exit trap.
image_cleanup() {
    if [ -n "$BUILD_PID" ] && kill -s TERM -- "-$BUILD_PID" 2> /dev/null; then
        (
            sleep 5
            kill -s KILL -- "-$BUILD_PID" 2> /dev/null
        ) 9>&- &
        ic_timer=$!
        wait "$BUILD_PID" 2> /dev/null
        kill -s KILL -- "-$BUILD_PID" 2> /dev/null
        kill "$ic_timer" 2> /dev/null
    fi
    [ -n "$NEW_IMAGE" ] && rm -f "$NEW_IMAGE"
}

# Builds, verifies and atomically installs the image of one kernel:
# build VERSION IMAGE with|without. Prints why and returns 1 on failure (the
# old image then untouched).
build() {
    b_ver=$1
    b_img=$2
    b_want=$3
    b_dir=$(dirname "$b_img")
    b_base=${b_img##*/}
    b_new=$b_dir/.$b_base.ade-new
    b_log=$T/build-$b_ver.log
    b_tool=$(backend builder)
    [ -d "$b_dir" ] || {
        say "error: $b_ver: $b_dir does not exist"
        return 1
    }
    rm -f "$b_new"
    say "$b_ver: building $b_img with $b_tool ($([ "$b_want" = with ] && echo "with" || echo "without") ade-unlock)"
    NEW_IMAGE=$b_new
    backend spawn "$b_ver" "$b_new" "$b_want" "$b_log"
    wait "$BUILD_PID" 2> /dev/null
    b_rc=$?
    if [ "$b_rc" -ne 0 ]; then
        # Whatever it left running (it was killed), and its half-written file.
        kill -s KILL -- "-$BUILD_PID" 2> /dev/null
        BUILD_PID=
        rm -f "$b_new"
        NEW_IMAGE=
        if [ "$b_rc" -gt 128 ]; then
            b_why="$b_tool was killed by signal $(kill -l "$b_rc" 2> /dev/null || echo $((b_rc - 128)))"
        elif grep -qi 'no space left on device' "$b_log"; then
            b_why="no space left on device (the filesystem of $b_dir has $(free_kib "$b_dir") KiB free; the new image needs about $(($(stat -c %s "$b_img" 2> /dev/null || echo 0) / 1024)) KiB beside the old one)"
        else
            b_why="$b_tool failed (exit $b_rc): $(grep -iE 'error|fail|cannot' "$b_log" | tail -n 1)"
        fi
        say "error: $b_ver: $b_why; $b_img left unchanged"
        sed 's/^/    | /' "$b_log" | tail -n 12 >&2
        return 1
    fi
    BUILD_PID=
    if [ ! -s "$b_new" ]; then
        rm -f "$b_new"
        NEW_IMAGE=
        say "error: $b_ver: $b_tool exited 0 but wrote no image; $b_img left unchanged"
        return 1
    fi
    if ! verify "$b_new" "$b_ver" "$b_want"; then
        rm -f "$b_new"
        NEW_IMAGE=
        say "error: $b_ver: the new image fails verification: $V_WHY; $b_img left unchanged"
        return 1
    fi
    # The KEK is a secret: the image is root's only.
    if [ "$b_want" = with ] && [ -f "$KEK_SRC" ]; then
        chmod go-rwx "$b_new"
    elif [ -e "$b_img" ]; then
        chmod "$(stat -c %a "$b_img")" "$b_new" 2> /dev/null
    fi
    if ! sync -- "$b_new" 2> /dev/null; then
        sync
    fi
    if [ -e "$b_img" ]; then
        # The old image stays as the backup (a hard link costs no space).
        rm -f "$b_img$BACKUP_SUFFIX.tmp"
        if ! ln -- "$b_img" "$b_img$BACKUP_SUFFIX.tmp" 2> /dev/null &&
            ! cp -p -- "$b_img" "$b_img$BACKUP_SUFFIX.tmp" 2> "$T/cp.err"; then
            rm -f "$b_img$BACKUP_SUFFIX.tmp" "$b_new"
            NEW_IMAGE=
            say "error: $b_ver: cannot keep the old image as $b_img$BACKUP_SUFFIX: $(tail -n 1 "$T/cp.err"); $b_img left unchanged"
            return 1
        fi
        if ! mv -f -- "$b_img$BACKUP_SUFFIX.tmp" "$b_img$BACKUP_SUFFIX"; then
            rm -f "$b_img$BACKUP_SUFFIX.tmp" "$b_new"
            NEW_IMAGE=
            say "error: $b_ver: cannot keep the old image as $b_img$BACKUP_SUFFIX; $b_img left unchanged"
            return 1
        fi
    fi
    if ! mv -f -- "$b_new" "$b_img"; then
        rm -f "$b_new"
        NEW_IMAGE=
        say "error: $b_ver: cannot rename $b_new to $b_img; $b_img left unchanged"
        return 1
    fi
    NEW_IMAGE=
    sync -- "$b_dir" 2> /dev/null || sync
    b_bk=
    [ -e "$b_img$BACKUP_SUFFIX" ] && b_bk=" (previous image kept as $b_img$BACKUP_SUFFIX)"
    say "$b_ver: $b_img replaced$b_bk: $V_WHAT"
    return 0
}
