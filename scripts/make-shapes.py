#!/usr/bin/env python3
"""Writes a synthetic colour data set for the `conv` architecture: 32x32 RGB PNGs of
circles, squares and triangles in random colours, sizes and places, one folder per
class: OUT/train/<shape>/NNNNN.png and OUT/test/<shape>/NNNNN.png.

    scripts/make-shapes.py [OUT] [--train N] [--test N] [--seed S]

Python 3 stdlib only; deterministic for a seed.
"""
import argparse
import os
import random
import struct
import zlib

SIDE = 32
SHAPES = ["circle", "square", "triangle"]


def png_bytes(pixels):
    """8-bit RGB PNG of rows of (r, g, b) tuples."""
    raw = b"".join(b"\x00" + bytes(c for p in row for c in p) for row in pixels)

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", SIDE, SIDE, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b"")


def inside(shape, x, y, cx, cy, r):
    if shape == "circle":
        return (x - cx) ** 2 + (y - cy) ** 2 <= r * r
    if shape == "square":
        return abs(x - cx) <= r * 0.85 and abs(y - cy) <= r * 0.85
    # triangle pointing up: apex (cx, cy - r), base at y = cy + r
    if y < cy - r or y > cy + r:
        return False
    half = (y - (cy - r)) / 2
    return abs(x - cx) <= half


def image(shape, rng):
    background = tuple(rng.randrange(0, 100) for _ in range(3))
    colour = tuple(rng.randrange(120, 256) for _ in range(3))
    r = rng.uniform(6, 12)
    cx, cy = rng.uniform(r, SIDE - r), rng.uniform(r, SIDE - r)
    return [[colour if inside(shape, x + 0.5, y + 0.5, cx, cy, r) else background for x in range(SIDE)]
            for y in range(SIDE)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", nargs="?", default="data/shapes")
    parser.add_argument("--train", type=int, default=2000, help="images per class for training")
    parser.add_argument("--test", type=int, default=300, help="images per class for testing")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    for split, count in (("train", args.train), ("test", args.test)):
        for shape in SHAPES:
            folder = os.path.join(args.out, split, shape)
            os.makedirs(folder, exist_ok=True)
            for i in range(count):
                with open(os.path.join(folder, f"{i:05d}.png"), "wb") as f:
                    f.write(png_bytes(image(shape, rng)))
    print(f"wrote {len(SHAPES) * (args.train + args.test)} images to {args.out}")


if __name__ == "__main__":
    main()
