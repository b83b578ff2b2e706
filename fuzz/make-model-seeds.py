#!/usr/bin/env python3
"""Writes the model-file fuzz seeds in fuzz/seeds/model/ (committed; rerun only to change them).

A real model is megabytes (the mlp's hidden layers are 1024 wide), too big for a seed,
so each seed has a complete segma header (DESIGN section 6: config in __metadata__,
the architecture's tensor names, F32, offsets that tile the data) over tensors of a
few values. ModelFile.decode accepts them; the architecture check then refuses
their shapes, which leaves the fuzzer every header check to mutate its way through.
"""
import json
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seeds", "model")

MLP = ["encoder.0", "encoder.2", "encoder.4", "decoder.0", "decoder.2", "decoder.4"]
CONV = ["encoder.0", "encoder.2", "encoder.4", "encoder.6", "encoder.9",
        "decoder.0", "decoder.3", "decoder.5", "decoder.7", "decoder.9"]


def model_file(metadata, layers, classes, latent, extra=()):
    """Header and data: each layer's weight (2, 2) and bias (2), then the means (K, D)."""
    shapes = [(f"{layer}.{part}", [2, 2] if part == "weight" else [2])
              for layer in layers for part in ("weight", "bias")]
    shapes += [("means", [classes, latent])] + list(extra)
    header = {"__metadata__": metadata}
    data = b""
    for index, (name, shape) in enumerate(shapes):
        count = 1
        for size in shape:
            count *= size
        values = struct.pack(f"<{count}f", *[0.25 * ((index + i) % 5 - 2) for i in range(count)])
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [len(data), len(data) + len(values)]}
        data += values
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data


def metadata(architecture, width, height, channels, names, latent):
    weights = [1 / len(names)] * len(names)
    weights[-1] = 1 - sum(weights[:-1])
    return {
        "format": "segma-model", "format_version": "1", "architecture": architecture,
        "image_width": str(width), "image_height": str(height), "channels": str(channels),
        "latent_dim": str(latent), "class_names": json.dumps(names, separators=(",", ":")),
        "class_weights": json.dumps(weights, separators=(",", ":")),
        "training.epochs": "1", "training.seed": "1",
    }


def main():
    os.makedirs(OUT, exist_ok=True)
    fashion = ["t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle-boot"]
    seeds = {
        "mlp.segma": model_file(metadata("mlp", 28, 28, 1, fashion, 10), MLP, 10, 10),
        "conv.segma": model_file(metadata("conv", 32, 32, 3, ["circle", "square", "triangle"], 8), CONV, 3, 8),
        # A checkpoint carries Adam moments beside the model's tensors.
        "checkpoint.segma": model_file(
            metadata("mlp", 4, 4, 1, ["a", "b\u00e9"], 3), MLP, 2, 3, extra=[("adam.means.m", [2, 3])]),
    }
    for name, data in seeds.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
