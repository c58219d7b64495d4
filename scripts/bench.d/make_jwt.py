#!/usr/bin/env python3
"""Print a signed JWT (compact form) for scripts/bench's jwt rows.

Usage: make_jwt.py --alg HS256 --issuer ISS --audience AUD
           (the HMAC secret is read from $BENCH_JWT_SECRET, not the command line)
       make_jwt.py --alg ES256 --key KEY.pem --issuer ISS --audience AUD
           (KEY.pem: a P-256 private key; `openssl dgst` signs)

The token has `sub`, `iat` (now) and an `exp` a year away, so it never
expires during a run. Standard library only: HS256 with hmac; for ES256,
openssl's DER ECDSA-Sig-Value is converted to the JOSE form, r || s as two
32-byte big-endian integers (RFC 7518 section 3.4).
"""
import argparse
import base64
import hashlib
import hmac
import json
import os
import subprocess
import sys
import time

YEAR = 365 * 24 * 3600


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def der_length(der: bytes, pos: int) -> tuple:
    """The DER length at der[pos]: (length, position after it)."""
    first = der[pos]
    if first < 0x80:
        return first, pos + 1
    count = first & 0x7F
    return int.from_bytes(der[pos + 1:pos + 1 + count], "big"), pos + 1 + count


def der_to_jose(der: bytes, size: int = 32) -> bytes:
    """SEQUENCE { INTEGER r, INTEGER s } -> r || s, each `size` bytes."""
    if der[0] != 0x30:
        raise ValueError("ECDSA signature is not a DER SEQUENCE")
    _, pos = der_length(der, 1)
    out = b""
    for _ in range(2):
        if der[pos] != 0x02:
            raise ValueError("ECDSA signature: expected an INTEGER")
        length, pos = der_length(der, pos + 1)
        value = der[pos:pos + length].lstrip(b"\x00")  # DER adds a 0 byte before a high bit
        if len(value) > size:
            raise ValueError("ECDSA signature: integer longer than the curve size")
        out += value.rjust(size, b"\x00")
        pos += length
    return out


def sign(alg: str, signing_input: bytes, key: str) -> bytes:
    if alg == "HS256":
        secret = os.environ.get("BENCH_JWT_SECRET", "")
        if not secret:
            raise ValueError("HS256 needs the secret in $BENCH_JWT_SECRET")
        return hmac.new(secret.encode(), signing_input, hashlib.sha256).digest()
    if not key:
        raise ValueError("ES256 needs --key")
    der = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key], input=signing_input,
                         capture_output=True, check=True).stdout
    return der_to_jose(der)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--alg", choices=["HS256", "ES256"], required=True)
    parser.add_argument("--key", default="", help="ES256: PEM private key")
    parser.add_argument("--issuer", required=True)
    parser.add_argument("--audience", required=True)
    args = parser.parse_args()

    now = int(time.time())
    header = {"alg": args.alg, "typ": "JWT"}
    payload = {"iss": args.issuer, "aud": args.audience, "sub": "bench-user", "iat": now,
               "exp": now + YEAR}
    signing_input = ".".join(b64url(json.dumps(part, separators=(",", ":")).encode())
                             for part in (header, payload)).encode("ascii")
    try:
        signature = sign(args.alg, signing_input, args.key)
    except (ValueError, subprocess.CalledProcessError) as exc:
        print(f"make_jwt.py: {exc}", file=sys.stderr)
        return 1
    print(signing_input.decode("ascii") + "." + b64url(signature))
    return 0


if __name__ == "__main__":
    sys.exit(main())
