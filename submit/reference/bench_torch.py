"""Training-step throughput of one seresnext_torch preset in PyTorch on the CPU.

The PyTorch reference for `submit/local.sh bench-model`, with the same arguments: synthetic random input and
labels (fixed seed), the model in train mode, one SGD step with Nesterov momentum 0.9 per minibatch (forward,
cross-entropy, backward, update); the warm-up steps are untimed, each later step is timed, and one JSON line
reports the median, min and max images/sec over the timed steps and the process's peak RSS.

Needs PyTorch: `apt-get install python3-torch python3-torchvision`.
Example: `python3 bench_torch.py --preset seresnext29_8x16d_w1 --batch 64 --input 3x32x32 --threads 2`
"""
import argparse
import json
import os
import resource
import statistics
import time

import torch
import torch.nn.functional as F

import seresnext_torch


def main():
    a = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    a.add_argument("--preset", required=True, choices=seresnext_torch.PRESETS)
    a.add_argument("--batch", type=int, default=16, help="minibatch size (default 16)")
    a.add_argument("--input", help="input shape CxHxW (default: the preset's, 3xSIZExSIZE)")
    a.add_argument("--classes", type=int, help="number of classes (default: the preset's)")
    a.add_argument("--warmup", type=int, default=5, help="untimed steps first (default 5)")
    a.add_argument("--steps", type=int, default=10, help="timed steps (default 10)")
    a.add_argument("--threads", type=int, default=int(os.environ.get("OMP_NUM_THREADS", os.cpu_count())),
                   help="intra-op threads (default: OMP_NUM_THREADS, else the CPU count)")
    args = a.parse_args()
    p = seresnext_torch.PRESETS[args.preset]
    c, h, w = map(int, (args.input or f"3x{p['size']}x{p['size']}").split("x"))
    classes = args.classes or p["classes"]

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = seresnext_torch.create(args.preset, classes, in_channels=c).train()
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True)
    x = torch.randn(args.batch, c, h, w)
    y = torch.randint(0, classes, (args.batch,))

    seconds = []
    for i in range(args.warmup + args.steps):
        t = time.perf_counter()
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()
        if i >= args.warmup:
            seconds.append(time.perf_counter() - t)

    print(json.dumps({
        "preset": args.preset, "batch": args.batch, "input": f"{c}x{h}x{w}", "threads": args.threads,
        "steps": args.steps,
        "median_images_per_second": round(args.batch / statistics.median(seconds), 2),
        "min_images_per_second": round(args.batch / max(seconds), 2),
        "max_images_per_second": round(args.batch / min(seconds), 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }))


if __name__ == "__main__":
    main()
