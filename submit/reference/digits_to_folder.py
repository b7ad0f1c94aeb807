"""Write scikit-learn's handwritten digits (1,797 8x8 scans, values 0..16) as an ImageNet-layout folder.

    apt-get install python3-sklearn python3-pil
    python3 digits_to_folder.py /tmp/digits --size 32 --val-fraction 0.2 --seed 0

gives OUT/train/<digit>/NNNN.png and OUT/val/<digit>/NNNN.png (NNNN: the scan's index in load_digits): grey PNGs,
values scaled to 0..255, upscaled bilinearly to --size pixels. The split is stratified and deterministic: the
same --seed and --val-fraction always put the same scans in val/. A small real dataset that both the Spark job
and train_torch.py read.
"""
import argparse
import os
import sys

import numpy as np
from PIL import Image
from sklearn.datasets import load_digits


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out_dir")
    ap.add_argument("--size", type=int, default=32, help="side of the written images (default 32)")
    ap.add_argument("--val-fraction", type=float, default=0.2, help="share of each digit in val/ (default 0.2)")
    ap.add_argument("--seed", type=int, default=0, help="seed of the split (default 0)")
    a = ap.parse_args()
    if not 0 < a.val_fraction < 1:
        sys.exit("--val-fraction must be between 0 and 1")
    if a.size < 1:
        sys.exit("--size must be positive")
    if os.path.exists(a.out_dir) and (not os.path.isdir(a.out_dir) or os.listdir(a.out_dir)):
        sys.exit(f"{a.out_dir} exists and is not an empty folder; choose a new one (nothing was written)")

    digits = load_digits()
    pixels = np.rint(digits.images * (255.0 / 16.0)).astype(np.uint8)  # 0..16 -> 0..255
    rng = np.random.RandomState(a.seed)
    counts = {"train": 0, "val": 0}
    for label in range(10):
        members = np.flatnonzero(digits.target == label)
        members = members[rng.permutation(len(members))]
        n_val = int(round(len(members) * a.val_fraction))
        for rank, index in enumerate(members):
            split = "val" if rank < n_val else "train"
            folder = os.path.join(a.out_dir, split, str(label))
            os.makedirs(folder, exist_ok=True)
            image = Image.fromarray(pixels[index], mode="L").resize((a.size, a.size), Image.BILINEAR)
            image.save(os.path.join(folder, f"{index:04d}.png"))
            counts[split] += 1
    print(f"wrote {counts['train']} training and {counts['val']} validation images of 10 digits to {a.out_dir}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
