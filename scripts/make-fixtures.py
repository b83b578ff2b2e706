#!/usr/bin/env python3
"""Writes the codec fixtures in fixtures/images/ (committed; rerun only to change them).

PNGs are written here byte by byte (stdlib zlib only) so every colour type, bit depth,
tRNS and Adam7 case is exactly what the tests expect. JPEGs come from ImageMagick's
`convert` (apt-get install imagemagick), made from flat colour blocks whose centres
survive compression; the EXIF orientation segment is inserted here. The plain
(non-YCCK) Adobe CMYK JPEG comes from Pillow (pip install Pillow), since
ImageMagick always writes YCCK.
Pixel formulas are repeated in Tests/ImageCodecsTests/FixtureTests.swift.
"""
import os
import struct
import subprocess
import sys
import tempfile
import zlib

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "images")


def chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def pack_row(samples, depth):
    """One scanline's samples packed at `depth` bits (1, 2, 4, 8 or 16)."""
    if depth == 16:
        return b"".join(struct.pack(">H", s) for s in samples)
    if depth == 8:
        return bytes(samples)
    per_byte = 8 // depth
    out = bytearray()
    for i in range(0, len(samples), per_byte):
        byte = 0
        group = samples[i:i + per_byte]
        for j, s in enumerate(group):
            byte |= s << (8 - depth * (j + 1))
        out.append(byte)
    return bytes(out)


ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def write_png(name, width, height, color_type, depth, pixel, palette=None, trns=None, interlace=False):
    """pixel(x, y) returns the tuple of samples (or the palette index) of one pixel."""
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[color_type]

    def scanlines(xs, ys):
        raw = b""
        for y in ys:
            samples = [s for x in xs for s in pixel(x, y)]
            assert len(samples) == len(xs) * channels
            raw += b"\x00" + pack_row(samples, depth)  # filter type 0
        return raw

    if interlace:
        raw = b""
        for x0, y0, dx, dy in ADAM7:
            xs, ys = list(range(x0, width, dx)), list(range(y0, height, dy))
            if xs and ys:
                raw += scanlines(xs, ys)
    else:
        raw = scanlines(list(range(width)), list(range(height)))
    data = b"\x89PNG\r\n\x1a\n"
    data += chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, depth, color_type, 0, 0, 1 if interlace else 0))
    if palette:
        data += chunk(b"PLTE", b"".join(bytes(c) for c in palette))
    if trns is not None:
        data += chunk(b"tRNS", trns)
    data += chunk(b"IDAT", zlib.compress(raw, 9))
    data += chunk(b"IEND", b"")
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


PALETTE = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0)]


def pngs():
    write_png("gray1.png", 8, 2, 0, 1, lambda x, y: ((x + y) % 2,))
    write_png("gray2.png", 4, 2, 0, 2, lambda x, y: ((x + 4 * y) % 4,))
    write_png("gray4.png", 16, 1, 0, 4, lambda x, y: (x,))
    write_png("gray8.png", 16, 16, 0, 8, lambda x, y: (x * 16 + y,))
    write_png("gray16.png", 4, 4, 0, 16, lambda x, y: (x * 16384 + y * 1000 + 7,))
    write_png("gray8-trns.png", 4, 1, 0, 8, lambda x, y: (x * 50,), trns=struct.pack(">H", 50))
    write_png("gray-alpha.png", 4, 1, 4, 8, lambda x, y: (x * 80, 255 - x * 85))
    write_png("gray-alpha16.png", 2, 1, 4, 16, lambda x, y: (x * 40000 + 1, 65535 - x))
    write_png("rgb8.png", 3, 2, 2, 8, lambda x, y: (x * 100, y * 200, 7))
    write_png("rgb16.png", 3, 2, 2, 16, lambda x, y: (x * 30000, y * 60000 + 5, 65535))
    write_png("rgba8.png", 2, 2, 6, 8, lambda x, y: (10, 20, 30, x * 100 + y * 50))
    write_png("palette1.png", 8, 1, 3, 1, lambda x, y: (x % 2,), palette=PALETTE[:2])
    write_png("palette2.png", 4, 1, 3, 2, lambda x, y: (x,), palette=PALETTE)
    write_png("palette4-trns.png", 4, 2, 3, 4, lambda x, y: ((x + y) % 4,), palette=PALETTE,
              trns=bytes([0, 128]))
    write_png("interlaced.png", 9, 7, 2, 8, lambda x, y: (x * 20, y * 30, (x * y) % 256), interlace=True)
    write_png("interlaced-gray1.png", 11, 5, 0, 1, lambda x, y: ((x * y + x) % 2,), interlace=True)


def exif_orientation_segment(value):
    """APP1 'Exif' with a big-endian TIFF header and one IFD0 entry: Orientation (SHORT)."""
    tiff = b"MM\x00\x2a" + struct.pack(">I", 8)
    tiff += struct.pack(">H", 1) + struct.pack(">HHIHH", 0x0112, 3, 1, value, 0) + struct.pack(">I", 0)
    payload = b"Exif\x00\x00" + tiff
    return b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload


def jpegs():
    with tempfile.TemporaryDirectory() as tmp:
        two_blocks = os.path.join(tmp, "two-blocks.png")  # 32x16: red left half, blue right half
        subprocess.run(["convert", "-size", "16x16", "xc:#ff0000", "-size", "16x16", "xc:#0000ff", "+append",
                        two_blocks], check=True)

        def convert(*args):
            subprocess.run(["convert", two_blocks, *args], check=True)

        convert("-quality", "95", os.path.join(OUT, "baseline.jpg"))
        convert("-quality", "95", "-interlace", "JPEG", os.path.join(OUT, "progressive.jpg"))
        convert("-quality", "95", "-colorspace", "CMYK", os.path.join(OUT, "cmyk.jpg"))
        subprocess.run(["convert", "-size", "16x16", "xc:gray(64)", "-size", "16x16", "xc:gray(192)", "+append",
                        "-colorspace", "Gray", "-quality", "95", os.path.join(OUT, "gray.jpg")], check=True)
        with open(os.path.join(OUT, "baseline.jpg"), "rb") as f:
            baseline = f.read()
        with open(os.path.join(OUT, "orientation6.jpg"), "wb") as f:
            f.write(baseline[:2] + exif_orientation_segment(6) + baseline[2:])

    from PIL import Image  # only for the plain Adobe CMYK case

    cmyk = Image.new("CMYK", (32, 16))
    for y in range(16):
        for x in range(32):
            cmyk.putpixel((x, y), (0, 255, 255, 0) if x < 16 else (255, 255, 0, 0))  # red | blue, as ink
    cmyk.save(os.path.join(OUT, "cmyk-adobe.jpg"), quality=95)


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    pngs()
    jpegs()
    print("wrote", len(os.listdir(OUT)), "files to", os.path.normpath(OUT), file=sys.stderr)
