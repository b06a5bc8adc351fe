#!/bin/sh
# SPDX-License-Identifier: MIT
# make bench: figures and ratios, not assertions. First what needs no VM:
# binary sizes per crypto backend, where the bytes go, and host-side micro
# figures (FAT lookup among 1000 files, 64-entry crypttab parse); then the
# QEMU part, bench/vm-latency.sh.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
out=build/bench
mkdir -p "$out"
export MTOOLS_SKIP_CHECK=1

echo "== ade-unlock benchmarks ($(date -u +%Y-%m-%d), $(nproc) cores, $(uname -m))"
echo
echo "-- size (stripped static PIE)"
for be in nettle kernel; do
    make -s BACKEND="$be" "unlock/ade-unlock-$be" >/dev/null 2>&1
done
sn=$(stat -c %s unlock/ade-unlock-nettle)
sk=$(stat -c %s unlock/ade-unlock-kernel)
printf '%-28s %9s bytes\n' "nettle backend (shipped)" "$sn"
printf '%-28s %9s bytes   (nettle/kernel = %s)\n' "kernel backend" "$sk" \
    "$(awk -v a="$sn" -v b="$sk" 'BEGIN { printf "%.2f", a / b }')"

# The same link, unstripped, to see where the bytes go.
objs=$(ls build/static-nettle/*.o)
# shellcheck disable=SC2086  # one word per object
gcc -specs=unlock/musl-static-pie.specs -static-pie -Wl,--gc-sections \
    -Wl,-Map,"$out/ade-unlock.map" -o "$out/ade-unlock.unstripped" $objs \
    -Lbuild/musl/cryptsetup-nettle/lib -Lbuild/musl/lib -lcryptsetup \
    -ldevmapper -ljson-c -lblkid -luuid -lnettle -lbearssl -lpthread -lm
echo
echo "-- bytes of code and data by library (from the link map)"
awk '
    # Input section lines: " .text.x  0xADDR  0xSIZE  file" (maybe wrapped).
    /^ \.(text|rodata|data|data\.rel\.ro)/ {
        if (NF == 1) { getline; $0 = "x " $0 }
        if (NF >= 4 && $3 ~ /^0x/) {
            f = $4
            sub(/\(.*/, "", f); n = split(f, p, "/"); f = p[n]
            if (f ~ /\.o$/) f = "ade-unlock (our code)"
            sz[f] += strtonum_hex($3)
        }
    }
    function strtonum_hex(h,   i, c, v) {
        v = 0; h = tolower(substr(h, 3))
        for (i = 1; i <= length(h); i++) { c = index("0123456789abcdef", substr(h, i, 1)) - 1; v = v * 16 + c }
        return v
    }
    END { for (f in sz) printf "  %8d  %s\n", sz[f], f }
' "$out/ade-unlock.map" | sort -rn | head -n 12
echo
echo "-- largest code and data symbols (file bytes; BSS left out)"
nm --size-sort -S -r "$out/ade-unlock.unstripped" | grep -v ' [bB] ' | head -n 15 |
    while read -r _ size kind name; do
        printf '  %8d  %s %s\n' "$((0x$size))" "$kind" "$name"
    done

echo
echo "-- zero-initialised memory (BSS, not in the file): $(size -A "$out/ade-unlock.unstripped" | awk '$1 == ".bss" { print $2 }') bytes"
echo
echo "-- host micro figures (no VM)"
# A BEK-like FAT16 volume holding 1000 files, the key file written last.
img="$out/fat-1000.img"
if [ ! -f "$img" ]; then
    rm -rf "$out/files"
    mkdir -p "$out/files"
    i=0
    while [ "$i" -lt 999 ]; do
        printf 'x' > "$out/files/LinuxPassPhraseFileName_9_$i"
        i=$((i + 1))
    done
    head -c 127 /dev/urandom | base64 -w0 > "$out/files/ZZ_LastKeyFile"
    mkfs.vfat -F 16 -n 'BEK VOLUME' -C "$img.tmp" 49152 >/dev/null
    mmd -i "$img.tmp" ::keys
    mcopy -i "$img.tmp" "$out"/files/* ::keys/
    mv "$img.tmp" "$img"
fi
ct="$out/crypttab-64"
: > "$ct"
i=0
while [ "$i" -lt 64 ]; do
    printf 'data%d UUID=%08x-0000-4000-8000-%012x /mnt/azure_bek_disk/LinuxPassPhraseFileName_1_%d luks,nofail,discard\n' \
        "$i" "$i" "$i" "$i" >> "$ct"
    i=$((i + 1))
done
libobjs=$(echo "$objs" | grep -v '/main\.o$')
# shellcheck disable=SC2086  # one word per object
gcc -specs=unlock/musl-static-pie.specs -std=gnu11 -O2 -static-pie -fPIE \
    -Iunlock/src -o "$out/micro" bench/micro.c $libobjs \
    -Lbuild/musl/cryptsetup-nettle/lib -Lbuild/musl/lib -lcryptsetup \
    -ldevmapper -ljson-c -lblkid -luuid -lnettle -lbearssl -lpthread -lm
"$out/micro" "$img" /keys/ZZ_LastKeyFile "$ct" 200

# The VM part (ADE_BENCH_VM=0 skips it): PBKDF speeds in the guest,
# initramfs sizes, boot latency and scaling against dracut's stock crypt
# module (bench/vm-latency.sh; its environment knobs are listed there).
if [ "${ADE_BENCH_VM:-1}" != 0 ]; then
    sh bench/vm-latency.sh
fi
