#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""make-jwe.py: makes JWE test tokens with python3-jwcrypto, an implementation independent of keyfile.c.

usage: make-jwe.py --alg ALG [--enc ENC] [--kek HEX] [--header JSON]
                   --plaintext FILE --out FILE

Writes one JWE compact serialization, no newline, to --out. The protected
header is --header verbatim (so tests can check that the AAD is the header
segment exactly as it appears in the file), else {"alg":ALG,"enc":ENC}.
--kek is the key-encryption key in hex for "dir" and the AES key wraps; for
RSA-OAEP a fresh RSA key is made and thrown away.
"""
import argparse
import json
import sys

from jwcrypto import jwe, jwk


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--alg", required=True)
    ap.add_argument("--enc", default="A256GCM")
    ap.add_argument("--kek")
    ap.add_argument("--header")
    ap.add_argument("--plaintext", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()

    if a.alg.startswith("RSA"):
        key = jwk.JWK.generate(kty="RSA", size=2048)
    else:
        key = jwk.JWK(kty="oct", k=jwk.base64url_encode(bytes.fromhex(a.kek)))
    header = a.header
    if header is None:
        header = json.dumps({"alg": a.alg, "enc": a.enc}, separators=(",", ":"))
    with open(a.plaintext, "rb") as f:
        plaintext = f.read()

    hdr = json.loads(header)
    token = jwe.JWE(plaintext, protected=header)
    token.allowed_algs = [hdr["alg"], hdr["enc"]]
    token.add_recipient(key)
    compact = token.serialize(compact=True)

    # Read the token back with jwcrypto before a test relies on it (not
    # possible with "crit": jwcrypto rightly refuses unknown extensions).
    if "crit" not in hdr:
        check = jwe.JWE()
        check.allowed_algs = token.allowed_algs
        check.deserialize(compact, key=key)
        if check.payload != plaintext:
            sys.exit("make-jwe.py: jwcrypto does not read back its token")

    with open(a.out, "w", encoding="ascii") as f:
        f.write(compact)


if __name__ == "__main__":
    main()
