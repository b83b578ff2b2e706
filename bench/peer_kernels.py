#!/usr/bin/env python3
"""What PyTorch computes with on this machine, as key=value lines for `bench/run`.

    peer_kernels.py [--threads 2]

The MKL and oneDNN versions PyTorch was built with (MKL runs the dense layers'
SGEMM, oneDNN the convolutions), the CPU capability it dispatches to, and MKL's best
SGEMM rate on a 2048 square with these threads: the peer's counterpart of
segma-bench's peak_gflops.
"""
import argparse
import re
import time

import torch


def built_with(pattern):
    match = re.search(pattern, torch.__config__.show())
    return match.group(1) if match else "unknown"


def sgemm_gflops(n, repeats=5):
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b  # warm-up: MKL's first call sets up its threads and buffers
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - started)
    return 2 * n**3 / best / 1e9


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch={torch.__version__}")
    print(f"threads={torch.get_num_threads()}")
    print(f"cpu_capability={torch.backends.cpu.get_cpu_capability()}")
    mkl = built_with(r"Math Kernel Library Version ([0-9.]+)") if torch.backends.mkl.is_available() else "none"
    onednn = built_with(r"MKL-DNN (v[0-9.]+)") if torch.backends.mkldnn.is_available() else "none"
    print(f"mkl={mkl}")
    print(f"onednn={onednn}")
    print(f"peak_gflops={sgemm_gflops(2048):.1f}")


if __name__ == "__main__":
    main()
