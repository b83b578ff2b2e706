#!/usr/bin/env python3
"""PyTorch reference values for SegmaKit's training step (Tests/SegmaKitTests/ReferenceTests.swift).

Builds a tiny `mlp` and a tiny `conv` SeGMA exactly as segma does (DESIGN sections 1-2:
same layers, parameter names, loss, Cramer-Wold distance, Gaussian classifier, Adam
with global-norm clipping), with seeded weights and inputs, runs one training step
and writes every input, loss term, gradient and the parameters after one Adam step
to reference-<arch>.safetensors beside this script (float32 tensors; small
metadata). Needs: pip install "torch==2.13.0+cpu". The Swift test needs no PyTorch.
"""
import json
import math
import os
import struct

import sys

import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
# The models and loss terms, shared with the benchmark's PyTorch peer (written once,
# for either precision).
sys.path.insert(0, os.path.join(HERE, "..", "..", "bench"))
from segma_torch import classifier_logits, conv, cramer_wold, mlp  # noqa: E402

torch.set_default_dtype(torch.float64)  # the reference in double; the Swift side in float


def step(name, encoder, decoder, image_shape, latent, classes, bu, bl, lr):
    torch.manual_seed(1234)
    pixels = math.prod(image_shape)
    means = nn.Parameter(torch.randn(classes, latent) * 0.8)
    weights = torch.softmax(torch.randn(classes), 0)
    xu = torch.rand(bu, *image_shape)
    xl = torch.rand(bl, *image_shape)
    yl = torch.randint(0, classes, (bl,))
    params = {f"encoder.{k}": v for k, v in encoder.named_parameters()}
    params.update({f"decoder.{k}": v for k, v in decoder.named_parameters()})
    params["means"] = means
    before = {k: v.detach().clone() for k, v in params.items()}

    z = encoder(torch.cat([xu, xl]))
    zu, zl = z[:bu], z[bu:]
    out = torch.sigmoid(decoder(zu))
    rec = ((out - xu) ** 2).reshape(bu, -1).sum(1).mean()
    d2 = cramer_wold(zu, means, weights)
    ce = nn.functional.cross_entropy(classifier_logits(zl, means, weights), yl)
    loss = rec + 5 * torch.log(d2) + 10 * ce
    loss.backward()
    grads = {k: v.grad.detach().clone() for k, v in params.items()}
    norm = torch.nn.utils.clip_grad_norm_(list(params.values()), 5.0)
    torch.optim.Adam(list(params.values()), lr=lr, betas=(0.9, 0.999), eps=1e-8).step()

    tensors = {"input.unlabelled": xu.reshape(bu, pixels), "input.labelled": xl.reshape(bl, pixels),
               "input.labels": yl.double(), "input.class_weights": weights,
               "output.latents": z, "output.reconstructions": out.reshape(bu, pixels)}
    for k in params:
        tensors[f"param.{k}"] = before[k]
        tensors[f"grad.{k}"] = grads[k]
        tensors[f"adam.{k}"] = params[k].detach()
    scalars = {"rec": rec.item(), "d2": d2.item(), "ce": ce.item(), "loss": loss.item(),
               "grad_norm": norm.item(), "lr": lr, "latent": latent, "classes": classes,
               "shape": list(image_shape)}
    write_safetensors(os.path.join(HERE, f"reference-{name}.safetensors"), tensors, scalars)
    print(name, {k: v for k, v in scalars.items() if isinstance(v, float)})


def write_safetensors(path, tensors, scalars):
    header = {"__metadata__": {"scalars": json.dumps(scalars)}}
    blobs, offset = [], 0
    for key, value in tensors.items():
        data = value.detach().to(torch.float32).contiguous().numpy().tobytes()
        header[key] = {"dtype": "F32", "shape": list(value.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


if __name__ == "__main__":
    torch.manual_seed(7)
    encoder, decoder = mlp(pixels=16, hidden=12, latent=4)
    step("mlp", encoder, decoder, (16,), latent=4, classes=3, bu=6, bl=3, lr=1e-2)
    torch.manual_seed(8)
    encoder, decoder = conv(channels=3, side=16, widths=[4, 4, 8, 8], latent=5)
    step("conv", encoder, decoder, (3, 16, 16), latent=5, classes=3, bu=5, bl=2, lr=1e-2)
