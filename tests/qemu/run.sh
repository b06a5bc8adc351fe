#!/bin/sh
# SPDX-License-Identifier: MIT
# QEMU boot harness: builds kernel, initramfs images and disks from Debian
# packages, boots each scenario in a systemd and a dracut-shell initramfs and
# judges it by its serial console. Prints "PASS: scenario/kind (NN s)" or
# "FAIL: ..." per boot and "N passed, N failed" last; exits 1 on any failure.
set -u

usage() {
    cat << 'EOF'
usage: tests/qemu/run.sh [--stock] [--kind systemd|shell|itools] [--suite SUITE] [-j N] [--long] [--list] [SCENARIO...]
  --stock        boot with dracut's stock crypt module (rd.luks.key on the BEK
                 volume) instead of ade-unlock: the baseline
  --kind KIND    only this initramfs kind: systemd, shell (dracut's two) or
                 itools (initramfs-tools; default: systemd and shell)
  --suite SUITE  the Debian release of the kernel, dracut, systemd, cryptsetup
                 and initramfs-tools: bullseye, bookworm (default) or trixie
                 (its own cache, build/qemu/suite-SUITE)
  -j N           boots side by side (default 2)
  --long         a full run also boots the variants a scenario keeps for
                 long runs (scn_long: make qemu-test; make test leaves them)
  --list         list the scenarios and exit
  SCENARIO       a scenario file's name or number (1, 01, 01-luks2-data),
                 or one variant of it (10-hostile-bek.loop); default: all
Environment: Q_BOOT_TIMEOUT (seconds per boot, default 180), Q_BUILD (cache,
default build/qemu), ADE_UNLOCK_BIN (binary to test, default unlock/ade-unlock).
EOF
}

here=$(cd "$(dirname "$0")" && pwd)
# --suite is read before lib.sh: it chooses the cache (Q_BUILD) lib.sh sets.
_prev=
for _a in "$@"; do
    [ "$_prev" = --suite ] && Q_SUITE=$_a && export Q_SUITE
    _prev=$_a
done
# shellcheck disable=SC1091  # lib.sh is checked on its own
. "$here/lib.sh"
: "${Q_DIR:?}"

# The scenario file of a name or number.
scn_file() {
    for _f in "$Q_DIR"/scenarios/*.sh; do
        _b=${_f##*/}
        _b=${_b%.sh}
        case "$1" in
            "$_b" | "${_b%%-*}") echo "$_f" && return 0 ;;
        esac
        [ "$(printf '%s' "${_b%%-*}" | sed 's/^0*//')" = "$1" ] && echo "$_f" && return 0
    done
    return 1
}

# The variants a scenario file declares (scn_variants="a b"), or nothing.
scn_variants() { sed -n 's/^scn_variants="*\([^"]*\)"*$/\1/p' "$1"; }

# The variants a full run leaves out unless --long (scn_long="a b": the rest
# of a matrix whose other variants make test boots), or nothing.
scn_long() { sed -n 's/^scn_long="*\([^"]*\)"*$/\1/p' "$1"; }

# The boot units of a scenario file: FILE, or FILE@VARIANT for each variant
# (without its scn_long ones unless ALL is 1).
# scn_units FILE [ALL]
scn_units() {
    _vs=$(scn_variants "$1")
    if [ -z "$_vs" ]; then
        echo "$1"
        return 0
    fi
    _lv=
    [ "${2:-1}" = 1 ] || _lv=$(scn_long "$1")
    for _v in $_vs; do
        case " $_lv " in *" $_v "*) continue ;; esac
        echo "$1@$_v"
    done
}

# The units of a name given on the command line (NAME or NAME.VARIANT).
scn_lookup() {
    if _f=$(scn_file "$1"); then
        scn_units "$_f"
        return 0
    fi
    _f=$(scn_file "${1%.*}") || return 1
    case " $(scn_variants "$_f") " in
        *" ${1##*.} "*) echo "$_f@${1##*.}" ;;
        *) return 1 ;;
    esac
}

# Splits a unit into _f (its file), scn_variant and _b (its name: the file's
# name, plus .VARIANT).
scn_split() {
    _f=${1%@*}
    scn_variant=
    case "$1" in *@*) scn_variant=${1##*@} ;; esac
    _b=${_f##*/}
    _b=${_b%.sh}${scn_variant:+.$scn_variant}
}

# Builds (or reuses) the disks of a scenario unit; sets S_DIR.
scn_prepare() {
    scn_split "$1"
    q_roottree
    # lib.sh's hash is taken once per run (Q_LIB_SUM): an edit during a run
    # changes nothing under it.
    : "${Q_LIB_SUM:=$(sha256sum < "$Q_DIR/lib.sh")}"
    export Q_LIB_SUM
    S_DIR=$Q_BUILD/scen/$_b-$(host_hash "$(sha256sum < "$_f")" "$Q_LIB_SUM" \
        "$Q_ROOTTREE" "$(cryptsetup --version)")
    [ -e "$S_DIR/.ready" ] && return 0
    q_log "disks: $_b"
    # Older builds of this scenario are stale.
    rm -rf "$Q_BUILD/scen/$_b"-*
    mkdir -p "$S_DIR"
    (
        cd "$S_DIR" || exit 1
        : > vars
        # shellcheck disable=SC1090  # the scenario file (reads scn_variant)
        . "$_f"
        scn_build
    ) > "$S_DIR/build.log" 2>&1 || {
        cat "$S_DIR/build.log" >&2
        q_die "building the disks of $_b failed"
    }
    touch "$S_DIR/.ready"
}

# The steps of a scenario that boots its guest more than once
# (scn_steps="a b c": one boot each, in order, on disks that keep what the
# guest wrote, blkw:), or nothing.
scn_steps() { sed -n 's/^scn_steps="*\([^"]*\)"*$/\1/p' "$1"; }

# One unit (UNIT KIND MODE S_DIR): its one boot, or each of its steps' boots
# in order; a step after a failed one is not booted (and fails, named so).
boot_one() {
    scn_split "$1"
    _steps=$(scn_steps "$_f")
    if [ -z "$_steps" ]; then
        boot_step "$@" ""
        return
    fi
    # The written disks of this unit: copies of the scenario's, made at its
    # first step and kept for the next.
    _dd=$Q_BUILD/runs/$_b-$2-$3.disks
    rm -rf "$_dd"
    mkdir -p "$_dd"
    _urc=0 _broke=
    for _st in $_steps; do
        if [ -n "$_broke" ]; then
            _l=$_b/$2
            [ "$3" = stock ] && _l=$_l-stock
            echo "FAIL: $_l:$_st (not booted: step $_broke failed)"
            continue
        fi
        boot_step "$@" "$_st" || { _urc=1; _broke=$_st; }
    done
    rm -rf "$_dd"
    return "$_urc"
}

# One boot of UNIT KIND MODE S_DIR STEP (its disks, built by the main run
# before any boot; STEP: "" or one of scn_steps), judged; prints its
# PASS:/FAIL: line.
boot_step() {
    _kind=$2
    _mode=$3
    S_DIR=$4
    scn_step=$5
    scn_split "$1"
    _label=$_b/$_kind
    [ "$Q_SUITE" = "${Q_HOST_SUITE:-bookworm}" ] || _label=$_b/$Q_SUITE-$_kind
    [ "$_mode" = stock ] && _label=$_label-stock
    _label=$_label${scn_step:+:$scn_step}
    q_initrd "$_mode" "$_kind"
    _run=$Q_BUILD/runs/$_b-$_kind-$_mode${scn_step:+.$scn_step}
    rm -rf "$_run"
    mkdir -p "$_run"
    (
        cd "$S_DIR" || exit 1
        # shellcheck disable=SC1090  # the scenario file
        . "$_f"
        # shellcheck disable=SC1091  # written by its scn_build
        . ./vars
        scn_cmdline='' scn_disks='' scn_expect='' scn_forbid='' scn_answer='' scn_skip='' scn_allow='' scn_smp=1 scn_halt='' scn_cut='' scn_timeout=''
        scn_boot "$_mode" "$_kind"
        if [ -n "$scn_skip" ]; then
            echo "$scn_skip" > "$_run/skip"
            exit 0
        fi
        {
            echo "b_cmdline='$scn_cmdline'"
            echo "b_disks='$scn_disks'"
            echo "b_answer='$scn_answer'"
            echo "b_smp='$scn_smp'"
            echo "b_halt='$scn_halt'"
            echo "b_cut='$scn_cut'"
            echo "b_timeout='$scn_timeout'"
        } > "$_run/boot.vars"
        printf '%s\n' "$scn_expect" | sed '/^$/d' > "$_run/expect"
        printf '%s\n' "${scn_forbid:-}" | sed '/^$/d' > "$_run/forbid"
        printf '%s\n' "${scn_allow:-}" | sed '/^$/d' > "$_run/allow"
    ) || {
        echo "FAIL: $_label (scenario error)"
        return 1
    }
    if [ -f "$_run/skip" ]; then
        echo "SKIP: $_label ($(cat "$_run/skip"))"
        return 0
    fi
    b_cmdline='' b_disks='' b_answer='' b_smp=1 b_halt='' b_cut='' b_timeout=''
    # shellcheck disable=SC1091  # written just above
    . "$_run/boot.vars"
    # The scenario's files: overlay/ for ade-unlock's boots, overlay-all/
    # (probes) for every boot.
    _overlay=$_run/overlay
    mkdir -p "$_overlay"
    [ "$_mode" = ours ] && [ -d "$S_DIR/overlay" ] && cp -a "$S_DIR/overlay/." "$_overlay/"
    [ -d "$S_DIR/overlay-all" ] && cp -a "$S_DIR/overlay-all/." "$_overlay/"
    rmdir "$_overlay" 2> /dev/null
    q_overlay "$Q_INITRD" "$_overlay" "$_run/initrd.img"
    rm -rf "$_overlay"
    # ade-unlock's own lines never say FAILED in these scenarios, and no
    # passphrase prompt may appear (stop the guest at once if one does),
    # unless the scenario answers prompts (scn_answer: its passphrase file).
    # A failure scenario names the lines it expects among them (scn_allow,
    # EREs): a forbidden line that matches one of those is not counted.
    # (itools: cryptsetup-initramfs's askpass asks "Please unlock disk NAME:";
    # its dead ends are a panic, which reboots at once: panic=-1.)
    _prompt='Please enter passphrase|Enter passphrase for|Password \(|Please unlock disk'
    _stop='Entering emergency mode|Could not boot|Gave up waiting for|Dropping to a shell|Rebooting automatically due to panic'
    {
        echo 'ade-unlock: .*(FAILED|skipped)'
        echo "$_stop"
        echo 'Kernel panic|Failed to start ade-unlock'
        [ -z "$b_answer" ] && echo "$_prompt"
    } >> "$_run/forbid"
    if [ -n "$b_answer" ]; then
        Q_ANSWER_RE=$_prompt
        Q_ANSWER_FILE=$S_DIR/$b_answer
        export Q_ANSWER_RE Q_ANSWER_FILE
    else
        _stop="$_prompt|$_stop"
    fi
    # Disk files are the scenario's; a written one (blkrw:) is this boot's
    # own, zeroed; a kept one (blkw:, steps only) the unit's copy of the
    # scenario's, written through and seen again by the next step.
    _disks=
    for _d in $b_disks; do
        case "$_d" in
            blkrw:*)
                rm -f "$_run/${_d#*:}"
                truncate -s 16M "$_run/${_d#*:}"
                _disks="$_disks blkrw:$_run/${_d#*:}"
                ;;
            blkw:*)
                [ -n "$scn_step" ] || q_die "blkw: disks are for scn_steps scenarios"
                [ -e "$_dd/${_d#*:}" ] || cp --sparse=always "$S_DIR/${_d#*:}" "$_dd/${_d#*:}"
                _disks="$_disks blkrw:$_dd/${_d#*:}"
                ;;
            *) _disks="$_disks ${_d%%:*}:$S_DIR/${_d#*:}" ;;
        esac
    done
    _t0=$(date +%s)
    Q_STOP_RE=$_stop
    Q_SMP=$b_smp
    # A boot that does more than boot (scn_timeout: seconds, a scenario's
    # encryption run under TCG) gets longer than the default.
    [ -n "$b_timeout" ] && [ "$b_timeout" -gt "$Q_BOOT_TIMEOUT" ] && Q_BOOT_TIMEOUT=$b_timeout
    export Q_STOP_RE Q_SMP Q_BOOT_TIMEOUT
    # shellcheck disable=SC2086  # one word per disk
    q_boot "$_run" "$_run/initrd.img" "$b_cmdline" $_disks
    _rc=$?
    _t=$(($(date +%s) - _t0))
    rm -f "$_run/initrd.img"
    _why=
    # A boot that must never reach its root (scn_halt: a refused hostile
    # root disk) ends at the prompt nobody answers: the harness stops it.
    _stopped=
    grep -q '\[harness\] stop: ' "$_run/console.log" && _stopped=1
    case "$_rc" in
        0) ;;
        124) _why="timed out after ${Q_BOOT_TIMEOUT} s (the guest never powered off)" ;;
        *) [ -n "$b_halt" ] && [ -n "$_stopped" ] || _why="QEMU exit $_rc" ;;
    esac
    # A boot the scenario cuts (scn_cut: its QMP "quit" mid-run, a power
    # cut) ends by that quit, before the guest's end.
    if [ -n "$b_cut" ]; then
        grep -q 'done$' "$_run/quit.log" 2> /dev/null ||
            _why="${_why:+$_why; }the harness never cut it (quit.log: $(tail -n 1 "$_run/quit.log" 2> /dev/null))"
        grep -q 'ADE-GUEST: booted' "$_run/console.log" &&
            _why="${_why:+$_why; }it ran to its end before the cut"
    fi
    while read -r _re; do
        grep -Eq -- "$_re" "$_run/console.log" || _why="${_why:+$_why; }missing /$_re/"
    done < "$_run/expect"
    if [ -n "$b_halt" ]; then
        [ -n "$_stopped" ] || _why="${_why:+$_why; }the harness never stopped it at a prompt"
        for _re in 'ADE-GUEST: ' 'Reached target.*Switch Root' 'Switching root'; do
            _hit=$(grep -E -- "$_re" "$_run/console.log" | head -n 1)
            [ -n "$_hit" ] && _why="${_why:+$_why; }reached the root: $_hit"
        done
    elif [ -z "$b_cut" ]; then
        grep -Eq 'ADE-GUEST: booted' "$_run/console.log" || _why="${_why:+$_why; }no 'ADE-GUEST: booted'"
    fi
    while read -r _re; do
        _hit=$(grep -E -- "$_re" "$_run/console.log" | grep -Ev -f "$_run/allow" | head -n 1)
        [ -n "$_hit" ] && _why="${_why:+$_why; }unexpected: $_hit"
    done < "$_run/forbid"
    # No passphrase of the scenario (keys/, other/) on the serial console.
    for _k in "$S_DIR"/keys/* "$S_DIR"/other/*; do
        [ -s "$_k" ] || continue
        [ "$(q_count "$_run/console.log" "$_k" 2> /dev/null || echo x)" = "0 0 0" ] ||
            _why="${_why:+$_why; }the passphrase of ${_k#"$S_DIR"/} is on the console"
    done
    # The scenario's own checks after the boot (scn_check RUNDIR MODE KIND):
    # "figure: ..." lines are shown with the verdict, any other line is a
    # reason the boot failed.
    _figures=
    if grep -q '^scn_check()' "$_f"; then
        (
            cd "$S_DIR" || exit 1
            # shellcheck disable=SC1090  # the scenario file
            . "$_f"
            # shellcheck disable=SC1091  # written by its scn_build
            . ./vars
            scn_check "$_run" "$_mode" "$_kind"
        ) > "$_run/check.out" 2>&1 || echo "scn_check failed" >> "$_run/check.out"
        _figures=$(sed -n 's/^figure: /    /p' "$_run/check.out")
        _bad=$(grep -v '^figure: ' "$_run/check.out" | tr '\n' ';' | sed 's/;$//')
        [ -n "$_bad" ] && _why="${_why:+$_why; }$_bad"
    fi
    # The boot time: QEMU start to the guest's marker, from the console stamps.
    _bt=$(sed -n 's/^\[ *\([0-9]*\)\.[0-9]*\] ADE-GUEST: booted.*/\1/p' "$_run/console.log")
    if [ -z "$_why" ]; then
        echo "PASS: $_label (${_bt:-$_t} s)"
        [ -n "$_figures" ] && printf '%s\n' "$_figures"
        return 0
    fi
    {
        echo "FAIL: $_label ($_t s): $_why"
        [ -n "$_figures" ] && printf '%s\n' "$_figures"
        echo "    console: $_run/console.log; its last 40 lines:"
        tail -n 40 "$_run/console.log" | sed 's/^/    | /'
    }
    return 1
}

# Internal: one boot, called by xargs from the main run.
if [ "${1:-}" = --boot-one ]; then
    shift
    boot_one "$@"
    exit $?
fi

case " $* " in
    *" --list "* | *" -h "* | *" --help "*) ;;
    *) q_need_root "$@" ;;
esac
mode=ours
kinds="systemd shell"
jobs=2
long=0
names=
while [ $# -gt 0 ]; do
    case "$1" in
        --stock) mode=stock ;;
        --long) long=1 ;;
        --suite)
            case "${2:-}" in bullseye | bookworm | trixie) ;; *) q_die "--suite: bullseye, bookworm or trixie, not '${2:-}'" ;; esac
            shift
            ;;
        --kind)
            kinds=${2:-}
            shift
            ;;
        -j)
            jobs=${2:-2}
            shift
            ;;
        --list)
            for f in "$Q_DIR"/scenarios/*.sh; do
                b=${f##*/}
                v=$(scn_variants "$f")
                printf '%-22s %s%s\n' "${b%.sh}" "$(sed -n 's/^scn_title="\(.*\)"$/\1/p' "$f")" \
                    "${v:+ (variants: $v)}"
            done
            exit 0
            ;;
        -h | --help)
            usage
            exit 0
            ;;
        -*)
            usage >&2
            exit 2
            ;;
        *) names="$names $1" ;;
    esac
    shift
done
for k in $kinds; do
    case "$k" in systemd | shell | itools) ;; *) q_die "--kind: systemd, shell or itools, not '$k'" ;; esac
done

host_deps
if [ "$mode" = ours ]; then
    bin=${ADE_UNLOCK_BIN:-$Q_TOP/unlock/ade-unlock}
    [ -x "$bin" ] || q_die "no $bin: run 'make unlock/ade-unlock' first"
    # This run's copy: a rebuild during the run changes nothing under it.
    mkdir -p "$Q_BUILD/runs"
    cp "$bin" "$Q_BUILD/runs/ade-unlock.$$"
    ADE_UNLOCK_BIN=$Q_BUILD/runs/ade-unlock.$$
    export ADE_UNLOCK_BIN
    trap 'rm -f "$Q_BUILD/runs/ade-unlock.$$"' EXIT
fi

units=
if [ -z "$names" ]; then
    for f in "$Q_DIR"/scenarios/*.sh; do
        units="$units $(scn_units "$f" "$long")"
    done
else
    for n in $names; do
        u=$(scn_lookup "$n") || q_die "no scenario '$n' (see --list)"
        units="$units $u"
    done
fi

start=$(date +%s)
# Inputs first (each cached): kernel, builder, root tree, then the images of
# each kind side by side, then every scenario's disks.
q_builder
q_roottree
[ "$mode" = ours ] && q_install_module
for k in $kinds; do
    (q_initrd "$mode" "$k") &
done
wait
for k in $kinds; do
    q_initrd "$mode" "$k" || exit 1
done
for u in $units; do
    scn_prepare "$u"
done
q_log "inputs ready after $(($(date +%s) - start)) s; booting ($jobs at a time)"

out=$Q_BUILD/runs/results.$$
mkdir -p "$Q_BUILD/runs"
: > "$out"
for u in $units; do
    # A scenario that stock dracut cannot boot says so (scn_modes=ours).
    # (scn_modes_VARIANT=, where a variant differs from its file's default).
    m=
    case "$u" in *@*) m=$(sed -n "s/^scn_modes_${u##*@}=//p" "${u%@*}") ;; esac
    [ -n "$m" ] || m=$(sed -n 's/^scn_modes=//p' "${u%@*}")
    case " ${m:-ours stock} " in
        *" $mode "*) ;;
        *)
            q_log "${u##*/}: not a $mode scenario"
            continue
            ;;
    esac
    # The kinds a scenario boots in (scn_kinds="systemd itools"; per variant
    # scn_kinds_VARIANT=), where not all: the others are not its case.
    sk=
    case "$u" in *@*) sk=$(sed -n "s/^scn_kinds_${u##*@}=\"*\([^\"]*\)\"*$/\1/p" "${u%@*}") ;; esac
    [ -n "$sk" ] || sk=$(sed -n 's/^scn_kinds="*\([^"]*\)"*$/\1/p' "${u%@*}")
    uk=
    for k in $kinds; do
        case " ${sk:-$k} " in *" $k "*) uk="$uk $k" ;; esac
    done
    if [ -z "$uk" ]; then
        q_log "${u##*/}: not a scenario of the kinds $kinds"
        continue
    fi
    scn_prepare "$u"
    for k in $uk; do
        printf '%s %s %s %s\n' "$u" "$k" "$mode" "$S_DIR"
    done
done | xargs -n 4 -P "$jobs" sh "$here/run.sh" --boot-one | tee "$out"

passed=$(grep -c '^PASS: ' "$out")
failed=$(grep -c '^FAIL: ' "$out")
skipped=$(grep -c '^SKIP: ' "$out")
rm -f "$out"
q_log "QEMU suite took $(($(date +%s) - start)) s"
if [ "$skipped" -gt 0 ]; then
    echo "$passed passed, $failed failed, $skipped skipped"
else
    echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
