#!/usr/bin/env python3
"""The end-to-end job in PyTorch + Pillow, the peer that `bench/run` times against
`segma encode DIR | segma transfer --to dress --steps 4 | segma decode -o OUT`.

    peer_job.py DIR -o OUT [--model models/fashion-mnist.segma] [--to dress] [--steps 4] [--threads 2]

Reads every PNG under DIR with Pillow, encodes them in batches of 256 with the
model's own weights (read from the segma model file), moves each latent from its
predicted class i towards --to as segma transfer does, z + t (m_to - m_i) for
t = 1/N ... 1, decodes with a sigmoid and writes 8-bit PNGs under the names segma
gives them: OUT/<id>.transfer-<class>.<frame>.png, id the path relative to DIR's
parent without extension. torch uses --threads threads; files are read and written
in the main thread (a pool of 2 threads made Pillow's reads and writes of these
small PNGs 1.6x slower here, a pool of 2 processes 3.7x: the time is in Python, under
the GIL, and in pickling).
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch
from PIL import Image

from segma_torch import classifier_logits, load_segma_model

BATCH = 256


def find_images(root):
    """PNGs under root, sorted, with their ids (path from root's parent, no extension)."""
    parent = os.path.dirname(os.path.abspath(root).rstrip("/"))
    found = []
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = sorted(d for d in subfolders if not d.startswith("."))
        for name in sorted(files):
            if name.lower().endswith(".png") and not name.startswith("."):
                path = os.path.join(folder, name)
                found.append((path, os.path.splitext(os.path.relpath(os.path.abspath(path), parent))[0]))
    return sorted(found, key=lambda item: item[1])


def read_gray(path, side):
    """An image as the model reads it: gray floats in [0, 1] (the Fashion-MNIST PNGs are already side x side)."""
    with Image.open(path) as image:
        pixels = np.asarray(image.convert("L"), dtype=np.float32) / 255
    assert pixels.shape == (side, side), f"{path}: {pixels.shape}, expected {side}x{side}"
    return pixels.reshape(-1)


def write_gray(path, pixels, side):
    # Rounded half away from zero and clamped, as segma quantises.
    values = np.clip(np.floor(pixels * 255 + 0.5), 0, 255).astype(np.uint8).reshape(side, side)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    Image.fromarray(values, mode="L").save(path)


def transfer_batch(encoder, decoder, means, weights, x, target, fractions):
    """Decoded frames (len(fractions) per image, image-major) for the images x (B, P)."""
    z = encoder(x)
    own = classifier_logits(z, means, weights).argmax(1)
    step = means[target][None, :] - means[own]
    t = torch.tensor(fractions)
    frames = z[:, None, :] + t[None, :, None] * step[:, None, :]
    return torch.sigmoid(decoder(frames.reshape(-1, z.shape[1])))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("input")
    parser.add_argument("-o", "--output", required=True)
    parser.add_argument("--model", default=os.path.join(os.path.dirname(__file__), "..", "models", "fashion-mnist.segma"))
    parser.add_argument("--to", default="dress")
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    encoder, decoder, means, weights, metadata = load_segma_model(args.model)
    assert metadata["architecture"] == "mlp" and metadata["channels"] == "1", "the peer handles gray mlp models"
    side = int(metadata["image_width"])
    classes = json.loads(metadata["class_names"])
    target = classes.index(args.to)
    fractions = [n / args.steps for n in range(1, args.steps + 1)]
    width = len(str(args.steps))
    images = find_images(args.input)

    started = time.perf_counter()
    with torch.inference_mode():
        for begin in range(0, len(images), BATCH):
            batch = images[begin:begin + BATCH]
            x = torch.from_numpy(np.stack([read_gray(path, side) for path, _ in batch]))
            frames = transfer_batch(encoder, decoder, means, weights, x, target, fractions).numpy()
            paths = [os.path.join(args.output, f"{image_id}.transfer-{args.to}.{n:0{width}d}.png")
                     for _, image_id in batch for n in range(1, args.steps + 1)]
            for path, pixels in zip(paths, frames):
                write_gray(path, pixels, side)
    seconds = time.perf_counter() - started
    print(f"peer_job: {len(images)} images, {len(images) * args.steps} frames in {seconds:.1f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
