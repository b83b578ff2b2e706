#!/usr/bin/env python3
"""How close two output folders of the same job are, pixel by pixel.

    compare_images.py A B [--files N]

Takes N files spread evenly over A's sorted PNGs, reads the file of the same name in
B, and prints key=value lines: files compared, files missing in B, the largest and
the mean absolute difference in 8-bit levels, and how many pixels differ.
"""
import argparse
import os

import numpy as np
from PIL import Image


def pngs(root):
    return sorted(os.path.relpath(os.path.join(folder, name), root)
                  for folder, _, names in os.walk(root) for name in names if name.endswith(".png"))


def pixels(path):
    with Image.open(path) as image:
        return np.asarray(image, dtype=np.int16)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("a")
    parser.add_argument("b")
    parser.add_argument("--files", type=int, default=50)
    args = parser.parse_args()

    names = pngs(args.a)
    chosen = names[::max(1, len(names) // args.files)][:args.files]
    missing, differences = 0, []
    for name in chosen:
        other = os.path.join(args.b, name)
        if not os.path.exists(other):
            missing += 1
            continue
        differences.append(np.abs(pixels(os.path.join(args.a, name)) - pixels(other)).ravel())
    every = np.concatenate(differences) if differences else np.zeros(1)
    print(f"compared={len(differences)}")
    print(f"missing={missing}")
    print(f"max_abs_diff={every.max()}")
    print(f"mean_abs_diff={every.mean():.4f}")
    print(f"differing_pixels={np.count_nonzero(every)}/{every.size}")


if __name__ == "__main__":
    main()
