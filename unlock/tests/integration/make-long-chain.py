#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Turns a FAT32 image made by mkfs.vfat (and its files put there by mcopy)
into a hostile BEK volume: every file's directory entry starts at one cluster
whose chain then runs through every other cluster of the volume, in a stride
that leaves the FAT reader's 1 KiB window at every link, before it ends.
Each file is small, so its data is read at once; telling that the chain does
not end there costs one FAT read per cluster of the volume, for every file.

usage: make-long-chain.py IMAGE
"""
import math
import struct
import sys

EOC = 0x0FFFFFFF
STRIDE = 263  # FAT32 entries: more than the 256 of the reader's window


def main():
    path = sys.argv[1]
    with open(path, "r+b") as f:
        bs = f.read(512)
        bps, spc = struct.unpack_from("<HB", bs, 11)
        rsvd, nfats = struct.unpack_from("<HB", bs, 14)
        tot32 = struct.unpack_from("<I", bs, 32)[0]
        fatsz, = struct.unpack_from("<I", bs, 36)
        root, = struct.unpack_from("<I", bs, 44)
        if fatsz == 0 or tot32 == 0:
            sys.exit("not FAT32")
        fat_off = rsvd * bps
        data_off = (rsvd + nfats * fatsz) * bps
        clusters = (tot32 - rsvd - nfats * fatsz) // spc
        csize = bps * spc
        f.seek(fat_off)
        fat = bytearray(f.read(fatsz * bps))

        def entry(c):
            return struct.unpack_from("<I", fat, 4 * c)[0] & 0x0FFFFFFF

        # The root directory's clusters stay as they are.
        rootc = [root]
        while entry(rootc[-1]) < 0x0FFFFFF8:
            rootc.append(entry(rootc[-1]))
        keep = set(rootc)
        free = [c for c in range(2, clusters + 2) if c not in keep]
        n = len(free)
        stride = STRIDE
        while math.gcd(stride, n) != 1:
            stride += 1
        order = [free[(i * stride) % n] for i in range(n)]
        for a, b in zip(order, order[1:]):
            struct.pack_into("<I", fat, 4 * a, b)
        struct.pack_into("<I", fat, 4 * order[-1], EOC)
        start = order[0]
        for i in range(nfats):
            f.seek(fat_off + i * fatsz * bps)
            f.write(fat)

        # Every file of the root directory now starts there.
        files = 0
        for c in rootc:
            off = data_off + (c - 2) * csize
            f.seek(off)
            d = bytearray(f.read(csize))
            for i in range(0, csize, 32):
                if d[i] in (0x00, 0xE5) or d[i + 11] & 0x0F == 0x0F:
                    continue
                if d[i + 11] & 0x18:  # volume label or directory
                    continue
                struct.pack_into("<H", d, i + 20, start >> 16)
                struct.pack_into("<H", d, i + 26, start & 0xFFFF)
                files += 1
            f.seek(off)
            f.write(d)
    print(f"{files} files start at cluster {start}; its chain has {n} links")


if __name__ == "__main__":
    main()
