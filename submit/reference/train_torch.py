"""Single-process PyTorch reference of the Spark job's training recipe, to compare the job's accuracy against.

    apt-get install python3-torch python3-torchvision
    python3 train_torch.py --data /tmp/digits --preset seresnext11_4x8d_tiny --image-size 28 --stored-size 32 \\
        --epochs 3 --batch-size 64 --lr 0.1 --weight-decay 5e-4 --warmup-epochs 0 --seed 1 --zero-residual-gamma

DATA is an ImageNet-layout folder (DATA/train/<class>/..., DATA/val/<class>/...). What mirrors the job (Java
sources under spark-job/src/main/java/io/seresnext/job):
  * labels (ImageFolderIndex): classes are the sorted folder names of train/; files are listed recursively;
    names starting with '.' or '_' are skipped; unreadable files are skipped and counted
  * stored images (ImageDecoder): decoded once to RGB (grey replicated, alpha over black), halved in bilinear
    steps while the scale is under 1/2, short side bilinearly resized to --stored-size, centre-cropped; kept
    in memory as uint8 (the job's shard cache)
  * batches (ShardBatchLoader): a uniformly random --image-size crop (offsets in [0, stored - size]) and a
    horizontal flip with p = 0.5 for training, the centre crop (offset margin // 2) for validation; pixel / 255
    normalised with the ImageNet mean and std
  * epochs (BatchPlan): every training image once in a new random order, batches of --batch-size; a tail
    shorter than half a batch joins the previous batch, a longer one is a batch of its own
  * optimisation (NetworkFactory, LearningRateSchedule): SGD with Nesterov momentum; the rate of step i is
    valueAt(i), at = (i + 1) / iterations per epoch: linear warm-up, then cosine to 0 (or constant); weight
    decay on conv and linear weights only (DL4J regularises neither biases nor batch-norm parameters)
  * model: seresnext_torch.create with the dataset's class count, DL4J's initialisation
  * validation after every epoch (Evaluator): eval mode, mean cross-entropy, top-1 and top-5 (a hit when fewer
    than k classes score strictly higher than the true one)

Prints a progress line per epoch on stderr and one JSON line on stdout at the end.
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import seresnext_torch  # noqa: E402

MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)


def hidden(name):
    return name.startswith(".") or name.startswith("_")  # HadoopFiles.hidden


def list_split(root, classes=None):
    """[(path, label)] of DATA/<split>, and the class names (sorted train/ folders give the labels)."""
    folders = sorted(d for d in os.listdir(root) if os.path.isdir(os.path.join(root, d)) and not hidden(d))
    if classes is None:
        classes = folders
    unknown = [d for d in folders if d not in classes]
    if unknown:
        sys.exit(f"validation class folder(s) {unknown} have no training folder")
    files = []
    for d in folders:
        for top, dirs, names in os.walk(os.path.join(root, d)):
            dirs[:] = sorted(x for x in dirs if not hidden(x))
            files += [(os.path.join(top, n), classes.index(d)) for n in sorted(names) if not hidden(n)]
    return files, classes


def _resize(x, h, w):
    # Java2D's bilinear drawImage samples at pixel centres without a widened (antialiasing) filter, as this does
    if x.shape[-2:] == (h, w):
        return x
    return F.interpolate(x, size=(h, w), mode="bilinear", align_corners=False)


def stored_square(path, size):
    """ImageDecoder.squareRgb: the image as a size x size x 3 uint8 array."""
    with Image.open(path) as im:
        im = im.convert("RGBA")
        a = np.asarray(im, dtype=np.float32)
    rgb = a[..., :3] * (a[..., 3:] / 255.0)  # drawn onto the job's black canvas: alpha composites over black
    x = torch.from_numpy(np.ascontiguousarray(rgb)).permute(2, 0, 1)[None]
    h, w = x.shape[-2:]
    scale = size / min(w, h)
    while scale < 0.5:  # halve in steps first, as the job does against aliasing
        w, h = max(size, (w + 1) // 2), max(size, (h + 1) // 2)
        x = _resize(x, h, w).round().clamp(0, 255)  # each step is an 8-bit image in Java
        scale = size / min(w, h)
    sw = max(size, math.floor(w * scale + 0.5))  # Math.round
    sh = max(size, math.floor(h * scale + 0.5))
    x = _resize(x, sh, sw)
    top, left = (sh - size) // 2, (sw - size) // 2
    x = x[0, :, top:top + size, left:left + size]
    return x.round().clamp(0, 255).to(torch.uint8).permute(1, 2, 0).contiguous()


def load_split(files, size, what):
    images, labels, bad = [], [], 0
    for path, label in files:
        try:
            images.append(stored_square(path, size))
            labels.append(label)
        except Exception as e:  # the job skips unreadable files too (data.max-bad-fraction)
            bad += 1
            print(f"skipped {path}: {e}", file=sys.stderr)
    if not images:
        sys.exit(f"no readable {what} images")
    if bad:
        print(f"skipped {bad} unreadable {what} file(s)", file=sys.stderr)
    # stored as N x 3 x S x S so that crops are plain slices
    return torch.stack(images).permute(0, 3, 1, 2).contiguous(), torch.tensor(labels)


def batch(images, labels, index, size, training, gen):
    """ShardBatchLoader.load: crops (and flips), then (pixel / 255 - mean) / std."""
    stored = images.shape[-1]
    margin = stored - size
    out = torch.empty(len(index), 3, size, size)
    for j, i in enumerate(index.tolist()):
        if training:
            ox, oy = torch.randint(margin + 1, (2,), generator=gen).tolist()
            mirror = bool(torch.randint(2, (1,), generator=gen))
        else:
            ox = oy = margin // 2
            mirror = False
        crop = images[i, :, oy:oy + size, ox:ox + size]
        out[j] = crop.flip(-1) if mirror else crop
    scale = torch.tensor([1 / (255 * s) for s in STD]).view(1, 3, 1, 1)
    shift = torch.tensor([-m / s for m, s in zip(MEAN, STD)]).view(1, 3, 1, 1)
    return out * scale + shift, labels[index]


def epoch_batches(n, batch_size, gen):
    """BatchPlan.trainingEpoch over single images: a short tail (< batch/2) joins the previous batch."""
    order = torch.randperm(n, generator=gen)
    batches = list(order.split(batch_size))
    if len(batches) > 1 and len(batches[-1]) < batch_size // 2:
        tail = batches.pop()
        batches[-1] = torch.cat([batches[-1], tail])
    return batches


def learning_rate(a, iteration, per_epoch):
    """LearningRateSchedule.valueAt: in epochs after this step; warm-up, then cosine to 0 or constant."""
    at = (iteration + 1) / per_epoch
    if at < a.warmup_epochs:
        return a.lr * at / a.warmup_epochs
    if a.schedule == "constant":
        return a.lr
    progress = min(1.0, (at - a.warmup_epochs) / max(1e-9, a.epochs - a.warmup_epochs))
    return a.lr * 0.5 * (1 + math.cos(math.pi * progress))


@torch.no_grad()
def evaluate(model, images, labels, size, batch_size=64):
    """Evaluator.score: mean cross-entropy, top-1 and top-5 hits (ties count as hits)."""
    model.eval()
    loss, top1, top5 = 0.0, 0, 0
    for index in torch.arange(len(labels)).split(batch_size):
        x, y = batch(images, labels, index, size, False, None)
        logits = model(x)
        loss += F.cross_entropy(logits, y, reduction="sum").item()
        higher = (logits > logits.gather(1, y[:, None])).sum(1)
        top1 += (higher < 1).sum().item()
        top5 += (higher < 5).sum().item()
    n = len(labels)
    return loss / n, top1 / n, top5 / n


def main():
    ap = argparse.ArgumentParser(description="PyTorch reference of the Spark job's training recipe")
    ap.add_argument("--data", required=True, help="ImageNet-layout folder with train/ and val/")
    ap.add_argument("--preset", default="seresnext11_4x8d_tiny", choices=list(seresnext_torch.PRESETS))
    ap.add_argument("--image-size", type=int, default=32)
    ap.add_argument("--stored-size", type=int, default=0, help="0: image-size * 8 / 7, as the job")
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--lr", type=float, default=0.1)
    ap.add_argument("--momentum", type=float, default=0.9)
    ap.add_argument("--weight-decay", type=float, default=5e-5)
    ap.add_argument("--warmup-epochs", type=float, default=1.0)
    ap.add_argument("--schedule", choices=["cosine", "constant"], default="cosine")
    ap.add_argument("--seed", type=int, default=12345)
    ap.add_argument("--zero-residual-gamma", action="store_true",
                    help="each residual branch's last BN starts at gamma 0 (the Java presets' default)")
    ap.add_argument("--decay-all", action="store_true", help="weight decay on every parameter")
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    stored = a.stored_size or a.image_size * 8 // 7
    if stored < a.image_size:
        sys.exit(f"--stored-size {stored} is smaller than --image-size {a.image_size}")
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    gen = torch.Generator().manual_seed(a.seed)
    start = time.time()

    train_files, classes = list_split(os.path.join(a.data, "train"))
    val_files, _ = list_split(os.path.join(a.data, "val"), classes)
    if len(classes) < 2:
        sys.exit(f"{a.data}/train has {len(classes)} class folder(s); a classifier needs at least two")
    train_x, train_y = load_split(train_files, stored, "training")
    val_x, val_y = load_split(val_files, stored, "validation")
    print(f"{len(classes)} classes, {len(train_y)} training / {len(val_y)} validation images stored at "
          f"{stored}px ({time.time() - start:.1f}s)", file=sys.stderr)

    model = seresnext_torch.create(a.preset, len(classes), 3, a.zero_residual_gamma)
    # conv and linear weights are the only >1-d parameters: biases and BN gamma/beta are 1-d
    decayed = [p for p in model.parameters() if a.decay_all or p.dim() > 1]
    plain = [p for p in model.parameters() if not (a.decay_all or p.dim() > 1)]
    opt = torch.optim.SGD([{"params": decayed, "weight_decay": a.weight_decay},
                           {"params": plain, "weight_decay": 0.0}],
                          lr=a.lr, momentum=a.momentum, nesterov=True)

    per_epoch = len(epoch_batches(len(train_y), a.batch_size, torch.Generator()))
    iteration, detail = 0, []
    for epoch in range(1, a.epochs + 1):
        model.train()
        t0, loss_sum, seen = time.time(), 0.0, 0
        for index in epoch_batches(len(train_y), a.batch_size, gen):
            for group in opt.param_groups:
                group["lr"] = learning_rate(a, iteration, per_epoch)
            x, y = batch(train_x, train_y, index, a.image_size, True, gen)
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            loss_sum += loss.item() * len(y)
            seen += len(y)
            iteration += 1
        val_loss, top1, top5 = evaluate(model, val_x, val_y, a.image_size)
        lr = learning_rate(a, epoch * per_epoch - 1, per_epoch)  # the epoch's last rate, as the job reports
        detail.append({"epoch": epoch, "train_loss": loss_sum / seen, "val_loss": val_loss, "val_top1": top1,
                       "lr": lr})
        print(f"epoch {epoch}/{a.epochs}: train loss {loss_sum / seen:.4f}, validation loss {val_loss:.4f} "
              f"top-1 {100 * top1:.2f}% top-5 {100 * top5:.2f}%, lr {lr:.5f} ({time.time() - t0:.1f}s)",
              file=sys.stderr)

    print(json.dumps({"preset": a.preset, "seed": a.seed, "epochs": a.epochs, "batch_size": a.batch_size,
                      "lr": a.lr, "weight_decay": a.weight_decay, "warmup_epochs": a.warmup_epochs,
                      "zero_residual_gamma": a.zero_residual_gamma, "train_images": len(train_y),
                      "val_images": len(val_y), "val_top1": top1, "val_top5": top5, "val_loss": val_loss,
                      "seconds": round(time.time() - start, 1), "epochs_detail": detail}))


if __name__ == "__main__":
    main()
