"""SeGMA in PyTorch for the benchmark peers: the model, its loss and segma's model files.

The models and loss terms are also what Tests/Reference/make_reference.py imports to check
segma's training step against PyTorch in float64 on tiny models; here they run in
float32 at full size. Layer lists follow segma's Architecture.swift, so a segma model file's
tensor names are this module's state-dict keys.
"""
import json
import math
import struct

import numpy as np
import torch
from torch import nn


def phi(s, d):
    return (1 + 4 * s / (2 * d - 3)) ** -0.5


def squared_distances(a, b):
    # Written out rather than cdist(a, b) ** 2: cdist's gradient is 0/0 at zero distance.
    return ((a[:, None, :] - b[None, :, :]) ** 2).sum(-1)


def cramer_wold(x, means, weights):
    """d^2 between the batch x (N, D) and sum_k p_k N(m_k, I) (DESIGN section 1)."""
    n, d = x.shape
    k = means.shape[0]
    gamma = (4 / (3 * n / k)) ** 0.4
    s = 1.0
    xx = squared_distances(x, x)
    mm = squared_distances(means, means)
    xm = squared_distances(x, means)
    term_x = (4 * math.pi * gamma) ** -0.5 * phi(xx / (4 * gamma), d).sum() / n**2
    term_m = (weights[:, None] * weights[None, :] * (2 * math.pi * (2 * s + 2 * gamma)) ** -0.5
              * phi(mm / (4 * s + 4 * gamma), d)).sum()
    term_xm = 2 / n * (weights[None, :] * (2 * math.pi * (s + 2 * gamma)) ** -0.5
                       * phi(xm / (2 * s + 4 * gamma), d)).sum()
    return term_x + term_m - term_xm


def classifier_logits(z, means, weights):
    return torch.log(weights)[None, :] - squared_distances(z, means) / 2


def mlp(pixels, latent, hidden=1024):
    encoder = nn.Sequential(nn.Linear(pixels, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                            nn.Linear(hidden, latent))
    decoder = nn.Sequential(nn.Linear(latent, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                            nn.Linear(hidden, pixels))
    return encoder, decoder


def conv(channels, side, latent, widths=(32, 32, 64, 64)):
    w = [channels, *widths]
    flat = w[4] * (side // 16) ** 2
    layers = []
    for i in range(4):
        layers += [nn.Conv2d(w[i], w[i + 1], 4, stride=2, padding=1), nn.ReLU()]
    encoder = nn.Sequential(*layers, nn.Flatten(), nn.Linear(flat, latent))
    layers = [nn.Linear(latent, flat), nn.ReLU(), nn.Unflatten(1, (w[4], side // 16, side // 16))]
    for i in range(4):
        layers.append(nn.ConvTranspose2d(w[4 - i], w[3 - i], 4, stride=2, padding=1))
        if i < 3:
            layers.append(nn.ReLU())
    return encoder, nn.Sequential(*layers)


def initial_means(classes, latent, radius):
    """DESIGN section 1: dimension d belongs to component d mod K, m_k[d] = r K / D, plus N(0, 1e-6)."""
    means = torch.zeros(classes, latent)
    for d in range(latent):
        means[d % classes, d] = radius * classes / latent
    return means + 1e-3 * torch.randn(classes, latent)


def load_segma_model(path):
    """A segma model file (safetensors, DESIGN section 6) as (encoder, decoder, means, weights, metadata)."""
    with open(path, "rb") as f:
        blob = f.read()
    (length,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + length])
    metadata = header.pop("__metadata__")
    data = memoryview(blob)[8 + length:]
    tensors = {}
    for name, info in header.items():
        assert info["dtype"] == "F32", f"{path}: {name} is {info['dtype']}, expected F32"
        begin, end = info["data_offsets"]
        array = np.frombuffer(data[begin:end], dtype="<f4").reshape(info["shape"])
        tensors[name] = torch.from_numpy(array.copy())
    latent, channels = int(metadata["latent_dim"]), int(metadata["channels"])
    side = int(metadata["image_width"])
    assert side == int(metadata["image_height"]), "square images only"
    if metadata["architecture"] == "mlp":
        encoder, decoder = mlp(side * side * channels, latent)
    else:
        encoder, decoder = conv(channels, side, latent)
    encoder.load_state_dict({k[len("encoder."):]: v for k, v in tensors.items() if k.startswith("encoder.")})
    decoder.load_state_dict({k[len("decoder."):]: v for k, v in tensors.items() if k.startswith("decoder.")})
    weights = torch.tensor(json.loads(metadata["class_weights"]))
    return encoder.eval(), decoder.eval(), tensors["means"], weights, metadata
