#!/usr/bin/env python3
"""SeGMA training in PyTorch, the peer that `bench/run` times against `segma train`.

    peer_train.py DATA_DIR [--arch mlp|conv] [--epochs N] [--threads 2] [--adam fused|foreach|for-loop]

Trains the same model with the same loss, batches and optimiser as `segma train`
(DESIGN sections 1-2; model and loss in segma_torch.py): encoder on 100
unlabelled + 100 labelled images, decoder on the unlabelled ones, L = REC + 5 log d2_CW + 10 CE, means learned, Adam
lr 3e-4 with global-norm clipping 5, 100 labels per class. DATA_DIR holds one folder
of PNGs per class; every image is decoded once into a tensor before the clock starts,
as segma does. Prints segma's per-epoch line on stderr, the first step's loss terms,
and key=value results on stdout (images_per_second counts unlabelled images, as
segma's does).
"""
import argparse
import os
import sys
import time

import numpy as np
import torch
from PIL import Image
from torch import nn

from segma_torch import classifier_logits, conv, cramer_wold, initial_means, mlp


def load_class_folders(root, gray):
    """All PNGs under root/<class>/ (sorted) as floats in [0, 1], planar (N, C, H, W), and labels."""
    classes = sorted(c for c in os.listdir(root) if not c.startswith(".") and os.path.isdir(os.path.join(root, c)))
    images, labels = [], []
    for label, name in enumerate(classes):
        folder = os.path.join(root, name)
        for file in sorted(f for f in os.listdir(folder) if f.lower().endswith(".png")):
            with Image.open(os.path.join(folder, file)) as image:
                pixels = np.asarray(image.convert("L" if gray else "RGB"), dtype=np.uint8)
            images.append(pixels[None] if gray else pixels.transpose(2, 0, 1))
            labels.append(label)
    x = torch.from_numpy(np.stack(images)).float().div_(255)
    return x, torch.tensor(labels), classes


def labelled_subset(labels, classes, per_class, generator):
    """per_class random indices of each class, as segma's --labels-per-class draws them."""
    chosen = []
    for c in range(classes):
        members = (labels == c).nonzero().flatten()
        chosen.append(members[torch.randperm(len(members), generator=generator)[:per_class]])
    return torch.cat(chosen)


def make_adam(params, variant, lr):
    options = {"fused": {"fused": True}, "foreach": {"foreach": True}, "for-loop": {"foreach": False}}[variant]
    return torch.optim.Adam(params, lr=lr, betas=(0.9, 0.999), eps=1e-8, **options)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("data")
    parser.add_argument("--arch", choices=["mlp", "conv"], default="mlp")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--labels-per-class", type=int, default=100)
    # The fastest of the three in each of three rounds on mlp with 2 threads here (fused
    # 3190 img/s, for-loop 2720, foreach 1170 in the quietest round; the machine was shared).
    parser.add_argument("--adam", choices=["fused", "foreach", "for-loop"], default="fused")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    started = time.perf_counter()
    gray = args.arch == "mlp"
    x, y, class_names = load_class_folders(args.data, gray)
    n, channels, side = x.shape[0], x.shape[1], x.shape[2]
    if gray:
        x = x.reshape(n, -1)
    k = len(class_names)
    latent = 10 if gray and side == 28 else 20
    print(f"peer_train: {n} images, {k} classes, {args.arch}, D={latent}, loaded in "
          f"{time.perf_counter() - started:.1f} s", file=sys.stderr)

    encoder, decoder = mlp(x.shape[1], latent) if gray else conv(channels, side, latent)
    means = nn.Parameter(initial_means(k, latent, radius=2.0))
    labelled = labelled_subset(y, k, args.labels_per_class, torch.Generator().manual_seed(args.seed))
    weights = torch.bincount(y[labelled], minlength=k).float() / len(labelled)
    params = [*encoder.parameters(), *decoder.parameters(), means]
    optimizer = make_adam(params, args.adam, lr=3e-4)

    bu = args.batch_size
    bl = min(bu, len(labelled))
    steps = (n + bu - 1) // bu
    cursor, labelled_order = len(labelled), None
    total_seconds = 0.0
    for epoch in range(1, args.epochs + 1):
        started = time.perf_counter()
        order = torch.randperm(n)
        sums = {"rec": 0.0, "log_cw": 0.0, "ce": 0.0, "correct": 0}
        for step in range(steps):
            batch = order[step * bu:(step + 1) * bu]
            if cursor + bl > len(labelled):
                labelled_order, cursor = labelled[torch.randperm(len(labelled))], 0
            chosen = labelled_order[cursor:cursor + bl]
            cursor += bl
            xu, xl, yl = x[batch], x[chosen], y[chosen]

            z = encoder(torch.cat([xu, xl]))
            zu, zl = z[:len(batch)], z[len(batch):]
            out = torch.sigmoid(decoder(zu))
            rec = ((out - xu) ** 2).reshape(len(batch), -1).sum(1).mean()
            log_cw = torch.log(cramer_wold(zu, means, weights))
            logits = classifier_logits(zl, means, weights)
            ce = nn.functional.cross_entropy(logits, yl)
            loss = rec + 5 * log_cw + 10 * ce
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(params, 5.0)
            optimizer.step()

            sums["rec"] += rec.item() * len(batch)
            sums["log_cw"] += log_cw.item() * len(batch)
            sums["ce"] += ce.item() * bl
            sums["correct"] += (logits.argmax(1) == yl).sum().item()
            if epoch == 1 and step == 0:
                print(f"peer_train: step 1 REC {rec.item():.2f} logCW {log_cw.item():.3f} CE {ce.item():.3f} "
                      f"loss {loss.item():.3f}", file=sys.stderr)
        seconds = time.perf_counter() - started
        total_seconds += seconds
        print(f"peer_train: epoch {epoch}/{args.epochs} REC {sums['rec'] / n:.2f} logCW {sums['log_cw'] / n:.3f} "
              f"CE {sums['ce'] / (steps * bl):.3f} acc {100 * sums['correct'] / (steps * bl):.1f}% "
              f"{seconds:.1f} s, {n / seconds:.0f} img/s", file=sys.stderr)

    print(f"images_per_second={n * args.epochs / total_seconds:.1f}")
    print(f"seconds={total_seconds:.2f}")
    print(f"steps={steps * args.epochs}")
    print(f"adam={args.adam}")


if __name__ == "__main__":
    main()
