#!/usr/bin/env python3
"""Rewrites the chunk CRCs of PNG files in place: fuzz/run builds ignore CRCs, so a PNG
it finds usually has wrong ones, which a normal build rejects before reaching the bug.
Run it on a PNG before committing it to fixtures/fuzz-regressions/image/.

    fuzz/fix-png-crcs.py FILE...
"""
import struct
import sys
import zlib

SIGNATURE = b"\x89PNG\r\n\x1a\n"


def fixed(data):
    out, at = bytearray(data[:8]), 8
    while at + 12 <= len(data):
        (length,) = struct.unpack(">I", data[at:at + 4])
        end = at + 8 + length
        if end + 4 > len(data):
            break  # a truncated last chunk stays as it is
        body = data[at + 4:end]
        out += data[at:end] + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)
        at = end + 4
    return bytes(out + data[at:])


for path in sys.argv[1:]:
    with open(path, "rb") as f:
        data = f.read()
    if not data.startswith(SIGNATURE):
        sys.exit(f"{path}: not a PNG")
    with open(path, "wb") as f:
        f.write(fixed(data))
