"""DL4J's gradient sharing replayed in PyTorch, to find where its accuracy goes in minutes instead of cluster hours.

    python3 simulate_gradient_sharing.py --data /tmp/digits --image-size 28 --stored-size 32 --epochs 6 --seed 1 \\
        [--workers 2] [--encoding threshold|none] [--residual-clipping 5] [...]

Same data, model, batches and schedule as train_torch.py (which it imports). The global batch is split among
--workers replicas that stay identical, as DL4J's do in one JVM. What each replica does per step mirrors
dl4j-nn 1.0.0-M2.1 (SGD with an EncodedGradientsAccumulator):
  * its own Nesterov momentum on its share of the batch, at the rate divided by the worker count (the job's
    average-updates), L2 weight decay on conv and linear weights before momentum: this is the "update"
  * residual += update; threshold tau from AdaptiveThresholdAlgorithm (last message's share of entries above
    --max-sparsity: tau / rate, below --min-sparsity: tau * rate, rate = 0.5 ** (1 / halving iterations))
  * the message: every entry with |residual| >= tau moves by exactly +-tau; the residual keeps the rest
  * ResidualClippingPostProcessor: every --residual-clipping-every steps, residual clipped to +-k tau
  * every replica applies the sum of all messages
Batch-norm running statistics are kept by PyTorch directly (the job re-estimates them after every epoch).
What may be switched, one at a time, to see what each costs (BENCHMARKS.md has the figures):
  --encoding none           the updates applied as they are: the baseline, one worker on the global batch
  --encoding topk-values    the same entries as the threshold message, each with its own value (not DL4J)
  --extra-unit K            the job's second message: after the step's, one more at K thresholds
  --passes P                up to P thresholds per entry and step (as if P messages could be sent)
  --extra-passes P          the job's second-message, in DL4J's order: the step's message (one threshold per entry,
                            the only one the threshold sees), clipping, then one extra message moving each entry by
                            up to P - 1 more thresholds (an index repeated per pass), both within --max-sparsity of
                            the entries; --extra-cap S gives the extra message a budget of its own, --extra-clip-last
                            clips after it (the job's order now)
  --quantile Q              tau chosen every step so that a share Q of the entries reach it
  --momentum-masking        each replica's momentum zeroed where a message moved an entry (DGC)
  --tau-follows-lr          tau scaled by the learning-rate schedule (rate / peak rate) on top of its adaptation
  --flush-at-end            every replica's residual applied to the model after the last step
  --start-skew D            two executors out of step (0: the same two-replica replay in step, its control):
                            each epoch one replica starts D steps after the other and drops the other's first D
                            messages (DL4J's consumer is in bypass mode before its fit); each replica applies its
                            own message at once and the other's before its next step; at each epoch's start both
                            take the driver's model, which applies every message (the job's replica resync);
                            --skew-keeps-messages: nothing dropped. The job's executors log their skew
                            (GradientTrafficListener's "iterations late")
  --residual-clipping 0, --min-sparsity, --max-sparsity, --halving-iterations: DL4J's settings
Prints per epoch the validation top-1, the share of the update mass computed that arrived (late mass from the
residual counts when it arrives, so a late epoch can exceed 1), the share clipping discarded, the share of entries
the step's message carried (all messages: in brackets) and tau; then one JSON line.
"""
import argparse
import json
import math
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import seresnext_torch  # noqa: E402
import train_torch as ref  # noqa: E402


class Replica:
    """One worker's optimiser state: momentum, residual, threshold."""

    def __init__(self, n, a):
        self.momentum = torch.zeros(n)
        self.residual = torch.zeros(n)
        self.tau = a.threshold
        self.last_sparsity = None
        self.a = a
        self.rate = 0.5 ** (1 / a.halving_iterations)
        self.bytes_share = 0.0
        self.tau_scale = 1.0  # --tau-follows-lr: the schedule's rate over its peak

    def encode_extra_passes(self, big, step):
        """The step's message, then the job's extra message (--extra-passes), clipping between or after them."""
        a = self.a
        first = big.float() * self.tau * self.residual.sign()
        self.residual.sub_(first)
        sent = big.float().mean().item()
        self.last_sparsity = sent
        discarded = 0.0 if a.extra_clip_last else self.clip(step)
        n = self.residual.numel()
        budget = int(a.extra_cap * n) if a.extra_cap > 0 else int(a.max_sparsity * n) - int(big.sum().item())
        extra = torch.zeros_like(self.residual)
        used = 0
        for _ in range(a.extra_passes - 1):  # pass by pass, as the job encodes it, until the budget is spent
            more = self.residual.abs() >= self.tau
            count = int(more.sum().item())
            if count < 2 or used + count > budget:
                break
            step_pass = more.float() * self.tau * self.residual.sign()
            self.residual.sub_(step_pass)
            extra.add_(step_pass)
            used += count
        self.bytes_share = sent + used / n
        if a.extra_clip_last:
            discarded = self.clip(step)
        return first + extra, discarded, sent

    def clip(self, step):
        """ResidualClippingPostProcessor: what it throws away."""
        a = self.a
        if a.residual_clipping > 0 and (step + 1) % a.residual_clipping_every == 0:
            bound = a.residual_clipping * self.tau
            clipped = self.residual.clamp(-bound, bound)
            discarded = (self.residual - clipped).abs().sum().item()
            self.residual = clipped
            return discarded
        return 0.0

    def update(self, grad, params, decay_mask, lr):
        a = self.a
        g = grad + a.weight_decay * decay_mask * params
        self.momentum.mul_(a.momentum).add_(g)
        return lr * (g + a.momentum * self.momentum)  # PyTorch's Nesterov form

    def encode(self, update, step):
        """The message this step sends, and what clipping threw away (both dense vectors)."""
        a = self.a
        self.residual.add_(update)
        if a.encoding == "none":
            message = self.residual.clone()
            self.residual.zero_()
            return message, 0.0, 1.0
        if a.quantile > 0:
            self.tau = torch.quantile(self.residual.abs()[::4], 1 - a.quantile).item()
        elif self.last_sparsity is not None:
            if self.last_sparsity > a.max_sparsity:
                self.tau /= self.rate
            elif self.last_sparsity < a.min_sparsity:
                self.tau *= self.rate
        tau_base = self.tau  # what the adaptive algorithm keeps; this step encodes and clips at the scaled one
        self.tau = tau_base * self.tau_scale
        big = self.residual.abs() >= self.tau
        if a.extra_passes > 1:
            result = self.encode_extra_passes(big, step)
            self.tau = tau_base
            return result
        if a.encoding == "topk-values":  # not DL4J: the largest entries with their values, same count
            message = torch.where(big, self.residual, torch.zeros(()))
            self.bytes_share = big.float().mean().item()
        else:
            units = (self.residual.abs() / self.tau).floor().clamp(max=a.passes)
            message = self.tau * self.residual.sign() * units
            self.bytes_share = units.mean().item()
            if a.extra_unit > 0:  # the step's message, then one extra message at extra_unit thresholds
                first = big.float() * self.tau * self.residual.sign()
                left = self.residual - first
                extra = (left.abs() >= a.extra_unit * self.tau).float() * a.extra_unit * self.tau * left.sign()
                message = first + extra
                self.bytes_share = big.float().mean().item() + (extra != 0).float().mean().item()
        self.residual.sub_(message)
        sent = big.float().mean().item()
        self.last_sparsity = sent
        discarded = self.clip(step)
        self.tau = tau_base
        return message, discarded, sent


def skewed_epoch(a, model, params, decay_mask, replicas, driver, batches, data, first_iteration, per_epoch, gen,
                 early):
    """One epoch of two replicas `a.start_skew` steps apart (--start-skew), applying every message to `driver` and
    leaving it in the model; returns the epoch's counts (computed, arrived, discarded, sent, entries) like the
    lockstep loop's."""
    train_x, train_y = data
    skew = a.start_skew
    late = 1 - early
    own = [driver.clone(), driver.clone()]  # each replica's parameters, resynchronised to the driver's
    counts = [0.0] * 5
    steps = len(batches)
    for slot in range(steps + skew):
        messages = {}
        for r, step in ((early, slot), (late, slot - skew)):
            if not 0 <= step < steps:
                continue
            iteration = first_iteration + step
            lr = ref.learning_rate(a, iteration, per_epoch) / a.workers
            index = batches[step].tensor_split(a.workers)[r]
            x, y = ref.batch(train_x, train_y, index, a.image_size, True, gen)
            torch.nn.utils.vector_to_parameters(own[r], params)
            model.zero_grad(set_to_none=True)
            F.cross_entropy(model(x), y).backward()
            grad = torch.cat([p.grad.reshape(-1) for p in params])
            update = replicas[r].update(grad, own[r], decay_mask, lr)
            counts[0] += update.abs().sum().item()
            message, lost, share = replicas[r].encode(update, iteration)
            counts[1] += message.abs().sum().item()
            counts[2] += lost
            counts[3] += share / a.workers
            counts[4] += replicas[r].bytes_share / a.workers
            messages[r] = message
        for r, message in messages.items():
            driver.sub_(message)
            own[r].sub_(message)
            other = 1 - r
            late_not_started = other == late and slot < skew and not a.skew_keeps_messages
            if not late_not_started:
                own[other].sub_(message)
    torch.nn.utils.vector_to_parameters(driver, params)
    return counts


def main():
    ap = argparse.ArgumentParser(description="DL4J's gradient sharing replayed in PyTorch")
    ap.add_argument("--data", required=True)
    ap.add_argument("--preset", default="seresnext11_4x8d_tiny", choices=list(seresnext_torch.PRESETS))
    ap.add_argument("--image-size", type=int, default=28)
    ap.add_argument("--stored-size", type=int, default=32)
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--batch-size", type=int, default=64, help="global batch")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--lr", type=float, default=0.1)
    ap.add_argument("--momentum", type=float, default=0.9)
    ap.add_argument("--weight-decay", type=float, default=5e-4)
    ap.add_argument("--warmup-epochs", type=float, default=1.0)
    ap.add_argument("--schedule", choices=["cosine", "constant"], default="cosine")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--encoding", choices=["threshold", "none", "topk-values"], default="threshold")
    ap.add_argument("--threshold", type=float, default=1e-3, help="initial tau")
    ap.add_argument("--min-sparsity", type=float, default=1e-3)
    ap.add_argument("--max-sparsity", type=float, default=5e-2)
    ap.add_argument("--halving-iterations", type=float, default=20)
    ap.add_argument("--residual-clipping", type=float, default=5)
    ap.add_argument("--residual-clipping-every", type=int, default=5)
    ap.add_argument("--quantile", type=float, default=0, help="tau: this share of entries above it, every step")
    ap.add_argument("--passes", type=int, default=1, help="encodings of the residual per step")
    ap.add_argument("--extra-passes", type=int, default=1,
                    help="the job's second message, with up to this many - 1 more thresholds per entry")
    ap.add_argument("--extra-clip-last", action="store_true",
                    help="with --extra-passes: clip the residual after the extra message instead of before it")
    ap.add_argument("--extra-cap", type=float, default=0,
                    help="with --extra-passes: the extra message's own cap, a share of the entries (0: the step's "
                         "two messages together within --max-sparsity)")
    ap.add_argument("--momentum-masking", action="store_true", help="DGC: zero the momentum of entries sent")
    ap.add_argument("--extra-unit", type=float, default=0,
                    help="one extra message per step at this many thresholds (instead of --passes)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--flush-at-end", action="store_true", help="apply every replica's residual after the last step")
    ap.add_argument("--tau-follows-lr", action="store_true", help="tau scaled by the schedule's rate / peak rate")
    ap.add_argument("--skew-keeps-messages", action="store_true",
                    help="with --start-skew: the late replica still gets the early one's first messages")
    ap.add_argument("--start-skew", type=int, default=-1,
                    help="two replicas this many steps apart every epoch (see the module's help); 0: the same "
                         "two-replica replay in step, its control")
    a = ap.parse_args()
    if a.start_skew >= 0 and (a.workers != 2 or a.encoding == "none" or a.tau_follows_lr or a.momentum_masking):
        ap.error("--start-skew replays two replicas with the threshold encoding and no other switch")
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    gen = torch.Generator().manual_seed(a.seed)
    start = time.time()

    train_files, classes = ref.list_split(os.path.join(a.data, "train"))
    val_files, _ = ref.list_split(os.path.join(a.data, "val"), classes)
    train_x, train_y = ref.load_split(train_files, a.stored_size, "training")
    val_x, val_y = ref.load_split(val_files, a.stored_size, "validation")

    model = seresnext_torch.create(a.preset, len(classes), 3, False)
    params = [p for p in model.parameters()]
    decay_mask = torch.cat([torch.full((p.numel(),), 1.0 if p.dim() > 1 else 0.0) for p in params])
    n = decay_mask.numel()
    replicas = [Replica(n, a) for _ in range(a.workers)]

    per_epoch = len(ref.epoch_batches(len(train_y), a.batch_size, torch.Generator()))
    iteration, detail = 0, []
    for epoch in range(1, a.epochs + 1):
        model.train()
        computed = arrived = discarded = sent = entries = 0.0
        if a.start_skew >= 0:
            batches = ref.epoch_batches(len(train_y), a.batch_size, gen)
            driver = torch.nn.utils.parameters_to_vector(params).detach().clone()
            computed, arrived, discarded, sent, entries = skewed_epoch(
                a, model, params, decay_mask, replicas, driver, batches, (train_x, train_y), iteration, per_epoch,
                gen, early=epoch % 2)
            iteration += len(batches)
        else:
            for index in ref.epoch_batches(len(train_y), a.batch_size, gen):
                lr = ref.learning_rate(a, iteration, per_epoch) / a.workers
                if a.tau_follows_lr:
                    for r in replicas:
                        r.tau_scale = max(lr * a.workers / a.lr, 1e-3)
                x, y = ref.batch(train_x, train_y, index, a.image_size, True, gen)
                flat = torch.nn.utils.parameters_to_vector(params).detach()
                total = torch.zeros(n)
                for replica, part in zip(replicas, torch.arange(len(y)).tensor_split(a.workers)):
                    model.zero_grad(set_to_none=True)
                    F.cross_entropy(model(x[part]), y[part]).backward()
                    grad = torch.cat([p.grad.reshape(-1) for p in params])
                    update = replica.update(grad, flat, decay_mask, lr)
                    computed += update.abs().sum().item()
                    message, lost, share = replica.encode(update, iteration)
                    if a.momentum_masking:
                        replica.momentum[message != 0] = 0
                    arrived += message.abs().sum().item()
                    discarded += lost
                    sent += share / a.workers
                    entries += replica.bytes_share / a.workers
                    total.add_(message)
                torch.nn.utils.vector_to_parameters(flat - total, params)
                iteration += 1
        if a.flush_at_end and epoch == a.epochs:
            flat = torch.nn.utils.parameters_to_vector(params).detach()
            torch.nn.utils.vector_to_parameters(flat - sum(r.residual for r in replicas), params)
        val_loss, top1, _ = ref.evaluate(model, val_x, val_y, a.image_size)
        row = {"epoch": epoch, "val_top1": top1, "val_loss": val_loss,
               "arrived": arrived / computed, "discarded": discarded / computed, "sent": sent / per_epoch, "entries": entries / per_epoch,
               "tau": sum(r.tau for r in replicas) / a.workers,
               "residual_l1": sum(r.residual.abs().sum().item() for r in replicas) / computed * per_epoch}
        detail.append(row)
        print(f"epoch {epoch}: top-1 {100 * top1:.2f}% loss {val_loss:.4f}; of the update mass: arrived "
              f"{row['arrived']:.3f}, clipped {row['discarded']:.3f}; entries sent {row['sent']:.4f} (all passes {row['entries']:.4f}); "
              f"tau {row['tau']:.2e}", file=sys.stderr)
    print(json.dumps({"seed": a.seed, "encoding": a.encoding, "workers": a.workers, "val_top1": top1,
                      "val_loss": val_loss, "seconds": round(time.time() - start, 1), "epochs_detail": detail}))


if __name__ == "__main__":
    main()
