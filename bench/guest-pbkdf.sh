#!/bin/sh
# SPDX-License-Identifier: MIT
# PBKDF speeds of the two crypto backends inside the QEMU guest (the kernel
# the initramfs really runs on: AF_ALG present), and --self-check=all there.
# Boots the test kernel with a tiny initramfs: busybox, both static builds,
# the crypto and dm modules; its init runs the benchmarks and powers off.
# ADE_BENCH_PBKDF_TIMES: PBKDF parameter sets to time there too (what a LUKS
# header's parameters demand), separated by ';', each "KDF HASH ITERATIONS
# MEMORY_KIB THREADS" (bench/pbkdf-time.c); their lines start "pbkdf-time".
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
# shellcheck disable=SC2034  # read by lib.sh
Q_TOP=$top
# shellcheck disable=SC1091  # the harness library is checked on its own
. tests/qemu/lib.sh
q_need_root "$@"
host_deps
q_kernel
q_builder

for be in nettle kernel; do
    make -s BACKEND="$be" "unlock/ade-unlock-$be" >/dev/null 2>&1
done
mkdir -p build/bench
gcc -specs=unlock/musl-static-pie.specs -std=gnu11 -O2 -static-pie -fPIE \
    -o build/bench/pbkdf-time bench/pbkdf-time.c -Lbuild/musl/cryptsetup-nettle/lib \
    -Lbuild/musl/lib -lcryptsetup -ldevmapper -ljson-c -lblkid -luuid -lnettle \
    -lbearssl -lpthread -lm
out=build/bench/guest
rm -rf "$out"
mkdir -p "$out/root/bin" "$out/root/sbin" "$out/root/lib/modules" "$out/root/proc" \
    "$out/root/sys" "$out/root/dev" "$out/root/tmp" "$out/root/run"
cp "$Q_BUILDER/bin/busybox" "$out/root/bin/busybox"
for a in sh mount modprobe echo cat poweroff sleep tail; do
    ln -s busybox "$out/root/bin/$a"
done
ln -s ../bin/busybox "$out/root/sbin/modprobe"
cp unlock/ade-unlock-nettle unlock/ade-unlock-kernel build/bench/pbkdf-time "$out/root/bin/"
# ADE_BENCH_SELFCHECK=0: leave out --self-check=all (make bench does not print it).
[ "${ADE_BENCH_SELFCHECK:-1}" = 0 ] && : > "$out/root/no-self-check"
printf '%s\n' "${ADE_BENCH_PBKDF_TIMES:-pbkdf2 sha256 1000 0 1}" | tr ';' '\n' |
    sed '/^ *$/d' > "$out/root/pbkdf-times"
cp -a "$Q_BUILDER/usr/lib/modules/$Q_KVER" "$out/root/lib/modules/"
# Only what the benchmark needs: crypto and device-mapper.
find "$out/root/lib/modules/$Q_KVER/kernel" -name '*.ko*' |
    grep -v -e '/crypto/' -e '/drivers/md/' -e '/arch/x86/crypto/' \
        -e '/drivers/block/loop' | xargs rm -f
cat > "$out/root/init" <<'INIT'
#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
# TCG's default CPU has no AES-NI: aesni_intel may refuse; the generic AES
# serves then. The kernel loads crypto templates itself via /sbin/modprobe.
for m in af_alg algif_hash algif_skcipher dm_crypt loop aesni_intel ecb cbc xts sha256_generic sha512_generic; do
    modprobe "$m" 2>/dev/null || echo "ADE-BENCH: (module $m not loaded)"
done
for be in nettle kernel; do
    echo "ADE-BENCH: backend $be"
    /bin/ade-unlock-$be --benchmark=500 2>&1 | while read -r l; do echo "ADE-BENCH: $l"; done
    [ -e /no-self-check ] && continue
    /bin/ade-unlock-$be --debug --self-check=all > /tmp/sc 2>&1
    echo "ADE-BENCH: $be --self-check=all exit $?"
    while read -r l; do echo "ADE-BENCH:   $l"; done < /tmp/sc
done
# What given header parameters cost here (3 rounds each, median).
while read -r kdf hash iter mem par; do
    /bin/pbkdf-time "$kdf" "$hash" "$iter" "$mem" "$par" 3 2>&1 |
        while read -r l; do echo "ADE-BENCH: $l"; done
done < /pbkdf-times
poweroff -f
INIT
chmod 0755 "$out/root/init"
(cd "$out/root" && find . | cpio -o -H newc --quiet | gzip -1) > "$out/initrd.img"
timeout -k 5 600 qemu-system-x86_64 -accel tcg -m 1024 -smp 1 -nographic \
    -no-reboot -kernel "$Q_VMLINUZ" -initrd "$out/initrd.img" \
    -append "console=ttyS0 quiet panic=-1" > "$out/console.log" 2>&1 || true
grep 'ADE-BENCH' "$out/console.log" | sed 's/^ADE-BENCH: //' | tr -d '\r'
