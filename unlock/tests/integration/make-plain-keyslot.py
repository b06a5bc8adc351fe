#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Turns a LUKS image made by cryptsetup into a hostile one that needs no key.

  make-plain-keyslot.py IMAGE VOLUME_KEY_FILE [SLOT]
      Keyslot SLOT (default 0) is rewritten as cipher_null-ecb: its area then
      holds the volume key's AF-split material in plain, so that any
      passphrase "decrypts" it and the digest matches (libcryptsetup before
      2.8.1 opens it). This is what someone who can write the disk's raw
      blocks, and formatted it with a key of their own, can do.
  make-plain-keyslot.py --segment IMAGE
      The data segment's cipher is rewritten as cipher_null-ecb, the keyslots
      left as they are: the real key still opens the header, and the mapping
      then shows the disk's bytes unencrypted (written by anyone).

  make-plain-keyslot.py --old-reencrypt IMAGE
      An online reencryption's metadata as cryptsetup before 2.3.7/2.4.3
      wrote it: requirement "online-reencrypt" (version 1) and no digest
      over the reencrypt keyslot (CVE-2021-4122 added both; 2.6.1 refuses
      the old form until "cryptsetup repair" upgrades it).

Both LUKS2 header copies are rewritten (JSON, sequence number, checksum), as
cryptsetup writes them. A LUKS1 image (one cipher for keyslots and data) gets
cipher_null/ecb as its cipher and keyslot SLOT's material in plain.
"""
import hashlib
import json
import os
import struct
import sys

MAGIC = (b"LUKS\xba\xbe", b"SKUL\xba\xbe")
NULL_CIPHER = "cipher_null-ecb"


def diffuse(buf, hname):
    """LUKS AF diffusion: each digest-sized block hashed with its index."""
    ds = hashlib.new(hname).digest_size
    out = bytearray()
    for i in range((len(buf) + ds - 1) // ds):
        blk = buf[i * ds:(i + 1) * ds]
        out += hashlib.new(hname, struct.pack(">I", i) + blk).digest()[:len(blk)]
    return bytes(out)


def xor(a, b):
    return bytes(x ^ y for x, y in zip(a, b))


def af_split(key, stripes, hname):
    """The inverse of libcryptsetup's AF_merge: random stripes, the last
    one chosen so that merging gives key."""
    d = bytes(len(key))
    out = bytearray()
    for _ in range(stripes - 1):
        s = os.urandom(len(key))
        out += s
        d = diffuse(xor(d, s), hname)
    out += xor(d, key)
    return bytes(out)


def read_header(f, off):
    f.seek(off)
    bin_hdr = bytearray(f.read(4096))
    if bin_hdr[:6] not in MAGIC or struct.unpack_from(">H", bin_hdr, 6)[0] != 2:
        sys.exit("no LUKS2 header at %d" % off)
    hdr_size = struct.unpack_from(">Q", bin_hdr, 8)[0]
    area = f.read(hdr_size - 4096)
    return bin_hdr, hdr_size, area


def write_headers(f, meta):
    """Writes meta (the JSON object) into both header copies."""
    bin0, hdr_size, _ = read_header(f, 0)
    text = json.dumps(meta, separators=(",", ":")).encode()
    if len(text) >= hdr_size - 4096:
        sys.exit("JSON does not fit")
    area = text + bytes(hdr_size - 4096 - len(text))
    seqid = struct.unpack_from(">Q", bin0, 16)[0] + 1
    for off in (0, hdr_size):
        b, _, _ = read_header(f, off)
        if b[72:80].rstrip(b"\0") != b"sha256":
            sys.exit("checksum algorithm is not sha256")
        struct.pack_into(">Q", b, 16, seqid)
        b[448:512] = bytes(64)
        csum = hashlib.sha256(bytes(b) + area).digest()
        b[448:448 + len(csum)] = csum
        f.seek(off)
        f.write(bytes(b) + area)


def plain_luks1(f, vk, slot):
    """LUKS1: the header's one cipher becomes cipher_null, SLOT's AF
    material is written in plain (the master-key digest still matches)."""
    f.seek(0)
    hdr = bytearray(f.read(592))
    key_bytes = struct.unpack_from(">I", hdr, 108)[0]
    if len(vk) != key_bytes:
        sys.exit("volume key is %d bytes, header wants %d" % (len(vk), key_bytes))
    hname = hdr[72:104].rstrip(b"\0").decode()
    ks = 208 + 48 * int(slot)
    active, _, _, off, stripes = struct.unpack_from(">II32sII", hdr, ks)
    if active != 0x00AC71F3:
        sys.exit("keyslot %s is not active" % slot)
    hdr[8:40] = b"cipher_null".ljust(32, b"\0")
    hdr[40:72] = b"ecb".ljust(32, b"\0")
    f.seek(0)
    f.write(hdr)
    f.seek(off * 512)
    f.write(af_split(vk, stripes, hname))


def main(argv):
    old_reencrypt = len(argv) > 1 and argv[1] == "--old-reencrypt"
    segment = old_reencrypt or (len(argv) > 1 and argv[1] == "--segment")
    if segment:
        argv = argv[1:]
    if len(argv) < (2 if segment else 3):
        sys.exit(__doc__)
    with open(argv[1], "r+b") as f:
        if not segment and f.read(8) == MAGIC[0] + b"\0\1":
            with open(argv[2], "rb") as k:
                plain_luks1(f, k.read(), argv[3] if len(argv) > 3 else "0")
            return
        _, _, area = read_header(f, 0)
        meta = json.loads(area.split(b"\0", 1)[0])
        if old_reencrypt:
            slots = [k for k, v in meta["keyslots"].items() if v["type"] == "reencrypt"]
            if not slots:
                sys.exit("no reencrypt keyslot")
            for d in [k for k, v in meta["digests"].items() if v["keyslots"] == slots]:
                del meta["digests"][d]
            req = meta["config"]["requirements"]["mandatory"]
            req[:] = ["online-reencrypt" if r.startswith("online-reencrypt") else r for r in req]
        elif segment:
            for seg in meta["segments"].values():
                seg["encryption"] = NULL_CIPHER
        else:
            slot = argv[3] if len(argv) > 3 else "0"
            ks = meta["keyslots"][slot]
            with open(argv[2], "rb") as k:
                vk = k.read()
            if len(vk) != ks["key_size"]:
                sys.exit("volume key is %d bytes, keyslot wants %d" %
                         (len(vk), ks["key_size"]))
            material = af_split(vk, ks["af"]["stripes"], ks["af"]["hash"])
            if len(material) > int(ks["area"]["size"]):
                sys.exit("AF material does not fit the keyslot area")
            f.seek(int(ks["area"]["offset"]))
            f.write(material)
            ks["area"]["encryption"] = NULL_CIPHER
        write_headers(f, meta)


if __name__ == "__main__":
    main(sys.argv)
