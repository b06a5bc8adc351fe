#!/bin/sh
# SPDX-License-Identifier: MIT
# Every command the documentation shows exists and answers: the lines of each
# ```sh block of the tracked Markdown files, and the `make ...`,
# `ade-unlock --OPTION` and `ade-unlock-install --OPTION` spans of README.md.
#   make ARGS          `make -n ARGS` resolves (the target exists, its
#                      prerequisites have rules), every script its recipe runs
#                      exists, and one that takes --help answers it
#   ade-unlock[-install] OPTS, [sh] SCRIPT OPTS
#                      --help answers (exit 0) and names every --OPTION shown
# Anything else is a command this check does not know: a failure, so that a
# new kind of command in the README gets a check of its own here.
# ```sh-azure blocks are run on an operator's machine with the Azure CLI,
# which this machine has not: each block must parse (sh -n), and every az
# command it uses must be one of AZ_KNOWN, the commands whose flags were
# checked against the Azure CLI's source (docs/operators.md names it).
# (`make demo` is run for real by scripts/run-tests.sh, `make test` is this run.)
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
bad=0
n=0
fail() {
    echo "FAIL: $*"
    bad=$((bad + 1))
}

# "FILE<TAB>COMMAND" for each command line the documentation shows.
commands() {
    for md in $(git ls-files '*.md'); do
        awk -v f="$md" '
            /^```/ { insh = !insh && ($0 == "```sh"); next }
            insh {
                sub(/[ \t]+#.*$/, ""); sub(/^[ \t]+/, "")
                if ($0 != "" && $0 !~ /^#/) print f "\t" $0
            }' "$md"
    done
    # shellcheck disable=SC2016  # backquotes of Markdown, not of the shell
    grep -o '`[^`]*`' README.md | tr -d '`' |
        grep -E '^(make( [^ ].*)?|ade-unlock(-install)? --[a-z].*)$' |
        sed 's/^/README.md\t/'
}

# The options (--word) of a command line.
options() { printf '%s\n' "$1" | sed 's/[ =]/\n/g' | grep -E '^--[a-z]' | sort -u; }

# help NAME COMMAND...: runs COMMAND --help; it must exit 0 and print text
# naming every option of the documented line ($line).
help_answers() {
    _what=$1
    shift
    _h=$("$@" --help 2>&1) || {
        fail "$src: '$line': '$* --help' exited $?"
        return
    }
    [ -n "$_h" ] || fail "$src: '$line': '$* --help' printed nothing"
    for _o in $(options "$line"); do
        [ "$_o" = --help ] && continue
        printf '%s\n' "$_h" | grep -q -- "$_o" ||
            fail "$src: '$line': $_what --help does not name $_o"
    done
}

# "az GROUP... COMMAND" prefixes the documentation may use.
AZ_KNOWN="vm show|vm encryption show|disk show|keyvault secret show|keyvault secret list|keyvault key decrypt|rest|extension add|vm repair create|vm repair restore"
azure_blocks() {
    for md in $(git ls-files '*.md'); do
        awk -v f="$md" -v d="$1" '
            /^```/ {
                if (inaz) { close(out); inaz = 0; next }
                if ($0 == "```sh-azure") { k++; out = d "/" k; print f > (d "/" k ".src"); close(d "/" k ".src"); inaz = 1 }
                next
            }
            inaz { print > out }' "$md"
    done
}
azdir=$(mktemp -d)
azure_blocks "$azdir"
for b in "$azdir"/*.src; do
    [ -f "$b" ] || continue
    blk=${b%.src}
    src=$(cat "$b")
    n=$((n + 1))
    sh -n "$blk" 2> "$azdir/err" || fail "$src: a sh-azure block does not parse: $(head -n 1 "$azdir/err")"
    grep -o 'az [a-z][a-z -]*' "$blk" | sed 's/ -.*//; s/ *$//' | sort -u > "$azdir/used"
    while read -r used; do
        _ok=0
        _ifs=$IFS
        IFS='|'
        for k in $AZ_KNOWN; do
            case "$used " in "az $k "*) _ok=1 ;; esac
        done
        IFS=$_ifs
        [ "$_ok" -eq 1 ] || fail "$src: '$used': an az command whose flags were not checked (AZ_KNOWN)"
    done < "$azdir/used"
done
rm -rf "$azdir"

tab=$(printf '\t')
list=$(mktemp)
trap 'rm -f "$list"' EXIT
commands | sort -u > "$list"
while IFS=$tab read -r src line; do
    n=$((n + 1))
    # shellcheck disable=SC2086  # the documented words
    set -- $line
    case "$1" in
        make)
            shift
            _out=$(make -n "$@" 2>&1)
            _rc=$?
            if [ "$_rc" -ne 0 ] || printf '%s\n' "$_out" | grep -q 'No rule to make target'; then
                fail "$src: '$line': make -n exited $_rc: $(printf '%s\n' "$_out" | tail -n 1)"
                continue
            fi
            # The scripts the recipe runs (sh FILE ...): present, and those
            # with a usage answer --help.
            for _s in $(printf '%s\n' "$_out" | sed -n 's/^\(.*[;&|] *\)\{0,1\}sh \([^ ;]*\.sh\).*/\2/p' | sort -u); do
                if [ ! -f "$_s" ]; then
                    fail "$src: '$line': its recipe runs $_s, which does not exist"
                elif grep -q -- '--help)' "$_s"; then
                    _h=$(sh "$_s" --help 2>&1) || fail "$src: '$line': 'sh $_s --help' exited $?"
                fi
            done
            ;;
        ade-unlock)
            [ -x unlock/ade-unlock ] || { fail "$src: '$line': no unlock/ade-unlock (make first)"; continue; }
            help_answers ade-unlock unlock/ade-unlock
            ;;
        ade-unlock-install) help_answers ade-unlock-install sh hook/ade-unlock-install ;;
        sh)
            [ -f "${2:-}" ] || { fail "$src: '$line': no such script '${2:-}'"; continue; }
            help_answers "$2" sh "$2"
            ;;
        *) fail "$src: '$line': a command this check does not know (add a case for it)" ;;
    esac
done < "$list"
[ "$n" -gt 0 ] || fail "no commands found in the documentation"
if [ "$bad" -gt 0 ]; then
    echo "$bad of $n documented commands do not answer"
    exit 1
fi
echo "$n documented commands answer"
