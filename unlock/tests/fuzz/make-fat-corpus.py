#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""make-fat-corpus.py: writes the seed images of fuzz_fat (FAT12/16/32, good and malicious).

usage: make-fat-corpus.py [OUTDIR]   (default: corpus/fat next to this script)

Every image is built from scratch by the small FAT writer below (standard
library only, deterministic: fixed serial, no timestamps), so FAT32 seeds
need not be 33 MiB: the data region is cut after the last cluster in use,
and the reader under test accepts a device that ends before the volume
does. The malicious seeds take a good image and break one thing each.
"""
import os
import struct
import sys

KEY = (b"dMfe2mB6I37OI5yCRLB/fth1yvBtw1lc9V+a4dd7iFNr6b/r+JIN3QVPAprp91/kIGs6lw"
       b"jSrsfRDP8xE6IhenTH3tpgeiN+ziOcgkSwf37YdcrwbcNZXPVfmuHXe4hTa+m/6/iSDd0F"
       b"TwKa6fdf5CBrOpcI0q7H0Qz/MROiIQ==")
assert len(KEY) == 172

LFN_AT = (1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30)
SHORT_OK = set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'()-@^_`{}~")


def checksum(name11):
    s = 0
    for b in name11:
        s = (((s & 1) << 7) + (s >> 1) + b) & 0xff
    return s


def dirent(name11, attr, cluster, size, nt=0):
    return (name11 + struct.pack("<BBBHHHHHHHI", attr, nt, 0, 0, 0, 0,
                                 cluster >> 16, 0, 0, cluster & 0xffff,
                                 size))


def lfn_entries(name, csum):
    units = list(struct.unpack("<%dH" % (len(name.encode("utf-16-le")) // 2),
                               name.encode("utf-16-le")))
    if len(units) % 13:
        units.append(0)
    while len(units) % 13:
        units.append(0xffff)
    n = len(units) // 13
    out = []
    for i in range(n, 0, -1):
        e = bytearray(32)
        e[0] = i | (0x40 if i == n else 0)
        e[11] = 0x0f
        e[13] = csum
        for k, at in enumerate(LFN_AT):
            struct.pack_into("<H", e, at, units[(i - 1) * 13 + k])
        out.append(bytes(e))
    return out


class Dir:
    def __init__(self, fs, first=None):
        self.fs = fs
        self.entries = []       # 32-byte entries
        self.first = first      # None: the fixed FAT12/16 root
        self.aliases = set()

    def short_name(self, name):
        """(name11, nt flags, needs a long name) as Windows would pick."""
        base, dot, ext = name.rpartition(".")
        if not dot:
            base, ext = name, ""
        plain = (0 < len(base) <= 8 and len(ext) <= 3 and name.isascii() and
                 all(c in SHORT_OK for c in (base + ext).upper().encode()))
        if plain and (base + ext) == (base + ext).upper():
            return ((base.ljust(8) + ext.ljust(3)).encode(), 0, False)
        if plain and base.lower() == base and ext.lower() == ext:
            return ((base.upper().ljust(8) + ext.upper().ljust(3)).encode(),
                    0x18, False)

        def clean(s):
            return "".join(c if c.isascii() and c.upper().encode()[0] in
                           SHORT_OK else "_"
                           for c in s.upper().replace(" ", ""))
        b, x = clean(base)[:6], clean(ext)[:3]
        for n in range(1, 10):
            cand = (b + "~%d" % n).ljust(8) + x.ljust(3)
            if cand not in self.aliases:
                self.aliases.add(cand)
                return (cand.encode(), 0, True)
        raise ValueError("too many aliases")

    def add(self, name, attr, cluster, size, deleted=False):
        name11, nt, long_ = self.short_name(name)
        ents = lfn_entries(name, checksum(name11)) if long_ else []
        ents.append(dirent(name11, attr, cluster, size, nt))
        if deleted:
            ents = [b"\xe5" + e[1:] for e in ents]
        self.entries.extend(ents)
        return len(self.entries) - 1

    def file(self, name, data, deleted=False, stride=1):
        clusters = self.fs.alloc(max(1, -(-len(data) // self.fs.cs)),
                                 stride) if data else []
        first = clusters[0] if clusters else 0
        for i, c in enumerate(clusters):
            self.fs.write_cluster(c, data[i * self.fs.cs:(i + 1) * self.fs.cs])
        if deleted:
            for c in clusters:
                self.fs.fat[c] = 0
        return self.add(name, 0x20, first, len(data), deleted)

    def mkdir(self, name):
        c = self.fs.alloc(1)[0]
        sub = Dir(self.fs, c)
        sub.entries.append(dirent(b".          ", 0x10, c, 0))
        # ".." of a directory in the root says 0, even on FAT32.
        parent = 0 if self is self.fs.root else self.first
        sub.entries.append(dirent(b"..         ", 0x10, parent, 0))
        self.add(name, 0x10, c, 0)
        self.fs.dirs.append(sub)
        return sub


class Fat:
    """A FAT volume with clusters counted, not sized, so the type is exact."""

    def __init__(self, bits, clusters, bps=512, spc=1, nfats=2,
                 root_entries=64, label=b"BEK VOLUME "):
        self.bits, self.n, self.bps, self.spc = bits, clusters, bps, spc
        self.cs = bps * spc
        self.nfats = nfats
        self.rsvd = 32 if bits == 32 else 1
        self.root_entries = 0 if bits == 32 else root_entries
        fat_bytes = {12: ((clusters + 2) * 3 + 1) // 2,
                     16: (clusters + 2) * 2, 32: (clusters + 2) * 4}[bits]
        self.fatsz = -(-fat_bytes // bps)
        self.root_sectors = -(-self.root_entries * 32 // bps)
        self.data_sector = self.rsvd + nfats * self.fatsz + self.root_sectors
        self.tot = self.data_sector + clusters * spc
        self.fat = [0] * (clusters + 2)
        self.fat[0] = {12: 0xff8, 16: 0xfff8, 32: 0x0ffffff8}[bits]
        self.fat[1] = self.eoc = {12: 0xfff, 16: 0xffff, 32: 0x0fffffff}[bits]
        self.data = {}          # cluster -> bytes
        self.next = 2
        self.dirs = []
        self.label = label
        if bits == 32:
            self.root = Dir(self, self.alloc(1)[0])
            self.dirs.append(self.root)
        else:
            self.root = Dir(self)
        if label:
            self.root.entries.append(dirent(label, 0x08, 0, 0))

    def alloc(self, count, stride=1):
        out = []
        for _ in range(count):
            while self.fat[self.next] != 0:
                self.next += 1
            out.append(self.next)
            self.next += stride
        for a, b in zip(out, out[1:]):
            self.fat[a] = b
        self.fat[out[-1]] = self.eoc
        return out

    def write_cluster(self, c, data):
        self.data[c] = bytes(data).ljust(self.cs, b"\0")

    def boot_sector(self):
        b = bytearray(512)
        b[0:3] = b"\xeb\x58\x90" if self.bits == 32 else b"\xeb\x3c\x90"
        b[3:11] = b"MSDOS5.0"
        struct.pack_into("<HBHBHHBHHHII", b, 11, self.bps, self.spc,
                         self.rsvd, self.nfats, self.root_entries,
                         self.tot if self.tot < 0x10000 and self.bits != 32
                         else 0, 0xf8,
                         0 if self.bits == 32 else self.fatsz, 63, 255, 0,
                         0 if self.tot < 0x10000 and self.bits != 32
                         else self.tot)
        if self.bits == 32:
            struct.pack_into("<IHHIHH", b, 36, self.fatsz, 0, 0,
                             self.root.first, 1, 6)
            struct.pack_into("<BBBI", b, 64, 0x80, 0, 0x29, 0x0ade0ade)
            b[71:82] = self.label or b"NO NAME    "
            b[82:90] = b"FAT32   "
        else:
            struct.pack_into("<BBBI", b, 36, 0x80, 0, 0x29, 0x0ade0ade)
            b[43:54] = self.label or b"NO NAME    "
            b[54:62] = b"FAT12   " if self.bits == 12 else b"FAT16   "
        b[510:512] = b"\x55\xaa"
        return b

    def fat_bytes(self):
        if self.bits == 12:
            out = bytearray(((len(self.fat)) * 3 + 1) // 2 + 1)
            for c, v in enumerate(self.fat):
                o = c + c // 2
                if c & 1:
                    out[o] = (out[o] & 0x0f) | (v & 0x0f) << 4
                    out[o + 1] = (v >> 4) & 0xff
                else:
                    out[o] = v & 0xff
                    out[o + 1] = (out[o + 1] & 0xf0) | (v >> 8 & 0x0f)
            return bytes(out)
        fmt = "<%d%s" % (len(self.fat), "H" if self.bits == 16 else "I")
        return struct.pack(fmt, *self.fat)

    def image(self, cut=True, unend=()):
        """The image; unend: directories whose free tail is made deleted
        entries (no end marker)."""
        for d in self.dirs:
            raw = b"".join(d.entries)
            need = max(1, -(-len(raw) // self.cs))
            chain = [d.first]
            while self.fat[chain[-1]] < self.eoc - 7 and len(chain) < need:
                chain.append(self.fat[chain[-1]])
            while len(chain) < need:
                c = self.alloc(1)[0]
                self.fat[chain[-1]] = c
                chain.append(c)
            raw = raw.ljust(len(chain) * self.cs, b"\0")
            if d in unend:
                filler = b"\xe5DELETEDTXT" + bytes(21)
                raw = raw[:len(b"".join(d.entries))]
                raw += filler * ((len(chain) * self.cs - len(raw)) // 32)
            for i, c in enumerate(chain):
                self.data[c] = raw[i * self.cs:(i + 1) * self.cs]
        img = bytearray(self.data_sector * self.bps)
        img[0:512] = self.boot_sector()
        if self.bits == 32:
            # FSInfo (sector 1, nothing known) and the backup boot sector.
            fsi = bytearray(512)
            struct.pack_into("<I", fsi, 0, 0x41615252)
            struct.pack_into("<IIII", fsi, 484, 0x61417272, 0xffffffff,
                             0xffffffff, 0)
            struct.pack_into("<I", fsi, 508, 0xaa550000)
            img[self.bps:self.bps + 512] = fsi
            img[6 * self.bps:6 * self.bps + 512] = self.boot_sector()
        fb = self.fat_bytes()[:self.fatsz * self.bps]
        for i in range(self.nfats):
            o = (self.rsvd + i * self.fatsz) * self.bps
            img[o:o + len(fb)] = fb
        if self.bits != 32:
            raw = b"".join(self.root.entries)
            assert len(raw) <= self.root_entries * 32, "root too full"
            o = (self.rsvd + self.nfats * self.fatsz) * self.bps
            if self.root in unend:
                filler = b"\xe5DELETEDTXT" + bytes(21)
                raw += filler * (self.root_entries - len(raw) // 32)
            img[o:o + len(raw)] = raw
        last = max(self.data) if self.data else 1
        end = self.data_sector * self.bps + (last - 1) * self.cs
        if not cut:
            end = self.tot * self.bps
        img = img.ljust(end, b"\0")
        for c, blob in self.data.items():
            o = self.data_sector * self.bps + (c - 2) * self.cs
            if o < end:
                img[o:o + self.cs] = blob
        return bytes(img[:end])


def chain_bytes(n):
    return bytes((i * 7 + 3 + i // 251) & 0xff for i in range(n))


def ade_tree(fs, fragment=False, chain_len=3000):
    """The BEK volume of DESIGN 4.1 plus what exercises the reader."""
    r = fs.root
    r.file("Deleted_First_File.txt", b"gone\n", deleted=True)
    r.file("LinuxPassPhraseFileName", KEY)
    r.file("LinuxPassPhraseFileName_1_0", KEY)
    r.file("CRITICAL_DATA_WARNING_README.txt", b"Do not delete.\r\n")
    r.file("README.TXT", b"readme\n")
    r.file("lower.txt", b"lower\n")
    r.file("EMPTY", b"")
    r.file("Schl\u00fcssel_\u20ac.txt", b"key\n")
    r.file("Smile_\U0001f600.bin", b"smile\n")
    r.file("Long " + "n" * 60 + ".txt", b"long\n")
    r.file("chain.bin", chain_bytes(chain_len), stride=2 if fragment else 1)
    d = r.mkdir("dir")
    s = d.mkdir("sub")
    deeper = s.mkdir("deeper")
    deeper.file("Nested_Key_File", KEY)
    d.file("gone.txt", b"x", deleted=True)
    d.file("file_in_dir.txt", b"in dir\n")
    return fs


def entry_index(d, name11):
    for i, e in enumerate(d.entries):
        if e[:11] == name11 and e[11] != 0x0f:
            return i
    raise KeyError(name11)


def first_cluster(e):
    lo, = struct.unpack_from("<H", e, 26)
    hi, = struct.unpack_from("<H", e, 20)
    return hi << 16 | lo


def set_size(d, name11, size):
    i = entry_index(d, name11)
    e = bytearray(d.entries[i])
    struct.pack_into("<I", e, 28, size)
    d.entries[i] = bytes(e)


def seeds():
    out = {}
    out["fat12-ade.img"] = ade_tree(Fat(12, 100)).image(cut=False)
    out["fat12-fragmented-4k.img"] = ade_tree(
        Fat(12, 60, bps=4096, spc=1, nfats=1, root_entries=128),
        fragment=True, chain_len=8000).image()
    out["fat16-ade.img"] = ade_tree(Fat(16, 4200, root_entries=512)).image()
    out["fat16-2k-clusters.img"] = ade_tree(
        Fat(16, 4100, bps=1024, spc=2, nfats=1, root_entries=32)).image()
    out["fat32-ade.img"] = ade_tree(Fat(32, 65600, nfats=1)).image()

    # A key file whose chain loops (size wants 4 clusters, loop of 2).
    fs = Fat(16, 4200)
    fs.root.file("LinuxPassPhraseFileName", KEY * 12)
    c = first_cluster(fs.root.entries[entry_index(fs.root,
                                                  b"LINUXP~1   ")])
    fs.fat[c + 1] = c
    out["fat16-cluster-loop.img"] = fs.image()

    # A chain that points past the last cluster, and one that ends early.
    fs = Fat(12, 300)
    fs.root.file("LinuxPassPhraseFileName", KEY * 6)
    fs.root.file("LinuxPassPhraseFileName_1_0", KEY * 6)
    fs.fat[first_cluster(fs.root.entries[entry_index(
        fs.root, b"LINUXP~1   ")])] = 0xff0
    fs.fat[first_cluster(fs.root.entries[entry_index(
        fs.root, b"LINUXP~2   ")])] = 0xfff
    out["fat12-chain-past-end.img"] = fs.image()

    # A subdirectory whose chain loops and that has no end marker.
    fs = Fat(12, 200)
    d = fs.root.mkdir("dir")
    d.file("a.txt", b"a")
    fs.image()      # lays out d's cluster
    fs.fat[d.first] = d.first
    out["fat12-endless-dir.img"] = fs.image(unend=(d,))

    # A FAT32 root directory of two clusters pointing at each other.
    fs = Fat(32, 65600, nfats=1)
    fs.root.file("LinuxPassPhraseFileName", KEY)
    fs.image()
    c2 = fs.alloc(1)[0]
    fs.fat[fs.root.first] = c2
    fs.fat[c2] = fs.root.first
    fs.data[c2] = (b"\xe5DELETEDTXT" + bytes(21)) * (fs.cs // 32)
    out["fat32-root-loop.img"] = fs.image(unend=(fs.root,))

    # Long names: a wrong checksum, ordinals out of order, orphans.
    fs = Fat(16, 4200)
    r = fs.root
    r.file("Checksum_Test_File.txt", b"c")
    i = entry_index(r, b"CHECKS~1TXT")
    r.entries[i - 1] = r.entries[i - 1][:13] + b"\x00" + r.entries[i - 1][14:]
    r.file("Out_Of_Order_Name.txt", b"o")
    i = entry_index(r, b"OUT_OF~1TXT")
    r.entries[i - 2], r.entries[i - 1] = r.entries[i - 1], r.entries[i - 2]
    r.entries.extend(lfn_entries("orphan long name", 0x55))
    bogus = bytearray(lfn_entries("x", 0)[0])
    bogus[0] = 0x40 | 25
    r.entries.append(bytes(bogus))
    r.file("LinuxPassPhraseFileName", KEY)
    out["fat16-lfn-broken.img"] = fs.image()

    # Size fields larger than the chain and than the volume.
    fs = Fat(16, 4200)
    fs.root.file("LinuxPassPhraseFileName", KEY)
    fs.root.file("LinuxPassPhraseFileName_1_0", KEY)
    set_size(fs.root, b"LINUXP~1   ", 0xffffffff)
    set_size(fs.root, b"LINUXP~2   ", 4096)
    out["fat16-size-lies.img"] = fs.image()

    # FAT32 entries with the reserved high bits set, and a bad cluster.
    fs = ade_tree(Fat(32, 65600, nfats=1))
    for c in range(2, 40):
        if fs.fat[c]:
            fs.fat[c] |= 0xf0000000
    c = first_cluster(fs.root.entries[entry_index(fs.root, b"CHAIN   BIN")])
    fs.fat[c + 2] = 0x0ffffff7
    out["fat32-high-bits.img"] = fs.image()
    return out


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        here, "corpus", "fat")
    os.makedirs(outdir, exist_ok=True)
    total = 0
    for name, blob in sorted(seeds().items()):
        assert len(blob) <= 1 << 20, name
        with open(os.path.join(outdir, name), "wb") as f:
            f.write(blob)
        total += len(blob)
        print("%-28s %8d bytes" % (name, len(blob)))
    print("%-28s %8d bytes" % ("total", total))


if __name__ == "__main__":
    main()
