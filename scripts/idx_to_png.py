#!/usr/bin/env python3
"""Converts the Fashion-MNIST IDX files (gzip) into class folders of 8-bit gray PNGs.

usage: idx_to_png.py SOURCE_DIR OUT_DIR

Writes OUT_DIR/train/<class>/NNNNN.png (60,000) and OUT_DIR/test/<class>/NNNNN.png
(10,000), NNNNN being the image's index in its IDX file, and prints the counts.
Python standard library only: PNGs are written byte by byte with zlib, so the same
input gives the same bytes. Called by scripts/fashion-mnist.sh, which installs the
data first.
"""
import gzip
import os
import struct
import sys
import zlib

CLASSES = ["t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle-boot"]
SPLITS = [("train", "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", 60000),
          ("test", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", 10000)]


def fail(message):
    sys.exit(f"idx_to_png.py: {message}")


def read_idx(path, magic, item_shape):
    """The raw item bytes of an IDX file, checked against the expected magic and item shape."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = len(item_shape) + 1
    header = 4 + 4 * dims
    if len(data) < header:
        fail(f"{path}: truncated IDX header")
    found_magic, *shape = struct.unpack(f">I{dims}I", data[:header])
    if found_magic != magic or tuple(shape[1:]) != item_shape:
        fail(f"{path}: magic {found_magic:#010x} shape {shape}, expected {magic:#010x} (n, {item_shape})")
    item_size = 1
    for d in item_shape:
        item_size *= d
    if len(data) != header + shape[0] * item_size:
        fail(f"{path}: {len(data) - header} data bytes, expected {shape[0] * item_size}")
    return shape[0], data[header:]


def chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def gray_png(pixels, width, height):
    """An 8-bit grayscale PNG of `pixels` (row-major bytes), no filtering, zlib level 9."""
    rows = b"".join(b"\x00" + pixels[y * width:(y + 1) * width] for y in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(rows, 9))
            + chunk(b"IEND", b""))


def convert(source, out):
    counts = {}
    for split, images_name, labels_name, expected in SPLITS:
        n, pixels = read_idx(os.path.join(source, images_name), 0x803, (28, 28))
        m, labels = read_idx(os.path.join(source, labels_name), 0x801, ())
        if n != expected or m != n:
            fail(f"{split}: {n} images and {m} labels, expected {expected} of each")
        for name in CLASSES:
            os.makedirs(os.path.join(out, split, name), exist_ok=True)
        for i in range(n):
            label = labels[i]
            if label >= len(CLASSES):
                fail(f"{split}: label {label} of image {i} is not 0...9")
            png = gray_png(pixels[i * 784:(i + 1) * 784], 28, 28)
            with open(os.path.join(out, split, CLASSES[label], f"{i:05d}.png"), "wb") as f:
                f.write(png)
            counts[(split, CLASSES[label])] = counts.get((split, CLASSES[label]), 0) + 1
    return counts


def main(argv):
    if len(argv) != 3:
        sys.exit(__doc__.strip().splitlines()[2])
    source, out = argv[1:]
    counts = convert(source, out)
    for split, _, _, _ in SPLITS:
        per_class = ", ".join(f"{name} {counts.get((split, name), 0)}" for name in CLASSES)
        print(f"{split}: {sum(counts.get((split, name), 0) for name in CLASSES)} images ({per_class})")


if __name__ == "__main__":
    main(sys.argv)
