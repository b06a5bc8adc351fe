# SPDX-License-Identifier: MIT
# crypttab.sh: the initramfs copy of /etc/crypttab and /etc/ade-unlock.conf, derived from the host's.
#
# POSIX sh, installed as /usr/lib/ade-unlock/crypttab.sh (mode 0644: sourced,
# never run) and sourced by ade-unlock-install (to check and print it), by
# the dracut module's module-setup.sh and by the initramfs-tools hook (to
# write it into each image as it is built, by whoever builds it: the
# installer, a kernel update, ADE's own `dracut -f` or `update-initramfs -u`).
#
# The caller sets HOST_CT, HOST_CONF, KEK_DEFAULT and CT_TMP (a private
# temporary directory), and defines ct_say (one message line).
# shellcheck shell=sh

# The line of the image's crypttab after which dracut's crypt module's
# entries follow (a plain-text marker, matched as a basic regex).
# shellcheck disable=SC2034  # read by the callers
STOCK_MARK="# ---- kept as dracut's crypt module keeps them (host-only mode):"

# Decodes systemd-style escapes (\xNN, \s, \\ and the like) of a field.
unescape() {
    printf '%s\n' "$1" | awk '
        BEGIN { for (i = 1; i < 256; i++) hex[sprintf("%02x", i)] = i }
        {
            s = $0; out = ""
            while ((p = index(s, "\\")) > 0) {
                out = out substr(s, 1, p - 1); c = substr(s, p + 1, 1)
                if (c == "x" && (tolower(substr(s, p + 2, 2)) in hex)) {
                    out = out sprintf("%c", hex[tolower(substr(s, p + 2, 2))]); s = substr(s, p + 4)
                } else {
                    if (c == "s") c = " "; else if (c == "t") c = "\t"
                    out = out c; s = substr(s, p + 2)
                }
            }
            print out s
        }'
}

# ---- probing devices ----------------------------------------------------------------
# blkid's low-level probe of a block device: sets P_TYPE, P_UUID, P_PARTUUID.
probe() {
    P_TYPE=
    P_UUID=
    P_PARTUUID=
    p_out=$(blkid -p -o export -- "$1" 2> /dev/null)
    while IFS='=' read -r p_k p_v; do
        case "$p_k" in
            TYPE) P_TYPE=$p_v ;;
            UUID) P_UUID=$p_v ;;
            PART_ENTRY_UUID) P_PARTUUID=$p_v ;;
        esac
    done << EOF
$p_out
EOF
    if [ -z "$P_UUID" ] && [ "$P_TYPE" = crypto_LUKS ] && command -v cryptsetup > /dev/null 2>&1; then
        P_UUID=$(cryptsetup luksUUID -- "$1" 2> /dev/null)
    fi
}

# Whether a block device is dm-crypt, or sits on dm-crypt (LVM on LUKS...).
on_crypt() {
    oc_n=$(readlink -f -- "$1")
    oc_n=${oc_n##*/}
    [ -d "/sys/class/block/$oc_n" ] || return 1
    case "$(cat "/sys/class/block/$oc_n/dm/uuid" 2> /dev/null)" in CRYPT-*) return 0 ;; esac
    for oc_s in "/sys/class/block/$oc_n/slaves"/*; do
        [ -e "$oc_s" ] || continue
        on_crypt "/dev/${oc_s##*/}" && return 0
    done
    return 1
}

# The device field of an entry as the initramfs can find it: sets R_OUT, or
# R_WHY and returns 1. $2: 1 when the entry has a detached header.
resolve_device() {
    R_OUT=
    R_WHY=
    case "$1" in
        UUID=* | PARTUUID=* | LABEL=* | PARTLABEL=* | ID=*)
            R_OUT=$1
            return 0
            ;;
        /dev/disk/by-uuid/*)
            R_OUT=UUID=${1#/dev/disk/by-uuid/}
            return 0
            ;;
        /dev/disk/by-partuuid/*)
            R_OUT=PARTUUID=${1#/dev/disk/by-partuuid/}
            return 0
            ;;
        /dev/disk/by-label/* | /dev/disk/by-partlabel/*)
            # udev makes these links in the initramfs too.
            R_OUT=$1
            return 0
            ;;
        /dev/*) ;;
        *)
            R_WHY="device '$1' is neither UUID=, PARTUUID=, LABEL=, PARTLABEL= nor a /dev path"
            return 1
            ;;
    esac
    rd_d=$(unescape "$1")
    if [ ! -e "$rd_d" ]; then
        R_WHY="$rd_d does not exist on this system (disk detached?)"
        return 1
    fi
    rd_real=$(readlink -f -- "$rd_d")
    rd_via=$rd_d
    [ "$rd_real" != "$rd_d" ] && rd_via="$rd_d ($rd_real)"
    if [ ! -b "$rd_real" ]; then
        R_WHY="$rd_via is not a block device"
        return 1
    fi
    probe "$rd_real"
    if [ "$P_TYPE" = crypto_LUKS ] && [ -n "$P_UUID" ]; then
        R_OUT=UUID=$P_UUID
        return 0
    fi
    if [ "$2" = 1 ] && [ -n "$P_PARTUUID" ]; then
        R_OUT=PARTUUID=$P_PARTUUID
        return 0
    fi
    if [ "$2" = 1 ]; then
        R_WHY="$rd_via has no LUKS header (it is detached) and no partition UUID: name it in $HOST_CT by PARTUUID= or a /dev/disk/by-id/ link"
    else
        R_WHY="$rd_via holds no LUKS header (blkid: ${P_TYPE:-no signature}), so it cannot be named by its LUKS UUID"
    fi
    return 1
}

# header=VALUE as the initramfs can read it: a file on an unencrypted
# filesystem becomes PATH:UUID=<that filesystem> (read at boot, so never
# stale after a key rotation). Sets R_OUT (and adds to R_FSTYPES), or R_WHY.
resolve_header() {
    R_OUT=
    R_WHY=
    rh_sp=$(printf '%s\n' "$1" | awk '{
        if (match($0, /:(UUID=|PARTUUID=|LABEL=|PARTLABEL=|ID=|\/dev\/)/)) print RSTART; else print 0 }')
    if [ "$rh_sp" -gt 0 ]; then
        rh_hp=$(printf '%s' "$1" | cut -c "1-$((rh_sp - 1))")
        rh_hd=$(printf '%s' "$1" | cut -c "$((rh_sp + 1))-")
        case "$rh_hd" in
            /dev/disk/by-label/* | /dev/disk/by-partlabel/*) R_OUT=$1 ;;
            /dev/disk/by-uuid/*) R_OUT="$rh_hp:UUID=${rh_hd#/dev/disk/by-uuid/}" ;;
            /dev/*)
                rh_r=$(readlink -f -- "$(unescape "$rh_hd")")
                if [ ! -b "$rh_r" ]; then
                    R_WHY="header device $rh_hd does not exist on this system"
                    return 1
                fi
                probe "$rh_r"
                if [ -z "$P_UUID" ]; then
                    R_WHY="header device $rh_hd ($rh_r) holds no filesystem with a UUID"
                    return 1
                fi
                R_OUT="$rh_hp:UUID=$P_UUID"
                ;;
            *) R_OUT=$1 ;;
        esac
        return 0
    fi
    rh_hp=$(unescape "$1")
    case "$rh_hp" in
        /dev/disk/by-*)
            R_OUT=$1
            return 0
            ;;
        /dev/*)
            rh_r=$(readlink -f -- "$rh_hp")
            probe "$rh_r"
            if [ -b "$rh_r" ] && [ -n "$P_PARTUUID" ]; then
                R_OUT=/dev/disk/by-partuuid/$P_PARTUUID
                return 0
            fi
            R_WHY="header device $rh_hp: not a partition with a UUID; name it by a /dev/disk/by-* link"
            return 1
            ;;
        /*) ;;
        *)
            R_WHY="header '$rh_hp' is not an absolute path"
            return 1
            ;;
    esac
    if [ ! -f "$rh_hp" ]; then
        R_WHY="header file $rh_hp does not exist"
        return 1
    fi
    rh_fm=$(findmnt -n -o TARGET,FSTYPE,SOURCE -T "$rh_hp" 2> /dev/null | head -n 1)
    rh_mnt=$(printf '%s\n' "$rh_fm" | awk '{ print $1 }')
    rh_fst=$(printf '%s\n' "$rh_fm" | awk '{ print $2 }')
    rh_src=$(printf '%s\n' "$rh_fm" | awk '{ print $3 }' | sed 's/\[.*//')
    if [ -z "$rh_mnt" ]; then
        R_WHY="cannot tell which filesystem holds header $rh_hp (findmnt; is /proc mounted?)"
        return 1
    fi
    rh_srcr=$(readlink -f -- "$rh_src" 2> /dev/null)
    if [ -z "$rh_srcr" ] || [ ! -b "$rh_srcr" ]; then
        R_WHY="header $rh_hp is on a '$rh_fst' filesystem ($rh_src), not on a disk partition the initramfs can mount; keep it on /boot"
        return 1
    fi
    if on_crypt "$rh_srcr"; then
        R_WHY="header $rh_hp is on an encrypted filesystem ($rh_src, $rh_mnt): the initramfs cannot read it before unlocking; keep detached headers on the unencrypted /boot (ADE: /boot/luks/osluksheader)"
        return 1
    fi
    probe "$rh_srcr"
    if [ -z "$P_UUID" ]; then
        R_WHY="the filesystem holding header $rh_hp ($rh_src) has no UUID"
        return 1
    fi
    rh_rel=$rh_hp
    [ "$rh_mnt" != / ] && rh_rel=${rh_hp#"$rh_mnt"}
    R_OUT="$rh_rel:UUID=$P_UUID"
    case " $R_FSTYPES " in *" $rh_fst "*) ;; *) R_FSTYPES="$R_FSTYPES $rh_fst" ;; esac
    return 0
}

# ---- the initramfs copies of crypttab and ade-unlock.conf -----------------------
# ade-unlock.conf's "key = value" pairs, one "key<TAB>value" a line.
conf_pairs() {
    [ -f "$1" ] || return 0
    awk '{
        sub(/\r$/, "")
        if ($0 ~ /^[ \t]*(#|$)/) next
        i = index($0, "="); if (i == 0) next
        k = substr($0, 1, i - 1); v = substr($0, i + 1)
        gsub(/^[ \t]+|[ \t]+$/, "", k); gsub(/^[ \t]+|[ \t]+$/, "", v)
        print k "\t" v
    }' "$1"
}

# The value of a key in ade-unlock.conf (the last one wins, as in ade-unlock).
conf_get() {
    conf_pairs "$1" | awk -F '\t' -v k="$2" '$1 == k { v = $2; f = 1 } END { if (f) print v }'
}

# Whether a key file is on the BEK volume; prints its path on the volume.
# ADE's form (under /mnt/azure_bek_disk/ or /bek/) or systemd's
# (/FILE:LABEL=<label>, /dev/disk/by-label/<label>, UUID=<conf uuid>).
bek_file() {
    bf_k=$1
    case "$bf_k" in
        /mnt/azure_bek_disk/*) bf_f=${bf_k#/mnt/azure_bek_disk/} ;;
        /bek/*) bf_f=${bf_k#/bek/} ;;
        *:*)
            bf_sp=$(printf '%s\n' "$bf_k" | awk '{
                if (match($0, /:(UUID=|PARTUUID=|LABEL=|PARTLABEL=|ID=|\/dev\/)/)) print RSTART; else print 0 }')
            [ "$bf_sp" -gt 0 ] || return 1
            bf_f=$(printf '%s' "$bf_k" | cut -c "1-$((bf_sp - 1))")
            bf_kd=$(unescape "$(printf '%s' "$bf_k" | cut -c "$((bf_sp + 1))-")")
            bf_lc=$(printf '%s' "$bf_kd" | tr 'A-F' 'a-f')
            bf_uc=$(printf '%s' "$CONF_UUID" | tr 'A-F' 'a-f')
            case "$bf_kd" in
                "LABEL=$CONF_LABEL" | "LABEL=\"$CONF_LABEL\"" | "/dev/disk/by-label/$CONF_LABEL") ;;
                *)
                    [ -n "$bf_uc" ] && { [ "$bf_lc" = "uuid=$bf_uc" ] || [ "$bf_lc" = "/dev/disk/by-uuid/$bf_uc" ]; } ||
                        return 1
                    ;;
            esac
            bf_f=$(unescape "$bf_f")
            ;;
        *) return 1 ;;
    esac
    bf_f=$(printf '%s' "$bf_f" | sed 's,^/*,,')
    [ -n "$bf_f" ] || return 1
    printf '%s\n' "$bf_f"
}

# The host's crypttab as "LINENO<TAB>LINE" records: comments and blank lines
# dropped, whitespace trimmed. ADE appends its OS line without a newline
# (patch/redhatPatching.py and UbuntuPatching.py: append_contents_to_file
# of "osencrypt ... header=/boot/luks/osluksheader"), and its next data line
# (CryptMountConfigUtil.add_crypt_item_to_crypttab) then lands on the same
# line: such a line is split back into its two entries, and a record
# "LINENO<TAB>#glued NAME1 NAME2" comes first so that the caller can say so.
ct_lines() {
    awk '{
        sub(/\r$/, ""); sub(/^[ \t]+/, ""); sub(/[ \t]+$/, "")
        if ($0 == "" || substr($0, 1, 1) == "#") next
        # As ade-unlock reads it: the last such option (at the start of the
        # field or after a comma) with more than a comma after it.
        m = "header=/boot/luks/osluksheader"
        p = 0
        for (i = 1; i + length(m) <= length($4); i++)
            if (substr($4, i, length(m)) == m && (i == 1 || substr($4, i - 1, 1) == ",") &&
                substr($4, i + length(m), 1) != ",")
                p = i
        e = p + length(m)
        if (NF > 4 && NF <= 7 && p > 0) {
            name2 = substr($4, e)
            printf "%d\t#glued %s %s\n", NR, $1, name2
            printf "%d\t%s %s %s %s\n", NR, $1, $2, $3, substr($4, 1, e - 1)
            rest = name2
            for (i = 5; i <= NF; i++) rest = rest " " $i
            printf "%d\t%s\n", NR, rest
            next
        }
        printf "%d\t%s\n", NR, $0
    }' "$1"
}

# Whether a device path of the host is on LVM or md: such a device exists
# only once the initramfs has assembled them, after ade-unlock has run.
on_lvm_md() {
    case "$1" in /dev/mapper/* | /dev/md*) return 0 ;; esac
    olm_r=$(readlink -f -- "$(unescape "$1")" 2> /dev/null) || return 1
    case "$olm_r" in /dev/dm-* | /dev/md*) return 0 ;; esac
    return 1
}

# Whether an entry is ADE's encrypted resource (temporary) disk. ADE
# re-creates its LUKS container, with a new UUID, after every deallocation
# (ResourceDiskUtil.automount), on /dev/disk/azure/resource-part1 (or
# cloud/azure_resource-part1, or scsi0/lun1-part1): links only Azure's udev
# rules make, on the host.
is_resource_disk() {
    [ "$1" = resourceencrypt ] && return 0
    case "$2" in
        /dev/disk/azure/resource* | /dev/disk/cloud/azure_resource* | /dev/disk/azure/scsi0/lun1-part*) return 0 ;;
    esac
    return 1
}

# Writes the initramfs crypttab and conf from the host's: convert OUT_CT OUT_CONF
# Only the entries ade-unlock opens go in (what dracut's crypt module keeps
# for the root is added by the module beside them). They get key "none" (the
# key is read from the BEK volume by ade-unlock; a key path there would make
# systemd wait for a mount that never exists in the initramfs) and a
# key.<name> line in the conf; their host-only device paths become UUID=,
# their detached headers PATH:UUID=. Entries of ours left to the host after
# switch_root: the resource disk, disks on LVM or md, and nofail entries
# that cannot be resolved. Sets OWNED and HOSTED (names), R_FSTYPES, KEK_SRC, CONF_LABEL; an entry it cannot resolve: says why
# (naming the line) and returns 1 (the rest is still written).
convert() {
    cv_oct=$1
    cv_ocf=$2
    OWNED=
    HOSTED=
    R_FSTYPES=
    CONF_LABEL=$(conf_get "$HOST_CONF" label)
    [ -n "$CONF_LABEL" ] || CONF_LABEL="BEK VOLUME"
    CONF_UUID=$(conf_get "$HOST_CONF" uuid)
    KEK_SRC=$(conf_get "$HOST_CONF" kek)
    [ -n "$KEK_SRC" ] || KEK_SRC=$KEK_DEFAULT
    cv_bad=0
    cv_keys=$CT_TMP/conv.keys
    : > "$cv_keys"
    {
        echo "# The initramfs copy of $HOST_CT: the entries ade-unlock opens, written"
        echo "# by ade-unlock when the image was built (whoever built it). Their key is"
        echo "# 'none' here (the file on the BEK volume is named in /etc/ade-unlock.conf),"
        echo "# host-only device paths are resolved to UUID=, detached headers are read"
        echo "# from their filesystem."
    } > "$cv_oct"
    : > "$CT_TMP/conv.map"
    : > "$CT_TMP/conv.lines"
    [ -f "$HOST_CT" ] && ct_lines "$HOST_CT" > "$CT_TMP/conv.lines"
    while IFS="$(printf '\t')" read -r cv_n cv_line <&3; do
        case "$cv_line" in
            '#glued '*)
                set -f
                # shellcheck disable=SC2086  # the two names
                set -- $cv_line
                set +f
                ct_say "warning: $HOST_CT:$cv_n: two entries on one line ('$2' and '$3'): ADE appended its osencrypt line without a newline; read as two lines (add the newline to silence this)"
                continue
                ;;
        esac
        set -f
        # shellcheck disable=SC2086  # split into crypttab's fields
        set -- $cv_line
        set +f
        cv_where="$HOST_CT:$cv_n ('$cv_line')"
        if [ $# -lt 2 ] || [ $# -gt 4 ]; then
            ct_say "error: $cv_where: expected 2 to 4 fields (name device [keyfile [options]])"
            cv_bad=1
            continue
        fi
        cv_name=$1
        cv_dev=$2
        cv_key=${3:-}
        cv_opts=${4:-}
        cv_file=$(bek_file "$cv_key") || cv_file=
        cv_confkey=$(conf_get "$HOST_CONF" "key.$cv_name")
        if [ -z "$cv_file" ] && [ -z "$cv_confkey" ]; then
            # Not ours (a key on the root filesystem, ADE's Confidential VM
            # and decryption keys under /var/lib/azure_disk_encryption_config,
            # swap, ...): the host opens it, or dracut's crypt module keeps it.
            continue
        fi
        cv_nofail=0
        case ",$cv_opts," in *,nofail,*) cv_nofail=1 ;; esac
        if is_resource_disk "$cv_name" "$cv_dev"; then
            ct_say "note: $cv_where: ADE's resource disk, left to the host: ADE re-creates it with a new LUKS UUID after every deallocation, so the initramfs cannot name it; the host's crypttab opens it after switch_root"
            HOSTED="${HOSTED:+$HOSTED }$cv_name"
            continue
        fi
        if on_lvm_md "$cv_dev"; then
            ct_say "note: $cv_where: on LVM or md ($cv_dev), which the initramfs assembles only after unlocking: left to the host's crypttab after switch_root"
            HOSTED="${HOSTED:+$HOSTED }$cv_name"
            continue
        fi
        # Options: header= resolved; every other one kept as written.
        cv_hdr=0
        cv_newopts=
        cv_hwhy=
        cv_oldifs=$IFS
        IFS=,
        set -f
        # shellcheck disable=SC2086  # split at the commas
        set -- $cv_opts
        set +f
        IFS=$cv_oldifs
        for cv_o in "$@"; do
            case "$cv_o" in
                header=*)
                    cv_hdr=1
                    if ! resolve_header "${cv_o#header=}"; then
                        cv_hwhy=$R_WHY
                        break
                    fi
                    cv_o="header=$R_OUT"
                    ;;
            esac
            cv_newopts="${cv_newopts:+$cv_newopts,}$cv_o"
        done
        cv_why=$cv_hwhy
        if [ -z "$cv_why" ] && ! resolve_device "$cv_dev" "$cv_hdr"; then
            cv_why=$R_WHY
        fi
        if [ -n "$cv_why" ]; then
            if [ "$cv_nofail" -eq 1 ] && [ "$cv_name" != osencrypt ]; then
                ct_say "warning: $cv_where: $cv_why; left out of the initramfs (nofail): the host's crypttab opens it after switch_root, if it can"
                HOSTED="${HOSTED:+$HOSTED }$cv_name"
                continue
            fi
            ct_say "error: $cv_where: $cv_why"
            cv_bad=1
            continue
        fi
        printf '%s %s none%s\n' "$cv_name" "$R_OUT" "${cv_newopts:+ $cv_newopts}" >> "$cv_oct"
        echo "$(wc -l < "$cv_oct") $cv_n" >> "$CT_TMP/conv.map"
        OWNED="${OWNED:+$OWNED }$cv_name"
        [ -z "$cv_confkey" ] && printf 'key.%s = %s\n' "$cv_name" "$cv_file" >> "$cv_keys"
    done 3< "$CT_TMP/conv.lines"
    {
        echo "# The initramfs copy of $HOST_CONF, written by ade-unlock: do not edit."
        if [ -f "$HOST_CONF" ]; then
            # Kept as written, but for kek: the module installs it at its default place.
            awk -v kd="$KEK_DEFAULT" '{
                sub(/\r$/, "")
                if ($0 ~ /^[ \t]*(#|$)/) next
                if ($0 ~ /^[ \t]*kek[ \t]*=/) { print "kek = " kd; next }
                print
            }' "$HOST_CONF"
        fi
        cat "$cv_keys"
    } > "$cv_ocf"
    [ "$cv_bad" -eq 0 ]
}

# The lines dracut's crypt module kept (host-only mode: the root's devices,
# and "force" ones) that are not ade-unlock's: stock_lines KEPT NAMES
stock_lines() {
    [ -f "$1" ] || return 0
    awk -v names=" $2 " '{
        sub(/\r$/, ""); s = $0; sub(/^[ \t]+/, "", s)
        if (s == "" || substr(s, 1, 1) == "#") next
        if (index(names, " " $1 " ") > 0) next
        print s
    }' "$1"
}
