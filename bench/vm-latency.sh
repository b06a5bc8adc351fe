#!/bin/sh
# SPDX-License-Identifier: MIT
# make bench, the VM part: boots ade-unlock and dracut's stock crypt module
# side by side on the same disks (same kernel, same QEMU settings, one boot
# at a time) and prints figures and ratios; it reports, it never asserts.
#
#   initramfs size  ours vs. stock image of each kind (same dracut modules
#                   otherwise)
#   latency         kernel start -> BEK volume -> all devices open ->
#                   switch_root, 1 root + 1, 4, 16 data disks, ade-unlock vs.
#                   stock, systemd and dracut-shell initramfs, N runs each
#   overhead        BEK volume visible -> all open, minus the PBKDF time the
#                   headers demand (timed in the guest: bench/guest-pbkdf.sh)
#   scaling         Argon2id keyslots, ade-unlock serial (parallel = 1) vs.
#                   parallel (the default: one PBKDF per CPU), -smp 1 and 2
#
# Reuses the QEMU harness (tests/qemu/lib.sh: kernel, builder, dracut images,
# q_boot); its own disks, root tree and runs live under build/qemu/bench/.
# Environment (defaults in brackets):
#   ADE_BENCH_RUNS [3]             boots per latency figure
#   ADE_BENCH_DISKS [1 4 16]       data disk counts of the latency table ("" = none)
#   ADE_BENCH_SETUPS [ours/systemd stock/systemd ours/shell stock/shell]
#   ADE_BENCH_SCALE_DISKS [1 4 16] data disk counts of the scaling table
#   ADE_BENCH_SCALE_RUNS [1]       boots per scaling figure
#   ADE_BENCH_SCALE [1 2]          -smp values of the scaling table ("" = none)
#   ADE_BENCH_ARGON2_KIB [16384]   Argon2id memory cost of the scaling disks
#   ADE_BENCH_CMDLINE []           more kernel options for every boot (debugging)
#   ADE_BENCH_REUSE_PBKDF [0]      1: reuse the last in-guest PBKDF figures (no boot)
#   ADE_BENCH_TABLES_FROM []       a results file (results.last): print its tables,
#                                  no boots; with ADE_BENCH_REPARSE=1 its consoles are
#                                  parsed again
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
Q_TOP=$top
# 17 disks opened one after another by dracut's shell kind take a while.
: "${Q_BOOT_TIMEOUT:=300}"
# shellcheck disable=SC1091  # the harness library is checked on its own
. tests/qemu/lib.sh

RUNS=${ADE_BENCH_RUNS:-3}
LAT_DISKS=${ADE_BENCH_DISKS-1 4 16}
SETUPS=${ADE_BENCH_SETUPS-ours/systemd stock/systemd ours/shell stock/shell}
SCALE_DISKS=${ADE_BENCH_SCALE_DISKS-1 4 16}
SCALE_RUNS=${ADE_BENCH_SCALE_RUNS:-1}
SCALE_SMP=${ADE_BENCH_SCALE-1 2}
ARGON2_KIB=${ADE_BENCH_ARGON2_KIB:-16384}
ARGON2_ITER=4
# The latency disks: fast PBKDF2 (the harness's), so that the table shows
# what is around the key derivation; the scaling disks: Argon2id, one lane.
PBKDF_LAT="--pbkdf pbkdf2 --hash sha256 --pbkdf-force-iterations 1000"
PBKDF_SCALE="--pbkdf argon2id --pbkdf-memory $ARGON2_KIB --pbkdf-force-iterations $ARGON2_ITER --pbkdf-parallel 1"
KEY=LinuxPassPhraseFileName
B=$Q_BUILD/bench

q_need_root "$@"
host_deps

maxd=0
for n in $LAT_DISKS $SCALE_DISKS; do
    [ "$n" -gt "$maxd" ] && maxd=$n
done
[ "$maxd" -le 16 ] || q_die "at most 16 data disks (LUNs 1..16 of one virtio-scsi target)"

bin=${ADE_UNLOCK_BIN:-$Q_TOP/unlock/ade-unlock}
[ -x "$bin" ] || q_die "no $bin: run 'make unlock/ade-unlock' first"
mkdir -p "$B/runs"
# This run's copy: a rebuild during the run changes nothing under it.
cp "$bin" "$B/runs/ade-unlock.$$"
ADE_UNLOCK_BIN=$B/runs/ade-unlock.$$
export ADE_UNLOCK_BIN
res=$B/runs/results.$$
trap 'rm -f "$B/runs/ade-unlock.$$" "$res"' EXIT

start=$(date +%s)

# ---- inputs: kernel, builder, images, the bench root tree, two disk sets ----
q_builder
q_roottree
q_install_module
kinds=
for s in $SETUPS ours/systemd; do
    case " $kinds " in *" $s "*) ;; *) kinds="$kinds $s" ;; esac
done
# The images, two dracut runs side by side (each cached).
# shellcheck disable=SC2086  # one word per setup
set -- $kinds
while [ $# -gt 0 ]; do
    (q_initrd "${1%/*}" "${1#*/}" > /dev/null) &
    if [ $# -gt 1 ]; then
        (q_initrd "${2%/*}" "${2#*/}" > /dev/null) &
        shift
    fi
    shift
    wait
done
for s in $kinds; do
    q_initrd "${s%/*}" "${s#*/}" || exit 1
done

# The guest root: the harness's busybox tree with the bench's own init.
bench_root=$B/roottree-$(host_hash "$Q_ROOTTREE" "$(sha256sum < bench/guest-init)")
if [ ! -e "$bench_root/.ready" ]; then
    rm -rf "$B"/roottree-*
    cp -a "$Q_ROOTTREE" "$bench_root"
    install -m 0755 bench/guest-init "$bench_root/sbin/init"
fi
Q_ROOTTREE=$bench_root

FS_ROOT=0a0eb000-0000-4000-8000-0000000000ff
# One disk set: a LUKS2 root and MAXD LUKS2 data disks, all under one
# passphrase (LinuxPassPhraseFileName: ADE's single-passphrase layout, which
# stock dracut's shell kind can use too), and the BEK volume.
# build_set NAME PBKDF_OPTIONS; sets SET_DIR.
build_set() {
    SET_DIR=$B/disks-$1-$(host_hash "$(cat bench/vm-latency.sh "$Q_DIR/lib.sh" | sha256sum)" \
        "$Q_ROOTTREE" "$2" "$maxd" "$(cryptsetup --version)")
    [ -e "$SET_DIR/.ready" ] && return 0
    q_log "bench: disks '$1' (root + $maxd data disks; $2)"
    rm -rf "$B/disks-$1"-*
    mkdir -p "$SET_DIR"
    (
        cd "$SET_DIR" || exit 1
        # shellcheck disable=SC2034  # read by q_encrypt_inplace
        Q_PBKDF=$2
        s_rootfs root.img bench-root "$FS_ROOT"
        s_key "$KEY"
        q_encrypt_inplace root.img "keys/$KEY"
        echo "root $(q_luks_uuid root.img)" > uuids
        i=0
        while [ "$i" -lt "$maxd" ]; do
            s_datafs "data$i.img" "data$i-bench" "$(printf '0a0eb000-0000-4000-8000-%012d' "$i")"
            q_encrypt_inplace "data$i.img" "keys/$KEY"
            echo "data$i $(q_luks_uuid "data$i.img")" >> uuids
            i=$((i + 1))
        done
        q_mkbek bek.img 2048 "keys/$KEY"
        cryptsetup luksDump root.img > root.dump
    ) > "$SET_DIR/build.log" 2>&1 || {
        tail -n 20 "$SET_DIR/build.log" >&2
        q_die "building the bench disks '$1' failed"
    }
    touch "$SET_DIR/.ready"
}

# The PBKDF parameter sets of a header (keyslot 0, then the digest), one a
# line as bench/pbkdf-time.c takes them: KDF HASH ITERATIONS MEMORY THREADS.
pbkdf_specs() {
    awk '
        /^Keyslots:/ { ks = 1 } /^Tokens:/ { ks = 0 } /^Digests:/ { dg = 1 }
        ks && /PBKDF:/ && kdf == "" { kdf = $2 }
        ks && /^\tHash:/ && h == "" { h = $2 }
        ks && /Iterations:/ && it == "" { it = $2 }
        ks && /Time cost:/ && it == "" { it = $3 }
        ks && /Memory:/ && mem == "" { mem = $2 }
        ks && /Threads:/ && par == "" { par = $2 }
        dg && /Hash:/ && dh == "" { dh = $2 }
        dg && /Iterations:/ && di == "" { di = $2 }
        END {
            if (kdf == "pbkdf2") print "pbkdf2", h, it, 0, 1
            else print kdf, "-", it, mem, par
            print "pbkdf2", dh, di, 0, 1
        }' "$1"
}

lat_dir=
scale_dir=
if [ -n "$LAT_DISKS" ] && [ -n "$SETUPS" ]; then
    build_set pbkdf2 "$PBKDF_LAT"
    lat_dir=$SET_DIR
fi
if [ -n "$SCALE_DISKS" ] && [ -n "$SCALE_SMP" ]; then
    build_set argon2id "$PBKDF_SCALE"
    scale_dir=$SET_DIR
fi
q_log "bench: inputs ready after $(($(date +%s) - start)) s"

# ---- the PBKDF time the headers demand, timed in the guest ----
specs=
for d in $lat_dir $scale_dir; do
    specs="$specs$(pbkdf_specs "$d/root.dump" | tr '\n' ';')"
done
echo
echo "-- PBKDF speed inside the QEMU guest (TCG, 1 vCPU), both crypto backends"
# ADE_BENCH_REUSE_PBKDF=1 (development): the last run's figures, no boot.
if [ "${ADE_BENCH_REUSE_PBKDF:-0}" != 1 ] || [ ! -s "$B/guest-pbkdf.out" ]; then
    ADE_BENCH_SELFCHECK=0 ADE_BENCH_PBKDF_TIMES=$specs sh bench/guest-pbkdf.sh 2> /dev/null > "$B/guest-pbkdf.out"
fi
grep -E '^(backend|PBKDF2|argon2)' "$B/guest-pbkdf.out"
# The median ms of one parameter set: spec_ms KDF HASH ITER MEM PAR
spec_ms() {
    awk -v want="pbkdf-time $1 $2 $3 $4 $5:" '
        index($0, want) == 1 { for (i = 1; i < NF; i++) if ($i == "median") print $(i + 1) }
    ' "$B/guest-pbkdf.out" | head -n 1
}
# The demand of one disk of a set: keyslot KDF + digest PBKDF2, in ms.
disk_ms() {
    _t=0
    _lines=$(pbkdf_specs "$1/root.dump")
    _save_ifs=$IFS
    IFS='
'
    for _l in $_lines; do
        IFS=$_save_ifs
        # shellcheck disable=SC2086  # five words
        _m=$(spec_ms $_l)
        [ -n "$_m" ] || _m=nan
        _t=$(awk -v a="$_t" -v b="$_m" 'BEGIN { print (b == "nan" ? "nan" : a + b) }')
    done
    IFS=$_save_ifs
    echo "$_t"
}
echo
echo "-- what the headers' PBKDFs take in the guest (keyslot, digest; median of 3)"
for d in $lat_dir $scale_dir; do
    pbkdf_specs "$d/root.dump"
done | awk '!seen[$0]++' | while read -r kdf hash iter mem par; do
    printf '  %-9s %-6s iterations %-6s memory %6s KiB threads %s: %s ms\n' "$kdf" \
        "$hash" "$iter" "$mem" "$par" "$(spec_ms "$kdf" "$hash" "$iter" "$mem" "$par")"
done
lat_ms=
scale_ms=
[ -n "$lat_dir" ] && lat_ms=$(disk_ms "$lat_dir")
[ -n "$scale_dir" ] && scale_ms=$(disk_ms "$scale_dir")

# ---- one boot ----
# Console lines of each step, and their clock: every line is stamped on the
# host (seconds since QEMU started); kernel log lines also carry the guest
# kernel's own stamp (seconds since kernel start). Host stamps are put on
# the kernel clock with the smallest (host - kernel) offset seen after
# "Run /init" (serial output only ever adds delay).
parse_console() {
    awk -v mode="$1" '
        function word_after(l, w,  i, n, a) { n = split(l, a, " "); for (i = 1; i < n; i++) if (a[i] == w) return a[i + 1]; return "" }
        # One console message: host stamp h, kernel stamp k (-1: none), text b.
        function see(h, k, b,  u, i, t) {
            if (init != "" && k >= 0 && (off == "" || h - k < off)) off = h - k
            if (k >= 0 && b ~ /^Run \/init as init process/) init = k
            if (k >= 0 && bek == "" && b ~ /^sd [0-9]+:0:0:0: \[sd[a-z]+\] Attached SCSI disk/) bek = k
            if (mode == "ours" && b ~ /^ade-unlock: /) {
                # ade-unlock: its /dev/kmsg lines (kernel stamps); the kernel
                # rate-limits those (10 per 5 s unless printk.devkmsg=on, as
                # systemd sets it), so also its stderr copy (host stamps)
                i = (k >= 0) ? "k" : "h"
                t = (k >= 0) ? k : h
                if (b ~ /^ade-unlock: BEK VOLUME: found on /) { fnd[i] = t; self_wait = word_after(b, "after") }
                if (b ~ /^ade-unlock: [^ ]+ \(.*\): opened as /) opn[i]++
                if (b ~ /^ade-unlock: [^ ]+ \(.*\): FAILED /) fld[i]++
                if (b ~ /^ade-unlock: summary: /) { sum[i] = t; self_total = word_after(b, "in"); self_exit = word_after(b, "exit") }
            }
            # systemd kind: its unit done (after ade-unlock-run waited for udev)
            if (mode == "ours" && b ~ /Finished ade-unlock\.servic/ && svc_h == "") svc_h = h
            if (mode == "stock") {
                # systemd: status lines (host stamps only)
                if (b ~ /Found device .*BEK_VOLUME/ && found_h == "") found_h = h
                if (b ~ /Finished systemd-cryptsetu/) { open_h = h; opened++ }
                # dracut shell kind: cryptroot-ask
                if (k >= 0 && b ~ /^dracut: Found \/.* on \/dev\// && found_k == "") found_k = k
                if (k >= 0 && b ~ /^dracut: luksOpen /) opened++
            }
            # the guest (after switch_root)
            if (b ~ /^ADE-GUEST: init started/) sw_h = h
            if (b ~ /^ADE-GUEST: dm: /) {
                u = b; sub(/.*udev-first-seen-us=/, "", u)
                if (u ~ /^[0-9]+$/) { nu++; if (u / 1e6 > udev) udev = u / 1e6 }
            }
            if (b ~ /^ADE-GUEST: dm devices: /) { ndm = b; sub(/.*: /, "", ndm) }
            if (b ~ /^ADE-GUEST: data: .* holds /) held++
            if (b ~ /^ADE-GUEST: root: holds /) rootok = 1
            if (b ~ /^ADE-GUEST: booted/) booted = 1
            if (b ~ /^\[harness\] stop:/) stopped = 1
        }
        # A console line is the host stamp and one or more messages: a kernel
        # message can land in the middle of a line that systemd wrote.
        {
            if (!match($0, /^\[ *[0-9.]+\] /)) next
            h = substr($0, 2, RLENGTH - 3) + 0
            r = substr($0, RLENGTH + 1)
            k = -1
            while (match(r, /\[ *[0-9]+\.[0-9][0-9][0-9][0-9][0-9][0-9]\] /)) {
                if (RSTART > 1 || k >= 0) see(h, k, substr(r, 1, RSTART - 1))
                k = substr(r, RSTART + 1, RLENGTH - 3) + 0
                r = substr(r, RSTART + RLENGTH)
            }
            see(h, k, r)
        }
        function put(n, v) { printf " %s=%s", n, (v == "" ? "-" : v) }
        END {
            if (mode == "ours") {
                found_k = ("k" in fnd) ? fnd["k"] : ""; found_h = ("h" in fnd) ? fnd["h"] : ""
                open_k = ("k" in sum) ? sum["k"] : ""; open_h = ("h" in sum) ? sum["h"] : ""
                opened = (opn["k"] > opn["h"]) ? opn["k"] : opn["h"]
                failed = (fld["k"] > fld["h"]) ? fld["k"] : fld["h"]
            }
            if (found_k == "" && found_h != "" && off != "") found_k = found_h - off
            if (open_k == "" && open_h != "" && off != "") open_k = open_h - off
            put("init", init); put("bek", bek); put("found", found_k); put("open", open_k)
            put("udev", nu > 0 ? udev : ""); put("nudev", nu + 0)
            put("switch", (sw_h != "" && off != "") ? sw_h - off : "")
            put("svc", (svc_h != "" && off != "") ? svc_h - off : "")
            put("selfwait", self_wait); put("selftotal", self_total); put("selfexit", self_exit)
            put("opened", opened + 0); put("failed", failed + 0); put("ndm", ndm); put("held", held + 0)
            put("rootok", rootok + 0); put("booted", booted + 0); put("stopped", stopped + 0); put("off", off)
            printf "\n"
        }' "$2"
}

# boot SET_DIR SETUP NDATA SMP PARALLEL RUN: one boot, its result line in $res.
# (bt_ names: lib.sh's functions set _n, _run, _mode, _kind, _name ...)
boot() {
    bt_set=$1
    bt_setup=$2
    bt_mode=${2%/*}
    bt_kind=${2#*/}
    bt_n=$3
    bt_smp=$4
    bt_par=$5
    bt_tag=$(echo "$2-$3-smp$4-par$5-$6" | tr / -)
    bt_run=$B/runs/$bt_tag
    rm -rf "$bt_run"
    mkdir -p "$bt_run/overlay/etc"
    q_initrd "$bt_mode" "$bt_kind"
    bt_cmd="root=UUID=$FS_ROOT${ADE_BENCH_CMDLINE:+ $ADE_BENCH_CMDLINE}"
    bt_disks="blk:$bt_set/root.img scsi:$bt_set/bek.img:0:Msft:Virtual_Disk"
    bt_i=0
    while [ "$bt_i" -lt "$bt_n" ]; do
        bt_disks="$bt_disks scsi:$bt_set/data$bt_i.img:$((bt_i + 1))"
        bt_i=$((bt_i + 1))
    done
    # The devices of this boot: root and data0..data(N-1), with LUKS UUIDs.
    head -n $((bt_n + 1)) "$bt_set/uuids" > "$bt_run/devs"
    bt_overlay=
    case "$bt_setup" in
        ours/*)
            # ade-unlock: crypttab as scenario 1 writes it, every device keyed
            # by the one file; parallel = N only for the serial runs.
            while read -r bt_name bt_uuid; do
                bt_opt=luks,nofail
                [ "$bt_name" = root ] && bt_opt=luks
                echo "$bt_name UUID=$bt_uuid none $bt_opt" >> "$bt_run/overlay/etc/crypttab"
                echo "key.$bt_name = $KEY" >> "$bt_run/overlay/etc/ade-unlock.conf"
            done < "$bt_run/devs"
            [ "$bt_par" != auto ] && echo "parallel = $bt_par" >> "$bt_run/overlay/etc/ade-unlock.conf"
            bt_overlay=$bt_run/overlay
            ;;
        stock/systemd)
            # rd.luks.key=UUID=/FILE:LABEL=BEK VOLUME, written in the image's
            # crypttab instead (the same generator path; 17 of them would
            # not fit the 2048-byte kernel command line). The key device as
            # udev names it (the generator turns LABEL=BEK VOLUME into it).
            while read -r bt_name bt_uuid; do
                printf 'luks-%s UUID=%s /%s:/dev/disk/by-label/BEK\\x20VOLUME luks\n' \
                    "$bt_uuid" "$bt_uuid" "$KEY" >> "$bt_run/overlay/etc/crypttab"
            done < "$bt_run/devs"
            bt_overlay=$bt_run/overlay
            ;;
    esac
    if [ "$bt_kind" = shell ]; then
        while read -r bt_name bt_uuid; do
            bt_cmd="$bt_cmd rd.luks.uuid=luks-$bt_uuid"
        done < "$bt_run/devs"
        [ "$bt_mode" = stock ] && bt_cmd="$bt_cmd rd.luks.key=/$KEY:LABEL=BEK_VOLUME"
    fi
    q_overlay "$Q_INITRD" "$bt_overlay" "$bt_run/initrd.img"
    Q_STOP_RE='Please enter passphrase|Enter passphrase for|Password \(|Entering emergency mode|Could not boot'
    export Q_STOP_RE
    # shellcheck disable=SC2086  # one word per disk
    Q_SMP=$bt_smp q_boot "$bt_run" "$bt_run/initrd.img" "$bt_cmd" $bt_disks
    bt_rc=$?
    rm -f "$bt_run/initrd.img"
    bt_which=lat
    [ "$bt_set" = "$lat_dir" ] || bt_which=scale
    printf 'set=%s setup=%s n=%s smp=%s par=%s run=%s rc=%s%s\n' "$bt_which" "$bt_setup" "$bt_n" \
        "$bt_smp" "$bt_par" "$6" "$bt_rc" "$(parse_console "$bt_mode" "$bt_run/console.log")" > "$bt_run/result"
    cat "$bt_run/result" >> "$res"
    q_log "bench: $bt_tag: $(sed 's/.* open=\([^ ]*\).* udev=\([^ ]*\).* switch=\([^ ]*\).*/open \1 s, udev saw all \2 s, switch_root \3 s/' "$bt_run/result")"
}

: > "$res"
# ADE_BENCH_TABLES_FROM=FILE (development): print the tables of an earlier
# run's results.last, no boots.
if [ -n "${ADE_BENCH_TABLES_FROM:-}" ]; then
    cp "$ADE_BENCH_TABLES_FROM" "$res"
    # ADE_BENCH_REPARSE=1: read those boots' consoles again (this parser).
    if [ "${ADE_BENCH_REPARSE:-0}" = 1 ]; then
        while read -r line; do
            # shellcheck disable=SC2086  # one word per field
            set -- $line
            tag=$(echo "${2#setup=}-${3#n=}-smp${4#smp=}-par${5#par=}-${6#run=}" | tr / -)
            m=${2#setup=}
            echo "$1 $2 $3 $4 $5 $6 $7$(parse_console "${m%/*}" "$B/runs/$tag/console.log")"
        done < "$ADE_BENCH_TABLES_FROM" > "$res"
    fi
    LAT_DISKS_RUN=
    SCALE_RUNS_RUN=0
else
    LAT_DISKS_RUN=$LAT_DISKS
    SCALE_RUNS_RUN=$SCALE_RUNS
fi
nboots=0
for n in $LAT_DISKS; do
    for s in $SETUPS; do nboots=$((nboots + RUNS)); done
done
for smp in $SCALE_SMP; do
    for n in $SCALE_DISKS; do
        nboots=$((nboots + SCALE_RUNS))
        [ "$smp" -gt 1 ] && nboots=$((nboots + SCALE_RUNS))
    done
done
q_log "bench: $nboots boots, one at a time"
# Runs interleaved (run 1 of every setup, then run 2, ...), so that a slow
# phase of the host spreads over all setups instead of hitting one.
r=1
while [ -n "$LAT_DISKS_RUN" ] && [ "$r" -le "$RUNS" ]; do
    for n in $LAT_DISKS_RUN; do
        for s in $SETUPS; do
            boot "$lat_dir" "$s" "$n" 1 auto "$r"
        done
    done
    r=$((r + 1))
done
r=1
while [ "$r" -le "$SCALE_RUNS_RUN" ]; do
    for smp in $SCALE_SMP; do
        for n in $SCALE_DISKS; do
            boot "$scale_dir" ours/systemd "$n" "$smp" 1 "$r"
            # At -smp 1 the default is one PBKDF at a time: the same as serial.
            [ "$smp" -gt 1 ] && boot "$scale_dir" ours/systemd "$n" "$smp" auto "$r"
        done
    done
    r=$((r + 1))
done

# ---- the tables ----
# Initramfs sizes: the images of each kind, ours vs. stock.
echo
echo "-- initramfs size (dracut --no-hostonly, zstd; same modules but ade-unlock; stock adds vfat + nls)"
printf '  %-8s %14s %14s %14s\n' kind ade-unlock stock ours-stock
for k in systemd shell; do
    o=$(find "$Q_BUILD/initrd" -name "ours-$k-*.img" | head -n 1)
    s=$(find "$Q_BUILD/initrd" -name "stock-$k-*.img" | head -n 1)
    if [ -z "$o" ] || [ -z "$s" ]; then continue; fi
    so=$(stat -c %s "$o")
    ss=$(stat -c %s "$s")
    printf '  %-8s %14s %14s %+14d   (%s)\n' "$k" "$so" "$ss" "$((so - ss))" \
        "$(awk -v a="$so" -v b="$ss" 'BEGIN { printf "ours/stock %.3f", a / b }')"
    uo=$(zstd -dc < "$o" 2> /dev/null | wc -c)
    us=$(zstd -dc < "$s" 2> /dev/null | wc -c)
    printf '  %-8s %14s %14s %+14d   (uncompressed cpio)\n' "" "$uo" "$us" "$((uo - us))"
done

# Median and [min-max] of a field over the boots that match: st FIELD SELECTOR...
# Prints "MEDIAN MIN MAX COUNT" ("- - - 0" when none).
st() {
    _f=$1
    shift
    awk -v f="$_f" -v sel="$*" '
        BEGIN { ns = split(sel, want, " ") }
        {
            ok = 1
            for (i = 1; i <= ns; i++) { found = 0; for (j = 1; j <= NF; j++) if ($j == want[i]) found = 1; if (!found) ok = 0 }
            if (!ok) next
            v = ""
            for (j = 1; j <= NF; j++) if (index($j, f "=") == 1) v = substr($j, length(f) + 2)
            if (v != "" && v != "-") x[n++] = v + 0
        }
        END {
            if (n == 0) { print "- - - 0"; exit }
            for (i = 0; i < n; i++) for (j = i + 1; j < n; j++) if (x[j] < x[i]) { t = x[i]; x[i] = x[j]; x[j] = t }
            med = (n % 2) ? x[int(n / 2)] : (x[n / 2 - 1] + x[n / 2]) / 2
            print med, x[0], x[n - 1], n
        }' "$res"
}

# Each good boot's derived spans as extra fields: bek2open (all open - BEK
# disk visible), found2open, and the overhead (bek2open - PBKDF demand).
# A boot counts only if QEMU exited by itself and the guest saw every device.
derive() {
    awk '
        function g(n,  j) { for (j = 1; j <= NF; j++) if (index($j, n "=") == 1) return substr($j, length(n) + 2); return "-" }
        {
            sub(/ (bek2open|found2open|bek2udev|open2svc|good)=.*/, "")
            n = g("n"); ran = (g("rc") == 0 && g("booted") == 1 && g("rootok") == 1)
            ok = (ran && g("held") == n && g("ndm") == n + 1)
            line = $0
            b = g("bek"); o = g("open"); f = g("found"); u = g("udev")
            if (b != "-" && o != "-") line = line " bek2open=" (o - b)
            if (f != "-" && o != "-") line = line " found2open=" (o - f)
            if (b != "-" && u != "-") line = line " bek2udev=" (u - b)
            v = g("svc")
            if (o != "-" && v != "-") line = line " open2svc=" (v - o)
            line = line " good=" ok " ran=" ran
            print line
        }' "$res"
}

derive > "$res.d"
mv "$res.d" "$res"

fmt() { # fmt "MED MIN MAX N" -> "12.34 [12.10-12.50]"
    echo "$1" | awk '{ if ($4 == 0) print "n/a"; else printf "%.2f [%.2f-%.2f]", $1, $2, $3 }'
}
ratio() { # ratio A B -> A/B of two medians
    awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b + 0 == 0) print "n/a"; else printf "%.2f", a / b }'
}

# One table row: the field's median [min-max] for each setup (n: $n).
row() {
    printf '  %-34s' "$1"
    for rs in $SETUPS; do
        printf ' %-20s' "$(fmt "$(st "$2" "set=lat setup=$rs n=$n good=1")")"
    done
    echo
}
# The same for a span minus the PBKDF demand of n+1 disks (1 vCPU), in ms.
row_ms() {
    printf '  %-34s' "$1"
    for rs in $SETUPS; do
        printf ' %-20s' "$(st "$2" "set=lat setup=$rs n=$n good=1" | awk -v m="$lat_ms" -v n="$n" '{
            if ($4 == 0) { print "n/a"; exit }
            d = (n + 1) * m / 1000
            printf "%.0f [%.0f-%.0f]", ($1 - d) * 1000, ($2 - d) * 1000, ($3 - d) * 1000 }')"
    done
    echo
}
med() { st "$1" "$2" | cut -d ' ' -f 1; }

if [ -n "$lat_dir" ]; then
    echo
    echo "-- latency: seconds since kernel start, median [min-max] of $RUNS boots, one at a time"
    echo "   QEMU TCG -smp 1 -m 1024, Debian cloud kernel; LUKS2 root (virtio-blk) + N LUKS2 data"
    echo "   disks and the BEK volume (virtio-scsi), one passphrase; PBKDF2-sha256 1000 iterations:"
    echo "   one keyslot + digest take $lat_ms ms in the guest, the PBKDF demand is (N+1) x that"
    for n in $LAT_DISKS; do
        echo
        printf '  %-34s' "1 root + $n data disks"
        for rs in $SETUPS; do printf ' %-20s' "$rs"; done
        echo
        row "BEK disk attached (kernel)" bek
        row "BEK volume found" found
        row "all open (tool's own line)" open
        row "all open (udev saw the last)" udev
        row "ade-unlock.service finished" svc
        row "switch_root (guest init runs)" switch
        row "BEK attached -> all open (tool)" bek2open
        row "BEK attached -> all open (udev)" bek2udev
        row "BEK found -> all open (tool)" found2open
        row_ms "overhead beyond PBKDF, tool (ms)" bek2open
        row_ms "overhead beyond PBKDF, udev (ms)" bek2udev
        row "ade-unlock: waited for BEK (s)" selfwait
        row "ade-unlock: whole run (s)" selftotal
        row "ade-unlock-run: summary -> done" open2svc
        for k in systemd shell; do
            case " $SETUPS " in *" ours/$k "*) ;; *) continue ;; esac
            case " $SETUPS " in *" stock/$k "*) ;; *) continue ;; esac
            o="set=lat setup=ours/$k n=$n good=1"
            t="set=lat setup=stock/$k n=$n good=1"
            printf '  ratio stock/ours, %-7s switch_root %s; all open (udev) %s; BEK->all open (udev) %s' \
                "$k:" "$(ratio "$(med switch "$t")" "$(med switch "$o")")" \
                "$(ratio "$(med udev "$t")" "$(med udev "$o")")" \
                "$(ratio "$(med bek2udev "$t")" "$(med bek2udev "$o")")"
            [ "$k" = systemd ] && printf '; (tool) %s' "$(ratio "$(med bek2open "$t")" "$(med bek2open "$o")")"
            echo
        done
    done
    echo
    echo "   Lines: BEK disk attached = kernel 'sd H:0:0:0: [sdX] Attached SCSI disk' (LUN 0);"
    echo "   found = ade-unlock 'BEK VOLUME: found on' / systemd 'Found device ...BEK_VOLUME' /"
    echo "   dracut 'Found /FILE on /dev/sdX'; all open (tool) = ade-unlock 'summary:' / the last"
    echo "   'Finished systemd-cryptsetup@' (dracut's shell kind prints none); udev = the latest"
    echo "   udev first-seen time (/run/udev/data I:) of the crypt mappings, read by the guest;"
    echo "   switch_root = the guest init's first line. Kernel stamps where the line has one,"
    echo "   else the host stamp moved to the kernel clock."
fi

if [ -n "$scale_dir" ]; then
    echo
    echo "-- scaling: ade-unlock, systemd initramfs, QEMU TCG -m 1024; Argon2id keyslots ($ARGON2_KIB KiB,"
    echo "   $ARGON2_ITER iterations, 1 lane): one keyslot + digest take $scale_ms ms in the guest (1 vCPU)."
    echo "   open = BEK found -> all open (kernel stamps of ade-unlock's lines), median [min-max] of"
    echo "   $SCALE_RUNS; demand = (N+1) x PBKDF / PBKDFs at once; serial = 'parallel = 1', parallel ="
    echo "   the default (one PBKDF per CPU; at -smp 1 that is serial)"
    printf '  %-4s %-6s %-9s %-20s %-9s %-11s %-12s %s\n' smp disks mode "open (s)" "per disk" \
        "demand (s)" "serial/this" "FAILED devices"
    for smp in $SCALE_SMP; do
        for n in $SCALE_DISKS; do
            ser=$(med found2open "set=scale n=$n smp=$smp par=1 ran=1")
            for par in 1 auto; do
                [ "$par" = auto ] && [ "$smp" -eq 1 ] && continue
                sel="set=scale n=$n smp=$smp par=$par ran=1"
                v=$(med found2open "$sel")
                at=1
                [ "$par" = auto ] && at=$smp
                [ "$at" -gt $((n + 1)) ] && at=$((n + 1))
                label=serial
                [ "$par" = auto ] && label=parallel
                printf '  %-4s %-6s %-9s %-20s %-9s %-11s %-12s %s\n' "$smp" "$n+1" "$label" \
                    "$(fmt "$(st found2open "$sel")")" \
                    "$(awk -v v="$v" -v n="$n" 'BEGIN { if (v == "-") print "n/a"; else printf "%.2f", v / (n + 1) }')" \
                    "$(awk -v m="$scale_ms" -v n="$n" -v a="$at" 'BEGIN { printf "%.2f", (n + 1) * m / 1000 / a }')" \
                    "$(ratio "$ser" "$v")" \
                    "$(awk -v f="failed=" -v sel="$sel" '
                        BEGIN { ns = split(sel, w, " ") }
                        { ok = 1; for (i = 1; i <= ns; i++) { hit = 0; for (j = 1; j <= NF; j++) if ($j == w[i]) hit = 1; if (!hit) ok = 0 }
                          if (!ok) next; nb++
                          for (j = 1; j <= NF; j++) if (index($j, f) == 1) t += substr($j, length(f) + 1) }
                        END { printf "%d in %d boots", t, nb }' "$res")"
            done
        done
    done
fi

# Boots that do not count, and why.
bad=$(grep -c ' good=0' "$res")
if [ "$bad" -gt 0 ]; then
    echo
    echo "-- $bad boot(s) left out of the latency figures (no clean power-off, or a device missing;"
    echo "   the scaling table keeps those that powered off and counts their FAILED devices):"
    grep ' good=0' "$res" | awk '
        function g(n,  j) { for (j = 1; j <= NF; j++) if (index($j, n "=") == 1) return substr($j, length(n) + 2); return "-" }
        { printf "  %s %s data disks smp %s parallel %s run %s: %s, %s of %s mappings, ade-unlock exit %s\n",
            g("setup"), g("n"), g("smp"), g("par"), g("run"),
            g("stopped") == 1 ? "stopped at a passphrase prompt" : "qemu rc " g("rc"),
            g("ndm"), g("n") + 1, g("selfexit") }'
fi
cp "$res" "$B/results.last"
echo
echo "   every boot: $B/results.last; consoles: $B/runs/"
q_log "bench: VM part took $(($(date +%s) - start)) s"
